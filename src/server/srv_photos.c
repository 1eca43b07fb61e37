/* The photos a server holds: the one named at start, or a folder's photos.
 *
 * A folder's photos are its regular files whose first bytes are an image
 * format depthmask reads (not their names: `IMG_1.JPG.bak` is as good as
 * any); no subfolders, no hidden files, and a symlink only when it leads
 * to a file in the folder itself. Nothing else on disk is ever opened by a
 * request: photos are addressed by their index, never by a path. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file.h"
#include "io/io.h"
#include "pipeline/render.h"
#include "server/srv_internal.h"

#define SRV_MAX_PHOTOS 10000

/* A folder entry that may be served: a regular file here, or a symlink to
 * one whose real folder is this one. */
static int entry_ok(const char *dir_real, const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0) return 0;
  if (S_ISLNK(st.st_mode)) {
    char real[PATH_MAX], where[PATH_MAX];
    if (!realpath(path, real)) return 0;
    dm_dirname(real, where, sizeof where);
    if (strcmp(where, dir_real) != 0) return 0;
    if (stat(real, &st) != 0) return 0;
  }
  return S_ISREG(st.st_mode);
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The folder's photo names, sorted (malloc'ed array of malloc'ed names). */
static dm_status list_folder(dm_context *ctx, const char *dir, char ***names, int *n) {
  char dir_real[PATH_MAX];
  if (!realpath(dir, dir_real)) return dm_fail(ctx, DM_ERR_IO, dir, "%s", strerror(errno));
  DIR *d = opendir(dir);
  if (!d) return dm_fail(ctx, DM_ERR_IO, dir, "%s", strerror(errno));
  char **list = NULL;
  int count = 0, cap = 0;
  dm_status s = DM_OK;
  for (struct dirent *e; !s && (e = readdir(d));) {
    if (e->d_name[0] == '.') continue; /* ".", "..", hidden files, our temporary files */
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path) continue;
    if (!entry_ok(dir_real, path) || dm_io_sniff_file(path) == DM_FMT_UNKNOWN) continue;
    if (count == SRV_MAX_PHOTOS) {
      s = dm_fail(ctx, DM_ERR_PARAM, dir, "holds more than %d photos", SRV_MAX_PHOTOS);
      break;
    }
    if (count == cap) {
      cap = cap ? 2 * cap : 16;
      char **bigger = realloc(list, (size_t)cap * sizeof *list);
      if (!bigger) {
        s = dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
        break;
      }
      list = bigger;
    }
    if (!(list[count] = strdup(e->d_name))) s = dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
    else count++;
  }
  closedir(d);
  if (!s && count == 0) s = dm_fail(ctx, DM_ERR_PARAM, dir, "holds no photo depthmask can read");
  if (s) {
    for (int i = 0; i < count; i++) free(list[i]);
    free(list);
    return s;
  }
  qsort(list, (size_t)count, sizeof *list, by_name);
  *names = list;
  *n = count;
  return DM_OK;
}

/* Size (upright) from the header, or the one-line problem. */
static void read_header(srv_photo *p) {
  dm_context *ctx = dm_context_new(1);
  if (!ctx) {
    snprintf(p->problem, sizeof p->problem, "out of memory");
    return;
  }
  ctx->header_only = 1;
  dm_decoded dec = {0};
  if (dm_io_read(ctx, p->path, &dec) == DM_OK) {
    p->width = dec.img.width;
    p->height = dec.img.height;
  } else {
    snprintf(p->problem, sizeof p->problem, "%s", dm_context_error(ctx));
  }
  dm_decoded_free(&dec);
  dm_context_free(ctx);
}

static dm_status init_photo(dm_context *ctx, dm_server *srv, srv_photo *p, int index,
                            const char *path) {
  snprintf(p->id, sizeof p->id, "%d", index);
  if (snprintf(p->path, sizeof p->path, "%s", path) >= (int)sizeof p->path)
    return dm_fail(ctx, DM_ERR_PARAM, path, "path too long");
  const char *slash = strrchr(path, '/');
  if (snprintf(p->name, sizeof p->name, "%s", slash ? slash + 1 : path) >= (int)sizeof p->name)
    return dm_fail(ctx, DM_ERR_PARAM, path, "file name too long");
  if (pthread_mutex_init(&p->doc_mu, NULL) || pthread_mutex_init(&p->open_mu, NULL))
    return dm_fail(ctx, DM_ERR_INTERNAL, NULL, "cannot make a mutex");
  read_header(p);
  /* A sidecar that cannot be read is the photo's problem, not the server's. */
  dm_context *dctx = dm_context_new(1);
  if (!dctx) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
  if (dm_edit_doc_open(dctx, p->path, srv->opt.sidecar_dir, &p->doc) != DM_OK) {
    p->doc = NULL;
    if (!p->problem[0]) snprintf(p->problem, sizeof p->problem, "%s", dm_context_error(dctx));
  }
  dm_context_free(dctx);
  return DM_OK;
}

