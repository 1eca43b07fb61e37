/* Helpers shared by the tests/mask executables (header only: every
 * test_*.c here is its own program). */
#ifndef DM_MASK_TEST_H
#define DM_MASK_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "color/color.h"
#include "dm_test.h"
#include "io/io.h"
#include "mask/mask.h"

/* A real photograph in the working space (linear Rec.2020, 3 channels). */
static inline void mt_load_photo(dm_context *ctx, const char *which, dm_image *work) {
  const char *path = dm_test_photo(which);
  dm_decoded dec = {0};
  dm_status s = dm_io_read(ctx, path, &dec);
  if (!s) s = dm_color_to_working(ctx, &dec, path, work);
  dm_decoded_free(&dec);
  if (s) {
    fprintf(stderr, "cannot load %s: %s\n", path, dm_context_error(ctx));
    exit(1);
  }
}

/* An image of the given size with no content that matters (geometry only). */
static inline void mt_canvas(dm_context *ctx, int w, int h, dm_image *img) {
  if (dm_image_alloc_zero(ctx, img, w, h, 3)) {
    fprintf(stderr, "out of memory\n");
    exit(1);
  }
}

static inline void mt_alloc_mask(dm_context *ctx, const dm_image *like, dm_image *m) {
  if (dm_image_alloc(ctx, m, like->width, like->height, 1)) {
    fprintf(stderr, "out of memory\n");
    exit(1);
  }
}

/* Render comps over img into a freshly allocated mask; exits on failure. */
static inline void mt_render(dm_context *ctx, const dm_mask_component *comps, int n,
                             const dm_image *img, const char *base_dir, dm_image *m) {
  mt_alloc_mask(ctx, img, m);
  dm_mask_inputs in = {.image = img, .base_dir = base_dir};
  dm_status s = dm_mask_render(ctx, comps, n, &in, m);
  if (s) {
    fprintf(stderr, "dm_mask_render failed: %s\n", dm_context_error(ctx));
    exit(1);
  }
}

/* CIE 1976 L* written from the definition (L* = 116 f(Y) - 16 with f the
 * cube root above (6/29)^3 and the linear segment t / (3 (6/29)^2) + 4/29
 * below), independently of src/mask. */
static inline double mt_lightness(double Y) {
  if (!(Y > 0)) Y = 0;
  if (Y > 1) Y = 1;
  const double d = 6.0 / 29.0;
  double f = Y > d * d * d ? cbrt(Y) : Y / (3 * d * d) + 4.0 / 29.0;
  return 116 * f - 16;
}

static inline float mt_at(const dm_image *m, int x, int y) { return dm_px(m, x, y)[0]; }

#endif
