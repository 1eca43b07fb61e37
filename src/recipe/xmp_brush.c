/* Brush components in the sidecar, as Lightroom 11+ writes them:
 *
 *   <rdf:li><rdf:Description crs:What="Mask/Aggregate" crs:MaskActive="true"
 *       crs:MaskName="Brush 1" crs:MaskBlendMode="0" crs:MaskInverted="false"
 *       crs:MaskSyncID="..." crs:MaskValue="1">        the component (xmp_*_mask.c)
 *    <crs:Masks><rdf:Seq>
 *     <rdf:li><rdf:Description crs:What="Mask/Paint" crs:MaskActive="true"
 *         crs:MaskBlendMode="0" crs:MaskInverted="false" crs:MaskSyncID="..."
 *         crs:MaskValue="1" crs:Radius="0.082157" crs:Flow="1" crs:CenterWeight="0">
 *      <crs:Dabs><rdf:Seq>
 *       <rdf:li>d 0.412000 0.221000</rdf:li> ...
 *
 * one Mask/Paint per stroke (sources and meaning: src/mask/brush.c). The
 * stroke's fields, user value u from the crs value x:
 *   radius  = crs:Radius                 (fraction of the long side)
 *   flow    = crs:Flow x 100
 *   feather = 100 - crs:CenterWeight x 100
 *   density = crs:MaskValue x 100, except crs:MaskValue 0: erase (density
 *             then unused, read as 100); an eraser is written MaskValue 0
 * and crs:Dabs entries "d X Y" (a dab at the current settings), "r R",
 * "f F", "h H" (radius, flow, centre weight from there on, scaled as the
 * attributes). Lightroom writes them all (the census cited in brush.c); absent ones
 * read as Flow 1, CenterWeight 0, MaskValue 1 (full flow and density, the
 * softest edge); crs:Radius and crs:Dabs are required.
 * New numbers are written as Lightroom does: plain decimals, dab centres
 * with six ("d 0.500000 0.500000"). A stroke read from the file whose values
 * did not change keeps its spelling, attribute by attribute, and its crs:Dabs
 * as they were (r/f/h entries and all) while they give the same dabs.
 * Strokes are only ever appended (--set), so the N-th stroke of the model is
 * the N-th of the file. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mask/brush.h"
#include "recipe/recipe_internal.h"

/* Where a stroke parameter lives: u = x * a + b. */
typedef struct stroke_field {
  const char *key, *crs;
  double a, b;
} stroke_field;
static const stroke_field fields[] = {
    {"radius", "Radius", 1.0, 0.0},
    {"flow", "Flow", 100.0, 0.0},
    {"feather", "CenterWeight", -100.0, 100.0},
    {"density", "MaskValue", 100.0, 0.0},
};
enum { F_RADIUS, F_FLOW, F_FEATHER, F_DENSITY, N_FIELDS };

static const dm_param *stroke_param(const char *key) {
  int n;
  const dm_param *t = dm_brush_stroke_params(&n);
  return dm_param_find(t, n, key);
}

/* ---- crs:Dabs entries ------------------------------------------------------ */

typedef struct brush_state {
  float radius, flow, feather;
} brush_state;

static int parse_num(const char **p, double *out) {
  const char *s = *p;
  while (*s == ' ' || *s == '\t') s++;
  if (!*s) return 0;
  char *end;
  errno = 0;
  double d = strtod(s, &end);
  if (end == s || errno == ERANGE || !isfinite(d) || (*end && *end != ' ' && *end != '\t')) return 0;
  *out = d;
  *p = end;
  return 1;
}

/* One entry: 1 = a dab (in *dab, at *st), 0 = a setting (*st changed), -1 =
 * malformed (why says so). The arithmetic matches dm_wr_num's check, so an
 * entry written for a value reads back to exactly that value. */
