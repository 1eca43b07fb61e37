/* The recipe document: opening a photo's recipe as `depthmask render`
 * finds it, the undo/redo history, and committing a change (edit_doc.h).
 *
 * History entries are the recipe serialised as the sidecar would be (XMP
 * from dm_recipe_write_mem): a few KB each, so the history needs no bound,
 * and a state read back from one is exactly what a save would write. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/file.h"
#include "server/edit_internal.h"

static const char *base_name(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

/* Read the sidecar at `path` into d->r, unless it belongs to another photo:
 * then, as the CLI does, refuse when it sits where this edit is saved
 * (it would be overwritten), else warn and start from defaults. */
static dm_status read_sidecar(dm_context *ctx, dm_edit_doc *d, const char *path) {
  dm_status s = dm_recipe_read_file(ctx, path, &d->r);
  if (s) return s;
  const char *other = dm_sidecar_other_owner(&d->r, d->photo, d->photo_hash);
  if (!other) return DM_OK;
  if (!strcmp(path, d->sidecar))
    return dm_fail(ctx, DM_ERR_IO, path, "holds another photo's edit (%s) and is not overwritten; "
                   "move it, or keep this photo's edits in another --sidecar-dir", other);
  dm_log(ctx, DM_LOG_WARN, "%s: belongs to %s, not to %s; not used", path, other, d->photo);
  dm_recipe_clear(&d->r);
  return DM_OK;
}

/* The sidecar file's bytes as they are now: *exists and their hash. */
static dm_status sidecar_hash(dm_context *ctx, const char *path, int *exists, dm_hash *h) {
  *exists = access(path, F_OK) == 0;
  memset(h, 0, sizeof *h);
  if (!*exists) return DM_OK;
  unsigned char *data;
  size_t len;
  dm_status s = dm_read_file(ctx, path, EDIT_SIDECAR_MAX, &data, &len);
  if (s) return s;
  *h = dm_hash_bytes(data, len);
  free(data);
  return DM_OK;
}

static dm_status hist_reserve(dm_context *ctx, dm_edit_doc *d, int n) {
  if (n <= d->cap_hist) return DM_OK;
  int cap = d->cap_hist ? d->cap_hist * 2 : 16;
  while (cap < n) cap *= 2;
  char **h = realloc(d->hist, (size_t)cap * sizeof *h);
  if (h) d->hist = h;
  size_t *l = h ? realloc(d->hist_len, (size_t)cap * sizeof *l) : NULL;
  if (l) d->hist_len = l;
  if (!h || !l) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for the edit history");
  d->cap_hist = cap;
  return DM_OK;
}

void edit_record_photo(const dm_edit_doc *d, dm_recipe *r) {
  /* A name too long for the field is cut, as the CLI cuts it. */
  snprintf(r->photo.source_file, sizeof r->photo.source_file, "%.*s",
           (int)sizeof r->photo.source_file - 1, base_name(d->photo));
  snprintf(r->photo.source_hash, sizeof r->photo.source_hash, "%s", d->photo_hash);
}

/* Everything of the document but the recipe read from the sidecar. */
static dm_status start(dm_context *ctx, dm_edit_doc *d) {
  edit_record_photo(d, &d->r);
  dm_status s = hist_reserve(ctx, d, 1);
  if (!s) s = dm_recipe_write_mem(ctx, &d->r, &d->hist[0], &d->hist_len[0]);
  if (s) return s;
  d->n_hist = 1;
  /* As the sidecar will hold it, as after every change (see canonical). */
  dm_recipe r;
  if ((s = dm_recipe_init(ctx, &r))) return s;
  s = dm_recipe_read_mem(ctx, d->hist[0], d->hist_len[0], "the edited recipe", &r);
  dm_recipe_free(s ? &r : &d->r);
  if (s) return s;
  d->r = r;
  if ((s = edit_values(ctx, &d->r, &d->values))) return s;
  d->base = malloc(d->hist_len[0] + 1);
  d->outside = json_array();
  if (!d->base || !d->outside) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
  memcpy(d->base, d->hist[0], d->hist_len[0] + 1);
  d->base_len = d->hist_len[0];
  return sidecar_hash(ctx, d->sidecar, &d->base_exists, &d->base_hash);
}

