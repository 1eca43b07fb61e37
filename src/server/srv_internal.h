/* The server's insides, shared by its files (not an interface). */
#ifndef DM_SRV_INTERNAL_H
#define DM_SRV_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>

#include "pipeline/graph.h"
#include "server/edit_doc.h"
#include "server/server.h"

/* NULL once libmicrohttpd is loaded (http_lazy.c), else why it cannot be. */
const char *dm_http_unavailable(void);

/* ---- one photo --------------------------------------------------------- */

typedef struct srv_photo {
  char id[16];            /* its index as text: "0", "1", ... */
  char path[4096];
  char name[256];         /* file name, no folder */
  int width, height;      /* upright; 0 when unknown */
  char problem[512];      /* one line when it cannot be read; "" otherwise */
  /* Guards `doc` (edit_doc is not thread-safe) and `save_error`. */
  pthread_mutex_t doc_mu;
  dm_edit_doc *doc;       /* NULL when the sidecar could not be read (problem says why) */
  char save_error[512];   /* the last failed save, "" after a good one */
  /* Guards opening the graph and making the thumbnail (both slow). */
  pthread_mutex_t open_mu;
  dm_graph *graph;        /* NULL until opened; then kept until close */
  int open_tried;
  unsigned char *thumb;   /* JPEG, made once */
  size_t thumb_len;
  atomic_int scene_queued; /* handed to the builder */
  atomic_int exporting;    /* the ticker leaves the sidecar alone meanwhile */
} srv_photo;

/* ---- the export slot (one export at a time) ----------------------------- */

typedef struct srv_export {
  int state;              /* SRV_EXPORT_* */
  char stage[48];         /* the stage running (from the render's log), "" before */
  float fraction;         /* 0..1: about how much of the export is done */
  char photo[16];
  char output[4096];
  char error[1024];
  /* The job, copied out of the request. */
  int format, bits, profile;
  pthread_t thread;
  int joinable;
} srv_export;
enum { SRV_EXPORT_IDLE = 0, SRV_EXPORT_RUNNING, SRV_EXPORT_DONE, SRV_EXPORT_FAILED };

struct dm_server {
  dm_server_options opt;
  char token[33];
  int port;               /* the one Host must name */
  char base_dir[4096];    /* the folder named at start, or the photo's folder */
  int n_photos;
  srv_photo *photos;
  /* Guards the builder's queue, the export slot and the thread flags. */
  pthread_mutex_t mu;
  pthread_cond_t wake;    /* builder: a photo was queued, or stop */
  int stopping;
  srv_export export;
  pthread_t builder, ticker;
  int builder_started, ticker_started;
  dm_context *builder_ctx; /* cancelled at close */
  atomic_int quit;        /* POST /api/quit came */
  atomic_int trim_wanted; /* a full-size render freed its buffers: the ticker returns the heap's free pages */
  atomic_int quit_sent;   /* and its reply went out */
  struct MHD_Daemon *daemon;
};

/* ---- a parsed request (srv_request.c) ------------------------------------ */

typedef struct srv_kv {
  const char *key, *value;
} srv_kv;

#define SRV_MAX_QUERY 32
#define SRV_MAX_SEGMENTS 8

typedef struct srv_request {
  const char *method;
  char path[1024];                 /* percent-decoded */
  char *seg[SRV_MAX_SEGMENTS];     /* path segments, pointing into segbuf */
  int n_seg;
  char segbuf[1024];
  srv_kv query[SRV_MAX_QUERY];     /* decoded, pointing into qbuf */
  int n_query;
  char qbuf[4096];
  const dm_http_header *headers;
  int n_headers;
  const char *body;
  size_t body_len;
} srv_request;

/* Split and decode the request target. Returns 0, or the HTTP status that
 * refuses it (400 malformed, 414 too long). */
int srv_request_parse(srv_request *rq, const char *method, const char *target,
                      const dm_http_header *headers, int n_headers, const char *body,
                      size_t body_len);
/* A query parameter (the first of that name) or a header (case-insensitive
 * name); NULL when absent. */
const char *srv_query(const srv_request *rq, const char *key);
const char *srv_header(const dm_http_header *h, int n, const char *name);
/* Integer query parameter in [lo, hi]: 1 and *v; 0 with *v = def when
 * absent; -1 when present but malformed or out of range. */
int srv_query_int(const srv_request *rq, const char *key, long lo, long hi, long def, long *v);
/* The checks every request passes first: Host names 127.0.0.1:PORT or
 * localhost:PORT; the token is given (query or X-Depthmask-Token) and
 * equal (compared in constant time). */
int srv_host_ok(const char *host, int port);
int srv_token_ok(const char *token, const srv_request *rq);
/* Constant-time comparison of a given token against the session's. */
int srv_token_equal(const char *want, const char *given);

/* ---- replies (srv_reply.c) ---------------------------------------------- */

