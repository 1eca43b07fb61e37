/* PATCH /api/recipe (dm_edit_doc_patch): one JSON object naming one change,
 * parsed by jansson and spoken in --set keys:
 *   {"set": {"correction[0].exposure": -0.7, "lens_blur.focal_range": [0, 0, 35, 60]}}
 *   {"add_correction": {"name": "Background", "mask": [{"kind": "background"}], "exposure": -0.7}}
 *   {"remove_correction": 1}
 *   {"add_mask": {"correction": 0, "kind": "depth_range", "mode": "intersect", "depth_range": [40, 100]}}
 *   {"remove_mask": {"correction": 0, "mask": 1}}
 *   {"remove_refine": 0}   (Lens Blur's refine[0], a Focus or Blur stroke set)
 *   {"undo": 1}   {"redo": 1}
 * Values are JSON numbers, booleans, strings or arrays of numbers, turned
 * into the text dm_recipe_set parses (floats as %.9g), so a bad one fails
 * with the very line the CLI prints for that --set. Every change applies to
 * a copy of the recipe, which is checked whole (dm_recipe_check) and only
 * then becomes the recipe: all of it or nothing. */
#include <stdlib.h>
#include <string.h>

#include "server/edit_internal.h"

/* "KEY=VALUE" strings, owned. */
typedef struct assigns {
  int n, cap;
  char **v;
} assigns;

static void assigns_free(assigns *a) {
  for (int i = 0; i < a->n; i++) free(a->v[i]);
  free(a->v);
  memset(a, 0, sizeof *a);
}

static dm_status assigns_add(dm_context *ctx, assigns *a, const char *key, const char *value) {
  if (a->n == a->cap) {
    int cap = a->cap ? 2 * a->cap : 16;
    char **v = realloc(a->v, (size_t)cap * sizeof *v);
    if (!v) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
    a->v = v;
    a->cap = cap;
  }
  char *s = malloc(strlen(key) + strlen(value) + 2);
  if (!s) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
  sprintf(s, "%s=%s", key, value);
  a->v[a->n++] = s;
  return DM_OK;
}

