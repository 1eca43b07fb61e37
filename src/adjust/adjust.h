/* Local adjustments: the sliders of a correction, applied in linear
 * Rec.2020 float and weighted per pixel by mask x amount.
 *
 * One op per file (exposure.c, contrast.c, ...). Each op exports a
 * dm_adjust_op with its parameter table entry; adjust.c lists them in
 * pipeline order and owns the slider table that the recipe and the CLI read.
 * Ranges and scaling follow Lightroom's local sliders: Exposure is +-4 EV
 * (crs:LocalExposure2012 = EV / 4); the others are +-100 (crs:Local*  = value / 100). */
#ifndef DM_ADJUST_H
#define DM_ADJUST_H

#include "core/image.h"
#include "core/param.h"

typedef enum dm_adjust_id {
  DM_ADJ_TEMPERATURE = 0,
  DM_ADJ_TINT,
  DM_ADJ_EXPOSURE,
  DM_ADJ_CONTRAST,
  DM_ADJ_HIGHLIGHTS,
  DM_ADJ_SHADOWS,
  DM_ADJ_WHITES,
  DM_ADJ_BLACKS,
  DM_ADJ_TEXTURE,
  DM_ADJ_CLARITY,
  DM_ADJ_DEHAZE,
  DM_ADJ_SATURATION,
  DM_ADJ_COUNT
} dm_adjust_id;

/* Slider values in user units (EV for exposure, -100..100 for the rest). */
typedef struct dm_adjust_values {
  float v[DM_ADJ_COUNT];
} dm_adjust_values;

/* The slider table: DM_ADJ_COUNT entries, entry i describes v[i]
 * (offsets are relative to dm_adjust_values). */
const dm_param *dm_adjust_params(void);
void dm_adjust_defaults(dm_adjust_values *vals);
/* True if every slider is at its neutral value (nothing to do). */
int dm_adjust_is_neutral(const dm_adjust_values *vals);

/* Apply a correction's sliders to `img` (3 channels, linear Rec.2020) in
 * place. `mask` is a 1-channel image of the same size with weights in
 * [0, 1], or NULL for everywhere; `amount` is the correction's amount as a
 * fraction (1 = 100 %, up to 2). The effect at a pixel is the slider value
 * scaled by mask x amount. Spatial radii (clarity, texture, local
 * highlights/shadows) scale with the image size, so a proxy render looks
 * like the full one. Uses the context's thread pool. */
dm_status dm_adjust_apply(dm_context *ctx, dm_image *img, const dm_image *mask, float amount,
                          const dm_adjust_values *vals);
/* The same on a crop of the photo: `frame` says where img lies in it (NULL
 * or {0}: img is the photo), and the radii are the photo's and the
 * low-resolution grids lie on the photo's. The crop's pixels at least
 * dm_adjust_reach from its edges (other than the photo's) are what the
 * whole photo's would be, up to float rounding, when its origin is on
 * that grid. */
dm_status dm_adjust_apply_frame(dm_context *ctx, dm_image *img, const dm_image *mask, float amount,
                                const dm_adjust_values *vals, const dm_frame *frame);
/* The margin (photo pixels) the sliders `vals` read around a pixel of the
 * photo `frame` (its size), and *align, the step of the grids they lay on
 * it; -1 when one reads the whole photo (Dehaze: its airlight is the
 * haziest part of the whole frame), which no crop can give. */
int dm_adjust_reach(const dm_adjust_values *vals, const dm_frame *frame, int *align);

#endif
