#include "core/pool.h"

#include <pthread.h>
#include <stdlib.h>

struct dm_pool {
  int n;
  pthread_t *threads;
  pthread_mutex_t mu;
  pthread_cond_t start, done;
  unsigned long generation; /* bumped once per job */
  int pending;              /* workers still running the current job */
  int quit;
  dm_job_fn fn;
  void *user;
};

typedef struct {
  dm_pool *pool;
  int ith;
} worker_arg;

static void *worker_main(void *p) {
  worker_arg *arg = p;
  dm_pool *pool = arg->pool;
  int ith = arg->ith;
  free(arg);
  unsigned long seen = 0;
  pthread_mutex_lock(&pool->mu);
  for (;;) {
    while (!pool->quit && pool->generation == seen) pthread_cond_wait(&pool->start, &pool->mu);
    if (pool->quit) break;
    seen = pool->generation;
    dm_job_fn fn = pool->fn;
    void *user = pool->user;
    pthread_mutex_unlock(&pool->mu);
    fn(user, ith, pool->n);
    pthread_mutex_lock(&pool->mu);
    if (--pool->pending == 0) pthread_cond_signal(&pool->done);
  }
  pthread_mutex_unlock(&pool->mu);
  return NULL;
}

dm_pool *dm_pool_new(int n_threads) {
  if (n_threads < 2) return NULL;
  dm_pool *pool = calloc(1, sizeof *pool);
  if (!pool) return NULL;
  pool->threads = calloc((size_t)n_threads, sizeof *pool->threads);
  if (!pool->threads) {
    free(pool);
    return NULL;
  }
  pthread_mutex_init(&pool->mu, NULL);
  pthread_cond_init(&pool->start, NULL);
  pthread_cond_init(&pool->done, NULL);
  pool->n = 1;
  for (int i = 1; i < n_threads; i++) {
    worker_arg *arg = malloc(sizeof *arg);
    if (!arg) break;
    arg->pool = pool;
    arg->ith = i;
    if (pthread_create(&pool->threads[i], NULL, worker_main, arg) != 0) {
      free(arg);
      break;
    }
    pool->n = i + 1;
  }
  return pool;
}

void dm_pool_free(dm_pool *pool) {
  if (!pool) return;
  pthread_mutex_lock(&pool->mu);
  pool->quit = 1;
  pthread_cond_broadcast(&pool->start);
  pthread_mutex_unlock(&pool->mu);
  for (int i = 1; i < pool->n; i++) pthread_join(pool->threads[i], NULL);
  pthread_mutex_destroy(&pool->mu);
  pthread_cond_destroy(&pool->start);
  pthread_cond_destroy(&pool->done);
  free(pool->threads);
  free(pool);
}

void dm_parallel(dm_context *ctx, dm_job_fn fn, void *user) {
  dm_pool *pool = ctx ? ctx->pool : NULL;
  if (!pool || pool->n < 2) {
    fn(user, 0, 1);
    return;
  }
  pthread_mutex_lock(&pool->mu);
  pool->fn = fn;
  pool->user = user;
  pool->pending = pool->n - 1;
  pool->generation++;
  pthread_cond_broadcast(&pool->start);
  pthread_mutex_unlock(&pool->mu);
  fn(user, 0, pool->n);
  pthread_mutex_lock(&pool->mu);
  while (pool->pending > 0) pthread_cond_wait(&pool->done, &pool->mu);
  pthread_mutex_unlock(&pool->mu);
}
