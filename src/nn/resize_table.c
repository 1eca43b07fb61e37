/* Per-axis tap tables of Resize: output coordinate -> input coordinate
 * (coordinate_transformation_mode), then -> taps and weights (nearest
 * rounding, linear, cubic, antialiased linear / cubic, exclude_outside).
 * Computed in double once per plan, following the ONNX reference
 * implementation's conventions (its float "output width" scale * in for
 * align_corners, its tap placement for antialiasing). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/resize.h"

static double in_coord(const nn_resize_spec *s, int a, int64_t o) {
  double x = (double)o, in = (double)s->in[a], sc = s->scale[a], outw = sc * in;
  switch (s->coord) {
  case NN_RS_HALF_PIXEL_SYMMETRIC: {
    double adjust = (double)s->out[a] / outw, center = in / 2;
    return center * (1 - adjust) + (x + 0.5) / sc - 0.5;
  }
  case NN_RS_PYTORCH_HALF_PIXEL: return s->out[a] > 1 ? (x + 0.5) / sc - 0.5 : 0.0;
  case NN_RS_ALIGN_CORNERS: return outw == 1 ? 0.0 : x * (in - 1) / (outw - 1);
  case NN_RS_ASYMMETRIC: return x / sc;
  case NN_RS_TF_HALF_PIXEL_FOR_NN: return (x + 0.5) / sc;
  case NN_RS_TF_CROP_AND_RESIZE: {
    double lo = s->roi_lo[a], hi = s->roi_hi[a], len = (double)s->out[a];
    if (len <= 1) return 0.5 * (lo + hi) * (in - 1);
    return lo * (in - 1) + x * (hi - lo) * (in - 1) / (len - 1);
  }
  default: return (x + 0.5) / sc - 0.5; /* half_pixel */
  }
}

static int64_t nearest_index(int mode, double x, int shrinking) {
  double f = floor(x), r = x - f;
  if (r == 0) return (int64_t)f;
  switch (mode) {
  case NN_RS_ROUND_PREFER_CEIL: return (int64_t)(r < 0.5 ? f : f + 1);
  case NN_RS_FLOOR: return (int64_t)f;
  case NN_RS_CEIL: return (int64_t)f + 1;
  case NN_RS_SIMPLE: return (int64_t)(shrinking ? f + 1 : f);
  default: return (int64_t)(r <= 0.5 ? f : f + 1);
  }
}

static double cubic_w(double x, double a) {
  x = fabs(x);
  if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0;
}

static int64_t clamp_idx(int64_t i, int64_t n) { return i < 0 ? 0 : (i >= n ? n - 1 : i); }

/* Taps of one output coordinate at input position x (see resize.h). */
static void taps(const nn_resize_spec *s, int a, double x, int ntap, int start, double s_eff,
                 double *wt, int32_t *idx, float *w) {
  int64_t n = s->in[a];
  if (s->mode == NN_RS_NEAREST) {
    idx[0] = (int32_t)clamp_idx(nearest_index(s->nearest, x, s->scale[a] < 1), n);
    w[0] = 1;
    return;
  }
  /* Taps base+start .. base+start+ntap-1 around x, with ratio in (0, 1]:
   * an integer x counts as the right end of the interval below it. */
  double f = floor(x), ratio = x - f, sum = 0;
  if (ratio == 0) f -= 1, ratio = 1;
  int64_t base = (int64_t)f;
  for (int t = 0; t < ntap; t++) {
    double arg = ((double)(start + t) - ratio) * s_eff;
    wt[t] = s->mode == NN_RS_CUBIC ? cubic_w(arg, s->cubic_a) : fmax(0.0, 1 - fabs(arg));
    int64_t pos = base + start + t;
    if (s->exclude_outside && (pos < 0 || pos >= n)) wt[t] = 0;
    sum += wt[t];
  }
  int normalize = s->antialias || s->exclude_outside;
  for (int t = 0; t < ntap; t++) {
    idx[t] = (int32_t)clamp_idx(base + start + t, n);
    w[t] = (float)(normalize && sum != 0 ? wt[t] / sum : wt[t]);
  }
}

