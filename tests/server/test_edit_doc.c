/* The editor's recipe document (src/server/edit_doc.h) on copies of real
 * photos: the state lists exactly the keys `depthmask keys` lists with
 * their tables; PATCH set applies all or nothing with the CLI's own
 * messages; corrections and components added and removed; undo/redo
 * chains; Sync between two photos. Saving and merging: test_edit_save.c. */
#include "edit_test_util.h"

#include "recipe/recipe.h"

/* ---- the state ----------------------------------------------------------- */

/* The keys `depthmask keys` prints (lines that do not start with a space). */
static json_t *cli_keys(void) {
  json_t *keys = json_array();
  const char *bin = getenv("DM_BIN");
  char cmd[4200], line[1200];
  snprintf(cmd, sizeof cmd, "'%s' keys", bin ? bin : "depthmask");
  FILE *p = popen(cmd, "r");
  while (p && fgets(line, sizeof line, p))
    if (line[0] != ' ') json_array_append_new(keys, json_stringn(line, strcspn(line, " \n")));
  if (p) pclose(p);
  return keys;
}

static void test_state(dm_context *ctx, const char *dir) {
  dm_edit_doc *d = open_doc(ctx, photo_copy("grace_hopper", dir, "state.jpg"), NULL);
  json_t *st = dm_edit_doc_state(d);
  CHECK(st != NULL);
  CHECK(!strcmp(json_string_value(json_object_get(st, "sidecar")), "none"));
  CHECK(json_integer_value(json_object_get(st, "process_version")) == DM_PROCESS_VERSION);
  CHECK(json_array_size(json_object_get(st, "outside_fields")) == 0);
  CHECK(dm_edit_doc_revision(d) == 0);

  /* params: one entry per key `depthmask keys` prints, in its order. */
  const json_t *params = json_object_get(st, "params");
  json_t *keys = cli_keys();
  CHECK(json_array_size(keys) >= 50);
  CHECK(json_array_size(params) == json_array_size(keys));
  for (size_t i = 0; i < json_array_size(params) && i < json_array_size(keys); i++) {
    const json_t *p = json_array_get(params, i);
    const char *key = json_string_value(json_object_get(p, "key"));
    const char *type = json_string_value(json_object_get(p, "type"));
    if (strcmp(key, json_string_value(json_array_get(keys, i)))) {
      fprintf(stderr, "param %zu: %s, depthmask keys says %s\n", i, key,
              json_string_value(json_array_get(keys, i)));
      dm_test_failures++;
    }
    /* Sliders carry everything the page builds them from. */
    if (!strcmp(type, "number") || !strcmp(type, "vector")) {
      CHECK(json_is_string(json_object_get(p, "label")));
      CHECK(json_is_string(json_object_get(p, "doc")));
      const char *f[] = {"min", "max", "ui_min", "ui_max"};
      for (int k = 0; k < 4; k++) CHECK(json_is_number(json_object_get(p, f[k])));
      CHECK(json_number_value(json_object_get(p, "min")) <= json_number_value(json_object_get(p, "ui_min")));
      CHECK(json_number_value(json_object_get(p, "ui_max")) <= json_number_value(json_object_get(p, "max")));
      CHECK(!strcmp(type, "number") ? json_is_number(json_object_get(p, "default"))
                                    : json_is_array(json_object_get(p, "default")));
    }
    if (!strcmp(type, "choice")) CHECK(json_array_size(json_object_get(p, "choices")) >= 2);
    if (!strcmp(type, "bool")) CHECK(json_is_boolean(json_object_get(p, "default")));
  }
  /* Spot checks against the tables. */
  for (size_t i = 0; i < json_array_size(params); i++) {
    const json_t *p = json_array_get(params, i);
    const char *key = json_string_value(json_object_get(p, "key"));
    if (!strcmp(key, "correction[N].exposure")) {
      CHECK(!strcmp(json_string_value(json_object_get(p, "label")), "Exposure"));
      CHECK(json_number_value(json_object_get(p, "min")) == -4);
      CHECK(json_number_value(json_object_get(p, "max")) == 4);
    }
    if (!strcmp(key, "lens_blur.bokeh")) {
      CHECK(!strcmp(json_string_value(json_object_get(p, "default")), "circle"));
      CHECK(has(json_object_get(p, "choices"), "blades"));
    }
    if (!strcmp(key, "correction[N].mask[M].kind")) {
      CHECK(has(json_object_get(p, "choices"), "depth_range"));
      CHECK(!strcmp(json_string_value(json_object_get(p, "default")), "whole_image"));
    }
    if (!strcmp(key, "correction[N].mask[M].depth_range")) {
      CHECK(has(json_object_get(p, "kinds"), "depth_range"));
      CHECK(json_is_null(json_object_get(p, "per_kind")));
    }
  }
  json_decref(keys);

  /* Values: every key an instance of a listed pattern, typed as the page reads them. */
  DO(ctx, d, "{\"add_correction\": {\"name\": \"Background\", \"exposure\": -0.7, \"mask\": "
             "[{\"kind\": \"depth_range\", \"depth_range\": [40, 100]}, {\"kind\": \"subject\", "
             "\"mode\": \"subtract\", \"invert\": true}, {\"kind\": \"brush\", \"stroke\": "
             "[{\"dabs\": [0.1, 0.2, 0.3, 0.4], \"radius\": 0.03}]}]}}");
  DO(ctx, d, "{\"set\": {\"lens_blur.amount\": 70, \"lens_blur.bokeh\": \"ring\"}}");
  json_decref(st);
  st = dm_edit_doc_state(d);
  params = json_object_get(st, "params");
  const json_t *recipe = json_object_get(st, "recipe");
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)recipe, key, v) {
    char pat[200];
    dm_test_key_pattern(key, pat, sizeof pat);
    int found = 0;
    for (size_t i = 0; i < json_array_size(params) && !found; i++)
      found = !strcmp(pat, json_string_value(json_object_get(json_array_get(params, i), "key")));
    if (!found) fprintf(stderr, "state key %s (%s) not among the params\n", key, pat);
    CHECK(found);
  }
  CHECK(num(recipe, "correction[0].exposure") == -0.7); /* the shortest decimal, not -0.699999988 */
  CHECK(!strcmp(str(recipe, "correction[0].name"), "Background"));
  const json_t *dr = json_object_get(recipe, "correction[0].mask[0].depth_range");
  CHECK(json_array_size(dr) == 2 && json_number_value(json_array_get(dr, 1)) == 100);
  /* Subtracting an inverted component is intersecting it, and the sidecar
   * says it so (as Lightroom does): the state shows what a reopened
   * sidecar shows. */
  CHECK(json_is_false(json_object_get(recipe, "correction[0].mask[1].invert")));
  CHECK(!strcmp(str(recipe, "correction[0].mask[1].mode"), "intersect"));
  CHECK(!strcmp(str(recipe, "correction[0].mask[2].stroke[0].dabs"), "0.1,0.2,0.3,0.4"));
  CHECK(num(recipe, "correction[0].mask[2].stroke[0].radius") == 0.03);
  CHECK(!json_object_get(recipe, "correction[0].mask[1].depth_range")); /* not the subject's */
  CHECK(!strcmp(str(recipe, "lens_blur.bokeh"), "ring"));
  CHECK(json_is_true(json_object_get(recipe, "lens_blur.active")));
  CHECK(!strcmp(json_string_value(json_object_get(st, "sidecar")), "unsaved"));
  json_decref(st);
  dm_edit_doc_free(d);
}

