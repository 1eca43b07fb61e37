/* The lens blur in the sidecar: crs:LensBlur, as Lightroom Classic 13+ /
 * Camera Raw 16+ write it, plus dm:LensBlurSettings for what crs cannot say.
 *
 * What Lightroom writes (Adobe XMP Core 7.0 sidecars and presets, e.g.
 * github.com/jodajoda/photo_selector_helper photo_selector.py, a Camera Raw
 * 18.0 preset turned sidecar; exiftool 12.7x's XMP.pm %sLensBlur struct,
 * whose notes give FocalRange "-48 32 64 144", SampledArea, SampledRange,
 * SubjectRange): a struct property of the top rdf:Description, in RDF's
 * compact form, attributes on the empty property element (no
 * rdf:parseType, no nested rdf:Description), in this order:
 *
 *   <crs:LensBlur
 *    crs:Version="1"
 *    crs:Active="false"
 *    crs:ImageOrientation="0"
 *    crs:FocalRange="-80 0 100 180"        nearOuter nearInner farInner farOuter
 *    crs:FocalRangeSource="3"              absent while FocalRange is 0 0 100 100
 *    crs:BlurAmount="50"
 *    crs:BokehShape="0"
 *    crs:BokehShapeDetail="0"
 *    crs:HighlightsThreshold="50"
 *    crs:HighlightsBoost="50"
 *    crs:CatEyeAmount="0"
 *    crs:CatEyeScale="100"
 *    crs:BokehAspect="0"
 *    crs:BokehRotation="0"
 *    crs:SphericalAberration="0"/>
 *
 * Booleans are "true"/"false" inside the struct, numbers plain integers.
 * Public notes from Lightroom 15.3 automation: FocalRangeSource is 1 when
 * the range follows the subject and turns 3 once the range is moved by hand;
 * SampledRange / SubjectRange / SampledArea / ImageOrientation are computed
 * per photo.
 *
 * Our mapping: the fields of dm_lens_blur_params() with an xmp_name
 * (Active, BlurAmount, FocalRange, HighlightsBoost, HighlightsThreshold,
 * CatEyeAmount, BokehRotation) are read and written in Lightroom's units
 * (the same as ours). Everything else in crs:LensBlur is Lightroom's and is
 * kept as read. A struct we create gets Lightroom's defaults for the fields
 * it always writes and we do not model (Version 1, BokehShape 0,
 * BokehShapeDetail 0, CatEyeScale 100, BokehAspect 0, SphericalAberration
 * 0); FocalRangeSource="3" (set by hand) when the focal range is not
 * 0 0 100 100. The per-photo fields (ImageOrientation, Sampled*, Subject*)
 * are never made up. When a rewrite changes the focal range,
 * FocalRangeSource becomes 3, or is removed for 0 0 100 100 (our "focus on
 * the subject", Lightroom's fresh state).
 *
 * Lightroom's numbering of BokehShape is not published, so our aperture
 * shape and the rest (blades, curvature, artistic/physical mode, the
 * physical lens) live in our namespace, as a struct of the same compact
 * form beside crs:LensBlur, fields named by their --set keys:
 *
 *   <dm:LensBlurSettings
 *    dm:bokeh="blades"                      circle | blades | ring | bubble
 *    dm:blades="7"
 *    dm:blade_curvature="20"
 *    dm:mode="physical"                     artistic | physical
 *    dm:f_mm="85"
 *    dm:f_number="1.8"
 *    dm:focus_m="1.5"
 *    dm:sensor_width_mm="36"
 *    dm:subject_distance_m="1.5"            relative depth pinned (blur.h)
 *    dm:background_distance_m="10"/>
 *
 * A struct rather than flat dm:LensBlur* attributes: it groups the fields
 * as crs:LensBlur does and is kept or dropped as one. Not named
 * dm:LensBlur: tools that look structs up by local name (exiftool -struct
 * without groups, scripts keyed on "LensBlur") would mistake it for
 * Lightroom's. Foreign fields are not put inside crs:LensBlur itself:
 * Lightroom owns that struct and rewrites it from its own model.
 *
 * Written only when the lens blur has been set (active, or any value off
 * its default) or was in the file read; dm:LensBlurSettings likewise for
 * its own fields. A struct read from a file is updated in place: fields
 * that say the same value keep their spelling, absent ones stay absent
 * while at their default, so write -> read -> write gives the same bytes. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recipe/recipe_internal.h"

#define CRS_STRUCT "LensBlur"
#define DM_STRUCT "LensBlurSettings"

/* Lightroom's fields in its order; `fresh` is the value a new struct gets
 * for one we do not model (NULL: modelled, found by xmp_name, or special). */
