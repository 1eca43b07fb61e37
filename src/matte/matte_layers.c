/* The two layers of a soft matte edge, and an automatic matte checked
 * against the photo's colours.
 *
 * A pixel the matte calls partly subject (0 < a < 1) shows a mixture
 * I = a·F + (1 − a)·B of the subject's colour F and the background's B.
 * Edits that follow the matte (Subject, Background) act on F or on B, the
 * lens blur blurs B, and the pixel is put back together as a·F' + (1 − a)·B'
 * (pipeline/render.c, blur/matte.c): no band keeps the background's old
 * brightness, no band is half blurred.
 *
 * A network matte is soft over a few pixels either side of the true edge
 * (ISNet works at 1024 px and is resized). There the mixture model itself
 * says how much subject a pixel holds: with F̂ the mean colour of the
 * confident subject (a >= 1 − SURE) and B̂ that of the confident background
 * (a <= SURE) around it, a' = (I − B̂)·(F̂ − B̂) / |F̂ − B̂|², the position of I
 * between them. Means of confident pixels, not the multi-level F and B:
 * those may absorb a dark or light fringe at the edge into B and F and so
 * explain it as a mixture; the fringe is the background's. The means are
 * taken in windows of radius 3, 9 and 27 px, the smallest holding at least
 * MIN_SHARE confident pixels. a' is trusted as far as F̂ and B̂ differ by
 * more than the colours they average spread (texture) and the photo's
 * noise: weight |F̂ − B̂|² / (|F̂ − B̂|² + var F + var B + NOISE²), so where
 * subject and background have the same colour, or a textured one, the
 * network's alpha stands; so does it where I lies far off the line through
 * B̂ and F̂ (weight 1 − 2·distance/|F̂ − B̂|, 0 from half of it on: a part of
 * the subject with a colour the confident pixels do not show). a' is
 * smoothed along the photo's edges (3x3 guided filter) against the photo's
 * noise, and settled at 0 or 1 within SURE of them. The work is done per
 * block of TILE_BLOCK px holding soft pixels, on a tile wide enough that the
 * result is the whole photo's. Two rounds (the first settles the band's
 * outer pixels, which then count as confident); then the
 * matte is cleaned: values below CLEAN that are not connected to the
 * subject (through values of at least CLEAN to a pixel of at least 0.5) are
 * background, so no stray haze of the network darkens or blurs patches of
 * the background. */
#include <emmintrin.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/bigmem.h"
#include "core/guided.h"
#include "core/pool.h"
#include "matte/matte.h"

/* Noise of a photo's colour in linear light, per channel: about two 8-bit
 * codes at mid-grey (JPEG and sensor noise of a typical portrait). Alpha
 * from colour is trusted where F and B differ by several times this. */
#define NOISE 0.02f
/* Rounds of (local colours; re-estimate alpha). */
#define ROUNDS 2
/* Confident: within this of 0 or 1. */
#define SURE 0.02f
/* A window's mean needs this share of confident pixels. */
#define MIN_SHARE 0.05
/* The smoothing's regulariser (linear RGB squared): edges of contrast
 * above ~0.03 keep alpha's step. */
#define SMOOTH_EPS 1e-3f
#define N_RADII 3
/* Blocks re-estimated one at a time, and how far their tile reaches past
 * them: the widest window (27) and the smoothing's (2). */
#define TILE_BLOCK 64
#define TILE_MARGIN 29
static const int radii[N_RADII] = {3, 9, 27};
/* A stray value below this moves an edit by less than 1/16 of its
 * strength (under 0.07 EV of a one-stop change): cleaned unless connected. */
#define CLEAN (1.0f / 16.0f)

/* Quantities summed per side (F: confident subject, B: confident
 * background): the confident indicator, its colour (3) and its squared norm. */
enum { Q_PER_SIDE = 5, Q_ALL = 2 * Q_PER_SIDE };

/* The summed-area table of the quantities over a tile: (h + 1) x (w + 1)
 * entries of Q_ALL, row 0 and column 0 zero. One pass over the tile, then
 * any window's sums are four reads, whatever its radius. In double: a
 * tile's sums stay below 10^5, far inside its precision. */
