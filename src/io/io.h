/* Image decoding and encoding, one file per format (jpeg.c, png.c, tiff.c,
 * heic.c, raw.c); this header is the only interface the rest uses.
 *
 * Decoders return float samples in [0, 1] as encoded in the file (not
 * linearised: colour conversion is src/color's job), plus the metadata the
 * colour stage and the encoders need. EXIF orientation is applied to the
 * pixels at decode time, so `img` is always upright. */
#ifndef DM_IO_H
#define DM_IO_H

#include <stddef.h>
#include <stdio.h>

#include "core/file.h"
#include "core/image.h"

typedef enum dm_format {
  DM_FMT_UNKNOWN = 0,
  DM_FMT_JPEG,
  DM_FMT_PNG,
  DM_FMT_TIFF,
  DM_FMT_HEIC,
  DM_FMT_RAW,
  DM_FMT_COUNT
} dm_format;

/* How the decoded samples are encoded, for src/color. */
typedef enum dm_source_space {
  DM_SPACE_TAGGED = 0,     /* per `icc`, else PNG gAMA/cHRM, else sRGB */
  DM_SPACE_LINEAR_PROPHOTO /* linear ProPhoto RGB (D50), as LibRaw writes it */
} dm_source_space;

typedef struct dm_metadata {
  dm_format format;
  int bits;                 /* bits per sample in the file: 8, 16, 32 (float) */
  int orientation;          /* EXIF orientation found (1..8), already applied */
  dm_source_space space;
  unsigned char *icc;       /* embedded ICC profile, NULL if none (owned) */
  size_t icc_len;
  unsigned char *exif;      /* EXIF as a TIFF-structured block, starting "II*\0"/"MM\0*" (owned) */
  size_t exif_len;
  /* The XMP packet embedded in the photo itself (never its sidecar), as an
   * output carries it: Camera Raw and depthmask settings and the source's
   * layout removed (xmp_carry.c). UTF-8, NUL-terminated; NULL when the
   * photo has none, or a malformed or, once filtered, empty one (owned). */
  unsigned char *xmp;
  size_t xmp_len;
  unsigned char *iptc;      /* IPTC-IIM datasets (1C rr dd len...), validated, NULL if none (owned) */
  size_t iptc_len;
  /* PNG colour chunks, used only when there is no ICC profile. */
  int srgb_chunk;           /* sRGB chunk present */
  float gamma;              /* gAMA file gamma (e.g. 0.45455), 0 if absent */
  int has_chrm;
  float chrm[8];            /* white x,y, red x,y, green x,y, blue x,y */
  char camera[128];         /* "Make Model" when known (RAW, EXIF), for `info` */
  float baseline_ev;        /* a DNG's BaselineExposure (EV), 0 when absent: part of the raw's
                               default look (src/color/look.h), not of its linear pixels */
} dm_metadata;

typedef struct dm_decoded {
  dm_image img;             /* channels: 1 (grey) or 3 (RGB); alpha is dropped */
  dm_metadata meta;
} dm_decoded;

void dm_decoded_free(dm_decoded *d);
void dm_metadata_free(dm_metadata *m);

/* Sniff the format from the first bytes of a file (RAW by TIFF-like magic +
 * LibRaw's own check, HEIC by its ftyp brand). */
dm_format dm_io_sniff(const unsigned char *head, size_t len);
/* The same from a file's first bytes (opened without blocking: a FIFO is
 * not waited on); DM_FMT_UNKNOWN when it cannot be read. */
dm_format dm_io_sniff_file(const char *path);
/* From an output file name's extension: .jpg/.jpeg, .png, .tif/.tiff. */
dm_format dm_format_from_extension(const char *path);
const char *dm_format_name(dm_format f);

/* Decode a file of any supported format. Errors name the file. */
dm_status dm_io_read(dm_context *ctx, const char *path, dm_decoded *out);
/* Decode from memory (used by the fuzzers and by embedded images). `name`
 * is used in error messages. */
dm_status dm_io_read_mem(dm_context *ctx, const unsigned char *data, size_t len, const char *name,
                         dm_decoded *out);

typedef enum dm_compression { DM_COMPRESS_DEFAULT = 0, DM_COMPRESS_NONE, DM_COMPRESS_LZW, DM_COMPRESS_DEFLATE } dm_compression;

