/* Internal to src/mask: one renderer per component kind, each in its own
 * file. A renderer writes the component's raw value c in [0, 1] (before
 * invert and opacity, which mask.c applies when it combines) into `plane`,
 * a 1-channel image the size of in->image. The component has already
 * passed dm_mask_component_check. */
#ifndef DM_MASK_KINDS_H
#define DM_MASK_KINDS_H

#include "mask/mask.h"

dm_status dm_mask_luminance_range_render(dm_context *ctx, const dm_mask_component *c,
                                         const dm_mask_inputs *in, dm_image *plane);
dm_status dm_mask_linear_gradient_render(dm_context *ctx, const dm_mask_component *c,
                                         const dm_mask_inputs *in, dm_image *plane);
dm_status dm_mask_radial_gradient_render(dm_context *ctx, const dm_mask_component *c,
                                         const dm_mask_inputs *in, dm_image *plane);
dm_status dm_mask_file_render(dm_context *ctx, const dm_mask_component *c,
                              const dm_mask_inputs *in, dm_image *plane);
/* Each renderer reads in->frame: a crop of the photo is rendered as that
 * part of the whole photo's mask (mask.h, dm_mask_reach).
 * depth_range needs in->depth (its error says so); in->matte is optional
 * (edge refinement uses it when present). subject/background need
 * in->matte and write it (or 1 - it), clamped to [0, 1]. */
dm_status dm_mask_depth_range_render(dm_context *ctx, const dm_mask_component *c,
                                     const dm_mask_inputs *in, dm_image *plane);
dm_status dm_mask_subject_render(dm_context *ctx, const dm_mask_component *c,
                                 const dm_mask_inputs *in, dm_image *plane);
/* brush: the component's strokes (c->brush may be NULL: all 0). */
dm_status dm_mask_brush_render(dm_context *ctx, const dm_mask_component *c,
                               const dm_mask_inputs *in, dm_image *plane);

/* Ramp width in depth units of a smoothness 0..100 (see depth_range.c). */
float dm_mask_depth_ramp_width(float smoothness);

/* The raw depth-range value of a pixel: dm_mask_depth_ramp of its depth. */
typedef struct dm_mask_ramp {
  const dm_image *depth; /* near01, the image's size */
  float lo, hi, width;   /* depth units (0..100) */
} dm_mask_ramp;

/* Write into `plane` (1 channel, the image's size) the depth-range value
 * refined so its edges follow the photo's (edge_refine.c): a guided filter
 * with the gamma-encoded image as guide, at about 1 MP whatever the size,
 * then, where the matte is confident and agrees with the range around a
 * pixel, the full-resolution matte's value; both only as far from the
 * unrefined edge as the depth's own edge is uncertain (a sharp depth edge
 * keeps its place). `matte` may be NULL. */
dm_status dm_mask_refine_edges(dm_context *ctx, const dm_image *image, const dm_image *matte,
                               const dm_mask_ramp *ramp, int draft, const dm_frame *frame,
                               dm_image *plane);
/* The refinement in its two steps: the fit, at the fitting scale, of the
 * photo (guide, depth statistics, guided filter, reach, agreement and,
 * with a matte, its votes), then the blend back to full resolution, where
 * the full-resolution matte has its say. A mask rendered on each of the
 * matte's layers (pipeline/layers.c) fits once on the photo as it is and
 * blends per layer (dm_mask_shared). */
typedef struct dm_mask_fit {
  int f, refine, width, height; /* the scale, whether there is an edge band, the image's size */
  float lo, hi, ramp_width;     /* the ramp it was fitted for */
  dm_image raw, guided, weight, reach, agree; /* fitting scale; weight empty without matte */
} dm_mask_fit;
/* The ramp of depth-range component c on in's depth (refused without one). */
dm_status dm_mask_depth_range_ramp(dm_context *ctx, const dm_mask_component *c,
                                   const dm_mask_inputs *in, dm_mask_ramp *ramp);
