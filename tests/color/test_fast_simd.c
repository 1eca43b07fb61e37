/* The fast path's eight-pixel loops (src/color/xform_simd.c) against its
 * scalar loops, bit for bit: the same transform applied to a W x H image
 * (rows of 37 pixels: four blocks of eight and a scalar tail) and to the
 * same values as a 1-pixel-wide image (every row scalar).
 * Out of the working space into every output profile, on values that cover
 * the output curves' branches: negative, -0 and 0, below and at the table's
 * first node (2^-40), dense near black, each node's neighbourhood, 1 and
 * past it. Into it from sRGB and from our output profiles, on 8- and
 * 16-bit codes, 0, 1 and values between the nodes; and on 8-bit codes
 * alone, which take the 8-bit table. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "color/color_internal.h"
#include "dm_test.h"

enum { W = 37, H = 300 };

static uint32_t rng(uint32_t *s) { return *s = *s * 1664525u + 1013904223u; }

/* Working-space values for the output curves. */
static float sample(uint32_t *seed, int i) {
  static const float special[] = {-1.0f, -0.0f, 0.0f, 1e-13f, 0x1p-40f, 0x1.000002p-40f, 1e-6f, 0.0031308f,
                                  0.18f, 0.5f, 0x1.fffffep-1f, 1.0f, 1.0000001f, 7.5f, 1e30f, -1e30f};
  if (i < (int)(sizeof special / sizeof *special)) return special[i];
  double u = (double)(rng(seed) >> 8) / (1 << 24);
  switch (rng(seed) >> 30) {
  case 0: return (float)pow(u, 6.0); /* near black, across the table's octaves */
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

/* Codes and values in [0, 1] for the input curves. */
static float code(uint32_t *seed, int i) {
  if (i < 4) return (float)(i & 1);
  switch (rng(seed) >> 30) {
  case 0: return (float)(rng(seed) >> 24) / 255.0f;
  case 1: return (float)(rng(seed) >> 16) / 65535.0f;
  default: return (float)(rng(seed) >> 8) / (float)(1 << 24);
  }
}

/* 8-bit codes alone, as the decoders give them (the 8-bit table's path). */
static float code8(uint32_t *seed, int i) { return dm_code8_float(i < 2 ? 255u * (unsigned)i : rng(seed) >> 24); }

/* The same values into the W x H `wide` and the 1-pixel-wide `tall`. */
static void fill(dm_image *wide, dm_image *tall, float (*gen)(uint32_t *, int), uint32_t seed) {
  for (int i = 0; i < W * H * 3; i++) {
    float v = gen(&seed, i);
    dm_row(wide, i / (W * 3))[i % (W * 3)] = v;
    dm_row(tall, i / 3)[i % 3] = v;
  }
}

/* How many samples of the fast transform from -> to (flags) on wide and on
 * tall differ in their bits; -1 when it could not run. */
static long differ(dm_context *ctx, dm_cms *cms, cmsHPROFILE from, cmsHPROFILE to, int flags,
                   const dm_image *wide, const dm_image *tall, const char *what) {
  dm_xform *xf = NULL;
  dm_image a = {0}, b = {0};
  CHECK_OK(ctx, dm_xform_new(ctx, cms, from, 3, to, flags, 1 << 20, "test", &xf));
  CHECK(xf && dm_xform_is_fast(xf));
  CHECK_OK(ctx, dm_image_alloc(ctx, &a, W, H, 3));
  CHECK_OK(ctx, dm_image_alloc(ctx, &b, 1, W * H, 3));
  long n = -1;
  if (xf && a.data && b.data && !dm_xform_apply(ctx, xf, wide, &a) && !dm_xform_apply(ctx, xf, tall, &b)) {
    n = 0;
    for (int i = 0; i < W * H * 3; i++) {
      float va = dm_row(&a, i / (W * 3))[i % (W * 3)], vb = dm_row(&b, i / 3)[i % 3];
      n += memcmp(&va, &vb, sizeof va) != 0;
    }
  }
  printf("%-22s %ld of %d samples differ from the scalar loop\n", what, n, W * H * 3);
  dm_xform_free(xf);
  dm_image_free(&a), dm_image_free(&b);
  return n;
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  dm_cms cms;
  CHECK_OK(ctx, dm_cms_open(ctx, &cms, "test"));
  dm_image wide, tall;
  CHECK_OK(ctx, dm_image_alloc(ctx, &wide, W, H, 3));
  CHECK_OK(ctx, dm_image_alloc(ctx, &tall, 1, W * H, 3));
  cmsHPROFILE working = dm_profile_working(&cms);
  char what[64];

  fill(&wide, &tall, sample, 7);
  for (int p = 0; p < DM_PROFILE_COUNT; p++) {
    cmsHPROFILE out = dm_profile_output(&cms, (dm_output_profile)p);
    snprintf(what, sizeof what, "working -> %s", dm_profile_name((dm_output_profile)p));
    CHECK(differ(ctx, &cms, working, out, DM_XFORM_CLIP, &wide, &tall, what) == 0);
    cmsCloseProfile(out);
  }

  fill(&wide, &tall, code, 11);
  cmsHPROFILE srgb = dm_profile_srgb(&cms);
  CHECK(differ(ctx, &cms, srgb, working, 0, &wide, &tall, "sRGB -> working") == 0);
  cmsCloseProfile(srgb);
  for (int p = 0; p < DM_PROFILE_COUNT; p++) {
    cmsHPROFILE in = dm_profile_output(&cms, (dm_output_profile)p);
    snprintf(what, sizeof what, "%s -> working", dm_profile_name((dm_output_profile)p));
    CHECK(differ(ctx, &cms, in, working, 0, &wide, &tall, what) == 0);
    cmsCloseProfile(in);
  }

  fill(&wide, &tall, code8, 13);
  srgb = dm_profile_srgb(&cms);
  CHECK(differ(ctx, &cms, srgb, working, 0, &wide, &tall, "sRGB 8-bit -> working") == 0);
  cmsCloseProfile(srgb);
  cmsHPROFILE adobe = dm_profile_output(&cms, DM_PROFILE_ADOBERGB);
  CHECK(differ(ctx, &cms, adobe, working, 0, &wide, &tall, "adobergb 8-bit -> working") == 0);
  cmsCloseProfile(adobe);

  /* without AVX2 the loops do nothing and say so; short rows are left whole */
  static float lut[IN_N];
  float m[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, at0[3] = {0, 0, 0}, px[45] = {0}, o[45];
  const float *const luts[3] = {lut, lut, lut};
  const int eight = __builtin_cpu_supports("avx2") ? 8 : 0;
  CHECK(dm_xform_out_avx2(m, luts, at0, px, o, 8) == eight);
  CHECK(dm_xform_out_avx2(m, luts, at0, px, o, 7) == 0);
  CHECK(dm_xform_in_avx2(m, luts, NULL, px, o, 15) == eight);

  cmsCloseProfile(working);
  dm_cms_close(&cms);
  dm_image_free(&wide), dm_image_free(&tall);
  dm_context_free(ctx);
  return dm_test_done("color/test_fast_simd");
}
