/* Tensor kernel benchmark on the shapes of the models we run: Resize
 * (ISNet's side outputs upsampled to 1024^2, Depth Anything V2's
 * align_corners head, FastDepth's nearest x2), the Cast to float16 ISNet
 * applies to every resized map, and NCHW <-> NHWC transposes. Each node is
 * driven like the planner drives it (prepare once, timed runs only).
 * Reports milliseconds and output GB/s with the chosen thread count and
 * with one thread, beside a memcpy of the output's size on the same
 * threads (what a memory-bound kernel cannot beat). The machines are
 * shared: figures are the best of the repeats.
 *
 * usage: bench_tensor [--threads N] [--repeat N] [NAME-SUBSTRING...] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/pool.h"
#include "nn/nn_internal.h"

typedef struct bcase {
  const char *name, *op, *mode, *coord;
  int64_t c, h, w, oh, ow;   /* Transpose: perm (0, oh, ow, ...) as in perms[] */
  int perm;
} bcase;

static const int64_t perms[][4] = {{0, 2, 3, 1}, {0, 3, 1, 2}};

static const bcase cases[] = {
    {"resize isnet 64@64 -> 1024 linear", "Resize", "linear", "half_pixel", 64, 64, 64, 1024, 1024, 0},
    {"resize isnet 64@128 -> 1024 linear", "Resize", "linear", "half_pixel", 64, 128, 128, 1024, 1024, 0},
    {"resize isnet 1@32 -> 1024 linear", "Resize", "linear", "half_pixel", 1, 32, 32, 1024, 1024, 0},
    {"resize isnet 64@256 -> 512 linear", "Resize", "linear", "half_pixel", 64, 256, 256, 512, 512, 0},
    {"resize isnet 128@128 -> 256 linear", "Resize", "linear", "half_pixel", 128, 128, 128, 256, 256, 0},
    {"resize dav2 32@296 -> 518 align_corners", "Resize", "linear", "align_corners", 32, 296, 296, 518, 518, 0},
    {"resize dav2 1@518 -> 1024 cubic", "Resize", "cubic", "half_pixel", 1, 518, 518, 1024, 1024, 0},
    {"resize fastdepth 64@56 -> 112 nearest", "Resize", "nearest", "asymmetric", 64, 56, 56, 112, 112, 0},
    {"cast isnet 64@1024 to float16", "Cast", NULL, NULL, 64, 1024, 1024, 1024, 1024, 0},
    {"transpose 64@512 NCHW -> NHWC", "Transpose", NULL, NULL, 64, 512, 512, 512, 512, 0},
    {"transpose 64@512 NHWC -> NCHW", "Transpose", NULL, NULL, 512, 512, 64, 512, 512, 1},
};

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct copy_job {
  float *dst;
  const float *src;
  size_t n;
} copy_job;

static void copy_part(void *user, int ith, int nth) {
  copy_job *j = user;
  size_t a = j->n * (size_t)ith / (size_t)nth, b = j->n * (size_t)(ith + 1) / (size_t)nth;
  memcpy(j->dst + a, j->src + a, (b - a) * sizeof(float));
}

