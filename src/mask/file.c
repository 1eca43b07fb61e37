/* file: a grey image file used as a mask, stretched to the photo.
 *
 * The path is relative to in->base_dir (the recipe's folder) and must stay
 * inside it unless ctx->allow_outside_paths (then it may be absolute). Samples are taken as encoded, no colour management: an 8- or
 * 16-bit value v of N bits means v / (2^N - 1), which is what dm_io_read
 * returns. RGB files use the Rec.2020 luminance weights of those encoded
 * values (exact for grey RGB files). The grey map is resized to the photo
 * separably, each axis on its own: area-averaged when it shrinks (every
 * source pixel counts, no aliasing), bilinear on pixel centres when it
 * grows; the same size is a copy. Values end clamped to [0, 1]. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "color/color.h"
#include "core/resample.h"
#include "io/io.h"
#include "mask/mask_kinds.h"

/* A recipe is often a client's file: its mask paths stay inside the
 * recipe's folder (no absolute path, no climbing out with "..", no symlink
 * leading out) unless ctx->allow_outside_paths. */
static dm_status check_inside(dm_context *ctx, const char *base_dir, const char *rel,
                              const char *path) {
  if (ctx->allow_outside_paths) return DM_OK;
  const char *why = NULL;
  if (rel[0] == '/') why = "is an absolute path";
  for (const char *p = rel; !why && *p; p = strchr(p, '/') ? strchr(p, '/') + 1 : p + strlen(p))
    if (!strncmp(p, "..", 2) && (p[2] == '/' || p[2] == 0)) why = "climbs out with \"..\"";
  char real_base[PATH_MAX], real_path[PATH_MAX];
  if (!why && realpath(base_dir && base_dir[0] ? base_dir : ".", real_base) &&
      realpath(path, real_path)) {
    size_t n = strlen(real_base);
    if (strncmp(real_path, real_base, n) || (real_path[n] != '/' && strcmp(real_base, "/")))
      why = "leads out of it through a symbolic link";
  }
  if (!why) return DM_OK;
  return dm_fail(ctx, DM_ERR_PARAM, rel, "mask file %s: it must lie inside the recipe's folder "
                 "(%s); --allow-outside-paths lifts this", why, base_dir && base_dir[0] ? base_dir : ".");
}

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
  dm_status s0 = check_inside(ctx, in->base_dir, c->path, path);
  if (s0) return s0;

  dm_decoded dec = {0};
  dm_status s = dm_io_read(ctx, path, &dec);
  if (s) return s; /* dm_io_read names the file */
  dm_image grey = {0};
  static const float luma[3] = {DM_LUMA_R, DM_LUMA_G, DM_LUMA_B};
  s = dm_grey_plane(ctx, &dec.img, luma, &grey);
  if (!s) {
    /* A crop of the photo gets its part of the mask stretched to the whole. */
    const dm_frame fr = dm_frame_of(&in->frame, plane->width, plane->height);
    double file_aspect = (double)grey.width / grey.height;
    double photo_aspect = (double)fr.full_w / fr.full_h;
    if (fabs(file_aspect / photo_aspect - 1) > 0.01)
      dm_log(ctx, DM_LOG_WARN, "%s: mask is %dx%d, the photo %dx%d; stretched to fit", path,
             grey.width, grey.height, fr.full_w, fr.full_h);
    s = dm_resize_plane_part(ctx, &grey, plane, fr.full_w, fr.full_h, fr.x0, fr.y0, 1, path);
  }
  dm_image_free(&grey);
  dm_decoded_free(&dec);
  return s;
}
