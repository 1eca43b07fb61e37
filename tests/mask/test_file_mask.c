/* file masks: a 16-bit PNG of a real photo's luminance comes back as the
 * mask it encodes; 8-bit values are taken as they are; RGB files give their
 * luminance; resizing averages areas when shrinking and interpolates
 * between pixel centres when growing; relative paths start at base_dir;
 * missing, corrupt and truncated files fail naming the file. */
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <tiffio.h>
#include <unistd.h>

#include "core/file.h"
#include "mask_test.h"

static const char *tmp;

static void path_in_tmp(char *out, size_t len, const char *name) {
  snprintf(out, len, "%s/%s", tmp, name);
}

static void write_image(dm_context *ctx, const char *name, const dm_image *img, dm_format fmt,
                        int bits) {
  char path[PATH_MAX];
  path_in_tmp(path, sizeof path, name);
  dm_write_options o = {.format = fmt, .bits = bits};
  dm_status s = dm_io_write(ctx, path, img, &o);
  if (s) {
    fprintf(stderr, "cannot write %s: %s\n", path, dm_context_error(ctx));
    exit(1);
  }
}

static dm_mask_component file_comp(const char *path) {
  dm_mask_component c;
  dm_mask_component_init(&c, DM_MASK_FILE);
  snprintf(c.path, sizeof c.path, "%s", path);
  return c;
}

/* Render a file mask at w x h (relative paths from tmp). */
static dm_status render_file(dm_context *ctx, const char *path, int w, int h, dm_image *m) {
  dm_image canvas;
  mt_canvas(ctx, w, h, &canvas);
  mt_alloc_mask(ctx, &canvas, m);
  dm_mask_component c = file_comp(path);
  dm_mask_inputs in = {.image = &canvas, .base_dir = tmp};
  dm_status s = dm_mask_render(ctx, &c, 1, &in, m);
  dm_image_free(&canvas);
  return s;
}

/* The photo's luminance, clamped to [0, 1], as a grey image. */
static void luminance_of(dm_context *ctx, const dm_image *photo, dm_image *g) {
  CHECK_OK(ctx, dm_image_alloc(ctx, g, photo->width, photo->height, 1));
  for (int y = 0; y < photo->height; y++)
    for (int x = 0; x < photo->width; x++) {
      float Y = dm_luma(dm_px(photo, x, y));
      dm_px(g, x, y)[0] = Y < 0 ? 0 : Y > 1 ? 1 : Y;
    }
}

static void test_same_size(dm_context *ctx, const dm_image *g) {
  dm_image m;
  CHECK_OK(ctx, render_file(ctx, "lum16.png", g->width, g->height, &m));
  double mean, max;
  dm_test_image_diff(&m, g, &mean, &max);
  CHECK(max <= 0.5 / 65535 + 1e-7); /* 16-bit rounding only */
  dm_image_free(&m);

  /* 8-bit: each value is n / 255 for the n the file holds, no curve. */
  CHECK_OK(ctx, render_file(ctx, "lum8.png", g->width, g->height, &m));
  int exact = 1;
  for (int y = 0; y < g->height; y++)
    for (int x = 0; x < g->width; x++) {
      float want = roundf(mt_at(g, x, y) * 255.0f) / 255.0f;
      exact &= fabsf(mt_at(&m, x, y) - want) < 1e-6f;
    }
  CHECK(exact);
  dm_image_free(&m);
}

/* Shrinking by a whole factor k averages each k x k block (every source
 * pixel counts, as a bilinear sample of two would not for k > 2); a size
 * that does not divide keeps the mean and stays within each footprint. */
