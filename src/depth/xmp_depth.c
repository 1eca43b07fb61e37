/* XMP readings for embedded depth: the hardened parse of src/recipe
 * (dm_xml_parse: no DTD, no entities, no network) and its RDF property
 * helpers, used here to read Google GDepth, Android Dynamic Depth's
 * container directory and depth maps, and Apple's pixel data info (apdi). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depth/embedded_internal.h"
#include "recipe/recipe_internal.h"

dm_status dm_xmp_parse(dm_context *ctx, const char *buf, size_t len, const char *name,
                       xmlDocPtr *doc, char *problem, size_t problem_len) {
  problem[0] = 0;
  dm_status s = dm_xml_parse(ctx, buf, len, name, doc);
  if (s == DM_ERR_NOMEM) return s;
  if (s) {
    const char *e = dm_context_error(ctx);
    size_t nl = strlen(name);
    if (!strncmp(e, name, nl) && !strncmp(e + nl, ": ", 2)) e += nl + 2;
    snprintf(problem, problem_len, "%s", e);
    *doc = NULL;
  }
  return DM_OK;
}

char *dm_xmp_get_in(xmlNodePtr n, const char *ns, const char *local) {
  char *v = NULL;
  if (!dm_xml_prop_text(dm_xml_props(n), ns, local, &v)) return NULL;
  return v;
}

/* Depth-first search for the first element carrying the property. */
static char *find_in(xmlNodePtr n, const char *ns, const char *local, int depth) {
  if (depth > 64) return NULL; /* hostile nesting */
  for (; n; n = n->next) {
    if (n->type != XML_ELEMENT_NODE) continue;
    if (dm_xml_has_prop(n, ns, local)) {
      char *v = NULL;
      if (dm_xml_prop_text(n, ns, local, &v) && v) return v;
    }
    char *v = find_in(n->children, ns, local, depth + 1);
    if (v) return v;
  }
  return NULL;
}

char *dm_xmp_get(xmlDocPtr doc, const char *ns, const char *local) {
  return doc ? find_in(doc->children, ns, local, 0) : NULL;
}

int dm_xmp_number(const char *text, double *out) {
  if (!text) return 0;
  char *end;
  double v = strtod(text, &end);
  if (end == text || *end || !isfinite(v)) return -1;
  *out = v;
  return 1;
}

static void copy_text(char *dst, size_t n, char *v) {
  snprintf(dst, n, "%s", v ? v : "");
  free(v);
}

/* ---- GDepth ------------------------------------------------------------ */

static char *either(xmlDocPtr a, xmlDocPtr b, const char *local) {
  char *v = dm_xmp_get(a, DM_NS_GDEPTH, local);
  return v ? v : dm_xmp_get(b, DM_NS_GDEPTH, local);
}

int dm_gdepth_meta_read(xmlDocPtr main, xmlDocPtr ext, dm_gdepth_meta *m) {
  memset(m, 0, sizeof *m);
  copy_text(m->format, sizeof m->format, either(main, ext, "Format"));
  copy_text(m->mime, sizeof m->mime, either(main, ext, "Mime"));
  copy_text(m->units, sizeof m->units, either(main, ext, "Units"));
  copy_text(m->conf_mime, sizeof m->conf_mime, either(main, ext, "ConfidenceMime"));
  m->near_text = either(main, ext, "Near");
  m->far_text = either(main, ext, "Far");
  /* The data is in the extended packet when the main one is near 64 KB. */
  m->data = either(ext, main, "Data");
  m->confidence = either(ext, main, "Confidence");
  return m->format[0] || m->mime[0] || m->near_text || m->far_text || m->data;
}

void dm_gdepth_meta_free(dm_gdepth_meta *m) {
  free(m->near_text);
  free(m->far_text);
  free(m->data);
  free(m->confidence);
  memset(m, 0, sizeof *m);
}

/* ---- Dynamic Depth ------------------------------------------------------- */

static xmlNodePtr find_elem(xmlNodePtr n, const char *ns, const char *local, int depth) {
  if (depth > 64) return NULL;
  for (; n; n = n->next) {
    if (n->type != XML_ELEMENT_NODE) continue;
    if (dm_xml_is(n, ns, local)) return n;
    xmlNodePtr f = find_elem(n->children, ns, local, depth + 1);
    if (f) return f;
  }
  return NULL;
}

/* Every element ns:local under n, in document order. */
static void each_elem(xmlNodePtr n, const char *ns, const char *local, int depth,
                      void (*fn)(xmlNodePtr, void *), void *user) {
  if (depth > 64) return;
  for (; n; n = n->next) {
    if (n->type != XML_ELEMENT_NODE) continue;
    if (dm_xml_is(n, ns, local)) fn(n, user);
    else each_elem(n->children, ns, local, depth + 1, fn, user);
  }
}

