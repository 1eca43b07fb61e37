/* The PNG image data made on every thread (png_idat.c) against libpng's own
 * row writer: decoded by libpng, every sample is the same, for 8 and 16
 * bits, grey and RGB with and without alpha, 1x1, 1xN, Nx1 and odd sizes,
 * every filter and zlib strategy, chunks of many sizes; every chunk before
 * the image data (IHDR, iCCP with the photo's profile, eXIf, XMP) is the
 * same bytes, and only IEND follows it (libpng 1.6.39's png_write_end wrote
 * eXIf a second time after the image data, which its own reader then warns
 * of as a duplicate); every chunk's CRC holds; the bytes do not depend on
 * the thread count. Pixels are cut from a real photograph. */
#include <png.h>
#include <string.h>
#include <zlib.h>

#include "io/io_internal.h"
#include "io/png_idat.h"
#include "io_test_util.h"

typedef struct bytes {
  unsigned char *p;
  size_t n;
} bytes;

/* A w x h image of `ch` channels from the photo (tiled), alpha a gradient
 * crossed with the photo's green; 16-bit detail below the 8-bit grid, and a
 * few samples outside [0, 1] and NaN, which both writers must clamp alike. */
static dm_image make_case(dm_context *ctx, const dm_image *photo, int w, int h, int ch) {
  dm_image img;
  if (dm_image_alloc(ctx, &img, w, h, ch)) exit(1);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      const float *s = dm_px(photo, (x * 7 + y) % photo->width, (y * 3 + x / 5) % photo->height);
      float *d = dm_px(&img, x, y);
      float fine = (float)((x * 31 + y * 17) % 251) / (255.0f * 256.0f);
      float grey = (s[0] + s[1] + s[2]) / 3 + fine;
      float alpha = 0.5f * s[1] + 0.5f * (float)(x + y) / (float)(w + h);
      if (ch <= 2) d[0] = grey;
      else
        for (int c = 0; c < 3; c++) d[c] = s[c] + fine;
      if (ch == 2 || ch == 4) d[ch - 1] = alpha;
      if ((x * 13 + y * 7) % 97 == 0) d[0] = (x + y) % 2 ? 1.25f : -0.5f;
      if ((x * 11 + y * 5) % 211 == 0) d[ch - 1] = NAN;
    }
  return img;
}

static bytes write_with(dm_context *ctx, const char *path, const dm_image *img, const dm_write_options *o,
                        const dm_png_idat_options *zo) {
  FILE *f = fopen(path, "wb");
  CHECK(f != NULL);
  if (!f) return (bytes){0};
  CHECK_OK(ctx, dm_png_write_with(ctx, f, img, o, path, zo));
  CHECK(fclose(f) == 0);
  bytes b;
  b.p = iot_slurp(ctx, path, &b.n);
  return b;
}

typedef struct reader {
  const bytes *b;
  size_t pos;
} reader;

static void read_fn(png_structp png, png_bytep dst, size_t n) {
  reader *r = png_get_io_ptr(png);
  if (n > r->b->n - r->pos) png_error(png, "truncated");
  memcpy(dst, r->b->p + r->pos, n);
  r->pos += n;
}

/* Every sample as stored (no transform), row after row; NULL if libpng
 * refuses the file. *len: its size. */
static unsigned char *decode_raw(const bytes *b, size_t *len) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png_create_info_struct(png);
  unsigned char *volatile out = NULL;
  reader r = {b, 0};
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, NULL);
    free(out);
    return NULL;
  }
  png_set_read_fn(png, &r, read_fn);
  png_read_png(png, info, PNG_TRANSFORM_IDENTITY, NULL);
  png_bytepp rows = png_get_rows(png, info);
  size_t rb = png_get_rowbytes(png, info), h = png_get_image_height(png, info);
  out = malloc(rb * h);
  for (size_t y = 0; y < h; y++) memcpy(out + y * rb, rows[y], rb);
  *len = rb * h;
  png_destroy_read_struct(&png, &info, NULL);
  return out;
}

/* The chunks before the first IDAT, as stored (length, type, data, CRC),
 * checking every CRC on the way; *idats counts the IDATs, *after_idat the
 * chunks after the last (IEND included). */
