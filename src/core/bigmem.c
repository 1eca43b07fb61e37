/* Large buffers: mapped memory handed out by first fit from what earlier
 * buffers freed, so a render's dozens of planes reuse the same pages.
 *
 * Free memory is kept as ranges (2 MiB aligned, multiples of 2 MiB); a
 * request takes the start of the smallest range that holds it and leaves
 * the rest free, and a freed buffer joins the ranges beside it. When no
 * single range holds a request, the free ranges' pages are moved (mremap:
 * page tables only, nothing copied or zeroed) into one new range, largest
 * first, and only what they lack is fresh: mapped memory never exceeds the
 * most that was ever live, and pages are only faulted in anew when the live
 * set grows past that. Under AddressSanitizer free ranges and each buffer's
 * tail are poisoned, so overruns are still caught. */
#include "core/bigmem.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#define SLACK 4096 /* a poisoned tail after every buffer */
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#define SLACK 0
#endif

/* Buffers of at least this size are large: mapped, advised for transparent
 * huge pages, reused. First-touching a 288 MB image costs ~1 s in 4 KiB
 * page faults on our VMs and ~0.03 s with huge pages. */
#define HUGE_ALIGN ((size_t)2 << 20)
#define LARGE HUGE_ALIGN

typedef struct {
  char *p;
  size_t bytes;
} range;

static struct {
  pthread_mutex_t lock;
  range *live, *free;
  size_t n_live, cap_live, n_free, cap_free, pooled;
} g = {.lock = PTHREAD_MUTEX_INITIALIZER};

static int push(range **a, size_t *n, size_t *cap, range r) {
  if (*n == *cap) {
    size_t c = *cap ? 2 * *cap : 32;
    range *m = realloc(*a, c * sizeof *m);
    if (!m) return 0;
    *a = m, *cap = c;
  }
  (*a)[(*n)++] = r;
  return 1;
}

static void advise_huge(char *p, size_t bytes) {
#ifdef MADV_HUGEPAGE
  madvise(p, bytes, MADV_HUGEPAGE);
#else
  (void)p, (void)bytes;
#endif
}

