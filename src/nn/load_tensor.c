/* TensorProto -> dm_nn_tensor: initializers, TENSOR attributes and the
 * ONNX test suite's .pb files share this conversion.
 *
 * Data may sit in raw_data (little-endian, fixed width), in the typed
 * repeated fields (float_data; int32_data also carries float16 bits, int8,
 * uint8 and bool; int64_data; double_data) or in an external file. The
 * length is checked against the dims before anything is allocated, so a
 * small file cannot claim gigabytes. float16 becomes float32 here, once, in
 * bulk (half.c). An initializer's raw_data is read where it lies in the
 * model file (load_wire.c); when the file is mapped and the bytes need
 * nothing done (aligned, little-endian host) the tensor points at them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/load_internal.h"
#include "nn/math_internal.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define NN_HOST_LE 0
#else
#define NN_HOST_LE 1
#endif

static void *pb_alloc(void *user, size_t size) {
  nn_pb_budget *b = user;
  if (size > b->left) {
    b->exceeded = 1;
    return NULL;
  }
  b->left -= size; /* frees are not credited back: a bound, not a count */
  return malloc(size);
}

static void pb_free(void *user, void *p) {
  (void)user;
  free(p);
}

void nn_pb_allocator(ProtobufCAllocator *a, nn_pb_budget *b, size_t len) {
  const size_t base = (size_t)64 << 20, per_byte = 32;
  b->left = len > (SIZE_MAX - base) / per_byte ? SIZE_MAX : base + len * per_byte;
  b->exceeded = 0;
  a->alloc = pb_alloc;
  a->free = pb_free;
  a->allocator_data = b;
}

dm_nn_dtype nn_onnx_dtype(int32_t code) {
  switch (code) {
  case DM_NN_FLOAT: case DM_NN_UINT8: case DM_NN_INT8: case DM_NN_INT32: case DM_NN_INT64:
  case DM_NN_BOOL: case DM_NN_FLOAT16: case DM_NN_DOUBLE:
    return (dm_nn_dtype)code;
  default:
    return DM_NN_UNDEFINED;
  }
}

const char *nn_onnx_type_name(int32_t code) {
  static const char *const names[] = {"undefined", "float32", "uint8",   "int8",      "uint16",
                                      "int16",     "int32",   "int64",   "string",    "bool",
                                      "float16",   "float64", "uint32",  "uint64",    "complex64",
                                      "complex128", "bfloat16"};
  return code >= 0 && code < (int32_t)(sizeof names / sizeof names[0]) ? names[code] : "unknown";
}

/* Little-endian file bytes already in `buf` -> host values, in place
 * (everything but float16, which changes size). bool is normalised to 0/1. */
static void fix_in_place(dm_nn_dtype dt, uint8_t *buf, size_t n) {
  if (dt == DM_NN_BOOL) {
    for (size_t i = 0; i < n; i++) buf[i] = buf[i] != 0;
    return;
  }
  size_t s = dm_nn_dtype_size(dt);
  if (NN_HOST_LE || s < 2) return;
  for (size_t i = 0; i < n; i++)
    for (size_t b = 0; b < s / 2; b++) {
      uint8_t tmp = buf[i * s + b];
      buf[i * s + b] = buf[i * s + s - 1 - b];
      buf[i * s + s - 1 - b] = tmp;
    }
}

/* The typed repeated field that holds `dt`, with its element count. */
static size_t typed_count(const Onnx__TensorProto *tp, dm_nn_dtype dt, const char **field) {
  switch (dt) {
  case DM_NN_FLOAT: *field = "float_data"; return tp->n_float_data;
  case DM_NN_INT64: *field = "int64_data"; return tp->n_int64_data;
  case DM_NN_DOUBLE: *field = "double_data"; return tp->n_double_data;
  default: *field = "int32_data"; return tp->n_int32_data;
  }
}

