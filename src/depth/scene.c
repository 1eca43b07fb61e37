/* The scene of a photo: depth, matte and confidence from the sources in
 * DESIGN section 3's order, with the network results cached on disk.
 *
 * Two cache entries per photo, so that a depth file or embedded depth can
 * still reuse the network matte:
 *   matte  = f(file content, ISNet's checksum, refinement version)
 *   fused  = f(file content, depth model's checksum, the matte's key, fusion version)
 * Bump the versions below whenever the refinement or fusion changes its
 * output, so old entries are never served for new code. */
#include "depth/scene.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "color/color.h"
#include "core/file.h"
#include "core/hash.h"
#include "core/pool.h"
#include "core/resample.h"
#include "depth/cache.h"
#include "depth/embedded.h"
#include "depth/fuse.h"
#include "matte/matte.h"
#include "nn/model_store.h"
#include "scene_internal.h"

#define MATTE_VERSION "matte-2" /* 2: checked against the colours (dm_matte_from_colour) */
/* 2: occlusion orders the background (fuse_occlusion.c); 3: the
 * confidence flags a ground meeting the subject (confidence.c) */
#define FUSED_VERSION "fused-3"
#define LAYERS_VERSION "layers-1" /* the matte layers' estimate (build_layers) */
/* Photos are read whole to look for embedded depth; a bigger file is not a photo. */
#define SCENE_MAX_FILE (2LL << 30)

void dm_scene_free(dm_scene *s) {
  if (!s) return;
  dm_depth_free(&s->depth);
  dm_image_free(&s->matte);
  dm_matte_layers_free(&s->layers);
  dm_image_free(&s->confidence);
  memset(s, 0, sizeof *s);
}

static dm_hash key_of(dm_hash file, const char *what, const char *a, const char *b, int w, int h) {
  dm_hasher *hs = dm_hasher_new();
  if (!hs) return (dm_hash){0, 0};
  dm_hasher_update(hs, &file, sizeof file);
  dm_hasher_update_str(hs, what);
  dm_hasher_update_str(hs, a ? a : "");
  dm_hasher_update_str(hs, b ? b : "");
  int dims[2] = {w, h};
  dm_hasher_update(hs, dims, sizeof dims);
  dm_hash k = dm_hasher_digest(hs);
  dm_hasher_free(hs);
  return k;
}

/* The cache folder for this build, or NULL when caching is off. */
static const char *cache_folder(dm_context *ctx, const dm_scene_options *opt, char *buf, size_t n) {
  if (opt->cache_dir) return opt->cache_dir[0] ? opt->cache_dir : NULL;
  if (dm_cache_default_dir(ctx, buf, n) != DM_OK) return NULL;
  return buf;
}

/* Load planes `names` of entry `key` into `dst` (ownership passes). A hit
 * needs every plane, at the photo's size; anything less is a miss. */
static dm_status lookup(dm_context *ctx, const dm_scene_build_state *b, dm_hash key,
                        const char *const *names, dm_image *const *dst, int n, int *hit) {
  dm_cache_entry e;
  int found = 0;
  *hit = 0;
  dm_status s = dm_cache_get(ctx, b->cache, key, &e, &found);
  if (s || !found) return s;
  *hit = 1;
  for (int i = 0; i < n; i++) {
    for (int k = 0; k < e.n_planes; k++)
      if (!strcmp(e.names[k], names[i])) {
        *dst[i] = e.planes[k];
        memset(&e.planes[k], 0, sizeof e.planes[k]);
        break;
      }
    *hit &= dst[i]->data && dst[i]->width == b->work->width && dst[i]->height == b->work->height;
  }
  dm_cache_entry_free(&e);
  for (int i = 0; i < n && !*hit; i++) dm_image_free(dst[i]);
  return DM_OK;
}

