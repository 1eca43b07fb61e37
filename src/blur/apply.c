/* dm_lens_blur_apply: the stages in order (see blur.h for the method).
 *
 * Memory, besides the caller's buffers: per pixel a float CoC radius and
 * bytes for the slice, the matte and the slice behind a soft subject pixel
 * (7 bytes, 168 MB at 24 MP); the fills of full-resolution slices on the
 * 2x grid (4x above 4 MP) and the coarse slices' layers at their levels;
 * and one scratch arena whose pages every stage reuses. The image itself is
 * not copied: the last pass writes it in place, band by band, reading the
 * few rows it still needs from saved copies (composite.c). 24 MP peaks at
 * ~700 MiB for the process, image and depth included (bench/bench_blur.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "blur/blur_internal.h"
#include "matte/matte.h"
#include "core/pool.h"

/* The depth map and the optional matte: 1 channel, w x h. */
static dm_status check_maps(dm_context *ctx, const dm_image *near01, const dm_image *matte, int w,
                            int h) {
  if (!near01 || !near01->data || near01->channels != 1)
    return dm_fail(ctx, DM_ERR_PARAM, "depth", "expected a 1-channel depth map");
  if (near01->width != w || near01->height != h)
    return dm_fail(ctx, DM_ERR_PARAM, "depth", "depth map is %dx%d, the image %dx%d",
                   near01->width, near01->height, w, h);
  if (matte && (!matte->data || matte->channels != 1 || matte->width != w || matte->height != h))
    return dm_fail(ctx, DM_ERR_PARAM, "matte", "expected a 1-channel matte the size of the image");
  return DM_OK;
}

static dm_status check_inputs(dm_context *ctx, const dm_image *rgb, const dm_image *near01,
                              const dm_image *matte) {
  if (!rgb || !rgb->data || rgb->channels != 3)
    return dm_fail(ctx, DM_ERR_PARAM, "lens_blur", "expected a 3-channel image");
  if (rgb->width < 1 || rgb->height < 1)
    return dm_fail(ctx, DM_ERR_PARAM, "lens_blur", "empty image");
  if ((long long)rgb->width * rgb->height > DM_MAX_PIXELS)
    return dm_fail(ctx, DM_ERR_RANGE, "lens_blur", "image of %dx%d is too large", rgb->width,
                   rgb->height);
  return check_maps(ctx, near01, matte, rgb->width, rgb->height);
}

/* The geometry and what was made from it; the kernels and the scratch
 * stay. */
static void geometry_free(bl_state *st) {
  bl_free(st->rad);
  bl_free(st->sid);
  bl_free(st->boost_w);
  bl_free(st->bid);
  bl_free(st->m8);
  bl_free(st->soft);
  bl_free(st->subj.fill);
  for (int k = 0; k < st->n_slices; k++) {
    bl_free(st->slices[k].fill);
    bl_free(st->slices[k].acc);
    bl_free(st->slices[k].beyond);
    bl_free(st->slices[k].geo);
    bl_free(st->slices[k].dead);
  }
  st->rad = NULL, st->boost_w = NULL, st->sid = st->bid = st->m8 = NULL;
  st->soft = NULL, st->n_soft = 0;
  bl_reuse_forget(st->reuse); /* the slices are made again */
  memset(&st->subj, 0, sizeof st->subj);
  memset(st->slices, 0, sizeof st->slices);
  memset(st->n_behind, 0, sizeof st->n_behind);
  st->n_slices = 0;
}

static void state_free(bl_state *st) {
  geometry_free(st);
  bl_reuse_free(st->reuse);
  bl_kernels_free(&st->kern);
  bl_arena_free(&st->scratch);
}

/* Kernels depend on the aperture's shape alone (shape.c). */
static int same_shape(const dm_lens_blur *a, const dm_lens_blur *b) {
  return a->bokeh == b->bokeh && a->blades == b->blades && a->blade_rotation == b->blade_rotation &&
         a->blade_curvature == b->blade_curvature && a->cat_eye == b->cat_eye;
}

static void matte_bytes(void *user, int ith, int nth) {
  bl_state *st = user;
  int y0, y1;
  dm_split_rows(st->h, ith, nth, &y0, &y1);
  for (int y = y0; y < y1; y++) {
    const float *m = dm_row(st->matte, y);
    uint8_t *o = st->m8 + (size_t)y * st->w;
    for (int x = 0; x < st->w; x++) o[x] = dm_to_u8(m[x]);
  }
}

