/* The spatial adjustments on real photographs (tests/FIXTURES.md):
 *  - no halos: a step edge built from a dark and a bright region of
 *    coffee.png, with highlights -100, shadows +100 and clarity +100, must
 *    overshoot at least 3x less than a Gaussian unsharp mask of the same
 *    radius;
 *  - proxy consistency: clarity on astronaut.png at full and half size
 *    agree once the full result is scaled down;
 *  - highlights / shadows work on their own end of the range;
 *  - texture spares flat areas; dehaze moves the dark channel. */
#include <stdlib.h>

#include "adjust_util.h"
#include "io/io.h"

static dm_context *ctx;

static dm_image load_photo(const char *name) {
  dm_decoded dec;
  memset(&dec, 0, sizeof dec);
  dm_image img;
  memset(&img, 0, sizeof img);
  dm_status s = dm_io_read(ctx, dm_test_photo(name), &dec);
  if (s == DM_OK) s = dm_color_to_working(ctx, &dec, name, &img);
  dm_decoded_free(&dec);
  if (s != DM_OK) {
    fprintf(stderr, "cannot load %s: %s\n", name, dm_context_error(ctx));
    exit(1);
  }
  return img;
}

/* Log-luminance plane of an image. */
static float *lum_plane(const dm_image *img) {
  float *l = malloc((size_t)img->width * img->height * sizeof *l);
  for (int y = 0; y < img->height; y++)
    for (int x = 0; x < img->width; x++) l[(size_t)y * img->width + x] = lum_stops(dm_px(img, x, y));
  return l;
}

/* Mean log-luminance of a b x b block. */
static double block_mean(const dm_image *img, int x0, int y0, int b) {
  double s = 0;
  for (int y = y0; y < y0 + b; y++)
    for (int x = x0; x < x0 + b; x++) s += lum_stops(dm_px(img, x, y));
  return s / (b * b);
}

/* Fill [x0, x0+w) x [0, h) of `dst` with copies of the b x b block of
 * `src` at (bx, by), mirrored at the block's borders, each row of blocks
 * shifted by a different offset so that column averages mix the block's
 * columns. */
static void tile_block(dm_image *dst, int x0, int w, const dm_image *src, int bx, int by, int b) {
  for (int y = 0; y < dst->height; y++) {
    int ty = y % (2 * b);
    int sy = ty < b ? ty : 2 * b - 1 - ty;
    int shift = (y / b) * 37;
    for (int x = x0; x < x0 + w; x++) {
      int tx = (x + shift) % (2 * b);
      int sx = tx < b ? tx : 2 * b - 1 - tx;
      memcpy(dm_px(dst, x, y), dm_px(src, bx + sx, by + sy), 3 * sizeof(float));
    }
  }
}

/* Column profile of the change in stops. */
static void change_profile(const dm_image *in, const dm_image *out, double *prof) {
  for (int x = 0; x < in->width; x++) {
    double s = 0;
    for (int y = 0; y < in->height; y++) s += lum_stops(dm_px(out, x, y)) - lum_stops(dm_px(in, x, y));
    prof[x] = s / in->height;
  }
}

/* Largest departure of the profile from each side's far plateau, within
 * `band` columns of the edge at `edge`. */
static double halo(const double *prof, int edge, int band, double *plateau_l, double *plateau_r) {
  double pl = 0, pr = 0;
  for (int k = 2 * band; k < 3 * band; k++) {
    pl += prof[edge - 1 - k];
    pr += prof[edge + k];
  }
  pl /= band;
  pr /= band;
  double worst = 0;
  for (int k = 0; k < band; k++) {
    worst = fmax(worst, fabs(prof[edge - 1 - k] - pl));
    worst = fmax(worst, fabs(prof[edge + k] - pr));
  }
  if (plateau_l) *plateau_l = pl;
  if (plateau_r) *plateau_r = pr;
  return worst;
}

