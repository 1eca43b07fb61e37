/* Corrections on the two layers of the matte's soft edge.
 *
 * A soft matte pixel holds a·F + (1 − a)·B (matte/matte_layers.c). A
 * correction whose mask reads the matte (Subject, Background, a Depth
 * Range whose edge follows the matte) acts on each layer with the mask it
 * has there: the F layer is subject (matte 1), the B layer background
 * (matte 0). The pixel is then a·F' + (1 − a)·B': a Background −1 EV
 * darkens the whole of the background's share of an edge pixel and none of
 * the subject's, so no band along the outline keeps the old brightness.
 *
 * A correction whose mask does not read the matte acts on the picture as
 * it is (the composite); the layers follow it by the same per-channel gain,
 * so a·F + (1 − a)·B stays the picture for the corrections after it and for
 * the lens blur, which blurs B (blur/matte.c). */
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "pipeline/render.h"

/* Gains are taken only where the old value is above this (linear); below
 * it the change is added instead. */
#define GAIN_FLOOR 1e-4f

int dm_correction_on_layers(const dm_correction *c, const dm_scene *scene) {
  return scene && scene->layers.n && (dm_mask_needs(c->masks, c->n_masks) & DM_MASK_NEEDS_MATTE);
}

/* `img` with its soft pixels replaced by layer `which` (0 F, 1 B) and the
 * scene's matte with them set to 1 or 0 (put back by restore_matte). */
static void put_layer(dm_scene *scene, int which, dm_image *img) {
  const dm_matte_layers *L = &scene->layers;
  for (int y = 0; y < L->height; y++)
    for (size_t k = L->row_start[y]; k < L->row_start[y + 1]; k++) {
      int x = L->x[k];
      memcpy(dm_px(img, x, y), (which ? L->bg : L->fg) + 3 * k, 3 * sizeof(float));
      dm_px(&scene->matte, x, y)[0] = which ? 0.0f : 1.0f;
    }
}

static void restore_matte(dm_scene *scene, const float *alpha) {
  const dm_matte_layers *L = &scene->layers;
  for (int y = 0; y < L->height; y++)
    for (size_t k = L->row_start[y]; k < L->row_start[y + 1]; k++)
      dm_px(&scene->matte, L->x[k], y)[0] = alpha[k];
}

/* Render the correction's mask for one layer and apply it there. The
 * matte is changed in place for the mask and put back: no copy of it.
 * What of the mask does not depend on the layer was made once (shared). */
static dm_status adjust_layer(dm_context *ctx, const dm_correction *c, const dm_mask_inputs *in0,
                              const dm_mask_shared *shared, dm_scene *scene, const float *alpha,
                              int which, dm_image *img, dm_image *mask, int mask_ready) {
  put_layer(scene, which, img);
  dm_mask_inputs in = *in0;
  in.image = img, in.matte = &scene->matte, in.shared = shared;
  dm_status s = mask_ready ? DM_OK : dm_mask_render(ctx, c->masks, c->n_masks, &in, mask);
  restore_matte(scene, alpha);
  if (!s) s = dm_adjust_apply_frame(ctx, img, mask, c->amount / 100.0f, &c->sliders, &in0->frame);
  return s;
}

dm_status dm_apply_on_layers(dm_context *ctx, dm_image *work, const dm_correction *c,
                             const dm_mask_inputs *in, dm_scene *scene, dm_image *mask_f,
                             dm_image *mask_b, int masks_ready) {
  /* The F pass on a copy, the B pass in place (one extra image). */
  dm_matte_layers *L = &scene->layers;
  float *alpha = malloc(L->n * sizeof *alpha);
  if (!alpha) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for the matte's layers");
  for (int y = 0; y < L->height; y++)
    for (size_t k = L->row_start[y]; k < L->row_start[y + 1]; k++)
      alpha[k] = dm_px(&scene->matte, L->x[k], y)[0];
  dm_image fg = {0};
  dm_mask_shared *shared = NULL;
  dm_mask_inputs photo = *in; /* the picture as it is, with its own matte */
  photo.image = work, photo.matte = &scene->matte;
  dm_status s = masks_ready ? DM_OK : dm_mask_share(ctx, c->masks, c->n_masks, &photo, &shared);
  if (!s) s = dm_image_copy(ctx, &fg, work);
  if (!s) s = adjust_layer(ctx, c, in, shared, scene, alpha, 0, &fg, mask_f, masks_ready);
  if (!s) s = adjust_layer(ctx, c, in, shared, scene, alpha, 1, work, mask_b, masks_ready);
  dm_mask_shared_free(shared);
  free(alpha);
  /* Opaque pixels from the F pass, clear ones from the B pass (already in
   * place: dm_matte_soft's ends), soft ones put back together (and their layers kept for what
   * follows). */
  for (int y = 0; !s && y < work->height; y++) {
    const float *a = dm_row(&scene->matte, y), *f = dm_row(&fg, y);
    float *o = dm_row(work, y);
    for (int x = 0; x < work->width; x++)
      if (dm_matte_opaque(a[x])) memcpy(o + 3 * x, f + 3 * x, 3 * sizeof(float));
    for (size_t k = L->row_start[y]; k < L->row_start[y + 1]; k++) {
      int x = L->x[k];
      for (int ch = 0; ch < 3; ch++) {
        L->fg[3 * k + ch] = f[3 * x + ch], L->bg[3 * k + ch] = o[3 * x + ch];
        o[3 * x + ch] = a[x] * f[3 * x + ch] + (1.0f - a[x]) * o[3 * x + ch];
      }
    }
  }
  dm_image_free(&fg);
  return s;
}

float *dm_layers_save(const dm_scene *scene, const dm_image *work) {
  const dm_matte_layers *L = scene ? &scene->layers : NULL;
  if (!L || !L->n) return NULL;
  float *old = malloc(L->n * 3 * sizeof *old);
  for (int y = 0; old && y < L->height; y++)
    for (size_t k = L->row_start[y]; k < L->row_start[y + 1]; k++)
      memcpy(old + 3 * k, dm_px(work, L->x[k], y), 3 * sizeof(float));
  return old;
}

void dm_layers_follow(dm_scene *scene, const dm_image *work, const float *old) {
  dm_matte_layers *L = &scene->layers;
  for (int y = 0; old && y < L->height; y++)
    for (size_t k = L->row_start[y]; k < L->row_start[y + 1]; k++) {
      const float *now = dm_px(work, L->x[k], y);
      for (int ch = 0; ch < 3; ch++) {
        float was = old[3 * k + ch], *f = &L->fg[3 * k + ch], *b = &L->bg[3 * k + ch];
        if (was > GAIN_FLOOR) {
          float g = now[ch] / was;
          *f *= g, *b *= g;
        } else {
          *f += now[ch] - was, *b += now[ch] - was;
        }
      }
    }
}
