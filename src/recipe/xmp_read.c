/* Reading a sidecar: parse (hardened), check the version and upgrade, then
 * turn crs:MaskGroupBasedCorrections into corrections. Strict about every
 * field we own (type, range, shape), silent about everything else, which is
 * kept for the rewrite. Errors read
 *   photo.xmp: crs:LocalExposure2012 in correction[0]: "abc" is not a number
 * with --set's indices, so the fix can be typed as a --set. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recipe/recipe_internal.h"

dm_status dm_rd_fail(dm_rd *rd, dm_status s, const char *fmt, ...) {
  char msg[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return dm_fail(rd->ctx, s, rd->file, "%s", msg);
}

static const char *prefix_of(const char *ns) {
  return !strcmp(ns, DM_XMP_NS) ? "dm" : !strcmp(ns, DM_CRS_NS) ? "crs" : "rdf";
}

/* The text of a simple property; a structure or a repeat is an error. */
static dm_status prop_text(dm_rd *rd, xmlNodePtr n, const char *ns, const char *local,
                           const char *where, char **out) {
  if (!dm_xml_prop_text(n, ns, local, out)) {
    dm_prop p;
    dm_xml_find_prop(n, ns, local, &p);
    return dm_rd_fail(rd, DM_ERR_FORMAT, "%s:%s in %s: %s", prefix_of(ns), local, where,
                      p.count > 1 ? "given twice" : "expected a single value");
  }
  return DM_OK;
}

/* Like dm_parse_float, but in double so that reading and dm_lr_format agree
 * to the last bit. */
static int parse_double(const char *s, double *out) {
  if (!s || !*s) return 0;
  char *end;
  errno = 0;
  double d = strtod(s, &end);
  if (*end || errno == ERANGE || !isfinite(d) || fabs(d) > 3.0e38) return 0;
  *out = d;
  return 1;
}

dm_status dm_rd_number(dm_rd *rd, xmlNodePtr n, const char *ns, const char *local,
                       const char *where, double *out, int *found) {
  char *t;
  dm_status s = prop_text(rd, n, ns, local, where, &t);
  if (s) return s;
  *found = t != NULL;
  if (!t) return DM_OK;
  if (!parse_double(t, out))
    s = dm_rd_fail(rd, DM_ERR_PARAM, "%s:%s in %s: \"%.40s\" is not a number", prefix_of(ns), local,
                   where, t);
  free(t);
  return s;
}

dm_status dm_rd_bool(dm_rd *rd, xmlNodePtr n, const char *ns, const char *local,
                     const char *where, int *out, int *found) {
  char *t;
  dm_status s = prop_text(rd, n, ns, local, where, &t);
  if (s) return s;
  *found = t != NULL;
  if (!t) return DM_OK;
  if (!strcmp(t, "true") || !strcmp(t, "True"))
    *out = 1;
  else if (!strcmp(t, "false") || !strcmp(t, "False"))
    *out = 0;
  else
    s = dm_rd_fail(rd, DM_ERR_PARAM, "%s:%s in %s: \"%.40s\" is not true or false", prefix_of(ns),
                   local, where, t);
  free(t);
  return s;
}

dm_status dm_rd_param(dm_rd *rd, xmlNodePtr n, const char *ns, const char *local,
                      const char *where, const dm_param *p, double inv, float *out, int *found) {
  if (p->type == DM_PARAM_BOOL) {
    int b = 0;
    dm_status s = dm_rd_bool(rd, n, ns, local, where, &b, found);
    if (!s && *found) *out = (float)b;
    return s;
  }
  double x;
  dm_status s = dm_rd_number(rd, n, ns, local, where, &x, found);
  if (s || !*found) return s;
  double u = x * inv;
  if (!(u >= (double)p->min && u <= (double)p->max) || !((float)u >= p->min && (float)u <= p->max))
    return dm_rd_fail(rd, DM_ERR_RANGE, "%s:%s in %s: %g is outside %g..%g (%s %g..%g)",
                      prefix_of(ns), local, where, x, (double)p->min / inv, (double)p->max / inv,
                      p->key, (double)p->min, (double)p->max);
  *out = (float)u;
  return DM_OK;
}

static int is_dm(xmlNsPtr ns) {
  return ns && ns->href && !strcmp((const char *)ns->href, DM_XMP_NS);
}

static int listed(const xmlChar *name, const char *const *allowed) {
  for (int i = 0; allowed && allowed[i]; i++)
    if (!strcmp((const char *)name, allowed[i])) return 1;
  return 0;
}

