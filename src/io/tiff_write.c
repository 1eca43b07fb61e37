/* TIFF writing through libtiff onto the atomic writer's FILE *: 8/16-bit
 * unsigned or 32-bit float, grey or RGB, contiguous strips, ICC tag,
 * compression none (the default, as Lightroom exports), LZW or deflate with
 * the horizontal predictor (2) for integers and the floating-point one (3)
 * for floats. XMP (tag 700) and IPTC (tag 33723) are carried; EXIF is not
 * (it would need an EXIF IFD). */
#include <stdlib.h>
#include <string.h>

#include "io/io_internal.h"
#include "io/tiff_io.h"

/* Strips of about this many bytes: big enough for good compression, small
 * enough that readers can stream. */
#define STRIP_BYTES (256u << 10)
/* Classic TIFF offsets are 32-bit; switch to BigTIFF well before 4 GiB. */
#define BIGTIFF_FROM ((uint64_t)3 << 30)

static void fill_row(const float *src, size_t n, int bits, unsigned char *dst) {
  if (bits == 8) {
    for (size_t i = 0; i < n; i++) dst[i] = dm_to_u8(src[i]);
  } else if (bits == 16) {
    for (size_t i = 0; i < n; i++) {
      uint16_t v = dm_to_u16(src[i]);
      memcpy(dst + 2 * i, &v, 2); /* native order: libtiff records it */
    }
  } else {
    /* Float too is clamped to [0, 1], as io.h promises for every encoder. */
    for (size_t i = 0; i < n; i++) {
      float v = src[i] > 0.0f ? (src[i] < 1.0f ? src[i] : 1.0f) : 0.0f;
      memcpy(dst + 4 * i, &v, 4);
    }
  }
}

/* The IPTC tag, padded to whole LONGs as Photoshop writes it (libtiff 4.5
 * counts it in bytes, older ones in LONGs). 0 when libtiff refuses it. */
static int set_iptc(TIFF *tif, const unsigned char *iptc, size_t len) {
  const TIFFField *f = TIFFFieldWithTag(tif, TIFFTAG_RICHTIFFIPTC);
  int unit = f ? TIFFFieldSetGetSize(f) : 0;
  if ((unit != 1 && unit != 4) || len > UINT32_MAX - 3) return 0;
  size_t padded = (len + 3) / 4 * 4;
  unsigned char *b = padded == len ? NULL : calloc(1, padded);
  if (padded != len && !b) return 0;
  if (b) memcpy(b, iptc, len);
  int ok = TIFFSetField(tif, TIFFTAG_RICHTIFFIPTC, (uint32_t)(padded / (size_t)unit), b ? b : iptc);
  free(b);
  return ok;
}

