/* Direct 2-D depthwise convolution (group == C, one input channel per
 * group, any channel multiplier, kernel size, stride, dilation and pads).
 * im2col would copy every input pixel kh*kw times for a K = kh*kw product
 * that sgemm cannot run fast; here each output row is accumulated in
 * registers over all taps at once. The columns whose taps all fall inside
 * the input use AVX2 (runtime-checked) for strides 1 and 2; the borders and
 * other strides go through the scalar loop. Each worker first copies the
 * rows its chunk needs into a zero-padded band, so that (for planes up to
 * DW_PAD_MAX_BYTES) every column counts as inside. */
#include <immintrin.h>
#include <string.h>

#include "core/pool.h"
#include "nn/conv_internal.h"

#define DW_MAX_K 16 /* taps per axis handled by the row kernels */
#define DW_PAD_MAX_BYTES (16u << 20) /* all threads' padded planes */
#define DW_SLACK 32 /* floats after a band that the last vector may read */

int nn_conv_dw_ok(const nn_conv_shape *sh) {
  return sh->w.nsp == 2 && sh->cg == 1 && sh->group > 1 && sh->w.k[0] <= DW_MAX_K &&
         sh->w.k[1] <= DW_MAX_K;
}

/* One output row: the valid input rows `rows[0..nr)` with their kernel
 * rows `wr[0..nr)` (kw taps each). */
typedef struct dw_row {
  const float *rows[DW_MAX_K];
  const float *wr[DW_MAX_K];
  int nr;
  int64_t kw, sw, dw, pl, iw;
  float bias;
} dw_row;

static float dw_point(const dw_row *r, int64_t ox) {
  float acc = r->bias;
  for (int i = 0; i < r->nr; i++)
    for (int64_t kx = 0; kx < r->kw; kx++) {
      int64_t ix = ox * r->sw + kx * r->dw - r->pl;
      if (ix >= 0 && ix < r->iw) acc += r->wr[i][kx] * r->rows[i][ix];
    }
  return acc;
}

/* Interior columns [x0, x1): every tap in range, no checks. */
static void dw_span_c(const dw_row *r, float *out, int64_t x0, int64_t x1) {
  for (int64_t ox = x0; ox < x1; ox++) {
    float acc = r->bias;
    const int64_t base = ox * r->sw - r->pl;
    for (int i = 0; i < r->nr; i++)
      for (int64_t kx = 0; kx < r->kw; kx++) acc += r->wr[i][kx] * r->rows[i][base + kx * r->dw];
    out[ox] = acc;
  }
}

/* The 8 floats p[0], p[2], ..., p[14]. */
__attribute__((target("avx2,fma"))) static inline __m256 even8(const float *p) {
  __m256 t = _mm256_shuffle_ps(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8), 0x88);
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), 0xD8));
}

/* Input tap i, kx of the 8 outputs from column ox. */
#define DW_LOAD(i, kx, ox) \
  (S == 1 ? _mm256_loadu_ps(row + (ox) + (kx) * dl) : even8(row + (ox) * 2 + (kx) * dl))

/* Columns [x0, x1), 16 then 8 at a time; returns the first column left for
 * the scalar loop. Stride 2 reads one float past the last tap, so the caller
 * trims x1 for it; `tail` (a padded band with slack) finishes the last
 * partial vector through a buffer instead. Even and odd kernel rows
 * accumulate apart, halving the FMA dependency chains. S and KW are
 * constants after inlining (KW 0: r->kw at run time). */