/* What depends only on the depth, the matte and the blur's parameters,
 * never on the image: the CoC and slice maps, the matte's split, the
 * kernels. A plan (dm_lens_blur_plan) keeps it between renders. */
static dm_status prepare_geometry(bl_state *st, const dm_image *near01, float z_near_m,
                                  float z_far_m) {
  dm_context *ctx = st->ctx;
  bl_coc_fn fn;
  dm_status s =
      bl_coc_setup(ctx, near01, z_near_m, z_far_m, st->matte, st->p, st->rg, st->focus, &fn);
  if (s != DM_OK) return s;
  size_t n = (size_t)st->w * st->h;
  if (st->matte) { /* 8 bits of alpha are what mattes carry */
    st->m8 = bl_alloc(n);
    if (!st->m8) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for the matte");
    dm_parallel(ctx, matte_bytes, st);
  }
  st->rad = bl_alloc(sizeof(float) * n);
  st->sid = bl_alloc(n);
  if (!st->rad || !st->sid)
    return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for the lens blur (%dx%d)", st->w, st->h);
  if ((s = bl_front_maps(st, near01, &fn)) != DM_OK) return s;
  if (st->kern.nq) return DM_OK; /* a plan's, for this shape */
  return bl_kernels_build(ctx, st->p, &st->kern);
}

/* What reads the image, up to the full-resolution pass: boost, the
 * subject's colour, the fills (far to near: a soft subject pixel's share
 * of a layer is split from the fill behind it) and the coarse slices. A
 * planned state keeps its buffers for the next image. */
static dm_status prepare_image(bl_state *st) {
  dm_context *ctx = st->ctx;
  bl_boost_setup(st);
  dm_status s = bl_boost_sizes(st);
  if (s != DM_OK) return s;
  if (st->m8 && (s = bl_subject_colour(st)) != DM_OK) return s;
  if ((s = bl_reuse_mark(st)) != DM_OK) return s; /* the slices this image changes */
  int fill0 = bl_fill_level0(st);
  for (int k = st->n_slices - 1; k >= 0; k--) {
    if (dm_cancelled(ctx)) return dm_fail(ctx, DM_ERR_CANCELLED, NULL, "cancelled");
    bl_slice *sl = &st->slices[k];
    /* a full-resolution slice with nothing in front of it needs no fill */
    int coarse = sl->level > 0, need_fill = sl->fill_reach > 0.0f && sl->win[1] > sl->win[0];
    if ((!coarse && !need_fill) || !st->dirty[k]) continue; /* a clean one's are the last image's */
    int level = coarse ? sl->level : fill0, fw, fh;
    float *own = NULL, *hidden = NULL;
    bl_arena_reset(&st->scratch);
    if ((s = bl_slice_own(st, k, level, &own, &hidden, &fw, &fh)) != DM_OK) return s;
    if (need_fill) {
      sl->fill_level = level, sl->fw = fw, sl->fh = fh;
      if (!sl->fill) sl->fill = bl_alloc(sizeof(float) * 4 * (size_t)fw * fh);
      if (!sl->fill) s = dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for the lens blur fill");
      if (s == DM_OK)
        s = bl_push_pull(st, fw, fh, own, hidden, sl->fill_reach / (float)(1 << level), sl->fill,
                         &sl->beyond);
      if (s == DM_OK) bl_fill_dead(ctx, sl);
    }
    if (s == DM_OK && coarse) {
      s = bl_slice_behind(st, k, level, own, hidden, fw, fh);
      if (s == DM_OK) s = bl_coarse_scatter(st, k, own, hidden, fw, fh);
    }
    if (s != DM_OK) return s;
    if (coarse && !st->m8 && !st->planned) { /* only soft subject pixels read a coarse fill later */
      bl_free(sl->fill);
      sl->fill = NULL;
    }
  }
  return DM_OK;
}

/* A zeroed state for a w x h render (rg: a crop of the photo, or NULL);
 * NULL (error recorded) on OOM. */
static bl_state *state_new(dm_context *ctx, const dm_lens_blur *p, int w, int h,
                           const dm_image *matte, const dm_lens_blur_region *rg) {
  bl_state *st = calloc(1, sizeof *st);
  if (!st) {
    dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for the lens blur");
    return NULL;
  }
  st->ctx = ctx;
  st->p = p;
  st->w = w;
  st->h = h;
  st->rg = rg;
  st->frame = dm_frame_of(rg ? &rg->frame : NULL, w, h);
  st->matte = matte;
  st->r0 = BL_R0;
  return st;
}

