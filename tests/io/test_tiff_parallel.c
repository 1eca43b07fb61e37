/* TIFF strips filled and compressed on every thread (tiff_write.c) against
 * the one-thread writer (strip after strip through TIFFWriteEncodedStrip):
 * the files are the same bytes, on 1, 2 and 3 threads, for 8/16-bit and
 * float, no compression, LZW and deflate, 1 to 4 channels (alpha last),
 * 1x1, 1xN, Nx1, odd sizes and images of more strips than one group, with
 * the photo's ICC profile, XMP and IPTC; libtiff reads them back to the
 * quantised samples. Pixels are cut from a real photograph. */
#include <string.h>

#include "io/io_internal.h"
#include "io_test_util.h"

typedef dm_status (*writer_fn)(dm_context *, FILE *, const dm_image *, const dm_write_options *, const char *);

/* As in test_png_parallel: the photo tiled, an alpha, sub-8-bit detail and
 * a few samples outside [0, 1] or NaN. */
static dm_image make_case(dm_context *ctx, const dm_image *photo, int w, int h, int ch) {
  dm_image img;
  if (dm_image_alloc(ctx, &img, w, h, ch)) exit(1);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      const float *s = dm_px(photo, (x * 7 + y) % photo->width, (y * 3 + x / 5) % photo->height);
      float *d = dm_px(&img, x, y);
      float fine = (float)((x * 31 + y * 17) % 251) / (255.0f * 256.0f);
      if (ch <= 2) d[0] = (s[0] + s[1] + s[2]) / 3 + fine;
      else
        for (int c = 0; c < 3; c++) d[c] = s[c] + fine;
      if (ch == 2 || ch == 4) d[ch - 1] = 0.5f * s[1] + 0.5f * (float)(x + y) / (float)(w + h);
      if ((x * 13 + y * 7) % 97 == 0) d[0] = (x + y) % 2 ? 1.25f : -0.5f;
      if ((x * 11 + y * 5) % 211 == 0) d[ch - 1] = NAN;
    }
  return img;
}

static unsigned char *write_with(dm_context *ctx, writer_fn fn, const char *path, const dm_image *img,
                                 const dm_write_options *o, size_t *len) {
  FILE *f = fopen(path, "wb");
  CHECK(f != NULL);
  if (!f) return NULL;
  CHECK_OK(ctx, fn(ctx, f, img, o, path));
  CHECK(fclose(f) == 0);
  return iot_slurp(ctx, path, len);
}

static int g_cases;

static void check_case(dm_context *const ctxs[3], const char *dir, const dm_image *img,
                       const dm_write_options *o) {
  size_t ns, np[3];
  unsigned char *ser = write_with(ctxs[0], dm_tiff_write_serial, iot_path(dir, "serial.tif"), img, o, &ns);
  unsigned char *par[3];
  const char *pp = iot_path(dir, "parallel.tif");
  for (int t = 0; t < 3; t++) par[t] = write_with(ctxs[t], dm_tiff_write, pp, img, o, &np[t]);
  int same = 1;
  for (int t = 0; t < 3; t++) same &= ser && par[t] && np[t] == ns && !memcmp(par[t], ser, ns);
  CHECK(same);
  if (!same)
    fprintf(stderr, "  case: %dx%d, %d channels, %d-bit, compression %d\n", img->width, img->height,
            img->channels, o->bits, (int)o->compression);
  /* libtiff reads it back (alpha dropped) to the quantised samples */
  dm_decoded d;
  CHECK_OK(ctxs[1], dm_io_read(ctxs[1], pp, &d));
  int cc = img->channels >= 3 ? 3 : 1;
  CHECK(d.img.width == img->width && d.img.height == img->height && d.img.channels == cc);
  long bad = 0;
  for (int y = 0; d.img.data && y < img->height; y++)
    for (int x = 0; x < img->width; x++)
      for (int c = 0; c < cc; c++) {
        float v = dm_px(img, x, y)[c], got = dm_px(&d.img, x, y)[c];
        float want = o->bits == 8    ? dm_to_u8(v) / 255.0f
                     : o->bits == 16 ? dm_to_u16(v) / 65535.0f
                                     : (v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f);
        bad += fabsf(got - want) > 1e-6f;
      }
  CHECK(bad == 0);
  dm_decoded_free(&d);
  free(ser);
  for (int t = 0; t < 3; t++) free(par[t]);
  g_cases++;
}

int main(void) {
  dm_context *ctxs[3] = {dm_context_new(1), dm_context_new(2), dm_context_new(3)};
  dm_context *ctx = ctxs[1];
  const char *dir = dm_test_tmpdir("io_tiff_parallel");
  dm_decoded photo;
  CHECK_OK(ctx, dm_io_read(ctx, dm_test_photo("astronaut"), &photo));
  if (!photo.img.data) return dm_test_done("io/tiff_parallel");
  static const unsigned char iptc[] = {0x1c, 0x02, 0x00, 0x00, 0x02, 0x00, 0x04,
                                       0x1c, 0x02, 0x05, 0x00, 0x03, 'c',  'a', 't'};
  static const char xmp[] = "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"/>";
  static const int sizes[][2] = {{1, 1}, {1, 300}, {300, 1}, {333, 517}, {2, 3}};
  static const dm_compression comp[] = {DM_COMPRESS_DEFAULT, DM_COMPRESS_NONE, DM_COMPRESS_LZW,
                                        DM_COMPRESS_DEFLATE};
  for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
    for (int ch = 1; ch <= 4; ch++) {
      dm_image img = make_case(ctx, &photo.img, sizes[si][0], sizes[si][1], ch);
      for (int bits = 8; bits <= 32; bits *= 2)
        for (size_t k = 0; k < sizeof comp / sizeof comp[0]; k++) {
          dm_write_options o = {.format = DM_FMT_TIFF, .bits = bits, .compression = comp[k]};
          if (si == 3) {
            o.icc = photo.meta.icc, o.icc_len = photo.meta.icc_len;
            o.xmp = (const unsigned char *)xmp, o.xmp_len = sizeof xmp - 1;
            o.iptc = iptc, o.iptc_len = sizeof iptc;
          }
          check_case(ctxs, dir, &img, &o);
        }
      dm_image_free(&img);
    }
  /* more strips than a group of 16 (256 KiB strips): 1100 x 700 RGB is
   * 2.3 MB at 8 bits, 4.6 MB at 16, 9.2 MB as float */
  dm_image big = make_case(ctx, &photo.img, 1100, 700, 3);
  for (int bits = 16; bits <= 32; bits *= 2)
    for (size_t k = 1; k < sizeof comp / sizeof comp[0]; k++) {
      dm_write_options o = {.format = DM_FMT_TIFF, .bits = bits, .compression = comp[k],
                            .icc = photo.meta.icc, .icc_len = photo.meta.icc_len};
      check_case(ctxs, dir, &big, &o);
    }
  dm_image_free(&big);
  printf("%d cases\n", g_cases);
  dm_decoded_free(&photo);
  for (int t = 0; t < 3; t++) dm_context_free(ctxs[t]);
  return dm_test_done("io/tiff_parallel");
}
