/* The quality bar on the real dof-eval scenes (../shared/dof-eval), one
 * test per scene (test_dof_dev1.c, ...) so each stays a few seconds under
 * the sanitizers: the scene rendered in physical mode from depth16.png + camera.json, once
 * without a matte and once with mask_gt.png, must score a higher PSNR than
 * gegl:lens-blur in the 12-px band around the subject's edge (and on the
 * whole image). PSNR as score.py computes it: the 8-bit sRGB output against
 * dof_reference.png; band = pixels within 12 px (Euclidean) of the edge of
 * mask_gt >= 0.5.
 *
 * GEGL's numbers are the ones published in ../shared/dof-eval/README.md
 * ("Baselines" table, GEGL 0.4.42), not recomputed here: GEGL is slow and
 * not always installed. */
#ifndef DOF_EVAL_SCENE_H
#define DOF_EVAL_SCENE_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blur/blur.h"
#include "color/color.h"
#include "core/file.h"
#include "dm_test.h"
#include "io/io.h"

typedef struct scene_case {
  const char *name;
  double gegl_psnr, gegl_band; /* dof-eval README, gegl:lens-blur rows */
} scene_case;

static double json_number(const char *json, const char *key) {
  char pat[128];
  snprintf(pat, sizeof pat, "\"%s\":", key);
  const char *p = strstr(json, pat);
  return p ? strtod(p + strlen(pat), NULL) : NAN;
}

/* Squared distance transform along one line (Felzenszwalb & Huttenlocher). */
static void dt1(const double *f, int n, double *d, int *v, double *z) {
  int k = 0;
  v[0] = 0, z[0] = -1e30, z[1] = 1e30;
  for (int q = 1; q < n; q++) {
    double s;
    for (;;) {
      s = ((f[q] + (double)q * q) - (f[v[k]] + (double)v[k] * v[k])) / (2.0 * (q - v[k]));
      if (s <= z[k] && k > 0) {
        k--;
        continue;
      }
      break;
    }
    if (s <= z[k]) { /* k == 0 */
      v[0] = q, z[0] = -1e30, z[1] = 1e30;
      continue;
    }
    k++, v[k] = q, z[k] = s, z[k + 1] = 1e30;
  }
  k = 0;
  for (int q = 0; q < n; q++) {
    while (z[k + 1] < q) k++;
    d[q] = (double)(q - v[k]) * (q - v[k]) + f[v[k]];
  }
}

/* For each pixel of `inside` (1) the squared distance to the nearest 0. */
static void edt(const unsigned char *inside, int w, int h, double *out) {
  int n = w > h ? w : h;
  double *f = calloc((size_t)n, sizeof(double)), *d = calloc((size_t)n, sizeof(double));
  double *z = malloc(sizeof(double) * (n + 1));
  int *v = malloc(sizeof(int) * n);
  if (!f || !d || !z || !v) {
    fprintf(stderr, "out of memory\n");
    exit(1);
  }
  for (int i = 0; i < w * h; i++) out[i] = inside[i] ? 1e20 : 0.0;
  for (int x = 0; x < w; x++) {
    for (int y = 0; y < h; y++) f[y] = out[y * w + x];
    dt1(f, h, d, v, z);
    for (int y = 0; y < h; y++) out[y * w + x] = d[y];
  }
  for (int y = 0; y < h; y++) {
    for (int x = 0; x < w; x++) f[x] = out[y * w + x];
    dt1(f, w, d, v, z);
    for (int x = 0; x < w; x++) out[y * w + x] = d[x];
  }
  free(f), free(d), free(z), free(v);
}

static dm_status load(dm_context *ctx, const char *dir, const char *file, dm_decoded *d) {
  char path[8192];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  return dm_io_read(ctx, path, d);
}

static int to8(float v) {
  v = v < 0 ? 0 : (v > 1 ? 1 : v);
  return (int)(v * 255.0f + 0.5f);
}