/* Text of any origin as a JSON string: invalid UTF-8 becomes U+FFFD. */
json_t *srv_json_text(const char *text);
/* `obj` (stolen) as JSON. */
void srv_reply_json(dm_http_reply *r, int status, json_t *obj);
/* {"error": "..."} */
void srv_reply_error(dm_http_reply *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A dm_status as a reply: DM_ERR_PARAM and DM_ERR_RANGE are the client's
 * (400), DM_ERR_NOMEM 503, the rest 500; the context's message. */
void srv_reply_status(dm_http_reply *r, dm_context *ctx, dm_status s);
/* A working-space picture as an sRGB JPEG (dm_graph_jpeg). */
dm_status srv_reply_linear_jpeg(dm_http_reply *r, dm_context *ctx, const dm_image *linear);
/* An already-encoded picture (1 or 3 channels, 0..1) as an 8-bit JPEG. */
dm_status srv_reply_encoded_jpeg(dm_http_reply *r, dm_context *ctx, const dm_image *img);
/* Own a malloc'ed body. */
void srv_reply_bytes(dm_http_reply *r, int status, const char *type, unsigned char *body,
                     size_t len);

/* ---- photos (srv_photos.c) ---------------------------------------------- */

/* The photos of opt->input: one file, or a folder's photos recognised by
 * content (no subfolders, no hidden files, no symlink leading out). */
dm_status srv_photos_find(dm_context *ctx, dm_server *srv);
/* The photo's graph, opened on first use (its scene build then queued).
 * NULL when the photo cannot be read, with a 422 in `reply` (may be NULL). */
dm_graph *srv_photo_graph(dm_server *srv, srv_photo *p, dm_http_reply *reply);
/* Where the photo's recipe lives (its sidecar, or in --sidecar-dir). */
void srv_sidecar_path(const dm_server *srv, const srv_photo *p, char *out, size_t len);
/* The folder `file` masks are resolved against: the sidecar's. */
void srv_recipe_dir(const dm_server *srv, const srv_photo *p, char *out, size_t len);
void srv_photos_free(dm_server *srv);

/* ---- background threads (srv_workers.c) ---------------------------------- */

dm_status srv_workers_start(dm_context *ctx, dm_server *srv);
/* Hand an opened photo to the scene builder. */
void srv_queue_scene(dm_server *srv, srv_photo *p);
void srv_workers_stop(dm_server *srv);
long srv_now_ms(void);

/* ---- recipes for rendering (srv_snapshot.c) ------------------------------ */

/* A deep copy of the document's recipe, for rendering outside the photo's
 * lock (the document's own recipe changes under the next PATCH). The
 * document's unknown XML is not copied: renders do not read it. Freed with
 * dm_recipe_free. *revision (when not NULL): the document's revision it is,
 * 0 without a document. */
dm_status srv_recipe_snapshot(dm_context *ctx, srv_photo *p, dm_recipe *out,
                              unsigned long *revision);
/* What needs the scene (corrections whose masks read depth or matte, the
 * lens blur): what a preview leaves out while the scene is pending.
 * `names` lists them, comma-separated. Returns how many. */
int srv_recipe_scene_parts(const dm_recipe *r, char *names, size_t len);

/* ---- endpoints ----------------------------------------------------------- */

typedef void (*srv_handler)(dm_server *srv, srv_photo *p, const srv_request *rq,
                            dm_http_reply *reply);

/* srv_api_doc.c */
void srv_api_photos(dm_server *srv, srv_photo *p, const srv_request *rq, dm_http_reply *reply);
void srv_api_state(dm_server *srv, srv_photo *p, const srv_request *rq, dm_http_reply *reply);
void srv_api_recipe(dm_server *srv, srv_photo *p, const srv_request *rq, dm_http_reply *reply);
void srv_api_sync(dm_server *srv, srv_photo *p, const srv_request *rq, dm_http_reply *reply);
void srv_api_progress(dm_server *srv, srv_photo *p, const srv_request *rq, dm_http_reply *reply);
void srv_api_quit(dm_server *srv, srv_photo *p, const srv_request *rq, dm_http_reply *reply);
/* The scene's build as JSON (new reference). */
json_t *srv_scene_progress_json(srv_photo *p);
/* srv_api_image.c */
void srv_api_preview(dm_server *srv, srv_photo *p, const srv_request *rq, dm_http_reply *reply);
void srv_api_region(dm_server *srv, srv_photo *p, const srv_request *rq, dm_http_reply *reply);
void srv_api_thumb(dm_server *srv, srv_photo *p, const srv_request *rq, dm_http_reply *reply);
/* srv_api_scene.c */
void srv_api_depth(dm_server *srv, srv_photo *p, const srv_request *rq, dm_http_reply *reply);
void srv_api_mask(dm_server *srv, srv_photo *p, const srv_request *rq, dm_http_reply *reply);
void srv_api_histogram(dm_server *srv, srv_photo *p, const srv_request *rq, dm_http_reply *reply);
void srv_api_sample(dm_server *srv, srv_photo *p, const srv_request *rq, dm_http_reply *reply);
/* srv_export.c */
void srv_api_export(dm_server *srv, srv_photo *p, const srv_request *rq, dm_http_reply *reply);
json_t *srv_export_json(dm_server *srv);
void srv_export_join(dm_server *srv);
/* srv_http.c: stop listening (waits for the connections' threads). */
void srv_http_stop(dm_server *srv);
/* srv_page.c: the built-in page's files; 0 when `path` is not one. */
int srv_page(dm_server *srv, const srv_request *rq, dm_http_reply *reply);

#endif
