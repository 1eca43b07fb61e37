/* Conversions between photos and network tensors; see nn_image.h. */
#include "nn/nn_image.h"

#include <math.h>
#include <stdlib.h>

#include "core/resample.h"
#include "nn/model_cache.h"

dm_status dm_nn_image_to_tensor(dm_context *ctx, const dm_image *srgb, int w, int h,
                                const dm_nn_norm *norm, dm_nn_tensor *t, const char *name) {
  if (srgb->channels < 3 || srgb->width <= 0 || srgb->height <= 0)
    return dm_fail(ctx, DM_ERR_PARAM, name, "the network needs an RGB image, got %dx%d with %d channel(s)",
                   srgb->width, srgb->height, srgb->channels);
  if (w <= 0 || h <= 0 || w > DM_MAX_DIM || h > DM_MAX_DIM)
    return dm_fail(ctx, DM_ERR_INTERNAL, name, "bad network input size %dx%d", w, h);
  const size_t plane_px = (size_t)w * (size_t)h;
  float *data = malloc(3 * plane_px * sizeof *data);
  dm_image small = {0};
  dm_status s = data ? DM_OK : dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory");
  /* Shrink the photo first (all its channels at once), then lay the first
   * three out as the tensor's planes, normalised. */
  if (!s) s = dm_image_alloc(ctx, &small, w, h, srgb->channels);
  if (!s) s = dm_resize_plane(ctx, srgb, &small, 0, name);
  for (int c = 0; !s && c < 3; c++) {
    const float mean = norm->mean[c], inv = 1.0f / norm->std[c];
    float *d = data + (size_t)c * plane_px;
    for (int y = 0; y < h; y++) {
      const float *p = dm_row(&small, y) + c;
      for (int x = 0; x < w; x++, p += small.channels) *d++ = (*p - mean) * inv;
    }
  }
  dm_image_free(&small);
  if (s) {
    free(data);
    return s;
  }
  *t = (dm_nn_tensor){.dtype = DM_NN_FLOAT, .ndim = 4, .dims = {1, 3, h, w}, .data = data};
  return DM_OK;
}

dm_status dm_nn_tensor_to_plane(dm_context *ctx, const dm_nn_tensor *t, int width, int height,
                                int clamp, dm_image *out, const char *name) {
  if (t->dtype != DM_NN_FLOAT || t->ndim < 2 || !t->data)
    return dm_fail(ctx, DM_ERR_FORMAT, name, "the output is not a float plane (%s, %d dimensions)",
                   dm_nn_dtype_name(t->dtype), t->ndim);
  for (int i = 0; i < t->ndim - 2; i++)
    if (t->dims[i] != 1)
      return dm_fail(ctx, DM_ERR_FORMAT, name, "the output has %lld planes, expected one",
                     (long long)t->dims[i]);
  const int64_t oh = t->dims[t->ndim - 2], ow = t->dims[t->ndim - 1];
  if (oh <= 0 || ow <= 0 || oh > DM_MAX_DIM || ow > DM_MAX_DIM)
    return dm_fail(ctx, DM_ERR_FORMAT, name, "bad output size %lldx%lld", (long long)ow, (long long)oh);
  const float *src = t->data;
  for (int64_t i = 0; i < oh * ow; i++)
    if (!isfinite(src[i]))
      return dm_fail(ctx, DM_ERR_FORMAT, name, "the network output is not finite at pixel %lld",
                     (long long)i);
  dm_image plane = {.width = (int)ow, .height = (int)oh, .channels = 1, .stride = (size_t)ow,
                    .data = (float *)t->data};
  dm_status s = dm_image_alloc(ctx, out, width, height, 1);
  if (!s) s = dm_resize_plane(ctx, &plane, out, clamp, name);
  if (s) dm_image_free(out);
  return s;
}

dm_status dm_nn_run_on_image(dm_context *ctx, const char *model_path, const dm_image *srgb, int w,
                             int h, const dm_nn_norm *norm, dm_image *plane) {
  dm_nn_model *model = NULL;
  dm_nn_tensor in = {0}, *outs = NULL;
  int *want = NULL, n_out = 0;
  dm_status s = dm_nn_cache_acquire(ctx, model_path, &model);
  if (!s && dm_nn_input_count(model) != 1)
    s = dm_fail(ctx, DM_ERR_FORMAT, model_path, "expected one input, the model has %d",
                dm_nn_input_count(model));
  if (!s) {
    n_out = dm_nn_output_count(model);
    outs = calloc((size_t)n_out, sizeof *outs);
    want = calloc((size_t)n_out, sizeof *want);
    if (!outs || !want) s = dm_fail(ctx, DM_ERR_NOMEM, model_path, "out of memory");
    else if (n_out < 1) s = dm_fail(ctx, DM_ERR_FORMAT, model_path, "the model has no output");
  }
  if (!s) s = dm_nn_image_to_tensor(ctx, srgb, w, h, norm, &in, model_path);
  if (!s) {
    want[0] = 1;
    s = dm_nn_run(ctx, model, &in, outs, want);
  }
  if (!s) {
    const int64_t oh = outs[0].ndim >= 2 ? outs[0].dims[outs[0].ndim - 2] : 0;
    const int64_t ow = outs[0].ndim >= 2 ? outs[0].dims[outs[0].ndim - 1] : 0;
    if (oh <= 0 || ow <= 0 || oh > DM_MAX_DIM || ow > DM_MAX_DIM)
      s = dm_fail(ctx, DM_ERR_FORMAT, model_path, "unexpected output shape");
    else
      s = dm_nn_tensor_to_plane(ctx, &outs[0], (int)ow, (int)oh, 0, plane, model_path);
  }
  for (int i = 0; outs && i < n_out; i++) free(outs[i].data);
  free(outs);
  free(want);
  free(in.data);
  dm_nn_cache_release(model);
  return s;
}
