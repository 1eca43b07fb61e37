/* Brush components' strokes as data: the stroke parameter table, building,
 * copying, freeing, --set and checks. Rendering is brush.c. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mask/brush.h"

#define SOFF(f) offsetof(dm_brush_stroke, f)

/* Lightroom's brush panel: Size, Feather, Flow, Density, and the eraser.
 * How the recipe maps them onto crs:Radius, crs:CenterWeight, crs:Flow and
 * crs:MaskValue is in src/recipe/xmp_brush.c. */
static const dm_param stroke_params[] = {
    {.key = "radius", .label = "Size", .type = DM_PARAM_FLOAT, .count = 1, .offset = SOFF(radius),
     .def = 0.05f, .min = 1e-5f, .max = 4, .ui_min = 0.002f, .ui_max = 0.5f, .xmp_name = "Radius",
     .xmp_scale = 1,
     .doc = "dab radius, a fraction of the photo's long side (0.05 = 5 %)"},
    {.key = "flow", .label = "Flow", .type = DM_PARAM_FLOAT, .count = 1, .offset = SOFF(flow),
     .def = 100, .min = 0, .max = 100, .ui_min = 0, .ui_max = 100, .xmp_name = "Flow",
     .xmp_scale = 0.01f,
     .doc = "how far one stroke moves the mask towards its density (%); strokes build up"},
    {.key = "feather", .label = "Feather", .type = DM_PARAM_FLOAT, .count = 1,
     .offset = SOFF(feather), .def = 50, .min = 0, .max = 100, .ui_min = 0, .ui_max = 100,
     .doc = "soft edge: 0 hard disc, 100 falling off from the centre "
            "(crs:CenterWeight = 1 - feather / 100)"},
    {.key = "density", .label = "Density", .type = DM_PARAM_FLOAT, .count = 1,
     .offset = SOFF(density), .def = 100, .min = 0, .max = 100, .ui_min = 0, .ui_max = 100,
     .xmp_name = "MaskValue", .xmp_scale = 0.01f,
     .doc = "the value the stroke paints towards (%): repeated strokes never pass it"},
    {.key = "erase", .label = "Erase", .type = DM_PARAM_BOOL, .count = 1, .offset = SOFF(erase),
     .def = 0, .min = 0, .max = 1, .ui_min = 0, .ui_max = 1,
     .doc = "an eraser stroke: paints towards 0 (crs:MaskValue 0), density unused"},
};
#define N_STROKE_PARAMS ((int)(sizeof stroke_params / sizeof *stroke_params))

const dm_param *dm_brush_stroke_params(int *n) {
  *n = N_STROKE_PARAMS;
  return stroke_params;
}

void dm_brush_stroke_init(dm_brush_stroke *s) {
  memset(s, 0, sizeof *s);
  dm_param_defaults(stroke_params, N_STROKE_PARAMS, s);
}

void dm_brush_stroke_free(dm_brush_stroke *s) {
  free(s->dabs);
  dm_brush_stroke_init(s);
}

int dm_brush_n_strokes(const dm_brush *b) { return b ? b->n_strokes : 0; }

int dm_brush_n_dabs(const dm_brush *b) {
  int n = 0;
  for (int i = 0; b && i < b->n_strokes; i++) n += b->strokes[i].n_dabs;
  return n;
}

void dm_brush_free(dm_brush *b) {
  if (!b) return;
  for (int i = 0; i < b->n_strokes; i++) free(b->strokes[i].dabs);
  free(b->strokes);
  free(b);
}

dm_status dm_brush_add_stroke(dm_context *ctx, dm_mask_component *c, dm_brush_stroke *s) {
  int n = dm_brush_n_strokes(c->brush);
  if (n >= DM_BRUSH_MAX_STROKES)
    return dm_fail(ctx, DM_ERR_RANGE, "brush", "more than %d strokes", DM_BRUSH_MAX_STROKES);
  if (s->n_dabs > DM_BRUSH_MAX_DABS - dm_brush_n_dabs(c->brush))
    return dm_fail(ctx, DM_ERR_RANGE, "brush", "more than %d dabs", DM_BRUSH_MAX_DABS);
  dm_brush *b = c->brush;
  int fresh = !b;
  if (fresh && !(b = calloc(1, sizeof *b))) return dm_fail(ctx, DM_ERR_NOMEM, "brush", "out of memory");
  dm_brush_stroke *grown = realloc(b->strokes, (size_t)(n + 1) * sizeof *grown);
  if (!grown) {
    if (fresh) free(b);
    return dm_fail(ctx, DM_ERR_NOMEM, "brush", "out of memory");
  }
  b->strokes = grown;
  b->strokes[n] = *s;
  b->n_strokes = n + 1;
  c->brush = b;
  dm_brush_stroke_init(s);
  return DM_OK;
}

