/* dm_defocus_estimate and dm_depth_fuse on a real photograph (skimage's
 * astronaut) without the networks:
 *  - defocus: the photo's right half blurred by a known Gaussian (sigma 3)
 *    must read about 3 there and clearly less on the sharp left half;
 *  - fusion contract: bad inputs fail with DM_ERR_PARAM; outputs have the
 *    photo's size and lie in [0, 1]; the subject (a disc matte) is one
 *    depth value that no background pixel shares (a Depth Range band holds
 *    exactly the matte), the network's order of the background is kept,
 *    and the confidence drops where the network puts the surroundings at
 *    the subject's depth;
 *  - the network alone comes back nearly unchanged; the matte alone puts
 *    the subject nearer than the rest. */
#include <math.h>
#include <stdlib.h>

#include "depth/fuse.h"
#include "dm_test.h"
#include "io/io.h"

static void blur_right_half(dm_context *ctx, const dm_image *src, dm_image *dst, float sigma) {
  int w = src->width, h = src->height, r = (int)ceilf(3 * sigma);
  float k[64], sum = 0;
  for (int i = -r; i <= r; i++) sum += k[i + r] = expf(-0.5f * i * i / (sigma * sigma));
  for (int i = 0; i <= 2 * r; i++) k[i] /= sum;
  dm_image tmp = {0};
  if (dm_image_alloc(ctx, &tmp, w, h, 3)) return;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < 3; c++) {
        float acc = 0;
        for (int i = -r; i <= r; i++) {
          int xx = x + i < 0 ? 0 : x + i >= w ? w - 1 : x + i;
          acc += k[i + r] * dm_px(src, xx, y)[c];
        }
        dm_px(&tmp, x, y)[c] = acc;
      }
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < 3; c++) {
        float acc = 0;
        for (int i = -r; i <= r; i++) {
          int yy = y + i < 0 ? 0 : y + i >= h ? h - 1 : y + i;
          acc += k[i + r] * dm_px(&tmp, x, yy)[c];
        }
        dm_px(dst, x, y)[c] = x >= w / 2 ? acc : dm_px(src, x, y)[c];
      }
  dm_image_free(&tmp);
}

