/* The dof-eval quality bars of depth_range (tests/mask/test_mask_dof*.c):
 * load a ../shared/dof-eval scene, pick the eyedropper point, render a
 * depth range and score it against the scene's true subject mask.
 *
 * Sample point: where a user would click on the subject. Taken from the
 * truth (the algorithm never sees it): the pixel of mask_gt >= 0.99 whose
 * 41x41 box is all subject, nearest to the centroid of mask_gt >= 0.5.
 * Box half-size for the eyedropper: 1/100 of the long side.
 * IoU: (mask >= 0.5) against (mask_gt >= 0.5). Edge band: pixels within
 * 12 px (Chebyshev) of both sides of mask_gt >= 0.5; band error: mean
 * |mask - mask_gt| there. The un-refined mask is dm_mask_depth_ramp of the
 * same depth with the same range and smoothness. */
#ifndef DM_MASK_DOF_H
#define DM_MASK_DOF_H

#include <sys/stat.h>

#include "core/resample.h"
#include "depth/scene.h"
#include "mask/mask_kinds.h"
#include "mask_test.h"

#define DOF_DIR DM_SOURCE_DIR "/../shared/dof-eval/scenes/"

typedef struct {
  dm_image work, gt;       /* photo (working space), truth 0..1 */
  dm_depth depth;          /* near01 */
  dm_image matte;          /* fused case only */
  dm_scene scene;
  int fused;
} dof_scene;

static inline double dof_json_number(const char *js, const char *key) {
  const char *p = strstr(js, key);
  if (!p) return NAN;
  p = strchr(p, ':');
  return p ? atof(p + 1) : NAN;
}

/* dir/file into out; a path that does not fit ends the test. */
static inline void dof_path(char *out, size_t n, const char *dir, const char *file) {
  if ((size_t)snprintf(out, n, "%s/%s", dir, file) >= n) {
    fprintf(stderr, "path too long: %s/%s\n", dir, file);
    exit(1);
  }
}

/* A scene from its folder (the kit's, tests/data/dof-report's or any other
 * folder the renderer wrote). */
static inline void dof_load_dir(dm_context *ctx, const char *dir, int fused, dof_scene *s) {
  char path[1024];
  memset(s, 0, sizeof *s);
  s->fused = fused;
  dof_path(path, sizeof path, dir, "aif.png");
  dm_decoded dec = {0};
  if (dm_io_read(ctx, path, &dec) || dm_color_to_working_inplace(ctx, &dec, path)) {
    fprintf(stderr, "%s: %s\n", path, dm_context_error(ctx));
    exit(1);
  }
  s->work = dec.img;
  dec.img = (dm_image){0};
  const int w = s->work.width, h = s->work.height;
  dof_path(path, sizeof path, dir, "mask_gt.png");
  dm_depth g = {0};
  dm_depth_file_spec gs = {.path = path, .encoding = DM_DEPTH_NEAR01};
  if (dm_depth_from_file(ctx, &gs, w, h, &g)) { /* a grey file read as 0..1 */
    fprintf(stderr, "%s: %s\n", path, dm_context_error(ctx));
    exit(1);
  }
  s->gt = g.near01;
  if (!fused) {
    dof_path(path, sizeof path, dir, "camera.json");
    size_t len;
    char *js = (char *)dm_test_read(path, &len);
    if (!js) exit(1);
    js = realloc(js, len + 1);
    js[len] = 0;
    char dpath[1024];
    dof_path(dpath, sizeof dpath, dir, "depth16.png");
    dm_depth_file_spec spec = {.path = dpath, .encoding = DM_DEPTH_LINEAR,
                               .near_m = (float)dof_json_number(js, "\"depth16_near_m\""),
                               .far_m = (float)dof_json_number(js, "\"depth16_far_m\"")};
    free(js);
    if (dm_depth_from_file(ctx, &spec, w, h, &s->depth)) {
      fprintf(stderr, "%s: %s\n", dpath, dm_context_error(ctx));
      exit(1);
    }
  } else {
    /* A cache that survives between runs: the networks run once. */
    char cache[1024];
    snprintf(cache, sizeof cache, "%s/test-cache/mask_dof", DM_BUILD_DIR);
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", cache);
    if (system(cmd) != 0) exit(1);
    dof_path(path, sizeof path, dir, "aif.png");
    dm_scene_options opt = {.cache_dir = cache};
    if (dm_scene_build(ctx, path, &s->work, 1, &opt, &s->scene)) {
      fprintf(stderr, "%s: %s\n", path, dm_context_error(ctx));
      exit(1);
    }
    s->depth = s->scene.depth;
    s->matte = s->scene.matte;
  }
}

