/* libxml2 helpers for the recipe: a hardened parse with per-context error
 * capture (libxml2 2.9's global handlers stay untouched), RDF property
 * access in both of RDF/XML's spellings, namespace housekeeping. */
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recipe/recipe_internal.h"

int dm_xml_is(xmlNodePtr n, const char *ns, const char *local) {
  return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
         !strcmp((const char *)n->ns->href, ns) && !strcmp((const char *)n->name, local);
}

xmlNodePtr dm_xml_next_elem(xmlNodePtr n) {
  for (n = n ? n->next : NULL; n; n = n->next)
    if (n->type == XML_ELEMENT_NODE) return n;
  return NULL;
}

xmlNodePtr dm_xml_first_elem(xmlNodePtr parent) {
  if (!parent) return NULL;
  for (xmlNodePtr n = parent->children; n; n = n->next)
    if (n->type == XML_ELEMENT_NODE) return n;
  return NULL;
}

xmlNodePtr dm_xml_child(xmlNodePtr parent, const char *ns, const char *local) {
  for (xmlNodePtr n = dm_xml_first_elem(parent); n; n = dm_xml_next_elem(n))
    if (dm_xml_is(n, ns, local)) return n;
  return NULL;
}

xmlNodePtr dm_xml_props(xmlNodePtr n) {
  xmlNodePtr first = dm_xml_first_elem(n);
  if (first && dm_xml_is(first, DM_RDF_NS, "Description") && !dm_xml_next_elem(first)) return first;
  return n;
}

static int blank(const xmlChar *s) {
  for (; s && *s; s++)
    if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r') return 0;
  return 1;
}

int dm_xml_has_text(xmlNodePtr n) {
  for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
    if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && !blank(c->content))
      return 1;
  return 0;
}

/* ---- parsing ---------------------------------------------------------- */

typedef struct parse_err {
  int have, line;
  char msg[400];
} parse_err;

static void on_error(void *data, xmlErrorPtr e) {
  xmlParserCtxtPtr c = data;
  parse_err *pe = c ? c->_private : NULL;
  if (!pe || pe->have || !e || e->level < XML_ERR_ERROR) return;
  /* Raised at error level but warnings by name and by the XML spec (the
   * document is still well-formed): a namespace name that is not a valid
   * URI, an unknown xml:lang or XML version. */
  if (e->code == XML_WAR_NS_URI || e->code == XML_WAR_NS_URI_RELATIVE ||
      e->code == XML_WAR_NS_COLUMN || e->code == XML_WAR_LANG_VALUE ||
      e->code == XML_WAR_SPACE_VALUE || e->code == XML_WAR_UNKNOWN_VERSION)
    return;
  pe->have = 1;
  pe->line = e->line;
  snprintf(pe->msg, sizeof pe->msg, "%s", e->message ? e->message : "not well-formed");
  size_t l = strlen(pe->msg);
  while (l && (pe->msg[l - 1] == '\n' || pe->msg[l - 1] == ' ')) pe->msg[--l] = 0;
}

/* Any DOCTYPE: XMP has none, and refusing it here means no entity is ever
 * declared, let alone expanded or fetched. */
static void on_doctype(void *data, const xmlChar *name, const xmlChar *ext, const xmlChar *sys) {
  xmlParserCtxtPtr c = data;
  parse_err *pe = c ? c->_private : NULL;
  if (pe && !pe->have) {
    pe->have = 1;
    pe->line = c->input ? c->input->line : 0;
    snprintf(pe->msg, sizeof pe->msg, "a DOCTYPE is not allowed in an XMP sidecar");
  }
  xmlStopParser(c);
}

/* Without entity substitution libxml2 leaves an '&' in an attribute value
 * as "&#38;" for later decoding, which namespace declarations never get:
 * xmlns:a="x&amp;y" has the href "x&#38;y". Decode it, so that the href is
 * the real URI and writing it back does not grow. */
