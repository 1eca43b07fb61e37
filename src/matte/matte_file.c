#include <string.h>

#include "color/color.h"
#include "core/resample.h"
#include "io/prefetch.h"
#include "matte/matte.h"

dm_status dm_matte_from_file(dm_context *ctx, const char *path, struct dm_io_prefetch *prefetch, int width,
                             int height, dm_image *out) {
  memset(out, 0, sizeof *out);
  dm_decoded dec = {0};
  dm_image grey = {0};
  static const float luma[3] = {DM_LUMA_R, DM_LUMA_G, DM_LUMA_B};
  dm_status s = dm_io_prefetch_take(ctx, prefetch, path, &dec); /* dm_io_read without one */
  if (!s) s = dm_grey_plane(ctx, &dec.img, luma, &grey);
  if (!s) s = dm_image_alloc(ctx, out, width, height, 1);
  if (!s && (grey.width != width || grey.height != height))
    dm_log(ctx, DM_LOG_WARN, "%s: matte is %dx%d, the photo %dx%d; resampled to fit", path,
           grey.width, grey.height, width, height);
  if (!s) s = dm_resize_plane(ctx, &grey, out, 1, path);
  if (s) dm_image_free(out);
  dm_image_free(&grey);
  dm_decoded_free(&dec);
  return s;
}