static int set_tags(TIFF *tif, const dm_image *img, const dm_write_options *opt, uint32_t rows) {
  int is_float = opt->bits == 32;
  uint16_t comp = opt->compression == DM_COMPRESS_LZW       ? COMPRESSION_LZW
                  : opt->compression == DM_COMPRESS_DEFLATE ? COMPRESSION_ADOBE_DEFLATE
                                                            : COMPRESSION_NONE;
  int ok = TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, (uint32_t)img->width) &&
           TIFFSetField(tif, TIFFTAG_IMAGELENGTH, (uint32_t)img->height) &&
           TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, (uint16_t)img->channels) &&
           TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, (uint16_t)opt->bits) &&
           TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT,
                        (uint16_t)(is_float ? SAMPLEFORMAT_IEEEFP : SAMPLEFORMAT_UINT)) &&
           TIFFSetField(tif, TIFFTAG_PHOTOMETRIC,
                        (uint16_t)(img->channels == 1 ? PHOTOMETRIC_MINISBLACK : PHOTOMETRIC_RGB)) &&
           TIFFSetField(tif, TIFFTAG_PLANARCONFIG, (uint16_t)PLANARCONFIG_CONTIG) &&
           TIFFSetField(tif, TIFFTAG_ORIENTATION, (uint16_t)ORIENTATION_TOPLEFT) &&
           TIFFSetField(tif, TIFFTAG_COMPRESSION, comp) &&
           TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, rows) &&
           TIFFSetField(tif, TIFFTAG_SOFTWARE, "depthmask") &&
           /* Baseline TIFF wants a resolution; 240 ppi is Lightroom's default. */
           TIFFSetField(tif, TIFFTAG_XRESOLUTION, 240.0) &&
           TIFFSetField(tif, TIFFTAG_YRESOLUTION, 240.0) &&
           TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, (uint16_t)RESUNIT_INCH);
  if (ok && comp != COMPRESSION_NONE)
    ok = TIFFSetField(tif, TIFFTAG_PREDICTOR,
                      (uint16_t)(is_float ? PREDICTOR_FLOATINGPOINT : PREDICTOR_HORIZONTAL));
  if (ok && opt->icc && opt->icc_len)
    ok = opt->icc_len <= UINT32_MAX &&
         TIFFSetField(tif, TIFFTAG_ICCPROFILE, (uint32_t)opt->icc_len, opt->icc);
  if (ok && opt->xmp && opt->xmp_len)
    ok = opt->xmp_len <= UINT32_MAX &&
         TIFFSetField(tif, TIFFTAG_XMLPACKET, (uint32_t)opt->xmp_len, opt->xmp);
  if (ok && opt->iptc && opt->iptc_len) ok = set_iptc(tif, opt->iptc, opt->iptc_len);
  return ok;
}

dm_status dm_tiff_write(dm_context *ctx, FILE *fp, const dm_image *img, const dm_write_options *opt,
                        const char *name) {
  size_t row_bytes = (size_t)img->width * (size_t)img->channels * (size_t)(opt->bits / 8);
  uint32_t rows = (uint32_t)(STRIP_BYTES / row_bytes);
  if (rows < 1) rows = 1;
  if (rows > (uint32_t)img->height) rows = (uint32_t)img->height;
  int big = (uint64_t)row_bytes * (uint64_t)img->height > BIGTIFF_FROM;
  dm_tiff_client c;
  TIFF *tif = dm_tiff_open_file(&c, fp, name, big ? "w8" : "w");
  if (!tif) return dm_fail(ctx, DM_ERR_IO, name, "cannot write TIFF: %s", c.error);
  unsigned char *strip = malloc(row_bytes * rows);
  dm_status s = DM_OK;
  if (!strip)
    s = dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory");
  else if (!set_tags(tif, img, opt, rows))
    s = dm_fail(ctx, DM_ERR_PARAM, name, "cannot write TIFF: %s", c.error[0] ? c.error : "bad tags");
  for (uint32_t y = 0; !s && y < (uint32_t)img->height; y += rows) {
    uint32_t n = (uint32_t)img->height - y < rows ? (uint32_t)img->height - y : rows;
    for (uint32_t r = 0; r < n; r++)
      fill_row(dm_row(img, (int)(y + r)), (size_t)img->width * (size_t)img->channels, opt->bits,
               strip + (size_t)r * row_bytes);
    if (TIFFWriteEncodedStrip(tif, y / rows, strip, (tmsize_t)(row_bytes * n)) < 0)
      s = dm_fail(ctx, DM_ERR_IO, name, "cannot write TIFF: %s", c.error[0] ? c.error : "write failed");
    else if (dm_cancelled(ctx))
      s = dm_fail(ctx, DM_ERR_CANCELLED, name, "cancelled");
  }
  /* TIFFClose cannot report a failure, TIFFFlush (which writes the
   * directory) can. */
  if (!s && !TIFFFlush(tif))
    s = dm_fail(ctx, DM_ERR_IO, name, "cannot write TIFF: %s", c.error[0] ? c.error : "write failed");
  TIFFClose(tif);
  free(strip);
  return s;
}