typedef struct dm_write_options {
  dm_format format;         /* JPEG, PNG or TIFF */
  int bits;                 /* 8 or 16 (JPEG: 8 only; TIFF also 32 = float) */
  int quality;              /* JPEG quality 1..100, 0 = default (95) */
  dm_compression compression; /* TIFF only */
  const unsigned char *icc; /* profile to embed (required for colour output) */
  size_t icc_len;
  const unsigned char *exif; /* EXIF to carry over (orientation is rewritten to 1), may be NULL */
  size_t exif_len;
  /* XMP packet and IPTC-IIM block written as given (JPEG: APP1, APP13
   * 8BIM 0x0404; TIFF: tags 700, 33723; PNG: iTXt XML:com.adobe.xmp, no
   * IPTC), may be NULL. dm_metadata's are already filtered for output. A
   * block too large for the format is left out with a warning. */
  const unsigned char *xmp;
  size_t xmp_len;
  const unsigned char *iptc;
  size_t iptc_len;
  int preview;              /* JPEG: standard Huffman tables (one pass: an editor's preview over
                               localhost wants speed, not the last few % of size) */
  int restart_rows;         /* JPEG: a restart marker every this many MCU rows (0: none) */
} dm_write_options;

/* Encode `img` (1 or 3 channels, samples in [0, 1], clamped and rounded)
 * to `path` atomically (temporary file + fsync + rename). */
dm_status dm_io_write(dm_context *ctx, const char *path, const dm_image *img,
                      const dm_write_options *opt);
/* The same, stopping before the rename: the encoded file is flushed and
 * fsync'ed under af->tmp_path; the caller publishes or aborts `af`. */
dm_status dm_io_write_prepared(dm_context *ctx, const char *path, const dm_image *img,
                               const dm_write_options *opt, dm_atomic_file *af);

/* For decoders, once the header is read: with ctx->header_only, record the
 * size (before orientation) in out->img without pixels and return 1: the
 * decoder then skips the pixels. */
int dm_io_header_only(dm_context *ctx, dm_decoded *out, long long w, long long h, int channels);

/* Per-format entry points, called by dm_io_read / dm_io_write. */
dm_status dm_jpeg_read(dm_context *ctx, const unsigned char *data, size_t len, const char *name, dm_decoded *out);
dm_status dm_png_read(dm_context *ctx, const unsigned char *data, size_t len, const char *name, dm_decoded *out);
dm_status dm_tiff_read(dm_context *ctx, const unsigned char *data, size_t len, const char *name, dm_decoded *out);
dm_status dm_heic_read(dm_context *ctx, const unsigned char *data, size_t len, const char *name, dm_decoded *out);
dm_status dm_raw_read(dm_context *ctx, const unsigned char *data, size_t len, const char *name, dm_decoded *out);
dm_status dm_jpeg_write(dm_context *ctx, FILE *fp, const dm_image *img, const dm_write_options *opt, const char *name);
/* The same from rows of 8-bit codes made on demand: row(user, y, &codes)
 * points `codes` at row y (width x channels bytes, valid until the next
 * call), rows asked for in order; a non-zero return stops the encoding
 * with that status (the row source's error recorded in ctx). The previews
 * encode their sRGB codes through it. */
typedef dm_status (*dm_jpeg_row_fn)(void *user, int y, const unsigned char **codes);
dm_status dm_jpeg_write_rows(dm_context *ctx, FILE *fp, int width, int height, int channels,
                             dm_jpeg_row_fn row, void *user, const dm_write_options *opt,
                             const char *name);
/* Rows of a colour JPEG's MCU at `quality` (4:2:0 below 90, 4:4:4 from 90). */
int dm_jpeg_mcu_rows(int quality);
/* One JPEG of `height` rows from n strips that dm_jpeg_write_rows encoded
 * (top to bottom, same width and options, restart_rows = 1, each strip's
 * height a multiple of the MCU's but the last's); malloc'd into *out
 * (jpeg_join.c). */
dm_status dm_jpeg_join(dm_context *ctx, unsigned char *const *parts, const size_t *lens, int n,
                       int height, unsigned char **out, size_t *out_len);
dm_status dm_png_write(dm_context *ctx, FILE *fp, const dm_image *img, const dm_write_options *opt, const char *name);
dm_status dm_tiff_write(dm_context *ctx, FILE *fp, const dm_image *img, const dm_write_options *opt, const char *name);

#endif
