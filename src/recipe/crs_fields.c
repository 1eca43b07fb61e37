/* Every Lightroom Develop setting (crs:) a sidecar may carry, and what
 * depthmask does with it (DESIGN section 6):
 *   applied  rendered (the local corrections, the lens blur);
 *   kept     written back unchanged but not applied; when its value is not
 *            Lightroom's default the render says so in one warning line;
 *   quiet    kept, and never changes the picture by itself (versions,
 *            digests, names, settings that only matter with another one);
 *   refused  local edits made through masks depthmask does not render: a
 *            render refuses them (--skip-unknown-masks: ignored, warned).
 * Field names and kinds from exiftool's crs table (Image::ExifTool::XMP);
 * defaults are Lightroom's for a fresh import (several where raw and
 * rendered files differ, "|"-separated). `depthmask keys --crs` prints this
 * table; the README carries that output. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recipe/recipe_internal.h"

typedef enum { APPLIED, KEPT, QUIET, REFUSED } crs_use;

typedef struct crs_field {
  const char *name; /* a name, or a prefix ending in '*' */
  crs_use use;
  const char *def;  /* KEPT: default value(s), "|"-separated; "" = absent or empty only */
} crs_field;

static const crs_field fields[] = {
    {"MaskGroupBasedCorrections", APPLIED, NULL},
    {"LensBlur", APPLIED, NULL},
    /* Tone and presence (process 2012) */
    {"Exposure2012", KEPT, "0"}, {"Contrast2012", KEPT, "0"}, {"Highlights2012", KEPT, "0"},
    {"Shadows2012", KEPT, "0"}, {"Whites2012", KEPT, "0"}, {"Blacks2012", KEPT, "0"},
    {"Texture", KEPT, "0"}, {"Clarity2012", KEPT, "0"}, {"Dehaze", KEPT, "0"},
    {"Vibrance", KEPT, "0"}, {"Saturation", KEPT, "0"},
    {"ParametricShadows", KEPT, "0"}, {"ParametricDarks", KEPT, "0"},
    {"ParametricLights", KEPT, "0"}, {"ParametricHighlights", KEPT, "0"},
    {"ParametricShadowSplit", QUIET, NULL}, {"ParametricMidtoneSplit", QUIET, NULL},
    {"ParametricHighlightSplit", QUIET, NULL},
    {"ToneCurvePV2012", KEPT, "0, 0 / 255, 255|"}, {"ToneCurvePV2012Red", KEPT, "0, 0 / 255, 255|"},
    {"ToneCurvePV2012Green", KEPT, "0, 0 / 255, 255|"}, {"ToneCurvePV2012Blue", KEPT, "0, 0 / 255, 255|"},
    {"ToneCurveName2012", QUIET, NULL}, {"ToneCurveName", QUIET, NULL},
    {"AutoTone", KEPT, "False|false"}, {"AutoExposure", KEPT, "False|false"},
    {"AutoContrast", KEPT, "False|false"}, {"AutoBrightness", KEPT, "False|false"},
    {"AutoShadows", KEPT, "False|false"},
    /* Process 2010 and older */
    {"Exposure", KEPT, "0"}, {"Contrast", KEPT, "0|25"}, {"Brightness", KEPT, "0|50"},
    {"Shadows", KEPT, "0|5"}, {"FillLight", KEPT, "0"}, {"HighlightRecovery", KEPT, "0"},
    {"Clarity", KEPT, "0"}, {"ToneCurve", QUIET, NULL}, {"ToneCurveRed", QUIET, NULL},
    {"ToneCurveGreen", QUIET, NULL}, {"ToneCurveBlue", QUIET, NULL},
    {"Highlight2012", QUIET, NULL}, {"Smoothness", QUIET, NULL},
    /* White balance and colour */
    {"WhiteBalance", KEPT, "As Shot"}, {"Temperature", QUIET, NULL}, {"Tint", QUIET, NULL},
    {"IncrementalTemperature", KEPT, "0"}, {"IncrementalTint", KEPT, "0"},
    {"HueAdjustment*", KEPT, "0"}, {"SaturationAdjustment*", KEPT, "0"},
    {"LuminanceAdjustment*", KEPT, "0"}, {"ConvertToGrayscale", KEPT, "False|false"},
    {"GrayMixer*", QUIET, NULL},
    {"SplitToningShadowSaturation", KEPT, "0"}, {"SplitToningHighlightSaturation", KEPT, "0"},
    {"SplitToningShadowHue", QUIET, NULL}, {"SplitToningHighlightHue", QUIET, NULL},
    {"SplitToningBalance", QUIET, NULL},
    {"ColorGradeMidtoneSat", KEPT, "0"}, {"ColorGradeGlobalSat", KEPT, "0"},
    {"ColorGradeShadowLum", KEPT, "0"}, {"ColorGradeMidtoneLum", KEPT, "0"},
    {"ColorGradeHighlightLum", KEPT, "0"}, {"ColorGradeGlobalLum", KEPT, "0"},
    {"ColorGradeMidtoneHue", QUIET, NULL}, {"ColorGradeGlobalHue", QUIET, NULL},
    {"ColorGradeBlending", QUIET, NULL},
    {"ShadowTint", KEPT, "0"}, {"RedHue", KEPT, "0"}, {"RedSaturation", KEPT, "0"},
    {"GreenHue", KEPT, "0"}, {"GreenSaturation", KEPT, "0"}, {"BlueHue", KEPT, "0"},
    {"BlueSaturation", KEPT, "0"},
    {"CameraProfile", KEPT, "Adobe Standard|Embedded|"}, {"Look", KEPT, ""},
    {"LookName", QUIET, NULL}, {"CameraProfileDigest", QUIET, NULL},
    /* Detail */
    {"Sharpness", KEPT, "0|25|40"}, {"SharpenRadius", QUIET, NULL}, {"SharpenDetail", QUIET, NULL},
    {"SharpenEdgeMasking", QUIET, NULL}, {"LuminanceSmoothing", KEPT, "0"},
    {"LuminanceNoiseReductionDetail", QUIET, NULL}, {"LuminanceNoiseReductionContrast", QUIET, NULL},
    {"ColorNoiseReduction", KEPT, "0|25"}, {"ColorNoiseReductionDetail", QUIET, NULL},
    {"ColorNoiseReductionSmoothness", QUIET, NULL}, {"MoireFilter", KEPT, "Off|"},
    /* Optics and geometry */
    {"LensProfileEnable", KEPT, "0"}, {"LensManualDistortionAmount", KEPT, "0"},
    {"AutoLateralCA", KEPT, "0"}, {"ChromaticAberrationR", KEPT, "0"},
    {"ChromaticAberrationB", KEPT, "0"}, {"Defringe", KEPT, "0"},
    {"DefringePurpleAmount", KEPT, "0"}, {"DefringeGreenAmount", KEPT, "0"},
    {"DefringePurpleHue*", QUIET, NULL}, {"DefringeGreenHue*", QUIET, NULL},
    {"VignetteAmount", KEPT, "0"}, {"VignetteMidpoint", QUIET, NULL},
    {"PerspectiveUpright", KEPT, "0"}, {"PerspectiveVertical", KEPT, "0"},
    {"PerspectiveHorizontal", KEPT, "0"}, {"PerspectiveRotate", KEPT, "0"},
    {"PerspectiveScale", KEPT, "100"}, {"PerspectiveAspect", KEPT, "0"},
    {"PerspectiveX", KEPT, "0"}, {"PerspectiveY", KEPT, "0"},
    {"LensProfile*", QUIET, NULL}, {"Upright*", QUIET, NULL},
    {"HasCrop", KEPT, "False|false"}, {"CropTop", KEPT, "0"}, {"CropLeft", KEPT, "0"},
    {"CropBottom", KEPT, "1"}, {"CropRight", KEPT, "1"}, {"CropAngle", KEPT, "0"},
    {"CropConstrainToWarp", QUIET, NULL}, {"CropUnit*", QUIET, NULL}, {"CropWidth", QUIET, NULL},
    {"CropHeight", QUIET, NULL},
    /* Effects */
    {"PostCropVignetteAmount", KEPT, "0"}, {"PostCropVignette*", QUIET, NULL},
    {"GrainAmount", KEPT, "0"}, {"GrainSize", QUIET, NULL}, {"GrainFrequency", QUIET, NULL},
    {"GrainSeed", QUIET, NULL},
    /* Retouching and HDR */
    {"RetouchInfo", KEPT, ""}, {"RetouchAreas", KEPT, ""}, {"RedEyeInfo", KEPT, ""},
    {"ToneMapStrength", KEPT, "0"}, {"HDREditMode", KEPT, "0"}, {"SDR*", QUIET, NULL},
    /* Local edits in the forms before Lightroom 11's masks */
    {"PaintBasedCorrections", REFUSED, NULL}, {"GradientBasedCorrections", REFUSED, NULL},
    {"CircularGradientBasedCorrections", REFUSED, NULL},
    /* Lens Blur's refine strokes: they reshape the depth the blur uses */
    {"DepthBasedCorrections", APPLIED, NULL},
    /* Bookkeeping */
    {"Version", QUIET, NULL}, {"ProcessVersion", QUIET, NULL}, {"CompatibleVersion", QUIET, NULL},
    {"HasSettings", QUIET, NULL}, {"AlreadyApplied", QUIET, NULL}, {"RawFileName", QUIET, NULL},
    {"AutoToneDigest*", QUIET, NULL}, {"AutoWhiteVersion", QUIET, NULL},
    {"DefaultAutoGray", QUIET, NULL}, {"DefaultAutoTone", QUIET, NULL},
    {"DefaultsSpecificTo*", QUIET, NULL}, {"Converter", QUIET, NULL},
    {"JPEGHandling", QUIET, NULL}, {"TIFFHandling", QUIET, NULL}, {"DNGIgnoreSidecars", QUIET, NULL},
    {"NegativeCache*", QUIET, NULL}, {"RangeMaskMapInfo", QUIET, NULL},
    {"ClipboardAspectRatio", QUIET, NULL}, {"ClipboardOrientation", QUIET, NULL},
    {"OverrideLookVignette", QUIET, NULL}, {"ToggleStyle*", QUIET, NULL},
    /* Preset descriptions */
    {"Name", QUIET, NULL}, {"ShortName", QUIET, NULL}, {"SortName", QUIET, NULL},
    {"Group", QUIET, NULL}, {"Description", QUIET, NULL}, {"Copyright", QUIET, NULL},
    {"ContactInfo", QUIET, NULL}, {"UUID", QUIET, NULL}, {"PresetType", QUIET, NULL},
    {"Cluster", QUIET, NULL}, {"Supports*", QUIET, NULL}, {"CameraModelRestriction", QUIET, NULL},
};
#define N_FIELDS (sizeof fields / sizeof *fields)

