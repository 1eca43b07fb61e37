/* libFuzzer target for the depth cache's entry reader (src/depth/cache.c):
 * the input is written as an entry file into a folder of this process (in
 * /dev/shm, else /tmp; dm_fuzz_mkdtemp) and looked up with dm_cache_get,
 * under the key its header names (bytes 16..31; key 0 for a shorter
 * input), so inputs get past the key check. Every input is tried twice: as it is, and with its XXH3
 * checksums recomputed where its header's sizes put them, since a mutation
 * almost never keeps a checksum right and the reader's work after the
 * checks would go unfuzzed. A hit is stored again with dm_cache_put and
 * read back: the same names, meta and planes, bit for bit (a value read is
 * k / 65535, which a store keeps), or abort(). The entry file is removed
 * after each input, the folder at exit. Seeds: entries dm_cache_put wrote
 * (tests/depth/test_cache --write-seeds, by fuzz/make_seeds.sh). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "depth/cache.h"
#include "depth/cache_evict.h"
#include "fuzz_common.h"

/* cache.c's layout: a fixed header of 112 bytes, a 16-byte checksum per
 * block of payload, the header's own checksum, the payload. */
#define FIXED_HEADER 112
#define CHECK_BYTES 16

static dm_context *ctx;
static char dir[64];

static void remove_dir(void) { rmdir(dir); }

static uint32_t get_u32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

static void put_hash(uint8_t *p, dm_hash h) {
  memcpy(p, &h.lo, 8);
  memcpy(p + 8, &h.hi, 8);
}

/* Recompute the block checksums and the header checksum of `m`; 0 when
 * the sizes its header gives do not add up to `size`. */
static int fix_checksums(uint8_t *m, size_t size) {
  if (size < FIXED_HEADER + CHECK_BYTES) return 0;
  uint64_t block = get_u32(m + 12), w = get_u32(m + 32), h = get_u32(m + 36), n = get_u32(m + 40);
  if (!block || w > size || h > size || n > size || w * h > size || w * h * n > size) return 0;
  uint64_t payload = w * h * n * 2 + get_u32(m + 44), blocks = (payload + block - 1) / block;
  uint64_t header = FIXED_HEADER + blocks * CHECK_BYTES + CHECK_BYTES;
  if (blocks > size || header + payload != size) return 0;
  for (uint64_t b = 0; b < blocks; b++) {
    uint64_t off = b * block, len = payload - off < block ? payload - off : block;
    put_hash(m + FIXED_HEADER + b * CHECK_BYTES, dm_hash_bytes(m + header + off, len));
  }
  put_hash(m + header - CHECK_BYTES, dm_hash_bytes(m, header - CHECK_BYTES));
  return 1;
}

static int same_entry(const dm_cache_entry *a, const dm_cache_entry *b) {
  if (a->n_planes != b->n_planes || strcmp(a->meta, b->meta)) return 0;
  for (int p = 0; p < a->n_planes; p++) {
    const dm_image *x = &a->planes[p], *y = &b->planes[p];
    if (strcmp(a->names[p], b->names[p]) || x->width != y->width || x->height != y->height ||
        x->channels != 1 || y->channels != 1)
      return 0;
    for (int r = 0; r < x->height; r++)
      if (memcmp(dm_row(x, r), dm_row(y, r), sizeof(float) * (size_t)x->width)) return 0;
  }
  return 1;
}

static void lookup(const uint8_t *data, size_t size, dm_hash key) {
  char hex[33], path[128];
  dm_hash_hex(key, hex);
  snprintf(path, sizeof path, "%s/%s%s", dir, hex, DM_CACHE_SUFFIX);
  if (!dm_fuzz_write(path, data, size)) abort();
  dm_cache_entry e, again;
  int hit = 0, hit2 = 0;
  if (dm_cache_get(ctx, dir, key, &e, &hit) == DM_OK && hit) {
    if (dm_cache_put(ctx, dir, key, &e, 0) != DM_OK) {
      fprintf(stderr, "read an entry, cannot store it: %s\n", dm_context_error(ctx));
      abort();
    }
    if (dm_cache_get(ctx, dir, key, &again, &hit2) != DM_OK || !hit2 || !same_entry(&e, &again)) {
      fprintf(stderr, "an entry stored again does not read back the same (hit %d)\n", hit2);
      abort();
    }
    dm_cache_entry_free(&again);
  }
  dm_cache_entry_free(&e);
  unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!ctx) {
    if (!dm_fuzz_mkdtemp(dir, sizeof dir, "fuzz_cache") || !(ctx = dm_context_new(1))) abort();
    atexit(remove_dir);
  }
  dm_hash key = {0, 0};
  if (size >= 32) {
    memcpy(&key.lo, data + 16, 8);
    memcpy(&key.hi, data + 24, 8);
  }
  lookup(data, size, key);
  uint8_t *fixed = malloc(size ? size : 1);
  if (!fixed) return 0;
  memcpy(fixed, data, size);
  if (fix_checksums(fixed, size) && memcmp(fixed, data, size)) lookup(fixed, size, key);
  free(fixed);
  return 0;
}
