/* The depth cache: depth, matte and confidence of a photo on disk, so that
 * reopening it or moving a slider never runs the networks again.
 *
 * An entry is a set of named 1-channel planes of one size plus a short text
 * of metadata, under a 128-bit key the caller derives from everything the
 * planes depend on (file content, model ids and checksums, parameters).
 * Planes are stored as 16-bit (values clamped to [0, 1]) with a checksum;
 * a damaged or truncated entry is a miss (and is removed), never an error.
 * Writes go to a temporary file in the cache folder and are renamed, so any
 * number of batch workers may share one folder. They are not fsync'ed: a
 * crash can at worst leave an entry whose checksums fail, i.e. a miss. After each store the folder
 * is trimmed to its size cap, least recently used first (a hit refreshes
 * the entry's time). */
#ifndef DM_DEPTH_CACHE_H
#define DM_DEPTH_CACHE_H

#include "core/hash.h"
#include "core/image.h"

#define DM_CACHE_MAX_PLANES 4
#define DM_CACHE_DEFAULT_CAP (2LL << 30) /* 2 GiB */

typedef struct dm_cache_entry {
  int n_planes;
  char names[DM_CACHE_MAX_PLANES][16]; /* "depth", "matte", "confidence" */
  dm_image planes[DM_CACHE_MAX_PLANES]; /* 1 channel each, same size */
  char meta[512];                       /* NUL-terminated text, e.g. "z_near=1.2\nsource=..." */
} dm_cache_entry;

/* $XDG_CACHE_HOME/depthmask, else $HOME/.cache/depthmask (not created). */
dm_status dm_cache_default_dir(dm_context *ctx, char *out, size_t out_len);

/* Look `key` up in `dir`. On a hit *hit = 1 and `out` holds the planes
 * (allocated here; free with dm_cache_entry_free). A missing folder is a
 * miss. Errors only for allocation failure. */
dm_status dm_cache_get(dm_context *ctx, const char *dir, dm_hash key, dm_cache_entry *out, int *hit);

/* Store `e` under `key` (the folder is created if needed), then evict the
 * least recently used entries until the folder holds at most cap_bytes
 * (0 = DM_CACHE_DEFAULT_CAP). A failure to write is returned (the caller
 * may treat it as a warning: the cache is an optimisation). */
dm_status dm_cache_put(dm_context *ctx, const char *dir, dm_hash key, const dm_cache_entry *e,
                       long long cap_bytes);

/* The same, with the file written on a thread of its own while the caller
 * goes on (at 24 MP the write took 0.15-0.3 s of a photo): the entry is
 * converted before this returns, so `e` may go at once. One deferred store
 * is in flight at a time (the next waits for it); dm_cache_get and
 * dm_cache_put wait for it first, and so does the process's exit. A failed
 * write is logged as a warning by the next of those through its context's
 * log (at exit, on stderr). */
dm_status dm_cache_put_later(dm_context *ctx, const char *dir, dm_hash key, const dm_cache_entry *e,
                             long long cap_bytes);
/* Waits until the deferred store in flight, if any, is written (its
 * failure, if it failed, on stderr). */
void dm_cache_wait(void);

void dm_cache_entry_free(dm_cache_entry *e);

/* Round `p` in place to exactly what a store and a load give back (16-bit
 * steps, clamped to [0, 1], NaN -> 0), so that results used fresh and
 * results read from the cache are bit-identical. */
void dm_cache_round_plane(dm_context *ctx, dm_image *p);

#endif
