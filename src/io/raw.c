/* Camera raw files through LibRaw (thread-safe libraw_r, C API, from
 * memory): demosaiced, camera white balance, no auto-brightening, linear
 * (gamma 1/1) 16-bit, in ProPhoto primaries (LibRaw output_color 4), so
 * src/color takes it as DM_SPACE_LINEAR_PROPHOTO; clipped highlights
 * blended back (LibRaw highlight 2) so a clipped sky is white, not
 * magenta; cropped to the camera's default crop (the sensor's masked
 * border is not the photo). LibRaw applies the camera's rotation (its
 * `flip`) when it makes the output image. The default look a raw gets is
 * the output transform's (src/color/look.h).
 *
 * LibRaw reports data errors (a short read, a bad block) through a callback
 * and otherwise carries on with invented pixels; any data error makes the
 * read fail here. Its default callbacks print to stderr, so all are set. */
#include <libraw/libraw.h>
#include <stdlib.h>
#include <string.h>

#include "core/prefault.h"
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

/* The camera's default crop (LibRaw's raw inset crop: what the camera's
 * own image shows, without the sensor's masked border), in the output
 * image's coordinates before LibRaw turns it upright; 0 when the file gives
 * none that lies inside the visible area. */
static int inset_crop(const libraw_image_sizes_t *sz, int *x, int *y, int *w, int *h) {
  const libraw_raw_inset_crop_t *c = &sz->raw_inset_crop;
  int cx = (int)c->cleft - sz->left_margin, cy = (int)c->ctop - sz->top_margin;
  int cw = c->cwidth, ch = c->cheight;
  if (!(cw > 0 && ch > 0 && cx >= 0 && cy >= 0 && cx + cw <= sz->width && cy + ch <= sz->height &&
        (cw < sz->width || ch < sz->height)))
    return 0;
  *x = cx, *y = cy, *w = cw, *h = ch;
  return 1;
}

/* The crop (x, y, w, h) of a W x H image, turned as LibRaw's `flip` turns
 * the image (flip 3: 180 degrees; 6: 90 clockwise; 5: 90 anticlockwise). */
static void turn_crop(int flip, int W, int H, int *x, int *y, int *w, int *h) {
  int x0 = *x, y0 = *y, w0 = *w, h0 = *h;
  if (flip == 3) *x = W - x0 - w0, *y = H - y0 - h0;
  if (flip == 6) *x = H - y0 - h0, *y = x0, *w = h0, *h = w0;
  if (flip == 5) *x = y0, *y = W - x0 - w0, *w = h0, *h = w0;
}

/* With highlights blended (not clipped), LibRaw scales the channels so
 * that the one with the largest white-balance multiplier reaches white
 * only where the sensor clipped: the photo comes out darker by the ratio of
 * the largest multiplier to the smallest. That ratio back, in float,
 * restores the exposure a clipping decode has, with the rebuilt highlights
 * above 1 for the output transform to roll off. */
static float highlight_gain(const libraw_data_t *lr) {
  float lo = 0.0f, hi = 0.0f;
  for (int c = 0; c < 3; c++) {
    float m = lr->color.pre_mul[c];
    if (!(m > 0.0f)) return 1.0f;
    if (!lo || m < lo) lo = m;
    if (m > hi) hi = m;
  }
  return hi / lo;
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

/* The crop (cx, cy, cw, ch) of LibRaw's output image, as floats times
 * `gain`. */
static dm_status to_image(dm_context *ctx, const char *name, const libraw_processed_image_t *pi,
                          int cx, int cy, int cw, int ch, float gain, dm_image *img) {
  if (pi->type != LIBRAW_IMAGE_BITMAP || pi->bits != 16 || (pi->colors != 3 && pi->colors != 1) ||
      pi->data_size < (size_t)pi->width * pi->height * pi->colors * 2u || cx < 0 || cy < 0 ||
      cx + cw > pi->width || cy + ch > pi->height)
    return dm_fail(ctx, DM_ERR_FORMAT, name, "camera raw decoded to an unexpected layout");
  dm_status s = dm_image_alloc(ctx, img, cw, ch, pi->colors);
  if (s) return s;
  dm_prefault *pf = dm_prefault_image(ctx, img);
  size_t n = (size_t)cw * pi->colors, stride = (size_t)pi->width * pi->colors;
  for (int y = 0; y < ch; y++) {
    const unsigned char *src = pi->data + ((size_t)(y + cy) * stride + (size_t)cx * pi->colors) * 2;
    float *dst = dm_row(img, y);
    for (size_t i = 0; i < n; i++) {
      uint16_t v;
      memcpy(&v, src + 2 * i, 2); /* native order */
      dst[i] = (float)v * (gain / 65535.0f);
    }
  }
  dm_prefault_end(pf);
  return DM_OK;
}

dm_status dm_raw_read_ex(dm_context *ctx, const unsigned char *data, size_t len, const char *name,
                         long long max_pixels, dm_decoded *out) {
  memset(out, 0, sizeof *out);
  raw_state st = {.ctx = ctx};
  int rc;
  const char *no = dm_raw_unavailable();
  if (no) return dm_fail(ctx, DM_ERR_FORMAT, name, "camera raws need LibRaw, which cannot be loaded: %s", no);
  libraw_data_t *lr = open_raw(data, len, &st, &rc);
  if (!lr) return dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory");
  dm_status s = rc ? raw_fail(ctx, name, &st, rc) : DM_OK;
  /* The sensor and the output size, before LibRaw allocates for either. */
  if (!s) s = dm_io_check_dims(ctx, name, lr->sizes.raw_width, lr->sizes.raw_height, max_pixels);
  if (!s) s = dm_io_check_dims(ctx, name, lr->sizes.width, lr->sizes.height, max_pixels);
  int cx = 0, cy = 0, cw = lr->sizes.width, ch = lr->sizes.height;
  int cropped = !s && inset_crop(&lr->sizes, &cx, &cy, &cw, &ch);
  int header = !s && dm_io_header_only(ctx, out, cw, ch, 3);
  if (!s && !header) {
    lr->params.output_bps = 16;
    lr->params.gamm[0] = 1.0;
    lr->params.gamm[1] = 1.0;
    lr->params.no_auto_bright = 1;
    lr->params.use_camera_wb = 1;
    lr->params.output_color = 4; /* ProPhoto */
    lr->params.highlight = 2;     /* blend */
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
  if (!s && !header) {
    int W = cropped ? lr->sizes.width : pi->width, H = cropped ? lr->sizes.height : pi->height;
    if (cropped) turn_crop(lr->sizes.flip, W, H, &cx, &cy, &cw, &ch);
    else cw = pi->width, ch = pi->height;
    s = to_image(ctx, name, pi, cx, cy, cw, ch, highlight_gain(lr), &out->img);
  }
  if (!s) {
    out->meta.format = DM_FMT_RAW;
    out->meta.bits = 16;
    out->meta.space = DM_SPACE_LINEAR_PROPHOTO;
    out->meta.orientation = flip_to_orientation(lr->sizes.flip);
    /* LibRaw turns the pixels upright itself; a header read turns the size. */
    if (header) s = dm_orient_apply(ctx, &out->img, out->meta.orientation);
    /* LibRaw says -999 when the file has none. */
    float be = lr->color.dng_levels.baseline_exposure;
    out->meta.baseline_ev = be > -100.0f && be < 100.0f ? be : 0.0f;
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