__attribute__((target("avx2,fma"), always_inline)) static inline int64_t
dw_span_t(const dw_row *r, float *out, int64_t x0, int64_t x1, int tail, const int S, const int KW) {
  const int64_t kw = KW ? KW : r->kw, dl = r->dw; /* locals: no reloads after stores */
  int64_t ox = x0;
  for (; ox + 16 <= x1; ox += 16) {
    __m256 a0 = _mm256_set1_ps(r->bias), a1 = a0, b0 = _mm256_setzero_ps(), b1 = b0;
    for (int i = 0; i < r->nr; i++) {
      const float *row = r->rows[i] - r->pl, *wr = r->wr[i];
#pragma GCC unroll 5
      for (int64_t kx = 0; kx < kw; kx++) {
        const __m256 w = _mm256_broadcast_ss(wr + kx);
        if (i & 1) {
          b0 = _mm256_fmadd_ps(w, DW_LOAD(i, kx, ox), b0);
          b1 = _mm256_fmadd_ps(w, DW_LOAD(i, kx, ox + 8), b1);
        } else {
          a0 = _mm256_fmadd_ps(w, DW_LOAD(i, kx, ox), a0);
          a1 = _mm256_fmadd_ps(w, DW_LOAD(i, kx, ox + 8), a1);
        }
      }
    }
    _mm256_storeu_ps(out + ox, _mm256_add_ps(a0, b0));
    _mm256_storeu_ps(out + ox + 8, _mm256_add_ps(a1, b1));
  }
  for (; ox < x1 && (ox + 8 <= x1 || tail); ox += 8) {
    __m256 a0 = _mm256_set1_ps(r->bias), b0 = _mm256_setzero_ps();
    for (int i = 0; i < r->nr; i++) {
      const float *row = r->rows[i] - r->pl, *wr = r->wr[i];
#pragma GCC unroll 5
      for (int64_t kx = 0; kx < kw; kx++) {
        const __m256 w = _mm256_broadcast_ss(wr + kx);
        if (i & 1) b0 = _mm256_fmadd_ps(w, DW_LOAD(i, kx, ox), b0);
        else a0 = _mm256_fmadd_ps(w, DW_LOAD(i, kx, ox), a0);
      }
    }
    a0 = _mm256_add_ps(a0, b0);
    if (ox + 8 <= x1) {
      _mm256_storeu_ps(out + ox, a0);
    } else {
      float tmp[8];
      _mm256_storeu_ps(tmp, a0);
      for (int i = 0; ox + i < x1; i++) out[ox + i] = tmp[i];
      return x1;
    }
  }
  return ox;
}

__attribute__((target("avx2,fma"))) static int64_t dw_span_avx2(const dw_row *r, float *out, int64_t x0,
                                                                  int64_t x1, int tail) {
  if (r->sw == 1)
    return r->kw == 3 ? dw_span_t(r, out, x0, x1, tail, 1, 3)
         : r->kw == 5 ? dw_span_t(r, out, x0, x1, tail, 1, 5)
                      : dw_span_t(r, out, x0, x1, tail, 1, 0);
  return r->kw == 3 ? dw_span_t(r, out, x0, x1, tail, 2, 3)
       : r->kw == 5 ? dw_span_t(r, out, x0, x1, tail, 2, 5)
                    : dw_span_t(r, out, x0, x1, tail, 2, 0);
}

/* The common case on its own path: a zero-padded band (every tap inside),
 * square 3x3 or 5x5 kernel, stride 1 or 2 on both axes, no dilation. The
 * taps are compile-time constants, so the rows need no pointer table, the
 * activation is applied in registers and the last partial vector goes out
 * through a masked store: FastDepth's small planes (14x14, 7x7) spent more
 * time in the general path's per-row bookkeeping than in the FMAs. */
__attribute__((target("avx2,fma"), always_inline)) static inline __m256
dw_act8(__m256 v, int kind, __m256 lo, __m256 hi) {
  if (kind == NN_ACT_NONE) return v;
  v = _mm256_max_ps(v, lo); /* lo for NaN, as nn_conv_act */
  return kind == NN_ACT_CLIP ? _mm256_min_ps(v, hi) : v;
}

/* Tap kx of the 8 outputs from column ox, `row` being the band row + ox.
 * At stride 2 the band rows are split by column parity (dw_split_row):
 * the taps are plain loads, even columns from the row's first half, odd
 * ones from its second (he floats on), where a gather of every other
 * float took two loads and two shuffles per tap. */
#define DW_TAP(row, kx) (S == 1 ? (row) + (kx) : (row) + ((kx) & 1) * he + ((kx) >> 1))

