/* JPEG: decode a real JPEG, write/read round trips (quality, 4:4:4 at
 * q >= 90), ICC and EXIF carried (orientation reset to 1), EXIF orientation
 * 1..8 applied on read, progressive files, CMYK refused. */
#include <stdio.h>
/* jpeglib.h needs stdio.h first. */
#include <jpeglib.h>
#include <string.h>

#include "io_test_util.h"

/* Chroma sampling of a JPEG in memory: 1 if every component is 1x1. */
static int is_444(const unsigned char *data, size_t len, int *progressive) {
  struct jpeg_decompress_struct c;
  struct jpeg_error_mgr e;
  c.err = jpeg_std_error(&e);
  jpeg_create_decompress(&c);
  jpeg_mem_src(&c, data, (unsigned long)len);
  jpeg_read_header(&c, TRUE);
  int r = 1;
  for (int i = 0; i < c.num_components; i++)
    if (c.comp_info[i].h_samp_factor != 1 || c.comp_info[i].v_samp_factor != 1) r = 0;
  if (progressive) *progressive = c.progressive_mode;
  jpeg_destroy_decompress(&c);
  return r;
}

/* Encode `img` with libjpeg directly (for layouts dm_jpeg_write does not
 * produce: progressive, CMYK). Returns a malloc'd buffer. */
