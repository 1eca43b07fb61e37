/* Mask components: names, parameter tables, checks, and the combination of
 * a component list into one map (whole_image lives here: it is c = 1). */
#include "mask/mask.h"

#include <assert.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/pool.h"
#include "mask/brush.h"
#include "mask/mask_kinds.h"

static const char *const kind_names[] = {"whole_image", "luminance_range", "linear_gradient",
                                         "radial_gradient", "file", "depth_range",
                                         "subject", "background", "brush"};
static_assert(sizeof kind_names / sizeof *kind_names == DM_MASK_KIND_COUNT,
              "one name per mask kind");
static const char *const mode_names[] = {"add", "subtract", "intersect"};
static_assert(sizeof mode_names / sizeof *mode_names == DM_MASK_MODE_COUNT,
              "one name per mask mode");

const char *dm_mask_kind_name(dm_mask_kind k) {
  return (unsigned)k < DM_MASK_KIND_COUNT ? kind_names[k] : "unknown";
}

int dm_mask_kind_from_name(const char *name, dm_mask_kind *out) {
  for (int i = 0; name && i < DM_MASK_KIND_COUNT; i++)
    if (!strcmp(name, kind_names[i])) {
      *out = (dm_mask_kind)i;
      return 1;
    }
  return 0;
}

const char *dm_mask_mode_name(dm_mask_mode m) {
  return (unsigned)m < DM_MASK_MODE_COUNT ? mode_names[m] : "unknown";
}

int dm_mask_mode_from_name(const char *name, dm_mask_mode *out) {
  for (int i = 0; name && i < DM_MASK_MODE_COUNT; i++)
    if (!strcmp(name, mode_names[i])) {
      *out = (dm_mask_mode)i;
      return 1;
    }
  return 0;
}

/* ---- parameter tables ------------------------------------------------- */

#define OFF(field) offsetof(dm_mask_component, field)

/* Every kind starts with these two. MaskValue is Lightroom's per-component
 * opacity (0..1). */
#define COMMON_PARAMS                                                                         \
  {.key = "invert", .label = "Invert", .type = DM_PARAM_BOOL, .count = 1, .offset = OFF(invert), \
   .def = 0, .min = 0, .max = 1, .ui_min = 0, .ui_max = 1, .xmp_name = "MaskInverted",          \
   .xmp_scale = 1, .doc = "use 1 - value: the component selects what it would leave out"},      \
  {                                                                                             \
    .key = "opacity", .label = "Opacity", .type = DM_PARAM_FLOAT, .count = 1,                   \
    .offset = OFF(opacity), .def = 100, .min = 0, .max = 100, .ui_min = 0, .ui_max = 100,       \
    .xmp_name = "MaskValue", .xmp_scale = 0.01f,                                                \
    .doc = "how strongly this component adds, subtracts or intersects (%)"                      \
  }

static const dm_param whole_params[] = {COMMON_PARAMS};

/* Per-element defaults of the VEC parameters. */
static const float lum_range_def[4] = {0, 0, 100, 100}; /* Lightroom's full range */
static const float zero_def[2] = {0.5f, 0.5f};          /* a graduated filter from the */
static const float full_def[2] = {0.5f, 0.0f};          /* top edge (full) to the middle */
static const dm_param luminance_params[] = {
    COMMON_PARAMS,
    {.key = "luminance_range", .label = "Luminance Range", .type = DM_PARAM_VEC, .count = 4,
     .offset = OFF(lum_range), .def = 0, .defs = lum_range_def, .min = 0, .max = 100, .ui_min = 0, .ui_max = 100,
     .doc = "lightness L* trapezoid: 0 below 1st, full from 2nd to 3rd, 0 above 4th "
            "(default 0,0,100,100)"},
};

static const dm_param linear_params[] = {
    COMMON_PARAMS,
    {.key = "zero", .label = "Zero Point", .type = DM_PARAM_VEC, .count = 2, .offset = OFF(zero),
     .def = 0.5f, .defs = zero_def, .min = -10, .max = 10, .ui_min = 0, .ui_max = 1,
     .doc = "x,y (fractions of the photo) where the gradient has no effect (default 0.5,0.5)"},
    {.key = "full", .label = "Full Point", .type = DM_PARAM_VEC, .count = 2, .offset = OFF(full),
     .def = 0.5f, .defs = full_def, .min = -10, .max = 10, .ui_min = 0, .ui_max = 1,
     .doc = "x,y (fractions of the photo) where the effect is full (default 0.5,0)"},
};