static double *summed_table(const dm_image *I, const dm_image *A) {
  const int w = A->width, h = A->height;
  const size_t row = (size_t)(w + 1) * Q_ALL;
  double *S = calloc((size_t)(h + 1) * row, sizeof *S);
  if (!S) return NULL;
  for (int y = 0; y < h; y++) {
    const float *p = dm_row(I, y), *al = dm_row(A, y);
    const double *up = S + (size_t)y * row;
    double *cur = S + (size_t)(y + 1) * row, run[Q_ALL] = {0};
    for (int x = 0; x < w; x++) {
      const double r = p[3 * x], g = p[3 * x + 1], bl = p[3 * x + 2];
      double *q = run + (al[x] >= 1.0f - SURE ? 0 : (al[x] <= SURE ? Q_PER_SIDE : -1));
      if (q >= run) q[0] += 1, q[1] += r, q[2] += g, q[3] += bl, q[4] += r * r + g * g + bl * bl;
      const double *u = up + (size_t)(x + 1) * Q_ALL;
      double *o = cur + (size_t)(x + 1) * Q_ALL;
      for (int k = 0; k < Q_ALL; k++) o[k] = u[k] + run[k];
    }
  }
  return S;
}

/* a' of the soft pixel (x, y) of the tile (see the top): F̂ and B̂ from the
 * smallest window of each side holding MIN_SHARE confident pixels; the
 * alpha as it was when a side has none or the colours cannot tell. */
static float project_pixel(const double *S, int w, int h, int x, int y, const float *I, float alpha) {
  const size_t row = (size_t)(w + 1) * Q_ALL;
  float mean[2][3] = {{0.0f, 0.0f, 0.0f}, {0.0f, 0.0f, 0.0f}}; /* set before use (have == 3) */
  double spread = 0;
  int have = 0;
  for (int k = 0; k < N_RADII && have != 3; k++) {
    const int r = radii[k];
    const int xa = x - r < 0 ? 0 : x - r, xb = x + r >= w ? w - 1 : x + r;
    const int ya = y - r < 0 ? 0 : y - r, yb = y + r >= h ? h - 1 : y + r;
    const double n = (double)(xb - xa + 1) * (yb - ya + 1);
    const double *s11 = S + (size_t)(yb + 1) * row + (size_t)(xb + 1) * Q_ALL;
    const double *s01 = S + (size_t)ya * row + (size_t)(xb + 1) * Q_ALL;
    const double *s10 = S + (size_t)(yb + 1) * row + (size_t)xa * Q_ALL;
    const double *s00 = S + (size_t)ya * row + (size_t)xa * Q_ALL;
    for (int side = 0; side < 2; side++) {
      if (have & (1 << side)) continue;
      double q[Q_PER_SIDE];
      for (int i = 0; i < Q_PER_SIDE; i++) {
        const int o = side * Q_PER_SIDE + i;
        q[i] = s11[o] - s01[o] - s10[o] + s00[o];
      }
      if (q[0] / n < MIN_SHARE) continue;
      double mean2 = 0;
      for (int c = 0; c < 3; c++) {
        const double mc = q[1 + c] / q[0];
        mean[side][c] = (float)mc, mean2 += mc * mc;
      }
      const double var = q[4] / q[0] - mean2;
      spread += var > 0 ? (float)var : 0.0f;
      have |= 1 << side;
    }
  }
  if (have != 3) return alpha;
  const float *F = mean[0], *B = mean[1];
  float dd = 0.0f, dot = 0.0f;
  for (int c = 0; c < 3; c++) {
    float d = F[c] - B[c];
    dd += d * d, dot += (I[c] - B[c]) * d;
  }
  if (!(dd > 0.0f)) return alpha;
  float a = dot / dd, wgt = dd / (dd + (float)spread + NOISE * NOISE);
  /* how far I lies off the line through B̂ and F̂, against their distance:
   * at half of it a third colour explains I as well as any mix of the two
   * (a part of the subject the confident pixels do not show), and the
   * network's alpha stands */
  float off = 0.0f;
  for (int c = 0; c < 3; c++) {
    float r = I[c] - B[c] - a * (F[c] - B[c]);
    off += r * r;
  }
  float rho = sqrtf(off / dd);
  wgt *= rho < 0.5f ? 1.0f - 2.0f * rho : 0.0f;
  a = a < 0.0f ? 0.0f : (a > 1.0f ? 1.0f : a);
  return alpha + wgt * (a - alpha);
}

