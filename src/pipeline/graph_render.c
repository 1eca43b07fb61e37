/* A render through the graph: the same stages as dm_render_prepared
 * (render.c) on a level of the photo, each stage's result taken from the
 * level's memory when its key (graph_keys.c) is unchanged.
 *
 * The soft edge's layers flow through the corrections with the image
 * (layers.c), so a correction's memory holds them as it left them. A
 * render works on its own copies of the layers' colours and, when a
 * correction acts on the layers (which sets the matte's soft pixels to 0
 * or 1 for a moment), of the matte: the level's scene is never written, so
 * other requests may read it meanwhile. */
#include <stdlib.h>
#include <string.h>

#include "core/bigmem.h"
#include "pipeline/graph_internal.h"

/* One render's state: the image and the scene it sees. */
typedef struct render_state {
  dm_image img;
  dm_scene scene;      /* shallow copy of the level's, with its own layer colours */
  int has_scene;
  int own_matte;       /* scene.matte is this render's copy */
  dm_hash key;         /* of img (and the layers) as they are */
  dm_hash photo_key;
} render_state;

static size_t layer_bytes(const dm_scene *s) { return s->layers.n * 3 * sizeof(float); }

/* New copies of a layers' colours (lb bytes each); 0 when out of memory. */
static int layers_dup(const float *fg, const float *bg, size_t lb, float **ofg, float **obg) {
  *ofg = dm_big_alloc(lb), *obg = dm_big_alloc(lb);
  if (!*ofg || !*obg) {
    dm_big_free(*ofg), dm_big_free(*obg);
    *ofg = *obg = NULL;
    return 0;
  }
  memcpy(*ofg, fg, lb);
  memcpy(*obg, bg, lb);
  return 1;
}

static void state_free(dm_graph *g, render_state *st) {
  dm_image_free(&st->img);
  if (st->has_scene && !g->single_shot) {
    dm_big_free(st->scene.layers.fg);
    dm_big_free(st->scene.layers.bg);
    if (st->own_matte) dm_image_free(&st->scene.matte);
  }
}

static dm_status state_init(dm_context *ctx, dm_graph *g, graph_level *L, int ready, int before,
                            dm_graph_level level, render_state *st) {
  memset(st, 0, sizeof *st);
  st->key = st->photo_key = key_photo(level, ready, before);
  dm_status s = DM_OK;
  if (g->single_shot && L->photo.data) {
    st->img = L->photo; /* taken: this graph renders once */
    memset(&L->photo, 0, sizeof L->photo);
  } else if (g->single_shot) {
    return dm_fail(ctx, DM_ERR_PARAM, g->path, "this graph has rendered its one render");
  } /* else the image is a view of memory's or the photo's once chain() knows which */
  if (s || !ready || !L->has_scene) return s;
  st->scene = L->scene;
  st->has_scene = 1;
  /* The layers are worked on in place by a single-shot render, as the matte. */
  if (g->single_shot) return DM_OK;
  st->scene.layers.fg = st->scene.layers.bg = NULL;
  size_t n = layer_bytes(&L->scene);
  if (n && !layers_dup(L->scene.layers.fg, L->scene.layers.bg, n, &st->scene.layers.fg,
                       &st->scene.layers.bg))
    return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for the matte's layers");
  return DM_OK;
}

static void count(dm_graph *g, long *counter) {
  pthread_mutex_lock(&g->state_mu);
  (*counter)++;
  pthread_mutex_unlock(&g->state_mu);
}

/* Keep a copy of the state after a stage, when the level's budget has room. */
static void remember(dm_context *ctx, graph_level *L, memo_kind kind, dm_hash key,
                     const render_state *st) {
  size_t lb = st->has_scene ? layer_bytes(&st->scene) : 0;
  size_t bytes = (size_t)st->img.width * st->img.height * 3 * sizeof(float) + 2 * lb;
  if (bytes > L->memo.budget) return;
  memo_entry e = {.kind = kind, .key = key, .bytes = bytes};
  if (dm_image_copy(ctx, &e.img, &st->img)) return;
  if (lb && !layers_dup(st->scene.layers.fg, st->scene.layers.bg, lb, &e.fg, &e.bg)) {
    memo_entry_free(&e);
    return;
  }
  memo_put(&L->memo, &e);
}