static void from_typed(const Onnx__TensorProto *tp, dm_nn_dtype dt, void *data, size_t n) {
  switch (dt) {
  case DM_NN_FLOAT: memcpy(data, tp->float_data, n * sizeof(float)); break;
  case DM_NN_INT64: memcpy(data, tp->int64_data, n * sizeof(int64_t)); break;
  case DM_NN_DOUBLE: memcpy(data, tp->double_data, n * sizeof(double)); break;
  case DM_NN_INT32: memcpy(data, tp->int32_data, n * sizeof(int32_t)); break;
  case DM_NN_FLOAT16:
    for (size_t i = 0; i < n; i++) ((float *)data)[i] = nn_half_to_float((uint16_t)tp->int32_data[i]);
    break;
  case DM_NN_BOOL:
    for (size_t i = 0; i < n; i++) ((uint8_t *)data)[i] = tp->int32_data[i] != 0;
    break;
  default: /* int8, uint8: the low byte, two's complement */
    for (size_t i = 0; i < n; i++) ((uint8_t *)data)[i] = (uint8_t)tp->int32_data[i];
    break;
  }
}

static dm_status nomem(dm_context *ctx, const char *file, const char *who) {
  return dm_fail(ctx, DM_ERR_NOMEM, file, "%s: out of memory", who);
}

/* Shape checks; sets t->ndim/dims and the element count. */
static dm_status load_dims(dm_context *ctx, const char *file, const Onnx__TensorProto *tp,
                           const char *who, dm_nn_tensor *t, size_t *numel) {
  if (tp->n_dims > DM_NN_MAX_DIMS)
    return dm_fail(ctx, DM_ERR_FORMAT, file, "%s: %zu dimensions (at most %d)", who, tp->n_dims,
                   DM_NN_MAX_DIMS);
  t->ndim = (int)tp->n_dims;
  for (size_t i = 0; i < tp->n_dims; i++) {
    if (tp->dims[i] < 0)
      return dm_fail(ctx, DM_ERR_FORMAT, file, "%s: negative dimension %lld", who,
                     (long long)tp->dims[i]);
    t->dims[i] = tp->dims[i];
  }
  int64_t n = dm_nn_numel(t);
  /* Also keeps n * 8 bytes inside size_t on 32-bit hosts. */
  if (n < 0 || (uint64_t)n > SIZE_MAX / 8)
    return dm_fail(ctx, DM_ERR_FORMAT, file, "%s: more than %lld elements", who,
                   (long long)NN_MAX_ELEMS);
  *numel = (size_t)n;
  return DM_OK;
}

int nn_raw_slice(const nn_raw_src *raw, const Onnx__TensorProto *tp, const uint8_t **p, size_t *len) {
  if (!tp->has_raw_data || tp->raw_data.len != 4) return 0;
  const uint8_t *m = tp->raw_data.data;
  uint32_t idx = (uint32_t)m[0] | (uint32_t)m[1] << 8 | (uint32_t)m[2] << 16 | (uint32_t)m[3] << 24;
  if (idx >= raw->n_slices) return 0;
  *p = raw->data + raw->slices[idx].off;
  *len = raw->slices[idx].len;
  return 1;
}

/* Can the file's bytes be used as they lie: kept, aligned for the type,
 * already in host order, and (bool) already 0/1. */
static int usable_in_place(const nn_raw_src *raw, dm_nn_dtype dt, const uint8_t *p, size_t n) {
  size_t s = dm_nn_dtype_size(dt);
  if (!raw || !raw->keep || !n || (uintptr_t)p % s || (!NN_HOST_LE && s > 1)) return 0;
  if (dt == DM_NN_BOOL)
    for (size_t i = 0; i < n; i++)
      if (p[i] > 1) return 0;
  return 1;
}

typedef struct {
  const uint8_t *src;
  float *dst;
} halves_job;

static void halves_piece(void *user, int64_t i0, int64_t i1) {
  const halves_job *j = user;
  nn_halves_to_floats(j->src + 2 * i0, j->dst + i0, (size_t)(i1 - i0));
}

/* float16 to float32 on ctx's threads for a tensor big enough to share
 * (most of ISNet's 44 M values lie in tensors of 0.1-2.4 M). */
static void halves_to_floats(dm_context *ctx, const uint8_t *src, float *dst, size_t n) {
  halves_job j = {src, dst};
  nn_math_parallel(ctx, (int64_t)n, NN_PAR_CHEAP, halves_piece, &j);
}

