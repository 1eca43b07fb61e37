/* The socket side: a libmicrohttpd daemon on 127.0.0.1 with a thread per
 * connection (renders block for up to a second; a browser opens a handful
 * of connections), feeding dm_server_handle.
 *
 * The raw request target comes from MHD's URI callback, before MHD splits
 * and decodes it, so the server and the fuzzer parse the same text
 * (srv_request.c). A request is refused as soon as its headers are in
 * when its Host or token is wrong (403) or its declared length is over
 * 1 MiB (413); a body that grows past 1 MiB without a length is read to its
 * end and dropped, then refused with 413. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/srv_internal.h"

#define MAX_HEADERS 64

typedef struct http_conn {
  char *target;          /* the raw request target */
  int started;
  unsigned char *body;
  size_t len, cap;
  int too_large;
  int quit;              /* this is the quit reply: note when it went out */
} http_conn;

typedef struct header_list {
  dm_http_header h[MAX_HEADERS];
  int n;
} header_list;

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value) {
  header_list *l = cls;
  if (l->n == MAX_HEADERS) return MHD_NO; /* enough: the checks look at the first ones */
  l->h[l->n].name = key;
  l->h[l->n].value = value ? value : "";
  l->n++;
  return MHD_YES;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c) {
  http_conn *hc = calloc(1, sizeof *hc);
  if (hc) hc->target = strdup(uri ? uri : "");
  return hc;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode code) {
  dm_server *srv = cls;
  http_conn *hc = *con_cls;
  if (!hc) return;
  if (hc->quit) atomic_store(&srv->quit_sent, 1);
  free(hc->target);
  free(hc->body);
  free(hc);
  *con_cls = NULL;
}

static enum MHD_Result send_reply(struct MHD_Connection *c, dm_http_reply *r) {
  struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback(
      r->len, r->body ? r->body : (unsigned char *)"", r->body ? free : NULL);
  if (!resp) {
    dm_server_reply_free(r);
    return MHD_NO;
  }
  r->body = NULL; /* the response owns it now */
  MHD_add_response_header(resp, "Content-Type", r->type ? r->type : "application/octet-stream");
  MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
  MHD_add_response_header(resp, "X-Frame-Options", "DENY");
  MHD_add_response_header(resp, "Content-Security-Policy",
                          "default-src 'self'; img-src 'self' blob: data:; "
                          "script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
                          "frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
  MHD_add_response_header(resp, "Cache-Control", r->no_store ? "no-store" : "no-cache");
  if (r->scene[0]) MHD_add_response_header(resp, "X-Depthmask-Scene", r->scene);
  if (r->skipped[0]) MHD_add_response_header(resp, "X-Depthmask-Skipped", r->skipped);
  if (r->revision) {
    char rev[24];
    snprintf(rev, sizeof rev, "%lu", r->revision);
    MHD_add_response_header(resp, "X-Depthmask-Revision", rev);
  }
  if (r->allow[0]) MHD_add_response_header(resp, "Allow", r->allow);
  if (r->close) MHD_add_response_header(resp, "Connection", "close");
  enum MHD_Result ok = MHD_queue_response(c, (unsigned)r->status, resp);
  MHD_destroy_response(resp);
  return ok;
}

static long long content_length(struct MHD_Connection *c) {
  const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
  if (!v) return -1;
  char *end;
  long long n = strtoll(v, &end, 10);
  return end == v || *end || n < 0 ? -1 : n;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
  dm_server *srv = cls;
  http_conn *hc = *con_cls;
  if (!hc || !hc->target) return MHD_NO; /* out of memory: drop the connection */
  header_list hl = {.n = 0};
  dm_http_reply reply;
  if (!hc->started) {
    hc->started = 1;
    MHD_get_connection_values(c, MHD_HEADER_KIND, collect, &hl);
    if (dm_server_precheck(srv, hc->target, hl.h, hl.n, content_length(c), &reply))
      return send_reply(c, &reply);
    return MHD_YES; /* now the body, if any */
  }
  if (*upload_data_size) {
    size_t n = *upload_data_size;
    *upload_data_size = 0;
    if (hc->too_large || hc->len + n > DM_SERVER_MAX_BODY) {
      hc->too_large = 1;
      free(hc->body);
      hc->body = NULL;
      hc->len = hc->cap = 0;
      return MHD_YES;
    }
    if (hc->len + n > hc->cap) {
      size_t cap = hc->cap ? hc->cap : 4096;
      while (cap < hc->len + n) cap *= 2;
      unsigned char *bigger = realloc(hc->body, cap);
      if (!bigger) return MHD_NO;
      hc->body = bigger, hc->cap = cap;
    }
    memcpy(hc->body + hc->len, upload_data, n);
    hc->len += n;
    return MHD_YES;
  }
  MHD_get_connection_values(c, MHD_HEADER_KIND, collect, &hl);
  if (hc->too_large) {
    memset(&reply, 0, sizeof reply);
    srv_reply_error(&reply, 413, "request bodies are at most %d bytes", DM_SERVER_MAX_BODY);
  } else {
    dm_server_handle(srv, method, hc->target, hl.h, hl.n, (const char *)hc->body, hc->len, &reply);
  }
  hc->quit = reply.close;
  return send_reply(c, &reply);
}

dm_status dm_server_listen(dm_context *ctx, dm_server *srv, int *port) {
  const char *no = dm_http_unavailable();
  if (no) return dm_fail(ctx, DM_ERR_IO, NULL, "the editor needs libmicrohttpd, which cannot be loaded: %s", no);
  struct sockaddr_in sin;
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_port = htons((uint16_t)srv->opt.port);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* never another interface */
  unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
                   MHD_USE_ITC;
  srv->daemon = MHD_start_daemon(flags, (uint16_t)srv->opt.port, NULL, NULL, on_request, srv,
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
                                 MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
                                 MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
                                 MHD_OPTION_END);
  if (!srv->daemon) {
    if (srv->opt.port)
      return dm_fail(ctx, DM_ERR_IO, NULL, "cannot listen on 127.0.0.1:%d (in use?)",
                     srv->opt.port);
    return dm_fail(ctx, DM_ERR_IO, NULL, "cannot listen on 127.0.0.1");
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
  srv->port = info ? info->port : srv->opt.port;
  if (!srv->port) return dm_fail(ctx, DM_ERR_IO, NULL, "cannot tell the port listened on");
  *port = srv->port;
  return DM_OK;
}

void srv_http_stop(dm_server *srv) {
  if (!srv->daemon) return;
  MHD_stop_daemon(srv->daemon);
  srv->daemon = NULL;
}