static unsigned char *encode_raw(const dm_image *img, int cmyk, int progressive, unsigned long *len) {
  struct jpeg_compress_struct c;
  struct jpeg_error_mgr e;
  c.err = jpeg_std_error(&e);
  jpeg_create_compress(&c);
  unsigned char *buf = NULL;
  jpeg_mem_dest(&c, &buf, len);
  c.image_width = (JDIMENSION)img->width;
  c.image_height = (JDIMENSION)img->height;
  c.input_components = cmyk ? 4 : 3;
  c.in_color_space = cmyk ? JCS_CMYK : JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 92, TRUE);
  if (progressive) jpeg_simple_progression(&c);
  jpeg_start_compress(&c, TRUE);
  unsigned char *row = malloc((size_t)img->width * 4);
  while (c.next_scanline < c.image_height) {
    const float *p = dm_row(img, (int)c.next_scanline);
    for (int x = 0; x < img->width; x++)
      for (int k = 0; k < c.input_components; k++)
        row[x * c.input_components + k] = (unsigned char)(255 * (k < 3 ? p[3 * x + k] : 0.5f) + 0.5f);
    JSAMPROW r = row;
    jpeg_write_scanlines(&c, &r, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  free(row);
  return buf;
}

/* The JPEG `jpg` with an APP1 EXIF marker holding `exif` put after SOI. */
static unsigned char *splice_exif(const unsigned char *jpg, size_t len, const unsigned char *exif,
                                  size_t exif_len, size_t *out_len) {
  size_t seg = 2 + 6 + exif_len;
  unsigned char *o = malloc(len + 2 + seg);
  memcpy(o, jpg, 2);
  o[2] = 0xff;
  o[3] = 0xe1;
  o[4] = (unsigned char)(seg >> 8);
  o[5] = (unsigned char)(seg & 0xff);
  memcpy(o + 6, "Exif\0\0", 6);
  memcpy(o + 12, exif, exif_len);
  memcpy(o + 12 + exif_len, jpg + 2, len - 2);
  *out_len = len + 2 + seg;
  return o;
}

static void test_real_jpeg(dm_context *ctx) {
  dm_decoded d;
  CHECK_OK(ctx, dm_io_read(ctx, dm_test_photo("grace_hopper"), &d));
  CHECK(d.meta.format == DM_FMT_JPEG && d.meta.bits == 8 && d.meta.orientation == 1);
  CHECK(d.img.width == 512 && d.img.height == 600 && d.img.channels == 3);
  /* A portrait in a dark uniform: the lower middle is darker than the top. */
  double top = 0, low = 0;
  for (int x = 200; x < 312; x++) top += dm_px(&d.img, x, 20)[0], low += dm_px(&d.img, x, 560)[0];
  CHECK(low < top);
  dm_decoded_free(&d);
}

static void test_write_quality(dm_context *ctx, const char *dir, const dm_image *src) {
  const int qualities[2] = {95, 80};
  double psnr[2];
  size_t size[2];
  for (int i = 0; i < 2; i++) {
    char name[32];
    snprintf(name, sizeof name, "q%d.jpg", qualities[i]);
    const char *p = iot_path(dir, name);
    dm_write_options o = {.format = DM_FMT_JPEG, .bits = 8, .quality = qualities[i]};
    CHECK_OK(ctx, dm_io_write(ctx, p, src, &o));
    dm_decoded d;
    CHECK_OK(ctx, dm_io_read(ctx, p, &d));
    psnr[i] = iot_psnr(src, &d.img);
    unsigned char *bytes = iot_slurp(ctx, p, &size[i]);
    int prog = 1;
    CHECK(is_444(bytes, size[i], &prog) == (qualities[i] >= 90));
    CHECK(!prog);
    CHECK(!d.meta.icc && !d.meta.exif);
    free(bytes);
    dm_decoded_free(&d);
  }
  printf("jpeg: q95 %.2f dB %zu bytes, q80 %.2f dB %zu bytes\n", psnr[0], size[0], psnr[1], size[1]);
  CHECK(psnr[0] > 39);
  CHECK(psnr[1] > 32 && psnr[1] < psnr[0]);
  CHECK(size[1] < size[0]);
}

static void test_icc_exif(dm_context *ctx, const char *dir, const dm_image *src) {
  dm_decoded astro;
  CHECK_OK(ctx, dm_io_read(ctx, dm_test_photo("astronaut"), &astro));
  CHECK(astro.meta.icc && astro.meta.icc_len > 128);
  size_t exif_len;
  unsigned char *exif = iot_make_exif(6, 4000, 3000, &exif_len);
  dm_write_options o = {.format = DM_FMT_JPEG, .icc = astro.meta.icc, .icc_len = astro.meta.icc_len,
                        .exif = exif, .exif_len = exif_len};
  const char *p = iot_path(dir, "meta.jpg");
  CHECK_OK(ctx, dm_io_write(ctx, p, src, &o));
  size_t len;
  unsigned char *bytes = iot_slurp(ctx, p, &len);
  CHECK(len > 4 && bytes[2] == 0xff && bytes[3] == 0xe1); /* APP1 EXIF right after SOI */
  free(bytes);
  dm_decoded d;
  CHECK_OK(ctx, dm_io_read(ctx, p, &d));
  CHECK(d.meta.icc_len == astro.meta.icc_len && d.meta.icc &&
        !memcmp(d.meta.icc, astro.meta.icc, astro.meta.icc_len));
  CHECK(d.meta.exif != NULL);
  if (d.meta.exif) {
    CHECK(iot_exif_int(d.meta.exif, d.meta.exif_len, EXIF_IFD_0, EXIF_TAG_ORIENTATION) == 1);
    CHECK(iot_exif_int(d.meta.exif, d.meta.exif_len, EXIF_IFD_EXIF, EXIF_TAG_PIXEL_X_DIMENSION) == src->width);
    CHECK(iot_exif_int(d.meta.exif, d.meta.exif_len, EXIF_IFD_EXIF, EXIF_TAG_PIXEL_Y_DIMENSION) == src->height);
  }
  CHECK(!strcmp(d.meta.camera, "Canon EOS 30D"));
  /* Orientation was reset, so the pixels were not turned again. */
  CHECK(d.meta.orientation == 1 && d.img.width == src->width && d.img.height == src->height);
  CHECK(iot_psnr(src, &d.img) > 40);
  dm_decoded_free(&d);
  dm_decoded_free(&astro);
  free(exif);
}

static void test_orientations(dm_context *ctx, const char *dir, const dm_image *src) {
  const char *p = iot_path(dir, "plain.jpg");
  dm_write_options o = {.format = DM_FMT_JPEG, .quality = 90};
  CHECK_OK(ctx, dm_io_write(ctx, p, src, &o));
  size_t len;
  unsigned char *jpg = iot_slurp(ctx, p, &len);
  dm_decoded plain;
  CHECK_OK(ctx, dm_io_read_mem(ctx, jpg, len, "plain.jpg", &plain));
  for (int orient = 1; orient <= 8; orient++) {
    size_t exif_len, n;
    unsigned char *exif = iot_make_exif(orient, src->width, src->height, &exif_len);
    unsigned char *with = splice_exif(jpg, len, exif, exif_len, &n);
    dm_decoded d;
    CHECK_OK(ctx, dm_io_read_mem(ctx, with, n, "oriented.jpg", &d));
    int swap = orient >= 5;
    CHECK(d.meta.orientation == orient);
    CHECK(d.img.width == (swap ? plain.img.height : plain.img.width));
    CHECK(d.img.height == (swap ? plain.img.width : plain.img.height));
    long bad = 0;
    if (d.img.width == (swap ? plain.img.height : plain.img.width))
      for (int y = 0; y < d.img.height; y++)
        for (int x = 0; x < d.img.width; x++)
          bad += memcmp(dm_px(&d.img, x, y), iot_stored_px(&plain.img, orient, x, y), 3 * sizeof(float)) != 0;
    if (bad) fprintf(stderr, "orientation %d: %ld pixels differ\n", orient, bad);
    CHECK(bad == 0);
    dm_decoded_free(&d);
    free(with);
    free(exif);
  }
  dm_decoded_free(&plain);
  free(jpg);
}

static void test_progressive_and_cmyk(dm_context *ctx, const dm_image *src) {
  unsigned long len = 0;
  unsigned char *prog = encode_raw(src, 0, 1, &len);
  int is_prog = 0;
  is_444(prog, len, &is_prog);
  CHECK(is_prog);
  dm_decoded d;
  CHECK_OK(ctx, dm_io_read_mem(ctx, prog, len, "progressive.jpg", &d));
  CHECK(iot_psnr(src, &d.img) > 35);
  dm_decoded_free(&d);
  free(prog);
  unsigned char *cmyk = encode_raw(src, 1, 0, &len);
  dm_status s = dm_io_read_mem(ctx, cmyk, len, "cmyk.jpg", &d);
  CHECK(s == DM_ERR_FORMAT);
  CHECK(strstr(dm_context_error(ctx), "cmyk.jpg: CMYK JPEG not supported") != NULL);
  CHECK(d.img.data == NULL);
  free(cmyk);
}

static void test_grey(dm_context *ctx, const char *dir, const dm_image *src) {
  dm_image g = iot_grey(ctx, src);
  const char *p = iot_path(dir, "grey.jpg");
  dm_write_options o = {.format = DM_FMT_JPEG};
  CHECK_OK(ctx, dm_io_write(ctx, p, &g, &o));
  dm_decoded d;
  CHECK_OK(ctx, dm_io_read(ctx, p, &d));
  CHECK(d.img.channels == 1);
  CHECK(iot_psnr(&g, &d.img) > 40);
  dm_decoded_free(&d);
  dm_image_free(&g);
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  const char *dir = dm_test_tmpdir("io_jpeg");
  dm_decoded coffee;
  CHECK_OK(ctx, dm_io_read(ctx, dm_test_photo("coffee"), &coffee));
  test_real_jpeg(ctx);
  test_write_quality(ctx, dir, &coffee.img);
  test_icc_exif(ctx, dir, &coffee.img);
  test_orientations(ctx, dir, &coffee.img);
  test_progressive_and_cmyk(ctx, &coffee.img);
  test_grey(ctx, dir, &coffee.img);
  dm_decoded_free(&coffee);
  dm_context_free(ctx);
  return dm_test_done("io/test_jpeg");
}