dm_status dm_edit_doc_open(dm_context *ctx, const char *photo, const char *sidecar_dir,
                           dm_edit_doc **out) {
  *out = NULL;
  dm_status s = dm_check_input(ctx, photo);
  if (s) return s;
  dm_edit_doc *d = calloc(1, sizeof *d);
  if (!d) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
  s = dm_recipe_init(ctx, &d->r);
  if (!s && snprintf(d->photo, sizeof d->photo, "%s", photo) >= (int)sizeof d->photo)
    s = dm_fail(ctx, DM_ERR_PARAM, NULL, "photo path longer than %zu bytes", sizeof d->photo - 1);
  if (!s) {
    /* Its own name (photo.cr2 -> photo.xmp, photo.jpg -> photo.jpg.xmp),
     * beside it or in sidecar_dir, as --sidecar puts it elsewhere. */
    char own[4096];
    dm_sidecar_path(photo, own, sizeof own);
    int n = sidecar_dir ? snprintf(d->sidecar, sizeof d->sidecar, "%s/%s", sidecar_dir, base_name(own))
                        : snprintf(d->sidecar, sizeof d->sidecar, "%s", own);
    if (!own[0] || n < 0 || n >= (int)sizeof d->sidecar)
      s = dm_fail(ctx, DM_ERR_PARAM, photo, "its sidecar's path is too long");
  }
  /* Read under the photo's lock, as every read-modify-write of it. */
  int lock = s ? -1 : dm_lock(ctx, photo);
  if (!s && lock < 0) s = DM_ERR_IO;
  if (!s) {
    dm_hash h;
    if (!(s = dm_hash_file(ctx, photo, &h))) dm_hash_hex(h, d->photo_hash);
  }
  if (!s) {
    char found[4096];
    int legacy = 0, have;
    if (sidecar_dir) {
      have = access(d->sidecar, F_OK) == 0;
      snprintf(found, sizeof found, "%s", d->sidecar);
    } else {
      /* Its own, else a legacy photo.xmp beside a non-RAW (read, never written). */
      have = dm_sidecar_find(photo, found, sizeof found, &legacy);
    }
    if (have) s = read_sidecar(ctx, d, found);
  }
  if (!s) s = start(ctx, d);
  dm_unlock(lock);
  if (s) {
    dm_edit_doc_free(d);
    return s;
  }
  *out = d;
  return DM_OK;
}

void dm_edit_doc_free(dm_edit_doc *d) {
  if (!d) return;
  dm_recipe_free(&d->r);
  json_decref(d->values);
  json_decref(d->outside);
  for (int i = 0; i < d->n_hist; i++) free(d->hist[i]);
  free(d->hist);
  free(d->hist_len);
  edit_steps_clear(&d->steps);
  free(d->base);
  free(d);
}

const dm_recipe *dm_edit_doc_recipe(const dm_edit_doc *d) { return &d->r; }

unsigned long dm_edit_doc_revision(const dm_edit_doc *d) { return d->revision; }

dm_status edit_copy_state(dm_context *ctx, const dm_edit_doc *d, int i, dm_recipe *out) {
  dm_status s = dm_recipe_init(ctx, out);
  if (!s) s = dm_recipe_read_mem(ctx, d->hist[i], d->hist_len[i], "the edit history", out);
  if (s) dm_recipe_free(out);
  return s;
}

/* Undo and redo move the edit, not the document around it: the photo's
 * fields (its last output, where its depth came from) and Lightroom's other
 * settings stay as they are now. (The refine strokes are an edit: the
 * Refine brush paints them, undo takes them back.) */
static void swap_document(dm_recipe *a, dm_recipe *b) {
  dm_recipe_photo p = a->photo;
  a->photo = b->photo, b->photo = p;
  dm_preserved *e = a->extra;
  a->extra = b->extra, b->extra = e;
}

/* `next` as the sidecar will hold it: written and read back. The recipe
 * the document shows is always that form (Lightroom stores a subtracted
 * inverted component as an intersect, for one), so what the page sees is
 * what a reopened sidecar shows. For GOTO it takes d->r's document parts. */
