/* Conv / ConvTranspose / MaxPool kernel benchmark on the shapes of the
 * models we run (ISNet at 1024^2, FastDepth at 224^2, Depth Anything V2
 * Small at 518^2), driven like the planner drives a node. Reports GFLOP/s
 * (2 * multiply-adds; pools count one op per tap) for our kernel with the
 * chosen thread count (wall clock) and with one thread (CPU time, so a
 * busy machine shows less), and, for the dense Convs, a peer: the bare
 * sgemm of the whole image (M x K x P) with OpenBLAS' own threads, i.e. the
 * other threading design without even its im2col cost. The machines are
 * shared: figures are the best of the repeats.
 *
 * usage: bench_conv [--threads N] [--repeat N] [NAME-SUBSTRING...] */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn/conv_internal.h"

typedef struct bcase {
  const char *name, *op;
  int64_t n, c, m, h, w, k, s, d, p, group;
  nn_act_kind act;
} bcase;

static const bcase cases[] = {
    /* ISNet (matte, 1024^2 input) */
    {"isnet 3->64 1024 s2", "Conv", 1, 3, 64, 1024, 1024, 3, 2, 1, 1, 1, NN_ACT_RELU},
    {"isnet 3->64 512", "Conv", 1, 3, 64, 512, 512, 3, 1, 1, 1, 1, NN_ACT_RELU},
    {"isnet 64->64 512 dil2", "Conv", 1, 64, 64, 512, 512, 3, 1, 2, 2, 1, NN_ACT_RELU},
    {"isnet 16->16 1024", "Conv", 1, 16, 16, 1024, 1024, 3, 1, 1, 1, 1, NN_ACT_RELU},
    {"isnet 64->16 512", "Conv", 1, 64, 16, 512, 512, 3, 1, 1, 1, 1, NN_ACT_RELU},
    {"isnet 64->64 256 s2", "Conv", 1, 64, 64, 512, 512, 3, 2, 1, 1, 1, NN_ACT_RELU},
    {"isnet 128->128 128 dil4", "Conv", 1, 128, 128, 128, 128, 3, 1, 4, 4, 1, NN_ACT_RELU},
    {"isnet 256->256 64", "Conv", 1, 256, 256, 64, 64, 3, 1, 1, 1, 1, NN_ACT_RELU},
    {"isnet 512->512 32 dil8", "Conv", 1, 512, 512, 32, 32, 3, 1, 8, 8, 1, NN_ACT_RELU},
    {"isnet 128->64 512", "Conv", 1, 128, 64, 512, 512, 3, 1, 1, 1, 1, NN_ACT_RELU},
    {"isnet 256->64 256", "Conv", 1, 256, 64, 256, 256, 3, 1, 1, 1, 1, NN_ACT_RELU},
    {"isnet 512->128 128", "Conv", 1, 512, 128, 128, 128, 3, 1, 1, 1, 1, NN_ACT_RELU},
    {"isnet 1024->256 64", "Conv", 1, 1024, 256, 64, 64, 3, 1, 1, 1, 1, NN_ACT_RELU},
    {"isnet 512->512 32", "Conv", 1, 512, 512, 32, 32, 3, 1, 1, 1, 1, NN_ACT_RELU},
    {"isnet 512->512 16", "Conv", 1, 512, 512, 16, 16, 3, 1, 1, 1, 1, NN_ACT_RELU},
    {"isnet 128->128 16", "Conv", 1, 128, 128, 16, 16, 3, 1, 1, 1, 1, NN_ACT_RELU},
    {"isnet maxpool 64@512", "MaxPool", 1, 64, 64, 512, 512, 2, 2, 1, 0, 1, NN_ACT_NONE},
    /* FastDepth (224^2) */
    {"fastdepth 3->32 224 s2", "Conv", 1, 3, 32, 224, 224, 3, 2, 1, 1, 1, NN_ACT_CLIP},
    {"fastdepth dw 32@112", "Conv", 1, 32, 32, 112, 112, 3, 1, 1, 1, 32, NN_ACT_CLIP},
    {"fastdepth dw 64@112 s2", "Conv", 1, 64, 64, 112, 112, 3, 2, 1, 1, 64, NN_ACT_CLIP},
    {"fastdepth dw 256@28", "Conv", 1, 256, 256, 28, 28, 3, 1, 1, 1, 256, NN_ACT_CLIP},
    {"fastdepth pw 64->128 56", "Conv", 1, 64, 128, 56, 56, 1, 1, 1, 0, 1, NN_ACT_CLIP},
    {"fastdepth pw 512->512 14", "Conv", 1, 512, 512, 14, 14, 1, 1, 1, 0, 1, NN_ACT_CLIP},
    {"fastdepth dw5 512@14", "Conv", 1, 512, 512, 14, 14, 5, 1, 1, 2, 512, NN_ACT_RELU},
    {"fastdepth 5x5 64->32 56", "Conv", 1, 64, 32, 56, 56, 5, 1, 1, 2, 1, NN_ACT_RELU},
    /* FastDepth's own depthwise shapes (fastdepth_7.onnx): decoder 5x5, encoder 3x3 */
    {"fastdepth dw5 56@112", "Conv", 1, 56, 56, 112, 112, 5, 1, 1, 2, 56, NN_ACT_RELU},
    {"fastdepth dw5 120@56", "Conv", 1, 120, 120, 56, 56, 5, 1, 1, 2, 120, NN_ACT_RELU},
    {"fastdepth dw5 256@28", "Conv", 1, 256, 256, 28, 28, 5, 1, 1, 2, 256, NN_ACT_RELU},
    {"fastdepth dw 376@14", "Conv", 1, 376, 376, 14, 14, 3, 1, 1, 1, 376, NN_ACT_RELU},
    {"fastdepth dw 480@7", "Conv", 1, 480, 480, 7, 7, 3, 1, 1, 1, 480, NN_ACT_RELU},
    {"fastdepth dw 120@56 s2", "Conv", 1, 120, 120, 56, 56, 3, 2, 1, 1, 120, NN_ACT_RELU},
    /* Depth Anything V2 Small (518^2) */
    {"dav2 patch 14x14 s14", "Conv", 1, 3, 384, 518, 518, 14, 14, 1, 0, 1, NN_ACT_NONE},
    {"dav2 pw 384->48 37", "Conv", 1, 384, 48, 37, 37, 1, 1, 1, 0, 1, NN_ACT_NONE},
    {"dav2 pw 64->64 296", "Conv", 1, 64, 64, 296, 296, 1, 1, 1, 0, 1, NN_ACT_NONE},
    {"fastdepth pw 120->56 56", "Conv", 1, 120, 56, 56, 56, 1, 1, 1, 0, 1, NN_ACT_RELU},
    {"fastdepth pw 56->16 112", "Conv", 1, 56, 16, 112, 112, 1, 1, 1, 0, 1, NN_ACT_RELU},
    {"fastdepth pw 480->512 7", "Conv", 1, 480, 512, 7, 7, 1, 1, 1, 0, 1, NN_ACT_RELU},
    {"fastdepth pw 408->376 14", "Conv", 1, 408, 376, 14, 14, 1, 1, 1, 0, 1, NN_ACT_RELU},
    {"dav2 3x3 64->64 148", "Conv", 1, 64, 64, 148, 148, 3, 1, 1, 1, 1, NN_ACT_RELU},
    {"dav2 3x3 64->32 296", "Conv", 1, 64, 32, 296, 296, 3, 1, 1, 1, 1, NN_ACT_NONE},
    {"dav2 3x3 32->32 518", "Conv", 1, 32, 32, 518, 518, 3, 1, 1, 1, 1, NN_ACT_RELU},
    {"dav2 convT k4s4 48@37", "ConvTranspose", 1, 48, 48, 37, 37, 4, 4, 1, 0, 1, NN_ACT_NONE},
    {"dav2 convT k2s2 96@37", "ConvTranspose", 1, 96, 96, 37, 37, 2, 2, 1, 0, 1, NN_ACT_NONE},
    /* generic */
    {"256->256 64x64", "Conv", 1, 256, 256, 64, 64, 3, 1, 1, 1, 1, NN_ACT_NONE},
};

