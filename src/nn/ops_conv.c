/* Conv (1-D, 2-D, 3-D and beyond; groups, dilations, strides, pads,
 * auto_pad, optional bias, fused Relu/Clip) and the list of the
 * convolution and pooling kernels.
 *
 * Algorithms, picked at prepare:
 *   1x1, stride 1, no pads  straight on the input, per column tile (the
 *                           register-blocked kernel or one sgemm, as below)
 *   3x3 stride 1, constant  Winograd F(4x4, 3x3) (conv_wino.c), on AVX2,
 *   weights                 with channels and tiles enough (nn_conv_wino_ok)
 *   depthwise 2-D           direct kernel (conv_dw.c)
 *   2-D stride 1            register-blocked kernel (conv_smallk*.c) on
 *                           padded input bands, no im2col (conv_band.c),
 *                           when the CPU has AVX-512 (any K) or AVX2 (small K)
 *   anything else           im2col over tiles of output positions, then the
 *                           same kernel or OpenBLAS sgemm (conv_gemm.c)
 * Every path splits its work over dm_parallel workers that take items from
 * a shared counter; scratch is bounded per thread. */
#include <cblas.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>

#include "nn/conv_internal.h"
#include "nn/conv_wino.h"

/* Our pool splits a conv into tiles, each worker calling a one-thread kernel
 * (faster on 2 cores than one OpenBLAS-threaded sgemm per image, and im2col
 * runs in parallel too; see bench/bench_conv.c); OpenBLAS threads on top of
 * that would oversubscribe the cores. So OpenBLAS runs one thread, set once
 * per process: switching the count around each call raced when two batch
 * workers ran networks at once. */
static pthread_once_t blas_once = PTHREAD_ONCE_INIT;
static void blas_single(void) { openblas_set_num_threads(1); }
void nn_blas_single_thread(void) { pthread_once(&blas_once, blas_single); }

static dm_status conv_shape(nn_kctx *k, nn_conv_shape *sh) {
  if (k->n_in < 2 || !k->in[0] || !k->in[1])
    return nn_fail(k, DM_ERR_FORMAT, "needs inputs X and W");
  if (k->n_out < 1 || !k->out[0]) return nn_fail(k, DM_ERR_FORMAT, "needs output Y");
  const dm_nn_tensor *x = k->in[0], *w = k->in[1], *b = k->n_in > 2 ? k->in[2] : NULL;
  dm_status s;
  if ((s = nn_conv_need_float(k, x, "X")) || (s = nn_conv_need_float(k, w, "W")) ||
      (b && (s = nn_conv_need_float(k, b, "B"))))
    return s;
  if (w->ndim != x->ndim)
    return nn_fail(k, DM_ERR_FORMAT, "W has rank %d, X rank %d", w->ndim, x->ndim);
  if ((s = nn_win_parse(k, x, w->ndim >= 3 ? w->dims + 2 : NULL, NN_WIN_CONV, &sh->w))) return s;
  sh->n = x->dims[0];
  sh->c = x->dims[1];
  sh->m = w->dims[0];
  sh->group = nn_attr_int(k->node, "group", 1);
  if (sh->group < 1 || sh->c % sh->group || sh->m % sh->group || sh->m < 1)
    return nn_fail(k, DM_ERR_FORMAT, "group %lld does not divide %lld input and %lld output channels",
                   (long long)sh->group, (long long)sh->c, (long long)sh->m);
  sh->cg = sh->c / sh->group;
  sh->mg = sh->m / sh->group;
  if (w->dims[1] != sh->cg)
    return nn_fail(k, DM_ERR_FORMAT, "W has %lld channels per group, X gives %lld", (long long)w->dims[1],
                   (long long)sh->cg);
  if (b && (b->ndim != 1 || b->dims[0] != sh->m))
    return nn_fail(k, DM_ERR_FORMAT, "B must have shape [%lld]", (long long)sh->m);
  sh->kdim = sh->cg * sh->w.kprod;
  if (sh->kdim > INT_MAX || sh->w.out_prod > INT_MAX || sh->mg > INT_MAX)
    return nn_fail(k, DM_ERR_FORMAT, "too large for a single matrix product");
  return DM_OK;
}

static dm_status conv_infer(nn_kctx *k) {
  nn_conv_shape sh;
  dm_status s = conv_shape(k, &sh);
  if (s) return s;
  nn_conv_set_output(k->out[0], k->in[0], &sh);
  return DM_OK;
}

static void conv_release(void *state) {
  nn_conv_plan *p = state;
  if (p) {
    free(p->off);
    free(p->wino_u);
  }
  free(p);
}

