/* How depthmask's corrections map onto Lightroom's XMP fields.
 *
 * What Lightroom Classic 11+ / Camera Raw 14+ write (from public sidecars,
 * e.g. github.com/ninjahisser/Fotos (Camera Raw 17.x), exiftool 12.57's
 * XMP.pm struct tables (%sCorrection, %sCorrectionMask, %sCorrRangeMask,
 * "new in LR 11.0 MaskGroupBasedCorrections"), and public tools' notes on
 * censuses of real sidecars):
 *
 *   <rdf:Description rdf:about="" xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/"
 *      crs:Version="17.3.1" crs:ProcessVersion="15.4" ... crs:HasSettings="True">
 *    <crs:MaskGroupBasedCorrections>
 *     <rdf:Seq>
 *      <rdf:li>
 *       <rdf:Description
 *        crs:What="Correction"
 *        crs:CorrectionAmount="1"            amount / 100 (0..2 here: 0..200 %)
 *        crs:CorrectionActive="true"
 *        crs:CorrectionName="Background"
 *        crs:CorrectionSyncID="5601D9FAFB88361404A96FC371E51C68"   32 hex, no braces
 *        crs:LocalExposure2012="-0.175"      EV / 4
 *        crs:LocalContrast2012="0.25" ...     others value / 100 (LocalTemperature, LocalTint,
 *                                             LocalHighlights2012, LocalShadows2012,
 *                                             LocalWhites2012, LocalBlacks2012, LocalTexture,
 *                                             LocalClarity2012, LocalDehaze, LocalSaturation)
 *        crs:LocalCurveRefineSaturation="100" ...>   (and others we do not model: kept)
 *       <crs:CorrectionMasks>
 *        <rdf:Seq>
 *         <rdf:li crs:What="Mask/CircularGradient" crs:MaskActive="true"
 *          crs:MaskName="Radial Gradient 1" crs:MaskBlendMode="0" crs:MaskInverted="false"
 *          crs:MaskSyncID="..." crs:MaskValue="1" crs:Top=".." crs:Left=".." crs:Bottom=".."
 *          crs:Right=".." crs:Angle="0" crs:Midpoint="50" crs:Roundness="0" crs:Feather="50"
 *          crs:Flipped="true" crs:Version="2"/>
 *         <rdf:li crs:What="Mask/Gradient" ... crs:ZeroX crs:ZeroY crs:FullX crs:FullY/>
 *         <rdf:li>
 *          <rdf:Description crs:What="Mask/RangeMask" ...common attributes...>
 *           <crs:CorrectionRangeMask crs:Version="3" crs:Type="2" crs:Invert="false"
 *            crs:SampleType="0" crs:LumRange="0.200000 0.400000 0.600000 0.800000"
 *            crs:LuminanceDepthSampleInfo="0 0.331378 0.207031"/>
 *          </rdf:Description>
 *         </rdf:li>
 *         <rdf:li crs:What="Mask/Image" crs:MaskSubType="1" crs:ReferencePoint=".." .../>
 *
 * Findings that shape the mapping:
 *  - Every component carries crs:MaskBlendMode: 0 = add, 1 = subtract.
 *    Lightroom spells a subtract as MaskBlendMode="1" together with
 *    MaskValue="0" (26 of 26 subtract components in a census of 157 real
 *    sidecars, never with "1"): MaskValue is the value the component paints
 *    towards, 1 for add and 0 for subtract. Lightroom's Intersect is stored
 *    as a subtract of the inverted component (MaskBlendMode="1"
 *    MaskInverted="true" MaskValue="0"), which is exactly mask.h's
 *    intersect formula.
 *  - Radials write the inversion twice: crs:Flipped is always the opposite
 *    of crs:MaskInverted (155 (true,false) and 46 (false,true) of 201, none
 *    equal). MaskInverted is the one that counts.
 *  - CorrectionRangeMask Type: 1 = colour, 2 = luminance, 3 = depth
 *    (DepthMin/DepthMax/DepthFeather). LumRange is four numbers 0..1, always
 *    six decimals: "lo_outer lo hi hi_outer", our luminance_range / 100.
 *    Inversion is MaskInverted on the component; crs:Invert stays "false".
 *    Lightroom samples luminance ranges (SampleType="0" plus
 *    LuminanceDepthSampleInfo); one public test against Camera Raw reports
 *    that a range without a sample point needs SampleType="2" (and
 *    Version="4") to take effect, so new ranges are written that way;
 *    values read from a file are kept.
 *  - Numbers: plain decimals, at most six places, no trailing zeros
 *    ("-0.175", "1", "-0.195091"); Top/Left/... likewise; Feather, Midpoint
 *    and Roundness are whole numbers in Lightroom's UI. Booleans inside
 *    MaskGroupBasedCorrections are "true"/"false" (top-level settings use
 *    "True"/"False"). Both are accepted on reading.
 *  - Depth Range (Lightroom 12+ on photos with depth): a Mask/RangeMask
 *    whose CorrectionRangeMask has Type="3" and DepthMin, DepthMax,
 *    DepthFeather, reals in 0..1 (exiftool's %sCorrRangeMask; 0 = near).
 *    Lightroom's eyedropper sample (DepthSampleInfo / SampleType 0) is kept
 *    when read; new depth ranges are written like new luminance ranges
 *    (Version="4", SampleType="2": no sample point, use the numbers).
 *  - AI masks: crs:What="Mask/Image" with crs:MaskSubType 0 = object or a
 *    scene category named by crs:MaskSubCategoryID (22 = Select
 *    Background, 2 = sky, ...), 1 = Select Subject, 2 = Select Sky (Lightroom
 *    11), 3 = people and their parts. Lightroom stores the click point
 *    (ReferencePoint), MaskVersion="1" and digests of the raster it
 *    computed; those are kept as read. Subject (1, no category) and
 *    background (0 + 22) are modelled; the other types are kept, and a
 *    MaskSubType outside 0..3 is an error (a typo, not a future type we
 *    could silently drop).
 *  - Brush: crs:What="Mask/Aggregate" (MaskName "Brush 1") whose crs:Masks
 *    holds the strokes, one crs:What="Mask/Paint" each (Radius, Flow,
 *    CenterWeight, MaskValue, Dabs); read and written by xmp_brush.c, drawn
 *    by src/mask/brush.c (where the sources are). An Aggregate of another
 *    shape, or one Camera Raw stored as an opaque crs:MaskBrushTable, is kept.
 *  - Other Mask/Image types, Type 1 (colour) range masks, and components
 *    with MaskActive="false" are not modelled: they are kept in place,
 *    unrendered (see recipe.h).
 *
 * depthmask's own mapping:
 *  - mode add: MaskBlendMode 0, MaskInverted = invert, MaskValue = opacity/100.
 *    subtract: MaskBlendMode 1, MaskInverted = invert, MaskValue = 1 - opacity/100.
 *    intersect: MaskBlendMode 1, MaskInverted = !invert, MaskValue = 1 - opacity/100.
 *    Reading MaskBlendMode 1 gives intersect when MaskInverted is true and
 *    subtract otherwise, both with invert off: a subtract of an inverted
 *    component reads back as the (pixel-identical) intersect, and from then
 *    on every write and read is stable.
 *  - whole_image has no Lightroom kind. It is written as a Mask/Gradient
 *    whose full side covers the frame (zero at y = -2, full at y = -1), so
 *    Lightroom renders the same thing, tagged dm:Kind="whole_image" so that
 *    we read it back as whole_image. If Lightroom has moved that gradient,
 *    it is read as the linear gradient it now is.
 *  - file (a grey image) has no Lightroom equivalent: crs:What="dm:File" and
 *    dm:Path="mask.png" (relative to the sidecar's folder), with the usual
 *    crs:Mask* attributes.
 *  - Mask parameters with an xmp_name in dm_mask_params() use crs:<name> x
 *    xmp_scale; luminance_range, zero, full, depth_range (DepthMin /
 *    DepthMax = value / 100) and smoothness (DepthFeather = value / 100)
 *    are mapped here; a parameter
 *    with neither is written as dm:<key> in our units.
 *  - dm:RecipeVersion on the top rdf:Description; crs:Version="14.0",
 *    crs:ProcessVersion="11.0" (PV 2012, what Lightroom 11's masks need)
 *    and crs:HasSettings="True" are added when missing and there are
 *    corrections, never changed when present. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "recipe/recipe_internal.h"

double dm_lr_inv(float xmp_scale) {
  if (!(xmp_scale > 0.0f || xmp_scale < 0.0f)) return 1.0;
  double r = 1.0 / (double)xmp_scale;
  double n = nearbyint(r);
  if (n != 0.0 && fabs(r - n) < 1e-4 * fabs(n)) return n;
  return r;
}

static void strip_zeros(char *s, int min_dec) {
  char *dot = strchr(s, '.');
  if (!dot) return;
  char *end = s + strlen(s);
  char *keep = dot + 1 + min_dec; /* never strip into these */
  while (end > keep && end[-1] == '0') *--end = 0;
  if (end[-1] == '.') *--end = 0;
}

