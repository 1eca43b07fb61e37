/* Regressions: the models fuzz_onnx_run crashed on (fuzz/seeds/onnx_run/),
 * planned and run as the fuzzer does (zero inputs of the declared shapes).
 * Each must load-and-fail or run cleanly under ASan/UBSan. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_test.h"
#include "nn/nn.h"

static void run_one(const char *path) {
  dm_context *ctx = dm_context_new(2);
  dm_nn_model *m = NULL;
  if (dm_nn_load(ctx, path, &m) == DM_OK) {
    int ni = dm_nn_input_count(m), no = dm_nn_output_count(m), ok = 1;
    dm_nn_tensor *in = calloc((size_t)ni + 1, sizeof *in), *out = calloc((size_t)no + 1, sizeof *out);
    for (int i = 0; i < ni; i++) {
      dm_nn_input_decl(m, i, &in[i]);
      if (in[i].ndim < 0) in[i].ndim = 1;
      for (int d = 0; d < in[i].ndim; d++)
        if (in[i].dims[d] < 0) in[i].dims[d] = 2;
      int64_t n = dm_nn_numel(&in[i]);
      if (n < 0 || n > 4096 || !dm_nn_dtype_size(in[i].dtype)) ok = 0;
      else in[i].data = calloc((size_t)n + 1, dm_nn_dtype_size(in[i].dtype));
    }
    if (ok && dm_nn_run(ctx, m, in, out, NULL) == DM_OK)
      for (int i = 0; i < no; i++) free(out[i].data);
    else
      CHECK(dm_context_error(ctx)[0] != 0); /* a failure always says why */
    for (int i = 0; i < ni; i++) free(in[i].data);
    free(in), free(out);
    dm_nn_free(m);
  }
  dm_context_free(ctx);
}

int main(void) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/fuzz/seeds/onnx_run", DM_SOURCE_DIR);
  DIR *d = opendir(dir);
  CHECK(d != NULL);
  int n = 0;
  for (struct dirent *e; d && (e = readdir(d));) {
    if (!strstr(e->d_name, ".onnx")) continue;
    char path[8300];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    run_one(path);
    n++;
  }
  if (d) closedir(d);
  CHECK(n >= 5);
  return dm_test_done("nn/test_fuzz_found");
}
