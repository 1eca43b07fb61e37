/* Scratch memory for the lens blur.
 *
 * The blur's buffers are large and touched once or twice, so the cost of
 * first touching fresh pages is a real share of its time (4 KiB pages cost
 * 0.3 s per 64 MiB on the 2-core VMs we measure on; 2 MiB pages 0.035 s).
 * Large buffers come from core/bigmem (huge pages, reused across calls);
 * small ones from malloc. bl_free releases either. */
#include <stdlib.h>

#include "blur/blur_internal.h"
#include "core/bigmem.h"

void *bl_alloc(size_t bytes) { return dm_big_alloc(bytes); }

void bl_free(void *p) { dm_big_free(p); }

void *bl_calloc(size_t count, size_t size) {
  if (size && count > (size_t)-1 / size) return NULL;
  return dm_big_calloc(count * size);
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
  for (int i = 0; i < a->n; i++) bl_free(a->base[i]);
  a->n = 0;
}