dm_status srv_photos_find(dm_context *ctx, dm_server *srv) {
  const char *in = srv->opt.input;
  struct stat st;
  if (stat(in, &st) != 0) return dm_fail(ctx, DM_ERR_IO, in, "%s", strerror(errno));
  char **names = NULL;
  int n = 1;
  dm_status s = DM_OK;
  if (S_ISDIR(st.st_mode)) {
    snprintf(srv->base_dir, sizeof srv->base_dir, "%s", in);
    if ((s = list_folder(ctx, in, &names, &n))) return s;
  } else {
    if ((s = dm_check_input(ctx, in))) return s;
    dm_dirname(in, srv->base_dir, sizeof srv->base_dir);
  }
  srv->photos = calloc((size_t)n, sizeof *srv->photos);
  if (!srv->photos) s = dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
  for (int i = 0; !s && i < n; i++) {
    char path[4096];
    if (names && snprintf(path, sizeof path, "%s/%s", in, names[i]) >= (int)sizeof path)
      s = dm_fail(ctx, DM_ERR_PARAM, names[i], "path too long");
    if (!s) s = init_photo(ctx, srv, &srv->photos[i], i, names ? path : in);
    if (!s) srv->n_photos = i + 1;
  }
  if (names)
    for (int i = 0; i < n; i++) free(names[i]);
  free(names);
  return s;
}

dm_graph *srv_photo_graph(dm_server *srv, srv_photo *p, dm_http_reply *reply) {
  pthread_mutex_lock(&p->open_mu);
  if (!p->graph && !p->open_tried) {
    p->open_tried = 1;
    dm_context *ctx = dm_context_new(1);
    dm_graph_options go = {.scene = srv->opt.scene, .proxy = srv->opt.proxy,
                           .threads = srv->opt.threads};
    dm_graph *g = NULL;
    if (ctx && dm_graph_open(ctx, p->path, &go, &g) == DM_OK) {
      int w, h;
      dm_graph_size(g, &w, &h);
      pthread_mutex_lock(&srv->mu);
      p->width = w, p->height = h;
      pthread_mutex_unlock(&srv->mu);
      p->graph = g;
      srv_queue_scene(srv, p);
    } else {
      pthread_mutex_lock(&srv->mu);
      snprintf(p->problem, sizeof p->problem, "%s", ctx ? dm_context_error(ctx) : "out of memory");
      pthread_mutex_unlock(&srv->mu);
    }
    dm_context_free(ctx);
  }
  dm_graph *g = p->graph;
  pthread_mutex_unlock(&p->open_mu);
  if (!g && reply) {
    pthread_mutex_lock(&srv->mu);
    srv_reply_error(reply, 422, "%s", p->problem[0] ? p->problem : "the photo cannot be read");
    pthread_mutex_unlock(&srv->mu);
  }
  return g;
}

void srv_sidecar_path(const dm_server *srv, const srv_photo *p, char *out, size_t len) {
  char own[4096];
  dm_sidecar_path(p->path, own, sizeof own);
  if (!srv->opt.sidecar_dir) {
    snprintf(out, len, "%s", own);
    return;
  }
  const char *slash = strrchr(own, '/');
  snprintf(out, len, "%s/%s", srv->opt.sidecar_dir, slash ? slash + 1 : own);
}

void srv_recipe_dir(const dm_server *srv, const srv_photo *p, char *out, size_t len) {
  char sidecar[4096];
  srv_sidecar_path(srv, p, sidecar, sizeof sidecar);
  dm_dirname(sidecar, out, len);
}

void srv_photos_free(dm_server *srv) {
  for (int i = 0; i < srv->n_photos; i++) {
    srv_photo *p = &srv->photos[i];
    dm_graph_free(p->graph);
    dm_edit_doc_free(p->doc);
    free(p->thumb);
    pthread_mutex_destroy(&p->doc_mu);
    pthread_mutex_destroy(&p->open_mu);
  }
  free(srv->photos);
  srv->photos = NULL;
  srv->n_photos = 0;
}
