/* Private to the depth cache (cache.c): entry file names and the size cap.
 *
 * An entry is the file "<32 hex digits of the key>.dmc" in the cache
 * folder; its temporaries (src/core/file.h) are ".<entry name>.XXXXXX". */
#ifndef DM_DEPTH_CACHE_EVICT_H
#define DM_DEPTH_CACHE_EVICT_H

#include "depth/cache.h"

#define DM_CACHE_SUFFIX ".dmc"
#define DM_CACHE_NAME_LEN (32 + 4) /* hex key + suffix */

/* 1 if `name` is an entry file name (exactly 32 lowercase hex + ".dmc"). */
int dm_cache_is_entry_name(const char *name);

/* Delete the least recently modified entries of `dir` until their sizes
 * add up to at most cap_bytes; remove temporaries older than an hour.
 * Files other workers delete meanwhile are skipped. */
dm_status dm_cache_evict(dm_context *ctx, const char *dir, long long cap_bytes);

#endif