dm_status dm_brush_copy(dm_context *ctx, const dm_brush *src, dm_brush **dst) {
  *dst = NULL;
  if (!src) return DM_OK;
  dm_brush *b = calloc(1, sizeof *b);
  if (b && src->n_strokes > 0) b->strokes = calloc((size_t)src->n_strokes, sizeof *b->strokes);
  if (!b || (src->n_strokes > 0 && !b->strokes)) {
    free(b);
    return dm_fail(ctx, DM_ERR_NOMEM, "brush", "out of memory copying a brush");
  }
  for (int i = 0; i < src->n_strokes; i++) {
    const dm_brush_stroke *s = &src->strokes[i];
    dm_brush_stroke *d = &b->strokes[i];
    *d = *s;
    d->dabs = NULL;
    if (s->n_dabs > 0 && !(d->dabs = malloc((size_t)s->n_dabs * sizeof *d->dabs))) {
      b->n_strokes = i;
      dm_brush_free(b);
      return dm_fail(ctx, DM_ERR_NOMEM, "brush", "out of memory copying a brush");
    }
    if (s->n_dabs > 0) memcpy(d->dabs, s->dabs, (size_t)s->n_dabs * sizeof *d->dabs);
    b->n_strokes = i + 1;
  }
  *dst = b;
  return DM_OK;
}

/* ---- --set ------------------------------------------------------------- */

/* "x,y,x,y,..." into dabs at the stroke's radius, flow and feather. */
static dm_status parse_dabs(dm_context *ctx, const dm_brush_stroke *s, const char *value,
                            int room, const char *subject, dm_brush_dab **out, int *n_out) {
  *out = NULL;
  *n_out = 0;
  size_t n_num = 1;
  for (const char *p = value; *p; p++) n_num += *p == ',';
  if (n_num % 2)
    return dm_fail(ctx, DM_ERR_PARAM, subject, "expected x,y pairs (fractions of the photo), "
                   "got %zu number%s", n_num, n_num == 1 ? "" : "s");
  if (n_num / 2 > (size_t)(room > 0 ? room : 0))
    return dm_fail(ctx, DM_ERR_RANGE, subject, "more than %d dabs in one brush", DM_BRUSH_MAX_DABS);
  dm_brush_dab *d = malloc(n_num / 2 * sizeof *d);
  char *buf = malloc(strlen(value) + 1);
  if (!d || !buf) {
    free(d);
    free(buf);
    return dm_fail(ctx, DM_ERR_NOMEM, subject, "out of memory");
  }
  strcpy(buf, value);
  dm_status st = DM_OK;
  char *tok = buf;
  for (size_t i = 0; i < n_num && !st; i++) {
    char *comma = strchr(tok, ',');
    if (comma) *comma = 0;
    float v;
    if (!dm_parse_float(tok, &v))
      st = dm_fail(ctx, DM_ERR_PARAM, subject, "\"%.40s\" is not a number", tok);
    else if (!(fabsf(v) <= DM_BRUSH_COORD_MAX))
      st = dm_fail(ctx, DM_ERR_RANGE, subject, "%g is outside -%g..%g (fractions of the photo)",
                   (double)v, (double)DM_BRUSH_COORD_MAX, (double)DM_BRUSH_COORD_MAX);
    else if (i % 2 == 0)
      d[i / 2] = (dm_brush_dab){.x = v, .radius = s->radius, .flow = s->flow, .feather = s->feather};
    else
      d[i / 2].y = v;
    tok = comma ? comma + 1 : tok + strlen(tok);
  }
  free(buf);
  if (st) {
    free(d);
    return st;
  }
  *out = d;
  *n_out = (int)(n_num / 2);
  return DM_OK;
}

