/* A decoded image's pages faulted in on a second thread (see prefault.h). */
#include "core/prefault.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "core/pool.h"

#define STEP ((size_t)2 << 20)
#define MIN_BYTES ((size_t)4 << 20)

struct dm_prefault {
  pthread_t tid;
  char *p;      /* the image's whole pages */
  size_t bytes;
  atomic_int stop;
};

/* 2 MiB at a time until told to stop; an old kernel refuses (EINVAL). */
static void *populate(void *arg) {
  dm_prefault *pf = arg;
#ifdef MADV_POPULATE_WRITE
  for (size_t o = 0; o < pf->bytes; o += STEP) {
    if (atomic_load_explicit(&pf->stop, memory_order_relaxed)) break;
    if (madvise(pf->p + o, pf->bytes - o < STEP ? pf->bytes - o : STEP, MADV_POPULATE_WRITE) != 0) break;
  }
#endif
  return NULL;
}

/* The whole pages inside [p, p + bytes): madvise wants an aligned start,
 * and every page it touches must be the caller's. Their start, and their
 * length in *len (0 when there are none). */
static char *whole_pages(void *p, size_t bytes, size_t *len) {
  const uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
  const uintptr_t e = ((uintptr_t)p + bytes) & ~(uintptr_t)4095;
  *len = e > a ? e - a : 0;
  return (char *)a;
}

dm_prefault *dm_prefault_image(const dm_context *ctx, const dm_image *img) {
  const size_t bytes = sizeof(float) * img->stride * (size_t)img->height;
  if (!img->data || bytes < MIN_BYTES || ctx->n_threads < 2) return NULL;
  dm_prefault *pf = calloc(1, sizeof *pf);
  if (!pf) return NULL;
  pf->p = whole_pages(img->data, bytes, &pf->bytes);
  atomic_init(&pf->stop, 0);
  if (pthread_create(&pf->tid, NULL, populate, pf) != 0) {
    free(pf);
    return NULL;
  }
  return pf;
}

void dm_prefault_end(dm_prefault *pf) {
  if (!pf) return;
  atomic_store(&pf->stop, 1);
  pthread_join(pf->tid, NULL);
  free(pf);
}

typedef struct {
  char *p; /* whole pages */
  size_t pages;
  atomic_int refused;
} populate_job;

static void populate_share(void *user, int ith, int nth) {
  populate_job *j = user;
  const size_t a = j->pages * (size_t)ith / (size_t)nth, b = j->pages * (size_t)(ith + 1) / (size_t)nth;
  int ok = 0;
#ifdef MADV_POPULATE_WRITE
  ok = b == a || madvise(j->p + a * 4096, (b - a) * 4096, MADV_POPULATE_WRITE) == 0;
#endif
  if (!ok) atomic_store(&j->refused, 1);
}

int dm_populate(dm_context *ctx, void *p, size_t bytes) {
  size_t len;
  char *start = whole_pages(p, bytes, &len);
  populate_job j = {start, len / 4096, 0};
  dm_parallel(ctx, populate_share, &j);
  return !atomic_load(&j.refused);
}
