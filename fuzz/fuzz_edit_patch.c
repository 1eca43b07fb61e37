/* libFuzzer target for the editor's request-to-recipe path (issue 14): the
 * input is the body of PATCH /api/recipe, given to a recipe document
 * (dm_edit_doc_patch) opened on a copy of a real photo (grace_hopper,
 * tests/FIXTURES.md) in a scratch folder; nothing is saved. An input may
 * hold several bodies separated by lines "===", applied in turn (a change,
 * then one on top of it, then undo...).
 *
 * After every body the document accepts: its recipe passes dm_recipe_check
 * and survives fuzz_recipe.h's round trip, its state builds and dumps as
 * JSON, the reply's changed keys are there exactly when the revision moved,
 * and for a change that moved it, undo gives back the state before it and
 * redo the state after. A refused body changes nothing. Seeds:
 * fuzz/seeds/edit_patch/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "fuzz_recipe.h"
#include "server/edit_doc.h"

#define SEPARATOR "\n===\n"

static dm_context *ctx;
static dm_recipe back;
static char dir[256], photo[512];

static void remove_dir(void) {
  unlink(photo);
  rmdir(dir);
}

/* The photo's bytes (only hashed: the document never decodes it). */
static void make_photo(void) {
  static const char src[] = "/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg";
  snprintf(photo, sizeof photo, "%s/photo.jpg", dir);
  uint8_t *buf = malloc(1 << 20);
  size_t n = 0;
  FILE *f = fopen(src, "rb");
  if (f) {
    n = fread(buf, 1, 1 << 20, f);
    fclose(f);
  }
  if (!n) n = (size_t)snprintf((char *)buf, 64, "not a photo, never decoded");
  if (!dm_fuzz_write(photo, buf, n)) abort();
  free(buf);
}

static json_t *recipe_now(const dm_edit_doc *d) {
  json_t *st = dm_edit_doc_state(d);
  if (!st) {
    fprintf(stderr, "the state does not build\n");
    abort();
  }
  char *text = json_dumps(st, 0);
  if (!text) {
    fprintf(stderr, "the state does not dump as JSON\n");
    abort();
  }
  free(text);
  json_t *r = json_incref(json_object_get(st, "recipe"));
  json_decref(st);
  return r;
}

static void expect_same(const json_t *a, const json_t *b, const char *what, const char *body,
                        size_t len) {
  if (json_equal(a, b)) return;
  fprintf(stderr, "%s does not give the state back; body: %.*s\n", what, (int)len, body);
  abort();
}

static void history_step(dm_edit_doc *d, const char *op) {
  json_t *reply = NULL;
  if (dm_edit_doc_patch(ctx, d, op, strlen(op), &reply) != DM_OK) {
    fprintf(stderr, "%s refused after a change: %s\n", op, dm_context_error(ctx));
    abort();
  }
  json_decref(reply);
}

static void one_body(dm_edit_doc *d, const char *body, size_t len) {
  json_t *before = recipe_now(d), *reply = NULL;
  unsigned long rev = dm_edit_doc_revision(d);
  dm_status s = dm_edit_doc_patch(ctx, d, body, len, &reply);
  json_t *after = recipe_now(d);
  if (s != DM_OK) {
    if (s != DM_ERR_PARAM && s != DM_ERR_NOMEM) {
      fprintf(stderr, "refused with %s: %s\n", dm_status_to_string(s), dm_context_error(ctx));
      abort();
    }
    expect_same(before, after, "a refused body", body, len);
  } else {
    const dm_recipe *r = dm_edit_doc_recipe(d);
    if (dm_recipe_check(ctx, r) != DM_OK) {
      fprintf(stderr, "accepted, yet the recipe fails its check: %s\n", dm_context_error(ctx));
      abort();
    }
    dm_fuzz_recipe_round_trip(ctx, r, &back);
    dm_recipe_clear(&back);
    size_t changed = json_array_size(json_object_get(reply, "changed"));
    if ((changed > 0) != (dm_edit_doc_revision(d) != rev)) {
      fprintf(stderr, "%zu keys changed, revision %lu -> %lu\n", changed, rev, dm_edit_doc_revision(d));
      abort();
    }
    int history = len >= 7 && (memmem(body, len, "\"undo\"", 6) || memmem(body, len, "\"redo\"", 6));
    if (changed && !history) {
      history_step(d, "{\"undo\": 1}");
      json_t *undone = recipe_now(d);
      expect_same(undone, before, "undo", body, len);
      json_decref(undone);
      history_step(d, "{\"redo\": 1}");
      json_t *redone = recipe_now(d);
      expect_same(redone, after, "redo", body, len);
      json_decref(redone);
    }
  }
  json_decref(reply);
  json_decref(before);
  json_decref(after);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!ctx) {
    if (!dm_fuzz_mkdtemp(dir, sizeof dir, "fuzz_edit_patch") || !(ctx = dm_context_new(1)) ||
        dm_recipe_init(ctx, &back))
      abort();
    make_photo();
    atexit(remove_dir);
  }
  dm_edit_doc *d = NULL;
  if (dm_edit_doc_open(ctx, photo, NULL, &d) != DM_OK) {
    fprintf(stderr, "cannot open the document: %s\n", dm_context_error(ctx));
    abort();
  }
  const char *text = (const char *)data, *end = text + size;
  while (text <= end) {
    const char *sep = memmem(text, (size_t)(end - text), SEPARATOR, sizeof SEPARATOR - 1);
    size_t len = sep ? (size_t)(sep - text) : (size_t)(end - text);
    one_body(d, text, len);
    if (!sep) break;
    text = sep + sizeof SEPARATOR - 1;
  }
  dm_edit_doc_free(d);
  return 0;
}
