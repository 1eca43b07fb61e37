/* A recipe's current values as --set assignments (dm_recipe_each_value):
 * what the editor's state shows and what its history and merge compare.
 *
 * The keys come from dm_set_keys_each, the one list of --set keys (what
 * `depthmask keys` prints and dm_recipe_set accepts), instantiated for each
 * correction, component and stroke the recipe holds, and each of Lens
 * Blur's refine stroke sets; the values come from
 * the same parameter tables through their offsets. Nothing here names a
 * key of its own. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mask/brush.h"
#include "recipe/recipe_internal.h"

/* The key patterns of one scope, collected once per walk. */
typedef struct pattern {
  const char *field; /* static: a table's key or a literal of keys.c */
  const dm_param *param;
} pattern;
typedef struct patterns {
  int n;
  pattern v[96];
} patterns;

static void collect(void *user, const dm_set_key *k) {
  patterns *p = user;
  if (p->n < (int)(sizeof p->v / sizeof p->v[0])) p->v[p->n++] = (pattern){k->field, k->param};
}

typedef struct walk {
  dm_context *ctx;
  dm_recipe_value_fn fn;
  void *user;
  patterns corr, mask, stroke, lens, refine;
} walk;

static dm_status emit(walk *w, const char *key, const char *field, const dm_param *p,
                      const void *base, const char *text, int kept) {
  char buf[160];
  dm_recipe_value v = {.key = key, .field = field, .param = p, .text = text, .kept = kept};
  if (p) {
    v.v = dm_param_ptr(p, (void *)base);
    const char *const *names = dm_lb_names(p);
    int n = 0;
    while (names && names[n]) n++;
    if (names && v.v[0] >= 0 && v.v[0] < (float)n && v.v[0] == floorf(v.v[0])) {
      v.text = names[(int)v.v[0]]; /* mode and bokeh by name, as users type them */
      v.named = 1;
    } else {
      dm_param_format(p, base, buf, sizeof buf);
      v.text = buf;
    }
  }
  return w->fn(w->user, &v);
}

/* The shortest decimal that reads back to v: dabs are typed by hand
 * ("0.1,0.2"), and come back as typed. */
static int shortest(char *out, size_t len, float v) {
  int n = 0;
  for (int prec = 6; prec <= 9; prec++) {
    n = snprintf(out, len, "%.*g", prec, (double)v);
    if (strtof(out, NULL) == v) break;
  }
  return n;
}

/* "x,y,x,y,..." of a stroke's dabs, as dm_brush_stroke_set reads them. */
static dm_status dabs_text(dm_context *ctx, const dm_brush_stroke *s, char **out) {
  size_t cap = (size_t)s->n_dabs * 2 * 18 + 1;
  char *t = malloc(cap);
  if (!t) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory listing a brush's dabs");
  size_t used = 0;
  t[0] = 0;
  for (int i = 0; i < s->n_dabs; i++) {
    if (i) t[used++] = ',';
    used += (size_t)shortest(t + used, cap - used, s->dabs[i].x);
    t[used++] = ',';
    used += (size_t)shortest(t + used, cap - used, s->dabs[i].y);
  }
  t[used] = 0;
  *out = t;
  return DM_OK;
}

static dm_status stroke_values(walk *w, const char *prefix, const dm_brush_stroke *s) {
  char key[192];
  dm_status st = DM_OK;
  for (int i = 0; i < w->stroke.n && !st; i++) {
    const pattern *p = &w->stroke.v[i];
    snprintf(key, sizeof key, "%s%s", prefix, p->field);
    if (p->param) {
      st = emit(w, key, p->field, p->param, s, NULL, 0);
    } else if (!strcmp(p->field, "dabs")) {
      char *t = NULL;
      st = dabs_text(w->ctx, s, &t);
      if (!st) st = emit(w, key, p->field, NULL, NULL, t, 0);
      free(t);
    }
  }
  return st;
}

