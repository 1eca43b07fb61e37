/* TIFF writing through libtiff onto the atomic writer's FILE *: 8/16-bit
 * unsigned or 32-bit float, grey or RGB, contiguous strips, ICC tag,
 * compression none (the default, as Lightroom exports), LZW or deflate with
 * the horizontal predictor (2) for integers and the floating-point one (3)
 * for floats. XMP (tag 700) and IPTC (tag 33723) are carried; EXIF is not
 * (it would need an EXIF IFD).
 *
 * Strips are filled and compressed on every thread, a group at a time: each
 * strip by libtiff itself (a strip-sized TIFF in memory with the same
 * tags), so its bytes are those TIFFWriteEncodedStrip would write, and the
 * main file takes them in order with TIFFWriteRawStrip: the file is byte for
 * byte the one-thread writer's (dm_tiff_write_serial). */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
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

static uint16_t compression(const dm_write_options *opt) {
  return opt->compression == DM_COMPRESS_LZW       ? COMPRESSION_LZW
         : opt->compression == DM_COMPRESS_DEFLATE ? COMPRESSION_ADOBE_DEFLATE
                                                   : COMPRESSION_NONE;
}

/* Every tag; without the metadata when `meta` is 0 (the strip encoders). */
static int set_tags(TIFF *tif, const dm_image *img, const dm_write_options *opt, uint32_t rows, int meta) {
  int is_float = opt->bits == 32;
  uint16_t comp = compression(opt);
  int ok = TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, (uint32_t)img->width) &&
           TIFFSetField(tif, TIFFTAG_IMAGELENGTH, (uint32_t)img->height) &&
           TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, (uint16_t)img->channels) &&
           TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, (uint16_t)opt->bits) &&
           TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT,
                        (uint16_t)(is_float ? SAMPLEFORMAT_IEEEFP : SAMPLEFORMAT_UINT)) &&
           TIFFSetField(tif, TIFFTAG_PHOTOMETRIC,
                        (uint16_t)(img->channels <= 2 ? PHOTOMETRIC_MINISBLACK : PHOTOMETRIC_RGB)) &&
           TIFFSetField(tif, TIFFTAG_PLANARCONFIG, (uint16_t)PLANARCONFIG_CONTIG) &&
           TIFFSetField(tif, TIFFTAG_ORIENTATION, (uint16_t)ORIENTATION_TOPLEFT) &&
           TIFFSetField(tif, TIFFTAG_COMPRESSION, comp) &&
           TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, rows) &&
           TIFFSetField(tif, TIFFTAG_SOFTWARE, "depthmask") &&
           /* Baseline TIFF wants a resolution; 240 ppi is Lightroom's default. */
           TIFFSetField(tif, TIFFTAG_XRESOLUTION, 240.0) &&
           TIFFSetField(tif, TIFFTAG_YRESOLUTION, 240.0) &&
           TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, (uint16_t)RESUNIT_INCH);
  if (ok && (img->channels == 2 || img->channels == 4)) {
    uint16_t extra = EXTRASAMPLE_UNASSALPHA;
    ok = TIFFSetField(tif, TIFFTAG_EXTRASAMPLES, (uint16_t)1, &extra);
  }
  if (ok && comp != COMPRESSION_NONE)
    ok = TIFFSetField(tif, TIFFTAG_PREDICTOR,
                      (uint16_t)(is_float ? PREDICTOR_FLOATINGPOINT : PREDICTOR_HORIZONTAL));
  if (!meta) return ok;
  if (ok && opt->icc && opt->icc_len)
    ok = opt->icc_len <= UINT32_MAX &&
         TIFFSetField(tif, TIFFTAG_ICCPROFILE, (uint32_t)opt->icc_len, opt->icc);
  if (ok && opt->xmp && opt->xmp_len)
    ok = opt->xmp_len <= UINT32_MAX &&
         TIFFSetField(tif, TIFFTAG_XMLPACKET, (uint32_t)opt->xmp_len, opt->xmp);
  if (ok && opt->iptc && opt->iptc_len) ok = set_iptc(tif, opt->iptc, opt->iptc_len);
  return ok;
}

