/* Camera raw files through LibRaw (thread-safe libraw_r, C API, from
 * memory): demosaiced, camera white balance, no auto-brightening, linear
 * (gamma 1/1) 16-bit, in ProPhoto primaries (LibRaw output_color 4), so
 * src/color takes it as DM_SPACE_LINEAR_PROPHOTO. LibRaw applies the
 * camera's rotation (its `flip`) when it makes the output image.
 *
 * LibRaw reports data errors (a short read, a bad block) through a callback
 * and otherwise carries on with invented pixels; any data error makes the
 * read fail here. Its default callbacks print to stderr, so all are set. */
#include <libraw/libraw.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_internal.h"

typedef struct raw_state {
  dm_context *ctx;
  int data_errors;
  int mem_error;
} raw_state;

static void on_data_error(void *user, const char *file, const int offset) {
  (void)file;
  (void)offset;
  ((raw_state *)user)->data_errors++;
}

static void on_mem_error(void *user, const char *file, const char *where) {
  (void)file;
  (void)where;
  ((raw_state *)user)->mem_error = 1;
}

static int on_progress(void *user, enum LibRaw_progress stage, int iteration, int expected) {
  (void)stage;
  (void)iteration;
  (void)expected;
  raw_state *st = user;
  return st->ctx && dm_cancelled(st->ctx); /* non-zero cancels */
}

static libraw_data_t *open_raw(const unsigned char *data, size_t len, raw_state *st, int *rc) {
  libraw_data_t *lr = libraw_init(0);
  *rc = LIBRAW_UNSUFFICIENT_MEMORY;
  if (!lr) return NULL;
  libraw_set_dataerror_handler(lr, on_data_error, st);
  libraw_set_memerror_handler(lr, on_mem_error, st);
  libraw_set_progress_handler(lr, on_progress, st);
  /* LibRaw only reads the buffer; its API is not const-correct. */
  *rc = libraw_open_buffer(lr, (void *)data, len);
  return lr;
}

int dm_raw_identify(const unsigned char *data, size_t len) {
  raw_state st = {0};
  int rc;
  libraw_data_t *lr = open_raw(data, len, &st, &rc);
  if (lr) libraw_close(lr);
  return rc == LIBRAW_SUCCESS;
}

static dm_status raw_fail(dm_context *ctx, const char *name, const raw_state *st, int rc) {
  if (rc == LIBRAW_CANCELLED_BY_CALLBACK) return dm_fail(ctx, DM_ERR_CANCELLED, name, "cancelled");
  if (st->mem_error || rc == LIBRAW_UNSUFFICIENT_MEMORY || rc == LIBRAW_TOO_BIG)
    return dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory decoding the camera raw");
  if (rc == LIBRAW_FILE_UNSUPPORTED)
    return dm_fail(ctx, DM_ERR_FORMAT, name, "not a camera raw LibRaw knows");
  if (rc == LIBRAW_IO_ERROR || st->data_errors)
    return dm_fail(ctx, DM_ERR_FORMAT, name, "truncated or corrupt camera raw");
  return dm_fail(ctx, DM_ERR_FORMAT, name, "corrupt camera raw: %s", libraw_strerror(rc));
}

/* LibRaw's flip (dcraw's) as the EXIF orientation it stands for. */
static int flip_to_orientation(int flip) {
  switch (flip) {
    case 3: return 3;
    case 5: return 8;
    case 6: return 6;
    default: return 1;
  }
}

static dm_status to_image(dm_context *ctx, const char *name, const libraw_processed_image_t *pi,
                          dm_image *img) {
  if (pi->type != LIBRAW_IMAGE_BITMAP || pi->bits != 16 || (pi->colors != 3 && pi->colors != 1) ||
      pi->data_size < (size_t)pi->width * pi->height * pi->colors * 2u)
    return dm_fail(ctx, DM_ERR_FORMAT, name, "camera raw decoded to an unexpected layout");
  dm_status s = dm_image_alloc(ctx, img, pi->width, pi->height, pi->colors);
  if (s) return s;
  size_t n = (size_t)pi->width * pi->colors;
  for (int y = 0; y < pi->height; y++) {
    const unsigned char *src = pi->data + (size_t)y * n * 2;
    float *dst = dm_row(img, y);
    for (size_t i = 0; i < n; i++) {
      uint16_t v;
      memcpy(&v, src + 2 * i, 2); /* native order */
      dst[i] = (float)v * (1.0f / 65535.0f);
    }
  }
  return DM_OK;
}

dm_status dm_raw_read_ex(dm_context *ctx, const unsigned char *data, size_t len, const char *name,
                         long long max_pixels, dm_decoded *out) {
  memset(out, 0, sizeof *out);
  raw_state st = {.ctx = ctx};
  int rc;
  libraw_data_t *lr = open_raw(data, len, &st, &rc);
  if (!lr) return dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory");
  dm_status s = rc ? raw_fail(ctx, name, &st, rc) : DM_OK;
  /* The sensor and the output size, before LibRaw allocates for either. */
  if (!s) s = dm_io_check_dims(ctx, name, lr->sizes.raw_width, lr->sizes.raw_height, max_pixels);
  if (!s) s = dm_io_check_dims(ctx, name, lr->sizes.width, lr->sizes.height, max_pixels);
  int header = !s && dm_io_header_only(ctx, out, lr->sizes.width, lr->sizes.height, 3);
  if (!s && !header) {
    lr->params.output_bps = 16;
    lr->params.gamm[0] = 1.0;
    lr->params.gamm[1] = 1.0;
    lr->params.no_auto_bright = 1;
    lr->params.use_camera_wb = 1;
    lr->params.output_color = 4; /* ProPhoto */
    rc = libraw_unpack(lr);
    if (rc || st.data_errors) s = raw_fail(ctx, name, &st, rc);
  }
  if (!s && !header) {
    rc = libraw_dcraw_process(lr);
    if (rc || st.data_errors) s = raw_fail(ctx, name, &st, rc);
  }
  libraw_processed_image_t *pi = NULL;
  if (!s && !header) {
    pi = libraw_dcraw_make_mem_image(lr, &rc);
    if (!pi) s = raw_fail(ctx, name, &st, rc ? rc : LIBRAW_UNSUFFICIENT_MEMORY);
  }
  if (!s && !header) s = to_image(ctx, name, pi, &out->img);
  if (!s) {
    out->meta.format = DM_FMT_RAW;
    out->meta.bits = 16;
    out->meta.space = DM_SPACE_LINEAR_PROPHOTO;
    out->meta.orientation = flip_to_orientation(lr->sizes.flip);
    /* LibRaw turns the pixels upright itself; a header read turns the size. */
    if (header) s = dm_orient_apply(ctx, &out->img, out->meta.orientation);
    const char *make = lr->idata.make, *model = lr->idata.model;
    if (make[0] && strncmp(model, make, strlen(make)) != 0)
      snprintf(out->meta.camera, sizeof out->meta.camera, "%.63s %.63s", make, model);
    else
      snprintf(out->meta.camera, sizeof out->meta.camera, "%.63s", model);
  }
  if (pi) libraw_dcraw_clear_mem(pi);
  libraw_close(lr);
  if (s) dm_decoded_free(out);
  return s;
}
