/* PNG image data (the zlib stream the IDAT chunks carry) made on every
 * thread. The rows are cut into chunks of about DM_PNG_CHUNK_BYTES; each
 * chunk is converted, filtered and deflated on its own (raw deflate, primed
 * with the 32 KiB of filtered data before it, so the loss against one serial
 * stream is small), ending on a Z_SYNC_FLUSH byte boundary; the last ends
 * the stream. Joined behind a zlib header and followed by the Adler-32 of
 * the whole (adler32_combine of the chunks'), they are one valid zlib
 * stream. The chunking depends on the image only, never on the thread
 * count, so every thread count writes the same bytes. */
#ifndef DM_PNG_IDAT_H
#define DM_PNG_IDAT_H

#include <stddef.h>

#include "core/context.h"
#include "core/image.h"
#include "io/io.h"

#define DM_PNG_CHUNK_BYTES ((size_t)512 << 10)

/* Row filters: one of the five of the PNG specification for every row, or
 * per row the one with the smallest sum of |signed byte| (libpng's default
 * heuristic). */
typedef enum dm_png_filter {
  DM_PNG_FILTER_NONE,
  DM_PNG_FILTER_SUB,
  DM_PNG_FILTER_UP,
  DM_PNG_FILTER_AVG,
  DM_PNG_FILTER_PAETH,
  DM_PNG_FILTER_ADAPTIVE,
} dm_png_filter;

typedef struct dm_png_idat_options {
  int bits;             /* 8 or 16 */
  dm_png_filter filter; /* see dm_png_idat_defaults */
  int level;            /* zlib level */
  int strategy;         /* zlib strategy */
  size_t chunk_bytes;   /* filtered bytes a chunk, about (DM_PNG_CHUNK_BYTES; tests use less) */
} dm_png_idat_options;

/* The choice measured by bench_png (see there). */
void dm_png_idat_defaults(dm_png_idat_options *o, int bits);

typedef struct dm_png_idat {
  int n;              /* pieces; head, the pieces in order and tail are the zlib stream */
  unsigned char *buf; /* piece i: len[i] bytes at buf + off[i] */
  size_t *off, *len;
  unsigned char head[2]; /* the zlib header */
  unsigned char tail[4]; /* the Adler-32 of the whole, big-endian */
} dm_png_idat;

/* The zlib stream of img's rows (1..4 channels, samples clamped to [0, 1]
 * and rounded; 16-bit big-endian) as PNG stores them, on ctx's threads.
 * `name` is for error messages. Free with dm_png_idat_free. */
dm_status dm_png_idat_make(dm_context *ctx, const dm_image *img, const dm_png_idat_options *o,
                           const char *name, dm_png_idat *out);
void dm_png_idat_free(dm_png_idat *z);

/* dm_png_write with the image data made with zo (NULL: libpng's own row
 * writer on one thread, dm_png_write_serial); for tests and bench_png. */
dm_status dm_png_write_with(dm_context *ctx, FILE *fp, const dm_image *img, const dm_write_options *opt,
                            const char *name, const dm_png_idat_options *zo);

#endif