static int fix_ns_amp(xmlNodePtr n) {
  for (; n; n = n->next) {
    if (n->type != XML_ELEMENT_NODE) continue;
    for (xmlNsPtr d = n->nsDef; d; d = d->next) {
      if (!d->href || !strstr((const char *)d->href, "&#38;")) continue;
      xmlChar *h = xmlStrdup(d->href);
      if (!h) return 0;
      char *w = (char *)h;
      for (const char *r = (const char *)h; *r;) {
        if (!strncmp(r, "&#38;", 5)) {
          *w++ = '&';
          r += 5;
        } else {
          *w++ = *r++;
        }
      }
      *w = 0;
      xmlFree((xmlChar *)d->href);
      d->href = h;
    }
    if (!fix_ns_amp(n->children)) return 0;
  }
  return 1;
}

dm_status dm_xml_parse(dm_context *ctx, const char *buf, size_t len, const char *name,
                       xmlDocPtr *out) {
  *out = NULL;
  if (len > DM_XMP_MAX_BYTES)
    return dm_fail(ctx, DM_ERR_FORMAT, name, "larger than %zu MiB; not a sidecar",
                   DM_XMP_MAX_BYTES >> 20);
  if (len == 0) return dm_fail(ctx, DM_ERR_FORMAT, name, "empty file; not XML");
  xmlInitParser();
  xmlParserCtxtPtr c = xmlCreateMemoryParserCtxt(buf, (int)len);
  if (!c) return dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory");
  parse_err pe = {0};
  c->_private = &pe;
  xmlCtxtUseOptions(c, XML_PARSE_NONET | XML_PARSE_NOCDATA);
  c->sax->serror = on_error;
  c->sax->internalSubset = on_doctype;
  c->sax->externalSubset = NULL;
  c->loadsubset = 0;
  c->replaceEntities = 0;
  xmlParseDocument(c);
  xmlDocPtr doc = c->myDoc;
  int ok = c->wellFormed && !pe.have && doc;
  c->myDoc = NULL;
  xmlFreeParserCtxt(c);
  if (!ok) {
    xmlFreeDoc(doc);
    if (pe.have && pe.line > 0)
      return dm_fail(ctx, DM_ERR_FORMAT, name, "broken XML at line %d: %s", pe.line, pe.msg);
    return dm_fail(ctx, DM_ERR_FORMAT, name, "broken XML: %s", pe.have ? pe.msg : "not well-formed");
  }
  if (!fix_ns_amp(doc->children)) {
    xmlFreeDoc(doc);
    return dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory");
  }
  *out = doc;
  return DM_OK;
}

/* ---- properties ------------------------------------------------------- */

static int ns_is(xmlNsPtr ns, const char *href) {
  return ns && ns->href && !strcmp((const char *)ns->href, href);
}

void dm_xml_find_prop(xmlNodePtr n, const char *ns, const char *local, dm_prop *p) {
  memset(p, 0, sizeof *p);
  for (xmlAttrPtr a = n ? n->properties : NULL; a; a = a->next)
    if (ns_is(a->ns, ns) && !strcmp((const char *)a->name, local)) {
      if (!p->attr && !p->elem) p->attr = a;
      p->count++;
    }
  for (xmlNodePtr c = dm_xml_first_elem(n); c; c = dm_xml_next_elem(c))
    if (dm_xml_is(c, ns, local)) {
      if (!p->attr && !p->elem) p->elem = c;
      p->count++;
    }
}

/* The white space reads trim from values. */
static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

char *dm_xml_trimmed_dup(const xmlChar *s) {
  if (!s) s = (const xmlChar *)"";
  const char *b = (const char *)s;
  while (is_space(*b)) b++;
  size_t l = strlen(b);
  while (l && is_space(b[l - 1])) l--;
  char *r = malloc(l + 1);
  if (r) {
    memcpy(r, b, l);
    r[l] = 0;
  }
  return r;
}

