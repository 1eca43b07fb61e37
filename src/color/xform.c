/* Transforms between two profiles over a dm_image.
 *
 * lcms2 evaluates float transforms pixel by pixel through its pipeline
 * (parametric curves cost a pow() per sample); that runs at about 5 Mpixel/s
 * per core, too slow for 24 MP photos. Almost every profile a photo carries
 * is a matrix-shaper (per-channel curve, 3x3 matrix, per-channel curve), so
 * for that case lcms2 computes the pieces once and we only evaluate them:
 *   - the curves: lcms2 evaluates each TRC (and, on the output side, its
 *     inverse, built with cmsReverseToneCurve as lcms2 does) into tables;
 *   - the matrix: lcms2 transforms the unit vectors between copies of the
 *     two profiles whose curves are replaced by the identity.
 * Before use, the tables are checked against the real lcms2 transform on
 * probe colours; if they disagree, or the profiles are not matrix-shapers,
 * or the image is small, every pixel goes through lcms2 itself. Rows whose
 * samples lie outside the tables' domain also go through lcms2. */
#include <float.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "color/color_internal.h"
#include "core/pool.h"

/* The output curves' tables: OUT_* in color_internal.h. */

/* Below this many pixels, building the tables costs more than it saves. */
#define FAST_MIN_PIXELS (256 * 256)
/* The fast path must agree with lcms2 this closely (a 16-bit code is 1.5e-5). */
#define FAST_TOL 4e-6

struct dm_xform {
  cmsHTRANSFORM lcms;
  int in_channels, flags, fast;
  float m[3][3];          /* linear out = m * linear in (in_channels columns) */
  const float *in_lut[3]; /* NULL: identity curve (unbounded) */
  const float *out_lut[3];
  float out_at0[3];       /* output curve at 0, for x below the table */
  float *tables;          /* owns every table */
  /* The input curves at the 256 floats an 8-bit decoder gives (code / 255
   * as dm_code8_float rounds it), or NULL: one lookup from a small table
   * where the interpolation gathers two nodes from a large one. */
  float *in8;
  uint8_t *codes;         /* dm_xform_codes_prepare's, or NULL */
};

static float in_curve(const float *lut, float x) { /* x in [0, 1] */
  float f = x * (float)(IN_N - 1);
  int i = (int)f;
  if (i > IN_N - 2) i = IN_N - 2;
  float t = f - (float)i;
  return lut[i] + t * (lut[i + 1] - lut[i]);
}

static float out_curve(const float *lut, float at0, float x) { /* x in [0, 1] */
  if (x >= 1.0f) return lut[OUT_N - 1];
  uint32_t b;
  memcpy(&b, &x, sizeof b);
  if (b < OUT_BASE) return at0 + (lut[0] - at0) * (x * OUT_SCALE);
  uint32_t off = b - OUT_BASE, i = off >> OUT_SHIFT;
  float t = (float)(off & ((1u << OUT_SHIFT) - 1)) * (1.0f / (float)(1u << OUT_SHIFT));
  return lut[i] + t * (lut[i + 1] - lut[i]);
}

static float out_node(int i) {
  uint32_t b = OUT_BASE + ((uint32_t)i << OUT_SHIFT);
  float x;
  memcpy(&x, &b, sizeof x);
  return x;
}

static float clip01(float v) { return v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f; } /* NaN -> 0 */

static void fast_pixel(const dm_xform *xf, const float *in, float *out) {
  float lin[3] = {0.0f, 0.0f, 0.0f};
  for (int c = 0; c < xf->in_channels; c++) lin[c] = xf->in_lut[c] ? in_curve(xf->in_lut[c], in[c]) : in[c];
  for (int k = 0; k < 3; k++) {
    float v = xf->m[k][0] * lin[0];
    if (xf->in_channels == 3) v += xf->m[k][1] * lin[1] + xf->m[k][2] * lin[2];
    if (xf->flags & DM_XFORM_CLIP) v = clip01(v);
    out[k] = xf->out_lut[k] ? out_curve(xf->out_lut[k], xf->out_at0[k], v) : v;
  }
}

/* The two common cases get their own loops (no per-pixel branching):
 * curves + matrix (to the working space) and matrix + clip + curves (from
 * it). Anything else takes fast_pixel. */
