/* Content hashing for cache keys (XXH3-128 from libxxhash).
 *
 * Not cryptographic: it identifies inputs and parameters, it does not
 * authenticate them. Model files are checked with SHA-256 elsewhere. */
#ifndef DM_HASH_H
#define DM_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "core/context.h"

typedef struct dm_hash {
  uint64_t lo, hi;
} dm_hash;

typedef struct dm_hasher dm_hasher;

dm_hasher *dm_hasher_new(void);
void dm_hasher_free(dm_hasher *h);
void dm_hasher_update(dm_hasher *h, const void *data, size_t len);
void dm_hasher_update_str(dm_hasher *h, const char *s); /* includes the terminating NUL */
void dm_hasher_update_f32(dm_hasher *h, float v);
dm_hash dm_hasher_digest(const dm_hasher *h);

dm_hash dm_hash_bytes(const void *data, size_t len);
dm_status dm_hash_file(dm_context *ctx, const char *path, dm_hash *out);
/* 32 lowercase hex digits + NUL. */
void dm_hash_hex(dm_hash h, char out[33]);

#endif
