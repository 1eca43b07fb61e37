/* A server's life: open (photos, recipes, token, threads), listen
 * (srv_http.c), close (stop listening, stop the threads, save every
 * recipe). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "server/srv_internal.h"

/* 128 bits from the kernel's CSPRNG, as 32 hex digits. */
static dm_status make_token(dm_context *ctx, char out[33]) {
  unsigned char bits[16];
  size_t got = 0;
  while (got < sizeof bits) {
    ssize_t n = getrandom(bits + got, sizeof bits - got, 0);
    if (n < 0) return dm_fail(ctx, DM_ERR_IO, NULL, "no random bits for the session's token");
    got += (size_t)n;
  }
  for (size_t i = 0; i < sizeof bits; i++) snprintf(out + 2 * i, 3, "%02x", bits[i]);
  return DM_OK;
}

dm_status dm_server_open(dm_context *ctx, const dm_server_options *opt, dm_server **out) {
  *out = NULL;
  dm_server *srv = calloc(1, sizeof *srv);
  if (!srv) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
  srv->opt = *opt;
  srv->port = opt->port; /* until it listens (the fuzzer never does) */
  if (pthread_mutex_init(&srv->mu, NULL) || pthread_cond_init(&srv->wake, NULL)) {
    free(srv);
    return dm_fail(ctx, DM_ERR_INTERNAL, NULL, "cannot make a mutex");
  }
  dm_status s = make_token(ctx, srv->token);
  if (!s) s = srv_photos_find(ctx, srv);
  if (!s) s = srv_workers_start(ctx, srv);
  /* One photo: decode it now, so the first preview is there at once. */
  if (!s && srv->n_photos == 1) srv_photo_graph(srv, &srv->photos[0], NULL);
  if (s) {
    dm_context *quiet = dm_context_new(1);
    dm_server_close(quiet ? quiet : ctx, srv);
    dm_context_free(quiet);
    return s;
  }
  *out = srv;
  return DM_OK;
}

const char *dm_server_token(const dm_server *srv) { return srv->token; }

int dm_server_quit_requested(dm_server *srv) { return atomic_load(&srv->quit); }

dm_status dm_server_close(dm_context *ctx, dm_server *srv) {
  if (!srv) return DM_OK;
  /* Let the quit reply reach its client before the sockets close. */
  for (int i = 0; i < 200 && atomic_load(&srv->quit) && !atomic_load(&srv->quit_sent); i++)
    nanosleep(&(struct timespec){.tv_nsec = 10 * 1000000L}, NULL);
  srv_http_stop(srv);
  srv_workers_stop(srv);
  srv_export_join(srv);
  dm_status first = DM_OK;
  char why[1024] = "";
  for (int i = 0; i < srv->n_photos; i++) {
    srv_photo *p = &srv->photos[i];
    if (!p->doc) continue;
    dm_status s = dm_edit_doc_save(ctx, p->doc);
    if (s && !first) first = s, snprintf(why, sizeof why, "%s", dm_context_error(ctx));
    else if (s) dm_log(ctx, DM_LOG_WARN, "%s", dm_context_error(ctx));
  }
  if (first) dm_fail(ctx, first, NULL, "%s", why);
  srv_photos_free(srv);
  pthread_cond_destroy(&srv->wake);
  pthread_mutex_destroy(&srv->mu);
  free(srv);
  return first;
}
