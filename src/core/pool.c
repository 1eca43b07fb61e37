#include "core/pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

/* Jobs come in bursts (a render runs a few hundred, each a few hundred
 * microseconds to milliseconds long), and waking a sleeping thread costs
 * tens of microseconds on a virtual machine. So a worker that finishes a
 * job spins a little for the next before it sleeps, and the caller spins a
 * little for the workers before it sleeps: the handover stays in user space
 * while a burst lasts, and an idle pool sleeps. */
#define SPIN_ROUNDS 4096 /* about 50-200 us of pause instructions */

/* Each worker's share of a job is claimed, by the worker when it gets to the
 * job or by the caller once its own share is done, whichever comes first:
 * on a busy machine a worker may not be scheduled for milliseconds, and a
 * short job (a FastDepth layer is ~0.2 ms) then runs on the caller alone
 * instead of waiting for it. Shares are whole (ith, nth) calls, so jobs that
 * split work statically stay correct whoever runs them. */
enum { SHARE_OPEN = 0, SHARE_TAKEN = 1 };

struct dm_pool {
  int n;
  pthread_t *threads;
  pthread_mutex_t mu;
  pthread_cond_t start, done;
  atomic_ulong generation; /* bumped once per job, under mu */
  atomic_int pending;      /* shares not yet finished (workers' and caller-taken) */
  atomic_int *share;       /* [n]: SHARE_OPEN until worker ith's share is claimed */
  atomic_int quit;
  int sleepers;            /* workers waiting on start (under mu) */
  dm_job_fn fn;            /* the current job: written before generation moves */
  void *user;
};

typedef struct {
  dm_pool *pool;
  int ith;
} worker_arg;

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/* The job after `seen`, spinning first and then sleeping; 0 at quit. */
static unsigned long next_job(dm_pool *pool, unsigned long seen) {
  unsigned long g;
  for (int i = 0; i < SPIN_ROUNDS; i++) {
    if ((g = atomic_load_explicit(&pool->generation, memory_order_acquire)) != seen) return g;
    if (atomic_load_explicit(&pool->quit, memory_order_relaxed)) return 0;
    cpu_relax();
  }
  pthread_mutex_lock(&pool->mu);
  pool->sleepers++;
  while (!atomic_load(&pool->quit) && atomic_load(&pool->generation) == seen)
    pthread_cond_wait(&pool->start, &pool->mu);
  pool->sleepers--;
  g = atomic_load(&pool->quit) ? 0 : atomic_load(&pool->generation);
  pthread_mutex_unlock(&pool->mu);
  return g;
}

static void *worker_main(void *p) {
  worker_arg *arg = p;
  dm_pool *pool = arg->pool;
  int ith = arg->ith;
  free(arg);
  unsigned long seen = 0;
  while ((seen = next_job(pool, seen)) != 0) {
    /* a late worker may find its share run by the caller, or (the caller
     * having moved on) the next job's share open: it runs whichever job the
     * claim belongs to, as fn and user are read after the claim */
    int open = SHARE_OPEN;
    if (!atomic_compare_exchange_strong_explicit(&pool->share[ith], &open, SHARE_TAKEN, memory_order_acq_rel,
                                                 memory_order_relaxed))
      continue;
    pool->fn(pool->user, ith, pool->n);
    if (atomic_fetch_sub_explicit(&pool->pending, 1, memory_order_acq_rel) == 1) {
      pthread_mutex_lock(&pool->mu); /* the caller may be asleep */
      pthread_cond_signal(&pool->done);
      pthread_mutex_unlock(&pool->mu);
    }
  }
  return NULL;
}

