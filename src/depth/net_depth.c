/* Monocular depth from the best installed depth network, as near01.
 *
 *   FastDepth (models/README.md): 224x224, RGB/255, output roughly metres z;
 *     its disparity is 1/z.
 *   Depth Anything V2 Small (and its int8 twin): 518x518, ImageNet mean and
 *     std, output relative disparity (larger = nearer).
 * Either disparity d becomes near01 = (d_hi - d) / (d_hi - d_lo), clamped,
 * with d_lo, d_hi its 1st and 99th percentiles, so stray pixels (sky,
 * reflections) do not squeeze the range. Done at the network's resolution,
 * then resized to the photo. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/resample.h"
#include "depth/depth.h"
#include "nn/model_store.h"
#include "nn/nn_image.h"

static int cmp_float(const void *a, const void *b) {
  const float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

/* Disparity plane (in place) to near01 by robust percentiles. */
static dm_status disparity_to_near01(dm_context *ctx, dm_image *d, const char *name) {
  const size_t n = (size_t)d->width * (size_t)d->height;
  float *sorted = malloc(n * sizeof *sorted);
  if (!sorted) return dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory");
  for (int y = 0; y < d->height; y++)
    memcpy(sorted + (size_t)y * d->width, dm_row(d, y), (size_t)d->width * sizeof *sorted);
  qsort(sorted, n, sizeof *sorted, cmp_float);
  const double lo = sorted[(size_t)(0.01 * (double)(n - 1))];
  const double hi = sorted[(size_t)(0.99 * (double)(n - 1))];
  free(sorted);
  /* A flat disparity (a wall, a blank frame) has no order: all mid-range. */
  const double span = hi - lo, inv = span > 1e-12 * fabs(hi) && span > 0 ? 1.0 / span : 0.0;
  for (int y = 0; y < d->height; y++) {
    float *p = dm_row(d, y);
    for (int x = 0; x < d->width; x++) {
      double v = inv > 0 ? (hi - p[x]) * inv : 0.5;
      p[x] = (float)(v < 0 ? 0 : v > 1 ? 1 : v);
    }
  }
  return DM_OK;
}

dm_status dm_depth_network(dm_context *ctx, const dm_image *srgb, dm_image *out,
                           const struct dm_model_entry **used) {
  static const dm_nn_norm unit = {{0, 0, 0}, {1, 1, 1}};
  static const dm_nn_norm imagenet = {{0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}};
  const dm_model_entry *m = NULL;
  char path[4096];
  dm_image low = {0};
  if (used) *used = NULL;
  dm_status s = dm_models_best(ctx, DM_MODEL_DEPTH, &m, path, sizeof path);
  if (s) return s;
  const int metres = !strcmp(m->id, "fastdepth");
  s = dm_nn_run_on_image(ctx, path, srgb, m->input_w, m->input_h, metres ? &unit : &imagenet, &low);
  if (!s && metres) /* metres to disparity; z is floored at 1 cm */
    for (int y = 0; y < low.height; y++) {
      float *p = dm_row(&low, y);
      for (int x = 0; x < low.width; x++) p[x] = 1.0f / (p[x] > 0.01f ? p[x] : 0.01f);
    }
  if (!s) s = disparity_to_near01(ctx, &low, path);
  if (!s) s = dm_resized_plane(ctx, &low, srgb->width, srgb->height, 1, out, path);
  dm_image_free(&low);
  if (!s && used) *used = m;
  return s;
}
