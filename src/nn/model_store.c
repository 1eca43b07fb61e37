#include "nn/model_store.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/file.h"

#ifndef DM_MODELS_DIR
#define DM_MODELS_DIR "models"
#endif

/* Checksums: isnet-medium and fastdepth as rebuilt by models/fetch.sh from the
 * npm packages pinned in models/; the DA-V2-S ones are the onnx-community
 * export's published files (onnx/model.onnx, onnx/model_int8.onnx). */
static const dm_model_entry known[] = {
    {"isnet-medium", "isnet_medium.onnx",
     "b6e8497ba978a6f5fbb647e419d2696cd80df5a23cb6a8ea532021911bd76acb", 88188479LL, DM_MODEL_MATTE,
     1024, 1024, "ISNet (DIS) subject matte, \"medium\" of @imgly/background-removal-data 1.4.5"},
    {"da-v2-small", "da_v2_small.onnx",
     "afb6a5c28f3b6bf1618c6e43f02073ef9dfdc70e937502d51603e57b0a1df10c", 99060839LL, DM_MODEL_DEPTH,
     518, 518, "Depth Anything V2 Small, relative disparity (onnx-community model.onnx)"},
    {"da-v2-small-int8", "da_v2_small_int8.onnx",
     "01aa7a23de3f4a0ee1a2bb9997e6918104c85a9f95dea46d27b9b3fb0c6b9001", 27258801LL, DM_MODEL_DEPTH,
     518, 518, "Depth Anything V2 Small, int8 weights (onnx-community model_int8.onnx)"},
    {"fastdepth", "fastdepth_7.onnx",
     "6275c23f467d476874d0eecea2a2c7059733ca6681de4f17bfbfe3fc3a52a71d", 5775869LL, DM_MODEL_DEPTH,
     224, 224, "FastDepth (MobileNet-NNConv5, NYU indoor), metres; the bundled fallback"},
};

#define N_KNOWN ((int)(sizeof known / sizeof known[0]))

int dm_models_count(void) { return N_KNOWN; }

const dm_model_entry *dm_models_at(int i) { return i >= 0 && i < N_KNOWN ? &known[i] : NULL; }

const dm_model_entry *dm_models_find(const char *id) {
  for (int i = 0; i < N_KNOWN; i++)
    if (!strcmp(known[i].id, id)) return &known[i];
  return NULL;
}

const char *dm_model_role_name(dm_model_role role) {
  return role == DM_MODEL_MATTE ? "matte" : "depth";
}

const char *dm_models_dir(void) {
  const char *env = getenv("DEPTHMASK_MODELS");
  return env && *env ? env : DM_MODELS_DIR;
}

static dm_status model_path(dm_context *ctx, const dm_model_entry *m, char *path, size_t len) {
  const char *dir = dm_models_dir();
  int n = snprintf(path, len, "%s/%s", dir, m->file);
  if (n < 0 || (size_t)n >= len) return dm_fail(ctx, DM_ERR_IO, dir, "path too long");
  return DM_OK;
}

static void to_hex(const unsigned char *md, unsigned n, char *hex) {
  static const char digits[] = "0123456789abcdef";
  for (unsigned i = 0; i < n; i++) {
    hex[2 * i] = digits[md[i] >> 4];
    hex[2 * i + 1] = digits[md[i] & 15];
  }
  hex[2 * n] = 0;
}

/* Stream `in` through SHA-256, copying every block to `out` when non-NULL.
 * The copy and the digest come from the same bytes, so a file that changes
 * while it is being added cannot slip past the check. */
