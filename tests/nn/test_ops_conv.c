/* Conv, ConvTranspose, BatchNormalization and the pools against naive
 * reference loops (double accumulation) on random data: groups, dilations,
 * strides, asymmetric pads, auto_pad, 1-D / 2-D / 3-D, depthwise with a
 * channel multiplier, the 1x1 path, tiles split over threads, fused
 * activations, weights that arrive only at run time, Indices, and the
 * rejection of bad shapes and dtypes. Kernels are driven the way the
 * planner drives them: infer, prepare (scratch), run, release. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dm_test.h"
#include "nn/conv_internal.h"

static dm_context *g_ctx;
static unsigned g_seed = 12345;
/* Conv paths the CPU would not pick on its own: the AVX2 kernel on an
 * AVX-512 machine (and depthwise without its padded band), and sgemm where
 * the register-blocked kernel applies (and scalar depthwise). */
enum { FORCE_NONE, FORCE_AVX2, FORCE_SGEMM };
static int g_force = FORCE_NONE;

static int g_last_algo = -1; /* the algorithm prepare picked, before any forcing */
static int g_last_whole = -1; /* and whether it planned one im2col matrix for the image */
static int g_last_dw_fast = -1; /* and, depthwise, whether it runs the fixed-tap path */

static void force_path(nn_node *node) {
  nn_conv_plan *p = node->state;
  if (p && !strcmp(node->op_type, "Conv")) g_last_algo = p->algo, g_last_whole = p->whole;
  if (p && !strcmp(node->op_type, "Conv") && p->algo == NN_CONV_DW) g_last_dw_fast = nn_conv_dw_fast(p);
  if (!g_force || strcmp(node->op_type, "Conv") || !p) return;
  if (p->algo == NN_CONV_DW) {
    if (g_force == FORCE_SGEMM) p->smallk = NN_SMALLK_NONE;
    else p->slot_floats = 0;
  } else if (g_force == FORCE_SGEMM) {
    if (p->algo == NN_CONV_WINO) {
      free(p->wino_u);
      p->wino_u = NULL;
      p->algo = NN_CONV_GEMM;
      nn_conv_gemm_plan(p, p->slots);
    } else if (p->algo == NN_CONV_BAND) {
      free(p->off);
      p->off = NULL;
      p->algo = NN_CONV_GEMM;
      nn_conv_gemm_plan(p, p->slots);
    }
    p->smallk = NN_SMALLK_NONE;
  } else {
    p->smallk = NN_SMALLK_AVX2;
  }
  node->scratch = (size_t)p->slots * p->slot_floats * sizeof(float);
}

static float frand(void) {
  g_seed = g_seed * 1103515245u + 12345u;
  return (float)((g_seed >> 8) & 0xffff) / 32768.0f - 1.0f;
}

/* ---- building nodes ---------------------------------------------------- */

typedef struct tnode {
  nn_node node;
  nn_attr attrs[16];
  int64_t ints[16][12];
} tnode;

static void tn_init(tnode *t, const char *op) {
  memset(t, 0, sizeof *t);
  t->node.name = "t";
  t->node.op_type = (char *)op;
  t->node.domain = "";
  t->node.attrs = t->attrs;
}
static void tn_ints(tnode *t, const char *name, int n, const int64_t *v) {
  nn_attr *a = &t->attrs[t->node.n_attrs];
  a->name = (char *)name, a->type = NN_ATTR_INTS, a->n = (size_t)n;
  memcpy(t->ints[t->node.n_attrs], v, (size_t)n * sizeof *v);
  a->ints = t->ints[t->node.n_attrs++];
}
static void tn_int(tnode *t, const char *name, int64_t v) {
  nn_attr *a = &t->attrs[t->node.n_attrs++];
  a->name = (char *)name, a->type = NN_ATTR_INT, a->i = v;
}
static void tn_str(tnode *t, const char *name, const char *v) {
  nn_attr *a = &t->attrs[t->node.n_attrs++];
  a->name = (char *)name, a->type = NN_ATTR_STRING, a->s = (char *)v;
}
static void tn_float(tnode *t, const char *name, float v) {
  nn_attr *a = &t->attrs[t->node.n_attrs++];
  a->name = (char *)name, a->type = NN_ATTR_FLOAT, a->f = v;
}

static dm_nn_tensor tensor(int ndim, const int64_t *dims) {
  dm_nn_tensor t = {DM_NN_FLOAT, ndim, {0}, NULL};
  memcpy(t.dims, dims, (size_t)ndim * sizeof *dims);
  int64_t n = nn_numel(&t);
  t.data = malloc((size_t)(n ? n : 1) * sizeof(float));
  for (int64_t i = 0; i < n; i++) ((float *)t.data)[i] = frand();
  return t;
}

/* infer + prepare + run. `late_w` hides input 1's data until run, as when
 * W is a runtime input. Outputs get malloc'd data. */
