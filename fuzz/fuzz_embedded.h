/* Shared by fuzz_depth_xmp and fuzz_heic_aux: everything the scene asks of
 * a photo's embedded depth and mattes (src/depth/embedded.h). The list of
 * every item (each decoded to check it; those over max_pixels are listed
 * without decoding), then the first usable depth and portrait matte,
 * turned by an EXIF orientation taken from the input's size (0..8, 0 being
 * invalid) and resampled to a small size. */
#ifndef DM_FUZZ_EMBEDDED_H
#define DM_FUZZ_EMBEDDED_H

#include "depth/embedded_internal.h"
#include "fuzz_common.h"

static inline void dm_fuzz_embedded(const uint8_t *data, size_t size, const char *name,
                                    long long max_pixels) {
  dm_context *ctx = dm_context_new(1);
  if (!ctx) return;
  dm_embedded_list list;
  dm_embedded_scan_ex(ctx, data, size, name, max_pixels, &list);
  int orientation = (int)(size % 9), found = 0;
  char desc[128];
  dm_depth d;
  if (dm_embedded_depth_ex(ctx, data, size, name, max_pixels, orientation, 24, 16, &d,
                           &found, desc, sizeof desc) == DM_OK)
    dm_depth_free(&d);
  dm_image m;
  if (dm_embedded_matte_ex(ctx, data, size, name, max_pixels, orientation, 24, 16, &m,
                           &found, desc, sizeof desc) == DM_OK)
    dm_image_free(&m);
  dm_context_free(ctx);
}

#endif
