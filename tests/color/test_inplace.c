/* The in-place conversions give exactly the out-of-place results, for RGB
 * and grey input and for every output profile. */
#include <string.h>

#include "color/color.h"
#include "dm_test.h"

static void check_photo(dm_context *ctx, const char *path, int grey) {
  dm_decoded a = {0}, b = {0};
  CHECK_OK(ctx, dm_io_read(ctx, path, &a));
  CHECK_OK(ctx, dm_io_read(ctx, path, &b));
  if (grey) { /* a grey decode of the same photo: keep only its luminance */
    for (dm_decoded *d = &a; d; d = d == &a ? &b : NULL) {
      dm_image g;
      CHECK_OK(ctx, dm_image_alloc(ctx, &g, d->img.width, d->img.height, 1));
      for (int y = 0; y < g.height; y++)
        for (int x = 0; x < g.width; x++) *dm_px(&g, x, y) = dm_px(&d->img, x, y)[1];
      dm_image_free(&d->img);
      d->img = g;
    }
  }
  dm_image work;
  CHECK_OK(ctx, dm_color_to_working(ctx, &a, path, &work));
  CHECK_OK(ctx, dm_color_to_working_inplace(ctx, &b, path));
  double mean, mx;
  dm_test_image_diff(&work, &b.img, &mean, &mx);
  CHECK(mx == 0);
  for (int p = 0; p < DM_PROFILE_COUNT; p++) {
    dm_image out, copy;
    unsigned char *icc1, *icc2;
    size_t n1, n2;
    CHECK_OK(ctx, dm_image_copy(ctx, &copy, &work));
    CHECK_OK(ctx, dm_color_from_working(ctx, &work, (dm_output_profile)p, &out, &icc1, &n1));
    CHECK_OK(ctx, dm_color_from_working_inplace(ctx, &copy, (dm_output_profile)p, &icc2, &n2));
    dm_test_image_diff(&out, &copy, &mean, &mx);
    CHECK(mx == 0);
    CHECK(n1 == n2 && memcmp(icc1, icc2, n1) == 0);
    free(icc1);
    free(icc2);
    dm_image_free(&out);
    dm_image_free(&copy);
  }
  dm_image_free(&work);
  dm_decoded_free(&a);
  dm_decoded_free(&b);
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  check_photo(ctx, dm_test_photo("astronaut"), 0); /* embedded ICC */
  check_photo(ctx, dm_test_photo("grace_hopper"), 0);
  check_photo(ctx, dm_test_photo("coffee"), 1);
  dm_context_free(ctx);
  return dm_test_done("color/inplace");
}