/* The state's image as a view of `img` (memory's, or the level's photo):
 * nothing is copied until a stage writes it (own_image). Views live only
 * within one render, under the graph's render lock, and memory drops no
 * entry before the stage that reads the view has made its own image. */
static void view_of(render_state *st, const dm_image *img) {
  dm_image_free(&st->img);
  st->img = dm_image_view(img, 0, 0, img->width, img->height);
}

/* Before a stage writes the image in place: a view becomes a copy. */
static dm_status own_image(dm_context *ctx, render_state *st) {
  if (st->img.owns || !st->img.data) return DM_OK;
  dm_image copy = {0};
  dm_status s = dm_image_copy(ctx, &copy, &st->img);
  if (!s) st->img = copy;
  return s;
}

static void recall(const memo_entry *e, render_state *st) {
  size_t lb = st->has_scene ? layer_bytes(&st->scene) : 0;
  if (lb && e->fg) {
    memcpy(st->scene.layers.fg, e->fg, lb);
    memcpy(st->scene.layers.bg, e->bg, lb);
  }
  view_of(st, &e->img);
}

/* The key of correction c's masks as the state is: on the image they start
 * from only when they read it. */
static dm_hash masks_key(const render_state *st, dm_hash upstream, const dm_correction *c,
                         const char *base_dir) {
  int on_layers = dm_correction_on_layers(c, st->has_scene ? &st->scene : NULL);
  int reads = dm_mask_reads_image(c->masks, c->n_masks);
  return key_masks(reads ? upstream : st->photo_key, c, on_layers, base_dir);
}

/* Apply correction c to the state with its masks (key mk; two on the
 * layers) from memory, or rendered and kept. */
static dm_status correction(dm_context *ctx, dm_graph *g, graph_level *L, const dm_correction *c,
                            const char *base_dir, dm_hash mk, render_state *st) {
  dm_scene *scene = st->has_scene ? &st->scene : NULL;
  int on_layers = dm_correction_on_layers(c, scene);
  memo_entry *me = memo_find(&L->memo, MEMO_MASK, mk);
  memo_entry fresh = {.kind = MEMO_MASK, .key = mk};
  dm_image *mf = me ? &me->img : &fresh.img, *mb = me ? &me->img2 : &fresh.img2;
  dm_status s = DM_OK;
  if (!me) {
    s = dm_image_alloc(ctx, mf, st->img.width, st->img.height, 1);
    if (!s && on_layers) s = dm_image_alloc(ctx, mb, st->img.width, st->img.height, 1);
  }
  count(g, me ? &g->stats.masks_reused : &g->stats.masks_run);
  if (!s && on_layers && !st->own_matte && !g->single_shot) {
    dm_image copy = {0};
    s = dm_image_copy(ctx, &copy, &scene->matte);
    if (!s) scene->matte = copy, st->own_matte = 1;
  }
  dm_mask_inputs in = dm_scene_mask_inputs(&st->img, base_dir, scene);
  in.draft = L == &g->lv[DM_LEVEL_DRAFT];
  if (!s && on_layers) {
    s = dm_apply_on_layers(ctx, &st->img, c, &in, scene, mf, mb, me != NULL);
  } else if (!s) {
    s = dm_apply_on_composite(ctx, &st->img, c, &in, scene, mf, me != NULL);
  }
  if (!s && !me) {
    fresh.bytes = (size_t)mf->width * mf->height * sizeof(float) * (on_layers ? 2 : 1);
    if (fresh.bytes <= L->memo.budget) memo_put(&L->memo, &fresh);
  }
  memo_entry_free(&fresh);
  return s;
}

/* Lens Blur's refine strokes reshape the depth; one whose mask reads the
 * image (a luminance range) makes the blur's geometry depend on it. */
static int refine_reads_image(const dm_recipe *r) {
  for (int i = 0; i < r->refine.n; i++) {
    const dm_correction *c = &r->refine.strokes[i];
    if (dm_mask_reads_image(c->masks, c->n_masks)) return 1;
  }
  return 0;
}