__attribute__((target("avx2,fma"), always_inline)) static inline void
dw_fast_t(const float *base, int64_t pw, const float *wk, float bias, float *out, int64_t ow, const nn_act *act,
          const int S, const int K) {
  const int kind = act->kind;
  const __m256 lo = _mm256_set1_ps(kind == NN_ACT_RELU ? 0.0f : act->lo), hi = _mm256_set1_ps(act->hi);
  const __m256 vb = _mm256_set1_ps(bias);
  const int64_t he = (pw + 1) / 2; /* stride 2: where a row's odd columns start */
  int64_t ox = 0;
  for (; ox + 16 <= ow; ox += 16) {
    __m256 a0 = vb, a1 = vb, b0 = _mm256_setzero_ps(), b1 = b0;
#pragma GCC unroll 5
    for (int ky = 0; ky < K; ky++) {
      const float *row = base + ky * pw + ox;
#pragma GCC unroll 5
      for (int kx = 0; kx < K; kx++) {
        const __m256 w = _mm256_broadcast_ss(wk + ky * K + kx);
        if (ky & 1) {
          b0 = _mm256_fmadd_ps(w, _mm256_loadu_ps(DW_TAP(row, kx)), b0);
          b1 = _mm256_fmadd_ps(w, _mm256_loadu_ps(DW_TAP(row, kx) + 8), b1);
        } else {
          a0 = _mm256_fmadd_ps(w, _mm256_loadu_ps(DW_TAP(row, kx)), a0);
          a1 = _mm256_fmadd_ps(w, _mm256_loadu_ps(DW_TAP(row, kx) + 8), a1);
        }
      }
    }
    _mm256_storeu_ps(out + ox, dw_act8(_mm256_add_ps(a0, b0), kind, lo, hi));
    _mm256_storeu_ps(out + ox + 8, dw_act8(_mm256_add_ps(a1, b1), kind, lo, hi));
  }
  for (; ox < ow; ox += 8) {
    __m256 a0 = vb, b0 = _mm256_setzero_ps();
#pragma GCC unroll 5
    for (int ky = 0; ky < K; ky++) {
      const float *row = base + ky * pw + ox;
#pragma GCC unroll 5
      for (int kx = 0; kx < K; kx++) {
        const __m256 w = _mm256_broadcast_ss(wk + ky * K + kx);
        if (ky & 1) b0 = _mm256_fmadd_ps(w, _mm256_loadu_ps(DW_TAP(row, kx)), b0);
        else a0 = _mm256_fmadd_ps(w, _mm256_loadu_ps(DW_TAP(row, kx)), a0);
      }
    }
    const __m256 v = dw_act8(_mm256_add_ps(a0, b0), kind, lo, hi);
    if (ox + 8 <= ow) {
      _mm256_storeu_ps(out + ox, v);
    } else { /* lanes past ow read band slack; only the valid ones are stored */
      const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
      _mm256_maskstore_ps(out + ox, _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(ow - ox)), lane), v);
    }
  }
}

/* Stride 1: output rows oy and oy + 1 together (out0, out1), from band rows
 * base[0..K]. Each input vector then feeds both rows' sums, which takes the
 * 5x5 kernel from two loads per FMA (one input, one weight) toward one. The
 * sums are split by input-row parity: 8 independent FMA chains. */