static const struct {
  const char *name, *fresh;
} lr_fields[] = {
    {"Version", "1"},          {"Active", NULL},          {"FocalRange", NULL},
    {"FocalRangeSource", NULL}, {"BlurAmount", NULL},      {"BokehShape", "0"},
    {"BokehShapeDetail", "0"}, {"HighlightsThreshold", NULL}, {"HighlightsBoost", NULL},
    {"CatEyeAmount", NULL},    {"CatEyeScale", "100"},    {"BokehAspect", "0"},
    {"BokehRotation", NULL},   {"SphericalAberration", "0"},
};

static const char *const mode_names[] = {"artistic", "physical", NULL};
static const char *const bokeh_names[] = {"circle", "blades", "ring", "bubble", NULL};
_Static_assert(DM_BLUR_PHYSICAL == 1 && DM_BOKEH_COUNT == 4 && DM_BOKEH_BLADES == 1 &&
                   DM_BOKEH_RING == 2 && DM_BOKEH_BUBBLE == 3,
               "mode_names / bokeh_names follow blur.h's enums");

const char *const *dm_lb_names(const dm_param *p) {
  if (!strcmp(p->key, "mode")) return mode_names;
  if (!strcmp(p->key, "bokeh")) return bokeh_names;
  return NULL;
}

int dm_lb_name_value(const dm_param *p, const char *text, float *out) {
  const char *const *names = dm_lb_names(p);
  for (int i = 0; names && names[i]; i++)
    if (!strcmp(text, names[i])) {
      *out = (float)i;
      return 1;
    }
  return 0;
}

void dm_lb_names_list(const char *const *names, char *out, size_t len) {
  size_t used = 0;
  out[0] = 0;
  for (int i = 0; names && names[i] && used < len; i++)
    used += (size_t)snprintf(out + used, len - used, "%s%s", i ? ", " : "", names[i]);
}

static const dm_param *by_xmp(const dm_param *t, int n, const char *name) {
  for (int i = 0; i < n; i++)
    if (t[i].xmp_name && !strcmp(t[i].xmp_name, name)) return &t[i];
  return NULL;
}

static float def_of(const dm_param *p, int e) { return p->defs ? p->defs[e] : p->def; }

static int at_default(const dm_param *p, const dm_lens_blur *lb) {
  const float *v = dm_param_ptr(p, (void *)lb);
  for (int e = 0; e < p->count; e++)
    if (v[e] != def_of(p, e)) return 0;
  return 1;
}

/* The struct crs:local / dm:local among the top rdf:Descriptions (its
 * property node), or NULL. Reading has made sure there is at most one. */
static xmlNodePtr find_struct(xmlNodePtr rdf, const char *ns, const char *local) {
  for (xmlNodePtr d = dm_xml_first_elem(rdf); d; d = dm_xml_next_elem(d)) {
    if (!dm_xml_is(d, DM_RDF_NS, "Description")) continue;
    xmlNodePtr e = dm_xml_child(d, ns, local);
    if (e) return e;
  }
  return NULL;
}

/* ---- reading --------------------------------------------------------------- */

static dm_status read_struct_node(dm_rd *rd, xmlNodePtr rdf, const char *ns, const char *pfx,
                                  const char *local, xmlNodePtr *out) {
  *out = NULL;
  for (xmlNodePtr d = dm_xml_first_elem(rdf); d; d = dm_xml_next_elem(d)) {
    if (!dm_xml_is(d, DM_RDF_NS, "Description")) continue;
    dm_prop p;
    dm_xml_find_prop(d, ns, local, &p);
    if (!p.count) continue;
    if (p.count > 1 || *out) return dm_rd_fail(rd, DM_ERR_FORMAT, "%s:%s: given twice", pfx, local);
    if (p.attr || dm_xml_has_text(p.elem))
      return dm_rd_fail(rd, DM_ERR_FORMAT, "%s:%s: expected a structure, found a simple value",
                        pfx, local);
    *out = dm_xml_props(p.elem);
  }
  return DM_OK;
}