static dm_status sha256_stream(dm_context *ctx, const char *name, FILE *in, FILE *out,
                               char hex[65], long long *size) {
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  if (!md) return dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory");
  unsigned char *buf = malloc(1 << 20);
  dm_status s = DM_OK;
  long long total = 0;
  if (!buf || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
    s = dm_fail(ctx, buf ? DM_ERR_INTERNAL : DM_ERR_NOMEM, name, "cannot start SHA-256");
    goto done;
  }
  size_t got;
  while ((got = fread(buf, 1, 1 << 20, in)) > 0) {
    if (EVP_DigestUpdate(md, buf, got) != 1) {
      s = dm_fail(ctx, DM_ERR_INTERNAL, name, "SHA-256 failed");
      goto done;
    }
    if (out && fwrite(buf, 1, got, out) != got) {
      s = dm_fail(ctx, DM_ERR_IO, name, "write failed: %s", strerror(errno));
      goto done;
    }
    total += (long long)got;
    if (dm_cancelled(ctx)) {
      s = dm_fail(ctx, DM_ERR_CANCELLED, name, "cancelled");
      goto done;
    }
  }
  if (ferror(in)) {
    s = dm_fail(ctx, DM_ERR_IO, name, "read error");
    goto done;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  if (EVP_DigestFinal_ex(md, digest, &n) != 1 || n != 32) {
    s = dm_fail(ctx, DM_ERR_INTERNAL, name, "SHA-256 failed");
    goto done;
  }
  to_hex(digest, n, hex);
  if (size) *size = total;
done:
  free(buf);
  EVP_MD_CTX_free(md);
  return s;
}

dm_status dm_sha256_file(dm_context *ctx, const char *path, char hex[65], long long *size) {
  dm_status s = dm_check_input(ctx, path);
  if (s) return s;
  FILE *f = fopen(path, "rb");
  if (!f) return dm_fail(ctx, DM_ERR_IO, path, "%s", strerror(errno));
  s = sha256_stream(ctx, path, f, NULL, hex, size);
  fclose(f);
  return s;
}

dm_status dm_models_check(dm_context *ctx, const dm_model_entry *m, int verify_sha,
                          dm_model_state *state, long long *size, char *path, size_t path_len) {
  *state = DM_MODEL_MISSING;
  *size = -1;
  dm_status s = model_path(ctx, m, path, path_len);
  if (s) return s;
  struct stat st;
  if (stat(path, &st) != 0) {
    if (errno == ENOENT) return DM_OK;
    return dm_fail(ctx, DM_ERR_IO, path, "%s", strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return dm_fail(ctx, DM_ERR_IO, path, "not a regular file");
  *size = (long long)st.st_size;
  if (*size != m->size) {
    *state = DM_MODEL_MISMATCH;
    return DM_OK;
  }
  if (!verify_sha) {
    *state = DM_MODEL_UNCHECKED;
    return DM_OK;
  }
  char hex[65];
  s = dm_sha256_file(ctx, path, hex, NULL);
  if (s) return s;
  *state = strcmp(hex, m->sha256) ? DM_MODEL_MISMATCH : DM_MODEL_OK;
  return DM_OK;
}

dm_status dm_models_locate(dm_context *ctx, const char *id, int verify_sha, char *path,
                           size_t path_len) {
  const dm_model_entry *m = dm_models_find(id);
  if (!m) return dm_fail(ctx, DM_ERR_PARAM, id, "not a known model id");
  dm_model_state state;
  long long size;
  dm_status s = dm_models_check(ctx, m, verify_sha, &state, &size, path, path_len);
  if (s) return s;
  if (state == DM_MODEL_MISSING)
    return dm_fail(ctx, DM_ERR_IO, path,
                   "model %s is not installed (run ./setup.sh, or depthmask models add FILE)", id);
  if (state == DM_MODEL_MISMATCH)
    return dm_fail(ctx, DM_ERR_FORMAT, path, "not the published %s (%s); reinstall it", id,
                   size != m->size ? "wrong size" : "sha256 mismatch");
  return DM_OK;
}

dm_status dm_models_best(dm_context *ctx, dm_model_role role, const dm_model_entry **m,
                         char *path, size_t path_len) {
  *m = NULL;
  for (int i = 0; i < N_KNOWN; i++) {
    if (known[i].role != role) continue;
    dm_model_state state;
    long long size;
    dm_status s = dm_models_check(ctx, &known[i], 0, &state, &size, path, path_len);
    if (s) return s;
    if (state == DM_MODEL_UNCHECKED) {
      *m = &known[i];
      return DM_OK;
    }
  }
  return dm_fail(ctx, DM_ERR_IO, dm_models_dir(), "no %s model installed (run ./setup.sh)",
                 dm_model_role_name(role));
}

static const dm_model_entry *find_by_sha(const char *hex) {
  for (int i = 0; i < N_KNOWN; i++)
    if (!strcmp(known[i].sha256, hex)) return &known[i];
  return NULL;
}

static dm_status ensure_dir(dm_context *ctx, const char *dir) {
  struct stat st;
  if (stat(dir, &st) == 0) {
    if (S_ISDIR(st.st_mode)) return DM_OK;
    return dm_fail(ctx, DM_ERR_IO, dir, "models folder is not a folder");
  }
  if (mkdir(dir, 0755) != 0 && errno != EEXIST)
    return dm_fail(ctx, DM_ERR_IO, dir, "cannot create the models folder: %s", strerror(errno));
  return DM_OK;
}

/* Copy `file` to `dest` atomically, hashing the bytes copied; they must hash
 * to m's checksum or nothing is left behind. */
static dm_status copy_checked(dm_context *ctx, const char *file, const dm_model_entry *m,
                              const char *dest) {
  FILE *in = fopen(file, "rb");
  if (!in) return dm_fail(ctx, DM_ERR_IO, file, "%s", strerror(errno));
  dm_atomic_file af;
  dm_status s = dm_atomic_open(ctx, &af, dest);
  if (s) {
    fclose(in);
    return s;
  }
  char hex[65];
  s = sha256_stream(ctx, file, in, af.fp, hex, NULL);
  fclose(in);
  if (!s && strcmp(hex, m->sha256))
    s = dm_fail(ctx, DM_ERR_IO, file, "changed while it was being copied");
  if (s) {
    dm_atomic_abort(&af);
    return s;
  }
  return dm_atomic_commit(ctx, &af);
}

dm_status dm_models_add(dm_context *ctx, const char *file, const dm_model_entry **added,
                        int *already) {
  *added = NULL;
  *already = 0;
  char hex[65];
  long long size = 0;
  dm_status s = dm_sha256_file(ctx, file, hex, &size);
  if (s) return s;
  const dm_model_entry *m = find_by_sha(hex);
  if (!m) return dm_fail(ctx, DM_ERR_FORMAT, file, "not a known model (sha256 %s)", hex);
  if (size != m->size)
    return dm_fail(ctx, DM_ERR_INTERNAL, file, "matches %s's sha256 but is %lld bytes, not %lld",
                   m->id, size, m->size);
  *added = m;
  const char *dir = dm_models_dir();
  s = ensure_dir(ctx, dir);
  if (s) return s;
  char dest[4096];
  dm_model_state state;
  long long have;
  s = dm_models_check(ctx, m, 1, &state, &have, dest, sizeof dest);
  if (s) return s;
  if (state == DM_MODEL_OK) {
    *already = 1;
    return DM_OK;
  }
  return copy_checked(ctx, file, m, dest);
}
