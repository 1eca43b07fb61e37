/* The pictures of the current recipe: GET /api/preview (fitted into w x h,
 * the proxy or, while a slider moves, the draft), GET /api/region (a
 * rectangle at 100 %), GET /api/photos/{id}/thumb (a small JPEG of the
 * photo itself).
 *
 * A preview is there at once on open: until the scene is built, the graph
 * leaves out what needs it (corrections whose masks read depth or matte,
 * the lens blur) and the reply says so (X-Depthmask-Scene: pending, or
 * failed when it will never come; X-Depthmask-Skipped names what).
 *
 * Slider previews supersede each other (the latest wins): the render a
 * newer preview cancelled answers 409 Conflict. Not 204: a 204 is a
 * success, and a client that takes every success as a picture would show
 * an empty one; 409 says "the state moved on", which a page that already
 * dropped the stale request (AbortController) never even sees. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/resample.h"
#include "io/io.h"
#include "color/color.h"
#include "server/srv_internal.h"

#define THUMB_SIDE 256

/* Render `v` of the photo's current recipe into `out`. Replies itself on
 * failure (returns nonzero then). */
static int render(dm_server *srv, srv_photo *p, dm_graph *g, dm_context *ctx,
                  const dm_graph_view *v, dm_image *out, dm_http_reply *reply) {
  dm_recipe r;
  dm_status s = srv_recipe_snapshot(ctx, p, &r, &reply->revision);
  if (s) {
    srv_reply_status(reply, ctx, s);
    return 1;
  }
  char base[4096];
  srv_recipe_dir(srv, p, base, sizeof base);
  int pending = 0;
  s = dm_graph_render(ctx, g, &r, base, v, out, &pending);
  if (!s && pending) {
    dm_graph_progress pr;
    dm_graph_progress_get(g, &pr);
    snprintf(reply->scene, sizeof reply->scene, "%s", pr.failed ? "failed" : "pending");
    srv_recipe_scene_parts(&r, reply->skipped, sizeof reply->skipped);
  }
  dm_recipe_free(&r);
  if (s == DM_ERR_CANCELLED) srv_reply_error(reply, 409, "superseded by a newer preview");
  else if (s) srv_reply_status(reply, ctx, s);
  return s != DM_OK;
}

/* `img` shrunk (never grown) to fit w x h; 0 leaves that side free. */
static dm_status fit(dm_context *ctx, dm_image *img, long w, long h) {
  double sx = w ? (double)w / img->width : 1.0, sy = h ? (double)h / img->height : 1.0;
  double k = sx < sy ? sx : sy;
  if (k >= 1.0) return DM_OK;
  int nw = (int)(img->width * k + 0.5), nh = (int)(img->height * k + 0.5);
  dm_image small = {0};
  dm_status s = dm_resized_plane(ctx, img, nw > 0 ? nw : 1, nh > 0 ? nh : 1, 0, &small, "preview");
  if (s) return s;
  dm_image_free(img);
  *img = small;
  return DM_OK;
}

void srv_api_preview(dm_server *srv, srv_photo *p, const srv_request *rq, dm_http_reply *reply) {
  long w, h, before, draft;
  if (srv_query_int(rq, "w", 16, 16384, 0, &w) < 0 ||
      srv_query_int(rq, "h", 16, 16384, 0, &h) < 0 ||
      srv_query_int(rq, "before", 0, 1, 0, &before) < 0 ||
      srv_query_int(rq, "draft", 0, 1, 0, &draft) < 0) {
    srv_reply_error(reply, 400,
                    "preview takes w and h (16 to 16384 pixels), before=0|1, draft=0|1");
    return;
  }
  dm_graph *g = srv_photo_graph(srv, p, reply);
  if (!g) return;
  /* The render runs on the graph's threads; this context's convert the
   * preview to sRGB codes before the encoder (dm_graph_jpeg). */
  dm_context *ctx = dm_context_new(srv->opt.threads);
  if (!ctx) {
    srv_reply_error(reply, 503, "out of memory");
    return;
  }
  /* "Before" is no slider's answer: it must not cancel one. */
  dm_graph_view v = {.level = draft ? DM_LEVEL_DRAFT : DM_LEVEL_PROXY, .before = (int)before,
                     .supersede = !before};
  dm_image out = {0};
  if (!render(srv, p, g, ctx, &v, &out, reply)) {
    dm_status s = fit(ctx, &out, w, h);
    if (!s) s = srv_reply_linear_jpeg(reply, ctx, &out);
    if (s) srv_reply_status(reply, ctx, s);
  }
  dm_image_free(&out);
  dm_context_free(ctx);
}

