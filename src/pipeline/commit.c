/* A render's two files committed as one transaction: sidecar first (the
 * source of truth), output second, the old sidecar restored if the output
 * fails. See dm_commit_render in render.h. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/hash.h"
#include "pipeline/render.h"

/* dir(out)/base(out) with the folder made absolute, so `info` finds it from
 * anywhere. */
static void absolute_output(const char *path, char *abs, size_t len) {
  char dir[4096], real[PATH_MAX];
  dm_dirname(path, dir, sizeof dir);
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  int n = realpath(dir, real) ? snprintf(abs, len, "%s/%s", strcmp(real, "/") ? real : "", base) : -1;
  if (n < 0 || (size_t)n >= len) snprintf(abs, len, "%s", path);
}

/* A hard link to the current sidecar under a fresh hidden name, so it can
 * come back by rename. *had = 0 when there is no sidecar yet. */
static dm_status keep_old(dm_context *ctx, const char *sidecar, char *backup, size_t len,
                          int *had) {
  *had = access(sidecar, F_OK) == 0;
  backup[0] = 0;
  if (!*had) return DM_OK;
  const char *slash = strrchr(sidecar, '/');
  size_t dirlen = slash ? (size_t)(slash - sidecar + 1) : 0;
  /* Named as dm_atomic_open names its temporaries, so a crash's leftover is swept. */
  snprintf(backup, len, "%.*s.%s.XXXXXX", (int)dirlen, sidecar, sidecar + dirlen);
  int fd = mkstemp(backup);
  if (fd < 0 || (close(fd), unlink(backup) != 0) || link(sidecar, backup) != 0) {
    int e = errno;
    backup[0] = 0;
    return dm_fail(ctx, DM_ERR_IO, sidecar, "cannot keep the previous sidecar while committing: %s",
                   strerror(e));
  }
  dm_temp_register(backup);
  return DM_OK;
}

static void drop_backup(char *backup) {
  if (!backup[0]) return;
  unlink(backup);
  dm_temp_unregister(backup);
  backup[0] = 0;
}

dm_status dm_commit_render(dm_context *ctx, const char *sidecar, dm_recipe *r, dm_atomic_file *out) {
  dm_status s = DM_OK;
  if (out) {
    dm_hash h;
    char hex[33];
    s = dm_atomic_hash(ctx, out, &h);
    if (s) {
      dm_atomic_abort(out);
      return s;
    }
    dm_hash_hex(h, hex);
    snprintf(r->photo.output_hash, sizeof r->photo.output_hash, "%s", hex);
    absolute_output(out->final_path, r->photo.output_file, sizeof r->photo.output_file);
  }
  if (!sidecar) return out ? dm_atomic_publish(ctx, out) : DM_OK;

  char *xml = NULL;
  size_t len = 0;
  dm_atomic_file sf;
  s = dm_recipe_write_mem(ctx, r, &xml, &len);
  if (!s) s = dm_atomic_open(ctx, &sf, sidecar);
  if (!s) {
    if (len && fwrite(xml, 1, len, sf.fp) != len) {
      s = dm_atomic_write_error(ctx, &sf, dm_fail(ctx, DM_ERR_IO, sidecar, "cannot write"));
      dm_atomic_abort(&sf);
    } else {
      s = dm_atomic_prepare(ctx, &sf);
    }
  }
  free(xml);
  char backup[4096];
  int had = 0;
  if (!s) {
    s = keep_old(ctx, sidecar, backup, sizeof backup, &had);
    if (s) dm_atomic_abort(&sf);
  }
  if (!s) s = dm_atomic_publish(ctx, &sf);
  if (s) {
    if (out) dm_atomic_abort(out);
    drop_backup(backup);
    return s;
  }
  if (out && (s = dm_atomic_publish(ctx, out)) != DM_OK) {
    /* The output did not land: the sidecar must not claim an edit the
     * output does not show. */
    if (had ? rename(backup, sidecar) == 0 : unlink(sidecar) == 0) {
      dm_temp_unregister(backup);
      backup[0] = 0;
    }
  }
  drop_backup(backup);
  return s;
}
