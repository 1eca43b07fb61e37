/* A region of the full level rendered on its own (issue 14, item 2): the
 * loupe's rectangle at 100 % without rendering the whole photo.
 *
 * The stages run on crops of the full-level photo and scene (views, and a
 * copy of the photo's crop to work in), each told where its crop lies in
 * the photo (dm_frame), so that it computes what the whole render computes
 * there: radii from the photo's size, gradients and brushes in the photo's
 * coordinates, grids laid on the photo, the blur's CoC scale, cat's eye and
 * auto focus from the whole photo. Two windows, in photo pixels:
 *
 *   blur         the rectangle and the blur's margin (dm_lens_blur_reach),
 *                its origin on the grid of its fills and coarse slices;
 *   corrections  around it, each running correction's margin added (the
 *                larger of its mask's, dm_mask_reach, and its sliders',
 *                dm_adjust_reach), its origin on every grid they lay.
 *
 * Both are clipped at the photo's borders, where a stage behaves as in the
 * whole render. The corrections run on their window, the blur on its part
 * of the result, and the rectangle is copied out. Memory: the crops (the
 * photo's, a mask or two, the matte's where a correction works on the soft
 * edge's layers, the blur's state), never a full-size buffer.
 *
 * The blur also reads the whole photo's depth (its slices, its own focus,
 * the distances pinned to it): that is made once per full scene and kept
 * (dm_lens_blur_whole). What reads the whole photo as the corrections
 * leave it cannot come from a crop: a Dehaze (its airlight is the haziest
 * part of the whole frame), and Lens Blur's refine strokes (they reshape
 * the depth the whole photo's slices and focus come from). Such recipes
 * are rendered whole and the rectangle cut out (graph_render.c). */
#include <stdlib.h>
#include <string.h>

#include "pipeline/graph_internal.h"

/* [x0, x1) x [y0, y1) in photo pixels. */
typedef struct box {
  int x0, y0, x1, y1;
} box;

/* A grid step past which aligning costs more than rendering the whole. */
#define MAX_ALIGN 2048

/* b grown by m on every side, its origin moved down to a multiple of
 * `align`, clipped to the w x h photo. */
static box grow(box b, int m, int align, int w, int h) {
  box o = {b.x0 - m, b.y0 - m, b.x1 + m, b.y1 + m};
  o.x0 = o.x0 <= 0 ? 0 : o.x0 / align * align;
  o.y0 = o.y0 <= 0 ? 0 : o.y0 / align * align;
  o.x1 = o.x1 < w ? o.x1 : w;
  o.y1 = o.y1 < h ? o.y1 : h;
  return o;
}

static dm_image view_of(const dm_image *img, box b, box within) {
  return dm_image_view(img, b.x0 - within.x0, b.y0 - within.y0, b.x1 - b.x0, b.y1 - b.y0);
}

static int refine_active(const dm_recipe *r) {
  for (int i = 0; i < r->refine.n; i++) {
    const dm_correction *c = &r->refine.strokes[i];
    if (c->active != 0.0f && c->amount != 0.0f && dm_correction_unrendered(c, NULL) < 0) return 1;
  }
  return 0;
}

/* Can a crop give this recipe's region? (Only the recipe: no side effects.) */
static int crop_can(const dm_recipe *r) {
  const dm_frame any = {1000, 1000, 0, 0};
  for (int i = 0; i < r->n_corrections; i++) {
    int align;
    if (dm_correction_runs(&r->corrections[i]) &&
        dm_adjust_reach(&r->corrections[i].sliders, &any, &align) < 0)
      return 0;
  }
  return !(r->lens_blur.active != 0.0f && refine_active(r));
}

/* Does correction c run in this render (as chain() in graph_render.c)? */
static int runs(const dm_correction *c, int has_scene) {
  return dm_correction_runs(c) && (has_scene || !dm_mask_needs(c->masks, c->n_masks));
}

typedef struct plan {
  box rect, corr, blur;
  int blur_on;
  dm_blur_crop crop;
} plan;

/* The windows, and what the blur takes from the whole level. 0 when the
 * blur cannot say (no depth, a range it refuses): the whole render says
 * why. */
