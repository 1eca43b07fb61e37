/* Small shared pieces of the runtime: dtype sizes, attribute lookup, error
 * messages naming the node, fused activations, broadcasting, float16. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nn/nn_internal.h"

size_t dm_nn_dtype_size(dm_nn_dtype t) {
  switch (t) {
  case DM_NN_FLOAT: case DM_NN_INT32: return 4;
  case DM_NN_UINT8: case DM_NN_INT8: case DM_NN_BOOL: return 1;
  case DM_NN_INT64: case DM_NN_DOUBLE: return 8;
  case DM_NN_FLOAT16: return 2;
  default: return 0;
  }
}

const char *dm_nn_dtype_name(dm_nn_dtype t) {
  switch (t) {
  case DM_NN_FLOAT: return "float32";
  case DM_NN_UINT8: return "uint8";
  case DM_NN_INT8: return "int8";
  case DM_NN_INT32: return "int32";
  case DM_NN_INT64: return "int64";
  case DM_NN_BOOL: return "bool";
  case DM_NN_FLOAT16: return "float16";
  case DM_NN_DOUBLE: return "float64";
  default: return "unsupported";
  }
}

int64_t dm_nn_numel(const dm_nn_tensor *t) {
  if (t->ndim < 0 || t->ndim > DM_NN_MAX_DIMS) return -1;
  int64_t n = 1;
  for (int i = 0; i < t->ndim; i++) {
    int64_t d = t->dims[i];
    if (d < 0) return -1;
    if (d && n > NN_MAX_ELEMS / d) return -1;
    n *= d;
  }
  return n;
}

const nn_attr *nn_attr_find(const nn_node *n, const char *name) {
  for (int i = 0; i < n->n_attrs; i++)
    if (!strcmp(n->attrs[i].name, name)) return &n->attrs[i];
  return NULL;
}

int64_t nn_attr_int(const nn_node *n, const char *name, int64_t def) {
  const nn_attr *a = nn_attr_find(n, name);
  return a && a->type == NN_ATTR_INT ? a->i : def;
}

float nn_attr_float(const nn_node *n, const char *name, float def) {
  const nn_attr *a = nn_attr_find(n, name);
  return a && a->type == NN_ATTR_FLOAT ? a->f : def;
}

const char *nn_attr_string(const nn_node *n, const char *name, const char *def) {
  const nn_attr *a = nn_attr_find(n, name);
  return a && a->type == NN_ATTR_STRING ? a->s : def;
}

const int64_t *nn_attr_ints(const nn_node *n, const char *name, size_t *len) {
  const nn_attr *a = nn_attr_find(n, name);
  if (!a || a->type != NN_ATTR_INTS) { *len = 0; return NULL; }
  *len = a->n;
  return a->ints;
}

const float *nn_attr_floats(const nn_node *n, const char *name, size_t *len) {
  const nn_attr *a = nn_attr_find(n, name);
  if (!a || a->type != NN_ATTR_FLOATS) { *len = 0; return NULL; }
  *len = a->n;
  return a->floats;
}

dm_status nn_fail(nn_kctx *k, dm_status s, const char *fmt, ...) {
  char msg[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return dm_fail(k->ctx, s, k->graph ? k->graph->name : NULL, "node '%s' (%s): %s",
                 k->node->name, k->node->op_type, msg);
}

void nn_act_apply(const nn_act *a, float *x, size_t n) {
  if (a->kind == NN_ACT_RELU) {
    for (size_t i = 0; i < n; i++) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
  } else if (a->kind == NN_ACT_CLIP) {
    const float lo = a->lo, hi = a->hi;
    for (size_t i = 0; i < n; i++) x[i] = x[i] < lo ? lo : (x[i] > hi ? hi : x[i]);
  }
}

int nn_broadcast_shape(const dm_nn_tensor *a, const dm_nn_tensor *b, dm_nn_tensor *out) {
  int r = a->ndim > b->ndim ? a->ndim : b->ndim;
  if (r > DM_NN_MAX_DIMS) return 0;
  for (int i = 0; i < r; i++) {
    int ia = i - (r - a->ndim), ib = i - (r - b->ndim);
    int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
    if (da != db && da != 1 && db != 1) return 0;
    out->dims[i] = da == 1 ? db : da;
  }
  out->ndim = r;
  return 1;
}

float nn_half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
  if (exp == 0) {
    if (man == 0) {
      bits = sign;
    } else { /* subnormal: renormalise */
      float f = ldexpf((float)man, -24);
      return sign ? -f : f;
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (man << 13);
  } else {
    bits = sign | ((exp + 112) << 23) | (man << 13);
  }
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

uint16_t nn_float_to_half(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000, exp = (x >> 23) & 0xff, man = x & 0x7fffff;
  if (exp == 0xff) return (uint16_t)(sign | 0x7c00 | (man ? 0x200 : 0));
  int e = (int)exp - 127 + 15;
  if (e >= 31) return (uint16_t)(sign | 0x7c00);
  if (e <= 0) {
    if (e < -10) return (uint16_t)sign;
    man |= 0x800000;
    int shift = 14 - e;
    uint32_t h = man >> shift, rem = man & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (h & 1))) h++;
    return (uint16_t)(sign | h);
  }
  uint32_t h = ((uint32_t)e << 10) | (man >> 13), rem = man & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h++; /* round to nearest even; may carry into exp */
  return (uint16_t)(sign | h);
}