/* ---- PATCH set ----------------------------------------------------------- */

static void test_set(dm_context *ctx, const char *dir) {
  const char *photo = photo_copy("grace_hopper", dir, "set.jpg");
  char args[8192];
  dm_edit_doc *d = open_doc(ctx, photo, NULL);
  json_t *reply = PATCH(ctx, d, "{\"set\": {\"correction[0].exposure\": -0.7}}");
  CHECK(json_integer_value(json_object_get(reply, "revision")) == 1);
  CHECK(has(json_object_get(reply, "changed"), "correction[0].exposure"));
  CHECK(has(json_object_get(reply, "changed"), "correction[0].amount")); /* a new correction */
  json_decref(reply);
  /* The same value again changes nothing and makes no step. */
  reply = PATCH(ctx, d, "{\"set\": {\"correction[0].exposure\": -0.7}}");
  CHECK(json_integer_value(json_object_get(reply, "revision")) == 1);
  CHECK(json_array_size(json_object_get(reply, "changed")) == 0);
  json_decref(reply);
  /* A lens blur key turns the blur on: both are changed. */
  reply = PATCH(ctx, d, "{\"set\": {\"lens_blur.amount\": 70}}");
  CHECK(json_array_size(json_object_get(reply, "changed")) == 2);
  CHECK(has(json_object_get(reply, "changed"), "lens_blur.active"));
  json_decref(reply);
  /* Order given does not matter: the kind first, as the CLI applies them. */
  DO(ctx, d, "{\"set\": {\"correction[0].mask[0].depth_range\": [40, 100], "
             "\"correction[0].mask[0].kind\": \"depth_range\", \"lens_blur.active\": false, "
             "\"lens_blur.focal_range\": [0, 0, 35, 60]}}");
  json_t *r = recipe_of(d);
  CHECK(!strcmp(str(r, "correction[0].mask[0].kind"), "depth_range"));
  CHECK(json_is_false(json_object_get(r, "lens_blur.active")));
  json_decref(r);

  /* A batch with one bad key changes nothing; the message is the CLI's. */
  const char *bad[][2] = {
      {"{\"set\": {\"correction[0].exposure\": 1, \"correction[0].contrst\": 20, "
       "\"correction[0].highlights\": -30}}",
       "--set correction[0].exposure=1 --set correction[0].contrst=20 "
       "--set correction[0].highlights=-30"},
      {"{\"set\": {\"correction[0].exposure\": 9}}", "--set correction[0].exposure=9"},
      {"{\"set\": {\"correction[2].exposure\": 1}}", "--set correction[2].exposure=1"},
      {"{\"set\": {\"correction[0].mask[0].depth_range\": [60, 40]}}",
       "--set correction[0].mask[0].kind=depth_range --set correction[0].mask[0].depth_range=60,40"},
      {"{\"set\": {\"correction[0].mask[0].feather\": 10}}",
       "--set correction[0].mask[0].kind=depth_range --set correction[0].mask[0].feather=10"},
      {"{\"set\": {\"lens_blur.bokeh\": \"hexagon\"}}", "--set lens_blur.bokeh=hexagon"},
      {"{\"set\": {\"lens_blur.focal_range\": [0, 50, 40, 60]}}",
       "--set lens_blur.focal_range=0,50,40,60"},
      {"{\"set\": {\"lens_blur.mode\": \"physical\", \"lens_blur.f_mm\": 85, "
       "\"lens_blur.focus_m\": 0.05}}",
       "--set lens_blur.mode=physical --set lens_blur.f_mm=85 --set lens_blur.focus_m=0.05"},
      {"{\"set\": {\"correction[0].name\": \" Sky\"}}", "--set 'correction[0].name= Sky'"},
      {"{\"set\": {\"sharpness\": 3}}", "--set sharpness=3"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    /* The CLI on a fresh copy with the recipe this document has. */
    snprintf(args, sizeof args, "render '%s' --no-sidecar -o '%s/cli.tif' "
             "--set correction[0].exposure=-0.7 --set lens_blur.amount=70 "
             "--set correction[0].mask[0].kind=depth_range --set lens_blur.active=false %s",
             photo, dir, bad[i][1]);
    const char *line = cli_stderr(args);
    CHECK(!strncmp(line, "depthmask: ", 11));
    PATCH_FAILS(ctx, d, bad[i][0], line + 11);
  }
  /* Values that are no --set value. */
  PATCH_FAILS(ctx, d, "{\"set\": {\"correction[0].exposure\": null}}",
              "correction[0].exposure: expected a number, true or false, text, or an array of numbers");
  PATCH_FAILS(ctx, d, "{\"set\": {\"lens_blur.focal_range\": [0, \"a\", 1, 2]}}",
              "lens_blur.focal_range: expected an array of numbers");
  PATCH_FAILS(ctx, d, "{\"set\": [1]}", "set: expected an object of --set keys and values");
  PATCH_FAILS(ctx, d, "{\"set\": {\"correction[0].exposure\": 1, \"correction[0].exposure\": 2}}",
              "the body is not JSON: duplicate object key (line 1, column 62)");
  PATCH_FAILS(ctx, d, "{\"set\": {}, \"undo\": 1}",
              "expected an object with one member: set, add_correction, remove_correction, "
              "add_mask, remove_mask, remove_refine, undo or redo");
  PATCH_FAILS(ctx, d, "{\"frobnicate\": 1}",
              "unknown change \"frobnicate\" (expected set, add_correction, remove_correction, "
              "add_mask, remove_mask, remove_refine, undo or redo)");
  PATCH_FAILS(ctx, d, "[1, 2", "the body is not JSON: ']' expected near end of file (line 1, "
              "column 5)");
  PATCH_FAILS(ctx, d, "", "the body is not JSON: '[' or '{' expected near end of file (line 1, "
              "column 0)");
  /* Strings are passed as they are: "-0.5" is what --set would read. */
  DO(ctx, d, "{\"set\": {\"correction[0].exposure\": \"-0.5\", \"lens_blur.mode\": 1}}");
  r = recipe_of(d);
  CHECK(num(r, "correction[0].exposure") == -0.5 && !strcmp(str(r, "lens_blur.mode"), "physical"));
  json_decref(r);
  CHECK(dm_recipe_check(ctx, dm_edit_doc_recipe(d)) == DM_OK);
  dm_edit_doc_free(d);
}

/* ---- corrections and components ------------------------------------------ */

static void test_structure(dm_context *ctx, const char *dir) {
  dm_edit_doc *d = open_doc(ctx, photo_copy("coffee", dir, "structure.png"), NULL);
  DO(ctx, d, "{\"add_correction\": {}}");
  const dm_recipe *rc = dm_edit_doc_recipe(d);
  CHECK(rc->n_corrections == 1 && rc->corrections[0].n_masks == 0 && rc->corrections[0].amount == 100);
  DO(ctx, d, "{\"add_correction\": {\"name\": \"Background\", \"mask\": [{\"kind\": \"background\"}], "
             "\"exposure\": -0.7}}");
  json_t *r = recipe_of(d);
  CHECK(!strcmp(str(r, "correction[1].name"), "Background"));
  CHECK(!strcmp(str(r, "correction[1].mask[0].kind"), "background"));
  CHECK(num(r, "correction[1].exposure") == -0.7);
  json_decref(r);
  json_t *reply = PATCH(ctx, d, "{\"add_mask\": {\"correction\": 1, \"kind\": \"depth_range\", "
                                "\"mode\": \"intersect\", \"depth_range\": [40, 100]}}");
  CHECK(has(json_object_get(reply, "changed"), "correction[1].mask[1].depth_range"));
  json_decref(reply);
  DO(ctx, d, "{\"add_mask\": {\"correction\": 0}}"); /* whole image */
  DO(ctx, d, "{\"add_mask\": {\"correction\": 0, \"kind\": \"brush\", \"stroke\": [{\"dabs\": "
             "[0.5, 0.5]}, {\"dabs\": [0.2, 0.2, 0.3, 0.3], \"erase\": true}]}}");
  r = recipe_of(d);
  CHECK(!strcmp(str(r, "correction[0].mask[0].kind"), "whole_image"));
  CHECK(!strcmp(str(r, "correction[1].mask[1].mode"), "intersect"));
  CHECK(json_is_true(json_object_get(r, "correction[0].mask[1].stroke[1].erase")));
  json_decref(r);
  /* Appending a correction through add_mask, as --set does. */
  DO(ctx, d, "{\"add_mask\": {\"correction\": 2, \"kind\": \"subject\"}}");
  CHECK(dm_edit_doc_recipe(d)->n_corrections == 3);

  DO(ctx, d, "{\"remove_mask\": {\"correction\": 1, \"mask\": 0}}");
  r = recipe_of(d);
  CHECK(!strcmp(str(r, "correction[1].mask[0].kind"), "depth_range"));
  CHECK(!json_object_get(r, "correction[1].mask[1].kind"));
  json_decref(r);
  reply = PATCH(ctx, d, "{\"remove_correction\": 0}");
  CHECK(has(json_object_get(reply, "changed"), "correction[2].name")); /* gone */
  json_decref(reply);
  r = recipe_of(d);
  CHECK(!strcmp(str(r, "correction[0].name"), "Background"));
  CHECK(!strcmp(str(r, "correction[1].mask[0].kind"), "subject"));
  json_decref(r);

  PATCH_FAILS(ctx, d, "{\"remove_correction\": 5}", "correction[5]: no such correction (there are 2)");
  PATCH_FAILS(ctx, d, "{\"remove_correction\": -1}", "remove_correction: expected an index (0, 1, ...)");
  PATCH_FAILS(ctx, d, "{\"remove_mask\": {\"correction\": 0, \"mask\": 3}}",
              "correction[0].mask[3]: no such mask component (correction[0] has 1)");
  PATCH_FAILS(ctx, d, "{\"remove_mask\": {\"correction\": 0}}",
              "remove_mask: expected {\"correction\": N, \"mask\": M}");
  PATCH_FAILS(ctx, d, "{\"add_mask\": {\"kind\": \"subject\"}}",
              "add_mask.correction: expected an index (0, 1, ...)");
  PATCH_FAILS(ctx, d, "{\"add_mask\": {\"correction\": 0, \"kind\": \"sky\"}}",
              "correction[0].mask[1].kind: unknown mask kind \"sky\" (whole_image, luminance_range, "
              "linear_gradient, radial_gradient, file, depth_range, subject, background, brush)");
  PATCH_FAILS(ctx, d, "{\"add_mask\": {\"correction\": 5, \"kind\": \"subject\"}}",
              "correction[5].mask[0].kind: there are 2 corrections; correction[2] would add one");
  PATCH_FAILS(ctx, d, "{\"add_correction\": {\"mask\": [{\"kind\": \"subject\"}, 3]}}",
              "correction[2].mask: expected an array of objects");
  PATCH_FAILS(ctx, d, "{\"add_correction\": {\"mask\": {\"kind\": \"subject\"}}}",
              "correction[2].mask: expected a value, or an array of objects");
  PATCH_FAILS(ctx, d, "{\"add_correction\": {\"exposure\": 5}}",
              "correction[2].exposure: 5 is outside -4..4");
  PATCH_FAILS(ctx, d, "{\"add_correction\": 1}",
              "add_correction: expected an object of the new correction's keys ({} for a "
              "correction with defaults)");
  CHECK(dm_edit_doc_recipe(d)->n_corrections == 2);
  dm_edit_doc_free(d);
}

/* ---- undo and redo ------------------------------------------------------- */

static double exposure_of(const dm_edit_doc *d) {
  return dm_edit_doc_recipe(d)->corrections[0].sliders.v[DM_ADJ_EXPOSURE];
}

/* A slider drag sent with one gesture id is one step: undo goes back to the value before it. */
static void test_gesture(dm_context *ctx, const char *dir) {
  dm_edit_doc *d = open_doc(ctx, photo_copy("grace_hopper", dir, "gesture.jpg"), NULL);
  DO(ctx, d, "{\"set\": {\"correction[0].exposure\": -0.5}}");
  unsigned long rev = dm_edit_doc_revision(d);
  DO(ctx, d, "{\"set\": {\"correction[0].exposure\": -0.6}, \"gesture\": \"drag-1\"}");
  DO(ctx, d, "{\"gesture\": \"drag-1\", \"set\": {\"correction[0].exposure\": -0.7}}");
  DO(ctx, d, "{\"set\": {\"correction[0].exposure\": -0.8}, \"gesture\": \"drag-1\"}");
  CHECK(dm_edit_doc_revision(d) == rev + 3); /* every value is a revision the page renders */
  CHECK_NEAR(exposure_of(d), -0.8, 1e-6);
  /* Another drag is another step. */
  DO(ctx, d, "{\"set\": {\"correction[0].exposure\": -1.0}, \"gesture\": \"drag-2\"}");
  DO(ctx, d, "{\"set\": {\"correction[0].exposure\": -1.1}, \"gesture\": \"drag-2\"}");
  DO(ctx, d, "{\"undo\": 1}");
  CHECK_NEAR(exposure_of(d), -0.8, 1e-6);
  DO(ctx, d, "{\"undo\": 1}");
  CHECK_NEAR(exposure_of(d), -0.5, 1e-6);
  /* After an undo the same id starts a new step (redo is gone), never rewrites an old one. */
  DO(ctx, d, "{\"set\": {\"correction[0].exposure\": -0.3}, \"gesture\": \"drag-1\"}");
  DO(ctx, d, "{\"undo\": 1}");
  CHECK_NEAR(exposure_of(d), -0.5, 1e-6);
  PATCH_FAILS(ctx, d, "{\"undo\": 1, \"gesture\": \"g\"}",
              "gesture: expected a name of 1 to 64 characters, given with \"set\" alone");
  PATCH_FAILS(ctx, d, "{\"set\": {}, \"gesture\": 3}",
              "gesture: expected a name of 1 to 64 characters, given with \"set\" alone");
  dm_edit_doc_free(d);
}

static void test_history(dm_context *ctx, const char *dir) {
  dm_edit_doc *d = open_doc(ctx, photo_copy("grace_hopper", dir, "history.jpg"), NULL);
  PATCH_FAILS(ctx, d, "{\"undo\": 1}", "undo: nothing to undo");
  PATCH_FAILS(ctx, d, "{\"redo\": true}", "redo: nothing to redo");
  PATCH_FAILS(ctx, d, "{\"undo\": 2}", "undo: expected 1 (one step at a time)");
  static const char *const steps[] = {
      "{\"add_correction\": {\"name\": \"Background\", \"mask\": [{\"kind\": \"background\"}]}}",
      "{\"set\": {\"correction[0].exposure\": -0.7}}",
      "{\"set\": {\"correction[0].exposure\": -1.2}}",
      "{\"add_mask\": {\"correction\": 0, \"kind\": \"depth_range\", \"mode\": \"intersect\"}}",
      "{\"set\": {\"correction[0].mask[1].depth_range\": [40, 100], \"lens_blur.amount\": 60}}",
      "{\"add_correction\": {\"name\": \"Subject\", \"texture\": 10}}",
      "{\"remove_mask\": {\"correction\": 0, \"mask\": 0}}",
      "{\"remove_correction\": 0}",
  };
  enum { N = sizeof steps / sizeof steps[0] };
  json_t *states[N + 1];
  states[0] = recipe_of(d);
  for (int i = 0; i < N; i++) {
    DO(ctx, d, steps[i]);
    states[i + 1] = recipe_of(d);
    CHECK(dm_edit_doc_revision(d) == (unsigned long)i + 1);
  }
  /* Back to the start, each state exactly as it was. */
  for (int i = N - 1; i >= 0; i--) {
    json_t *reply = PATCH(ctx, d, "{\"undo\": 1}");
    json_t *r = recipe_of(d);
    if (!json_equal(r, states[i])) {
      fprintf(stderr, "undo to state %d differs\n", i);
      dm_test_failures++;
    }
    CHECK(json_array_size(json_object_get(reply, "changed")) > 0);
    json_decref(reply);
    json_decref(r);
  }
  CHECK(dm_edit_doc_recipe(d)->n_corrections == 0);
  PATCH_FAILS(ctx, d, "{\"undo\": 1}", "undo: nothing to undo");
  /* And forward again. */
  for (int i = 1; i <= N; i++) {
    DO(ctx, d, "{\"redo\": 1}");
    json_t *r = recipe_of(d);
    if (!json_equal(r, states[i])) {
      fprintf(stderr, "redo to state %d differs\n", i);
      dm_test_failures++;
    }
    json_decref(r);
  }
  PATCH_FAILS(ctx, d, "{\"redo\": 1}", "redo: nothing to redo");
  CHECK(dm_edit_doc_revision(d) == 3 * (unsigned long)N);
  /* A change after undo drops what could be redone. */
  DO(ctx, d, "{\"undo\": 1}");
  DO(ctx, d, "{\"undo\": 1}");
  DO(ctx, d, "{\"set\": {\"lens_blur.amount\": 20}}");
  PATCH_FAILS(ctx, d, "{\"redo\": 1}", "redo: nothing to redo");
  DO(ctx, d, "{\"undo\": 1}");
  json_t *r = recipe_of(d);
  CHECK(json_equal(r, states[N - 2]));
  json_decref(r);
  for (int i = 0; i <= N; i++) json_decref(states[i]);
  dm_edit_doc_free(d);
}

/* ---- Sync ---------------------------------------------------------------- */

/* The values of `r` whose keys contain `part`. */
static json_t *section(const json_t *r, const char *part) {
  json_t *out = json_object();
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)r, key, v) if (strstr(key, part)) json_object_set(out, key, v);
  return out;
}

