/* Resize (opsets 10, 11, 13, 18, 19) and Upsample (7, 9): reading the
 * node into an nn_resize_spec. The tap tables are built once per plan in
 * prepare (resize_table.c); run applies them (resize_kernels.c).
 *
 * Upsample and Resize-10 use asymmetric coordinates; their nearest rounds
 * down (up when shrinking), as onnxruntime does. Linear and cubic take
 * float32; nearest any type. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/ops_tensor.h"
#include "nn/resize.h"

static int lookup(const char *s, const char *const *names, int n) {
  for (int i = 0; i < n; i++)
    if (!strcmp(s, names[i])) return i;
  return -1;
}

static dm_status parse_modes(nn_kctx *k, nn_resize_spec *s, int legacy) {
  static const char *const modes[] = {"nearest", "linear", "cubic", "bilinear"};
  static const char *const coords[] = {"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel",
                                       "align_corners", "asymmetric", "tf_half_pixel_for_nn",
                                       "tf_crop_and_resize"};
  static const char *const nearests[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
  const nn_node *n = k->node;
  const char *m = nn_attr_string(n, "mode", "nearest");
  s->mode = lookup(m, modes, 4);
  if (s->mode == 3) s->mode = NN_RS_LINEAR; /* Upsample-7's old name */
  if (s->mode < 0 || (legacy && s->mode == NN_RS_CUBIC))
    return nn_fail(k, DM_ERR_FORMAT, "mode '%s' is not supported", m);
  if (legacy) {
    s->coord = NN_RS_ASYMMETRIC, s->nearest = NN_RS_SIMPLE;
    return DM_OK;
  }
  const char *c = nn_attr_string(n, "coordinate_transformation_mode", "half_pixel");
  const char *nm = nn_attr_string(n, "nearest_mode", "round_prefer_floor");
  if ((s->coord = lookup(c, coords, 7)) < 0)
    return nn_fail(k, DM_ERR_FORMAT, "coordinate_transformation_mode '%s' is not supported", c);
  if ((s->nearest = lookup(nm, nearests, 4)) < 0)
    return nn_fail(k, DM_ERR_FORMAT, "nearest_mode '%s' is not supported", nm);
  s->cubic_a = nn_attr_float(n, "cubic_coeff_a", -0.75f);
  s->exclude_outside = nn_attr_int(n, "exclude_outside", 0) != 0;
  s->extrapolation = nn_attr_float(n, "extrapolation_value", 0.0f);
  s->antialias = k->opset >= 18 && nn_attr_int(n, "antialias", 0) != 0 && s->mode != NN_RS_NEAREST;
  return DM_OK;
}

/* Axes the scales / sizes / roi refer to: 'axes' (18+) or all. */
static dm_status parse_axes(nn_kctx *k, int r, int *axes, int *na) {
  size_t len = 0;
  const int64_t *a = k->opset >= 18 ? nn_attr_ints(k->node, "axes", &len) : NULL;
  if (!a) {
    for (int i = 0; i < r; i++) axes[i] = i;
    *na = r;
    return DM_OK;
  }
  if (len > (size_t)r) return nn_fail(k, DM_ERR_FORMAT, "more axes than dimensions");
  int seen[DM_NN_MAX_DIMS] = {0};
  for (size_t i = 0; i < len; i++) {
    int x = nn_axis(a[i], r);
    if (x < 0 || seen[x]++) return nn_fail(k, DM_ERR_FORMAT, "invalid or repeated axis");
    axes[i] = x;
  }
  *na = (int)len;
  return DM_OK;
}

/* Output size from a scale: floor(in * scale), times the roi's extent for
 * tf_crop_and_resize (as the spec defines it). */
static int64_t scaled_size(const nn_resize_spec *s, int a) {
  double ext = s->coord == NN_RS_TF_CROP_AND_RESIZE ? s->roi_hi[a] - s->roi_lo[a] : 1.0;
  double v = floor((double)s->in[a] * ext * s->scale[a]);
  return v > 0 ? (v < (double)NN_MAX_ELEMS ? (int64_t)v : NN_MAX_ELEMS) : 0;
}

