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
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/box.h"
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

/* F̂ and B̂ of every soft pixel: one box pass per radius, each filling
 * what the smaller ones left (have: bit 1 F̂ known, bit 2 B̂ known). */
typedef struct local_job {
  const dm_image *rgb, *alpha;
  dm_image *fg, *bg;
  float *spread; /* var F + var B (summed over channels), per pixel */
  uint8_t *have;
} local_job;

/* Quantities per pixel: for F then for B, the confident indicator, its
 * colour (3) and its squared norm. */
enum { Q_PER_SIDE = 5, Q_ALL = 2 * Q_PER_SIDE };

static void local_in(void *user, int y, double *v) {
  local_job *j = user;
  const int w = j->alpha->width;
  const float *I = dm_row(j->rgb, y), *A = dm_row(j->alpha, y);
  for (int x = 0; x < w; x++) {
    double on[2] = {A[x] >= 1.0f - SURE, A[x] <= SURE}, n2 = 0;
    for (int c = 0; c < 3; c++) n2 += (double)I[3 * x + c] * I[3 * x + c];
    for (int side = 0; side < 2; side++) {
      double *q = v + (size_t)side * Q_PER_SIDE * w;
      q[x] = on[side];
      for (int c = 0; c < 3; c++) q[(1 + c) * w + x] = on[side] * I[3 * x + c];
      q[4 * w + x] = on[side] * n2;
    }
  }
}

static void local_out(void *user, int y, const double *m) {
  local_job *j = user;
  const int w = j->alpha->width;
  const float *A = dm_row(j->alpha, y);
  float *out[2] = {dm_row(j->fg, y), dm_row(j->bg, y)};
  uint8_t *have = j->have + (size_t)y * w;
  float *spread = j->spread + (size_t)y * w;
  for (int x = 0; x < w; x++) {
    if (!dm_matte_soft(A[x])) continue;
    for (int side = 0; side < 2; side++) {
      const double *q = m + (size_t)side * Q_PER_SIDE * w;
      if ((have[x] & (1 << side)) || q[x] < MIN_SHARE) continue;
      double mean2 = 0;
      for (int c = 0; c < 3; c++) {
        double mc = q[(1 + c) * w + x] / q[x];
        out[side][3 * x + c] = (float)mc, mean2 += mc * mc;
      }
      double var = q[4 * w + x] / q[x] - mean2;
      spread[x] += var > 0 ? (float)var : 0.0f;
      have[x] |= (uint8_t)(1 << side);
    }
  }
}

typedef struct project_job {
  const dm_image *rgb, *fg, *bg;
  const float *spread;
  const uint8_t *have;
  dm_image *alpha;
} project_job;

static void project_rows(void *user, int ith, int nth) {
  project_job *j = user;
  int y0, y1;
  dm_split_rows(j->alpha->height, ith, nth, &y0, &y1);
  for (int y = y0; y < y1; y++) {
    const float *I = dm_row(j->rgb, y), *F = dm_row(j->fg, y), *B = dm_row(j->bg, y);
    const uint8_t *have = j->have + (size_t)y * j->alpha->width;
    const float *spread = j->spread + (size_t)y * j->alpha->width;
    float *A = dm_row(j->alpha, y);
    for (int x = 0; x < j->alpha->width; x++) {
      if (!dm_matte_soft(A[x]) || have[x] != 3) continue;
      float dd = 0.0f, dot = 0.0f;
      for (int c = 0; c < 3; c++) {
        float d = F[3 * x + c] - B[3 * x + c];
        dd += d * d, dot += (I[3 * x + c] - B[3 * x + c]) * d;
      }
      if (!(dd > 0.0f)) continue;
      float a = dot / dd, wgt = dd / (dd + spread[x] + NOISE * NOISE);
      /* how far I lies off the line through B̂ and F̂, against their
       * distance: at half of it a third colour explains I as well as any
       * mix of the two (a part of the subject the confident pixels do not
       * show), and the network's alpha stands */
      float off = 0.0f;
      for (int c = 0; c < 3; c++) {
        float r = I[3 * x + c] - B[3 * x + c] - a * (F[3 * x + c] - B[3 * x + c]);
        off += r * r;
      }
      float rho = sqrtf(off / dd);
      wgt *= rho < 0.5f ? 1.0f - 2.0f * rho : 0.0f;
      a = a < 0.0f ? 0.0f : (a > 1.0f ? 1.0f : a);
      A[x] += wgt * (a - A[x]);
    }
  }
}

