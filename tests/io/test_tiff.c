/* TIFF: our writer (8/16-bit, float; none/LZW/deflate with the right
 * predictor; ICC) round-trips exactly within quantisation; layouts written
 * here with libtiff itself (tiles, separate planes, MinIsWhite, palette,
 * 1-bit, JPEG-in-TIFF, extra alpha, the Orientation tag) decode to the
 * samples they hold; CMYK is refused; a TIFF with a camera's Make/Model is
 * still an ordinary TIFF, not a raw. */
#include <string.h>
#include <tiffio.h>

#include "io_test_util.h"

typedef struct tspec {
  int bps, is_float, grey, separate, tile_w, tile_h, rows, compression, orientation, alpha;
  int photometric; /* 0 = RGB or MinIsBlack from `grey` */
  const char *make, *model;
} tspec;

/* Write `img` as a TIFF of the given layout with libtiff; returns the
 * image the file holds (stored orientation, quantised). */
static dm_image write_tiff_raw(dm_context *ctx, const char *path, const dm_image *img, const tspec *t) {
  TIFF *tif = TIFFOpen(path, "w");
  int ch = t->grey ? 1 : 3, spp = ch + (t->alpha ? 1 : 0);
  int pal = t->photometric == PHOTOMETRIC_PALETTE;
  if (pal) spp = 1;
  uint16_t photometric = t->photometric ? (uint16_t)t->photometric
                                        : (uint16_t)(t->grey ? PHOTOMETRIC_MINISBLACK : PHOTOMETRIC_RGB);
  TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, (uint32_t)img->width);
  TIFFSetField(tif, TIFFTAG_IMAGELENGTH, (uint32_t)img->height);
  TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, (uint16_t)spp);
  TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, (uint16_t)t->bps);
  TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, (uint16_t)(t->is_float ? SAMPLEFORMAT_IEEEFP : SAMPLEFORMAT_UINT));
  TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, photometric);
  TIFFSetField(tif, TIFFTAG_PLANARCONFIG, (uint16_t)(t->separate ? PLANARCONFIG_SEPARATE : PLANARCONFIG_CONTIG));
  TIFFSetField(tif, TIFFTAG_COMPRESSION, (uint16_t)(t->compression ? t->compression : COMPRESSION_NONE));
  if (t->compression == COMPRESSION_JPEG) {
    TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, (uint16_t)PHOTOMETRIC_YCBCR);
    TIFFSetField(tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
    TIFFSetField(tif, TIFFTAG_JPEGQUALITY, 92);
  }
  if (t->orientation) TIFFSetField(tif, TIFFTAG_ORIENTATION, (uint16_t)t->orientation);
  if (t->alpha) {
    uint16_t extra = EXTRASAMPLE_UNASSALPHA;
    TIFFSetField(tif, TIFFTAG_EXTRASAMPLES, (uint16_t)1, &extra);
  }
  if (t->make) TIFFSetField(tif, TIFFTAG_MAKE, t->make);
  if (t->model) TIFFSetField(tif, TIFFTAG_MODEL, t->model);
  uint16_t cmap[3][256];
  if (pal) {
    for (int i = 0; i < 256; i++) { /* a 8x8x4 colour cube */
      cmap[0][i] = (uint16_t)((i >> 5) * 65535 / 7);
      cmap[1][i] = (uint16_t)((i >> 2 & 7) * 65535 / 7);
      cmap[2][i] = (uint16_t)((i & 3) * 65535 / 3);
    }
    TIFFSetField(tif, TIFFTAG_COLORMAP, cmap[0], cmap[1], cmap[2]);
  }
  if (t->tile_w) {
    TIFFSetField(tif, TIFFTAG_TILEWIDTH, (uint32_t)t->tile_w);
    TIFFSetField(tif, TIFFTAG_TILELENGTH, (uint32_t)t->tile_h);
  } else {
    TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, (uint32_t)(t->rows ? t->rows : 16));
  }
  dm_image exp;
  dm_image_alloc(ctx, &exp, img->width, img->height, pal ? 3 : ch);
  /* Build the whole sample plane(s), then cut them into blocks. */
  int planes = t->separate ? spp : 1, per_px = t->separate ? 1 : spp;
  size_t bytes = (size_t)(t->bps >= 8 ? t->bps / 8 : 1);
  size_t row_bytes = t->bps == 1 ? ((size_t)img->width + 7) / 8 : (size_t)img->width * (size_t)per_px * bytes;
  unsigned char *plane = calloc(row_bytes * (size_t)img->height, (size_t)planes);
  for (int y = 0; y < img->height; y++)
    for (int x = 0; x < img->width; x++) {
      const float *p = dm_px(img, x, y);
      float *e = dm_px(&exp, x, y);
      float v[4] = {p[0], p[1], p[2], 0.25f};
      if (t->grey) v[0] = (p[0] + p[1] + p[2]) / 3, v[1] = 0.25f;
      if (pal) {
        int idx = ((int)(p[0] * 7 + 0.5f) << 5) | ((int)(p[1] * 7 + 0.5f) << 2) | (int)(p[2] * 3 + 0.5f);
        plane[(size_t)y * row_bytes + (size_t)x] = (unsigned char)idx;
        for (int c = 0; c < 3; c++) e[c] = (float)(cmap[c][idx] >> 8) / 255.0f;
        continue;
      }
      for (int c = 0; c < spp; c++) {
        size_t base = (size_t)(t->separate ? c : 0) * row_bytes * (size_t)img->height + (size_t)y * row_bytes;
        float stored = v[c];
        if (t->bps == 1) {
          int bit = v[c] > 0.5f;
          if (bit) plane[base + (size_t)x / 8] |= (unsigned char)(0x80 >> (x % 8));
          stored = (float)bit;
        } else {
          size_t at = base + ((size_t)x * (size_t)per_px + (size_t)(t->separate ? 0 : c)) * bytes;
          if (t->is_float) {
            memcpy(plane + at, &v[c], 4);
          } else if (t->bps == 16) {
            uint16_t q = (uint16_t)(v[c] * 65535 + 0.5f);
            memcpy(plane + at, &q, 2);
            stored = q / 65535.0f;
          } else {
            plane[at] = (unsigned char)(v[c] * 255 + 0.5f);
            stored = plane[at] / 255.0f;
          }
        }
        if (photometric == PHOTOMETRIC_MINISWHITE) stored = 1 - stored;
        if (c < ch) e[c] = stored;
      }
    }
  for (int s = 0; s < planes; s++) {
    const unsigned char *pl = plane + (size_t)s * row_bytes * (size_t)img->height;
    if (t->tile_w) {
      size_t tile_row = (size_t)t->tile_w * (size_t)per_px * bytes;
      unsigned char *tile = malloc(tile_row * (size_t)t->tile_h);
      for (int ty = 0; ty < img->height; ty += t->tile_h)
        for (int tx = 0; tx < img->width; tx += t->tile_w) {
          memset(tile, 0, tile_row * (size_t)t->tile_h);
          for (int r = 0; r < t->tile_h && ty + r < img->height; r++) {
            size_t n = (size_t)(img->width - tx < t->tile_w ? img->width - tx : t->tile_w) * (size_t)per_px * bytes;
            memcpy(tile + (size_t)r * tile_row, pl + (size_t)(ty + r) * row_bytes + (size_t)tx * (size_t)per_px * bytes, n);
          }
          TIFFWriteTile(tif, tile, (uint32_t)tx, (uint32_t)ty, 0, (uint16_t)s);
        }
      free(tile);
    } else {
      for (int y = 0; y < img->height; y++)
        TIFFWriteScanline(tif, (void *)(pl + (size_t)y * row_bytes), (uint32_t)y, (uint16_t)s);
    }
  }
  TIFFClose(tif);
  free(plane);
  return exp;
}