static dm_status resize_spec(nn_kctx *k, nn_resize_spec *s) {
  const dm_nn_tensor *x = nn_in(k, 0);
  if (!x || k->n_out < 1 || !k->out[0]) return nn_fail(k, DM_ERR_FORMAT, "needs an input and an output");
  memset(s, 0, sizeof *s);
  int upsample = !strcmp(k->node->op_type, "Upsample"), legacy = upsample || k->opset < 11;
  int r = s->ndim = x->ndim;
  if (r < 1) return nn_fail(k, DM_ERR_FORMAT, "input must have at least one dimension");
  dm_status st = parse_modes(k, s, legacy);
  if (st != DM_OK) return st;
  if (s->mode != NN_RS_NEAREST && x->dtype != DM_NN_FLOAT)
    return nn_fail(k, DM_ERR_FORMAT, "unsupported element type %s (linear and cubic need float32)",
                   dm_nn_dtype_name(x->dtype));
  int axes[DM_NN_MAX_DIMS], na = 0;
  if ((st = parse_axes(k, r, axes, &na)) != DM_OK) return st;
  for (int a = 0; a < r; a++) {
    s->in[a] = s->out[a] = x->dims[a];
    s->scale[a] = 1, s->roi_lo[a] = 0, s->roi_hi[a] = 1;
  }
  double scales[DM_NN_MAX_DIMS], roi[2 * DM_NN_MAX_DIMS];
  int64_t sizes[DM_NN_MAX_DIMS], ns = 0, nz = 0, nr;
  int scale_in = legacy ? 1 : 2;
  if (upsample && k->opset < 9) {
    size_t len;
    const float *f = nn_attr_floats(k->node, "scales", &len);
    if (!f || len > DM_NN_MAX_DIMS) return nn_fail(k, DM_ERR_FORMAT, "attribute 'scales' is required");
    for (size_t i = 0; i < len; i++) scales[i] = f[i];
    ns = (int64_t)len;
  } else if (nn_in_nonempty(k, scale_in)) {
    if ((st = nn_const_reals(k, scale_in, "scales", scales, DM_NN_MAX_DIMS, &ns)) != DM_OK) return st;
  }
  if (!legacy && nn_in_nonempty(k, 3))
    if ((st = nn_const_ints(k, 3, "sizes", sizes, DM_NN_MAX_DIMS, &nz)) != DM_OK) return st;
  if ((ns > 0) == (nz > 0)) return nn_fail(k, DM_ERR_FORMAT, "exactly one of 'scales' and 'sizes' must be given");
  if ((ns ? ns : nz) != na)
    return nn_fail(k, DM_ERR_FORMAT, "%s has %lld entries for %d axes", ns ? "scales" : "sizes",
                   (long long)(ns ? ns : nz), na);
  if (s->coord == NN_RS_TF_CROP_AND_RESIZE && nn_in_nonempty(k, 1)) {
    if ((st = nn_const_reals(k, 1, "roi", roi, 2 * DM_NN_MAX_DIMS, &nr)) != DM_OK) return st;
    if (nr != 2 * na) return nn_fail(k, DM_ERR_FORMAT, "roi has %lld entries for %d axes", (long long)nr, na);
    for (int i = 0; i < na; i++) s->roi_lo[axes[i]] = roi[i], s->roi_hi[axes[i]] = roi[na + i];
  }
  if (ns) {
    for (int i = 0; i < na; i++) {
      int a = axes[i];
      if (!(scales[i] > 0) || !isfinite(scales[i])) return nn_fail(k, DM_ERR_FORMAT, "scales must be positive");
      s->scale[a] = scales[i];
      s->out[a] = scaled_size(s, a);
    }
  } else {
    const char *pol = k->opset >= 18 ? nn_attr_string(k->node, "keep_aspect_ratio_policy", "stretch") : "stretch";
    int keep = !strcmp(pol, "not_larger") ? 1 : !strcmp(pol, "not_smaller") ? 2 : 0;
    if (!keep && strcmp(pol, "stretch")) return nn_fail(k, DM_ERR_FORMAT, "unknown keep_aspect_ratio_policy '%s'", pol);
    double common = keep == 1 ? INFINITY : 0;
    for (int i = 0; i < na; i++) {
      int a = axes[i];
      if (sizes[i] < 0 || (s->in[a] == 0 && sizes[i] != 0))
        return nn_fail(k, DM_ERR_FORMAT, "invalid size %lld for axis %d", (long long)sizes[i], a);
      s->out[a] = sizes[i];
      s->scale[a] = s->in[a] ? (double)sizes[i] / (double)s->in[a] : 1.0;
      common = keep == 1 ? fmin(common, s->scale[a]) : fmax(common, s->scale[a]);
    }
    for (int i = 0; keep && i < na; i++) {
      int a = axes[i];
      s->scale[a] = common;
      s->out[a] = (int64_t)(common * (double)s->in[a] + 0.5); /* round half up */
    }
  }
  for (int a = 0; s->antialias && a < r; a++)
    if (s->scale[a] < 1.0 / 1024) /* the filter would span thousands of taps */
      return nn_fail(k, DM_ERR_FORMAT, "scale %g of axis %d is too small to antialias", s->scale[a], a);
  dm_nn_tensor t = {.ndim = r};
  memcpy(t.dims, s->out, sizeof s->out);
  if (nn_numel(&t) < 0) return nn_fail(k, DM_ERR_FORMAT, "output too large");
  for (int a = 0; a < r; a++)
    if (s->in[a] > INT32_MAX || s->out[a] > INT32_MAX || (s->out[a] > 0 && s->in[a] == 0))
      return nn_fail(k, DM_ERR_FORMAT, "cannot resize axis %d from %lld to %lld", a, (long long)s->in[a],
                     (long long)s->out[a]);
  return DM_OK;
}