/* One block of the photo: the local colours, a', the smoothing, all on a
 * tile that reaches TILE_MARGIN past the block (the widest window plus the
 * smoothing's two pixels), so the block's results are those of the whole
 * photo; they go to `out` (the photo's size) for the block's soft pixels. */
static dm_status reestimate_tile(dm_context *ctx, const dm_image *rgb, const dm_image *alpha,
                                 int bx0, int by0, int bx1, int by1, dm_image *out) {
  int tx0 = bx0 - TILE_MARGIN, ty0 = by0 - TILE_MARGIN, tx1 = bx1 + TILE_MARGIN, ty1 = by1 + TILE_MARGIN;
  tx0 = tx0 < 0 ? 0 : tx0, ty0 = ty0 < 0 ? 0 : ty0;
  tx1 = tx1 > alpha->width ? alpha->width : tx1, ty1 = ty1 > alpha->height ? alpha->height : ty1;
  const int w = tx1 - tx0, h = ty1 - ty0;
  dm_image I = dm_image_view(rgb, tx0, ty0, w, h), A0 = dm_image_view(alpha, tx0, ty0, w, h);
  dm_image a = {0}, fg = {0}, bg = {0}, smooth = {0};
  uint8_t *have = calloc((size_t)w * h, 1);
  float *spread = calloc((size_t)w * h, sizeof *spread);
  dm_status s = have && spread ? DM_OK : dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for the matte");
  if (!s) s = dm_image_copy(ctx, &a, &A0);
  if (!s) s = dm_image_alloc(ctx, &fg, w, h, 3);
  if (!s) s = dm_image_alloc(ctx, &bg, w, h, 3);
  local_job j = {&I, &a, &fg, &bg, spread, have};
  for (int r = 0; r < N_RADII && !s; r++) {
    dm_box_stream b = {w, h, Q_ALL, radii[r], local_in, local_out, &j};
    s = dm_box_means(ctx, &b);
  }
  if (!s) {
    project_job p = {&I, &fg, &bg, spread, have, &a};
    dm_parallel(ctx, project_rows, &p);
  }
  /* a' of single pixels carries the photo's noise: smoothed along the
   * photo's edges (3x3 guided filter), then settled where as confident as
   * the pixels F̂ and B̂ came from */
  if (!s) s = dm_guided_filter(ctx, &I, &a, 1, SMOOTH_EPS, &smooth);
  for (int y = by0; !s && y < by1; y++) {
    const float *b = dm_row(&A0, y - ty0), *m = dm_row(&smooth, y - ty0);
    float *o = dm_row(out, y);
    for (int x = bx0; x < bx1; x++) {
      if (!dm_matte_soft(b[x - tx0])) continue;
      float v = m[x - tx0];
      o[x] = v <= SURE ? 0.0f : (v >= 1.0f - SURE ? 1.0f : v);
    }
  }
  dm_image_free(&a);
  dm_image_free(&smooth);
  free(have);
  free(spread);
  dm_image_free(&fg);
  dm_image_free(&bg);
  return s;
}

/* One round over the blocks that hold soft pixels (the rest of the photo
 * has nothing to re-estimate): each reads the round's alpha, writes its own
 * block of the next. */
static dm_status reestimate(dm_context *ctx, const dm_image *rgb, dm_image *alpha) {
  dm_image next = {0};
  dm_status s = dm_image_copy(ctx, &next, alpha);
  for (int by = 0; !s && by < alpha->height; by += TILE_BLOCK)
    for (int bx = 0; !s && bx < alpha->width; bx += TILE_BLOCK) {
      int bx1 = bx + TILE_BLOCK < alpha->width ? bx + TILE_BLOCK : alpha->width;
      int by1 = by + TILE_BLOCK < alpha->height ? by + TILE_BLOCK : alpha->height, any = 0;
      for (int y = by; y < by1 && !any; y++)
        for (int x = bx; x < bx1 && !any; x++) any = dm_matte_soft(dm_row(alpha, y)[x]);
      if (any) s = reestimate_tile(ctx, rgb, alpha, bx, by, bx1, by1, &next);
    }
  for (int y = 0; !s && y < alpha->height; y++)
    memcpy(dm_row(alpha, y), dm_row(&next, y), (size_t)alpha->width * sizeof(float));
  dm_image_free(&next);
  return s;
}

