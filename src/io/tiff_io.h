/* libtiff plumbing shared by tiff.c and tiff_write.c: opening from memory
 * or onto a FILE *, with per-open error and warning handlers (libtiff 4.5
 * TIFFOpenOptions) that keep the first error message and print nothing. */
#ifndef DM_TIFF_IO_H
#define DM_TIFF_IO_H

#include <stdint.h>
#include <stdio.h>
#include <tiffio.h>

#include "core/context.h"

typedef struct dm_tiff_client {
  const unsigned char *data; /* reading from memory */
  size_t len;
  uint64_t pos;
  FILE *fp;                  /* writing */
  unsigned char *buf;        /* writing to memory: the file so far, len bytes of cap */
  size_t cap;
  char error[512];           /* first libtiff error, "" if none */
  char truncated[256];       /* first "IO error" warning: data past the end */
} dm_tiff_client;

/* Open `data` for reading. max_alloc bounds libtiff's own allocations.
 * NULL on failure, with the reason in c->error. */
TIFF *dm_tiff_open_mem(dm_tiff_client *c, const unsigned char *data, size_t len, const char *name,
                       uint64_t max_alloc);
/* Open `fp` for writing ("w" or "w8" for BigTIFF). */
TIFF *dm_tiff_open_file(dm_tiff_client *c, FILE *fp, const char *name, const char *mode);

/* Open a growing memory buffer for writing (c->buf, c->len; free c->buf
 * after TIFFClose or TIFFCleanup). */
TIFF *dm_tiff_open_buffer(dm_tiff_client *c, const char *name);

#endif
