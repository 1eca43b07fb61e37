/* libheif through dlopen (see heif_lazy.h). Every libheif function that
 * depthmask calls is defined here with libheif's own prototype (from its
 * header, so a mismatch does not compile) and forwards to the loaded one.
 * Only dm_heif_context_new and heif_check_filetype may run before the
 * library is loaded; the rest take a handle that only a loaded library
 * can have made. */
#include "io/heif_lazy.h"

#include "core/image.h"
#include "core/lazy_lib.h"

#define HEIF_FUNCS(X)                                                                                        \
  X(heif_check_filetype) X(heif_context_alloc) X(heif_context_free) X(heif_context_get_primary_image_handle) \
  X(heif_context_read_from_memory_without_copy) X(heif_context_set_maximum_image_size_limit)                \
  X(heif_decode_image) X(heif_decoding_options_alloc) X(heif_decoding_options_free)                         \
  X(heif_depth_representation_info_free) X(heif_image_get_bits_per_pixel_range) X(heif_image_get_height)   \
  X(heif_image_get_plane_readonly) X(heif_image_get_width) X(heif_image_handle_free_auxiliary_types)       \
  X(heif_image_handle_get_auxiliary_image_handle) X(heif_image_handle_get_auxiliary_type)                  \
  X(heif_image_handle_get_depth_image_handle) X(heif_image_handle_get_depth_image_representation_info)     \
  X(heif_image_handle_get_height) X(heif_image_handle_get_list_of_auxiliary_image_IDs)                      \
  X(heif_image_handle_get_list_of_depth_image_IDs) X(heif_image_handle_get_list_of_metadata_block_IDs)     \
  X(heif_image_handle_get_luma_bits_per_pixel) X(heif_image_handle_get_metadata)                            \
  X(heif_image_handle_get_metadata_content_type) X(heif_image_handle_get_metadata_size)                     \
  X(heif_image_handle_get_nclx_color_profile) X(heif_image_handle_get_raw_color_profile)                    \
  X(heif_image_handle_get_raw_color_profile_size) X(heif_image_handle_get_width)                            \
  X(heif_image_handle_release) X(heif_image_release) X(heif_nclx_color_profile_free)

DM_LAZY_LIBRARY(heif, HEIF_FUNCS, "DEPTHMASK_LIBHEIF", DM_LIBHEIF_SONAME);

const char *dm_heif_unavailable(void) { return dm_lazy_load(&heif); }

static void need_loaded(void) { dm_lazy_need(&heif); }

dm_status dm_heif_context_new(dm_context *ctx, const char *name, struct heif_context **out) {
  *out = NULL;
  const char *no = dm_heif_unavailable();
  if (no) return dm_fail(ctx, DM_ERR_FORMAT, name, "HEIF needs libheif, which cannot be loaded: %s", no);
  if (!(*out = fn.heif_context_alloc())) return dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory");
  fn.heif_context_set_maximum_image_size_limit(*out, DM_MAX_DIM);
  return DM_OK;
}

/* Sniffing: without libheif no file is a HEIF it could decode. */
enum heif_filetype_result heif_check_filetype(const uint8_t *data, int len) {
  return dm_heif_unavailable() ? heif_filetype_no : fn.heif_check_filetype(data, len);
}

struct heif_context *heif_context_alloc(void) {
  return dm_heif_unavailable() ? NULL : fn.heif_context_alloc();
}

void heif_context_free(struct heif_context *c) {
  if (c) need_loaded(), fn.heif_context_free(c);
}

struct heif_error heif_context_get_primary_image_handle(struct heif_context *c, struct heif_image_handle **h) {
  need_loaded();
  return fn.heif_context_get_primary_image_handle(c, h);
}

struct heif_error heif_context_read_from_memory_without_copy(struct heif_context *c, const void *mem, size_t size,
                                                             const struct heif_reading_options *o) {
  need_loaded();
  return fn.heif_context_read_from_memory_without_copy(c, mem, size, o);
}

void heif_context_set_maximum_image_size_limit(struct heif_context *c, int maximum_width) {
  need_loaded();
  fn.heif_context_set_maximum_image_size_limit(c, maximum_width);
}

struct heif_error heif_decode_image(const struct heif_image_handle *h, struct heif_image **out,
                                    enum heif_colorspace colorspace, enum heif_chroma chroma,
                                    const struct heif_decoding_options *o) {
  need_loaded();
  return fn.heif_decode_image(h, out, colorspace, chroma, o);
}

struct heif_decoding_options *heif_decoding_options_alloc(void) {
  need_loaded();
  return fn.heif_decoding_options_alloc();
}

void heif_decoding_options_free(struct heif_decoding_options *o) {
  if (o) need_loaded(), fn.heif_decoding_options_free(o);
}

void heif_depth_representation_info_free(const struct heif_depth_representation_info *info) {
  if (info) need_loaded(), fn.heif_depth_representation_info_free(info);
}

