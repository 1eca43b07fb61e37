/* Lens blur parameter table and validation.
 *
 * Names, ranges and defaults follow Lightroom / Camera Raw's Lens Blur
 * panel. The XMP names are the attributes Lightroom writes inside
 * crs:LensBlur (seen in Lightroom Classic 13 / ACR 16+ sidecars: Version,
 * Active, FocalRange "0 0 100 100", BlurAmount 50, BokehShape 0,
 * BokehShapeDetail 0, HighlightsThreshold 50, HighlightsBoost 50,
 * CatEyeAmount 0, CatEyeScale 100, BokehAspect 0, BokehRotation 0,
 * SphericalAberration 0). Lightroom's numbering of BokehShape values other
 * than 0 (circle) is not documented, so `bokeh` maps to dm: only. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>

#include "blur/blur.h"

#define P(k, lab, ty, n, field, d, lo, hi, ulo, uhi, xmp, doc_)                                \
  {.key = k, .label = lab, .type = ty, .count = n, .offset = offsetof(dm_lens_blur, field),   \
   .def = d, .min = lo, .max = hi, .ui_min = ulo, .ui_max = uhi, .xmp_name = xmp,             \
   .xmp_scale = 1.0f, .doc = doc_}

static const float focal_range_defs[4] = {0, 0, 100, 100};

static const dm_param params[] = {
    P("active", "Apply", DM_PARAM_BOOL, 1, active, 0, 0, 1, 0, 1, "Active", "apply the lens blur"),
    P("amount", "Blur Amount", DM_PARAM_FLOAT, 1, amount, 50, 0, 100, 0, 100, "BlurAmount",
      "strength of the blur in artistic mode (largest CoC = 10% of the long side x (amount/100)^2; "
      "recipes of process version 3 and before: 4% of the diagonal x amount/100)"),
    {.key = "focal_range", .label = "Focal Range", .type = DM_PARAM_VEC, .count = 4,
     .offset = offsetof(dm_lens_blur, focal_range), .def = 0, .min = -1000, .max = 1000,
     .ui_min = 0, .ui_max = 100, .xmp_name = "FocalRange", .xmp_scale = 1.0f,
     .doc = "nearOuter,nearInner,farInner,farOuter on the 0..100 near->far depth scale; inner = "
            "sharp plateau, inner->outer = ramp to full blur; 0,0,100,100 = focus on the subject",
     .defs = focal_range_defs},
    P("bokeh", "Bokeh", DM_PARAM_FLOAT, 1, bokeh, 0, 0, DM_BOKEH_COUNT - 1, 0, DM_BOKEH_COUNT - 1,
      NULL, "aperture shape: 0 circle, 1 blades, 2 ring, 3 bubble"),
    P("blades", "Blades", DM_PARAM_FLOAT, 1, blades, 6, 5, 9, 5, 9, NULL,
      "number of aperture blades (bokeh = blades)"),
    P("blade_rotation", "Rotation", DM_PARAM_FLOAT, 1, blade_rotation, 0, -360, 360, -180, 180,
      "BokehRotation", "rotation of the blades, degrees counter-clockwise"),
    P("blade_curvature", "Curvature", DM_PARAM_FLOAT, 1, blade_curvature, 0, 0, 100, 0, 100, NULL,
      "0 = straight blades (polygon) .. 100 = round"),
    P("cat_eye", "Cat Eye", DM_PARAM_FLOAT, 1, cat_eye, 0, 0, 100, 0, 100, "CatEyeAmount",
      "bokeh cut to a cat's eye towards the frame's edges (mechanical vignetting)"),
    P("boost", "Boost", DM_PARAM_FLOAT, 1, boost, 50, 0, 100, 0, 100, "HighlightsBoost",
      "lift clipped highlights before blurring so out-of-focus lights glow"),
    P("boost_threshold", "Boost Threshold", DM_PARAM_FLOAT, 1, boost_threshold, 50, 0, 100, 0, 100,
      "HighlightsThreshold", "how close to clipped white a pixel must be to be boosted (100 = only clipped)"),
    P("mode", "Mode", DM_PARAM_FLOAT, 1, mode, 0, 0, 1, 0, 1, NULL,
      "0 artistic (amount + focal range), 1 physical (lens + metric depth)"),
    P("f_mm", "Focal Length", DM_PARAM_FLOAT, 1, f_mm, 85, 1, 2000, 10, 600, NULL,
      "physical mode: focal length in mm"),
    P("f_number", "f-Number", DM_PARAM_FLOAT, 1, f_number, 1.8f, 0.5f, 64, 0.95f, 22, NULL,
      "physical mode: aperture f-number"),
    P("focus_m", "Focus Distance", DM_PARAM_FLOAT, 1, focus_m, 0, 0, 100000, 0, 100, NULL,
      "physical mode: focus distance in metres; 0 = the subject's depth"),
    P("sensor_width_mm", "Sensor Width", DM_PARAM_FLOAT, 1, sensor_width_mm, 36, 1, 200, 4, 60, NULL,
      "physical mode: sensor width in mm (full frame 36)"),
    P("subject_distance_m", "Subject Distance", DM_PARAM_FLOAT, 1, subject_distance_m, 0, 0, 100000,
      0, 100, NULL, "physical mode: metres to the subject; with background_distance_m it makes "
      "relative depth metric (the matte's median depth there); 0 = the depth's own range"),
    P("background_distance_m", "Background Distance", DM_PARAM_FLOAT, 1, background_distance_m, 0, 0,
      100000, 0, 1000, NULL, "physical mode: metres to the background (the median depth outside "
      "the matte); 0 with subject_distance_m"),
};


const dm_param *dm_lens_blur_params(int *n) {
  *n = (int)(sizeof params / sizeof params[0]);
  return params;
}

void dm_lens_blur_defaults(dm_lens_blur *p) {
  int n;
  const dm_param *t = dm_lens_blur_params(&n);
  dm_param_defaults(t, n, p);
  /* today's rules; src/pipeline turns them off for older recipes */
  p->boost_light_size = 2;
  p->amount_curve = 1;
}

