/* Files: whole-file reads with a size cap, and atomic writes.
 *
 * An atomic write goes to a temporary file in the destination's folder
 * (so rename(2) stays on one file system), is fsync'ed, then renamed over
 * the destination; on any failure the temporary file is removed and the
 * destination is untouched. */
#ifndef DM_FILE_H
#define DM_FILE_H

#include <stddef.h>
#include <stdio.h>

#include "core/context.h"

/* Read all of `path` (a regular file, at most max_bytes) into a malloc'd
 * buffer with one extra NUL byte after the data. */
dm_status dm_read_file(dm_context *ctx, const char *path, size_t max_bytes, unsigned char **data,
                       size_t *len);

/* Fails with a clear message if `path` is missing, a directory or unreadable. */
dm_status dm_check_input(dm_context *ctx, const char *path);

typedef struct dm_atomic_file {
  FILE *fp;           /* write here */
  char tmp_path[4096];
  char final_path[4096];
} dm_atomic_file;

dm_status dm_atomic_open(dm_context *ctx, dm_atomic_file *af, const char *path);
/* fflush + fsync + rename; closes fp. */
dm_status dm_atomic_commit(dm_context *ctx, dm_atomic_file *af);
/* Close and delete the temporary file (safe to call after a failed commit). */
void dm_atomic_abort(dm_atomic_file *af);
/* Convenience: write `len` bytes to `path` atomically. */
dm_status dm_write_file_atomic(dm_context *ctx, const char *path, const void *data, size_t len);

/* True if a and b name the same existing file (same device and inode). */
int dm_same_file(const char *a, const char *b);

#endif