/* In place (in == out) is allowed: each pixel is read whole before it is written. */
static void fast_row(const dm_xform *xf, const float *in, float *out, int width) {
  const float(*m)[3] = xf->m;
  const float *li0 = xf->in_lut[0], *li1 = xf->in_lut[1], *li2 = xf->in_lut[2];
  const float *lo0 = xf->out_lut[0], *lo1 = xf->out_lut[1], *lo2 = xf->out_lut[2];
  if (xf->in_channels == 3 && li0 && li1 && li2 && !lo0 && !lo1 && !lo2 && !(xf->flags & DM_XFORM_CLIP)) {
    const int done = dm_xform_in_avx2(m, xf->in_lut, xf->in8, in, out, width);
    in += 3 * (size_t)done, out += 3 * (size_t)done;
    for (int x = done; x < width; x++, in += 3, out += 3) {
      float r = in_curve(li0, in[0]), g = in_curve(li1, in[1]), b = in_curve(li2, in[2]);
      out[0] = m[0][0] * r + m[0][1] * g + m[0][2] * b;
      out[1] = m[1][0] * r + m[1][1] * g + m[1][2] * b;
      out[2] = m[2][0] * r + m[2][1] * g + m[2][2] * b;
    }
  } else if (xf->in_channels == 3 && !li0 && !li1 && !li2 && lo0 && lo1 && lo2 && (xf->flags & DM_XFORM_CLIP)) {
    const float z0 = xf->out_at0[0], z1 = xf->out_at0[1], z2 = xf->out_at0[2];
    const float *const lo[3] = {lo0, lo1, lo2};
    const int done = dm_xform_out_avx2(m, lo, xf->out_at0, in, out, width);
    in += 3 * (size_t)done, out += 3 * (size_t)done;
    for (int x = done; x < width; x++, in += 3, out += 3) {
      float r = in[0], g = in[1], b = in[2];
      out[0] = out_curve(lo0, z0, clip01(m[0][0] * r + m[0][1] * g + m[0][2] * b));
      out[1] = out_curve(lo1, z1, clip01(m[1][0] * r + m[1][1] * g + m[1][2] * b));
      out[2] = out_curve(lo2, z2, clip01(m[2][0] * r + m[2][1] * g + m[2][2] * b));
    }
  } else {
    for (int x = 0; x < width; x++) fast_pixel(xf, in + (size_t)x * xf->in_channels, out + (size_t)x * 3);
  }
}

/* ---- building the fast path ---- */

static cmsToneCurve *trc(cmsHPROFILE h, int channels, int c) {
  static const cmsTagSignature rgb[3] = {cmsSigRedTRCTag, cmsSigGreenTRCTag, cmsSigBlueTRCTag};
  cmsTagSignature sig = channels == 1 ? cmsSigGrayTRCTag : rgb[c];
  return cmsIsTag(h, sig) ? cmsReadTag(h, sig) : NULL;
}

static int curve_is_identity(const cmsToneCurve *t) {
  static const float xs[] = {-1.0f, -0.25f, 0.0f, 0.001f, 0.1f, 0.18f, 0.5f, 0.9f, 1.0f, 2.0f};
  for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++)
    if (fabsf(cmsEvalToneCurveFloat(t, xs[i]) - xs[i]) > 1e-7f) return 0;
  return 1;
}

/* Whether two curves evaluate alike everywhere, known without evaluating
 * them: one object (linked tags), or each one parametric segment of one
 * type with the same parameters (cmsEvalToneCurveFloat then evaluates that
 * segment alone; ICC tags and our profiles make such curves with
 * cmsBuildParametricToneCurve, over the whole line, so their domains are
 * the same too). An sRGB input's three channels share one table this way,
 * not after 3 x 65536 evaluations (a pow each) and a compare. */
static int same_curve(const cmsToneCurve *a, const cmsToneCurve *b) {
  if (a == b) return 1;
  const cmsInt32Number type = cmsGetToneCurveParametricType(a);
  if (!type || type != cmsGetToneCurveParametricType(b)) return 0;
  const cmsFloat64Number *pa = cmsGetToneCurveParams(a), *pb = cmsGetToneCurveParams(b);
  return pa && pb && !memcmp(pa, pb, 10 * sizeof *pa); /* a segment holds 10 */
}