/* A JSON number as --set writes it. */
static void number_text(const json_t *v, char *out, size_t len) {
  if (json_is_integer(v)) snprintf(out, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
  else snprintf(out, len, "%.9g", json_real_value(v));
}

/* The value of `key` as the text dm_recipe_set parses; malloc'd. */
static dm_status value_text(dm_context *ctx, const char *key, const json_t *v, char **out) {
  char num[64];
  *out = NULL;
  if (json_is_string(v)) {
    *out = strdup(json_string_value(v));
  } else if (json_is_boolean(v)) {
    *out = strdup(json_is_true(v) ? "true" : "false");
  } else if (json_is_number(v)) {
    number_text(v, num, sizeof num);
    *out = strdup(num);
  } else if (json_is_array(v)) {
    size_t n = json_array_size(v), used = 0;
    if (!(*out = malloc(n * sizeof num + 1))) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
    (*out)[0] = 0;
    for (size_t i = 0; i < n; i++) {
      const json_t *e = json_array_get(v, i);
      if (!json_is_number(e)) {
        free(*out);
        *out = NULL;
        return dm_fail(ctx, DM_ERR_PARAM, key, "expected an array of numbers");
      }
      number_text(e, num, sizeof num);
      used += (size_t)sprintf(*out + used, "%s%s", i ? "," : "", num);
    }
    return DM_OK;
  } else {
    return dm_fail(ctx, DM_ERR_PARAM, key, "expected a number, true or false, text, or an array "
                   "of numbers");
  }
  return *out ? DM_OK : dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
}

static int is_object_array(const json_t *v) {
  return json_is_array(v) && json_array_size(v) && json_is_object(json_array_get(v, 0));
}

/* The members of `o` as assignments of the keys `prefix`MEMBER; an array
 * of objects under NAME stands for NAME[0]., NAME[1]., ... (the "mask"
 * components of add_correction, the "stroke"s of a brush). */
static dm_status flatten(dm_context *ctx, assigns *a, const char *prefix, const json_t *o) {
  const char *k;
  json_t *v;
  dm_status s = DM_OK;
  json_object_foreach((json_t *)o, k, v) {
    char key[512];
    if (snprintf(key, sizeof key, "%s%s", prefix, k) >= (int)sizeof key)
      return dm_fail(ctx, DM_ERR_PARAM, NULL, "key longer than %zu bytes", sizeof key - 1);
    if (is_object_array(v)) {
      for (size_t i = 0; !s && i < json_array_size(v); i++) {
        const json_t *e = json_array_get(v, i);
        char sub[600];
        snprintf(sub, sizeof sub, "%s[%zu].", key, i);
        s = json_is_object(e) ? flatten(ctx, a, sub, e)
                              : dm_fail(ctx, DM_ERR_PARAM, key, "expected an array of objects");
      }
    } else if (json_is_object(v)) {
      return dm_fail(ctx, DM_ERR_PARAM, key, "expected a value, or an array of objects");
    } else {
      char *text;
      s = value_text(ctx, key, v, &text);
      if (!s) s = assigns_add(ctx, a, key, text);
      free(text);
    }
    if (s) return s;
  }
  return DM_OK;
}

/* Apply the assignments to a copy of the recipe in the order the CLI
 * applies its --set options, check it whole, and make it the recipe. */
static dm_status apply(dm_context *ctx, dm_edit_doc *d, assigns *a, json_t **changed) {
  dm_recipe next;
  dm_status s = dm_recipe_set_sort(ctx, (const char **)a->v, a->n);
  if (s) return s;
  if ((s = edit_copy_state(ctx, d, d->cur, &next))) return s;
  for (int i = 0; !s && i < a->n; i++) s = dm_recipe_set(ctx, &next, a->v[i]);
  /* Fields fine alone but not together (focus inside the focal length). */
  if (!s) s = dm_recipe_check(ctx, &next);
  if (!s) s = edit_commit(ctx, d, &next, EDIT_PUSH, 0, NULL, changed);
  dm_recipe_free(&next);
  return s;
}

static int index_of(const json_t *v, int *out) {
  if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 1000000) return 0;
  *out = (int)json_integer_value(v);
  return 1;
}

static dm_status bad_index(dm_context *ctx, const char *what) {
  return dm_fail(ctx, DM_ERR_PARAM, what, "expected an index (0, 1, ...)");
}

static dm_status do_set(dm_context *ctx, dm_edit_doc *d, const json_t *v, json_t **changed) {
  if (!json_is_object(v))
    return dm_fail(ctx, DM_ERR_PARAM, "set", "expected an object of --set keys and values");
  assigns a = {0};
  const char *k;
  json_t *x;
  dm_status s = DM_OK;
  json_object_foreach((json_t *)v, k, x) {
    char *text = NULL;
    if (!s) s = value_text(ctx, k, x, &text);
    if (!s) s = assigns_add(ctx, &a, k, text);
    free(text);
  }
  if (!s) s = apply(ctx, d, &a, changed);
  assigns_free(&a);
  return s;
}

static dm_status do_add_correction(dm_context *ctx, dm_edit_doc *d, const json_t *v,
                                   json_t **changed) {
  if (!json_is_object(v))
    return dm_fail(ctx, DM_ERR_PARAM, "add_correction", "expected an object of the new "
                   "correction's keys ({} for a correction with defaults)");
  char prefix[48];
  snprintf(prefix, sizeof prefix, "correction[%d].", d->r.n_corrections);
  assigns a = {0};
  /* name= first, so that {} adds a correction too (a given name follows). */
  char key[64];
  snprintf(key, sizeof key, "%sname", prefix);
  dm_status s = assigns_add(ctx, &a, key, "");
  if (!s) s = flatten(ctx, &a, prefix, v);
  if (!s) s = apply(ctx, d, &a, changed);
  assigns_free(&a);
  return s;
}