static clockid_t g_clock = CLOCK_MONOTONIC;

static double now(void) {
  struct timespec ts;
  clock_gettime(g_clock, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static float *rnd(int64_t n) {
  float *p = malloc((size_t)n * sizeof *p);
  for (int64_t i = 0; i < n; i++) p[i] = (float)((i * 7919) % 2001) / 1000.0f - 1.0f;
  return p;
}

/* Best seconds of one kernel run over `repeat` runs; flops in *flops. */
static double run_case(const bcase *b, dm_context *ctx, int repeat, double *flops) {
  nn_attr attrs[6] = {0};
  int64_t ks[2] = {b->k, b->k}, st[2] = {b->s, b->s}, dl[2] = {b->d, b->d}, pd[4] = {b->p, b->p, b->p, b->p};
  attrs[0] = (nn_attr){.name = "kernel_shape", .type = NN_ATTR_INTS, .ints = ks, .n = 2};
  attrs[1] = (nn_attr){.name = "strides", .type = NN_ATTR_INTS, .ints = st, .n = 2};
  attrs[2] = (nn_attr){.name = "dilations", .type = NN_ATTR_INTS, .ints = dl, .n = 2};
  attrs[3] = (nn_attr){.name = "pads", .type = NN_ATTR_INTS, .ints = pd, .n = 4};
  attrs[4] = (nn_attr){.name = "group", .type = NN_ATTR_INT, .i = b->group};
  attrs[5] = (nn_attr){.name = "ceil_mode", .type = NN_ATTR_INT, .i = 1};
  nn_node node = {.name = "bench", .op_type = (char *)b->op, .domain = "", .attrs = attrs, .n_attrs = 6};
  node.act = (nn_act){b->act, 0.0f, 6.0f};
  int is_pool = !strcmp(b->op, "MaxPool"), is_ct = !strcmp(b->op, "ConvTranspose");
  dm_nn_tensor x = {DM_NN_FLOAT, 4, {b->n, b->c, b->h, b->w}, NULL}, w = x, bias = x, y = {0};
  w.dims[0] = is_ct ? b->c : b->m, w.dims[1] = is_ct ? b->m / b->group : b->c / b->group;
  w.dims[2] = w.dims[3] = b->k;
  bias.ndim = 1, bias.dims[0] = b->m;
  x.data = rnd(nn_numel(&x)), w.data = rnd(nn_numel(&w)), bias.data = rnd(b->m);
  dm_nn_tensor *in[3] = {&x, &w, &bias}, *out[1] = {&y};
  int n_in = is_pool ? 1 : 3;
  node.n_in = n_in, node.n_out = 1;
  const nn_op *op = nn_find_op("", b->op, 13);
  nn_kctx k = {ctx, NULL, &node, 13, n_in, 1, in, out, NULL};
  double best = 1e30;
  if (op->infer(&k) || (op->prepare && op->prepare(&k))) {
    fprintf(stderr, "%s: %s\n", b->name, dm_context_error(ctx));
    return -1;
  }
  y.data = malloc((size_t)nn_numel(&y) * sizeof(float));
  k.scratch = node.scratch ? aligned_alloc(64, (node.scratch + 63) / 64 * 64) : NULL;
  for (int r = 0; r <= repeat; r++) {
    double t = now();
    op->run(&k);
    t = now() - t;
    if (r && t < best) best = t; /* run 0 warms up */
  }
  int64_t outs = nn_numel(&y);
  if (is_pool) *flops = (double)outs * (double)(b->k * b->k);
  else if (is_ct) *flops = 2.0 * (double)nn_numel(&x) * (double)(b->m / b->group) * (double)(b->k * b->k);
  else *flops = 2.0 * (double)outs * (double)(b->c / b->group) * (double)(b->k * b->k);
  if (op->release) op->release(node.state);
  free(k.scratch), free(x.data), free(w.data), free(bias.data), free(y.data);
  return best;
}

/* The peer: one sgemm of the whole image, OpenBLAS threading it. */
static double peer_sgemm(const bcase *b, int threads, int repeat) {
  int64_t oh = (b->h + 2 * b->p - ((b->k - 1) * b->d + 1)) / b->s + 1;
  int64_t ow = (b->w + 2 * b->p - ((b->k - 1) * b->d + 1)) / b->s + 1;
  int64_t M = b->m, K = b->c * b->k * b->k, N = oh * ow;
  float *A = rnd(M * K), *B = rnd(K * N), *C = malloc((size_t)(M * N) * sizeof *C);
  openblas_set_num_threads(threads);
  double best = 1e30;
  for (int r = 0; r <= repeat; r++) {
    double t = now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)M, (int)N, (int)K, 1.0f, A, (int)K, B,
                (int)N, 0.0f, C, (int)N);
    t = now() - t;
    if (r && t < best) best = t;
  }
  openblas_set_num_threads(1);
  free(A), free(B), free(C);
  return best;
}

