/* dm_mask_share: the layer-independent work of a mask rendered on both of
 * the matte's layers, made once (mask.h). */
#include <stdlib.h>

#include "mask/mask_kinds.h"

struct dm_mask_shared {
  int n;
  const dm_mask_component **comp; /* the depth ranges fitted, and their fits */
  dm_mask_fit *fit;
};

void dm_mask_shared_free(dm_mask_shared *sh) {
  if (!sh) return;
  for (int i = 0; i < sh->n; i++) dm_mask_fit_free(&sh->fit[i]);
  free(sh->comp);
  free(sh->fit);
  free(sh);
}

dm_status dm_mask_share(dm_context *ctx, const dm_mask_component *comps, int n,
                        const dm_mask_inputs *in, dm_mask_shared **out) {
  *out = NULL;
  dm_mask_shared *sh = calloc(1, sizeof *sh);
  if (sh && n > 0) {
    sh->comp = calloc((size_t)n, sizeof *sh->comp);
    sh->fit = calloc((size_t)n, sizeof *sh->fit);
  }
  if (!sh || (n > 0 && (!sh->comp || !sh->fit))) {
    dm_mask_shared_free(sh);
    return dm_fail(ctx, DM_ERR_NOMEM, "mask", "out of memory");
  }
  dm_status s = DM_OK;
  for (int i = 0; i < n && !s; i++) {
    const dm_mask_component *c = &comps[i];
    if (c->kind != DM_MASK_DEPTH_RANGE || !in->depth || !in->depth->data) continue;
    dm_mask_ramp ramp;
    if ((s = dm_mask_depth_range_ramp(ctx, c, in, &ramp))) break;
    const dm_image *matte = in->matte && in->matte->data ? in->matte : NULL;
    s = dm_mask_refine_fit(ctx, in->image, matte, &ramp, in->draft, &in->frame, &sh->fit[sh->n]);
    if (!s) sh->comp[sh->n++] = c;
  }
  if (s) dm_mask_shared_free(sh);
  else *out = sh;
  return s;
}

const dm_mask_fit *dm_mask_shared_fit(const dm_mask_shared *sh, const dm_mask_component *c,
                                      const dm_mask_ramp *ramp) {
  for (int i = 0; sh && i < sh->n; i++)
    if (sh->comp[i] == c && sh->fit[i].lo == ramp->lo && sh->fit[i].hi == ramp->hi &&
        sh->fit[i].ramp_width == ramp->width)
      return &sh->fit[i];
  return NULL;
}