static const dm_param radial_params[] = {
    COMMON_PARAMS,
    {.key = "top", .label = "Top", .type = DM_PARAM_FLOAT, .count = 1, .offset = OFF(top),
     .def = 0.25f, .min = -10, .max = 10, .ui_min = 0, .ui_max = 1, .xmp_name = "Top",
     .xmp_scale = 1, .doc = "top of the ellipse's box before rotation (fraction of the height)"},
    {.key = "left", .label = "Left", .type = DM_PARAM_FLOAT, .count = 1, .offset = OFF(left),
     .def = 0.25f, .min = -10, .max = 10, .ui_min = 0, .ui_max = 1, .xmp_name = "Left",
     .xmp_scale = 1, .doc = "left of the ellipse's box before rotation (fraction of the width)"},
    {.key = "bottom", .label = "Bottom", .type = DM_PARAM_FLOAT, .count = 1, .offset = OFF(bottom),
     .def = 0.75f, .min = -10, .max = 10, .ui_min = 0, .ui_max = 1, .xmp_name = "Bottom",
     .xmp_scale = 1, .doc = "bottom of the ellipse's box before rotation (fraction of the height)"},
    {.key = "right", .label = "Right", .type = DM_PARAM_FLOAT, .count = 1, .offset = OFF(right),
     .def = 0.75f, .min = -10, .max = 10, .ui_min = 0, .ui_max = 1, .xmp_name = "Right",
     .xmp_scale = 1, .doc = "right of the ellipse's box before rotation (fraction of the width)"},
    {.key = "angle", .label = "Angle", .type = DM_PARAM_FLOAT, .count = 1, .offset = OFF(angle),
     .def = 0, .min = -360, .max = 360, .ui_min = -180, .ui_max = 180, .xmp_name = "Angle",
     .xmp_scale = 1, .doc = "rotation about the ellipse's centre, degrees, clockwise on screen"},
    {.key = "feather", .label = "Feather", .type = DM_PARAM_FLOAT, .count = 1,
     .offset = OFF(feather), .def = 50, .min = 0, .max = 100, .ui_min = 0, .ui_max = 100,
     .xmp_name = "Feather", .xmp_scale = 1,
     .doc = "how far inside the edge the fall-off starts: 0 hard edge, 100 from the centre"},
};

static const dm_param file_params[] = {COMMON_PARAMS};

/* Depth range. The default selects every depth (as a fresh Lightroom Depth
 * Range does before the user drags the handles); smoothness 25 is a modest
 * ramp (see depth_range.c for the curve). The recipe maps the XMP fields. */
static const float depth_range_def[2] = {0, 100};
static const dm_param depth_range_params[] = {
    COMMON_PARAMS,
    {.key = "depth_range", .label = "Depth Range", .type = DM_PARAM_VEC, .count = 2,
     .offset = OFF(depth_range), .def = 0, .defs = depth_range_def, .min = 0, .max = 100,
     .ui_min = 0, .ui_max = 100,
     .doc = "min,max of the selected depths, 0 nearest .. 100 farthest (default 0,100)"},
    {.key = "smoothness", .label = "Smoothness", .type = DM_PARAM_FLOAT, .count = 1,
     .offset = OFF(smoothness), .def = 25, .min = 0, .max = 100, .ui_min = 0, .ui_max = 100,
     .doc = "width of the fall-off outside the range: 0 hard edge, 100 about 10 depth units"},
};

static const dm_param subject_params[] = {COMMON_PARAMS};

/* A brush's own values are per stroke (dm_brush_stroke_params, mask/brush.h);
 * the component has only what every component has. */
static const dm_param brush_params[] = {COMMON_PARAMS};

#define N_OF(t) ((int)(sizeof t / sizeof *t))