/* Reference: unsharp mask on log-luminance, Gaussian sigma, gain k. */
static dm_image unsharp(const dm_image *in, float sigma, float k) {
  int w = in->width, h = in->height, r = (int)ceilf(3 * sigma);
  float *l = lum_plane(in), *t = malloc((size_t)w * h * sizeof *t), *b = malloc((size_t)w * h * sizeof *b);
  float *g = malloc((size_t)(2 * r + 1) * sizeof *g);
  for (int i = -r; i <= r; i++) g[i + r] = expf(-0.5f * (float)(i * i) / (sigma * sigma));
  for (int pass = 0; pass < 2; pass++) {
    const float *src = pass ? t : l;
    float *dst = pass ? b : t;
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        double s = 0, ws = 0;
        for (int i = -r; i <= r; i++) {
          int xx = pass ? x : x + i, yy = pass ? y + i : y;
          if (xx < 0 || xx >= w || yy < 0 || yy >= h) continue;
          s += g[i + r] * src[(size_t)yy * w + xx];
          ws += g[i + r];
        }
        dst[(size_t)y * w + x] = (float)(s / ws);
      }
  }
  dm_image out = copy_image(ctx, in);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      size_t i = (size_t)y * w + x;
      float gain = exp2f(k * (l[i] - b[i]));
      for (int c = 0; c < 3; c++) dm_px(&out, x, y)[c] *= gain;
    }
  free(l);
  free(t);
  free(b);
  free(g);
  return out;
}

static void test_no_halos(void) {
  dm_image photo = load_photo("coffee");
  /* The darkest and the brightest 48 x 48 blocks of the photo. */
  const int B = 48;
  int dx = 0, dy = 0, bx = 0, by = 0;
  double dmin = 1e9, bmax = -1e9;
  for (int y = 0; y + B <= photo.height; y += B / 2)
    for (int x = 0; x + B <= photo.width; x += B / 2) {
      double m = block_mean(&photo, x, y, B);
      if (m < dmin) dmin = m, dx = x, dy = y;
      if (m > bmax) bmax = m, bx = x, by = y;
    }
  printf("coffee: darkest block %.2f stops at (%d,%d), brightest %.2f at (%d,%d)\n", dmin, dx, dy,
         bmax, bx, by);
  CHECK(bmax - dmin > 2.5); /* a strong edge, as the test needs */

  const int w = 1200, h = 480, edge = w / 2;
  dm_image step;
  CHECK_OK(ctx, dm_image_alloc(ctx, &step, w, h, 3));
  tile_block(&step, 0, edge, &photo, dx, dy, B);
  tile_block(&step, edge, w - edge, &photo, bx, by, B);

  dm_adjust_values v;
  dm_adjust_defaults(&v);
  v.v[DM_ADJ_HIGHLIGHTS] = -100.0f;
  v.v[DM_ADJ_SHADOWS] = 100.0f;
  v.v[DM_ADJ_CLARITY] = 100.0f;
  dm_image ours = applied(ctx, &step, NULL, 1.0f, &v);

  /* Same radius as clarity's base: 1.5 % of the diagonal. */
  float radius = 0.015f * sqrtf((float)(w * w + h * h));
  dm_image usm = unsharp(&step, radius, 0.8f);

  double *prof = malloc((size_t)w * sizeof *prof);
  int band = (int)(2 * radius);
  double pl, pr, pl_u, pr_u;
  change_profile(&step, &ours, prof);
  double h_ours = halo(prof, edge, band, &pl, &pr);
  change_profile(&step, &usm, prof);
  double h_usm = halo(prof, edge, band, &pl_u, &pr_u);
  printf("halo: ours %.3f stops (plateaus %+.2f / %+.2f), unsharp mask %.3f stops\n", h_ours, pl, pr,
         h_usm);
  CHECK(h_ours * 3 < h_usm);
  CHECK(pl > 0.3);  /* the dark side really was lifted */
  CHECK(pr < -0.2); /* and the bright side pulled down */

  /* Clarity also raised the texture inside both plateaus. */
  double e_in = 0, e_out = 0;
  for (int y = 1; y < h - 1; y++)
    for (int x = 60; x < w - 60; x++) {
      if (abs(x - edge) < 3 * band) continue;
      float li = lum_stops(dm_px(&step, x, y)), lo = lum_stops(dm_px(&ours, x, y));
      float ni = 0.25f * (lum_stops(dm_px(&step, x - 1, y)) + lum_stops(dm_px(&step, x + 1, y)) +
                          lum_stops(dm_px(&step, x, y - 1)) + lum_stops(dm_px(&step, x, y + 1)));
      float no = 0.25f * (lum_stops(dm_px(&ours, x - 1, y)) + lum_stops(dm_px(&ours, x + 1, y)) +
                          lum_stops(dm_px(&ours, x, y - 1)) + lum_stops(dm_px(&ours, x, y + 1)));
      e_in += (li - ni) * (li - ni);
      e_out += (lo - no) * (lo - no);
    }
  CHECK(e_out > 1.1 * e_in);
  free(prof);
  dm_image_free(&usm);
  dm_image_free(&ours);
  dm_image_free(&step);
  dm_image_free(&photo);
}

