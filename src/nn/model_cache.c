/* The process's loaded models (model_cache.h). */
#include "nn/model_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct cached_model {
  char *path;
  int threads; /* a plan's per-thread scratch is sized for its context's pool */
  dm_nn_model *model;
  pthread_mutex_t busy; /* held while a worker runs it */
  struct cached_model *next;
} cached_model;

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static cached_model *cache_head;
static int cache_on, cache_loads;

void dm_nn_cache_enable(void) {
  pthread_mutex_lock(&cache_lock);
  cache_on = 1;
  pthread_mutex_unlock(&cache_lock);
}

int dm_nn_cache_enabled(void) {
  pthread_mutex_lock(&cache_lock);
  int on = cache_on;
  pthread_mutex_unlock(&cache_lock);
  return on;
}

int dm_nn_cache_loads(void) {
  pthread_mutex_lock(&cache_lock);
  int n = cache_loads;
  pthread_mutex_unlock(&cache_lock);
  return n;
}

static cached_model *find(dm_nn_model *model) {
  for (cached_model *c = cache_head; c; c = c->next)
    if (c->model == model) return c;
  return NULL;
}

dm_status dm_nn_cache_acquire(dm_context *ctx, const char *path, dm_nn_model **model) {
  *model = NULL;
  pthread_mutex_lock(&cache_lock);
  if (!cache_on) {
    cache_loads++;
    pthread_mutex_unlock(&cache_lock);
    return dm_nn_load(ctx, path, model);
  }
  cached_model *c = cache_head;
  while (c && (strcmp(c->path, path) || c->threads != ctx->n_threads)) c = c->next;
  if (!c) {
    /* Loaded under the cache's lock: a second worker wanting the same file
     * waits for this load instead of making its own copy. */
    c = calloc(1, sizeof *c);
    char *p = c ? strdup(path) : NULL;
    dm_status s = p ? dm_nn_load(ctx, path, &c->model)
                    : dm_fail(ctx, DM_ERR_NOMEM, path, "out of memory");
    if (s) {
      free(p);
      free(c);
      pthread_mutex_unlock(&cache_lock);
      return s;
    }
    cache_loads++;
    c->path = p;
    c->threads = ctx->n_threads;
    pthread_mutex_init(&c->busy, NULL);
    c->next = cache_head;
    cache_head = c;
  }
  pthread_mutex_unlock(&cache_lock);
  pthread_mutex_lock(&c->busy);
  *model = c->model;
  return DM_OK;
}

void dm_nn_cache_release(dm_nn_model *model) {
  if (!model) return;
  pthread_mutex_lock(&cache_lock);
  cached_model *c = cache_on ? find(model) : NULL;
  pthread_mutex_unlock(&cache_lock);
  if (c) pthread_mutex_unlock(&c->busy);
  else dm_nn_free(model);
}

void dm_nn_cache_clear(void) {
  pthread_mutex_lock(&cache_lock);
  while (cache_head) {
    cached_model *c = cache_head;
    cache_head = c->next;
    pthread_mutex_destroy(&c->busy);
    dm_nn_free(c->model);
    free(c->path);
    free(c);
  }
  pthread_mutex_unlock(&cache_lock);
}