dm_status dm_lens_blur_apply(dm_context *ctx, dm_image *rgb, const dm_image *near01, float z_near_m,
                             float z_far_m, const dm_image *matte, const dm_lens_blur *p) {
  return dm_lens_blur_apply_layers(ctx, rgb, near01, z_near_m, z_far_m, matte, NULL, p);
}

dm_status dm_lens_blur_apply_layers(dm_context *ctx, dm_image *rgb, const dm_image *near01,
                                    float z_near_m, float z_far_m, const dm_image *matte,
                                    const struct dm_matte_layers *layers, const dm_lens_blur *p) {
  return dm_lens_blur_apply_planned(ctx, rgb, near01, z_near_m, z_far_m, matte, layers, p, NULL, 0);
}

struct dm_lens_blur_plan {
  bl_state *st;
  dm_lens_blur p; /* the state points at this copy */
  int stale;      /* the geometry is another depth's or parameters': made again */
  int amount;     /* stale only in Amount (dm_lens_blur_plan_amount) */
  float scaled;   /* a draft's: its radii are those of the geometry's Amount times this
                     (draft_amount); 0 when the geometry is exact */
  float made_coc; /* the largest CoC of the Amount the geometry was made for */
  uint64_t next_image[2]; /* dm_lens_blur_plan_image: the next call's image */
};

/* While Lens Blur Amount alone moves, an editor's draft keeps the plan's
 * geometry (which pixels lie in which slice, their fills' coverage) and
 * scales every radius: Amount scales the artistic CoC and nothing else, so
 * each pixel is still blurred with its own radius, only at the grid its
 * slice had for the old one. The draft's slices scatter radii up to half
 * the kernels' largest (r0 = BL_R0 / 2), so radii may grow twice before a
 * kernel would outgrow its margin; shrinking, a coarse slice's kernels
 * span fewer cells (softer bokeh, in a preview shown while the slider
 * moves). Beyond a factor of 2 either way, or at the first image that is
 * not a new Amount, the geometry is made again exactly. The full previews
 * and every export never take this path. */
static int draft_amount(dm_lens_blur_plan *pl, const dm_lens_blur *p, int draft) {
  if (!draft || !pl->stale || !pl->amount || p->mode != DM_BLUR_ARTISTIC || !(pl->made_coc > 0.0f))
    return 0;
  dm_lens_blur other = pl->p;
  other.amount = p->amount;
  if (memcmp(&other, p, sizeof other)) return 0; /* more than Amount changed */
  float f = dm_lens_blur_max_coc(p, pl->st->w, pl->st->h) / pl->made_coc;
  if (!(f >= 0.5f && f <= 2.0f)) return 0;
  bl_scale_radii(pl->st, f / (pl->scaled > 0.0f ? pl->scaled : 1.0f));
  bl_reuse_forget(pl->st->reuse);
  pl->p = *p;
  pl->scaled = f;
  pl->stale = pl->amount = 0;
  return 1;
}

void dm_lens_blur_plan_stale(dm_lens_blur_plan *plan) {
  if (plan) plan->stale = 1, plan->amount = 0;
}

void dm_lens_blur_plan_amount(dm_lens_blur_plan *plan) {
  if (plan && !plan->stale) plan->stale = plan->amount = 1; /* stale for more stays so */
}

int dm_lens_blur_plan_ready(const dm_lens_blur_plan *plan) { return plan && !plan->stale; }

void dm_lens_blur_plan_image(dm_lens_blur_plan *plan, uint64_t lo, uint64_t hi) {
  if (plan) plan->next_image[0] = lo, plan->next_image[1] = hi;
}

int dm_lens_blur_plan_scaled(const dm_lens_blur_plan *plan) { return plan && plan->scaled > 0.0f; }

void dm_lens_blur_plan_free(dm_lens_blur_plan *plan) {
  if (!plan) return;
  state_free(plan->st);
  bl_free(plan->st);
  bl_free(plan);
}

int dm_lens_blur_plan_reused(const dm_lens_blur_plan *plan) {
  int n = 0;
  for (int k = 0; plan && k < plan->st->n_slices; k++) n += !plan->st->dirty[k];
  return n;
}