/* A copy of `h` with the identity for curves, so that lcms2's transform
 * between two such copies is the pure matrix. It is built tag by tag, not
 * by saving and reopening, which would round colorants to s15Fixed16. Only
 * the tags a relative colorimetric matrix-shaper transform reads are kept. */
static cmsHPROFILE linear_copy(dm_cms *cms, cmsHPROFILE h, int channels) {
  static const cmsTagSignature rgb_trc[3] = {cmsSigRedTRCTag, cmsSigGreenTRCTag, cmsSigBlueTRCTag};
  static const cmsTagSignature keep[] = {cmsSigRedColorantTag, cmsSigGreenColorantTag, cmsSigBlueColorantTag,
                                         cmsSigMediaWhitePointTag, cmsSigChromaticAdaptationTag};
  cmsHPROFILE copy = cmsCreateProfilePlaceholder(cms->id);
  cmsToneCurve *one = cmsBuildGamma(cms->id, 1.0);
  int ok = copy && one;
  if (ok) {
    cmsSetProfileVersion(copy, cmsGetProfileVersion(h));
    cmsSetDeviceClass(copy, cmsGetDeviceClass(h));
    cmsSetColorSpace(copy, cmsGetColorSpace(h));
    cmsSetPCS(copy, cmsGetPCS(h));
  }
  for (size_t i = 0; ok && i < sizeof keep / sizeof keep[0]; i++) {
    if (!cmsIsTag(h, keep[i])) continue;
    void *data = cmsReadTag(h, keep[i]);
    ok = data && cmsWriteTag(copy, keep[i], data);
  }
  for (int c = 0; ok && c < channels; c++) ok = cmsWriteTag(copy, channels == 1 ? cmsSigGrayTRCTag : rgb_trc[c], one);
  if (one) cmsFreeToneCurve(one);
  if (!ok && copy) {
    cmsCloseProfile(copy);
    copy = NULL;
  }
  return copy;
}

static cmsUInt32Number fmt(int channels) { return channels == 1 ? TYPE_GRAY_FLT : TYPE_RGB_FLT; }

static int extract_matrix(dm_cms *cms, dm_xform *xf, cmsHPROFILE in, cmsHPROFILE out) {
  cmsHPROFILE a = linear_copy(cms, in, xf->in_channels), b = linear_copy(cms, out, 3);
  cmsHTRANSFORM t = NULL;
  if (a && b)
    t = cmsCreateTransformTHR(cms->id, a, fmt(xf->in_channels), b, TYPE_RGB_FLT,
                              INTENT_RELATIVE_COLORIMETRIC, cmsFLAGS_NOCACHE);
  if (a) cmsCloseProfile(a);
  if (b) cmsCloseProfile(b);
  if (!t) return 0;
  for (int j = 0; j < xf->in_channels; j++) {
    float unit[3] = {0, 0, 0}, col[3];
    unit[j] = 1.0f;
    cmsDoTransform(t, unit, col, 1);
    for (int k = 0; k < 3; k++) xf->m[k][j] = col[k];
  }
  cmsDeleteTransform(t);
  return 1;
}

