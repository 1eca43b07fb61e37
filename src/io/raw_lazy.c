/* LibRaw through dlopen (core/lazy_lib.h): only camera raws need it. The
 * functions depthmask calls, with LibRaw's own prototypes, forwarding to
 * the loaded ones; libraw_init is the entry point (NULL without the
 * library: dm_raw_unavailable says why). DEPTHMASK_LIBRAW names another
 * build. */
#include <libraw/libraw.h>

#include "core/lazy_lib.h"
#include "io/io_internal.h"

#define RAW_FUNCS(X)                                                                                  \
  X(libraw_close) X(libraw_dcraw_clear_mem) X(libraw_dcraw_make_mem_image) X(libraw_dcraw_process) \
  X(libraw_init) X(libraw_open_buffer) X(libraw_set_dataerror_handler) X(libraw_set_memerror_handler) \
  X(libraw_set_progress_handler) X(libraw_strerror) X(libraw_unpack)

DM_LAZY_LIBRARY(raw, RAW_FUNCS, "DEPTHMASK_LIBRAW", DM_LIBRAW_SONAME);

const char *dm_raw_unavailable(void) { return dm_lazy_load(&raw); }

libraw_data_t *libraw_init(unsigned int flags) { return dm_lazy_load(&raw) ? NULL : fn.libraw_init(flags); }

void libraw_close(libraw_data_t *lr) {
  if (lr) dm_lazy_need(&raw), fn.libraw_close(lr);
}

void libraw_dcraw_clear_mem(libraw_processed_image_t *im) {
  if (im) dm_lazy_need(&raw), fn.libraw_dcraw_clear_mem(im);
}

libraw_processed_image_t *libraw_dcraw_make_mem_image(libraw_data_t *lr, int *errc) {
  dm_lazy_need(&raw);
  return fn.libraw_dcraw_make_mem_image(lr, errc);
}

int libraw_dcraw_process(libraw_data_t *lr) {
  dm_lazy_need(&raw);
  return fn.libraw_dcraw_process(lr);
}

int libraw_open_buffer(libraw_data_t *lr, void *buffer, size_t size) {
  dm_lazy_need(&raw);
  return fn.libraw_open_buffer(lr, buffer, size);
}

void libraw_set_dataerror_handler(libraw_data_t *lr, data_callback cb, void *data) {
  dm_lazy_need(&raw);
  fn.libraw_set_dataerror_handler(lr, cb, data);
}

void libraw_set_memerror_handler(libraw_data_t *lr, memory_callback cb, void *data) {
  dm_lazy_need(&raw);
  fn.libraw_set_memerror_handler(lr, cb, data);
}

void libraw_set_progress_handler(libraw_data_t *lr, progress_callback cb, void *data) {
  dm_lazy_need(&raw);
  fn.libraw_set_progress_handler(lr, cb, data);
}

const char *libraw_strerror(int errorcode) {
  return dm_lazy_load(&raw) ? "LibRaw cannot be loaded" : fn.libraw_strerror(errorcode);
}

int libraw_unpack(libraw_data_t *lr) {
  dm_lazy_need(&raw);
  return fn.libraw_unpack(lr);
}
