/* depth_range: the ramp's shape (hard at smoothness 0, wider with more),
 * rendering on real photos with a depth plane (fall-off grows with
 * smoothness, a hard edge moves only in the edge band, invert, intersect
 * with subject), the matte deciding the edge only where it agrees,
 * dm_mask_needs, the eyedropper on a real depth map (dof-eval dev2's true
 * depth) and the error without depth. */
#include "core/resample.h"
#include "mask_dof.h"

static void test_ramp(void) {
  CHECK(dm_mask_depth_ramp_width(0) == 0);
  CHECK_NEAR(dm_mask_depth_ramp_width(100), 10, 1e-5);
  float prev = -1;
  for (int s = 0; s <= 100; s += 5) {
    float w = dm_mask_depth_ramp_width((float)s);
    CHECK(w > prev);
    prev = w;
  }
  /* Hard edge: 1 on [lo, hi] inclusive, 0 just outside. */
  CHECK(dm_mask_depth_ramp(20, 20, 30, 0) == 1 && dm_mask_depth_ramp(30, 20, 30, 0) == 1);
  CHECK(dm_mask_depth_ramp(19.999f, 20, 30, 0) == 0 && dm_mask_depth_ramp(30.001f, 20, 30, 0) == 0);
  CHECK(dm_mask_depth_ramp(NAN, 20, 30, 0) == 0 && dm_mask_depth_ramp(NAN, 20, 30, 5) == 0);
  /* Smooth: halfway at w / 2 outside, 0 at w outside, monotonic. */
  CHECK_NEAR(dm_mask_depth_ramp(17.5f, 20, 30, 5), 0.5, 1e-6);
  CHECK_NEAR(dm_mask_depth_ramp(32.5f, 20, 30, 5), 0.5, 1e-6);
  CHECK(dm_mask_depth_ramp(15, 20, 30, 5) == 0 && dm_mask_depth_ramp(35, 20, 30, 5) == 0);
  for (float d = 15; d < 20; d += 0.25f)
    CHECK(dm_mask_depth_ramp(d, 20, 30, 5) <= dm_mask_depth_ramp(d + 0.25f, 20, 30, 5));
}

/* A depth plane that rises left to right from 0 to 1 across the photo. */
static void gradient_depth(dm_context *ctx, const dm_image *img, dm_image *d) {
  mt_alloc_mask(ctx, img, d);
  for (int y = 0; y < d->height; y++)
    for (int x = 0; x < d->width; x++) dm_px(d, x, y)[0] = (float)x / (float)(d->width - 1);
}

static void render(dm_context *ctx, const dm_mask_component *c, int n, const dm_image *img,
                   const dm_image *depth, const dm_image *matte, dm_image *m) {
  mt_alloc_mask(ctx, img, m);
  dm_mask_inputs in = {.image = img, .depth = depth, .matte = matte};
  CHECK_OK(ctx, dm_mask_render(ctx, c, n, &in, m));
}

static void test_render_on_photo(dm_context *ctx) {
  dm_image img, depth;
  mt_load_photo(ctx, "astronaut", &img); /* 512 x 512 */
  gradient_depth(ctx, &img, &depth);
  const int w = img.width, h = img.height;
  dm_mask_component c;
  dm_mask_component_init(&c, DM_MASK_DEPTH_RANGE);
  CHECK(c.depth_range[0] == 0 && c.depth_range[1] == 100 && c.smoothness == 25);
  c.depth_range[0] = 40, c.depth_range[1] = 60;
  /* Columns 40%..60% of the width are in the range. Outside them, the mask's
   * total grows with smoothness. */
  double prev = -1;
  for (int s = 0; s <= 100; s += 25) {
    c.smoothness = (float)s;
    dm_image m;
    render(ctx, &c, 1, &img, &depth, NULL, &m);
    double outside = 0, inside = 0, n_in = 0;
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        const float d = 100.0f * x / (w - 1), v = mt_at(&m, x, y);
        CHECK(v >= 0 && v <= 1);
        if (d < 38 || d > 62) outside += v;
        if (d > 45 && d < 55) inside += v, n_in++;
      }
    CHECK(inside / n_in > 0.99);
    CHECK(outside > prev);
    prev = outside;
    if (s == 0) {
      /* Hard edge: away from the edge band (the guided filter's window,
       * 1/200 of the side, twice) the values are exactly 0 or 1. */
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
          const float d = 100.0f * x / (w - 1);
          if (fabsf(d - 40) > 3 && fabsf(d - 60) > 3) CHECK(mt_at(&m, x, y) == (d > 40 && d < 60));
        }
    }
    dm_image_free(&m);
  }

  /* invert is 1 - value. */
  c.smoothness = 25;
  dm_image a, b, matte, both;
  render(ctx, &c, 1, &img, &depth, NULL, &a);
  c.invert = 1;
  render(ctx, &c, 1, &img, &depth, NULL, &b);
  c.invert = 0;
  double worst = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) worst = fmax(worst, fabs(mt_at(&a, x, y) + mt_at(&b, x, y) - 1));
  CHECK(worst < 1e-6);

  /* Intersect with subject: the depth range times the matte. The matte
   * (the top half, soft over 8 rows) is confident where it covers the range
   * only in part, so it never takes over the range's edge. */
  mt_alloc_mask(ctx, &img, &matte);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) dm_px(&matte, x, y)[0] = dm_smoothstep01((h / 2 + 4 - y) / 8.0f);
  dm_mask_component cs[2];
  cs[0] = c;
  dm_mask_component_init(&cs[1], DM_MASK_SUBJECT);
  cs[1].mode = DM_MASK_INTERSECT;
  dm_image_free(&a);
  render(ctx, cs, 1, &img, &depth, &matte, &a);
  render(ctx, cs, 2, &img, &depth, &matte, &both);
  worst = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      worst = fmax(worst, fabs(mt_at(&both, x, y) - mt_at(&a, x, y) * mt_at(&matte, x, y)));
  CHECK(worst < 1e-6);
  CHECK(mt_at(&both, w / 2, h / 4) > 0.99 && mt_at(&both, w / 2, 3 * h / 4) < 0.01);
  dm_image_free(&a);
  dm_image_free(&b);
  dm_image_free(&both);
  dm_image_free(&matte);
  dm_image_free(&depth);
  dm_image_free(&img);
}

