/* A LinearRaw DNG written with libtiff from real photo data: the sRGB
 * photo's samples linearised to 16-bit "camera" values, with the DNG colour
 * tags saying the camera's primaries are sRGB's (ColorMatrix1 = XYZ->linear
 * sRGB under D65, AsShotNeutral 1 1 1), so LibRaw has everything a real DNG
 * gives it. Header-only, for tests/io and fuzz/make_seeds. */
#ifndef DM_DNG_UTIL_H
#define DM_DNG_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <tiffio.h>

#include "core/image.h"

static inline float dngu_srgb_to_linear(float v) {
  return v <= 0.04045f ? v / 12.92f : powf((v + 0.055f) / 1.055f, 2.4f);
}

/* Returns 1 on success. `orientation` is the TIFF/EXIF orientation tag;
 * baseline_ev: the BaselineExposure tag, NAN for none. */
static inline int dngu_write_ev(const char *path, const dm_image *img, int orientation,
                                double baseline_ev) {
  TIFF *t = TIFFOpen(path, "w");
  if (!t) return 0;
  static const uint8_t version[4] = {1, 4, 0, 0}, backward[4] = {1, 1, 0, 0};
  static const float xyz_to_srgb[9] = {3.2406f, -1.5372f, -0.4986f, -0.9689f, 1.8758f,
                                       0.0415f, 0.0557f,  -0.2040f, 1.0570f};
  static const float neutral[3] = {1, 1, 1}, black[1] = {0};
  static const uint32_t white[1] = {65535};
  TIFFSetField(t, TIFFTAG_SUBFILETYPE, (uint32_t)0);
  TIFFSetField(t, TIFFTAG_IMAGEWIDTH, (uint32_t)img->width);
  TIFFSetField(t, TIFFTAG_IMAGELENGTH, (uint32_t)img->height);
  TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, (uint16_t)16);
  TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, (uint16_t)3);
  TIFFSetField(t, TIFFTAG_COMPRESSION, (uint16_t)COMPRESSION_NONE);
  TIFFSetField(t, TIFFTAG_PHOTOMETRIC, (uint16_t)34892); /* LinearRaw */
  TIFFSetField(t, TIFFTAG_PLANARCONFIG, (uint16_t)PLANARCONFIG_CONTIG);
  TIFFSetField(t, TIFFTAG_ORIENTATION, (uint16_t)orientation);
  TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, (uint32_t)16);
  TIFFSetField(t, TIFFTAG_MAKE, "depthmask");
  TIFFSetField(t, TIFFTAG_MODEL, "LinearRaw test");
  TIFFSetField(t, TIFFTAG_DNGVERSION, version);
  TIFFSetField(t, TIFFTAG_DNGBACKWARDVERSION, backward);
  TIFFSetField(t, TIFFTAG_UNIQUECAMERAMODEL, "depthmask LinearRaw test");
  TIFFSetField(t, TIFFTAG_COLORMATRIX1, (uint16_t)9, xyz_to_srgb);
  TIFFSetField(t, TIFFTAG_CALIBRATIONILLUMINANT1, (uint16_t)21); /* D65 */
  TIFFSetField(t, TIFFTAG_ASSHOTNEUTRAL, (uint16_t)3, neutral);
  TIFFSetField(t, TIFFTAG_BLACKLEVEL, (uint16_t)1, black);
  TIFFSetField(t, TIFFTAG_WHITELEVEL, (uint16_t)1, white);
  if (!isnan(baseline_ev)) TIFFSetField(t, TIFFTAG_BASELINEEXPOSURE, baseline_ev);
  uint16_t *row = malloc((size_t)img->width * 3 * sizeof *row);
  int ok = row != NULL;
  for (int y = 0; ok && y < img->height; y++) {
    for (int x = 0; x < img->width * 3; x++) {
      float v = img->channels == 3 ? dm_row(img, y)[x] : dm_row(img, y)[x / 3];
      row[x] = (uint16_t)(dngu_srgb_to_linear(v < 0 ? 0 : v > 1 ? 1 : v) * 65535.0f + 0.5f);
    }
    ok = TIFFWriteScanline(t, row, (uint32_t)y, 0) >= 0;
  }
  free(row);
  TIFFClose(t);
  return ok;
}

static inline int dngu_write(const char *path, const dm_image *img, int orientation) {
  return dngu_write_ev(path, img, orientation, NAN);
}

#endif
