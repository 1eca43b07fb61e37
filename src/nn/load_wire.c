/* Splits a ModelProto's bytes into the structure, for protobuf-c, and the
 * initializers' raw_data, left where they are (in the mapped file).
 *
 * Why: protobuf-c's unpack copies every bytes field into a fresh buffer, so
 * unpacking ISNet copied 88 MB it was about to convert anyway, and a custom
 * allocator cannot avoid the memcpy. So this walks the protobuf wire format
 * just far enough to find field boundaries (tag, wire type, length) along
 * ModelProto.graph (7) -> GraphProto.initializer (5) -> TensorProto.raw_data
 * (9) and writes a skeleton: every byte of the file verbatim except each
 * initializer's raw_data, which becomes a 4-byte marker holding the index of
 * its slice. protobuf-c decodes the skeleton (it still does all the real
 * parsing and validation); the tensor loader reads the slice in place.
 *
 * Only those three fields are rewritten and only with wire type 2: anything
 * else, malformed or not, is copied for protobuf-c to accept or refuse as it
 * would the original. A raw_data given twice keeps the last, as protobuf-c
 * does. Tags, lengths and varints are read with protobuf-c's own rules and
 * limits (fuzz/fuzz_onnx_wire.c holds the two to the same verdicts). */
#include <stdlib.h>
#include <string.h>

#include "nn/load_internal.h"

enum { WT_VARINT = 0, WT_64 = 1, WT_LEN = 2, WT_32 = 5 };
enum { F_MODEL_GRAPH = 7, F_GRAPH_INIT = 5, F_TENSOR_RAW = 9 };

typedef struct wfield {
  uint32_t num, wt;
  size_t start, end;      /* the whole field, tag included */
  size_t body, body_len;  /* WT_LEN payload */
} wfield;

/* Varint of at most `max` bytes at p[*at] (< end). 0 on a bad one. */
static int read_varint(const uint8_t *p, size_t end, size_t *at, int max, uint64_t *v) {
  uint64_t x = 0;
  for (int i = 0; i < max && *at < end; i++) {
    uint8_t b = p[(*at)++];
    x |= (uint64_t)(b & 0x7f) << (7 * i);
    if (!(b & 0x80)) {
      *v = x;
      return 1;
    }
  }
  return 0;
}

/* A field's tag, read exactly as protobuf-c reads it (parse_tag_and_wiretype):
 * at most 5 bytes, a first byte with some tag bits or a continuation, the
 * number kept to 32 bits (high bits dropped, so a long tag may name a field
 * it does not spell). 0 when malformed. */
static int read_tag(const uint8_t *p, size_t end, size_t *at, uint32_t *num, uint32_t *wt) {
  const uint8_t *d = p + *at;
  size_t len = end - *at, max = len > 5 ? 5 : len;
  if (!len || !(d[0] & 0xf8)) return 0;
  uint32_t tag = (uint32_t)(d[0] & 0x7f) >> 3;
  *wt = d[0] & 7u;
  for (size_t i = 0, shift = 4; i < max; i++) {
    if (i) {
      tag |= (uint32_t)(d[i] & 0x7f) << shift;
      shift += 7;
    }
    if (!(d[i] & 0x80)) {
      *num = tag;
      *at += i + 1;
      return 1;
    }
  }
  return 0;
}

/* Next field of the message p[at, end). 0 when malformed. */
static int next_field(const uint8_t *p, size_t at, size_t end, wfield *f) {
  uint64_t len;
  f->start = at;
  if (!read_tag(p, end, &at, &f->num, &f->wt)) return 0;
  f->body = f->body_len = 0;
  switch (f->wt) {
  case WT_VARINT:
    if (!read_varint(p, end, &at, 10, &len)) return 0;
    break;
  case WT_64:
    if (end - at < 8) return 0;
    at += 8;
    break;
  case WT_32:
    if (end - at < 4) return 0;
    at += 4;
    break;
  case WT_LEN:
    if (!read_varint(p, end, &at, 5, &len) || len > end - at) return 0;
    f->body = at;
    f->body_len = (size_t)len;
    at += (size_t)len;
    break;
  default: /* groups: protobuf-c has none */
    return 0;
  }
  f->end = at;
  return 1;
}

/* The writer: out == NULL only measures. */
typedef struct wout {
  uint8_t *out;
  size_t n;
} wout;

static void put(wout *w, const void *src, size_t len) {
  if (w->out && len) memcpy(w->out + w->n, src, len);
  w->n += len;
}

