/* Fusion (DESIGN section 3): the depth map that masks and the lens blur
 * see, from several cues, each with a confidence:
 *  - the subject matte: the subject is one connected depth layer whose
 *    edges are the matte's edges;
 *  - the network depth: order and shape of everything else (ground planes);
 *  - a defocus estimate from edges (Zhuo & Sim 2011) where the photo already
 *    has defocus: it splits what the matte lumps together (an out-of-focus
 *    foreground object taken for the subject) and orders layers the network
 *    confuses.
 * The result is near01 at full resolution plus a confidence map that is low
 * where the subject and what surrounds it sit at similar depth (a product on
 * a table): there a Depth Range mask cannot separate them and the mask
 * should fall back to the matte. */
#ifndef DM_DEPTH_FUSE_H
#define DM_DEPTH_FUSE_H

#include "core/image.h"

typedef struct dm_fuse_inputs {
  const dm_image *guide; /* the photo, full resolution, 3 channels sRGB-encoded [0, 1] */
  const dm_image *net;   /* network near01 at any resolution, NULL = none */
  const dm_image *matte; /* subject matte at the guide's size (refined), NULL = none */
  int no_occlusion;      /* 1: leave out the occlusion rule (fuse_occlusion.c), for evaluation */
} dm_fuse_inputs;

/* near01 and confidence (both allocated here, the guide's size, [0, 1];
 * confidence 1 = the depth separates this pixel from its surroundings).
 * May work at a proxy resolution internally; the output edges follow the
 * matte and the guide at full resolution. With neither net nor matte,
 * DM_ERR_PARAM. */
dm_status dm_depth_fuse(dm_context *ctx, const dm_fuse_inputs *in, dm_image *near01,
                        dm_image *confidence);

/* Defocus from edges: at each edge pixel the Gaussian blur sigma (in pixels
 * of `guide`) from the ratio of gradients of the image and of a re-blurred
 * copy, propagated to the whole image edge-aware. sigma and certainty
 * (allocated here, the guide's size): certainty ~0 far from any edge. */
dm_status dm_defocus_estimate(dm_context *ctx, const dm_image *guide, dm_image *sigma,
                              dm_image *certainty);

#endif
