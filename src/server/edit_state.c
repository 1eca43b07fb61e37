/* GET /api/state's recipe part (dm_edit_doc_state), and the value maps the
 * document diffs: both built from dm_recipe_each_value, the parameter
 * tables and dm_set_keys_each, so the page is given every key `depthmask
 * keys` lists and nothing else. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "server/edit_internal.h"

json_t *edit_json_number(float v) {
  /* The shortest decimal that reads back to the float: -0.7f is shown as
   * -0.7, not -0.699999988. */
  double d = v;
  char buf[32];
  for (int prec = 6; prec <= 9; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, (double)v);
    if (strtof(buf, NULL) == v) {
      d = strtod(buf, NULL);
      break;
    }
  }
  if (d == floor(d) && fabs(d) < 1e15) return json_integer((json_int_t)d);
  return json_real(d);
}

/* ---- value maps -------------------------------------------------------- */

static dm_status put_text(void *user, const dm_recipe_value *v) {
  /* Never dumped, only compared: no UTF-8 check on long dab lists. */
  json_t *s = json_stringn_nocheck(v->text, strlen(v->text));
  return json_object_set_new(user, v->key, s) ? DM_ERR_NOMEM : DM_OK;
}

dm_status edit_values(dm_context *ctx, const dm_recipe *r, json_t **out) {
  *out = json_object();
  if (!*out) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
  dm_status s = dm_recipe_each_value(ctx, r, put_text, *out);
  if (s) {
    json_decref(*out);
    *out = NULL;
    if (s == DM_ERR_NOMEM) dm_fail(ctx, s, NULL, "out of memory listing the recipe's values");
  }
  return s;
}

json_t *edit_diff(const json_t *a, const json_t *b) {
  json_t *out = json_array();
  const char *key;
  json_t *v;
  int oom = !out;
  json_object_foreach((json_t *)b, key, v) {
    const json_t *w = json_object_get(a, key);
    if (!oom && (!w || !json_equal(v, w))) oom = json_array_append_new(out, json_string(key)) != 0;
  }
  json_object_foreach((json_t *)a, key, v) {
    if (!oom && !json_object_get(b, key)) oom = json_array_append_new(out, json_string(key)) != 0;
  }
  if (oom) {
    json_decref(out);
    return NULL;
  }
  return out;
}

/* ---- the state --------------------------------------------------------- */

/* A value as the page reads it: numbers, booleans, arrays of numbers for
 * vectors, strings for names, kinds, modes, paths and dabs. */
static json_t *value_json(const dm_param *p, const float *v, const char *text) {
  if (!p) return json_string(text);
  if (p->type == DM_PARAM_BOOL) return json_boolean(v[0] != 0);
  if (p->type == DM_PARAM_FLOAT) return edit_json_number(v[0]);
  json_t *a = json_array();
  for (int i = 0; a && i < p->count; i++)
    if (json_array_append_new(a, edit_json_number(v[i]))) {
      json_decref(a);
      return NULL;
    }
  return a;
}

static dm_status put_value(void *user, const dm_recipe_value *v) {
  json_t *j = v->named ? json_string(v->text) : value_json(v->param, v->v, v->text);
  return json_object_set_new(user, v->key, j ? j : json_null()) ? DM_ERR_NOMEM : DM_OK;
}

/* "a|b|c" as ["a", "b", "c"]; null for NULL. */
static json_t *split_bars(const char *s) {
  if (!s) return json_null();
  json_t *a = json_array();
  while (a && *s) {
    size_t n = strcspn(s, "|");
    json_array_append_new(a, json_stringn(s, n));
    s += n + (s[n] == '|');
  }
  return a;
}

/* The default of a table entry: its name for a named lens blur value. */
static json_t *param_default(const dm_param *p, const char *choices) {
  float d[16];
  for (int i = 0; i < p->count && i < 16; i++) d[i] = p->defs ? p->defs[i] : p->def;
  if (choices && p->type == DM_PARAM_FLOAT && d[0] >= 0 && d[0] == floorf(d[0])) {
    const char *s = choices;
    for (int i = 0; i < (int)d[0] && s; i++) s = strchr(s, '|') ? strchr(s, '|') + 1 : NULL;
    if (s) return json_stringn(s, strcspn(s, "|"));
  }
  return value_json(p, d, NULL);
}

