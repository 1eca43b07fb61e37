/* Saving the document to its sidecar (dm_edit_doc_save, debounced by
 * dm_edit_doc_tick), with the CLI's rules: under the photo's lock, written
 * atomically (a temporary file beside it, fsync, rename), recording the
 * photo (dm:SourceFile, dm:SourceHash), never over another photo's edit.
 *
 * Merge by field: when the sidecar's bytes are not what this document last
 * read or wrote, another program (a render, a batch, another editor)
 * rewrote it. It is read again and this session's unsaved changes are
 * replayed over it (edit_steps.c), so its fields stay and ours win where
 * both changed one; what the merge brought in is listed as the outside
 * fields, and the merged recipe becomes the document's (one history step,
 * so undo returns to what this session had). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/file.h"
#include "server/edit_internal.h"

const char *edit_sidecar_state(const dm_edit_doc *d) {
  int exists = access(d->sidecar, F_OK) == 0;
  unsigned char *data = NULL;
  size_t len = 0;
  int changed = exists != d->base_exists;
  if (!changed && exists) {
    /* Unreadable now counts as changed: a save would find out why. */
    changed = dm_read_file(NULL, d->sidecar, EDIT_SIDECAR_MAX, &data, &len) != DM_OK;
    if (!changed) {
      dm_hash h = dm_hash_bytes(data, len);
      changed = h.lo != d->base_hash.lo || h.hi != d->base_hash.hi;
    }
    free(data);
  }
  if (changed) return "changed_on_disk";
  if (d->dirty) return "unsaved";
  return exists ? "saved" : "none";
}

const char *dm_edit_doc_sidecar_state(const dm_edit_doc *d) { return edit_sidecar_state(d); }

/* The sidecar rewritten by another program, with this session's unsaved
 * changes replayed over it, into *out (init'ed here). */
static dm_status merge(dm_context *ctx, dm_edit_doc *d, const unsigned char *data, size_t len,
                       dm_recipe *out) {
  dm_recipe base;
  dm_status s = dm_recipe_init(ctx, out);
  if (s) return s;
  s = dm_recipe_read_mem(ctx, (const char *)data, len, d->sidecar, out);
  const char *other = s ? NULL : dm_sidecar_other_owner(out, d->photo, d->photo_hash);
  if (other)
    s = dm_fail(ctx, DM_ERR_IO, d->sidecar, "now holds another photo's edit (%s) and is not "
                "overwritten; this photo's changes are kept in the editor", other);
  if (!s && !(s = dm_recipe_init(ctx, &base))) {
    s = dm_recipe_read_mem(ctx, d->base, d->base_len, "the last saved recipe", &base);
    if (!s) s = edit_steps_replay(ctx, &d->steps, &base, out);
    dm_recipe_free(&base);
  }
  if (!s) {
    /* Fields fine alone but not together once merged: say which. */
    s = dm_recipe_check(ctx, out);
    if (s) {
      char msg[sizeof ctx->error];
      snprintf(msg, sizeof msg, "%s", ctx->error);
      s = dm_fail(ctx, s, d->sidecar, "merged with what another program wrote there: %s", msg);
    }
  }
  if (s) dm_recipe_free(out);
  return s;
}

/* Write `r` (serialised as xml) where the sidecar goes, atomically. */
static dm_status write_sidecar(dm_context *ctx, dm_edit_doc *d, dm_recipe *r, char **xml,
                               size_t *len) {
  edit_record_photo(d, r); /* whatever the file that was merged says */
  dm_status s = dm_recipe_write_mem(ctx, r, xml, len);
  if (s) {
    char msg[sizeof ctx->error]; /* name the sidecar as well as the field */
    snprintf(msg, sizeof msg, "%s", ctx->error);
    return dm_fail(ctx, s, d->sidecar, "%s", msg);
  }
  s = dm_write_file_atomic(ctx, d->sidecar, *xml, *len);
  if (s) {
    free(*xml);
    *xml = NULL;
  }
  return s;
}

static dm_status save_locked(dm_context *ctx, dm_edit_doc *d) {
  unsigned char *data = NULL;
  size_t len = 0;
  int exists = access(d->sidecar, F_OK) == 0;
  dm_status s = exists ? dm_read_file(ctx, d->sidecar, EDIT_SIDECAR_MAX, &data, &len) : DM_OK;
  if (s) return s;
  dm_hash h = exists ? dm_hash_bytes(data, len) : (dm_hash){0, 0};
  int rewritten = exists && (!d->base_exists || h.lo != d->base_hash.lo || h.hi != d->base_hash.hi);
  /* A sidecar removed meanwhile is written anew with this session's recipe. */
  dm_recipe merged;
  if (rewritten) s = merge(ctx, d, data, len, &merged);
  free(data);
  if (s) return s;
  char *xml = NULL;
  size_t xml_len = 0;
  s = write_sidecar(ctx, d, rewritten ? &merged : &d->r, &xml, &xml_len);
  json_t *outside = NULL;
  if (!s && rewritten) {
    /* The merged recipe becomes the document's. Should that fail (out of
     * memory), the file stays ahead of the document and the next save
     * merges again, to the same result. */
    s = edit_adopt(ctx, d, &merged, &outside);
    if (s) {
      free(xml);
      xml = NULL;
    }
  }
  if (rewritten) dm_recipe_free(&merged);
  if (s) return s;
  free(d->base);
  d->base = xml;
  d->base_len = xml_len;
  d->base_exists = 1;
  d->base_hash = dm_hash_bytes(xml, xml_len);
  edit_steps_clear(&d->steps);
  d->dirty = 0;
  if (outside) {
    json_decref(d->outside);
    d->outside = outside;
  }
  return DM_OK;
}

dm_status dm_edit_doc_save(dm_context *ctx, dm_edit_doc *d) {
  return d->dirty ? dm_edit_doc_take_in(ctx, d) : DM_OK;
}

dm_status dm_edit_doc_take_in(dm_context *ctx, dm_edit_doc *d) {
  int lock = dm_lock(ctx, d->photo);
  if (lock < 0) return DM_ERR_IO;
  dm_status s = save_locked(ctx, d);
  dm_unlock(lock);
  return s;
}

dm_status dm_edit_doc_tick(dm_context *ctx, dm_edit_doc *d, long now_ms, long debounce_ms) {
  if (!d->dirty) {
    d->seen = 0;
    return DM_OK;
  }
  /* The quiet time counts from the first tick that saw the latest change. */
  if (!d->seen || d->seen_changes != d->changes) {
    d->seen = 1;
    d->seen_changes = d->changes;
    d->seen_ms = now_ms;
    return DM_OK;
  }
  if (now_ms - d->seen_ms < debounce_ms) return DM_OK;
  dm_status s = dm_edit_doc_save(ctx, d);
  if (s) d->seen_ms = now_ms; /* try again after another quiet time, not at every tick */
  return s;
}