static void add_item(xmlNodePtr n, void *user) {
  dm_dd_meta *m = user;
  if (m->n_items >= DM_DD_MAX_ITEMS) {
    m->too_many = 1;
    return;
  }
  dm_dd_item *it = &m->items[m->n_items++];
  copy_text(it->mime, sizeof it->mime, dm_xmp_get_in(n, DM_NS_DD_ITEM, "Mime"));
  copy_text(it->semantic, sizeof it->semantic, dm_xmp_get_in(n, DM_NS_DD_ITEM, "Semantic"));
  copy_text(it->uri, sizeof it->uri, dm_xmp_get_in(n, DM_NS_DD_ITEM, "DataURI"));
  it->length_text = dm_xmp_get_in(n, DM_NS_DD_ITEM, "Length");
  it->padding_text = dm_xmp_get_in(n, DM_NS_DD_ITEM, "Padding");
}

static void add_map(xmlNodePtr n, void *user) {
  dm_dd_meta *m = user;
  if (m->n_maps >= (int)(sizeof m->maps / sizeof m->maps[0])) return;
  dm_dd_depthmap *d = &m->maps[m->n_maps++];
  copy_text(d->format, sizeof d->format, dm_xmp_get_in(n, DM_NS_DD_DEPTHMAP, "Format"));
  copy_text(d->units, sizeof d->units, dm_xmp_get_in(n, DM_NS_DD_DEPTHMAP, "Units"));
  copy_text(d->measure, sizeof d->measure, dm_xmp_get_in(n, DM_NS_DD_DEPTHMAP, "MeasureType"));
  copy_text(d->depth_uri, sizeof d->depth_uri, dm_xmp_get_in(n, DM_NS_DD_DEPTHMAP, "DepthURI"));
  copy_text(d->conf_uri, sizeof d->conf_uri, dm_xmp_get_in(n, DM_NS_DD_DEPTHMAP, "ConfidenceURI"));
  d->near_text = dm_xmp_get_in(n, DM_NS_DD_DEPTHMAP, "Near");
  d->far_text = dm_xmp_get_in(n, DM_NS_DD_DEPTHMAP, "Far");
}

int dm_dd_meta_read(xmlDocPtr doc, dm_dd_meta *m) {
  memset(m, 0, sizeof *m);
  xmlNodePtr root = doc ? doc->children : NULL;
  xmlNodePtr container = find_elem(root, DM_NS_DD_DEVICE, "Container", 0);
  if (!container) return 0;
  /* Container:Directory holds an rdf:Seq of Container:Item. */
  each_elem(container->children, DM_NS_DD_CONTAINER, "Item", 0, add_item, m);
  each_elem(root, DM_NS_DD_CAMERA, "DepthMap", 0, add_map, m);
  return 1;
}

void dm_dd_meta_free(dm_dd_meta *m) {
  for (int i = 0; i < m->n_items; i++) {
    free(m->items[i].length_text);
    free(m->items[i].padding_text);
  }
  for (int i = 0; i < m->n_maps; i++) {
    free(m->maps[i].near_text);
    free(m->maps[i].far_text);
  }
  memset(m, 0, sizeof *m);
}

/* ---- Apple apdi ---------------------------------------------------------- */

void dm_apdi_meta_read(xmlDocPtr doc, dm_apdi_meta *m) {
  memset(m, 0, sizeof *m);
  char *type = dm_xmp_get(doc, DM_NS_APDI, "AuxiliaryImageType");
  char *subtype = dm_xmp_get(doc, DM_NS_APDI, "AuxiliaryImageSubType");
  char *fmt = dm_xmp_get(doc, DM_NS_APDI, "NativeFormat");
  char *lo = dm_xmp_get(doc, DM_NS_APDI, "FloatMinValue");
  char *hi = dm_xmp_get(doc, DM_NS_APDI, "FloatMaxValue");
  m->present = type || fmt || lo || hi;
  copy_text(m->aux_type, sizeof m->aux_type, type);
  copy_text(m->aux_subtype, sizeof m->aux_subtype, subtype);
  double f;
  if (dm_xmp_number(fmt, &f) == 1 && f > 0 && f < 4294967296.0) m->native_format = (long)f;
  m->has_range = dm_xmp_number(lo, &m->float_min) == 1 && dm_xmp_number(hi, &m->float_max) == 1;
  free(fmt);
  free(lo);
  free(hi);
}