/* Best seconds of `repeat` runs of the node (or of the memcpy peer). */
static double time_case(const bcase *bc, int threads, int repeat, int peer) {
  dm_context *ctx = dm_context_new(threads);
  if (!ctx) exit(1);
  nn_attr attrs[2];
  int ids[4] = {-1, -1, -1, -1}, n_in = 1, n_attrs = 0, opset = 19;
  int64_t sizes[4] = {1, bc->c, bc->oh, bc->ow};
  dm_nn_tensor x = {DM_NN_FLOAT, 4, {1, bc->c, bc->h, bc->w}, NULL};
  dm_nn_tensor sz = {DM_NN_INT64, 1, {4}, sizes}, y = {0};
  dm_nn_tensor *in[4] = {&x, NULL, NULL, &sz}, *out[1] = {&y};
  if (!strcmp(bc->op, "Resize")) {
    attrs[0] = (nn_attr){.name = "mode", .type = NN_ATTR_STRING, .s = (char *)bc->mode};
    attrs[1] = (nn_attr){.name = "coordinate_transformation_mode", .type = NN_ATTR_STRING, .s = (char *)bc->coord};
    n_attrs = 2, n_in = 4;
  } else if (!strcmp(bc->op, "Cast")) {
    attrs[0] = (nn_attr){.name = "to", .type = NN_ATTR_INT, .i = DM_NN_FLOAT16};
    n_attrs = 1;
  } else {
    attrs[0] = (nn_attr){.name = "perm", .type = NN_ATTR_INTS, .ints = (int64_t *)perms[bc->perm], .n = 4};
    n_attrs = 1;
  }
  nn_node node = {.name = "bench", .op_type = (char *)bc->op, .domain = "", .n_in = n_in, .n_out = 1,
                  .in = ids, .out = ids, .attrs = attrs, .n_attrs = n_attrs};
  nn_kctx k = {ctx, NULL, &node, opset, n_in, 1, in, out, NULL};
  const nn_op *op = nn_find_op("", bc->op, opset);
  size_t nx = (size_t)(bc->c * bc->h * bc->w);
  x.data = malloc(nx * sizeof(float));
  for (size_t i = 0; i < nx; i++) ((float *)x.data)[i] = (float)(i % 977) * 0.001f;
  if (!op || op->infer(&k) != DM_OK || (op->prepare && op->prepare(&k) != DM_OK)) {
    fprintf(stderr, "bench_tensor: %s: %s\n", bc->name, dm_context_error(ctx));
    exit(1);
  }
  size_t ny = (size_t)dm_nn_numel(&y);
  float *peer_src = malloc(ny * sizeof(float));
  memset(peer_src, 1, ny * sizeof(float));
  y.data = malloc(ny * sizeof(float));
  k.scratch = node.scratch ? aligned_alloc(64, (node.scratch + 63) & ~(size_t)63) : NULL;
  copy_job cj = {y.data, peer_src, ny};
  double best = 1e30;
  for (int r = 0; r < repeat + 1; r++) { /* the first run warms the pages */
    double t0 = now();
    if (peer) dm_parallel(ctx, copy_part, &cj);
    else op->run(&k);
    double t = now() - t0;
    if (r && t < best) best = t;
  }
  if (op->release) op->release(node.state);
  free(k.scratch), free(x.data), free(y.data), free(peer_src);
  dm_context_free(ctx);
  return best;
}

int main(int argc, char **argv) {
  int threads = 2, repeat = 5, n_filters = 0;
  const char *filters[32];
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--repeat") && i + 1 < argc) repeat = atoi(argv[++i]);
    else if (argv[i][0] != '-' && n_filters < 32) filters[n_filters++] = argv[i];
    else {
      fprintf(stderr, "usage: bench_tensor [--threads N] [--repeat N] [NAME-SUBSTRING...]\n");
      return 2;
    }
  }
  printf("%-40s %10s %8s %10s %8s %12s\n", "case", "ms", "GB/s", "ms (1 thr)", "GB/s", "memcpy ms");
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    const bcase *bc = &cases[c];
    int take = !n_filters;
    for (int f = 0; f < n_filters; f++) take |= strstr(bc->name, filters[f]) != NULL;
    if (!take) continue;
    double bytes = (double)(bc->op[0] == 'R' ? bc->c * bc->oh * bc->ow : bc->c * bc->h * bc->w) * sizeof(float);
    double tn = time_case(bc, threads, repeat, 0), t1 = time_case(bc, 1, repeat, 0);
    double tp = time_case(bc, threads, repeat, 1);
    printf("%-40s %10.2f %8.2f %10.2f %8.2f %12.2f\n", bc->name, tn * 1e3, bytes / tn * 1e-9, t1 * 1e3,
           bytes / t1 * 1e-9, tp * 1e3);
  }
  printf("(%d threads; best of %d)\n", threads, repeat);
  return 0;
}