static inline void dof_load(dm_context *ctx, const char *name, int fused, dof_scene *s) {
  char dir[1024];
  snprintf(dir, sizeof dir, DOF_DIR "%s", name);
  dof_load_dir(ctx, dir, fused, s);
}

/* Replace the depth by itself shrunk `factor` times (area) and brought back
 * (bilinear): a depth map at 1/factor of the photo's resolution, upsampled
 * as a phone's or a network's is. */
static inline void dof_shrink_depth(dm_context *ctx, dof_scene *s, int factor) {
  dm_image *d = &s->depth.near01, lo, up;
  CHECK_OK(ctx, dm_resized_plane(ctx, d, d->width / factor, d->height / factor, 0, &lo, "depth"));
  CHECK_OK(ctx, dm_resized_plane(ctx, &lo, d->width, d->height, 0, &up, "depth"));
  dm_image_free(&lo);
  dm_image_free(d);
  *d = up;
}

static inline void dof_free(dof_scene *s) {
  dm_image_free(&s->work);
  dm_image_free(&s->gt);
  if (s->fused)
    dm_scene_free(&s->scene);
  else
    dm_depth_free(&s->depth);
}

/* The click point (see the header comment). */
static inline void dof_click(const dof_scene *s, int *cx, int *cy) {
  const dm_image *g = &s->gt;
  double sx = 0, sy = 0, n = 0;
  for (int y = 0; y < g->height; y++)
    for (int x = 0; x < g->width; x++)
      if (mt_at(g, x, y) >= 0.5f) sx += x, sy += y, n++;
  sx /= n, sy /= n;
  double best = 1e30;
  *cx = (int)sx, *cy = (int)sy;
  const int R = 20;
  for (int y = R; y < g->height - R; y += 2)
    for (int x = R; x < g->width - R; x += 2) {
      double d = (x - sx) * (x - sx) + (y - sy) * (y - sy);
      if (d >= best) continue;
      int inside = 1;
      for (int j = -R; j <= R && inside; j += 4)
        for (int i = -R; i <= R && inside; i += 4) inside = mt_at(g, x + i, y + j) >= 0.99f;
      if (inside) best = d, *cx = x, *cy = y;
    }
}

typedef struct {
  double iou, iou_raw, band_refined, band_raw;
} dof_score;

/* IoU of m >= 0.5 (and of raw >= 0.5) and band error of m and of `raw`
 * against the truth. */
static inline dof_score dof_evaluate(const dm_image *m, const dm_image *raw, const dm_image *gt) {
  const int w = gt->width, h = gt->height, R = 12;
  /* Integral image of the binary truth, for the band test. */
  double *ii = calloc((size_t)(w + 1) * (h + 1), sizeof *ii);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      ii[(size_t)(y + 1) * (w + 1) + x + 1] = (mt_at(gt, x, y) >= 0.5f) + ii[(size_t)y * (w + 1) + x + 1] +
                                             ii[(size_t)(y + 1) * (w + 1) + x] - ii[(size_t)y * (w + 1) + x];
  double inter = 0, uni = 0, inter_raw = 0, uni_raw = 0, er = 0, eraw = 0, nb = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      const float t = mt_at(gt, x, y), v = mt_at(m, x, y);
      inter += (v >= 0.5f) && (t >= 0.5f);
      uni += (v >= 0.5f) || (t >= 0.5f);
      inter_raw += (mt_at(raw, x, y) >= 0.5f) && (t >= 0.5f);
      uni_raw += (mt_at(raw, x, y) >= 0.5f) || (t >= 0.5f);
      int x0 = x - R < 0 ? 0 : x - R, x1 = x + R + 1 > w ? w : x + R + 1;
      int y0 = y - R < 0 ? 0 : y - R, y1 = y + R + 1 > h ? h : y + R + 1;
      double in = ii[(size_t)y1 * (w + 1) + x1] - ii[(size_t)y0 * (w + 1) + x1] -
                  ii[(size_t)y1 * (w + 1) + x0] + ii[(size_t)y0 * (w + 1) + x0];
      if (in > 0 && in < (double)(x1 - x0) * (y1 - y0)) {
        er += fabs(v - t);
        eraw += fabs(mt_at(raw, x, y) - t);
        nb++;
      }
    }
  free(ii);
  dof_score s = {.iou = uni > 0 ? inter / uni : 0, .iou_raw = uni_raw > 0 ? inter_raw / uni_raw : 0,
                 .band_refined = er / nb, .band_raw = eraw / nb};
  return s;
}