static int parse_entry(const char *t, brush_state *st, dm_brush_dab *dab, char *why, size_t len) {
  const char op = t[0];
  const char *p = t + 1;
  if (!op || (t[1] != ' ' && t[1] != '\t') || !strchr("drfh", op)) {
    snprintf(why, len, "\"%.40s\" is not a dab (\"d X Y\") or a brush setting (\"r R\", \"f F\", "
             "\"h H\")", t);
    return -1;
  }
  double v[2];
  int n = op == 'd' ? 2 : 1;
  for (int i = 0; i < n; i++)
    if (!parse_num(&p, &v[i])) {
      snprintf(why, len, "\"%.40s\": expected %d number%s after '%c'", t, n, n > 1 ? "s" : "", op);
      return -1;
    }
  while (*p == ' ' || *p == '\t') p++;
  if (*p) {
    snprintf(why, len, "\"%.40s\": expected %d number%s after '%c'", t, n, n > 1 ? "s" : "", op);
    return -1;
  }
  const dm_param *rp = stroke_param("radius");
  switch (op) {
    case 'd':
      if (!(fabs(v[0]) <= DM_BRUSH_COORD_MAX && fabs(v[1]) <= DM_BRUSH_COORD_MAX)) {
        snprintf(why, len, "\"%.40s\": the dab lies outside -%g..%g", t, (double)DM_BRUSH_COORD_MAX,
                 (double)DM_BRUSH_COORD_MAX);
        return -1;
      }
      *dab = (dm_brush_dab){.x = (float)v[0], .y = (float)v[1], .radius = st->radius,
                            .flow = st->flow, .feather = st->feather};
      return 1;
    case 'r':
      if (!(v[0] >= (double)rp->min && v[0] <= (double)rp->max && (float)v[0] >= rp->min)) {
        snprintf(why, len, "\"%.40s\": radius outside %g..%g", t, (double)rp->min, (double)rp->max);
        return -1;
      }
      st->radius = (float)v[0];
      return 0;
    default: /* 'f', 'h': 0..1 */
      if (!(v[0] >= 0.0 && v[0] <= 1.0)) {
        snprintf(why, len, "\"%.40s\": %s outside 0..1", t, op == 'f' ? "flow" : "centre weight");
        return -1;
      }
      if (op == 'f')
        st->flow = (float)(v[0] * fields[F_FLOW].a + fields[F_FLOW].b);
      else
        st->feather = (float)(v[0] * fields[F_FEATHER].a + fields[F_FEATHER].b);
      return 0;
  }
}

/* The rdf:Seq of a crs:Dabs element, or NULL if it is not one. */
static xmlNodePtr dabs_seq(xmlNodePtr D) {
  xmlNodePtr seq = dm_xml_first_elem(D);
  if (!dm_xml_is(seq, DM_RDF_NS, "Seq") || dm_xml_next_elem(seq) || dm_xml_has_text(D)) return NULL;
  return seq;
}

/* The text of one rdf:li entry (malloc'd, trimmed), or NULL if it is not a
 * plain text item. */
static char *entry_text(xmlNodePtr li) {
  if (!dm_xml_is(li, DM_RDF_NS, "li") || dm_xml_first_elem(li)) return NULL;
  xmlChar *v = xmlNodeGetContent(li);
  if (!v) return NULL;
  char *r = dm_xml_trimmed_dup(v);
  xmlFree(v);
  return r;
}

/* ---- reading ------------------------------------------------------------- */

/* crs:Masks' rdf:Seq, or NULL when the Aggregate has none of that shape. */
static xmlNodePtr strokes_seq(xmlNodePtr C) {
  dm_prop p;
  dm_xml_find_prop(C, DM_CRS_NS, "Masks", &p);
  if (p.count != 1 || !p.elem) return NULL;
  xmlNodePtr seq = dm_xml_first_elem(p.elem);
  if (!dm_xml_is(seq, DM_RDF_NS, "Seq") || dm_xml_next_elem(seq) || dm_xml_has_text(p.elem)) return NULL;
  return seq;
}

dm_status dm_rd_brush_shape(dm_rd *rd, xmlNodePtr C, const char *where, int *ok) {
  *ok = 0;
  /* Camera Raw's rasterised brush (with erasing in it): nothing we can draw. */
  if (dm_xml_has_prop(C, DM_CRS_NS, "MaskBrushTable")) return DM_OK;
  xmlNodePtr seq = strokes_seq(C);
  if (!seq || dm_xml_has_text(seq)) return DM_OK;
  char sw[160];
  int i = 0;
  for (xmlNodePtr li = dm_xml_first_elem(seq); li; li = dm_xml_next_elem(li), i++) {
    if (!dm_xml_is(li, DM_RDF_NS, "li")) return DM_OK;
    snprintf(sw, sizeof sw, "%s.stroke[%d]", where, i);
    xmlNodePtr P = dm_xml_props(li);
    char *what;
    if (!dm_xml_prop_text(P, DM_CRS_NS, "What", &what))
      return dm_rd_fail(rd, DM_ERR_FORMAT, "crs:What in %s: expected a single value", sw);
    int paint = what && !strcmp(what, DM_LR_PAINT);
    free(what);
    if (!paint) return DM_OK; /* a composition Lightroom does not write: keep */
    int active = 1, inverted = 0, found;
    double blend = 0;
    dm_status s = dm_rd_bool(rd, P, DM_CRS_NS, "MaskActive", sw, &active, &found);
    if (!s) s = dm_rd_bool(rd, P, DM_CRS_NS, "MaskInverted", sw, &inverted, &found);
    if (!s) s = dm_rd_number(rd, P, DM_CRS_NS, "MaskBlendMode", sw, &blend, &found);
    if (s) return s;
    if (!active || inverted || blend != 0) return DM_OK; /* never seen in Lightroom's: keep */
  }
  *ok = 1;
  return DM_OK;
}