int heif_image_get_bits_per_pixel_range(const struct heif_image *im, enum heif_channel ch) {
  need_loaded();
  return fn.heif_image_get_bits_per_pixel_range(im, ch);
}

int heif_image_get_height(const struct heif_image *im, enum heif_channel ch) {
  need_loaded();
  return fn.heif_image_get_height(im, ch);
}

const uint8_t *heif_image_get_plane_readonly(const struct heif_image *im, enum heif_channel ch, int *stride) {
  need_loaded();
  return fn.heif_image_get_plane_readonly(im, ch, stride);
}

int heif_image_get_width(const struct heif_image *im, enum heif_channel ch) {
  need_loaded();
  return fn.heif_image_get_width(im, ch);
}

void heif_image_handle_free_auxiliary_types(const struct heif_image_handle *h, const char **type) {
  need_loaded();
  fn.heif_image_handle_free_auxiliary_types(h, type);
}

struct heif_error heif_image_handle_get_auxiliary_image_handle(const struct heif_image_handle *h, heif_item_id id,
                                                               struct heif_image_handle **out) {
  need_loaded();
  return fn.heif_image_handle_get_auxiliary_image_handle(h, id, out);
}

struct heif_error heif_image_handle_get_auxiliary_type(const struct heif_image_handle *h, const char **type) {
  need_loaded();
  return fn.heif_image_handle_get_auxiliary_type(h, type);
}

struct heif_error heif_image_handle_get_depth_image_handle(const struct heif_image_handle *h, heif_item_id id,
                                                           struct heif_image_handle **out) {
  need_loaded();
  return fn.heif_image_handle_get_depth_image_handle(h, id, out);
}

int heif_image_handle_get_depth_image_representation_info(const struct heif_image_handle *h, heif_item_id id,
                                                          const struct heif_depth_representation_info **out) {
  need_loaded();
  return fn.heif_image_handle_get_depth_image_representation_info(h, id, out);
}

int heif_image_handle_get_height(const struct heif_image_handle *h) {
  need_loaded();
  return fn.heif_image_handle_get_height(h);
}

int heif_image_handle_get_list_of_auxiliary_image_IDs(const struct heif_image_handle *h, int filter,
                                                      heif_item_id *ids, int count) {
  need_loaded();
  return fn.heif_image_handle_get_list_of_auxiliary_image_IDs(h, filter, ids, count);
}

int heif_image_handle_get_list_of_depth_image_IDs(const struct heif_image_handle *h, heif_item_id *ids, int count) {
  need_loaded();
  return fn.heif_image_handle_get_list_of_depth_image_IDs(h, ids, count);
}

int heif_image_handle_get_list_of_metadata_block_IDs(const struct heif_image_handle *h, const char *type,
                                                     heif_item_id *ids, int count) {
  need_loaded();
  return fn.heif_image_handle_get_list_of_metadata_block_IDs(h, type, ids, count);
}

int heif_image_handle_get_luma_bits_per_pixel(const struct heif_image_handle *h) {
  need_loaded();
  return fn.heif_image_handle_get_luma_bits_per_pixel(h);
}

struct heif_error heif_image_handle_get_metadata(const struct heif_image_handle *h, heif_item_id id, void *out) {
  need_loaded();
  return fn.heif_image_handle_get_metadata(h, id, out);
}

const char *heif_image_handle_get_metadata_content_type(const struct heif_image_handle *h, heif_item_id id) {
  need_loaded();
  return fn.heif_image_handle_get_metadata_content_type(h, id);
}

size_t heif_image_handle_get_metadata_size(const struct heif_image_handle *h, heif_item_id id) {
  need_loaded();
  return fn.heif_image_handle_get_metadata_size(h, id);
}

struct heif_error heif_image_handle_get_nclx_color_profile(const struct heif_image_handle *h,
                                                           struct heif_color_profile_nclx **out) {
  need_loaded();
  return fn.heif_image_handle_get_nclx_color_profile(h, out);
}

struct heif_error heif_image_handle_get_raw_color_profile(const struct heif_image_handle *h, void *out) {
  need_loaded();
  return fn.heif_image_handle_get_raw_color_profile(h, out);
}

size_t heif_image_handle_get_raw_color_profile_size(const struct heif_image_handle *h) {
  need_loaded();
  return fn.heif_image_handle_get_raw_color_profile_size(h);
}

int heif_image_handle_get_width(const struct heif_image_handle *h) {
  need_loaded();
  return fn.heif_image_handle_get_width(h);
}

void heif_image_handle_release(const struct heif_image_handle *h) {
  if (h) need_loaded(), fn.heif_image_handle_release(h);
}

void heif_image_release(const struct heif_image *im) {
  if (im) need_loaded(), fn.heif_image_release(im);
}

void heif_nclx_color_profile_free(struct heif_color_profile_nclx *p) {
  if (p) need_loaded(), fn.heif_nclx_color_profile_free(p);
}
