/* Private interface of the local adjustment ops (src/adjust only).
 *
 * Each op file (exposure.c, ...) defines one dm_adj_op: its slider's
 * dm_param entry and a span kernel. adjust.c lists the ops in pipeline
 * order and runs them fused, one pass over the image per "barrier": every
 * row is cut into spans of at most DM_ADJ_SPAN pixels, and each active op
 * transforms the span in turn while it is in cache.
 *
 * Two domains:
 *   DM_ADJ_RGB  the op reads and writes the span's linear RGB pixels.
 *   DM_ADJ_LOG  the op reads and writes `lum` = log2(Y / 0.18), the
 *               luminance in stops from middle grey, and, to keep them
 *               consistent, the edge-aware base layers of that luminance.
 *               After the last LOG op the runner multiplies RGB by
 *               2^(lum - lum_before): tone ops change luminance only and
 *               keep hue and chroma ratios (no sign change, so no negative
 *               values are made).
 *
 * The strength at a pixel is value x w[i], w = mask x amount (0..2). A
 * pixel whose w is 0 must come out bit-identical: RGB kernels leave it
 * alone, LOG kernels add exactly 0 to its luminance (and 2^0 is exactly 1). */
#ifndef DM_ADJUST_OP_H
#define DM_ADJUST_OP_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "adjust/adjust.h"
#include "color/color.h"

#define DM_ADJ_SPAN 256        /* pixels per span (stack scratch in the runner) */
#define DM_ADJ_GREY 0.18f      /* middle grey: lum = 0 */
#define DM_ADJ_Y_FLOOR 1e-7f   /* luminance floor before log2 (~ -21 stops) */

/* ---- planes: small single-channel float images for analysis ---------- */

typedef struct dm_adj_plane {
  float *p;
  int w, h;
} dm_adj_plane;

dm_status dm_adj_plane_alloc(dm_context *ctx, dm_adj_plane *pl, int w, int h);
void dm_adj_plane_free(dm_adj_plane *pl);
static inline float *dm_adj_prow(const dm_adj_plane *pl, int y) { return pl->p + (size_t)y * (size_t)pl->w; }

/* Run fn(user, y0, y1) over rows [0, h) split across the context's threads. */
typedef void (*dm_adj_rows_fn)(void *user, int y0, int y1);
void dm_adj_parallel_rows(dm_context *ctx, int h, dm_adj_rows_fn fn, void *user);

/* Guided filter (He et al.) coefficients, already box-averaged: the
 * filtered value at a pixel is a * I + b. `p == I` is the self-guided
 * (edge-preserving smoothing) case. Outputs are allocated by the caller
 * with I's size. Every mean is a box filter over the (2r+1)^2
 * window clipped to the plane, by running sums (cost independent of r),
 * rows then columns, threaded. */
dm_status dm_adj_guided(dm_context *ctx, const dm_adj_plane *I, const dm_adj_plane *p, int r,
                        float eps, dm_adj_plane *a, dm_adj_plane *b);

/* Bilinear lookup of a low-resolution plane whose pixel j covers full-size
 * pixels [j*s, (j+1)*s). */
typedef struct dm_adj_grid {
  int s, lw, lh;
  int *xi;     /* per full-size column: left low-res column */
  float *xf;   /* and the weight of the right one */
} dm_adj_grid;

dm_status dm_adj_grid_init(dm_context *ctx, dm_adj_grid *g, int width, int height, int s);
void dm_adj_grid_free(dm_adj_grid *g);
/* Low-res rows and weight for full-size row y. */
static inline void dm_adj_grid_row(const dm_adj_grid *g, int y, int *i0, int *i1, float *fy) {
  float v = ((float)y + 0.5f) / (float)g->s - 0.5f;
  if (v < 0) v = 0;
  if (v > (float)(g->lh - 1)) v = (float)(g->lh - 1);
  int i = (int)v;
  *i0 = i;
  *i1 = i + 1 < g->lh ? i + 1 : i;
  *fy = v - (float)i;
}
static inline float dm_adj_grid_at(const dm_adj_grid *g, const float *r0, const float *r1, float fy, int x) {
  int j = g->xi[x];
  int j1 = j + 1 < g->lw ? j + 1 : j;
  float fx = g->xf[x];
  float top = r0[j] + fx * (r0[j1] - r0[j]);
  float bot = r1[j] + fx * (r1[j1] - r1[j]);
  return top + fy * (bot - top);
}

/* ---- the run: everything one dm_adjust_apply call owns ---------------- */

/* The edge-aware base/detail split of log-luminance at two radii, as
 * fast-guided-filter coefficients at reduced resolution (base_detail.c). */
enum { DM_ADJ_LARGE = 0, DM_ADJ_SMALL = 1, DM_ADJ_NSCALES = 2 };
#define DM_ADJ_NEED_LARGE (1u << DM_ADJ_LARGE) /* highlights, shadows, clarity */
#define DM_ADJ_NEED_SMALL (1u << DM_ADJ_SMALL) /* texture */

