/* Removing a correction, a mask component, a brush stroke or a refine
 * stroke set: what --set cannot say (it only sets and appends), for the
 * editor's PATCH remove_correction / remove_mask / remove_refine and its
 * undo. Slots count the Lightroom components the recipe keeps but does not
 * model, as --set's do. */
#include <stdlib.h>
#include <string.h>

#include "mask/brush.h"
#include "recipe/recipe_internal.h"

static dm_status no_correction(dm_context *ctx, const dm_recipe *r, int ci) {
  char what[48];
  snprintf(what, sizeof what, "correction[%d]", ci);
  return dm_fail(ctx, DM_ERR_PARAM, what, "no such correction (there %s %d)",
                 r->n_corrections == 1 ? "is" : "are", r->n_corrections);
}

dm_status dm_recipe_remove_correction(dm_context *ctx, dm_recipe *r, int ci) {
  if (ci < 0 || ci >= r->n_corrections) return no_correction(ctx, r, ci);
  dm_correction_release(&r->corrections[ci]);
  memmove(&r->corrections[ci], &r->corrections[ci + 1],
          (size_t)(r->n_corrections - ci - 1) * sizeof *r->corrections);
  r->n_corrections--;
  /* Entries past n_corrections are all zero (recipe.h). */
  memset(&r->corrections[r->n_corrections], 0, sizeof *r->corrections);
  return DM_OK;
}

/* The correction and the masks[] index (or, via *kept_j, the kept index)
 * of slot `slot`; fails naming correction[ci].mask[slot]. */
static dm_status find_slot(dm_context *ctx, dm_recipe *r, int ci, int slot, int *k, int *kept_j) {
  if (ci < 0 || ci >= r->n_corrections) return no_correction(ctx, r, ci);
  const dm_correction *c = &r->corrections[ci];
  int slots = dm_correction_n_slots(c);
  if (slot < 0 || slot >= slots) {
    char what[64];
    snprintf(what, sizeof what, "correction[%d].mask[%d]", ci, slot);
    return dm_fail(ctx, DM_ERR_PARAM, what, "no such mask component (correction[%d] has %d)", ci,
                   slots);
  }
  dm_slot_iter it = {0, 0, 0};
  int kk, jj;
  while (dm_slot_next(c, &it, &kk, &jj))
    if (it.s - 1 == slot) break;
  *k = kk;
  *kept_j = jj;
  return DM_OK;
}

dm_status dm_recipe_remove_mask(dm_context *ctx, dm_recipe *r, int ci, int slot) {
  int k, j;
  dm_status s = find_slot(ctx, r, ci, slot, &k, &j);
  if (s) return s;
  dm_correction *c = &r->corrections[ci];
  if (k >= 0) {
    dm_mask_component_free(&c->masks[k]);
    memmove(&c->masks[k], &c->masks[k + 1], (size_t)(c->n_masks - k - 1) * sizeof *c->masks);
    c->n_masks--;
    dm_mask_component_init(&c->masks[c->n_masks], DM_MASK_ALL);
    dm_preserved_remove_known(c->extra, k);
  } else {
    /* Its XML stays in the stored correction, unwritten: only listed
     * components are written back. */
    dm_preserved_remove_kept(c->extra, j);
  }
  /* Kept components hold their slots: the ones after it move up one. */
  for (int i = 0; c->extra && i < c->extra->n_kept; i++)
    if (c->extra->kept[i].slot > slot) c->extra->kept[i].slot--;
  return DM_OK;
}

dm_status dm_recipe_remove_stroke(dm_context *ctx, dm_recipe *r, int ci, int slot, int si) {
  int k, j;
  dm_status s = find_slot(ctx, r, ci, slot, &k, &j);
  if (s) return s;
  dm_mask_component *m = k >= 0 ? &r->corrections[ci].masks[k] : NULL;
  char what[96];
  snprintf(what, sizeof what, "correction[%d].mask[%d].stroke[%d]", ci, slot, si);
  if (!m || m->kind != DM_MASK_BRUSH || si < 0 || si >= dm_brush_n_strokes(m->brush))
    return dm_fail(ctx, DM_ERR_PARAM, what, "no such brush stroke");
  dm_brush *b = m->brush;
  dm_brush_stroke_free(&b->strokes[si]);
  memmove(&b->strokes[si], &b->strokes[si + 1], (size_t)(b->n_strokes - si - 1) * sizeof *b->strokes);
  b->n_strokes--;
  if (!b->n_strokes) { /* as a brush that was never painted */
    dm_brush_free(b);
    m->brush = NULL;
  }
  return DM_OK;
}

dm_status dm_recipe_remove_refine(dm_context *ctx, dm_recipe *r, int i) {
  dm_refine *f = &r->refine;
  if (i < 0 || i >= f->n) {
    char what[48];
    snprintf(what, sizeof what, "refine[%d]", i);
    return dm_fail(ctx, DM_ERR_PARAM, what, "no such refine stroke set (there %s %d)",
                   f->n == 1 ? "is" : "are", f->n);
  }
  dm_correction_release(&f->strokes[i]);
  memmove(&f->strokes[i], &f->strokes[i + 1], (size_t)(f->n - i - 1) * sizeof *f->strokes);
  memmove(&f->depth[i], &f->depth[i + 1], (size_t)(f->n - i - 1) * sizeof *f->depth);
  if (!--f->n) dm_refine_free(f);
  return DM_OK;
}