/* One block of the photo: a' of the soft pixels within SMOOTH_REACH of it,
 * from the local colours of a tile that reaches TILE_MARGIN past the block
 * (the widest window past those pixels), then the smoothing, so the
 * block's results are those of the whole photo; they go to `out` (the
 * photo's size) for the block's soft pixels. */
#define SMOOTH_REACH 2 /* a 3x3 guided filter reads 2 pixels away */
static dm_status reestimate_tile(dm_context *ctx, const dm_image *rgb, const dm_image *alpha,
                                 int bx0, int by0, int bx1, int by1, dm_image *out) {
  const int W = alpha->width, H = alpha->height;
  int tx0 = bx0 - TILE_MARGIN, ty0 = by0 - TILE_MARGIN, tx1 = bx1 + TILE_MARGIN, ty1 = by1 + TILE_MARGIN;
  tx0 = tx0 < 0 ? 0 : tx0, ty0 = ty0 < 0 ? 0 : ty0, tx1 = tx1 > W ? W : tx1, ty1 = ty1 > H ? H : ty1;
  int ix0 = bx0 - SMOOTH_REACH, iy0 = by0 - SMOOTH_REACH, ix1 = bx1 + SMOOTH_REACH, iy1 = by1 + SMOOTH_REACH;
  ix0 = ix0 < 0 ? 0 : ix0, iy0 = iy0 < 0 ? 0 : iy0, ix1 = ix1 > W ? W : ix1, iy1 = iy1 > H ? H : iy1;
  const int w = tx1 - tx0, h = ty1 - ty0;
  const dm_image I = dm_image_view(rgb, tx0, ty0, w, h), A0 = dm_image_view(alpha, tx0, ty0, w, h);
  const dm_image Iin = dm_image_view(rgb, ix0, iy0, ix1 - ix0, iy1 - iy0);
  const dm_image Ain = dm_image_view(alpha, ix0, iy0, ix1 - ix0, iy1 - iy0);
  dm_image a = {0}, smooth = {0};
  double *S = summed_table(&I, &A0);
  dm_status s = S ? dm_image_copy(ctx, &a, &Ain) : dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for the matte");
  for (int y = iy0; !s && y < iy1; y++) {
    float *ar = dm_row(&a, y - iy0);
    const float *p = dm_row(rgb, y);
    for (int x = ix0; x < ix1; x++)
      if (dm_matte_soft(ar[x - ix0]))
        ar[x - ix0] = project_pixel(S, w, h, x - tx0, y - ty0, p + 3 * x, ar[x - ix0]);
  }
  free(S);
  /* a' of single pixels carries the photo's noise: smoothed along the
   * photo's edges (3x3 guided filter), then settled where as confident as
   * the pixels F̂ and B̂ came from */
  if (!s) s = dm_guided_filter(ctx, &Iin, &a, 1, SMOOTH_EPS, &smooth);
  for (int y = by0; !s && y < by1; y++) {
    const float *b = dm_row(alpha, y), *m = dm_row(&smooth, y - iy0);
    float *o = dm_row(out, y);
    for (int x = bx0; x < bx1; x++) {
      if (!dm_matte_soft(b[x])) continue;
      float v = m[x - ix0];
      o[x] = v <= SURE ? 0.0f : (v >= 1.0f - SURE ? 1.0f : v);
    }
  }
  dm_image_free(&a);
  dm_image_free(&smooth);
  return s;
}

/* One round over the blocks that hold soft pixels (the rest of the photo
 * has nothing to re-estimate): each reads the round's alpha, writes its own
 * block of the next. The blocks are few and small (a thin band along the
 * outline), so they are shared among the threads, each block worked out by
 * one thread, rather than each block's filters split across threads. */
typedef struct round_job {
  const dm_image *rgb, *alpha;
  dm_image *next;
  const int *blocks; /* soft blocks: origin (x, y) and side */
  atomic_int failed;
} round_job;