dm_status dm_matte_clean(dm_context *ctx, dm_image *alpha) {
  const int w = alpha->width, h = alpha->height;
  const size_t n = (size_t)w * h;
  /* 0 unvisited, 1 connected to the subject; a flood fill from every pixel
   * of at least 0.5 through pixels of at least CLEAN (explicit stack). */
  uint8_t *seen = calloc(n, 1);
  uint32_t *stack = malloc(n * sizeof *stack);
  if (!seen || !stack) {
    free(seen), free(stack);
    return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory cleaning the matte");
  }
  size_t top = 0;
  for (int y = 0; y < h; y++) {
    const float *A = dm_row(alpha, y);
    for (int x = 0; x < w; x++)
      if (A[x] >= 0.5f) seen[(size_t)y * w + x] = 1, stack[top++] = (uint32_t)((size_t)y * w + x);
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
  /* Below CLEAN: kept only next to the connected region (an edge's tail). */
  for (int y = 0; y < h; y++) {
    float *A = dm_row(alpha, y);
    for (int x = 0; x < w; x++) {
      if (A[x] <= 0.0f || A[x] >= CLEAN || seen[(size_t)y * w + x]) continue;
      int near = 0;
      for (int dy = -1; dy <= 1 && !near; dy++)
        for (int dx = -1; dx <= 1 && !near; dx++) {
          int xx = x + dx, yy = y + dy;
          near = xx >= 0 && yy >= 0 && xx < w && yy < h && seen[(size_t)yy * w + xx];
        }
      if (!near) A[x] = 0.0f;
    }
  }
  free(seen), free(stack);
  return DM_OK;
}

dm_status dm_matte_from_colour(dm_context *ctx, const dm_image *rgb, dm_image *alpha) {
  dm_status s = DM_OK;
  for (int round = 0; round < ROUNDS && !s; round++) s = reestimate(ctx, rgb, alpha);
  return s ? s : dm_matte_clean(ctx, alpha);
}

void dm_matte_layers_free(dm_matte_layers *L) {
  free(L->row_start), free(L->x), free(L->fg), free(L->bg);
  memset(L, 0, sizeof *L);
}

dm_status dm_matte_layers_build(dm_context *ctx, const dm_image *rgb, const dm_image *alpha,
                                dm_matte_layers *out) {
  memset(out, 0, sizeof *out);
  const int w = alpha->width, h = alpha->height;
  size_t n = 0;
  for (int y = 0; y < h; y++) {
    const float *A = dm_row(alpha, y);
    for (int x = 0; x < w; x++) n += dm_matte_soft(A[x]);
  }
  out->width = w, out->height = h, out->n = n;
  out->row_start = malloc(((size_t)h + 1) * sizeof *out->row_start);
  out->x = malloc((n ? n : 1) * sizeof *out->x);
  out->fg = malloc((n ? n : 1) * 3 * sizeof *out->fg);
  out->bg = malloc((n ? n : 1) * 3 * sizeof *out->bg);
  if (!out->row_start || !out->x || !out->fg || !out->bg) {
    dm_matte_layers_free(out);
    return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for the matte's layers");
  }
  size_t k = 0;
  for (int y = 0; y < h; y++) {
    const float *A = dm_row(alpha, y);
    out->row_start[y] = k;
    for (int x = 0; x < w; x++)
      if (dm_matte_soft(A[x])) out->x[k++] = x;
  }
  out->row_start[h] = k;
  dm_status s = n ? dm_matte_estimate_fb(ctx, rgb, alpha, out) : DM_OK;
  if (s) {
    dm_matte_layers_free(out);
    return s;
  }
  /* The estimate keeps F and B non-negative, so where the photo is darker
   * than any mix of them (a dark rim) a·F + (1 − a)·B overshoots it. The
   * residual is split between them by least squares, neither below 0, so
   * the layers put back together are the photo exactly: an edit that
   * leaves a layer alone leaves the pixel alone. */
  for (int y = 0; y < h; y++)
    for (size_t j = out->row_start[y]; j < out->row_start[y + 1]; j++) {
      const float *I = dm_px(rgb, out->x[j], y);
      float a = dm_px(alpha, out->x[j], y)[0], D = a * a + (1.0f - a) * (1.0f - a);
      for (int c = 0; c < 3; c++) {
        float *F = out->fg + 3 * j + c, *B = out->bg + 3 * j + c;
        float r = I[c] - a * *F - (1.0f - a) * *B;
        *F += a * r / D, *B += (1.0f - a) * r / D;
        if (*F < 0.0f) *F = 0.0f, *B = I[c] / (1.0f - a);
        if (*B < 0.0f) *B = 0.0f, *F = I[c] / a;
      }
    }
  return DM_OK;
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
  out->x = malloc((n ? n : 1) * sizeof *out->x);
  out->fg = malloc((n ? n : 1) * 3 * sizeof *out->fg);
  out->bg = malloc((n ? n : 1) * 3 * sizeof *out->bg);
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