static const crs_field *find(const char *name) {
  for (size_t i = 0; i < N_FIELDS; i++) {
    const char *f = fields[i].name;
    size_t n = strlen(f);
    if (f[n - 1] == '*' ? !strncmp(name, f, n - 1) : !strcmp(name, f)) return &fields[i];
  }
  return NULL;
}

/* Is `value` one of the "|"-separated defaults (numbers compared as numbers)? */
static int is_default(const char *value, const char *defs) {
  char *end;
  double v = strtod(value, &end);
  int numeric = end != value && *end == 0;
  for (const char *d = defs;;) {
    size_t n = strcspn(d, "|");
    char one[64];
    snprintf(one, sizeof one, "%.*s", (int)n, d);
    if (!strcmp(one, value)) return 1;
    double dv = strtod(one, &end);
    if (numeric && end != one && *end == 0 && fabs(dv - v) < 1e-9) return 1;
    if (!d[n]) return 0;
    d += n + 1;
  }
}

/* The text of a simple property, or of an rdf:Seq/Bag as "a / b / c";
 * "" for a structure (so only an empty one counts as default). */
static void value_text(xmlNodePtr prop_elem, const xmlChar *attr_value, char *out, size_t len) {
  out[0] = 0;
  if (attr_value) {
    snprintf(out, len, "%s", (const char *)attr_value);
    return;
  }
  xmlNodePtr c = dm_xml_first_elem(prop_elem);
  if (!c) {
    xmlChar *t = xmlNodeGetContent(prop_elem);
    char *trimmed = t ? dm_xml_trimmed_dup(t) : NULL;
    if (trimmed) snprintf(out, len, "%s", trimmed);
    free(trimmed);
    xmlFree(t);
    return;
  }
  if (dm_xml_is(c, DM_RDF_NS, "Seq") || dm_xml_is(c, DM_RDF_NS, "Bag") || dm_xml_is(c, DM_RDF_NS, "Alt")) {
    size_t used = 0;
    for (xmlNodePtr li = dm_xml_first_elem(c); li && used < len; li = dm_xml_next_elem(li)) {
      if (dm_xml_first_elem(li) || li->properties) { /* items that are structures */
        used += (size_t)snprintf(out + used, len - used, "%s(structure)", used ? " / " : "");
        continue;
      }
      xmlChar *t = xmlNodeGetContent(li);
      used += (size_t)snprintf(out + used, len - used, "%s%s", used ? " / " : "", t ? (const char *)t : "");
      xmlFree(t);
    }
    return;
  }
  snprintf(out, len, "(structure)");
}

