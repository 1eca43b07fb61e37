/* Writing one mask component into a correction's crs:CorrectionMasks, the
 * way Lightroom writes it (lr_fields.c has the mapping). A component read
 * from a file starts from its original node, so attributes we do not model
 * (MaskName, MaskSyncID, Midpoint, LuminanceDepthSampleInfo, ...) stay. */
#include <stdio.h>
#include <string.h>

#include "recipe/recipe_internal.h"

typedef struct wr {
  xmlNodePtr C; /* the component's property node */
  int oom;
} wr;

static void set(wr *w, xmlNodePtr n, const char *ns, const char *local, const char *value) {
  dm_xml_put(&w->oom, n, ns, local, value);
}

void dm_wr_num(int *oom, xmlNodePtr n, const char *ns, const char *local, const float *u,
               int count, double a, double b, int min_dec, const char *sep) {
  if (*oom || dm_xml_prop_same_numbers(n, ns, local, u, count, a, b)) return;
  char list[512] = "", v[64];
  size_t used = 0;
  for (int e = 0; e < count && used < sizeof list; e++) {
    dm_lr_format_affine(v, sizeof v, u[e], a, b, min_dec);
    used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", e ? sep : "", v);
  }
  dm_xml_put(oom, n, ns, local, list);
}

/* Numbers read as x * a + b, written Lightroom's way unless the node
 * already says the same (then its spelling stays). */
static void set_num(wr *w, xmlNodePtr n, const char *ns, const char *local, const float *u,
                    int count, double a, double b, int min_dec, const char *sep) {
  dm_wr_num(&w->oom, n, ns, local, u, count, a, b, min_dec, sep);
}

static void set_bool(wr *w, xmlNodePtr n, const char *local, int v) {
  if (!dm_xml_prop_same_bool(n, DM_CRS_NS, local, v)) set(w, n, DM_CRS_NS, local, v ? "true" : "false");
}

static void set_if_absent(wr *w, xmlNodePtr n, const char *local, const char *value) {
  if (!dm_xml_has_prop(n, DM_CRS_NS, local)) set(w, n, DM_CRS_NS, local, value);
}

static xmlNodePtr new_child(wr *w, xmlNodePtr parent, const char *ns, const char *pfx,
                            const char *local) {
  return dm_xml_new_child(&w->oom, parent, ns, pfx, local);
}

static const char *lr_what(dm_mask_kind kind) {
  switch (kind) {
    case DM_MASK_LUMINANCE_RANGE:
    case DM_MASK_DEPTH_RANGE: return DM_LR_RANGE;
    case DM_MASK_SUBJECT:
    case DM_MASK_BACKGROUND: return DM_LR_IMAGE;
    case DM_MASK_RADIAL_GRADIENT: return DM_LR_RADIAL;
    case DM_MASK_FILE: return DM_LR_FILE;
    case DM_MASK_BRUSH: return DM_LR_AGGREGATE;
    default: return DM_LR_GRADIENT; /* linear, and whole_image's stand-in */
  }
}

/* The kind's own parameters (not invert/opacity, not LumRange). */
static void put_params(wr *w, const dm_mask_component *m, const dm_mask_component *geom) {
  int n;
  const dm_param *t = dm_mask_params(geom->kind, &n);
  for (int j = 0; j < n; j++) {
    const float *src = dm_param_ptr(&t[j], (void *)geom);
    for (int i = 0; i < t[j].count; i++) {
      dm_lr_field f = dm_lr_mask_field(&t[j], i);
      if (f.where == DM_LR_ATTR) {
        if (m->kind == DM_MASK_RADIAL_GRADIENT && !strcmp(f.name, "Feather")) {
          /* Lightroom's order: Angle, Midpoint, Roundness, Feather. */
          set_if_absent(w, w->C, "Midpoint", "50");
          set_if_absent(w, w->C, "Roundness", "0");
        }
        set_num(w, w->C, DM_CRS_NS, f.name, &src[i], 1, f.inv, 0.0, 0, "");
      } else if (f.where == DM_LR_DM && i == 0) {
        set_num(w, w->C, DM_XMP_NS, f.name, src, t[j].count, 1.0, 0.0, 0, ",");
      }
    }
  }
}

/* crs:CorrectionRangeMask, found or made, with its Version and Type. */
static xmlNodePtr range_node(wr *w, const char *type) {
  dm_prop p;
  dm_xml_find_prop(w->C, DM_CRS_NS, "CorrectionRangeMask", &p);
  xmlNodePtr R = p.elem ? dm_xml_props(p.elem) : new_child(w, w->C, DM_CRS_NS, "crs",
                                                           "CorrectionRangeMask");
  if (!R) return NULL;
  /* New ranges say "no sample point, use the numbers" (see lr_fields.c). */
  set_if_absent(w, R, "Version", "4");
  set(w, R, DM_CRS_NS, "Type", type);
  return R;
}

static void put_lumrange(wr *w, const dm_mask_component *m) {
  xmlNodePtr R = range_node(w, "2");
  if (!R) return;
  set_bool(w, R, "Invert", 0);
  set_if_absent(w, R, "SampleType", "2");
  set_num(w, R, DM_CRS_NS, "LumRange", m->lum_range, 4, 100.0, 0.0, 6, " ");
}

/* DepthMin, DepthMax, DepthFeather (0..1) in exiftool's table order,
 * before Invert and SampleType. */
