/* NumPy .npy reader and writer. The header is a Python dict literal; we
 * accept exactly what numpy writes for the element types we know (plus
 * harmless whitespace and quote-style variations) and refuse the rest with
 * a message that says what was wrong. */
#include "nn/npy.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"

static const unsigned char npy_magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

static const struct {
  const char *descr;
  dm_nn_dtype dtype;
} npy_types[] = {
    {"<f4", DM_NN_FLOAT}, {"<f8", DM_NN_DOUBLE}, {"<f2", DM_NN_FLOAT16}, {"<i8", DM_NN_INT64},
    {"<i4", DM_NN_INT32}, {"|i1", DM_NN_INT8},   {"|u1", DM_NN_UINT8},   {"|b1", DM_NN_BOOL},
};

static const char *descr_of(dm_nn_dtype t) {
  for (size_t i = 0; i < sizeof npy_types / sizeof npy_types[0]; i++)
    if (npy_types[i].dtype == t) return npy_types[i].descr;
  return NULL;
}

/* .npy data is little-endian; a big-endian host swaps each element. */
static void to_little_endian(void *data, size_t n, size_t size) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  unsigned char *p = data;
  for (size_t i = 0; i < n; i++, p += size)
    for (size_t a = 0, b = size - 1; a < b; a++, b--) {
      unsigned char c = p[a];
      p[a] = p[b];
      p[b] = c;
    }
#else
  (void)data, (void)n, (void)size;
#endif
}

/* ---- header parsing ---------------------------------------------------- */

typedef struct npy_cursor {
  const char *p, *end;
} npy_cursor;

typedef struct npy_header {
  dm_nn_dtype dtype;
  int ndim;
  int64_t dims[DM_NN_MAX_DIMS];
  size_t data_offset, data_bytes;
} npy_header;

static void skip_ws(npy_cursor *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) c->p++;
}

static int eat(npy_cursor *c, char ch) {
  skip_ws(c);
  if (c->p < c->end && *c->p == ch) {
    c->p++;
    return 1;
  }
  return 0;
}

/* A quoted string without escapes ('...' or "..."), copied into buf. */
static int read_string(npy_cursor *c, char *buf, size_t cap) {
  skip_ws(c);
  if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return 0;
  char q = *c->p++;
  size_t n = 0;
  while (c->p < c->end && *c->p != q) {
    if (*c->p == '\\' || n + 1 >= cap) return 0;
    buf[n++] = *c->p++;
  }
  if (c->p >= c->end) return 0;
  c->p++;
  buf[n] = 0;
  return 1;
}

static int read_word(npy_cursor *c, const char *word) {
  skip_ws(c);
  size_t n = strlen(word);
  if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n)) return 0;
  const char *after = c->p + n;
  if (after < c->end && ((*after >= 'A' && *after <= 'Z') || (*after >= 'a' && *after <= 'z') ||
                         (*after >= '0' && *after <= '9') || *after == '_'))
    return 0;
  c->p = after;
  return 1;
}

/* "(d0, d1, ...)": non-negative decimal integers; a 1-tuple needs its comma. */
static const char *read_shape(npy_cursor *c, npy_header *h) {
  if (!eat(c, '(')) return "shape is not a tuple";
  h->ndim = 0;
  int trailing_comma = 0;
  for (;;) {
    skip_ws(c);
    if (eat(c, ')')) break;
    if (h->ndim > 0 && !trailing_comma) return "malformed shape tuple";
    if (h->ndim == DM_NN_MAX_DIMS) return "shape has more than 8 dimensions";
    if (c->p >= c->end || *c->p < '0' || *c->p > '9') return "malformed shape tuple";
    int64_t v = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
      if (v > (INT64_MAX - 9) / 10) return "shape dimension too large";
      v = v * 10 + (*c->p++ - '0');
    }
    h->dims[h->ndim++] = v;
    trailing_comma = eat(c, ',');
  }
  if (h->ndim == 1 && !trailing_comma) return "malformed shape tuple (a 1-tuple needs a comma)";
  return NULL;
}

/* The dict between the braces: descr, fortran_order, shape, once each. */
static const char *read_dict(npy_cursor *c, npy_header *h, char *detail, size_t cap) {
  int have_descr = 0, have_order = 0, have_shape = 0;
  if (!eat(c, '{')) return "header is not a dict";
  for (;;) {
    if (eat(c, '}')) break;
    char key[32], val[32];
    if (!read_string(c, key, sizeof key)) return "malformed header dict";
    if (!eat(c, ':')) return "malformed header dict";
    if (!strcmp(key, "descr")) {
      if (have_descr++) return "duplicate key 'descr'";
      if (!read_string(c, val, sizeof val)) return "descr is not a string";
      h->dtype = DM_NN_UNDEFINED;
      for (size_t i = 0; i < sizeof npy_types / sizeof npy_types[0]; i++)
        if (!strcmp(val, npy_types[i].descr)) h->dtype = npy_types[i].dtype;
      if (h->dtype == DM_NN_UNDEFINED) {
        snprintf(detail, cap, "unsupported dtype '%s'", val);
        return detail;
      }
    } else if (!strcmp(key, "fortran_order")) {
      if (have_order++) return "duplicate key 'fortran_order'";
      if (read_word(c, "True")) return "fortran_order True is not supported (save a C-order array)";
      if (!read_word(c, "False")) return "fortran_order is not True or False";
    } else if (!strcmp(key, "shape")) {
      if (have_shape++) return "duplicate key 'shape'";
      const char *e = read_shape(c, h);
      if (e) return e;
    } else {
      snprintf(detail, cap, "unknown key '%s' in header", key);
      return detail;
    }
    if (eat(c, '}')) break;
    if (!eat(c, ',')) return "malformed header dict";
  }
  if (!have_descr) return "header lacks 'descr'";
  if (!have_order) return "header lacks 'fortran_order'";
  if (!have_shape) return "header lacks 'shape'";
  skip_ws(c);
  if (c->p != c->end) return "text after the header dict";
  return NULL;
}

