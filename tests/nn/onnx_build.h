/* Builds small ONNX models in memory for the nn tests, with protobuf-c's
 * generated structures, and packs them to bytes (header-only: each test is
 * its own executable). Every allocation goes to the builder and is freed by
 * ob_free.
 *
 *   ob_model b;
 *   ob_init(&b, 8, 13);                          IR 8, opset 13
 *   ob_input(&b, ob_vi(&b, "x", 1, 2, (int64_t[]){-1, 3}));   -1: symbolic
 *   ob_node(&b, "Relu", "r", "x", "y");         inputs/outputs comma-separated
 *   ob_output(&b, ob_vi(&b, "y", 1, -1, NULL));  ndim -1: no shape
 *   bytes = ob_pack(&b, &len); */
#ifndef DM_ONNX_BUILD_H
#define DM_ONNX_BUILD_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/onnx.pb-c.h"

#define OB_MAX 64

typedef struct ob_model {
  void *mem[4096];
  int n_mem;
  Onnx__ModelProto m;
  Onnx__GraphProto g;
  Onnx__OperatorSetIdProto *ops[4];
  Onnx__NodeProto *nodes[OB_MAX];
  Onnx__ValueInfoProto *ins[OB_MAX], *outs[OB_MAX], *vinfo[OB_MAX];
  Onnx__TensorProto *inits[OB_MAX];
} ob_model;

static inline void *ob_alloc(ob_model *b, size_t n) {
  void *p = calloc(1, n ? n : 1);
  if (!p || b->n_mem >= (int)(sizeof b->mem / sizeof b->mem[0])) {
    fprintf(stderr, "onnx_build: out of memory\n");
    exit(1);
  }
  b->mem[b->n_mem++] = p;
  return p;
}

static inline char *ob_str(ob_model *b, const char *s) {
  char *d = ob_alloc(b, strlen(s) + 1);
  memcpy(d, s, strlen(s));
  return d;
}

/* "a,,b" -> {"a", "", "b"}; "" -> no items. */
static inline char **ob_split(ob_model *b, const char *csv, size_t *n) {
  *n = 0;
  if (!*csv) return NULL;
  size_t count = 1;
  for (const char *p = csv; *p; p++) count += *p == ',';
  char **v = ob_alloc(b, count * sizeof *v);
  const char *p = csv;
  for (size_t i = 0; i < count; i++) {
    size_t len = strcspn(p, ",");
    v[i] = ob_alloc(b, len + 1);
    memcpy(v[i], p, len);
    p += len + (p[len] == ',');
  }
  *n = count;
  return v;
}

/* opset <= 0: no opset_import at all. */
static inline void ob_init(ob_model *b, int64_t ir, int64_t opset) {
  memset(b, 0, sizeof *b);
  Onnx__ModelProto m = ONNX__MODEL_PROTO__INIT;
  Onnx__GraphProto g = ONNX__GRAPH_PROTO__INIT;
  b->m = m;
  b->g = g;
  b->m.has_ir_version = 1;
  b->m.ir_version = ir;
  b->m.graph = &b->g;
  b->m.opset_import = b->ops;
  b->g.node = b->nodes;
  b->g.input = b->ins;
  b->g.output = b->outs;
  b->g.value_info = b->vinfo;
  b->g.initializer = b->inits;
  b->g.name = ob_str(b, "test");
  if (opset > 0) {
    Onnx__OperatorSetIdProto *o = ob_alloc(b, sizeof *o);
    Onnx__OperatorSetIdProto init = ONNX__OPERATOR_SET_ID_PROTO__INIT;
    *o = init;
    o->domain = ob_str(b, "");
    o->has_version = 1;
    o->version = opset;
    b->ops[b->m.n_opset_import++] = o;
  }
}

static inline void ob_opset(ob_model *b, const char *domain, int64_t version) {
  Onnx__OperatorSetIdProto *o = ob_alloc(b, sizeof *o);
  Onnx__OperatorSetIdProto init = ONNX__OPERATOR_SET_ID_PROTO__INIT;
  *o = init;
  o->domain = ob_str(b, domain);
  o->has_version = 1;
  o->version = version;
  b->ops[b->m.n_opset_import++] = o;
}