static bytes header_chunks(const bytes *b, int *idats, int *after_idat) {
  bytes o = {malloc(b->n), 0};
  *idats = *after_idat = 0;
  size_t pos = 8;
  CHECK(b->n >= 8 && !memcmp(b->p, "\x89PNG\r\n\x1a\n", 8));
  while (pos + 12 <= b->n) {
    const unsigned char *c = b->p + pos;
    size_t len = (size_t)c[0] << 24 | (size_t)c[1] << 16 | (size_t)c[2] << 8 | c[3];
    if (pos + 12 + len > b->n) break;
    uLong crc = crc32(crc32(0, NULL, 0), c + 4, (uInt)(len + 4));
    const unsigned char *s = c + 8 + len;
    CHECK(crc == ((uLong)s[0] << 24 | (uLong)s[1] << 16 | (uLong)s[2] << 8 | s[3]));
    if (!memcmp(c + 4, "IDAT", 4))
      ++*idats, *after_idat = 0;
    else if (*idats)
      ++*after_idat;
    else
      memcpy(o.p + o.n, c, len + 12), o.n += len + 12;
    pos += len + 12;
  }
  CHECK(pos == b->n && !memcmp(b->p + b->n - 8, "IEND", 4));
  return o;
}

static int g_cases;

/* One image, one set of options: libpng's writer on one thread against the
 * parallel image data on 1, 2 and 3 threads. */
static void check_case(dm_context *const ctxs[3], const char *dir, const dm_image *img,
                       const dm_write_options *o, const dm_png_idat_options *zo) {
  const char *ps = iot_path(dir, "serial.png");
  bytes ser = write_with(ctxs[0], ps, img, o, NULL);
  bytes par[3];
  for (int t = 0; t < 3; t++) par[t] = write_with(ctxs[t], iot_path(dir, "parallel.png"), img, o, zo);
  size_t ns = 0, np = 0;
  unsigned char *ds = decode_raw(&ser, &ns), *dp = decode_raw(&par[0], &np);
  CHECK(ds && dp && ns == np);
  int same = ds && dp && ns == np && !memcmp(ds, dp, ns);
  CHECK(same);
  /* and both are the samples: the serial writer is checked too */
  size_t bps = (size_t)o->bits / 8, k = 0;
  long bad = 0;
  for (int y = 0; ds && y < img->height; y++)
    for (int i = 0; i < img->width * img->channels; i++, k += bps) {
      float v = dm_row(img, y)[i];
      unsigned want = o->bits == 8 ? dm_to_u8(v) : dm_to_u16(v);
      unsigned got = o->bits == 8 ? ds[k] : (unsigned)ds[k] << 8 | ds[k + 1];
      bad += k + bps <= ns && got != want;
    }
  CHECK(bad == 0);
  int is, ip, as, ap;
  bytes cs = header_chunks(&ser, &is, &as), cp = header_chunks(&par[0], &ip, &ap);
  CHECK(is >= 1 && ip >= 1 && ap == 1);
  CHECK(cs.n == cp.n && !memcmp(cs.p, cp.p, cs.n));
  for (int t = 1; t < 3; t++) CHECK(par[t].n == par[0].n && !memcmp(par[t].p, par[0].p, par[0].n));
  if (!same || bad)
    fprintf(stderr, "  case: %dx%d, %d channels, %d-bit, filter %d, level %d, strategy %d, chunk %zu\n",
            img->width, img->height, img->channels, o->bits, zo->filter, zo->level, zo->strategy,
            zo->chunk_bytes);
  free(ds), free(dp), free(cs.p), free(cp.p), free(ser.p);
  for (int t = 0; t < 3; t++) free(par[t].p);
  g_cases++;
}

