/* Circle of confusion: depth conversions, the focus the blur picks by
 * itself, and the signed CoC as a function of near01.
 *
 * near01 is linear in disparity (DESIGN §3), and a thin lens's CoC is
 * linear in disparity too: diameter = K·A·|1/s − 1/z| with K the focal
 * distance in pixels and A the aperture. So in both modes the CoC is a
 * piecewise-linear function of near01, evaluated per pixel on the fly. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "blur/blur_internal.h"

float dm_near01_from_depth(float z, float z_near_m, float z_far_m) {
  double a = 1.0 / z_near_m, b = 1.0 / z_far_m; /* 1/inf = 0 */
  if (a == b) return 0.0f;
  return (float)((a - 1.0 / z) / (a - b));
}

float dm_depth_from_near01(float n, float z_near_m, float z_far_m) {
  double a = 1.0 / z_near_m, b = 1.0 / z_far_m;
  double zi = a - n * (a - b);
  return zi <= 0.0 ? INFINITY : (float)(1.0 / zi);
}

dm_status dm_near01_from_metric(dm_context *ctx, const dm_image *depth_m, float *z_near_m,
                                float *z_far_m, dm_image *out) {
  if (!depth_m || depth_m->channels != 1 || !depth_m->data)
    return dm_fail(ctx, DM_ERR_PARAM, "depth", "expected a 1-channel depth map");
  float lo = INFINITY, hi = 0.0f;
  for (int y = 0; y < depth_m->height; y++) {
    const float *r = dm_row(depth_m, y);
    for (int x = 0; x < depth_m->width; x++) {
      float z = r[x];
      if (!isfinite(z) || z <= 0.0f)
        return dm_fail(ctx, DM_ERR_RANGE, "depth", "depth %g at pixel (%d, %d) is not a positive number",
                       (double)z, x, y);
      if (z < lo) lo = z;
      if (z > hi) hi = z;
    }
  }
  if (!(*z_near_m > 0.0f)) *z_near_m = lo;
  if (!(*z_far_m > 0.0f)) *z_far_m = hi;
  if (!(*z_far_m >= *z_near_m))
    return dm_fail(ctx, DM_ERR_RANGE, "depth", "far depth %g m is nearer than near depth %g m",
                   (double)*z_far_m, (double)*z_near_m);
  dm_status s = dm_image_alloc(ctx, out, depth_m->width, depth_m->height, 1);
  if (s != DM_OK) return s;
  for (int y = 0; y < depth_m->height; y++) {
    const float *r = dm_row(depth_m, y);
    float *o = dm_row(out, y);
    for (int x = 0; x < depth_m->width; x++) o[x] = dm_near01_from_depth(r[x], *z_near_m, *z_far_m);
  }
  return DM_OK;
}

float dm_lens_blur_coc_physical(const dm_lens_blur *p, float focus_m, float z_m, int image_width) {
  double f = p->f_mm / 1000.0, s = focus_m, n = p->f_number;
  double pitch = p->sensor_width_mm / 1000.0 / image_width;
  double rel = isinf(z_m) ? 1.0 : (z_m - s) / z_m;
  return (float)(f * f / (n * (s - f)) * rel / pitch);
}

/* Weighted quantiles of near01 from a 4096-bin histogram. Weights: the
 * matte's alpha (W_ALPHA), 1 where it is >= 0.5 (W_INSIDE) or < 0.5
 * (W_OUTSIDE); without a matte, 1 over the central third. Returns the
 * total weight (0: nothing weighed, the quantiles are not set; < 0: out of
 * memory). */