static dm_status run_node(tnode *t, int opset, dm_nn_tensor **in, int n_in, dm_nn_tensor **out,
                          int n_out, int late_w) {
  t->node.n_in = n_in, t->node.n_out = n_out;
  const nn_op *op = nn_find_op("", t->node.op_type, opset);
  if (!op) return DM_ERR_INTERNAL;
  nn_kctx k = {g_ctx, NULL, &t->node, opset, n_in, n_out, in, out, NULL};
  void *wdata = late_w ? in[1]->data : NULL;
  if (late_w) in[1]->data = NULL;
  dm_status s = op->infer(&k);
  if (s) {
    if (late_w) in[1]->data = wdata;
    return s;
  }
  for (int i = 0; i < n_out; i++)
    if (out[i]) out[i]->data = malloc((size_t)nn_numel(out[i]) * dm_nn_dtype_size(out[i]->dtype) + 1);
  if (op->prepare && (s = op->prepare(&k))) return s;
  force_path(&t->node);
  if (late_w) in[1]->data = wdata;
  if (t->node.scratch) {
    k.scratch = aligned_alloc(64, (t->node.scratch + 63) / 64 * 64);
    memset(k.scratch, 0xff, t->node.scratch); /* NaN garbage: stale scratch must not leak */
  }
  s = op->run(&k);
  free(k.scratch);
  if (op->release && t->node.state) op->release(t->node.state);
  t->node.state = NULL, t->node.scratch = 0;
  return s;
}

static int compare(const char *what, const float *got, const double *ref, int64_t n) {
  double worst = 0.0;
  int64_t at = -1;
  for (int64_t i = 0; i < n; i++) {
    double e = fabs(got[i] - ref[i]) / (fabs(ref[i]) + 1.0);
    if (!(e <= worst)) worst = e, at = i;
  }
  if (worst > 1e-4 || (at >= 0 && isnan(got[at]))) {
    fprintf(stderr, "%s: mismatch at %lld: got %.7g want %.7g\n", what, (long long)at, got[at], ref[at]);
    dm_test_failures++;
    return 0;
  }
  return 1;
}

static double act_ref(const nn_act *a, double v) {
  if (a->kind == NN_ACT_RELU) return v > 0 ? v : 0;
  if (a->kind == NN_ACT_CLIP) return v < a->lo ? a->lo : v > a->hi ? a->hi : v;
  return v;
}

/* Step an odometer over dims[0..n); 0 when it wraps. */
static int step(int64_t *c, const int64_t *dims, int n) {
  for (int i = n - 1; i >= 0; i--) {
    if (++c[i] < dims[i]) return 1;
    c[i] = 0;
  }
  return 0;
}

/* ---- Conv ---------------------------------------------------------------- */

typedef struct conv_case {
  int nsp;
  int64_t n, c, m, group;
  int64_t in[3], k[3], s[3], d[3], pads[6];
  const char *auto_pad;
  int bias;
  nn_act act;
  int late_w;
  /* Data in {-1, 0, 1} and weights in 576 = 24^2 times that: the Winograd
   * transforms (denominators 4, 6, 12, 24) and every sum are then exact
   * integers in float, so the result must equal the direct path's bit for
   * bit (the direct paths are checked against the reference above). */
  int exact;
} conv_case;

static void conv_case_run(const char *name, const conv_case *cc) {
  int nd = cc->nsp + 2;
  int64_t xd[5] = {cc->n, cc->c}, wd[5] = {cc->m, cc->c / cc->group}, bd[1] = {cc->m};
  for (int i = 0; i < cc->nsp; i++) xd[2 + i] = cc->in[i], wd[2 + i] = cc->k[i];
  dm_nn_tensor x = tensor(nd, xd), w = tensor(nd, wd), b = tensor(1, bd), y = {0};
  if (cc->exact) {
    for (int64_t i = 0; i < nn_numel(&x); i++) ((float *)x.data)[i] = roundf(((float *)x.data)[i]);
    for (int64_t i = 0; i < nn_numel(&w); i++) ((float *)w.data)[i] = 576.0f * roundf(((float *)w.data)[i]);
    for (int64_t i = 0; i < cc->m; i++) ((float *)b.data)[i] = roundf(((float *)b.data)[i]);
  }
  tnode t;
  tn_init(&t, "Conv");
  tn_ints(&t, "strides", cc->nsp, cc->s);
  tn_ints(&t, "dilations", cc->nsp, cc->d);
  if (cc->auto_pad) tn_str(&t, "auto_pad", cc->auto_pad);
  else tn_ints(&t, "pads", 2 * cc->nsp, cc->pads);
  tn_int(&t, "group", cc->group);
  t.node.act = cc->act;
  dm_nn_tensor *in[3] = {&x, &w, &b}, *out[1] = {&y};
  CHECK_OK(g_ctx, run_node(&t, 13, in, cc->bias ? 3 : 2, out, 1, cc->late_w));
  if (cc->exact) {
    /* the reference: the direct path (runtime W), exact on this data too */
    dm_nn_tensor y2 = {0}, *out2[1] = {&y2};
    int algo = g_last_algo;
    CHECK_OK(g_ctx, run_node(&t, 13, in, cc->bias ? 3 : 2, out2, 1, 1));
    CHECK(g_last_algo != NN_CONV_WINO);
    g_last_algo = algo;
    int64_t bad = 0;
    for (int64_t i = 0; i < nn_numel(&y); i++) bad += ((float *)y.data)[i] != ((float *)y2.data)[i];
    if (bad) fprintf(stderr, "%s: %lld outputs not exact\n", name, (long long)bad);
    CHECK(bad == 0 && nn_numel(&y) == nn_numel(&y2));
    free(x.data), free(w.data), free(b.data), free(y.data), free(y2.data);
    return;
  }
  /* the reference: output size from the pads the kernel chose is checked
   * against the explicit formula when pads are explicit */
  int64_t od[3], pb[3];
  for (int i = 0; i < cc->nsp; i++) {
    od[i] = y.dims[2 + i];
    int64_t ext = (cc->k[i] - 1) * cc->d[i] + 1;
    if (!cc->auto_pad) {
      pb[i] = cc->pads[i];
      CHECK(od[i] == (cc->in[i] + cc->pads[i] + cc->pads[cc->nsp + i] - ext) / cc->s[i] + 1);
    } else if (!strcmp(cc->auto_pad, "VALID")) {
      pb[i] = 0;
    } else {
      int64_t tot = (od[i] - 1) * cc->s[i] + ext - cc->in[i];
      tot = tot > 0 ? tot : 0;
      pb[i] = !strcmp(cc->auto_pad, "SAME_UPPER") ? tot / 2 : tot - tot / 2;
      CHECK(od[i] == (cc->in[i] + cc->s[i] - 1) / cc->s[i]);
    }
  }
  int64_t P = 1, kp = 1, ip = 1;
  for (int i = 0; i < cc->nsp; i++) P *= od[i], kp *= cc->k[i], ip *= cc->in[i];
  int64_t cg = cc->c / cc->group, mg = cc->m / cc->group;
  double *ref = calloc((size_t)(cc->n * cc->m * P), sizeof *ref);
  const float *X = x.data, *W = w.data, *B = b.data;
  for (int64_t n = 0; n < cc->n; n++)
    for (int64_t m = 0; m < cc->m; m++) {
      int64_t o[3] = {0};
      int64_t op = 0;
      do {
        double acc = cc->bias ? B[m] : 0.0;
        int64_t g = m / mg;
        for (int64_t c = 0; c < cg; c++) {
          int64_t kk[3] = {0}, kq = 0;
          do {
            int64_t off = 0, ok = 1;
            for (int i = 0; i < cc->nsp; i++) {
              int64_t ii = o[i] * cc->s[i] + kk[i] * cc->d[i] - pb[i];
              ok &= ii >= 0 && ii < cc->in[i];
              off = off * cc->in[i] + ii;
            }
            if (ok) acc += (double)X[(n * cc->c + g * cg + c) * ip + off] * W[(m * cg + c) * kp + kq];
            kq++;
          } while (step(kk, cc->k, cc->nsp));
        }
        ref[(n * cc->m + m) * P + op++] = act_ref(&cc->act, acc);
      } while (step(o, od, cc->nsp));
    }
  compare(name, y.data, ref, cc->n * cc->m * P);
  free(ref), free(x.data), free(w.data), free(b.data), free(y.data);
}

