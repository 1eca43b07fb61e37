/* The depth heat map: luminance rising monotonically from far to near, the
 * yellow / orange / magenta / deep-blue path, clamping, NaN, sizes, and on a
 * real scene (dof-eval dev1, true depth) the subject brighter than the
 * background it stands in front of. */
#include <string.h>

#include "depth/depth.h"
#include "dm_test.h"
#include "io/io.h"

#define SCENE DM_SOURCE_DIR "/../shared/dof-eval/scenes/dev1_chelsea_1.2m_bg5m_lights"

/* Relative luminance (Rec.709/sRGB primaries) of an sRGB-encoded colour. */
static double luminance(const float *rgb) {
  double lin[3];
  for (int c = 0; c < 3; c++) {
    double v = rgb[c];
    lin[c] = v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
  }
  return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
}

static void colour_of(dm_context *ctx, float near01, float rgb[3]) {
  dm_image in, out;
  CHECK_OK(ctx, dm_image_alloc(ctx, &in, 1, 1, 1));
  in.data[0] = near01;
  CHECK_OK(ctx, dm_depth_heatmap(ctx, &in, &out));
  memcpy(rgb, out.data, 3 * sizeof(float));
  dm_image_free(&in);
  dm_image_free(&out);
}

static void test_ramp(dm_context *ctx) {
  enum { N = 2001 };
  dm_image in, out;
  CHECK_OK(ctx, dm_image_alloc(ctx, &in, N, 3, 1));
  for (int y = 0; y < 3; y++)
    for (int x = 0; x < N; x++) dm_row(&in, y)[x] = 1.0f - (float)x / (N - 1); /* far -> near */
  CHECK_OK(ctx, dm_depth_heatmap(ctx, &in, &out));
  CHECK(out.width == N && out.height == 3 && out.channels == 3);
  int not_rising = 0;
  double prev = -1, far_y = luminance(dm_px(&out, 0, 1)), near_y = luminance(dm_px(&out, N - 1, 1));
  for (int x = 0; x < N; x++) {
    const float *px = dm_px(&out, x, 1);
    double l = luminance(px);
    not_rising += !(l > prev);
    prev = l;
    for (int c = 0; c < 3; c++) CHECK(px[c] >= 0.0f && px[c] <= 1.0f);
  }
  CHECK(not_rising == 0);
  CHECK(near_y > 20 * far_y); /* a wide lightness range, not a hue wheel */
  dm_image_free(&in);
  dm_image_free(&out);
}

static void test_colours(dm_context *ctx) {
  float near[3], orange[3], magenta[3], far[3], c[3];
  colour_of(ctx, 0.0f, near);
  CHECK(near[0] > 0.9f && near[1] > 0.9f && near[2] < 0.2f); /* warm yellow */
  colour_of(ctx, 0.25f, orange);
  CHECK(orange[0] > 0.9f && orange[1] > 0.45f && orange[1] < 0.7f && orange[2] < 0.35f);
  colour_of(ctx, 0.55f, magenta);
  CHECK(magenta[0] > magenta[2] && magenta[2] > magenta[1] && magenta[2] > 0.4f);
  colour_of(ctx, 1.0f, far);
  CHECK(far[2] > 0.5f && far[0] < 0.1f && far[1] < 0.1f); /* deep blue-purple */
  /* out of range clamps to the ends */
  colour_of(ctx, -0.5f, c);
  CHECK(!memcmp(c, near, sizeof c));
  colour_of(ctx, 1.5f, c);
  CHECK(!memcmp(c, far, sizeof c));
  colour_of(ctx, NAN, c);
  CHECK(c[0] == 0.0f && c[1] == 0.0f && c[2] == 0.0f);
}

