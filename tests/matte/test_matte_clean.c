/* The matte's clean (dm_matte_clean, src/matte/matte_layers.c): values
 * below 1/16 that are not connected to the subject (through values of at
 * least 1/16, 8-neighbours, to a value of at least 0.5) become 0 unless
 * they touch the connected region. Checked against a breadth-first search
 * from every subject pixel, on random mattes of odd sizes (narrower than
 * the sixteen-pixel scan, exactly at its edge, and wide), with 1 and 2
 * threads: blobs of subject, soft bands, stray haze, a subject touching
 * the borders, and none at all. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dm_test.h"
#include "matte/matte.h"

#define CLEAN (1.0f / 16.0f)

static uint32_t rng(uint32_t *s) { return *s = *s * 1664525u + 1013904223u; }
static float unit(uint32_t *s) { return (float)(rng(s) >> 8) / 16777216.0f; }

/* The clean by the definition, one pixel at a time. */
static void reference(float *a, int w, int h) {
  const size_t n = (size_t)w * h;
  uint8_t *seen = calloc(n, 1);
  size_t *queue = malloc(n * sizeof *queue), head = 0, tail = 0;
  for (size_t i = 0; i < n; i++)
    if (a[i] >= 0.5f) seen[i] = 1, queue[tail++] = i;
  while (head < tail) {
    const size_t i = queue[head++];
    const int x = (int)(i % (size_t)w), y = (int)(i / (size_t)w);
    for (int yy = y - 1; yy <= y + 1; yy++)
      for (int xx = x - 1; xx <= x + 1; xx++) {
        if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
        const size_t k = (size_t)yy * w + xx;
        if (!seen[k] && a[k] >= CLEAN) seen[k] = 1, queue[tail++] = k;
      }
  }
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      const size_t i = (size_t)y * w + x;
      if (a[i] <= 0.0f || a[i] >= CLEAN || seen[i]) continue;
      int near = 0;
      for (int yy = y - 1; yy <= y + 1; yy++)
        for (int xx = x - 1; xx <= x + 1; xx++)
          near |= xx >= 0 && yy >= 0 && xx < w && yy < h && seen[(size_t)yy * w + xx];
      if (!near) a[i] = 0.0f;
    }
  free(seen), free(queue);
}

/* A random matte: kind 0 blobs with soft edges and haze, 1 haze only,
 * 2 thin chains of mid values from the subject, 3 subject over the borders. */
static void make(float *a, int w, int h, int kind, uint32_t *s) {
  for (int i = 0; i < w * h; i++) a[i] = unit(s) < 0.3f ? 0.1f * unit(s) : 0.0f; /* haze */
  if (kind == 1) return;
  const int blobs = kind == 3 ? 4 : 2;
  for (int b = 0; b < blobs; b++) {
    const float cx = kind == 3 ? (b & 1 ? (float)w : 0.0f) : unit(s) * w, cy = unit(s) * h;
    const float r = 1.0f + unit(s) * 0.3f * (float)(w < h ? w : h);
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        const float d = sqrtf((x - cx) * (x - cx) + (y - cy) * (y - cy)) - r;
        const float v = 0.5f - d * 0.15f; /* soft over a few pixels */
        if (v > a[(size_t)y * w + x]) a[(size_t)y * w + x] = v > 1.0f ? 1.0f : v;
      }
  }
  if (kind == 2)
    for (int c = 0; c < 6; c++) { /* a chain of values of at least CLEAN, wandering */
      int x = (int)(unit(s) * w), y = (int)(unit(s) * h);
      for (int k = 0; k < 40; k++) {
        a[(size_t)y * w + x] = CLEAN + 0.3f * unit(s);
        x += (int)(rng(s) % 3) - 1, y += (int)(rng(s) % 3) - 1;
        x = x < 0 ? 0 : (x >= w ? w - 1 : x), y = y < 0 ? 0 : (y >= h ? h - 1 : y);
      }
    }
}

int main(void) {
  static const int sizes[][2] = {{1, 1}, {5, 9}, {17, 12}, {18, 18}, {19, 3}, {33, 40}, {100, 37}, {257, 64}};
  uint32_t seed = 11;
  long wrong_total = 0;
  for (int threads = 1; threads <= 2; threads++) {
    dm_context *ctx = dm_context_new(threads);
    for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++)
      for (int kind = 0; kind < 4; kind++) {
        const int w = sizes[z][0], h = sizes[z][1];
        dm_image img = {0};
        CHECK_OK(ctx, dm_image_alloc(ctx, &img, w, h, 1));
        float *want = malloc(sizeof(float) * (size_t)w * h);
        make(want, w, h, kind, &seed);
        for (int y = 0; y < h; y++) memcpy(dm_row(&img, y), want + (size_t)y * w, sizeof(float) * (size_t)w);
        reference(want, w, h);
        CHECK_OK(ctx, dm_matte_clean(ctx, &img));
        long wrong = 0;
        for (int y = 0; y < h; y++)
          for (int x = 0; x < w; x++) wrong += dm_row(&img, y)[x] != want[(size_t)y * w + x];
        if (wrong) printf("%dx%d kind %d, %d threads: %ld pixels differ\n", w, h, kind, threads, wrong);
        CHECK(wrong == 0);
        wrong_total += wrong;
        free(want);
        dm_image_free(&img);
      }
    dm_context_free(ctx);
  }
  printf("%ld pixels differ from the definition over %zu mattes\n", wrong_total,
         2 * 4 * sizeof sizes / sizeof *sizes);
  return dm_test_done("matte/test_matte_clean");
}