static dm_status lens_blur(dm_context *ctx, dm_graph *g, graph_level *L, const dm_recipe *r,
                           render_state *st) {
  dm_hash bk = key_blur(st->key, r);
  memo_entry *e = memo_find(&L->memo, MEMO_BLUR, bk);
  count(g, e ? &g->stats.blurs_reused : &g->stats.blurs_run);
  if (e) {
    view_of(st, &e->img);
    return DM_OK;
  }
  /* The previews' levels keep the blur's geometry for the next image
   * (a full-size render is one-off: a region's crop, an export). */
  dm_lens_blur_plan **plan = NULL;
  if (L != &g->lv[DM_LEVEL_FULL] && !refine_reads_image(r)) {
    dm_hash pk = key_blur(st->photo_key, r), ak = key_blur_but_amount(st->photo_key, r);
    int amount_only = L->memo.plan_shape.lo == ak.lo && L->memo.plan_shape.hi == ak.hi;
    if (L->memo.plan_key.lo != pk.lo || L->memo.plan_key.hi != pk.hi) {
      if (amount_only) dm_lens_blur_plan_amount(L->memo.plan);
      else dm_lens_blur_plan_stale(L->memo.plan);
    }
    L->memo.plan_key = pk, L->memo.plan_shape = ak;
    plan = &L->memo.plan;
  }
  /* The plan keeps a copy of the image it last blurred; named, the same
   * image (a new Amount) is not copied again. */
  if (plan && *plan) dm_lens_blur_plan_image(*plan, st->key.lo, st->key.hi);
  /* A view of memory's image is read, not copied: the blur writes a new
   * one; an image of the state's own is blurred in place. */
  dm_image fresh = {0}, *out = &st->img;
  dm_status s = DM_OK;
  if (!st->img.owns) s = dm_image_alloc(ctx, out = &fresh, st->img.width, st->img.height, 3);
  if (!s) s = dm_apply_lens_blur_planned_to(ctx, &st->img, out, r, &st->scene, g->path, plan,
                                            L == &g->lv[DM_LEVEL_DRAFT]);
  if (out == &fresh && !s) st->img = fresh; /* the view needs no freeing */
  else if (out == &fresh) dm_image_free(&fresh);
  if (!s && plan && dm_lens_blur_plan_scaled(*plan)) count(g, &g->stats.blurs_scaled);
  if (!s) remember(ctx, L, MEMO_BLUR, bk, st);
  st->key = bk;
  return s;
}

/* The state for a render of `r` at `level` with its corrections [0, upto)
 * applied, each from memory when its key is unchanged. */