static dm_status conv_prepare(nn_kctx *k) {
  nn_conv_plan *p = calloc(1, sizeof *p);
  if (!p) return nn_fail(k, DM_ERR_NOMEM, "out of memory");
  dm_status s = conv_shape(k, &p->sh);
  if (s) {
    free(p);
    return s;
  }
  const nn_win *w = &p->sh.w;
  int pointwise = 1;
  for (int i = 0; i < w->nsp; i++)
    pointwise &= w->k[i] == 1 && w->s[i] == 1 && w->pb[i] == 0 && w->pe[i] == 0;
  /* Winograd transforms the weights once, here: they must be known now
   * (driven without a graph, by the tests and benchmarks, a kernel sees
   * runtime weights as data still missing) */
  const int w_const = k->graph ? k->graph->values[k->node->in[1]].is_const : k->in[1]->data != NULL;
  p->algo = p->sh.kdim == 0 ? NN_CONV_NO_INPUT
            : pointwise ? NN_CONV_1X1
            : w_const && nn_conv_wino_ok(&p->sh) ? NN_CONV_WINO
            : nn_conv_dw_ok(&p->sh) ? NN_CONV_DW
            : nn_conv_band_ok(&p->sh) ? NN_CONV_BAND
                                      : NN_CONV_GEMM;
  int nt = k->ctx && k->ctx->n_threads > 1 ? k->ctx->n_threads : 1;
  if (p->algo == NN_CONV_WINO) {
    if (nn_conv_wino_plan(p, k->in[1]->data, nt)) {
      conv_release(p);
      return nn_fail(k, DM_ERR_NOMEM, "out of memory");
    }
  } else if (p->algo == NN_CONV_BAND) {
    if (nn_conv_band_plan(p, nt)) {
      free(p);
      return nn_fail(k, DM_ERR_NOMEM, "out of memory");
    }
  } else if (p->algo == NN_CONV_DW) {
    nn_conv_dw_plan(p, nt);
  } else if (p->algo != NN_CONV_NO_INPUT) {
    nn_conv_gemm_plan(p, nt);
  }
  k->node->state = p;
  k->node->scratch = (size_t)p->slots * p->slot_floats * sizeof(float);
  return DM_OK;
}

static dm_status conv_run(nn_kctx *k) {
  const nn_conv_plan *p = k->node->state;
  if (!p) return nn_fail(k, DM_ERR_INTERNAL, "run before prepare");
  const float *bias = k->n_in > 2 && k->in[2] ? k->in[2]->data : NULL;
  if (p->algo == NN_CONV_NO_INPUT) {
    /* 0 input channels: every output is the bias (or 0), as ConvTranspose gives */
    const int64_t plane = p->sh.w.out_prod;
    float *y = k->out[0]->data;
    for (int64_t i = 0; i < p->sh.n * p->sh.m; i++)
      nn_conv_fill(y + i * plane, (size_t)plane, bias ? bias[i % p->sh.m] : 0.0f);
    nn_conv_act(&k->node->act, y, (size_t)(p->sh.n * p->sh.m * plane));
  } else if (p->algo == NN_CONV_WINO) {
    nn_conv_wino_run(k, p, k->in[0]->data, bias, k->out[0]->data);
  } else if (p->algo == NN_CONV_DW) {
    nn_conv_dw_run(k, p, k->in[0]->data, k->in[1]->data, bias, k->out[0]->data);
  } else if (p->algo == NN_CONV_BAND) {
    nn_conv_band_run(k, p, k->in[0]->data, k->in[1]->data, bias, k->out[0]->data);
  } else if (p->smallk) {
    nn_conv_gemm_run(k, p, k->in[0]->data, k->in[1]->data, bias, k->out[0]->data);
  } else {
    nn_blas_single_thread();
    nn_conv_gemm_run(k, p, k->in[0]->data, k->in[1]->data, bias, k->out[0]->data);
  }
  return DM_OK;
}


static void conv_describe(const nn_node *n, char *buf, size_t len, double *macs) {
  const nn_conv_plan *p = n->state;
  if (!p) return;
  static const char *const algo[] = {"im2col", "1x1", "depthwise", "band", "no-input", "winograd"};
  const nn_conv_shape *sh = &p->sh;
  const nn_win *w = &sh->w;
  const char *isa = p->smallk == NN_SMALLK_AVX512 ? "avx512" : p->smallk ? "avx2" : "sgemm";
  if (w->nsp == 2)
    snprintf(buf, len, "%s%s/%s %lldx%lld d%lld s%lld g%lld %lld->%lld %lldx%lld", algo[p->algo],
             p->whole ? "-whole" : "", isa,
             (long long)w->k[0], (long long)w->k[1], (long long)w->d[0], (long long)w->s[0],
             (long long)sh->group, (long long)sh->c, (long long)sh->m, (long long)w->out[0],
             (long long)w->out[1]);
  else
    snprintf(buf, len, "%s%s/%s %dd g%lld %lld->%lld", algo[p->algo], p->whole ? "-whole" : "", isa, w->nsp,
             (long long)sh->group,
             (long long)sh->c, (long long)sh->m);
  *macs = (double)sh->n * (double)sh->m * (double)w->out_prod * (double)sh->kdim;
}

static const nn_op op_conv = {"Conv", 1, 22, NN_OP_ACT, conv_infer, conv_prepare, conv_run,
                              conv_release, conv_describe};

const nn_op *const nn_ops_conv[] = {
    &op_conv, &nn_op_conv_transpose, &nn_op_batchnorm, &nn_op_maxpool, &nn_op_averagepool,
    &nn_op_global_averagepool, &nn_op_global_maxpool, NULL};
