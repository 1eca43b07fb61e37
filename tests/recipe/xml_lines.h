/* Sidecars compared as canonical XML: one line per element, attribute and
 * text, each with its path, sorted; shared by the recipe tests that check
 * a rewrite keeps everything (header-only: each test_*.c is one program). */
#ifndef DM_XML_LINES_H
#define DM_XML_LINES_H

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

#include "dm_test.h"

typedef struct lines {
  char **v;
  int n, cap;
} lines;

static inline void add_line(lines *l, const char *s) {
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 256;
    l->v = realloc(l->v, (size_t)l->cap * sizeof *l->v);
  }
  l->v[l->n++] = strdup(s);
}

static inline void clark(char *out, size_t len, xmlNsPtr ns, const xmlChar *name) {
  snprintf(out, len, "{%s}%s", ns && ns->href ? (const char *)ns->href : "", (const char *)name);
}

static inline void flatten(xmlNodePtr n, const char *path, lines *l) {
  int idx = 0;
  for (; n; n = n->next) {
    char p[4096], name[512], line[8192];
    if (n->type == XML_TEXT_NODE) {
      int blank = 1;
      for (const xmlChar *s = n->content; s && *s; s++) blank &= *s == ' ' || *s == '\n' || *s == '\t';
      if (!blank) {
        snprintf(line, sizeof line, "%s#text=%s", path, (const char *)n->content);
        add_line(l, line);
      }
      continue;
    }
    if (n->type != XML_ELEMENT_NODE) continue;
    clark(name, sizeof name, n->ns, n->name);
    snprintf(p, sizeof p, "%s/%s[%d]", path, name, idx++);
    add_line(l, p);
    for (xmlAttrPtr a = n->properties; a; a = a->next) {
      xmlChar *v = xmlNodeListGetString(n->doc, a->children, 1);
      clark(name, sizeof name, a->ns, a->name);
      snprintf(line, sizeof line, "%s@%s=%s", p, name, v ? (const char *)v : "");
      xmlFree(v);
      add_line(l, line);
    }
    flatten(n->children, p, l);
  }
}

static inline int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static inline lines canonical(const char *xml, size_t len) {
  lines l = {0};
  xmlDocPtr doc = xmlReadMemory(xml, (int)len, "x.xmp", NULL, XML_PARSE_NONET);
  if (!doc) {
    CHECK(!"canonical: not XML");
    return l;
  }
  flatten(doc->children, "", &l);
  xmlFreeDoc(doc);
  qsort(l.v, (size_t)l.n, sizeof *l.v, cmp_str);
  return l;
}

static inline void free_lines(lines *l) {
  for (int i = 0; i < l->n; i++) free(l->v[i]);
  free(l->v);
}

/* Lines of `a` missing from `b` (both sorted); prints up to a few. */
static inline int missing(const lines *a, const lines *b, const char *what, int print) {
  int i = 0, j = 0, n = 0;
  while (i < a->n) {
    int c = j < b->n ? strcmp(a->v[i], b->v[j]) : -1;
    if (c == 0) {
      i++, j++;
    } else if (c < 0) {
      if (print && n < 8) fprintf(stderr, "%s: %s\n", what, a->v[i]);
      n++, i++;
    } else {
      j++;
    }
  }
  return n;
}

static inline int contains(const lines *l, const char *needle) {
  for (int i = 0; i < l->n; i++)
    if (strstr(l->v[i], needle)) return 1;
  return 0;
}

#endif