/* New pages, 2 MiB aligned: map a little more and unmap the ends. */
static char *map_new(size_t bytes) {
  char *m = mmap(NULL, bytes + HUGE_ALIGN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return NULL;
  char *p = (char *)(((uintptr_t)m + HUGE_ALIGN - 1) & ~(uintptr_t)(HUGE_ALIGN - 1));
  if (p > m) munmap(m, (size_t)(p - m));
  if (p + bytes < m + bytes + HUGE_ALIGN) munmap(p + bytes, (size_t)(m + bytes + HUGE_ALIGN - (p + bytes)));
  advise_huge(p, bytes);
  return p;
}

/* Takes `bytes` from the smallest free range that holds them (lock held). */
static char *take_free(size_t bytes) {
  size_t best = (size_t)-1;
  for (size_t i = 0; i < g.n_free; i++)
    if (g.free[i].bytes >= bytes && (best == (size_t)-1 || g.free[i].bytes < g.free[best].bytes)) best = i;
  if (best == (size_t)-1) return NULL;
  range *r = &g.free[best];
  char *p = r->p;
  r->p += bytes, r->bytes -= bytes;
  if (!r->bytes) g.free[best] = g.free[--g.n_free];
  g.pooled -= bytes;
  return p;
}

/* Moves the pages of [src, src+n) to dst (both 2 MiB aligned, dst mapped
 * and untouched). A free range may span two mappings, which one mremap
 * cannot move: then 2 MiB at a time. Returns the bytes moved; whatever was
 * not moved is unmapped (it was free) and dst gets fresh pages there, or
 * (size_t)-1 when even those cannot be mapped (dst then has a hole). */
static size_t move_pages(char *dst, char *src, size_t n) {
  const int how = MREMAP_MAYMOVE | MREMAP_FIXED;
  UNPOISON(src, n); /* the addresses leave the pool either way */
  if (mremap(src, n, n, how, dst) == dst) return n;
  size_t o = 0; /* a failed mremap may have unmapped dst: moving onto it still works */
  while (o < n && mremap(src + o, HUGE_ALIGN, HUGE_ALIGN, how, dst + o) == dst + o) o += HUGE_ALIGN;
  if (o == n) return n;
  munmap(src + o, n - o);
  if (mmap(dst + o, n - o, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
    return (size_t)-1;
  advise_huge(dst + o, n - o);
  return o;
}

/* New pages for `bytes` (a multiple of 2 MiB), the free ranges' pages moved
 * into their start, largest range first (lock held). *reused: how many
 * leading bytes are old pages (the rest read as zeros). */
static char *gather(size_t bytes, size_t *reused) {
  char *p = map_new(bytes);
  *reused = 0;
  while (p && *reused < bytes && g.n_free) {
    size_t big = 0;
    for (size_t i = 1; i < g.n_free; i++)
      if (g.free[i].bytes > g.free[big].bytes) big = i;
    range *r = &g.free[big];
    const size_t want = bytes - *reused, n = r->bytes < want ? r->bytes : want;
    const size_t moved = move_pages(p + *reused, r->p, n);
    g.pooled -= n;
    r->p += n, r->bytes -= n;
    if (!r->bytes) g.free[big] = g.free[--g.n_free];
    if (moved == (size_t)-1) {
      munmap(p, bytes);
      return NULL;
    }
    *reused += moved;
    if (moved < n) break; /* the rest stays fresh */
  }
  return p;
}

/* *reused: how many leading bytes may hold old data (the rest are fresh
 * pages, which the kernel zeroes). */
static void *big_alloc(size_t bytes, size_t *reused) {
  *reused = 0;
  if (bytes > (size_t)-1 / 2) return NULL;
  const size_t rounded = (bytes + SLACK + HUGE_ALIGN - 1) / HUGE_ALIGN * HUGE_ALIGN;
  pthread_mutex_lock(&g.lock);
  char *p = take_free(rounded);
  if (p) *reused = rounded;
  else p = gather(rounded, reused);
  if (p && !push(&g.live, &g.n_live, &g.cap_live, (range){p, rounded})) {
    munmap(p, rounded);
    p = NULL;
  }
  pthread_mutex_unlock(&g.lock);
  if (p) UNPOISON(p, bytes), POISON(p + bytes, rounded - bytes);
  return p;
}

void *dm_big_alloc(size_t bytes) {
  size_t reused;
  return bytes < LARGE ? malloc(bytes ? bytes : 1) : big_alloc(bytes, &reused);
}

void *dm_big_calloc(size_t bytes) {
  if (bytes < LARGE) return calloc(bytes ? bytes : 1, 1);
  size_t reused;
  void *p = big_alloc(bytes, &reused);
  /* Fresh pages read as zeros already: writing them would only fault them
   * in sooner. Reused ones are cleared. */
  if (p) memset(p, 0, reused < bytes ? reused : bytes);
  return p;
}

/* Adds r to the free ranges, joined with those it touches (lock held). */
static void add_free(range r) {
  for (size_t i = 0; i < g.n_free;) {
    range *f = &g.free[i];
    if (f->p + f->bytes == r.p || r.p + r.bytes == f->p) {
      r.p = f->p < r.p ? f->p : r.p;
      r.bytes += f->bytes;
      g.pooled -= f->bytes;
      g.free[i] = g.free[--g.n_free];
    } else {
      i++;
    }
  }
  if (push(&g.free, &g.n_free, &g.cap_free, r)) g.pooled += r.bytes;
  else munmap(r.p, r.bytes);
}

void dm_big_free(void *ptr) {
  if (!ptr) return;
  pthread_mutex_lock(&g.lock);
  size_t i = g.n_live;
  while (i-- > 0 && g.live[i].p != ptr) {}
  if (i == (size_t)-1) { /* a small buffer: malloc's own */
    pthread_mutex_unlock(&g.lock);
    free(ptr);
    return;
  }
  range r = g.live[i];
  g.live[i] = g.live[--g.n_live];
  POISON(r.p, r.bytes);
  add_free(r);
  pthread_mutex_unlock(&g.lock);
}

void dm_big_trim(void) {
  pthread_mutex_lock(&g.lock);
  for (size_t i = 0; i < g.n_free; i++) {
    UNPOISON(g.free[i].p, g.free[i].bytes);
    munmap(g.free[i].p, g.free[i].bytes);
  }
  g.n_free = 0;
  g.pooled = 0;
  pthread_mutex_unlock(&g.lock);
}

size_t dm_big_pooled(void) {
  pthread_mutex_lock(&g.lock);
  size_t n = g.pooled;
  pthread_mutex_unlock(&g.lock);
  return n;
}
