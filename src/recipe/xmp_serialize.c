/* Writing a DOM as XMP text, laid out like Adobe's XMP toolkit lays out a
 * Lightroom sidecar:
 *
 *   <x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="...">
 *    <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
 *     <rdf:Description rdf:about=""
 *       xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/"
 *      crs:Version="14.0">
 *      <crs:ToneCurvePV2012>
 *       <rdf:Seq>
 *        <rdf:li>0, 0</rdf:li>
 *
 * one space of indent per level, each namespace declaration on its own line
 * two spaces in, each attribute one space in; elements holding text stay on
 * one line. Whitespace-only text between elements is layout, not content:
 * it is dropped on the way in and made again here, so a read-write cycle
 * gives the same bytes. Mixed content (text beside elements) is written
 * exactly as it is. No XML declaration (Lightroom writes none); UTF-8. */
#include <stdlib.h>
#include <string.h>

#include "recipe/recipe_internal.h"

typedef struct buf {
  char *p;
  size_t len, cap;
  int oom;
} buf;

static void put_n(buf *b, const char *s, size_t n) {
  if (b->oom) return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1) cap *= 2;
    char *np = realloc(b->p, cap);
    if (!np) {
      b->oom = 1;
      return;
    }
    b->p = np;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = 0;
}

static void put(buf *b, const char *s) { put_n(b, s, strlen(s)); }

static void indent(buf *b, int n) {
  static const char sp[] = "                                ";
  while (n > 0) {
    int k = n > 32 ? 32 : n;
    put_n(b, sp, (size_t)k);
    n -= k;
  }
}

static void put_escaped(buf *b, const xmlChar *s, int attr) {
  const char *p = (const char *)(s ? s : (const xmlChar *)"");
  const char *run = p;
  for (; *p; p++) {
    const char *rep = NULL;
    switch (*p) {
      case '&': rep = "&amp;"; break;
      case '<': rep = "&lt;"; break;
      case '>': rep = "&gt;"; break;
      case '\r': rep = "&#xD;"; break;
      case '"': rep = attr ? "&quot;" : NULL; break;
      case '\n': rep = attr ? "&#xA;" : NULL; break;
      case '\t': rep = attr ? "&#x9;" : NULL; break;
      default: break;
    }
    if (rep) {
      put_n(b, run, (size_t)(p - run));
      put(b, rep);
      run = p + 1;
    }
  }
  put_n(b, run, (size_t)(p - run));
}

static void put_qname(buf *b, xmlNsPtr ns, const xmlChar *name) {
  if (ns && ns->prefix) {
    put(b, (const char *)ns->prefix);
    put(b, ":");
  }
  put(b, (const char *)name);
}

static int is_blank_text(xmlNodePtr n) {
  if (n->type != XML_TEXT_NODE) return 0;
  for (const xmlChar *s = n->content; s && *s; s++)
    if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r') return 0;
  return 1;
}

static void put_node(buf *b, xmlNodePtr n, int depth, int inline_mode);

static void put_children(buf *b, xmlNodePtr parent, int depth) {
  int elems = 0, text = 0;
  for (xmlNodePtr c = parent->children; c; c = c->next) {
    if (c->type == XML_ELEMENT_NODE || c->type == XML_COMMENT_NODE || c->type == XML_PI_NODE)
      elems = 1;
    else if ((c->type == XML_TEXT_NODE && !is_blank_text(c)) || c->type == XML_CDATA_SECTION_NODE ||
             c->type == XML_ENTITY_REF_NODE)
      text = 1;
  }
  if (text || !elems) {
    /* A value, or mixed content: exactly as it is, on the tag's line. */
    for (xmlNodePtr c = parent->children; c; c = c->next) put_node(b, c, 0, 1);
    return;
  }
  put(b, "\n");
  for (xmlNodePtr c = parent->children; c; c = c->next) {
    if (c->type == XML_TEXT_NODE) continue; /* layout only */
    put_node(b, c, depth + 1, 0);
    put(b, "\n");
  }
  indent(b, depth);
}

