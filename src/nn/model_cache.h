/* Loaded models kept for the life of a process that renders many photos
 * (the batch runner, the editor): each model file is read and planned once
 * per copy and then reused by every photo. A model holds its plan and arena
 * (nn.h), so one run at a time uses a copy: a worker holds it from
 * dm_nn_cache_acquire to dm_nn_cache_release. Up to `copies` copies of a
 * network are kept (ISNet planned is ~0.5 GB each): with one, workers take
 * turns and a one-thread worker runs ISNet 2.4x slower while the other
 * waits (bench/run batch); the batch keeps one per worker.
 *
 * Off by default: a one-photo command loads, runs and frees, as before. */
#ifndef DM_NN_MODEL_CACHE_H
#define DM_NN_MODEL_CACHE_H

#include "nn/nn.h"

/* Keep models loaded from now on, at most `copies` of each (call before
 * starting workers). */
void dm_nn_cache_enable(int copies);
/* The model at `path`, loaded on first use, held by this caller until
 * dm_nn_cache_release. With the cache off, a fresh model the release frees. */
dm_status dm_nn_cache_acquire(dm_context *ctx, const char *path, dm_nn_model **model);
void dm_nn_cache_release(dm_nn_model *model);
/* Free every cached model (no worker may hold one); the cache stays on. */
void dm_nn_cache_clear(void);
/* How many times a model file was loaded since the process started. */
int dm_nn_cache_loads(void);

#endif
