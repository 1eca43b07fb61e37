/* Scatter-as-gather with per-row spans.
 *
 * Every source pixel spreads its light over its own aperture-shaped CoC.
 * A kernel row is a span [a, b] with a density, so instead of touching
 * every pixel under the kernel a source writes the span's two fractional
 * edges into a row-difference buffer (two taps of two cells each,
 * shape.c); one prefix sum per row at the end turns the edges into the
 * spread light. A source costs 2 writes per kernel row, i.e. O(radius)
 * instead of O(radius²), and since slices with a CoC over BL_R0 px scatter
 * on a 2^L-downsampled grid where their radius is at most BL_R0, no source
 * ever costs more than 2·(2·BL_REACH + 1) writes, whatever the blur.
 *
 * Rows and columns beyond the frame are reflected back into it, so the
 * blur neither darkens nor loses light at the borders. Sums run in double
 * so that long rows of +/- edges cancel exactly. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "blur/blur_internal.h"
#include "core/pool.h"

/* c += w·v on one RGBA cell: the inner operation of every scatter. One
 * SSE multiply-add where the target has SSE (every x86-64), else scalar. */
#if defined(__SSE2__)
#include <xmmintrin.h>
typedef __m128 vec4;
static inline vec4 load4(const float *v) { return _mm_loadu_ps(v); }
static inline void add4(float *c, float w, vec4 v) {
  _mm_storeu_ps(c, _mm_add_ps(_mm_loadu_ps(c), _mm_mul_ps(_mm_set1_ps(w), v)));
}
#else
typedef struct vec4 {
  float x[4];
} vec4;
static inline vec4 load4(const float *v) {
  vec4 r = {{v[0], v[1], v[2], v[3]}};
  return r;
}
static inline void add4(float *c, float w, vec4 v) {
  for (int i = 0; i < 4; i++) c[i] += w * v.x[i];
}
#endif

/* A tap's two cells are adjacent: with AVX one 8-float multiply and add,
 * the same arithmetic as two add4 (no fused multiply-add), so results do
 * not depend on the machine. */
#if defined(__x86_64__) && defined(__GNUC__)
#define DM_SCATTER_AVX 1
#include <immintrin.h>
__attribute__((target("avx"))) static void taps_avx(const bl_tap *t, const bl_tap *e,
                                                   const bl_rows *r, int x, int y,
                                                   const float v[4]) {
  __m256 vv = _mm256_broadcast_ps((const __m128 *)(const void *)v);
  int cur = INT_MIN;
  float *row = NULL;
  for (; t < e; t++) {
    if (t->dy != cur) {
      cur = t->dy;
      row = bl_rows_at(r, y + cur);
    }
    if (!row) continue;
    float *c = row + 4 * (x + t->dx);
    __m256 w = _mm256_set_m128(_mm_set1_ps(t->w1), _mm_set1_ps(t->w0));
    _mm256_storeu_ps(c, _mm256_add_ps(_mm256_loadu_ps(c), _mm256_mul_ps(w, vv)));
  }
}
#else
#define DM_SCATTER_AVX 0
#endif

/* The cat's eye (mechanical vignetting): towards the frame's edges the
 * aperture is cut by the lens barrel, seen as a second disc offset along
 * the direction to the centre; the bokeh is the lens-shaped overlap. Here
 * the kernel is clipped by two discs of its radius offset by ±o/2 (o up to
 * 1.2 radii at the corners), so the overlap stays centred on the source,
 * and renormalised so the light is kept. */
static int cat_clip(const bl_span *p, float rho, float ox, float oy, float *a, float *b) {
  *a = p->a, *b = p->b;
  for (int sgn = -1; sgn <= 1; sgn += 2) {
    float dd = p->dy - sgn * 0.5f * oy;
    if (fabsf(dd) >= rho) return 0;
    float half = sqrtf(rho * rho - dd * dd), cx = sgn * 0.5f * ox;
    *a = fmaxf(*a, cx - half), *b = fminf(*b, cx + half);
  }
  return *b > *a;
}

