/* The working space: known values in, known values out.
 *  - untagged sRGB primaries land on ITU-R BT.2087's published 709->2020 matrix;
 *  - greys decode by the sRGB formula and stay neutral (grey images too);
 *  - PNG gAMA / cHRM / sRGB chunks, and out-of-range gAMA ignored;
 *  - unbounded: linear ProPhoto colours outside Rec.2020 come out negative
 *    or above 1, and survive a trip back to ProPhoto;
 *  - dm_color_describe says where the colours came from.
 * Each check runs on a small image (lcms2 per pixel) and a large one (the
 * tabulated fast path). */
#include <lcms2.h>
#include <string.h>

#include "color/color.h"
#include "dm_test.h"

static double srgb_decode(double v) { return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4); }

/* A w x h decoded image filled with `px` (n pixels of `ch` samples, tiled). */
static dm_decoded make(dm_context *ctx, int w, int h, int ch, const float *px, int n) {
  dm_decoded d;
  memset(&d, 0, sizeof d);
  CHECK_OK(ctx, dm_image_alloc(ctx, &d.img, w, h, ch));
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      memcpy(dm_px(&d.img, x, y), px + ((y * w + x) % n) * ch, (size_t)ch * sizeof(float));
  d.meta.format = DM_FMT_PNG;
  d.meta.bits = 16;
  return d;
}

static const int k_sizes[2][2] = {{7, 3}, {300, 240}};

static void count_warnings(void *user, dm_log_level level, const char *msg) {
  if (level == DM_LOG_WARN && strstr(msg, "ignoring PNG gAMA")) ++*(int *)user;
}

/* Convert and compare pixel i (of the tile) against want[i]. */
static void expect(dm_context *ctx, dm_decoded *d, int n, const double (*want)[3], double tol, const char *what) {
  dm_image work;
  CHECK_OK(ctx, dm_color_to_working(ctx, d, what, &work));
  if (!work.data) return;
  double worst = 0;
  for (int p = 0; p < 2 * n; p++) {
    int y = p < n ? 0 : work.height - 1, x = p % n + (p < n ? 0 : work.width - n);
    int i = (y * work.width + x) % n;
    for (int c = 0; c < 3; c++) worst = fmax(worst, fabs(dm_px(&work, x, y)[c] - want[i][c]));
  }
  printf("%s (%dx%d): max error %.3g (tolerance %.3g)\n", what, work.width, work.height, worst, tol);
  CHECK(worst <= tol);
  dm_image_free(&work);
}

static void test_matrix_and_greys(dm_context *ctx) {
  /* BT.2087-0: R2020 = 0.6274 R709 + 0.3293 G709 + 0.0433 B709, etc. */
  static const float px[6][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 1}, {0.5f, 0.5f, 0.5f}, {0, 0, 0}};
  double want[6][3] = {{0.6274, 0.0691, 0.0164}, {0.3293, 0.9195, 0.0880}, {0.0433, 0.0114, 0.8956}, {1, 1, 1}};
  for (int c = 0; c < 3; c++) want[4][c] = srgb_decode(0.5), want[5][c] = 0;
  for (int s = 0; s < 2; s++) {
    dm_decoded d = make(ctx, k_sizes[s][0], k_sizes[s][1], 3, &px[0][0], 6);
    expect(ctx, &d, 6, want, 1e-3 /* BT.2087 gives 4 decimals */, "untagged primaries");
    dm_image_free(&d.img);
  }
  /* A grey ramp on 16-bit codes, RGB and one-channel images. */
  enum { N = 17 };
  float grey[N], rgb[N][3];
  double lin[N][3];
  for (int i = 0; i < N; i++) {
    grey[i] = (float)(i * 4095) / 65535.0f;
    rgb[i][0] = rgb[i][1] = rgb[i][2] = grey[i];
    lin[i][0] = lin[i][1] = lin[i][2] = srgb_decode(grey[i]);
  }
  for (int s = 0; s < 2; s++) {
    dm_decoded d = make(ctx, k_sizes[s][0], k_sizes[s][1], 3, &rgb[0][0], N);
    expect(ctx, &d, N, lin, 2e-5, "untagged greys");
    d.meta.srgb_chunk = 1;
    expect(ctx, &d, N, lin, 2e-5, "PNG sRGB chunk");
    d.meta.srgb_chunk = 0;
    d.meta.gamma = 50.0f; /* nonsense gAMA: ignored with a warning, sRGB */
    int warnings = 0;
    ctx->log = count_warnings;
    ctx->log_user = &warnings;
    expect(ctx, &d, N, lin, 2e-5, "PNG absurd gAMA");
    ctx->log = NULL;
    CHECK(warnings == 1);
    dm_image_free(&d.img);
    dm_decoded g = make(ctx, k_sizes[s][0], k_sizes[s][1], 1, grey, N);
    expect(ctx, &g, N, lin, 2e-5, "untagged grey image");
    dm_image_free(&g.img);
  }
}

