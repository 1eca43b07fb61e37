/* The default look of a camera raw (look.h). */
#include <math.h>

#include "color/look.h"
#include "core/pool.h"

#define EXPOSURE_EV 0.7f
#define CONTRAST 1.5f
#define GREY 0.1845f
#define WHITE 1.0f
#define BLACK 0.000152f /* 0.0152 % */
#define HUE_PRESERVATION 1.0f

/* k of (x^c / (x^c + k)) such that the whole curve maps GREY to GREY. */
static float curve_k(void) {
  float t = (GREY - BLACK) / (WHITE - BLACK); /* what the bracket must give at grey */
  float gc = powf(GREY, CONTRAST);
  return gc * (1.0f / t - 1.0f);
}

/* gain: 2^(EXPOSURE_EV + the photo's own EV). */
static float curve(float x, float k, float gain) {
  if (!(x > 0.0f)) return BLACK;
  float xc = powf(x * gain, CONTRAST);
  if (!isfinite(xc)) return WHITE;
  return BLACK + (WHITE - BLACK) * (xc / (xc + k));
}

/* One pixel: each channel through the curve, then the middle channel put
 * back between the other two where the input had it. */
static void look_pixel(float *p, float k, float gain) {
  float in[3], out[3];
  for (int c = 0; c < 3; c++) {
    in[c] = p[c] > 0.0f ? p[c] : 0.0f;
    out[c] = curve(in[c], k, gain);
  }
  int hi = 0, lo = 0;
  for (int c = 1; c < 3; c++) {
    if (in[c] > in[hi]) hi = c;
    if (in[c] < in[lo]) lo = c;
  }
  if (hi != lo) {
    int mid = 3 - hi - lo;
    float span = in[hi] - in[lo];
    float ratio = span > 0.0f ? (in[mid] - in[lo]) / span : 0.0f;
    float kept = out[lo] + (out[hi] - out[lo]) * ratio;
    out[mid] += HUE_PRESERVATION * (kept - out[mid]);
  }
  for (int c = 0; c < 3; c++) p[c] = out[c];
}

typedef struct look_job {
  dm_image *img;
  float k, gain;
} look_job;

static void look_rows(void *user, int ith, int nth) {
  look_job *j = user;
  int y0, y1;
  dm_split_rows(j->img->height, ith, nth, &y0, &y1);
  for (int y = y0; y < y1; y++) {
    float *row = dm_row(j->img, y);
    for (int x = 0; x < j->img->width; x++) look_pixel(row + 3 * x, j->k, j->gain);
  }
}

dm_status dm_look_apply(dm_context *ctx, dm_image *img, dm_look look, float extra_ev) {
  if (look == DM_LOOK_NONE) return DM_OK;
  if (img->channels != 3)
    return dm_fail(ctx, DM_ERR_INTERNAL, NULL, "the raw look takes 3 channels, not %d", img->channels);
  look_job j = {img, curve_k(), exp2f(EXPOSURE_EV + extra_ev)};
  dm_parallel(ctx, look_rows, &j);
  return DM_OK;
}