__attribute__((target("avx2,fma"), always_inline)) static inline void
dw_fast2_t(const float *base, int64_t pw, const float *wk, float bias, float *out0, float *out1, int64_t ow,
           const nn_act *act, const int K) {
  const int kind = act->kind;
  const __m256 lo = _mm256_set1_ps(kind == NN_ACT_RELU ? 0.0f : act->lo), hi = _mm256_set1_ps(act->hi);
  const __m256 vb = _mm256_set1_ps(bias), z = _mm256_setzero_ps();
  int64_t ox = 0;
  for (; ox + 16 <= ow; ox += 16) {
    __m256 a[2][2][2] = {{{vb, z}, {vb, z}}, {{vb, z}, {vb, z}}}; /* [out row][vector][parity] */
#pragma GCC unroll 6
    for (int i = 0; i <= K; i++) {
      const float *row = base + i * pw + ox;
#pragma GCC unroll 5
      for (int kx = 0; kx < K; kx++) {
        const __m256 x0 = _mm256_loadu_ps(row + kx), x1 = _mm256_loadu_ps(row + 8 + kx);
        if (i < K) {
          const __m256 w = _mm256_broadcast_ss(wk + i * K + kx);
          a[0][0][i & 1] = _mm256_fmadd_ps(w, x0, a[0][0][i & 1]);
          a[0][1][i & 1] = _mm256_fmadd_ps(w, x1, a[0][1][i & 1]);
        }
        if (i > 0) {
          const __m256 w = _mm256_broadcast_ss(wk + (i - 1) * K + kx);
          a[1][0][i & 1] = _mm256_fmadd_ps(w, x0, a[1][0][i & 1]);
          a[1][1][i & 1] = _mm256_fmadd_ps(w, x1, a[1][1][i & 1]);
        }
      }
    }
    _mm256_storeu_ps(out0 + ox, dw_act8(_mm256_add_ps(a[0][0][0], a[0][0][1]), kind, lo, hi));
    _mm256_storeu_ps(out0 + ox + 8, dw_act8(_mm256_add_ps(a[0][1][0], a[0][1][1]), kind, lo, hi));
    _mm256_storeu_ps(out1 + ox, dw_act8(_mm256_add_ps(a[1][0][0], a[1][0][1]), kind, lo, hi));
    _mm256_storeu_ps(out1 + ox + 8, dw_act8(_mm256_add_ps(a[1][1][0], a[1][1][1]), kind, lo, hi));
  }
  for (; ox < ow; ox += 8) {
    __m256 a[2][2] = {{vb, z}, {vb, z}};
#pragma GCC unroll 6
    for (int i = 0; i <= K; i++) {
      const float *row = base + i * pw + ox;
#pragma GCC unroll 5
      for (int kx = 0; kx < K; kx++) {
        const __m256 x0 = _mm256_loadu_ps(row + kx);
        if (i < K) a[0][i & 1] = _mm256_fmadd_ps(_mm256_broadcast_ss(wk + i * K + kx), x0, a[0][i & 1]);
        if (i > 0) a[1][i & 1] = _mm256_fmadd_ps(_mm256_broadcast_ss(wk + (i - 1) * K + kx), x0, a[1][i & 1]);
      }
    }
    const __m256 v0 = dw_act8(_mm256_add_ps(a[0][0], a[0][1]), kind, lo, hi);
    const __m256 v1 = dw_act8(_mm256_add_ps(a[1][0], a[1][1]), kind, lo, hi);
    if (ox + 8 <= ow) {
      _mm256_storeu_ps(out0 + ox, v0);
      _mm256_storeu_ps(out1 + ox, v1);
    } else {
      const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
      const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(ow - ox)), lane);
      _mm256_maskstore_ps(out0 + ox, m, v0);
      _mm256_maskstore_ps(out1 + ox, m, v1);
    }
  }
}

/* Output rows [oy0, oy1) of one plane from its band (padded row r0 first). */
__attribute__((target("avx2,fma"))) static void dw_fast(const float *band, int64_t r0, int64_t pw, const float *wk,
                                                       float bias, float *yp, int64_t ow, int64_t oy0, int64_t oy1,
                                                       const nn_act *act, int s, int k) {
  int64_t oy = oy0;
  for (; s == 1 && oy + 2 <= oy1; oy += 2) {
    const float *base = band + (oy - r0) * pw;
    float *out = yp + oy * ow;
    if (k == 3) dw_fast2_t(base, pw, wk, bias, out, out + ow, ow, act, 3);
    else dw_fast2_t(base, pw, wk, bias, out, out + ow, ow, act, 5);
  }
  for (; oy < oy1; oy++) {
    const float *base = band + (oy * s - r0) * pw;
    float *out = yp + oy * ow;
    if (s == 1 && k == 3) dw_fast_t(base, pw, wk, bias, out, ow, act, 1, 3);
    else if (s == 1) dw_fast_t(base, pw, wk, bias, out, ow, act, 1, 5);
    else if (k == 3) dw_fast_t(base, pw, wk, bias, out, ow, act, 2, 3);
    else dw_fast_t(base, pw, wk, bias, out, ow, act, 2, 5);
  }
}

