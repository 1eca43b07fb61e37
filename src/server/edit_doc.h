/* One photo's recipe as the editor holds it (issue 14 item 4): the recipe
 * in memory, its undo/redo history, and its sidecar kept in step.
 *
 * Every change arrives as JSON in the recipe's own language (the --set
 * keys) and applies atomically: all of it or, with the one-line message
 * the CLI would print, none. Changes are saved to the sidecar debounced
 * (dm_edit_doc_tick), under the photo's lock, merged by field with what
 * another program wrote there meanwhile. Not thread-safe: the server holds
 * one mutex per photo around every call. */
#ifndef DM_EDIT_DOC_H
#define DM_EDIT_DOC_H

#include <jansson.h>

#include "recipe/recipe.h"

typedef struct dm_edit_doc dm_edit_doc;

/* Open the recipe of `photo`: its sidecar (`sidecar_dir` NULL: beside the
 * photo, as the CLI finds it) or defaults. */
dm_status dm_edit_doc_open(dm_context *ctx, const char *photo, const char *sidecar_dir,
                           dm_edit_doc **out);
void dm_edit_doc_free(dm_edit_doc *d);

/* The recipe now (valid until the next change). */
const dm_recipe *dm_edit_doc_recipe(const dm_edit_doc *d);
/* Changes since open: each successful patch, undo or redo adds one. */
unsigned long dm_edit_doc_revision(const dm_edit_doc *d);

/* GET /api/state's recipe part: {"recipe": {KEY: VALUE...}, "params": [{key, label, type,
 * default, min, max, ui_min, ui_max, choices, doc}...], "process_version": N, "sidecar":
 * "none|saved|changed_on_disk|unsaved", "outside_fields": [...]}. New reference. */
json_t *dm_edit_doc_state(const dm_edit_doc *d);

/* PATCH /api/recipe: `body` is one JSON object with one of "set", "add_correction",
 * "remove_correction", "add_mask", "remove_mask", "undo", "redo". On success
 * *reply (new reference) is the changed keys and the revision; on a bad body,
 * key or value DM_ERR_PARAM with ctx's one-line message and the recipe as it was. */
dm_status dm_edit_doc_patch(dm_context *ctx, dm_edit_doc *d, const char *body, size_t len,
                            json_t **reply);

/* Save now when there are unsaved changes: lock, re-read the sidecar when
 * it changed on disk, re-apply this session's unsaved fields over it, write
 * atomically, unlock. */
dm_status dm_edit_doc_save(dm_context *ctx, dm_edit_doc *d);
/* Called about every 100 ms: saves once no change came for `debounce_ms`. */
dm_status dm_edit_doc_tick(dm_context *ctx, dm_edit_doc *d, long now_ms, long debounce_ms);

/* POST /api/sync: copy `sections` ("masks", "adjust", "lens_blur") of
 * `from`'s recipe into `to`'s, as Lightroom's Sync does (one change of
 * `to`, undoable). */
dm_status dm_edit_doc_sync(dm_context *ctx, const dm_edit_doc *from, dm_edit_doc *to,
                           const char *const *sections, int n_sections);

#endif
