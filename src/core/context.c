#include "core/context.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/pool.h"

dm_context *dm_context_new(int n_threads) {
  dm_context *ctx = calloc(1, sizeof *ctx);
  if (!ctx) return NULL;
  if (n_threads <= 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    n_threads = n > 0 ? (int)n : 1;
  }
  ctx->n_threads = n_threads;
  ctx->max_memory = dm_default_max_memory();
  atomic_init(&ctx->cancel, 0);
  if (n_threads > 1) {
    ctx->pool = dm_pool_new(n_threads);
    if (!ctx->pool) {
      free(ctx);
      return NULL;
    }
  }
  return ctx;
}

void dm_context_free(dm_context *ctx) {
  if (!ctx) return;
  dm_pool_free(ctx->pool);
  free(ctx);
}

dm_status dm_fail(dm_context *ctx, dm_status s, const char *subject, const char *fmt, ...) {
  if (!ctx) return s;
  char msg[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (subject && *subject)
    snprintf(ctx->error, sizeof ctx->error, "%s: %s", subject, msg);
  else
    snprintf(ctx->error, sizeof ctx->error, "%s", msg);
  /* One line only: the CLI prints it verbatim. */
  for (char *p = ctx->error; *p; p++)
    if (*p == '\n' || *p == '\r') *p = ' ';
  return s;
}

const char *dm_context_error(const dm_context *ctx) {
  return ctx && ctx->error[0] ? ctx->error : "unknown error";
}

void dm_log(dm_context *ctx, dm_log_level level, const char *fmt, ...) {
  if (!ctx || !ctx->log) return;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  ctx->log(ctx->log_user, level, msg);
}

double dm_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

void dm_stage_done(dm_context *ctx, const char *job, const char *stage, double *t) {
  double t1 = dm_now_ms();
  dm_log(ctx, DM_LOG_INFO, "%s: %s %.1f ms", job, stage, t1 - *t);
  *t = t1;
}