static void test_scene(dm_context *ctx) {
  dm_decoded depth, mask;
  memset(&depth, 0, sizeof depth);
  memset(&mask, 0, sizeof mask);
  CHECK_OK(ctx, dm_io_read(ctx, SCENE "/depth16.png", &depth));
  CHECK_OK(ctx, dm_io_read(ctx, SCENE "/mask_gt.png", &mask));
  if (!depth.img.data || !mask.img.data) return;
  /* a view with a wider stride, to check rows are addressed by stride */
  dm_image wide;
  int w = depth.img.width, h = depth.img.height;
  CHECK_OK(ctx, dm_image_alloc(ctx, &wide, w + 13, h, 1));
  for (int y = 0; y < h; y++) memcpy(dm_row(&wide, y), dm_row(&depth.img, y), sizeof(float) * w);
  dm_image view = dm_image_view(&wide, 0, 0, w, h);
  dm_image heat;
  CHECK_OK(ctx, dm_depth_heatmap(ctx, &view, &heat));
  CHECK(heat.width == w && heat.height == h && heat.channels == 3);
  /* depth16 is linear metric depth (0 = near plane): the subject (1.2 m)
   * must be brighter in the heat map than the background (5 m) */
  double sub = 0, bg = 0;
  long n_sub = 0, n_bg = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      float m = dm_row(&mask.img, y)[x];
      double l = luminance(dm_px(&heat, x, y));
      if (m > 0.9f) sub += l, n_sub++;
      else if (m < 0.1f) bg += l, n_bg++;
    }
  CHECK(n_sub > 1000 && n_bg > 1000);
  if (n_sub && n_bg) {
    printf("dev1 heat map: subject luminance %.3f, background %.3f\n", sub / n_sub, bg / n_bg);
    CHECK(sub / n_sub > 1.5 * (bg / n_bg));
  }
  /* RGB input is refused */
  dm_image rgb_out;
  CHECK(dm_depth_heatmap(ctx, &heat, &rgb_out) == DM_ERR_PARAM);
  dm_image_free(&heat);
  dm_image_free(&wide);
  dm_decoded_free(&depth);
  dm_decoded_free(&mask);
}

/* The colour bar under the map: the ramp from the near colour (left) to the
 * far one (right), and labels: bright text pixels under both ends, and
 * under the middle too when the depth is metric (the quarters' metres). */
static void test_legend(dm_context *ctx, int metric) {
  dm_depth d;
  memset(&d, 0, sizeof d);
  CHECK_OK(ctx, dm_image_alloc(ctx, &d.near01, 900, 300, 1));
  for (int i = 0; i < 900 * 300; i++) d.near01.data[i] = 0.5f;
  if (metric) d.z_near_m = 1.5f, d.z_far_m = 6.0f;
  dm_image out;
  CHECK_OK(ctx, dm_depth_heatmap_legend(ctx, &d, &out));
  CHECK(out.width == 900 && out.height > 300 && out.height < 360);
  float near[3], far[3];
  colour_of(ctx, 0.0f, near);
  colour_of(ctx, 1.0f, far);
  int bar_y = 300 + 9; /* inside the bar (margin 8 at this width) */
  const float *l = dm_px(&out, 9, bar_y), *r = dm_px(&out, 890, bar_y);
  CHECK(fabsf(l[0] - near[0]) < 0.02f && fabsf(l[2] - near[2]) < 0.02f);
  CHECK(fabsf(r[0] - far[0]) < 0.02f && fabsf(r[2] - far[2]) < 0.02f);
  int bright[3] = {0, 0, 0}; /* text pixels in the left, middle and right thirds */
  for (int y = bar_y + 21; y < out.height; y++) /* below the ticks */
    for (int x = 0; x < 900; x++)
      if (dm_px(&out, x, y)[1] > 0.8f) bright[x * 3 / 900]++;
  printf("legend (%s): %dx%d, text pixels left %d, middle %d, right %d\n", metric ? "metric" : "relative",
         out.width, out.height, bright[0], bright[1], bright[2]);
  CHECK(bright[0] > 20 && bright[2] > 20 && (metric ? bright[1] > 20 : bright[1] == 0));
  dm_image_free(&out);
  dm_depth_free(&d);
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  test_ramp(ctx);
  test_colours(ctx);
  test_scene(ctx);
  test_legend(ctx, 0);
  test_legend(ctx, 1);
  dm_context_free(ctx);
  return dm_test_done("depth/test_viz");
}
