/* The server's two background threads.
 *
 * The scene builder builds the scene (depth and matte: the networks, or
 * the disk cache) of each opened photo, one photo at a time in the order
 * they were opened: two network runs side by side would only share the
 * same cores and double the memory.
 *
 * The ticker calls dm_edit_doc_tick about every 100 ms for every photo, so
 * a change is saved once no other came for the debounce time. It leaves a
 * photo alone while it is being exported (the export holds the photo's
 * sidecar lock for seconds; waiting on it would hold the document too). */
#include <malloc.h>

#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "server/srv_internal.h"

long srv_now_ms(void) { return (long)dm_now_ms(); }

void srv_queue_scene(dm_server *srv, srv_photo *p) {
  pthread_mutex_lock(&srv->mu);
  if (!atomic_load(&p->scene_queued)) {
    atomic_store(&p->scene_queued, 1);
    pthread_cond_broadcast(&srv->wake);
  }
  pthread_mutex_unlock(&srv->mu);
}

/* The first opened photo whose scene is queued and not yet built; under mu. */
static srv_photo *next_scene(dm_server *srv) {
  for (int i = 0; i < srv->n_photos; i++)
    if (atomic_load(&srv->photos[i].scene_queued) == 1) return &srv->photos[i];
  return NULL;
}

static void *builder_main(void *arg) {
  dm_server *srv = arg;
  pthread_mutex_lock(&srv->mu);
  for (;;) {
    srv_photo *p = NULL;
    while (!srv->stopping && !(p = next_scene(srv))) pthread_cond_wait(&srv->wake, &srv->mu);
    if (srv->stopping) break;
    atomic_store(&p->scene_queued, 2);
    pthread_mutex_unlock(&srv->mu);
    /* Its outcome (ready, or failed and why) is the graph's progress. */
    dm_graph_build_scene(srv->builder_ctx, p->graph);
    pthread_mutex_lock(&srv->mu);
  }
  pthread_mutex_unlock(&srv->mu);
  return NULL;
}

/* A region (the loupe) reads the full-size level; kept this long after. */
#define FULL_IDLE_MS 30000
/* A photo not rendered this long (a folder's photo left for another) keeps
 * its previews' photo and scene, not its stage memory. */
#define STAGES_IDLE_MS 60000

/* A photo's tick: its sidecar saved when due, its memory given back when
 * idle. Returns 1 when it freed memory. */
static int tick_photo(dm_context *ctx, dm_server *srv, srv_photo *p, long debounce) {
  if (atomic_load(&p->exporting)) return 0;
  pthread_mutex_lock(&p->doc_mu);
  if (p->doc) {
    if (dm_edit_doc_tick(ctx, p->doc, srv_now_ms(), debounce) == DM_OK) {
      p->save_error[0] = 0;
    } else if (!p->save_error[0]) {
      /* Once per failure, not every tick it persists. */
      snprintf(p->save_error, sizeof p->save_error, "%s", dm_context_error(ctx));
      fprintf(stderr, "depthmask: %s\n", p->save_error);
    }
  }
  pthread_mutex_unlock(&p->doc_mu);
  /* The full-size photo and scene a region render read go back once the
   * loupe has been idle a while (the previews' levels stay). */
  pthread_mutex_lock(&p->open_mu);
  dm_graph *g = p->graph;
  pthread_mutex_unlock(&p->open_mu);
  int freed = g && dm_graph_release_idle(g, FULL_IDLE_MS);
  freed |= g && dm_graph_release_stages_idle(g, STAGES_IDLE_MS);
  return freed;
}

static void *ticker_main(void *arg) {
  dm_server *srv = arg;
  dm_context *ctx = dm_context_new(1);
  long debounce = srv->opt.debounce_ms > 0 ? srv->opt.debounce_ms : 400;
  pthread_mutex_lock(&srv->mu);
  while (!srv->stopping) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 100 * 1000000L;
    if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
    int rc = 0;
    while (!srv->stopping && rc != ETIMEDOUT)
      rc = pthread_cond_timedwait(&srv->wake, &srv->mu, &until);
    if (srv->stopping || !ctx) continue;
    pthread_mutex_unlock(&srv->mu);
    /* Freed memory goes back to the system once a tick: the heap keeps its
     * free pages otherwise (cmd_edit.c). */
    int trim = atomic_exchange(&srv->trim_wanted, 0);
    for (int i = 0; i < srv->n_photos; i++) trim |= tick_photo(ctx, srv, &srv->photos[i], debounce);
    if (trim) malloc_trim(0);
    pthread_mutex_lock(&srv->mu);
  }
  pthread_mutex_unlock(&srv->mu);
  dm_context_free(ctx);
  return NULL;
}

dm_status srv_workers_start(dm_context *ctx, dm_server *srv) {
  if (!(srv->builder_ctx = dm_context_new(1)))
    return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
  if (pthread_create(&srv->builder, NULL, builder_main, srv))
    return dm_fail(ctx, DM_ERR_INTERNAL, NULL, "cannot start the scene builder thread");
  srv->builder_started = 1;
  if (pthread_create(&srv->ticker, NULL, ticker_main, srv))
    return dm_fail(ctx, DM_ERR_INTERNAL, NULL, "cannot start the saving thread");
  srv->ticker_started = 1;
  return DM_OK;
}

void srv_workers_stop(dm_server *srv) {
  pthread_mutex_lock(&srv->mu);
  srv->stopping = 1;
  pthread_cond_broadcast(&srv->wake);
  pthread_mutex_unlock(&srv->mu);
  /* A scene build in progress stops at its next check, if it checks. */
  if (srv->builder_ctx) atomic_store(&srv->builder_ctx->cancel, 1);
  if (srv->builder_started) pthread_join(srv->builder, NULL);
  if (srv->ticker_started) pthread_join(srv->ticker, NULL);
  srv->builder_started = srv->ticker_started = 0;
  dm_context_free(srv->builder_ctx);
  srv->builder_ctx = NULL;
}