static void test_conv(void) {
  __builtin_cpu_init();
  const int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const nn_act none = {NN_ACT_NONE, 0, 0}, relu = {NN_ACT_RELU, 0, 0}, clip = {NN_ACT_CLIP, 0, 0.5f};
  conv_case c1 = {2, 1, 3, 8, 1, {17, 19}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL, 1, none, 0, 0};
  conv_case_run("conv 3x3 pad 1", &c1);
  conv_case c2 = {2, 2, 6, 4, 2, {15, 13}, {3, 2}, {2, 2}, {2, 1}, {1, 0, 2, 1}, NULL, 1, relu, 0, 0};
  conv_case_run("conv group 2 dil stride asym pads", &c2);
  conv_case c3 = {2, 2, 16, 12, 1, {9, 11}, {1, 1}, {1, 1}, {1, 1}, {0}, NULL, 1, relu, 0, 0};
  conv_case_run("conv 1x1", &c3);
  conv_case c3b = {2, 1, 8, 6, 2, {5, 4}, {1, 1}, {2, 1}, {1, 1}, {0}, NULL, 0, none, 1, 0};
  conv_case_run("conv 1x1 stride 2 grouped, late W", &c3b);
  conv_case dw1 = {2, 1, 8, 8, 8, {20, 37}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL, 1, relu, 0, 0};
  conv_case_run("depthwise 3x3", &dw1);
  conv_case dw2 = {2, 2, 6, 6, 6, {23, 41}, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}, NULL, 1, clip, 0, 0};
  conv_case_run("depthwise 3x3 s2", &dw2);
  conv_case dw3 = {2, 1, 4, 8, 4, {19, 45}, {5, 5}, {1, 1}, {2, 2}, {4, 3, 2, 5}, NULL, 1, none, 1, 0};
  conv_case_run("depthwise 5x5 dil 2 multiplier 2, late W", &dw3);
  conv_case dw4 = {2, 1, 5, 5, 5, {31, 50}, {5, 5}, {2, 3}, {1, 1}, {2, 2, 2, 2}, NULL, 0, none, 0, 0};
  conv_case_run("depthwise 5x5 stride 2x3", &dw4);
  /* conv_dw.c's fixed-tap path (3x3 / 5x5, stride 1 / 2): many small planes
   * a few to an item, rows with 16-, 8- and partial vectors, pads that are
   * not symmetric, a channel multiplier, no bias */
  conv_case dw5 = {2, 1, 200, 200, 200, {7, 7}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL, 1, relu, 0, 0};
  conv_case_run("depthwise 3x3 7x7 planes", &dw5);
  conv_case dw6 = {2, 1, 70, 70, 70, {9, 37}, {5, 5}, {1, 1}, {1, 1}, {2, 2, 2, 2}, NULL, 1, clip, 0, 0};
  conv_case_run("depthwise 5x5 width 37", &dw6);
  conv_case dw7 = {2, 2, 40, 80, 40, {28, 29}, {5, 5}, {2, 2}, {1, 1}, {2, 1, 1, 2}, NULL, 0, none, 0, 0};
  conv_case_run("depthwise 5x5 s2 asym pads multiplier 2", &dw7);
  conv_case dw8 = {2, 1, 300, 300, 300, {7, 7}, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}, NULL, 1, relu, 0, 0};
  conv_case_run("depthwise 3x3 s2 7x7 planes", &dw8);
  conv_case dw9 = {2, 1, 3, 3, 3, {40, 70}, {5, 5}, {2, 2}, {1, 1}, {0, 2, 3, 0}, NULL, 1, none, 0, 0};
  conv_case_run("depthwise 5x5 s2 few planes, row chunks", &dw9);
  CHECK(g_last_dw_fast == 1 || !avx2);
  /* stride 2, whole planes with an even left pad: band rows split by
   * column parity 16, 16, 16 and 8 columns at a time (dw2, dw7 and dw9 take
   * odd and even pads, row chunks and the scalar ends) */
  conv_case dw10 = {2, 1, 64, 64, 64, {20, 56}, {5, 5}, {2, 2}, {1, 1}, {2, 2, 2, 2}, NULL, 1, relu, 0, 0};
  conv_case_run("depthwise 5x5 s2 whole planes width 56", &dw10);
  CHECK(g_last_dw_fast == 1 || !avx2);
  conv_case c5 = {1, 2, 4, 6, 1, {30}, {5}, {2}, {1}, {2, 1}, NULL, 1, none, 0, 0};
  conv_case_run("conv 1-D", &c5);
  conv_case c6 = {3, 1, 3, 4, 1, {6, 7, 8}, {3, 2, 3}, {1, 2, 1}, {1, 1, 2},
      {1, 0, 1, 1, 1, 2}, NULL, 1, none, 0, 0};
  conv_case_run("conv 3-D", &c6);
  conv_case c7 = {2, 1, 3, 5, 1, {11, 12}, {3, 3}, {2, 2}, {1, 1}, {0}, "SAME_UPPER", 1, none, 0, 0};
  conv_case_run("conv SAME_UPPER", &c7);
  c7.auto_pad = "SAME_LOWER";
  conv_case_run("conv SAME_LOWER", &c7);
  c7.auto_pad = "VALID";
  conv_case_run("conv VALID", &c7);
  conv_case c8 = {2, 1, 16, 16, 1, {40, 200}, {3, 3}, {1, 1}, {2, 2}, {2, 2, 2, 2}, NULL, 1, relu, 0, 0};
  conv_case_run("conv many tiles", &c8);
  conv_case c9 = {2, 1, 64, 40, 1, {4, 4}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL, 1, none, 1, 0};
  conv_case_run("conv tiny image, channel split", &c9);
  conv_case c10 = {2, 1, 3, 16, 1, {70, 84}, {14, 14}, {14, 14}, {1, 1}, {0}, NULL, 1, none, 0, 0};
  conv_case_run("patch embed", &c10);
  conv_case c11 = {2, 3, 1, 4, 1, {9, 9}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL, 1, none, 0, 0};
  conv_case_run("conv batch 3 one channel", &c11);
  /* stride 1 and small K: conv_band.c (padded input bands) */
  conv_case c15 = {2, 2, 8, 6, 2, {33, 27}, {3, 5}, {1, 1}, {2, 1}, {0, 3, 2, 1}, NULL, 1, relu, 0, 0};
  conv_case_run("band: grouped 3x5 dilated asym pads", &c15);
  conv_case c16 = {2, 1, 5, 20, 1, {12, 40}, {3, 3}, {1, 1}, {1, 3}, {3, 0, 1, 4}, NULL, 0, clip, 1, 0};
  conv_case_run("band: pads past the kernel, late W", &c16);
  /* 3x3 stride 1, channels and tiles enough: Winograd F(4x4, 3x3)
   * (conv_wino.c), sizes no multiple of 4 or of 8 tiles, asymmetric pads,
   * and a block of tiles narrower than the image (1024 channels) */
  conv_case w1 = {2, 1, 16, 48, 1, {67, 71}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL, 1, relu, 0, 0};
  __builtin_cpu_init();
  const int wino = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  conv_case_run("winograd odd size", &w1);
  CHECK(g_last_algo == (wino ? NN_CONV_WINO : NN_CONV_GEMM));
  conv_case w2 = {2, 2, 24, 24, 1, {70, 130}, {3, 3}, {1, 1}, {1, 1}, {0, 2, 1, 0}, NULL, 0, relu, 0, 1};
  conv_case_run("winograd asym pads, no bias, batch 2", &w2);
  CHECK(g_last_algo == NN_CONV_WINO || !wino);
  conv_case w3 = {2, 1, 1024, 16, 1, {104, 40}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL, 1, none, 0, 1};
  conv_case_run("winograd narrow blocks", &w3);
  CHECK(g_last_algo == NN_CONV_WINO || !wino);
  conv_case w4 = {2, 1, 16, 48, 1, {67, 71}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL, 1, relu, 1, 1};
  conv_case_run("3x3 runtime W: not winograd", &w4);
  CHECK(g_last_algo != NN_CONV_WINO);
  /* K = Cg * kernel above NN_CONV_SMALLK_MAX: the sgemm path */
  conv_case c12 = {2, 2, 160, 14, 2, {6, 23}, {3, 3}, {1, 2}, {1, 1}, {1, 0, 1, 2}, NULL, 1, clip, 0, 0};
  conv_case_run("conv large K, sgemm", &c12);
  /* few positions, many output channels: one im2col matrix for the whole
   * image, shared by the threads, output channels split (sgemm path) */
  conv_case c17 = {2, 2, 80, 130, 1, {9, 11}, {3, 3}, {1, 1}, {1, 1}, {1, 2, 0, 1}, NULL, 1, relu, 0, 0};
  conv_case_run("conv whole-image im2col, batch 2", &c17);
  CHECK(g_last_whole == 1 || nn_conv_smallk_isa(720) != NN_SMALLK_NONE);
  conv_case c13 = {2, 1, 700, 9, 1, {3, 45}, {1, 1}, {1, 1}, {1, 1}, {0}, NULL, 1, relu, 1, 0};
  conv_case_run("conv 1x1 large K, sgemm", &c13);
  conv_case c14 = {2, 1, 700, 7, 1, {3, 5}, {1, 1}, {1, 1}, {1, 1}, {0}, NULL, 0, none, 0, 0};
  conv_case_run("conv 1x1 large K, no bias", &c14);
}