static int make_plan(dm_context *ctx, dm_graph *g, const dm_recipe *r, int has_scene,
                     const dm_graph_view *v, plan *p, dm_status *status) {
  graph_level *L = &g->lv[DM_LEVEL_FULL];
  const int W = g->full_w, H = g->full_h;
  const dm_frame photo = {W, H, 0, 0};
  memset(p, 0, sizeof *p);
  p->rect = (box){v->x, v->y, v->x + v->w, v->y + v->h};
  p->blur = p->rect;
  p->blur_on = !v->before && r->lens_blur.active != 0.0f && has_scene;
  if (p->blur_on) {
    const dm_scene *sc = &L->scene;
    const dm_lens_blur *lb = &r->lens_blur;
    const dm_image *matte = sc->matte.data ? &sc->matte : NULL;
    int pinned = lb->mode == DM_BLUR_PHYSICAL && lb->subject_distance_m > 0.0f;
    if (!sc->depth.near01.data || (lb->mode == DM_BLUR_PHYSICAL && sc->depth.z_far_m == 0 && !pinned))
      return 0;
    dm_status s = DM_OK;
    if (!g->full_depths) s = dm_lens_blur_whole_make(ctx, &sc->depth.near01, matte, &g->full_depths);
    p->crop.lens.frame = photo;
    p->crop.lens.whole = g->full_depths;
    if (!s)
      s = dm_lens_blur_range(ctx, r, &sc->depth, &sc->depth.near01, matte, g->path,
                             &p->crop.z_near_m, &p->crop.z_far_m);
    if (s) {
      *status = s;
      return 1;
    }
    dm_lens_blur lens;
    dm_recipe_lens_blur(r, &lens);
    int align, margin = dm_lens_blur_reach(ctx, &lens, p->crop.z_near_m, p->crop.z_far_m,
                                           &p->crop.lens, &align);
    if (margin < 0 || align > MAX_ALIGN) return 0;
    p->blur = grow(p->rect, margin, align, W, H);
  }
  int total = 0;
  long long grid = 1;
  for (int i = 0; !v->before && i < r->n_corrections; i++) {
    const dm_correction *c = &r->corrections[i];
    if (!runs(c, has_scene)) continue;
    int am, mm, aa, ma;
    am = dm_adjust_reach(&c->sliders, &photo, &aa);
    mm = dm_mask_reach(c->masks, c->n_masks, &photo, &ma);
    if (am < 0) return 0;
    total += am > mm ? am : mm;
    grid = dm_grid_lcm(dm_grid_lcm(grid, aa), ma);
    if (grid > MAX_ALIGN) return 0;
  }
  p->corr = grow(p->blur, total, (int)grid, W, H);
  return 1;
}

/* The crop b of the full level's scene: views of its planes, and its own
 * copy of the soft edge's layers, cut from `layers` (whose columns start
 * at photo pixel lx0, ly0). */
static dm_status scene_crop(dm_context *ctx, const dm_scene *full, box b,
                            const dm_matte_layers *layers, int lx0, int ly0, dm_scene *out) {
  const box photo = {0, 0, 0, 0}; /* the planes' origin */
  *out = *full;
  out->depth.near01 = full->depth.near01.data ? view_of(&full->depth.near01, b, photo) : (dm_image){0};
  out->matte = full->matte.data ? view_of(&full->matte, b, photo) : (dm_image){0};
  out->confidence = full->confidence.data ? view_of(&full->confidence, b, photo) : (dm_image){0};
  memset(&out->layers, 0, sizeof out->layers);
  if (!layers->row_start) return DM_OK; /* no matte: no layers */
  return dm_matte_layers_crop(ctx, layers, b.x0 - lx0, b.y0 - ly0, b.x1 - b.x0, b.y1 - b.y0,
                              &out->layers);
}

static void count(dm_graph *g, long *counter) {
  pthread_mutex_lock(&g->state_mu);
  (*counter)++;
  pthread_mutex_unlock(&g->state_mu);
}

/* Correction c on the crop `img` (frame: where it lies) with the crop's
 * scene (its matte the crop's own copy when c works on the layers). */