#define AF_BINS 4096
enum { W_ALPHA, W_INSIDE, W_OUTSIDE };
static double weighted_quantiles(const dm_image *near01, const dm_image *matte, int weights,
                                 const float *q, int nq, float *out) {
  double *hist = calloc(AF_BINS, sizeof *hist);
  if (!hist) return -1.0;
  int w = near01->width, h = near01->height;
  int x0 = 0, x1 = w, y0 = 0, y1 = h;
  if (!matte) {
    x0 = w / 3, x1 = w - w / 3, y0 = h / 3, y1 = h - h / 3;
    if (x1 <= x0) x0 = 0, x1 = w;
    if (y1 <= y0) y0 = 0, y1 = h;
  }
  double total = 0.0;
  /* The bin in use is summed in a register and stored when another bin
   * comes: neighbours mostly share a bin, and summing through memory made
   * each add wait for the last one's store. Every bin still adds the same
   * weights in the same order. */
  int cur = 0;
  double run = hist[0];
  for (int y = y0; y < y1; y++) {
    const float *d = dm_row(near01, y);
    const float *m = matte ? dm_row(matte, y) : NULL;
    for (int x = x0; x < x1; x++) {
      float n = d[x];
      double wt = !m ? 1.0 : weights == W_ALPHA ? (double)m[x] : (m[x] >= 0.5f) == (weights == W_INSIDE);
      if (!isfinite(n) || !(wt > 0.0)) continue;
      n = n < 0.0f ? 0.0f : (n > 1.0f ? 1.0f : n);
      int b = (int)(n * (AF_BINS - 1) + 0.5f);
      if (b != cur) hist[cur] = run, cur = b, run = hist[b];
      run += wt;
      total += wt;
    }
  }
  hist[cur] = run;
  for (int i = 0; i < nq && total > 0.0; i++) {
    double target = q[i] * total, acc = 0.0;
    int b = 0;
    for (; b < AF_BINS - 1; b++) {
      acc += hist[b];
      if (acc >= target) break;
    }
    out[i] = (float)b / (AF_BINS - 1);
  }
  bl_free(hist);
  return total;
}

/* The quantiles auto focus uses: over the matte, or over the central third
 * when there is none or it is empty; 0.5 when nothing can be weighed. */
static void focus_quantiles(const dm_image *near01, const dm_image *matte, const float *q, int nq,
                            float *out) {
  if (weighted_quantiles(near01, matte, W_ALPHA, q, nq, out) > 0.0) return;
  if (matte && weighted_quantiles(near01, NULL, W_ALPHA, q, nq, out) > 0.0) return;
  for (int i = 0; i < nq; i++) out[i] = 0.5f;
}

void dm_lens_blur_focus_depths(const dm_image *near01, const dm_image *matte, float q[3]) {
  static const float qs[3] = {0.2f, 0.5f, 0.8f};
  focus_quantiles(near01, matte, qs, 3, q);
}

float dm_lens_blur_auto_focus(const dm_image *near01, const dm_image *matte) {
  float q = 0.5f, m = 0.5f;
  focus_quantiles(near01, matte, &q, 1, &m);
  return m;
}

dm_status dm_lens_blur_pin_range(dm_context *ctx, const dm_image *near01, const dm_image *matte,
                                 float subject_m, float background_m, float *z_near_m,
                                 float *z_far_m) {
  const char *key = "lens_blur.subject_distance_m";
  if (!(subject_m > 0.0f) || !(background_m > subject_m) || !isfinite(background_m))
    return dm_fail(ctx, DM_ERR_RANGE, key, "expected 0 < subject distance < background distance, "
                   "got %g m and %g m", (double)subject_m, (double)background_m);
  if (!near01 || near01->channels != 1 || !near01->data)
    return dm_fail(ctx, DM_ERR_PARAM, "depth", "expected a 1-channel depth map");
  if (!matte || !matte->data)
    return dm_fail(ctx, DM_ERR_PARAM, key, "pinning the depth to the subject's distance needs "
                   "the subject matte (--matte auto or FILE)");
  if (matte->channels != 1 || matte->width != near01->width || matte->height != near01->height)
    return dm_fail(ctx, DM_ERR_PARAM, "matte", "expected a 1-channel matte the size of the depth");
  float half = 0.5f, ns = 0.0f, nb = 0.0f;
  double ws = weighted_quantiles(near01, matte, W_INSIDE, &half, 1, &ns);
  double wb = ws < 0.0 ? ws : weighted_quantiles(near01, matte, W_OUTSIDE, &half, 1, &nb);
  if (ws < 0.0 || wb < 0.0) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
  if (!(ws > 0.0) || !(wb > 0.0))
    return dm_fail(ctx, DM_ERR_PARAM, key, "the matte holds %s, so there is no %s depth to pin",
                   ws > 0.0 ? "the whole frame" : "no subject", ws > 0.0 ? "background" : "subject");
  if (!(nb - ns >= 1.0f / (AF_BINS - 1)))
    return dm_fail(ctx, DM_ERR_RANGE, key, "the depth map puts the subject (median %.3f on the "
                   "0..1 near->far scale) no nearer than the rest (%.3f): the distances cannot "
                   "pin it", (double)ns, (double)nb);
  /* 1/z = a − b·n through (ns, 1/subject) and (nb, 1/background). */
  double b = (1.0 / subject_m - 1.0 / background_m) / ((double)nb - ns);
  double a = 1.0 / subject_m + b * ns, far_inv = a - b;
  *z_near_m = (float)(1.0 / a);
  *z_far_m = far_inv == 0.0 ? INFINITY : (float)(1.0 / far_inv); /* < 0: beyond infinity */
  return DM_OK;
}