/* ---- ConvTranspose ----------------------------------------------------- */

typedef struct ct_case {
  int nsp;
  int64_t n, c, mg, group;
  int64_t in[3], k[3], s[3], d[3], pads[6], opad[3], oshape[3];
  const char *auto_pad;
  int bias;
  nn_act act;
  int late_w;
} ct_case;

static void ct_case_run(const char *name, const ct_case *cc) {
  int nd = cc->nsp + 2;
  int64_t xd[5] = {cc->n, cc->c}, wd[5] = {cc->c, cc->mg}, m = cc->mg * cc->group, bd[1] = {m};
  for (int i = 0; i < cc->nsp; i++) xd[2 + i] = cc->in[i], wd[2 + i] = cc->k[i];
  dm_nn_tensor x = tensor(nd, xd), w = tensor(nd, wd), b = tensor(1, bd), y = {0};
  tnode t;
  tn_init(&t, "ConvTranspose");
  tn_ints(&t, "strides", cc->nsp, cc->s);
  tn_ints(&t, "dilations", cc->nsp, cc->d);
  tn_ints(&t, "output_padding", cc->nsp, cc->opad);
  if (cc->oshape[0]) tn_ints(&t, "output_shape", cc->nsp, cc->oshape);
  if (cc->auto_pad) tn_str(&t, "auto_pad", cc->auto_pad);
  else tn_ints(&t, "pads", 2 * cc->nsp, cc->pads);
  tn_int(&t, "group", cc->group);
  t.node.act = cc->act;
  dm_nn_tensor *in[3] = {&x, &w, &b}, *out[1] = {&y};
  CHECK_OK(g_ctx, run_node(&t, 11, in, cc->bias ? 3 : 2, out, 1, cc->late_w));
  int64_t od[3], pb[3], P = 1, kp = 1, ip = 1;
  for (int i = 0; i < cc->nsp; i++) {
    int64_t ext = (cc->k[i] - 1) * cc->d[i] + 1, full = cc->s[i] * (cc->in[i] - 1) + cc->opad[i] + ext;
    od[i] = y.dims[2 + i];
    if (cc->oshape[0] || cc->auto_pad) {
      int64_t want = cc->oshape[0] ? cc->oshape[i] : cc->in[i] * cc->s[i], tot = full - want;
      CHECK(od[i] == want);
      int64_t half = (int64_t)floor((double)tot / 2); /* Python's // */
      pb[i] = cc->auto_pad && !strcmp(cc->auto_pad, "SAME_UPPER") ? half : tot - half;
    } else {
      pb[i] = cc->pads[i];
      CHECK(od[i] == full - cc->pads[i] - cc->pads[cc->nsp + i]);
    }
    P *= od[i], kp *= cc->k[i], ip *= cc->in[i];
  }
  double *ref = calloc((size_t)(cc->n * m * P), sizeof *ref);
  const float *X = x.data, *W = w.data, *B = b.data;
  int64_t cg = cc->c / cc->group;
  for (int64_t n = 0; n < cc->n; n++) {
    for (int64_t o = 0; o < m; o++)
      for (int64_t q = 0; q < P; q++) ref[(n * m + o) * P + q] = cc->bias ? B[o] : 0.0;
    for (int64_t c = 0; c < cc->c; c++) {
      int64_t g = c / cg, ic[3] = {0}, iq = 0;
      do {
        double xv = X[(n * cc->c + c) * ip + iq++];
        for (int64_t j = 0; j < cc->mg; j++) {
          int64_t kk[3] = {0}, kq = 0;
          do {
            int64_t off = 0, ok = 1;
            for (int i = 0; i < cc->nsp; i++) {
              int64_t oo = ic[i] * cc->s[i] + kk[i] * cc->d[i] - pb[i];
              ok &= oo >= 0 && oo < od[i];
              off = off * od[i] + oo;
            }
            if (ok) ref[(n * m + g * cc->mg + j) * P + off] += xv * W[(c * cc->mg + j) * kp + kq];
            kq++;
          } while (step(kk, cc->k, cc->nsp));
        }
      } while (step(ic, cc->in, cc->nsp));
    }
  }
  for (int64_t i = 0; i < cc->n * m * P; i++) ref[i] = act_ref(&cc->act, ref[i]);
  compare(name, y.data, ref, cc->n * m * P);
  free(ref), free(x.data), free(w.data), free(b.data), free(y.data);
}