static dm_status correction(dm_context *ctx, dm_graph *g, const dm_correction *c,
                            const char *base_dir, const dm_frame *frame, dm_scene *scene,
                            int has_scene, dm_image *img) {
  dm_scene *sc = has_scene ? scene : NULL;
  int on_layers = dm_correction_on_layers(c, sc);
  dm_image mf = {0}, mb = {0};
  dm_status s = dm_image_alloc(ctx, &mf, img->width, img->height, 1);
  if (!s && on_layers) s = dm_image_alloc(ctx, &mb, img->width, img->height, 1);
  if (!s && on_layers && !scene->matte.owns) { /* the layers' passes write it for a moment */
    dm_image copy = {0};
    s = dm_image_copy(ctx, &copy, &scene->matte);
    if (!s) scene->matte = copy;
  }
  dm_mask_inputs in = dm_scene_mask_inputs(img, base_dir, sc);
  in.frame = *frame;
  count(g, &g->stats.masks_run);
  count(g, &g->stats.corrections_run);
  if (!s && on_layers) {
    s = dm_apply_on_layers(ctx, img, c, &in, scene, &mf, &mb, 0);
  } else if (!s) {
    s = dm_apply_on_composite(ctx, img, c, &in, sc, &mf, 0);
  }
  dm_image_free(&mf);
  dm_image_free(&mb);
  return s;
}

static dm_status render(dm_context *ctx, dm_graph *g, const dm_recipe *r, const char *base_dir,
                        const dm_graph_view *v, int has_scene, plan *p, dm_image *out) {
  graph_level *L = &g->lv[DM_LEVEL_FULL];
  const box whole = {0, 0, g->full_w, g->full_h}, C = p->corr, B = p->blur;
  const dm_frame frame = {g->full_w, g->full_h, C.x0, C.y0};
  dm_image img = {0}, photo = view_of(&L->photo, C, whole);
  dm_scene sc, bs;
  memset(&sc, 0, sizeof sc);
  memset(&bs, 0, sizeof bs);
  dm_status s = dm_image_copy(ctx, &img, &photo);
  if (!s && has_scene) s = scene_crop(ctx, &L->scene, C, &L->scene.layers, 0, 0, &sc);
  for (int i = 0; !s && !v->before && i < r->n_corrections; i++) {
    const dm_correction *c = &r->corrections[i];
    if (!runs(c, has_scene)) continue;
    if (dm_cancelled(ctx)) s = dm_fail(ctx, DM_ERR_CANCELLED, NULL, "cancelled");
    if (!s) s = correction(ctx, g, c, base_dir, &frame, &sc, has_scene, &img);
  }
  if (!s && p->blur_on) {
    if (dm_cancelled(ctx)) s = dm_fail(ctx, DM_ERR_CANCELLED, NULL, "cancelled");
    /* The scene's own matte (a correction's copy is as it was), the layers
     * as the corrections left them. */
    if (!s) s = scene_crop(ctx, &L->scene, B, &sc.layers, C.x0, C.y0, &bs);
    dm_image bimg = view_of(&img, B, C);
    p->crop.lens.frame = (dm_frame){g->full_w, g->full_h, B.x0, B.y0};
    count(g, &g->stats.blurs_run);
    if (!s) s = dm_apply_lens_blur_crop(ctx, &bimg, r, &bs, g->path, &p->crop);
  }
  dm_image rect = view_of(&img, p->rect, C);
  if (!s) s = dm_image_copy(ctx, out, &rect);
  if (sc.matte.owns) dm_image_free(&sc.matte);
  dm_matte_layers_free(&sc.layers);
  dm_matte_layers_free(&bs.layers);
  dm_image_free(&img);
  return s;
}

int graph_region(dm_context *ctx, dm_graph *g, const dm_recipe *r, const char *base_dir,
                 const dm_graph_view *v, dm_image *out, int *pending, dm_status *status) {
  if (!v->before && !crop_can(r)) return 0;
  graph_level *L = &g->lv[DM_LEVEL_FULL];
  dm_status s = graph_ensure_full(ctx, g);
  g->used_ms = g->full_used_ms = dm_now_ms();
  pthread_mutex_lock(&g->state_mu);
  int ready = g->scene_state == 2;
  pthread_mutex_unlock(&g->state_mu);
  *pending = !v->before && dm_recipe_needs_scene(r) && !ready;
  const int W = g->full_w, H = g->full_h;
  if (!s && (v->x < 0 || v->y < 0 || v->w > W - v->x || v->h <= 0 || v->h > H - v->y))
    s = dm_fail(ctx, DM_ERR_RANGE, NULL, "the region %d,%d %dx%d is not inside the %dx%d photo",
                v->x, v->y, v->w, v->h, W, H);
  int has_scene = ready && L->has_scene;
  plan p;
  if (!s && !make_plan(ctx, g, r, has_scene, v, &p, &s)) return 0;
  if (!s && !v->before) s = dm_recipe_check_rendered(ctx, r, g->path);
  if (!s) s = render(ctx, g, r, base_dir, v, has_scene, &p, out);
  *status = s;
  return 1;
}