/* Fill tables for the curves; channels whose curves agree share one table. */
static int build_curves(dm_xform *xf, cmsHPROFILE in, cmsHPROFILE out) {
  cmsToneCurve *tin[3] = {0}, *tout[3] = {0};
  int in_tables = 0, out_tables = 0, ok = 1;
  for (int c = 0; c < xf->in_channels; c++) {
    tin[c] = trc(in, xf->in_channels, c);
    if (!tin[c]) return 0;
  }
  for (int c = 0; c < 3; c++) {
    cmsToneCurve *t = trc(out, 3, c);
    if (!t) return 0;
    if (curve_is_identity(t)) continue;
    if (!(xf->flags & DM_XFORM_CLIP)) return 0; /* tables cover [0, 1] only */
    tout[c] = cmsReverseToneCurve(t);
    if (!tout[c]) ok = 0;
  }
  int in_id[3], out_id[3];
  for (int c = 0; c < xf->in_channels; c++) in_id[c] = curve_is_identity(tin[c]);
  for (int c = 0; c < 3; c++) out_id[c] = tout[c] == NULL;
  for (int c = 0; c < xf->in_channels; c++) in_tables += !in_id[c];
  for (int c = 0; c < 3; c++) out_tables += !out_id[c];
  if (ok) {
    xf->tables = malloc(((size_t)in_tables * IN_N + (size_t)out_tables * OUT_N) * sizeof(float));
    ok = xf->tables != NULL;
  }
  float *p = xf->tables;
  for (int c = 0; ok && c < xf->in_channels; c++) {
    if (in_id[c]) continue;
    for (int d = 0; d < c && !xf->in_lut[c]; d++)
      if (xf->in_lut[d] && same_curve(tin[c], tin[d])) xf->in_lut[c] = xf->in_lut[d];
    if (xf->in_lut[c]) continue;
    for (int i = 0; i < IN_N; i++) p[i] = cmsEvalToneCurveFloat(tin[c], (float)i / (float)(IN_N - 1));
    for (int d = 0; d < c && !xf->in_lut[c]; d++)
      if (xf->in_lut[d] && !memcmp(xf->in_lut[d], p, IN_N * sizeof(float))) xf->in_lut[c] = xf->in_lut[d];
    if (!xf->in_lut[c]) {
      xf->in_lut[c] = p;
      p += IN_N;
    }
  }
  for (int c = 0; ok && c < 3; c++) {
    if (out_id[c]) continue;
    for (int i = 0; i < OUT_N; i++) p[i] = cmsEvalToneCurveFloat(tout[c], out_node(i));
    xf->out_at0[c] = cmsEvalToneCurveFloat(tout[c], 0.0f);
    for (int d = 0; d < c && !xf->out_lut[c]; d++)
      if (xf->out_lut[d] && xf->out_at0[d] == xf->out_at0[c] && !memcmp(xf->out_lut[d], p, OUT_N * sizeof(float)))
        xf->out_lut[c] = xf->out_lut[d];
    if (!xf->out_lut[c]) {
      xf->out_lut[c] = p;
      p += OUT_N;
    }
  }
  for (int c = 0; c < 3; c++)
    if (tout[c]) cmsFreeToneCurve(tout[c]);
  return ok;
}

/* Compare the fast path with lcms2 on probe colours: 16-bit code values
 * (what 8/16-bit files decode to), corners and quarter greys, and samples
 * outside [0, 1] when the input curves are the identity (unbounded).
 * Codes only, because lcms2 itself rounds the input of a sampled ('curv'
 * table) curve to 16 bits; between codes our interpolation differs from it
 * by at most that rounding. */
static int fast_agrees(const dm_xform *xf) {
  enum { N = 96, EDGE = 24 };
  float in[N * 3], ref[N * 3], got[N * 3];
  const int samples = N * xf->in_channels;
  int unbounded = 1;
  for (int c = 0; c < xf->in_channels; c++) unbounded &= xf->in_lut[c] == NULL;
  uint32_t seed = 12345;
  for (int i = 0; i < samples; i++) {
    seed = seed * 1664525u + 1013904223u;
    uint32_t code = seed >> 16;
    if (i < EDGE) code = (uint32_t)((i * 7) % 5) * 65535u / 4u;
    float v = (float)code / 65535.0f;
    if (unbounded && i >= samples - EDGE) v = v * 3.0f - 1.0f;
    in[i] = v;
  }
  cmsDoTransform(xf->lcms, in, ref, N);
  fast_row(xf, in, got, N);
  for (int i = 0; i < N; i++) {
    for (int k = 0; k < 3; k++) {
      float r = ref[i * 3 + k];
      if (xf->flags & DM_XFORM_CLIP) r = clip01(r);
      if (!(fabsf(got[i * 3 + k] - r) <= FAST_TOL * fmaxf(1.0f, fabsf(r)))) return 0;
    }
  }
  return 1;
}

static void try_fast(dm_cms *cms, dm_xform *xf, cmsHPROFILE in, cmsHPROFILE out) {
  const cmsUInt32Number intent = INTENT_RELATIVE_COLORIMETRIC;
  if (!cmsIsMatrixShaper(in) || cmsIsCLUT(in, intent, LCMS_USED_AS_INPUT) || !cmsIsMatrixShaper(out) ||
      cmsIsCLUT(out, intent, LCMS_USED_AS_OUTPUT))
    return;
  if (build_curves(xf, in, out) && extract_matrix(cms, xf, in, out) && fast_agrees(xf)) {
    xf->fast = 1;
    if (xf->in_channels == 3 && xf->in_lut[0] && xf->in_lut[1] && xf->in_lut[2] &&
        (xf->in8 = malloc(3 * 256 * sizeof(float))) != NULL)
      for (int c = 0; c < 3; c++)
        for (int k = 0; k < 256; k++) xf->in8[c * 256 + k] = in_curve(xf->in_lut[c], dm_code8_float(k));
    return;
  }
  free(xf->tables);
  xf->tables = NULL;
  memset(xf->in_lut, 0, sizeof xf->in_lut);
  memset(xf->out_lut, 0, sizeof xf->out_lut);
  dm_cms_clear(cms); /* failures here only mean "use lcms2 per pixel" */
}

