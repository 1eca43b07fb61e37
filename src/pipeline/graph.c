/* The render graph of one open photo: the photo at three levels, its scene
 * built once and brought down to each, progress, and previews as JPEG.
 * The render itself is graph_render.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "core/resample.h"
#include "io/prefetch.h"
#include "pipeline/graph_internal.h"

/* Stage memory per level: the proxy and draft keep a few corrections'
 * images (1600 px: 20 MB each, 1000 px: 8 MB), enough for a drag of any
 * one slider to find what comes before it (the results of the corrections
 * before it, the image under the blur); the full level keeps nothing, as
 * a 24 MP image is 288 MB and full-size renders are exports and regions.
 * With the full level read for the loupe (~600 MB at 24 MP) and the lens
 * blur plans, which keep the image before and the far slice's scatter
 * (blur/reuse.c, ~50 MB at 1600 px), the editor stays under 1.5 GiB. */
static const size_t MEMO_BUDGET[DM_LEVEL_COUNT] = {
    [DM_LEVEL_PROXY] = 128u << 20, [DM_LEVEL_DRAFT] = 64u << 20, [DM_LEVEL_FULL] = 0};

/* Where each stage the scene build logs ends, as a share of the build
 * (scene.c's dm_stage_done lines; the networks dominate). */
static const struct {
  const char *stage;
  float fraction;
} SCENE_STAGES[] = {
    {"read and hash", 0.05f}, {"guide", 0.10f},  {"matte network", 0.40f},
    {"matte refinement", 0.55f}, {"depth network", 0.80f}, {"fusion", 0.90f},
    {"matte layers", 0.97f},
};

static void copy_str(char *dst, size_t len, const char *src) {
  snprintf(dst, len, "%s", src ? src : "");
}

static void level_size(int w, int h, int side, int *lw, int *lh) {
  int long_side = w > h ? w : h;
  if (side <= 0 || long_side <= side) {
    *lw = w, *lh = h;
    return;
  }
  double f = (double)side / long_side;
  *lw = (int)(w * f + 0.5), *lh = (int)(h * f + 0.5);
  if (*lw < 1) *lw = 1;
  if (*lh < 1) *lh = 1;
}

/* The photo decoded and in the working space, under the graph's memory
 * check. */
static dm_status decode_working(dm_context *ctx, const dm_graph *g, dm_decoded *dec) {
  int saved = ctx->bytes_per_pixel;
  ctx->bytes_per_pixel = g->bytes_per_pixel;
  dm_status s = dm_io_read(ctx, g->path, dec);
  ctx->bytes_per_pixel = saved;
  if (!s) s = dm_color_to_working_inplace(ctx, dec, g->path);
  return s;
}

