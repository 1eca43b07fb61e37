/* The weights block: one anonymous mapping for every initializer that is not
 * used where it lies in the file (float16 ones as float32, unaligned ones
 * copied), carved in file order, 64-byte aligned.
 *
 * Why 4 KiB pages populated up front, not huge pages: the memory is fresh,
 * and its first touch is most of the cost of loading ISNet (176 MB).
 * Measured with `depthmask-onnx info` on ISNet on the 2-core VM the project
 * is benchmarked on (median of 9): huge pages (MADV_HUGEPAGE) take 45-65 ms
 * when runs follow each other, but 220-560 ms when the previous process
 * ended a second or more before, because the hypervisor takes back free
 * 2 MiB blocks (virtio-balloon free page reporting) and each first touch of
 * such a block faults on the host; 4 KiB pages with MAP_POPULATE take
 * 105-170 ms either way (faulted one by one rather than populated: a
 * little more). MAP_POPULATE faults them in on the calling thread alone
 * (70 % of a load's samples in perf); dm_populate shares the range among
 * the context's threads.
 *
 * In ASan builds each tensor is followed by 64 poisoned bytes, so a kernel
 * reading past a weight is caught as it was when each had its own malloc. */
#include <string.h>
#include <sys/mman.h>

#include "core/prefault.h"

#include "nn/load_internal.h"

#if defined(__SANITIZE_ADDRESS__)
#define NN_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NN_ASAN 1
#endif
#endif

#ifdef NN_ASAN
#include <sanitizer/asan_interface.h>
#define GUARD 64
#else
#define GUARD 0
#endif

size_t nn_pool_need(size_t bytes) { return bytes ? (bytes + 63) / 64 * 64 + GUARD : 0; }

int nn_pool_open(dm_context *ctx, nn_graph *g, size_t total) {
  void *p = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 0;
  dm_populate(ctx, p, total); /* refused: the pages fault in as they are written */
  g->weights = p;
  g->weights_len = total;
  return 1;
}

void *nn_pool_take(nn_raw_src *raw, size_t bytes) {
  size_t need = nn_pool_need(bytes);
  if (!raw || !raw->pool || !need || need > raw->pool_left) return NULL;
  uint8_t *p = raw->pool;
  raw->pool += need;
  raw->pool_left -= need;
#ifdef NN_ASAN
  ASAN_POISON_MEMORY_REGION(p + bytes, need - bytes);
#endif
  return p;
}

void nn_pool_close(nn_graph *g) {
  if (!g->weights) return;
#ifdef NN_ASAN
  /* the range may be mapped again by anyone: leave its shadow clean */
  ASAN_UNPOISON_MEMORY_REGION(g->weights, g->weights_len);
#endif
  munmap(g->weights, g->weights_len);
  g->weights = NULL;
  g->weights_len = 0;
}
