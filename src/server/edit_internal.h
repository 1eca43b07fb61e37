/* Internal to the recipe document (edit_*.c): its struct, its history, the
 * steps it records for the merge, and the value maps its diffs compare.
 *
 * Files: edit_doc.c (open, history, committing a change), edit_state.c
 * (values as JSON, diffs, GET state), edit_patch.c (PATCH bodies),
 * edit_steps.c (what a change did, replayed over a sidecar another program
 * rewrote), edit_save.c (save, debounce), edit_sync.c (Sync). */
#ifndef DM_EDIT_INTERNAL_H
#define DM_EDIT_INTERNAL_H

#include "core/hash.h"
#include "server/edit_doc.h"

#define EDIT_SIDECAR_MAX ((size_t)64 << 20) /* the most dm_recipe_read_file reads */

/* One thing a change did, in the terms it is replayed in over a re-read
 * sidecar: a --set assignment, or a removal --set cannot say. */
typedef enum edit_step_type {
  EDIT_STEP_SET,               /* `set` = "KEY=VALUE" */
  EDIT_STEP_REMOVE_CORRECTION, /* correction[n] */
  EDIT_STEP_REMOVE_MASK,       /* correction[n].mask[m] */
  EDIT_STEP_REMOVE_STROKE,     /* correction[n].mask[m].stroke[s] */
  EDIT_STEP_REMOVE_REFINE,     /* refine[n] */
} edit_step_type;

typedef struct edit_step {
  edit_step_type type;
  int n, m, s;
  char *set; /* owned, SET only */
} edit_step;

typedef struct edit_steps {
  int n, cap;
  edit_step *v;
} edit_steps;

struct dm_edit_doc {
  char photo[4096];
  char sidecar[4096];   /* where the recipe is saved (what the CLI would write) */
  char photo_hash[33];  /* dm:SourceHash */
  dm_recipe r;          /* the recipe now */
  json_t *values;       /* r's values: {KEY: "text as --set takes it"}, in r's order */
  unsigned long revision;

  /* History: every state as serialised XMP; hist[cur] is r. Undo moves cur
   * back, redo forward; a new change drops what lies after cur. */
  char **hist;
  size_t *hist_len;
  int n_hist, cap_hist, cur;
  /* A slider drag is one step: a "set" carrying the gesture of the change
   * just before it (and nothing undone since) replaces that step's state
   * instead of adding one (edit_patch.c). `fold` is set for the one commit
   * that does so. */
  char gesture[65];
  int gesture_cur;      /* hist index the gesture's step holds */
  int fold;

  /* Saving. `base` is the recipe as the sidecar held it when last read or
   * written (XMP), base_hash/base_exists the sidecar file's bytes then;
   * `steps` what this session changed since (replayed over the file when
   * another program rewrote it). */
  int dirty;
  edit_steps steps;
  char *base;
  size_t base_len;
  int base_exists;
  dm_hash base_hash;
  json_t *outside;      /* keys the last merge brought in from the file */
  unsigned long changes; /* every change, merges included: what the debounce watches */
  unsigned long seen_changes;
  long seen_ms;
  int seen;             /* seen_changes/seen_ms valid */
};

/* ---- edit_doc.c ---- */
/* How a change moves the history: a new state after cur, or to hist[to]. */
typedef enum edit_move { EDIT_PUSH, EDIT_GOTO } edit_move;
/* Make *next, as the sidecar will hold it (written and read back), the
 * document's recipe (next stays the caller's): history as `move` says (`to` for GOTO, which keeps the photo's
 * fields, Lightroom's other settings and the refine strokes as they are
 * now), revision + 1, what changed recorded for saving (as `step` when
 * given, a removal, else as the difference). *changed (may be NULL) gets
 * the keys whose value changed. A PUSH that changes no value does nothing
 * (changed is []). On failure nothing changes. */
dm_status edit_commit(dm_context *ctx, dm_edit_doc *d, dm_recipe *next, edit_move move, int to,
                      const edit_step *step, json_t **changed);
/* The same for a merge with the sidecar, already saved: not recorded as
 * a change to save (the outside fields are the caller's to set); one that
 * changed no value replaces the state in place, without a step. */
dm_status edit_adopt(dm_context *ctx, dm_edit_doc *d, dm_recipe *next, json_t **changed);
/* The sidecar records its photo as the CLI records it: dm:SourceFile (its
 * name) and dm:SourceHash (its content). */
void edit_record_photo(const dm_edit_doc *d, dm_recipe *r);
/* A copy of the recipe now, or of hist[i] (read back from its XMP). */
dm_status edit_copy_state(dm_context *ctx, const dm_edit_doc *d, int i, dm_recipe *out);

/* ---- edit_state.c ---- */
/* {KEY: text} of every value (dm_recipe_each_value). New reference in *out. */
dm_status edit_values(dm_context *ctx, const dm_recipe *r, json_t **out);
/* Keys whose text differs, or that only one side has: b's order, then
 * those only in a. New reference, NULL on OOM. */
json_t *edit_diff(const json_t *a, const json_t *b);
/* A float as the shortest decimal that reads back to it, as JSON (an
 * integer when it is one). */
json_t *edit_json_number(float v);

/* ---- edit_save.c ---- */
/* "none", "saved", "unsaved" or "changed_on_disk" (the sidecar's bytes are
 * not what was last read or written). */
const char *edit_sidecar_state(const dm_edit_doc *d);

/* ---- edit_steps.c ---- */
void edit_steps_clear(edit_steps *s);
/* Append a copy of *st. */
dm_status edit_steps_add(dm_context *ctx, edit_steps *s, const edit_step *st);
/* The steps that take `from` to `to` (values fv, tv; changed = edit_diff):
 * removals at the ends, then the changed values as assignments. */
dm_status edit_steps_diff(dm_context *ctx, edit_steps *s, const dm_recipe *from,
                          const dm_recipe *to, const json_t *tv, const json_t *changed);
/* Replay `steps`, recorded against `base`, over `theirs` (what the sidecar
 * holds now): corrections, components and strokes matched by position,
 * the ones this session appended after those the file has. A step that no
 * longer applies is skipped with a warning. */
dm_status edit_steps_replay(dm_context *ctx, const edit_steps *steps, const dm_recipe *base,
                            dm_recipe *theirs);

#endif
