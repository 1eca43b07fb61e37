/* matte/fb_estimate: the multi-level foreground estimation treats rows and
 * columns alike. On a real photo (grace_hopper, matplotlib's sample data) larger
 * than the level from which only blocks near soft pixels are swept, under
 * an elliptic soft matte with a ragged edge (neither the photo nor the
 * matte is symmetric), the F and B of every soft pixel of the transposed
 * inputs are those of the inputs, transposed, up to the rounding of sums
 * taken in another order. A sweep that reads a wrong neighbour (above
 * twice, say, and never below) breaks this by orders of magnitude. */
#include <math.h>
#include <stdio.h>

#include "dm_test.h"
#include "matte/matte.h"

#define CW 512
#define CH 600

static float ellipse_alpha(int x, int y) {
  const double dx = (x - 250.0) / 140.0, dy = (y - 310.0) / 210.0;
  const double d = sqrt(dx * dx + dy * dy), rag = 0.04 * sin(0.21 * x) * cos(0.17 * y);
  const double a = (1.0 + rag - d) / 0.12 + 0.5; /* soft over about 25 px */
  return (float)(a < 0 ? 0 : a > 1 ? 1 : a);
}

static void transpose(dm_context *ctx, const dm_image *src, dm_image *dst) {
  CHECK_OK(ctx, dm_image_alloc(ctx, dst, src->height, src->width, src->channels));
  for (int y = 0; y < src->height; y++)
    for (int x = 0; x < src->width; x++)
      for (int c = 0; c < src->channels; c++) dm_px(dst, y, x)[c] = dm_px(src, x, y)[c];
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  dm_image photo = dm_test_working_photo(ctx, "grace_hopper");
  CHECK(photo.width >= CW && photo.height >= CH);
  if (photo.width < CW || photo.height < CH) return dm_test_done("matte/fb_estimate");
  dm_image rgb = {0}, alpha = {0}, rgbT = {0}, alphaT = {0};
  CHECK_OK(ctx, dm_image_alloc(ctx, &rgb, CW, CH, 3));
  CHECK_OK(ctx, dm_image_alloc(ctx, &alpha, CW, CH, 1));
  for (int y = 0; y < CH; y++)
    for (int x = 0; x < CW; x++) {
      for (int c = 0; c < 3; c++) dm_px(&rgb, x, y)[c] = dm_px(&photo, x, y)[c];
      dm_px(&alpha, x, y)[0] = ellipse_alpha(x, y);
    }
  transpose(ctx, &rgb, &rgbT);
  transpose(ctx, &alpha, &alphaT);
  dm_matte_layers L = {0}, LT = {0};
  CHECK_OK(ctx, dm_matte_layers_positions(ctx, &alpha, &L));
  CHECK_OK(ctx, dm_matte_layers_positions(ctx, &alphaT, &LT));
  CHECK_OK(ctx, dm_matte_estimate_fb(ctx, &rgb, &alpha, &L));
  CHECK_OK(ctx, dm_matte_estimate_fb(ctx, &rgbT, &alphaT, &LT));
  CHECK(L.n > 20000 && L.n == LT.n);
  double worst = 0, spread = 0;
  size_t missing = 0;
  for (int y = 0; y < CH; y++)
    for (size_t s = L.row_start[y]; s < L.row_start[y + 1]; s++) {
      const long t = dm_matte_layers_find(&LT, y, L.x[s]);
      if (t < 0) {
        missing++;
        continue;
      }
      for (int c = 0; c < 3; c++) {
        const double df = fabs(L.fg[3 * s + c] - LT.fg[3 * t + c]);
        const double db = fabs(L.bg[3 * s + c] - LT.bg[3 * t + c]);
        worst = fmax(worst, fmax(df, db));
        spread = fmax(spread, fabs(L.fg[3 * s + c] - L.bg[3 * s + c]));
      }
    }
  printf("%zu soft pixels; F and B against the transposed estimate: max difference %.2g (F - B up to %.2f)\n",
         L.n, worst, spread);
  CHECK(missing == 0);
  CHECK(spread > 0.1); /* the two layers differ: the check has something to compare */
  CHECK(worst < 1e-4);
  dm_matte_layers_free(&L), dm_matte_layers_free(&LT);
  dm_image_free(&photo), dm_image_free(&rgb), dm_image_free(&alpha);
  dm_image_free(&rgbT), dm_image_free(&alphaT);
  dm_context_free(ctx);
  return dm_test_done("matte/fb_estimate");
}
