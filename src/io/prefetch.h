/* A file decoded on a thread of its own while the caller does something
 * else: the depth and matte files of `render --depth FILE --matte FILE`
 * while the photo decodes (each mostly one-threaded inflate or Huffman
 * decoding, so on two cores they take about the time of the longest).
 *
 * The read runs under the memory limit of the context it was started from
 * (max_memory; bytes_per_pixel as a new context has it, as the scene's
 * context reads the depth file). Taking it gives what dm_io_read would
 * have; when the read failed, take reads again on the caller's context, so
 * the error is reported there exactly as dm_io_read reports it. Only the
 * first take gets the prefetched image; later ones read the file. */
#ifndef DM_IO_PREFETCH_H
#define DM_IO_PREFETCH_H

#include "io/io.h"

typedef struct dm_io_prefetch dm_io_prefetch;

/* Starts decoding `path` (copied); NULL when no thread or memory could be
 * had (take then simply reads). */
dm_io_prefetch *dm_io_prefetch_start(const dm_context *limits, const char *path);
/* The decoded file, as dm_io_read(ctx, path, out) gives it. p may be NULL. */
dm_status dm_io_prefetch_take(dm_context *ctx, dm_io_prefetch *p, const char *path, dm_decoded *out);
/* Waits for the read and frees what was not taken (NULL is fine). */
void dm_io_prefetch_free(dm_io_prefetch *p);

#endif