static void scatter_cat(const bl_kernels *k, const bl_rows *r, int x, int y, int q,
                        vec4 v, float cu, float cv) {
  float rho = (float)q / BL_Q;
  float ox = 1.2f * k->cat_eye * rho * cu, oy = 1.2f * k->cat_eye * rho * cv;
  const bl_span *s = k->spans + k->span0[q], *e = k->spans + k->span0[q + 1];
  double mass = 0.0;
  for (const bl_span *p = s; p < e; p++) {
    float a, b;
    if (cat_clip(p, rho, ox, oy, &a, &b)) mass += (double)p->d * (b - a);
  }
  if (!(mass > 1e-6)) { /* clipped away entirely: keep the light in place */
    float *row = bl_rows_at(r, y);
    if (row) {
      add4(row + 4 * x, 1.0f, v);
      add4(row + 4 * (x + 1), -1.0f, v);
    }
    return;
  }
  float norm = (float)(1.0 / mass);
  for (const bl_span *p = s; p < e; p++) {
    float a, b;
    if (!cat_clip(p, rho, ox, oy, &a, &b)) continue;
    float *row = bl_rows_at(r, y + p->dy);
    if (!row) continue;
    float d = p->d * norm;
    float xa = a + 0.5f, xb = b + 0.5f;
    int ia = (int)floorf(xa), ib = (int)floorf(xb);
    float fa = xa - ia, fb = xb - ib;
    add4(row + 4 * (x + ia), d * (1.0f - fa), v);
    add4(row + 4 * (x + ia + 1), d * fa, v);
    add4(row + 4 * (x + ib), -d * (1.0f - fb), v);
    add4(row + 4 * (x + ib + 1), -d * fb, v);
  }
}

void bl_scatter(const bl_kernels *k, const bl_rows *r, int x, int y, float radius,
                const float v[4], float cat_u, float cat_v) {
  int q = bl_kernel_index(k, radius);
  if (r->point && q < BL_Q / 2) { /* the whole kernel lies in the source's own pixel */
    if (y >= r->y0 && y < r->y1) {
      float *c = r->point + (size_t)(y - r->y0) * r->stride + 4 * BL_PAD + 4 * x;
      c[0] += v[0], c[1] += v[1], c[2] += v[2], c[3] += v[3];
    }
    return;
  }
  if (k->cat_eye > 0.0f && q > BL_Q / 2) {
    scatter_cat(k, r, x, y, q, load4(v), cat_u, cat_v);
    return;
  }
  const bl_tap *t = k->taps + k->tap0[q], *e = k->taps + k->tap0[q + 1];
#if DM_SCATTER_AVX
  if (k->avx) {
    taps_avx(t, e, r, x, y, v);
    return;
  }
#endif
  vec4 vv = load4(v);
  int cur = INT_MIN;
  float *row = NULL;
  for (; t < e; t++) {
    if (t->dy != cur) {
      cur = t->dy;
      row = bl_rows_at(r, y + cur);
    }
    if (!row) continue;
    add4(row + 4 * (x + t->dx), t->w0, vv);
    add4(row + 4 * (x + t->dx + 1), t->w1, vv);
  }
}

void bl_rows_finish(const bl_rows *r) {
  int n = r->w + 2 * BL_PAD;
  for (int y = r->y0; y < r->y1; y++) {
    float *base = r->buf + (size_t)(y - r->y0) * r->stride;
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int i = 0; i < n; i++) {
      float *c = base + 4 * i;
      s0 += c[0], s1 += c[1], s2 += c[2], s3 += c[3];
      c[0] = (float)s0, c[1] = (float)s1, c[2] = (float)s2, c[3] = (float)s3;
    }
    float *row = base + 4 * BL_PAD;
    for (int m = -BL_PAD; m < 0; m++) {
      float *src = row + 4 * m, *dst = row + 4 * bl_mirror(m, r->w);
      for (int c = 0; c < 4; c++) dst[c] += src[c], src[c] = 0.0f;
    }
    for (int m = r->w; m < r->w + BL_PAD; m++) {
      float *src = row + 4 * m, *dst = row + 4 * bl_mirror(m, r->w);
      for (int c = 0; c < 4; c++) dst[c] += src[c], src[c] = 0.0f;
    }
    if (r->point) { /* taken in and cleared: the next slice finds it zero */
      float *pt = r->point + (size_t)(y - r->y0) * r->stride + 4 * BL_PAD;
      for (int i = 0; i < 4 * r->w; i++) row[i] += pt[i], pt[i] = 0.0f;
    }
  }
}

/* ---- coarse slices ------------------------------------------------------ */