static dm_status resize_infer(nn_kctx *k) {
  nn_resize_spec s;
  dm_status st = resize_spec(k, &s);
  if (st == DM_OK) nn_set_shape(k->out[0], k->in[0]->dtype, s.ndim, s.out);
  return st;
}

static int ctx_threads(const nn_kctx *k) { return k->ctx && k->ctx->n_threads > 1 ? k->ctx->n_threads : 1; }

static dm_status resize_prepare(nn_kctx *k) {
  nn_resize_spec s;
  dm_status st = resize_spec(k, &s);
  if (st != DM_OK) return st;
  nn_resize_plan *p = nn_resize_plan_new(&s, ctx_threads(k));
  if (!p) return nn_fail(k, DM_ERR_NOMEM, "out of memory for the resize tables");
  k->node->state = p;
  k->node->scratch = nn_resize_scratch_bytes(p);
  return DM_OK;
}

static dm_status resize_run(nn_kctx *k) {
  const nn_resize_plan *p = k->node->state;
  nn_resize_plan *own = NULL;
  void *scratch = k->scratch, *own_scratch = NULL;
  if (!p || (nn_resize_scratch_bytes(p) && !scratch)) {
    /* not prepared (a direct call): tables and scratch just for this run */
    nn_resize_spec s;
    dm_status st = resize_spec(k, &s);
    if (st != DM_OK) return st;
    p = own = nn_resize_plan_new(&s, 1);
    size_t bytes = own ? nn_resize_scratch_bytes(own) : 0;
    if (!own || (bytes && !(scratch = own_scratch = malloc(bytes)))) {
      nn_resize_plan_free(own);
      return nn_fail(k, DM_ERR_NOMEM, "out of memory for the resize tables");
    }
  }
  const dm_nn_tensor *x = k->in[0];
  nn_resize_run(k->ctx, p, x->data, k->out[0]->data, dm_nn_dtype_size(x->dtype), x->dtype, scratch);
  nn_resize_plan_free(own);
  free(own_scratch);
  return DM_OK;
}

const nn_op nn_op_resize = {"Resize", 10, 19, 0, resize_infer, resize_prepare, resize_run, nn_resize_plan_free, NULL};
const nn_op nn_op_upsample = {"Upsample", 7, 9, 0, resize_infer, resize_prepare, resize_run, nn_resize_plan_free, NULL};
