/* Photos in and out of the networks: an sRGB image to a 1x3xHxW planar
 * float tensor with per-channel normalisation, and a network's one-plane
 * output back to a plane of the photo's size. Used by the depth and matte
 * network wrappers (src/depth/net_depth.c, src/matte/matte_net.c). */
#ifndef DM_NN_IMAGE_H
#define DM_NN_IMAGE_H

#include "core/image.h"
#include "nn/nn.h"

/* value = (x - mean[c]) / std[c], x the sRGB-encoded sample in [0, 1]
 * (that is RGB/255 of an 8-bit photo). */
typedef struct dm_nn_norm {
  float mean[3], std[3];
} dm_nn_norm;

/* Fill `t` with `srgb` (3 channels) resized to w x h (area averaging when
 * shrinking, bilinear when growing; the aspect ratio is not kept) and
 * normalised: dtype float, shape 1x3xh xw, data malloc'd (free(t->data)). */
dm_status dm_nn_image_to_tensor(dm_context *ctx, const dm_image *srgb, int w, int h,
                                const dm_nn_norm *norm, dm_nn_tensor *t, const char *name);

/* The plane of a float output whose last two dimensions are its height and
 * width and whose other dimensions are 1 (1x1xHxW, 1xHxW), resized to
 * width x height into `out` (1 channel, allocated here); with `clamp`,
 * values end in [0, 1]. Errors name `name` (the model file). */
dm_status dm_nn_tensor_to_plane(dm_context *ctx, const dm_nn_tensor *t, int width, int height,
                                int clamp, dm_image *out, const char *name);

/* Run the one-input network at `model_path` on `srgb` resized to w x h and
 * normalised, and give its first output as a plane at the network's own
 * resolution (`plane`, allocated here). Only that output is computed. */
dm_status dm_nn_run_on_image(dm_context *ctx, const char *model_path, const dm_image *srgb, int w,
                             int h, const dm_nn_norm *norm, dm_image *plane);

#endif
