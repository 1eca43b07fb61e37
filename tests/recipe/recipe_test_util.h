/* Shared by the recipe tests (header-only: tests.cmake builds each
 * test_*.c on its own). */
#ifndef DM_RECIPE_TEST_UTIL_H
#define DM_RECIPE_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "dm_test.h"
#include "mask/brush.h"
#include "recipe/recipe.h"

static inline void apply_sets(dm_context *ctx, dm_recipe *r, const char *const *sets, size_t n) {
  for (size_t i = 0; i < n; i++) {
    dm_status s = dm_recipe_set(ctx, r, sets[i]);
    if (s) {
      fprintf(stderr, "--set %s failed: %s\n", sets[i], dm_context_error(ctx));
      dm_test_failures++;
    }
  }
}

/* Field-by-field equality of what the recipe models (extra excluded). */
static inline int corrections_equal(const dm_correction *a, const dm_correction *b, int ci) {
  int ok = 1;
#define DIFF(cond, ...)                                        \
  do {                                                         \
    if (cond) {                                                \
      fprintf(stderr, "correction[%d]: ", ci);                 \
      fprintf(stderr, __VA_ARGS__);                            \
      fprintf(stderr, "\n");                                   \
      ok = 0;                                                  \
    }                                                          \
  } while (0)
  DIFF(strcmp(a->name, b->name), "name \"%s\" vs \"%s\"", a->name, b->name);
  DIFF(a->active != b->active, "active %g vs %g", (double)a->active, (double)b->active);
  DIFF(a->amount != b->amount, "amount %.9g vs %.9g", (double)a->amount, (double)b->amount);
  for (int i = 0; i < DM_ADJ_COUNT; i++)
    DIFF(a->sliders.v[i] != b->sliders.v[i], "%s %.9g vs %.9g", dm_adjust_params()[i].key,
         (double)a->sliders.v[i], (double)b->sliders.v[i]);
  DIFF(a->n_masks != b->n_masks, "%d masks vs %d", a->n_masks, b->n_masks);
  for (int k = 0; ok && k < a->n_masks; k++) {
    const dm_mask_component *x = &a->masks[k], *y = &b->masks[k];
    DIFF(x->kind != y->kind, "mask %d kind %s vs %s", k, dm_mask_kind_name(x->kind),
         dm_mask_kind_name(y->kind));
    DIFF(x->mode != y->mode, "mask %d mode %s vs %s", k, dm_mask_mode_name(x->mode),
         dm_mask_mode_name(y->mode));
    if (x->kind != y->kind) continue;
    int n;
    const dm_param *t = dm_mask_params(x->kind, &n);
    for (int j = 0; j < n; j++)
      for (int e = 0; e < t[j].count; e++) {
        float u = dm_param_ptr(&t[j], (void *)x)[e], v = dm_param_ptr(&t[j], (void *)y)[e];
        DIFF(u != v, "mask %d %s[%d] %.9g vs %.9g", k, t[j].key, e, (double)u, (double)v);
      }
    if (x->kind == DM_MASK_FILE) DIFF(strcmp(x->path, y->path), "mask %d path differs", k);
    if (x->kind == DM_MASK_BRUSH) {
      int ns = dm_brush_n_strokes(x->brush);
      DIFF(ns != dm_brush_n_strokes(y->brush), "mask %d: %d strokes vs %d", k, ns,
           dm_brush_n_strokes(y->brush));
      for (int i = 0; ok && i < ns; i++) {
        const dm_brush_stroke *p = &x->brush->strokes[i], *q = &y->brush->strokes[i];
        DIFF(p->radius != q->radius || p->flow != q->flow || p->feather != q->feather ||
                 p->density != q->density || p->erase != q->erase,
             "mask %d stroke %d: settings differ", k, i);
        DIFF(p->n_dabs != q->n_dabs, "mask %d stroke %d: %d dabs vs %d", k, i, p->n_dabs, q->n_dabs);
        for (int d = 0; ok && d < p->n_dabs; d++)
          DIFF(memcmp(&p->dabs[d], &q->dabs[d], sizeof p->dabs[d]), "mask %d stroke %d dab %d "
               "differs (%.9g,%.9g r %.9g vs %.9g,%.9g r %.9g)", k, i, d, (double)p->dabs[d].x,
               (double)p->dabs[d].y, (double)p->dabs[d].radius, (double)q->dabs[d].x,
               (double)q->dabs[d].y, (double)q->dabs[d].radius);
      }
    }
  }
#undef DIFF
  return ok;
}

static inline char *write_xml(dm_context *ctx, const dm_recipe *r) {
  char *xml = NULL;
  size_t len;
  dm_status s = dm_recipe_write_mem(ctx, r, &xml, &len);
  if (s) {
    fprintf(stderr, "write failed: %s\n", dm_context_error(ctx));
    dm_test_failures++;
    return NULL;
  }
  CHECK(strlen(xml) == len);
  return xml;
}

static inline dm_status read_xml(dm_context *ctx, const char *xml, dm_recipe *r) {
  return dm_recipe_read_mem(ctx, xml, strlen(xml), "test.xmp", r);
}

static inline char *fixture_path(const char *name) {
  static char path[4096];
  snprintf(path, sizeof path, "%s/tests/recipe/fixtures/%s", DM_SOURCE_DIR, name);
  return path;
}

#endif