static void test_writer(dm_context *ctx, const char *dir, const dm_image *src8) {
  dm_decoded astro;
  CHECK_OK(ctx, dm_io_read(ctx, dm_test_photo("astronaut"), &astro));
  dm_image fine;
  dm_image_alloc(ctx, &fine, src8->width, src8->height, 3);
  for (int y = 0; y < fine.height; y++)
    for (int x = 0; x < fine.width * 3; x++) {
      unsigned k = (unsigned)(dm_row(src8, y)[x] * 255.0f + 0.5f) * 256 + (unsigned)((x * 37 + y * 11) & 255);
      dm_row(&fine, y)[x] = (float)(k > 65535 ? 65535 : k) / 65535.0f;
    }
  const struct { int bits; dm_compression comp; uint16_t tag, predictor; double tol; } cases[] = {
      {16, DM_COMPRESS_DEFAULT, COMPRESSION_NONE, 0, 1e-6},
      {16, DM_COMPRESS_LZW, COMPRESSION_LZW, PREDICTOR_HORIZONTAL, 1e-6},
      {16, DM_COMPRESS_DEFLATE, COMPRESSION_ADOBE_DEFLATE, PREDICTOR_HORIZONTAL, 1e-6},
      {32, DM_COMPRESS_DEFLATE, COMPRESSION_ADOBE_DEFLATE, PREDICTOR_FLOATINGPOINT, 0},
      {32, DM_COMPRESS_LZW, COMPRESSION_LZW, PREDICTOR_FLOATINGPOINT, 0},
      {8, DM_COMPRESS_LZW, COMPRESSION_LZW, PREDICTOR_HORIZONTAL, 0.5 / 255 + 1e-6},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *p = iot_path(dir, "out.tif");
    dm_write_options o = {.format = DM_FMT_TIFF, .bits = cases[i].bits, .compression = cases[i].comp,
                          .icc = astro.meta.icc, .icc_len = astro.meta.icc_len};
    CHECK_OK(ctx, dm_io_write(ctx, p, &fine, &o));
    TIFF *tif = TIFFOpen(p, "r");
    CHECK(tif != NULL);
    if (tif) {
      uint16_t comp = 0, pred = 0, bps = 0, fmt = 0;
      TIFFGetField(tif, TIFFTAG_COMPRESSION, &comp);
      if (cases[i].predictor) TIFFGetFieldDefaulted(tif, TIFFTAG_PREDICTOR, &pred);
      TIFFGetField(tif, TIFFTAG_BITSPERSAMPLE, &bps);
      TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &fmt);
      CHECK(comp == cases[i].tag && bps == cases[i].bits);
      CHECK(!cases[i].predictor || pred == cases[i].predictor);
      CHECK(fmt == (cases[i].bits == 32 ? SAMPLEFORMAT_IEEEFP : SAMPLEFORMAT_UINT));
      TIFFClose(tif);
    }
    dm_decoded d;
    CHECK_OK(ctx, dm_io_read(ctx, p, &d));
    CHECK(d.meta.format == DM_FMT_TIFF && d.meta.bits == cases[i].bits && d.meta.orientation == 1);
    CHECK(d.meta.icc && d.meta.icc_len == astro.meta.icc_len && !memcmp(d.meta.icc, astro.meta.icc, d.meta.icc_len));
    double mean, mx;
    dm_test_image_diff(&fine, &d.img, &mean, &mx);
    if (mx > cases[i].tol) fprintf(stderr, "TIFF case %zu: max diff %g\n", i, mx);
    CHECK(mx <= cases[i].tol);
    dm_decoded_free(&d);
  }
  /* Compression pays on a photo: the 8-bit photo as 16-bit data. */
  size_t size[3];
  for (int c = 0; c < 3; c++) {
    const char *p = iot_path(dir, "size.tif");
    dm_write_options o = {.format = DM_FMT_TIFF, .bits = 16, .compression = (dm_compression)(c + 1)};
    CHECK_OK(ctx, dm_io_write(ctx, p, src8, &o));
    free(iot_slurp(ctx, p, &size[c]));
  }
  printf("tiff 16-bit sizes: none %zu, lzw %zu, deflate %zu\n", size[0], size[1], size[2]);
  CHECK(size[0] >= (size_t)src8->width * src8->height * 6);
  CHECK(size[1] < size[0] * 3 / 4 && size[2] < size[0] * 3 / 4);
  /* Out-of-range samples are clamped, also in float. */
  dm_image hdr;
  dm_image_copy(ctx, &hdr, src8);
  dm_px(&hdr, 0, 0)[0] = 3.5f;
  dm_px(&hdr, 1, 0)[1] = -0.5f;
  dm_px(&hdr, 2, 0)[2] = NAN;
  const char *p = iot_path(dir, "clamp.tif");
  dm_write_options o = {.format = DM_FMT_TIFF, .bits = 32};
  CHECK_OK(ctx, dm_io_write(ctx, p, &hdr, &o));
  dm_decoded d;
  CHECK_OK(ctx, dm_io_read(ctx, p, &d));
  if (!d.img.data) dm_image_alloc_zero(ctx, &d.img, 3, 1, 3);
  CHECK(dm_px(&d.img, 0, 0)[0] == 1.0f && dm_px(&d.img, 1, 0)[1] == 0.0f && dm_px(&d.img, 2, 0)[2] == 0.0f);
  CHECK(dm_px(&d.img, 0, 0)[1] == dm_px(src8, 0, 0)[1]);
  dm_decoded_free(&d);
  dm_image_free(&hdr);
  dm_image_free(&fine);
  dm_decoded_free(&astro);
}

