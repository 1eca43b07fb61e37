/* Edge-aware filtering guided by the photo (He, Sun & Tang's guided filter;
 * the fast variant of He & Sun 2015 for upsampling): the output is locally
 * a linear function of the guide, so edges of the guide appear in the
 * output and flat areas of the guide smooth it. Used to bring the networks'
 * low-resolution depth and matte to full resolution, and to refine masks.
 * Cost is linear in the pixel count and independent of the radius (box
 * filters by running sums). */
#ifndef DM_GUIDED_H
#define DM_GUIDED_H

#include "core/image.h"

/* guide: 1 or 3 channels (values roughly in [0, 1], e.g. sRGB-encoded);
 * src and out: 1 channel, the guide's size; out is allocated here (it may
 * not alias src). radius in pixels (window 2r+1), eps the regulariser in
 * guide units squared (e.g. 1e-3: edges of contrast > ~0.03 are kept). */
dm_status dm_guided_filter(dm_context *ctx, const dm_image *guide, const dm_image *src, int radius,
                           float eps, dm_image *out);

/* src_low: 1 channel at any lower resolution; out: the guide's size,
 * allocated here. The linear coefficients are fitted on a subsampled guide
 * at src_low's scale (radius counted in full-resolution pixels), upsampled
 * bilinearly and applied to the full-resolution guide. */
dm_status dm_guided_upsample(dm_context *ctx, const dm_image *guide, const dm_image *src_low,
                             int radius, float eps, dm_image *out);

#endif
