/* Foreground and background colours behind a soft matte: multi-level
 * foreground estimation (Germer, Uelwer, Conrad, Harmeling 2020, "Fast
 * Multi-Level Foreground Estimation").
 *
 * Each pixel's colour is a mixture I = a·F + (1 − a)·B. Per pixel, F and B
 * minimise
 *   (a F + (1 − a) B − I)² + Σ_j w_j ((F − F_j)² + (B − B_j)²),
 *   w_j = EPS + OMEGA·|a − a_j|   (j: the 4 neighbours),
 * a 2x2 linear system shared by the three channels. The smoothness weight
 * grows where alpha changes, so the colours of the opaque subject and of
 * the clear background are carried across the soft edge, where the data
 * term alone cannot tell F from B. Solved coarse to fine: the photo and
 * alpha are resized to sizes w^(l/L) x h^(l/L), l = 0 .. L; F and B start
 * at the mean colour on a 1x1 image and every level starts from the one
 * below it, so each level needs only a couple of sweeps.
 *
 * Sweeps are red-black Gauss-Seidel, so rows run on every thread and the
 * result does not depend on the thread count. On the large levels only
 * blocks near soft pixels are swept: elsewhere F (where a = 1) and B
 * (where a = 0) are the photo within the data term's pull and nothing reads
 * the other colour. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "core/resample.h"
#include "matte/matte.h"

/* The paper's regularisation and gradient weight. */
#define EPS 1e-5f
#define OMEGA 1.0f
/* Sweeps per level: many while the level is tiny, two once it is not. */
#define SMALL_SIZE 32
#define SMALL_SWEEPS 10
#define BIG_SWEEPS 2
/* Levels above this many pixels sweep only blocks of BLOCK x BLOCK pixels
 * with a soft pixel within one block. */
#define SPARSE_FROM (512 * 512)
#define BLOCK 16

typedef struct level {
  int w, h;
  dm_image img, alpha, fg, bg;
  unsigned char *active; /* per block, or NULL: every pixel */
  int bw, bh;
} level;

typedef struct sweep_job {
  level *L;
  int colour; /* 0 red, 1 black: (x + y) % 2 */
} sweep_job;

static void sweep_rows(void *user, int ith, int nth) {
  sweep_job *j = user;
  level *L = j->L;
  int y0, y1;
  dm_split_rows(L->h, ith, nth, &y0, &y1);
  for (int y = y0; y < y1; y++) {
    const float *I = dm_row(&L->img, y), *A = dm_row(&L->alpha, y);
    float *F = dm_row(&L->fg, y), *B = dm_row(&L->bg, y);
    const float *Au = y > 0 ? dm_row(&L->alpha, y - 1) : NULL;
    const float *Ad = y + 1 < L->h ? dm_row(&L->alpha, y + 1) : NULL;
    const float *Fu = y > 0 ? dm_row(&L->fg, y - 1) : NULL, *Bu = y > 0 ? dm_row(&L->bg, y - 1) : NULL;
    const float *Fd = Ad ? dm_row(&L->fg, y + 1) : NULL, *Bd = Ad ? dm_row(&L->bg, y + 1) : NULL;
    for (int x = (y + j->colour) & 1; x < L->w; x += 2) {
      if (L->active && !L->active[(y / BLOCK) * L->bw + x / BLOCK]) continue;
      float a = A[x], W = 0.0f, sf[3] = {0, 0, 0}, sb[3] = {0, 0, 0};
      const float *nf[4], *nb[4];
      float na[4];
      int n = 0;
      if (x > 0) nf[n] = F + 3 * (x - 1), nb[n] = B + 3 * (x - 1), na[n++] = A[x - 1];
      if (x + 1 < L->w) nf[n] = F + 3 * (x + 1), nb[n] = B + 3 * (x + 1), na[n++] = A[x + 1];
      if (Au) nf[n] = Fu + 3 * x, nb[n] = Bu + 3 * x, na[n++] = Au[x];
      if (Ad) nf[n] = Fd + 3 * x, nb[n] = Bd + 3 * x, na[n++] = Ad[x];
      for (int k = 0; k < n; k++) {
        float w = EPS + OMEGA * fabsf(a - na[k]);
        W += w;
        for (int c = 0; c < 3; c++) sf[c] += w * nf[k][c], sb[c] += w * nb[k][c];
      }
      if (!n) continue; /* a 1x1 level: the mean colour stays */
      float a00 = a * a + W, a01 = a * (1.0f - a), a11 = (1.0f - a) * (1.0f - a) + W;
      float inv = 1.0f / (a00 * a11 - a01 * a01); /* > 0: W > 0 */
      for (int c = 0; c < 3; c++) {
        float b0 = a * I[3 * x + c] + sf[c], b1 = (1.0f - a) * I[3 * x + c] + sb[c];
        float f = (a11 * b0 - a01 * b1) * inv, b = (a00 * b1 - a01 * b0) * inv;
        F[3 * x + c] = f < 0.0f ? 0.0f : f;
        B[3 * x + c] = b < 0.0f ? 0.0f : b;
      }
    }
  }
}