static const char dm_checked = 0; /* its address marks nodes in xmlNode._private */

dm_status dm_rd_only_dm(dm_rd *rd, xmlNodePtr n, const char *where, const char *const *allowed) {
  const xmlChar *bad = NULL;
  for (xmlAttrPtr a = n->properties; a && !bad; a = a->next)
    if (is_dm(a->ns) && !listed(a->name, allowed)) bad = a->name;
  for (xmlNodePtr c = dm_xml_first_elem(n); c && !bad; c = dm_xml_next_elem(c))
    if (is_dm(c->ns) && !listed(c->name, allowed)) bad = c->name;
  if (bad)
    return dm_rd_fail(rd, DM_ERR_FORMAT, "dm:%.60s in %s: unknown depthmask field (this build "
                      "reads dm:RecipeVersion %d)", (const char *)bad, where, DM_RECIPE_VERSION);
  n->_private = (void *)&dm_checked;
  return DM_OK;
}

/* Any dm: field where none belongs: not on a node dm_rd_only_dm checked. */
static dm_status stray_dm(dm_rd *rd, xmlNodePtr n, const char *where) {
  for (; n; n = n->next) {
    if (n->type != XML_ELEMENT_NODE) continue;
    int checked = n->_private == &dm_checked;
    int parent_checked = n->parent && n->parent->_private == &dm_checked;
    const xmlChar *bad = NULL;
    if (is_dm(n->ns) && !parent_checked) bad = n->name;
    for (xmlAttrPtr a = n->properties; a && !bad && !checked; a = a->next)
      if (is_dm(a->ns)) bad = a->name;
    if (bad)
      return dm_rd_fail(rd, DM_ERR_FORMAT, "dm:%.60s in %s: not a depthmask field here", bad, where);
    if (!(is_dm(n->ns) && parent_checked)) {
      dm_status s = stray_dm(rd, n->children, where);
      if (s) return s;
    }
  }
  return DM_OK;
}

/* ---- a correction ---------------------------------------------------------- */

dm_status dm_rd_correction(dm_rd *rd, xmlNodePtr li_in, const char *label, int ci,
                           dm_correction *c) {
  char where[64];
  snprintf(where, sizeof where, "%s[%d]", label, ci);
  dm_correction_init(c);
  /* The correction keeps its own copy of its <rdf:li>; everything below reads
   * the copy, so the kept nodes are the ones written back. */
  c->extra = dm_preserved_new();
  if (!c->extra || !(c->extra->doc = xmlNewDoc((const xmlChar *)"1.0")))
    return dm_fail(rd->ctx, DM_ERR_NOMEM, rd->file, "out of memory");
  xmlNodePtr li = xmlDocCopyNode(li_in, c->extra->doc, 1);
  if (!li) return dm_fail(rd->ctx, DM_ERR_NOMEM, rd->file, "out of memory");
  xmlDocSetRootElement(c->extra->doc, li);
  xmlNodePtr P = dm_xml_props(li);

  static const char *const no_dm[] = {NULL};
  dm_status s = dm_rd_only_dm(rd, P, where, no_dm);
  if (s) return s;
  char *what;
  if ((s = prop_text(rd, P, DM_CRS_NS, "What", where, &what))) return s;
  if (what && strcmp(what, "Correction")) {
    s = dm_rd_fail(rd, DM_ERR_FORMAT, "crs:What in %s: \"%.40s\", expected \"Correction\"", where,
                   what);
    free(what);
    return s;
  }
  free(what);

  int n_cp, found;
  const dm_param *cp = dm_lr_correction_params(&n_cp);
  for (int i = 0; i < n_cp; i++)
    if ((s = dm_rd_param(rd, P, DM_CRS_NS, cp[i].xmp_name, where, &cp[i],
                         dm_lr_inv(cp[i].xmp_scale), dm_param_ptr(&cp[i], c), &found)))
      return s;
  const dm_param *sl = dm_adjust_params();
  for (int i = 0; i < DM_ADJ_COUNT; i++) {
    if (!sl[i].xmp_name) continue;
    if ((s = dm_rd_param(rd, P, DM_CRS_NS, sl[i].xmp_name, where, &sl[i],
                         dm_lr_inv(sl[i].xmp_scale), dm_param_ptr(&sl[i], &c->sliders), &found)))
      return s;
  }
  char *name;
  if ((s = prop_text(rd, P, DM_CRS_NS, "CorrectionName", where, &name))) return s;
  if (name) {
    size_t l = strlen(name);
    if (l >= sizeof c->name)
      s = dm_rd_fail(rd, DM_ERR_FORMAT, "crs:CorrectionName in %s: longer than %zu bytes", where,
                     sizeof c->name - 1);
    else
      memcpy(c->name, name, l + 1);
    free(name);
    if (s) return s;
  }

  dm_prop masks;
  dm_xml_find_prop(P, DM_CRS_NS, "CorrectionMasks", &masks);
  if (masks.count > 1 || masks.attr)
    return dm_rd_fail(rd, DM_ERR_FORMAT, "crs:CorrectionMasks in %s: %s", where,
                      masks.count > 1 ? "given twice" : "expected an rdf:Seq of components");
  if (!masks.elem) return stray_dm(rd, li, where);
  xmlNodePtr seq = dm_xml_first_elem(masks.elem);
  if (!dm_xml_is(seq, DM_RDF_NS, "Seq") || dm_xml_next_elem(seq) || dm_xml_has_text(masks.elem))
    return dm_rd_fail(rd, DM_ERR_FORMAT, "crs:CorrectionMasks in %s: expected an rdf:Seq", where);
  if ((s = dm_rd_components(rd, seq, ci, c))) return s;
  return stray_dm(rd, li, where);
}