static int parse_num(const char *s, const char **end, double *out) {
  char *e;
  errno = 0;
  double d = strtod(s, &e);
  if (e == s || errno == ERANGE || !isfinite(d) || fabs(d) > 3.0e38) return 0;
  *out = d;
  *end = e;
  return 1;
}

/* One field of dm_lens_blur_params() from property `local` of struct P. */
static dm_status read_field(dm_rd *rd, xmlNodePtr P, const char *ns, const char *where,
                            const char *local, const dm_param *p, dm_lens_blur *lb) {
  char *t;
  if (!dm_xml_prop_text(P, ns, local, &t)) {
    dm_prop q;
    dm_xml_find_prop(P, ns, local, &q);
    return dm_rd_fail(rd, DM_ERR_FORMAT, "%s/%s: %s", where, local,
                      q.count > 1 ? "given twice" : "expected a single value");
  }
  if (!t) return DM_OK;
  dm_status s = DM_OK;
  float v[4];
  const char *const *names = dm_lb_names(p);
  if (p->type == DM_PARAM_BOOL) {
    if (!strcmp(t, "true") || !strcmp(t, "True"))
      v[0] = 1;
    else if (!strcmp(t, "false") || !strcmp(t, "False"))
      v[0] = 0;
    else
      s = dm_rd_fail(rd, DM_ERR_PARAM, "%s/%s: \"%.40s\" is not true or false", where, local, t);
  } else if (names) {
    char list[128];
    dm_lb_names_list(names, list, sizeof list);
    if (!dm_lb_name_value(p, t, v))
      s = dm_rd_fail(rd, DM_ERR_PARAM, "%s/%s: \"%.40s\" is not one of %s", where, local, t, list);
  } else {
    const char *c = t;
    for (int e = 0; e < p->count && !s; e++) {
      double d;
      const char *end;
      if (e > 0 && *c != ' ') {
        s = dm_rd_fail(rd, DM_ERR_PARAM, "%s/%s: \"%.60s\" is not %d space-separated numbers",
                       where, local, t, p->count);
        break;
      }
      while (*c == ' ') c++;
      if (!parse_num(c, &end, &d) || (e == p->count - 1 && *end)) {
        if (p->count == 1)
          s = dm_rd_fail(rd, DM_ERR_PARAM, "%s/%s: \"%.40s\" is not a number", where, local, t);
        else
          s = dm_rd_fail(rd, DM_ERR_PARAM, "%s/%s: \"%.60s\" is not %d space-separated numbers",
                         where, local, t, p->count);
        break;
      }
      if (!(d >= (double)p->min && d <= (double)p->max))
        s = dm_rd_fail(rd, DM_ERR_RANGE, "%s/%s: %g is outside %g..%g", where, local, d,
                       (double)p->min, (double)p->max);
      v[e] = (float)d;
      c = end;
    }
  }
  free(t);
  if (!s) memcpy(dm_param_ptr(p, lb), v, (size_t)p->count * sizeof(float));
  return s;
}