static void store(dm_context *ctx, const dm_scene_build_state *b, dm_hash key,
                  const char *const *names, dm_image *const *planes, int n, const char *meta) {
  if (!b->cache) return;
  dm_cache_entry e;
  memset(&e, 0, sizeof e);
  e.n_planes = n;
  for (int i = 0; i < n; i++) {
    snprintf(e.names[i], sizeof e.names[i], "%s", names[i]);
    e.planes[i] = *planes[i]; /* borrowed: not freed here */
  }
  snprintf(e.meta, sizeof e.meta, "%s", meta);
  /* The cache only saves time: a full disk must not fail the render, and
   * the render need not wait for the disk. */
  if (dm_cache_put_later(ctx, b->cache, key, &e, b->opt->cache_cap_bytes) != DM_OK)
    dm_log(ctx, DM_LOG_WARN, "%s: depth cache not written: %s", b->cache, dm_context_error(ctx));
}

/* Provenance: the network `m` made part of this scene. */
static void add_model(dm_scene *out, const dm_model_entry *m) {
  size_t n = strlen(out->models);
  snprintf(out->models + n, sizeof out->models - n, "%s%s %s", n ? "; " : "", m->id, m->sha256);
}

/* The photo's file and its hash, read on first need (embedded depth or
 * matte, the cache keys): a scene made from files alone never reads it. */
static dm_status need_file(dm_context *ctx, dm_scene_build_state *b) {
  if (b->file) return DM_OK;
  double t = dm_now_ms();
  dm_status s = dm_read_file(ctx, b->in_path, SCENE_MAX_FILE, &b->file, &b->file_len);
  if (s) return s;
  b->file_hash = dm_hash_bytes(b->file, b->file_len);
  dm_stage_done(ctx, "scene", "read and hash", &t);
  return DM_OK;
}

/* The matte: a file, the photo's own portrait matte, or ISNet (cached). */
static dm_status build_matte(dm_context *ctx, dm_scene_build_state *b, dm_scene *out) {
  const dm_scene_options *opt = b->opt;
  int w = b->work->width, h = b->work->height;
  if (opt->matte_mode == DM_MATTE_MODE_NONE) {
    snprintf(out->matte_source, sizeof out->matte_source, "none");
    out->matte_used = "none";
    return DM_OK;
  }
  if (opt->matte_mode == DM_MATTE_MODE_FILE) {
    snprintf(out->matte_source, sizeof out->matte_source, "file %s", opt->matte_path);
    out->matte_used = "file";
    return dm_matte_from_file(ctx, opt->matte_path, opt->matte_prefetch, w, h, &out->matte);
  }
  int found = 0;
  dm_status s = need_file(ctx, b);
  if (!s) s = dm_embedded_matte(ctx, b->file, b->file_len, b->in_path, b->orientation, w, h,
                                &out->matte, &found, out->matte_source, sizeof out->matte_source);
  if (found) out->matte_used = "embedded";
  /* The phone's matte is at a quarter or less of the photo's size. */
  if (!s && found && b->work->data) s = dm_matte_from_colour(ctx, b->work, &out->matte);
  if (s || found) return s;
  out->matte_used = "network";
  const dm_model_entry *m = NULL;
  char model_path[4096];
  s = dm_models_best(ctx, DM_MODEL_MATTE, &m, model_path, sizeof model_path);
  if (s) return s;
  b->matte_key = key_of(b->file_hash, MATTE_VERSION, m->sha256, NULL, w, h);
  snprintf(out->matte_source, sizeof out->matte_source, "ISNet subject matte (%s)", m->id);
  add_model(out, m);
  static const char *const names[] = {"matte"};
  dm_image *const planes[] = {&out->matte};
  int hit = 0;
  if (b->cache) s = lookup(ctx, b, b->matte_key, names, planes, 1, &hit);
  if (s || hit) {
    b->matte_cached = hit;
    return s;
  }
  if (opt->lookup_only) {
    snprintf(out->matte_source, sizeof out->matte_source, "ISNet subject matte: not computed yet");
    return DM_OK;
  }
  double t = dm_now_ms();
  s = dm_scene_prepare_guide(ctx, b);
  if (!s) dm_stage_done(ctx, "scene", "guide", &t);
  dm_image low = {0};
  if (!s) s = dm_matte_network(ctx, &b->proxy, &low, NULL);
  if (!s) dm_stage_done(ctx, "scene", "matte network", &t);
  if (!s) s = dm_matte_refine(ctx, &b->guide, &low, &out->matte);
  if (!s) dm_stage_done(ctx, "scene", "matte refinement", &t);
  /* checked against the photo's colours before the depth is fused around
   * it and before it is cached */
  if (!s) s = dm_matte_from_colour(ctx, b->work, &out->matte);
  if (!s) dm_stage_done(ctx, "scene", "matte colour check", &t);
  dm_image_free(&low);
  if (!s) {
    dm_cache_round_plane(ctx, &out->matte);
    store(ctx, b, b->matte_key, names, planes, 1, out->matte_source);
    dm_stage_done(ctx, "scene", "matte cache write", &t);
  }
  return s;
}