const dm_param *dm_mask_params(dm_mask_kind kind, int *n) {
  switch (kind) {
    case DM_MASK_ALL: *n = N_OF(whole_params); return whole_params;
    case DM_MASK_LUMINANCE_RANGE: *n = N_OF(luminance_params); return luminance_params;
    case DM_MASK_LINEAR_GRADIENT: *n = N_OF(linear_params); return linear_params;
    case DM_MASK_RADIAL_GRADIENT: *n = N_OF(radial_params); return radial_params;
    case DM_MASK_FILE: *n = N_OF(file_params); return file_params;
    case DM_MASK_DEPTH_RANGE: *n = N_OF(depth_range_params); return depth_range_params;
    case DM_MASK_SUBJECT:
    case DM_MASK_BACKGROUND: *n = N_OF(subject_params); return subject_params;
    case DM_MASK_BRUSH: *n = N_OF(brush_params); return brush_params;
    default: *n = 0; return NULL;
  }
}

void dm_mask_component_init(dm_mask_component *c, dm_mask_kind kind) {
  memset(c, 0, sizeof *c);
  c->kind = kind;
  c->mode = DM_MASK_ADD;
  /* Every kind's table covers only its own fields; give the others their
   * defaults too, so switching kind later starts from sane values. */
  dm_param_defaults(luminance_params, N_OF(luminance_params), c);
  dm_param_defaults(linear_params, N_OF(linear_params), c);
  dm_param_defaults(radial_params, N_OF(radial_params), c);
  dm_param_defaults(depth_range_params, N_OF(depth_range_params), c);
}

dm_status dm_mask_component_copy(dm_context *ctx, dm_mask_component *dst,
                                 const dm_mask_component *src) {
  *dst = *src;
  dst->brush = NULL;
  dm_status s = dm_brush_copy(ctx, src->brush, &dst->brush);
  if (s) dm_mask_component_init(dst, DM_MASK_ALL);
  return s;
}

void dm_mask_component_free(dm_mask_component *c) {
  dm_brush_free(c->brush);
  c->brush = NULL;
}

/* "subject.key", or just "key" without a subject. */
static void field_name(char *out, size_t len, const char *subject, const char *key) {
  if (subject && *subject)
    snprintf(out, len, "%s.%s", subject, key);
  else
    snprintf(out, len, "%s", key);
}

dm_status dm_mask_component_check(dm_context *ctx, const dm_mask_component *c,
                                  const char *subject) {
  char name[256];
  if ((unsigned)c->kind >= DM_MASK_KIND_COUNT) {
    field_name(name, sizeof name, subject, "kind");
    return dm_fail(ctx, DM_ERR_PARAM, name, "unknown mask kind %d", (int)c->kind);
  }
  if ((unsigned)c->mode >= DM_MASK_MODE_COUNT) {
    field_name(name, sizeof name, subject, "mode");
    return dm_fail(ctx, DM_ERR_PARAM, name, "unknown mode %d (add, subtract or intersect)",
                   (int)c->mode);
  }
  int n;
  const dm_param *t = dm_mask_params(c->kind, &n);
  for (int i = 0; i < n; i++) {
    field_name(name, sizeof name, subject, t[i].key);
    dm_status s = dm_param_check(ctx, &t[i], c, name);
    if (s) return s;
  }
  /* Relations between fields. */
  switch (c->kind) {
    case DM_MASK_LUMINANCE_RANGE: {
      const float *r = c->lum_range;
      if (!(r[0] <= r[1] && r[1] <= r[2] && r[2] <= r[3])) {
        field_name(name, sizeof name, subject, "luminance_range");
        return dm_fail(ctx, DM_ERR_RANGE, name, "%g,%g,%g,%g is not in increasing order",
                       (double)r[0], (double)r[1], (double)r[2], (double)r[3]);
      }
      break;
    }
    case DM_MASK_LINEAR_GRADIENT:
      if (c->zero[0] == c->full[0] && c->zero[1] == c->full[1]) {
        field_name(name, sizeof name, subject, "full");
        return dm_fail(ctx, DM_ERR_RANGE, name, "is the same point as zero; the gradient has no direction");
      }
      break;
    case DM_MASK_RADIAL_GRADIENT:
      if (!(c->right > c->left)) {
        field_name(name, sizeof name, subject, "right");
        return dm_fail(ctx, DM_ERR_RANGE, name, "%g must be greater than left (%g)",
                       (double)c->right, (double)c->left);
      }
      if (!(c->bottom > c->top)) {
        field_name(name, sizeof name, subject, "bottom");
        return dm_fail(ctx, DM_ERR_RANGE, name, "%g must be greater than top (%g)",
                       (double)c->bottom, (double)c->top);
      }
      break;
    case DM_MASK_DEPTH_RANGE:
      if (!(c->depth_range[0] <= c->depth_range[1])) {
        field_name(name, sizeof name, subject, "depth_range");
        return dm_fail(ctx, DM_ERR_RANGE, name, "min %g is above max %g",
                       (double)c->depth_range[0], (double)c->depth_range[1]);
      }
      break;
    case DM_MASK_FILE:
      if (!memchr(c->path, 0, sizeof c->path) || !c->path[0]) {
        field_name(name, sizeof name, subject, "path");
        return dm_fail(ctx, DM_ERR_PARAM, name, "no mask file given");
      }
      break;
    case DM_MASK_BRUSH: return dm_brush_check(ctx, c->brush, subject);
    default: break;
  }
  return DM_OK;
}

