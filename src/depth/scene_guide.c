/* The photo as the networks and the edge-aware filters see it: sRGB-encoded
 * (what the networks were trained on), at full size for the filters' guide
 * and at ~1 MP for the networks. */
#include <stdlib.h>
#include <string.h>

#include "color/color.h"
#include "core/resample.h"
#include "scene_internal.h"

dm_status dm_scene_prepare_guide(dm_context *ctx, dm_scene_build_state *b) {
  if (b->guide.data) return DM_OK;
  unsigned char *icc = NULL;
  size_t icc_len = 0;
  dm_status s = dm_color_from_working(ctx, b->work, DM_PROFILE_SRGB, &b->guide, &icc, &icc_len);
  free(icc);
  if (s) return s;
  int w = b->guide.width, h = b->guide.height, side = w > h ? w : h;
  int pw = w, ph = h;
  if (side > DM_SCENE_PROXY_SIDE) {
    pw = (int)((long long)w * DM_SCENE_PROXY_SIDE / side);
    ph = (int)((long long)h * DM_SCENE_PROXY_SIDE / side);
    if (pw < 1) pw = 1;
    if (ph < 1) ph = 1;
  }
  s = dm_image_alloc(ctx, &b->proxy, pw, ph, 3);
  if (!s) s = dm_resize_plane(ctx, &b->guide, &b->proxy, 1, b->in_path);
  return s;
}

void dm_scene_build_state_free(dm_scene_build_state *b) {
  dm_image_free(&b->guide);
  dm_image_free(&b->proxy);
  free(b->file);
  memset(b, 0, sizeof *b);
}