/* Depth from the networks, fused with the matte (cached). */
static dm_status build_fused(dm_context *ctx, dm_scene_build_state *b, dm_scene *out) {
  int w = b->work->width, h = b->work->height;
  const dm_model_entry *m = NULL;
  char model_path[4096];
  dm_status s = dm_models_best(ctx, DM_MODEL_DEPTH, &m, model_path, sizeof model_path);
  if (!s) s = need_file(ctx, b);
  if (s) return s;
  int isnet_matte = b->matte_key.lo || b->matte_key.hi;
  char matte_key[33];
  dm_hash_hex(b->matte_key, matte_key);
  if (!isnet_matte) snprintf(matte_key, sizeof matte_key, "no-matte");
  dm_hash key = key_of(b->file_hash, FUSED_VERSION, m->sha256, matte_key, w, h);
  snprintf(out->depth_source, sizeof out->depth_source, "network %s%s", m->id,
           out->matte.data ? " fused with the subject matte" : "");
  add_model(out, m);
  out->depth_used = DM_DEPTH_MODE_AI;
  out->fusion_version = FUSED_VERSION;
  /* A matte from a file or the phone is not in the key's matte hash; do
   * not cache what depends on it. */
  int cacheable = b->cache && (isnet_matte || !out->matte.data);
  static const char *const names[] = {"depth", "confidence"};
  dm_image *const planes[] = {&out->depth.near01, &out->confidence};
  int hit = 0;
  if (cacheable) s = lookup(ctx, b, key, names, planes, 2, &hit);
  if (s || hit) {
    out->cached = hit && (b->matte_cached || !out->matte.data);
    return s;
  }
  if (b->opt->lookup_only) {
    snprintf(out->depth_source, sizeof out->depth_source, "network %s: not computed yet", m->id);
    return DM_OK;
  }
  double t = dm_now_ms();
  s = dm_scene_prepare_guide(ctx, b);
  if (!s) dm_stage_done(ctx, "scene", "guide", &t);
  dm_image net = {0};
  if (!s) s = dm_depth_network(ctx, &b->proxy, &net, NULL);
  if (!s) dm_stage_done(ctx, "scene", "depth network", &t);
  dm_fuse_inputs in = {.guide = &b->guide, .net = &net, .matte = out->matte.data ? &out->matte : NULL};
  if (!s) s = dm_depth_fuse(ctx, &in, &out->depth.near01, &out->confidence);
  if (!s) dm_stage_done(ctx, "scene", "fusion", &t);
  dm_image_free(&net);
  if (!s) {
    dm_cache_round_plane(ctx, &out->depth.near01);
    dm_cache_round_plane(ctx, &out->confidence);
  }
  if (!s && cacheable) {
    store(ctx, b, key, names, planes, 2, out->depth_source);
    dm_stage_done(ctx, "scene", "depth cache write", &t);
  }
  return s;
}