static int build_axis(const nn_resize_spec *s, int a, nn_resize_axis *ax) {
  int64_t out = s->out[a], n = s->in[a];
  int start = 0, ntap = 1;
  double s_eff = 1;
  if (s->mode != NN_RS_NEAREST) {
    double reach = s->mode == NN_RS_CUBIC ? 2 : 1;
    if (s->antialias && s->scale[a] < 1) s_eff = s->scale[a];
    /* the support [-reach, reach] / s_eff, as whole taps (s_eff = 1: 2 or 4) */
    double st = floor(-reach / s_eff) + 1;
    if (st < -4096) return 0;
    start = (int)st;
    ntap = 2 - 2 * start;
  }
  ax->ntap = ntap;
  size_t cnt = (size_t)out * (size_t)ntap;
  ax->idx = malloc(cnt * sizeof *ax->idx + 1);
  ax->w = malloc(cnt * sizeof *ax->w + 1);
  ax->outside = NULL;
  double *wt = malloc((size_t)ntap * sizeof *wt);
  if (!ax->idx || !ax->w || !wt) {
    free(wt);
    return 0;
  }
  int identity = out == n;
  for (int64_t o = 0; o < out; o++) {
    double x = in_coord(s, a, o);
    int32_t *idx = ax->idx + o * ntap;
    float *w = ax->w + o * ntap;
    int outside = s->coord == NN_RS_TF_CROP_AND_RESIZE && (x < 0 || x > (double)(n - 1));
    /* Far-away coordinates only ever meet edge pixels: keep them near (and
     * a NaN from a NaN roi at 0), so the integer conversions stay defined. */
    if (x != x) x = 0;
    if (x < -8.0 * ntap) x = -8.0 * ntap;
    if (x > (double)n + 8.0 * ntap) x = (double)n + 8.0 * ntap;
    taps(s, a, x, ntap, start, s_eff, wt, idx, w);
    if (outside) {
      if (!ax->outside && !(ax->outside = calloc((size_t)out + 1, 1))) {
        free(wt);
        return 0;
      }
      ax->outside[o] = 1;
      identity = 0;
    }
    /* identity: all weight on input index o */
    double on = 0;
    for (int t = 0; t < ntap && identity; t++) {
      if (idx[t] == o) on += w[t];
      else if (fabs(w[t]) > 1e-7) identity = 0;
    }
    if (identity && fabs(on - 1) > 1e-6) identity = 0;
  }
  free(wt);
  ax->identity = identity;
  return 1;
}

void nn_resize_plan_free(void *plan) {
  nn_resize_plan *p = plan;
  if (!p) return;
  for (int a = 0; a < DM_NN_MAX_DIMS; a++) {
    free(p->ax[a].idx);
    free(p->ax[a].w);
    free(p->ax[a].outside);
  }
  free(p);
}

static size_t numel(int r, const int64_t *d) {
  size_t n = 1;
  for (int i = 0; i < r; i++) n *= (size_t)d[i];
  return n;
}

/* Passes shrink first: intermediate tensors stay as small as possible. */
static void order_passes(nn_resize_plan *p) {
  const nn_resize_spec *s = &p->spec;
  int r = s->ndim;
  p->n_pass = 0;
  for (int a = 0; a < r; a++)
    if (!p->ax[a].identity) p->pass_axis[p->n_pass++] = a;
  for (int i = 1; i < p->n_pass; i++)
    for (int j = i; j > 0; j--) {
      int a = p->pass_axis[j - 1], b = p->pass_axis[j];
      double ra = (double)s->out[a] / (double)s->in[a], rb = (double)s->out[b] / (double)s->in[b];
      if (rb >= ra) break;
      p->pass_axis[j - 1] = b, p->pass_axis[j] = a;
    }
  int64_t cur[DM_NN_MAX_DIMS];
  memcpy(cur, s->in, sizeof cur);
  p->pass_elems = 0;
  for (int i = 0; i + 1 < p->n_pass; i++) {
    cur[p->pass_axis[i]] = s->out[p->pass_axis[i]];
    size_t n = numel(r, cur);
    if (n > p->pass_elems) p->pass_elems = n;
  }
  p->pass_elems = (p->pass_elems + 15) & ~(size_t)15;
}

nn_resize_plan *nn_resize_plan_new(const nn_resize_spec *s, int threads) {
  nn_resize_plan *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->spec = *s;
  p->threads = threads < 1 ? 1 : threads;
  int r = s->ndim, all_identity = 1;
  for (int a = 0; a < r; a++) {
    if (s->in[a] > INT32_MAX || s->out[a] > INT32_MAX || !build_axis(s, a, &p->ax[a])) {
      nn_resize_plan_free(p);
      return NULL;
    }
    all_identity &= p->ax[a].identity;
  }
  if (all_identity) {
    p->kind = NN_RS_COPY;
  } else if (s->mode == NN_RS_NEAREST) {
    p->kind = NN_RS_GATHER;
  } else {
    int outer_identity = 1;
    for (int a = 0; a + 2 < r; a++) outer_identity &= p->ax[a].identity;
    if (r >= 2 && outer_identity) {
      p->kind = NN_RS_SEP2D;
      p->row_floats = ((size_t)s->out[r - 1] + 15) & ~(size_t)15;
    } else {
      p->kind = NN_RS_PASSES;
      order_passes(p);
    }
  }
  return p;
}

size_t nn_resize_scratch_bytes(const nn_resize_plan *p) {
  if (p->kind == NN_RS_SEP2D) {
    size_t nt = (size_t)p->ax[p->spec.ndim - 2].ntap;
    /* row caches, then (for more than 8 taps) their int32 tags */
    return (size_t)p->threads * nt * (p->row_floats * sizeof(float) + (nt > 8 ? sizeof(int32_t) : 0));
  }
  if (p->kind == NN_RS_PASSES)
    return (p->n_pass > 2 ? 2 : p->n_pass > 1 ? 1 : 0) * p->pass_elems * sizeof(float);
  return 0;
}