static int dw_fast_ok(const nn_win *w) {
  return w->k[0] == w->k[1] && (w->k[0] == 3 || w->k[0] == 5) && w->s[0] == w->s[1] &&
         (w->s[0] == 1 || w->s[0] == 2) && w->d[0] == 1 && w->d[1] == 1;
}

typedef struct dw_job {
  const nn_conv_plan *p;
  const float *x, *wt, *bias;
  float *y, *scratch;
  const nn_act *act;
  int64_t chunks; /* row chunks per plane */
  int64_t per_item; /* planes per item (chunks == 1) */
  int avx2, fast;   /* fast: dw_fast on the padded bands */
  atomic_llong next;
} dw_job;

/* Where input rows come from: the plane itself (pads by bounds checks), or
 * a zero-padded copy of the rows a chunk needs (every tap in range). Row iy
 * is at p + (iy - row0) * stride; rows outside [0, ih) are padding. */
typedef struct dw_src {
  const float *p;
  int64_t row0, ih, stride, iw, pt, pl;
  int padded; /* all taps inside, and DW_SLACK floats readable past the end */
} dw_src;

static void dw_rows(const dw_job *j, const dw_src *src, int64_t m, float *yp, int64_t oy0, int64_t oy1) {
  const nn_conv_shape *sh = &j->p->sh;
  const nn_win *w = &sh->w;
  const int64_t ow = w->out[1], kh = w->k[0], kw = w->k[1];
  const float *wk = j->wt + m * kh * kw;
  dw_row r = {.kw = kw, .sw = w->s[1], .dw = w->d[1], .pl = src->pl, .iw = src->iw,
              .bias = j->bias ? j->bias[m] : 0.0f};
  /* Columns whose taps are all inside; stride 2 vectors need one float more. */
  int64_t xlo = (r.pl + r.sw - 1) / r.sw;
  int64_t reach = r.iw - 1 - (kw - 1) * r.dw + r.pl; /* last ox * sw allowed */
  int64_t xhi = reach < 0 ? 0 : reach / r.sw + 1;
  int64_t xhv = r.sw == 2 ? (reach - 1 < 0 ? 0 : (reach - 1) / 2 + 1) : xhi;
  if (xhi > ow) xhi = ow;
  if (xhv > xhi) xhv = xhi;
  if (xlo > xhi) xlo = xhi;
  for (int64_t oy = oy0; oy < oy1; oy++) {
    r.nr = 0;
    for (int64_t ky = 0; ky < kh; ky++) {
      int64_t iy = oy * w->s[0] + ky * w->d[0] - src->pt;
      if (iy < 0 || iy >= src->ih) continue;
      r.rows[r.nr] = src->p + (iy - src->row0) * src->stride;
      r.wr[r.nr++] = wk + ky * kw;
    }
    float *out = yp + oy * ow;
    for (int64_t ox = 0; ox < xlo; ox++) out[ox] = dw_point(&r, ox);
    int64_t ox = xlo;
    if (j->avx2 && (r.sw == 1 || r.sw == 2) && src->padded) ox = dw_span_avx2(&r, out, 0, ow, 1);
    else if (j->avx2 && (r.sw == 1 || r.sw == 2) && xhv > xlo) ox = dw_span_avx2(&r, out, xlo, xhv, 0);
    dw_span_c(&r, out, ox, xhi);
    for (ox = xhi; ox < ow; ox++) out[ox] = dw_point(&r, ox);
    nn_conv_act(j->act, out, (size_t)ow);
  }
}

/* src[0..iw) as the padded columns pl.. of a band row split by column
 * parity: column c at dst[c / 2] when even, at dst[he + c / 2] when odd.
 * Only those places are written (the pads keep their zeros). */