size_t dm_lens_blur_plan_bytes(const dm_lens_blur_plan *plan) {
  if (!plan) return 0;
  const bl_state *st = plan->st;
  size_t n = (size_t)st->w * st->h, b = n * (sizeof(float) + 1) + (st->m8 ? 2 * n : 0);
  for (int k = 0; k < st->n_slices; k++) {
    const bl_slice *sl = &st->slices[k];
    if (sl->fill) b += sizeof(float) * 4 * (size_t)sl->fw * sl->fh;
    if (sl->beyond) b += (size_t)sl->fw * sl->fh;
    if (sl->dead) b += (size_t)sl->fw * sl->fh;
    if (sl->geo) b += sizeof(float) * 4 * (sl->fw ? (size_t)sl->fw * sl->fh : (size_t)sl->aw * sl->ah);
    if (sl->acc) b += sizeof(float) * 4 * (size_t)sl->ah * (sl->aw + 2 * BL_PAD);
  }
  for (int i = 0; i < st->scratch.n; i++) b += st->scratch.cap[i];
  return b + bl_reuse_bytes(st);
}

/* A plan's per-image results go; its geometry and buffers stay. */
static void plan_reset(bl_state *st, const dm_image *rgb, const struct dm_matte_layers *layers) {
  st->in = rgb;
  st->layers = layers;
  bl_free(st->subj.fill);
  memset(&st->subj, 0, sizeof st->subj);
}

/* The blur, through a plan (plan not NULL) or on a crop of the photo (rg
 * not NULL; a crop's blur is made afresh: its window moves with the loupe). */
static dm_status apply(dm_context *ctx, const dm_image *rgb, dm_image *out, const dm_image *near01,
                       float z_near_m, float z_far_m, const dm_image *matte,
                       const struct dm_matte_layers *layers, const dm_lens_blur *p,
                       dm_lens_blur_plan **plan, int draft, const dm_lens_blur_region *rg) {
  double t = dm_now_ms();
  dm_status s = dm_lens_blur_check(ctx, p);
  if (s != DM_OK) return s;
  if (!p->active) { /* nothing to blur: the output is the input */
    if (out != rgb && rgb && out) dm_image_copy_pixels(out, rgb); /* (_to checks the sizes) */
    return DM_OK;
  }
  if ((s = check_inputs(ctx, rgb, near01, matte)) != DM_OK) return s;
  if (layers && (!matte || layers->width != rgb->width || layers->height != rgb->height))
    layers = NULL;
  dm_lens_blur_plan *pl = plan ? *plan : NULL;
  const float r0 = draft ? 0.5f * BL_R0 : BL_R0;
  if (pl && (pl->st->w != rgb->width || pl->st->h != rgb->height || pl->st->r0 != r0)) {
    dm_lens_blur_plan_free(pl); /* not this image's (or level's): made again */
    *plan = pl = NULL;
  }
  if (pl && !draft_amount(pl, p, draft) && pl->scaled > 0.0f)
    pl->stale = 1; /* anything but a draft of a new Amount: made exactly */
  if (pl && pl->stale) { /* new geometry; the kernels and scratch pages stay when they can */
    geometry_free(pl->st);
    if (!pl->amount) pl->st->focus[3] = 0.0f; /* another depth or matte may have come */
    if (!same_shape(&pl->p, p)) bl_kernels_free(&pl->st->kern);
    pl->p = *p;
    pl->st->ctx = ctx, pl->st->matte = matte;
    if ((s = prepare_geometry(pl->st, near01, z_near_m, z_far_m)) != DM_OK) {
      dm_lens_blur_plan_free(pl);
      *plan = NULL;
      return s;
    }
    pl->stale = pl->amount = 0, pl->scaled = 0.0f;
    pl->made_coc = dm_lens_blur_max_coc(p, pl->st->w, pl->st->h);
  }
  bl_state *st = pl ? pl->st : NULL;
  if (!st && plan) {
    pl = calloc(1, sizeof *pl);
    if (!pl) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for the lens blur");
    pl->p = *p;
    st = pl->st = state_new(ctx, &pl->p, rgb->width, rgb->height, matte, NULL);
    if (!st) {
      bl_free(pl);
      return DM_ERR_NOMEM;
    }
    st->planned = 1;
    st->r0 = r0;
    pl->made_coc = dm_lens_blur_max_coc(p, rgb->width, rgb->height);
    if ((s = prepare_geometry(st, near01, z_near_m, z_far_m)) != DM_OK) {
      dm_lens_blur_plan_free(pl);
      return s;
    }
    *plan = pl;
  } else if (!st) {
    st = state_new(ctx, p, rgb->width, rgb->height, matte, rg);
    if (!st) return DM_ERR_NOMEM;
    s = prepare_geometry(st, near01, z_near_m, z_far_m);
  }
  st->ctx = ctx, st->matte = matte;
  plan_reset(st, rgb, layers);
  bl_layer_index(st); /* for this call: the next may bring other layers */
  /* named for this call only */
  st->image_id[0] = pl ? pl->next_image[0] : 0, st->image_id[1] = pl ? pl->next_image[1] : 0;
  if (pl) pl->next_image[0] = pl->next_image[1] = 0;
  if (s == DM_OK) dm_stage_done(ctx, "lens blur", "geometry", &t);
  if (s == DM_OK) s = prepare_image(st);
  if (s == DM_OK) dm_stage_done(ctx, "lens blur", "layers and fills", &t);
  if (s == DM_OK && dm_cancelled(ctx)) s = dm_fail(ctx, DM_ERR_CANCELLED, NULL, "cancelled");
  if (s == DM_OK) s = bl_render_bands(st, out);
  if (s == DM_OK) dm_stage_done(ctx, "lens blur", "bands", &t);
  if (s == DM_OK) bl_reuse_done(st);
  bl_layer_index_free(st);
  if (pl && s != DM_OK && s != DM_ERR_CANCELLED) { /* not to be trusted again */
    dm_lens_blur_plan_free(pl);
    *plan = NULL;
  } else if (!pl) {
    state_free(st);
    bl_free(st);
  }
  return s;
}