dm_status dm_xform_new(dm_context *ctx, dm_cms *cms, cmsHPROFILE in, int in_channels, cmsHPROFILE out,
                       int flags, long long pixels, const char *subject, dm_xform **out_xf) {
  *out_xf = NULL;
  if (in_channels != 1 && in_channels != 3)
    return dm_fail(ctx, DM_ERR_PARAM, subject, "%d colour channels are not supported", in_channels);
  dm_xform *xf = calloc(1, sizeof *xf);
  if (!xf) return dm_fail(ctx, DM_ERR_NOMEM, subject, "out of memory");
  xf->in_channels = in_channels;
  xf->flags = flags;
  xf->lcms = cmsCreateTransformTHR(cms->id, in, fmt(in_channels), out, TYPE_RGB_FLT,
                                   INTENT_RELATIVE_COLORIMETRIC, cmsFLAGS_NOCACHE);
  if (!xf->lcms) {
    free(xf);
    return dm_fail(ctx, DM_ERR_FORMAT, subject, "the ICC profile cannot be used for a conversion (%s)",
                   dm_cms_message(cms, "lcms2 gave no reason"));
  }
  if (!(flags & DM_XFORM_LCMS_ONLY) && pixels >= FAST_MIN_PIXELS) try_fast(cms, xf, in, out);
  *out_xf = xf;
  return DM_OK;
}

/* ---- applying ---- */

typedef struct {
  dm_context *ctx;
  const dm_xform *xf;
  const dm_image *src;
  dm_image *dst;
  atomic_int nomem;
} apply_job;

/* Whether every sample of the row is inside the fast path's domain: [0, 1]
 * with input curves, finite without. Tested four at a time (ordered
 * compares: NaN fails both), then the rest one by one. */
static int row_fast(const dm_xform *xf, const float *row, int n) {
  int bounded = 0, i = 0;
  for (int c = 0; c < xf->in_channels; c++) bounded |= xf->in_lut[c] != NULL;
  const float lo = bounded ? 0.0f : -FLT_MAX, hi = bounded ? 1.0f : FLT_MAX;
#ifdef __SSE2__
  const __m128 vlo = _mm_set1_ps(lo), vhi = _mm_set1_ps(hi);
  __m128 ok = _mm_castsi128_ps(_mm_set1_epi32(-1));
  for (; i + 4 <= n; i += 4) {
    const __m128 v = _mm_loadu_ps(row + i);
    ok = _mm_and_ps(ok, _mm_and_ps(_mm_cmpge_ps(v, vlo), _mm_cmple_ps(v, vhi)));
  }
  if (_mm_movemask_ps(ok) != 0xf) return 0;
#endif
  for (; i < n; i++)
    if (!(row[i] >= lo && row[i] <= hi)) return 0;
  return 1;
}

/* lcms2 per pixel. Samples are kept within +-1e30 (a float TIFF may hold
 * infinities) so that lcms2's arithmetic stays finite; NaN becomes 0. */
static void row_lcms(const dm_xform *xf, const float *in, float *scratch, float *out, int width) {
  int n = width * xf->in_channels;
  for (int i = 0; i < n; i++) scratch[i] = in[i] > -1e30f ? (in[i] < 1e30f ? in[i] : 1e30f) : (in[i] < 0 ? -1e30f : 0.0f);
  cmsDoTransform(xf->lcms, scratch, out, (cmsUInt32Number)width);
  if (xf->flags & DM_XFORM_CLIP)
    for (int i = 0; i < width * 3; i++) out[i] = clip01(out[i]);
}