float dm_lens_blur_max_coc(const dm_lens_blur *p, int w, int h) {
  if (p->amount_curve) {
    float a = p->amount / 100.0f;
    return DM_LENS_BLUR_MAX_COC_LONG * (float)(w > h ? w : h) * a * a;
  }
  /* as versions 1..3 computed it, to the last bit */
  float diag = sqrtf((float)w * w + (float)h * h);
  return DM_LENS_BLUR_MAX_COC_FRAC * diag * p->amount / 100.0f;
}

static int is_auto_range(const float *fr) {
  return fr[0] == 0.0f && fr[1] == 0.0f && fr[2] == 100.0f && fr[3] == 100.0f;
}

dm_status bl_coc_setup(dm_context *ctx, const dm_image *near01, float z_near_m, float z_far_m,
                       const dm_image *matte, const dm_lens_blur *p,
                       const dm_lens_blur_region *rg, float *kept, bl_coc_fn *fn) {
  memset(fn, 0, sizeof *fn);
  /* a crop's CoC is the photo's: its size and the depths its focus finds */
  int w = rg ? rg->frame.full_w : near01->width, h = rg ? rg->frame.full_h : near01->height;
  float v[3];
  int auto_focus = p->mode == DM_BLUR_PHYSICAL ? p->focus_m == 0.0f : is_auto_range(p->focal_range);
  if (auto_focus && rg) v[0] = rg->whole->focus[0], v[1] = rg->whole->focus[1], v[2] = rg->whole->focus[2];
  else if (auto_focus && kept && kept[3] != 0.0f) v[0] = kept[0], v[1] = kept[1], v[2] = kept[2];
  else if (auto_focus) {
    dm_lens_blur_focus_depths(near01, matte, v);
    if (kept) kept[0] = v[0], kept[1] = v[1], kept[2] = v[2], kept[3] = 1.0f;
  }
  if (p->mode == DM_BLUR_PHYSICAL) {
    /* z_far < 0 is "beyond infinity" (dm_lens_blur_pin_range) */
    if (!(z_near_m > 0.0f) || z_far_m == 0.0f || isnan(z_far_m))
      return dm_fail(ctx, DM_ERR_PARAM, "lens_blur.mode",
                     "physical mode needs metric depth (the depth map's near and far distances)");
    if (z_far_m > 0.0f && !(z_far_m >= z_near_m))
      return dm_fail(ctx, DM_ERR_RANGE, "depth", "far depth %g m is nearer than near depth %g m",
                     (double)z_far_m, (double)z_near_m);
    float s = p->focus_m;
    if (s == 0.0f) s = dm_depth_from_near01(v[1], z_near_m, z_far_m);
    if (!(s * 1000.0f > p->f_mm) || !isfinite(s))
      return dm_fail(ctx, DM_ERR_RANGE, "lens_blur.focus_m",
                     "focus distance %g m is not beyond the focal length %g mm", (double)s,
                     (double)p->f_mm);
    double f = p->f_mm / 1000.0;
    double pitch = p->sensor_width_mm / 1000.0 / w;
    fn->physical = 1;
    fn->k = (float)(0.5 * f * f / (p->f_number * (s - f)) / pitch); /* radius at z = inf */
    fn->s = s;
    fn->zn_inv = (float)(1.0 / z_near_m);
    fn->dz_inv = (float)(1.0 / z_near_m - 1.0 / z_far_m);
    return DM_OK;
  }
  fn->rmax = 0.5f * dm_lens_blur_max_coc(p, w, h);
  if (is_auto_range(p->focal_range)) {
    /* Auto: the subject's depth range (20th..80th percentile under the
     * matte, the centre's median without one) is sharp; blur then grows
     * linearly in disparity, as through a lens, reaching full blur at the
     * farthest depth, with the same slope in front. */
    /* one histogram bin of slack, so the subject's own depth is inside */
    float lo = (matte ? v[0] : v[1]) - 1.0f / (AF_BINS - 1), hi = (matte ? v[2] : v[1]) + 1.0f / (AF_BINS - 1);
    float span = 1.0f - hi;
    if (span < 0.05f) span = 0.05f;
    fn->fr[0] = lo - span;
    fn->fr[1] = lo;
    fn->fr[2] = hi;
    fn->fr[3] = hi + span;
  } else {
    for (int i = 0; i < 4; i++) fn->fr[i] = p->focal_range[i] / 100.0f;
  }
  return DM_OK;
}