/* Read crs:Dabs into s->dabs (s's settings as the initial state). */
static dm_status read_dabs(dm_rd *rd, xmlNodePtr P, const char *sw, int room, dm_brush_stroke *s) {
  dm_prop p;
  dm_xml_find_prop(P, DM_CRS_NS, "Dabs", &p);
  if (p.count == 0)
    return dm_rd_fail(rd, DM_ERR_FORMAT, "crs:Dabs in %s: missing (a stroke is its dabs)", sw);
  xmlNodePtr seq = p.count == 1 && p.elem ? dabs_seq(p.elem) : NULL;
  if (!seq)
    return dm_rd_fail(rd, DM_ERR_FORMAT, "crs:Dabs in %s: %s", sw,
                      p.count > 1 ? "given twice" : "expected an rdf:Seq of entries");
  if (dm_xml_has_text(seq))
    return dm_rd_fail(rd, DM_ERR_FORMAT, "crs:Dabs in %s: text in the rdf:Seq", sw);
  brush_state st = {s->radius, s->flow, s->feather};
  int cap = 0, item = 0;
  char why[160];
  dm_status r = DM_OK;
  for (xmlNodePtr li = dm_xml_first_elem(seq); li && !r; li = dm_xml_next_elem(li), item++) {
    char *t = entry_text(li);
    if (!t) {
      r = dm_xml_is(li, DM_RDF_NS, "li")
              ? dm_rd_fail(rd, DM_ERR_FORMAT, "crs:Dabs in %s, entry %d: expected text", sw, item)
              : dm_rd_fail(rd, DM_ERR_FORMAT, "crs:Dabs in %s: <%.60s> where an rdf:li belongs", sw,
                           (const char *)li->name);
      break;
    }
    dm_brush_dab dab;
    int kind = parse_entry(t, &st, &dab, why, sizeof why);
    free(t);
    if (kind < 0) {
      r = dm_rd_fail(rd, DM_ERR_PARAM, "crs:Dabs in %s, entry %d: %s", sw, item, why);
    } else if (kind == 1) {
      if (s->n_dabs >= room) {
        r = dm_rd_fail(rd, DM_ERR_FORMAT, "crs:Dabs in %s: more than %d dabs in one brush", sw,
                       DM_BRUSH_MAX_DABS);
      } else if (s->n_dabs == cap) {
        int nc = cap ? cap * 2 : 64;
        dm_brush_dab *grown = realloc(s->dabs, (size_t)nc * sizeof *grown);
        if (!grown)
          r = dm_fail(rd->ctx, DM_ERR_NOMEM, rd->file, "out of memory");
        else
          s->dabs = grown, cap = nc;
      }
      if (!r) s->dabs[s->n_dabs++] = dab;
    }
  }
  return r;
}

/* One Mask/Paint into *s. */
static dm_status read_stroke(dm_rd *rd, xmlNodePtr P, const char *sw, int room, dm_brush_stroke *s) {
  static const char *const none[] = {NULL};
  dm_status r = dm_rd_only_dm(rd, P, sw, none);
  if (r) return r;
  if (!dm_xml_has_prop(P, DM_CRS_NS, "Radius"))
    return dm_rd_fail(rd, DM_ERR_FORMAT, "crs:Radius in %s: missing (a stroke's dab radius)", sw);
  int found;
  for (int f = 0; f < N_FIELDS; f++) {
    const dm_param *p = stroke_param(fields[f].key);
    float *dst = dm_param_ptr(p, s);
    if (fields[f].b == 0.0) {
      r = dm_rd_param(rd, P, DM_CRS_NS, fields[f].crs, sw, p, fields[f].a, dst, &found);
    } else { /* CenterWeight, 0..1 */
      double x;
      r = dm_rd_number(rd, P, DM_CRS_NS, fields[f].crs, sw, &x, &found);
      if (!r && found && !(x >= 0.0 && x <= 1.0))
        r = dm_rd_fail(rd, DM_ERR_RANGE, "crs:%s in %s: %g is outside 0..1 (feather 100..0)",
                       fields[f].crs, sw, x);
      if (!r && found) *dst = (float)(x * fields[f].a + fields[f].b);
    }
    /* Absent: Flow 1, CenterWeight 0, MaskValue 1 (see the top). */
    if (!r && !found && f == F_FEATHER) *dst = 100;
    if (!r && !found && (f == F_FLOW || f == F_DENSITY)) *dst = 100;
    if (r) return r;
  }
  if (s->density == 0) { /* paints towards 0: Lightroom's eraser */
    s->erase = 1;
    s->density = 100;
  }
  return read_dabs(rd, P, sw, room, s);
}