/* The share's fit for component c with this ramp, or NULL (mask_shared.c). */
const dm_mask_fit *dm_mask_shared_fit(const struct dm_mask_shared *sh, const dm_mask_component *c,
                                      const dm_mask_ramp *ramp);
dm_status dm_mask_refine_fit(dm_context *ctx, const dm_image *image, const dm_image *matte,
                             const dm_mask_ramp *ramp, int draft, const dm_frame *frame,
                             dm_mask_fit *fit);
dm_status dm_mask_refine_blend(dm_context *ctx, const dm_mask_fit *fit, const dm_image *matte,
                               const dm_mask_ramp *ramp, dm_image *plane);
void dm_mask_fit_free(dm_mask_fit *fit);

/* The margin (photo pixels) the refinement reads around a pixel of a crop
 * of the photo `frame` (not a draft), and *align, the side of its blocks
 * (the fitting scale's, and edge_reach.c's blocks of them). */
int dm_mask_refine_reach(const dm_frame *frame, int *align);

/* Where the refinement may change the depth range's value (edge_reach.c):
 * `reach` (allocated here, raw's size, 0..1) is 1 within the depth edge's
 * own uncertainty of raw's 0.5 contour and 0 beyond it, so a sharp depth
 * edge is kept as it is. `stats` (3 channels, raw's size) holds per block
 * of f x f photo pixels the depth's min, max and largest difference
 * between 4-neighbours; raw is the unrefined value's block means, radius
 * the guided filter's (fitting-scale pixels). */
dm_status dm_mask_edge_reach(dm_context *ctx, const dm_image *stats, const dm_image *raw,
                             int radius, int f, dm_image *reach);
/* `agree` (allocated here, raw's size, 0..1): the squared correlation of
 * the guide and raw over the guided filter's window (edge_reach.c), how far
 * the profile of a kept edge may soften towards the guided value. */
dm_status dm_mask_edge_agreement(dm_context *ctx, const dm_image *guide, const dm_image *raw,
                                 int radius, dm_image *agree);

/* The trapezoid of a luminance_range component at lightness L (0..100):
 * 0 at and below r[0], smoothstep up to 1 at r[1], 1 up to r[2], smoothstep
 * down to 0 at r[3]. r[0] == r[1] (or r[2] == r[3]) is a hard edge that
 * includes the plateau's end: 1 for L >= r[1] (L <= r[2]). */
float dm_mask_trapezoid(float L, const float r[4]);

/* CIE 1976 lightness L* (0..100) of relative luminance Y, diffuse white = 1;
 * Y is clamped to [0, 1] first. */
float dm_mask_lightness(float Y);

/* Radius in pixels of the box filter that luminance_range runs twice over
 * L* (see luminance_range.c): about 1/1000 of the long side, so a mask looks
 * the same on a proxy and on the full-size photo. */
int dm_mask_luminance_blur_radius(int width, int height);

/* 3t^2 - 2t^3 on t clamped to [0, 1] (NaN -> 0); branch-free so that the
 * per-pixel loops vectorise. */
static inline float dm_smoothstep01(float t) {
  t = t > 0.0f ? t : 0.0f;
  t = t < 1.0f ? t : 1.0f;
  return t * t * (3.0f - 2.0f * t);
}

/* The raw depth-range value at depth d (0..100): 1 inside [lo, hi],
 * smoothstep fall-off over `width` depth units outside; width 0 = hard
 * (depth_range.c). Inline: the edge refinement evaluates it per pixel. */
static inline float dm_mask_depth_ramp(float d, float lo, float hi, float width) {
  if (d >= lo && d <= hi) return 1.0f;
  if (!(width > 0.0f)) return 0.0f; /* hard edge; also NaN depth */
  const float t = d < lo ? (d - (lo - width)) / width : ((hi + width) - d) / width;
  return dm_smoothstep01(t);
}

#endif