static dm_status parse_header(dm_context *ctx, const char *name, const unsigned char *b, size_t len,
                              npy_header *h) {
  memset(h, 0, sizeof *h);
  if (len < 10 || memcmp(b, npy_magic, sizeof npy_magic))
    return dm_fail(ctx, DM_ERR_FORMAT, name, "not a .npy file");
  unsigned major = b[6], minor = b[7];
  size_t start, hlen;
  if (major == 1 && minor == 0) {
    hlen = (size_t)b[8] | (size_t)b[9] << 8;
    start = 10;
  } else if ((major == 2 || major == 3) && minor == 0) {
    if (len < 12) return dm_fail(ctx, DM_ERR_FORMAT, name, "truncated .npy header");
    hlen = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
    start = 12;
  } else {
    return dm_fail(ctx, DM_ERR_FORMAT, name, "unsupported .npy version %u.%u", major, minor);
  }
  if (hlen > len - start)
    return dm_fail(ctx, DM_ERR_FORMAT, name, "header length %zu runs past the end of the file",
                   hlen);
  const char *text = (const char *)b + start;
  if (hlen == 0 || text[hlen - 1] != '\n')
    return dm_fail(ctx, DM_ERR_FORMAT, name, "header does not end with a newline");
  /* Our keys and values are ASCII; anything else cannot be a header we read. */
  for (size_t i = 0; i < hlen; i++)
    if ((unsigned char)text[i] > 126 || ((unsigned char)text[i] < 32 && text[i] != '\n' &&
                                         text[i] != '\t' && text[i] != '\r'))
      return dm_fail(ctx, DM_ERR_FORMAT, name, "header has a non-ASCII byte at offset %zu",
                     start + i);
  npy_cursor c = {text, text + hlen};
  char detail[96];
  const char *err = read_dict(&c, h, detail, sizeof detail);
  if (err) return dm_fail(ctx, DM_ERR_FORMAT, name, "%s", err);

  dm_nn_tensor shape = {.dtype = h->dtype, .ndim = h->ndim};
  memcpy(shape.dims, h->dims, sizeof h->dims);
  int64_t numel = dm_nn_numel(&shape);
  size_t esize = dm_nn_dtype_size(h->dtype);
  if (numel < 0 || (uint64_t)numel > SIZE_MAX / esize)
    return dm_fail(ctx, DM_ERR_FORMAT, name, "shape has too many elements");
  h->data_offset = start + hlen;
  h->data_bytes = (size_t)numel * esize;
  if (len - h->data_offset != h->data_bytes)
    return dm_fail(ctx, DM_ERR_FORMAT, name, "data is %zu bytes, the shape needs %zu",
                   len - h->data_offset, h->data_bytes);
  if (h->dtype == DM_NN_BOOL) {
    const unsigned char *d = b + h->data_offset;
    for (size_t i = 0; i < h->data_bytes; i++)
      if (d[i] > 1) return dm_fail(ctx, DM_ERR_FORMAT, name, "bool element %zu is not 0 or 1", i);
  }
  return DM_OK;
}

static void fill_tensor(const npy_header *h, void *data, dm_nn_tensor *t) {
  memset(t, 0, sizeof *t);
  t->dtype = h->dtype;
  t->ndim = h->ndim;
  memcpy(t->dims, h->dims, sizeof h->dims);
  t->data = data;
  to_little_endian(data, h->data_bytes / dm_nn_dtype_size(h->dtype), dm_nn_dtype_size(h->dtype));
}

dm_status dm_npy_parse(dm_context *ctx, const char *name, const void *data, size_t len,
                       dm_nn_tensor *t) {
  memset(t, 0, sizeof *t);
  npy_header h;
  dm_status s = parse_header(ctx, name, data, len, &h);
  if (s) return s;
  void *copy = malloc(h.data_bytes ? h.data_bytes : 1);
  if (!copy) return dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory");
  memcpy(copy, (const unsigned char *)data + h.data_offset, h.data_bytes);
  fill_tensor(&h, copy, t);
  return DM_OK;
}