static dm_status build_depth(dm_context *ctx, dm_scene_build_state *b, dm_scene *out) {
  const dm_scene_options *opt = b->opt;
  int w = b->work->width, h = b->work->height;
  if (opt->depth_mode == DM_DEPTH_MODE_NONE) return DM_OK;
  if (opt->depth_mode == DM_DEPTH_MODE_FILE) {
    snprintf(out->depth_source, sizeof out->depth_source, "file %s (%s)", opt->depth_file.path,
             dm_depth_encoding_name(opt->depth_file.encoding));
    out->depth_used = DM_DEPTH_MODE_FILE;
    return dm_depth_from_file(ctx, &opt->depth_file, w, h, &out->depth);
  }
  if (opt->depth_mode != DM_DEPTH_MODE_AI) {
    int found = 0;
    dm_status s = need_file(ctx, b);
    if (!s) s = dm_embedded_depth(ctx, b->file, b->file_len, b->in_path, b->orientation, w, h,
                                  &out->depth, &found, out->depth_source, sizeof out->depth_source);
    if (found) out->depth_used = DM_DEPTH_MODE_EMBEDDED;
    if (s || found) return s;
    if (opt->depth_mode == DM_DEPTH_MODE_EMBEDDED)
      return dm_fail(ctx, DM_ERR_FORMAT, b->in_path,
                     "carries no usable depth (see depthmask info); use --depth ai or --depth FILE");
  }
  return build_fused(ctx, b, out);
}

/* The outline, not the area: where a Depth Range mask meets surroundings
 * at the subject's own depth it cannot cut them off, and a cup's foot on a
 * table is a quarter of its outline but a tenth of its area. */
typedef struct outline_job {
  const dm_scene *s;
  atomic_llong edge, low; /* whole counts: the same total in any order */
} outline_job;

static void outline_rows(void *user, int ith, int nth) {
  outline_job *j = user;
  const dm_image *m = &j->s->matte, *c = &j->s->confidence;
  int y0, y1;
  long long edge = 0, low = 0;
  dm_split_rows(m->height - 2, ith, nth, &y0, &y1);
  for (int y = y0 + 1; y < y1 + 1; y++) {
    const float *up = dm_row(m, y - 1), *row = dm_row(m, y), *down = dm_row(m, y + 1);
    for (int x = 1; x + 1 < m->width; x++)
      if (row[x] >= 0.5f && (row[x - 1] < 0.5f || row[x + 1] < 0.5f || up[x] < 0.5f || down[x] < 0.5f))
        edge++, low += dm_row(c, y)[x] < 0.5f;
  }
  atomic_fetch_add(&j->edge, edge);
  atomic_fetch_add(&j->low, low);
}

float dm_scene_ambiguous(dm_context *ctx, const dm_scene *s) {
  const dm_image *m = &s->matte, *c = &s->confidence;
  if (!m->data || !c->data || c->width != m->width || c->height != m->height || m->height < 3) return 0;
  outline_job j = {.s = s};
  atomic_init(&j.edge, 0);
  atomic_init(&j.low, 0);
  dm_parallel(ctx, outline_rows, &j);
  const long long edge = atomic_load(&j.edge), low = atomic_load(&j.low);
  return edge > 0 ? (float)((double)low / (double)edge) : 0;
}

/* After the depth: the matte's soft pixels' two layers (F and B).
 *
 * Their estimate is the slow part (1-2 s at 24 MP) and depends only on the
 * photo and the matte, so it is cached beside them: one plane holding F
 * then B of each soft pixel, divided by the largest value, in rows of the
 * photo's width. The estimate is rounded to what the cache gives back
 * whether or not it is stored, so a render is the same with the cache, from
 * it, or without it; then the layers are settled on the photo (exact
 * again: alpha·F + (1 − alpha)·B is the photo). */
static int estimate_rows(size_t n, int w) { return (int)((6 * n + (size_t)w - 1) / (size_t)w); }