dm_status dm_lens_blur_apply_planned(dm_context *ctx, dm_image *rgb, const dm_image *near01,
                                     float z_near_m, float z_far_m, const dm_image *matte,
                                     const struct dm_matte_layers *layers, const dm_lens_blur *p,
                                     dm_lens_blur_plan **plan, int draft) {
  return apply(ctx, rgb, rgb, near01, z_near_m, z_far_m, matte, layers, p, plan, draft, NULL);
}

dm_status dm_lens_blur_apply_planned_to(dm_context *ctx, const dm_image *src, dm_image *out,
                                        const dm_image *near01, float z_near_m, float z_far_m,
                                        const dm_image *matte, const struct dm_matte_layers *layers,
                                        const dm_lens_blur *p, dm_lens_blur_plan **plan, int draft) {
  if (!out || !out->data || !src || out->width != src->width || out->height != src->height ||
      out->channels != 3)
    return dm_fail(ctx, DM_ERR_PARAM, "lens_blur", "the output must be an image of the input's size");
  return apply(ctx, src, out, near01, z_near_m, z_far_m, matte, layers, p, plan, draft, NULL);
}

dm_status dm_lens_blur_apply_region(dm_context *ctx, dm_image *rgb, const dm_image *near01,
                                    float z_near_m, float z_far_m, const dm_image *matte,
                                    const struct dm_matte_layers *layers, const dm_lens_blur *p,
                                    const dm_lens_blur_region *rg) {
  return apply(ctx, rgb, rgb, near01, z_near_m, z_far_m, matte, layers, p, NULL, 0, rg);
}

dm_status dm_lens_blur_coc_map(dm_context *ctx, const dm_image *near01, float z_near_m,
                               float z_far_m, const dm_image *matte, const dm_lens_blur *p,
                               dm_image *coc) {
  dm_status s = dm_lens_blur_check(ctx, p);
  if (s != DM_OK) return s;
  if (!near01 || !near01->data)
    return dm_fail(ctx, DM_ERR_PARAM, "depth", "expected a 1-channel depth map");
  if ((s = check_maps(ctx, near01, matte, near01->width, near01->height)) != DM_OK) return s;
  bl_state *st = state_new(ctx, p, near01->width, near01->height, matte, NULL);
  if (!st) return DM_ERR_NOMEM;
  bl_coc_fn fn;
  size_t n = (size_t)st->w * st->h;
  s = bl_coc_setup(ctx, near01, z_near_m, z_far_m, matte, p, NULL, NULL, &fn);
  if (s == DM_OK) {
    st->rad = bl_alloc(sizeof(float) * n);
    st->sid = bl_alloc(n);
    if (!st->rad || !st->sid) s = dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for the CoC map");
  }
  if (s == DM_OK) s = bl_front_maps(st, near01, &fn);
  if (s == DM_OK) s = dm_image_alloc(ctx, coc, st->w, st->h, 1);
  if (s == DM_OK)
    for (int y = 0; y < st->h; y++) {
      float *o = dm_row(coc, y);
      for (int x = 0; x < st->w; x++) o[x] = 2.0f * st->rad[(size_t)y * st->w + x];
    }
  state_free(st);
  bl_free(st);
  return s;
}
