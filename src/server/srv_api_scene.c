/* What the masking tools look at: GET /api/depth (Visualize Depth), GET
 * /api/mask (one correction's mask, or its red overlay), GET
 * /api/histogram (of depth: for the Depth Range and Focal Range handles; of
 * the image: RGB with clipping counts), GET /api/sample (the depth
 * eyedropper, dm_mask_depth_sample as `depthmask mask --sample`).
 *
 * What reads depth or the matte answers 503 with the scene's progress
 * until it is built (or, when the build failed, with why). A mask that
 * reads neither and the image's histogram do not wait: without the
 * networks everything but depth and Subject still works. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blur/blur.h"
#include "color/color.h"
#include "core/resample.h"
#include "server/srv_internal.h"

/* The scene at `level`, or NULL after replying 503 with the progress. */
static const dm_scene *scene_or_503(srv_photo *p, dm_graph *g, dm_graph_level level,
                                    dm_http_reply *reply) {
  const dm_scene *sc = dm_graph_scene(g, level);
  if (sc) return sc;
  json_t *progress = srv_scene_progress_json(p);
  int failed = json_is_true(json_object_get(progress, "failed"));
  const char *why = json_string_value(json_object_get(progress, "error"));
  char msg[700];
  snprintf(msg, sizeof msg,
           failed ? "there is no depth: %s" : "the scene (depth and matte) is being built",
           why ? why : "");
  srv_reply_json(reply, 503,
                 json_pack("{s:o, s:o}", "error", srv_json_text(msg), "progress", progress));
  return NULL;
}

static dm_context *new_ctx(dm_http_reply *reply) {
  dm_context *ctx = dm_context_new(1);
  if (!ctx) srv_reply_error(reply, 503, "out of memory");
  return ctx;
}

/* Query `key` as one of two words, `a` when absent; NULL (the 400 sent) for
 * any other. */
static const char *query_choice(const srv_request *rq, const char *key, const char *a,
                                const char *b, dm_http_reply *reply) {
  const char *v = srv_query(rq, key);
  if (!v) return a;
  if (!strcmp(v, a) || !strcmp(v, b)) return v;
  srv_reply_error(reply, 400, "%s must be %s or %s, not \"%s\"", key, a, b, v);
  return NULL;
}

/* ---- depth ---------------------------------------------------------------- */

void srv_api_depth(dm_server *srv, srv_photo *p, const srv_request *rq, dm_http_reply *reply) {
  const char *viz = query_choice(rq, "viz", "heat", "grey", reply);
  if (!viz) return;
  dm_graph *g = srv_photo_graph(srv, p, reply);
  const dm_scene *sc = g ? scene_or_503(p, g, DM_LEVEL_PROXY, reply) : NULL;
  dm_context *ctx = sc ? new_ctx(reply) : NULL;
  if (!ctx) return;
  /* Visualize Depth shows the depth the blur reads: the refine strokes
   * painted in. Their masks see the photo itself here (the Refine brush's
   * do not read it; a luminance range would see it before the corrections). */
  dm_recipe r;
  dm_image refined = {0}, pic = {0};
  dm_status s = srv_recipe_snapshot(ctx, p, &r, &reply->revision);
  if (!s) {
    s = dm_refine_depth(ctx, dm_graph_photo(g, DM_LEVEL_PROXY), &r, sc, NULL, &refined);
    dm_recipe_free(&r);
  }
  const dm_image *d = refined.data ? &refined : &sc->depth.near01;
  if (!s && !strcmp(viz, "heat")) {
    s = dm_depth_heatmap(ctx, d, &pic);
  } else if (!s) {
    /* 0 = near = black; no depth (NaN) black as in the heat map. */
    s = dm_image_alloc(ctx, &pic, d->width, d->height, 1);
    for (int y = 0; !s && y < d->height; y++) {
      const float *src = dm_row(d, y);
      float *dst = dm_row(&pic, y);
      for (int x = 0; x < d->width; x++)
        dst[x] = isnan(src[x]) ? 0.0f : src[x] < 0 ? 0.0f : src[x] > 1 ? 1.0f : src[x];
    }
  }
  if (!s) s = srv_reply_encoded_jpeg(reply, ctx, &pic);
  if (s) srv_reply_status(reply, ctx, s);
  dm_image_free(&pic);
  dm_image_free(&refined);
  dm_context_free(ctx);
}

/* ---- mask ----------------------------------------------------------------- */

