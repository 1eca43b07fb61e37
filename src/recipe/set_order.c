/* The order several --set assignments are applied in, so that the order
 * they are given in does not matter (the CLI's --set options, the editor's
 * PATCH {"set": {...}}): corrections by index, within one its own fields,
 * then its components by index, each component's kind before its other
 * fields (a kind resets them), a brush's strokes last, by index (a stroke
 * is appended when its index is the count); the lens_blur keys after, in
 * the order given (lens_blur.active=false keeps its meaning of "off,
 * whatever else was set" only after the others); Lens Blur's refine[N]
 * keys last, ordered as a correction's (a new one's depth comes from the
 * focal range set before it). */
#include <stdlib.h>
#include <string.h>

#include "recipe/recipe.h"

/* An index of a --set key, clamped (dm_recipe_set refuses big ones). */
static long key_index(const char *s, char **end) {
  long v = strtol(s, end, 10);
  return v < 0 ? 0 : v > 1000000 ? 1000000 : v;
}

static void set_rank(const char *as, long rank[4]) {
  rank[0] = 3, rank[1] = rank[2] = rank[3] = 0;
  if (!strncmp(as, "lens_blur.", 10)) {
    rank[0] = 1;
    rank[1] = !strncmp(as, "lens_blur.active=", 17);
    return;
  }
  const char *list;
  if (!strncmp(as, "correction[", 11)) rank[0] = 0, list = as + 11;
  else if (!strncmp(as, "refine[", 7)) rank[0] = 2, list = as + 7;
  else return;
  char *end;
  rank[1] = key_index(list, &end);
  if (strncmp(end, "].mask[", 7)) return;
  rank[2] = 1 + key_index(end + 7, &end);
  rank[3] = strncmp(end, "].kind=", 7) != 0;
  if (!strncmp(end, "].stroke[", 9)) rank[3] = 2 + key_index(end + 9, &end);
}

typedef struct ranked {
  long rank[4];
  int pos; /* the given order breaks ties: the sort is stable */
  const char *as;
} ranked;

static int cmp_ranked(const void *pa, const void *pb) {
  const ranked *a = pa, *b = pb;
  for (int i = 0; i < 4; i++)
    if (a->rank[i] != b->rank[i]) return a->rank[i] < b->rank[i] ? -1 : 1;
  return a->pos < b->pos ? -1 : a->pos > b->pos;
}

dm_status dm_recipe_set_sort(dm_context *ctx, const char **assignments, int n) {
  if (n < 2) return DM_OK;
  ranked *v = malloc((size_t)n * sizeof *v);
  if (!v) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
  for (int i = 0; i < n; i++) {
    set_rank(assignments[i], v[i].rank);
    v[i].pos = i;
    v[i].as = assignments[i];
  }
  qsort(v, (size_t)n, sizeof *v, cmp_ranked);
  for (int i = 0; i < n; i++) assignments[i] = v[i].as;
  free(v);
  return DM_OK;
}