static dm_status chain(dm_context *ctx, dm_graph *g, const dm_recipe *r, const char *base_dir,
                       dm_graph_level level, int before, int upto, int *pending,
                       render_state *st) {
  graph_level *L = &g->lv[level];
  memset(st, 0, sizeof *st);
  dm_status s = level == DM_LEVEL_FULL && !g->single_shot ? graph_ensure_full(ctx, g) : DM_OK;
  g->used_ms = dm_now_ms();
  if (level == DM_LEVEL_FULL) g->full_used_ms = g->used_ms;
  pthread_mutex_lock(&g->state_mu);
  int ready = g->scene_state == 2;
  pthread_mutex_unlock(&g->state_mu);
  int needs = before ? 0 : dm_recipe_needs_scene(r);
  *pending = needs && !ready;
  if (!s && !before && !g->single_shot) s = dm_recipe_check_rendered(ctx, r, g->path);
  if (!s) s = state_init(ctx, g, L, ready, before, level, st);
  /* The keys first: the last correction whose result memory holds is
   * where the work starts, its image taken as a view (own_image copies it
   * once, when a correction after it writes; a blur reads it as it is). */
  int n = before ? 0 : upto, last = -1;
  dm_hash *ck = n ? malloc(sizeof *ck * 2 * (size_t)n) : NULL, *mk = ck ? ck + n : NULL;
  if (!s && n && !ck) s = dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
  memo_entry *hit = NULL;
  dm_hash key = st->key;
  for (int i = 0; !s && i < n; i++) {
    const dm_correction *c = &r->corrections[i];
    if (!dm_correction_runs(c) || (dm_mask_needs(c->masks, c->n_masks) && !st->has_scene))
      continue; /* skipped (or pending: needs the scene), here and below */
    mk[i] = masks_key(st, key, c, base_dir);
    key = ck[i] = key_correction(key, c, mk[i]);
    memo_entry *e = memo_find(&L->memo, MEMO_CORRECTION, ck[i]);
    if (e) last = i, hit = e;
  }
  if (!s && g->single_shot) {
    /* the photo was taken as the image; nothing is kept in memory */
  } else if (!s && hit) {
    recall(hit, st);
    st->key = ck[last];
  } else if (!s) {
    view_of(st, &L->photo);
  }
  for (int i = 0; !s && i < n; i++) {
    const dm_correction *c = &r->corrections[i];
    if (!dm_correction_runs(c)) continue;
    if (dm_mask_needs(c->masks, c->n_masks) && !st->has_scene) continue; /* pending */
    if (i <= last) { /* in the image recalled */
      count(g, &g->stats.corrections_reused);
      continue;
    }
    if (dm_cancelled(ctx)) s = dm_fail(ctx, DM_ERR_CANCELLED, NULL, "cancelled");
    if (!s) s = own_image(ctx, st);
    if (!s) {
      double t = dm_now_ms();
      count(g, &g->stats.corrections_run);
      s = correction(ctx, g, L, c, base_dir, mk[i], st);
      if (!s) remember(ctx, L, MEMO_CORRECTION, ck[i], st);
      char stage[32];
      snprintf(stage, sizeof stage, "correction %d", i);
      if (!s && level == DM_LEVEL_FULL) dm_stage_done(ctx, "render", stage, &t);
    }
    st->key = ck[i];
  }
  free(ck);
  return s;
}

static dm_status render_locked(dm_context *ctx, dm_graph *g, const dm_recipe *r,
                               const char *base_dir, const dm_graph_view *v, dm_image *out,
                               int *pending) {
  /* A region at 100 %: from a crop of the full level (graph_region.c). */
  dm_status rs;
  if (v->level == DM_LEVEL_FULL && v->w > 0 && !g->single_shot &&
      graph_region(ctx, g, r, base_dir, v, out, pending, &rs))
    return rs;
  render_state st;
  dm_status s = chain(ctx, g, r, base_dir, v->level, v->before, r->n_corrections, pending, &st);
  if (!s && !v->before && r->lens_blur.active != 0.0f && st.has_scene) {
    if (dm_cancelled(ctx)) s = dm_fail(ctx, DM_ERR_CANCELLED, NULL, "cancelled");
    double t = dm_now_ms();
    if (!s) s = lens_blur(ctx, g, &g->lv[v->level], r, &st);
    if (!s && v->level == DM_LEVEL_FULL) dm_stage_done(ctx, "render", "lens blur", &t);
  }
  if (!s && v->w > 0) {
    /* A region: the rectangle of the whole level's render (exact; the
     * level's memory makes the next region of the same recipe a copy). */
    if (v->x < 0 || v->y < 0 || v->w > st.img.width - v->x || v->h <= 0 || v->h > st.img.height - v->y)
      s = dm_fail(ctx, DM_ERR_RANGE, NULL, "the region %d,%d %dx%d is not inside the %dx%d photo",
                  v->x, v->y, v->w, v->h, st.img.width, st.img.height);
    dm_image view = s ? (dm_image){0} : dm_image_view(&st.img, v->x, v->y, v->w, v->h);
    if (!s) s = dm_image_copy(ctx, out, &view);
  } else if (!s && !st.img.owns) { /* memory's image, as it is */
    s = dm_image_copy(ctx, out, &st.img);
  } else if (!s) {
    *out = st.img;
    memset(&st.img, 0, sizeof st.img);
  }
  state_free(g, &st);
  /* A single shot's scene is not needed any more: its memory goes before the caller encodes. */
  if (g->single_shot && g->lv[v->level].has_scene) {
    dm_scene_free(&g->lv[v->level].scene);
    g->lv[v->level].has_scene = 0;
  }
  return s;
}