int main(void) {
  dm_context *ctxs[3] = {dm_context_new(1), dm_context_new(2), dm_context_new(3)};
  dm_context *ctx = ctxs[1];
  const char *dir = dm_test_tmpdir("io_png_parallel");
  dm_decoded photo;
  CHECK_OK(ctx, dm_io_read(ctx, dm_test_photo("astronaut"), &photo));
  if (!photo.img.data) return dm_test_done("io/png_parallel");

  /* sizes, channels, bits with the default options and with small chunks */
  static const int sizes[][2] = {{1, 1}, {1, 300}, {300, 1}, {333, 517}, {517, 333}, {2, 3}};
  for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
    for (int ch = 1; ch <= 4; ch++)
      for (int bits = 8; bits <= 16; bits += 8) {
        dm_image img = make_case(ctx, &photo.img, sizes[si][0], sizes[si][1], ch);
        dm_write_options o = {.format = DM_FMT_PNG, .bits = bits};
        dm_png_idat_options zo;
        dm_png_idat_defaults(&zo, bits);
        check_case(ctxs, dir, &img, &o, &zo);
        /* many chunks, a dictionary across several (each chunk filters its
         * 32 KiB of dictionary again: small chunks on wide rows are slow) */
        int wide = sizes[si][0] > 300;
        zo.chunk_bytes = wide ? 9000 : 777;
        check_case(ctxs, dir, &img, &o, &zo);
        zo.chunk_bytes = 1; /* a row a chunk */
        if (!wide) check_case(ctxs, dir, &img, &o, &zo);
        dm_image_free(&img);
      }

  /* every filter and zlib strategy, on an odd width with small chunks */
  static const int strat[][2] = {{1, Z_FILTERED}, {3, Z_FILTERED}, {6, Z_DEFAULT_STRATEGY},
                                 {1, Z_RLE}, {1, Z_HUFFMAN_ONLY}, {9, Z_FILTERED}};
  for (int ch = 3; ch <= 4; ch++)
    for (int bits = 8; bits <= 16; bits += 8) {
      dm_image img = make_case(ctx, &photo.img, 171, 97, ch);
      dm_write_options o = {.format = DM_FMT_PNG, .bits = bits};
      for (int f = DM_PNG_FILTER_NONE; f <= DM_PNG_FILTER_ADAPTIVE; f++)
        for (size_t k = 0; k < sizeof strat / sizeof strat[0]; k++) {
          dm_png_idat_options zo;
          dm_png_idat_defaults(&zo, bits);
          zo.filter = (dm_png_filter)f, zo.level = strat[k][0], zo.strategy = strat[k][1];
          zo.chunk_bytes = 20000;
          check_case(ctxs, dir, &img, &o, &zo);
        }
      dm_image_free(&img);
    }

  /* several default-size chunks (a 1023 x 700 RGB 16-bit image is 4.3 MB),
   * with the photo's ICC profile, EXIF and XMP, which must come out as the
   * serial writer writes them */
  size_t exif_len;
  unsigned char *exif = iot_make_exif(1, 1023, 700, &exif_len);
  static const char xmp[] =
      "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">"
      "<rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" dc:format=\"image/png\"/>"
      "</rdf:RDF></x:xmpmeta>";
  CHECK(photo.meta.icc && photo.meta.icc_len > 0);
  for (int bits = 8; bits <= 16; bits += 8) {
    dm_image img = make_case(ctx, &photo.img, 1023, 700, 3);
    dm_write_options o = {.format = DM_FMT_PNG, .bits = bits, .icc = photo.meta.icc,
                          .icc_len = photo.meta.icc_len, .exif = exif, .exif_len = exif_len,
                          .xmp = (const unsigned char *)xmp, .xmp_len = sizeof xmp - 1};
    dm_png_idat_options zo;
    dm_png_idat_defaults(&zo, bits);
    check_case(ctxs, dir, &img, &o, &zo);
    /* and through dm_io_write: the metadata reads back */
    const char *p = iot_path(dir, "meta.png");
    CHECK_OK(ctx, dm_io_write(ctx, p, &img, &o));
    dm_decoded d;
    CHECK_OK(ctx, dm_io_read(ctx, p, &d));
    CHECK(d.meta.icc && d.meta.icc_len == photo.meta.icc_len &&
          !memcmp(d.meta.icc, photo.meta.icc, photo.meta.icc_len));
    CHECK(d.meta.exif && !strcmp(d.meta.camera, "Canon EOS 30D"));
    CHECK(d.meta.xmp && memmem(d.meta.xmp, d.meta.xmp_len, "image/png", 9));
    dm_decoded_free(&d);
    dm_image_free(&img);
  }
  free(exif);
  printf("%d cases\n", g_cases);
  dm_decoded_free(&photo);
  for (int t = 0; t < 3; t++) dm_context_free(ctxs[t]);
  return dm_test_done("io/png_parallel");
}
