/* Reading a correction's mask components (crs:CorrectionMasks). Kinds we
 * model become dm_mask_components; every other Lightroom component (and any
 * that is switched off, or uses a blend mode we do not know) is kept in
 * place, unrendered. See lr_fields.c for the mapping, xmp_brush.c for the
 * strokes of a brush. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recipe/recipe_internal.h"

typedef struct comp_in {
  xmlNodePtr C;      /* the component's property node */
  xmlNodePtr R;      /* crs:CorrectionRangeMask's property node, or NULL */
  const char *where; /* "correction[0].mask[1]" */
} comp_in;

static dm_status text_of(dm_rd *rd, xmlNodePtr n, const char *ns, const char *pfx,
                         const char *local, const char *where, char **out) {
  if (dm_xml_prop_text(n, ns, local, out)) return DM_OK;
  return dm_rd_fail(rd, DM_ERR_FORMAT, "%s:%s in %s: expected a single value", pfx, local, where);
}

/* The four LumRange numbers, 0..1 each, into lum_range (0..100). */
static dm_status read_lumrange(dm_rd *rd, const comp_in *in, const dm_param *p, float *dst) {
  char *t;
  dm_status s = text_of(rd, in->R, DM_CRS_NS, "crs", "LumRange", in->where, &t);
  if (s || !t) return s;
  float v[4];
  int n = 0;
  char *save = NULL;
  for (char *tok = strtok_r(t, " \t\n\r,", &save); tok; tok = strtok_r(NULL, " \t\n\r,", &save)) {
    char *end;
    double x = strtod(tok, &end);
    if (*end || !isfinite(x)) {
      s = dm_rd_fail(rd, DM_ERR_PARAM, "crs:LumRange in %s: \"%.40s\" is not a number", in->where,
                     tok);
      break;
    }
    if (n == 4) {
      s = dm_rd_fail(rd, DM_ERR_FORMAT, "crs:LumRange in %s: more than four numbers", in->where);
      break;
    }
    double u = x * 100.0;
    if (!(u >= (double)p->min && u <= (double)p->max)) {
      s = dm_rd_fail(rd, DM_ERR_RANGE, "crs:LumRange in %s: %g is outside 0..1", in->where, x);
      break;
    }
    v[n++] = (float)u;
  }
  if (!s && n != 4)
    s = dm_rd_fail(rd, DM_ERR_FORMAT, "crs:LumRange in %s: expected four numbers, got %d", in->where,
                   n);
  if (!s) memcpy(dst, v, sizeof v);
  free(t);
  return s;
}

/* Every parameter of the component's kind except invert/opacity. */
static dm_status read_params(dm_rd *rd, const comp_in *in, dm_mask_component *m) {
  int n;
  const dm_param *t = dm_mask_params(m->kind, &n);
  for (int j = 0; j < n; j++) {
    float *dst = dm_param_ptr(&t[j], m);
    for (int i = 0; i < t[j].count; i++) {
      dm_lr_field f = dm_lr_mask_field(&t[j], i);
      int found = 0;
      dm_status s = DM_OK;
      if (f.where == DM_LR_ATTR)
        s = dm_rd_param(rd, in->C, DM_CRS_NS, f.name, in->where, &t[j], f.inv, &dst[i], &found);
      else if (f.where == DM_LR_LUMRANGE && f.element == 0 && in->R)
        s = read_lumrange(rd, in, &t[j], dst);
      else if (f.where == DM_LR_RANGE_ATTR && in->R)
        s = dm_rd_param(rd, in->R, DM_CRS_NS, f.name, in->where, &t[j], f.inv, &dst[i], &found);
      else if (f.where == DM_LR_DM && i == 0 && t[j].count == 1)
        s = dm_rd_param(rd, in->C, DM_XMP_NS, f.name, in->where, &t[j], 1.0, &dst[0], &found);
      else if (f.where == DM_LR_DM && i == 0) {
        char *txt;
        s = text_of(rd, in->C, DM_XMP_NS, "dm", f.name, in->where, &txt);
        if (!s && txt) {
          char subject[512];
          snprintf(subject, sizeof subject, "%s: dm:%s in %s", rd->file, f.name, in->where);
          s = dm_param_parse(rd->ctx, &t[j], m, txt, subject);
        }
        free(txt);
      }
      if (s) return s;
    }
  }
  return DM_OK;
}