dm_status dm_graph_open(dm_context *ctx, const char *path, const dm_graph_options *opt,
                        dm_graph **out) {
  *out = NULL;
  dm_graph *g = calloc(1, sizeof *g);
  if (!g) return dm_fail(ctx, DM_ERR_NOMEM, path, "out of memory");
  g->rctx = dm_context_new(opt->threads);
  if (!g->rctx) {
    free(g);
    return dm_fail(ctx, DM_ERR_NOMEM, path, "out of memory");
  }
  g->rctx->max_memory = ctx->max_memory;
  g->rctx->log = ctx->log, g->rctx->log_user = ctx->log_user;
  g->log = ctx->log, g->log_user = ctx->log_user;
  g->single_shot = opt->single_shot;
  g->rctx->skip_unrendered_masks = ctx->skip_unrendered_masks;
  g->rctx->allow_outside_paths = ctx->allow_outside_paths;
  copy_str(g->rctx->cache_dir, sizeof g->rctx->cache_dir, ctx->cache_dir);
  pthread_mutex_init(&g->render_mu, NULL);
  pthread_mutex_init(&g->state_mu, NULL);
  copy_str(g->path, sizeof g->path, path);
  g->so = opt->scene;
  copy_str(g->depth_path, sizeof g->depth_path, opt->scene.depth_file.path);
  copy_str(g->matte_path, sizeof g->matte_path, opt->scene.matte_path);
  copy_str(g->cache_dir, sizeof g->cache_dir, opt->scene.cache_dir);
  g->so.depth_file.path = opt->scene.depth_file.path ? g->depth_path : NULL;
  g->so.matte_path = opt->scene.matte_path ? g->matte_path : NULL;
  g->so.cache_dir = opt->scene.cache_dir ? g->cache_dir : NULL;
  /* the depth and matte files decode on threads of their own while the
   * photo does */
  if (g->so.depth_mode == DM_DEPTH_MODE_FILE && g->so.depth_file.path)
    g->so.depth_file.prefetch = dm_io_prefetch_start(ctx, g->so.depth_file.path);
  if (g->so.matte_mode == DM_MATTE_MODE_FILE && g->so.matte_path)
    g->so.matte_prefetch = dm_io_prefetch_start(ctx, g->so.matte_path);
  for (int l = 0; l < DM_LEVEL_COUNT; l++) memo_init(&g->lv[l].memo, MEMO_BUDGET[l]);
  /* Without the disk cache, only files give the scene again cheaply. */
  const dm_scene_options *so = &opt->scene;
  int cache_on = !so->cache_dir || so->cache_dir[0];
  int files = (so->depth_mode == DM_DEPTH_MODE_FILE || so->depth_mode == DM_DEPTH_MODE_NONE) &&
              (so->matte_mode == DM_MATTE_MODE_FILE || so->matte_mode == DM_MATTE_MODE_NONE);
  g->full_transient = !opt->single_shot && (cache_on || files);
  copy_str(g->progress.stage, sizeof g->progress.stage, "decode");

  /* What the graph holds per photo pixel: the full photo (12 B) and a scene
   * (depth, matte, confidence: 12 B) with its layers (a few bytes), plus a
   * full render's own image and mask (16 B) for exports and regions. */
  g->bytes_per_pixel = opt->bytes_per_pixel > 0 ? opt->bytes_per_pixel : 48;
  dm_decoded dec = {0};
  /* A graph that reads its full level again checks it reads the same photo. */
  dm_status s = g->full_transient ? dm_hash_file(ctx, path, &g->file_hash) : DM_OK;
  if (!s) s = decode_working(ctx, g, &dec);
  if (!s) {
    g->full_w = dec.img.width, g->full_h = dec.img.height;
    g->lv[DM_LEVEL_FULL].photo = dec.img;
    memset(&dec.img, 0, sizeof dec.img);
    g->meta = dec.meta;
    memset(&dec.meta, 0, sizeof dec.meta);
    g->orientation = g->meta.orientation;
  }
  dm_decoded_free(&dec);
  const dm_image *full = &g->lv[DM_LEVEL_FULL].photo;
  const int sides[DM_LEVEL_COUNT] = {opt->proxy > 0 ? opt->proxy : DM_GRAPH_PROXY_SIDE,
                                     DM_GRAPH_DRAFT_SIDE, 0};
  for (int l = 0; !s && !g->single_shot && l < DM_LEVEL_FULL; l++) {
    int w, h;
    level_size(full->width, full->height, sides[l], &w, &h);
    s = dm_resized_plane(ctx, full, w, h, 0, &g->lv[l].photo, path);
  }
  if (s) {
    dm_graph_free(g);
    return s;
  }
  copy_str(g->progress.stage, sizeof g->progress.stage, "pending");
  *out = g;
  return DM_OK;
}

void dm_graph_free(dm_graph *g) {
  if (!g) return;
  for (int l = 0; l < DM_LEVEL_COUNT; l++) {
    memo_free(&g->lv[l].memo);
    dm_image_free(&g->lv[l].photo);
    if (g->lv[l].has_scene) dm_scene_free(&g->lv[l].scene);
  }
  dm_metadata_free(&g->meta);
  dm_io_prefetch_free(g->so.depth_file.prefetch);
  dm_io_prefetch_free(g->so.matte_prefetch);
  dm_lens_blur_whole_free(g->full_depths);
  dm_context_free(g->rctx);
  pthread_mutex_destroy(&g->render_mu);
  pthread_mutex_destroy(&g->state_mu);
  free(g);
}

void dm_graph_size(const dm_graph *g, int *width, int *height) {
  dm_graph_level_size(g, DM_LEVEL_FULL, width, height);
}

void dm_graph_level_size(const dm_graph *g, dm_graph_level level, int *width, int *height) {
  if (level == DM_LEVEL_FULL) *width = g->full_w, *height = g->full_h;
  else *width = g->lv[level].photo.width, *height = g->lv[level].photo.height;
}

const dm_metadata *dm_graph_metadata(const dm_graph *g) { return &g->meta; }

const dm_image *dm_graph_photo(const dm_graph *g, dm_graph_level level) { return &g->lv[level].photo; }

const dm_scene *dm_graph_scene(dm_graph *g, dm_graph_level level) {
  pthread_mutex_lock(&g->state_mu);
  int ready = g->scene_state == 2;
  pthread_mutex_unlock(&g->state_mu);
  return ready && g->lv[level].has_scene ? &g->lv[level].scene : NULL;
}