int dm_xml_prop_text(xmlNodePtr n, const char *ns, const char *local, char **out) {
  *out = NULL;
  dm_prop p;
  dm_xml_find_prop(n, ns, local, &p);
  if (p.count == 0) return 1;
  if (p.count > 1) return 0;
  xmlChar *v;
  if (p.attr) {
    v = xmlNodeListGetString(n->doc, p.attr->children, 1);
  } else {
    if (dm_xml_first_elem(p.elem)) return 0; /* a structure, not a value */
    for (xmlAttrPtr a = p.elem->properties; a; a = a->next)
      if (!ns_is(a->ns, "http://www.w3.org/XML/1998/namespace")) return 0;
    v = xmlNodeGetContent(p.elem);
  }
  *out = dm_xml_trimmed_dup(v);
  xmlFree(v);
  return *out != NULL;
}

static int parse_type_resource(xmlNodePtr n) {
  for (xmlAttrPtr a = n->properties; a; a = a->next)
    if (ns_is(a->ns, DM_RDF_NS) && !strcmp((const char *)a->name, "parseType")) return 1;
  return 0;
}

int dm_xml_prop_set(xmlNodePtr n, const char *ns, const char *prefix, const char *local,
                    const char *value) {
  dm_prop p;
  dm_xml_find_prop(n, ns, local, &p);
  if (p.attr) return xmlSetNsProp(n, p.attr->ns, (const xmlChar *)local, (const xmlChar *)value) != NULL;
  if (p.elem) {
    xmlNodeSetContent(p.elem, NULL); /* frees the old text */
    if (!*value) return 1;              /* <crs:X/>, as it reads back */
    xmlNodePtr t = xmlNewDocText(n->doc, (const xmlChar *)value);
    if (!t) return 0;
    xmlAddChild(p.elem, t);
    return 1;
  }
  xmlNsPtr nsp = dm_xml_ns(n, ns, prefix);
  if (!nsp) return 0;
  if (parse_type_resource(n)) {
    xmlNodePtr e = xmlNewDocNode(n->doc, nsp, (const xmlChar *)local, NULL);
    if (!e) return 0;
    xmlNodePtr t = *value ? xmlNewDocText(n->doc, (const xmlChar *)value) : NULL;
    if (*value && !t) {
      xmlFreeNode(e);
      return 0;
    }
    if (t) xmlAddChild(e, t);
    xmlAddChild(n, e);
    return 1;
  }
  return xmlNewNsProp(n, nsp, (const xmlChar *)local, (const xmlChar *)value) != NULL;
}

void dm_xml_prop_remove(xmlNodePtr n, const char *ns, const char *local) {
  for (;;) {
    dm_prop p;
    dm_xml_find_prop(n, ns, local, &p);
    if (p.attr) {
      xmlRemoveProp(p.attr);
    } else if (p.elem) {
      xmlUnlinkNode(p.elem);
      xmlFreeNode(p.elem);
    } else {
      return;
    }
  }
}

xmlNsPtr dm_xml_ns(xmlNodePtr n, const char *href, const char *prefix) {
  xmlNsPtr ns = xmlSearchNsByHref(n->doc, n, (const xmlChar *)href);
  if (ns && ns->prefix) return ns; /* attributes need a prefix */
  char pfx[64];
  snprintf(pfx, sizeof pfx, "%s", prefix);
  for (int i = 2; xmlSearchNs(n->doc, n, (const xmlChar *)pfx) && i < 1000; i++)
    snprintf(pfx, sizeof pfx, "%s%d", prefix, i);
  return xmlNewNs(n, (const xmlChar *)href, (const xmlChar *)pfx);
}

static void redirect_ns(xmlNodePtr n, xmlNsPtr from, xmlNsPtr to) {
  for (; n; n = n->next) {
    if (n->type != XML_ELEMENT_NODE) continue;
    if (n->ns == from) n->ns = to;
    for (xmlAttrPtr a = n->properties; a; a = a->next)
      if (a->ns == from) a->ns = to;
    redirect_ns(n->children, from, to);
  }
}

