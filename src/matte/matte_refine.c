/* Bringing a network matte to full resolution, refined against the photo.
 *
 * 1. The low-resolution matte is upsampled with the fast guided filter
 *    (3-channel guide), so its edges land on the photo's edges rather than
 *    on a bilinear ramp.
 * 2. The uncertain band is where the low matte is neither ~0 nor ~1, grown
 *    by a couple of low-resolution pixels (the edge may sit anywhere inside
 *    a low pixel). It is brought to full size bilinearly as a weight, so
 *    the refined band blends into the untouched confident areas.
 * 3. In the band alpha is re-estimated from colour by a guided filter with
 *    a small window and a small eps, the local colour-line model of
 *    closed-form matting (alpha locally affine in RGB) fitted to the
 *    upsampled matte, so alpha follows colour edges the low matte blurred.
 * Measured on the dof-eval scenes (tests/matte/test_matte_refine*.c): a
 * smaller error than bilinear growth in the band around the true edge when
 * the low matte is ISNet's; with an already smooth low matte the colour fit
 * imprints some texture and bilinear can be better. */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/guided.h"
#include "core/pool.h"
#include "core/resample.h"
#include "matte/matte.h"

/* Low values within this of 0 or 1 count as confident. */
#define CONFIDENT 0.02f
/* The uncertain band grows by this many low-resolution pixels. */
#define GROW 2
/* Regularisers (sRGB units squared): the upsampling fit keeps edges of
 * contrast above ~0.01; the band refit, smaller still, lets alpha follow
 * colour closely (the colour-line model). */
#define EPS_UPSAMPLE 1e-4f
#define EPS_BAND 1e-5f

/* 1 where the low matte is uncertain within `grow` low pixels, else 0:
 * uncertain pixels, then a separable max (dilation). */
static dm_status uncertain_band(dm_context *ctx, const dm_image *low, int grow, dm_image *band) {
  const int w = low->width, h = low->height;
  dm_image tmp = {0};
  dm_status s = dm_image_alloc(ctx, band, w, h, 1);
  if (!s) s = dm_image_alloc(ctx, &tmp, w, h, 1);
  if (s) {
    dm_image_free(band);
    return s;
  }
  for (int y = 0; y < h; y++) {
    const float *l = dm_row(low, y);
    float *t = dm_row(&tmp, y);
    for (int x = 0; x < w; x++) t[x] = l[x] > CONFIDENT && l[x] < 1.0f - CONFIDENT ? 1.0f : 0.0f;
  }
  for (int y = 0; y < h; y++) { /* along x: tmp -> band */
    const float *t = dm_row(&tmp, y);
    float *b = dm_row(band, y);
    for (int x = 0; x < w; x++) {
      float m = 0;
      for (int k = x - grow < 0 ? 0 : x - grow; k <= x + grow && k < w; k++) m = t[k] > m ? t[k] : m;
      b[x] = m;
    }
  }
  for (int y = 0; y < h; y++) { /* along y: band -> tmp, then copied back */
    float *t = dm_row(&tmp, y);
    for (int x = 0; x < w; x++) t[x] = 0;
    for (int k = y - grow < 0 ? 0 : y - grow; k <= y + grow && k < h; k++) {
      const float *b = dm_row(band, k);
      for (int x = 0; x < w; x++) t[x] = b[x] > t[x] ? b[x] : t[x];
    }
  }
  for (int y = 0; y < h; y++) memcpy(dm_row(band, y), dm_row(&tmp, y), (size_t)w * sizeof(float));
  dm_image_free(&tmp);
  return DM_OK;
}

typedef struct {
  const dm_image *up, *refined, *weight;
  dm_image *out;
} blend_job;

static float clamp01(float v) { return v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f; /* NaN -> 0 */ }

static void blend_rows(void *user, int ith, int nth) {
  blend_job *j = user;
  int y0, y1;
  dm_split_rows(j->out->height, ith, nth, &y0, &y1);
  for (int y = y0; y < y1; y++) {
    const float *u = dm_row(j->up, y), *r = dm_row(j->refined, y), *w = dm_row(j->weight, y);
    float *o = dm_row(j->out, y);
    for (int x = 0; x < j->out->width; x++)
      /* Outside the band the low matte was within CONFIDENT of 0 or 1 all
       * around: it stays exactly 0 or 1. */
      o[x] = w[x] > 0 ? clamp01(u[x] + w[x] * (clamp01(r[x]) - u[x])) : (u[x] >= 0.5f ? 1.0f : 0.0f);
  }
}

/* The band refit (a guided filter of the upsampled matte) is read only
 * where the band's weight is above 0, a thin line around the subject's
 * outline: it is worked out on the tiles of TILE x TILE pixels the band
 * touches, each with a margin of twice the radius (a guided filter's output
 * reads its input that far), so what a tile keeps is the whole-image filter
 * (up to the rounding of the running sums). At 24 MP this is a few percent
 * of the photo instead of all of it. */
#define TILE 256

typedef struct refit_job {
  dm_context *ctx;
  const dm_image *guide, *up, *weight;
  dm_image *refined;
  int radius, tiles_x;
  atomic_int failed; /* the first failing tile's status; its message in ctx */
} refit_job;