static void test_conv_transpose(void) {
  const nn_act none = {NN_ACT_NONE, 0, 0}, relu = {NN_ACT_RELU, 0, 0};
  ct_case t1 = {2, 1, 4, 3, 1, {5, 6}, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}, {1, 1}, {0}, NULL, 1, none, 0};
  ct_case_run("convT s2 pads output_padding", &t1);
  ct_case t2 = {2, 2, 4, 2, 2, {6, 5}, {3, 2}, {1, 2}, {2, 2}, {0, 1, 2, 0}, {0, 0}, {0}, NULL, 1, relu, 1};
  ct_case_run("convT group dilation, late W", &t2);
  ct_case t3 = {2, 1, 8, 6, 1, {7, 9}, {4, 4}, {4, 4}, {1, 1}, {0}, {0, 0}, {0}, NULL, 1, relu, 0};
  ct_case_run("convT k4s4 direct", &t3);
  ct_case t4 = {2, 2, 16, 5, 1, {37, 37}, {2, 2}, {2, 2}, {1, 1}, {0}, {0, 0}, {0}, NULL, 0, none, 0};
  ct_case_run("convT k2s2 direct", &t4);
  ct_case t5 = {1, 2, 3, 2, 1, {11}, {5}, {3}, {1}, {2, 1}, {2}, {0}, NULL, 1, none, 0};
  ct_case_run("convT 1-D", &t5);
  ct_case t6 = {3, 1, 2, 3, 1, {3, 4, 5}, {3, 3, 2}, {1, 2, 2}, {1, 1, 1}, {0}, {0, 1, 0},
      {0}, NULL, 1, none, 0};
  ct_case_run("convT 3-D", &t6);
  ct_case t7 = {2, 1, 1, 2, 1, {3, 3}, {3, 3}, {3, 2}, {1, 1}, {0}, {1, 1}, {10, 8}, NULL, 0, none, 0};
  ct_case_run("convT output_shape", &t7);
  ct_case t8 = {2, 1, 2, 2, 1, {3, 4}, {3, 3}, {2, 2}, {1, 1}, {0}, {0, 0}, {0}, "SAME_UPPER", 1, none, 0};
  ct_case_run("convT SAME_UPPER", &t8);
  t8.auto_pad = "SAME_LOWER";
  ct_case_run("convT SAME_LOWER", &t8);
  ct_case t9 = {2, 1, 8, 4, 1, {4, 4}, {2, 2}, {4, 4}, {1, 1}, {0}, {0, 0}, {16, 16}, NULL, 1, none, 0};
  ct_case_run("convT kernel < stride, output_shape", &t9);
  ct_case t10 = {2, 1, 1, 2, 1, {3, 3}, {3, 3}, {3, 2}, {1, 1}, {0}, {0, 0}, {10, 8}, NULL, 1, none, 0};
  ct_case_run("convT output_shape odd negative total", &t10);
}