/* ---- rendering -------------------------------------------------------- */

typedef struct {
  dm_image *out;
  const dm_image *plane; /* component values; NULL = whole image (c = 1) */
  float opacity;         /* 0..1 */
  int invert, mode;
} combine_job;

/* The first component: m starts at 0, so add gives m = o c (c >= 0) and
 * subtract or intersect leave 0. When `plane` is `out`, c is read and
 * replaced in place, which saves a buffer for one-component masks. */
static void first_rows(void *user, int ith, int nth) {
  combine_job *j = user;
  int y0, y1;
  dm_split_rows(j->out->height, ith, nth, &y0, &y1);
  const float o = j->mode == DM_MASK_ADD ? j->opacity : 0.0f;
  for (int y = y0; y < y1; y++) {
    float *m = dm_row(j->out, y);
    const float *p = j->plane ? dm_row(j->plane, y) : NULL;
    for (int x = 0; x < j->out->width; x++) {
      float c = p ? p[x] : 1.0f;
      m[x] = o * (j->invert ? 1.0f - c : c);
    }
  }
}

static void combine_rows(void *user, int ith, int nth) {
  combine_job *j = user;
  int y0, y1;
  dm_split_rows(j->out->height, ith, nth, &y0, &y1);
  const float o = j->opacity;
  /* intersect is computed as subtract of the inverted component, so the two
   * spellings give identical bits (Lightroom stores intersect that way). */
  const int invert = j->mode == DM_MASK_INTERSECT ? !j->invert : j->invert;
  const int add = j->mode == DM_MASK_ADD;
  for (int y = y0; y < y1; y++) {
    float *m = dm_row(j->out, y);
    const float *p = j->plane ? dm_row(j->plane, y) : NULL;
    for (int x = 0; x < j->out->width; x++) {
      float c = p ? p[x] : 1.0f;
      if (invert) c = 1.0f - c;
      float oc = o * c;
      m[x] = add ? fmaxf(m[x], oc) : m[x] * (1.0f - oc);
    }
  }
}

static dm_status render_component(dm_context *ctx, const dm_mask_component *c,
                                  const dm_mask_inputs *in, dm_image *plane) {
  switch (c->kind) {
    case DM_MASK_LUMINANCE_RANGE: return dm_mask_luminance_range_render(ctx, c, in, plane);
    case DM_MASK_LINEAR_GRADIENT: return dm_mask_linear_gradient_render(ctx, c, in, plane);
    case DM_MASK_RADIAL_GRADIENT: return dm_mask_radial_gradient_render(ctx, c, in, plane);
    case DM_MASK_FILE: return dm_mask_file_render(ctx, c, in, plane);
    case DM_MASK_DEPTH_RANGE: return dm_mask_depth_range_render(ctx, c, in, plane);
    case DM_MASK_SUBJECT:
    case DM_MASK_BACKGROUND: return dm_mask_subject_render(ctx, c, in, plane);
    case DM_MASK_BRUSH: return dm_mask_brush_render(ctx, c, in, plane);
    default: return DM_OK; /* whole image: no plane, c = 1 */
  }
}

