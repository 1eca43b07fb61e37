/* Helpers for the matte and network-depth tests: the real photos and the
 * dof-eval reference scenes (../shared/dof-eval/scenes/<name>/aif.png, the
 * true soft subject matte mask_gt.png, true depth depth16.png), and the
 * scores (IoU, error in the band around the true edge). */
#ifndef DM_SCENE_UTIL_H
#define DM_SCENE_UTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/resample.h"
#include "dm_test.h"
#include "io/io.h"

static const char *const dm_scenes[] = {"dev1_chelsea_1.2m_bg5m_lights", "dev2_chelsea_2.5m_fg1m_bg12m",
                                        "dev3_chelsea_on_gravel_0.5to15m"};
#define DM_N_SCENES 3

static inline const char *scene_path(const char *scene, const char *file) {
  static char path[4096];
  snprintf(path, sizeof path, "%s/../shared/dof-eval/scenes/%s/%s", DM_SOURCE_DIR, scene, file);
  return path;
}

/* A file with `channels` channels (3: an RGB photo as encoded, sRGB
 * [0, 1]; 1: a grey plane in [0, 1]); 0 on failure. */
static inline int load_channels(dm_context *ctx, const char *path, int channels, dm_image *out) {
  dm_decoded d = {0};
  dm_status s = dm_io_read(ctx, path, &d);
  if (s || d.img.channels != channels) {
    fprintf(stderr, "%s: %s\n", path, s ? dm_context_error(ctx) : channels == 3 ? "not RGB" : "not grey");
    dm_test_failures++;
    dm_decoded_free(&d);
    return 0;
  }
  *out = d.img;
  d.img.data = NULL;
  d.img.owns = 0;
  dm_decoded_free(&d);
  return 1;
}

static inline int load_rgb(dm_context *ctx, const char *path, dm_image *out) {
  return load_channels(ctx, path, 3, out);
}

static inline int load_grey(dm_context *ctx, const char *path, dm_image *out) {
  return load_channels(ctx, path, 1, out);
}

/* A network wrapper (dm_matte_network, dm_depth_network) with the models
 * folder pointed at nothing: DM_ERR_IO, nothing returned, and a message
 * naming the folder and `role`. */
typedef dm_status (*network_fn)(dm_context *, const dm_image *, dm_image *,
                                const struct dm_model_entry **);
static inline void check_missing_models(dm_context *ctx, const dm_image *photo, network_fn run,
                                        const char *role) {
  const char *old = getenv("DEPTHMASK_MODELS");
  char *saved = old ? strdup(old) : NULL;
  setenv("DEPTHMASK_MODELS", "/nonexistent", 1);
  dm_image out = {0};
  const struct dm_model_entry *used = (const struct dm_model_entry *)1;
  CHECK(run(ctx, photo, &out, &used) == DM_ERR_IO);
  CHECK(used == NULL && out.data == NULL);
  printf("no models: %s\n", dm_context_error(ctx));
  CHECK(strstr(dm_context_error(ctx), "/nonexistent") != NULL);
  CHECK(strstr(dm_context_error(ctx), role) != NULL);
  if (saved) setenv("DEPTHMASK_MODELS", saved, 1);
  else unsetenv("DEPTHMASK_MODELS");
  free(saved);
}

/* Intersection over union of (a >= 0.5) and (b >= 0.5). */
static inline double iou_half(const dm_image *a, const dm_image *b) {
  long long inter = 0, uni = 0;
  for (int y = 0; y < a->height; y++)
    for (int x = 0; x < a->width; x++) {
      int p = dm_row(a, y)[x] >= 0.5f, q = dm_row(b, y)[x] >= 0.5f;
      inter += p && q;
      uni += p || q;
    }
  return uni ? (double)inter / (double)uni : 1.0;
}

/* 1 where a pixel is within `radius` px (Euclidean) of a pixel on the other
 * side of truth = 0.5, else 0: the band around the true edge. Brute force
 * over the disc; radius is small. */
static inline unsigned char *edge_band(const dm_image *truth, int radius) {
  const int w = truth->width, h = truth->height;
  unsigned char *band = calloc((size_t)w * h, 1);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      const int in = dm_row(truth, y)[x] >= 0.5f;
      /* an edge pixel: a 4-neighbour on the other side */
      int edge = 0;
      if (x > 0 && (dm_row(truth, y)[x - 1] >= 0.5f) != in) edge = 1;
      if (x + 1 < w && (dm_row(truth, y)[x + 1] >= 0.5f) != in) edge = 1;
      if (y > 0 && (dm_row(truth, y - 1)[x] >= 0.5f) != in) edge = 1;
      if (y + 1 < h && (dm_row(truth, y + 1)[x] >= 0.5f) != in) edge = 1;
      if (!edge) continue;
      for (int dy = -radius; dy <= radius; dy++)
        for (int dx = -radius; dx <= radius; dx++) {
          const int xx = x + dx, yy = y + dy;
          if (xx >= 0 && yy >= 0 && xx < w && yy < h && dx * dx + dy * dy <= radius * radius)
            band[(size_t)yy * w + xx] = 1;
        }
    }
  return band;
}

/* Mean |a - b| over the band. */
static inline double band_error(const dm_image *a, const dm_image *b, const unsigned char *band) {
  double s = 0;
  long long n = 0;
  for (int y = 0; y < a->height; y++)
    for (int x = 0; x < a->width; x++)
      if (band[(size_t)y * a->width + x]) {
        s += fabs((double)dm_row(a, y)[x] - dm_row(b, y)[x]);
        n++;
      }
  return n ? s / (double)n : 0;
}

#endif
