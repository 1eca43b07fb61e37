/* The built-in page: the files of web/, compiled in (web_assets.h), and
 * nothing else. Like every request, each needs the token. The page's
 * address carries it (/?token=...), its modules' would not: a module's
 * `import "./api.js"` drops the query. So index.html gets an import map,
 * written here, that maps every embedded module to its address with the
 * token; the page's one inline script imports /editor.js through it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/srv_internal.h"
#include "server/web_assets.h"

#define IMPORTMAP_MARK "<!--dm:importmap-->"

static const char *type_of(const char *path) {
  static const char *const types[][2] = {
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},   {".svg", "image/svg+xml"},
      {".png", "image/png"},                 {".json", "application/json"},
  };
  const char *dot = strrchr(path, '.');
  for (size_t i = 0; dot && i < sizeof types / sizeof *types; i++)
    if (!strcmp(dot, types[i][0])) return types[i][1];
  return "application/octet-stream";
}

static int ends_with(const char *s, const char *tail) {
  size_t n = strlen(s), t = strlen(tail);
  return n >= t && !strcmp(s + n - t, tail);
}

/* <script type="importmap"> naming every embedded module with the token. */
static char *import_map(const char *token) {
  size_t cap = 64, used = 0;
  for (const dm_web_asset *a = dm_web_assets; a->path; a++) cap += 2 * strlen(a->path) + 64;
  char *map = malloc(cap);
  if (!map) return NULL;
  used += (size_t)snprintf(map, cap, "<script type=\"importmap\">{\"imports\": {");
  int first = 1;
  for (const dm_web_asset *a = dm_web_assets; a->path; a++) {
    if (!ends_with(a->path, ".js")) continue;
    /* Paths are the repository's own file names: nothing to escape. */
    used += (size_t)snprintf(map + used, cap - used, "%s\"%s\": \"%s?token=%s\"", first ? "" : ", ",
                             a->path, a->path, token);
    first = 0;
  }
  snprintf(map + used, cap - used, "}}</script>");
  return map;
}

static void reply_index(dm_server *srv, const dm_web_asset *a, dm_http_reply *reply) {
  char *map = import_map(srv->token);
  const char *page = (const char *)a->data;
  const char *mark = map ? memmem(page, a->len, IMPORTMAP_MARK, strlen(IMPORTMAP_MARK)) : NULL;
  size_t before = mark ? (size_t)(mark - page) : a->len;
  size_t skip = mark ? strlen(IMPORTMAP_MARK) : 0, extra = mark ? strlen(map) : 0;
  size_t len = a->len - skip + extra;
  unsigned char *out = malloc(len ? len : 1);
  if (!out) {
    free(map);
    srv_reply_error(reply, 503, "out of memory");
    return;
  }
  memcpy(out, page, before);
  if (mark) memcpy(out + before, map, extra);
  memcpy(out + before + extra, page + before + skip, a->len - before - skip);
  free(map);
  reply->no_store = 1; /* it holds the token */
  srv_reply_bytes(reply, 200, type_of(a->path), out, len);
}

int srv_page(dm_server *srv, const srv_request *rq, dm_http_reply *reply) {
  const char *path = rq->path[0] == '/' && rq->path[1] == 0 ? "/index.html" : rq->path;
  const dm_web_asset *a = dm_web_assets;
  while (a->path && strcmp(a->path, path)) a++;
  if (!a->path) return 0;
  if (strcmp(rq->method, "GET") && strcmp(rq->method, "HEAD")) {
    snprintf(reply->allow, sizeof reply->allow, "GET, HEAD");
    srv_reply_error(reply, 405, "%s takes GET, not %s", rq->path, rq->method);
    return 1;
  }
  if (!strcmp(a->path, "/index.html")) {
    reply_index(srv, a, reply);
    return 1;
  }
  unsigned char *copy = malloc(a->len ? a->len : 1);
  if (!copy) {
    srv_reply_error(reply, 503, "out of memory");
    return 1;
  }
  memcpy(copy, a->data, a->len);
  srv_reply_bytes(reply, 200, type_of(a->path), copy, a->len);
  return 1;
}