static dm_status do_add_mask(dm_context *ctx, dm_edit_doc *d, const json_t *v, json_t **changed) {
  int ci;
  if (!json_is_object(v))
    return dm_fail(ctx, DM_ERR_PARAM, "add_mask", "expected an object with the correction's "
                   "index and the component's keys");
  if (!index_of(json_object_get(v, "correction"), &ci)) return bad_index(ctx, "add_mask.correction");
  /* Appended after the components the correction has, kept ones included;
   * a correction one past the last is appended too, as by --set. */
  int slot = ci < d->r.n_corrections ? dm_correction_n_slots(&d->r.corrections[ci]) : 0;
  char prefix[64], key[80];
  snprintf(prefix, sizeof prefix, "correction[%d].mask[%d].", ci, slot);
  json_t *rest = json_deep_copy(v);
  if (!rest) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
  json_object_del(rest, "correction");
  assigns a = {0};
  dm_status s = DM_OK;
  if (!json_object_get(rest, "kind")) {
    snprintf(key, sizeof key, "%skind", prefix);
    s = assigns_add(ctx, &a, key, "whole_image");
  }
  if (!s) s = flatten(ctx, &a, prefix, rest);
  if (!s) s = apply(ctx, d, &a, changed);
  assigns_free(&a);
  json_decref(rest);
  return s;
}

static dm_status do_remove(dm_context *ctx, dm_edit_doc *d, const char *op, const json_t *v,
                           json_t **changed) {
  edit_step step = {EDIT_STEP_REMOVE_CORRECTION, 0, 0, 0, NULL};
  if (!strcmp(op, "remove_correction") || !strcmp(op, "remove_refine")) {
    if (!index_of(v, &step.n)) return bad_index(ctx, op);
    if (op[7] == 'r') step.type = EDIT_STEP_REMOVE_REFINE;
  } else {
    step.type = EDIT_STEP_REMOVE_MASK;
    if (!json_is_object(v) || json_object_size(v) != 2)
      return dm_fail(ctx, DM_ERR_PARAM, op, "expected {\"correction\": N, \"mask\": M}");
    if (!index_of(json_object_get(v, "correction"), &step.n))
      return bad_index(ctx, "remove_mask.correction");
    if (!index_of(json_object_get(v, "mask"), &step.m)) return bad_index(ctx, "remove_mask.mask");
  }
  dm_recipe next;
  dm_status s = edit_copy_state(ctx, d, d->cur, &next);
  if (s) return s;
  if (step.type == EDIT_STEP_REMOVE_CORRECTION) s = dm_recipe_remove_correction(ctx, &next, step.n);
  else if (step.type == EDIT_STEP_REMOVE_REFINE) s = dm_recipe_remove_refine(ctx, &next, step.n);
  else s = dm_recipe_remove_mask(ctx, &next, step.n, step.m);
  if (!s) s = edit_commit(ctx, d, &next, EDIT_PUSH, 0, &step, changed);
  dm_recipe_free(&next);
  return s;
}

static dm_status do_history(dm_context *ctx, dm_edit_doc *d, const char *op, const json_t *v,
                            json_t **changed) {
  if (!json_is_true(v) && !(json_is_integer(v) && json_integer_value(v) == 1))
    return dm_fail(ctx, DM_ERR_PARAM, op, "expected 1 (one step at a time)");
  int to = d->cur + (strcmp(op, "undo") ? 1 : -1);
  if (to < 0) return dm_fail(ctx, DM_ERR_PARAM, op, "nothing to undo");
  if (to >= d->n_hist) return dm_fail(ctx, DM_ERR_PARAM, op, "nothing to redo");
  dm_recipe next;
  dm_status s = edit_copy_state(ctx, d, to, &next);
  if (s) return s;
  s = edit_commit(ctx, d, &next, EDIT_GOTO, to, NULL, changed);
  dm_recipe_free(&next);
  return s;
}

