/* depth_range: Lightroom's Depth Range mask on the scene's near01 depth.
 *
 *   d = near01 x 100                  (0 nearest .. 100 farthest)
 *   c = 1                              for d in [min, max]
 *       smoothstep((d - (min - w)) / w) below min, and mirrored above max
 *   w = 10 (smoothness / 100)^2       depth units (0 = hard edge)
 *
 * The curve of w: near01 is linear in disparity, and on portraits (the
 * dof-eval scenes and the fused network depth of skimage's astronaut and
 * grace_hopper) a subject spans 3-8 units and a person-to-wall gap 10-40.
 * A ramp wider than ~10 units starts pulling in the wall, so 100 maps to
 * 10; the square leaves the lower half of the slider for the fine
 * ramps (25 -> 0.625 units, 50 -> 2.5) that blend a subject into the floor
 * it stands on without taking a band of floor with it (on the dof-eval
 * gravel scene one depth unit at the cat's feet is ~4.5 rows of ground). Smoothstep rather than a straight ramp: no kink where the
 * ramp meets the plateau.
 *
 * The value is then refined against the photo (edge_refine.c), so the
 * mask's outline follows hair and shoulders rather than the depth's blur. */
#include <math.h>

#include "mask/mask_kinds.h"

float dm_mask_depth_ramp_width(float smoothness) {
  float s = smoothness / 100.0f;
  s = s > 0.0f ? s : 0.0f;
  return 10.0f * s * s;
}

dm_status dm_mask_depth_range_ramp(dm_context *ctx, const dm_mask_component *c,
                                   const dm_mask_inputs *in, dm_mask_ramp *ramp) {
  const dm_image *depth = in->depth;
  if (!depth || !depth->data)
    return dm_fail(ctx, DM_ERR_PARAM, "depth_range",
                   "depth_range needs a depth map (give --depth FILE or let the networks run)");
  if (depth->channels != 1 || depth->width != in->image->width || depth->height != in->image->height)
    return dm_fail(ctx, DM_ERR_INTERNAL, "depth_range", "the depth map must be 1 channel, %dx%d",
                   in->image->width, in->image->height);
  *ramp = (dm_mask_ramp){.depth = depth,
                         .lo = c->depth_range[0],
                         .hi = c->depth_range[1],
                         .width = dm_mask_depth_ramp_width(c->smoothness)};
  return DM_OK;
}

dm_status dm_mask_depth_range_render(dm_context *ctx, const dm_mask_component *c,
                                     const dm_mask_inputs *in, dm_image *plane) {
  dm_mask_ramp ramp;
  dm_status s = dm_mask_depth_range_ramp(ctx, c, in, &ramp);
  if (s) return s;
  const dm_image *matte = in->matte && in->matte->data ? in->matte : NULL;
  /* fitted once on the photo for both of the matte's layers (mask.h) */
  const dm_mask_fit *fit = dm_mask_shared_fit(in->shared, c, &ramp);
  if (fit) return dm_mask_refine_blend(ctx, fit, matte, &ramp, plane);
  return dm_mask_refine_edges(ctx, in->image, matte, &ramp, in->draft, &in->frame, plane);
}
