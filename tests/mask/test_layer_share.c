/* A depth-range mask on the matte's two layers (pipeline/layers.c) with its
 * fit made once, from the photo as it is (dm_mask_share):
 *   - the F and B masks agree, exactly, on every pixel that is not a soft
 *     edge pixel, and equal the mask of the photo as it is there: the
 *     layers differ only where they differ;
 *   - on the soft pixels the subject layer's mask is at least the
 *     background layer's (the matte's say, subject there, background
 *     there), and strictly above it on some;
 *   - a share made for other components (another range) is not used: the
 *     render fits afresh.
 * Photo: skimage's chelsea (tests/FIXTURES.md), a synthetic depth with a
 * near ellipse and a soft (8 px) matte over it. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dm_test.h"
#include "matte/matte.h"
#include "pipeline/render.h"

static void scene_maps(dm_context *ctx, int w, int h, dm_scene *sc) {
  CHECK_OK(ctx, dm_image_alloc(ctx, &sc->depth.near01, w, h, 1));
  CHECK_OK(ctx, dm_image_alloc(ctx, &sc->matte, w, h, 1));
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      float ex = (x - 0.45f * w) / (0.25f * w), ey = (y - 0.5f * h) / (0.45f * h);
      float e = sqrtf(ex * ex + ey * ey), edge = (1.0f - e) * 0.25f * w / 8.0f + 0.5f;
      /* the depth's edge blurred and 3 px out, as a network's is */
      float d = 0.2f + 0.6f / (1.0f + expf(-((e - 1.0f) * 0.25f * w - 3.0f) / 2.0f));
      *dm_px(&sc->depth.near01, x, y) = d;
      *dm_px(&sc->matte, x, y) = edge < 0 ? 0 : (edge > 1 ? 1 : edge);
    }
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  dm_image photo = dm_test_working_photo(ctx, "chelsea");
  const int w = photo.width, h = photo.height;
  dm_scene sc;
  memset(&sc, 0, sizeof sc);
  scene_maps(ctx, w, h, &sc);
  CHECK_OK(ctx, dm_matte_layers_build(ctx, &photo, &sc.matte, &sc.layers));
  CHECK(sc.layers.n > 100);

  dm_recipe r;
  CHECK_OK(ctx, dm_recipe_init(ctx, &r));
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[0].mask[0].kind=depth_range"));
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[0].mask[0].depth_range=0,45"));
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[0].mask[0].smoothness=40"));
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[0].exposure=0.5"));
  const dm_correction *c = &r.corrections[0];
  CHECK(dm_correction_on_layers(c, &sc));

  /* the photo's own mask, the matte as it is */
  dm_image work = {0}, mp = {0}, mf = {0}, mb = {0};
  CHECK_OK(ctx, dm_image_copy(ctx, &work, &photo));
  CHECK_OK(ctx, dm_image_alloc(ctx, &mp, w, h, 1));
  CHECK_OK(ctx, dm_image_alloc(ctx, &mf, w, h, 1));
  CHECK_OK(ctx, dm_image_alloc(ctx, &mb, w, h, 1));
  dm_mask_inputs in = dm_scene_mask_inputs(&work, NULL, &sc);
  CHECK_OK(ctx, dm_mask_render(ctx, c->masks, c->n_masks, &in, &mp));
  CHECK_OK(ctx, dm_apply_on_layers(ctx, &work, c, &in, &sc, &mf, &mb, 0));

  long off_soft = 0, differ = 0, soft = 0, below = 0, above = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      float f = dm_px(&mf, x, y)[0], b = dm_px(&mb, x, y)[0], p = dm_px(&mp, x, y)[0];
      if (dm_matte_layers_find(&sc.layers, x, y) < 0) {
        off_soft++;
        differ += f != b || f != p;
      } else {
        soft++;
        below += f < b - 1e-6f;
        above += f > b + 0.05f;
      }
    }
  printf("%ld pixels off the soft edge, %ld where the layers' masks or the photo's differ; "
         "%ld soft: the subject layer's below the background's on %ld, above by 0.05 on %ld\n",
         off_soft, differ, soft, below, above);
  CHECK(differ == 0);
  CHECK(below == 0);
  CHECK(above > 0);

  /* a share of another range is not this one's */
  dm_recipe r2;
  CHECK_OK(ctx, dm_recipe_init(ctx, &r2));
  CHECK_OK(ctx, dm_recipe_set(ctx, &r2, "correction[0].mask[0].kind=depth_range"));
  CHECK_OK(ctx, dm_recipe_set(ctx, &r2, "correction[0].mask[0].depth_range=0,25"));
  dm_mask_shared *other = NULL;
  dm_mask_inputs in2 = dm_scene_mask_inputs(&photo, NULL, &sc);
  CHECK_OK(ctx, dm_mask_share(ctx, r2.corrections[0].masks, 1, &in2, &other));
  in2.shared = other;
  dm_image again = {0};
  CHECK_OK(ctx, dm_image_alloc(ctx, &again, w, h, 1));
  CHECK_OK(ctx, dm_mask_render(ctx, c->masks, c->n_masks, &in2, &again));
  double mean, worst;
  dm_test_image_diff(&again, &mp, &mean, &worst);
  CHECK(worst == 0.0);
  dm_mask_shared_free(other);

  dm_image_free(&again);
  dm_recipe_free(&r2);
  dm_recipe_free(&r);
  dm_image_free(&work), dm_image_free(&mp), dm_image_free(&mf), dm_image_free(&mb);
  dm_matte_layers_free(&sc.layers);
  dm_image_free(&sc.depth.near01), dm_image_free(&sc.matte);
  dm_image_free(&photo);
  dm_context_free(ctx);
  return dm_test_done("mask/layer_share");
}