static void test_layouts(dm_context *ctx, const char *dir, const dm_image *src) {
  const struct { tspec t; double tol; int bits; } cases[] = {
      {{.bps = 16, .tile_w = 64, .tile_h = 48}, 1e-6, 16},
      {{.bps = 8, .separate = 1, .rows = 7, .compression = COMPRESSION_LZW}, 1e-6, 8},
      {{.bps = 32, .is_float = 1, .separate = 1, .tile_w = 32, .tile_h = 32, .compression = COMPRESSION_ADOBE_DEFLATE}, 0, 32},
      {{.bps = 8, .grey = 1, .photometric = PHOTOMETRIC_MINISWHITE}, 1e-6, 8},
      {{.bps = 16, .alpha = 1, .compression = COMPRESSION_PACKBITS}, 1e-6, 16},
      {{.bps = 16, .grey = 1, .alpha = 1, .separate = 1}, 1e-6, 16},
      {{.bps = 8, .photometric = PHOTOMETRIC_PALETTE}, 1e-6, 8},
      {{.bps = 1, .grey = 1, .compression = COMPRESSION_CCITTFAX4}, 1e-6, 8},
      {{.bps = 8, .compression = COMPRESSION_JPEG, .rows = 16}, -35, 8}, /* PSNR > 35 dB */
      {{.bps = 16, .make = "Canon", .model = "Canon EOS 30D"}, 1e-6, 16},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *p = iot_path(dir, "layout.tif");
    dm_image exp = write_tiff_raw(ctx, p, src, &cases[i].t);
    dm_decoded d;
    CHECK_OK(ctx, dm_io_read(ctx, p, &d));
    CHECK(d.meta.format == DM_FMT_TIFF && d.meta.bits == cases[i].bits);
    if (cases[i].tol < 0) {
      double psnr = iot_psnr(&exp, &d.img);
      if (!(psnr > -cases[i].tol)) fprintf(stderr, "TIFF layout %zu: PSNR %.2f\n", i, psnr);
      CHECK(psnr > -cases[i].tol);
    } else {
      double mean, mx;
      dm_test_image_diff(&exp, &d.img, &mean, &mx);
      if (mx > cases[i].tol) fprintf(stderr, "TIFF layout %zu: max diff %g\n", i, mx);
      CHECK(mx <= cases[i].tol);
    }
    if (cases[i].t.make) CHECK(!strcmp(d.meta.camera, "Canon EOS 30D"));
    dm_decoded_free(&d);
    dm_image_free(&exp);
  }
}