static void test_sync(dm_context *ctx, const char *dir) {
  dm_edit_doc *a = open_doc(ctx, photo_copy("grace_hopper", dir, "sync-a.jpg"), NULL);
  dm_edit_doc *b = open_doc(ctx, photo_copy("coffee", dir, "sync-b.png"), NULL);
  DO(ctx, a, "{\"add_correction\": {\"name\": \"Background\", \"exposure\": -0.7, \"highlights\": "
             "-40, \"mask\": [{\"kind\": \"background\"}, {\"kind\": \"depth_range\", \"mode\": "
             "\"intersect\", \"depth_range\": [50, 100]}]}}");
  DO(ctx, a, "{\"add_correction\": {\"name\": \"Subject\", \"texture\": 10, \"mask\": [{\"kind\": "
             "\"subject\"}]}}");
  DO(ctx, a, "{\"set\": {\"lens_blur.amount\": 65, \"lens_blur.bokeh\": \"blades\"}}");
  DO(ctx, b, "{\"add_correction\": {\"name\": \"Vignette\", \"exposure\": 1, \"mask\": [{\"kind\": "
             "\"radial_gradient\", \"invert\": true}]}}");
  DO(ctx, b, "{\"add_correction\": {\"saturation\": 20}}");
  DO(ctx, b, "{\"add_correction\": {\"clarity\": 30}}");
  json_t *ra = recipe_of(a), *before = recipe_of(b);
  unsigned long rev = dm_edit_doc_revision(b);

  const char *masks[] = {"masks"}, *adjust[] = {"adjust"}, *lens[] = {"lens_blur"},
             *bogus[] = {"masks", "crop"};
  CHECK(dm_edit_doc_sync(ctx, a, b, bogus, 2) == DM_ERR_PARAM &&
        !strcmp(dm_context_error(ctx), "sections: unknown section \"crop\" (masks, adjust or lens_blur)"));
  CHECK_OK(ctx, dm_edit_doc_sync(ctx, a, b, masks, 1));
  CHECK(dm_edit_doc_revision(b) == rev + 1); /* one change */
  json_t *rb = recipe_of(b);
  json_t *ma = section(ra, ".mask["), *mb = section(rb, ".mask[");
  CHECK(json_equal(ma, mb));
  CHECK(dm_edit_doc_recipe(b)->n_corrections == 2);
  CHECK(!strcmp(str(rb, "correction[0].name"), "Background"));
  CHECK(num(rb, "correction[0].exposure") == 1);     /* b's own sliders */
  CHECK(num(rb, "correction[1].saturation") == 20);
  CHECK(num(rb, "correction[1].texture") == 0);
  CHECK(num(rb, "lens_blur.amount") == 50);          /* not synced */
  json_decref(ma);
  json_decref(mb);
  json_decref(rb);
  /* One undo takes it all back. */
  DO(ctx, b, "{\"undo\": 1}");
  rb = recipe_of(b);
  CHECK(json_equal(rb, before));
  json_decref(rb);
  /* Sliders only, on the corrections both have; then the lens blur. */
  CHECK_OK(ctx, dm_edit_doc_sync(ctx, a, b, adjust, 1));
  CHECK_OK(ctx, dm_edit_doc_sync(ctx, a, b, lens, 1));
  rb = recipe_of(b);
  CHECK(num(rb, "correction[0].exposure") == -0.7 && num(rb, "correction[0].highlights") == -40);
  CHECK(num(rb, "correction[1].texture") == 10 && num(rb, "correction[1].saturation") == 0);
  CHECK(num(rb, "correction[2].clarity") == 30);     /* a has no third */
  CHECK(!strcmp(str(rb, "correction[0].mask[0].kind"), "radial_gradient"));
  json_t *la = section(ra, "lens_blur."), *lb = section(rb, "lens_blur.");
  CHECK(json_equal(la, lb));
  json_decref(la);
  json_decref(lb);
  json_decref(rb);
  /* All three: b's corrections become a's. */
  const char *all[] = {"masks", "adjust", "lens_blur"};
  CHECK_OK(ctx, dm_edit_doc_sync(ctx, a, b, all, 3));
  rb = recipe_of(b);
  CHECK(json_equal(ra, rb));
  json_decref(rb);
  json_decref(ra);
  json_decref(before);
  dm_edit_doc_free(a);
  dm_edit_doc_free(b);
}

int main(void) {
  dm_context *ctx = dm_context_new(1);
  const char *dir = dm_test_tmpdir("test_edit_doc");
  test_state(ctx, dir);
  test_set(ctx, dir);
  test_structure(ctx, dir);
  test_history(ctx, dir);
  test_gesture(ctx, dir);
  test_sync(ctx, dir);
  dm_context_free(ctx);
  return dm_test_done("test_edit_doc");
}
