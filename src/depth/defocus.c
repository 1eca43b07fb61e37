/* Defocus from edges (after Zhuo & Sim 2011, "Defocus map estimation from
 * a single image"): an edge blurred by a Gaussian of sigma, re-blurred by
 * sigma0, loses gradient by R = sqrt(s^2 + s0^2) / s where s^2 = sigma^2 +
 * the measuring filters' own spread; so at each edge
 *   sigma^2 = s0^2 / (R^2 - 1) - base^2.
 * The sparse edge estimates are spread to the whole image by normalised
 * convolution with the guided filter (edge-aware: the estimate does not
 * leak across the photo's edges), then by a wide box where no edge is near.
 * Works at the proxy resolution; sigma is converted back to the photo's
 * pixels. Used by the fusion to split what the subject matte lumps
 * together (a much blurrier part is another depth layer). */
#include <math.h>
#include <stdlib.h>

#include "core/guided.h"
#include "core/resample.h"
#include "depth/fuse.h"
#include "depth/fuse_internal.h"

#define REBLUR_SIGMA 1.0f
/* Spread of the 3-tap pre-filter (0.5^2) plus the Sobel operator's (~0.7^2). */
#define BASE_VAR 0.74f
#define EDGE_MIN_GRADIENT 0.02f /* per pixel, sRGB-encoded units */
#define EDGE_FULL_GRADIENT 0.1f
#define SIGMA_MAX 12.0f

/* Separable Gaussian, borders clamped. */
static dm_status gauss(dm_context *ctx, const dm_image *in, float sigma, dm_image *out) {
  int w = in->width, h = in->height, r = (int)ceilf(3 * sigma);
  float k[64];
  if (r > 31) r = 31;
  float sum = 0;
  for (int i = -r; i <= r; i++) sum += k[i + r] = expf(-0.5f * i * i / (sigma * sigma));
  for (int i = 0; i <= 2 * r; i++) k[i] /= sum;
  dm_image tmp = {0};
  dm_status s = dm_image_alloc(ctx, &tmp, w, h, 1);
  if (!s) s = dm_image_alloc(ctx, out, w, h, 1);
  if (s) {
    dm_image_free(&tmp);
    return s;
  }
  for (int y = 0; y < h; y++) {
    const float *a = dm_row(in, y);
    float *o = dm_row(&tmp, y);
    for (int x = 0; x < w; x++) {
      float acc = 0;
      for (int i = -r; i <= r; i++) {
        int xx = x + i < 0 ? 0 : x + i >= w ? w - 1 : x + i;
        acc += k[i + r] * a[xx];
      }
      o[x] = acc;
    }
  }
  for (int y = 0; y < h; y++) {
    float *o = dm_row(out, y);
    for (int x = 0; x < w; x++) o[x] = 0;
    for (int i = -r; i <= r; i++) {
      int yy = y + i < 0 ? 0 : y + i >= h ? h - 1 : y + i;
      const float *a = dm_row(&tmp, yy);
      for (int x = 0; x < w; x++) o[x] += k[i + r] * a[x];
    }
  }
  dm_image_free(&tmp);
  return DM_OK;
}

static float grad_at(const dm_image *g, int x, int y) {
  int w = g->width, h = g->height;
  int x0 = x > 0 ? x - 1 : 0, x1 = x < w - 1 ? x + 1 : w - 1;
  int y0 = y > 0 ? y - 1 : 0, y1 = y < h - 1 ? y + 1 : h - 1;
  const float *rm = dm_row(g, y0), *r0 = dm_row(g, y), *rp = dm_row(g, y1);
  float gx = (rm[x1] + 2 * r0[x1] + rp[x1] - rm[x0] - 2 * r0[x0] - rp[x0]) * 0.125f;
  float gy = (rp[x0] + 2 * rp[x] + rp[x1] - rm[x0] - 2 * rm[x] - rm[x1]) * 0.125f;
  return sqrtf(gx * gx + gy * gy);
}

/* Sparse estimates: sigma at edge pixels, with a weight (0 off edges). */
static dm_status edge_estimates(dm_context *ctx, const dm_image *grey, dm_image *wsig,
                                dm_image *weight) {
  int w = grey->width, h = grey->height;
  dm_image g1 = {0}, g2 = {0}, G1 = {0};
  dm_status s = gauss(ctx, grey, 0.5f, &g1);
  if (!s) s = gauss(ctx, &g1, REBLUR_SIGMA, &g2);
  if (!s) s = dm_image_alloc(ctx, &G1, w, h, 1);
  if (!s) s = dm_image_alloc_zero(ctx, wsig, w, h, 1);
  if (!s) s = dm_image_alloc_zero(ctx, weight, w, h, 1);
  if (s) goto done;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) dm_row(&G1, y)[x] = grad_at(&g1, x, y);
  for (int y = 1; y < h - 1; y++) {
    for (int x = 1; x < w - 1; x++) {
      float a = dm_row(&G1, y)[x];
      if (a < EDGE_MIN_GRADIENT) continue;
      int is_max = 1; /* local maximum of the gradient in 3x3: an edge centre */
      for (int dy = -1; dy <= 1 && is_max; dy++)
        for (int dx = -1; dx <= 1; dx++)
          if (dm_row(&G1, y + dy)[x + dx] > a) is_max = 0;
      if (!is_max) continue;
      float b = grad_at(&g2, x, y);
      float R = a / (b > 1e-6f ? b : 1e-6f);
      float var = R > 1.0005f ? REBLUR_SIGMA * REBLUR_SIGMA / (R * R - 1) - BASE_VAR : SIGMA_MAX * SIGMA_MAX;
      float sig = var > 0 ? sqrtf(var) : 0;
      if (sig > SIGMA_MAX) sig = SIGMA_MAX;
      float c = a / EDGE_FULL_GRADIENT;
      if (c > 1) c = 1;
      dm_row(weight, y)[x] = c;
      dm_row(wsig, y)[x] = c * sig;
    }
  }