static dm_status pack_estimate(dm_context *ctx, const dm_matte_layers *L, dm_image *plane, float *scale) {
  float m = 0.0f;
  for (size_t i = 0; i < 3 * L->n; i++) {
    if (L->fg[i] > m && isfinite(L->fg[i])) m = L->fg[i];
    if (L->bg[i] > m && isfinite(L->bg[i])) m = L->bg[i];
  }
  *scale = m > 0.0f ? m : 1.0f;
  dm_status s = dm_image_alloc_zero(ctx, plane, L->width, estimate_rows(L->n, L->width), 1);
  if (s) return s;
  float *v = plane->data; /* contiguous: stride = width */
  for (size_t i = 0; i < L->n; i++)
    for (int c = 0; c < 3; c++)
      v[6 * i + c] = L->fg[3 * i + c] / *scale, v[6 * i + 3 + c] = L->bg[3 * i + c] / *scale;
  return DM_OK;
}

typedef struct unpack_job {
  const float *v;
  float scale;
  dm_matte_layers *L;
} unpack_job;

static void unpack_slots(void *user, size_t i0, size_t i1) {
  const unpack_job *j = user;
  for (size_t i = i0; i < i1; i++)
    for (int c = 0; c < 3; c++)
      j->L->fg[3 * i + c] = j->v[6 * i + c] * j->scale, j->L->bg[3 * i + c] = j->v[6 * i + 3 + c] * j->scale;
}

static void unpack_estimate(dm_context *ctx, const dm_image *plane, float scale, dm_matte_layers *L) {
  unpack_job j = {plane->data, scale, L};
  dm_parallel_range(ctx, L->n, unpack_slots, &j);
}

/* The cached estimate of L's soft pixels, into L: 1 on a hit. */
static int layers_from_cache(dm_context *ctx, const dm_scene_build_state *b, dm_hash key, dm_matte_layers *L) {
  dm_cache_entry e;
  int found = 0, hit = 0;
  if (dm_cache_get(ctx, b->cache, key, &e, &found) || !found) return 0;
  const char *at = strstr(e.meta, "scale=");
  float scale = at ? strtof(at + 6, NULL) : 0.0f;
  for (int k = 0; k < e.n_planes && !hit; k++)
    if (!strcmp(e.names[k], "estimate") && e.planes[k].width == L->width &&
        e.planes[k].height == estimate_rows(L->n, L->width) && scale > 0.0f && isfinite(scale)) {
      unpack_estimate(ctx, &e.planes[k], scale, L);
      hit = 1;
    }
  dm_cache_entry_free(&e);
  return hit;
}

static dm_status build_layers(dm_context *ctx, dm_scene_build_state *b, dm_scene *out) {
  const dm_image *work = b->work;
  if (!out->matte.data || !work->data) return DM_OK; /* no matte; `info` reads headers only */
  double t = dm_now_ms();
  dm_matte_layers *L = &out->layers;
  dm_status s = dm_matte_layers_positions(ctx, &out->matte, L);
  if (s || !L->n) return s;
  /* Only an ISNet matte is in the key (see build_fused). */
  const int cacheable = b->cache && (b->matte_key.lo || b->matte_key.hi);
  dm_hash key = {0, 0};
  if (cacheable) {
    if ((s = need_file(ctx, b)) != DM_OK) return s;
    char matte_key[33];
    dm_hash_hex(b->matte_key, matte_key);
    key = key_of(b->file_hash, LAYERS_VERSION, matte_key, NULL, work->width, work->height);
  }
  int hit = cacheable && layers_from_cache(ctx, b, key, L);
  if (!hit) {
    dm_image plane = {0};
    float scale = 1.0f;
    s = dm_matte_estimate_fb(ctx, work, &out->matte, L);
    if (!s) s = pack_estimate(ctx, L, &plane, &scale);
    if (!s) {
      dm_cache_round_plane(ctx, &plane);
      unpack_estimate(ctx, &plane, scale, L);
    }
    if (!s && cacheable) {
      char meta[64];
      snprintf(meta, sizeof meta, "scale=%a", (double)scale);
      static const char *const names[] = {"estimate"};
      dm_image *const planes[] = {&plane};
      store(ctx, b, key, names, planes, 1, meta);
    }
    dm_image_free(&plane);
  }
  if (s) {
    dm_matte_layers_free(L);
    return s;
  }
  dm_matte_layers_settle(ctx, work, &out->matte, L);
  dm_stage_done(ctx, "scene", hit ? "matte layers (cached)" : "matte layers", &t);
  return DM_OK;
}

