/* Loading a model file without copying it (load_map.c, load_wire.c):
 * initializers whose bytes need nothing done are used where they lie in the
 * mapped file, float16 ones are converted straight from it into one block,
 * and the counters say so, so a change that falls back to copying fails
 * here. Also the wire-level splitter against protobuf-c's own reading of
 * odd but valid files (raw_data given twice, the graph given twice) and
 * broken ones, and ISNet itself when it is installed: 88 MB of float16,
 * nothing copied. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "dm_test.h"
#include "nn/nn_internal.h"
#include "onnx_build.h"

enum { F32 = 1, I64 = 7, BOOL_ = 9, F16 = 10 };

static const char *tmp;

static void write_file(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  CHECK(f && fwrite(data, 1, len, f) == len);
  if (f) fclose(f);
}

static int find(const nn_graph *g, const char *name) {
  for (int i = 0; i < g->n_values; i++)
    if (!strcmp(g->values[i].name, name)) return i;
  return -1;
}

static int inside(const void *p, const void *base, size_t len) {
  return (const uint8_t *)p >= (const uint8_t *)base && (const uint8_t *)p < (const uint8_t *)base + len;
}

/* y = x + W, W float[n] named so that its bytes start at a multiple of
 * `align` in the packed file (or one byte past one when `misalign`).
 * Returns the packed file. */
static uint8_t *add_model(const float *w, int n, size_t align, int misalign, size_t *len) {
  for (int pad = 1; pad < 64; pad++) {
    char name[80];
    memset(name, 'W', (size_t)pad);
    name[pad] = 0;
    char ins[100];
    snprintf(ins, sizeof ins, "x,%s", name);
    ob_model b;
    ob_init(&b, 8, 13);
    ob_input(&b, ob_vi(&b, "x", F32, 1, (int64_t[]){n}));
    Onnx__TensorProto *t = ob_tensor(&b, name, F32, 1, (int64_t[]){n});
    ob_raw(&b, t, w, (size_t)n * sizeof(float));
    ob_initializer(&b, t);
    ob_node(&b, "Add", "add", ins, "y");
    ob_output(&b, ob_vi(&b, "y", F32, 1, (int64_t[]){n}));
    uint8_t *buf = ob_pack(&b, len);
    ob_free(&b);
    uint8_t *at = memmem(buf, *len, w, (size_t)n * sizeof(float));
    if (at && (size_t)(at - buf) % align == (misalign ? 1u : 0u)) return buf;
    free(buf);
  }
  return NULL;
}

static void test_in_place(dm_context *ctx) {
  float w[6] = {1.5f, -2.0f, 4.0f, 0.25f, 1e-3f, -7.0f};
  char path[4200];
  snprintf(path, sizeof path, "%s/aligned.onnx", tmp);
  size_t len;
  uint8_t *buf = add_model(w, 6, 16, 0, &len);
  CHECK(buf != NULL);
  if (!buf) return;
  write_file(path, buf, len);
  free(buf);
  nn_graph g;
  CHECK_OK(ctx, nn_graph_load_file(ctx, path, &g));
  int v = find(&g, "W");
  for (int i = 1; v < 0 && i < g.n_values; i++)
    if (g.values[i].is_initializer) v = i;
  CHECK(v >= 0);
  if (v >= 0) {
    const nn_value *wv = &g.values[v];
    CHECK(g.file.mapped && g.file.len == len);
    CHECK(inside(wv->t.data, g.file.data, g.file.len)); /* no copy: the file's own bytes */
    CHECK(wv->owned == NULL && !memcmp(wv->t.data, w, sizeof w));
  }
  CHECK(g.stats.in_place == sizeof w && g.stats.copied == 0 && g.stats.converted == 0);
  nn_graph_free(&g);
  CHECK(!g.file.data && !g.values);

  /* The same through the public API, and a run reading the mapped weights. */
  dm_nn_model *m = NULL;
  CHECK_OK(ctx, dm_nn_load(ctx, path, &m));
  if (m) {
    float x[6] = {1, 2, 3, 4, 5, 6};
    dm_nn_tensor in = {DM_NN_FLOAT, 1, {6}, x}, out[1];
    CHECK_OK(ctx, dm_nn_run(ctx, m, &in, out, NULL));
    for (int i = 0; i < 6 && out[0].data; i++) CHECK(((float *)out[0].data)[i] == x[i] + w[i]);
    free(out[0].data);
    dm_nn_free(m);
  }

  /* One byte off: the bytes are copied (and counted) into the graph's one
   * weights block, the values the same. */
  buf = add_model(w, 6, 4, 1, &len);
  CHECK(buf != NULL);
  if (!buf) return;
  snprintf(path, sizeof path, "%s/unaligned.onnx", tmp);
  write_file(path, buf, len);
  free(buf);
  CHECK_OK(ctx, nn_graph_load_file(ctx, path, &g));
  for (int i = 0; i < g.n_values; i++)
    if (g.values[i].is_initializer) {
      CHECK(g.values[i].owned == NULL && g.values[i].t.data == g.weights);
      CHECK(!memcmp(g.values[i].t.data, w, sizeof w));
    }
  CHECK(g.stats.copied == sizeof w && g.stats.in_place == 0);
  CHECK(!g.file.data); /* nothing points into it: not kept */
  nn_graph_free(&g);
}