static void apply_rows(void *user, int ith, int nth) {
  apply_job *job = user;
  const dm_xform *xf = job->xf;
  int width = job->src->width, ch = xf->in_channels, y0, y1;
  dm_split_rows(job->src->height, ith, nth, &y0, &y1);
  if (y0 >= y1) return;
  float *scratch = malloc((size_t)width * (size_t)ch * sizeof(float));
  if (!scratch) {
    atomic_store(&job->nomem, 1);
    return;
  }
  for (int y = y0; y < y1 && !dm_cancelled(job->ctx); y++) {
    const float *in = dm_row(job->src, y);
    float *out = dm_row(job->dst, y);
    if (xf->fast && row_fast(xf, in, width * ch)) {
      fast_row(xf, in, out, width);
    } else {
      row_lcms(xf, in, scratch, out, width);
    }
  }
  free(scratch);
}

dm_status dm_xform_apply(dm_context *ctx, const dm_xform *xf, const dm_image *src, dm_image *dst) {
  if (src->channels != xf->in_channels || dst->channels != 3 || src->width != dst->width ||
      src->height != dst->height)
    return dm_fail(ctx, DM_ERR_INTERNAL, NULL, "colour transform given mismatched images (%dx%dx%d -> %dx%dx%d)",
                   src->width, src->height, src->channels, dst->width, dst->height, dst->channels);
  apply_job job = {.ctx = ctx, .xf = xf, .src = src, .dst = dst};
  atomic_init(&job.nomem, 0);
  dm_parallel(ctx, apply_rows, &job);
  if (atomic_load(&job.nomem)) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory in colour conversion");
  if (dm_cancelled(ctx)) return dm_fail(ctx, DM_ERR_CANCELLED, NULL, "cancelled");
  return DM_OK;
}

int dm_xform_is_fast(const dm_xform *xf) { return xf->fast; }

void dm_xform_free(dm_xform *xf) {
  if (!xf) return;
  if (xf->lcms) cmsDeleteTransform(xf->lcms);
  free(xf->tables);
  free(xf->in8);
  free(xf->codes);
  free(xf);
}

/* ---- 8-bit codes (previews) ---- */

/* The output curve sampled at k / (CODES_N - 1) and rounded to its code:
 * the linear step near black (1/65535) moves the sRGB value by 0.05 of a
 * code, so a code differs from the float path's only where the curve
 * crosses a half within that step. */
#define CODES_N 65536

dm_status dm_xform_codes_prepare(dm_context *ctx, dm_xform *xf) {
  if (!xf->fast || xf->in_channels != 3 || xf->in_lut[0] || xf->in_lut[1] || xf->in_lut[2] ||
      !xf->out_lut[0] || !xf->out_lut[1] || !xf->out_lut[2] || !(xf->flags & DM_XFORM_CLIP))
    return dm_fail(ctx, DM_ERR_INTERNAL, NULL, "8-bit codes need a matrix, clip and curves transform");
  if (xf->codes) return DM_OK;
  uint8_t *t = malloc(3 * (size_t)CODES_N);
  if (!t) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for the colour tables");
  for (int c = 0; c < 3; c++)
    for (int k = 0; k < CODES_N; k++) {
      t[(size_t)c * CODES_N + k] =
          dm_to_u8(out_curve(xf->out_lut[c], xf->out_at0[c], (float)k / (float)(CODES_N - 1)));
    }
  xf->codes = t;
  return DM_OK;
}

static inline float finite_or(float v) { /* as row_lcms keeps them */
  return v > -1e30f ? (v < 1e30f ? v : 1e30f) : (v < 0 ? -1e30f : 0.0f);
}

static inline int code_index(float v) { return (int)(clip01(v) * (float)(CODES_N - 1) + 0.5f); }

void dm_xform_codes_row(const dm_xform *xf, const float *in, uint8_t *out, int width) {
  const float(*m)[3] = xf->m;
  const uint8_t *t0 = xf->codes, *t1 = t0 + CODES_N, *t2 = t1 + CODES_N;
  for (int x = 0; x < width; x++, in += 3, out += 3) {
    float r = finite_or(in[0]), g = finite_or(in[1]), b = finite_or(in[2]);
    out[0] = t0[code_index(m[0][0] * r + m[0][1] * g + m[0][2] * b)];
    out[1] = t1[code_index(m[1][0] * r + m[1][1] * g + m[1][2] * b)];
    out[2] = t2[code_index(m[2][0] * r + m[2][1] * g + m[2][2] * b)];
  }
}