void srv_api_mask(dm_server *srv, srv_photo *p, const srv_request *rq, dm_http_reply *reply) {
  long n, overlay;
  if (srv_query_int(rq, "correction", 0, DM_MAX_CORRECTIONS - 1, 0, &n) < 0 ||
      srv_query_int(rq, "overlay", 0, 1, 0, &overlay) < 0) {
    srv_reply_error(reply, 400, "mask takes correction=N (0, 1, ...) and overlay=0|1");
    return;
  }
  dm_graph *g = srv_photo_graph(srv, p, reply);
  dm_context *ctx = g ? new_ctx(reply) : NULL;
  if (!ctx) return;
  dm_recipe r;
  dm_image mask = {0}, pic = {0};
  dm_status s = srv_recipe_snapshot(ctx, p, &r, NULL);
  if (s) {
    srv_reply_status(reply, ctx, s);
    dm_context_free(ctx);
    return;
  }
  const char *what;
  if (n >= r.n_corrections) {
    srv_reply_error(reply, 400, "the recipe has %d correction%s, no correction[%ld]",
                    r.n_corrections, r.n_corrections == 1 ? "" : "s", n);
  } else if (dm_correction_unrendered(&r.corrections[n], &what) >= 0) {
    srv_reply_error(reply, 422, "correction[%ld] holds a %s component, which depthmask cannot "
                    "render, so its mask cannot be shown", n, what);
  } else if (!dm_mask_needs(r.corrections[n].masks, r.corrections[n].n_masks) ||
             scene_or_503(p, g, DM_LEVEL_PROXY, reply)) {
    char base[4096];
    srv_recipe_dir(srv, p, base, sizeof base);
    s = dm_graph_mask(ctx, g, &r, base, DM_LEVEL_PROXY, (int)n, &mask);
    unsigned char *icc = NULL;
    size_t icc_len = 0;
    if (!s && overlay) s = dm_color_from_working(ctx, dm_graph_photo(g, DM_LEVEL_PROXY),
                                                 DM_PROFILE_SRGB, &pic, &icc, &icc_len);
    free(icc);
    if (!s && overlay) dm_mask_paint_overlay(&pic, &mask);
    if (!s) s = srv_reply_encoded_jpeg(reply, ctx, overlay ? &pic : &mask);
    if (s) srv_reply_status(reply, ctx, s);
  }
  dm_image_free(&pic);
  dm_image_free(&mask);
  dm_recipe_free(&r);
  dm_context_free(ctx);
}

/* ---- histogram ------------------------------------------------------------ */

/* Depth in 100 bins of one unit of the Depth Range scale (0 = near). */
static json_t *depth_histogram(const dm_image *d, const dm_image *matte) {
  long bins[100] = {0}, total = 0;
  for (int y = 0; y < d->height; y++) {
    const float *row = dm_row(d, y);
    for (int x = 0; x < d->width; x++) {
      if (isnan(row[x])) continue;
      int b = (int)(row[x] * 100.0f);
      bins[b < 0 ? 0 : b > 99 ? 99 : b]++;
      total++;
    }
  }
  json_t *a = json_array();
  for (int i = 0; i < 100; i++) json_array_append_new(a, json_integer(bins[i]));
  /* Each bin's colour in the heat map (Show Depth Map, Visualize Depth), so
   * the page draws the handles' gradient from the map itself. */
  json_t *colours = json_array();
  dm_image centres = {0}, heat = {0};
  if (dm_image_alloc(NULL, &centres, 100, 1, 1) == DM_OK) {
    for (int i = 0; i < 100; i++) dm_row(&centres, 0)[i] = (i + 0.5f) / 100.0f;
    if (dm_depth_heatmap(NULL, &centres, &heat) == DM_OK)
      for (int i = 0; i < 100; i++) {
        const float *c = dm_px(&heat, i, 0);
        json_array_append_new(colours, json_pack("[i,i,i]", (int)dm_to_u8(c[0]), (int)dm_to_u8(c[1]),
                                                 (int)dm_to_u8(c[2])));
      }
  }
  dm_image_free(&centres), dm_image_free(&heat);
  /* Where the automatic focal range ("Subject") focuses: the subject's
   * 20th, 50th and 80th depth percentiles, 0..100 (the Refine brush's Focus
   * paints the middle one then). */
  float q[3];
  dm_lens_blur_focus_depths(d, matte && matte->data ? matte : NULL, q);
  return json_pack("{s:s, s:i, s:I, s:o, s:o, s:[f,f,f]}", "of", "depth", "bins", 100, "pixels",
                   (json_int_t)total, "counts", a, "colors", colours, "subject",
                   100.0 * q[0], 100.0 * q[1], 100.0 * q[2]);
}

/* The rendered picture in sRGB, 256 bins per channel; clipped: values at or
 * below 0 and at or above 1 per channel (what ACR's triangles warn of). */