static void test_png_chunks(dm_context *ctx) {
  enum { N = 5 };
  static const float px[N][3] = {{0.2f, 0.4f, 0.6f}, {1, 0, 0}, {0, 1, 0}, {0.25f, 0.25f, 0.25f}, {0.9f, 0.1f, 0.5f}};
  double gamma_want[N][3], id_want[N][3];
  for (int i = 0; i < N; i++)
    for (int c = 0; c < 3; c++) id_want[i][c] = px[i][c];
  /* gAMA alone on neutral greys: the transfer is x^(1/gamma). */
  static const float greys[N][3] = {{0, 0, 0}, {0.1f, 0.1f, 0.1f}, {0.5f, 0.5f, 0.5f}, {0.8f, 0.8f, 0.8f}, {1, 1, 1}};
  for (int i = 0; i < N; i++)
    for (int c = 0; c < 3; c++) gamma_want[i][c] = pow(greys[i][c], 1.0 / 0.45455);
  for (int s = 0; s < 2; s++) {
    dm_decoded d = make(ctx, k_sizes[s][0], k_sizes[s][1], 3, &greys[0][0], N);
    d.meta.gamma = 0.45455f;
    expect(ctx, &d, N, gamma_want, 2e-5, "PNG gAMA");
    dm_image_free(&d.img);
    /* gAMA 1.0 + cHRM with BT.2020 primaries and D65 is the working space. */
    d = make(ctx, k_sizes[s][0], k_sizes[s][1], 3, &px[0][0], N);
    d.meta.gamma = 1.0f;
    d.meta.has_chrm = 1;
    static const float bt2020[8] = {0.3127f, 0.3290f, 0.708f, 0.292f, 0.170f, 0.797f, 0.131f, 0.046f};
    memcpy(d.meta.chrm, bt2020, sizeof bt2020);
    expect(ctx, &d, N, id_want, 2e-4 /* chromaticities as float */, "PNG cHRM BT.2020");
    dm_image_free(&d.img);
  }
}

