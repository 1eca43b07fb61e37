/* Scratch memory for the lens blur.
 *
 * The blur's buffers are large and touched once or twice, so the cost of
 * first touching fresh pages is a real share of its time (4 KiB pages cost
 * 0.3 s per 64 MiB on the 2-core VMs we measure on; 2 MiB pages 0.035 s).
 * Buffers of 2 MiB or more are therefore aligned to 2 MiB and marked for
 * transparent huge pages where the system offers them (Linux "madvise"
 * mode); elsewhere this is plain malloc. */
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "blur/blur_internal.h"

#define HUGE_PAGE ((size_t)2 << 20)

void *bl_alloc(size_t bytes) {
  if (bytes < HUGE_PAGE) return malloc(bytes ? bytes : 1);
  size_t n = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
  void *p = aligned_alloc(HUGE_PAGE, n);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (p) madvise(p, n, MADV_HUGEPAGE);
#endif
  return p;
}

void *bl_calloc(size_t count, size_t size) {
  if (size && count > (size_t)-1 / size) return NULL;
  void *p = bl_alloc(count * size);
  if (p) memset(p, 0, count * size);
  return p;
}

/* ---- per-call scratch: transient buffers reuse the same pages ---------- */

#define CHUNK_MIN ((size_t)32 << 20)

void *bl_take(bl_arena *a, size_t bytes) {
  bytes = (bytes + 63) / 64 * 64;
  for (int i = 0; i < a->n; i++)
    if (a->cap[i] - a->used[i] >= bytes) {
      void *p = a->base[i] + a->used[i];
      a->used[i] += bytes;
      return p;
    }
  if (a->n >= BL_ARENA_CHUNKS) return NULL;
  size_t cap = bytes > CHUNK_MIN ? bytes : CHUNK_MIN;
  char *p = bl_alloc(cap);
  if (!p) return NULL;
  a->base[a->n] = p;
  a->cap[a->n] = cap;
  a->used[a->n] = bytes;
  a->n++;
  return p;
}

void bl_arena_reset(bl_arena *a) {
  for (int i = 0; i < a->n; i++) a->used[i] = 0;
}

void bl_arena_free(bl_arena *a) {
  for (int i = 0; i < a->n; i++) free(a->base[i]);
  a->n = 0;
}