dm_status dm_rd_lens_blur(dm_rd *rd, xmlNodePtr rdf, dm_lens_blur *lb) {
  dm_lens_blur_defaults(lb);
  int n;
  const dm_param *t = dm_lens_blur_params(&n);
  xmlNodePtr C, D;
  dm_status s = read_struct_node(rd, rdf, DM_CRS_NS, "crs", CRS_STRUCT, &C);
  if (!s) s = read_struct_node(rd, rdf, DM_XMP_NS, "dm", DM_STRUCT, &D);
  if (s) return s;
  for (int i = 0; C && i < n; i++)
    if (t[i].xmp_name && (s = read_field(rd, C, DM_CRS_NS, "crs:" CRS_STRUCT, t[i].xmp_name,
                                          &t[i], lb)))
      return s;
  if (D) {
    const char *allowed[32];
    int k = 0;
    for (int i = 0; i < n && k < 31; i++)
      if (!t[i].xmp_name) allowed[k++] = t[i].key;
    allowed[k] = NULL;
    if ((s = dm_rd_only_dm(rd, D, "dm:" DM_STRUCT, allowed))) return s;
    for (int i = 0; i < n; i++)
      if (!t[i].xmp_name &&
          (s = read_field(rd, D, DM_XMP_NS, "dm:" DM_STRUCT, t[i].key, &t[i], lb)))
        return s;
  }
  const float *fr = lb->focal_range;
  if (!(fr[0] <= fr[1] && fr[1] <= fr[2] && fr[2] <= fr[3]))
    return dm_rd_fail(rd, DM_ERR_RANGE, "crs:" CRS_STRUCT "/FocalRange: expected nearOuter <= "
                      "nearInner <= farInner <= farOuter, got %g %g %g %g", (double)fr[0],
                      (double)fr[1], (double)fr[2], (double)fr[3]);
  if ((s = dm_lens_blur_check(rd->ctx, lb))) {
    char msg[768];
    snprintf(msg, sizeof msg, "%s", dm_context_error(rd->ctx));
    return dm_rd_fail(rd, s, "%s (from crs:" CRS_STRUCT " / dm:" DM_STRUCT ")", msg);
  }
  return DM_OK;
}

/* ---- writing --------------------------------------------------------------- */

typedef struct wr {
  int oom;
} wr;

static void put(wr *w, xmlNodePtr P, const char *ns, const char *local, const char *value) {
  dm_xml_put(&w->oom, P, ns, local, value);
}

/* Does P already say p's value? */
static int same(xmlNodePtr P, const char *ns, const char *local, const dm_param *p,
                const dm_lens_blur *lb) {
  const float *v = dm_param_ptr(p, (void *)lb);
  const char *const *names = dm_lb_names(p);
  if (p->type == DM_PARAM_BOOL) return dm_xml_prop_same_bool(P, ns, local, v[0] != 0);
  if (names) {
    char *t;
    if (!dm_xml_prop_text(P, ns, local, &t) || !t) return 0;
    float x;
    int r = dm_lb_name_value(p, t, &x) && x == v[0];
    free(t);
    return r;
  }
  return dm_xml_prop_same_numbers(P, ns, local, v, p->count, 1.0, 0.0);
}

static void format_value(const dm_param *p, const dm_lens_blur *lb, char *out, size_t len) {
  const float *v = dm_param_ptr(p, (void *)lb);
  const char *const *names = dm_lb_names(p);
  if (p->type == DM_PARAM_BOOL) {
    snprintf(out, len, "%s", v[0] != 0 ? "true" : "false");
    return;
  }
  if (names) {
    int count = 0;
    while (names[count]) count++;
    int i = (int)v[0];
    snprintf(out, len, "%s", i >= 0 && i < count && (float)i == v[0] ? names[i] : "?");
    return;
  }
  size_t used = 0;
  out[0] = 0;
  for (int e = 0; e < p->count && used < len; e++) {
    char one[64];
    dm_lr_format(one, sizeof one, v[e], 1.0, 0);
    used += (size_t)snprintf(out + used, len - used, "%s%s", e ? " " : "", one);
  }
}

/* Write p into P unless it says so already; in a struct read from a file,
 * a field it did not have stays out while at its default. Returns 1 if the
 * property was (re)written. */
static int put_field(wr *w, xmlNodePtr P, const char *ns, const char *local, const dm_param *p,
                     const dm_lens_blur *lb, int fresh) {
  if (!fresh && !dm_xml_has_prop(P, ns, local) && at_default(p, lb)) return 0;
  if (same(P, ns, local, p, lb)) return 0;
  char v[256];
  format_value(p, lb, v, sizeof v);
  put(w, P, ns, local, v);
  return 1;
}

static xmlNodePtr new_struct(wr *w, xmlNodePtr parent, xmlNodePtr after, const char *ns,
                             const char *pfx, const char *local) {
  xmlNsPtr nsp = w->oom ? NULL : dm_xml_ns(parent, ns, pfx);
  xmlNodePtr e = nsp ? xmlNewDocNode(parent->doc, nsp, (const xmlChar *)local, NULL) : NULL;
  if (!e || !(after ? xmlAddNextSibling(after, e) : xmlAddChild(parent, e))) {
    xmlFreeNode(e);
    w->oom = 1;
    return NULL;
  }
  return e;
}

