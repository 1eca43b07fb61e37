/* Making HEIC files from real photos at test time with libheif's own
 * encoder (x265 in Debian's libheif1). Header-only, for tests/io. */
#ifndef DM_HEIC_UTIL_H
#define DM_HEIC_UTIL_H

#include <libheif/heif.h>
#include <stdio.h>

#include "core/image.h"

typedef struct heic_opts {
  int bits;                   /* 8 or 10 */
  const unsigned char *icc;   /* 'prof' */
  size_t icc_len;
  int p3_nclx;
  const unsigned char *exif;
  size_t exif_len;
  int orientation;            /* written as irot/imir by libheif */
} heic_opts;

/* x265 keeps a few small allocations for the life of the process. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libx265.so\n"; }

static inline int heicu_encode(const dm_image *img, const char *path, const heic_opts *o) {
  struct heif_context *hc = heif_context_alloc();
  struct heif_encoder *enc = NULL;
  struct heif_error e = heif_context_get_encoder_for_format(hc, heif_compression_HEVC, &enc);
  if (e.code) {
    fprintf(stderr, "no HEVC encoder in libheif: %s\n", e.message);
    heif_context_free(hc);
    return 0;
  }
  heif_encoder_set_lossy_quality(enc, 90);
  heif_encoder_set_parameter_string(enc, "preset", "ultrafast"); /* keep the test fast */
  struct heif_image *hi = NULL;
  int hdr = o->bits > 8;
  heif_image_create(img->width, img->height, heif_colorspace_RGB,
                    hdr ? heif_chroma_interleaved_RRGGBB_LE : heif_chroma_interleaved_RGB, &hi);
  heif_image_add_plane(hi, heif_channel_interleaved, img->width, img->height, o->bits);
  int stride;
  uint8_t *p = heif_image_get_plane(hi, heif_channel_interleaved, &stride);
  unsigned maxv = (1u << o->bits) - 1;
  for (int y = 0; y < img->height; y++)
    for (int i = 0; i < img->width * 3; i++) {
      unsigned v = (unsigned)(dm_row(img, y)[i] * (float)maxv + 0.5f);
      if (hdr) {
        p[(size_t)y * (size_t)stride + 2 * (size_t)i] = (uint8_t)(v & 0xff);
        p[(size_t)y * (size_t)stride + 2 * (size_t)i + 1] = (uint8_t)(v >> 8);
      } else {
        p[(size_t)y * (size_t)stride + (size_t)i] = (uint8_t)v;
      }
    }
  if (o->icc) heif_image_set_raw_color_profile(hi, "prof", o->icc, o->icc_len);
  struct heif_encoding_options *eo = heif_encoding_options_alloc();
  struct heif_color_profile_nclx *n = NULL;
  if (o->p3_nclx) {
    n = heif_nclx_color_profile_alloc();
    heif_nclx_color_profile_set_color_primaries(n, heif_color_primaries_SMPTE_EG_432_1);
    heif_nclx_color_profile_set_transfer_characteristics(n, heif_transfer_characteristic_IEC_61966_2_1);
    heif_nclx_color_profile_set_matrix_coefficients(n, heif_matrix_coefficients_ITU_R_BT_601_6);
    n->full_range_flag = 1;
    heif_image_set_nclx_color_profile(hi, n);
    eo->output_nclx_profile = n;
    eo->macOS_compatibility_workaround_no_nclx_profile = 0; /* libheif omits nclx by default */
  }
  if (o->orientation) eo->image_orientation = (enum heif_orientation)o->orientation;
  struct heif_image_handle *h = NULL;
  e = heif_context_encode_image(hc, hi, enc, eo, &h);
  heif_encoding_options_free(eo);
  if (n) heif_nclx_color_profile_free(n);
  if (!e.code && o->exif) e = heif_context_add_exif_metadata(hc, h, o->exif, (int)o->exif_len);
  if (!e.code) e = heif_context_write_to_file(hc, path);
  if (e.code) fprintf(stderr, "HEIC encoding failed: %s\n", e.message);
  if (h) heif_image_handle_release(h);
  heif_image_release(hi);
  heif_encoder_release(enc);
  heif_context_free(hc);
  return !e.code;
}

#endif
