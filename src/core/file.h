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
#include "core/hash.h"

/* Read all of `path` (a regular file, at most max_bytes) into a malloc'd
 * buffer with one extra NUL byte after the data. */
dm_status dm_read_file(dm_context *ctx, const char *path, size_t max_bytes, unsigned char **data,
                       size_t *len);

/* Fails with a clear message if `path` is missing, a directory or unreadable. */
dm_status dm_check_input(dm_context *ctx, const char *path);

typedef struct dm_atomic_file {
  FILE *fp;           /* write here */
  int fd;
  int write_errno;    /* the first write(2) error under fp (ENOSPC, EFBIG, EIO), 0 if none */
  int anonymous;      /* an O_TMPFILE without a name until publish (fd stays open) */
  int no_sync;        /* set after open: publish without fsync (see dm_write_file_atomic_ex) */
  size_t unkicked;    /* bytes written since the disk was last asked to start writing them */
  char tmp_path[4096];
  char final_path[4096];
} dm_atomic_file;

/* The temporary file is unnamed (O_TMPFILE) where the file system allows,
 * so a killed run leaves nothing; else ".NAME.XXXXXX", registered with
 * dm_temp_register so a SIGINT or SIGTERM removes it. `af` must stay where it is until commit or abort
 * (fp writes through it). */
dm_status dm_atomic_open(dm_context *ctx, dm_atomic_file *af, const char *path);
/* fflush + fsync + rename; closes fp. */
dm_status dm_atomic_commit(dm_context *ctx, dm_atomic_file *af);
/* The two halves of commit, for a caller that commits several files as one
 * transaction: prepare flushes, fsyncs and closes (every write error shows
 * here, naming its cause); publish renames onto the final name. */
dm_status dm_atomic_prepare(dm_context *ctx, dm_atomic_file *af);
dm_status dm_atomic_publish(dm_context *ctx, dm_atomic_file *af);
/* The content hash of a prepared file (before publish). */
dm_status dm_atomic_hash(dm_context *ctx, const dm_atomic_file *af, dm_hash *out);
/* Close and delete the temporary file (safe to call after a failed commit). */
void dm_atomic_abort(dm_atomic_file *af);
/* After an encoder failed on af->fp: a message naming the write error
 * ("No space left on device") when there was one; returns DM_ERR_IO then,
 * else `s` with the encoder's message left as it is. */
dm_status dm_atomic_write_error(dm_context *ctx, const dm_atomic_file *af, dm_status s);

/* Temporary files of this process that a fatal signal must not leave
 * behind: dm_temp_install_handlers() (once, from main) makes SIGINT, SIGTERM
 * and SIGHUP unlink every registered path and re-raise. */
void dm_temp_install_handlers(void);
void dm_temp_register(const char *path);
void dm_temp_unregister(const char *path);
/* Remove our own leftovers of a killed run beside `final_path`: temporary
 * files named ".NAME.XXXXXX" (dm_atomic_open's names for that file) that no
 * live writer holds (each writer keeps an flock on its temporary file). */
void dm_temp_sweep(const char *final_path);

/* Open `path` for reading without blocking on a FIFO or device, and check
 * it is a regular file before anything reads it. Returns the fd or -1 with
 * the reason in ctx. */
int dm_open_regular(dm_context *ctx, const char *path);
/* Convenience: write `len` bytes to `path` atomically. */
dm_status dm_write_file_atomic(dm_context *ctx, const char *path, const void *data, size_t len);
/* The same; durable = 0 skips the fsync, for files whose own checksums catch
 * what a crash tears (cache entries): readers still see the old file or the
 * whole new one, and a 96 MB entry is not held up for the disk (~55 ms). */
dm_status dm_write_file_atomic_ex(dm_context *ctx, const char *path, const void *data, size_t len,
                                  int durable);

/* An exclusive advisory lock (flock) on an existing file, held until
 * dm_unlock: every read-modify-write of a photo's sidecar holds its photo's
 * lock (the photo, never replaced, is a stable inode to lock; a read-only
 * folder still allows it). Waits for another holder. Returns the fd, or -1
 * with the reason in ctx. */
int dm_lock(dm_context *ctx, const char *path);
void dm_unlock(int fd);

/* True if a and b name the same existing file (same device and inode). */
int dm_same_file(const char *a, const char *b);

#endif