dm_status dm_scene_build(dm_context *ctx, const char *in_path, const dm_image *work, int orientation,
                         const dm_scene_options *opt, dm_scene *out) {
  memset(out, 0, sizeof *out);
  out->depth_used = DM_DEPTH_MODE_NONE;
  dm_scene_build_state b;
  memset(&b, 0, sizeof b);
  b.opt = opt;
  b.work = work;
  b.in_path = in_path;
  b.orientation = orientation;
  char cache_buf[1024];
  b.cache = cache_folder(ctx, opt, cache_buf, sizeof cache_buf);
  double t = dm_now_ms();
  /* The matte first: the fused depth is built around it. */
  dm_status s = build_matte(ctx, &b, out);
  if (!s) s = build_depth(ctx, &b, out);
  if (!s) out->ambiguous = dm_scene_ambiguous(ctx, out);
  if (!s) s = build_layers(ctx, &b, out);
  /* Without depth, the matte alone says whether the networks ran. */
  if (!s && opt->depth_mode == DM_DEPTH_MODE_NONE) out->cached = b.matte_cached;
  if (!s) dm_stage_done(ctx, "scene", "matte and depth", &t);
  dm_scene_build_state_free(&b);
  if (s) dm_scene_free(out);
  return s;
}

int dm_scene_advice(const dm_scene *s, char *out, size_t len) {
  if (len) out[0] = 0;
  if (!s->confidence.data || !(s->ambiguous > DM_SCENE_AMBIGUOUS)) return 0;
  snprintf(out, len, "%.0f %% of the subject's outline meets surroundings at its own depth: a Depth Range "
           "mask cannot separate it there; use Subject, or intersect the Depth Range with Subject",
           100.0 * s->ambiguous);
  return 1;
}

int dm_scene_subject_ranges(const dm_scene *s, float subject[2], float behind[2]) {
  const dm_image *d = &s->depth.near01, *m = &s->matte;
  if (!d->data || !m->data || d->width != m->width || d->height != m->height) return 0;
  enum { BINS = 1000 };
  double hist[BINS] = {0}, n = 0;
  for (int y = 0; y < d->height; y++) {
    const float *dr = dm_row(d, y), *mr = dm_row(m, y);
    for (int x = 0; x < d->width; x++) {
      if (!(mr[x] >= 0.5f) || isnan(dr[x])) continue;
      float v = dr[x] < 0.0f ? 0.0f : dr[x] > 1.0f ? 1.0f : dr[x];
      hist[(int)(v * (BINS - 1) + 0.5f)] += 1, n += 1;
    }
  }
  if (n < 16) return 0;
  double acc = 0;
  float p5 = -1, p95 = -1;
  for (int b = 0; b < BINS && p95 < 0; b++) {
    acc += hist[b];
    if (p5 < 0 && acc >= 0.05 * n) p5 = (float)b / (BINS - 1);
    if (acc >= 0.95 * n) p95 = (float)b / (BINS - 1);
  }
  subject[0] = floorf(100.0f * p5), subject[1] = ceilf(100.0f * p95);
  /* one step of the Depth Range handles (1) past the subject's far side */
  behind[0] = subject[1] + 1.0f > 100.0f ? 100.0f : subject[1] + 1.0f, behind[1] = 100.0f;
  return 1;
}
