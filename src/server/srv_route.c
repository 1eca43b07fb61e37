/* Routing: every request passes the access checks (Host, token, body
 * size), then goes to its endpoint by path and method.
 *
 *   /api/photos /api/sync /api/quit                      the server's own
 *   /api/photos/{id}/NAME                                one photo's
 *   /api/NAME                                            the same, when one photo is open
 *   /, /index.html, the page's files                     the built-in page (srv_page.c) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/srv_internal.h"

typedef struct srv_route {
  const char *name;
  const char *method;
  srv_handler fn;
} srv_route;

static const srv_route server_routes[] = {
    {"photos", "GET", srv_api_photos},
    {"sync", "POST", srv_api_sync},
    {"quit", "POST", srv_api_quit},
};

static const srv_route photo_routes[] = {
    {"thumb", "GET", srv_api_thumb},         {"state", "GET", srv_api_state},
    {"recipe", "PATCH", srv_api_recipe},     {"preview", "GET", srv_api_preview},
    {"region", "GET", srv_api_region},       {"depth", "GET", srv_api_depth},
    {"mask", "GET", srv_api_mask},           {"histogram", "GET", srv_api_histogram},
    {"sample", "GET", srv_api_sample},       {"export", "POST", srv_api_export},
    {"progress", "GET", srv_api_progress},
};

#define COUNT(a) ((int)(sizeof a / sizeof *a))

static const srv_route *find(const srv_route *routes, int n, const char *name) {
  for (int i = 0; i < n; i++)
    if (!strcmp(routes[i].name, name)) return &routes[i];
  return NULL;
}

static srv_photo *photo_by_id(dm_server *srv, const char *id) {
  for (int i = 0; i < srv->n_photos; i++)
    if (!strcmp(srv->photos[i].id, id)) return &srv->photos[i];
  return NULL;
}

/* Run `route` when the method is its own (HEAD answers as GET does). */
static void run(dm_server *srv, const srv_route *route, srv_photo *p, const srv_request *rq,
                dm_http_reply *reply) {
  const char *m = rq->method;
  int same = !strcmp(m, route->method) || (!strcmp(m, "HEAD") && !strcmp(route->method, "GET"));
  if (!same) {
    snprintf(reply->allow, sizeof reply->allow, "%s%s", route->method,
             strcmp(route->method, "GET") ? "" : ", HEAD");
    srv_reply_error(reply, 405, "%s takes %s, not %s", rq->path, route->method, m);
    return;
  }
  route->fn(srv, p, rq, reply);
}

static void route_api(dm_server *srv, const srv_request *rq, dm_http_reply *reply) {
  const srv_route *r;
  if (rq->n_seg == 2 && (r = find(server_routes, COUNT(server_routes), rq->seg[1]))) {
    run(srv, r, NULL, rq, reply);
  } else if (rq->n_seg == 2 && (r = find(photo_routes, COUNT(photo_routes), rq->seg[1]))) {
    if (srv->n_photos != 1) {
      srv_reply_error(reply, 400, "%d photos are open: name one, as /api/photos/ID/%s",
                      srv->n_photos, r->name);
      return;
    }
    run(srv, r, &srv->photos[0], rq, reply);
  } else if (rq->n_seg == 4 && !strcmp(rq->seg[1], "photos")) {
    srv_photo *p = photo_by_id(srv, rq->seg[2]);
    r = find(photo_routes, COUNT(photo_routes), rq->seg[3]);
    if (!p) srv_reply_error(reply, 404, "no photo \"%s\" (GET /api/photos lists them)", rq->seg[2]);
    else if (!r) srv_reply_error(reply, 404, "%s: no such endpoint", rq->path);
    else run(srv, r, p, rq, reply);
  } else {
    srv_reply_error(reply, 404, "%s: no such endpoint", rq->path);
  }
}

/* Host and token; the reply says which failed (neither is a secret). */
static int access_refused(dm_server *srv, const srv_request *rq, dm_http_reply *reply) {
  if (!srv_host_ok(srv_header(rq->headers, rq->n_headers, "Host"), srv->port)) {
    srv_reply_error(reply, 403, "the Host header must be 127.0.0.1:%d or localhost:%d", srv->port,
                    srv->port);
    return 1;
  }
  if (!srv_token_ok(srv->token, rq)) {
    srv_reply_error(reply, 403, "a missing or wrong token (?token= or X-Depthmask-Token)");
    return 1;
  }
  return 0;
}

int dm_server_precheck(dm_server *srv, const char *target, const dm_http_header *headers,
                       int n_headers, long long content_length, dm_http_reply *reply) {
  memset(reply, 0, sizeof *reply);
  srv_request *rq = malloc(sizeof *rq);
  if (!rq) {
    srv_reply_error(reply, 503, "out of memory");
    return 1;
  }
  int rc = srv_request_parse(rq, "", target, headers, n_headers, NULL, 0);
  if (rc)
    srv_reply_error(reply, rc,
                    rc == 414 ? "the request target is too long" : "a malformed request target");
  else if (access_refused(srv, rq, reply)) rc = 403;
  else if (content_length > DM_SERVER_MAX_BODY) {
    srv_reply_error(reply, 413, "request bodies are at most %d bytes", DM_SERVER_MAX_BODY);
    rc = 413;
  }
  free(rq);
  return rc;
}

void dm_server_handle(dm_server *srv, const char *method, const char *target,
                      const dm_http_header *headers, int n_headers, const char *body,
                      size_t body_len, dm_http_reply *reply) {
  memset(reply, 0, sizeof *reply);
  srv_request *rq = malloc(sizeof *rq);
  if (!rq) {
    srv_reply_error(reply, 503, "out of memory");
    return;
  }
  int rc = srv_request_parse(rq, method, target, headers, n_headers, body, body_len);
  if (rc) {
    srv_reply_error(reply, rc,
                    rc == 414 ? "the request target is too long" : "a malformed request target");
  } else if (access_refused(srv, rq, reply)) {
    /* refused */
  } else if (body_len > DM_SERVER_MAX_BODY) {
    srv_reply_error(reply, 413, "request bodies are at most %d bytes", DM_SERVER_MAX_BODY);
  } else if (rq->n_seg >= 1 && !strcmp(rq->seg[0], "api")) {
    route_api(srv, rq, reply);
  } else if (!srv_page(srv, rq, reply)) {
    srv_reply_error(reply, 404, "%s: not found", rq->path);
  }
  if (!reply->status) srv_reply_error(reply, 500, "no reply for %s", rq->path);
  free(rq);
}
