/* PNG: real photos decoded; 8 -> 16-bit -> 8 round trips exact within
 * quantisation; every colour type and bit depth libpng can write (palette,
 * 1/2/4-bit grey, alpha, Adam7) decoded to the right samples; iCCP bytes,
 * gAMA/cHRM/sRGB and eXIf (with its orientation) read back. Also the
 * format helpers of io.h. */
#include <png.h>
#include <string.h>

#include "io_test_util.h"

typedef struct png_spec {
  int color_type, depth, interlace;
  const unsigned char *exif;
  size_t exif_len;
  int chunks; /* write gAMA + cHRM + sRGB */
} png_spec;

/* Quantise `img` (RGB) into a PNG of the given layout with libpng itself.
 * Returns the expected decoded image (what the samples mean). */
static dm_image write_png_raw(dm_context *ctx, const char *path, const dm_image *img, const png_spec *sp) {
  FILE *f = fopen(path, "wb");
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png_create_info_struct(png);
  png_init_io(png, f);
  int colour = sp->color_type & PNG_COLOR_MASK_COLOR;
  int pal = sp->color_type == PNG_COLOR_TYPE_PALETTE;
  int alpha = sp->color_type & PNG_COLOR_MASK_ALPHA;
  int ch_out = colour ? 3 : 1;
  png_set_IHDR(png, info, (png_uint_32)img->width, (png_uint_32)img->height, sp->depth, sp->color_type,
               sp->interlace, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_color palette[256];
  if (pal) { /* a 6x7x6 colour cube */
    for (int i = 0; i < 252; i++) {
      palette[i].red = (png_byte)(i / 42 * 51);
      palette[i].green = (png_byte)(i / 6 % 7 * 255 / 6);
      palette[i].blue = (png_byte)(i % 6 * 51);
    }
    png_set_PLTE(png, info, palette, 252);
  }
  if (sp->exif) png_set_eXIf_1(png, info, (png_uint_32)sp->exif_len, (png_bytep)sp->exif);
  if (sp->chunks) {
    png_set_gAMA(png, info, 0.45455);
    png_set_cHRM(png, info, 0.3127, 0.3290, 0.64, 0.33, 0.30, 0.60, 0.15, 0.06);
    png_set_sRGB(png, info, PNG_sRGB_INTENT_PERCEPTUAL);
  }
  png_write_info(png, info);
  if (sp->depth < 8) png_set_packing(png);
  if (sp->interlace) png_set_interlace_handling(png);
  dm_image exp;
  dm_image_alloc(ctx, &exp, img->width, img->height, ch_out);
  int samples = (colour && !pal ? 3 : 1) + (alpha ? 1 : 0);
  int bytes = sp->depth == 16 ? 2 : 1;
  unsigned maxv = (1u << sp->depth) - 1;
  png_bytep rows = malloc((size_t)img->width * (size_t)samples * (size_t)bytes * (size_t)img->height);
  for (int y = 0; y < img->height; y++) {
    png_bytep r = rows + (size_t)y * (size_t)img->width * (size_t)samples * (size_t)bytes;
    for (int x = 0; x < img->width; x++) {
      const float *p = dm_px(img, x, y);
      float *e = dm_px(&exp, x, y);
      if (pal) {
        int ri = (int)(p[0] * 5 + 0.5f), gi = (int)(p[1] * 6 + 0.5f), bi = (int)(p[2] * 5 + 0.5f);
        int idx = ri * 42 + gi * 6 + bi;
        r[x] = (png_byte)idx;
        e[0] = palette[idx].red / 255.0f, e[1] = palette[idx].green / 255.0f, e[2] = palette[idx].blue / 255.0f;
        continue;
      }
      float v[4] = {p[0], p[1], p[2], (float)(x % 7) / 6.0f};
      if (!colour) v[0] = (p[0] + p[1] + p[2]) / 3.0f, v[1] = v[3];
      for (int c = 0; c < samples; c++) {
        unsigned q = (unsigned)(v[c] * (float)maxv + 0.5f);
        if (bytes == 2) r[(x * samples + c) * 2] = (png_byte)(q >> 8), r[(x * samples + c) * 2 + 1] = (png_byte)q;
        else r[x * samples + c] = (png_byte)q;
        if (c < ch_out) e[c] = (float)q / (float)maxv;
      }
    }
  }
  png_bytep *ptrs = malloc(sizeof *ptrs * (size_t)img->height);
  for (int y = 0; y < img->height; y++) ptrs[y] = rows + (size_t)y * (size_t)img->width * (size_t)samples * (size_t)bytes;
  png_write_image(png, ptrs);
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  fclose(f);
  free(ptrs);
  free(rows);
  return exp;
}

static void test_real_photos(dm_context *ctx) {
  const char *names[3] = {"coffee", "astronaut", "chelsea"};
  const int sizes[3][2] = {{600, 400}, {512, 512}, {451, 300}};
  for (int i = 0; i < 3; i++) {
    dm_decoded d;
    CHECK_OK(ctx, dm_io_read(ctx, dm_test_photo(names[i]), &d));
    CHECK(d.meta.format == DM_FMT_PNG && d.meta.bits == 8 && d.img.channels == 3);
    CHECK(d.img.width == sizes[i][0] && d.img.height == sizes[i][1]);
    CHECK((i == 0) == (d.meta.icc == NULL)); /* astronaut and chelsea carry iCCP */
    /* 8-bit samples are exactly k/255 */
    long off = 0;
    for (int y = 0; y < d.img.height; y += 7)
      for (int x = 0; x < d.img.width * 3; x++) {
        float v = dm_row(&d.img, y)[x] * 255.0f;
        off += fabsf(v - roundf(v)) > 1e-3f;
      }
    CHECK(off == 0);
    dm_decoded_free(&d);
  }
}

/* 8 -> 16 -> 8: values survive exactly; 16-bit detail survives 16-bit. */
static void test_depth_round_trips(dm_context *ctx, const char *dir, const dm_image *src8) {
  dm_image fine;
  dm_image_alloc(ctx, &fine, src8->width, src8->height, 3);
  for (int y = 0; y < fine.height; y++)
    for (int x = 0; x < fine.width * 3; x++) {
      /* the photo with sub-8-bit detail, as 16-bit data has */
      unsigned k = (unsigned)(dm_row(src8, y)[x] * 255.0f + 0.5f) * 256 + (unsigned)((x * 37 + y * 11) & 255);
      dm_row(&fine, y)[x] = (float)(k > 65535 ? 65535 : k) / 65535.0f;
    }
  const struct { const dm_image *img; int bits; double tol; } cases[3] = {
      {src8, 16, 1e-6}, {&fine, 16, 1e-6}, {&fine, 8, 0.5 / 255 + 1e-6}};
  for (int i = 0; i < 3; i++) {
    const char *p = iot_path(dir, "rt.png");
    dm_write_options o = {.format = DM_FMT_PNG, .bits = cases[i].bits};
    CHECK_OK(ctx, dm_io_write(ctx, p, cases[i].img, &o));
    dm_decoded d;
    CHECK_OK(ctx, dm_io_read(ctx, p, &d));
    CHECK(d.meta.bits == cases[i].bits);
    double mean, mx;
    dm_test_image_diff(cases[i].img, &d.img, &mean, &mx);
    if (mx > cases[i].tol) fprintf(stderr, "case %d: max diff %g\n", i, mx);
    CHECK(mx <= cases[i].tol);
    if (i == 2) { /* and the 8-bit file read again equals itself as 16-bit */
      dm_write_options o16 = {.format = DM_FMT_PNG, .bits = 16};
      dm_decoded d2;
      CHECK_OK(ctx, dm_io_write(ctx, p, &d.img, &o16));
      CHECK_OK(ctx, dm_io_read(ctx, p, &d2));
      dm_test_image_diff(&d.img, &d2.img, &mean, &mx);
      CHECK(mx <= 1e-6);
      dm_decoded_free(&d2);
    }
    dm_decoded_free(&d);
  }
  dm_image_free(&fine);
}

static void test_layouts(dm_context *ctx, const char *dir, const dm_image *src) {
  const png_spec specs[] = {
      {PNG_COLOR_TYPE_PALETTE, 8, 0, NULL, 0, 0},   {PNG_COLOR_TYPE_GRAY, 1, 0, NULL, 0, 0},
      {PNG_COLOR_TYPE_GRAY, 2, 0, NULL, 0, 0},      {PNG_COLOR_TYPE_GRAY, 4, 1, NULL, 0, 0},
      {PNG_COLOR_TYPE_GRAY, 16, 0, NULL, 0, 0},     {PNG_COLOR_TYPE_GRAY_ALPHA, 16, 0, NULL, 0, 0},
      {PNG_COLOR_TYPE_RGB_ALPHA, 8, 1, NULL, 0, 0}, {PNG_COLOR_TYPE_RGB, 16, 1, NULL, 0, 1},
  };
  for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
    const char *p = iot_path(dir, "layout.png");
    dm_image exp = write_png_raw(ctx, p, src, &specs[i]);
    dm_decoded d;
    CHECK_OK(ctx, dm_io_read(ctx, p, &d));
    double mean, mx;
    dm_test_image_diff(&exp, &d.img, &mean, &mx);
    if (mx > 1e-6) fprintf(stderr, "PNG layout %zu (type %d, %d-bit): max diff %g\n", i, specs[i].color_type, specs[i].depth, mx);
    CHECK(mx <= 1e-6);
    CHECK(d.meta.bits == (specs[i].depth == 16 ? 16 : 8));
    CHECK(d.meta.srgb_chunk == specs[i].chunks && d.meta.has_chrm == specs[i].chunks);
    if (specs[i].chunks) {
      CHECK_NEAR(d.meta.gamma, 0.45455, 1e-5);
      CHECK_NEAR(d.meta.chrm[0], 0.3127, 1e-5);
      CHECK_NEAR(d.meta.chrm[7], 0.06, 1e-5);
    } else {
      CHECK(d.meta.gamma == 0);
    }
    dm_decoded_free(&d);
    dm_image_free(&exp);
  }
}