static void test_shrink(dm_context *ctx, const dm_image *g) {
  dm_image m;
  for (int k = 2; k <= 4; k += 2) {
    const int wk = g->width / k, hk = g->height / k;
    CHECK_OK(ctx, render_file(ctx, "lum16.png", wk, hk, &m));
    double worst = 0;
    for (int y = 0; y < hk; y++)
      for (int x = 0; x < wk; x++) {
        double want = 0;
        for (int sy = 0; sy < k; sy++)
          for (int sx = 0; sx < k; sx++) want += mt_at(g, k * x + sx, k * y + sy);
        worst = fmax(worst, fabs(mt_at(&m, x, y) - want / (k * k)));
      }
    CHECK(worst <= 0.5 / 65535 + 1e-6);
    dm_image_free(&m);
  }

  const int w3 = g->width * 3 / 7, h3 = g->height * 3 / 7;
  CHECK_OK(ctx, render_file(ctx, "lum16.png", w3, h3, &m));
  double sum_m = 0, sum_g = 0;
  int within = 1;
  for (int y = 0; y < h3; y++)
    for (int x = 0; x < w3; x++) {
      sum_m += mt_at(&m, x, y);
      int x0 = x * g->width / w3, x1 = ((x + 1) * g->width + w3 - 1) / w3;
      int y0 = y * g->height / h3, y1 = ((y + 1) * g->height + h3 - 1) / h3;
      float lo = 1, hi = 0;
      for (int sy = y0; sy < y1 && sy < g->height; sy++)
        for (int sx = x0; sx < x1 && sx < g->width; sx++)
          lo = fminf(lo, mt_at(g, sx, sy)), hi = fmaxf(hi, mt_at(g, sx, sy));
      within &= mt_at(&m, x, y) >= lo - 1e-4f && mt_at(&m, x, y) <= hi + 1e-4f;
    }
  for (int y = 0; y < g->height; y++)
    for (int x = 0; x < g->width; x++) sum_g += mt_at(g, x, y);
  CHECK(fabs(sum_m / ((double)w3 * h3) - sum_g / ((double)g->width * g->height)) < 1e-4);
  CHECK(within);
  dm_image_free(&m);
}

/* Growing: a linear ramp is reproduced exactly (up to 16-bit steps) at
 * each output pixel centre mapped back into the file, which pins both the
 * interpolation and the pixel-centre alignment. */
static void test_grow(dm_context *ctx) {
  const int w = 97, h = 61, W = 250, H = 190;
  dm_image ramp;
  CHECK_OK(ctx, dm_image_alloc(ctx, &ramp, w, h, 1));
  const double norm = (w - 1) + 2.0 * (h - 1);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) dm_px(&ramp, x, y)[0] = (float)((x + 2.0 * y) / norm);
  write_image(ctx, "ramp16.png", &ramp, DM_FMT_PNG, 16);
  dm_image m;
  CHECK_OK(ctx, render_file(ctx, "ramp16.png", W, H, &m));
  double worst = 0;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      double sx = (x + 0.5) * w / W - 0.5, sy = (y + 0.5) * h / H - 0.5;
      sx = fmin(fmax(sx, 0), w - 1), sy = fmin(fmax(sy, 0), h - 1);
      worst = fmax(worst, fabs(mt_at(&m, x, y) - (sx + 2 * sy) / norm));
    }
  CHECK(worst < 1.5 / 65535);
  dm_image_free(&m);
  dm_image_free(&ramp);
}

/* A float TIFF written with libtiff directly: dm_io_write clamps to [0, 1],
 * and this file must not be. */
static void write_float_tiff(const char *path, const dm_image *f) {
  TIFF *t = TIFFOpen(path, "w");
  CHECK(t != NULL);
  if (!t) return;
  TIFFSetField(t, TIFFTAG_IMAGEWIDTH, (uint32_t)f->width);
  TIFFSetField(t, TIFFTAG_IMAGELENGTH, (uint32_t)f->height);
  TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
  TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 32);
  TIFFSetField(t, TIFFTAG_SAMPLEFORMAT, SAMPLEFORMAT_IEEEFP);
  TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
  TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
  TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 16);
  for (int y = 0; y < f->height; y++) CHECK(TIFFWriteScanline(t, dm_row(f, y), (uint32_t)y, 0) == 1);
  TIFFClose(t);
}