dm_status dm_brush_stroke_set(dm_context *ctx, dm_brush_stroke *s, const char *key,
                              const char *value, int other_dabs, const char *subject) {
  if (!strcmp(key, "dabs")) {
    dm_brush_dab *d;
    int n;
    dm_status st = parse_dabs(ctx, s, value, DM_BRUSH_MAX_DABS - other_dabs, subject, &d, &n);
    if (st) return st;
    free(s->dabs);
    s->dabs = d;
    s->n_dabs = n;
    return DM_OK;
  }
  const dm_param *p = dm_param_find(stroke_params, N_STROKE_PARAMS, key);
  if (!p) {
    char list[128] = "";
    size_t used = 0;
    for (int i = 0; i < N_STROKE_PARAMS && used < sizeof list; i++)
      used += (size_t)snprintf(list + used, sizeof list - used, "%s, ", stroke_params[i].key);
    return dm_fail(ctx, DM_ERR_PARAM, subject, "unknown stroke key (%sdabs)", list);
  }
  dm_brush_stroke tmp = *s;
  dm_status st = dm_param_parse(ctx, p, &tmp, value, subject);
  if (st) return st;
  *s = tmp;
  /* A stroke-wide setting: every dab takes it (Lightroom's per-dab pressure
   * changes are replaced). */
  for (int i = 0; i < s->n_dabs; i++) {
    if (p->offset == SOFF(radius)) s->dabs[i].radius = s->radius;
    if (p->offset == SOFF(flow)) s->dabs[i].flow = s->flow;
    if (p->offset == SOFF(feather)) s->dabs[i].feather = s->feather;
  }
  return DM_OK;
}

/* ---- checks ------------------------------------------------------------ */

static dm_status check_dab_value(dm_context *ctx, const dm_param *p, float v, int i,
                                 const char *field) {
  if (!(v >= p->min && v <= p->max))
    return dm_fail(ctx, DM_ERR_RANGE, field, "dab %d: %s %g is outside %g..%g", i, p->key,
                   (double)v, (double)p->min, (double)p->max);
  return DM_OK;
}

dm_status dm_brush_check(dm_context *ctx, const dm_brush *b, const char *subject) {
  char field[256];
  const char *sub = subject && *subject ? subject : "brush";
  if (!b) return DM_OK;
  if (b->n_strokes < 0 || b->n_strokes > DM_BRUSH_MAX_STROKES || (b->n_strokes && !b->strokes))
    return dm_fail(ctx, DM_ERR_RANGE, sub, "%d strokes (at most %d)", b->n_strokes,
                   DM_BRUSH_MAX_STROKES);
  long total = 0;
  for (int i = 0; i < b->n_strokes; i++) {
    const dm_brush_stroke *s = &b->strokes[i];
    for (int j = 0; j < N_STROKE_PARAMS; j++) {
      snprintf(field, sizeof field, "%s.stroke[%d].%s", sub, i, stroke_params[j].key);
      dm_status st = dm_param_check(ctx, &stroke_params[j], s, field);
      if (st) return st;
    }
    snprintf(field, sizeof field, "%s.stroke[%d].dabs", sub, i);
    if (s->n_dabs < 0 || (s->n_dabs && !s->dabs))
      return dm_fail(ctx, DM_ERR_INTERNAL, field, "bad dab list");
    total += s->n_dabs;
    if (total > DM_BRUSH_MAX_DABS)
      return dm_fail(ctx, DM_ERR_RANGE, field, "more than %d dabs in one brush", DM_BRUSH_MAX_DABS);
    for (int k = 0; k < s->n_dabs; k++) {
      const dm_brush_dab *d = &s->dabs[k];
      if (!(fabsf(d->x) <= DM_BRUSH_COORD_MAX && fabsf(d->y) <= DM_BRUSH_COORD_MAX))
        return dm_fail(ctx, DM_ERR_RANGE, field, "dab %d at %g,%g is outside -%g..%g", k,
                       (double)d->x, (double)d->y, (double)DM_BRUSH_COORD_MAX,
                       (double)DM_BRUSH_COORD_MAX);
      dm_status st = check_dab_value(ctx, &stroke_params[0], d->radius, k, field);
      if (!st) st = check_dab_value(ctx, &stroke_params[1], d->flow, k, field);
      if (!st) st = check_dab_value(ctx, &stroke_params[2], d->feather, k, field);
      if (st) return st;
    }
  }
  return DM_OK;
}