typedef struct strip_job {
  const dm_image *img;
  const dm_write_options *opt;
  size_t row_bytes;
  uint32_t rows, first;   /* rows a strip; the group's first strip */
  unsigned char **piece;  /* a strip's bytes as stored, cap[i] allocated */
  size_t *len, *cap;
  atomic_int failed;
  char error[512];
  atomic_flag error_taken;
} strip_job;

static void strip_fail(strip_job *j, const char *msg) {
  if (!atomic_flag_test_and_set(&j->error_taken)) snprintf(j->error, sizeof j->error, "%s", msg);
  atomic_store(&j->failed, 1);
}

/* Room for n bytes in piece i. */
static int reserve(strip_job *j, size_t i, size_t n) {
  if (j->cap[i] >= n) return 1;
  unsigned char *b = realloc(j->piece[i], n);
  if (!b) return 0;
  j->piece[i] = b, j->cap[i] = n;
  return 1;
}

/* Strip `first + i` filled and, when compressed, encoded by libtiff into a
 * TIFF in memory, whose one written strip is then copied out. */
static void encode_strips(void *user, size_t i0, size_t i1) {
  strip_job *j = user;
  const dm_image *img = j->img;
  for (size_t i = i0; i < i1 && !atomic_load(&j->failed); i++) {
    uint32_t y = (j->first + (uint32_t)i) * j->rows, h = (uint32_t)img->height;
    uint32_t n = h - y < j->rows ? h - y : j->rows;
    size_t bytes = j->row_bytes * n;
    if (!reserve(j, i, bytes)) {
      strip_fail(j, "out of memory");
      return;
    }
    for (uint32_t r = 0; r < n; r++)
      fill_row(dm_row(img, (int)(y + r)), (size_t)img->width * (size_t)img->channels, j->opt->bits,
               j->piece[i] + (size_t)r * j->row_bytes);
    j->len[i] = bytes;
    if (compression(j->opt) == COMPRESSION_NONE) continue;
    dm_tiff_client c;
    TIFF *tif = dm_tiff_open_buffer(&c, "strip");
    uint64_t *off = NULL, *cnt = NULL;
    uint32_t strip = y / j->rows;
    int ok = tif && set_tags(tif, img, j->opt, j->rows, 0) &&
             TIFFWriteEncodedStrip(tif, strip, j->piece[i], (tmsize_t)bytes) >= 0 &&
             TIFFGetField(tif, TIFFTAG_STRIPOFFSETS, &off) && TIFFGetField(tif, TIFFTAG_STRIPBYTECOUNTS, &cnt) &&
             off && cnt && off[strip] + cnt[strip] <= c.len && reserve(j, i, cnt[strip]);
    if (ok) {
      memcpy(j->piece[i], c.buf + off[strip], cnt[strip]);
      j->len[i] = cnt[strip];
    } else {
      strip_fail(j, c.error[0] ? c.error : "strip encoding failed");
    }
    if (tif) TIFFCleanup(tif);
    free(c.buf);
  }
}

/* Strips a group: enough for two threads to share; the buffers are reused
 * group after group, so the whole image is never held twice. */
#define GROUP 16

static dm_status write_strips(dm_context *ctx, TIFF *tif, dm_tiff_client *c, const dm_image *img,
                              const dm_write_options *opt, size_t row_bytes, uint32_t rows,
                              const char *name) {
  strip_job j = {.img = img, .opt = opt, .row_bytes = row_bytes, .rows = rows};
  unsigned char *piece[GROUP] = {0};
  size_t len[GROUP], cap[GROUP] = {0};
  j.piece = piece, j.len = len, j.cap = cap;
  atomic_init(&j.failed, 0);
  atomic_flag_clear(&j.error_taken);
  uint32_t strips = ((uint32_t)img->height + rows - 1) / rows;
  dm_status s = DM_OK;
  for (uint32_t g = 0; !s && g < strips; g += GROUP) {
    size_t n = strips - g < GROUP ? strips - g : GROUP;
    j.first = g;
    dm_parallel_runs(ctx, n, n, encode_strips, &j);
    if (atomic_load(&j.failed)) {
      s = dm_fail(ctx, strcmp(j.error, "out of memory") ? DM_ERR_PARAM : DM_ERR_NOMEM, name,
                  "cannot write TIFF: %s", j.error);
      break;
    }
    for (size_t i = 0; !s && i < n; i++)
      if (TIFFWriteRawStrip(tif, g + (uint32_t)i, piece[i], (tmsize_t)len[i]) < 0)
        s = dm_fail(ctx, DM_ERR_IO, name, "cannot write TIFF: %s", c->error[0] ? c->error : "write failed");
    if (!s && dm_cancelled(ctx)) s = dm_fail(ctx, DM_ERR_CANCELLED, name, "cancelled");
  }
  for (int i = 0; i < GROUP; i++) free(piece[i]);
  return s;
}