static void run_scene(dm_context *ctx, const char *root, const scene_case *sc) {
  char dir[4096], path[4200];
  snprintf(dir, sizeof dir, "%s/scenes/%s", root, sc->name);
  snprintf(path, sizeof path, "%s/camera.json", dir);
  unsigned char *json = NULL;
  size_t len;
  CHECK_OK(ctx, dm_read_file(ctx, path, 1 << 20, &json, &len));
  if (!json) return;
  double zn = json_number((char *)json, "depth16_near_m"), zf = json_number((char *)json, "depth16_far_m");
  dm_lens_blur p;
  dm_lens_blur_defaults(&p);
  p.active = 1, p.mode = DM_BLUR_PHYSICAL;
  p.f_mm = (float)json_number((char *)json, "f_mm");
  p.f_number = (float)json_number((char *)json, "N");
  p.focus_m = (float)json_number((char *)json, "focus_m");
  p.sensor_width_mm = (float)json_number((char *)json, "sensor_width_mm");
  free(json);

  dm_decoded aif, d16, mask, ref;
  CHECK_OK(ctx, load(ctx, dir, "aif.png", &aif));
  CHECK_OK(ctx, load(ctx, dir, "depth16.png", &d16));
  CHECK_OK(ctx, load(ctx, dir, "mask_gt.png", &mask));
  CHECK_OK(ctx, load(ctx, dir, "dof_reference.png", &ref));
  dm_image work, depth, near01;
  CHECK_OK(ctx, dm_color_to_working(ctx, &aif, "aif.png", &work));
  int w = work.width, h = work.height;
  CHECK(d16.img.channels == 1 && mask.img.channels == 1 && ref.img.channels == 3);
  CHECK_OK(ctx, dm_image_alloc(ctx, &depth, w, h, 1));
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) *dm_px(&depth, x, y) = (float)(zn + *dm_px(&d16.img, x, y) * (zf - zn));
  float fzn = (float)zn, fzf = (float)zf;
  CHECK_OK(ctx, dm_near01_from_metric(ctx, &depth, &fzn, &fzf, &near01));

  /* the band: within 12 px of the edge of mask >= 0.5, on either side */
  unsigned char *in = calloc((size_t)w * h, 1), *out = calloc((size_t)w * h, 1), *band = calloc((size_t)w * h, 1);
  double *din = malloc(sizeof(double) * w * h), *dout = malloc(sizeof(double) * w * h);
  if (!in || !out || !band || !din || !dout) {
    fprintf(stderr, "out of memory\n");
    exit(1);
  }
  for (int i = 0; i < w * h; i++) {
    in[i] = mask.img.data[(size_t)(i / w) * mask.img.stride + i % w] >= 0.5f;
    out[i] = !in[i];
  }
  edt(in, w, h, din);
  edt(out, w, h, dout);
  for (int i = 0; i < w * h; i++) band[i] = in[i] ? din[i] <= 144.0 : dout[i] <= 144.0;

  for (int use_matte = 0; use_matte < 2; use_matte++) {
    dm_image img, enc;
    CHECK_OK(ctx, dm_image_copy(ctx, &img, &work));
    CHECK_OK(ctx, dm_lens_blur_apply(ctx, &img, &near01, fzn, fzf, use_matte ? &mask.img : NULL, &p));
    unsigned char *icc = NULL;
    size_t icc_len = 0;
    CHECK_OK(ctx, dm_color_from_working(ctx, &img, DM_PROFILE_SRGB, &enc, &icc, &icc_len));
    double se = 0, se_band = 0;
    long nb = 0;
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        for (int c = 0; c < 3; c++) {
          double d = to8(dm_px(&enc, x, y)[c]) - to8(dm_px(&ref.img, x, y)[c]);
          se += d * d;
          if (band[y * w + x]) se_band += d * d, nb++;
        }
    double psnr = 10 * log10(255.0 * 255.0 / (se / (3.0 * w * h)));
    double psnr_band = 10 * log10(255.0 * 255.0 / (se_band / nb));
    printf("%-34s %-8s PSNR %.2f dB (GEGL %.2f), band %.2f dB (GEGL %.2f, %ld px)\n", sc->name,
           use_matte ? "matte" : "no matte", psnr, sc->gegl_psnr, psnr_band, sc->gegl_band, nb / 3);
    CHECK(psnr > sc->gegl_psnr);
    CHECK(psnr_band > sc->gegl_band);
    free(icc);
    dm_image_free(&img);
    dm_image_free(&enc);
  }
  free(in), free(out), free(band), free(din), free(dout);
  dm_decoded_free(&aif), dm_decoded_free(&d16), dm_decoded_free(&mask), dm_decoded_free(&ref);
  dm_image_free(&work), dm_image_free(&depth), dm_image_free(&near01);
}

static int run_dof_scene(const scene_case *sc, const char *test_name) {
  dm_context *ctx = dm_context_new(2);
  run_scene(ctx, DM_SOURCE_DIR "/../shared/dof-eval", sc);
  dm_context_free(ctx);
  return dm_test_done(test_name);
}

#endif