/* Linear ProPhoto colours Rec.2020 cannot hold keep their values. */
static void test_unbounded(dm_context *ctx) {
  static const float px[4][3] = {{0, 0, 1}, {0, 1, 0}, {0.05f, 0.9f, 0.1f}, {0.3f, 0.2f, 0.1f}};
  for (int s = 0; s < 2; s++) {
    dm_decoded d = make(ctx, k_sizes[s][0], k_sizes[s][1], 3, &px[0][0], 4);
    d.meta.format = DM_FMT_RAW;
    d.meta.space = DM_SPACE_LINEAR_PROPHOTO;
    dm_image work, back;
    CHECK_OK(ctx, dm_color_to_working(ctx, &d, "raw", &work));
    if (!work.data) continue;
    const float *blue = dm_px(&work, 0, 0), *green = dm_px(&work, 1, 0);
    printf("ProPhoto blue -> Rec.2020 %.4f %.4f %.4f; green -> %.4f %.4f %.4f\n", blue[0], blue[1], blue[2],
           green[0], green[1], green[2]);
    CHECK(fminf(blue[0], fminf(blue[1], blue[2])) < -0.01f);
    CHECK(fmaxf(blue[0], fmaxf(blue[1], blue[2])) > 1.01f);
    CHECK(fminf(green[0], fminf(green[1], green[2])) < -0.01f);
    /* Back to ProPhoto (gamma 1.8): the same linear values, nothing clipped. */
    CHECK_OK(ctx, dm_color_from_working(ctx, &work, DM_PROFILE_PROPHOTO, &back, NULL, NULL));
    for (int i = 0; i < 4 && back.data; i++)
      for (int c = 0; c < 3; c++) CHECK_NEAR(pow(dm_px(&back, i, 0)[c], 1.8), px[i][c], 1e-4);
    dm_image_free(&work);
    dm_image_free(&back);
    dm_image_free(&d.img);
  }
  /* NaN and infinities (a float TIFF may hold them) give finite pixels, and
   * from_working's output stays in [0, 1]. */
  static const float odd[4][3] = {{NAN, 0.5f, 0.5f}, {INFINITY, 0.2f, 0.1f}, {-INFINITY, 0, 1}, {0.3f, 0.3f, 0.3f}};
  for (int s = 0; s < 2; s++) {
    dm_decoded d = make(ctx, k_sizes[s][0], k_sizes[s][1], 3, &odd[0][0], 4);
    dm_image work, enc;
    CHECK_OK(ctx, dm_color_to_working(ctx, &d, "odd", &work));
    int finite = work.data != NULL;
    for (int y = 0; y < work.height && finite; y++)
      for (int i = 0; i < work.width * 3; i++) finite &= isfinite(dm_row(&work, y)[i]);
    CHECK(finite);
    CHECK_OK(ctx, dm_color_from_working(ctx, &d.img, DM_PROFILE_SRGB, &enc, NULL, NULL));
    int inside = enc.data != NULL;
    for (int y = 0; y < enc.height && inside; y++)
      for (int i = 0; i < enc.width * 3; i++) inside &= dm_row(&enc, y)[i] >= 0.0f && dm_row(&enc, y)[i] <= 1.0f;
    CHECK(inside);
    dm_image_free(&work);
    dm_image_free(&enc);
    dm_image_free(&d.img);
  }
  /* Float input above 1 (a 32-bit TIFF) stays above 1. */
  static const float hot[1][3] = {{2.0f, 0.5f, 0.5f}};
  dm_decoded d = make(ctx, 300, 240, 3, &hot[0][0], 1);
  dm_image work;
  CHECK_OK(ctx, dm_color_to_working(ctx, &d, "hot", &work));
  if (work.data) CHECK(dm_px(&work, 5, 5)[0] > 2.0f);
  dm_image_free(&work);
  dm_image_free(&d.img);
}

static void describe_is(dm_decoded *d, const char *want) {
  char buf[256];
  dm_color_describe(d, buf, sizeof buf);
  if (strcmp(buf, want)) fprintf(stderr, "describe: got '%s', want '%s'\n", buf, want);
  CHECK(!strcmp(buf, want));
}

static void test_describe(dm_context *ctx) {
  static const float px[3] = {0.5f, 0.5f, 0.5f};
  dm_decoded d = make(ctx, 1, 1, 3, px, 1);
  describe_is(&d, "untagged (sRGB assumed)");
  d.meta.gamma = 0.45455f;
  describe_is(&d, "PNG gAMA 0.45455");
  d.meta.has_chrm = 1;
  static const float srgb_chrm[8] = {0.3127f, 0.329f, 0.64f, 0.33f, 0.3f, 0.6f, 0.15f, 0.06f};
  memcpy(d.meta.chrm, srgb_chrm, sizeof srgb_chrm);
  describe_is(&d, "PNG gAMA 0.45455 + cHRM");
  d.meta.srgb_chunk = 1;
  describe_is(&d, "PNG sRGB chunk");
  d.meta.space = DM_SPACE_LINEAR_PROPHOTO;
  describe_is(&d, "linear ProPhoto (camera RAW)");
  memset(&d.meta, 0, sizeof d.meta);
  dm_image enc;
  unsigned char *icc = NULL;
  size_t len = 0;
  CHECK_OK(ctx, dm_color_from_working(ctx, &d.img, DM_PROFILE_P3, &enc, &icc, &len));
  d.meta.icc = icc;
  d.meta.icc_len = len;
  describe_is(&d, "embedded: Display P3 (depthmask)");
  d.meta.icc_len = len / 3;
  describe_is(&d, "embedded ICC profile, unreadable");
  free(icc);
  dm_image_free(&enc);
  dm_image_free(&d.img);
  d = make(ctx, 1, 1, 1, px, 1);
  describe_is(&d, "untagged grey (sRGB assumed)");
  dm_image_free(&d.img);
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  test_matrix_and_greys(ctx);
  test_png_chunks(ctx);
  test_unbounded(ctx);
  test_describe(ctx);
  dm_context_free(ctx);
  return dm_test_done("color/test_working");
}