/* ---- the document ---------------------------------------------------------- */

static dm_status find_rdf(dm_rd *rd, xmlDocPtr doc, xmlNodePtr *rdf) {
  xmlNodePtr root = xmlDocGetRootElement(doc);
  if (dm_xml_is(root, DM_RDF_NS, "RDF")) {
    *rdf = root;
    return DM_OK;
  }
  if (root && root->ns && root->ns->href && !strcmp((const char *)root->ns->href, DM_XMPMETA_NS) &&
      (!strcmp((const char *)root->name, "xmpmeta") || !strcmp((const char *)root->name, "xapmeta"))) {
    xmlNodePtr r = dm_xml_child(root, DM_RDF_NS, "RDF");
    if (r) {
      *rdf = r;
      return DM_OK;
    }
  }
  return dm_rd_fail(rd, DM_ERR_FORMAT, "not an XMP sidecar (no x:xmpmeta/rdf:RDF; the root is <%.60s>)",
                    root ? (const char *)root->name : "nothing");
}

static dm_status read_version(dm_rd *rd, xmlNodePtr rdf, int *version) {
  *version = 0;
  int seen = 0;
  for (xmlNodePtr d = dm_xml_child(rdf, DM_RDF_NS, "Description"); d;
       d = dm_xml_next_elem(d)) {
    if (!dm_xml_is(d, DM_RDF_NS, "Description")) continue;
    dm_status s = dm_rd_only_dm(rd, d, "the sidecar", dm_photo_dm_names());
    if (s) return s;
    double v;
    int found;
    if ((s = dm_rd_number(rd, d, DM_XMP_NS, "RecipeVersion", "the sidecar", &v, &found))) return s;
    if (!found) continue;
    if (seen++) return dm_rd_fail(rd, DM_ERR_FORMAT, "dm:RecipeVersion: given twice");
    if (v != floor(v) || v < 0 || v > 1e6)
      return dm_rd_fail(rd, DM_ERR_FORMAT, "dm:RecipeVersion: %g is not a version number", v);
    *version = (int)v;
  }
  if (*version > DM_RECIPE_VERSION)
    return dm_rd_fail(rd, DM_ERR_FORMAT,
                      "dm:RecipeVersion: written by a newer depthmask (version %d); this build "
                      "reads up to %d",
                      *version, DM_RECIPE_VERSION);
  return DM_OK;
}

/* Element children of every top-level rdf:Description named crs:local. */
static dm_status find_group(dm_rd *rd, xmlNodePtr rdf, xmlNodePtr *group) {
  *group = NULL;
  for (xmlNodePtr d = dm_xml_first_elem(rdf); d; d = dm_xml_next_elem(d)) {
    if (!dm_xml_is(d, DM_RDF_NS, "Description")) continue;
    dm_prop p;
    dm_xml_find_prop(d, DM_CRS_NS, "MaskGroupBasedCorrections", &p);
    if (p.attr)
      return dm_rd_fail(rd, DM_ERR_FORMAT, "crs:MaskGroupBasedCorrections: expected an rdf:Seq");
    if (p.count > 1 || (p.elem && *group))
      return dm_rd_fail(rd, DM_ERR_FORMAT, "crs:MaskGroupBasedCorrections: given twice");
    if (p.elem) *group = p.elem;
  }
  return DM_OK;
}

