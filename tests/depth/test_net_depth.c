/* Monocular depth through dm_depth_network (FastDepth here; DA-V2-S when the
 * user installed it) on the dof-eval scenes (real photos composited at
 * known depths): size and range of near01, determinism, whether the
 * subject is ranked nearer than the rest, the share of pixel pairs put in
 * the true depth order, a non-square photo, and the error when no model is
 * installed. FastDepth is weak (DESIGN section 3): only what it gets right
 * on these scenes is asserted, with the measured values beside. */
#include <string.h>

#include "depth/depth.h"
#include "nn/model_store.h"
#include "../matte/scene_util.h"

/* Fraction of random pixel pairs whose true depths differ by more than 10 %
 * that near01 orders the same way (a fixed LCG: the same pairs every run). */
static double pair_order(const dm_image *near01, const dm_image *depth16) {
  unsigned long long st = 12345;
  long long good = 0, n = 0;
  const long long npx = (long long)near01->width * near01->height;
  for (int k = 0; k < 200000; k++) {
    st = st * 6364136223846793005ULL + 1442695040888963407ULL;
    long long a = (long long)((st >> 33) % (unsigned long long)npx);
    st = st * 6364136223846793005ULL + 1442695040888963407ULL;
    long long b = (long long)((st >> 33) % (unsigned long long)npx);
    const int w = near01->width;
    double za = dm_row(depth16, (int)(a / w))[a % w], zb = dm_row(depth16, (int)(b / w))[b % w];
    double na = dm_row(near01, (int)(a / w))[a % w], nb = dm_row(near01, (int)(b / w))[b % w];
    if (fabs(za - zb) < 0.1 * fmax(za, zb) || na == nb) continue;
    n++;
    good += (za < zb) == (na < nb);
  }
  return n ? (double)good / (double)n : 0;
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  for (int i = 0; i < DM_N_SCENES; i++) {
    dm_image photo = {0}, truth = {0}, z = {0}, d = {0}, d2 = {0};
    if (!load_rgb(ctx, scene_path(dm_scenes[i], "aif.png"), &photo)) continue;
    if (!load_grey(ctx, scene_path(dm_scenes[i], "mask_gt.png"), &truth)) continue;
    if (!load_grey(ctx, scene_path(dm_scenes[i], "depth16.png"), &z)) continue;
    const dm_model_entry *used = NULL;
    CHECK_OK(ctx, dm_depth_network(ctx, &photo, &d, &used));
    CHECK(used && used->role == DM_MODEL_DEPTH);
    CHECK(d.width == photo.width && d.height == photo.height && d.channels == 1);
    double lo = 1, hi = 0, s_cat = 0, s_rest = 0;
    long long n_cat = 0, n_rest = 0;
    for (int y = 0; y < d.height; y++)
      for (int x = 0; x < d.width; x++) {
        double v = dm_row(&d, y)[x];
        if (!(v >= lo)) lo = v;
        if (!(v <= hi)) hi = v;
        if (dm_row(&truth, y)[x] >= 0.5f) s_cat += v, n_cat++;
        else s_rest += v, n_rest++;
      }
    const double cat = s_cat / (double)n_cat, rest = s_rest / (double)n_rest;
    const double order = pair_order(&d, &z);
    printf("%s (%s): near01 in [%.3f, %.3f]; mean near01 cat %.3f, rest %.3f; pairs in true order %.3f\n",
           dm_scenes[i], used ? used->id : "?", lo, hi, cat, rest, order);
    /* Percentile normalisation: the 1 % nearest and farthest pixels clip. */
    CHECK(lo == 0 && hi == 1);
    /* Measured with FastDepth: dev1 cat 0.595 vs rest 0.540 (wrong way: the
     * close-up cat fills the frame), order 0.470; dev2 0.422 vs 0.639,
     * order 0.892; dev3 0.287 vs 0.304, order 0.814. A flipped sign would
     * put dev2 at 0.11. */
    if (used && !strcmp(used->id, "fastdepth")) {
      if (i == 1) CHECK(cat < rest - 0.1 && order > 0.85);
      if (i == 2) CHECK(cat < rest && order > 0.75);
    }
    if (i == 0) {
      CHECK_OK(ctx, dm_depth_network(ctx, &photo, &d2, NULL));
      double mean_abs, max_abs;
      dm_test_image_diff(&d, &d2, &mean_abs, &max_abs);
      CHECK(max_abs == 0);
      check_missing_models(ctx, &photo, dm_depth_network, "depth");
    }
    dm_image_free(&photo);
    dm_image_free(&truth);
    dm_image_free(&z);
    dm_image_free(&d);
    dm_image_free(&d2);
  }
  /* A photo that is neither square nor the scenes' size comes back at its size. */
  dm_image astro = {0}, d = {0};
  if (load_rgb(ctx, dm_test_photo("astronaut"), &astro)) {
    dm_image crop = dm_image_view(&astro, 10, 0, 301, 457);
    CHECK_OK(ctx, dm_depth_network(ctx, &crop, &d, NULL));
    CHECK(d.width == 301 && d.height == 457);
  }
  dm_image_free(&astro);
  dm_image_free(&d);
  dm_context_free(ctx);
  return dm_test_done("depth/net_depth");
}