static void note(const char *name, const char *value, crs_use use, char *kept, size_t klen,
                 char *refused, size_t rlen) {
  char *dst = use == REFUSED ? refused : kept;
  size_t len = use == REFUSED ? rlen : klen, used = strlen(dst);
  if (used + 4 >= len) return;
  if (use == REFUSED || !value)
    snprintf(dst + used, len - used, "%s%s%s", used ? ", " : "", name, value ? "" : " (unknown)");
  else
    snprintf(dst + used, len - used, "%s%s=%.40s", used ? ", " : "", name, value);
}

/* One property of a top-level rdf:Description. */
static void visit(const char *name, xmlNodePtr elem, const xmlChar *attr, char *kept, size_t klen,
                  char *refused, size_t rlen) {
  const crs_field *f = find(name);
  char value[512];
  value_text(elem, attr, value, sizeof value);
  if (!f) {
    note(name, NULL, KEPT, kept, klen, refused, rlen);
    return;
  }
  crs_use use = f->use;
  if (use == APPLIED || use == QUIET) return;
  if (use == REFUSED) {
    if (value[0]) note(name, value, REFUSED, kept, klen, refused, rlen);
    return;
  }
  if (!is_default(value, f->def)) note(name, value, KEPT, kept, klen, refused, rlen);
}

