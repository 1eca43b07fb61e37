/* The mask overlay as ACR shows it: the mask painted red over the photo,
 * half strength where the mask is 1 (`depthmask mask --overlay`, the
 * editor's /api/mask?overlay=1). */
#include "mask/mask.h"

void dm_mask_paint_overlay(dm_image *srgb, const dm_image *mask) {
  for (int y = 0; y < srgb->height; y++) {
    float *p = dm_row(srgb, y);
    const float *mk = dm_row(mask, y);
    for (int x = 0; x < srgb->width; x++, p += 3) {
      float a = 0.5f * mk[x];
      p[0] = p[0] * (1 - a) + a;
      p[1] *= 1 - a;
      p[2] *= 1 - a;
    }
  }
}