static json_t *image_histogram(const dm_image *rgb) {
  long bins[3][256] = {{0}}, lo[3] = {0}, hi[3] = {0};
  for (int y = 0; y < rgb->height; y++) {
    const float *p = dm_row(rgb, y);
    for (int x = 0; x < rgb->width; x++, p += 3)
      for (int c = 0; c < 3; c++) {
        float v = isnan(p[c]) ? 0.0f : p[c];
        if (v <= 0.0f) lo[c]++;
        if (v >= 1.0f) hi[c]++;
        int b = (int)lrintf(v * 255.0f);
        bins[c][b < 0 ? 0 : b > 255 ? 255 : b]++;
      }
  }
  json_t *ch[3];
  for (int c = 0; c < 3; c++) {
    ch[c] = json_array();
    for (int i = 0; i < 256; i++) json_array_append_new(ch[c], json_integer(bins[c][i]));
  }
  return json_pack("{s:s, s:i, s:I, s:{s:o, s:o, s:o}, s:{s:[I,I,I], s:[I,I,I]}}", "of", "image",
                   "bins", 256, "pixels", (json_int_t)rgb->width * rgb->height, "counts", "r",
                   ch[0], "g", ch[1], "b", ch[2], "clipped", "shadows", (json_int_t)lo[0],
                   (json_int_t)lo[1], (json_int_t)lo[2], "highlights", (json_int_t)hi[0],
                   (json_int_t)hi[1], (json_int_t)hi[2]);
}

void srv_api_histogram(dm_server *srv, srv_photo *p, const srv_request *rq, dm_http_reply *reply) {
  const char *of = query_choice(rq, "of", "image", "depth", reply);
  if (!of) return;
  dm_graph *g = srv_photo_graph(srv, p, reply);
  if (!g) return;
  if (!strcmp(of, "depth")) {
    const dm_scene *sc = scene_or_503(p, g, DM_LEVEL_PROXY, reply);
    if (sc) srv_reply_json(reply, 200, depth_histogram(&sc->depth.near01, &sc->matte));
    return;
  }
  dm_context *ctx = new_ctx(reply);
  if (!ctx) return;
  dm_recipe r;
  dm_image out = {0}, rgb = {0};
  dm_status s = srv_recipe_snapshot(ctx, p, &r, NULL);
  char base[4096];
  srv_recipe_dir(srv, p, base, sizeof base);
  dm_graph_view v = {.level = DM_LEVEL_PROXY};
  int pending = 0;
  if (!s) s = dm_graph_render(ctx, g, &r, base, &v, &out, &pending);
  unsigned char *icc = NULL;
  size_t icc_len = 0;
  if (!s) s = dm_color_from_working(ctx, &out, DM_PROFILE_SRGB, &rgb, &icc, &icc_len);
  free(icc);
  if (!s) {
    if (pending) snprintf(reply->scene, sizeof reply->scene, "pending");
    srv_reply_json(reply, 200, image_histogram(&rgb));
  } else {
    srv_reply_status(reply, ctx, s);
  }
  dm_recipe_free(&r); /* safe after a failed snapshot too */
  dm_image_free(&rgb);
  dm_image_free(&out);
  dm_context_free(ctx);
}

/* ---- the eyedropper ------------------------------------------------------- */

void srv_api_sample(dm_server *srv, srv_photo *p, const srv_request *rq, dm_http_reply *reply) {
  long x, y, r;
  if (srv_query_int(rq, "x", 0, 1 << 20, -1, &x) < 1 ||
      srv_query_int(rq, "y", 0, 1 << 20, -1, &y) < 1 ||
      srv_query_int(rq, "r", 0, 1000, 0, &r) < 0) {
    srv_reply_error(reply, 400, "sample takes x, y (pixels of the photo) and r (0 to 1000)");
    return;
  }
  /* Sampled on the preview's scene (the full-size one is not kept between
   * full-size renders): x, y and r are brought to its scale. */
  dm_graph *g = srv_photo_graph(srv, p, reply);
  const dm_scene *sc = g ? scene_or_503(p, g, DM_LEVEL_PROXY, reply) : NULL;
  dm_context *ctx = sc ? new_ctx(reply) : NULL;
  if (!ctx) return;
  const dm_image *d = &sc->depth.near01;
  int fw, fh;
  dm_graph_size(g, &fw, &fh);
  float v, range[2];
  dm_status s = DM_OK;
  if (!d->data) s = dm_fail(ctx, DM_ERR_PARAM, p->name, "the scene has no depth");
  else if (x >= fw || y >= fh)
    s = dm_fail(ctx, DM_ERR_RANGE, p->name, "%ld,%ld is outside the %dx%d photo", x, y, fw, fh);
  if (!s) {
    double k = (double)d->width / fw;
    int px = (int)(x * k), py = (int)((double)y * d->height / fh), pr = (int)(r * k + 0.5);
    px = px < d->width ? px : d->width - 1, py = py < d->height ? py : d->height - 1;
    s = dm_mask_depth_sample(ctx, d, px, py, pr, &v, range);
  }
  if (s) {
    srv_reply_status(reply, ctx, s);
  } else {
    srv_reply_json(reply, 200, json_pack("{s:I, s:I, s:I, s:f, s:[f,f], s:o}", "x", (json_int_t)x,
                                         "y", (json_int_t)y, "r", (json_int_t)r, "depth", (double)v,
                                         "range", (double)range[0], (double)range[1], "source",
                                         srv_json_text(sc->depth_source)));
  }
  dm_context_free(ctx);
}