void dm_lr_format_affine(char *out, size_t len, float u, double a, double b, int min_dec) {
  if (u == 0.0f) u = 0.0f; /* no "-0" */
  double x = ((double)u - b) / a;
  if (fabs(x) < 1e15) {
    for (int prec = 6; prec <= 17; prec++) {
      snprintf(out, len, "%.*f", prec, x);
      strip_zeros(out, min_dec);
      if (!strcmp(out, "-0")) snprintf(out, len, "0");
      if ((float)(strtod(out, NULL) * a + b) == u) return;
    }
  }
  snprintf(out, len, "%.17g", x);
}

void dm_lr_format(char *out, size_t len, float u, double inv, int min_dec) {
  dm_lr_format_affine(out, len, u, inv, 0.0, min_dec);
}

#define COFF(f) offsetof(dm_correction, f)
static const dm_param correction_params[] = {
    {.key = "amount", .label = "Amount", .type = DM_PARAM_FLOAT, .count = 1,
     .offset = COFF(amount), .def = 100, .min = 0, .max = 200, .ui_min = 0, .ui_max = 200,
     .xmp_name = "CorrectionAmount", .xmp_scale = 0.01f,
     .doc = "strength of the whole correction, % (Lightroom's mask Amount)"},
    {.key = "active", .label = "Active", .type = DM_PARAM_BOOL, .count = 1,
     .offset = COFF(active), .def = 1, .min = 0, .max = 1, .ui_min = 0, .ui_max = 1,
     .xmp_name = "CorrectionActive", .xmp_scale = 1,
     .doc = "false hides the correction without deleting it"},
};