typedef struct dm_adj_scale {
  int active;
  int r;              /* box radius at low resolution */
  float eps;          /* guided-filter regulariser, stops^2 */
  dm_adj_grid grid;
  dm_adj_plane a, b;  /* base = a * lum + b */
  int with_act;       /* derive the texture activity (small scale) */
} dm_adj_scale;

typedef struct dm_adj_run {
  dm_context *ctx;
  dm_image *img;
  dm_frame frame;        /* where img lies in the photo (img itself when whole) */
  const dm_image *mask;  /* NULL = everywhere */
  float amount;
  const dm_adjust_values *vals;
  dm_adj_scale scale[DM_ADJ_NSCALES];
  void *state[DM_ADJ_COUNT]; /* per-op derived data from prepare, freed by release */
} dm_adj_run;

dm_status dm_adj_bases_compute(dm_adj_run *run, unsigned needs);
/* The margin and grid step of the base layers `needs` asks for on the
 * photo `frame` (dm_adjust_reach). */
int dm_adj_bases_reach(const dm_frame *frame, unsigned needs, int *align);
void dm_adj_bases_free(dm_adj_run *run);
/* Base values (and activity, if act != NULL) of scale k for span pixels. */
void dm_adj_bases_span(const dm_adj_scale *sc, int x0, int y, int n, const float *lum, float *base,
                       float *act);

/* The photo's diagonal in pixels (a crop's photo's: frame): radii are
 * fractions of it, so a proxy and the full-size render look alike. */
static inline float dm_adj_diag(const dm_frame *f) {
  return sqrtf((float)f->full_w * (float)f->full_w + (float)f->full_h * (float)f->full_h);
}

/* ---- spans and ops ----------------------------------------------------- */

typedef struct dm_adj_span {
  const dm_adj_run *run;
  dm_adjust_id id;
  int x0, y, n;
  float *rgb;                   /* n interleaved RGB pixels, in the image */
  const float *w;               /* n weights: mask x amount */
  float *lum;                   /* n log2(Y / grey) (LOG domain) */
  float *base[DM_ADJ_NSCALES];  /* n base values each, NULL where not computed */
  float *act;                   /* n texture activities, NULL where not computed */
} dm_adj_span;

typedef enum dm_adj_domain { DM_ADJ_RGB, DM_ADJ_LOG } dm_adj_domain;

typedef struct dm_adj_op {
  dm_param param;   /* the slider: key, label, ranges, XMP name and scale */
  dm_adj_domain domain;
  unsigned needs;   /* DM_ADJ_NEED_* base layers it reads */
  /* The op analyses the whole image as it is when its turn comes (dehaze),
   * so the fused pass ends before it. */
  int barrier;
  /* Optional: build derived data (LUTs, analysis) in run->state[id] before
   * the pass that runs the op; release frees it. */
  dm_status (*prepare)(dm_adj_run *run, dm_adjust_id id, float value);
  void (*release)(dm_adj_run *run, dm_adjust_id id);
  void (*span)(const dm_adj_span *s, float value);
} dm_adj_op;

extern const dm_adj_op dm_adj_temperature, dm_adj_tint, dm_adj_exposure, dm_adj_contrast,
    dm_adj_highlights, dm_adj_shadows, dm_adj_whites, dm_adj_blacks, dm_adj_texture,
    dm_adj_clarity, dm_adj_dehaze, dm_adj_saturation;

/* The slider entry of a +-100 op, written x 0.01 in XMP (all but exposure). */
#define DM_ADJ_SLIDER_100(ID, KEY, LABEL, XMP, DOC)                                        \
  {                                                                                        \
    .key = KEY, .label = LABEL, .type = DM_PARAM_FLOAT, .count = 1,                        \
    .offset = offsetof(dm_adjust_values, v) + (size_t)(ID) * sizeof(float), .def = 0.0f,  \
    .min = -100.0f, .max = 100.0f, .ui_min = -100.0f, .ui_max = 100.0f, .xmp_name = XMP,   \
    .xmp_scale = 0.01f, .doc = DOC                                                         \
  }

/* ---- tone helpers (tone.c and inline) ---------------------------------- */

/* log2 for normal positive floats, within 1e-7 of log2f and several times
 * faster: the exponent from the bits, and the mantissa m in [0.707, 1.414)
 * by the series of atanh((m - 1) / (m + 1)). Branch-free, so loops over
 * arrays of it vectorise. */
static inline float dm_adj_log2(float x) {
  union { float f; int32_t i; } v = {x};
  float e = (float)(((v.i >> 23) & 0xff) - 127);
  v.i = (v.i & 0x007fffff) | 0x3f800000;
  float m = v.f;
  float big = m > 1.41421356f ? 1.0f : 0.0f; /* a select, not a branch */
  m *= 1.0f - 0.5f * big;
  e += big;
  float t = (m - 1.0f) / (m + 1.0f), t2 = t * t;
  float p = 2.8853900818f + t2 * (0.9617966939f + t2 * (0.5770780164f + t2 * 0.4121985831f));
  return e + t * p;
}

