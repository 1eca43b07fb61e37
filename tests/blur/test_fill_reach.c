/* How far a layer's fill reaches (bl_push_pull, src/blur/fill.c): a cell
 * is beyond when no cell with coverage lies within `reach` cells of it
 * (Euclidean). The exact distance transform (column sweeps, then the lower
 * envelope along rows) against a brute-force search, on random layers of
 * odd sizes: sparse points, blobs, whole rows and columns covered, a layer
 * with no coverage at all and one covered everywhere. */
#include <float.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blur/blur_internal.h"
#include "dm_test.h"

static uint32_t rng(uint32_t *s) { return *s = *s * 1664525u + 1013904223u; }

/* Brute force: is any covered cell within reach of (x, y)? */
static int near_own(const float *own, int w, int h, int x, int y, float reach) {
  int r = (int)reach + 1;
  for (int yy = y - r; yy <= y + r; yy++)
    for (int xx = x - r; xx <= x + r; xx++) {
      if (xx < 0 || yy < 0 || xx >= w || yy >= h || !(own[((size_t)yy * w + xx) * 5 + 3] > 1e-6f)) continue;
      float d2 = (float)((xx - x) * (xx - x) + (yy - y) * (yy - y));
      if (d2 <= reach * reach) return 1;
    }
  return 0;
}

/* One layer (kind 0 sparse, 1 blobs, 2 a covered row and column, 3 none,
 * 4 all): how many cells the fill marks wrongly. */
static long check(dm_context *ctx, int w, int h, int kind, float reach, uint32_t seed) {
  bl_state *st = calloc(1, sizeof *st);
  float *own = calloc((size_t)w * h * 5, sizeof *own), *out = calloc((size_t)w * h * 4, sizeof *out);
  CHECK(st && own && out);
  if (!st || !own || !out) return -1;
  st->ctx = ctx;
  for (int i = 0; i < w * h; i++) {
    int on = kind == 4;
    if (kind == 0) on = rng(&seed) % 97 == 0;
    own[(size_t)i * 5 + 3] = (float)on;
  }
  for (int b = 0; kind == 1 && b < 6; b++) { /* discs */
    int cx = (int)(rng(&seed) % (uint32_t)w), cy = (int)(rng(&seed) % (uint32_t)h), r = (int)(rng(&seed) % 9);
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r) own[((size_t)y * w + x) * 5 + 3] = 0.5f;
  }
  if (kind == 2) {
    for (int x = 0; x < w; x++) own[((size_t)(h / 3) * w + x) * 5 + 3] = 1.0f;
    for (int y = 0; y < h; y++) own[((size_t)y * w + w - 1) * 5 + 3] = 1.0f;
  }
  uint8_t *beyond = NULL;
  CHECK_OK(ctx, bl_push_pull(st, w, h, own, NULL, reach, out, &beyond));
  CHECK(beyond != NULL);
  long wrong = 0;
  for (int y = 0; beyond && y < h; y++)
    for (int x = 0; x < w; x++) {
      size_t i = (size_t)y * w + x;
      int want = !near_own(own, w, h, x, y, reach);
      wrong += beyond[i] != want || (out[i * 4 + 3] == -1.0f) != want;
    }
  bl_free(beyond);
  bl_arena_free(&st->scratch);
  free(st), free(own), free(out);
  return wrong;
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  static const int sizes[][2] = {{1, 1}, {1, 40}, {37, 1}, {61, 45}, {128, 17}, {33, 130}};
  static const float reaches[] = {0.5f, 1.0f, 2.5f, 7.0f, 12.3f};
  uint32_t seed = 5;
  long total = 0;
  for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
    for (int kind = 0; kind < 5; kind++)
      for (size_t r = 0; r < sizeof reaches / sizeof *reaches; r++) {
        long wrong = check(ctx, sizes[s][0], sizes[s][1], kind, reaches[r], rng(&seed));
        if (wrong) printf("%dx%d kind %d reach %.1f: %ld cells wrong\n", sizes[s][0], sizes[s][1], kind,
                          reaches[r], wrong);
        CHECK(wrong == 0);
        total += wrong;
      }
  printf("%ld cells marked wrongly over %zu layers\n", total,
         sizeof sizes / sizeof *sizes * 5 * sizeof reaches / sizeof *reaches);
  dm_context_free(ctx);
  return dm_test_done("blur/test_fill_reach");
}
