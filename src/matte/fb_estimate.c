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
 * the other colour. The photo's own size is never held whole: each block
 * of BLOCK x BLOCK pixels with a soft pixel is swept on its own with a
 * MARGIN around it, whose outer ring keeps the level below's values, and
 * only its soft pixels' F and B are kept (two sweeps carry nothing further
 * than the margin), so the estimate costs memory for the soft pixels and a
 * half-size level, not 24 bytes a pixel of the photo. */
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

/* F and B of one pixel of alpha a and colour I from its n neighbours'
 * (indices nb into A, F, B): the 2x2 system of the energy above. Inlined
 * so that an inner pixel's call, with its 4 neighbours known (solve_at),
 * unrolls and keeps its sums in registers (the sweeps took 2/3 of the
 * time, with the same operations). */
__attribute__((always_inline)) static inline void solve_pixel(float a, const float *I, const float *A,
                                                              const float *Fs, const float *Bs, const int *nb,
                                                              int n, float *F, float *B) {
  if (!n) return; /* a 1x1 level: the mean colour stays */
  float W = 0.0f, sf[3] = {0, 0, 0}, sb[3] = {0, 0, 0};
  for (int k = 0; k < n; k++) {
    float w = EPS + OMEGA * fabsf(a - A[nb[k]]);
    W += w;
    for (int c = 0; c < 3; c++) sf[c] += w * Fs[3 * nb[k] + c], sb[c] += w * Bs[3 * nb[k] + c];
  }
  float a00 = a * a + W, a01 = a * (1.0f - a), a11 = (1.0f - a) * (1.0f - a) + W;
  float inv = 1.0f / (a00 * a11 - a01 * a01); /* > 0: W > 0 */
  for (int c = 0; c < 3; c++) {
    float b0 = a * I[c] + sf[c], b1 = (1.0f - a) * I[c] + sb[c];
    float f = (a11 * b0 - a01 * b1) * inv, b = (a00 * b1 - a01 * b0) * inv;
    F[c] = f < 0.0f ? 0.0f : f;
    B[c] = b < 0.0f ? 0.0f : b;
  }
}

/* The 4-neighbours of pixel k = (x, y) of a w x h grid that lie inside it,
 * left, right, up, down (indices into nb), and their count. */
static inline int neighbours(int k, int x, int y, int w, int h, int nb[4]) {
  int n = 0;
  if (x > 0) nb[n++] = k - 1;
  if (x + 1 < w) nb[n++] = k + 1;
  if (y > 0) nb[n++] = k - w;
  if (y + 1 < h) nb[n++] = k + w;
  return n;
}

/* solve_pixel with the count a constant for an inner pixel (all four
 * neighbours), so that call unrolls; the same operations either way. */
__attribute__((always_inline)) static inline void solve_at(float a, const float *I, const float *A,
                                                           const float *Fs, const float *Bs, const int *nb,
                                                           int n, float *F, float *B) {
  if (n == 4) solve_pixel(a, I, A, Fs, Bs, nb, 4, F, B);
  else solve_pixel(a, I, A, Fs, Bs, nb, n, F, B);
}

/* A red-black sweep of a whole level: its rows hold 3 floats a pixel, so
 * the neighbours are indexed relative to the pixel's row start minus one
 * row (three rows in view). */
