/* Writing the planes and pictures the depth and mask commands produce. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"

dm_status cli_write_grey(dm_context *ctx, const char *path, const dm_image *plane) {
  dm_format f = dm_format_from_extension(path);
  if (f != DM_FMT_PNG && f != DM_FMT_TIFF)
    return dm_fail(ctx, DM_ERR_PARAM, path, "write depth, masks, mattes and confidence as .png or .tif (16-bit)");
  dm_write_options wo = {.format = f, .bits = 16};
  return dm_io_write(ctx, path, plane, &wo);
}

dm_status cli_write_srgb(dm_context *ctx, const char *path, const dm_image *rgb) {
  dm_format f = dm_format_from_extension(path);
  if (f != DM_FMT_PNG && f != DM_FMT_TIFF && f != DM_FMT_JPEG)
    return dm_fail(ctx, DM_ERR_PARAM, path, "write pictures as .png, .jpg or .tif");
  dm_image one = {0}, tmp = {0};
  unsigned char *icc = NULL;
  size_t icc_len = 0;
  /* The colour stage owns the profiles: convert one black pixel to get sRGB's. */
  dm_status s = dm_image_alloc_zero(ctx, &one, 1, 1, 3);
  if (!s) s = dm_color_from_working(ctx, &one, DM_PROFILE_SRGB, &tmp, &icc, &icc_len);
  if (!s) {
    dm_write_options wo = {.format = f, .bits = 8, .icc = icc, .icc_len = icc_len};
    s = dm_io_write(ctx, path, rgb, &wo);
  }
  free(icc);
  dm_image_free(&tmp);
  dm_image_free(&one);
  return s;
}

void cli_print_scene(const dm_scene *sc) {
  const char *cached = sc->cached ? " (cached)" : "";
  if (sc->depth_source[0]) printf("depth:       %s%s\n", sc->depth_source, cached), cached = "";
  if (sc->matte_source[0]) printf("matte:       %s%s\n", sc->matte_source, cached);
  if (sc->confidence.data)
    printf("confidence:  %.1f %% of the subject's outline meets surroundings at its own depth\n",
           100.0 * sc->ambiguous);
  char advice[256];
  if (dm_scene_advice(sc, advice, sizeof advice)) printf("advice:      %s\n", advice);
}
