/* Writing a sidecar. A recipe read from a file is written into a copy of
 * that file's document: only crs:MaskGroupBasedCorrections, Lens Blur's
 * (crs:LensBlur, crs:DepthBasedCorrections) and our dm: fields change, every other element, attribute and namespace stays as it
 * was (Lightroom's other settings, ratings, history, other tools' data). A
 * new recipe gets a fresh x:xmpmeta / rdf:RDF / rdf:Description. Inside a
 * correction, attributes and components we do not model are written back
 * from the correction's own copy of its original node, in their places. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recipe/recipe_internal.h"

typedef struct out {
  dm_context *ctx;
  xmlDocPtr doc;
  int oom;
} out;

static void set(out *o, xmlNodePtr n, const char *ns, const char *local, const char *value) {
  dm_xml_put(&o->oom, n, ns, local, value);
}

static int has(xmlNodePtr n, const char *ns, const char *local) { return dm_xml_has_prop(n, ns, local); }

static xmlNodePtr new_child(out *o, xmlNodePtr parent, const char *ns, const char *pfx,
                            const char *local) {
  return dm_xml_new_child(&o->oom, parent, ns, pfx, local);
}


/* ---- one correction --------------------------------------------------------- */

/* correction[ci] into seq; its rdf:Description (where its fields are) in
 * *props, NULL when out of memory. A refine stroke set is written as a
 * correction whose sync IDs are seeded apart (id_ci = DM_MAX_CORRECTIONS + i). */
static dm_status write_correction(out *o, xmlNodePtr seq, const dm_correction *c, int ci,
                                  xmlNodePtr *props) {
  *props = NULL;
  xmlNodePtr orig = c->extra && c->extra->doc ? xmlDocGetRootElement(c->extra->doc) : NULL, li, P;
  if (orig) {
    li = xmlDocCopyNode(orig, o->doc, 1);
    if (!li || !xmlAddChild(seq, li)) {
      xmlFreeNode(li);
      o->oom = 1;
      return DM_OK;
    }
    P = dm_xml_props(li);
  } else {
    li = new_child(o, seq, DM_RDF_NS, "rdf", "li");
    P = li ? new_child(o, li, DM_RDF_NS, "rdf", "Description") : NULL;
    if (!P) return DM_OK;
  }
  char v[64], id[33];
  *props = P;
  set(o, P, DM_CRS_NS, "What", "Correction");
  int n_cp;
  const dm_param *cp = dm_lr_correction_params(&n_cp);
  for (int i = 0; i < n_cp; i++) {
    const float *f = dm_param_ptr(&cp[i], (void *)c);
    if (cp[i].type == DM_PARAM_BOOL) {
      if (!dm_xml_prop_same_bool(P, DM_CRS_NS, cp[i].xmp_name, *f != 0))
        set(o, P, DM_CRS_NS, cp[i].xmp_name, *f != 0 ? "true" : "false");
    } else if (!dm_xml_prop_same_numbers(P, DM_CRS_NS, cp[i].xmp_name, f, 1,
                                         dm_lr_inv(cp[i].xmp_scale), 0.0)) {
      dm_lr_format(v, sizeof v, *f, dm_lr_inv(cp[i].xmp_scale), 0);
      set(o, P, DM_CRS_NS, cp[i].xmp_name, v);
    }
  }
  if (c->name[0] || has(P, DM_CRS_NS, "CorrectionName")) set(o, P, DM_CRS_NS, "CorrectionName", c->name);
  if (!has(P, DM_CRS_NS, "CorrectionSyncID")) {
    dm_lr_sync_id(id, "correction", ci, 0, c->name);
    set(o, P, DM_CRS_NS, "CorrectionSyncID", id);
  }
  /* Every slider in a correction we made; in one read from a file, the
   * sliders it had plus any that moved, so Lightroom's own stay as it wrote them. */
  const dm_param *sl = dm_adjust_params();
  for (int i = 0; i < DM_ADJ_COUNT; i++) {
    if (!sl[i].xmp_name) continue;
    float u = c->sliders.v[i];
    if (orig && u == sl[i].def && !has(P, DM_CRS_NS, sl[i].xmp_name)) continue;
    if (dm_xml_prop_same_numbers(P, DM_CRS_NS, sl[i].xmp_name, &u, 1, dm_lr_inv(sl[i].xmp_scale), 0.0))
      continue;
    dm_lr_format(v, sizeof v, u, dm_lr_inv(sl[i].xmp_scale), 0);
    set(o, P, DM_CRS_NS, sl[i].xmp_name, v);
  }

  dm_prop mp;
  dm_xml_find_prop(P, DM_CRS_NS, "CorrectionMasks", &mp);
  xmlNodePtr masks = mp.elem ? mp.elem : new_child(o, P, DM_CRS_NS, "crs", "CorrectionMasks");
  if (!masks) return DM_OK;
  dm_xml_remove_children(masks);
  xmlNodePtr mseq = new_child(o, masks, DM_RDF_NS, "rdf", "Seq");
  if (!mseq) return DM_OK;
  dm_slot_iter it = {0, 0, 0};
  int k, j;
  while (dm_slot_next(c, &it, &k, &j)) {
    if (k >= 0) {
      dm_status st = dm_wr_component(o->ctx, mseq, c, ci, k, it.s - 1);
      if (st) return st;
      continue;
    }
    xmlNodePtr kept = dm_preserved_component(c->extra, c->extra->kept[j].index);
    xmlNodePtr copy = kept ? xmlDocCopyNode(kept, o->doc, 1) : NULL;
    if (kept && (!copy || !xmlAddChild(mseq, copy))) {
      xmlFreeNode(copy);
      o->oom = 1;
    }
  }
  return DM_OK;
}

