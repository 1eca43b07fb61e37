/* libFuzzer target for ONNX external data read from a real folder
 * (src/nn/load_external.c: location, offset and length from the model,
 * path rules, files too short, directories, subfolders). The input is a
 * small bundle: the model, then files, each introduced by a line
 * "@file NAME" (after a newline) and running to the next one:
 *
 *   <model.onnx bytes>\n@file weights.bin\n<bytes>\n@file sub/b.bin\n<bytes>
 *
 * Everything is written into a fresh folder (in /dev/shm, else /tmp) as
 * model.onnx and the named files, the model is loaded from there with
 * dm_nn_load, and the folder is removed. Names are one or two components
 * of [A-Za-z0-9._-] (not "." or ".."), at most 8 files; others are
 * skipped, so nothing is written outside the folder. Seeds: small models
 * whose initializers and Constant attributes live in external files, good
 * and broken, written with python3-onnx (fuzz/make_seeds.sh). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "nn/nn.h"

#define MARK "\n@file "
#define MAX_FILES 8

typedef struct folder {
  char dir[64];
  int n_files, n_dirs;
  char files[MAX_FILES + 1][160], dirs[MAX_FILES][160]; /* to remove, in reverse */
} folder;

/* One or two path components of [A-Za-z0-9._-], neither "." nor "..". */
static int name_ok(const char *n, size_t len) {
  if (len < 1 || len > 64) return 0;
  int parts = 1;
  for (size_t i = 0, start = 0; i <= len; i++) {
    if (i < len && n[i] != '/') {
      char c = n[i];
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '.' || c == '_' || c == '-'))
        return 0;
      continue;
    }
    size_t k = i - start;
    if (!k || (k == 1 && n[start] == '.') || (k == 2 && n[start] == '.' && n[start + 1] == '.'))
      return 0;
    if (i < len && ++parts > 2) return 0;
    start = i + 1;
  }
  return 1;
}

static void put_file(folder *f, const char *name, size_t name_len, const uint8_t *data, size_t len) {
  if (f->n_files > MAX_FILES) return;
  char path[160];
  snprintf(path, sizeof path, "%s/%.*s", f->dir, (int)name_len, name);
  char *slash = strchr(path + strlen(f->dir) + 1, '/');
  if (slash) {
    *slash = 0;
    if (mkdir(path, 0700) == 0) snprintf(f->dirs[f->n_dirs++], sizeof f->dirs[0], "%s", path);
    else if (errno != EEXIST) return;
    *slash = '/';
  }
  snprintf(f->files[f->n_files++], sizeof f->files[0], "%s", path); /* removed even if half made */
  dm_fuzz_write(path, data, len);
}

static void remove_folder(folder *f) {
  for (int i = f->n_files - 1; i >= 0; i--) unlink(f->files[i]);
  for (int i = f->n_dirs - 1; i >= 0; i--) rmdir(f->dirs[i]);
  if (rmdir(f->dir) != 0) {
    fprintf(stderr, "fuzz_onnx_ext: %s not removed: %s\n", f->dir, strerror(errno));
    abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  folder f = {.n_files = 0};
  if (!dm_fuzz_mkdtemp(f.dir, sizeof f.dir, "fuzz_onnx_ext")) abort();
  const uint8_t *end = data + size, *mark = memmem(data, size, MARK, sizeof MARK - 1);
  put_file(&f, "model.onnx", 10, data, (size_t)((mark ? mark : end) - data));
  while (mark && f.n_files <= MAX_FILES) {
    const char *name = (const char *)mark + sizeof MARK - 1;
    const uint8_t *nl = memchr(name, '\n', (size_t)(end - (const uint8_t *)name));
    if (!nl) break;
    const uint8_t *body = nl + 1;
    mark = memmem(body, (size_t)(end - body), MARK, sizeof MARK - 1);
    size_t name_len = (size_t)((const char *)nl - name);
    if (name_ok(name, name_len) && !(name_len == 10 && !memcmp(name, "model.onnx", 10)))
      put_file(&f, name, name_len, body, (size_t)((mark ? mark : end) - body));
  }
  dm_context *ctx = dm_context_new(1);
  if (ctx) {
    char path[96];
    snprintf(path, sizeof path, "%s/model.onnx", f.dir);
    dm_nn_model *m = NULL;
    if (dm_nn_load(ctx, path, &m) == DM_OK) {
      for (int i = 0; i < dm_nn_input_count(m); i++) {
        dm_nn_tensor decl;
        dm_nn_input_decl(m, i, &decl);
        if (!dm_nn_input_name(m, i) || decl.ndim > DM_NN_MAX_DIMS) abort();
      }
      for (int i = 0; i < dm_nn_output_count(m); i++)
        if (!dm_nn_output_name(m, i)) abort();
      dm_nn_free(m);
    }
    dm_context_free(ctx);
  }
  remove_folder(&f);
  return 0;
}