static void put_varint(wout *w, uint64_t v) {
  uint8_t b[10];
  size_t n = 0;
  do {
    b[n] = (uint8_t)(v & 0x7f);
    v >>= 7;
    if (v) b[n] |= 0x80;
    n++;
  } while (v);
  put(w, b, n);
}

/* Field header of a length-delimited field. */
static void put_len_header(wout *w, uint32_t num, size_t len) {
  put_varint(w, (uint64_t)num << 3 | WT_LEN);
  put_varint(w, len);
}

typedef struct wsplit {
  const uint8_t *p;
  nn_slice *slices;     /* NULL while measuring */
  size_t n_slices;
} wsplit;

/* One TensorProto: all fields but raw_data, then the marker if it had one. */
static int emit_tensor(wsplit *s, size_t at, size_t end, wout *w) {
  wfield f;
  int has_raw = 0;
  size_t raw = 0, raw_len = 0;
  while (at < end) {
    if (!next_field(s->p, at, end, &f)) return 0;
    if (f.num == F_TENSOR_RAW && f.wt == WT_LEN) {
      has_raw = 1;
      raw = f.body;
      raw_len = f.body_len;
    } else {
      put(w, s->p + f.start, f.end - f.start);
    }
    at = f.end;
  }
  if (!has_raw) return 1;
  if (s->n_slices > UINT32_MAX) return 0;
  uint32_t idx = (uint32_t)s->n_slices;
  if (s->slices) s->slices[idx] = (nn_slice){raw, raw_len};
  s->n_slices++;
  uint8_t mark[4] = {(uint8_t)idx, (uint8_t)(idx >> 8), (uint8_t)(idx >> 16), (uint8_t)(idx >> 24)};
  put_len_header(w, F_TENSOR_RAW, sizeof mark);
  put(w, mark, sizeof mark);
  return 1;
}

/* A sub-message rewritten by `inner`: its new length, then its bytes. */
typedef int (*emit_fn)(wsplit *s, size_t at, size_t end, wout *w);

static int emit_nested(wsplit *s, const wfield *f, emit_fn inner, wout *w) {
  size_t saved = s->n_slices;
  wout m = {NULL, 0};
  if (!inner(s, f->body, f->body + f->body_len, &m)) return 0;
  s->n_slices = saved; /* measured once, numbered when written */
  put_len_header(w, f->num, m.n);
  wout sub = {w->out ? w->out + w->n : NULL, 0};
  if (!inner(s, f->body, f->body + f->body_len, &sub)) return 0;
  w->n += sub.n;
  return 1;
}

static int emit_graph(wsplit *s, size_t at, size_t end, wout *w) {
  wfield f;
  while (at < end) {
    if (!next_field(s->p, at, end, &f)) return 0;
    if (f.num == F_GRAPH_INIT && f.wt == WT_LEN) {
      if (!emit_nested(s, &f, emit_tensor, w)) return 0;
    } else {
      put(w, s->p + f.start, f.end - f.start);
    }
    at = f.end;
  }
  return 1;
}

static int emit_model(wsplit *s, size_t at, size_t end, wout *w) {
  wfield f;
  while (at < end) {
    if (!next_field(s->p, at, end, &f)) return 0;
    if (f.num == F_MODEL_GRAPH && f.wt == WT_LEN) {
      if (!emit_nested(s, &f, emit_graph, w)) return 0;
    } else {
      put(w, s->p + f.start, f.end - f.start);
    }
    at = f.end;
  }
  return 1;
}

int nn_wire_split(const void *data, size_t len, nn_wire *out) {
  memset(out, 0, sizeof *out);
  wsplit s = {data, NULL, 0};
  wout m = {NULL, 0};
  if (len && !emit_model(&s, 0, len, &m)) return 0;
  /* Measured first: a marker (6 bytes) may replace an empty raw_data (2
   * bytes) and lengthen the enclosing prefixes, so the skeleton of a file
   * without weights can be a little larger than the file. */
  size_t n_slices = s.n_slices;
  out->skeleton = malloc(m.n ? m.n : 1);
  out->slices = malloc((n_slices ? n_slices : 1) * sizeof *out->slices);
  if (!out->skeleton || !out->slices) {
    nn_wire_free(out);
    return -1;
  }
  s.slices = out->slices;
  s.n_slices = 0;
  wout w = {out->skeleton, 0};
  if (len && !emit_model(&s, 0, len, &w)) {
    nn_wire_free(out);
    return 0;
  }
  out->len = w.n;
  out->n_slices = s.n_slices;
  return 1;
}

void nn_wire_free(nn_wire *w) {
  free(w->skeleton);
  free(w->slices);
  memset(w, 0, sizeof *w);
}