/* Eyedropper on the subject, depth range (optionally intersected with
 * subject), scored; prints one line and returns the score. */
static inline dof_score dof_run(dm_context *ctx, const char *name, dof_scene *s, int with_subject) {
  int cx, cy;
  dof_click(s, &cx, &cy);
  const int side = s->work.width > s->work.height ? s->work.width : s->work.height;
  float value, range[2];
  CHECK_OK(ctx, dm_mask_depth_sample(ctx, &s->depth.near01, cx, cy, side / 100, &value, range));
  dm_mask_component c[2];
  dm_mask_component_init(&c[0], DM_MASK_DEPTH_RANGE);
  c[0].depth_range[0] = range[0], c[0].depth_range[1] = range[1];
  dm_mask_component_init(&c[1], DM_MASK_SUBJECT);
  c[1].mode = DM_MASK_INTERSECT;
  dm_image m, raw;
  mt_alloc_mask(ctx, &s->work, &m);
  mt_alloc_mask(ctx, &s->work, &raw);
  dm_mask_inputs in = {.image = &s->work, .depth = &s->depth.near01,
                       .matte = s->matte.data ? &s->matte : NULL};
  CHECK_OK(ctx, dm_mask_render(ctx, c, with_subject ? 2 : 1, &in, &m));
  const float wr = dm_mask_depth_ramp_width(c[0].smoothness);
  for (int y = 0; y < raw.height; y++)
    for (int x = 0; x < raw.width; x++) {
      float v = dm_mask_depth_ramp(100 * mt_at(&s->depth.near01, x, y), range[0], range[1], wr);
      if (with_subject) v *= mt_at(&s->matte, x, y);
      dm_px(&raw, x, y)[0] = v;
    }
  dof_score sc = dof_evaluate(&m, &raw, &s->gt);
  if (getenv("DM_MASK_DOF_DUMP")) { /* for looking at the masks by eye */
    char path[1200];
    dm_write_options wo = {.format = DM_FMT_PNG, .bits = 8};
    const char *dir = getenv("DM_MASK_DOF_DUMP");
    snprintf(path, sizeof path, "%s/%.4s_%s%s_mask.png", dir, name, s->fused ? "fused" : "true",
             with_subject ? "_subject" : "");
    dm_io_write(ctx, path, &m, &wo);
    snprintf(path, sizeof path, "%s/%.4s_%s%s_raw.png", dir, name, s->fused ? "fused" : "true",
             with_subject ? "_subject" : "");
    dm_io_write(ctx, path, &raw, &wo);
  }
  printf("%s %s%s: click %d,%d depth %.2f range %.2f..%.2f IoU %.4f (raw %.4f) band error refined "
         "%.4f raw %.4f\n",
         name, s->fused ? "fused" : "true-depth", with_subject ? " & subject" : "", cx, cy,
         (double)value, (double)range[0], (double)range[1], sc.iou, sc.iou_raw, sc.band_refined,
         sc.band_raw);
  dm_image_free(&m);
  dm_image_free(&raw);
  return sc;
}

#endif
