/* Depth maps in the canonical form of DESIGN section 3: `near01`, a float
 * plane the size of the photo, 0 = nearest, 1 = farthest, linear in inverse
 * depth (disparity), with the metric range kept when it is known:
 *   near01 = (1/z_near - 1/z) / (1/z_near - 1/z_far).
 * Sources: a depth file (depth_file.c), embedded depth (embedded.h), the
 * depth networks (net_depth.c); fusion with the subject matte and
 * refinement to full resolution (fuse.h); everything together, cached, in
 * scene.h. */
#ifndef DM_DEPTH_H
#define DM_DEPTH_H

#include "core/image.h"

typedef enum dm_depth_encoding {
  DM_DEPTH_LINEAR = 0, /* value v in [0,1] (0..65535): z = near + v (far - near) metres */
  DM_DEPTH_INVERSE,    /* 0 = near, 1 = far, linear in 1/z (Google GDepth RangeInverse) */
  DM_DEPTH_NEAR01,     /* already near01; metres only if a range is given */
  DM_DEPTH_ENCODING_COUNT
} dm_depth_encoding;

const char *dm_depth_encoding_name(dm_depth_encoding e);
int dm_depth_encoding_from_name(const char *name, dm_depth_encoding *out);

typedef struct dm_depth {
  dm_image near01;   /* 1 channel, photo size */
  float z_near_m;    /* metric range, 0 when unknown */
  float z_far_m;
} dm_depth;

struct dm_io_prefetch;

typedef struct dm_depth_file_spec {
  const char *path;
  dm_depth_encoding encoding;
  float near_m, far_m; /* 0, 0 = not given */
  struct dm_io_prefetch *prefetch; /* optional: the file decoding ahead (io/prefetch.h) */
} dm_depth_file_spec;

/* Read a grey depth image (8/16-bit or float TIFF; an RGB file is refused:
 * depth is one number per pixel) and normalise it to near01 at width x
 * height. A file of another size is resampled, with one warning through the
 * context's log. Errors name the file: non-grey data, a missing or
 * inconsistent range (0 < near < far), a file that is not an image. */
dm_status dm_depth_from_file(dm_context *ctx, const dm_depth_file_spec *spec, int width, int height,
                             dm_depth *out);
void dm_depth_free(dm_depth *d);

struct dm_model_entry;

/* Monocular depth from the best installed depth network (Depth Anything V2
 * Small when added, else FastDepth), run through src/nn. `srgb` is the photo
 * (3 channels, sRGB-encoded, [0, 1]) at any size, usually a ~1 MP proxy;
 * `out` (allocated here, srgb's size) is near01: the network's disparity
 * (FastDepth's metres inverted) normalised robustly (percentiles) so 0 =
 * nearest, 1 = farthest. Relative only: no metric range. *used (may be
 * NULL) gets the model that ran. DM_ERR_IO when no depth model is
 * installed. */
dm_status dm_depth_network(dm_context *ctx, const dm_image *srgb, dm_image *out,
                           const struct dm_model_entry **used);

/* Lightroom's "Visualize Depth": a heat map of `near01` (1 channel) in a new
 * 3-channel sRGB-encoded image `rgb_out` of its size, near = warm yellow,
 * through orange and magenta, far = deep blue-purple (matplotlib's
 * 'plasma', reversed: luminance rises monotonically from far to near).
 * Values are clamped to [0, 1]; NaN (no depth) is black. */
dm_status dm_depth_heatmap(dm_context *ctx, const dm_image *near01, dm_image *rgb_out);

/* The heat map with its colour bar under it (viz_legend.c): the ramp from
 * near (left) to far (right), ticks at each quarter, "near" and "far"
 * labels, in metres (and the quarters' metres) when the depth is metric.
 * rgb_out is taller than the depth by the strip. */
dm_status dm_depth_heatmap_legend(dm_context *ctx, const dm_depth *depth, dm_image *rgb_out);

#endif
