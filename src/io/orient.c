/* EXIF orientation applied to pixels, so decoded images are upright.
 *
 * For each output pixel (x, y) the source pixel is found from the EXIF
 * definition of the tag (the position of the stored 0th row and column):
 *   1 as is            2 mirror left-right     3 rotate 180
 *   4 mirror top-down  5 transpose             6 rotate 90 clockwise
 *   7 transverse       8 rotate 90 counter-clockwise */
#include <string.h>

#include "io/io_internal.h"

dm_status dm_orient_apply(dm_context *ctx, dm_image *img, int orientation) {
  if (orientation < 2 || orientation > 8) return DM_OK;
  const int w = img->width, h = img->height, c = img->channels;
  const int swap = orientation >= 5;
  if (!img->data) { /* a header read (dm_io_header_only): the size only */
    if (swap) img->width = h, img->height = w;
    return DM_OK;
  }
  dm_image out;
  dm_status s = dm_image_alloc(ctx, &out, swap ? h : w, swap ? w : h, c);
  if (s) return s;
  for (int y = 0; y < out.height; y++) {
    float *dst = dm_row(&out, y);
    for (int x = 0; x < out.width; x++, dst += c) {
      int sx, sy;
      switch (orientation) {
        case 2: sx = w - 1 - x; sy = y; break;
        case 3: sx = w - 1 - x; sy = h - 1 - y; break;
        case 4: sx = x; sy = h - 1 - y; break;
        case 5: sx = y; sy = x; break;
        case 6: sx = y; sy = h - 1 - x; break;
        case 7: sx = w - 1 - y; sy = h - 1 - x; break;
        default: sx = w - 1 - y; sy = x; break; /* 8 */
      }
      memcpy(dst, dm_px(img, sx, sy), (size_t)c * sizeof *dst);
    }
  }
  dm_image_free(img);
  *img = out;
  return DM_OK;
}