static dm_status load_raw(dm_context *ctx, const char *file, Onnx__TensorProto *tp,
                          const char *who, nn_raw_src *raw, dm_nn_dtype dt, size_t n,
                          void **out, void **owned) {
  const uint8_t *src = tp->raw_data.data;
  size_t len = tp->raw_data.len, fsize = dm_nn_dtype_size(dt), fbytes = n * fsize;
  int sliced = raw && nn_raw_slice(raw, tp, &src, &len);
  if (raw && !sliced)
    return dm_fail(ctx, DM_ERR_INTERNAL, file, "%s: raw_data lost in the split", who);
  if (len != fbytes)
    return dm_fail(ctx, DM_ERR_FORMAT, file, "%s: raw_data is %zu bytes, dims need %zu", who,
                   len, fbytes);
  nn_load_stats *st = raw ? raw->stats : NULL;
  if (dt == DM_NN_FLOAT16) {
    float *f = nn_pool_take(raw, n * sizeof(float));
    if (!f && !(*owned = f = malloc(n ? n * sizeof(float) : 1))) return nomem(ctx, file, who);
    halves_to_floats(ctx, src, f, n);
    if (st) st->converted += fbytes;
    if (!sliced) { /* done with it: free now, not with the whole model, to lower the peak */
      free(tp->raw_data.data);
      tp->raw_data.data = NULL;
      tp->raw_data.len = 0;
    }
    *out = f;
    return DM_OK;
  }
  if (usable_in_place(raw, dt, src, n)) {
    *out = (void *)src; /* read-only mapping: nothing writes to constants */
    st->in_place += fbytes;
    return DM_OK;
  }
  uint8_t *buf;
  if (!sliced && tp->raw_data.data && fbytes) {
    /* Take the buffer protobuf-c made (plain malloc, see nn_pb_allocator)
     * instead of copying a tensor that may be tens of megabytes. */
    buf = *owned = tp->raw_data.data;
    tp->raw_data.data = NULL;
    tp->raw_data.len = 0;
  } else {
    /* bool has no room in the pool (a 7 makes it a copy; rare and small) */
    if (!(buf = dt == DM_NN_BOOL ? NULL : nn_pool_take(raw, fbytes)) &&
        !(buf = *owned = malloc(fbytes ? fbytes : 1)))
      return nomem(ctx, file, who);
    if (fbytes) memcpy(buf, src, fbytes);
    if (st) st->copied += fbytes;
  }
  fix_in_place(dt, buf, n);
  *out = buf;
  return DM_OK;
}

size_t nn_raw_pool_bytes(const nn_raw_src *raw, const Onnx__TensorProto *tp) {
  const uint8_t *p;
  size_t len, bytes;
  if (!tp->has_data_type || !nn_raw_slice(raw, tp, &p, &len) ||
      (tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL))
    return 0;
  dm_nn_dtype dt = nn_onnx_dtype(tp->data_type);
  if (dt == DM_NN_UNDEFINED || dt == DM_NN_BOOL || len % dm_nn_dtype_size(dt)) return 0;
  if (dt == DM_NN_FLOAT16) bytes = len / 2 * sizeof(float);
  else bytes = usable_in_place(raw, dt, p, len / dm_nn_dtype_size(dt)) ? 0 : len;
  return nn_pool_need(bytes);
}

static dm_status load_external(dm_context *ctx, const char *file, const Onnx__TensorProto *tp,
                               const char *base_dir, const char *who, nn_raw_src *raw,
                               dm_nn_dtype dt, size_t n, void **out) {
  uint8_t *buf = NULL;
  size_t bytes = n * dm_nn_dtype_size(dt);
  dm_status s = nn_read_external(ctx, file, tp, base_dir, who, bytes, &buf);
  if (s != DM_OK) return s;
  if (raw) raw->stats->copied += bytes;
  if (dt == DM_NN_FLOAT16) {
    float *f = malloc(n ? n * sizeof(float) : 1);
    if (!f) {
      free(buf);
      return nomem(ctx, file, who);
    }
    nn_halves_to_floats(buf, f, n);
    free(buf);
    *out = f;
    return DM_OK;
  }
  fix_in_place(dt, buf, n);
  *out = buf;
  return DM_OK;
}

