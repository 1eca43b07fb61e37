/* A small persistent thread pool that runs one job on all threads at once.
 *
 * Work is split explicitly: the job function receives (ith, nth) and picks
 * its own share (rows, tiles), as ggml's compute params do. The calling
 * thread is worker 0, so a pool of n threads starts n-1 extra threads. */
#ifndef DM_POOL_H
#define DM_POOL_H

#include <stddef.h>

#include "core/context.h"

typedef void (*dm_job_fn)(void *user, int ith, int nth);

dm_pool *dm_pool_new(int n_threads);
void dm_pool_free(dm_pool *pool);

/* Run fn(user, ith, nth) for ith = 0..nth-1 and wait for all of them.
 * With no pool (single thread) it runs fn(user, 0, 1) inline. A share whose
 * worker has not started it by the time the caller's own share is done runs
 * on the caller, after its own: shares must not wait for one another. */
void dm_parallel(dm_context *ctx, dm_job_fn fn, void *user);

/* Run fn(user, i0, i1) on every thread, each with its share [i0, i1) of
 * [0, n): for loops over cells or list entries, where rows do not fit. */
typedef void (*dm_range_fn)(void *user, size_t i0, size_t i1);
void dm_parallel_range(dm_context *ctx, size_t n, dm_range_fn fn, void *user);

/* Run fn(user, i0, i1) over [0, n) cut into `per_thread` runs a thread,
 * which the threads take as each finishes its last: for work that the
 * photo spreads unevenly. fn must give the same result whichever thread
 * runs a run. */
void dm_parallel_runs(dm_context *ctx, size_t n, size_t per_thread, dm_range_fn fn, void *user);

/* Rows [*y0, *y1) of `height` that worker ith of nth should process. */
static inline void dm_split_rows(int height, int ith, int nth, int *y0, int *y1) {
  long long h = height;
  *y0 = (int)(h * ith / nth);
  *y1 = (int)(h * (ith + 1) / nth);
}

#endif
