/* The batch's workers, its progress and its summary (batch.h). */
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch/batch.h"
#include "core/file.h"
#include "core/context.h"

typedef struct {
  const dm_batch_run *run;
  dm_batch_list *l;
  int next, done, failed, total;
  double t0;
  pthread_mutex_t lock;
} shared_state;

static const char *status_word(dm_batch_status s) {
  return s == DM_BATCH_OK ? "ok" : s == DM_BATCH_FAIL ? "fail" : s == DM_BATCH_SKIP ? "skip" : "pending";
}

/* Under st->lock. A TTY gets one line rewritten in place; anything else a
 * line per photo that scripts can read. */
static void report(shared_state *st, const dm_batch_photo *p) {
  if (st->run->dry_run && p->status == DM_BATCH_SKIP) {
    printf("%s\n", p->message);
    fflush(stdout);
    return;
  }
  if (!st->run->tty) {
    printf("%s %s %.2f\n", status_word(p->status), p->input, p->seconds);
    fflush(stdout);
    return;
  }
  double min = (dm_now_ms() - st->t0) / 60000.0;
  double rate = min > 0 ? st->done / min : 0;
  int left = st->total - st->done;
  double eta = rate > 0 ? left / rate * 60.0 : 0;
  const char *slash = strrchr(p->input, '/');
  printf("\r\033[K%d/%d  %.1f photos/min  ETA %d:%02d  %d failed  %s", st->done, st->total, rate,
         (int)(eta / 60), (int)eta % 60, st->failed, slash ? slash + 1 : p->input);
  if (p->status == DM_BATCH_FAIL) printf("\n"); /* its error line stays above the progress */
  fflush(stdout);
}

typedef struct {
  shared_state *st;
  int worker;
} worker_arg;

static void *worker_main(void *arg) {
  worker_arg *w = arg;
  shared_state *st = w->st;
  for (;;) {
    pthread_mutex_lock(&st->lock);
    int i = st->next;
    while (i < st->l->n && st->l->photo[i].status != DM_BATCH_PENDING) i++;
    st->next = i + 1;
    pthread_mutex_unlock(&st->lock);
    if (i >= st->l->n) break;
    dm_batch_photo *p = &st->l->photo[i];
    double t = dm_now_ms();
    st->run->render(st->run->user, w->worker, p);
    p->seconds = (dm_now_ms() - t) / 1000.0;
    pthread_mutex_lock(&st->lock);
    st->done++;
    st->failed += p->status == DM_BATCH_FAIL;
    report(st, p);
    pthread_mutex_unlock(&st->lock);
  }
  return NULL;
}

int dm_batch_execute(const dm_batch_run *run, dm_batch_list *l) {
  shared_state st = {.run = run, .l = l, .total = l->n, .t0 = dm_now_ms()};
  pthread_mutex_init(&st.lock, NULL);
  /* photos found bad while collecting: their lines first */
  for (int i = 0; i < l->n; i++)
    if (l->photo[i].status != DM_BATCH_PENDING) {
      st.done++;
      st.failed += l->photo[i].status == DM_BATCH_FAIL;
      report(&st, &l->photo[i]);
    }
  int jobs = run->jobs > 0 ? run->jobs : 1;
  pthread_t *tid = calloc((size_t)jobs, sizeof *tid);
  worker_arg *args = calloc((size_t)jobs, sizeof *args);
  int started = 0;
  for (int k = 0; tid && args && k < jobs; k++) {
    args[k] = (worker_arg){&st, k};
    if (pthread_create(&tid[k], NULL, worker_main, &args[k]) != 0) break;
    started++;
  }
  if (!started) {
    worker_arg one = {&st, 0}; /* no thread could start: this one does the work */
    worker_main(&one);
  }
  for (int k = 0; k < started; k++) pthread_join(tid[k], NULL);
  free(tid);
  free(args);
  if (run->tty && st.total) printf("\n");
  pthread_mutex_destroy(&st.lock);
  return st.failed;
}

dm_status dm_batch_write_summary(dm_context *ctx, const char *path, const dm_batch_list *l, double seconds,
                                 int network_loads) {
  json_t *photos = json_array();
  int ok = 0, failed = 0, skipped = 0;
  for (int i = 0; photos && i < l->n; i++) {
    const dm_batch_photo *p = &l->photo[i];
    ok += p->status == DM_BATCH_OK, failed += p->status == DM_BATCH_FAIL, skipped += p->status == DM_BATCH_SKIP;
    json_array_append_new(photos, json_pack("{s:s, s:s?, s:s, s:s, s:f, s:s}", "input", p->input, "output",
                                            p->status == DM_BATCH_FAIL ? NULL : p->output, "status",
                                            status_word(p->status), "message", p->message, "seconds",
                                            p->seconds, "depth_source", p->depth_source));
  }
  json_t *root = photos ? json_pack("{s:o, s:{s:i, s:i, s:i, s:i, s:f, s:i}}", "photos", photos, "totals",
                                    "photos", l->n, "ok", ok, "failed", failed, "skipped", skipped, "seconds",
                                    seconds, "network_loads", network_loads)
                        : NULL;
  char *text = root ? json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
  json_decref(root);
  if (!text) return dm_fail(ctx, DM_ERR_NOMEM, path, "out of memory");
  dm_atomic_file af;
  dm_status s = dm_atomic_open(ctx, &af, path);
  if (!s) {
    size_t len = strlen(text);
    if (fwrite(text, 1, len, af.fp) != len || fputc('\n', af.fp) == EOF) {
      s = dm_atomic_write_error(ctx, &af, dm_fail(ctx, DM_ERR_IO, path, "cannot write the summary"));
      dm_atomic_abort(&af);
    } else {
      s = dm_atomic_commit(ctx, &af);
    }
  }
  free(text);
  return s;
}
