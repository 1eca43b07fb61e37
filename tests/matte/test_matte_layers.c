/* The soft edge as two layers (issue 13 item 2), on a synthetic edge whose
 * truth is known: a white subject (F) over a blue background (B) with a
 * 2-px anti-aliased edge and a dark 1-px fringe just outside it, as JPEG
 * ringing or a sharpened edge leaves one, and a "network" matte blurred
 * 4 px past the true edge, with stray haze far from the subject.
 *   - dm_matte_from_colour brings the blurred matte back to the edge:
 *     pixels 1-4 px outside the true edge (the fringe among them) end at
 *     alpha 0, the anti-aliased ones near their true alpha, and the haze
 *     not connected to the subject is cleaned; with the network matte as it
 *     is, the same pixels keep alpha up to ~0.4;
 *   - the layers (dm_matte_layers_build: multi-level foreground
 *     estimation) recover F and B on the anti-aliased pixels;
 *   - the pipeline's layered correction: a Background -1 EV halves B of a
 *     soft pixel and leaves F, a·F + (1 − a)·B/2 (the composite alone
 *     would darken the pixel by (1 − a) of a stop). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_test.h"
#include "matte/matte.h"
#include "pipeline/render.h"

#define W 96
#define H 64
#define EDGE 48.0f /* true edge: subject left of x = 48 */

static const float F_RGB[3] = {0.85f, 0.86f, 0.88f}, B_RGB[3] = {0.10f, 0.15f, 0.40f};

/* True coverage of pixel column x (edge anti-aliased over 2 px). */
static float truth(int x) {
  float a = (EDGE + 1.0f - (x + 0.5f)) / 2.0f;
  return a < 0 ? 0 : (a > 1 ? 1 : a);
}

static void make_photo(dm_image *rgb, dm_image *net) {
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      float a = truth(x), *p = dm_px(rgb, x, y);
      /* small deterministic texture, like a photo's noise */
      float n = 0.01f * (float)(((x * 7 + y * 13) % 5) - 2);
      for (int c = 0; c < 3; c++) p[c] = a * F_RGB[c] + (1 - a) * B_RGB[c] + n;
      if (x == (int)EDGE + 1) /* the dark fringe outside the edge */
        for (int c = 0; c < 3; c++) p[c] = 0.6f * B_RGB[c];
      /* the network: a ramp from 1 at x = 44 to 0 at x = 53 */
      float m = (53.0f - x) / 9.0f;
      m = m < 0 ? 0 : (m > 1 ? 1 : m);
      if (x >= 80 && y >= 20 && y < 30) m = 0.04f; /* haze, not connected */
      dm_px(net, x, y)[0] = m;
    }
}

