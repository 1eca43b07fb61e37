/* The batch manifest (batch.h): out_dir/.depthmask-batch.jsonl. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch/batch.h"
#include "core/hash.h"
#include "nn/model_store.h"

#define MANIFEST_NAME ".depthmask-batch.jsonl"

struct dm_batch_manifest {
  char path[4096];
  int dry_run;
  dm_batch_entry *e; /* oldest first; the newest for an output wins */
  int n, cap;
  pthread_mutex_t lock; /* workers add at once */
};

static int push(dm_batch_manifest *m, const dm_batch_entry *e) {
  if (m->n == m->cap) {
    int cap = m->cap ? 2 * m->cap : 64;
    dm_batch_entry *p = realloc(m->e, (size_t)cap * sizeof *p);
    if (!p) return -1;
    m->e = p, m->cap = cap;
  }
  m->e[m->n++] = *e;
  return 0;
}

static void copy_str(json_t *o, const char *key, char *dst, size_t len) {
  const char *v = json_string_value(json_object_get(o, key));
  snprintf(dst, len, "%s", v ? v : "");
}

/* One line; 0 when it is not a whole entry (a line cut by kill -9). */
static int parse_line(const char *line, dm_batch_entry *e) {
  json_t *o = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
  if (!json_is_object(o)) {
    json_decref(o);
    return 0;
  }
  memset(e, 0, sizeof *e);
  copy_str(o, "output", e->output, sizeof e->output);
  copy_str(o, "output_hash", e->output_hash, sizeof e->output_hash);
  copy_str(o, "input_hash", e->input_hash, sizeof e->input_hash);
  copy_str(o, "recipe_hash", e->recipe_hash, sizeof e->recipe_hash);
  copy_str(o, "options", e->options, sizeof e->options);
  copy_str(o, "models", e->models, sizeof e->models);
  json_t *pv = json_object_get(o, "process_version");
  e->process_version = json_is_integer(pv) ? (int)json_integer_value(pv) : -1;
  json_decref(o);
  return e->output[0] && e->output_hash[0] && e->process_version >= 0;
}

dm_status dm_batch_manifest_open(dm_context *ctx, const char *out_dir, int dry_run, dm_batch_manifest **out) {
  *out = NULL;
  dm_batch_manifest *m = calloc(1, sizeof *m);
  if (!m) return dm_fail(ctx, DM_ERR_NOMEM, out_dir, "out of memory");
  if (snprintf(m->path, sizeof m->path, "%s/%s", out_dir, MANIFEST_NAME) >= (int)sizeof m->path) {
    free(m);
    return dm_fail(ctx, DM_ERR_PARAM, out_dir, "path too long");
  }
  m->dry_run = dry_run;
  pthread_mutex_init(&m->lock, NULL);
  FILE *f = fopen(m->path, "r");
  if (!f && errno != ENOENT) {
    dm_status s = dm_fail(ctx, DM_ERR_IO, m->path, "cannot read the batch manifest: %s", strerror(errno));
    dm_batch_manifest_close(m);
    return s;
  }
  char *line = NULL;
  size_t cap = 0;
  while (f && getline(&line, &cap, f) > 0) {
    dm_batch_entry e;
    if (parse_line(line, &e) && push(m, &e)) {
      free(line);
      fclose(f);
      dm_batch_manifest_close(m);
      return dm_fail(ctx, DM_ERR_NOMEM, out_dir, "out of memory");
    }
  }
  free(line);
  if (f) fclose(f);
  *out = m;
  return DM_OK;
}

int dm_batch_manifest_current(dm_batch_manifest *m, const dm_batch_entry *want) {
  const dm_batch_entry *last = NULL;
  pthread_mutex_lock(&m->lock);
  for (int i = m->n - 1; i >= 0 && !last; i--)
    if (!strcmp(m->e[i].output, want->output)) last = &m->e[i];
  int same = last && !strcmp(last->input_hash, want->input_hash) &&
             !strcmp(last->recipe_hash, want->recipe_hash) && !strcmp(last->options, want->options) &&
             !strcmp(last->models, want->models) && last->process_version == want->process_version;
  char recorded[33];
  if (same) snprintf(recorded, sizeof recorded, "%s", last->output_hash);
  pthread_mutex_unlock(&m->lock);
  if (!same) return 0;
  /* the output itself: still there and still what was written */
  dm_context *ctx = dm_context_new(1);
  dm_hash h;
  char hex[33];
  int ok = ctx && dm_hash_file(ctx, want->output, &h) == DM_OK;
  dm_context_free(ctx);
  if (!ok) return 0;
  dm_hash_hex(h, hex);
  return !strcmp(hex, recorded);
}

dm_status dm_batch_manifest_add(dm_context *ctx, dm_batch_manifest *m, const dm_batch_entry *e) {
  if (m->dry_run) return DM_OK;
  json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i}", "output", e->output, "output_hash",
                        e->output_hash, "input_hash", e->input_hash, "recipe_hash", e->recipe_hash,
                        "options", e->options, "models", e->models, "process_version", e->process_version);
  char *text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  json_decref(o);
  if (!text) return dm_fail(ctx, DM_ERR_NOMEM, m->path, "out of memory");
  size_t len = strlen(text);
  dm_status s = DM_OK;
  pthread_mutex_lock(&m->lock);
  /* One write of the whole line under an exclusive lock: another batch
   * appending to the same manifest waits; a kill leaves at most a cut last
   * line, which the reader ignores. */
  int fd = open(m->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  struct stat st;
  if (fd < 0 || flock(fd, LOCK_EX) != 0 || fstat(fd, &st) != 0) {
    s = dm_fail(ctx, DM_ERR_IO, m->path, "cannot write the batch manifest: %s", strerror(errno));
  } else {
    char *buf = malloc(len + 2), last = '\n';
    /* a line cut by a kill is ended first, so this one stays whole */
    if (st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) != 1) last = '\n';
    size_t k = last != '\n';
    if (!buf) {
      s = dm_fail(ctx, DM_ERR_NOMEM, m->path, "out of memory");
    } else {
      buf[0] = '\n';
      memcpy(buf + k, text, len);
      buf[k + len] = '\n';
      ssize_t w = write(fd, buf, k + len + 1);
      if (w != (ssize_t)(k + len + 1) || fsync(fd) != 0)
        s = dm_fail(ctx, DM_ERR_IO, m->path, "cannot write the batch manifest: %s",
                    w < 0 ? strerror(errno) : "short write");
      free(buf);
    }
  }
  if (fd >= 0) close(fd); /* drops the lock */
  if (!s && push(m, e)) s = dm_fail(ctx, DM_ERR_NOMEM, m->path, "out of memory");
  pthread_mutex_unlock(&m->lock);
  free(text);
  return s;
}

void dm_batch_manifest_close(dm_batch_manifest *m) {
  if (!m) return;
  pthread_mutex_destroy(&m->lock);
  free(m->e);
  free(m);
}

void dm_batch_models_text(dm_context *ctx, char *out, size_t len) {
  size_t used = 0;
  out[0] = 0;
  for (int i = 0; i < dm_models_count(); i++) {
    const dm_model_entry *me = dm_models_at(i);
    dm_model_state st;
    long long size;
    char path[4096];
    if (dm_models_check(ctx, me, 0, &st, &size, path, sizeof path) || st == DM_MODEL_MISSING) continue;
    int n = snprintf(out + used, len - used, "%s%s %s", used ? ", " : "", me->id, me->sha256);
    if (n < 0 || (size_t)n >= len - used) break;
    used += (size_t)n;
  }
}
