/* Which photos a batch takes, in what order, and their output names
 * (batch.h). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch/batch.h"
#include "io/io.h"
#include "recipe/recipe.h"

typedef struct {
  char **path;
  int n, cap;
} names;

static int push(names *v, const char *path) {
  if (v->n == v->cap) {
    int cap = v->cap ? 2 * v->cap : 64;
    char **p = realloc(v->path, (size_t)cap * sizeof *p);
    if (!p) return -1;
    v->path = p, v->cap = cap;
  }
  if (!(v->path[v->n] = strdup(path))) return -1;
  v->n++;
  return 0;
}

/* A photo's extension: what a retoucher would call a photo even when its
 * content says otherwise (then it fails with its own line). */
static int photo_extension(const char *name) {
  static const char *const ext[] = {"jpg", "jpeg", "png", "tif", "tiff", "heic", "heif", "hif", "dng"};
  const char *dot = strrchr(name, '.');
  if (!dot) return 0;
  for (size_t i = 0; i < sizeof ext / sizeof *ext; i++)
    if (!strcasecmp(dot + 1, ext[i])) return 1;
  return dm_is_raw_name(name);
}

/* Is `path` inside `dir` (both real paths, dir without a trailing '/')? */
static int inside(const char *real, const char *dir) {
  size_t n = strlen(dir);
  return dir[0] && !strncmp(real, dir, n) && (real[n] == '/' || real[n] == 0);
}

static dm_status scan(dm_context *ctx, const char *dir, int recursive, const char *out_real, names *v) {
  DIR *d = opendir(dir);
  if (!d) return dm_fail(ctx, DM_ERR_IO, dir, "cannot read this folder: %s", strerror(errno));
  names here = {0};
  struct dirent *e;
  int oom = 0;
  while (!oom && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue; /* ., .., hidden files and our temporaries */
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path) continue;
    oom = push(&here, path) != 0;
  }
  closedir(d);
  dm_status s = oom ? dm_fail(ctx, DM_ERR_NOMEM, dir, "out of memory") : DM_OK;
  for (int i = 0; i < here.n; i++) {
    const char *path = here.path[i];
    struct stat st;
    char real[PATH_MAX];
    if (s || lstat(path, &st) != 0) {
      free(here.path[i]);
      continue;
    }
    int link = S_ISLNK(st.st_mode);
    if (link && stat(path, &st) != 0) {
      /* a link to nothing named like a photo fails with its own line */
      if (photo_extension(path) && push(v, path)) s = dm_fail(ctx, DM_ERR_NOMEM, dir, "out of memory");
    } else if (S_ISDIR(st.st_mode)) {
      /* never through a link: a link to a parent folder would loop; a
       * folder named like a photo is not silently passed over */
      if (recursive && !link) s = scan(ctx, path, recursive, out_real, v);
      else if (photo_extension(path) && push(v, path)) s = dm_fail(ctx, DM_ERR_NOMEM, dir, "out of memory");
    } else if (realpath(path, real) && !inside(real, out_real) &&
               (photo_extension(path) || (S_ISREG(st.st_mode) && dm_io_sniff_file(path) != DM_FMT_UNKNOWN))) {
      /* sidecars are neither; a FIFO is never opened (it would block) */
      if (push(v, path)) s = dm_fail(ctx, DM_ERR_NOMEM, dir, "out of memory");
    }
    free(here.path[i]);
  }
  free(here.path);
  return s;
}