static void test_orientation_and_cmyk(dm_context *ctx, const char *dir, const dm_image *src) {
  for (int o = 5; o <= 8; o += 3) {
    const char *p = iot_path(dir, "oriented.tif");
    tspec t = {.bps = 16, .orientation = o};
    dm_image stored = write_tiff_raw(ctx, p, src, &t);
    dm_decoded d;
    CHECK_OK(ctx, dm_io_read(ctx, p, &d));
    CHECK(d.meta.orientation == o && d.img.width == src->height && d.img.height == src->width);
    long bad = 0;
    if (d.img.width == src->height)
      for (int y = 0; y < d.img.height; y++)
        for (int x = 0; x < d.img.width; x++)
          for (int c = 0; c < 3; c++)
            bad += fabsf(dm_px(&d.img, x, y)[c] - iot_stored_px(&stored, o, x, y)[c]) > 1e-6f;
    CHECK(bad == 0);
    dm_decoded_free(&d);
    dm_image_free(&stored);
  }
  const char *p = iot_path(dir, "cmyk.tif");
  TIFF *tif = TIFFOpen(p, "w");
  unsigned char row[4 * 16] = {0};
  TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, 16u);
  TIFFSetField(tif, TIFFTAG_IMAGELENGTH, 4u);
  TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, (uint16_t)4);
  TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, (uint16_t)8);
  TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, (uint16_t)PHOTOMETRIC_SEPARATED);
  TIFFSetField(tif, TIFFTAG_PLANARCONFIG, (uint16_t)PLANARCONFIG_CONTIG);
  for (uint32_t y = 0; y < 4; y++) TIFFWriteScanline(tif, row, y, 0);
  TIFFClose(tif);
  dm_decoded d;
  CHECK(dm_io_read(ctx, p, &d) == DM_ERR_FORMAT);
  CHECK(strstr(dm_context_error(ctx), "cmyk.tif: CMYK TIFF not supported") != NULL);
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  const char *dir = dm_test_tmpdir("io_tiff");
  dm_decoded chelsea;
  CHECK_OK(ctx, dm_io_read(ctx, dm_test_photo("chelsea"), &chelsea));
  test_writer(ctx, dir, &chelsea.img);
  test_layouts(ctx, dir, &chelsea.img);
  test_orientation_and_cmyk(ctx, dir, &chelsea.img);
  dm_decoded_free(&chelsea);
  dm_context_free(ctx);
  return dm_test_done("io/test_tiff");
}