dm_status dm_npy_read(dm_context *ctx, const char *path, dm_nn_tensor *t) {
  memset(t, 0, sizeof *t);
  unsigned char *buf;
  size_t len;
  dm_status s = dm_read_file(ctx, path, DM_NPY_MAX_BYTES, &buf, &len);
  if (s) return s;
  npy_header h;
  if ((s = parse_header(ctx, path, buf, len, &h))) {
    free(buf);
    return s;
  }
  /* Reuse the file buffer: slide the elements to its start. */
  memmove(buf, buf + h.data_offset, h.data_bytes);
  unsigned char *shrunk = realloc(buf, h.data_bytes ? h.data_bytes : 1);
  fill_tensor(&h, shrunk ? shrunk : buf, t);
  return DM_OK;
}

/* ---- writing ----------------------------------------------------------- */

/* The header numpy itself would write: the dict, space padding so the data
 * starts on a 64-byte boundary, and a newline. Returns its length (prefix
 * included) or 0 if the tensor cannot be written. */
static size_t make_header(dm_context *ctx, const char *name, const dm_nn_tensor *t, char *out,
                          size_t cap, size_t *data_bytes) {
  const char *descr = descr_of(t->dtype);
  if (!descr) {
    dm_fail(ctx, DM_ERR_PARAM, name, "cannot write dtype %s to .npy", dm_nn_dtype_name(t->dtype));
    return 0;
  }
  int64_t numel = dm_nn_numel(t);
  if (numel < 0 || (uint64_t)numel > SIZE_MAX / dm_nn_dtype_size(t->dtype)) {
    dm_fail(ctx, DM_ERR_PARAM, name, "invalid tensor shape");
    return 0;
  }
  *data_bytes = (size_t)numel * dm_nn_dtype_size(t->dtype);
  if (*data_bytes && !t->data) {
    dm_fail(ctx, DM_ERR_PARAM, name, "tensor has no data");
    return 0;
  }
  char dict[512];
  int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
  for (int i = 0; i < t->ndim; i++)
    n += snprintf(dict + n, sizeof dict - (size_t)n, "%s%lld", i ? ", " : "", (long long)t->dims[i]);
  n += snprintf(dict + n, sizeof dict - (size_t)n, "%s), }", t->ndim == 1 ? "," : "");
  size_t total = 10 + (size_t)n + 1;
  total = (total + 63) / 64 * 64;
  if (total > cap) { /* cannot happen with at most 8 dims; kept as a guard */
    dm_fail(ctx, DM_ERR_INTERNAL, name, ".npy header too long");
    return 0;
  }
  size_t hlen = total - 10;
  memcpy(out, npy_magic, sizeof npy_magic);
  out[6] = 1;
  out[7] = 0;
  out[8] = (char)(hlen & 0xff);
  out[9] = (char)(hlen >> 8);
  memcpy(out + 10, dict, (size_t)n);
  memset(out + 10 + n, ' ', hlen - (size_t)n - 1);
  out[total - 1] = '\n';
  return total;
}

dm_status dm_npy_encode(dm_context *ctx, const dm_nn_tensor *t, unsigned char **out, size_t *len) {
  *out = NULL;
  *len = 0;
  char hdr[640];
  size_t bytes, hn = make_header(ctx, "npy", t, hdr, sizeof hdr, &bytes);
  if (!hn) return DM_ERR_PARAM;
  if (bytes > SIZE_MAX - hn) return dm_fail(ctx, DM_ERR_PARAM, "npy", "tensor too large");
  unsigned char *buf = malloc(hn + bytes);
  if (!buf) return dm_fail(ctx, DM_ERR_NOMEM, "npy", "out of memory");
  memcpy(buf, hdr, hn);
  if (bytes) memcpy(buf + hn, t->data, bytes);
  size_t es = dm_nn_dtype_size(t->dtype);
  to_little_endian(buf + hn, bytes / es, es);
  *out = buf;
  *len = hn + bytes;
  return DM_OK;
}

dm_status dm_npy_write(dm_context *ctx, const char *path, const dm_nn_tensor *t) {
  char hdr[640];
  size_t bytes, hn = make_header(ctx, path, t, hdr, sizeof hdr, &bytes);
  if (!hn) return DM_ERR_PARAM;
  dm_atomic_file af;
  dm_status s = dm_atomic_open(ctx, &af, path);
  if (s) return s;
  int ok = fwrite(hdr, 1, hn, af.fp) == hn;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  /* Swap through a small buffer rather than a copy of the whole tensor. */
  size_t es = dm_nn_dtype_size(t->dtype);
  unsigned char chunk[65536];
  for (size_t off = 0; ok && off < bytes; off += sizeof chunk) {
    size_t n = bytes - off < sizeof chunk ? bytes - off : sizeof chunk;
    memcpy(chunk, (const unsigned char *)t->data + off, n);
    to_little_endian(chunk, n / es, es);
    ok = fwrite(chunk, 1, n, af.fp) == n;
  }
#else
  if (ok && bytes) ok = fwrite(t->data, 1, bytes, af.fp) == bytes;
#endif
  if (!ok) {
    dm_atomic_abort(&af);
    return dm_fail(ctx, DM_ERR_IO, path, "write failed");
  }
  return dm_atomic_commit(ctx, &af);
}
