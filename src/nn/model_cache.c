/* The process's loaded models (model_cache.h). */
#include "nn/model_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct cached_model {
  char *path;
  int threads; /* a plan's per-thread scratch is sized for its context's pool */
  dm_nn_model *model;
  int busy;    /* a worker runs it (under cache_lock) */
  struct cached_model *next;
} cached_model;

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cache_freed = PTHREAD_COND_INITIALIZER;
static cached_model *cache_head;
static int cache_on, cache_loads, cache_copies = 1;

void dm_nn_cache_enable(int copies) {
  pthread_mutex_lock(&cache_lock);
  cache_on = 1;
  cache_copies = copies > 1 ? copies : 1;
  pthread_mutex_unlock(&cache_lock);
}

int dm_nn_cache_loads(void) {
  pthread_mutex_lock(&cache_lock);
  int n = cache_loads;
  pthread_mutex_unlock(&cache_lock);
  return n;
}

static int same(const cached_model *c, const char *path, int threads) {
  return c->threads == threads && !strcmp(c->path, path);
}

dm_status dm_nn_cache_acquire(dm_context *ctx, const char *path, dm_nn_model **model) {
  *model = NULL;
  pthread_mutex_lock(&cache_lock);
  if (!cache_on) {
    cache_loads++;
    pthread_mutex_unlock(&cache_lock);
    return dm_nn_load(ctx, path, model);
  }
  for (;;) {
    int copies = 0;
    for (cached_model *c = cache_head; c; c = c->next) {
      if (!same(c, path, ctx->n_threads)) continue;
      copies++;
      if (!c->busy) {
        c->busy = 1;
        *model = c->model;
        pthread_mutex_unlock(&cache_lock);
        return DM_OK;
      }
    }
    if (copies < cache_copies) break;
    /* every copy is running: wait for one rather than load another */
    pthread_cond_wait(&cache_freed, &cache_lock);
  }
  /* A new copy, loaded under the lock: a second worker wanting the same
   * file waits for this load instead of reading it again at once. */
  cached_model *c = calloc(1, sizeof *c);
  char *p = c ? strdup(path) : NULL;
  dm_status s = p ? dm_nn_load(ctx, path, &c->model) : dm_fail(ctx, DM_ERR_NOMEM, path, "out of memory");
  if (s) {
    free(p);
    free(c);
    pthread_mutex_unlock(&cache_lock);
    return s;
  }
  cache_loads++;
  c->path = p;
  c->threads = ctx->n_threads;
  c->busy = 1;
  c->next = cache_head;
  cache_head = c;
  *model = c->model;
  pthread_mutex_unlock(&cache_lock);
  return DM_OK;
}

void dm_nn_cache_release(dm_nn_model *model) {
  if (!model) return;
  pthread_mutex_lock(&cache_lock);
  cached_model *c = cache_head;
  while (c && c->model != model) c = c->next;
  if (c) {
    c->busy = 0;
    pthread_cond_broadcast(&cache_freed);
  }
  pthread_mutex_unlock(&cache_lock);
  if (!c) dm_nn_free(model); /* loaded with the cache off */
}

void dm_nn_cache_clear(void) {
  pthread_mutex_lock(&cache_lock);
  while (cache_head) {
    cached_model *c = cache_head;
    cache_head = c->next;
    dm_nn_free(c->model);
    free(c->path);
    free(c);
  }
  pthread_mutex_unlock(&cache_lock);
}