static void tidy(xmlNodePtr n) {
  for (; n; n = n->next) {
    if (n->type != XML_ELEMENT_NODE) continue;
    xmlNsPtr *link = &n->nsDef;
    while (*link) {
      xmlNsPtr d = *link;
      xmlNsPtr outer = NULL;
      if (n->parent && n->parent->type == XML_ELEMENT_NODE)
        outer = xmlSearchNs(n->doc, n->parent, d->prefix);
      if (outer && outer->href && d->href && !strcmp((const char *)outer->href, (const char *)d->href)) {
        if (n->ns == d) n->ns = outer;
        for (xmlAttrPtr a = n->properties; a; a = a->next)
          if (a->ns == d) a->ns = outer;
        redirect_ns(n->children, d, outer);
        *link = d->next;
        d->next = NULL;
        xmlFreeNs(d);
      } else {
        link = &d->next;
      }
    }
    tidy(n->children);
  }
}

void dm_xml_tidy_ns(xmlNodePtr root) {
  if (root) tidy(root->children);
}

int dm_xml_prop_same_numbers(xmlNodePtr n, const char *ns, const char *local, const float *u,
                             int count, double a, double b) {
  char *t;
  if (!dm_xml_prop_text(n, ns, local, &t) || !t) return 0;
  int i = 0, same = 1;
  char *p = t;
  while (same && i < count) {
    char *end;
    double d = strtod(p, &end);
    if (end == p || (float)(d * a + b) != u[i]) same = 0;
    p = end;
    i++;
    if (i < count) {
      if (*p != ' ') same = 0;
      while (*p == ' ') p++;
    }
  }
  same = same && !*p;
  free(t);
  return same;
}

int dm_xml_prop_same_bool(xmlNodePtr n, const char *ns, const char *local, int v) {
  char *t;
  if (!dm_xml_prop_text(n, ns, local, &t) || !t) return 0;
  int same = v ? !strcmp(t, "true") || !strcmp(t, "True") : !strcmp(t, "false") || !strcmp(t, "False");
  free(t);
  return same;
}

const char *dm_xml_text_problem(const char *s) {
  static const char *const bad = "not valid UTF-8 text (control characters?)";
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    unsigned c = *p, n, cp;
    if (c < 0x80) {
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return bad;
      p++;
      continue;
    }
    if ((c & 0xE0) == 0xC0) n = 1, cp = c & 0x1F;
    else if ((c & 0xF0) == 0xE0) n = 2, cp = c & 0x0F;
    else if ((c & 0xF8) == 0xF0) n = 3, cp = c & 0x07;
    else return bad;
    for (unsigned i = 1; i <= n; i++) {
      if ((p[i] & 0xC0) != 0x80) return bad;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    static const unsigned min_cp[4] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE ||
        cp == 0xFFFF)
      return bad;
    p += n + 1;
  }
  size_t l = strlen(s);
  if (l && (is_space(s[0]) || is_space(s[l - 1])))
    return "starts or ends with white space, which a sidecar does not keep";
  return NULL;
}

int dm_xml_has_prop(xmlNodePtr n, const char *ns, const char *local) {
  dm_prop p;
  dm_xml_find_prop(n, ns, local, &p);
  return p.count > 0;
}

void dm_xml_put(int *oom, xmlNodePtr n, const char *ns, const char *local, const char *value) {
  if (!*oom && !dm_xml_prop_set(n, ns, !strcmp(ns, DM_XMP_NS) ? "dm" : "crs", local, value))
    *oom = 1;
}

xmlNodePtr dm_xml_new_child(int *oom, xmlNodePtr parent, const char *ns, const char *pfx,
                            const char *local) {
  xmlNsPtr nsp = *oom ? NULL : dm_xml_ns(parent, ns, pfx);
  xmlNodePtr e = nsp ? xmlNewDocNode(parent->doc, nsp, (const xmlChar *)local, NULL) : NULL;
  if (!e || !xmlAddChild(parent, e)) {
    xmlFreeNode(e);
    *oom = 1;
    return NULL;
  }
  return e;
}

void dm_xml_remove_children(xmlNodePtr n) {
  xmlNodePtr c = n->children;
  while (c) {
    xmlNodePtr next = c->next;
    xmlUnlinkNode(c);
    xmlFreeNode(c);
    c = next;
  }
}