static dm_status mask_locked(dm_context *ctx, dm_graph *g, const dm_recipe *r,
                             const char *base_dir, dm_graph_level level, int index,
                             dm_image *out) {
  if (index < 0 || index >= r->n_corrections)
    return dm_fail(ctx, DM_ERR_PARAM, g->path, "the recipe has %d correction%s, no correction[%d]",
                   r->n_corrections, r->n_corrections == 1 ? "" : "s", index);
  const dm_correction *c = &r->corrections[index];
  render_state st;
  int pending = 0;
  dm_status s = chain(ctx, g, r, base_dir, level, 0, index, &pending, &st);
  if (!s && dm_mask_needs(c->masks, c->n_masks) && !st.has_scene)
    s = dm_fail(ctx, DM_ERR_PARAM, g->path, "correction[%d]'s mask needs the depth and matte, "
                "which are not ready yet", index);
  if (!s) s = dm_image_alloc(ctx, out, st.img.width, st.img.height, 1);
  dm_mask_inputs in = dm_scene_mask_inputs(&st.img, base_dir, st.has_scene ? &st.scene : NULL);
  in.draft = level == DM_LEVEL_DRAFT;
  if (!s) s = dm_mask_render(ctx, c->masks, c->n_masks, &in, out);
  if (s) dm_image_free(out);
  state_free(g, &st);
  return s;
}

dm_status dm_graph_render(dm_context *ctx, dm_graph *g, const dm_recipe *r, const char *base_dir,
                          const dm_graph_view *v, dm_image *out, int *scene_pending) {
  memset(out, 0, sizeof *out);
  int pending = 0;
  if (v->level < 0 || v->level >= DM_LEVEL_COUNT)
    return dm_fail(ctx, DM_ERR_PARAM, NULL, "no such preview level");
  /* Latest wins: a superseding render cancels the superseding one running
   * and, once it has the graph, gives way to any newer one waiting. */
  unsigned ticket = 0;
  if (v->supersede) {
    ticket = atomic_fetch_add(&g->supersede_ticket, 1) + 1;
    if (atomic_load(&g->supersede_running)) atomic_store(&g->rctx->cancel, 1);
  }
  pthread_mutex_lock(&g->render_mu);
  dm_status s = DM_OK;
  if (v->supersede && ticket != atomic_load(&g->supersede_ticket)) {
    s = DM_ERR_CANCELLED;
    dm_fail(g->rctx, s, NULL, "superseded by a newer preview");
  } else {
    atomic_store(&g->rctx->cancel, 0);
    atomic_store(&g->supersede_running, v->supersede != 0);
    s = render_locked(g->rctx, g, r, base_dir, v, out, &pending);
    /* The output transform's look (a camera raw's default look) on what
     * the corrections and the blur made in linear light: per pixel, so a
     * region is the same crop of the whole. Not memoised: it is cheap. */
    const dm_metadata *meta = dm_graph_metadata(g);
    if (!s) s = dm_look_apply(g->rctx, out, dm_recipe_look(r, meta->format), meta->baseline_ev);
    if (s) dm_image_free(out);
    atomic_store(&g->supersede_running, 0);
  }
  if (s) dm_fail(ctx, s, NULL, "%s", dm_context_error(g->rctx));
  pthread_mutex_unlock(&g->render_mu);
  if (scene_pending) *scene_pending = pending;
  return s;
}

dm_status dm_graph_mask(dm_context *ctx, dm_graph *g, const dm_recipe *r, const char *base_dir,
                        dm_graph_level level, int index, dm_image *out) {
  memset(out, 0, sizeof *out);
  if (level < 0 || level >= DM_LEVEL_COUNT)
    return dm_fail(ctx, DM_ERR_PARAM, NULL, "no such preview level");
  pthread_mutex_lock(&g->render_mu);
  atomic_store(&g->rctx->cancel, 0);
  dm_status s = mask_locked(g->rctx, g, r, base_dir, level, index, out);
  if (s) dm_fail(ctx, s, NULL, "%s", dm_context_error(g->rctx));
  pthread_mutex_unlock(&g->render_mu);
  return s;
}