static void test_icc_and_exif(dm_context *ctx, const char *dir, const dm_image *src) {
  dm_decoded astro;
  CHECK_OK(ctx, dm_io_read(ctx, dm_test_photo("astronaut"), &astro));
  size_t exif_len;
  unsigned char *exif = iot_make_exif(8, 1, 1, &exif_len);
  const char *p = iot_path(dir, "meta.png");
  dm_write_options o = {.format = DM_FMT_PNG, .bits = 8, .icc = astro.meta.icc,
                        .icc_len = astro.meta.icc_len, .exif = exif, .exif_len = exif_len};
  CHECK_OK(ctx, dm_io_write(ctx, p, src, &o));
  dm_decoded d;
  CHECK_OK(ctx, dm_io_read(ctx, p, &d));
  CHECK(d.meta.icc && d.meta.icc_len == astro.meta.icc_len &&
        !memcmp(d.meta.icc, astro.meta.icc, astro.meta.icc_len));
  CHECK(d.meta.exif && d.meta.orientation == 1 && !strcmp(d.meta.camera, "Canon EOS 30D"));
  if (d.meta.exif)
    CHECK(iot_exif_int(d.meta.exif, d.meta.exif_len, EXIF_IFD_EXIF, EXIF_TAG_PIXEL_X_DIMENSION) == src->width);
  CHECK(d.img.width == src->width);
  dm_decoded_free(&d);
  /* A PNG whose eXIf says "rotate 180" (orientation 3) is decoded upright. */
  png_spec sp = {PNG_COLOR_TYPE_RGB, 8, 0, exif, exif_len, 0};
  free(exif);
  exif = iot_make_exif(3, src->width, src->height, &exif_len);
  sp.exif = exif;
  sp.exif_len = exif_len;
  dm_image exp = write_png_raw(ctx, p, src, &sp);
  CHECK_OK(ctx, dm_io_read(ctx, p, &d));
  CHECK(d.meta.orientation == 3);
  CHECK(d.img.width == exp.width && d.img.height == exp.height);
  if (d.img.width == exp.width && d.img.height == exp.height) {
    long bad = 0;
    for (int y = 0; y < exp.height; y++)
      for (int x = 0; x < exp.width; x++)
        for (int c = 0; c < 3; c++)
          bad += fabsf(dm_px(&d.img, x, y)[c] - dm_px(&exp, exp.width - 1 - x, exp.height - 1 - y)[c]) > 1e-6f;
    CHECK(bad == 0);
  }
  dm_image_free(&exp);
  dm_decoded_free(&d);
  dm_decoded_free(&astro);
  free(exif);
}

