/* dm_context: everything that would otherwise be global state.
 *
 * It carries the thread pool, the log callback, the cancel flag and the
 * last error message. One context per thread of control; it is not shared
 * between concurrently running renders. */
#ifndef DM_CONTEXT_H
#define DM_CONTEXT_H

#include <stdarg.h>
#include <stdatomic.h>

#include "core/status.h"

/* INFO is a stage's end (dm_stage_done): what --timings prints. */
typedef enum dm_log_level { DM_LOG_DEBUG, DM_LOG_INFO, DM_LOG_WARN } dm_log_level;
typedef void (*dm_log_fn)(void *user, dm_log_level level, const char *msg);

typedef struct dm_pool dm_pool;

typedef struct dm_context {
  int n_threads;
  dm_pool *pool;            /* owned; NULL when n_threads == 1 */
  dm_log_fn log;            /* may be NULL */
  void *log_user;
  atomic_int cancel;        /* set non-zero from any thread to cancel */
  /* Another context's flag this one also obeys (a job's own context made
   * for work its caller may cancel), or NULL. */
  const atomic_int *cancel_also;
  char cache_dir[1024];
  /* --skip-unknown-masks: a correction whose mask holds a component that
   * cannot be rendered is skipped (with a warning) instead of refused. */
  int skip_unrendered_masks;
  /* --allow-outside-paths: `file` mask paths may leave the recipe's folder
   * (a client's sidecar must not read the retoucher's other files). */
  int allow_outside_paths;
  /* Memory: what a job may use (bytes; 0 = no limit; dm_context_new sets
   * dm_default_max_memory) and what the caller's job holds per photo pixel
   * at its peak (0 = decoding alone). dm_check_memory, called by every
   * decoder once it knows the size, refuses what would not fit. */
  long long max_memory;
  int bytes_per_pixel;
  /* Decoders stop after the header (size, format, profile, EXIF): the image
   * comes back with its size and no pixels (`info` on any photo). */
  int header_only;
  char error[1024];         /* last error, "FILE: problem" */
} dm_context;

/* n_threads <= 0 means "number of online CPUs". Returns NULL on OOM. */
dm_context *dm_context_new(int n_threads);
void dm_context_free(dm_context *ctx);

/* Record an error for `subject` (a file name or a field name; may be NULL)
 * and return `s`, so callers can write `return dm_fail(ctx, ...)`. */
dm_status dm_fail(dm_context *ctx, dm_status s, const char *subject, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
const char *dm_context_error(const dm_context *ctx);
void dm_log(dm_context *ctx, dm_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* 3/4 of the RAM, or of the cgroup's limit when that is lower. */
long long dm_default_max_memory(void);
/* The RAM, or the cgroup's limit when that is lower (0 when unknown). */
long long dm_memory_size(void);
/* The memory the kernel could give now without swapping (MemAvailable; 0
 * when unknown). */
long long dm_memory_available(void);
/* The CPUs this process may use: its affinity mask (Slurm's allocation),
 * or the cgroup's cpu.max quota (a container's limit) when that is lower. */
int dm_cpu_count(void);
/* "4G", "512MiB", "2.5g", "1000000" (bytes) -> bytes; 0 when malformed. */
int dm_parse_size(const char *text, long long *out);
/* Refuse a w x h photo whose work (ctx->bytes_per_pixel) exceeds
 * ctx->max_memory, naming its size and the memory it needs. */
dm_status dm_check_memory(dm_context *ctx, const char *name, long long w, long long h);

/* A monotonic clock in milliseconds, for stage times and idle timers. */
double dm_now_ms(void);

/* A stage has ended: "JOB: STAGE 12.3 ms" (the time since *t) goes to the
 * log at INFO level and *t moves on. The editor's progress and the
 * benchmarks read these lines ("scene: fusion ...", "render: encode ..."). */
void dm_stage_done(dm_context *ctx, const char *job, const char *stage, double *t);

static inline int dm_cancelled(dm_context *ctx) {
  return atomic_load(&ctx->cancel) != 0 || (ctx->cancel_also && atomic_load(ctx->cancel_also) != 0);
}

#endif
