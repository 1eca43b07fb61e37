/* Small plane helpers shared by the fusion: proxy size, box means,
 * normalised convolution, histogram quantiles and Otsu's threshold. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/box.h"
#include "depth/fuse_internal.h"

void dm_fuse_proxy_size(int width, int height, int *pw, int *ph) {
  double px = (double)width * height;
  double s = px > DM_FUSE_PROXY_PIXELS ? sqrt(DM_FUSE_PROXY_PIXELS / px) : 1.0;
  *pw = (int)lround(width * s);
  *ph = (int)lround(height * s);
  if (*pw < 1) *pw = 1;
  if (*ph < 1) *ph = 1;
}

typedef struct {
  const dm_image *const *src;
  dm_image *const *out;
  int k, w;
} box_job;

static void box_in(void *user, int y, double *vals) {
  const box_job *j = user;
  const int S = dm_box_stride(j->k);
  for (int q = 0; q < j->k; q++) {
    const float *r = dm_row(j->src[q], y);
    for (int x = 0; x < j->w; x++) vals[(size_t)x * S + q] = r[x];
  }
}

static void box_out(void *user, int y, const double *mean) {
  const box_job *j = user;
  const int S = dm_box_stride(j->k);
  for (int q = 0; q < j->k; q++) {
    float *r = dm_row(j->out[q], y);
    for (int x = 0; x < j->w; x++) r[x] = (float)mean[(size_t)x * S + q];
  }
}

dm_status dm_fuse_box_means(dm_context *ctx, const dm_image *const *src, int k, int radius,
                            dm_image *const *out) {
  int w = src[0]->width, h = src[0]->height;
  for (int q = 0; q < k; q++) {
    dm_status s = dm_image_alloc(ctx, out[q], w, h, 1);
    if (s) {
      for (int i = 0; i < q; i++) dm_image_free(out[i]);
      return s;
    }
  }
  box_job j = {src, out, k, w};
  dm_box_stream b = {w, h, k, radius < 0 ? 0 : radius, box_in, box_out, &j};
  dm_status s = dm_box_means(ctx, &b);
  if (s)
    for (int q = 0; q < k; q++) dm_image_free(out[q]);
  return s;
}

dm_status dm_fuse_fill(dm_context *ctx, const dm_image *v, const dm_image *w, int radius,
                       float min_weight, float fallback, dm_image *out) {
  int W = v->width, H = v->height;
  dm_image wv = {0}, mw = {0}, mwv = {0};
  dm_status s = dm_image_alloc(ctx, &wv, W, H, 1);
  if (s) return s;
  double sw = 0, swv = 0;
  for (int y = 0; y < H; y++) {
    const float *a = dm_row(v, y), *b = dm_row(w, y);
    float *o = dm_row(&wv, y);
    for (int x = 0; x < W; x++) {
      o[x] = a[x] * b[x];
      sw += b[x];
      swv += o[x];
    }
  }
  float global = sw > 0 ? (float)(swv / sw) : fallback;
  const dm_image *src[2] = {w, &wv};
  dm_image *dst[2] = {&mw, &mwv};
  s = dm_fuse_box_means(ctx, src, 2, radius, dst);
  dm_image_free(&wv);
  if (s) return s;
  s = dm_image_alloc(ctx, out, W, H, 1);
  if (!s) {
    for (int y = 0; y < H; y++) {
      const float *a = dm_row(&mw, y), *b = dm_row(&mwv, y);
      float *o = dm_row(out, y);
      for (int x = 0; x < W; x++) {
        /* Blend towards the global mean where the window holds little weight. */
        float t = a[x] >= min_weight ? 1.0f : a[x] / min_weight;
        float local = a[x] > 1e-12f ? b[x] / a[x] : global;
        o[x] = t * local + (1.0f - t) * global;
      }
    }
  }
  dm_image_free(&mw);
  dm_image_free(&mwv);
  return s;
}

#define QBINS 4096

float dm_fuse_quantile(const dm_image *v, const dm_image *mask, float lo, float hi, float q,
                       float none) {
  if (!(hi > lo)) return lo;
  double *hist = calloc(QBINS, sizeof *hist);
  if (!hist) return none;
  double n = 0;
  for (int y = 0; y < v->height; y++) {
    const float *a = dm_row(v, y), *m = mask ? dm_row(mask, y) : NULL;
    for (int x = 0; x < v->width; x++) {
      if (m && !(m[x] > 0.5f)) continue;
      float t = (a[x] - lo) / (hi - lo);
      int b = t <= 0 ? 0 : t >= 1 ? QBINS - 1 : (int)(t * QBINS);
      hist[b] += 1;
      n += 1;
    }
  }
  float r = none;
  if (n > 0) {
    double target = q * n, acc = 0;
    int b = 0;
    for (; b < QBINS - 1; b++) {
      if (acc + hist[b] >= target) break;
      acc += hist[b];
    }
    r = lo + (hi - lo) * ((float)b + 0.5f) / QBINS;
  }
  free(hist);
  return r;
}

