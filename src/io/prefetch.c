/* A file decoded ahead on its own thread (see prefetch.h). */
#include "io/prefetch.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct dm_io_prefetch {
  pthread_t tid;
  pthread_mutex_t lock; /* taking and freeing may come from different threads */
  int joined, taken;
  dm_context *ctx; /* the read's own, with the starter's limits */
  dm_status status;
  dm_decoded dec;
  char path[4096];
};

static void *read_ahead(void *arg) {
  dm_io_prefetch *p = arg;
  p->status = dm_io_read(p->ctx, p->path, &p->dec);
  return NULL;
}

dm_io_prefetch *dm_io_prefetch_start(const dm_context *limits, const char *path) {
  dm_io_prefetch *p = calloc(1, sizeof *p);
  if (!p || strlen(path) >= sizeof p->path || !(p->ctx = dm_context_new(1))) {
    free(p);
    return NULL;
  }
  memcpy(p->path, path, strlen(path) + 1);
  p->ctx->max_memory = limits->max_memory;
  pthread_mutex_init(&p->lock, NULL);
  if (pthread_create(&p->tid, NULL, read_ahead, p) != 0) {
    pthread_mutex_destroy(&p->lock);
    dm_context_free(p->ctx);
    free(p);
    return NULL;
  }
  return p;
}

/* Joins the reader once (lock held). */
static void join(dm_io_prefetch *p) {
  if (!p->joined) pthread_join(p->tid, NULL);
  p->joined = 1;
}

dm_status dm_io_prefetch_take(dm_context *ctx, dm_io_prefetch *p, const char *path, dm_decoded *out) {
  if (!p) return dm_io_read(ctx, path, out);
  pthread_mutex_lock(&p->lock);
  join(p);
  const int mine = !p->taken && p->status == DM_OK && !strcmp(p->path, path);
  if (mine) {
    *out = p->dec;
    memset(&p->dec, 0, sizeof p->dec);
  }
  p->taken = 1;
  pthread_mutex_unlock(&p->lock);
  return mine ? DM_OK : dm_io_read(ctx, path, out);
}

void dm_io_prefetch_free(dm_io_prefetch *p) {
  if (!p) return;
  pthread_mutex_lock(&p->lock);
  join(p);
  pthread_mutex_unlock(&p->lock);
  if (p->status == DM_OK) dm_decoded_free(&p->dec);
  pthread_mutex_destroy(&p->lock);
  dm_context_free(p->ctx);
  free(p);
}