int main(int argc, char **argv) {
  int threads = 2, repeat = 5, nsel = 0;
  const char *sel[32];
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--repeat") && i + 1 < argc) repeat = atoi(argv[++i]);
    else if (nsel < 32) sel[nsel++] = argv[i];
  }
  dm_context *ctx = dm_context_new(threads), *one = dm_context_new(1);
  printf("%-26s %9s %9s %9s %9s   (GFLOP/s; ms at %d threads)\n", "case", "ms", "ours", "ours-1t",
         "blas-mt", threads);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const bcase *b = &cases[i];
    int hit = !nsel;
    for (int s = 0; s < nsel; s++) hit |= strstr(b->name, sel[s]) != NULL;
    if (!hit) continue;
    double fl, t = run_case(b, ctx, repeat, &fl);
    g_clock = CLOCK_PROCESS_CPUTIME_ID; /* one thread: CPU time, immune to a busy machine */
    double t1 = run_case(b, one, repeat, &fl);
    g_clock = CLOCK_MONOTONIC;
    if (t < 0 || t1 < 0) continue;
    int gemm = !strcmp(b->op, "Conv") && b->group == 1;
    double tp = gemm ? peer_sgemm(b, threads, repeat) : 0;
    printf("%-26s %9.2f %9.1f %9.1f ", b->name, t * 1e3, fl / t * 1e-9, fl / t1 * 1e-9);
    if (gemm) printf("%9.1f\n", fl / tp * 1e-9);
    else printf("%9s\n", "-");
    fflush(stdout);
  }
  dm_context_free(ctx), dm_context_free(one);
  return 0;
}
