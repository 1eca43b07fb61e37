/* Shared by the recipe document's tests (header-only: tests.cmake builds
 * each test_*.c on its own): photos copied into a scratch folder, PATCH
 * bodies with their replies checked, and the CLI's own messages. */
#ifndef DM_EDIT_TEST_UTIL_H
#define DM_EDIT_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dm_test.h"
#include "server/edit_doc.h"

/* Copy a photo of tests/FIXTURES.md to DIR/NAME (DIR made); the path, static. */
static inline const char *photo_copy(const char *which, const char *dir, const char *name) {
  static char path[4096];
  char cmd[9000];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp '%s' '%s'", dir, dm_test_photo(which), path);
  if (system(cmd) != 0) {
    fprintf(stderr, "cannot copy %s to %s\n", which, path);
    exit(1);
  }
  return path;
}

static inline dm_edit_doc *open_doc(dm_context *ctx, const char *photo, const char *sidecar_dir) {
  dm_edit_doc *d = NULL;
  dm_status s = dm_edit_doc_open(ctx, photo, sidecar_dir, &d);
  if (s) {
    fprintf(stderr, "open %s: %s\n", photo, dm_context_error(ctx));
    exit(1);
  }
  return d;
}

/* A PATCH that must succeed: its reply (new reference), NULL after a
 * reported failure. */
#define PATCH(ctx, d, body) patch_ok(ctx, d, body, __FILE__, __LINE__)
static inline json_t *patch_ok(dm_context *ctx, dm_edit_doc *d, const char *body,
                               const char *file, int line) {
  json_t *reply = NULL;
  dm_status s = dm_edit_doc_patch(ctx, d, body, strlen(body), &reply);
  if (s || !reply) {
    fprintf(stderr, "%s:%d: PATCH %s failed: %s\n", file, line, body, dm_context_error(ctx));
    dm_test_failures++;
    return NULL;
  }
  return reply;
}

/* The same, reply dropped. */
#define DO(ctx, d, body) json_decref(PATCH(ctx, d, body))

/* A PATCH that must fail with DM_ERR_PARAM and exactly `msg`, changing
 * neither the recipe nor the revision. */
#define PATCH_FAILS(ctx, d, body, msg) patch_fails(ctx, d, body, msg, __FILE__, __LINE__)
static inline void patch_fails(dm_context *ctx, dm_edit_doc *d, const char *body, const char *msg,
                               const char *file, int line) {
  json_t *before = dm_edit_doc_state(d), *reply = NULL;
  unsigned long rev = dm_edit_doc_revision(d);
  dm_status s = dm_edit_doc_patch(ctx, d, body, strlen(body), &reply);
  const char *e = dm_context_error(ctx);
  if (s != DM_ERR_PARAM || reply || strcmp(e, msg)) {
    fprintf(stderr, "%s:%d: PATCH %s: expected \"%s\", got %s (%s)\n", file, line, body, msg,
            s ? e : "(success)", dm_status_to_string(s));
    dm_test_failures++;
  }
  json_t *after = dm_edit_doc_state(d);
  if (!json_equal(json_object_get(before, "recipe"), json_object_get(after, "recipe")) ||
      rev != dm_edit_doc_revision(d)) {
    fprintf(stderr, "%s:%d: PATCH %s failed yet changed the recipe\n", file, line, body);
    dm_test_failures++;
  }
  json_decref(before);
  json_decref(after);
  json_decref(reply);
}

/* The recipe part of the state (new reference). */
static inline json_t *recipe_of(const dm_edit_doc *d) {
  json_t *st = dm_edit_doc_state(d);
  json_t *r = json_incref(json_object_get(st, "recipe"));
  json_decref(st);
  return r;
}

/* The state's "sidecar", which dm_edit_doc_sidecar_state gives alone. */
static inline const char *sidecar_state(const dm_edit_doc *d) {
  static char out[32];
  json_t *st = dm_edit_doc_state(d);
  snprintf(out, sizeof out, "%s", json_string_value(json_object_get(st, "sidecar")));
  json_decref(st);
  if (strcmp(out, dm_edit_doc_sidecar_state(d))) {
    fprintf(stderr, "state says %s, dm_edit_doc_sidecar_state %s\n", out, dm_edit_doc_sidecar_state(d));
    dm_test_failures++;
  }
  return out;
}

/* A recipe value as a number (NaN when absent or not a number). */
static inline double num(const json_t *recipe, const char *key) {
  const json_t *v = json_object_get(recipe, key);
  return json_is_number(v) ? json_number_value(v) : NAN;
}

static inline const char *str(const json_t *recipe, const char *key) {
  const char *s = json_string_value(json_object_get(recipe, key));
  return s ? s : "(absent)";
}

/* Does the JSON array of strings hold s? */
static inline int has(const json_t *array, const char *s) {
  for (size_t i = 0; i < json_array_size(array); i++)
    if (!strcmp(json_string_value(json_array_get(array, i)), s)) return 1;
  return 0;
}

/* The first line the CLI (DM_BIN) prints on stderr for `args`. */
static inline const char *cli_stderr(const char *args) {
  static char line[1200];
  const char *bin = getenv("DM_BIN");
  char cmd[16384];
  line[0] = 0;
  if (!bin) {
    fprintf(stderr, "DM_BIN not set (run through ctest)\n");
    dm_test_failures++;
    return line;
  }
  if (snprintf(cmd, sizeof cmd, "'%s' %s 2>&1 >/dev/null", bin, args) >= (int)sizeof cmd) {
    fprintf(stderr, "command too long\n");
    dm_test_failures++;
    return line;
  }
  FILE *p = popen(cmd, "r");
  if (p && fgets(line, sizeof line, p)) line[strcspn(line, "\n")] = 0;
  if (p) pclose(p);
  return line;
}

#endif