/* A tensor ValueInfo; ndim < 0: no shape; dims[i] < 0: symbolic "N". */
static inline Onnx__ValueInfoProto *ob_vi(ob_model *b, const char *name, int elem, int ndim,
                                          const int64_t *dims) {
  Onnx__ValueInfoProto *vi = ob_alloc(b, sizeof *vi);
  Onnx__TypeProto *tp = ob_alloc(b, sizeof *tp);
  Onnx__TypeProto__Tensor *tt = ob_alloc(b, sizeof *tt);
  Onnx__ValueInfoProto vinit = ONNX__VALUE_INFO_PROTO__INIT;
  Onnx__TypeProto tinit = ONNX__TYPE_PROTO__INIT;
  Onnx__TypeProto__Tensor ttinit = ONNX__TYPE_PROTO__TENSOR__INIT;
  *vi = vinit;
  *tp = tinit;
  *tt = ttinit;
  vi->name = ob_str(b, name);
  vi->type = tp;
  tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  tp->tensor_type = tt;
  tt->has_elem_type = 1;
  tt->elem_type = elem;
  if (ndim >= 0) {
    Onnx__TensorShapeProto *sh = ob_alloc(b, sizeof *sh);
    Onnx__TensorShapeProto shinit = ONNX__TENSOR_SHAPE_PROTO__INIT;
    *sh = shinit;
    sh->n_dim = (size_t)ndim;
    sh->dim = ob_alloc(b, (size_t)ndim * sizeof *sh->dim);
    for (int i = 0; i < ndim; i++) {
      Onnx__TensorShapeProto__Dimension *d = ob_alloc(b, sizeof *d);
      Onnx__TensorShapeProto__Dimension dinit = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__INIT;
      *d = dinit;
      if (dims[i] >= 0) {
        d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        d->dim_value = dims[i];
      } else {
        d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
        d->dim_param = ob_str(b, "N");
      }
      sh->dim[i] = d;
    }
    tt->shape = sh;
  }
  return vi;
}

static inline void ob_input(ob_model *b, Onnx__ValueInfoProto *vi) { b->ins[b->g.n_input++] = vi; }
static inline void ob_output(ob_model *b, Onnx__ValueInfoProto *vi) { b->outs[b->g.n_output++] = vi; }
static inline void ob_value_info(ob_model *b, Onnx__ValueInfoProto *vi) {
  b->vinfo[b->g.n_value_info++] = vi;
}

/* A tensor without data; set raw_data / typed fields / external_data after. */
static inline Onnx__TensorProto *ob_tensor(ob_model *b, const char *name, int dtype, int ndim,
                                           const int64_t *dims) {
  Onnx__TensorProto *t = ob_alloc(b, sizeof *t);
  Onnx__TensorProto init = ONNX__TENSOR_PROTO__INIT;
  *t = init;
  t->name = ob_str(b, name);
  t->has_data_type = 1;
  t->data_type = dtype;
  t->n_dims = (size_t)ndim;
  t->dims = ob_alloc(b, (size_t)ndim * sizeof *t->dims);
  for (int i = 0; i < ndim; i++) t->dims[i] = dims[i];
  return t;
}

static inline void ob_raw(ob_model *b, Onnx__TensorProto *t, const void *data, size_t len) {
  t->has_raw_data = 1;
  t->raw_data.len = len;
  t->raw_data.data = ob_alloc(b, len);
  memcpy(t->raw_data.data, data, len);
}

/* external_data {location, offset, length}; NULL offset/length: absent. */
static inline void ob_external(ob_model *b, Onnx__TensorProto *t, const char *location,
                               const char *offset, const char *length) {
  const char *kv[3][2] = {{"location", location}, {"offset", offset}, {"length", length}};
  t->has_data_location = 1;
  t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
  t->external_data = ob_alloc(b, 3 * sizeof *t->external_data);
  for (int i = 0; i < 3; i++) {
    if (!kv[i][1]) continue;
    Onnx__StringStringEntryProto *e = ob_alloc(b, sizeof *e);
    Onnx__StringStringEntryProto init = ONNX__STRING_STRING_ENTRY_PROTO__INIT;
    *e = init;
    e->key = ob_str(b, kv[i][0]);
    e->value = ob_str(b, kv[i][1]);
    t->external_data[t->n_external_data++] = e;
  }
}