typedef struct coarse_job {
  bl_state *st;
  const bl_slice *s;
  const float *srcbuf; /* 5 channels: premultiplied RGBA, radius (level px) */
  int reach;
  int zero; /* the accumulator holds the last image's: clear it first */
} coarse_job;

static void coarse_run(void *user, int ith, int nth) {
  coarse_job *j = user;
  const bl_slice *s = j->s;
  int y0, y1;
  dm_split_rows(s->ah, ith, nth, &y0, &y1);
  if (y0 >= y1) return;
  size_t stride = (size_t)(s->aw + 2 * BL_PAD) * 4;
  bl_rows r = {s->acc + (size_t)y0 * stride, stride, s->aw, s->ah, y0, y1, NULL, NULL, 0, 0};
  if (j->zero) memset(r.buf, 0, sizeof(float) * stride * (size_t)(y1 - y0));
  int sy0 = y0 - j->reach, sy1 = y1 + j->reach;
  if (sy0 < 0) sy0 = 0;
  if (sy1 > s->ah) sy1 = s->ah;
  /* every row a source in [sy0, sy1) can reach */
  float **rp = malloc(sizeof(float *) * (size_t)(sy1 - sy0 + 2 * j->reach + 2));
  if (rp) bl_rows_table(&r, rp, sy0 - j->reach - 1, sy1 + j->reach + 1);
  /* rows near the top or bottom also receive reflected light from sources
   * up to `reach` rows inside the frame */
  for (int y = sy0; y < sy1; y++) {
    for (int x = 0; x < s->aw; x++) {
      const float *c = j->srcbuf + ((size_t)y * s->aw + x) * 5;
      if (!(c[3] > 1e-7f)) continue;
      float u = 0, v = 0;
      if (j->st->kern.cat_eye > 0.0f) bl_frame_pos(j->st, s->level, (float)x, (float)y, &u, &v);
      bl_scatter(&j->st->kern, &r, x, y, c[4], c, u, v);
    }
  }
  bl_rows_finish(&r);
  bl_free(rp);
}

/* The layer a coarse slice scatters: its own content plus the fill where
 * nearer content hides it, and each cell's radius on the slice's grid. */
typedef struct layer_job {
  const bl_slice *s;
  float *own;
  const float *hidden;
  float scale;
} layer_job;

static void layer_cells(void *user, size_t i0, size_t i1) {
  const layer_job *j = user;
  const bl_slice *s = j->s;
  for (size_t i = i0; i < i1; i++) {
    float *o = j->own + i * 5;
    float hid = j->hidden[2 * i];
    if (s->fill && hid > 0.0f) {
      const float *f = s->fill + i * 4;
      if (f[3] >= 0.0f) {
        o[0] += hid * f[0], o[1] += hid * f[1], o[2] += hid * f[2];
        o[3] += hid;
        o[4] += hid * f[3];
      }
    }
    /* the tent down to this grid and the bilinear way back up each add a
     * variance of 1/6 cell² per axis; a disc of radius ρ has E[r²] = ρ²/2,
     * so ρ² - 4/3 keeps the spot's second moment, i.e. its size, true */
    float rho = o[3] > 0.0f ? o[4] / o[3] * j->scale : 0.0f;
    o[4] = rho * rho > 1.5f ? sqrtf(rho * rho - 4.0f / 3.0f) : 0.4f;
  }
}

dm_status bl_coarse_scatter(bl_state *st, int k, float *own, const float *hidden, int fw, int fh) {
  bl_slice *s = &st->slices[k];
  layer_job lj = {s, own, hidden, 1.0f / (float)(1 << s->level)};
  dm_parallel_range(st->ctx, (size_t)fw * fh, layer_cells, &lj);
  s->aw = fw, s->ah = fh;
  size_t stride = (size_t)(fw + 2 * BL_PAD) * 4;
  int zero = s->acc != NULL; /* a plan's, from the image before: each thread clears its rows */
  if (!s->acc) s->acc = bl_calloc((size_t)fh * stride, sizeof(float));
  if (!s->acc) return dm_fail(st->ctx, DM_ERR_NOMEM, NULL, "out of memory for the lens blur layers");
  int q = bl_kernel_index(&st->kern, s->rmax * lj.scale);
  coarse_job j = {st, s, own, st->kern.reach[q] + 1, zero};
  dm_parallel(st->ctx, coarse_run, &j);
  return DM_OK;
}