/* dm: fields a component of `kind` may carry. */
static void allowed_dm(dm_mask_kind kind, const char **list, int cap) {
  int n = 0, np;
  const dm_param *t = dm_mask_params(kind, &np);
  list[n++] = "Kind";
  if (kind == DM_MASK_FILE) list[n++] = "Path";
  for (int j = 0; j < np && n < cap - 1; j++)
    if (dm_lr_mask_field(&t[j], 0).where == DM_LR_DM) list[n++] = t[j].key;
  list[n] = NULL;
}

/* An optional whole-number property in lo..hi; *v = -1 when absent. */
static dm_status read_int(dm_rd *rd, const comp_in *in, const char *local, int lo, int hi,
                          const char *what, int *v) {
  double x = 0;
  int found = 0;
  *v = -1;
  dm_status s = dm_rd_number(rd, in->C, DM_CRS_NS, local, in->where, &x, &found);
  if (s || !found) return s;
  if (x != floor(x) || x < lo || x > hi)
    return dm_rd_fail(rd, DM_ERR_RANGE, "crs:%s in %s: %g is not %s", local, in->where, x, what);
  *v = (int)x;
  return DM_OK;
}

/* A Mask/Image (Lightroom's AI masks, see lr_fields.c): Select Subject and
 * Select Background are ours, the other types are kept. */
static dm_status classify_image(dm_rd *rd, const comp_in *in, int *kind) {
  int sub, cat;
  dm_status s = read_int(rd, in, "MaskSubType", 0, DM_LR_SUB_MAX, "a Lightroom AI mask type "
                         "(0 object or scene, 1 subject, 2 sky, 3 people)", &sub);
  if (!s) s = read_int(rd, in, "MaskSubCategoryID", 0, 1 << 20, "a category number", &cat);
  if (s) return s;
  if (sub == DM_LR_SUB_SUBJECT && cat <= 0) *kind = DM_MASK_SUBJECT;
  if (sub == DM_LR_SUB_OBJECT && cat == DM_LR_CAT_BACKGROUND) *kind = DM_MASK_BACKGROUND;
  return DM_OK;
}

/* Depth Range: DepthMin and DepthMax are required (a range without them
 * says nothing) and must be in order. */
static dm_status check_depth(dm_rd *rd, const comp_in *in, const dm_mask_component *m) {
  static const char *const need[] = {"DepthMin", "DepthMax"};
  for (int i = 0; i < 2; i++)
    if (!dm_xml_has_prop(in->R, DM_CRS_NS, need[i]))
      return dm_rd_fail(rd, DM_ERR_FORMAT, "crs:%s in %s: missing (a CorrectionRangeMask of "
                        "Type 3 is a depth range)", need[i], in->where);
  if (!(m->depth_range[0] <= m->depth_range[1]))
    return dm_rd_fail(rd, DM_ERR_RANGE, "crs:DepthMin in %s: %g is above crs:DepthMax %g",
                      in->where, (double)m->depth_range[0] / 100.0,
                      (double)m->depth_range[1] / 100.0);
  return DM_OK;
}