/* On dof-eval dev2 (true depth, blurred over 15 px as network depth is, and
 * the true subject mask as matte): where the matte agrees with the range,
 * its edge decides, so the edge-band error drops well below the guided
 * filter's alone; where the matte also holds the foreground card (a fooled
 * matte), the card stays out of the mask. */
static void test_matte_decides(dm_context *ctx) {
  dof_scene s;
  dof_load(ctx, "dev2_chelsea_2.5m_fg1m_bg12m", 0, &s);
  const int w = s.work.width, h = s.work.height;
  dm_image blurred;
  CHECK_OK(ctx, dm_resized_plane(ctx, &s.depth.near01, w / 15, h / 15, 0, &blurred, "t"));
  dm_image soft;
  CHECK_OK(ctx, dm_resized_plane(ctx, &blurred, w, h, 0, &soft, "t"));
  dm_image fooled;
  CHECK_OK(ctx, dm_image_copy(ctx, &fooled, &s.gt));
  /* The card: camera.json's rect 250..850 x 400..640 (nearer than the cat). */
  for (int y = 400; y < h; y++)
    for (int x = 250; x < 850; x++) dm_px(&fooled, x, y)[0] = 1;
  dm_mask_component c;
  dm_mask_component_init(&c, DM_MASK_DEPTH_RANGE);
  c.depth_range[0] = 60, c.depth_range[1] = 70; /* the cat at 65.5 */
  dm_image alone, with_matte, with_fooled;
  render(ctx, &c, 1, &s.work, &soft, NULL, &alone);
  render(ctx, &c, 1, &s.work, &soft, &s.gt, &with_matte);
  render(ctx, &c, 1, &s.work, &soft, &fooled, &with_fooled);
  dof_score a = dof_evaluate(&alone, &alone, &s.gt), m = dof_evaluate(&with_matte, &alone, &s.gt);
  printf("blurred depth: band error guided only %.4f, with matte %.4f\n", a.band_refined,
         m.band_refined);
  CHECK(m.band_refined < 0.7 * a.band_refined);
  double card = 0, n = 0;
  for (int y = 460; y < h; y++)
    for (int x = 400; x < 800; x++) card += mt_at(&with_fooled, x, y), n++;
  CHECK(card / n < 0.05);
  dm_image_free(&alone);
  dm_image_free(&with_matte);
  dm_image_free(&with_fooled);
  dm_image_free(&fooled);
  dm_image_free(&soft);
  dm_image_free(&blurred);
  dof_free(&s);
}

