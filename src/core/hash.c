#include "core/hash.h"

#include <unistd.h>

#include "core/file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <xxhash.h>

struct dm_hasher {
  XXH3_state_t *st;
};

dm_hasher *dm_hasher_new(void) {
  XXH3_state_t *st = XXH3_createState();
  if (!st) return NULL;
  XXH3_128bits_reset(st);
  dm_hasher *h = (dm_hasher *)st; /* the state is the hasher */
  return h;
}

void dm_hasher_free(dm_hasher *h) { XXH3_freeState((XXH3_state_t *)h); }

void dm_hasher_update(dm_hasher *h, const void *data, size_t len) {
  XXH3_128bits_update((XXH3_state_t *)h, data, len);
}

void dm_hasher_update_str(dm_hasher *h, const char *s) { dm_hasher_update(h, s, strlen(s) + 1); }

void dm_hasher_update_f32(dm_hasher *h, float v) {
  if (v == 0.0f) v = 0.0f; /* -0 and +0 hash alike */
  dm_hasher_update(h, &v, sizeof v);
}

dm_hash dm_hasher_digest(const dm_hasher *h) {
  XXH128_hash_t d = XXH3_128bits_digest((const XXH3_state_t *)h);
  return (dm_hash){d.low64, d.high64};
}

dm_hash dm_hash_bytes(const void *data, size_t len) {
  XXH128_hash_t d = XXH3_128bits(data, len);
  return (dm_hash){d.low64, d.high64};
}

dm_status dm_hash_file(dm_context *ctx, const char *path, dm_hash *out) {
  int fd = dm_open_regular(ctx, path); /* never blocks on a FIFO */
  if (fd < 0) return DM_ERR_IO;
  FILE *f = fdopen(fd, "rb");
  if (!f) {
    close(fd);
    return dm_fail(ctx, DM_ERR_IO, path, "%s", strerror(errno));
  }
  dm_hasher *h = dm_hasher_new();
  if (!h) {
    fclose(f);
    return dm_fail(ctx, DM_ERR_NOMEM, path, "out of memory");
  }
  char buf[1 << 16];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) dm_hasher_update(h, buf, n);
  int err = ferror(f);
  fclose(f);
  *out = dm_hasher_digest(h);
  dm_hasher_free(h);
  if (err) return dm_fail(ctx, DM_ERR_IO, path, "read error");
  return DM_OK;
}

void dm_hash_hex(dm_hash h, char out[33]) {
  snprintf(out, 33, "%016llx%016llx", (unsigned long long)h.hi, (unsigned long long)h.lo);
}