int dm_mask_needs(const dm_mask_component *comps, int n) {
  int needs = 0;
  for (int i = 0; comps && i < n; i++) {
    if (comps[i].kind == DM_MASK_DEPTH_RANGE) needs |= DM_MASK_NEEDS_DEPTH | DM_MASK_NEEDS_MATTE;
    if (comps[i].kind == DM_MASK_SUBJECT || comps[i].kind == DM_MASK_BACKGROUND)
      needs |= DM_MASK_NEEDS_MATTE;
  }
  return needs;
}

int dm_mask_reads_image(const dm_mask_component *comps, int n) {
  for (int i = 0; comps && i < n; i++)
    if (comps[i].kind == DM_MASK_LUMINANCE_RANGE || comps[i].kind == DM_MASK_DEPTH_RANGE) return 1;
  return 0;
}

int dm_mask_reach(const dm_mask_component *comps, int n, const dm_frame *frame, int *align) {
  int margin = 0;
  long long grid = 1;
  for (int i = 0; comps && i < n; i++) {
    int m = 0, a = 1;
    if (comps[i].kind == DM_MASK_LUMINANCE_RANGE) /* two box passes over L* */
      m = 2 * dm_mask_luminance_blur_radius(frame->full_w, frame->full_h) + 1;
    else if (comps[i].kind == DM_MASK_DEPTH_RANGE)
      m = dm_mask_refine_reach(frame, &a);
    margin = m > margin ? m : margin;
    grid = dm_grid_lcm(grid, a);
  }
  *align = grid < (1 << 20) ? (int)grid : 1 << 20;
  return margin;
}

dm_status dm_mask_render(dm_context *ctx, const dm_mask_component *comps, int n,
                         const dm_mask_inputs *in, dm_image *out) {
  if (!in || !in->image || !in->image->data)
    return dm_fail(ctx, DM_ERR_INTERNAL, "mask", "no image to render the mask for");
  if (!out || !out->data || out->channels != 1 || out->width != in->image->width ||
      out->height != in->image->height)
    return dm_fail(ctx, DM_ERR_INTERNAL, "mask",
                   "output must be a 1-channel %dx%d image", in->image->width, in->image->height);
  if (n < 0 || (n > 0 && !comps))
    return dm_fail(ctx, DM_ERR_INTERNAL, "mask", "bad component list");
  char subject[32];
  for (int i = 0; i < n; i++) {
    snprintf(subject, sizeof subject, "mask[%d]", i);
    dm_status s = dm_mask_component_check(ctx, &comps[i], subject);
    if (s) return s;
  }
  if (n == 0) { /* nothing to limit the correction: everywhere */
    combine_job all = {.out = out, .opacity = 1, .mode = DM_MASK_ADD};
    dm_parallel(ctx, first_rows, &all);
    return DM_OK;
  }

  dm_image plane = {0};
  dm_status s = DM_OK;
  for (int i = 0; i < n && !s; i++) {
    const dm_mask_component *c = &comps[i];
    if (dm_cancelled(ctx)) {
      s = dm_fail(ctx, DM_ERR_CANCELLED, NULL, "cancelled");
      break;
    }
    /* The first component renders straight into `out`; later ones need a
     * plane of their own. Whole-image components need none. */
    dm_image *dst = i == 0 ? out : &plane;
    if (c->kind != DM_MASK_ALL && !dst->data)
      s = dm_image_alloc(ctx, &plane, out->width, out->height, 1);
    if (!s) s = render_component(ctx, c, in, dst);
    if (s) break;
    combine_job job = {.out = out,
                       .plane = c->kind == DM_MASK_ALL ? NULL : dst,
                       .opacity = c->opacity / 100.0f,
                       .invert = c->invert != 0.0f,
                       .mode = c->mode};
    dm_parallel(ctx, i == 0 ? first_rows : combine_rows, &job);
  }
  dm_image_free(&plane);
  return s;
}