/* ---- pools ----------------------------------------------------------------- */

typedef struct pool_case {
  const char *op;
  int nsp;
  int64_t n, c, in[3], k[3], s[3], d[3], pads[6];
  const char *auto_pad;
  int ceil_mode, count_pad, col_major, indices;
} pool_case;

static void pool_case_run(const char *name, const pool_case *pc) {
  int is_max = !strcmp(pc->op, "MaxPool"), nd = pc->nsp + 2;
  int64_t xd[5] = {pc->n, pc->c};
  for (int i = 0; i < pc->nsp; i++) xd[2 + i] = pc->in[i];
  dm_nn_tensor x = tensor(nd, xd), y = {0}, ix = {0};
  tnode t;
  tn_init(&t, pc->op);
  tn_ints(&t, "kernel_shape", pc->nsp, pc->k);
  tn_ints(&t, "strides", pc->nsp, pc->s);
  tn_ints(&t, "dilations", pc->nsp, pc->d);
  if (pc->auto_pad) tn_str(&t, "auto_pad", pc->auto_pad);
  else tn_ints(&t, "pads", 2 * pc->nsp, pc->pads);
  tn_int(&t, "ceil_mode", pc->ceil_mode);
  tn_int(&t, "count_include_pad", pc->count_pad);
  tn_int(&t, "storage_order", pc->col_major);
  dm_nn_tensor *in[1] = {&x}, *out[2] = {&y, pc->indices ? &ix : NULL};
  CHECK_OK(g_ctx, run_node(&t, 19, in, 1, out, pc->indices ? 2 : 1, 0));
  int64_t od[3], pb[3], pe[3], P = 1, ip = 1;
  for (int i = 0; i < pc->nsp; i++) {
    int64_t ext = (pc->k[i] - 1) * pc->d[i] + 1;
    od[i] = y.dims[2 + i];
    if (pc->auto_pad) {
      int64_t tot = (od[i] - 1) * pc->s[i] + ext - pc->in[i];
      tot = tot > 0 ? tot : 0;
      pb[i] = !strcmp(pc->auto_pad, "SAME_UPPER") ? tot / 2 : tot - tot / 2;
      pe[i] = tot - pb[i];
    } else {
      pb[i] = pc->pads[i], pe[i] = pc->pads[pc->nsp + i];
      double span = (double)(pc->in[i] + pb[i] + pe[i] - ext) / (double)pc->s[i];
      int64_t want = (int64_t)(pc->ceil_mode ? ceil(span) : floor(span)) + 1;
      if (pc->ceil_mode && (want - 1) * pc->s[i] >= pc->in[i] + pb[i]) want--;
      CHECK(od[i] == want);
    }
    P *= od[i], ip *= pc->in[i];
  }
  double *ref = calloc((size_t)(pc->n * pc->c * P), sizeof *ref);
  int64_t *rix = calloc((size_t)(pc->n * pc->c * P), sizeof *rix);
  const float *X = x.data;
  for (int64_t pl = 0; pl < pc->n * pc->c; pl++) {
    int64_t o[3] = {0}, op = 0;
    do {
      double acc = is_max ? -INFINITY : 0.0;
      int64_t cnt = 0, cpad = 0, best = -1, kk[3] = {0};
      do {
        int64_t off = 0, cm = 0, mul = 1, ok = 1, inpad = 1;
        for (int i = 0; i < pc->nsp; i++) {
          int64_t ii = o[i] * pc->s[i] + kk[i] * pc->d[i] - pb[i];
          ok &= ii >= 0 && ii < pc->in[i];
          inpad &= ii < pc->in[i] + pe[i];
          off = off * pc->in[i] + ii;
          cm += ii * mul, mul *= pc->in[i];
        }
        cpad += inpad;
        if (!ok) continue;
        cnt++;
        double v = X[pl * ip + off];
        if (!is_max) acc += v;
        else if (v > acc) acc = v, best = pc->col_major ? cm : off;
      } while (step(kk, pc->k, pc->nsp));
      if (!is_max) acc /= (double)(pc->count_pad ? cpad : cnt);
      rix[pl * P + op] = pl * ip + best;
      ref[pl * P + op++] = acc;
    } while (step(o, od, pc->nsp));
  }
  if (compare(name, y.data, ref, pc->n * pc->c * P) && pc->indices) {
    int bad = 0;
    for (int64_t i = 0; i < pc->n * pc->c * P; i++) bad += ((int64_t *)ix.data)[i] != rix[i];
    if (bad) fprintf(stderr, "%s: %d wrong indices\n", name, bad);
    CHECK(!bad);
  }
  free(ref), free(rix), free(x.data), free(y.data), free(ix.data);
}