static void test_helpers(void) {
  CHECK(dm_format_from_extension("a/b.JPG") == DM_FMT_JPEG);
  CHECK(dm_format_from_extension("x.jpeg") == DM_FMT_JPEG);
  CHECK(dm_format_from_extension("x.Tiff") == DM_FMT_TIFF);
  CHECK(dm_format_from_extension("x.tif") == DM_FMT_TIFF);
  CHECK(dm_format_from_extension("x.png") == DM_FMT_PNG);
  CHECK(dm_format_from_extension("dir.png/x") == DM_FMT_UNKNOWN);
  CHECK(dm_format_from_extension("x.heic") == DM_FMT_UNKNOWN);
  CHECK(!strcmp(dm_format_name(DM_FMT_TIFF), "TIFF"));
  CHECK(!strcmp(dm_format_name((dm_format)99), "unknown"));
  CHECK(dm_io_sniff((const unsigned char *)"\x89PNG\r\n\x1a\n", 8) == DM_FMT_PNG);
  CHECK(dm_io_sniff((const unsigned char *)"\xff\xd8\xff\xe0", 4) == DM_FMT_JPEG);
  CHECK(dm_io_sniff((const unsigned char *)"II*\0\x08\0\0\0CR\x02\0", 12) == DM_FMT_RAW);
  CHECK(dm_io_sniff((const unsigned char *)"MM\0*\0\0\0\x08", 8) == DM_FMT_TIFF);
  CHECK(dm_io_sniff((const unsigned char *)"FUJIFILMCCD-RAW ", 16) == DM_FMT_RAW);
  CHECK(dm_io_sniff((const unsigned char *)"\0\0\0\x18" "ftypcrx ", 12) == DM_FMT_RAW);
  CHECK(dm_io_sniff((const unsigned char *)"GIF89a", 6) == DM_FMT_UNKNOWN);
  CHECK(dm_io_sniff((const unsigned char *)"\xff", 1) == DM_FMT_UNKNOWN);
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  const char *dir = dm_test_tmpdir("io_png");
  dm_decoded coffee;
  CHECK_OK(ctx, dm_io_read(ctx, dm_test_photo("coffee"), &coffee));
  test_real_photos(ctx);
  test_depth_round_trips(ctx, dir, &coffee.img);
  test_layouts(ctx, dir, &coffee.img);
  test_icc_and_exif(ctx, dir, &coffee.img);
  test_helpers();
  dm_decoded_free(&coffee);
  dm_context_free(ctx);
  return dm_test_done("io/test_png");
}