static dm_status canonical(dm_context *ctx, dm_edit_doc *d, dm_recipe *next, edit_move move,
                           char **xml, size_t *len, dm_recipe *out) {
  if (move == EDIT_GOTO) swap_document(next, &d->r);
  dm_status s = dm_recipe_write_mem(ctx, next, xml, len);
  if (move == EDIT_GOTO) swap_document(next, &d->r);
  if (!s) s = dm_recipe_init(ctx, out);
  if (s) return s;
  s = dm_recipe_read_mem(ctx, *xml, *len, "the edited recipe", out);
  if (s) {
    dm_recipe_free(out);
    free(*xml);
    *xml = NULL;
  }
  return s;
}

/* edit_commit and edit_adopt (`record` 0: a merge already saved). */
static dm_status commit(dm_context *ctx, dm_edit_doc *d, dm_recipe *next, edit_move move, int to,
                        const edit_step *step, int record, json_t **changed_out) {
  json_t *nv = NULL, *changed = NULL;
  char *xml = NULL;
  size_t len = 0;
  edit_steps add = {0};
  dm_recipe canon;
  if (changed_out) *changed_out = NULL;
  dm_status s = canonical(ctx, d, next, move, &xml, &len, &canon);
  if (s) return s;
  s = edit_values(ctx, &canon, &nv);
  if (!s && !(changed = edit_diff(d->values, nv)))
    s = dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
  int same = !s && json_array_size(changed) == 0;
  /* A PUSH that changes no value is no step; a merge that changed none
   * (the other program recorded its render, say) replaces the state in
   * place. */
  int in_place = (same && !record) || (move == EDIT_PUSH && record && d->fold);
  if (same && record && move == EDIT_PUSH) {
    json_decref(nv);
    free(xml);
    dm_recipe_free(&canon);
    if (changed_out) *changed_out = changed;
    else json_decref(changed);
    return DM_OK;
  }
  /* Everything that can fail, before anything changes. */
  if (!s && move == EDIT_PUSH && !in_place) s = hist_reserve(ctx, d, d->cur + 2);
  if (!s && record && step) s = edit_steps_add(ctx, &add, step);
  if (!s && record && !step) s = edit_steps_diff(ctx, &add, &d->r, &canon, nv, changed);
  if (!s && add.n && d->steps.n + add.n > d->steps.cap) {
    edit_step *grown = realloc(d->steps.v, (size_t)(d->steps.n + add.n) * sizeof *grown);
    if (!grown) s = dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
    else d->steps.v = grown, d->steps.cap = d->steps.n + add.n;
  }
  if (s) {
    json_decref(nv);
    json_decref(changed);
    free(xml);
    edit_steps_clear(&add);
    dm_recipe_free(&canon);
    return s;
  }
  if (move == EDIT_PUSH && !in_place) {
    for (int i = d->cur + 1; i < d->n_hist; i++) free(d->hist[i]); /* redo is gone */
    d->cur++;
    d->n_hist = d->cur + 1;
  } else {
    if (move == EDIT_GOTO) d->cur = to;
    free(d->hist[d->cur]); /* rewritten with the document's parts as they are now */
  }
  d->hist[d->cur] = xml;
  d->hist_len[d->cur] = len;
  if (add.n) memcpy(d->steps.v + d->steps.n, add.v, (size_t)add.n * sizeof *add.v);
  d->steps.n += add.n;
  free(add.v); /* the steps' strings now belong to d->steps */
  dm_recipe_free(&d->r);
  d->r = canon;
  json_decref(d->values);
  d->values = nv;
  if (!in_place || d->fold) {
    d->revision++;
    d->changes++;
  }
  if (record) {
    d->dirty = 1;
    json_array_clear(d->outside); /* the page has moved on */
  }
  if (changed_out) *changed_out = changed;
  else json_decref(changed);
  return DM_OK;
}

dm_status edit_commit(dm_context *ctx, dm_edit_doc *d, dm_recipe *next, edit_move move, int to,
                      const edit_step *step, json_t **changed) {
  return commit(ctx, d, next, move, to, step, 1, changed);
}

dm_status edit_adopt(dm_context *ctx, dm_edit_doc *d, dm_recipe *next, json_t **changed) {
  return commit(ctx, d, next, EDIT_PUSH, 0, NULL, 0, changed);
}
