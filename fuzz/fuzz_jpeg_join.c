/* libFuzzer target: joining JPEG strips (dm_jpeg_join). Input: the count
 * of strips (1 byte, 1..4), the height (2 bytes, big-endian), each strip's
 * length but the last's (4 bytes each, big-endian), then the strips; the
 * join must refuse or join, never read or write out of bounds. Seeds:
 * tests/io/test_jpeg_join --write-seeds (fuzz/make_seeds.sh). */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 3) return 0;
  int n = 1 + data[0] % 4, height = data[1] << 8 | data[2];
  size_t at = 3 + 4 * (size_t)(n - 1);
  if (size < at) return 0;
  unsigned char *parts[4];
  size_t lens[4];
  for (int i = 0; i < n; i++) {
    const uint8_t *l = data + 3 + 4 * i;
    size_t want = i < n - 1 ? (size_t)l[0] << 24 | (size_t)l[1] << 16 | (size_t)l[2] << 8 | l[3] : size - at;
    lens[i] = want < size - at ? want : size - at;
    parts[i] = malloc(lens[i] ? lens[i] : 1); /* each its own block, so ASan sees overreads */
    memcpy(parts[i], data + at, lens[i]);
    at += lens[i];
  }
  dm_context *ctx = dm_context_new(1);
  unsigned char *out = NULL;
  size_t out_len = 0;
  if (ctx && dm_jpeg_join(ctx, parts, lens, n, height, &out, &out_len) == DM_OK) free(out);
  dm_context_free(ctx);
  for (int i = 0; i < n; i++) free(parts[i]);
  return 0;
}