#define OBINS 256

float dm_fuse_otsu(const dm_image *v, const dm_image *mask, int *ok) {
  float lo = INFINITY, hi = -INFINITY;
  for (int y = 0; y < v->height; y++) {
    const float *a = dm_row(v, y), *m = mask ? dm_row(mask, y) : NULL;
    for (int x = 0; x < v->width; x++)
      if (!m || m[x] > 0.5f) {
        if (a[x] < lo) lo = a[x];
        if (a[x] > hi) hi = a[x];
      }
  }
  *ok = 0;
  if (!(hi > lo)) return lo;
  double hist[OBINS];
  memset(hist, 0, sizeof hist);
  double n = 0, sum = 0;
  for (int y = 0; y < v->height; y++) {
    const float *a = dm_row(v, y), *m = mask ? dm_row(mask, y) : NULL;
    for (int x = 0; x < v->width; x++)
      if (!m || m[x] > 0.5f) {
        int b = (int)((a[x] - lo) / (hi - lo) * OBINS);
        if (b >= OBINS) b = OBINS - 1;
        hist[b] += 1;
        n += 1;
        sum += b;
      }
  }
  double w0 = 0, s0 = 0, best = -1;
  int tb = 0;
  for (int b = 0; b < OBINS - 1; b++) {
    w0 += hist[b];
    s0 += b * hist[b];
    double w1 = n - w0;
    if (w0 <= 0 || w1 <= 0) continue;
    double m0 = s0 / w0, m1 = (sum - s0) / w1;
    double between = w0 * w1 * (m0 - m1) * (m0 - m1);
    if (between > best) best = between, tb = b;
  }
  *ok = best > 0;
  return lo + (hi - lo) * (float)(tb + 1) / OBINS;
}

dm_status dm_fuse_relabel_parts(dm_context *ctx, dm_image *label, const dm_image *core, float which,
                                int (*flip)(void *user, const int *px, int n), void *user) {
  int w = label->width, h = label->height;
  size_t n = (size_t)w * h;
  unsigned char *seen = calloc(n, 1);
  int *stack = malloc(n * sizeof *stack), *comp = malloc(n * sizeof *comp);
  if (!seen || !stack || !comp) {
    free(seen), free(stack), free(comp);
    return dm_fail(ctx, DM_ERR_NOMEM, "fusion", "out of memory");
  }
#define IN_SET(i) ((!core || dm_row(core, (i) / w)[(i) % w] > 0.5f) && dm_row(label, (i) / w)[(i) % w] == which)
  for (size_t i0 = 0; i0 < n; i0++) {
    if (seen[i0] || !IN_SET((int)i0)) continue;
    int sp = 0, nc = 0;
    stack[sp++] = (int)i0;
    seen[i0] = 1;
    while (sp) {
      int i = stack[--sp], x = i % w, y = i / w;
      comp[nc++] = i;
      int nb[4] = {x > 0 ? i - 1 : -1, x < w - 1 ? i + 1 : -1, y > 0 ? i - w : -1, y < h - 1 ? i + w : -1};
      for (int k = 0; k < 4; k++)
        if (nb[k] >= 0 && !seen[nb[k]] && IN_SET(nb[k])) seen[nb[k]] = 1, stack[sp++] = nb[k];
    }
    if (flip(user, comp, nc))
      for (int k = 0; k < nc; k++) {
        dm_row(label, comp[k] / w)[comp[k] % w] = 1.0f - which;
        seen[comp[k]] = 1;
      }
  }
#undef IN_SET
  free(seen), free(stack), free(comp);
  return DM_OK;
}

static int smaller_than(void *user, const int *px, int n) {
  (void)px;
  return n < *(const double *)user;
}

dm_status dm_fuse_flip_small(dm_context *ctx, dm_image *label, const dm_image *core, float which,
                             double min_px) {
  return dm_fuse_relabel_parts(ctx, label, core, which, smaller_than, &min_px);
}

dm_status dm_fuse_drop_small_parts(dm_context *ctx, dm_image *label, const dm_image *core,
                                   double min_px) {
  dm_status s = dm_fuse_flip_small(ctx, label, core, 1.0f, min_px);
  if (!s) s = dm_fuse_flip_small(ctx, label, core, 0.0f, min_px);
  return s;
}

dm_status dm_fuse_core(dm_context *ctx, const dm_image *matte, dm_image *core) {
  dm_status s = dm_image_alloc(ctx, core, matte->width, matte->height, 1);
  if (s) return s;
  for (int y = 0; y < matte->height; y++) {
    const float *a = dm_row(matte, y);
    float *o = dm_row(core, y);
    for (int x = 0; x < matte->width; x++) o[x] = a[x] >= 0.5f ? 1.0f : 0.0f;
  }
  return DM_OK;
}