dm_status dm_edit_doc_patch(dm_context *ctx, dm_edit_doc *d, const char *body, size_t len,
                            json_t **reply) {
  static const char ops[] =
      "set, add_correction, remove_correction, add_mask, remove_mask, remove_refine, undo or redo";
  *reply = NULL;
  json_error_t err;
  json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
  if (!root)
    return dm_fail(ctx, DM_ERR_PARAM, NULL, "the body is not JSON: %s (line %d, column %d)",
                   err.text, err.line, err.column);
  dm_status s = DM_OK;
  json_t *changed = NULL;
  /* "gesture" may come with "set": the id of a slider drag, whose changes
   * are one step of the history (the page sends the same id while the
   * handle moves). */
  const json_t *gesture = json_is_object(root) ? json_object_get(root, "gesture") : NULL;
  size_t members = json_is_object(root) ? json_object_size(root) - (gesture != NULL) : 0;
  if (gesture && (!json_is_string(gesture) || json_string_length(gesture) == 0 ||
                  json_string_length(gesture) >= sizeof d->gesture ||
                  !json_object_get(root, "set") || members != 1)) {
    s = dm_fail(ctx, DM_ERR_PARAM, "gesture", "expected a name of 1 to %d characters, given with "
                "\"set\" alone", (int)sizeof d->gesture - 1);
  } else if (!json_is_object(root) || members != 1) {
    s = dm_fail(ctx, DM_ERR_PARAM, NULL, "expected an object with one member: %s", ops);
  } else {
    const char *op = "set";
    const json_t *v = json_object_get(root, "set");
    if (!v) {
      op = json_object_iter_key(json_object_iter(root));
      v = json_object_iter_value(json_object_iter(root));
    }
    const char *g = gesture ? json_string_value(gesture) : NULL;
    d->fold = g && d->gesture[0] && !strcmp(g, d->gesture) && d->gesture_cur == d->cur &&
              d->cur == d->n_hist - 1 && d->cur > 0;
    int cur = d->cur;
    if (!strcmp(op, "set")) s = do_set(ctx, d, v, &changed);
    else if (!strcmp(op, "add_correction")) s = do_add_correction(ctx, d, v, &changed);
    else if (!strcmp(op, "add_mask")) s = do_add_mask(ctx, d, v, &changed);
    else if (!strcmp(op, "remove_correction") || !strcmp(op, "remove_mask") ||
             !strcmp(op, "remove_refine"))
      s = do_remove(ctx, d, op, v, &changed);
    else if (!strcmp(op, "undo") || !strcmp(op, "redo")) s = do_history(ctx, d, op, v, &changed);
    else s = dm_fail(ctx, DM_ERR_PARAM, NULL, "unknown change \"%.64s\" (expected %s)", op, ops);
    d->fold = 0;
    /* The gesture goes on while its changes follow one another; any other
     * change ends it. A set that changed nothing leaves it as it was. */
    if (!s && g && (d->cur != cur || d->gesture_cur == d->cur))
      snprintf(d->gesture, sizeof d->gesture, "%s", g), d->gesture_cur = d->cur;
    else if (!s && !g && d->cur != cur)
      d->gesture[0] = 0;
  }
  json_decref(root);
  /* Out of range is a bad value like any other, to the caller. */
  if (s == DM_ERR_RANGE) s = DM_ERR_PARAM;
  if (s) return s;
  /* json_object_set_new takes `changed` even when it fails. */
  json_t *r = json_object();
  int bad = !r;
  if (r) bad = json_object_set_new(r, "revision", json_integer((json_int_t)d->revision));
  bad |= r ? json_object_set_new(r, "changed", changed) : (json_decref(changed), 1);
  if (bad) {
    json_decref(r);
    return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
  }
  *reply = r;
  return DM_OK;
}
