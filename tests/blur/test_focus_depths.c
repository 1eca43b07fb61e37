/* Auto focus's depth quantiles (blur/coc.c, weighted_quantiles) against a
 * plain reference: a 4096-bin histogram of near01 weighted by the matte's
 * alpha (or the central third without one), each bin and the total summed
 * in double, pixel by pixel in row order. The fields have long runs of one
 * bin (a smooth depth), bins changing every pixel (noise), NaN and
 * out-of-range depths, a matte with empty areas, soft values and NaN, and
 * a last run that decides the 80th percentile (a bin left unsaved at the
 * end would move it). Results must be equal to the bit. */
#include <math.h>
#include <string.h>

#include "blur/blur.h"
#include "dm_test.h"

enum { BINS = 4096 };

static uint64_t rng = 0x2545f4914f6cdd1dull;
static float frand(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (float)((rng >> 11) * (1.0 / 9007199254740992.0));
}

static void reference(const dm_image *d, const dm_image *m, const float *q, int nq, float *out) {
  static double hist[BINS];
  memset(hist, 0, sizeof hist);
  int w = d->width, h = d->height, x0 = 0, x1 = w, y0 = 0, y1 = h;
  if (!m) x0 = w / 3, x1 = w - w / 3, y0 = h / 3, y1 = h - h / 3;
  double total = 0.0;
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++) {
      float n = dm_row(d, y)[x];
      double wt = m ? (double)dm_row(m, y)[x] : 1.0;
      if (!isfinite(n) || !(wt > 0.0)) continue;
      n = n < 0.0f ? 0.0f : (n > 1.0f ? 1.0f : n);
      hist[(int)(n * (BINS - 1) + 0.5f)] += wt;
      total += wt;
    }
  for (int i = 0; i < nq; i++) {
    double target = q[i] * total, acc = 0.0;
    int b = 0;
    for (; b < BINS - 1; b++) {
      acc += hist[b];
      if (acc >= target) break;
    }
    out[i] = total > 0.0 ? (float)b / (BINS - 1) : 0.5f;
  }
}

static void check_field(dm_context *ctx, int w, int h, int with_matte) {
  dm_image d, m;
  CHECK_OK(ctx, dm_image_alloc(ctx, &d, w, h, 1));
  CHECK_OK(ctx, dm_image_alloc(ctx, &m, w, h, 1));
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      float *dv = dm_px(&d, x, y), *mv = dm_px(&m, x, y);
      if (y < h / 3) *dv = 0.2f + 0.3f * (float)x / w;          /* smooth: runs of a bin */
      else if (y < 2 * h / 3) *dv = frand() * 1.2f - 0.1f;      /* noise, out of range too */
      else *dv = 0.83f;                                          /* the last run */
      if ((x * 7 + y * 3) % 97 == 0) *dv = NAN;
      float r = hypotf(x - 0.5f * w, y - 0.55f * h) / (0.3f * w);
      *mv = r < 0.8f ? 1.0f : r > 1.2f ? 0.0f : (1.2f - r) / 0.4f * (0.9f + 0.1f * frand());
      if (y >= 2 * h / 3 && x % 5) *mv = 1.0f / 3.0f + frand() * 1e-3f; /* many mantissa bits */
      if ((x * 5 + y * 11) % 211 == 0) *mv = NAN;
    }
  const dm_image *mp = with_matte ? &m : NULL;
  static const float qs[3] = {0.2f, 0.5f, 0.8f};
  float got[3], want[3];
  dm_lens_blur_focus_depths(&d, mp, got);
  reference(&d, mp, qs, 3, want);
  for (int i = 0; i < 3; i++) {
    if (memcmp(&got[i], &want[i], sizeof got[i]))
      fprintf(stderr, "%dx%d matte %d: q%.1f = %.9g, reference %.9g\n", w, h, with_matte, (double)qs[i],
              (double)got[i], (double)want[i]);
    CHECK(!memcmp(&got[i], &want[i], sizeof got[i]));
  }
  float half = 0.5f, med;
  reference(&d, mp, &half, 1, &med);
  float a = dm_lens_blur_auto_focus(&d, mp);
  CHECK(!memcmp(&a, &med, sizeof a));
  if (with_matte) CHECK(want[2] > 0.82f && want[2] < 0.84f); /* the last run decides it */
  dm_image_free(&d);
  dm_image_free(&m);
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  check_field(ctx, 257, 190, 1);
  check_field(ctx, 257, 190, 0);
  check_field(ctx, 31, 9, 1);
  dm_context_free(ctx);
  return dm_test_done("blur/test_focus_depths");
}