static void test_pools(void) {
  pool_case p1 = {"MaxPool", 2, 1, 3, {64, 62}, {2, 2}, {2, 2}, {1, 1}, {0}, NULL, 1, 0, 0, 1};
  pool_case_run("maxpool 2x2 s2 ceil", &p1);
  p1.indices = 0;
  pool_case_run("maxpool 2x2 s2 ceil, no indices", &p1);
  pool_case p1b = {"MaxPool", 2, 2, 3, {21, 29}, {2, 2}, {2, 2}, {1, 1}, {1, 1, 0, 1}, NULL, 0, 0, 0, 0};
  pool_case_run("maxpool 2x2 s2 padded odd", &p1b);
  pool_case p2 = {"MaxPool", 2, 2, 2, {13, 17}, {3, 3}, {2, 1}, {2, 1}, {1, 2, 2, 0}, NULL, 0, 0, 1, 1};
  pool_case_run("maxpool dil pads col-major indices", &p2);
  pool_case p3 = {"AveragePool", 2, 1, 3, {15, 16}, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}, NULL, 1, 0, 0, 0};
  pool_case_run("avgpool ceil exclude pad", &p3);
  p3.count_pad = 1;
  pool_case_run("avgpool ceil include pad", &p3);
  pool_case p4 = {"AveragePool", 2, 1, 2, {9, 11}, {2, 3}, {1, 2}, {2, 1}, {0}, "SAME_LOWER", 0, 1, 0, 0};
  pool_case_run("avgpool SAME_LOWER dilated", &p4);
  pool_case p5 = {"MaxPool", 1, 2, 3, {32}, {3}, {2}, {1}, {1, 1}, NULL, 0, 0, 0, 1};
  pool_case_run("maxpool 1-D", &p5);
  pool_case p6 = {"AveragePool", 3, 1, 2, {6, 7, 5}, {2, 3, 2}, {2, 2, 1}, {1, 1, 1},
      {0, 1, 1, 1, 1, 0}, NULL, 1, 1, 0, 0};
  pool_case_run("avgpool 3-D", &p6);
  pool_case p7 = {"MaxPool", 3, 1, 2, {6, 7, 5}, {2, 3, 2}, {2, 2, 1}, {1, 1, 2},
      {0, 1, 1, 1, 1, 0}, NULL, 0, 0, 1, 1};
  pool_case_run("maxpool 3-D col-major indices", &p7);
  pool_case p8 = {"MaxPool", 2, 1, 1, {5, 5}, {3, 3}, {2, 2}, {1, 1}, {0}, "SAME_UPPER", 0, 0, 0, 0};
  pool_case_run("maxpool SAME_UPPER", &p8);

  for (int is_max = 0; is_max < 2; is_max++) {
    int64_t d[4] = {2, 3, 7, 9};
    dm_nn_tensor x = tensor(4, d), y = {0};
    tnode t;
    tn_init(&t, is_max ? "GlobalMaxPool" : "GlobalAveragePool");
    dm_nn_tensor *in[1] = {&x}, *out[1] = {&y};
    CHECK_OK(g_ctx, run_node(&t, 13, in, 1, out, 1, 0));
    CHECK(y.ndim == 4 && y.dims[2] == 1 && y.dims[3] == 1);
    double ref[6];
    for (int p = 0; p < 6; p++) {
      double acc = is_max ? -INFINITY : 0;
      for (int i = 0; i < 63; i++) {
        double v = ((float *)x.data)[p * 63 + i];
        acc = is_max ? (v > acc ? v : acc) : acc + v / 63.0;
      }
      ref[p] = acc;
    }
    compare(is_max ? "GlobalMaxPool" : "GlobalAveragePool", y.data, ref, 6);
    free(x.data), free(y.data);
  }
}