void srv_api_region(dm_server *srv, srv_photo *p, const srv_request *rq, dm_http_reply *reply) {
  long x, y, w, h;
  /* 4096 x 4096 at 100 % is a loupe larger than any screen. */
  if (srv_query_int(rq, "x", 0, 1 << 20, -1, &x) < 1 ||
      srv_query_int(rq, "y", 0, 1 << 20, -1, &y) < 1 ||
      srv_query_int(rq, "w", 1, 4096, -1, &w) < 1 || srv_query_int(rq, "h", 1, 4096, -1, &h) < 1) {
    srv_reply_error(reply, 400, "region takes x, y (pixels of the photo) and w, h (1 to 4096)");
    return;
  }
  dm_graph *g = srv_photo_graph(srv, p, reply);
  if (!g) return;
  int pw, ph;
  dm_graph_level_size(g, DM_LEVEL_FULL, &pw, &ph);
  if (x + w > pw || y + h > ph) {
    srv_reply_error(reply, 400, "the region %ldx%ld at %ld,%ld leaves the %dx%d photo", w, h, x, y,
                    pw, ph);
    return;
  }
  dm_context *ctx = dm_context_new(1);
  if (!ctx) {
    srv_reply_error(reply, 503, "out of memory");
    return;
  }
  dm_graph_view v = {.level = DM_LEVEL_FULL, .x = (int)x, .y = (int)y, .w = (int)w, .h = (int)h};
  dm_image out = {0};
  if (!render(srv, p, g, ctx, &v, &out, reply)) {
    dm_status s = srv_reply_linear_jpeg(reply, ctx, &out);
    if (s) srv_reply_status(reply, ctx, s);
  }
  dm_image_free(&out);
  dm_context_free(ctx);
  /* A region's crops of the full level went back to the heap, which keeps
   * its free pages (cmd_edit.c): the ticker returns them, off this reply. */
  atomic_store(&srv->trim_wanted, 1);
}

/* The photo as it is (no recipe), its long side THUMB_SIDE: from the open
 * graph's draft, else decoded here, so a folder's thumbnails open no graph. */
static dm_status make_thumb(dm_context *ctx, srv_photo *p) {
  dm_decoded dec = {0};
  const dm_image *src = p->graph ? dm_graph_photo(p->graph, DM_LEVEL_DRAFT) : NULL;
  dm_status s = DM_OK;
  if (!src) {
    s = dm_io_read(ctx, p->path, &dec);
    if (!s) s = dm_color_to_working_inplace(ctx, &dec, p->path);
    src = &dec.img;
  }
  dm_image small = {0};
  if (!s) {
    int side = src->width > src->height ? src->width : src->height;
    double k = side > THUMB_SIDE ? (double)THUMB_SIDE / side : 1.0;
    int w = (int)(src->width * k + 0.5), h = (int)(src->height * k + 0.5);
    s = dm_resized_plane(ctx, src, w > 0 ? w : 1, h > 0 ? h : 1, 0, &small, p->name);
  }
  if (!s) s = dm_graph_jpeg(ctx, &small, 80, &p->thumb, &p->thumb_len);
  dm_image_free(&small);
  dm_decoded_free(&dec);
  return s;
}

void srv_api_thumb(dm_server *srv, srv_photo *p, const srv_request *rq, dm_http_reply *reply) {
  dm_context *ctx = dm_context_new(1);
  if (!ctx) {
    srv_reply_error(reply, 503, "out of memory");
    return;
  }
  pthread_mutex_lock(&p->open_mu);
  dm_status s = p->thumb ? DM_OK : make_thumb(ctx, p);
  unsigned char *copy = NULL;
  size_t len = p->thumb_len;
  if (!s && (copy = malloc(len))) memcpy(copy, p->thumb, len);
  pthread_mutex_unlock(&p->open_mu);
  if (s) srv_reply_error(reply, 422, "%s", dm_context_error(ctx));
  else if (!copy) srv_reply_error(reply, 503, "out of memory");
  else srv_reply_bytes(reply, 200, "image/jpeg", copy, len);
  dm_context_free(ctx);
}