static void put_element(buf *b, xmlNodePtr n, int depth, int inline_mode) {
  put(b, "<");
  put_qname(b, n->ns, n->name);
  int items = 0;
  for (xmlNsPtr d = n->nsDef; d; d = d->next) items++;
  for (xmlAttrPtr a = n->properties; a; a = a->next) items++;
  /* x:xmpmeta, rdf:RDF, values and short tags keep everything on one line. */
  int one_line = inline_mode || items <= 1 || depth < 2 || dm_xml_has_text(n);
  xmlAttrPtr a0 = n->properties;
  int about_first = a0 && a0->ns && a0->ns->href && !strcmp((const char *)a0->ns->href, DM_RDF_NS) &&
                    !strcmp((const char *)a0->name, "about");
  if (!one_line && about_first) {
    /* rdf:about="" stays beside the tag, as Adobe writes it. */
    put(b, " ");
    put_qname(b, a0->ns, a0->name);
    put(b, "=\"");
    xmlChar *v = xmlNodeListGetString(n->doc, a0->children, 1);
    put_escaped(b, v, 1);
    xmlFree(v);
    put(b, "\"");
  }
  for (xmlNsPtr d = n->nsDef; d; d = d->next) {
    if (one_line) {
      put(b, " ");
    } else {
      put(b, "\n");
      indent(b, depth + 2);
    }
    put(b, "xmlns");
    if (d->prefix) {
      put(b, ":");
      put(b, (const char *)d->prefix);
    }
    put(b, "=\"");
    put_escaped(b, d->href, 1);
    put(b, "\"");
  }
  for (xmlAttrPtr a = n->properties; a; a = a->next) {
    if (!one_line && about_first && a == a0) continue; /* written above */
    if (one_line) {
      put(b, " ");
    } else {
      put(b, "\n");
      indent(b, depth + 1);
    }
    put_qname(b, a->ns, a->name);
    put(b, "=\"");
    xmlChar *v = xmlNodeListGetString(n->doc, a->children, 1);
    put_escaped(b, v, 1);
    xmlFree(v);
    put(b, "\"");
  }
  if (!n->children) {
    put(b, "/>");
    return;
  }
  put(b, ">");
  if (inline_mode) {
    for (xmlNodePtr c = n->children; c; c = c->next) put_node(b, c, 0, 1);
  } else {
    put_children(b, n, depth);
  }
  put(b, "</");
  put_qname(b, n->ns, n->name);
  put(b, ">");
}

static void put_node(buf *b, xmlNodePtr n, int depth, int inline_mode) {
  if (!inline_mode) indent(b, depth);
  switch (n->type) {
    case XML_ELEMENT_NODE: put_element(b, n, depth, inline_mode); break;
    case XML_TEXT_NODE:
    case XML_CDATA_SECTION_NODE: put_escaped(b, n->content, 0); break;
    case XML_COMMENT_NODE:
      put(b, "<!--");
      put(b, (const char *)(n->content ? n->content : (const xmlChar *)""));
      put(b, "-->");
      break;
    case XML_PI_NODE:
      put(b, "<?");
      put(b, (const char *)n->name);
      if (n->content && *n->content) {
        put(b, " ");
        put(b, (const char *)n->content);
      }
      put(b, "?>");
      break;
    case XML_ENTITY_REF_NODE:
      put(b, "&");
      put(b, (const char *)n->name);
      put(b, ";");
      break;
    default: break;
  }
}

dm_status dm_xmp_serialize(dm_context *ctx, xmlDocPtr doc, char **out, size_t *len) {
  buf b = {0};
  for (xmlNodePtr n = doc->children; n; n = n->next) {
    if (n->type != XML_ELEMENT_NODE && n->type != XML_COMMENT_NODE && n->type != XML_PI_NODE)
      continue; /* no DTD reaches here: dm_xml_parse refuses them */
    put_node(&b, n, 0, 0);
    put(&b, "\n");
  }
  if (b.oom || !b.p) {
    free(b.p);
    return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory writing the sidecar");
  }
  *out = b.p;
  *len = b.len;
  return DM_OK;
}