/* The scene build's log lines move the progress on. */
static void scene_log(void *user, dm_log_level level, const char *msg) {
  dm_graph *g = user;
  if (g->log) g->log(g->log_user, level, msg);
  if (strncmp(msg, "scene: ", 7)) return;
  for (size_t i = 0; i < sizeof SCENE_STAGES / sizeof *SCENE_STAGES; i++) {
    size_t n = strlen(SCENE_STAGES[i].stage);
    if (!strncmp(msg + 7, SCENE_STAGES[i].stage, n) && msg[7 + n] == ' ') {
      pthread_mutex_lock(&g->state_mu);
      copy_str(g->progress.stage, sizeof g->progress.stage, SCENE_STAGES[i].stage);
      if (SCENE_STAGES[i].fraction > g->progress.fraction)
        g->progress.fraction = SCENE_STAGES[i].fraction;
      pthread_mutex_unlock(&g->state_mu);
    }
  }
}

/* The full scene brought down to a level: depth, matte and confidence
 * resampled (area), the soft edge's layers estimated again on the level's
 * photo and matte, so each level composites its own edge. */
static dm_status scene_for_level(dm_context *ctx, const dm_scene *full, const dm_image *photo,
                                 dm_scene *out) {
  memset(out, 0, sizeof *out);
  int w = photo->width, h = photo->height;
  dm_status s = DM_OK;
  if (full->depth.near01.data)
    s = dm_resized_plane(ctx, &full->depth.near01, w, h, 0, &out->depth.near01, "depth");
  out->depth.z_near_m = full->depth.z_near_m, out->depth.z_far_m = full->depth.z_far_m;
  if (!s && full->matte.data) s = dm_resized_plane(ctx, &full->matte, w, h, 1, &out->matte, "matte");
  if (!s && full->confidence.data)
    s = dm_resized_plane(ctx, &full->confidence, w, h, 1, &out->confidence, "confidence");
  memcpy(out->depth_source, full->depth_source, sizeof out->depth_source);
  memcpy(out->models, full->models, sizeof out->models);
  memcpy(out->matte_source, full->matte_source, sizeof out->matte_source);
  out->depth_used = full->depth_used, out->fusion_version = full->fusion_version;
  out->matte_used = full->matte_used, out->cached = full->cached, out->ambiguous = full->ambiguous;
  if (!s && out->matte.data) s = dm_matte_layers_build(ctx, photo, &out->matte, &out->layers);
  if (s) dm_scene_free(out);
  return s;
}

dm_status dm_graph_build_scene(dm_context *ctx, dm_graph *g) {
  pthread_mutex_lock(&g->state_mu);
  int state = g->scene_state;
  if (state == 0) g->scene_state = 1, copy_str(g->progress.stage, sizeof g->progress.stage, "depth and matte");
  pthread_mutex_unlock(&g->state_mu);
  if (state == 2) return DM_OK;
  if (state == 1) return dm_fail(ctx, DM_ERR_PARAM, g->path, "the scene is already being built");
  if (state == 3) return dm_fail(ctx, g->scene_status, NULL, "%s", g->progress.error);

  /* Its own context: previews keep rendering on the graph's while the
   * networks run. */
  dm_context *bctx = dm_context_new(g->rctx->n_threads);
  dm_status s = bctx ? DM_OK : dm_fail(ctx, DM_ERR_NOMEM, g->path, "out of memory");
  if (bctx) {
    bctx->max_memory = g->rctx->max_memory;
    copy_str(bctx->cache_dir, sizeof bctx->cache_dir, g->rctx->cache_dir);
    bctx->log = scene_log, bctx->log_user = g;
    bctx->cancel_also = &ctx->cancel; /* the caller may stop the networks (quit) */
  }
  graph_level *full = &g->lv[DM_LEVEL_FULL];
  if (!s) s = dm_scene_build(bctx, g->path, &full->photo, g->orientation, &g->so, &full->scene);
  if (!s) full->has_scene = 1;
  for (int l = 0; !s && !g->single_shot && l < DM_LEVEL_FULL; l++) {
    s = scene_for_level(bctx, &full->scene, &g->lv[l].photo, &g->lv[l].scene);
    if (!s) g->lv[l].has_scene = 1;
  }
  pthread_mutex_lock(&g->state_mu);
  g->scene_state = s ? 3 : 2;
  g->scene_status = s;
  g->progress.ready = !s, g->progress.failed = s != DM_OK;
  g->progress.fraction = s ? g->progress.fraction : 1.0f;
  copy_str(g->progress.stage, sizeof g->progress.stage, s ? "failed" : "ready");
  if (s) copy_str(g->progress.error, sizeof g->progress.error, dm_context_error(bctx ? bctx : ctx));
  pthread_mutex_unlock(&g->state_mu);
  if (s && bctx) dm_fail(ctx, s, NULL, "%s", dm_context_error(bctx));
  dm_context_free(bctx);
  if (!s) dm_graph_release_full(g);
  return s;
}

