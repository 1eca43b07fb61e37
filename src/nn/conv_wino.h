/* Winograd F(4x4, 3x3) convolution (conv_wino.c, conv_wino_tx.c): 2-D 3x3
 * stride-1 undilated Conv with constant weights, on AVX2 + FMA. It takes
 * 36 multiply-adds per 16 outputs and channel pair where the direct
 * kernels take 144; the rest is transforms, linear in the channels. */
#ifndef DM_NN_CONV_WINO_H
#define DM_NN_CONV_WINO_H

#include "nn/conv_internal.h"

/* Whether the plan's shape takes the Winograd path on this CPU. */
int nn_conv_wino_ok(const nn_conv_shape *sh);
/* Transform the weights (M x C x 3 x 3) into p->wino_u and size the blocks
 * and the scratch. */
dm_status nn_conv_wino_plan(nn_conv_plan *p, const float *w, int n_threads);
void nn_conv_wino_run(nn_kctx *k, const nn_conv_plan *p, const float *x, const float *bias, float *y);

/* conv_wino_tx.c. Input: the 6x6 patches of 8 tiles, tile t at
 * src[4t + row * ld + col]; writes element xi of the 36 transformed values
 * of the 8 tiles to v + xi * xi_stride (8 floats each). */
void nn_wino_input8(const float *src, int64_t ld, float *v, int64_t xi_stride);
/* Output: 8 tiles' 36 products (element xi at m + xi * xi_stride) to 4 rows
 * of 32 outputs at out + row * ld, plus bias, then the activation. */
void nn_wino_output8(const float *m, int64_t xi_stride, float bias, const nn_act *act, float *out,
                     int64_t ld);
/* One 3x3 kernel (row-major) to its 6x6 transform. */
void nn_wino_kernel(const float *g, double u[36]);

#endif