/* float16 and the other raw types from a file: converted from the mapping
 * into the one block, bool normalised, int64 in place when aligned. */
static void test_types(dm_context *ctx) {
  ob_model b;
  ob_init(&b, 8, 13);
  uint16_t h[5] = {nn_float_to_half(1.0f), nn_float_to_half(-0.5f), 0x7c00, 0x0001, 0x8000};
  Onnx__TensorProto *t = ob_tensor(&b, "h", F16, 1, (int64_t[]){5});
  ob_raw(&b, t, h, sizeof h);
  ob_initializer(&b, t);
  t = ob_tensor(&b, "h2", F16, 2, (int64_t[]){1, 3});
  ob_raw(&b, t, h, 6);
  ob_initializer(&b, t);
  t = ob_tensor(&b, "b", BOOL_, 1, (int64_t[]){3});
  ob_raw(&b, t, (uint8_t[]){0, 1, 7}, 3);
  ob_initializer(&b, t);
  t = ob_tensor(&b, "e", F32, 1, (int64_t[]){0}); /* empty raw_data */
  ob_raw(&b, t, "", 0);
  ob_initializer(&b, t);
  ob_node(&b, "Identity", "id", "h", "y");
  ob_output(&b, ob_vi(&b, "y", F32, -1, NULL));
  size_t len;
  uint8_t *buf = ob_pack(&b, &len);
  ob_free(&b);
  char path[4200];
  snprintf(path, sizeof path, "%s/types.onnx", tmp);
  write_file(path, buf, len);
  free(buf);
  nn_graph g;
  CHECK_OK(ctx, nn_graph_load_file(ctx, path, &g));
  const nn_value *hv = &g.values[find(&g, "h")], *h2 = &g.values[find(&g, "h2")];
  const float *f = hv->t.data;
  CHECK(hv->t.dtype == DM_NN_FLOAT && f[0] == 1.0f && f[1] == -0.5f && f[2] > 3e38f);
  CHECK(f[3] == nn_half_to_float(1) && f[4] == 0.0f && signbit(f[4]));
  /* both in the one float16 block, not owned one by one */
  CHECK(g.weights && hv->owned == NULL && h2->owned == NULL);
  CHECK(hv->t.data == g.weights && (uint8_t *)h2->t.data >= (uint8_t *)g.weights + 64);
  CHECK(inside(h2->t.data, g.weights, g.weights_len) && (uintptr_t)h2->t.data % 64 == 0);
  const uint8_t *bo = g.values[find(&g, "b")].t.data;
  CHECK(bo[0] == 0 && bo[1] == 1 && bo[2] == 1); /* 7 -> 1: copied, not in place */
  CHECK(g.values[find(&g, "e")].t.data != NULL && g.values[find(&g, "e")].t.dims[0] == 0);
  CHECK(g.stats.converted == 16 && g.stats.copied == 3 && g.stats.in_place == 0);
  nn_graph_free(&g);
}

/* ---- hand-written wire bytes for the splitter ---------------------------- */

typedef struct wbuf {
  uint8_t b[1024];
  size_t n;
} wbuf;

static void w_varint(wbuf *w, uint64_t v) {
  do {
    w->b[w->n++] = (uint8_t)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
    v >>= 7;
  } while (v);
}
static void w_int(wbuf *w, int num, uint64_t v) {
  w_varint(w, (uint64_t)num << 3);
  w_varint(w, v);
}
static void w_bytes(wbuf *w, int num, const void *p, size_t len) {
  w_varint(w, (uint64_t)num << 3 | 2);
  w_varint(w, len);
  memcpy(w->b + w->n, p, len);
  w->n += len;
}
static void w_sub(wbuf *w, int num, const wbuf *sub) { w_bytes(w, num, sub->b, sub->n); }