void dm_recipe_unapplied(const dm_recipe *r, char *kept, size_t klen, char *refused, size_t rlen) {
  kept[0] = refused[0] = 0;
  if (!r->extra || !r->extra->doc) return;
  xmlNodePtr root = xmlDocGetRootElement(r->extra->doc);
  xmlNodePtr rdf = dm_xml_is(root, DM_RDF_NS, "RDF") ? root : dm_xml_child(root, DM_RDF_NS, "RDF");
  for (xmlNodePtr d = dm_xml_first_elem(rdf); d; d = dm_xml_next_elem(d)) {
    if (!dm_xml_is(d, DM_RDF_NS, "Description")) continue;
    for (xmlAttrPtr a = d->properties; a; a = a->next)
      if (a->ns && a->ns->href && !strcmp((const char *)a->ns->href, DM_CRS_NS)) {
        xmlChar *v = xmlNodeGetContent((xmlNodePtr)a);
        visit((const char *)a->name, NULL, v ? v : (const xmlChar *)"", kept, klen, refused, rlen);
        xmlFree(v);
      }
    for (xmlNodePtr c = dm_xml_first_elem(d); c; c = dm_xml_next_elem(c))
      if (c->ns && c->ns->href && !strcmp((const char *)c->ns->href, DM_CRS_NS))
        visit((const char *)c->name, c, NULL, kept, klen, refused, rlen);
  }
}

void dm_crs_fields_table(FILE *f) {
  static const char *const uses[] = {"applied", "kept, not applied (warned when not the default)",
                                     "kept (no effect by itself)", "refused (--skip-unknown-masks ignores it)"};
  fputs("| crs: field | what depthmask does | Lightroom's default |\n|---|---|---|\n", f);
  for (size_t i = 0; i < N_FIELDS; i++) {
    char def[96] = "";
    if (fields[i].use == KEPT) {
      size_t used = 0;
      for (const char *d = fields[i].def; used < sizeof def;) {
        size_t n = strcspn(d, "|");
        used += (size_t)snprintf(def + used, sizeof def - used, "%s%s%.*s%s", used ? " or " : "",
                                 n ? "`" : "", (int)n, n ? d : "empty", n ? "`" : "");
        if (!d[n]) break;
        d += n + 1;
      }
    }
    fprintf(f, "| `%s` | %s | %s |\n", fields[i].name, uses[fields[i].use], def);
  }
  fputs("| any other | kept, not applied (always warned: unknown) | |\n", f);
}