dm_pool *dm_pool_new(int n_threads) {
  if (n_threads < 2) return NULL;
  dm_pool *pool = calloc(1, sizeof *pool);
  if (!pool) return NULL;
  pool->threads = calloc((size_t)n_threads, sizeof *pool->threads);
  pool->share = calloc((size_t)n_threads, sizeof *pool->share);
  if (!pool->threads || !pool->share) {
    free(pool->threads), free(pool->share);
    free(pool);
    return NULL;
  }
  for (int i = 0; i < n_threads; i++) atomic_init(&pool->share[i], SHARE_TAKEN);
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
  atomic_store(&pool->quit, 1);
  pthread_cond_broadcast(&pool->start);
  pthread_mutex_unlock(&pool->mu);
  for (int i = 1; i < pool->n; i++) pthread_join(pool->threads[i], NULL);
  pthread_mutex_destroy(&pool->mu);
  pthread_cond_destroy(&pool->start);
  pthread_cond_destroy(&pool->done);
  free(pool->threads), free(pool->share);
  free(pool);
}

void dm_parallel(dm_context *ctx, dm_job_fn fn, void *user) {
  dm_pool *pool = ctx ? ctx->pool : NULL;
  if (!pool || pool->n < 2) {
    fn(user, 0, 1);
    return;
  }
  pool->fn = fn;
  pool->user = user;
  atomic_store_explicit(&pool->pending, pool->n - 1, memory_order_relaxed);
  /* release: a worker whose claim reads this sees fn and user */
  for (int i = 1; i < pool->n; i++) atomic_store_explicit(&pool->share[i], SHARE_OPEN, memory_order_release);
  pthread_mutex_lock(&pool->mu);
  atomic_fetch_add_explicit(&pool->generation, 1, memory_order_release);
  if (pool->sleepers) pthread_cond_broadcast(&pool->start);
  pthread_mutex_unlock(&pool->mu);
  fn(user, 0, pool->n);
  /* the shares no worker has started: run them here */
  for (int i = 1; i < pool->n; i++) {
    int open = SHARE_OPEN;
    if (atomic_compare_exchange_strong_explicit(&pool->share[i], &open, SHARE_TAKEN, memory_order_acq_rel,
                                                memory_order_relaxed)) {
      fn(user, i, pool->n);
      atomic_fetch_sub_explicit(&pool->pending, 1, memory_order_acq_rel);
    }
  }
  for (int i = 0; i < SPIN_ROUNDS && atomic_load_explicit(&pool->pending, memory_order_acquire) > 0; i++)
    cpu_relax();
  if (atomic_load_explicit(&pool->pending, memory_order_acquire) > 0) {
    pthread_mutex_lock(&pool->mu);
    while (atomic_load(&pool->pending) > 0) pthread_cond_wait(&pool->done, &pool->mu);
    pthread_mutex_unlock(&pool->mu);
  }
}

typedef struct range_job {
  size_t n;
  dm_range_fn fn;
  void *user;
} range_job;

static void range_part(void *user, int ith, int nth) {
  const range_job *j = user;
  size_t a = j->n * (size_t)ith / (size_t)nth, b = j->n * (size_t)(ith + 1) / (size_t)nth;
  if (a < b) j->fn(j->user, a, b);
}

void dm_parallel_range(dm_context *ctx, size_t n, dm_range_fn fn, void *user) {
  range_job j = {n, fn, user};
  dm_parallel(ctx, range_part, &j);
}

typedef struct runs_job {
  size_t n, per_thread;
  atomic_size_t next;
  dm_range_fn fn;
  void *user;
} runs_job;

static void runs_part(void *user, int ith, int nth) {
  (void)ith;
  runs_job *j = user;
  const size_t cuts = j->per_thread * (size_t)nth, run = (j->n + cuts - 1) / cuts;
  for (;;) {
    size_t a = atomic_fetch_add(&j->next, run);
    if (a >= j->n) return;
    j->fn(j->user, a, a + run < j->n ? a + run : j->n);
  }
}

void dm_parallel_runs(dm_context *ctx, size_t n, size_t per_thread, dm_range_fn fn, void *user) {
  runs_job j = {n, per_thread > 0 ? per_thread : 1, 0, fn, user};
  atomic_init(&j.next, 0);
  dm_parallel(ctx, runs_part, &j);
}