/* A 32-bit float file may hold values outside [0, 1]: the mask clamps them. */
static void test_float_clamped(dm_context *ctx, const dm_image *g) {
  dm_image f;
  CHECK_OK(ctx, dm_image_alloc(ctx, &f, g->width, g->height, 1));
  long low = 0, high = 0;
  for (int y = 0; y < g->height; y++)
    for (int x = 0; x < g->width; x++) {
      float v = mt_at(g, x, y) * 3.0f - 1.0f;
      dm_px(&f, x, y)[0] = v;
      low += v < 0, high += v > 1;
    }
  CHECK(low > 100 && high > 100);
  char path[PATH_MAX];
  path_in_tmp(path, sizeof path, "float32.tif");
  write_float_tiff(path, &f);
  dm_image m;
  CHECK_OK(ctx, render_file(ctx, "float32.tif", g->width, g->height, &m));
  double worst = 0;
  for (int y = 0; y < g->height; y++)
    for (int x = 0; x < g->width; x++) {
      float v = mt_at(&f, x, y), want = v < 0 ? 0 : v > 1 ? 1 : v;
      worst = fmax(worst, fabs(mt_at(&m, x, y) - want));
      if (!(mt_at(&m, x, y) >= 0 && mt_at(&m, x, y) <= 1)) worst = INFINITY;
    }
  CHECK(worst < 1e-6);
  dm_image_free(&m);
  dm_image_free(&f);
}

/* RGB files give the luminance of their encoded values. */
static void test_rgb(dm_context *ctx, const dm_image *photo, const dm_image *g) {
  dm_image grey3, colour;
  CHECK_OK(ctx, dm_image_alloc(ctx, &grey3, g->width, g->height, 3));
  CHECK_OK(ctx, dm_image_alloc(ctx, &colour, g->width, g->height, 3));
  for (int y = 0; y < g->height; y++)
    for (int x = 0; x < g->width; x++) {
      float *p = dm_px(&grey3, x, y), *q = dm_px(&colour, x, y);
      const float *s = dm_px(photo, x, y);
      p[0] = p[1] = p[2] = mt_at(g, x, y);
      for (int k = 0; k < 3; k++) q[k] = s[k] < 0 ? 0 : s[k] > 1 ? 1 : s[k];
    }
  write_image(ctx, "grey_rgb16.png", &grey3, DM_FMT_PNG, 16);
  write_image(ctx, "colour16.png", &colour, DM_FMT_PNG, 16);
  dm_image m;
  CHECK_OK(ctx, render_file(ctx, "grey_rgb16.png", g->width, g->height, &m));
  double mean, max;
  dm_test_image_diff(&m, g, &mean, &max);
  CHECK(max <= 0.5 / 65535 + 1e-6);
  dm_image_free(&m);

  /* Read the colour file back ourselves and weigh it as documented. */
  char path[PATH_MAX];
  path_in_tmp(path, sizeof path, "colour16.png");
  dm_decoded dec = {0};
  CHECK_OK(ctx, dm_io_read(ctx, path, &dec));
  CHECK_OK(ctx, render_file(ctx, "colour16.png", g->width, g->height, &m));
  if (dec.img.data && dec.img.channels == 3) {
    double worst = 0;
    for (int y = 0; y < g->height; y++)
      for (int x = 0; x < g->width; x++) {
        const float *p = dm_px(&dec.img, x, y);
        worst = fmax(worst, fabs(mt_at(&m, x, y) - (0.2627 * p[0] + 0.6780 * p[1] + 0.0593 * p[2])));
      }
    CHECK(worst < 1e-5);
  } else {
    CHECK(!"colour16.png read back as RGB");
  }
  dm_decoded_free(&dec);
  dm_image_free(&m);
  dm_image_free(&grey3);
  dm_image_free(&colour);
}

/* Relative to base_dir; an absolute path ignores base_dir (allowed only
 * with ctx->allow_outside_paths); paths that leave base_dir are refused. */