/* One strip after the other through TIFFWriteEncodedStrip. */
static dm_status write_strips_serial(dm_context *ctx, TIFF *tif, dm_tiff_client *c, const dm_image *img,
                                     const dm_write_options *opt, size_t row_bytes, uint32_t rows,
                                     const char *name) {
  unsigned char *strip = malloc(row_bytes * rows);
  if (!strip) return dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory");
  dm_status s = DM_OK;
  for (uint32_t y = 0; !s && y < (uint32_t)img->height; y += rows) {
    uint32_t n = (uint32_t)img->height - y < rows ? (uint32_t)img->height - y : rows;
    for (uint32_t r = 0; r < n; r++)
      fill_row(dm_row(img, (int)(y + r)), (size_t)img->width * (size_t)img->channels, opt->bits,
               strip + (size_t)r * row_bytes);
    if (TIFFWriteEncodedStrip(tif, y / rows, strip, (tmsize_t)(row_bytes * n)) < 0)
      s = dm_fail(ctx, DM_ERR_IO, name, "cannot write TIFF: %s", c->error[0] ? c->error : "write failed");
    else if (dm_cancelled(ctx))
      s = dm_fail(ctx, DM_ERR_CANCELLED, name, "cancelled");
  }
  free(strip);
  return s;
}

static dm_status tiff_write(dm_context *ctx, FILE *fp, const dm_image *img, const dm_write_options *opt,
                            const char *name, int serial) {
  if (img->channels < 1 || img->channels > 4)
    return dm_fail(ctx, DM_ERR_PARAM, name, "cannot write a %d-channel TIFF", img->channels);
  size_t row_bytes = (size_t)img->width * (size_t)img->channels * (size_t)(opt->bits / 8);
  uint32_t rows = (uint32_t)(STRIP_BYTES / row_bytes);
  if (rows < 1) rows = 1;
  if (rows > (uint32_t)img->height) rows = (uint32_t)img->height;
  int big = (uint64_t)row_bytes * (uint64_t)img->height > BIGTIFF_FROM;
  dm_tiff_client c;
  TIFF *tif = dm_tiff_open_file(&c, fp, name, big ? "w8" : "w");
  if (!tif) return dm_fail(ctx, DM_ERR_IO, name, "cannot write TIFF: %s", c.error);
  dm_status s = DM_OK;
  if (!set_tags(tif, img, opt, rows, 1))
    s = dm_fail(ctx, DM_ERR_PARAM, name, "cannot write TIFF: %s", c.error[0] ? c.error : "bad tags");
  else if (serial)
    s = write_strips_serial(ctx, tif, &c, img, opt, row_bytes, rows, name);
  else
    s = write_strips(ctx, tif, &c, img, opt, row_bytes, rows, name);
  /* TIFFClose cannot report a failure, TIFFFlush (which writes the
   * directory) can. */
  if (!s && !TIFFFlush(tif))
    s = dm_fail(ctx, DM_ERR_IO, name, "cannot write TIFF: %s", c.error[0] ? c.error : "write failed");
  TIFFClose(tif);
  return s;
}

dm_status dm_tiff_write(dm_context *ctx, FILE *fp, const dm_image *img, const dm_write_options *opt,
                        const char *name) {
  return tiff_write(ctx, fp, img, opt, name, 0);
}

dm_status dm_tiff_write_serial(dm_context *ctx, FILE *fp, const dm_image *img,
                               const dm_write_options *opt, const char *name) {
  return tiff_write(ctx, fp, img, opt, name, 1);
}