__attribute__((target("avx2,fma"))) static void dw_split_row(float *dst, const float *src, int64_t iw, int64_t pl,
                                                              int64_t he) {
  /* src[2i] is column 2i + pl, src[2i + 1] column 2i + 1 + pl */
  float *ev = dst + (pl & 1 ? he : 0) + (pl >> 1), *od = dst + (pl & 1 ? 0 : he) + ((pl + 1) >> 1);
  int64_t i = 0;
  for (; 2 * i + 16 <= iw; i += 8) {
    const __m256 v0 = _mm256_loadu_ps(src + 2 * i), v1 = _mm256_loadu_ps(src + 2 * i + 8);
    const __m256 e = _mm256_shuffle_ps(v0, v1, 0x88), o = _mm256_shuffle_ps(v0, v1, 0xDD);
    _mm256_storeu_ps(ev + i, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), 0xD8)));
    _mm256_storeu_ps(od + i, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), 0xD8)));
  }
  if (2 * i + 8 <= iw) { /* FastDepth's widths 56, 28 and 14 end in 8 or more */
    const __m128 v0 = _mm_loadu_ps(src + 2 * i), v1 = _mm_loadu_ps(src + 2 * i + 4);
    _mm_storeu_ps(ev + i, _mm_shuffle_ps(v0, v1, 0x88));
    _mm_storeu_ps(od + i, _mm_shuffle_ps(v0, v1, 0xDD));
    i += 4;
  }
  for (int64_t x = 2 * i; x < iw; x++) (x & 1 ? od : ev)[x >> 1] = src[x];
}

/* Input row iy into band row dst: plain, or split by column parity. */
static void dw_put_row(const nn_win *w, const float *xin, int64_t iy, float *dst, int64_t pw, int split) {
  const int64_t iw = w->in[1], pl = w->pb[1];
  if (split) dw_split_row(dst, xin + iy * iw, iw, pl, (pw + 1) / 2);
  else memcpy(dst + pl, xin + iy * iw, (size_t)iw * sizeof *dst);
}

/* Padded rows [r0, r1) (padded coordinates) of input plane xin into band. */
static void dw_pad_rows(const nn_win *w, const float *xin, float *band, int64_t r0, int64_t r1, int64_t pw,
                        int split) {
  const int64_t ih = w->in[0], iw = w->in[1], pt = w->pb[0], pl = w->pb[1];
  for (int64_t r = r0; r < r1; r++) {
    float *dst = band + (r - r0) * pw;
    int64_t iy = r - pt;
    if (iy < 0 || iy >= ih || split) { /* split rows: pads all over the row */
      memset(dst, 0, (size_t)pw * sizeof *dst);
      if (iy >= 0 && iy < ih) dw_put_row(w, xin, iy, dst, pw, split);
      continue;
    }
    memset(dst, 0, (size_t)pl * sizeof *dst);
    dw_put_row(w, xin, iy, dst, pw, 0);
    memset(dst + pl + iw, 0, (size_t)(pw - pl - iw) * sizeof *dst);
  }
}

/* The input rows of a plane into a band of padded rows [0, r1) whose
 * border is already zero. */
static void dw_copy_interior(const nn_win *w, const float *xin, float *band, int64_t r1, int64_t pw, int split) {
  const int64_t ih = w->in[0], pt = w->pb[0];
  const int64_t y1 = r1 - pt < ih ? r1 - pt : ih;
  for (int64_t iy = pt < 0 ? -pt : 0; iy < y1; iy++) dw_put_row(w, xin, iy, band + (iy + pt) * pw, pw, split);
}