/* TensorProto float[n] named `name` with raw_data `raw` (several when given
 * again with a non-NULL raw2). */
static void w_tensor(wbuf *t, const char *name, int n, const float *raw, const float *raw2) {
  t->n = 0;
  w_int(t, 1, (uint64_t)n);                        /* dims */
  w_int(t, 2, F32);                                /* data_type */
  if (raw) w_bytes(t, 9, raw, (size_t)n * 4);      /* raw_data */
  w_bytes(t, 8, name, strlen(name));               /* name */
  if (raw2) w_bytes(t, 9, raw2, (size_t)n * 4);    /* raw_data again: the last wins */
}

/* Identity node in -> "y", output "y". */
static void w_tail(wbuf *g, const char *in) {
  wbuf node = {.n = 0}, out = {.n = 0};
  w_bytes(&node, 1, in, strlen(in));
  w_bytes(&node, 2, "y", 1);
  w_bytes(&node, 4, "Identity", 8);
  w_sub(g, 1, &node);
  w_bytes(&out, 1, "y", 1);
  w_sub(g, 12, &out);
}

static void w_model(wbuf *m, const wbuf *g1, const wbuf *g2) {
  wbuf op = {.n = 0};
  m->n = 0;
  w_int(m, 1, 8); /* ir_version */
  w_int(&op, 2, 13);
  w_sub(m, 8, &op); /* opset_import */
  w_sub(m, 7, g1);
  if (g2) w_sub(m, 7, g2);
}

static void test_wire(dm_context *ctx) {
  float a[2] = {1, 2}, c[2] = {3, 4}, one = 5;
  wbuf t = {.n = 0}, g = {.n = 0}, g2 = {.n = 0}, m = {.n = 0};
  nn_graph gr;

  /* raw_data twice: the last one, as protobuf-c itself reads it. */
  w_tensor(&t, "W", 2, a, c);
  w_sub(&g, 5, &t);
  w_tail(&g, "W");
  w_model(&m, &g, NULL);
  Onnx__ModelProto *mp = onnx__model_proto__unpack(NULL, m.n, m.b);
  CHECK(mp && mp->graph && mp->graph->n_initializer == 1 &&
        !memcmp(mp->graph->initializer[0]->raw_data.data, c, 8));
  if (mp) onnx__model_proto__free_unpacked(mp, NULL);
  CHECK_OK(ctx, nn_graph_load(ctx, "twice.onnx", m.b, m.n, NULL, &gr));
  CHECK(!memcmp(gr.values[find(&gr, "W")].t.data, c, 8));
  nn_graph_free(&gr);

  /* The graph given twice: protobuf-c merges them, initializers in order;
   * each keeps its own bytes. A 4-byte raw_data is not taken for a marker. */
  g.n = g2.n = 0;
  w_tensor(&t, "A", 2, a, NULL);
  w_sub(&g, 5, &t);
  w_tensor(&t, "B", 1, &one, NULL);
  w_sub(&g2, 5, &t);
  w_tensor(&t, "C", 2, c, NULL);
  w_sub(&g2, 5, &t);
  w_tail(&g2, "C");
  w_model(&m, &g, &g2);
  CHECK_OK(ctx, nn_graph_load(ctx, "merged.onnx", m.b, m.n, NULL, &gr));
  int ia = find(&gr, "A"), ib = find(&gr, "B"), ic = find(&gr, "C");
  CHECK(ia >= 0 && ib >= 0 && ic >= 0);
  if (ia >= 0 && ib >= 0 && ic >= 0) {
    CHECK(!memcmp(gr.values[ia].t.data, a, 8) && !memcmp(gr.values[ic].t.data, c, 8));
    CHECK(*(float *)gr.values[ib].t.data == 5.0f);
  }
  nn_graph_free(&gr);

  /* raw_data under a 5-byte tag (non-minimal, still field 9): cut like any. */
  g.n = t.n = 0;
  w_int(&t, 1, 2);
  w_int(&t, 2, F32);
  w_bytes(&t, 8, "W", 1);
  memcpy(t.b + t.n, "\xca\x80\x80\x80\x00\x08", 6);
  t.n += 6;
  memcpy(t.b + t.n, c, 8);
  t.n += 8;
  w_sub(&g, 5, &t);
  w_tail(&g, "W");
  w_model(&m, &g, NULL);
  CHECK_OK(ctx, nn_graph_load(ctx, "longtag.onnx", m.b, m.n, NULL, &gr));
  CHECK(!memcmp(gr.values[find(&gr, "W")].t.data, c, 8));
  nn_graph_free(&gr);
  /* A tag whose high bits fall off 32 bits: protobuf-c reads an unknown
   * field (then finds no graph), and so must the splitter (found by
   * fuzz_onnx_wire). */
  CHECK(nn_graph_load(ctx, "tag.onnx", "\x88\xfe\xee\xf8\x29\xc5\x33", 7, NULL, &gr) == DM_ERR_FORMAT);
  CHECK(strstr(dm_context_error(ctx), "no graph") != NULL);

  /* raw_data as a varint: protobuf-c refuses it, so must the loader. */
  g.n = t.n = 0;
  w_int(&t, 1, 1);
  w_int(&t, 2, F32);
  w_bytes(&t, 8, "W", 1);
  w_int(&t, 9, 7);
  w_sub(&g, 5, &t);
  w_tail(&g, "W");
  w_model(&m, &g, NULL);
  CHECK(nn_graph_load(ctx, "varint.onnx", m.b, m.n, NULL, &gr) == DM_ERR_FORMAT);
  CHECK(strstr(dm_context_error(ctx), "not an ONNX model") != NULL);

  /* Every prefix of a valid file fails cleanly or loads (never crashes). */
  g.n = 0;
  w_tensor(&t, "W", 2, a, NULL);
  w_sub(&g, 5, &t);
  w_tail(&g, "W");
  w_model(&m, &g, NULL);
  for (size_t cut = 0; cut < m.n; cut++)
    if (nn_graph_load(ctx, "cut.onnx", m.b, cut, NULL, &gr) == DM_OK) nn_graph_free(&gr);
  /* and a group wire type (protobuf-c has none) */
  uint8_t group[] = {0x0b, 0x0c};
  CHECK(nn_graph_load(ctx, "group.onnx", group, sizeof group, NULL, &gr) == DM_ERR_FORMAT);
}

