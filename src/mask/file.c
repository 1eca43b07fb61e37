/* file: a grey image file used as a mask, stretched to the photo.
 *
 * The path is relative to in->base_dir (the recipe's folder) unless it is
 * absolute. Samples are taken as encoded, no colour management: an 8- or
 * 16-bit value v of N bits means v / (2^N - 1), which is what dm_io_read
 * returns. RGB files use the Rec.2020 luminance weights of those encoded
 * values (exact for grey RGB files). The grey map is resized to the photo
 * separably, each axis on its own: area-averaged when it shrinks (every
 * source pixel counts, no aliasing), bilinear on pixel centres when it
 * grows; the same size is a copy. Values end clamped to [0, 1]. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "color/color.h"
#include "core/resample.h"
#include "io/io.h"
#include "mask/mask_kinds.h"

dm_status dm_mask_file_render(dm_context *ctx, const dm_mask_component *c,
                              const dm_mask_inputs *in, dm_image *plane) {
  char path[DM_MASK_PATH_MAX + 4096];
  int len;
  if (c->path[0] == '/' || !in->base_dir || !in->base_dir[0])
    len = snprintf(path, sizeof path, "%s", c->path);
  else
    len = snprintf(path, sizeof path, "%s/%s", in->base_dir, c->path);
  if (len < 0 || (size_t)len >= sizeof path)
    return dm_fail(ctx, DM_ERR_PARAM, c->path, "path too long");

  dm_decoded dec = {0};
  dm_status s = dm_io_read(ctx, path, &dec);
  if (s) return s; /* dm_io_read names the file */
  dm_image grey = {0};
  static const float luma[3] = {DM_LUMA_R, DM_LUMA_G, DM_LUMA_B};
  s = dm_grey_plane(ctx, &dec.img, luma, &grey);
  if (!s) {
    double file_aspect = (double)grey.width / grey.height;
    double photo_aspect = (double)plane->width / plane->height;
    if (fabs(file_aspect / photo_aspect - 1) > 0.01)
      dm_log(ctx, DM_LOG_WARN, "%s: mask is %dx%d, the photo %dx%d; stretched to fit", path,
             grey.width, grey.height, plane->width, plane->height);
    s = dm_resize_plane(ctx, &grey, plane, 1, path);
  }
  dm_image_free(&grey);
  dm_decoded_free(&dec);
  return s;
}