static void round_blocks(void *user, size_t i0, size_t i1) {
  round_job *j = user;
  /* a context of one thread: these blocks run side by side already */
  dm_context one = {.n_threads = 1};
  for (size_t i = i0; i < i1 && !atomic_load(&j->failed); i++) {
    const int bx = j->blocks[3 * i], by = j->blocks[3 * i + 1], side = j->blocks[3 * i + 2];
    const int bx1 = bx + side < j->alpha->width ? bx + side : j->alpha->width;
    const int by1 = by + side < j->alpha->height ? by + side : j->alpha->height;
    if (reestimate_tile(&one, j->rgb, j->alpha, bx, by, bx1, by1, j->next)) atomic_store(&j->failed, 1);
  }
}

static int block_soft(const dm_image *alpha, int bx, int by) {
  const int bx1 = bx + TILE_BLOCK < alpha->width ? bx + TILE_BLOCK : alpha->width;
  const int by1 = by + TILE_BLOCK < alpha->height ? by + TILE_BLOCK : alpha->height;
  if (bx >= alpha->width || by >= alpha->height) return 0;
  for (int y = by; y < by1; y++) {
    const float *a = dm_row(alpha, y);
    for (int x = bx; x < bx1; x++)
      if (dm_matte_soft(a[x])) return 1;
  }
  return 0;
}

static dm_status reestimate(dm_context *ctx, const dm_image *rgb, dm_image *alpha) {
  /* Blocks in groups of 2x2: a group whose four blocks all hold soft
   * pixels (fur, hair) is worked out as one block of twice the side, whose
   * tile's margin costs less per pixel. */
  const int G = 2 * TILE_BLOCK;
  const int ngx = (alpha->width + G - 1) / G, ngy = (alpha->height + G - 1) / G;
  int *blocks = malloc((size_t)ngx * ngy * 4 * 3 * sizeof *blocks);
  dm_image next = {0};
  dm_status s = blocks ? dm_image_copy(ctx, &next, alpha)
                       : dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for the matte");
  size_t n = 0;
  for (int gy = 0; !s && gy < alpha->height; gy += G)
    for (int gx = 0; gx < alpha->width; gx += G) {
      int soft[4], all = 1;
      for (int k = 0; k < 4; k++) {
        soft[k] = block_soft(alpha, gx + (k & 1) * TILE_BLOCK, gy + (k >> 1) * TILE_BLOCK);
        all &= soft[k];
      }
      if (all) {
        blocks[3 * n] = gx, blocks[3 * n + 1] = gy, blocks[3 * n + 2] = G, n++;
        continue;
      }
      for (int k = 0; k < 4; k++)
        if (soft[k])
          blocks[3 * n] = gx + (k & 1) * TILE_BLOCK, blocks[3 * n + 1] = gy + (k >> 1) * TILE_BLOCK,
          blocks[3 * n + 2] = TILE_BLOCK, n++;
    }
  if (!s && n) {
    round_job j = {.rgb = rgb, .alpha = alpha, .next = &next, .blocks = blocks};
    atomic_init(&j.failed, 0);
    dm_parallel_runs(ctx, n, 8, round_blocks, &j);
    if (atomic_load(&j.failed)) s = dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for the matte");
  }
  for (int y = 0; !s && y < alpha->height; y++)
    memcpy(dm_row(alpha, y), dm_row(&next, y), (size_t)alpha->width * sizeof(float));
  dm_image_free(&next);
  free(blocks);
  return s;
}

/* The clean in three passes over rows on every thread and a flood fill
 * between them. The flood's result, the set of pixels connected to the
 * subject, does not depend on the order it visits them, so it starts only
 * from the subject's pixels with a neighbour it can reach (most of a
 * subject's pixels have none): the soft band, not the whole subject. */
typedef struct clean_job {
  dm_image *alpha;
  uint8_t *seen;     /* 1: connected to the subject */
  uint32_t *stack;   /* pass 1: each thread's seeds from its first row's index on */
  size_t *n_seeds;   /* per thread */
  int pass;          /* 0 mark the subject, 1 seeds, 2 clean */
} clean_job;