dm_status dm_rd_brush(dm_rd *rd, xmlNodePtr C, const char *where, dm_mask_component *m) {
  xmlNodePtr seq = strokes_seq(C);
  if (!seq) return dm_rd_fail(rd, DM_ERR_INTERNAL, "%s: not a brush", where);
  char sw[160];
  int i = 0;
  for (xmlNodePtr li = dm_xml_first_elem(seq); li; li = dm_xml_next_elem(li), i++) {
    snprintf(sw, sizeof sw, "%s.stroke[%d]", where, i);
    if (i >= DM_BRUSH_MAX_STROKES)
      return dm_rd_fail(rd, DM_ERR_FORMAT, "crs:Masks in %s: more than %d strokes", where,
                        DM_BRUSH_MAX_STROKES);
    dm_brush_stroke s;
    dm_brush_stroke_init(&s);
    dm_status r = read_stroke(rd, dm_xml_props(li), sw, DM_BRUSH_MAX_DABS - dm_brush_n_dabs(m->brush), &s);
    if (!r) r = dm_brush_add_stroke(rd->ctx, m, &s);
    dm_brush_stroke_free(&s);
    if (r) return r;
  }
  /* An Aggregate with no stroke at all (depthmask writes one for kind=brush
   * before any stroke) is an empty brush. */
  return DM_OK;
}

/* ---- writing ------------------------------------------------------------- */


/* Do the entries of D give exactly s's dabs, read with s's settings? */
static int same_dabs(xmlNodePtr D, const dm_brush_stroke *s) {
  xmlNodePtr seq = dabs_seq(D);
  if (!seq) return 0;
  brush_state st = {s->radius, s->flow, s->feather};
  int n = 0;
  char why[160];
  for (xmlNodePtr li = dm_xml_first_elem(seq); li; li = dm_xml_next_elem(li)) {
    char *t = entry_text(li);
    dm_brush_dab dab;
    int kind = t ? parse_entry(t, &st, &dab, why, sizeof why) : -1;
    free(t);
    if (kind < 0) return 0;
    if (kind == 0) continue;
    if (n >= s->n_dabs) return 0;
    const dm_brush_dab *e = &s->dabs[n++];
    if (dab.x != e->x || dab.y != e->y || dab.radius != e->radius || dab.flow != e->flow ||
        dab.feather != e->feather)
      return 0;
  }
  return n == s->n_dabs;
}

static void add_entry(int *oom, xmlNodePtr seq, const char *text) {
  xmlNodePtr li = dm_xml_new_child(oom, seq, DM_RDF_NS, "rdf", "li");
  xmlNodePtr t = li ? xmlNewDocText(seq->doc, (const xmlChar *)text) : NULL;
  if (li && !t) *oom = 1;
  if (t) xmlAddChild(li, t);
}

