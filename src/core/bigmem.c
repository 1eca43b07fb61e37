#include "core/bigmem.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Buffers of at least this size are large: aligned, advised, pooled.
 * First-touching a 288 MB image costs ~1 s in 4 KiB page faults on our VMs
 * and ~0.03 s with huge pages (measured in the colour stage). */
#define HUGE_ALIGN ((size_t)2 << 20)
#define LARGE HUGE_ALIGN

typedef struct {
  void *p;
  size_t bytes; /* rounded to HUGE_ALIGN */
} block;

/* Live large buffers (to know a pointer's size when it is freed) and the
 * pool, oldest first. Both are short: a render has a few dozen large
 * buffers live at most. */
static struct {
  pthread_mutex_t lock;
  block *live, *pool;
  size_t n_live, cap_live, n_pool, cap_pool, pooled;
} g = {.lock = PTHREAD_MUTEX_INITIALIZER};

static int push(block **a, size_t *n, size_t *cap, block b) {
  if (*n == *cap) {
    size_t c = *cap ? 2 * *cap : 32;
    block *m = realloc(*a, c * sizeof *m);
    if (!m) return 0;
    *a = m, *cap = c;
  }
  (*a)[(*n)++] = b;
  return 1;
}

/* Removes entry i keeping the order (the pool is oldest first). */
static block take_at(block *a, size_t *n, size_t i) {
  block b = a[i];
  memmove(a + i, a + i + 1, (*n - i - 1) * sizeof *a);
  (*n)--;
  return b;
}

void *dm_big_alloc(size_t bytes) {
  if (bytes < LARGE) return malloc(bytes ? bytes : 1);
  if (bytes > (size_t)-1 - HUGE_ALIGN) return NULL;
  const size_t rounded = (bytes + HUGE_ALIGN - 1) / HUGE_ALIGN * HUGE_ALIGN;
  void *got = NULL, *release[64];
  size_t n_release = 0;
  pthread_mutex_lock(&g.lock);
  /* The newest buffer of this size: its pages are most likely in cache. */
  for (size_t i = g.n_pool; i-- > 0;)
    if (g.pool[i].bytes == rounded) {
      got = take_at(g.pool, &g.n_pool, i).p;
      g.pooled -= rounded;
      break;
    }
  if (!got) { /* release the oldest pooled buffers worth at least this one */
    size_t freed = 0;
    while (g.n_pool && freed < rounded && n_release < 64) {
      block b = take_at(g.pool, &g.n_pool, 0);
      g.pooled -= b.bytes, freed += b.bytes;
      release[n_release++] = b.p;
    }
  }
  pthread_mutex_unlock(&g.lock);
  for (size_t i = 0; i < n_release; i++) free(release[i]);
  if (!got) {
    got = aligned_alloc(HUGE_ALIGN, rounded);
    if (!got) return NULL;
#ifdef MADV_HUGEPAGE
    madvise(got, rounded, MADV_HUGEPAGE);
#endif
  }
  pthread_mutex_lock(&g.lock);
  int ok = push(&g.live, &g.n_live, &g.cap_live, (block){got, rounded});
  pthread_mutex_unlock(&g.lock);
  if (!ok) {
    free(got);
    return NULL;
  }
  return got;
}

void dm_big_free(void *p) {
  if (!p) return;
  pthread_mutex_lock(&g.lock);
  size_t i = g.n_live;
  while (i-- > 0 && g.live[i].p != p) {}
  if (i == (size_t)-1) { /* a small buffer: malloc's own */
    pthread_mutex_unlock(&g.lock);
    free(p);
    return;
  }
  block b = g.live[i];
  g.live[i] = g.live[--g.n_live];
  int pooled = push(&g.pool, &g.n_pool, &g.cap_pool, b);
  if (pooled) g.pooled += b.bytes;
  pthread_mutex_unlock(&g.lock);
  if (!pooled) free(p);
}

void dm_big_trim(void) {
  pthread_mutex_lock(&g.lock);
  for (size_t i = 0; i < g.n_pool; i++) free(g.pool[i].p);
  g.n_pool = 0;
  g.pooled = 0;
  pthread_mutex_unlock(&g.lock);
}

size_t dm_big_pooled(void) {
  pthread_mutex_lock(&g.lock);
  size_t n = g.pooled;
  pthread_mutex_unlock(&g.lock);
  return n;
}