/* Lens Blur's refine stroke sets: crs:DepthBasedCorrections, where the
 * file had it (else in `main`), rebuilt from the recipe; gone when there
 * are none. */
static dm_status write_refine(out *o, xmlNodePtr rdf, xmlNodePtr main, const dm_refine *f) {
  xmlNodePtr holder = NULL;
  for (xmlNodePtr d = dm_xml_first_elem(rdf); d && !holder; d = dm_xml_next_elem(d))
    if (dm_xml_is(d, DM_RDF_NS, "Description"))
      holder = dm_xml_child(d, DM_CRS_NS, "DepthBasedCorrections");
  if (!f->n) {
    if (holder) {
      xmlUnlinkNode(holder);
      xmlFreeNode(holder);
    }
    return DM_OK;
  }
  if (!holder) holder = new_child(o, main, DM_CRS_NS, "crs", "DepthBasedCorrections");
  if (!holder) return DM_OK;
  dm_xml_remove_children(holder);
  xmlNodePtr seq = new_child(o, holder, DM_RDF_NS, "rdf", "Seq"), P;
  const dm_param *dp = dm_refine_depth_param();
  for (int i = 0; seq && !o->oom && i < f->n; i++) {
    dm_status s = write_correction(o, seq, &f->strokes[i], DM_MAX_CORRECTIONS + i, &P);
    if (s) return s;
    if (!P || dm_xml_prop_same_numbers(P, DM_CRS_NS, dp->xmp_name, &f->depth[i], 1,
                                       dm_lr_inv(dp->xmp_scale), 0.0))
      continue;
    char v[64];
    dm_lr_format(v, sizeof v, f->depth[i], dm_lr_inv(dp->xmp_scale), 0);
    set(o, P, DM_CRS_NS, dp->xmp_name, v);
  }
  return DM_OK;
}

/* ---- the document ------------------------------------------------------------ */

static xmlNodePtr fresh_doc(out *o) {
  o->doc = xmlNewDoc((const xmlChar *)"1.0");
  if (!o->doc) return NULL;
  xmlNodePtr meta = xmlNewDocNode(o->doc, NULL, (const xmlChar *)"xmpmeta", NULL);
  if (!meta) return NULL;
  xmlDocSetRootElement(o->doc, meta);
  xmlNsPtr x = xmlNewNs(meta, (const xmlChar *)DM_XMPMETA_NS, (const xmlChar *)"x");
  if (!x) return NULL;
  xmlSetNs(meta, x);
  if (!xmlNewNsProp(meta, x, (const xmlChar *)"xmptk", (const xmlChar *)"depthmask")) return NULL;
  xmlNodePtr rdf = xmlNewDocNode(o->doc, NULL, (const xmlChar *)"RDF", NULL);
  if (!rdf || !xmlAddChild(meta, rdf)) {
    xmlFreeNode(rdf);
    return NULL;
  }
  xmlNsPtr r = xmlNewNs(rdf, (const xmlChar *)DM_RDF_NS, (const xmlChar *)"rdf");
  if (!r) return NULL;
  xmlSetNs(rdf, r);
  xmlNodePtr d = new_child(o, rdf, DM_RDF_NS, "rdf", "Description");
  if (!d || !xmlNewNsProp(d, r, (const xmlChar *)"about", (const xmlChar *)"")) return NULL;
  if (!xmlNewNs(d, (const xmlChar *)DM_CRS_NS, (const xmlChar *)"crs") ||
      !xmlNewNs(d, (const xmlChar *)DM_XMP_NS, (const xmlChar *)"dm"))
    return NULL;
  return rdf;
}

static xmlNodePtr find_rdf(xmlDocPtr doc) {
  xmlNodePtr root = xmlDocGetRootElement(doc);
  if (dm_xml_is(root, DM_RDF_NS, "RDF")) return root;
  return dm_xml_child(root, DM_RDF_NS, "RDF");
}

/* The rdf:Description that gets our fields: the one holding the
 * corrections' marker, else the one with dm:RecipeVersion, else the first. */