static double mean_abs_stops(const dm_image *a, const dm_image *b) {
  double s = 0;
  for (int y = 0; y < a->height; y++)
    for (int x = 0; x < a->width; x++) s += fabs(lum_stops(dm_px(a, x, y)) - lum_stops(dm_px(b, x, y)));
  return s / ((double)a->width * a->height);
}

/* The photo scaled up 2x plays the full-size image (1024 x 1024, where the
 * large scale is computed at reduced resolution) and its 2x reduction the
 * proxy. */
static void test_proxy_consistency(void) {
  dm_image photo = load_photo("astronaut");
  dm_image full = upscale(ctx, &photo, 2);
  dm_image half = downscale(ctx, &full, 2);
  dm_image_free(&photo);
  dm_adjust_id ids[] = {DM_ADJ_CLARITY, DM_ADJ_TEXTURE, DM_ADJ_SHADOWS, DM_ADJ_DEHAZE};
  for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++) {
    dm_adjust_values v = one_slider(ids[k], 100.0f);
    dm_image rf = applied(ctx, &full, NULL, 1.0f, &v);
    dm_image rh = applied(ctx, &half, NULL, 1.0f, &v);
    dm_image rf_small = downscale(ctx, &rf, 2);
    double err = mean_abs_stops(&rf_small, &rh);
    double effect = mean_abs_stops(&rh, &half);
    printf("proxy %s: effect %.4f stops, full vs half %.4f stops\n", dm_adjust_params()[ids[k]].key,
           effect, err);
    CHECK(effect > 0.02);
    CHECK(err < 0.2 * effect);
    dm_image_free(&rf);
    dm_image_free(&rh);
    dm_image_free(&rf_small);
  }
  dm_image_free(&half);
  dm_image_free(&full);
}

/* Mean change in stops over the pixels whose input luminance is in the
 * lowest / highest `frac` of the photo. */
static void tail_changes(const dm_image *in, const dm_image *out, double frac, double *low, double *high) {
  size_t n = (size_t)in->width * in->height;
  float *l = lum_plane(in);
  /* Quantiles from a 1024-bin histogram of the luminance. */
  float lo = 1e9f, hi = -1e9f;
  for (size_t i = 0; i < n; i++) lo = fminf(lo, l[i]), hi = fmaxf(hi, l[i]);
  int hist[1024] = {0};
  for (size_t i = 0; i < n; i++) hist[(int)((l[i] - lo) / (hi - lo + 1e-6f) * 1023)]++;
  size_t acc = 0;
  int qlo = 0, qhi = 1023;
  while (acc + hist[qlo] < frac * n) acc += hist[qlo++];
  acc = 0;
  while (acc + hist[qhi] < frac * n) acc += hist[qhi--];
  double sl = 0, sh = 0;
  size_t nl = 0, nh = 0;
  for (int y = 0; y < in->height; y++)
    for (int x = 0; x < in->width; x++) {
      size_t i = (size_t)y * in->width + x;
      int bin = (int)((l[i] - lo) / (hi - lo + 1e-6f) * 1023);
      double d = lum_stops(dm_px(out, x, y)) - l[i];
      if (bin <= qlo) sl += d, nl++;
      if (bin >= qhi) sh += d, nh++;
    }
  *low = sl / nl;
  *high = sh / nh;
  free(l);
}

