/* Resampling and grey conversion of planes, shared by file masks, depth
 * files and matte files. */
#ifndef DM_RESAMPLE_H
#define DM_RESAMPLE_H

#include "core/image.h"

/* Resize `src` into the caller-allocated `dst` of the same channel count
 * (1 for planes; images with 3 work the same way)
 * (area when shrinking, bilinear when growing); with `clamp`, values end in
 * [0, 1] and NaN becomes 0. `name` is used in error messages. */
dm_status dm_resize_plane(dm_context *ctx, const dm_image *src, dm_image *dst, int clamp,
                          const char *name);

/* The part (x0, y0, out's size) of `src` resized to full_w x full_h, into
 * `out`: the same pixels as that rectangle of the whole resize, without
 * making the whole (a region render's file mask). */
dm_status dm_resize_plane_part(dm_context *ctx, const dm_image *src, dm_image *out, int full_w,
                               int full_h, int x0, int y0, int clamp, const char *name);

/* The same into a new buffer of width x height (allocated here). */
dm_status dm_resized_plane(dm_context *ctx, const dm_image *src, int width, int height, int clamp,
                           dm_image *out, const char *name);

/* Row `src` (channels interleaved, src_w samples) lerped along x to w
 * columns: column x is sample x0[x] + fx[x] · (the next one − it), the next
 * one being x0[x] itself at the row's end; channel c goes to dst[c·w + x].
 * Bilinear upsampling that keeps a pair of such rows for the output rows
 * between them (core/guided.c, depth/fuse.c). */
void dm_lerp_row_x(const float *src, int channels, int src_w, const int *x0, const float *fx, int w,
                   float *dst);

/* 1-channel version of `img`: a view of it when it has one channel, else a
 * new plane of weights . rgb. */
dm_status dm_grey_plane(dm_context *ctx, const dm_image *img, const float weights[3], dm_image *grey);

#endif