static void dw_worker(void *user, int ith, int nth) {
  dw_job *j = user;
  const nn_conv_plan *p = j->p;
  const nn_conv_shape *sh = &p->sh;
  const nn_win *w = &sh->w;
  if (nth > p->slots) nth = p->slots;
  if (ith >= nth) return;
  const int64_t oh = w->out[0], planes = sh->n * sh->m;
  const int64_t items = (planes + j->per_item - 1) / j->per_item * j->chunks;
  const int64_t pw = w->in[1] + w->pb[1] + w->pe[1];
  float *band = p->slot_floats ? j->scratch + (size_t)ith * p->slot_floats : NULL;
  /* Whole planes: the band's pad border is the same zeros for every plane,
   * so it is cleared once here and only the interior copied per plane. */
  const int whole = band && j->chunks == 1;
  const int split = j->fast && w->s[1] == 2; /* the band layout dw_fast reads at stride 2 */
  int cleared = 0;
  for (int64_t it; (it = nn_conv_next(&j->next)) < items;) {
    const int64_t c = it % j->chunks, p0 = it / j->chunks * j->per_item;
    const int64_t p1 = p0 + j->per_item < planes ? p0 + j->per_item : planes;
    const int64_t oy0 = oh * c / j->chunks, oy1 = oh * (c + 1) / j->chunks;
    for (int64_t plane = p0; plane < p1 && oy1 > oy0; plane++) {
      const int64_t n = plane / sh->m, m = plane % sh->m, ci = m / sh->mg;
      const float *xin = j->x + (n * sh->c + ci) * w->in_prod;
      float *yp = j->y + plane * w->out_prod;
      dw_src src = {xin, 0, w->in[0], w->in[1], w->in[1], w->pb[0], w->pb[1], 0};
      if (band) {
        int64_t r0 = oy0 * w->s[0], r1 = (oy1 - 1) * w->s[0] + (w->k[0] - 1) * w->d[0] + 1;
        if (!whole) {
          dw_pad_rows(w, xin, band, r0, r1, pw, split);
        } else {
          if (!cleared) memset(band, 0, (size_t)(r1 * pw) * sizeof *band), cleared = 1;
          dw_copy_interior(w, xin, band, r1, pw, split);
        }
        if (j->fast) {
          dw_fast(band, r0, pw, j->wt + m * w->kprod, j->bias ? j->bias[m] : 0.0f, yp, w->out[1], oy0, oy1, j->act,
                  (int)w->s[0], (int)w->k[0]);
          continue;
        }
        src = (dw_src){band, r0, r1, pw, pw, 0, 0, 1};
      }
      dw_rows(j, &src, m, yp, oy0, oy1);
    }
  }
}

int nn_conv_dw_fast(const nn_conv_plan *p) {
  return p->smallk != NN_SMALLK_NONE && p->slot_floats && dw_fast_ok(&p->sh.w);
}

void nn_conv_dw_plan(nn_conv_plan *p, int n_threads) {
  const nn_win *w = &p->sh.w;
  /* the padded rows of a whole plane, when that is not too much to copy */
  int64_t ph = (w->out[0] - 1) * w->s[0] + (w->k[0] - 1) * w->d[0] + 1;
  int64_t pw = w->in[1] + w->pb[1] + w->pe[1];
  __builtin_cpu_init();
  int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  p->smallk = avx2 ? NN_SMALLK_AVX2 : NN_SMALLK_NONE;
  p->slots = n_threads;
  p->tile = w->out_prod;
  p->msplit = 1;
  int64_t slot = ph * pw + DW_SLACK;
  p->slot_floats = slot * (int64_t)sizeof(float) * n_threads <= DW_PAD_MAX_BYTES ? (size_t)slot : 0;
}

void nn_conv_dw_run(nn_kctx *k, const nn_conv_plan *p, const float *x, const float *wt,
                    const float *bias, float *y) {
  dw_job j = {p, x, wt, bias, y, k->scratch, &k->node->act, 1, 1, 0, 0, 0};
  const int64_t planes = p->sh.n * p->sh.m, oh = p->sh.w.out[0];
  int nt = k->ctx && k->ctx->n_threads > 1 ? k->ctx->n_threads : 1;
  const int64_t want = NN_CONV_ITEMS_PER_THREAD * nt;
  if (planes < want) j.chunks = (want + planes - 1) / planes < oh ? (want + planes - 1) / planes : oh;
  /* many small planes: a few to an item, so the shared counter is not hit per plane */
  else if (planes >= 4 * want) j.per_item = planes / (4 * want);
  j.avx2 = p->smallk != NN_SMALLK_NONE;
  j.fast = nn_conv_dw_fast(p);
  dm_parallel(k->ctx, dw_worker, &j);
}
