/* POST /api/sync (dm_edit_doc_sync): copy sections of one photo's recipe
 * into another's, as Lightroom's Sync Settings does, as one undoable
 * change of the target.
 *   masks      the corrections' mask components (Lightroom's kept ones
 *              included) and names: the target gets as many corrections as
 *              the source, each keeping its own sliders, amount and on/off
 *              (a correction it did not have starts neutral, so it changes
 *              nothing until "adjust" or the user fills it in)
 *   adjust     each correction's sliders, amount and on/off, for the
 *              corrections both have (without "masks", a slider is never
 *              carried to a mask it was not made for)
 *   lens_blur  the lens blur's settings (Lightroom's unmodelled crs:LensBlur
 *              fields and the refine strokes belong to the photo and stay)
 * Photo fields (source, depth provenance, last output) never move. */
#include <string.h>

#include "server/edit_internal.h"

enum { SYNC_MASKS = 1, SYNC_ADJUST = 2, SYNC_LENS_BLUR = 4 };

static void take_adjust(dm_correction *dst, const dm_correction *src) {
  dst->sliders = src->sliders;
  dst->amount = src->amount;
  dst->active = src->active;
}

/* to's corrections with from's masks (and names), as `what` says. */
static dm_status sync_masks(dm_context *ctx, dm_recipe *to, const dm_recipe *from, unsigned what) {
  for (int i = 0; i < from->n_corrections; i++) {
    dm_correction c, neutral;
    dm_status s = dm_correction_copy(ctx, &c, &from->corrections[i]);
    if (s) return s;
    if (!(what & SYNC_ADJUST)) {
      dm_correction_init(&neutral);
      take_adjust(&c, i < to->n_corrections ? &to->corrections[i] : &neutral);
    }
    if (i < to->n_corrections) dm_correction_release(&to->corrections[i]);
    to->corrections[i] = c;
  }
  for (int i = from->n_corrections; i < to->n_corrections; i++) {
    dm_correction_release(&to->corrections[i]);
    memset(&to->corrections[i], 0, sizeof to->corrections[i]); /* unused entries are zero */
  }
  to->n_corrections = from->n_corrections;
  return DM_OK;
}

dm_status dm_edit_doc_sync(dm_context *ctx, const dm_edit_doc *from, dm_edit_doc *to,
                           const char *const *sections, int n_sections) {
  unsigned what = 0;
  for (int i = 0; i < n_sections; i++) {
    const char *s = sections[i];
    if (!strcmp(s, "masks")) what |= SYNC_MASKS;
    else if (!strcmp(s, "adjust")) what |= SYNC_ADJUST;
    else if (!strcmp(s, "lens_blur")) what |= SYNC_LENS_BLUR;
    else return dm_fail(ctx, DM_ERR_PARAM, "sections", "unknown section \"%.64s\" (masks, adjust "
                        "or lens_blur)", s);
  }
  if (from == to || !what) return DM_OK;
  dm_recipe next;
  dm_status s = edit_copy_state(ctx, to, to->cur, &next);
  if (s) return s;
  const dm_recipe *src = &from->r;
  if (what & SYNC_MASKS) {
    s = sync_masks(ctx, &next, src, what);
  } else if (what & SYNC_ADJUST) {
    for (int i = 0; i < src->n_corrections && i < next.n_corrections; i++)
      take_adjust(&next.corrections[i], &src->corrections[i]);
  }
  if (what & SYNC_LENS_BLUR) next.lens_blur = src->lens_blur;
  if (!s) s = dm_recipe_check(ctx, &next);
  if (!s) s = edit_commit(ctx, to, &next, EDIT_PUSH, 0, NULL, NULL);
  dm_recipe_free(&next);
  return s;
}
