/* A depth map from a file (`--depth FILE --depth-range NEAR:FAR
 * --depth-encoding linear|inverse|near01`), normalised to near01. */
#include <math.h>
#include <string.h>

#include "core/resample.h"
#include "depth/depth.h"
#include "io/io.h"
#include "io/prefetch.h"

static const char *const encoding_names[DM_DEPTH_ENCODING_COUNT] = {"linear", "inverse", "near01"};

const char *dm_depth_encoding_name(dm_depth_encoding e) {
  return (unsigned)e < DM_DEPTH_ENCODING_COUNT ? encoding_names[e] : "unknown";
}

int dm_depth_encoding_from_name(const char *name, dm_depth_encoding *out) {
  for (int i = 0; i < DM_DEPTH_ENCODING_COUNT; i++)
    if (!strcmp(name, encoding_names[i])) {
      *out = (dm_depth_encoding)i;
      return 1;
    }
  return 0;
}

void dm_depth_free(dm_depth *d) {
  if (!d) return;
  dm_image_free(&d->near01);
  memset(d, 0, sizeof *d);
}

/* v in [0, 1] as stored -> near01. Values outside [0, 1] (float files) and
 * NaN are clamped to the range ends (NaN -> far: background, the safe
 * side for a blur). */
static float to_near01(dm_depth_encoding e, float v, float near_m, float far_m) {
  if (!(v >= 0.0f)) v = isnan(v) ? 1.0f : 0.0f;
  if (v > 1.0f) v = 1.0f;
  if (e != DM_DEPTH_LINEAR) return v; /* inverse and near01 are near01 already */
  float z = near_m + v * (far_m - near_m);
  return (1.0f / near_m - 1.0f / z) / (1.0f / near_m - 1.0f / far_m);
}

dm_status dm_depth_from_file(dm_context *ctx, const dm_depth_file_spec *spec, int width, int height,
                             dm_depth *out) {
  memset(out, 0, sizeof *out);
  const char *path = spec->path;
  int has_range = spec->near_m != 0 || spec->far_m != 0;
  if (has_range && !(spec->near_m > 0 && spec->far_m > spec->near_m && isfinite(spec->far_m)))
    return dm_fail(ctx, DM_ERR_PARAM, path, "depth range %g:%g must have 0 < near < far (metres)",
                   (double)spec->near_m, (double)spec->far_m);
  if (!has_range && spec->encoding != DM_DEPTH_NEAR01)
    return dm_fail(ctx, DM_ERR_PARAM, path, "%s depth needs --depth-range NEAR_M:FAR_M",
                   dm_depth_encoding_name(spec->encoding));
  dm_decoded dec = {0};
  dm_status s = dm_io_prefetch_take(ctx, spec->prefetch, path, &dec); /* dm_io_read without one */
  if (s) return s;
  if (dec.img.channels != 1) {
    dm_decoded_free(&dec);
    return dm_fail(ctx, DM_ERR_FORMAT, path, "depth must be a grey image, this one has colour");
  }
  dm_image *src = &dec.img;
  for (int y = 0; y < src->height; y++) {
    float *p = dm_row(src, y);
    for (int x = 0; x < src->width; x++)
      p[x] = to_near01(spec->encoding, p[x], spec->near_m, spec->far_m);
  }
  if (src->width == width && src->height == height) {
    /* the photo's size: the decoded plane is the map (resampling it to its
     * own size gave the same values, through two passes and two fresh
     * full-size buffers) */
    out->near01 = *src;
    memset(src, 0, sizeof *src);
  } else {
    s = dm_image_alloc(ctx, &out->near01, width, height, 1);
    if (!s)
      dm_log(ctx, DM_LOG_WARN, "%s: depth is %dx%d, the photo %dx%d; resampled to fit", path,
             src->width, src->height, width, height);
    /* Resampling near01 (not metres) keeps the interpolation linear in
     * disparity, the scale blur and masks work on. */
    if (!s) s = dm_resize_plane(ctx, src, &out->near01, 1, path);
  }
  dm_decoded_free(&dec);
  if (s) {
    dm_depth_free(out);
    return s;
  }
  if (has_range) {
    out->z_near_m = spec->near_m;
    out->z_far_m = spec->far_m;
  }
  return DM_OK;
}
