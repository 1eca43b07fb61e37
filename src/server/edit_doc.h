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

/* The recipe now (valid until the next change), always as the sidecar
 * will hold it: each change is written and read back (Lightroom's forms:
 * a subtracted inverted component reads as an intersect). */
const dm_recipe *dm_edit_doc_recipe(const dm_edit_doc *d);
/* Changes since open: each patch, undo, redo or sync that changed a value
 * adds one (a patch that changes nothing adds none), and so does a save
 * that merged values another program wrote into the recipe. */
unsigned long dm_edit_doc_revision(const dm_edit_doc *d);

/* GET /api/state's recipe part: {"recipe": {KEY: VALUE...}, "params": [{key, field, label,
 * type, count, default, min, max, ui_min, ui_max, choices, kinds, doc[, per_kind]}...],
 * "process_version": N, "sidecar": "none|saved|changed_on_disk|unsaved", "sidecar_path",
 * "outside_fields": [...], "revision", "can_undo", "can_redo"}. Keys are the --set keys,
 * one param per key `depthmask keys` lists (type number|vector|bool|choice|text); values
 * are numbers (the shortest decimal that is the float), booleans, arrays of numbers
 * (vectors), strings (names, kinds, modes, paths, dabs "x,y,..."); a Lightroom component
 * depthmask keeps but does not model shows only its kind, its crs:What ("Mask/Image"),
 * which is none of the kind's choices. outside_fields: the keys the last merge brought
 * in from the sidecar, until the next change. New reference, NULL on OOM. */
json_t *dm_edit_doc_state(const dm_edit_doc *d);

/* The "sidecar" of the state alone, for GET /api/photos: "none", "saved",
 * "unsaved" or "changed_on_disk" (its bytes are not what this document last
 * read or wrote). */
const char *dm_edit_doc_sidecar_state(const dm_edit_doc *d);

/* PATCH /api/recipe: `body` is one JSON object with one of "set", "add_correction",
 * "remove_correction", "add_mask", "remove_mask", "undo", "redo" (forms in
 * edit_patch.c). A "set" may carry "gesture": an id the page gives one slider
 * drag; the drag's changes, sent one after another with that id, are one
 * step of the history (each is still a revision). On success *reply (new reference) is {"revision": N, "changed":
 * [keys]}; on a bad body, key or value DM_ERR_PARAM with ctx's one-line message
 * (for a bad --set key or value, the line the CLI prints) and the recipe as it was. */
dm_status dm_edit_doc_patch(dm_context *ctx, dm_edit_doc *d, const char *body, size_t len,
                            json_t **reply);

/* Save now when there are unsaved changes: lock, re-read the sidecar when
 * it changed on disk, re-apply this session's unsaved fields over it, write
 * atomically, unlock. A sidecar that cannot be written fails with one line
 * naming it, and the changes stay unsaved. */
dm_status dm_edit_doc_save(dm_context *ctx, dm_edit_doc *d);
/* The sidecar was rewritten on this session's behalf (an export committed
 * its output's name and hash into it): merge it now, saved or not, so it
 * is not reported as changed on disk by another program. */
dm_status dm_edit_doc_take_in(dm_context *ctx, dm_edit_doc *d);
/* Called about every 100 ms: saves once no change came for `debounce_ms`
 * (counted from the first tick that saw the last change; after a failed
 * save, the next try waits as long again). */
dm_status dm_edit_doc_tick(dm_context *ctx, dm_edit_doc *d, long now_ms, long debounce_ms);

/* POST /api/sync: copy `sections` ("masks", "adjust", "lens_blur") of
 * `from`'s recipe into `to`'s, as Lightroom's Sync does (one change of
 * `to`, undoable; what each section carries: edit_sync.c). */
dm_status dm_edit_doc_sync(dm_context *ctx, const dm_edit_doc *from, dm_edit_doc *to,
                           const char *const *sections, int n_sections);

#endif