static void test_highlights_shadows_photo(void) {
  dm_image photo = load_photo("grace_hopper");
  for (int sgn = -1; sgn <= 1; sgn += 2) {
    double low, high;
    dm_adjust_values v = one_slider(DM_ADJ_HIGHLIGHTS, 100.0f * sgn);
    dm_image out = applied(ctx, &photo, NULL, 1.0f, &v);
    tail_changes(&photo, &out, 0.1, &low, &high);
    printf("grace_hopper highlights %+d: darkest 10 %% %+.3f, brightest 10 %% %+.3f stops\n", sgn * 100,
           low, high);
    CHECK(sgn * high > 0.2);
    CHECK(fabs(low) < 0.25 * fabs(high));
    dm_image_free(&out);

    v = one_slider(DM_ADJ_SHADOWS, 100.0f * sgn);
    out = applied(ctx, &photo, NULL, 1.0f, &v);
    tail_changes(&photo, &out, 0.1, &low, &high);
    printf("grace_hopper shadows %+d: darkest 10 %% %+.3f, brightest 10 %% %+.3f stops\n", sgn * 100,
           low, high);
    CHECK(sgn * low > 0.2);
    CHECK(fabs(high) < 0.25 * fabs(low));
    dm_image_free(&out);
  }
  dm_image_free(&photo);
}

/* Local standard deviation of log-luminance in a 7x7 window. */
static float local_std(const float *l, int w, int x, int y) {
  double s = 0, s2 = 0;
  for (int j = -3; j <= 3; j++)
    for (int i = -3; i <= 3; i++) {
      double v = l[(size_t)(y + j) * w + x + i];
      s += v;
      s2 += v * v;
    }
  return (float)sqrt(fmax(s2 / 49 - (s / 49) * (s / 49), 0));
}

static void test_texture_photo(void) {
  dm_image photo = load_photo("chelsea");
  dm_adjust_values v = one_slider(DM_ADJ_TEXTURE, 100.0f);
  dm_image out = applied(ctx, &photo, NULL, 1.0f, &v);
  int w = photo.width, h = photo.height;
  float *li = lum_plane(&photo), *lo = lum_plane(&out);
  /* Relative growth of the local spread in flat areas (spread below 0.04
   * stop: fur-less background, mostly noise) and in textured ones (0.08 to
   * 0.32 stop: fur, whiskers; above that are strong edges, which the
   * edge-aware base keeps out of the detail). */
  double flat_in = 0, flat_out = 0, tex_in = 0, tex_out = 0;
  int nf = 0, nt = 0;
  for (int y = 3; y < h - 3; y += 2)
    for (int x = 3; x < w - 3; x += 2) {
      float si = local_std(li, w, x, y), so = local_std(lo, w, x, y);
      if (si < 0.04f) flat_in += si, flat_out += so, nf++;
      if (si >= 0.08f && si < 0.32f) tex_in += si, tex_out += so, nt++;
    }
  printf("chelsea texture +100: local spread in flat areas (%d) x%.3f, in textured areas (%d) x%.3f\n", nf, flat_out / flat_in,
         nt, tex_out / tex_in);
  CHECK(nf > 100 && nt > 100);
  CHECK(tex_out / tex_in > 1.15);
  CHECK(flat_out / flat_in - 1.0 < 0.4 * (tex_out / tex_in - 1.0));
  free(li);
  free(lo);
  dm_image_free(&out);
  dm_image_free(&photo);
}

static void test_dehaze_photo(void) {
  dm_image photo = load_photo("coffee");
  double prev = 1e9;
  for (int s = -1; s <= 1; s++) {
    dm_adjust_values v = one_slider(DM_ADJ_DEHAZE, 100.0f * s);
    dm_image out = applied(ctx, &photo, NULL, 1.0f, &v);
    double dark = 0;
    for (int y = 0; y < out.height; y++)
      for (int x = 0; x < out.width; x++) {
        const float *p = dm_px(&out, x, y);
        dark += fmin(p[0], fmin(p[1], p[2])) / fmax(dm_luma(p), 1e-6);
      }
    dark /= (double)out.width * out.height;
    printf("coffee dehaze %+d: mean min-channel / luminance %.4f\n", s * 100, dark);
    CHECK(dark < prev);
    prev = dark;
    dm_image_free(&out);
  }
  dm_image_free(&photo);
}

int main(void) {
  ctx = dm_context_new(2);
  test_no_halos();
  test_proxy_consistency();
  test_highlights_shadows_photo();
  test_texture_photo();
  test_dehaze_photo();
  dm_context_free(ctx);
  return dm_test_done("adjust/photo");
}