const dm_param *dm_lr_correction_params(int *n) {
  *n = (int)(sizeof correction_params / sizeof *correction_params);
  return correction_params;
}

const dm_param *dm_correction_params(int *n) { return dm_lr_correction_params(n); }

#define MOFF(f) offsetof(dm_mask_component, f)
dm_lr_field dm_lr_mask_field(const dm_param *p, int i) {
  dm_lr_field f = {.where = DM_LR_DM, .name = p->key, .inv = 1.0, .element = i};
  size_t off = p->offset + (size_t)i * sizeof(float);
  static const char *const zero_names[2] = {"ZeroX", "ZeroY"}, *const full_names[2] = {"FullX", "FullY"};
  if (off == MOFF(invert) || off == MOFF(opacity)) {
    f.where = DM_LR_SPECIAL;
  } else if (off >= MOFF(lum_range) && off < MOFF(lum_range) + 4 * sizeof(float)) {
    f.where = DM_LR_LUMRANGE;
    f.name = "LumRange";
    f.inv = 100.0;
    f.element = (int)((off - MOFF(lum_range)) / sizeof(float));
  } else if (off == MOFF(depth_range) || off == MOFF(depth_range) + sizeof(float)) {
    f.where = DM_LR_RANGE_ATTR;
    f.name = off == MOFF(depth_range) ? "DepthMin" : "DepthMax";
    f.inv = 100.0;
    f.element = 0;
  } else if (off == MOFF(smoothness)) {
    f.where = DM_LR_RANGE_ATTR;
    f.name = "DepthFeather";
    f.inv = 100.0;
    f.element = 0;
  } else if (off >= MOFF(zero) && off < MOFF(zero) + 2 * sizeof(float)) {
    f.where = DM_LR_ATTR;
    f.name = zero_names[(off - MOFF(zero)) / sizeof(float)];
  } else if (off >= MOFF(full) && off < MOFF(full) + 2 * sizeof(float)) {
    f.where = DM_LR_ATTR;
    f.name = full_names[(off - MOFF(full)) / sizeof(float)];
  } else if (p->xmp_name && p->count == 1) {
    f.where = DM_LR_ATTR;
    f.name = p->xmp_name;
    f.inv = dm_lr_inv(p->xmp_scale);
  }
  return f;
}

const float dm_lr_whole_zero[2] = {0.5f, -2.0f}, dm_lr_whole_full[2] = {0.5f, -1.0f};

const char *dm_lr_mask_label(dm_mask_kind kind) {
  switch (kind) {
    case DM_MASK_ALL: return "Whole Image";
    case DM_MASK_LUMINANCE_RANGE: return "Luminance Range";
    case DM_MASK_LINEAR_GRADIENT: return "Linear Gradient";
    case DM_MASK_RADIAL_GRADIENT: return "Radial Gradient";
    case DM_MASK_FILE: return "Mask File";
    case DM_MASK_DEPTH_RANGE: return "Depth Range";
    case DM_MASK_SUBJECT: return "Subject";
    case DM_MASK_BACKGROUND: return "Background";
    case DM_MASK_BRUSH: return "Brush";
    default: return "Mask";
  }
}

void dm_lr_sync_id(char out[33], const char *what, int a, int b, const char *s) {
  char text[512];
  int n = snprintf(text, sizeof text, "depthmask/%s/%d/%d/%s", what, a, b, s ? s : "");
  if (n < 0) n = 0;
  if ((size_t)n >= sizeof text) n = (int)sizeof text - 1;
  dm_hash_hex(dm_hash_bytes(text, (size_t)n), out);
  for (int i = 0; out[i]; i++)
    if (out[i] >= 'a' && out[i] <= 'f') out[i] = (char)(out[i] - 'a' + 'A');
}