/* Which kind a component is, or -1 to keep it as it is. */
static dm_status classify(dm_rd *rd, comp_in *in, const char *what, int *kind, int *active) {
  *kind = -1;
  *active = 1;
  int found;
  /* Switched off in Lightroom (any kind): kept, never rendered, never refused. */
  dm_status s0 = dm_rd_bool(rd, in->C, DM_CRS_NS, "MaskActive", in->where, active, &found);
  if (s0) return s0;
  if (!what) return DM_OK;
  if (!strcmp(what, DM_LR_GRADIENT)) *kind = DM_MASK_LINEAR_GRADIENT;
  else if (!strcmp(what, DM_LR_RADIAL)) *kind = DM_MASK_RADIAL_GRADIENT;
  else if (!strcmp(what, DM_LR_FILE)) *kind = DM_MASK_FILE;
  else if (!strcmp(what, DM_LR_RANGE)) {
    dm_prop rp;
    dm_xml_find_prop(in->C, DM_CRS_NS, "CorrectionRangeMask", &rp);
    if (rp.count != 1 || !rp.elem) return DM_OK; /* not a shape we know: keep */
    in->R = dm_xml_props(rp.elem);
    char *type;
    dm_status s = text_of(rd, in->R, DM_CRS_NS, "crs", "Type", in->where, &type);
    if (s) return s;
    if (type && !strcmp(type, "2")) *kind = DM_MASK_LUMINANCE_RANGE; /* 1 colour: kept */
    if (type && !strcmp(type, "3")) *kind = DM_MASK_DEPTH_RANGE;
    free(type);
    static const char *const none[] = {NULL};
    if (*kind >= 0 && (s = dm_rd_only_dm(rd, in->R, in->where, none))) return s;
  } else if (!strcmp(what, DM_LR_IMAGE)) {
    dm_status s = classify_image(rd, in, kind);
    if (s) return s;
  } else if (!strcmp(what, DM_LR_AGGREGATE)) {
    int brush;
    dm_status s = dm_rd_brush_shape(rd, in->C, in->where, &brush);
    if (s) return s;
    if (brush) *kind = DM_MASK_BRUSH;
  }
  if (*kind < 0) return DM_OK;
  if (!*active) *kind = -1; /* switched off in Lightroom: keep, do not render */
  double blend = 0;
  dm_status s;
  if ((s = dm_rd_number(rd, in->C, DM_CRS_NS, "MaskBlendMode", in->where, &blend, &found))) return s;
  if (blend != floor(blend))
    return dm_rd_fail(rd, DM_ERR_PARAM, "crs:MaskBlendMode in %s: %g is not a whole number",
                      in->where, blend);
  if (blend != 0 && blend != 1) *kind = -1; /* a blend we do not know: keep */
  return DM_OK;
}

static dm_status read_known(dm_rd *rd, comp_in *in, int kind, dm_mask_component *m) {
  dm_status s;
  double blend = 0, value = 1;
  int found, inv = 0, inv_found;
  dm_mask_component_init(m, (dm_mask_kind)kind);
  if ((s = dm_rd_number(rd, in->C, DM_CRS_NS, "MaskBlendMode", in->where, &blend, &found))) return s;
  if ((s = dm_rd_bool(rd, in->C, DM_CRS_NS, "MaskInverted", in->where, &inv, &inv_found))) return s;
  if (!inv_found && kind == DM_MASK_RADIAL_GRADIENT) {
    int flipped = 1;
    if ((s = dm_rd_bool(rd, in->C, DM_CRS_NS, "Flipped", in->where, &flipped, &found))) return s;
    inv = !flipped;
  }
  if (in->R) {
    int rinv = 0;
    if ((s = dm_rd_bool(rd, in->R, DM_CRS_NS, "Invert", in->where, &rinv, &found))) return s;
    inv ^= rinv;
  }
  /* MaskValue: the value the component paints towards (see lr_fields.c). */
  double a = blend == 0 ? 100.0 : -100.0, b = blend == 0 ? 0.0 : 100.0;
  value = blend == 0 ? 1.0 : 0.0;
  if ((s = dm_rd_number(rd, in->C, DM_CRS_NS, "MaskValue", in->where, &value, &found))) return s;
  if (!(value >= 0.0 && value <= 1.0))
    return dm_rd_fail(rd, DM_ERR_RANGE, "crs:MaskValue in %s: %g is outside 0..1", in->where, value);
  m->opacity = (float)(value * a + b);
  if (blend == 0) {
    m->mode = DM_MASK_ADD;
    m->invert = (float)inv;
  } else {
    m->mode = inv ? DM_MASK_INTERSECT : DM_MASK_SUBTRACT;
    m->invert = 0;
  }

  const char *allowed[24];
  allowed_dm((dm_mask_kind)kind, allowed, 24);
  if ((s = dm_rd_only_dm(rd, in->C, in->where, allowed))) return s;
  char *tag;
  if ((s = text_of(rd, in->C, DM_XMP_NS, "dm", "Kind", in->where, &tag))) return s;
  int whole = 0;
  if (tag) {
    whole = kind == DM_MASK_LINEAR_GRADIENT && !strcmp(tag, dm_mask_kind_name(DM_MASK_ALL));
    if (!whole)
      s = dm_rd_fail(rd, DM_ERR_FORMAT, "dm:Kind in %s: \"%.40s\" is not a kind depthmask writes "
                     "on a %s", in->where, tag, kind == DM_MASK_LINEAR_GRADIENT ? DM_LR_GRADIENT :
                     "component of this type");
    free(tag);
    if (s) return s;
  }
  if ((s = read_params(rd, in, m))) return s;
  if (kind == DM_MASK_DEPTH_RANGE && (s = check_depth(rd, in, m))) return s;
  if (kind == DM_MASK_BRUSH && (s = dm_rd_brush(rd, in->C, in->where, m))) return s;
  if (whole && m->zero[0] == dm_lr_whole_zero[0] && m->zero[1] == dm_lr_whole_zero[1] &&
      m->full[0] == dm_lr_whole_full[0] && m->full[1] == dm_lr_whole_full[1]) {
    /* Our stand-in for whole_image, untouched by Lightroom. */
    dm_mask_component w;
    dm_mask_component_init(&w, DM_MASK_ALL);
    w.mode = m->mode, w.invert = m->invert, w.opacity = m->opacity;
    *m = w;
  }
  if (kind == DM_MASK_FILE) {
    char *path;
    if ((s = text_of(rd, in->C, DM_XMP_NS, "dm", "Path", in->where, &path))) return s;
    if (!path || !*path)
      s = dm_rd_fail(rd, DM_ERR_FORMAT, "dm:Path in %s: missing (a file component names its "
                     "grey image)", in->where);
    else if (strlen(path) >= sizeof m->path)
      s = dm_rd_fail(rd, DM_ERR_FORMAT, "dm:Path in %s: longer than %zu bytes", in->where,
                     sizeof m->path - 1);
    else
      strcpy(m->path, path);
    free(path);
    if (s) return s;
  }
  char subject[512];
  snprintf(subject, sizeof subject, "%s: %s", rd->file, in->where);
  return dm_mask_component_check(rd->ctx, m, subject);
}

