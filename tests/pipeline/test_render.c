/* The render pipeline on a real photo: a correction touches only its mask,
 * the recipe round trip through the sidecar reproduces the render, and the
 * input file is never written. */
#include <string.h>

#include "core/file.h"
#include "core/hash.h"
#include "dm_test.h"
#include "pipeline/render.h"

static void decode(dm_context *ctx, const char *path, dm_image *img) {
  dm_decoded d = {0};
  CHECK_OK(ctx, dm_io_read(ctx, path, &d));
  *img = d.img;
  d.img.owns = 0;
  dm_decoded_free(&d);
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  const char *dir = dm_test_tmpdir("pipeline_render");
  const char *photo = dm_test_photo("astronaut");
  dm_hash before;
  CHECK_OK(ctx, dm_hash_file(ctx, photo, &before));
  char plain[4200], edited[4200], again[4200], sidecar[4200];
  snprintf(plain, sizeof plain, "%s/plain.png", dir);
  snprintf(edited, sizeof edited, "%s/edited.png", dir);
  snprintf(again, sizeof again, "%s/again.png", dir);
  snprintf(sidecar, sizeof sidecar, "%s/recipe.xmp", dir);
  dm_render_options opt = {.profile = DM_PROFILE_SRGB, .format = DM_FMT_PNG, .bits = 16};

  /* No corrections: the colour round trip alone. */
  dm_recipe empty;
  CHECK_OK(ctx, dm_recipe_init(ctx, &empty));
  CHECK_OK(ctx, dm_render_file(ctx, photo, &empty, plain, &opt, dir));

  /* A hard-edged radial gradient (feather 0) darkens its inside only. */
  dm_recipe r;
  CHECK_OK(ctx, dm_recipe_init(ctx, &r));
  const char *sets[] = {
      "correction[0].mask[0].kind=radial_gradient", "correction[0].mask[0].left=0.25",
      "correction[0].mask[0].right=0.75",           "correction[0].mask[0].top=0.25",
      "correction[0].mask[0].bottom=0.75",          "correction[0].mask[0].feather=0",
      "correction[0].exposure=-1",                  "correction[0].saturation=-30",
  };
  for (size_t i = 0; i < sizeof sets / sizeof *sets; i++) CHECK_OK(ctx, dm_recipe_set(ctx, &r, sets[i]));
  CHECK_OK(ctx, dm_render_file(ctx, photo, &r, edited, &opt, dir));

  dm_image a, b;
  decode(ctx, plain, &a);
  decode(ctx, edited, &b);
  CHECK(a.width == 512 && b.width == 512 && b.height == 512);
  int changed_outside = 0, darker_inside = 0, inside = 0;
  for (int y = 0; y < a.height; y++)
    for (int x = 0; x < a.width; x++) {
      const float *pa = dm_px(&a, x, y), *pb = dm_px(&b, x, y);
      float nx = (x + 0.5f) / a.width - 0.5f, ny = (y + 0.5f) / a.height - 0.5f;
      float r2 = (nx * nx + ny * ny) / 0.0625f; /* 1 on the ellipse (radius 0.25) */
      if (r2 > 1.05f) {
        if (memcmp(pa, pb, 3 * sizeof(float)) != 0) changed_outside++;
      } else if (r2 < 0.95f) {
        float la = pa[0] + pa[1] + pa[2], lb = pb[0] + pb[1] + pb[2];
        if (la < 0.05f) continue; /* near black: too few code values to compare */
        inside++;
        /* -1 EV halves linear light: encoded sRGB drops to about 0.73-0.8x. */
        if (lb < la * 0.85f) darker_inside++;
      }
    }
  CHECK(changed_outside == 0);
  CHECK(darker_inside > inside * 98 / 100);
  printf("outside changed: %d px; inside darker: %d of %d px\n", changed_outside, darker_inside, inside);

  /* Sidecar round trip: write, read back, render again -> identical pixels. */
  CHECK_OK(ctx, dm_recipe_write_file(ctx, sidecar, &r));
  dm_recipe back;
  CHECK_OK(ctx, dm_recipe_init(ctx, &back));
  CHECK_OK(ctx, dm_recipe_read_file(ctx, sidecar, &back));
  CHECK_OK(ctx, dm_render_file(ctx, photo, &back, again, &opt, dir));
  dm_image c;
  decode(ctx, again, &c);
  double mean, mx;
  dm_test_image_diff(&b, &c, &mean, &mx);
  CHECK(mx == 0);

  /* The renderer refuses to write onto its input. */
  CHECK(dm_render_file(ctx, edited, &r, edited, &opt, dir) != DM_OK);
  CHECK(strstr(dm_context_error(ctx), "never written") != NULL);

  dm_hash after;
  CHECK_OK(ctx, dm_hash_file(ctx, photo, &after));
  CHECK(before.lo == after.lo && before.hi == after.hi);
  dm_image_free(&a);
  dm_image_free(&b);
  dm_image_free(&c);
  dm_recipe_free(&empty);
  dm_recipe_free(&r);
  dm_recipe_free(&back);
  dm_context_free(ctx);
  return dm_test_done("pipeline/render");
}
