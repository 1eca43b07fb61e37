/* Shared by the libFuzzer targets: readers are called with a pixel limit
 * far below DM_MAX_PIXELS, so a hostile header cannot make an input cost
 * gigabytes (the limit itself is what the tests check). */
#ifndef DM_FUZZ_COMMON_H
#define DM_FUZZ_COMMON_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "io/io_internal.h"

#define DM_FUZZ_MAX_PIXELS (4LL * 1000 * 1000)

static inline int dm_fuzz_read(dm_reader_fn fn, const uint8_t *data, size_t size, const char *name) {
  dm_context *ctx = dm_context_new(1);
  if (!ctx) return 0;
  dm_decoded d;
  if (fn(ctx, data, size, name, DM_FUZZ_MAX_PIXELS, &d) == DM_OK) {
    /* What an encoder would do with the metadata: rewrite the EXIF. */
    if (d.meta.exif) {
      unsigned char *ex = NULL;
      size_t ex_len = 0;
      if (dm_exif_for_output(ctx, d.meta.exif, d.meta.exif_len, d.img.width, d.img.height, name,
                             &ex, &ex_len) == DM_OK)
        free(ex);
    }
    dm_decoded_free(&d);
  }
  dm_context_free(ctx);
  return 0;
}

/* A new folder NAME.XXXXXX for the targets that write files: in /dev/shm
 * where there is one (a tmpfs: dm_cache_put fsyncs, which on a disk costs
 * more than all the rest of an input), else in /tmp. 0 on failure. */
static inline int dm_fuzz_mkdtemp(char *dir, size_t len, const char *name) {
  snprintf(dir, len, "%s/%s.XXXXXX", access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm", name);
  return mkdtemp(dir) != NULL;
}

/* Create (or truncate) `path` and write `len` bytes; a symbolic link is not
 * followed. 0 if the file could not be made or written whole. */
static inline int dm_fuzz_write(const char *path, const uint8_t *data, size_t len) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return 0;
  size_t done = 0;
  while (done < len) {
    ssize_t w = write(fd, data + done, len - done);
    if (w <= 0) break;
    done += (size_t)w;
  }
  return close(fd) == 0 && done == len;
}

#endif