/* Tile t: its refit when the band touches it. Each tile runs on one thread
 * with its own single-thread context: a tile's filter computes the same
 * blocks of rows whatever the thread count, so the tiles run side by side
 * (a 256-px tile's own rows barely split over two threads). */
static void refit_tiles(void *user, size_t t0, size_t t1) {
  refit_job *j = user;
  const int w = j->guide->width, h = j->guide->height, margin = 2 * j->radius;
  dm_context one = {.n_threads = 1, .max_memory = j->ctx->max_memory, .cancel_also = &j->ctx->cancel};
  for (size_t t = t0; t < t1 && !atomic_load(&j->failed); t++) {
    const int tx = (int)(t % (size_t)j->tiles_x) * TILE, ty = (int)(t / (size_t)j->tiles_x) * TILE;
    const int tw = tx + TILE < w ? TILE : w - tx, th = ty + TILE < h ? TILE : h - ty;
    int any = 0;
    for (int y = ty; y < ty + th && !any; y++) {
      const float *wr = dm_row(j->weight, y) + tx;
      for (int x = 0; x < tw; x++) any |= wr[x] > 0;
    }
    if (!any) continue;
    const int x0 = tx - margin > 0 ? tx - margin : 0, y0 = ty - margin > 0 ? ty - margin : 0;
    const int x1 = tx + tw + margin < w ? tx + tw + margin : w, y1 = ty + th + margin < h ? ty + th + margin : h;
    const dm_image g = dm_image_view(j->guide, x0, y0, x1 - x0, y1 - y0);
    const dm_image u = dm_image_view(j->up, x0, y0, x1 - x0, y1 - y0);
    dm_image part = {0};
    dm_status s = dm_guided_filter(&one, &g, &u, j->radius, EPS_BAND, &part);
    for (int y = 0; !s && y < th; y++)
      memcpy(dm_row(j->refined, ty + y) + tx, dm_row(&part, ty + y - y0) + (tx - x0), (size_t)tw * sizeof(float));
    dm_image_free(&part);
    int none = 0;
    if (s && atomic_compare_exchange_strong(&j->failed, &none, (int)s))
      dm_fail(j->ctx, s, NULL, "%s", dm_context_error(&one));
  }
}

static dm_status refit_band(dm_context *ctx, const dm_image *guide, const dm_image *up, const dm_image *weight,
                            int radius, dm_image *refined) {
  const int tiles_x = (guide->width + TILE - 1) / TILE, tiles_y = (guide->height + TILE - 1) / TILE;
  refit_job j = {.ctx = ctx, .guide = guide, .up = up, .weight = weight, .refined = refined, .radius = radius,
                 .tiles_x = tiles_x};
  atomic_init(&j.failed, 0);
  dm_parallel_runs(ctx, (size_t)tiles_x * tiles_y, 16, refit_tiles, &j);
  return (dm_status)atomic_load(&j.failed);
}

dm_status dm_matte_refine(dm_context *ctx, const dm_image *guide, const dm_image *low, dm_image *out) {
  if (guide->channels != 3 || low->channels != 1)
    return dm_fail(ctx, DM_ERR_PARAM, "matte refine",
                   "needs an RGB guide and a 1-channel matte, got %d and %d", guide->channels, low->channels);
  if (low->width > guide->width || low->height > guide->height || low->width < 1 || low->height < 1)
    return dm_fail(ctx, DM_ERR_PARAM, "matte refine", "matte %dx%d is not smaller than the photo %dx%d",
                   low->width, low->height, guide->width, guide->height);
  /* Window radii in full-resolution pixels: two low-resolution pixels for
   * the upsampling fit and for the band refit (tuned on the dof-eval scenes,
   * see tests/matte/test_matte_refine.c). */
  const double scale = 0.5 * ((double)guide->width / low->width + (double)guide->height / low->height);
  const int r_up = (int)lround(2 * scale), r_band = (int)lround(2 * scale);
  dm_image up = {0}, refined = {0}, band_low = {0}, weight = {0};
  dm_status s = dm_guided_upsample(ctx, guide, low, r_up, EPS_UPSAMPLE, &up);
  if (!s)
    for (int y = 0; y < up.height; y++) {
      float *u = dm_row(&up, y);
      for (int x = 0; x < up.width; x++) u[x] = clamp01(u[x]);
    }
  if (!s) s = uncertain_band(ctx, low, GROW, &band_low);
  if (!s) s = dm_image_alloc(ctx, &weight, guide->width, guide->height, 1);
  if (!s) s = dm_resize_plane(ctx, &band_low, &weight, 1, "matte refine");
  if (!s) s = dm_image_alloc(ctx, &refined, guide->width, guide->height, 1);
  if (!s) s = refit_band(ctx, guide, &up, &weight, r_band, &refined);
  if (!s) s = dm_image_alloc(ctx, out, guide->width, guide->height, 1);
  if (!s) {
    blend_job j = {.up = &up, .refined = &refined, .weight = &weight, .out = out};
    dm_parallel(ctx, blend_rows, &j);
  }
  dm_image_free(&up);
  dm_image_free(&refined);
  dm_image_free(&band_low);
  dm_image_free(&weight);
  return s;
}