int dm_lens_blur_is_default(const dm_lens_blur *lb) {
  int n;
  const dm_param *t = dm_lens_blur_params(&n);
  for (int i = 0; i < n; i++)
    if (!at_default(&t[i], lb)) return 0;
  return 1;
}

int dm_wr_lens_blur_wanted(xmlNodePtr rdf, const dm_lens_blur *lb) {
  return find_struct(rdf, DM_CRS_NS, CRS_STRUCT) || !dm_lens_blur_is_default(lb);
}

static void write_crs(wr *w, xmlNodePtr C, const dm_lens_blur *lb, int fresh) {
  int n;
  const dm_param *t = dm_lens_blur_params(&n);
  const dm_param *fr = by_xmp(t, n, "FocalRange");
  int range_written = 0;
  for (size_t i = 0; i < sizeof lr_fields / sizeof *lr_fields; i++) {
    const char *name = lr_fields[i].name;
    const dm_param *p = by_xmp(t, n, name);
    if (p) {
      int wrote = put_field(w, C, DM_CRS_NS, name, p, lb, fresh);
      if (p == fr) range_written = wrote;
    } else if (!strcmp(name, "FocalRangeSource")) {
      /* Follows the range (see the top of this file); Lightroom writes it
       * right after FocalRange. */
      if (fr && range_written && !at_default(fr, lb))
        put(w, C, DM_CRS_NS, name, "3");
      else if (fr && range_written)
        dm_xml_prop_remove(C, DM_CRS_NS, name);
    } else if (fresh && lr_fields[i].fresh) {
      put(w, C, DM_CRS_NS, name, lr_fields[i].fresh);
    }
  }
  /* Any modelled field missing from lr_fields (a table grown later). */
  for (int i = 0; i < n; i++) {
    int listed = 0;
    for (size_t j = 0; j < sizeof lr_fields / sizeof *lr_fields && t[i].xmp_name; j++)
      listed |= !strcmp(lr_fields[j].name, t[i].xmp_name);
    if (t[i].xmp_name && !listed) put_field(w, C, DM_CRS_NS, t[i].xmp_name, &t[i], lb, fresh);
  }
}

int dm_wr_lens_blur(xmlNodePtr rdf, xmlNodePtr main, const dm_lens_blur *lb) {
  wr w = {0};
  int n;
  const dm_param *t = dm_lens_blur_params(&n);

  xmlNodePtr ce = NULL;
  int fresh;
  if (dm_wr_lens_blur_wanted(rdf, lb)) {
    ce = find_struct(rdf, DM_CRS_NS, CRS_STRUCT);
    fresh = !ce;
    if (fresh) ce = new_struct(&w, main, NULL, DM_CRS_NS, "crs", CRS_STRUCT);
    if (!ce) return 0;
    write_crs(&w, dm_xml_props(ce), lb, fresh);
  }

  /* A dm:LensBlurSettings read is updated even without a crs:LensBlur
   * beside it (the lens blur back at its defaults): left as read, it would
   * give its old values to the next read. */
  xmlNodePtr de = find_struct(rdf, DM_XMP_NS, DM_STRUCT);
  int dm_wanted = de != NULL;
  for (int i = 0; i < n && !dm_wanted; i++)
    if (!t[i].xmp_name && !at_default(&t[i], lb)) dm_wanted = 1;
  if (!dm_wanted) return !w.oom;
  fresh = !de;
  /* A new one follows crs:LensBlur, which is there: a field off its
   * default makes the lens blur wanted. */
  if (fresh) de = new_struct(&w, ce->parent, ce, DM_XMP_NS, "dm", DM_STRUCT);
  if (!de) return 0;
  xmlNodePtr D = dm_xml_props(de);
  for (int i = 0; i < n; i++)
    if (!t[i].xmp_name) put_field(&w, D, DM_XMP_NS, t[i].key, &t[i], lb, fresh);
  return !w.oom;
}