dm_status dm_lens_blur_check(dm_context *ctx, const dm_lens_blur *p) {
  int n;
  const dm_param *t = dm_lens_blur_params(&n);
  char subject[64];
  for (int i = 0; i < n; i++) {
    const float *v = (const float *)((const char *)p + t[i].offset);
    for (int k = 0; k < t[i].count; k++)
      if (!isfinite(v[k])) {
        snprintf(subject, sizeof subject, "lens_blur.%s", t[i].key);
        return dm_fail(ctx, DM_ERR_RANGE, subject, "not a finite number");
      }
    snprintf(subject, sizeof subject, "lens_blur.%s", t[i].key);
    dm_status s = dm_param_check(ctx, &t[i], p, subject);
    if (s != DM_OK) return s;
  }
  const float *fr = p->focal_range;
  if (!(fr[0] <= fr[1] && fr[1] <= fr[2] && fr[2] <= fr[3]))
    return dm_fail(ctx, DM_ERR_RANGE, "lens_blur.focal_range",
                   "expected nearOuter <= nearInner <= farInner <= farOuter, got %g,%g,%g,%g",
                   (double)fr[0], (double)fr[1], (double)fr[2], (double)fr[3]);
  if (p->bokeh != floorf(p->bokeh))
    return dm_fail(ctx, DM_ERR_RANGE, "lens_blur.bokeh", "expected 0, 1, 2 or 3");
  if (p->mode != 0 && p->mode != 1)
    return dm_fail(ctx, DM_ERR_RANGE, "lens_blur.mode", "expected 0 (artistic) or 1 (physical)");
  if (p->mode == DM_BLUR_PHYSICAL && p->focus_m != 0 && p->focus_m * 1000.0f <= p->f_mm)
    return dm_fail(ctx, DM_ERR_RANGE, "lens_blur.focus_m",
                   "focus distance %g m is not beyond the focal length %g mm", (double)p->focus_m,
                   (double)p->f_mm);
  return dm_lens_blur_check_distances(ctx, p, "lens_blur.subject_distance_m",
                                      "lens_blur.background_distance_m");
}

dm_status dm_lens_blur_check_distances(dm_context *ctx, const dm_lens_blur *p,
                                       const char *subject_name, const char *background_name) {
  float zs = p->subject_distance_m, zb = p->background_distance_m;
  if (zs == 0.0f && zb == 0.0f) return DM_OK; /* not given */
  const char *names[2] = {subject_name, background_name};
  float v[2] = {zs, zb};
  for (int i = 0; i < 2; i++) {
    if (v[i] == 0.0f)
      return dm_fail(ctx, DM_ERR_RANGE, names[i], "needed with %s (two distances pin the depth)",
                     names[1 - i]);
    if (!isfinite(v[i]) || v[i] < 0.0f)
      return dm_fail(ctx, DM_ERR_RANGE, names[i], "%g is not a distance in metres", (double)v[i]);
    if (v[i] * 1000.0f <= p->f_mm)
      return dm_fail(ctx, DM_ERR_RANGE, names[i], "%g m is not beyond the focal length %g mm",
                     (double)v[i], (double)p->f_mm);
  }
  if (!(zs < zb))
    return dm_fail(ctx, DM_ERR_RANGE, subject_name, "%g m is not less than %s %g m", (double)zs,
                   background_name, (double)zb);
  return DM_OK;
}