/* Files that are not models: one line, no crash. */
static void test_bad_files(dm_context *ctx) {
  nn_graph g;
  char path[4200];
  snprintf(path, sizeof path, "%s/empty.onnx", tmp);
  write_file(path, "", 0);
  CHECK(nn_graph_load_file(ctx, path, &g) == DM_ERR_FORMAT);
  CHECK(nn_graph_load_file(ctx, tmp, &g) == DM_ERR_IO); /* a folder */
  snprintf(path, sizeof path, "%s/absent.onnx", tmp);
  CHECK(nn_graph_load_file(ctx, path, &g) == DM_ERR_IO);
  CHECK(strstr(dm_context_error(ctx), "absent.onnx") != NULL);
}

/* ISNet when installed: every weight float16, converted from the mapping,
 * not a byte copied. */
static void test_isnet(dm_context *ctx) {
  const char *dir = getenv("DEPTHMASK_MODELS");
  char path[4200];
  snprintf(path, sizeof path, "%s/isnet_medium.onnx", dir && *dir ? dir : DM_SOURCE_DIR "/models");
  struct stat st;
  if (stat(path, &st) != 0) {
    printf("SKIP: %s is absent (run ./setup.sh)\n", path);
    return;
  }
  nn_graph g;
  CHECK_OK(ctx, nn_graph_load_file(ctx, path, &g));
  printf("isnet: %zu bytes in place, %zu float16 bytes converted, %zu copied\n", g.stats.in_place,
         g.stats.converted, g.stats.copied);
  CHECK(g.stats.copied == 0 && g.stats.converted == 88035980);
  int outside = 0;
  for (int i = 0; i < g.n_values; i++) {
    const nn_value *v = &g.values[i];
    if (v->is_initializer && dm_nn_numel(&v->t) > 0 && v->t.dtype == DM_NN_FLOAT &&
        (v->owned || !g.weights))
      outside++;
  }
  CHECK(outside == 0);
  nn_graph_free(&g);
}

int main(void) {
  tmp = dm_test_tmpdir("nn_load_map");
  dm_context *ctx = dm_context_new(1);
  test_in_place(ctx);
  test_types(ctx);
  test_wire(ctx);
  test_bad_files(ctx);
  test_isnet(ctx);
  dm_context_free(ctx);
  return dm_test_done("nn/load_map");
}
