/* NumPy .npy files (format versions 1.0, 2.0 and 3.0) <-> dm_nn_tensor.
 *
 * Element types: '<f4' float32, '<f8' float64, '<f2' float16 (raw bits),
 * '<i8' int64, '<i4' int32, '|i1' int8, '|u1' uint8, '|b1' bool. C order
 * only (fortran_order True is refused), any rank up to DM_NN_MAX_DIMS,
 * scalars (shape ()) included. The header dict is parsed strictly: exactly
 * the keys descr, fortran_order and shape, each once, and the data must be
 * exactly numel x element-size bytes. Errors name the file. */
#ifndef DM_NPY_H
#define DM_NPY_H

#include <stddef.h>

#include "core/context.h"
#include "nn/nn.h"

/* Largest .npy file dm_npy_read accepts. */
#define DM_NPY_MAX_BYTES ((size_t)1 << 34)

/* Parse `len` bytes of a .npy file; `name` is used in messages. On success
 * t->data is a malloc'd copy of the elements (at least one byte allocated,
 * even for an empty tensor), which the caller frees with free(). On failure
 * *t is zeroed. */
dm_status dm_npy_parse(dm_context *ctx, const char *name, const void *data, size_t len,
                       dm_nn_tensor *t);

/* Read a .npy file (same contract as dm_npy_parse). */
dm_status dm_npy_read(dm_context *ctx, const char *path, dm_nn_tensor *t);

/* Encode `t` as a .npy file in memory (version 1.0, or 2.0 if the header
 * needs it): a malloc'd buffer the caller frees. */
dm_status dm_npy_encode(dm_context *ctx, const dm_nn_tensor *t, unsigned char **out, size_t *len);

/* Write `t` to `path` atomically (core/file.h): the old file stays intact
 * on any failure. */
dm_status dm_npy_write(dm_context *ctx, const char *path, const dm_nn_tensor *t);

#endif