static float kept_outside(const dm_image *alpha) {
  float worst = 0;
  for (int y = 0; y < H; y++)
    for (int x = (int)EDGE + 1; x <= (int)EDGE + 4; x++) {
      float a = dm_px(alpha, x, y)[0];
      worst = a > worst ? a : worst;
    }
  return worst;
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  dm_image rgb = {0}, net = {0};
  CHECK_OK(ctx, dm_image_alloc(ctx, &rgb, W, H, 3));
  CHECK_OK(ctx, dm_image_alloc(ctx, &net, W, H, 1));
  make_photo(&rgb, &net);

  float before = kept_outside(&net);
  CHECK(before > 0.3f); /* the network's matte reaches past the edge */
  CHECK_OK(ctx, dm_matte_from_colour(ctx, &rgb, &net));
  float after = kept_outside(&net);
  printf("alpha 1-4 px outside the edge: network up to %.3f, checked against the colours %.3f\n",
         before, after);
  CHECK(after < 0.02f);
  for (int x = (int)EDGE - 1; x <= (int)EDGE; x++) /* the anti-aliased pixels */
    CHECK_NEAR(dm_px(&net, x, 32)[0], truth(x), 0.15f);
  CHECK(dm_px(&net, 5, 32)[0] == 1.0f);
  CHECK(dm_px(&net, 85, 25)[0] == 0.0f); /* haze cleaned */

  /* F and B of the anti-aliased pixels */
  dm_image ta = {0};
  CHECK_OK(ctx, dm_image_alloc(ctx, &ta, W, H, 1));
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) dm_px(&ta, x, y)[0] = truth(x);
  dm_scene scene;
  memset(&scene, 0, sizeof scene);
  scene.matte = ta;
  CHECK_OK(ctx, dm_matte_layers_build(ctx, &rgb, &ta, &scene.layers));
  CHECK(scene.layers.n == (size_t)H * 2);
  long kf = dm_matte_layers_find(&scene.layers, (int)EDGE, 32);
  long kb = dm_matte_layers_find(&scene.layers, (int)EDGE - 1, 32);
  CHECK(kf >= 0 && kb >= 0);
  for (int c = 0; c < 3 && kf >= 0 && kb >= 0; c++) {
    CHECK_NEAR(scene.layers.fg[3 * kf + c], F_RGB[c], 0.06f);
    CHECK_NEAR(scene.layers.bg[3 * kb + c], B_RGB[c], 0.06f);
  }

  /* Background -1 EV on the layers */
  dm_recipe r;
  CHECK_OK(ctx, dm_recipe_init(ctx, &r));
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[0].mask[0].kind=background"));
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[0].exposure=-1"));
  size_t n3 = scene.layers.n * 3;
  float *f0 = malloc(n3 * sizeof *f0), *b0 = malloc(n3 * sizeof *b0);
  memcpy(f0, scene.layers.fg, n3 * sizeof *f0);
  memcpy(b0, scene.layers.bg, n3 * sizeof *b0);
  dm_image work = {0};
  CHECK_OK(ctx, dm_image_copy(ctx, &work, &rgb));
  dm_image mask_f = {0}, mask_b = {0};
  CHECK_OK(ctx, dm_image_alloc(ctx, &mask_f, work.width, work.height, 1));
  CHECK_OK(ctx, dm_image_alloc(ctx, &mask_b, work.width, work.height, 1));
  dm_mask_inputs in = dm_scene_mask_inputs(&work, NULL, &scene);
  CHECK(dm_correction_on_layers(&r.corrections[0], &scene));
  CHECK_OK(ctx, dm_apply_on_layers(ctx, &work, &r.corrections[0], &in, &scene, &mask_f, &mask_b, 0));
  dm_image_free(&mask_f), dm_image_free(&mask_b);
  for (int x = (int)EDGE - 1; x <= (int)EDGE; x++) {
    long k = dm_matte_layers_find(&scene.layers, x, 32);
    CHECK(k >= 0);
    if (k < 0) continue;
    float a = truth(x);
    const float *was = dm_px(&rgb, x, 32), *now = dm_px(&work, x, 32);
    for (int c = 0; c < 3; c++) {
      float f = scene.layers.fg[3 * k + c], b = scene.layers.bg[3 * k + c];
      CHECK_NEAR(f, f0[3 * k + c], 1e-5f);      /* the subject's share untouched */
      CHECK_NEAR(b, 0.5f * b0[3 * k + c], 1e-4f); /* the background's share one stop down */
      CHECK_NEAR(now[c], a * f + (1 - a) * b, 1e-4f);
      /* brighter than the composite darkened by (1 - a) of a stop would be */
      CHECK(now[c] > was[c] * (a + (1 - a) * 0.5f));
    }
  }
  free(f0), free(b0);
  dm_recipe_free(&r);
  dm_matte_layers_free(&scene.layers);
  dm_image_free(&work), dm_image_free(&ta);
  dm_image_free(&rgb), dm_image_free(&net);
  dm_context_free(ctx);
  return dm_test_done("matte/matte_layers");
}