static dm_status mask_values(walk *w, const char *list, int ci, int slot,
                             const dm_mask_component *m) {
  char prefix[96], key[192];
  snprintf(prefix, sizeof prefix, "%s[%d].mask[%d].", list, ci, slot);
  int n;
  const dm_param *own = dm_mask_params(m->kind, &n);
  dm_status st = DM_OK;
  for (int i = 0; i < w->mask.n && !st; i++) {
    const pattern *p = &w->mask.v[i];
    snprintf(key, sizeof key, "%s%s", prefix, p->field);
    if (!strcmp(p->field, "kind")) {
      st = emit(w, key, p->field, NULL, NULL, dm_mask_kind_name(m->kind), 0);
    } else if (!strcmp(p->field, "mode")) {
      st = emit(w, key, p->field, NULL, NULL, dm_mask_mode_name(m->mode), 0);
    } else if (!strcmp(p->field, "path")) {
      if (m->kind == DM_MASK_FILE) st = emit(w, key, p->field, NULL, NULL, m->path, 0);
    } else if (p->param) {
      /* The key is listed once, under the first kind that has it; the
       * component's own kind's entry holds its default and range. */
      const dm_param *q = dm_param_find(own, n, p->field);
      if (q) st = emit(w, key, p->field, q, m, NULL, 0);
    }
  }
  if (m->kind != DM_MASK_BRUSH) return st;
  for (int s = 0; s < dm_brush_n_strokes(m->brush) && !st; s++) {
    snprintf(key, sizeof key, "%sstroke[%d].", prefix, s);
    st = stroke_values(w, key, &m->brush->strokes[s]);
  }
  return st;
}

/* correction[ci] or, with `depth`, refine[ci] (whose depth is apart). */
static dm_status correction_values(walk *w, int ci, const dm_correction *c, const float *depth) {
  char key[192];
  const char *list = depth ? "refine" : "correction";
  const patterns *own = depth ? &w->refine : &w->corr;
  const dm_param *sliders = dm_adjust_params(), *dp = dm_refine_depth_param();
  dm_status st = DM_OK;
  for (int i = 0; i < own->n && !st; i++) {
    const pattern *p = &own->v[i];
    snprintf(key, sizeof key, "%s[%d].%s", list, ci, p->field);
    if (!p->param) {
      if (!strcmp(p->field, "name")) st = emit(w, key, p->field, NULL, NULL, c->name, 0);
    } else if (p->param >= sliders && p->param < sliders + DM_ADJ_COUNT) {
      st = emit(w, key, p->field, p->param, &c->sliders, NULL, 0);
    } else if (p->param == dp) {
      st = emit(w, key, p->field, p->param, depth, NULL, 0);
    } else {
      st = emit(w, key, p->field, p->param, c, NULL, 0);
    }
  }
  dm_slot_iter it = {0, 0, 0};
  int k, j;
  while (!st && dm_slot_next(c, &it, &k, &j)) {
    if (k >= 0) {
      st = mask_values(w, list, ci, it.s - 1, &c->masks[k]);
    } else {
      /* A kept Lightroom component: only its kind, which is its crs:What. */
      snprintf(key, sizeof key, "%s[%d].mask[%d].kind", list, ci, it.s - 1);
      st = emit(w, key, "kind", NULL, NULL, c->extra->kept[j].what, 1);
    }
  }
  return st;
}

dm_status dm_recipe_each_value(dm_context *ctx, const dm_recipe *r, dm_recipe_value_fn fn,
                               void *user) {
  walk *w = calloc(1, sizeof *w);
  if (!w) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
  *w = (walk){.ctx = ctx, .fn = fn, .user = user};
  dm_set_keys_each(DM_KEYS_CORRECTION, collect, &w->corr);
  dm_set_keys_each(DM_KEYS_MASK, collect, &w->mask);
  dm_set_keys_each(DM_KEYS_STROKE, collect, &w->stroke);
  dm_set_keys_each(DM_KEYS_LENS_BLUR, collect, &w->lens);
  dm_set_keys_each(DM_KEYS_REFINE, collect, &w->refine);
  dm_status st = DM_OK;
  for (int i = 0; i < r->n_corrections && !st; i++)
    st = correction_values(w, i, &r->corrections[i], NULL);
  for (int i = 0; i < r->refine.n && !st; i++)
    st = correction_values(w, i, &r->refine.strokes[i], &r->refine.depth[i]);
  /* lens_blur.active last: any other lens_blur key turns the blur on. */
  char key[192];
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < w->lens.n && !st; i++) {
      const pattern *p = &w->lens.v[i];
      if (!p->param || (strcmp(p->field, "active") == 0) != pass) continue;
      snprintf(key, sizeof key, "lens_blur.%s", p->field);
      st = emit(w, key, p->field, p->param, &r->lens_blur, NULL, 0);
    }
  free(w);
  return st;
}