done:
  if (s) {
    dm_image_free(wsig);
    dm_image_free(weight);
  }
  dm_image_free(&g1);
  dm_image_free(&g2);
  dm_image_free(&G1);
  return s;
}

dm_status dm_defocus_proxy(dm_context *ctx, const dm_image *grey, dm_image *sigma,
                           dm_image *certainty) {
  int w = grey->width, h = grey->height, side = w > h ? w : h;
  dm_image wsig = {0}, weight = {0}, num = {0}, den = {0}, wide = {0};
  dm_status s = edge_estimates(ctx, grey, &wsig, &weight);
  int r = side / 40 > 2 ? side / 40 : 2;
  if (!s) s = dm_guided_filter(ctx, grey, &wsig, r, 1e-3f, &num);
  if (!s) s = dm_guided_filter(ctx, grey, &weight, r, 1e-3f, &den);
  /* Far from every edge: a plain wide average of the edge estimates. */
  if (!s) {
    for (int y = 0; y < h; y++) {
      float *a = dm_row(&wsig, y), *b = dm_row(&weight, y);
      for (int x = 0; x < w; x++) a[x] = b[x] > 0 ? a[x] / b[x] : 0;
    }
    s = dm_fuse_fill(ctx, &wsig, &weight, side / 10 > 4 ? side / 10 : 4, 1e-3f, 0.0f, &wide);
  }
  if (!s) s = dm_image_alloc(ctx, sigma, w, h, 1);
  if (!s) s = dm_image_alloc(ctx, certainty, w, h, 1);
  if (!s) {
    const float full = 4e-3f; /* edge weight per pixel that makes an estimate certain */
    for (int y = 0; y < h; y++) {
      const float *n = dm_row(&num, y), *d = dm_row(&den, y), *f = dm_row(&wide, y);
      float *o = dm_row(sigma, y), *c = dm_row(certainty, y);
      for (int x = 0; x < w; x++) {
        float t = d[x] / full;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        float local = d[x] > 1e-5f ? n[x] / d[x] : f[x];
        local = local < 0 ? 0 : local > SIGMA_MAX ? SIGMA_MAX : local;
        o[x] = t * local + (1 - t) * f[x];
        c[x] = t;
      }
    }
  } else {
    dm_image_free(sigma);
  }
  dm_image_free(&wsig);
  dm_image_free(&weight);
  dm_image_free(&num);
  dm_image_free(&den);
  dm_image_free(&wide);
  return s;
}

dm_status dm_defocus_estimate(dm_context *ctx, const dm_image *guide, dm_image *sigma,
                              dm_image *certainty) {
  if (!guide || !guide->data || guide->channels != 3)
    return dm_fail(ctx, DM_ERR_PARAM, "defocus", "the guide must be a 3-channel photo");
  int W = guide->width, H = guide->height, pw, ph;
  dm_fuse_proxy_size(W, H, &pw, &ph);
  static const float luma[3] = {0.299f, 0.587f, 0.114f};
  dm_image small = {0}, grey = {0}, sp = {0}, cp = {0};
  dm_status s = dm_image_alloc(ctx, &small, pw, ph, 3);
  if (!s) s = dm_resize_plane(ctx, guide, &small, 0, "defocus guide");
  if (!s) s = dm_grey_plane(ctx, &small, luma, &grey);
  if (!s) s = dm_defocus_proxy(ctx, &grey, &sp, &cp);
  if (!s) {
    float up = (float)W / (float)pw;
    for (int y = 0; y < ph; y++)
      for (int x = 0; x < pw; x++) dm_row(&sp, y)[x] *= up;
    if (pw == W && ph == H) {
      *sigma = sp, *certainty = cp;
      sp = (dm_image){0}, cp = (dm_image){0};
    } else {
      int side = W > H ? W : H;
      s = dm_guided_upsample(ctx, guide, &sp, side / 100 > 2 ? side / 100 : 2, 1e-3f, sigma);
      if (!s) s = dm_image_alloc(ctx, certainty, W, H, 1);
      if (!s) s = dm_resize_plane(ctx, &cp, certainty, 1, "defocus certainty");
      if (s) {
        dm_image_free(sigma);
        dm_image_free(certainty);
      } else {
        for (int y = 0; y < H; y++)
          for (int x = 0; x < W; x++)
            if (dm_row(sigma, y)[x] < 0) dm_row(sigma, y)[x] = 0;
      }
    }
  }
  dm_image_free(&small);
  dm_image_free(&grey);
  dm_image_free(&sp);
  dm_image_free(&cp);
  return s;
}