static void put_depthrange(wr *w, const dm_mask_component *m) {
  xmlNodePtr R = range_node(w, "3");
  if (!R) return;
  int n;
  const dm_param *t = dm_mask_params(m->kind, &n);
  for (int j = 0; j < n; j++)
    for (int i = 0; i < t[j].count; i++) {
      dm_lr_field f = dm_lr_mask_field(&t[j], i);
      if (f.where == DM_LR_RANGE_ATTR)
        set_num(w, R, DM_CRS_NS, f.name, dm_param_ptr(&t[j], (void *)m) + i, 1, f.inv, 0.0, 0, "");
    }
  set_bool(w, R, "Invert", 0);
  set_if_absent(w, R, "SampleType", "2");
}

/* Select Subject / Select Background: Lightroom computes the raster from
 * these; a component read from a file keeps its click point and digests. */
static void put_image(wr *w, const dm_mask_component *m) {
  set_if_absent(w, w->C, "MaskVersion", "1");
  const float sub = m->kind == DM_MASK_SUBJECT ? DM_LR_SUB_SUBJECT : DM_LR_SUB_OBJECT;
  set_num(w, w->C, DM_CRS_NS, "MaskSubType", &sub, 1, 1.0, 0.0, 0, "");
  if (m->kind == DM_MASK_BACKGROUND) {
    const float cat = DM_LR_CAT_BACKGROUND;
    set_num(w, w->C, DM_CRS_NS, "MaskSubCategoryID", &cat, 1, 1.0, 0.0, 0, "");
  }
  set_if_absent(w, w->C, "ReferencePoint", "0.500000 0.500000");
}

dm_status dm_wr_component(dm_context *ctx, xmlNodePtr seq, const dm_correction *c, int ci,
                          int k, int slot) {
  const dm_mask_component *m = &c->masks[k];
  wr w = {0};
  xmlNodePtr base = dm_preserved_known(c->extra, k, m->kind), li;
  if (base) {
    li = xmlDocCopyNode(base, seq->doc, 1);
    if (!li || !xmlAddChild(seq, li)) {
      xmlFreeNode(li);
      return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
    }
    w.C = dm_xml_props(li);
  } else {
    li = new_child(&w, seq, DM_RDF_NS, "rdf", "li");
    /* Attributes on the rdf:li, as Lightroom writes simple components; a
     * range mask or a brush has child elements, so it gets an rdf:Description. */
    int nested = m->kind == DM_MASK_LUMINANCE_RANGE || m->kind == DM_MASK_DEPTH_RANGE ||
                 m->kind == DM_MASK_BRUSH;
    w.C = li && nested ? new_child(&w, li, DM_RDF_NS, "rdf", "Description") : li;
    if (!w.C) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
  }

  char name[96], id[33];
  int same = 0;
  for (int j = 0; j <= k; j++) same += c->masks[j].kind == m->kind;
  snprintf(name, sizeof name, "%s %d", dm_lr_mask_label(m->kind), same);
  dm_lr_sync_id(id, "mask", ci, slot, dm_mask_kind_name(m->kind));
  int inverted = (m->invert != 0) ^ (m->mode == DM_MASK_INTERSECT);

  set(&w, w.C, DM_CRS_NS, "What", lr_what(m->kind));
  set_if_absent(&w, w.C, "MaskActive", "true");
  set_if_absent(&w, w.C, "MaskName", name);
  const float blend = m->mode == DM_MASK_ADD ? 0.0f : 1.0f;
  set_num(&w, w.C, DM_CRS_NS, "MaskBlendMode", &blend, 1, 1.0, 0.0, 0, "");
  set_bool(&w, w.C, "MaskInverted", inverted);
  set_if_absent(&w, w.C, "MaskSyncID", id);
  if (m->mode == DM_MASK_ADD)
    set_num(&w, w.C, DM_CRS_NS, "MaskValue", &m->opacity, 1, 100.0, 0.0, 0, "");
  else
    set_num(&w, w.C, DM_CRS_NS, "MaskValue", &m->opacity, 1, -100.0, 100.0, 0, "");

  switch (m->kind) {
    case DM_MASK_ALL: {
      /* Lightroom's view: a linear gradient at full strength over the frame. */
      dm_mask_component g;
      dm_mask_component_init(&g, DM_MASK_LINEAR_GRADIENT);
      memcpy(g.zero, dm_lr_whole_zero, sizeof g.zero);
      memcpy(g.full, dm_lr_whole_full, sizeof g.full);
      set(&w, w.C, DM_XMP_NS, "Kind", dm_mask_kind_name(DM_MASK_ALL));
      put_params(&w, m, &g);
      break;
    }
    case DM_MASK_LINEAR_GRADIENT:
      dm_xml_prop_remove(w.C, DM_XMP_NS, "Kind"); /* Lightroom moved our whole-image stand-in */
      put_params(&w, m, m);
      break;
    case DM_MASK_RADIAL_GRADIENT:
      put_params(&w, m, m);
      set_bool(&w, w.C, "Flipped", !inverted);
      set_if_absent(&w, w.C, "Version", "2");
      break;
    case DM_MASK_LUMINANCE_RANGE:
      put_params(&w, m, m);
      put_lumrange(&w, m);
      break;
    case DM_MASK_DEPTH_RANGE:
      put_params(&w, m, m);
      put_depthrange(&w, m);
      break;
    case DM_MASK_SUBJECT:
    case DM_MASK_BACKGROUND:
      put_params(&w, m, m);
      put_image(&w, m);
      break;
    case DM_MASK_FILE:
      put_params(&w, m, m);
      set(&w, w.C, DM_XMP_NS, "Path", m->path);
      break;
    case DM_MASK_BRUSH:
      put_params(&w, m, m);
      dm_wr_brush(&w.oom, w.C, m, ci, slot);
      break;
    default: break;
  }
  return w.oom ? dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory") : DM_OK;
}