static void test_eyedropper(dm_context *ctx) {
  dof_scene s;
  dof_load(ctx, "dev2_chelsea_2.5m_fg1m_bg12m", 0, &s);
  const dm_image *d = &s.depth.near01;
  /* The cat at 2.5 m of 1..12 m: near01 = (1 - 1/2.5) / (1 - 1/12) = 0.6545. */
  float v, r[2];
  CHECK_OK(ctx, dm_mask_depth_sample(ctx, d, 150, 200, 6, &v, r));
  CHECK_NEAR(v, 65.45, 0.1);
  CHECK(r[0] < v && v < r[1] && r[1] - r[0] < 2);
  /* The background wall at 12 m (far = 100) and the card at 1 m (near = 0). */
  CHECK_OK(ctx, dm_mask_depth_sample(ctx, d, 700, 100, 6, &v, r));
  CHECK_NEAR(v, 100, 0.1);
  CHECK(r[0] < 100 && r[0] > 98 && r[1] == 100);
  CHECK_OK(ctx, dm_mask_depth_sample(ctx, d, 550, 560, 0, &v, r));
  CHECK_NEAR(v, 0, 0.1);
  /* The suggested range selects the cat and little else. */
  CHECK_OK(ctx, dm_mask_depth_sample(ctx, d, 150, 200, 6, &v, r));
  double in = 0, out = 0;
  for (int y = 0; y < d->height; y++)
    for (int x = 0; x < d->width; x++) {
      const float z = 100 * mt_at(d, x, y);
      const int sel = z >= r[0] && z <= r[1];
      in += sel && mt_at(&s.gt, x, y) >= 0.5f;
      out += sel && mt_at(&s.gt, x, y) < 0.5f;
    }
  CHECK(out < 0.02 * in);
  CHECK(dm_mask_depth_sample(ctx, d, d->width, 0, 0, &v, r) == DM_ERR_RANGE);
  CHECK(strstr(dm_context_error(ctx), "outside") != NULL);
  CHECK(dm_mask_depth_sample(ctx, NULL, 0, 0, 0, &v, r) != DM_OK);
  dof_free(&s);
}

static void test_needs_and_errors(dm_context *ctx) {
  dm_mask_component c[3];
  dm_mask_component_init(&c[0], DM_MASK_RADIAL_GRADIENT);
  dm_mask_component_init(&c[1], DM_MASK_SUBJECT);
  dm_mask_component_init(&c[2], DM_MASK_DEPTH_RANGE);
  CHECK(dm_mask_needs(c, 1) == 0);
  CHECK(dm_mask_needs(c, 2) == DM_MASK_NEEDS_MATTE);
  CHECK(dm_mask_needs(c + 2, 1) == (DM_MASK_NEEDS_DEPTH | DM_MASK_NEEDS_MATTE));
  CHECK(dm_mask_needs(NULL, 0) == 0);
  dm_image img, m;
  mt_load_photo(ctx, "coffee", &img);
  mt_alloc_mask(ctx, &img, &m);
  dm_mask_inputs in = {.image = &img};
  CHECK(dm_mask_render(ctx, c, 3, &in, &m) != DM_OK); /* subject without a matte */
  CHECK(strstr(dm_context_error(ctx), "subject needs a subject matte") != NULL);
  CHECK(dm_mask_render(ctx, c + 2, 1, &in, &m) != DM_OK);
  CHECK(strstr(dm_context_error(ctx), "depth_range needs a depth map") != NULL);
  c[2].depth_range[0] = 50, c[2].depth_range[1] = 40;
  CHECK(dm_mask_component_check(ctx, &c[2], "mask[0]") == DM_ERR_RANGE);
  CHECK(strstr(dm_context_error(ctx), "mask[0].depth_range:") != NULL);
  dm_image_free(&m);
  dm_image_free(&img);

  /* Tiny images (a thumbnail strip) render too: a 3x2 crop of the photo. */
  dm_image tiny, td, tm;
  mt_load_photo(ctx, "coffee", &img);
  CHECK_OK(ctx, dm_image_alloc(ctx, &tiny, 3, 2, 3));
  for (int y = 0; y < 2; y++)
    for (int x = 0; x < 9; x++) dm_row(&tiny, y)[x] = dm_row(&img, 100 + y)[300 * 3 + x];
  gradient_depth(ctx, &tiny, &td);
  dm_mask_component_init(&c[2], DM_MASK_DEPTH_RANGE);
  c[2].depth_range[0] = 0, c[2].depth_range[1] = 10, c[2].smoothness = 0;
  render(ctx, &c[2], 1, &tiny, &td, &td, &tm);
  CHECK(mt_at(&tm, 0, 0) > 0.5f && mt_at(&tm, 2, 1) < 0.5f);
  dm_image_free(&tm);
  dm_image_free(&td);
  dm_image_free(&tiny);
  dm_image_free(&img);
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  test_ramp();
  test_render_on_photo(ctx);
  test_matte_decides(ctx);
  test_eyedropper(ctx);
  test_needs_and_errors(ctx);
  dm_context_free(ctx);
  return dm_test_done("mask/depth_range");
}