static int cmp_float(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

/* Median of `v` over columns [x0, x1) where certainty > 0.5. */
static float median_certain(const dm_image *v, const dm_image *cert, int x0, int x1) {
  float *buf = malloc(sizeof(float) * (size_t)v->width * v->height);
  int n = 0;
  for (int y = 0; y < v->height; y++)
    for (int x = x0; x < x1; x++)
      if (dm_row(cert, y)[x] > 0.5f) buf[n++] = dm_row(v, y)[x];
  qsort(buf, (size_t)n, sizeof *buf, cmp_float);
  float m = n ? buf[n / 2] : NAN;
  free(buf);
  return m;
}

static void test_defocus(dm_context *ctx, const dm_image *photo) {
  dm_image half = {0}, sigma = {0}, cert = {0};
  CHECK_OK(ctx, dm_image_alloc(ctx, &half, photo->width, photo->height, 3));
  if (half.data) blur_right_half(ctx, photo, &half, 3.0f);
  CHECK_OK(ctx, dm_defocus_estimate(ctx, &half, &sigma, &cert));
  if (sigma.data) {
    int w = photo->width, m = 12; /* keep away from the seam */
    float sharp = median_certain(&sigma, &cert, m, w / 2 - m);
    float blurred = median_certain(&sigma, &cert, w / 2 + m, w - m);
    printf("defocus: sharp half %.2f px, blurred half (sigma 3) %.2f px\n", sharp, blurred);
    CHECK(sharp < 1.2f);
    CHECK(blurred > 2.0f && blurred < 4.5f);
    CHECK(blurred > 2.5f * sharp);
    CHECK(sigma.width == w && cert.height == photo->height);
  }
  dm_image_free(&half), dm_image_free(&sigma), dm_image_free(&cert);
}

static void test_fuse(dm_context *ctx, const dm_image *photo) {
  int w = photo->width, h = photo->height;
  dm_image matte = {0}, net = {0}, near = {0}, conf = {0}, small = {0};
  CHECK_OK(ctx, dm_image_alloc(ctx, &matte, w, h, 1));
  CHECK_OK(ctx, dm_image_alloc(ctx, &net, 64, 48, 1));
  CHECK_OK(ctx, dm_image_alloc(ctx, &small, w / 2, h, 1));
  if (!matte.data || !net.data || !small.data) return;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      float d = hypotf(x - 0.5f * w, y - 0.55f * h) - 0.25f * h; /* a disc, 1-px soft edge */
      dm_row(&matte, y)[x] = d < -0.5f ? 1 : d > 0.5f ? 0 : 0.5f - d;
    }
  /* The network: a ramp, near at the bottom; the disc's rows sit mid-way,
   * so the background beside the subject is at its depth (low confidence). */
  for (int y = 0; y < 48; y++)
    for (int x = 0; x < 64; x++) dm_row(&net, y)[x] = 1.0f - (float)y / 47;

  dm_fuse_inputs none = {.guide = photo}, bad = {.guide = photo, .net = &net, .matte = &small};
  CHECK(dm_depth_fuse(ctx, &none, &near, &conf) == DM_ERR_PARAM);
  CHECK(dm_depth_fuse(ctx, &bad, &near, &conf) == DM_ERR_PARAM);

  dm_fuse_inputs in = {.guide = photo, .net = &net, .matte = &matte};
  CHECK_OK(ctx, dm_depth_fuse(ctx, &in, &near, &conf));
  if (near.data) {
    CHECK(near.width == w && near.height == h && conf.width == w && conf.height == h);
    float v = dm_row(&near, h * 55 / 100)[w / 2], lo = 1, hi = 0;
    int shared = 0, out_of_range = 0, inverted = 0;
    double conf_beside = 0, conf_far = 0;
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        float n = dm_row(&near, y)[x], c = dm_row(&conf, y)[x], m = dm_row(&matte, y)[x];
        out_of_range += !(n >= 0 && n <= 1) || !(c >= 0 && c <= 1);
        if (m >= 1) lo = fminf(lo, n), hi = fmaxf(hi, n);
        if (m <= 0 && fabsf(n - v) < 0.05f) shared++;
      }
    /* The background keeps the ramp's order along the left column. */
    for (int y = 1; y < h; y++) inverted += dm_row(&near, y)[2] > dm_row(&near, y - 1)[2] + 1e-3f;
    conf_beside = dm_row(&conf, h * 55 / 100)[w / 2 - h / 4 - 8];
    conf_far = dm_row(&conf, 4)[4];
    printf("fuse: subject %.3f..%.3f, background pixels within 0.05: %d, confidence beside %.2f, "
           "far %.2f\n", lo, hi, shared, conf_beside, conf_far);
    CHECK(out_of_range == 0);
    CHECK(hi - lo < 1e-4f);
    CHECK(shared == 0);
    CHECK(inverted == 0);
    CHECK(conf_beside < 0.5);
    CHECK(conf_far > 0.9);
  }
  dm_image_free(&near), dm_image_free(&conf);

  dm_fuse_inputs net_only = {.guide = photo, .net = &net};
  CHECK_OK(ctx, dm_depth_fuse(ctx, &net_only, &near, &conf));
  if (near.data) {
    double err = 0;
    for (int y = 0; y < h; y++) err += fabsf(dm_row(&near, y)[w / 3] - (1.0f - (y + 0.5f) / h));
    printf("fuse: network alone, mean deviation from the ramp %.4f\n", err / h);
    CHECK(err / h < 0.05);
    CHECK(dm_row(&conf, h / 2)[w / 2] == 1.0f);
  }
  dm_image_free(&near), dm_image_free(&conf);

  dm_fuse_inputs matte_only = {.guide = photo, .matte = &matte};
  CHECK_OK(ctx, dm_depth_fuse(ctx, &matte_only, &near, &conf));
  if (near.data) CHECK(dm_row(&near, h * 55 / 100)[w / 2] + 0.3f < dm_row(&near, 2)[2]);
  dm_image_free(&near), dm_image_free(&conf);
  dm_image_free(&matte), dm_image_free(&net), dm_image_free(&small);
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  dm_decoded d;
  CHECK_OK(ctx, dm_io_read(ctx, dm_test_photo("astronaut"), &d));
  if (d.img.data && d.img.channels == 3) {
    test_defocus(ctx, &d.img);
    test_fuse(ctx, &d.img);
  }
  dm_decoded_free(&d);
  dm_context_free(ctx);
  return dm_test_done("depth/test_fuse_contract");
}