static void test_paths(dm_context *ctx, const dm_image *g) {
  char sub[PATH_MAX], abs_path[PATH_MAX];
  path_in_tmp(sub, sizeof sub, "sub");
  CHECK(mkdir(sub, 0755) == 0 || errno == EEXIST);
  dm_image m1, m2;
  write_image(ctx, "sub/m.png", g, DM_FMT_PNG, 16);
  CHECK_OK(ctx, render_file(ctx, "sub/m.png", g->width, g->height, &m1));
  path_in_tmp(abs_path, sizeof abs_path, "sub/m.png");
  dm_image canvas;
  mt_canvas(ctx, g->width, g->height, &canvas);
  mt_alloc_mask(ctx, &canvas, &m2);
  dm_mask_component c = file_comp(abs_path);
  dm_mask_inputs in = {.image = &canvas, .base_dir = "/nonexistent-dir"};
  /* A client's recipe must not read the retoucher's other files. */
  CHECK(dm_mask_render(ctx, &c, 1, &in, &m2) == DM_ERR_PARAM);
  CHECK(strstr(dm_context_error(ctx), "is an absolute path") != NULL);
  char sub_dir[PATH_MAX];
  path_in_tmp(sub_dir, sizeof sub_dir, "sub");
  in.base_dir = sub_dir;
  dm_mask_component up = file_comp("../sub/m.png");
  CHECK(dm_mask_render(ctx, &up, 1, &in, &m2) == DM_ERR_PARAM);
  CHECK(strstr(dm_context_error(ctx), "climbs out") != NULL);
  char link_path[PATH_MAX];
  path_in_tmp(link_path, sizeof link_path, "sub/out.png");
  unlink(link_path);
  CHECK(symlink("/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg", link_path) == 0);
  dm_mask_component via = file_comp("out.png");
  CHECK(dm_mask_render(ctx, &via, 1, &in, &m2) == DM_ERR_PARAM);
  CHECK(strstr(dm_context_error(ctx), "symbolic link") != NULL);
  dm_mask_component inside = file_comp("m.png");
  CHECK_OK(ctx, dm_mask_render(ctx, &inside, 1, &in, &m2));
  in.base_dir = "/nonexistent-dir";
  ctx->allow_outside_paths = 1;
  CHECK_OK(ctx, dm_mask_render(ctx, &c, 1, &in, &m2));
  ctx->allow_outside_paths = 0;
  double mean, max;
  dm_test_image_diff(&m1, &m2, &mean, &max);
  CHECK(max == 0);
  /* The same relative name from another folder is another (missing) file. */
  in.base_dir = "/nonexistent-dir";
  c = file_comp("sub/m.png");
  CHECK(dm_mask_render(ctx, &c, 1, &in, &m2) != DM_OK);
  CHECK(strstr(dm_context_error(ctx), "sub/m.png") != NULL);
  dm_image_free(&canvas);
  dm_image_free(&m1);
  dm_image_free(&m2);
}

static void expect_error_naming(dm_context *ctx, const char *name) {
  dm_image m;
  dm_status s = render_file(ctx, name, 64, 48, &m);
  CHECK(s != DM_OK);
  const char *e = dm_context_error(ctx);
  if (s == DM_OK || !strstr(e, name)) fprintf(stderr, "  %s: got \"%s\"\n", name, e);
  CHECK(strstr(e, name) != NULL);
  CHECK(strchr(e, '\n') == NULL);
  dm_image_free(&m);
}

static void test_bad_files(dm_context *ctx) {
  char path[PATH_MAX];
  expect_error_naming(ctx, "missing.png");
  path_in_tmp(path, sizeof path, "garbage.png");
  const char junk[] = "this is not an image at all, just text that claims to be one";
  CHECK_OK(ctx, dm_write_file_atomic(ctx, path, junk, sizeof junk));
  expect_error_naming(ctx, "garbage.png");
  /* A real PNG cut in half. */
  unsigned char *data;
  size_t len;
  path_in_tmp(path, sizeof path, "lum16.png");
  CHECK_OK(ctx, dm_read_file(ctx, path, (size_t)1 << 28, &data, &len));
  path_in_tmp(path, sizeof path, "truncated.png");
  CHECK_OK(ctx, dm_write_file_atomic(ctx, path, data, len / 2));
  free(data);
  expect_error_naming(ctx, "truncated.png");
  expect_error_naming(ctx, "sub"); /* a folder */
}

int main(void) {
  tmp = dm_test_tmpdir("mask_file");
  dm_context *ctx = dm_context_new(2);
  dm_image photo, g;
  mt_load_photo(ctx, "coffee", &photo);
  luminance_of(ctx, &photo, &g);
  write_image(ctx, "lum16.png", &g, DM_FMT_PNG, 16);
  write_image(ctx, "lum8.png", &g, DM_FMT_PNG, 8);
  test_same_size(ctx, &g);
  test_shrink(ctx, &g);
  test_grow(ctx);
  test_rgb(ctx, &photo, &g);
  test_float_clamped(ctx, &g);
  test_paths(ctx, &g);
  test_bad_files(ctx);
  dm_image_free(&g);
  dm_image_free(&photo);
  dm_context_free(ctx);
  return dm_test_done("mask/file");
}
