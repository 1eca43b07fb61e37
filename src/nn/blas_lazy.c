/* OpenBLAS through dlopen (core/lazy_lib.h): only the networks multiply
 * matrices, and linked, OpenBLAS (with libgfortran, and a thread it starts
 * in its constructor) costs every process start-up time, the lens blur from
 * a depth file and `info` included. The two functions depthmask calls, with
 * OpenBLAS's own prototypes, loading it on first use; dm_nn_run asks
 * dm_blas_unavailable first, so a missing library is one line there rather
 * than an abort here. DEPTHMASK_LIBOPENBLAS names another build. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/lazy_lib.h"
#include "nn/nn_internal.h"

#define BLAS_FUNCS(X) X(cblas_sgemm) X(openblas_set_num_threads)

DM_LAZY_LIBRARY(blas, BLAS_FUNCS, "DEPTHMASK_LIBOPENBLAS", DM_LIBOPENBLAS_SONAME);

const char *dm_blas_unavailable(void) { return dm_lazy_load(&blas); }

static void need(void) {
  const char *no = dm_lazy_load(&blas);
  if (!no) return;
  fprintf(stderr, "depthmask: OpenBLAS cannot be loaded: %s\n", no);
  abort();
}

void openblas_set_num_threads(int n) {
  need();
  fn.openblas_set_num_threads(n);
}

void cblas_sgemm(OPENBLAS_CONST enum CBLAS_ORDER order, OPENBLAS_CONST enum CBLAS_TRANSPOSE ta,
                 OPENBLAS_CONST enum CBLAS_TRANSPOSE tb, OPENBLAS_CONST blasint m, OPENBLAS_CONST blasint n,
                 OPENBLAS_CONST blasint k, OPENBLAS_CONST float alpha, OPENBLAS_CONST float *a,
                 OPENBLAS_CONST blasint lda, OPENBLAS_CONST float *b, OPENBLAS_CONST blasint ldb,
                 OPENBLAS_CONST float beta, float *c, OPENBLAS_CONST blasint ldc) {
  need();
  fn.cblas_sgemm(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