static void sweep_rows(void *user, int ith, int nth) {
  sweep_job *j = user;
  level *L = j->L;
  int y0, y1;
  dm_split_rows(L->h, ith, nth, &y0, &y1);
  for (int y = y0; y < y1; y++)
    for (int x = (y + j->colour) & 1; x < L->w; x += 2) {
      if (L->active && !L->active[(y / BLOCK) * L->bw + x / BLOCK]) continue;
      /* the level's images are contiguous (stride = width x channels) */
      int k = y * L->w + x, nb[4], n = neighbours(k, x, y, L->w, L->h, nb);
      solve_at(L->alpha.data[k], L->img.data + 3 * (size_t)k, L->alpha.data, L->fg.data,
                  L->bg.data, nb, n, L->fg.data + 3 * (size_t)k, L->bg.data + 3 * (size_t)k);
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
      if (dm_matte_soft(A[x])) soft[(y / BLOCK) * L->bw + x / BLOCK] = 1;
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

/* F and B of the level below, nearest-neighbour, as the start: rows on
 * every thread (the level under the photo's own size is a quarter of it:
 * one thread took a fifth of the estimate's time copying it). */
typedef struct upsample_job {
  level *L;
  const level *P;
  const int *px; /* per column: the level below's */
} upsample_job;

static void upsample_rows(void *user, int ith, int nth) {
  const upsample_job *j = user;
  level *L = j->L;
  const level *P = j->P;
  int y0, y1;
  dm_split_rows(L->h, ith, nth, &y0, &y1);
  for (int y = y0; y < y1; y++) {
    int py = (int)((long long)y * P->h / L->h);
    const float *pf = dm_row(&P->fg, py), *pb = dm_row(&P->bg, py);
    float *f = dm_row(&L->fg, y), *b = dm_row(&L->bg, y);
    for (int x = 0; x < L->w; x++) {
      memcpy(f + 3 * x, pf + 3 * j->px[x], 3 * sizeof(float));
      memcpy(b + 3 * x, pb + 3 * j->px[x], 3 * sizeof(float));
    }
  }
}

static int upsample_from(dm_context *ctx, level *L, const level *P) {
  int *px = malloc((size_t)L->w * sizeof *px);
  if (!px) return 0;
  for (int x = 0; x < L->w; x++) px[x] = (int)((long long)x * P->w / L->w);
  upsample_job j = {L, P, px};
  dm_parallel(ctx, upsample_rows, &j);
  free(px);
  return 1;
}

static void level_free(level *L) {
  dm_image_free(&L->img);
  dm_image_free(&L->alpha);
  dm_image_free(&L->fg);
  dm_image_free(&L->bg);
  free(L->active);
  memset(L, 0, sizeof *L);
}

/* ---- the photo's own resolution, block by block ------------------------- */

#define MARGIN 3 /* pixels around a block swept with it; its outer ring held fixed */
#define TILE (BLOCK + 2 * MARGIN)

typedef struct finest_job {
  const dm_image *rgb, *alpha;
  const level *prev;
  dm_matte_layers *L;
  int bw, bh;
  const unsigned char *soft; /* per block: holds a soft pixel */
  const int *prev_x, *prev_y;  /* the level below's column and row of each of the photo's */
} finest_job;

/* One block with soft pixels: the level below (nearest) as the start, the
 * photo's pixels and alpha, BIG_SWEEPS red-black sweeps, then its soft
 * pixels' F and B into their slots. */
static void finest_block(const finest_job *j, int bx, int by) {
  const int W = j->rgb->width, H = j->rgb->height;
  int x0 = bx * BLOCK - MARGIN, y0 = by * BLOCK - MARGIN;
  int x1 = x0 + TILE, y1 = y0 + TILE;
  if (x0 < 0) x0 = 0;
  if (y0 < 0) y0 = 0;
  if (x1 > W) x1 = W;
  if (y1 > H) y1 = H;
  const int tw = x1 - x0, th = y1 - y0;
  float I[TILE * TILE * 3], A[TILE * TILE], F[TILE * TILE * 3], B[TILE * TILE * 3];
  const level *P = j->prev;
  for (int y = 0; y < th; y++) {
    const int gy = y0 + y, py = j->prev_y[gy];
    const float *a = dm_row(j->alpha, gy) + x0, *rgb = dm_row(j->rgb, gy) + 3 * x0;
    const float *pf = dm_row(&P->fg, py), *pb = dm_row(&P->bg, py);
    for (int x = 0; x < tw; x++) {
      const int k = y * tw + x, px = j->prev_x[x0 + x];
      A[k] = a[x];
      memcpy(I + 3 * k, rgb + 3 * x, 3 * sizeof(float));
      memcpy(F + 3 * k, pf + 3 * px, 3 * sizeof(float));
      memcpy(B + 3 * k, pb + 3 * px, 3 * sizeof(float));
    }
  }
  for (int it = 0; it < BIG_SWEEPS; it++)
    for (int colour = 0; colour < 2; colour++)
      for (int y = 0; y < th; y++) {
        /* the outer ring stays as the level below left it, unless it is
         * the photo's own border */
        if ((y == 0 && y0 > 0) || (y == th - 1 && y1 < H)) continue;
        for (int x = (y + y0 + x0 + colour) & 1; x < tw; x += 2) {
          if ((x == 0 && x0 > 0) || (x == tw - 1 && x1 < W)) continue;
          int k = y * tw + x, nb[4], n = neighbours(k, x, y, tw, th, nb);
          solve_at(A[k], I + 3 * k, A, F, B, nb, n, F + 3 * k, B + 3 * k);
        }
      }
  const dm_matte_layers *L = j->L;
  int bx0 = bx * BLOCK, by0 = by * BLOCK;
  for (int gy = by0; gy < by0 + BLOCK && gy < H; gy++) {
    /* the row's slots are sorted by x: the first at or right of bx0 */
    size_t lo = L->row_start[gy], hi = L->row_start[gy + 1];
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (L->x[mid] < bx0) lo = mid + 1;
      else hi = mid;
    }
    for (size_t s = lo; s < L->row_start[gy + 1] && L->x[s] < bx0 + BLOCK; s++) {
      int gx = L->x[s];
      int k = (gy - y0) * tw + (gx - x0);
      memcpy(L->fg + 3 * s, F + 3 * k, 3 * sizeof(float));
      memcpy(L->bg + 3 * s, B + 3 * k, 3 * sizeof(float));
    }
  }
}

/* Rows of blocks, taken by the threads as they finish (the soft blocks
 * gather along the outline, unevenly). */
static void finest_rows(void *user, size_t r0, size_t r1) {
  finest_job *j = user;
  for (int by = (int)r0; by < (int)r1; by++)
    for (int bx = 0; bx < j->bw; bx++)
      if (j->soft[(size_t)by * j->bw + bx]) finest_block(j, bx, by);
}

dm_status dm_matte_estimate_fb(dm_context *ctx, const dm_image *rgb, const dm_image *alpha,
                               dm_matte_layers *L) {
  if (rgb->channels != 3 || alpha->channels != 1 || rgb->width != alpha->width ||
      rgb->height != alpha->height || L->width != rgb->width || L->height != rgb->height)
    return dm_fail(ctx, DM_ERR_PARAM, "foreground estimation",
                   "needs an RGB image, a matte and layers of the same size");
  const int W = rgb->width, H = rgb->height;
  int levels = (int)ceil(log2(W > H ? W : H));
  if (levels < 1) levels = 1;
  if (levels > 40) levels = 40; /* 2^40 px: more than any photo */
  level lv[40];
  memset(lv, 0, sizeof lv);
  dm_status s = DM_OK;
  /* The pyramid below the photo's own size, each level resized from the
   * one above it (one pass over the photo, not one a level). */
  for (int l = levels - 1; l >= 0 && !s; l--) {
    level *cur = &lv[l];
    cur->w = (int)lround(pow(W, (double)l / levels)), cur->h = (int)lround(pow(H, (double)l / levels));
    cur->w = cur->w < 1 ? 1 : cur->w, cur->h = cur->h < 1 ? 1 : cur->h;
    const dm_image *from_rgb = l == levels - 1 ? rgb : &lv[l + 1].img;
    const dm_image *from_a = l == levels - 1 ? alpha : &lv[l + 1].alpha;
    s = dm_resized_plane(ctx, from_rgb, cur->w, cur->h, 0, &cur->img, "foreground estimation");
    if (!s) s = dm_resized_plane(ctx, from_a, cur->w, cur->h, 1, &cur->alpha, "foreground estimation");
  }
  /* Every level below the photo's own size, whole, coarse to fine. */
  for (int l = 0; l < levels && !s; l++) {
    level *cur = &lv[l];
    s = dm_image_alloc(ctx, &cur->fg, cur->w, cur->h, 3);
    if (!s) s = dm_image_alloc(ctx, &cur->bg, cur->w, cur->h, 3);
    if (s) break;
    if (l == 0) { /* the mean colour */
      double m[3] = {0, 0, 0};
      for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
          for (int c = 0; c < 3; c++) m[c] += dm_px(rgb, x, y)[c];
      for (int c = 0; c < 3; c++) {
        float v = (float)(m[c] / ((double)W * H));
        for (int i = 0; i < cur->w * cur->h; i++) cur->fg.data[3 * i + c] = cur->bg.data[3 * i + c] = v;
      }
    } else if (!upsample_from(ctx, cur, &lv[l - 1])) {
      s = dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for foreground estimation");
    }
    if (!s && (long long)cur->w * cur->h > SPARSE_FROM && !mark_active(cur))
      s = dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for foreground estimation");
    int sweeps = (cur->w < cur->h ? cur->w : cur->h) <= SMALL_SIZE ? SMALL_SWEEPS : BIG_SWEEPS;
    for (int it = 0; it < sweeps && !s; it++)
      for (int colour = 0; colour < 2; colour++) {
        sweep_job j = {cur, colour};
        dm_parallel(ctx, sweep_rows, &j);
      }
    if (l > 0) { /* the level below is done with (its images feed nothing now) */
      dm_image_free(&lv[l - 1].fg), dm_image_free(&lv[l - 1].bg);
      free(lv[l - 1].active), lv[l - 1].active = NULL;
    }
  }
  /* The photo's own size only around its soft pixels, into their slots. */
  if (!s) {
    const int bw = (W + BLOCK - 1) / BLOCK, bh = (H + BLOCK - 1) / BLOCK;
    const level *P = &lv[levels - 1];
    unsigned char *soft = calloc((size_t)bw * bh, 1);
    int *prev_x = malloc((size_t)W * sizeof *prev_x), *prev_y = malloc((size_t)H * sizeof *prev_y);
    if (!soft || !prev_x || !prev_y) s = dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for foreground estimation");
    for (int x = 0; !s && x < W; x++) prev_x[x] = (int)((long long)x * P->w / W);
    for (int y = 0; !s && y < H; y++) prev_y[y] = (int)((long long)y * P->h / H);
    for (int y = 0; !s && y < H; y++)
      for (size_t k = L->row_start[y]; k < L->row_start[y + 1]; k++) soft[(size_t)(y / BLOCK) * bw + L->x[k] / BLOCK] = 1;
    finest_job j = {rgb, alpha, P, L, bw, bh, soft, prev_x, prev_y};
    if (!s) dm_parallel_runs(ctx, (size_t)bh, 16, finest_rows, &j);
    free(soft), free(prev_x), free(prev_y);
  }
  for (int l = 0; l < levels; l++) level_free(&lv[l]);
  return s;
}