/* Can the flood go from (x, y) to a neighbour it has not reached? */
static int grows(const clean_job *j, int x, int y) {
  const int w = j->alpha->width, h = j->alpha->height;
  for (int yy = y > 0 ? y - 1 : 0; yy <= y + 1 && yy < h; yy++) {
    const float *A = dm_row(j->alpha, yy);
    const uint8_t *S = j->seen + (size_t)yy * w;
    for (int xx = x > 0 ? x - 1 : 0; xx <= x + 1 && xx < w; xx++)
      if (!S[xx] && A[xx] >= CLEAN) return 1;
  }
  return 0;
}

/* (x, y) among its thread's seeds when it is the subject's and can grow. */
static inline void seed_at(clean_job *j, int x, int y, int y0, size_t *top) {
  const size_t w = (size_t)j->alpha->width;
  if (j->seen[(size_t)y * w + x] && grows(j, x, y)) j->stack[(size_t)y0 * w + (*top)++] = (uint32_t)((size_t)y * w + x);
}

static void clean_rows(void *user, int ith, int nth) {
  clean_job *j = user;
  const int w = j->alpha->width, h = j->alpha->height;
  int y0, y1;
  dm_split_rows(h, ith, nth, &y0, &y1);
  size_t top = 0;
  for (int y = y0; y < y1; y++) {
    float *A = dm_row(j->alpha, y);
    uint8_t *S = j->seen + (size_t)y * w;
    if (j->pass == 0)
      for (int x = 0; x < w; x++) S[x] = A[x] >= 0.5f;
    else if (j->pass == 1) {
      const uint8_t *U = y > 0 ? S - w : S, *D = y + 1 < h ? S + w : S;
      int x = 0;
      /* inside the row, sixteen at a time: a pixel with all nine seen cannot grow */
      if (w >= 18) {
        seed_at(j, x, y, y0, &top);
        for (x = 1; x + 17 <= w; x += 16) {
          __m128i all = _mm_set1_epi8(1);
          for (int d = -1; d <= 1; d++)
            all = _mm_and_si128(all, _mm_and_si128(_mm_loadu_si128((const __m128i *)(U + x + d)),
                                                   _mm_and_si128(_mm_loadu_si128((const __m128i *)(S + x + d)),
                                                                 _mm_loadu_si128((const __m128i *)(D + x + d)))));
          const __m128i self = _mm_loadu_si128((const __m128i *)(S + x));
          int m = _mm_movemask_epi8(_mm_cmpgt_epi8(self, all)); /* seen, not all nine */
          for (; m; m &= m - 1) seed_at(j, x + __builtin_ctz((unsigned)m), y, y0, &top);
        }
      }
      for (; x < w; x++) seed_at(j, x, y, y0, &top);
    } else /* below CLEAN: kept only next to the connected region (an edge's tail) */
      for (int x = 0; x < w; x++) {
        if (A[x] <= 0.0f || A[x] >= CLEAN || S[x]) continue;
        int near = 0;
        for (int dy = -1; dy <= 1 && !near; dy++)
          for (int dx = -1; dx <= 1 && !near; dx++) {
            int xx = x + dx, yy = y + dy;
            near = xx >= 0 && yy >= 0 && xx < w && yy < h && j->seen[(size_t)yy * w + xx];
          }
        if (!near) A[x] = 0.0f;
      }
  }
  if (j->pass == 1) j->n_seeds[ith] = top;
}