static dm_status load_typed(dm_context *ctx, const char *file, const Onnx__TensorProto *tp,
                            const char *who, dm_nn_dtype dt, size_t n, void **out) {
  const char *field;
  size_t count = typed_count(tp, dt, &field);
  if (count != n) {
    if (!count)
      return dm_fail(ctx, DM_ERR_FORMAT, file, "%s: no data (dims need %zu elements)", who, n);
    return dm_fail(ctx, DM_ERR_FORMAT, file, "%s: %s has %zu values, dims need %zu", who, field,
                   count, n);
  }
  dm_nn_dtype host = dt == DM_NN_FLOAT16 ? DM_NN_FLOAT : dt;
  void *data = malloc(n ? n * dm_nn_dtype_size(host) : 1);
  if (!data) return nomem(ctx, file, who);
  if (n) from_typed(tp, dt, data, n);
  *out = data;
  return DM_OK;
}

dm_status nn_load_tensor(dm_context *ctx, const char *file, Onnx__TensorProto *tp,
                         const char *base_dir, const char *who, nn_raw_src *raw,
                         dm_nn_tensor *t, void **owned) {
  memset(t, 0, sizeof *t);
  void *own_tmp = NULL;
  if (!owned) owned = &own_tmp;
  *owned = NULL;
  int32_t code = tp->has_data_type ? tp->data_type : 0;
  dm_nn_dtype dt = nn_onnx_dtype(code);
  if (dt == DM_NN_UNDEFINED)
    return dm_fail(ctx, DM_ERR_FORMAT, file, "%s: unsupported dtype %s (%d)", who,
                   nn_onnx_type_name(code), (int)code);
  if (tp->segment)
    return dm_fail(ctx, DM_ERR_FORMAT, file, "%s: segmented tensors are not supported", who);
  size_t n = 0;
  dm_status s = load_dims(ctx, file, tp, who, t, &n);
  if (s != DM_OK) return s;
  void *data = NULL;
  if (tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
    s = load_external(ctx, file, tp, base_dir, who, raw, dt, n, &data);
    *owned = data;
  } else if (tp->has_raw_data) {
    s = load_raw(ctx, file, tp, who, raw, dt, n, &data, owned);
  } else {
    s = load_typed(ctx, file, tp, who, dt, n, &data);
    *owned = data;
  }
  if (s != DM_OK) return s;
  t->dtype = dt == DM_NN_FLOAT16 ? DM_NN_FLOAT : dt;
  t->data = data;
  return DM_OK;
}

dm_status nn_tensor_from_pb(dm_context *ctx, const char *name, const void *data, size_t len,
                            dm_nn_tensor *t, char **tensor_name) {
  memset(t, 0, sizeof *t);
  if (tensor_name) *tensor_name = NULL;
  if (!data && len) return dm_fail(ctx, DM_ERR_PARAM, name, "no data");
  ProtobufCAllocator a;
  nn_pb_budget budget;
  nn_pb_allocator(&a, &budget, len);
  Onnx__TensorProto *tp = onnx__tensor_proto__unpack(&a, len, data ? data : (const void *)"");
  if (!tp)
    return dm_fail(ctx, DM_ERR_FORMAT, name, "not an ONNX tensor (protobuf %s)",
                   budget.exceeded ? "structures too large for the file size" : "parse failed");
  char who[256];
  snprintf(who, sizeof who, "tensor '" NN_NAME_MSG "'", nn_str(tp->name));
  dm_status s = nn_load_tensor(ctx, name, tp, NULL, who, NULL, t, NULL);
  if (s == DM_OK && tensor_name && !(*tensor_name = strdup(nn_str(tp->name)))) {
    free(t->data);
    memset(t, 0, sizeof *t);
    s = nomem(ctx, name, who);
  }
  onnx__tensor_proto__free_unpacked(tp, &a);
  return s;
}