/* Blocks with a soft pixel in them or in a neighbouring block. */
static int mark_active(level *L) {
  L->bw = (L->w + BLOCK - 1) / BLOCK, L->bh = (L->h + BLOCK - 1) / BLOCK;
  unsigned char *soft = calloc((size_t)L->bw * L->bh, 1);
  L->active = calloc((size_t)L->bw * L->bh, 1);
  if (!soft || !L->active) {
    free(soft);
    return 0;
  }
  for (int y = 0; y < L->h; y++) {
    const float *A = dm_row(&L->alpha, y);
    for (int x = 0; x < L->w; x++)
      if (A[x] > 0.0f && A[x] < 1.0f) soft[(y / BLOCK) * L->bw + x / BLOCK] = 1;
  }
  for (int by = 0; by < L->bh; by++)
    for (int bx = 0; bx < L->bw; bx++) {
      int on = 0;
      for (int dy = -1; dy <= 1 && !on; dy++)
        for (int dx = -1; dx <= 1 && !on; dx++) {
          int yy = by + dy, xx = bx + dx;
          on = yy >= 0 && yy < L->bh && xx >= 0 && xx < L->bw && soft[yy * L->bw + xx];
        }
      L->active[by * L->bw + bx] = (unsigned char)on;
    }
  free(soft);
  return 1;
}

/* F and B of the level below, nearest-neighbour, as the start. */
static void upsample_from(level *L, const level *P) {
  for (int y = 0; y < L->h; y++) {
    int py = (int)((long long)y * P->h / L->h);
    const float *pf = dm_row(&P->fg, py), *pb = dm_row(&P->bg, py);
    float *f = dm_row(&L->fg, y), *b = dm_row(&L->bg, y);
    for (int x = 0; x < L->w; x++) {
      int px = (int)((long long)x * P->w / L->w);
      memcpy(f + 3 * x, pf + 3 * px, 3 * sizeof(float));
      memcpy(b + 3 * x, pb + 3 * px, 3 * sizeof(float));
    }
  }
}

static void level_free(level *L) {
  dm_image_free(&L->img);
  dm_image_free(&L->alpha);
  dm_image_free(&L->fg);
  dm_image_free(&L->bg);
  free(L->active);
  memset(L, 0, sizeof *L);
}

dm_status dm_matte_estimate_fb(dm_context *ctx, const dm_image *rgb, const dm_image *alpha,
                               dm_image *fg, dm_image *bg) {
  if (rgb->channels != 3 || alpha->channels != 1 || rgb->width != alpha->width ||
      rgb->height != alpha->height)
    return dm_fail(ctx, DM_ERR_PARAM, "foreground estimation",
                   "needs an RGB image and a matte of the same size");
  const int W = rgb->width, H = rgb->height;
  int levels = (int)ceil(log2(W > H ? W : H));
  if (levels < 1) levels = 1;
  level prev = {0}, cur = {0};
  dm_status s = DM_OK;
  for (int l = 0; l <= levels && !s; l++) {
    int w = l == levels ? W : (int)lround(pow(W, (double)l / levels));
    int h = l == levels ? H : (int)lround(pow(H, (double)l / levels));
    cur.w = w < 1 ? 1 : w, cur.h = h < 1 ? 1 : h;
    if (l == levels) {
      cur.img = dm_image_view(rgb, 0, 0, W, H);
      cur.alpha = dm_image_view(alpha, 0, 0, W, H);
    } else {
      s = dm_resized_plane(ctx, rgb, cur.w, cur.h, 0, &cur.img, "foreground estimation");
      if (!s) s = dm_resized_plane(ctx, alpha, cur.w, cur.h, 1, &cur.alpha, "foreground estimation");
    }
    if (!s) s = dm_image_alloc(ctx, &cur.fg, cur.w, cur.h, 3);
    if (!s) s = dm_image_alloc(ctx, &cur.bg, cur.w, cur.h, 3);
    if (s) break;
    if (l == 0) { /* the mean colour */
      double m[3] = {0, 0, 0};
      for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
          for (int c = 0; c < 3; c++) m[c] += dm_px(rgb, x, y)[c];
      for (int c = 0; c < 3; c++) {
        float v = (float)(m[c] / ((double)W * H));
        for (int i = 0; i < cur.w * cur.h; i++) cur.fg.data[3 * i + c] = cur.bg.data[3 * i + c] = v;
      }
    } else
      upsample_from(&cur, &prev);
    if ((long long)cur.w * cur.h > SPARSE_FROM && !mark_active(&cur))
      s = dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for foreground estimation");
    int sweeps = (cur.w < cur.h ? cur.w : cur.h) <= SMALL_SIZE ? SMALL_SWEEPS : BIG_SWEEPS;
    for (int it = 0; it < sweeps && !s; it++)
      for (int colour = 0; colour < 2; colour++) {
        sweep_job j = {&cur, colour};
        dm_parallel(ctx, sweep_rows, &j);
      }
    level_free(&prev);
    prev = cur;
    memset(&cur, 0, sizeof cur);
  }
  if (!s) {
    *fg = prev.fg, *bg = prev.bg;
    memset(&prev.fg, 0, sizeof prev.fg), memset(&prev.bg, 0, sizeof prev.bg);
  }
  level_free(&prev);
  level_free(&cur);
  return s;
}