static json_t *range_json(const dm_param *p) {
  return json_pack("{s:o?, s:o?, s:o?, s:o?, s:o?}", "default", param_default(p, NULL), "min",
                   edit_json_number(p->min), "max", edit_json_number(p->max), "ui_min",
                   edit_json_number(p->ui_min), "ui_max", edit_json_number(p->ui_max));
}

/* A mask key is listed once, under the first kind that has it: the kinds
 * whose own entry says otherwise (default, ranges) are given apart. */
static json_t *per_kind(const dm_set_key *k) {
  json_t *o = NULL;
  for (int kind = 0; kind < DM_MASK_KIND_COUNT; kind++) {
    int n;
    const dm_param *t = dm_mask_params((dm_mask_kind)kind, &n);
    const dm_param *q = dm_param_find(t, n, k->field);
    const dm_param *p = k->param;
    if (!q || q == p) continue;
    int same = q->count == p->count && q->min == p->min && q->max == p->max &&
               q->ui_min == p->ui_min && q->ui_max == p->ui_max;
    for (int i = 0; same && i < p->count; i++)
      same = (q->defs ? q->defs[i] : q->def) == (p->defs ? p->defs[i] : p->def);
    if (same) continue;
    if (!o) o = json_object();
    if (o) json_object_set_new(o, dm_mask_kind_name((dm_mask_kind)kind), range_json(q));
  }
  return o ? o : json_null();
}

typedef struct params_ctx {
  json_t *list;
  int oom;
} params_ctx;

static void put_param(void *user, const dm_set_key *k) {
  params_ctx *pc = user;
  const dm_param *p = k->param;
  const char *type = k->choices ? "choice" : !p ? "text" : p->type == DM_PARAM_BOOL ? "bool"
                     : p->type == DM_PARAM_VEC ? "vector" : "number";
  int ranged = p && p->type != DM_PARAM_BOOL && !k->choices;
  json_t *def = json_null();
  if (p) {
    def = param_default(p, k->choices);
  } else if (!strcmp(k->field, "kind") || !strcmp(k->field, "mode")) {
    dm_mask_component c; /* what a new component is */
    dm_mask_component_init(&c, DM_MASK_ALL);
    def = json_string(!strcmp(k->field, "kind") ? dm_mask_kind_name(c.kind) : dm_mask_mode_name(c.mode));
  } else if (!strcmp(k->field, "name")) {
    def = json_string("");
  }
  json_t *o = json_pack(
      "{s:s, s:s, s:s?, s:s, s:i, s:o?, s:o?, s:o?, s:o?, s:o?, s:o?, s:o?, s:s?}", "key", k->key,
      "field", k->field, "label", p ? p->label : NULL, "type", type, "count", p ? p->count : 1,
      "default", def, "min", ranged ? edit_json_number(p->min) : json_null(),
      "max", ranged ? edit_json_number(p->max) : json_null(), "ui_min",
      ranged ? edit_json_number(p->ui_min) : json_null(), "ui_max",
      ranged ? edit_json_number(p->ui_max) : json_null(), "choices", split_bars(k->choices),
      "kinds", split_bars(k->kinds), "doc", k->doc);
  if (o && p && strstr(k->key, ".mask[") && !strstr(k->key, ".stroke["))
    json_object_set_new(o, "per_kind", per_kind(k));
  if (!o || json_array_append_new(pc->list, o)) pc->oom = 1;
}

json_t *dm_edit_doc_state(const dm_edit_doc *d) {
  json_t *recipe = json_object(), *params = json_array();
  params_ctx pc = {params, !params};
  if (recipe && dm_recipe_each_value(NULL, &d->r, put_value, recipe) != DM_OK) {
    json_decref(recipe);
    recipe = NULL;
  }
  if (!pc.oom) dm_set_keys_each(DM_KEYS_ALL, put_param, &pc);
  if (!recipe || pc.oom) {
    json_decref(recipe);
    json_decref(params);
    return NULL;
  }
  /* A path that is not UTF-8 cannot be a JSON string. */
  json_t *path = json_string(d->sidecar);
  return json_pack("{s:o, s:o, s:i, s:s, s:o?, s:O, s:I, s:b, s:b}", "recipe", recipe, "params",
                   params, "process_version", d->r.photo.process_version, "sidecar",
                   edit_sidecar_state(d), "sidecar_path", path, "outside_fields",
                   d->outside, "revision", (json_int_t)d->revision, "can_undo", d->cur > 0,
                   "can_redo", d->cur + 1 < d->n_hist);
}