static xmlNodePtr main_description(out *o, xmlNodePtr rdf, xmlNodePtr *group) {
  xmlNodePtr first = NULL, with_version = NULL, with_group = NULL;
  *group = NULL;
  for (xmlNodePtr d = dm_xml_first_elem(rdf); d; d = dm_xml_next_elem(d)) {
    if (!dm_xml_is(d, DM_RDF_NS, "Description")) continue;
    if (!first) first = d;
    xmlNodePtr g = dm_xml_child(d, DM_CRS_NS, "MaskGroupBasedCorrections");
    if (g && !with_group) with_group = d, *group = g;
    if (has(d, DM_XMP_NS, "RecipeVersion") && !with_version) with_version = d;
  }
  xmlNodePtr d = with_group ? with_group : with_version ? with_version : first;
  if (!d) {
    d = new_child(o, rdf, DM_RDF_NS, "rdf", "Description");
    xmlNsPtr r = d ? dm_xml_ns(d, DM_RDF_NS, "rdf") : NULL;
    if (!r || !xmlNewNsProp(d, r, (const xmlChar *)"about", (const xmlChar *)"")) o->oom = 1;
  }
  /* Our namespaces, declared where Lightroom declares crs. */
  if (d && (!dm_xml_ns(d, DM_CRS_NS, "crs") || !dm_xml_ns(d, DM_XMP_NS, "dm"))) o->oom = 1;
  return d;
}

static dm_status build(out *o, const dm_recipe *r) {
  xmlNodePtr rdf = NULL;
  if (r->extra && r->extra->doc) {
    o->doc = xmlCopyDoc(r->extra->doc, 1);
    rdf = o->doc ? find_rdf(o->doc) : NULL;
    if (o->doc && !rdf) return dm_fail(o->ctx, DM_ERR_INTERNAL, NULL, "kept document has no rdf:RDF");
  } else {
    rdf = fresh_doc(o);
  }
  if (!rdf) {
    o->oom = 1;
    return DM_OK;
  }
  xmlNodePtr group, main = main_description(o, rdf, &group);
  if (!main || o->oom) return DM_OK;
  for (xmlNodePtr d = dm_xml_first_elem(rdf); d; d = dm_xml_next_elem(d))
    if (d != main && dm_xml_is(d, DM_RDF_NS, "Description"))
      dm_xml_prop_remove(d, DM_XMP_NS, "RecipeVersion");
  int lens_blur = dm_wr_lens_blur_wanted(rdf, &r->lens_blur);
  if (r->n_corrections > 0 || lens_blur) {
    /* What Lightroom needs to take local corrections or a lens blur from a
     * sidecar; kept as they are when present. Lens Blur came with Camera
     * Raw 16.0. */
    if (!has(main, DM_CRS_NS, "Version"))
      set(o, main, DM_CRS_NS, "Version", lens_blur ? "16.0" : "14.0");
    if (!has(main, DM_CRS_NS, "ProcessVersion")) set(o, main, DM_CRS_NS, "ProcessVersion", "11.0");
    if (!has(main, DM_CRS_NS, "HasSettings")) set(o, main, DM_CRS_NS, "HasSettings", "True");
  }
  char v[16];
  snprintf(v, sizeof v, "%d", DM_RECIPE_VERSION);
  set(o, main, DM_XMP_NS, "RecipeVersion", v);
  if (r->n_corrections == 0) {
    if (group) {
      xmlUnlinkNode(group);
      xmlFreeNode(group);
    }
  } else {
    if (!group) group = new_child(o, main, DM_CRS_NS, "crs", "MaskGroupBasedCorrections");
    if (!group) return DM_OK;
    dm_xml_remove_children(group);
    xmlNodePtr seq = new_child(o, group, DM_RDF_NS, "rdf", "Seq");
    xmlNodePtr P;
    for (int i = 0; seq && !o->oom && i < r->n_corrections; i++) {
      dm_status s = write_correction(o, seq, &r->corrections[i], i, &P);
      if (s) return s;
    }
  }
  dm_status s = write_refine(o, rdf, main, &r->refine);
  if (s) return s;
  /* After the corrections, so a new sidecar reads corrections, then blur. */
  if (!o->oom && !dm_wr_lens_blur(rdf, main, &r->lens_blur)) o->oom = 1;
  if (!o->oom && !dm_wr_photo(rdf, main, &r->photo)) o->oom = 1;
  return DM_OK;
}

dm_status dm_recipe_write_mem(dm_context *ctx, const dm_recipe *r, char **xml, size_t *len) {
  *xml = NULL;
  *len = 0;
  dm_status s = dm_recipe_check(ctx, r);
  if (s) return s;
  out o = {.ctx = ctx};
  s = build(&o, r);
  if (!s && o.oom) s = dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory writing the sidecar");
  if (!s) {
    /* Copies bring their own namespace declarations: drop the repeats, in
     * the part we wrote only. */
    xmlNodePtr rdf = find_rdf(o.doc), group = NULL, refine = NULL;
    for (xmlNodePtr d = dm_xml_first_elem(rdf); d; d = dm_xml_next_elem(d)) {
      if (!group) group = dm_xml_child(d, DM_CRS_NS, "MaskGroupBasedCorrections");
      if (!refine) refine = dm_xml_child(d, DM_CRS_NS, "DepthBasedCorrections");
    }
    dm_xml_tidy_ns(group);
    dm_xml_tidy_ns(refine);
    s = dm_xmp_serialize(ctx, o.doc, xml, len);
  }
  if (o.doc) xmlFreeDoc(o.doc);
  return s;
}