static inline void ob_initializer(ob_model *b, Onnx__TensorProto *t) {
  b->inits[b->g.n_initializer++] = t;
}

static inline Onnx__NodeProto *ob_node(ob_model *b, const char *op, const char *name,
                                       const char *inputs, const char *outputs) {
  Onnx__NodeProto *n = ob_alloc(b, sizeof *n);
  Onnx__NodeProto init = ONNX__NODE_PROTO__INIT;
  *n = init;
  n->op_type = ob_str(b, op);
  if (name) n->name = ob_str(b, name);
  n->input = ob_split(b, inputs, &n->n_input);
  n->output = ob_split(b, outputs, &n->n_output);
  n->attribute = ob_alloc(b, OB_MAX * sizeof *n->attribute);
  b->nodes[b->g.n_node++] = n;
  return n;
}

/* An attribute with its type set; fill the value field after. */
static inline Onnx__AttributeProto *ob_attr(ob_model *b, Onnx__NodeProto *n, const char *name,
                                            Onnx__AttributeProto__AttributeType type) {
  Onnx__AttributeProto *a = ob_alloc(b, sizeof *a);
  Onnx__AttributeProto init = ONNX__ATTRIBUTE_PROTO__INIT;
  *a = init;
  a->name = ob_str(b, name);
  a->has_type = 1;
  a->type = type;
  n->attribute[n->n_attribute++] = a;
  return a;
}

/* An INTS attribute holding v[0..k). */
static inline void ob_attr_ints(ob_model *b, Onnx__NodeProto *n, const char *name, int k, const int64_t *v) {
  Onnx__AttributeProto *a = ob_attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
  a->n_ints = (size_t)k;
  a->ints = ob_alloc(b, (size_t)k * sizeof *a->ints);
  memcpy(a->ints, v, (size_t)k * sizeof *v);
}

/* Upsample `in` -> `out` by scales[0..4) in `mode`: the scales as an
 * attribute below opset 9 (Upsample-7), as an initializer "scales" from 9. */
static inline Onnx__NodeProto *ob_upsample(ob_model *b, int opset, const char *in, const char *out,
                                           const float scales[4], const char *mode) {
  Onnx__NodeProto *u;
  if (opset < 9) {
    u = ob_node(b, "Upsample", "up", in, out);
    Onnx__AttributeProto *a = ob_attr(b, u, "scales", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
    a->n_floats = 4;
    a->floats = ob_alloc(b, 4 * sizeof *a->floats);
    memcpy(a->floats, scales, 4 * sizeof *scales);
  } else {
    Onnx__TensorProto *t = ob_tensor(b, "scales", 1, 1, (const int64_t[]){4});
    ob_raw(b, t, scales, 4 * sizeof *scales);
    ob_initializer(b, t);
    char ins[256];
    snprintf(ins, sizeof ins, "%s,scales", in);
    u = ob_node(b, "Upsample", "up", ins, out);
  }
  Onnx__AttributeProto *m = ob_attr(b, u, "mode", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
  m->has_s = 1;
  m->s.data = (uint8_t *)ob_str(b, mode);
  m->s.len = strlen(mode);
  return u;
}

/* The packed model (malloc'd; the caller frees it). */
static inline uint8_t *ob_pack(const ob_model *b, size_t *len) {
  *len = onnx__model_proto__get_packed_size(&b->m);
  uint8_t *buf = malloc(*len ? *len : 1);
  if (!buf) exit(1);
  onnx__model_proto__pack(&b->m, buf);
  return buf;
}

static inline uint8_t *ob_pack_tensor(const Onnx__TensorProto *t, size_t *len) {
  *len = onnx__tensor_proto__get_packed_size(t);
  uint8_t *buf = malloc(*len ? *len : 1);
  if (!buf) exit(1);
  onnx__tensor_proto__pack(t, buf);
  return buf;
}

static inline void ob_free(ob_model *b) {
  for (int i = 0; i < b->n_mem; i++) free(b->mem[i]);
  b->n_mem = 0;
}

#endif
