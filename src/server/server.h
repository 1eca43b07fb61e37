/* `depthmask edit`: the editor's local HTTP server (DESIGN section 8,
 * issue 14 items 3 and 4).
 *
 * One server holds the photos named at start (one photo, or the photos of
 * one folder), each with its recipe document (edit_doc.h) and, once asked
 * for, its render graph (graph.h). It listens on 127.0.0.1 only; every
 * request must carry the session's token and a Host header naming this
 * server (DNS rebinding), bodies are at most 1 MiB, and nothing on disk is
 * reachable but the built-in page and those photos.
 *
 * Threads: libmicrohttpd runs one thread per connection; a scene builder
 * thread builds each opened photo's scene (networks) one after the other; a
 * ticker thread saves recipes debounced; an export runs in its own thread.
 * Each photo's document is guarded by its own mutex. */
#ifndef DM_SERVER_H
#define DM_SERVER_H

#include <stddef.h>

#include "depth/scene.h"

typedef struct dm_server dm_server;

typedef struct dm_server_options {
  const char *input;       /* a photo, or a folder of photos */
  int port;                /* 0 = any free port */
  int proxy;               /* preview proxy's long side, 0 = 1600 */
  int threads;             /* render threads, 0 = every core */
  const char *out_dir;     /* exports; NULL = beside each photo */
  const char *sidecar_dir; /* recipes; NULL = beside each photo */
  dm_scene_options scene;  /* where depth and matte come from (as for render) */
  long debounce_ms;        /* a change is saved once none came for this long; 0 = 400 */
} dm_server_options;
/* The strings `opt` points at must outlive the server. */

/* Find the photos and open their recipes; a photo that cannot be read is
 * kept, with its one-line problem. With one photo, its graph is opened and
 * its scene build started here. Starts the builder and ticker threads; does
 * not listen. Errors: no such file or folder, a folder without photos. */
dm_status dm_server_open(dm_context *ctx, const dm_server_options *opt, dm_server **out);

/* Listen on 127.0.0.1 (opt->port, or a free one): the port in *port. */
dm_status dm_server_listen(dm_context *ctx, dm_server *srv, int *port);

/* The session's token (32 hex digits, 128 random bits). */
const char *dm_server_token(const dm_server *srv);

/* Has a client asked to quit (POST /api/quit)? */
int dm_server_quit_requested(dm_server *srv);

/* Stop listening (after the quit reply went out), stop the threads, wait
 * for a running export, save every recipe with unsaved changes
 * (dm_edit_doc_save) and free. Returns the first save's failure (ctx says
 * which; later ones are logged as warnings), DM_OK otherwise. */
dm_status dm_server_close(dm_context *ctx, dm_server *srv);

/* One request without a socket (what the HTTP layer calls, and the fuzzer):
 * the raw request target (path and query, as sent), the headers, the body.
 * The reply's body is malloc'ed (free with dm_server_reply_free). */
typedef struct dm_http_header {
  const char *name, *value;
} dm_http_header;

typedef struct dm_http_reply {
  int status;
  const char *type;        /* Content-Type */
  unsigned char *body;
  size_t len;
  char scene[16];          /* X-Depthmask-Scene ("pending", "failed"), "" when not sent */
  char skipped[256];       /* X-Depthmask-Skipped: what a pending preview left out */
  unsigned long revision;  /* X-Depthmask-Revision: the recipe's revision a picture shows, 0 when not sent */
  char allow[64];          /* Allow, with 405 */
  int no_store;            /* Cache-Control: no-store */
  int close;               /* Connection: close (the quit reply) */
} dm_http_reply;

void dm_server_handle(dm_server *srv, const char *method, const char *target,
                      const dm_http_header *headers, int n_headers, const char *body,
                      size_t body_len, dm_http_reply *reply);
void dm_server_reply_free(dm_http_reply *reply);

/* Requests the HTTP layer refuses before reading a body: 403 (Host,
 * token), 413 (a declared length over the limit). 0 when it may go on. */
int dm_server_precheck(dm_server *srv, const char *target, const dm_http_header *headers,
                       int n_headers, long long content_length, dm_http_reply *reply);

#define DM_SERVER_MAX_BODY (1024 * 1024)

#endif