dm_status dm_matte_clean(dm_context *ctx, dm_image *alpha) {
  const int w = alpha->width, h = alpha->height;
  const size_t n = (size_t)w * h;
  const int nt = ctx->n_threads > 1 ? ctx->n_threads : 1;
  /* a flood fill from every pixel of at least 0.5 through pixels of at
   * least CLEAN (explicit stack) */
  uint8_t *seen = dm_big_alloc(n);
  uint32_t *stack = dm_big_alloc(n * sizeof *stack);
  size_t *n_seeds = calloc((size_t)nt, sizeof *n_seeds);
  if (!seen || !stack || !n_seeds) {
    dm_big_free(seen), dm_big_free(stack), free(n_seeds);
    return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory cleaning the matte");
  }
  clean_job j = {alpha, seen, stack, n_seeds, 0};
  dm_parallel(ctx, clean_rows, &j);
  j.pass = 1;
  dm_parallel(ctx, clean_rows, &j);
  size_t top = 0; /* the threads' seeds together at the stack's start */
  for (int t = 0; t < nt; t++) {
    int y0, y1;
    dm_split_rows(h, t, nt, &y0, &y1);
    memmove(stack + top, stack + (size_t)y0 * w, n_seeds[t] * sizeof *stack);
    top += n_seeds[t];
  }
  while (top) {
    size_t i = stack[--top];
    int x = (int)(i % w), y = (int)(i / w);
    for (int dy = -1; dy <= 1; dy++)
      for (int dx = -1; dx <= 1; dx++) {
        int xx = x + dx, yy = y + dy;
        if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
        size_t k = (size_t)yy * w + xx;
        if (!seen[k] && dm_row(alpha, yy)[xx] >= CLEAN) seen[k] = 1, stack[top++] = (uint32_t)k;
      }
  }
  j.pass = 2;
  dm_parallel(ctx, clean_rows, &j);
  dm_big_free(seen), dm_big_free(stack), free(n_seeds);
  return DM_OK;
}

dm_status dm_matte_from_colour(dm_context *ctx, const dm_image *rgb, dm_image *alpha) {
  dm_status s = DM_OK;
  for (int round = 0; round < ROUNDS && !s; round++) s = reestimate(ctx, rgb, alpha);
  return s ? s : dm_matte_clean(ctx, alpha);
}

void dm_matte_layers_free(dm_matte_layers *L) {
  /* x, fg and bg are large (a few per cent of the photo's pixels): the
   * big-buffer pool's, so a batch's next photo reuses their pages. */
  free(L->row_start), dm_big_free(L->x), dm_big_free(L->fg), dm_big_free(L->bg);
  memset(L, 0, sizeof *L);
}

/* Positions and settling run over rows on the pool's threads (each row's
 * slots are its own): serial they were ~0.1 s of a cached 24 MP render. */
typedef struct rows_job {
  const dm_image *alpha, *rgb;
  dm_matte_layers *L;
  int pass; /* 0 count each row's soft pixels, 1 their columns, 2 settle */
} rows_job;

/* Settle slot j of row y (see dm_matte_layers_settle). */
static void settle_slot(const dm_image *rgb, const dm_image *alpha, dm_matte_layers *L, int y, size_t j) {
  const float *I = dm_px(rgb, L->x[j], y);
  float a = dm_px(alpha, L->x[j], y)[0], D = a * a + (1.0f - a) * (1.0f - a);
  for (int c = 0; c < 3; c++) {
    float *F = L->fg + 3 * j + c, *B = L->bg + 3 * j + c;
    float r = I[c] - a * *F - (1.0f - a) * *B;
    *F += a * r / D, *B += (1.0f - a) * r / D;
    if (*F < 0.0f) *F = 0.0f, *B = I[c] / (1.0f - a);
    if (*B < 0.0f) *B = 0.0f, *F = I[c] / a;
  }
}

static void layer_rows(void *user, int ith, int nth) {
  rows_job *j = user;
  dm_matte_layers *L = j->L;
  int y0, y1;
  dm_split_rows(L->height, ith, nth, &y0, &y1);
  for (int y = y0; y < y1; y++) {
    const float *A = dm_row(j->alpha, y);
    if (j->pass == 0) { /* row y's count, in row_start[y + 1] until the sums */
      size_t n = 0;
      for (int x = 0; x < L->width; x++) n += dm_matte_soft(A[x]);
      L->row_start[y + 1] = n;
    } else if (j->pass == 1) {
      size_t k = L->row_start[y];
      for (int x = 0; x < L->width; x++)
        if (dm_matte_soft(A[x])) L->x[k++] = x;
    } else {
      for (size_t k = L->row_start[y]; k < L->row_start[y + 1]; k++) settle_slot(j->rgb, j->alpha, L, y, k);
    }
  }
}