/* ---- BatchNormalization -------------------------------------------------- */

static void test_batchnorm(void) {
  int64_t xd[4] = {2, 3, 4, 5}, pd[1] = {3};
  dm_nn_tensor x = tensor(4, xd), sc = tensor(1, pd), bi = tensor(1, pd), mu = tensor(1, pd),
               va = tensor(1, pd), y = {0}, rm = {0}, rv = {0};
  for (int i = 0; i < 3; i++) ((float *)va.data)[i] += 1.5f;
  tnode t;
  tn_init(&t, "BatchNormalization");
  tn_float(&t, "epsilon", 1e-3f);
  dm_nn_tensor *in[5] = {&x, &sc, &bi, &mu, &va}, *out[3] = {&y, &rm, &rv};
  CHECK_OK(g_ctx, run_node(&t, 15, in, 5, out, 1, 0));
  double ref[120];
  const float *X = x.data, *S = sc.data, *B = bi.data, *M = mu.data, *V = va.data;
  for (int i = 0; i < 120; i++) {
    int c = i / 20 % 3;
    ref[i] = (X[i] - M[c]) / sqrt(V[c] + 1e-3) * S[c] + B[c];
  }
  compare("batchnorm", y.data, ref, 120);
  free(y.data);
  /* training outputs need training_mode */
  y.data = NULL;
  CHECK(run_node(&t, 15, in, 5, out, 3, 0) == DM_ERR_FORMAT);
  free(y.data), free(rm.data), free(rv.data);
  rm.data = rv.data = y.data = NULL;
  tn_int(&t, "training_mode", 1);
  CHECK_OK(g_ctx, run_node(&t, 15, in, 5, out, 3, 0));
  for (int c = 0; c < 3; c++) {
    double s = 0, q = 0;
    for (int n = 0; n < 2; n++)
      for (int i = 0; i < 20; i++) s += X[(n * 3 + c) * 20 + i];
    double mean = s / 40;
    for (int n = 0; n < 2; n++)
      for (int i = 0; i < 20; i++) q += pow(X[(n * 3 + c) * 20 + i] - mean, 2);
    double var = q / 40;
    CHECK_NEAR(((float *)rm.data)[c], M[c] * 0.9 + mean * 0.1, 1e-5);
    CHECK_NEAR(((float *)rv.data)[c], V[c] * 0.9 + var * 0.1, 1e-5);
    for (int n = 0; n < 2; n++)
      for (int i = 0; i < 20; i++) {
        int at = (n * 3 + c) * 20 + i;
        ref[at] = (X[at] - mean) / sqrt(var + 1e-3) * S[c] + B[c];
      }
  }
  compare("batchnorm training", y.data, ref, 120);
  free(x.data), free(sc.data), free(bi.data), free(mu.data), free(va.data);
  free(y.data), free(rm.data), free(rv.data);
}

/* ---- rejections ------------------------------------------------------------ */

static void test_errors(void) {
  int64_t xd[4] = {1, 6, 8, 8}, wd[4] = {4, 4, 3, 3};
  dm_nn_tensor x = tensor(4, xd), w = tensor(4, wd), y = {0};
  dm_nn_tensor *in[2] = {&x, &w}, *out[1] = {&y};
  tnode t;
  tn_init(&t, "Conv");
  tn_int(&t, "group", 4); /* 6 channels do not split into 4 groups */
  CHECK(run_node(&t, 13, in, 2, out, 1, 0) == DM_ERR_FORMAT);
  tn_init(&t, "Conv");
  tn_int(&t, "group", 2); /* W wants 3 channels per group, has 4 */
  CHECK(run_node(&t, 13, in, 2, out, 1, 0) == DM_ERR_FORMAT);
  w.dims[1] = 6;
  tn_init(&t, "Conv");
  int64_t ks[2] = {5, 3};
  tn_ints(&t, "kernel_shape", 2, ks); /* disagrees with W */
  CHECK(run_node(&t, 13, in, 2, out, 1, 0) == DM_ERR_FORMAT);
  tn_init(&t, "Conv");
  int64_t pads[3] = {1, 1, 1};
  tn_ints(&t, "pads", 3, pads);
  CHECK(run_node(&t, 13, in, 2, out, 1, 0) == DM_ERR_FORMAT);
  tn_init(&t, "Conv");
  int64_t big[2] = {9, 9};
  w.dims[2] = w.dims[3] = 9; /* kernel larger than the image */
  CHECK(run_node(&t, 13, in, 2, out, 1, 0) == DM_ERR_FORMAT);
  (void)big;
  x.dtype = DM_NN_INT64;
  tn_init(&t, "MaxPool");
  tn_ints(&t, "kernel_shape", 2, ks);
  CHECK(run_node(&t, 13, in, 1, out, 1, 0) == DM_ERR_FORMAT);
  CHECK(strstr(dm_context_error(g_ctx), "int64 not supported") != NULL);
  free(x.data), free(w.data);
}

int main(void) {
  g_ctx = dm_context_new(2);
  test_conv();
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    g_force = FORCE_AVX2;
    test_conv();
  }
  g_force = FORCE_SGEMM;
  test_conv();
  g_force = FORCE_NONE;
  test_conv_transpose();
  test_pools();
  test_batchnorm();
  test_errors();
  dm_context_free(g_ctx);
  return dm_test_done("nn/ops_conv");
}