/* With render_mu held. */
static int drop_full(dm_graph *g) {
  pthread_mutex_lock(&g->state_mu);
  int ready = g->scene_state == 2;
  pthread_mutex_unlock(&g->state_mu);
  graph_level *full = &g->lv[DM_LEVEL_FULL];
  if (!g->full_transient || !ready || !full->photo.data) return 0;
  dm_image_free(&full->photo);
  if (full->has_scene) dm_scene_free(&full->scene);
  full->has_scene = 0;
  dm_lens_blur_whole_free(g->full_depths); /* of the scene just freed */
  g->full_depths = NULL;
  return 1;
}

void dm_graph_release_full(dm_graph *g) {
  pthread_mutex_lock(&g->render_mu);
  for (int l = 0; l < DM_LEVEL_COUNT; l++) {
    memo_free(&g->lv[l].memo);
    memo_init(&g->lv[l].memo, MEMO_BUDGET[l]);
  }
  drop_full(g);
  pthread_mutex_unlock(&g->render_mu);
}

int dm_graph_release_idle(dm_graph *g, long idle_ms) {
  if (pthread_mutex_trylock(&g->render_mu)) return 0;
  int freed = 0;
  if (dm_now_ms() - g->full_used_ms >= (double)idle_ms) freed = drop_full(g);
  pthread_mutex_unlock(&g->render_mu);
  return freed;
}

int dm_graph_release_stages_idle(dm_graph *g, long idle_ms) {
  if (pthread_mutex_trylock(&g->render_mu)) return 0;
  int freed = 0;
  if (dm_now_ms() - g->used_ms >= (double)idle_ms)
    for (int l = 0; l < DM_LEVEL_COUNT; l++) {
      memo *m = &g->lv[l].memo;
      if (!m->n && !m->plan) continue;
      memo_free(m);
      memo_init(m, MEMO_BUDGET[l]);
      freed = 1;
    }
  pthread_mutex_unlock(&g->render_mu);
  return freed;
}

dm_status graph_ensure_full(dm_context *ctx, dm_graph *g) {
  graph_level *full = &g->lv[DM_LEVEL_FULL];
  dm_status s = DM_OK;
  if (!full->photo.data) {
    /* Its previews were made from the photo as it was at open: a photo
     * rewritten since would not match them. */
    dm_hash now;
    s = dm_hash_file(ctx, g->path, &now);
    if (!s && (now.lo != g->file_hash.lo || now.hi != g->file_hash.hi))
      s = dm_fail(ctx, DM_ERR_FORMAT, g->path, "changed on disk since it was opened; open it again");
    dm_decoded dec = {0};
    if (!s) s = decode_working(ctx, g, &dec);
    if (!s) full->photo = dec.img, dec.img = (dm_image){0};
    dm_decoded_free(&dec);
  }
  pthread_mutex_lock(&g->state_mu);
  int ready = g->scene_state == 2;
  pthread_mutex_unlock(&g->state_mu);
  if (!s && ready && !full->has_scene) {
    s = dm_scene_build(ctx, g->path, &full->photo, g->orientation, &g->so, &full->scene);
    if (!s) full->has_scene = 1;
    /* Nothing full-size reads the confidence (the state reads the proxy's):
     * 4 bytes a pixel back while the loupe is used. */
    if (!s) dm_image_free(&full->scene.confidence);
  }
  return s;
}

void dm_graph_progress_get(dm_graph *g, dm_graph_progress *out) {
  pthread_mutex_lock(&g->state_mu);
  *out = g->progress;
  pthread_mutex_unlock(&g->state_mu);
}

void dm_graph_stats_get(dm_graph *g, dm_graph_stats *out) {
  pthread_mutex_lock(&g->state_mu);
  *out = g->stats;
  out->bytes = 0;
  for (int l = 0; l < DM_LEVEL_COUNT; l++)
    out->bytes += (long long)(g->lv[l].memo.bytes + dm_lens_blur_plan_bytes(g->lv[l].memo.plan));
  pthread_mutex_unlock(&g->state_mu);
}

