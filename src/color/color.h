/* Colour management (lcms2).
 *
 * Working space: linear Rec.2020 (ITU-R BT.2020 primaries, D65, linear
 * transfer), float, unbounded (negative or > 1 values survive). Chosen over
 * linear ProPhoto because its primaries are real colours: saturation,
 * white-balance and per-channel tone operations stay hue-stable, and no
 * pixel value names a colour that does not exist; it still holds sRGB,
 * Display P3 and Adobe RGB whole and almost every surface colour a camera
 * records. Colours outside it are kept as negative components, not clipped.
 *
 * Input: the embedded ICC profile is honoured; untagged = sRGB; PNG
 * gAMA/cHRM are honoured when there is no profile; RAW arrives as linear
 * ProPhoto from src/io. Output: sRGB, Adobe RGB (1998), Display P3 or
 * ProPhoto RGB, with the profile embedded in the file. */
#ifndef DM_COLOR_H
#define DM_COLOR_H

#include <stddef.h>

#include "io/io.h"

/* Rec.2020 luminance weights (Y of linear working-space RGB). */
#define DM_LUMA_R 0.2627f
#define DM_LUMA_G 0.6780f
#define DM_LUMA_B 0.0593f
static inline float dm_luma(const float *rgb) {
  return DM_LUMA_R * rgb[0] + DM_LUMA_G * rgb[1] + DM_LUMA_B * rgb[2];
}

typedef enum dm_output_profile {
  DM_PROFILE_SRGB = 0,
  DM_PROFILE_ADOBERGB,
  DM_PROFILE_P3,
  DM_PROFILE_PROPHOTO,
  DM_PROFILE_COUNT
} dm_output_profile;

/* "srgb", "adobergb", "p3", "prophoto". */
const char *dm_profile_name(dm_output_profile p);
int dm_profile_from_name(const char *name, dm_output_profile *out);

/* Convert decoded samples to the working space: `out` is allocated here,
 * 3 channels, linear Rec.2020. Grey input becomes neutral RGB. A profile
 * that lcms2 cannot parse is an error naming `name`. */
dm_status dm_color_to_working(dm_context *ctx, const dm_decoded *in, const char *name, dm_image *out);

/* The same, converting d->img in place (a new buffer only for grey input),
 * which spares a second full-size buffer: afterwards d->img is the working
 * image. */
dm_status dm_color_to_working_inplace(dm_context *ctx, dm_decoded *d, const char *name);

/* Convert working-space pixels to the output profile's encoding, samples in
 * [0, 1] (clipped, relative colorimetric), into `out` (allocated here, 3
 * channels). Also returns the serialised ICC profile to embed (malloc'd). */
dm_status dm_color_from_working(dm_context *ctx, const dm_image *work, dm_output_profile profile,
                                dm_image *out, unsigned char **icc, size_t *icc_len);

/* The same, overwriting `work` with the encoded values. */
dm_status dm_color_from_working_inplace(dm_context *ctx, dm_image *work, dm_output_profile profile,
                                        unsigned char **icc, size_t *icc_len);

/* A preview: the working image as sRGB 8-bit codes (w x h x 3 bytes into
 * dst, rows packed), from a conversion made once per process and its
 * tables (within one code of the float conversion), and the profile to
 * embed beside them (the process's; not to be freed). */
dm_status dm_preview_srgb8(dm_context *ctx, const dm_image *linear, uint8_t *dst,
                           const unsigned char **icc, size_t *icc_len);

/* A short description of the profile a decoded file carries, for `info`
 * ("embedded: sRGB IEC61966-2.1", "untagged (sRGB assumed)"). */
void dm_color_describe(const dm_decoded *in, char *out, size_t out_len);

#endif
