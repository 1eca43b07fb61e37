/* dof_eval: render one ../shared/dof-eval scene with the lens blur in
 * physical mode, the way a user would: the 8-bit sRGB all-in-focus photo is
 * decoded and taken to the linear working space, blurred with the lens of
 * camera.json and the metric depth of depth16.png, and written back as an
 * 8-bit sRGB PNG for score.py.
 *
 * usage: dof_eval SCENE_DIR OUT.png [--matte] [--threads N] [--repeat N]
 *                 [--set key=value]...
 *   --matte     use SCENE_DIR/mask_gt.png as the subject matte
 *   --matte-file M.png  use another 8/16-bit grey matte
 *   --repeat N  render N times and print the fastest blur time
 *   --set       any lens_blur parameter (e.g. boost=0, bokeh=1)
 * Prints one line: the blur's in-process time in seconds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blur/blur.h"
#include "color/color.h"
#include "core/file.h"
#include "io/io.h"

static int json_number(const char *json, const char *key, double *out) {
  char pat[128];
  snprintf(pat, sizeof pat, "\"%s\":", key);
  const char *p = strstr(json, pat);
  if (!p) return 0;
  p += strlen(pat);
  char *end;
  *out = strtod(p, &end);
  return end != p;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int die(dm_context *ctx, const char *what) {
  fprintf(stderr, "dof_eval: %s: %s\n", what, dm_context_error(ctx));
  return 1;
}

static dm_status load_grey(dm_context *ctx, const char *path, dm_image *out) {
  dm_decoded d;
  dm_status s = dm_io_read(ctx, path, &d);
  if (s != DM_OK) return s;
  if (d.img.channels != 1) {
    dm_decoded_free(&d);
    return dm_fail(ctx, DM_ERR_FORMAT, path, "expected a grey image");
  }
  *out = d.img;
  d.img.data = NULL;
  d.img.owns = 0;
  dm_decoded_free(&d);
  return DM_OK;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: dof_eval SCENE_DIR OUT.png [--matte] [--threads N] [--repeat N] "
                    "[--set key=value]...\n");
    return 2;
  }
  const char *scene = argv[1], *out_path = argv[2];
  int use_matte = 0, threads = 0, repeat = 1;
  const char *matte_file = NULL;
  dm_lens_blur p;
  dm_lens_blur_defaults(&p);
  const char *sets[64];
  int nsets = 0;
  for (int i = 3; i < argc; i++) {
    if (!strcmp(argv[i], "--matte")) use_matte = 1;
    else if (!strcmp(argv[i], "--matte-file") && i + 1 < argc) use_matte = 1, matte_file = argv[++i];
    else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--repeat") && i + 1 < argc) repeat = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--set") && i + 1 < argc && nsets < 64) sets[nsets++] = argv[++i];
    else {
      fprintf(stderr, "dof_eval: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  dm_context *ctx = dm_context_new(threads);
  if (!ctx) return 1;
  char path[4096];
  unsigned char *json = NULL;
  size_t json_len;
  snprintf(path, sizeof path, "%s/camera.json", scene);
  if (dm_read_file(ctx, path, 1 << 20, &json, &json_len) != DM_OK) return die(ctx, "camera.json");
  double f_mm, N, focus, sensor, znear, zfar;
  if (!json_number((char *)json, "f_mm", &f_mm) || !json_number((char *)json, "N", &N) ||
      !json_number((char *)json, "focus_m", &focus) ||
      !json_number((char *)json, "sensor_width_mm", &sensor) ||
      !json_number((char *)json, "depth16_near_m", &znear) ||
      !json_number((char *)json, "depth16_far_m", &zfar)) {
    fprintf(stderr, "dof_eval: %s: missing camera fields\n", path);
    return 1;
  }
  free(json);
  p.active = 1;
  p.mode = DM_BLUR_PHYSICAL;
  p.f_mm = (float)f_mm;
  p.f_number = (float)N;
  p.focus_m = (float)focus;
  p.sensor_width_mm = (float)sensor;
  int np;
  const dm_param *table = dm_lens_blur_params(&np);
  for (int i = 0; i < nsets; i++) {
    char key[128];
    const char *eq = strchr(sets[i], '=');
    if (!eq || (size_t)(eq - sets[i]) >= sizeof key) {
      fprintf(stderr, "dof_eval: --set %s: expected key=value\n", sets[i]);
      return 2;
    }
    memcpy(key, sets[i], (size_t)(eq - sets[i]));
    key[eq - sets[i]] = 0;
    const dm_param *d = dm_param_find(table, np, key);
    if (!d) {
      fprintf(stderr, "dof_eval: unknown parameter %s\n", key);
      return 2;
    }
    if (dm_param_parse(ctx, d, &p, eq + 1, key) != DM_OK) return die(ctx, key);
  }

  /* the photo, in the linear working space */
  dm_decoded aif;
  snprintf(path, sizeof path, "%s/aif.png", scene);
  if (dm_io_read(ctx, path, &aif) != DM_OK) return die(ctx, path);
  dm_image work;
  if (dm_color_to_working(ctx, &aif, path, &work) != DM_OK) return die(ctx, path);
  dm_decoded_free(&aif);

  /* depth16: metres linear in the 16-bit value, as camera.json says */
  dm_image d16, depth, near01;
  snprintf(path, sizeof path, "%s/depth16.png", scene);
  if (load_grey(ctx, path, &d16) != DM_OK) return die(ctx, path);
  if (dm_image_alloc(ctx, &depth, d16.width, d16.height, 1) != DM_OK) return die(ctx, "depth");
  for (int y = 0; y < d16.height; y++)
    for (int x = 0; x < d16.width; x++)
      *dm_px(&depth, x, y) = (float)(znear + *dm_px(&d16, x, y) * (zfar - znear));
  dm_image_free(&d16);
  float zn = (float)znear, zf = (float)zfar;
  if (dm_near01_from_metric(ctx, &depth, &zn, &zf, &near01) != DM_OK) return die(ctx, "depth");
  dm_image_free(&depth);

  dm_image matte = {0};
  if (use_matte) {
    if (matte_file)
      snprintf(path, sizeof path, "%s", matte_file);
    else
      snprintf(path, sizeof path, "%s/mask_gt.png", scene);
    if (load_grey(ctx, path, &matte) != DM_OK) return die(ctx, path);
  }

  dm_image img;
  double best = 1e30;
  for (int r = 0; r < (repeat > 0 ? repeat : 1); r++) {
    if (dm_image_copy(ctx, &img, &work) != DM_OK) return die(ctx, "copy");
    double t0 = now();
    if (dm_lens_blur_apply(ctx, &img, &near01, zn, zf, use_matte ? &matte : NULL, &p) != DM_OK)
      return die(ctx, "lens blur");
    double t = now() - t0;
    if (t < best) best = t;
    if (r + 1 < repeat) dm_image_free(&img);
  }

  dm_image enc;
  unsigned char *icc = NULL;
  size_t icc_len = 0;
  if (dm_color_from_working(ctx, &img, DM_PROFILE_SRGB, &enc, &icc, &icc_len) != DM_OK)
    return die(ctx, "colour");
  dm_write_options wo = {0};
  wo.format = DM_FMT_PNG;
  wo.bits = 8;
  wo.icc = icc;
  wo.icc_len = icc_len;
  if (dm_io_write(ctx, out_path, &enc, &wo) != DM_OK) return die(ctx, out_path);
  printf("%.4f\n", best);
  free(icc);
  dm_image_free(&enc);
  dm_image_free(&img);
  dm_image_free(&work);
  dm_image_free(&near01);
  dm_image_free(&matte);
  dm_context_free(ctx);
  return 0;
}