static dm_status read_doc(dm_rd *rd, xmlDocPtr doc, dm_recipe *r) {
  xmlNodePtr rdf = NULL, group = NULL;
  dm_status s = find_rdf(rd, doc, &rdf);
  int version = 0;
  if (!s) s = read_version(rd, rdf, &version);
  if (!s && version < DM_RECIPE_VERSION) s = dm_recipe_upgrade(rd->ctx, rd->file, doc, rdf, version);
  if (!s) s = find_group(rd, rdf, &group);
  if (!s) s = dm_rd_lens_blur(rd, rdf, &r->lens_blur);
  if (!s) s = dm_rd_photo(rd, rdf, &r->photo);
  if (!s) s = dm_rd_refine(rd, rdf, r);
  if (s) return s;
  r->source_version = version;
  r->version = DM_RECIPE_VERSION;
  if (!group) return stray_dm(rd, xmlDocGetRootElement(doc), "the sidecar");
  xmlNodePtr seq = dm_xml_first_elem(group);
  if (!dm_xml_is(seq, DM_RDF_NS, "Seq") || dm_xml_next_elem(seq) || dm_xml_has_text(group))
    return dm_rd_fail(rd, DM_ERR_FORMAT, "crs:MaskGroupBasedCorrections: expected an rdf:Seq");
  int ci = 0;
  for (xmlNodePtr li = dm_xml_first_elem(seq); li; li = dm_xml_next_elem(li), ci++) {
    if (!dm_xml_is(li, DM_RDF_NS, "li"))
      return dm_rd_fail(rd, DM_ERR_FORMAT, "crs:MaskGroupBasedCorrections: <%.60s> where an rdf:li "
                        "belongs", (const char *)li->name);
    if (ci >= DM_MAX_CORRECTIONS)
      return dm_rd_fail(rd, DM_ERR_FORMAT, "crs:MaskGroupBasedCorrections: more than %d corrections",
                        DM_MAX_CORRECTIONS);
    r->n_corrections = ci + 1;
    if ((s = dm_rd_correction(rd, li, "correction", ci, &r->corrections[ci]))) return s;
  }
  if (dm_xml_has_text(seq))
    return dm_rd_fail(rd, DM_ERR_FORMAT, "crs:MaskGroupBasedCorrections: text in the rdf:Seq");
  /* The group's content now lives in the corrections: empty it, leaving it as
   * the marker of where they go back. */
  dm_xml_remove_children(group);
  return stray_dm(rd, xmlDocGetRootElement(doc), "the sidecar");
}

dm_status dm_recipe_read_mem(dm_context *ctx, const char *xml, size_t len, const char *name,
                             dm_recipe *r) {
  dm_rd rd = {ctx, name && *name ? name : "XMP"};
  xmlDocPtr doc;
  dm_status s = dm_xml_parse(ctx, xml, len, rd.file, &doc);
  if (s) return s;
  /* Read into a scratch recipe, so a failure leaves r as it was. When r is
   * empty (the usual case), its own zeroed array serves and is zeroed again
   * on failure, which saves allocating another. */
  dm_recipe tmp;
  int reuse = r->corrections && r->n_corrections == 0 && !r->extra;
  if (reuse) {
    memset(&tmp, 0, sizeof tmp);
    tmp.corrections = r->corrections;
    dm_lens_blur_defaults(&tmp.lens_blur);
  } else if ((s = dm_recipe_init(ctx, &tmp))) {
    xmlFreeDoc(doc);
    return s;
  }
  s = read_doc(&rd, doc, &tmp);
  if (!s && !(tmp.extra = dm_preserved_new())) s = dm_fail(ctx, DM_ERR_NOMEM, rd.file, "out of memory");
  if (s) {
    xmlFreeDoc(doc);
    if (reuse) {
      for (int i = 0; i < tmp.n_corrections; i++) {
        dm_correction_release(&tmp.corrections[i]);
        memset(&tmp.corrections[i], 0, sizeof tmp.corrections[i]);
      }
      dm_refine_free(&tmp.refine);
    } else {
      dm_recipe_free(&tmp);
    }
    return s;
  }
  tmp.extra->doc = doc;
  if (!reuse) dm_recipe_free(r);
  *r = tmp;
  return DM_OK;
}