/* A strip of a preview's sRGB codes, for the encoder. */
typedef struct preview_strip {
  const uint8_t *codes; /* its first row */
  int width, y0, y1;
  const dm_write_options *wo;
  char *jpg;
  size_t len;
  dm_status s;
} preview_strip;

static dm_status preview_row(void *user, int y, const unsigned char **codes) {
  const preview_strip *p = user;
  *codes = p->codes + (size_t)y * p->width * 3;
  return DM_OK;
}

static void encode_strip(dm_context *ctx, preview_strip *p) {
  FILE *fp = open_memstream(&p->jpg, &p->len);
  p->s = fp ? dm_jpeg_write_rows(ctx, fp, p->width, p->y1 - p->y0, 3, preview_row, p, p->wo, "preview")
            : dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for a preview");
  if (fp && fclose(fp) && !p->s) p->s = dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for a preview");
}

typedef struct strips_job {
  dm_context *ctx;
  preview_strip *strip;
  int n;
} strips_job;

static void strips_run(void *user, int ith, int nth) {
  strips_job *j = user;
  for (int i = ith; i < j->n; i += nth) encode_strip(j->ctx, &j->strip[i]);
}

#define MAX_STRIPS 16

/* libjpeg encodes on one thread: a preview tall enough is encoded in one
 * strip a thread, whole MCU rows each, with a restart marker every MCU
 * row, and the strips joined into one file (dm_jpeg_join): the same
 * pixels as one encoder run. */
static dm_status encode_preview(dm_context *ctx, const uint8_t *codes, int w, int h,
                                const dm_write_options *base, unsigned char **jpg, size_t *len) {
  int nth = ctx->n_threads > 1 ? ctx->n_threads : 1, mcu = dm_jpeg_mcu_rows(base->quality);
  if (nth > MAX_STRIPS) nth = MAX_STRIPS;
  if (h < 4 * mcu * nth) nth = 1;
  int rows = ((h + mcu - 1) / mcu + nth - 1) / nth * mcu; /* a strip's rows (the last's fewer) */
  preview_strip strip[MAX_STRIPS];
  dm_write_options wo = *base;
  wo.restart_rows = nth > 1;
  int n = 0;
  for (int y = 0; y < h; y += nth > 1 ? rows : h) {
    int y1 = nth > 1 && y + rows < h ? y + rows : h;
    strip[n++] = (preview_strip){codes + (size_t)y * w * 3, w, y, y1, &wo, NULL, 0, DM_OK};
  }
  if (n == 1) {
    encode_strip(ctx, &strip[0]);
  } else {
    strips_job j = {ctx, strip, n};
    dm_parallel(ctx, strips_run, &j);
  }
  dm_status s = DM_OK;
  for (int i = 0; i < n && !s; i++) s = strip[i].s;
  if (!s && n == 1) {
    *jpg = (unsigned char *)strip[0].jpg, *len = strip[0].len;
    return DM_OK;
  }
  unsigned char *parts[MAX_STRIPS];
  size_t lens[MAX_STRIPS];
  for (int i = 0; i < n; i++) parts[i] = (unsigned char *)strip[i].jpg, lens[i] = strip[i].len;
  if (!s) s = dm_jpeg_join(ctx, parts, lens, n, h, jpg, len);
  for (int i = 0; i < n; i++) free(strip[i].jpg);
  return s;
}

dm_status dm_graph_jpeg(dm_context *ctx, const dm_image *linear, int quality, unsigned char **jpg,
                        size_t *len) {
  *jpg = NULL, *len = 0;
  if (!linear || !linear->data || linear->channels != 3 || linear->width <= 0 || linear->height <= 0)
    return dm_fail(ctx, DM_ERR_PARAM, "preview", "a preview is a non-empty 3-channel image");
  /* The codes made on every thread first (a quarter of the floats' bytes),
   * then the encoder reads them as they are. */
  const unsigned char *icc = NULL;
  size_t icc_len = 0;
  uint8_t *codes = malloc((size_t)linear->width * linear->height * 3);
  dm_status s = codes ? DM_OK : dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for a preview");
  if (!s) s = dm_preview_srgb8(ctx, linear, codes, &icc, &icc_len);
  dm_write_options wo = {.format = DM_FMT_JPEG, .bits = 8, .quality = quality,
                         .icc = icc, .icc_len = icc_len, .preview = 1};
  if (!s) s = encode_preview(ctx, codes, linear->width, linear->height, &wo, jpg, len);
  free(codes);
  return s;
}
