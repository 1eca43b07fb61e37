/* Process versions (DESIGN section 6): what each version changed in the
 * pixels an existing recipe renders, and the one warning a recipe of an
 * older version gets when its render follows the new behaviour. Where the
 * old behaviour is cheap to keep (a constant, a mapping) the stage reads
 * r->photo.process_version itself and keeps it; then the change has no
 * entry here (it never surprises anyone). */
#include <stdio.h>
#include <string.h>

#include "pipeline/render.h"

typedef struct pv_change {
  int version;                          /* the version that made the change */
  const char *what;                     /* one line, for the warning */
  int (*applies)(const dm_recipe *r);   /* does it touch this recipe's picture? */
  int raw_only;                         /* only for a camera raw photo */
} pv_change;

static int always(const dm_recipe *r) {
  (void)r;
  return 1;
}

static int has_brush(const dm_recipe *r) {
  for (int i = 0; i < r->n_corrections; i++)
    for (int k = 0; k < r->corrections[i].n_masks; k++)
      if (r->corrections[i].masks[k].kind == DM_MASK_BRUSH) return 1;
  return 0;
}

static int has_refine(const dm_recipe *r) {
  return r->refine.n > 0 && r->lens_blur.active != 0.0f;
}

static int reads_matte(const dm_recipe *r) {
  return (dm_recipe_needs_scene(r) & DM_MASK_NEEDS_MATTE) != 0;
}

/* Version 1 is where process versions start. Neither change of version 2
 * keeps the old path: version 1 rendered these recipes wrongly (a brush's
 * adjustment reached the whole photo), which no one should get back. */
static const pv_change changes[] = {
    {2, "Lightroom brushes are rendered (version 1 left them out and adjusted the whole photo)",
     has_brush, 0},
    {2, "Lens Blur refine strokes reshape the depth before the blur (version 1 ignored them)",
     has_refine, 0},
    /* Not kept: the old edges were the halos issue 13 is about. */
    {4, "soft matte edges are two layers (Subject and Background edits and the lens blur act on "
        "the subject's or the background's share of an edge pixel) and the automatic matte is "
        "checked against the photo's colours", reads_matte, 0},
    /* The look is kept off for older recipes (dm_recipe_look); the crop is
     * the decoder's, for every recipe. */
    {5, "a camera raw is cropped to the camera's default crop (its masked border is gone; "
        "gradients and brushes placed on the old frame move by that border)", always, 1},
};

dm_look dm_recipe_look(const dm_recipe *r, dm_format format) {
  if (format != DM_FMT_RAW || r->photo.process_version < 5 || !strcmp(r->photo.raw_look, "neutral"))
    return DM_LOOK_NONE;
  return DM_LOOK_RAW_DEFAULT;
}

int dm_process_version_note(dm_context *ctx, const dm_recipe *r, const char *file, int raw) {
  int from = r->photo.process_version > 0 ? r->photo.process_version : 1, noted = 0;
  if (from >= DM_PROCESS_VERSION) return 0;
  char list[1024] = "";
  size_t used = 0;
  for (size_t i = 0; i < sizeof changes / sizeof *changes; i++) {
    const pv_change *c = &changes[i];
    if (c->version <= from || !c->what || (c->raw_only && !raw) || !c->applies(r)) continue;
    used += (size_t)snprintf(list + used, used < sizeof list ? sizeof list - used : 0, "%s%s",
                             noted++ ? "; " : "", c->what);
  }
  if (noted)
    dm_log(ctx, DM_LOG_WARN, "%s: made by process version %d, rendered by version %d: %s", file,
           from, DM_PROCESS_VERSION, list);
  return noted;
}