/* 2^x within ~1e-7 relative for |x| < 126, exactly 1 at 0 (so a pixel
 * whose luminance did not change is multiplied by exactly 1): 2^n from the
 * bits times a degree-7 series of 2^f, f in [-0.5, 0.5]. NaN (from
 * non-finite input pixels) counts as 0. */
static inline float dm_adj_exp2(float x) {
  x = x == x ? x : 0.0f;
  x = x < -126.0f ? -126.0f : (x > 126.0f ? 126.0f : x);
  float n = floorf(x + 0.5f), f = x - n;
  float p = 1.0f + f * (0.6931471806f + f * (0.2402265070f + f * (0.0555041087f +
            f * (0.0096181291f + f * (0.0013333558f + f * (0.0001540353f + f * 0.0000152527f))))));
  union { float f; int32_t i; } s = {.i = ((int32_t)n + 127) << 23};
  return p * s.f;
}

/* min / max that compile to one instruction (fminf/fmaxf are library
 * calls without -ffast-math, for their NaN rules). */
static inline float dm_adj_minf(float a, float b) { return a < b ? a : b; }
static inline float dm_adj_maxf(float a, float b) { return a > b ? a : b; }

/* Stops from middle grey of a luminance. NaN counts as the floor. */
static inline float dm_adj_stops(float y) {
  return dm_adj_log2((y > DM_ADJ_Y_FLOOR ? y : DM_ADJ_Y_FLOOR) * (1.0f / DM_ADJ_GREY));
}

/* lum[i] = stops of pixel i of n interleaved RGB pixels (n <= DM_ADJ_SPAN):
 * luminance first, then the logarithm over a contiguous array. */
static inline void dm_adj_lum_span(const float *rgb, int n, float *lum) {
  for (int i = 0; i < n; i++) lum[i] = dm_luma(rgb + 3 * i);
  for (int i = 0; i < n; i++) lum[i] = dm_adj_stops(lum[i]);
}

static inline float dm_adj_clampf(float x, float lo, float hi) { return x < lo ? lo : (x > hi ? hi : x); }

/* Smooth 0 -> 1 ramp starting at lo, over 1 / inv_width. */
static inline float dm_adj_ramp(float x, float lo, float inv_width) {
  float t = dm_adj_clampf((x - lo) * inv_width, 0.0f, 1.0f);
  return t * t * (3.0f - 2.0f * t);
}

/* A tonal region on the stops scale: weight 1 between the ramps, 0 outside.
 * A ramp whose ends are equal is absent (the region is open on that side). */
typedef struct dm_adj_region {
  float rise0, rise1; /* weight rises from 0 at rise0 to 1 at rise1 */
  float fall0, fall1; /* and falls from 1 at fall0 to 0 at fall1 */
} dm_adj_region;

/* The same with the divisions done once per span. */
typedef struct dm_adj_region_k {
  float r0, rinv, f0, finv;
} dm_adj_region_k;

static inline dm_adj_region_k dm_adj_region_prep(const dm_adj_region *r) {
  dm_adj_region_k k = {r->rise0, 0.0f, r->fall0, 0.0f}; /* inv 0: no ramp */
  if (r->rise0 != r->rise1) k.rinv = 1.0f / (r->rise1 - r->rise0);
  if (r->fall0 != r->fall1) k.finv = 1.0f / (r->fall1 - r->fall0);
  return k;
}

static inline float dm_adj_region_eval(const dm_adj_region_k *k, float x) {
  float rise = k->rinv != 0.0f ? dm_adj_ramp(x, k->r0, k->rinv) : 1.0f;
  float fall = k->finv != 0.0f ? dm_adj_ramp(x, k->f0, k->finv) : 0.0f;
  return rise * (1.0f - fall);
}

/* Shift a tonal region by value/100 x `stops` x w (clamped to [lo, hi]
 * stops, the range in which the curve stays monotonic).
 * by_base: the region is judged on the large base layer and the shift is
 *   added to pixel and bases alike, so detail rides on top unchanged
 *   (highlights, shadows: no halos, as the base is edge-aware);
 * otherwise it is a point curve on the pixel's own luminance, also applied
 *   to the bases (whites, blacks). */
void dm_adj_region_shift(const dm_adj_span *s, float value, float stops, float lo, float hi,
                         const dm_adj_region *region, int by_base);

/* ---- white balance (wb.c) ---------------------------------------------- */

/* Temperature and tint re-balance as if the light's white had moved
 * relative to 5500 K: von Kries gains in Bradford cone space, one set per
 * strength value x w, w in [0, wmax], tabulated once per call. */
#define DM_ADJ_WB_STEPS 256
typedef struct dm_adj_wb_lut {
  float wmax;
  float to_lms[9], from_lms[9]; /* linear Rec.2020 <-> Bradford cones */
  float g[DM_ADJ_WB_STEPS + 1][3];
} dm_adj_wb_lut;
/* kind 0: temperature, 1: tint. */
dm_status dm_adj_wb_prepare(dm_adj_run *run, dm_adjust_id id, float value, int kind);
void dm_adj_wb_release(dm_adj_run *run, dm_adjust_id id);
void dm_adj_wb_span(const dm_adj_span *s, float value);

#endif
