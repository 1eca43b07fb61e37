/* The fast path's eight-pixel output loop (src/color/xform_simd.c) against
 * its scalar loop, bit for bit: the same transform applied to a W x H image
 * (rows of 37 pixels: four blocks of eight and a scalar tail) and to the
 * same values as a 1-pixel-wide image (every row scalar), out of the
 * working space into every output profile. The values cover the curves'
 * branches: negative, -0 and 0, below and at the table's first node
 * (2^-40), dense near black, each node's neighbourhood, 1 and past it. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "color/color_internal.h"
#include "dm_test.h"

enum { W = 37, H = 300 };

static uint32_t rng(uint32_t *s) { return *s = *s * 1664525u + 1013904223u; }

static float sample(uint32_t *seed, int i) {
  static const float special[] = {-1.0f, -0.0f, 0.0f, 1e-13f, 0x1p-40f, 0x1.000002p-40f, 1e-6f, 0.0031308f,
                                  0.18f, 0.5f, 0x1.fffffep-1f, 1.0f, 1.0000001f, 7.5f, 1e30f, -1e30f};
  if (i < (int)(sizeof special / sizeof *special)) return special[i];
  double u = (double)(rng(seed) >> 8) / (1 << 24);
  switch (rng(seed) >> 30) {
  case 0: return (float)pow(u, 6.0);   /* near black, across the table's octaves */
  case 1: return (float)(u * 1.6 - 0.3);
  case 2: { /* a node of the table, or a float beside it */
    uint32_t b = OUT_BASE + ((rng(seed) >> 8) % (OUT_N - 1) << OUT_SHIFT) + (rng(seed) >> 30) - 1;
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
  }
  default: return (float)u;
  }
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  dm_cms cms;
  CHECK_OK(ctx, dm_cms_open(ctx, &cms, "test"));
  uint32_t seed = 7;
  dm_image wide, tall, a, b;
  CHECK_OK(ctx, dm_image_alloc(ctx, &wide, W, H, 3));
  CHECK_OK(ctx, dm_image_alloc(ctx, &tall, 1, W * H, 3));
  for (int i = 0; i < W * H * 3; i++) {
    float v = sample(&seed, i);
    dm_row(&wide, i / (W * 3))[i % (W * 3)] = v;
    dm_row(&tall, i / 3)[i % 3] = v;
  }
  CHECK_OK(ctx, dm_image_alloc(ctx, &a, W, H, 3));
  CHECK_OK(ctx, dm_image_alloc(ctx, &b, 1, W * H, 3));
  cmsHPROFILE working = dm_profile_working(&cms);
  for (int p = 0; p < DM_PROFILE_COUNT; p++) {
    cmsHPROFILE out = dm_profile_output(&cms, (dm_output_profile)p);
    dm_xform *xf = NULL;
    CHECK_OK(ctx, dm_xform_new(ctx, &cms, working, 3, out, DM_XFORM_CLIP, 1 << 20, "test", &xf));
    CHECK(xf && dm_xform_is_fast(xf));
    if (xf) {
      CHECK_OK(ctx, dm_xform_apply(ctx, xf, &wide, &a));
      CHECK_OK(ctx, dm_xform_apply(ctx, xf, &tall, &b));
      long differ = 0;
      for (int i = 0; i < W * H * 3; i++) {
        float va = dm_row(&a, i / (W * 3))[i % (W * 3)], vb = dm_row(&b, i / 3)[i % 3];
        differ += memcmp(&va, &vb, sizeof va) != 0;
      }
      printf("working -> %-10s %ld of %d samples differ from the scalar loop\n",
             dm_profile_name((dm_output_profile)p), differ, W * H * 3);
      CHECK(differ == 0);
    }
    dm_xform_free(xf);
    cmsCloseProfile(out);
  }
  /* without AVX2 the loop does nothing and says so */
  float m[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, lut[OUT_N], at0[3] = {0, 0, 0}, px[24] = {0}, o[24];
  for (int i = 0; i < OUT_N; i++) lut[i] = (float)i / (OUT_N - 1);
  const float *const luts[3] = {lut, lut, lut};
  int done = dm_xform_out_avx2(m, luts, at0, px, o, 8);
  CHECK(done == (__builtin_cpu_supports("avx2") ? 8 : 0));
  CHECK(dm_xform_out_avx2(m, luts, at0, px, o, 7) == 0);
  cmsCloseProfile(working);
  dm_cms_close(&cms);
  dm_image_free(&wide), dm_image_free(&tall), dm_image_free(&a), dm_image_free(&b);
  dm_context_free(ctx);
  return dm_test_done("color/test_fast_simd");
}