dm_status dm_rd_components(dm_rd *rd, xmlNodePtr seq, int ci, dm_correction *c) {
  int idx = 0;
  char where[64];
  for (xmlNodePtr li = dm_xml_first_elem(seq); li; li = dm_xml_next_elem(li), idx++) {
    snprintf(where, sizeof where, "correction[%d].mask[%d]", ci, idx);
    if (idx >= DM_MAX_SLOTS)
      return dm_rd_fail(rd, DM_ERR_FORMAT, "crs:CorrectionMasks in correction[%d]: more than %d "
                        "components", ci, DM_MAX_SLOTS);
    if (!dm_xml_is(li, DM_RDF_NS, "li"))
      return dm_rd_fail(rd, DM_ERR_FORMAT, "crs:CorrectionMasks in correction[%d]: <%.60s> where "
                        "an rdf:li belongs", ci, (const char *)li->name);
    comp_in in = {.C = dm_xml_props(li), .R = NULL, .where = where};
    char *what;
    dm_status s = text_of(rd, in.C, DM_CRS_NS, "crs", "What", where, &what);
    int kind = -1, active = 1;
    if (!s) s = classify(rd, &in, what, &kind, &active);
    if (!s && kind < 0) {
      /* Kept as it is; its dm: fields, if any, are its own business. */
      in.C->_private = NULL;
      const char *const any[] = {"Kind", "Path", NULL};
      s = dm_rd_only_dm(rd, in.C, where, any);
      if (!s && !dm_preserved_add_kept(c->extra, idx, idx, what, active))
        s = dm_fail(rd->ctx, DM_ERR_NOMEM, rd->file, "out of memory");
    } else if (!s) {
      if (c->n_masks >= DM_MAX_MASKS)
        s = dm_rd_fail(rd, DM_ERR_FORMAT, "correction[%d]: more than %d mask components "
                       "depthmask renders", ci, DM_MAX_MASKS);
      else if ((s = read_known(rd, &in, kind, &c->masks[c->n_masks])))
        dm_mask_component_free(&c->masks[c->n_masks]); /* a brush read half-way */
      else {
        int k = c->n_masks++;
        c->extra->known_index[k] = idx;
        c->extra->known_kind[k] = c->masks[k].kind == DM_MASK_ALL ? DM_MASK_ALL : (dm_mask_kind)kind;
        c->extra->n_known = c->n_masks;
      }
    }
    free(what);
    if (s) return s;
  }
  if (dm_xml_has_text(seq))
    return dm_rd_fail(rd, DM_ERR_FORMAT, "crs:CorrectionMasks in correction[%d]: text in the "
                      "rdf:Seq", ci);
  return DM_OK;
}