static int by_path(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

dm_status dm_batch_collect(dm_context *ctx, const char *const *in, int n_in, int recursive,
                           const char *out_dir, dm_batch_list *out) {
  memset(out, 0, sizeof *out);
  char out_real[PATH_MAX] = "";
  if (out_dir && !realpath(out_dir, out_real)) out_real[0] = 0; /* not made yet: nothing inside */
  names v = {0};
  dm_status s = DM_OK;
  for (int i = 0; !s && i < n_in; i++) {
    struct stat st;
    if (stat(in[i], &st) == 0 && S_ISDIR(st.st_mode)) {
      /* a folder named on the command line: its photos (-r: and below) */
      char dir[PATH_MAX];
      size_t n = strlen(in[i]);
      snprintf(dir, sizeof dir, "%.*s", (int)(n > 1 && in[i][n - 1] == '/' ? n - 1 : n), in[i]);
      s = scan(ctx, dir, recursive, out_real, &v);
    } else if (push(&v, in[i])) { /* a file, or what is not there: render says which */
      s = dm_fail(ctx, DM_ERR_NOMEM, in[i], "out of memory");
    }
  }
  if (!s) {
    qsort(v.path, (size_t)v.n, sizeof *v.path, by_path);
    out->photo = calloc((size_t)(v.n ? v.n : 1), sizeof *out->photo);
    if (!out->photo) s = dm_fail(ctx, DM_ERR_NOMEM, "batch", "out of memory");
  }
  int k = 0;
  for (int i = 0; i < v.n; i++) {
    /* the same file named twice (a folder and a file in it) is one photo */
    if (!s && (k == 0 || strcmp(out->photo[k - 1].input, v.path[i]))) {
      out->photo[k++].input = v.path[i];
    } else {
      free(v.path[i]);
    }
  }
  free(v.path);
  out->n = k;
  if (s) dm_batch_list_free(out);
  return s;
}

void dm_batch_shard(dm_batch_list *l, int i, int n) {
  int k = 0;
  for (int j = 0; j < l->n; j++) {
    if (j % n == i - 1) {
      l->photo[k++] = l->photo[j];
    } else {
      free(l->photo[j].input);
      free(l->photo[j].output);
      free(l->photo[j].sidecar);
    }
  }
  l->n = k;
}

/* The name without folder and without its last extension. */
static void stem_of(const char *path, char *out, size_t len) {
  const char *slash = strrchr(path, '/');
  const char *name = slash ? slash + 1 : path;
  const char *dot = strrchr(name, '.');
  snprintf(out, len, "%.*s", (int)(dot && dot != name ? dot - name : (long)strlen(name)), name);
}

static const char *base_of(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

dm_status dm_batch_name_outputs(dm_context *ctx, dm_batch_list *l, const char *out_dir, const char *ext,
                                int sidecars_out) {
  for (int i = 0; i < l->n; i++) {
    char stem[PATH_MAX], other[PATH_MAX], name[PATH_MAX];
    stem_of(l->photo[i].input, stem, sizeof stem);
    int shared = 0;
    for (int j = 0; j < l->n && !shared; j++) {
      if (j == i) continue;
      stem_of(l->photo[j].input, other, sizeof other);
      shared = !strcmp(stem, other);
    }
    const char *base = base_of(l->photo[i].input);
    int n = shared ? snprintf(name, sizeof name, "%s/%s-dm.%s", out_dir, base, ext)
                   : snprintf(name, sizeof name, "%s/%s-dm.%s", out_dir, stem, ext);
    if (n >= (int)sizeof name) return dm_fail(ctx, DM_ERR_PARAM, l->photo[i].input, "output name too long");
    if (!(l->photo[i].output = strdup(name))) return dm_fail(ctx, DM_ERR_NOMEM, "batch", "out of memory");
    if (sidecars_out) {
      /* its own sidecar's name, in out_dir; after its output where names are shared */
      char own[PATH_MAX];
      dm_sidecar_path(base, own, sizeof own);
      n = shared ? snprintf(name, sizeof name, "%s.xmp", l->photo[i].output)
                 : snprintf(name, sizeof name, "%s/%s", out_dir, own);
      if (n >= (int)sizeof name || !(l->photo[i].sidecar = strdup(name)))
        return dm_fail(ctx, DM_ERR_NOMEM, l->photo[i].input, "sidecar name");
    }
  }
  for (int i = 0; i < l->n; i++)
    for (int j = i + 1; j < l->n; j++)
      if (!strcmp(l->photo[i].output, l->photo[j].output))
        return dm_fail(ctx, DM_ERR_PARAM, l->photo[i].output,
                       "would be written by both %s and %s; batch those folders separately",
                       l->photo[i].input, l->photo[j].input);
  return DM_OK;
}

void dm_batch_list_free(dm_batch_list *l) {
  for (int i = 0; i < l->n; i++) {
    free(l->photo[i].input);
    free(l->photo[i].output);
    free(l->photo[i].sidecar);
  }
  free(l->photo);
  memset(l, 0, sizeof *l);
}
