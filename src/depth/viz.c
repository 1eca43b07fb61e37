/* The depth heat map ("Visualize Depth").
 *
 * The ramp is matplotlib's 'plasma' colormap (Stéfan van der Walt and
 * Nathaniel J. Smith, released CC0), reversed so that near is yellow and far
 * is deep blue-purple, as in Lightroom. Its control points are every 16th
 * of the 256 entries (indices round(k * 255 / 16), k = 0..16) of
 * `_plasma_data` in matplotlib/_cm_listed.py as shipped by Debian 12's
 * python3-matplotlib 3.6.3, rounded to 4 decimals; between them we
 * interpolate linearly in sRGB, as matplotlib does between its entries.
 * plasma was designed in CAM02-UCS with lightness rising monotonically, so
 * the map reads as "brighter = nearer" in grey too. */
#include <math.h>

#include "core/pool.h"
#include "depth/depth.h"

#define N_STOPS 17

/* plasma(k / 16), sRGB-encoded: index 0 = far (deep blue), 16 = near (yellow). */
static const float k_plasma[N_STOPS][3] = {
    {0.0504f, 0.0298f, 0.5280f}, {0.1934f, 0.0184f, 0.5903f}, {0.2999f, 0.0096f, 0.6316f},
    {0.3994f, 0.0009f, 0.6561f}, {0.4949f, 0.0120f, 0.6579f}, {0.5844f, 0.0686f, 0.6328f},
    {0.6651f, 0.1386f, 0.5856f}, {0.7360f, 0.2094f, 0.5279f}, {0.7982f, 0.2802f, 0.4695f},
    {0.8501f, 0.3470f, 0.4172f}, {0.8990f, 0.4204f, 0.3630f}, {0.9403f, 0.4976f, 0.3092f},
    {0.9718f, 0.5804f, 0.2549f}, {0.9907f, 0.6696f, 0.2016f}, {0.9935f, 0.7655f, 0.1569f},
    {0.9763f, 0.8680f, 0.1434f}, {0.9400f, 0.9752f, 0.1313f},
};

static inline void heat_colour(float near01, float *rgb) {
  if (isnan(near01)) { /* no depth here */
    rgb[0] = rgb[1] = rgb[2] = 0.0f;
    return;
  }
  float t = 1.0f - near01; /* plasma position: 1 = near */
  t = t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
  float f = t * (N_STOPS - 1);
  int i = (int)f;
  if (i > N_STOPS - 2) i = N_STOPS - 2;
  float w = f - (float)i;
  for (int c = 0; c < 3; c++) rgb[c] = k_plasma[i][c] + w * (k_plasma[i + 1][c] - k_plasma[i][c]);
}

typedef struct heat_job {
  const dm_image *in;
  dm_image *out;
} heat_job;

static void heat_rows(void *user, int ith, int nth) {
  heat_job *j = user;
  int y0, y1;
  dm_split_rows(j->in->height, ith, nth, &y0, &y1);
  for (int y = y0; y < y1; y++) {
    const float *src = dm_row(j->in, y);
    float *dst = dm_row(j->out, y);
    for (int x = 0; x < j->in->width; x++) heat_colour(src[x], dst + 3 * x);
  }
}

dm_status dm_depth_heatmap(dm_context *ctx, const dm_image *near01, dm_image *rgb_out) {
  if (!near01->data || near01->channels != 1)
    return dm_fail(ctx, DM_ERR_PARAM, "depth", "the heat map needs a 1-channel depth plane, not %d channels",
                   near01->channels);
  dm_status s = dm_image_alloc(ctx, rgb_out, near01->width, near01->height, 3);
  if (s) return s;
  heat_job j = {near01, rgb_out};
  dm_parallel(ctx, heat_rows, &j);
  return DM_OK;
}