static void put_dabs(int *oom, xmlNodePtr P, const dm_brush_stroke *s) {
  dm_prop p;
  dm_xml_find_prop(P, DM_CRS_NS, "Dabs", &p);
  if (p.elem && same_dabs(p.elem, s)) return;
  if (p.attr) dm_xml_prop_remove(P, DM_CRS_NS, "Dabs");
  xmlNodePtr D = p.elem ? p.elem : dm_xml_new_child(oom, P, DM_CRS_NS, "crs", "Dabs");
  if (!D) return;
  dm_xml_remove_children(D);
  xmlNodePtr seq = dm_xml_new_child(oom, D, DM_RDF_NS, "rdf", "Seq");
  brush_state st = {s->radius, s->flow, s->feather};
  char a[64], b[64], line[160];
  for (int i = 0; seq && !*oom && i < s->n_dabs; i++) {
    const dm_brush_dab *d = &s->dabs[i];
    if (d->radius != st.radius) {
      dm_lr_format_affine(a, sizeof a, d->radius, fields[F_RADIUS].a, fields[F_RADIUS].b, 0);
      snprintf(line, sizeof line, "r %s", a);
      add_entry(oom, seq, line);
      st.radius = d->radius;
    }
    if (d->flow != st.flow) {
      dm_lr_format_affine(a, sizeof a, d->flow, fields[F_FLOW].a, fields[F_FLOW].b, 0);
      snprintf(line, sizeof line, "f %s", a);
      add_entry(oom, seq, line);
      st.flow = d->flow;
    }
    if (d->feather != st.feather) {
      dm_lr_format_affine(a, sizeof a, d->feather, fields[F_FEATHER].a, fields[F_FEATHER].b, 0);
      snprintf(line, sizeof line, "h %s", a);
      add_entry(oom, seq, line);
      st.feather = d->feather;
    }
    dm_lr_format(a, sizeof a, d->x, 1.0, 6);
    dm_lr_format(b, sizeof b, d->y, 1.0, 6);
    snprintf(line, sizeof line, "d %s %s", a, b);
    add_entry(oom, seq, line);
  }
}

static void put_if_absent(int *oom, xmlNodePtr n, const char *local, const char *value) {
  if (!dm_xml_has_prop(n, DM_CRS_NS, local)) dm_xml_put(oom, n, DM_CRS_NS, local, value);
}

/* One stroke, in Lightroom's attribute order. */
static void put_stroke(int *oom, xmlNodePtr P, const dm_brush_stroke *s, int ci, int slot, int i) {
  char id[33], tag[32];
  dm_xml_put(oom, P, DM_CRS_NS, "What", DM_LR_PAINT);
  put_if_absent(oom, P, "MaskActive", "true");
  put_if_absent(oom, P, "MaskBlendMode", "0");
  put_if_absent(oom, P, "MaskInverted", "false");
  snprintf(tag, sizeof tag, "stroke %d", i);
  dm_lr_sync_id(id, "brush", ci, slot, tag);
  put_if_absent(oom, P, "MaskSyncID", id);
  const float value = s->erase != 0.0f ? 0.0f : s->density;
  dm_wr_num(oom, P, DM_CRS_NS, "MaskValue", &value, 1, fields[F_DENSITY].a, fields[F_DENSITY].b, 0, "");
  for (int f = F_RADIUS; f <= F_FEATHER; f++)
    dm_wr_num(oom, P, DM_CRS_NS, fields[f].crs, dm_param_ptr(stroke_param(fields[f].key), (void *)s),
              1, fields[f].a, fields[f].b, 0, "");
  if (!*oom) put_dabs(oom, P, s);
}

void dm_wr_brush(int *oom, xmlNodePtr C, const dm_mask_component *m, int ci, int slot) {
  if (*oom) return;
  dm_prop p;
  dm_xml_find_prop(C, DM_CRS_NS, "Masks", &p);
  if (p.attr) dm_xml_prop_remove(C, DM_CRS_NS, "Masks");
  xmlNodePtr masks = p.elem ? p.elem : dm_xml_new_child(oom, C, DM_CRS_NS, "crs", "Masks");
  if (!masks) return;
  xmlNodePtr seq = strokes_seq(C);
  if (!seq) {
    dm_xml_remove_children(masks);
    seq = dm_xml_new_child(oom, masks, DM_RDF_NS, "rdf", "Seq");
    if (!seq) return;
  }
  /* The file's N-th stroke is the model's N-th (strokes are only appended). */
  xmlNodePtr li = dm_xml_first_elem(seq);
  const int n = dm_brush_n_strokes(m->brush);
  for (int i = 0; i < n && !*oom; i++) {
    xmlNodePtr P;
    if (li) {
      P = dm_xml_props(li);
      li = dm_xml_next_elem(li);
    } else {
      xmlNodePtr nl = dm_xml_new_child(oom, seq, DM_RDF_NS, "rdf", "li");
      P = nl ? dm_xml_new_child(oom, nl, DM_RDF_NS, "rdf", "Description") : NULL;
      if (!P) return;
    }
    put_stroke(oom, P, &m->brush->strokes[i], ci, slot, i);
  }
  while (li) { /* strokes the model no longer has */
    xmlNodePtr next = dm_xml_next_elem(li);
    xmlUnlinkNode(li);
    xmlFreeNode(li);
    li = next;
  }
}