dm_status dm_matte_layers_positions(dm_context *ctx, const dm_image *alpha, dm_matte_layers *out) {
  memset(out, 0, sizeof *out);
  const int w = alpha->width, h = alpha->height;
  out->width = w, out->height = h;
  out->row_start = malloc(((size_t)h + 1) * sizeof *out->row_start);
  if (!out->row_start) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for the matte's layers");
  rows_job j = {.alpha = alpha, .L = out, .pass = 0};
  dm_parallel(ctx, layer_rows, &j);
  out->row_start[0] = 0;
  for (int y = 0; y < h; y++) out->row_start[y + 1] += out->row_start[y];
  const size_t n = out->n = out->row_start[h];
  out->x = dm_big_alloc((n ? n : 1) * sizeof *out->x);
  out->fg = dm_big_alloc((n ? n : 1) * 3 * sizeof *out->fg);
  out->bg = dm_big_alloc((n ? n : 1) * 3 * sizeof *out->bg);
  if (!out->x || !out->fg || !out->bg) {
    dm_matte_layers_free(out);
    return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for the matte's layers");
  }
  j.pass = 1;
  dm_parallel(ctx, layer_rows, &j);
  return DM_OK;
}

/* The estimate keeps F and B non-negative, so where the photo is darker
 * than any mix of them (a dark rim) a·F + (1 − a)·B overshoots it. The
 * residual is split between them by least squares, neither below 0, so
 * the layers put back together are the photo exactly: an edit that leaves
 * a layer alone leaves the pixel alone. */
void dm_matte_layers_settle(dm_context *ctx, const dm_image *rgb, const dm_image *alpha, dm_matte_layers *L) {
  rows_job j = {.alpha = alpha, .rgb = rgb, .L = L, .pass = 2};
  dm_parallel(ctx, layer_rows, &j);
}

dm_status dm_matte_layers_build(dm_context *ctx, const dm_image *rgb, const dm_image *alpha,
                                dm_matte_layers *out) {
  dm_status s = dm_matte_layers_positions(ctx, alpha, out);
  if (!s && out->n) s = dm_matte_estimate_fb(ctx, rgb, alpha, out);
  if (s) dm_matte_layers_free(out);
  else dm_matte_layers_settle(ctx, rgb, alpha, out);
  return s;
}

/* The first slot of row y at or right of column x (row y's end when none). */
static long slot_from(const dm_matte_layers *L, int x, int y) {
  size_t lo = L->row_start[y], hi = L->row_start[y + 1];
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (L->x[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return (long)lo;
}

long dm_matte_layers_find(const dm_matte_layers *L, int x, int y) {
  if (!L || !L->n || y < 0 || y >= L->height) return -1;
  size_t lo = (size_t)slot_from(L, x, y);
  return lo < L->row_start[y + 1] && L->x[lo] == x ? (long)lo : -1;
}

dm_status dm_matte_layers_crop(dm_context *ctx, const dm_matte_layers *L, int x0, int y0, int w,
                               int h, dm_matte_layers *out) {
  memset(out, 0, sizeof *out);
  out->width = w, out->height = h;
  out->row_start = calloc((size_t)h + 1, sizeof *out->row_start);
  if (!out->row_start) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for the matte's layers");
  /* Slots are ascending in x within a row: each row's part is one run. */
  size_t n = 0;
  for (int y = 0; L->n && y < h; y++) {
    out->row_start[y] = n;
    long a = slot_from(L, x0, y0 + y), b = slot_from(L, x0 + w, y0 + y);
    n += (size_t)(b - a);
  }
  out->row_start[h] = n;
  out->n = n;
  out->x = dm_big_alloc((n ? n : 1) * sizeof *out->x);
  out->fg = dm_big_alloc((n ? n : 1) * 3 * sizeof *out->fg);
  out->bg = dm_big_alloc((n ? n : 1) * 3 * sizeof *out->bg);
  if (!out->x || !out->fg || !out->bg) {
    dm_matte_layers_free(out);
    return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for the matte's layers");
  }
  for (int y = 0; n && y < h; y++) {
    size_t a = (size_t)slot_from(L, x0, y0 + y), k = out->row_start[y];
    size_t m = out->row_start[y + 1] - k;
    for (size_t i = 0; i < m; i++) out->x[k + i] = L->x[a + i] - x0;
    memcpy(out->fg + 3 * k, L->fg + 3 * a, 3 * m * sizeof *out->fg);
    memcpy(out->bg + 3 * k, L->bg + 3 * a, 3 * m * sizeof *out->bg);
  }
  return DM_OK;
}
