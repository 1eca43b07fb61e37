/* The subject matte from ISNet (DIS), the "medium" model of
 * @imgly/background-removal-data (models/README.md).
 *
 * Input: the photo stretched to 1024x1024, RGB/255 - 0.5 per channel (DIS's
 * reference normalisation, mean 0.5 and std 1.0; IMG.LY's JavaScript feeds
 * (RGB - 128)/256, 0.4 % smaller in scale). Output `output` 1x1x1024x1024 is
 * already in [0, 1] (the graph ends in a sigmoid); IMG.LY uses it as alpha
 * as it is, without DIS's min-max stretch, and so do we: the stretch would
 * turn a photo with no subject into a full-strength matte. */
#include "matte/matte.h"

#include "core/resample.h"
#include "nn/model_store.h"
#include "nn/nn_image.h"

dm_status dm_matte_network(dm_context *ctx, const dm_image *srgb, dm_image *out,
                           const struct dm_model_entry **used) {
  static const dm_nn_norm isnet_norm = {{0.5f, 0.5f, 0.5f}, {1.0f, 1.0f, 1.0f}};
  const dm_model_entry *m = NULL;
  char path[4096];
  dm_image low = {0};
  if (used) *used = NULL;
  dm_status s = dm_models_best(ctx, DM_MODEL_MATTE, &m, path, sizeof path);
  if (!s) s = dm_nn_run_on_image(ctx, path, srgb, m->input_w, m->input_h, &isnet_norm, &low);
  if (!s) s = dm_resized_plane(ctx, &low, srgb->width, srgb->height, 1, out, path);
  dm_image_free(&low);
  if (!s && used) *used = m;
  return s;
}
