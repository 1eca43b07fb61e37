#define _POSIX_C_SOURCE 200809L
#include "core/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

dm_status dm_check_input(dm_context *ctx, const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    if (errno == ENOENT) return dm_fail(ctx, DM_ERR_IO, path, "no such file");
    return dm_fail(ctx, DM_ERR_IO, path, "%s", strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) return dm_fail(ctx, DM_ERR_IO, path, "is a directory");
  if (!S_ISREG(st.st_mode)) return dm_fail(ctx, DM_ERR_IO, path, "not a regular file");
  if (access(path, R_OK) != 0) return dm_fail(ctx, DM_ERR_IO, path, "not readable: %s", strerror(errno));
  return DM_OK;
}

dm_status dm_read_file(dm_context *ctx, const char *path, size_t max_bytes, unsigned char **data,
                       size_t *len) {
  *data = NULL;
  *len = 0;
  dm_status s = dm_check_input(ctx, path);
  if (s) return s;
  FILE *f = fopen(path, "rb");
  if (!f) return dm_fail(ctx, DM_ERR_IO, path, "%s", strerror(errno));
  /* Grow geometrically; read at most max_bytes + 1 to detect oversize. */
  size_t cap = 0, n = 0;
  unsigned char *buf = NULL;
  int oom = 0;
  for (;;) {
    if (n == cap) {
      if (cap > max_bytes) break;
      size_t ncap = cap ? cap * 2 : 1 << 16;
      if (ncap > max_bytes + 1) ncap = max_bytes + 1;
      unsigned char *nb = realloc(buf, ncap + 1);
      if (!nb) {
        oom = 1;
        break;
      }
      buf = nb;
      cap = ncap;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  int err = ferror(f);
  fclose(f);
  if (oom || err || n > max_bytes) {
    free(buf);
    if (oom) return dm_fail(ctx, DM_ERR_NOMEM, path, "out of memory");
    if (err) return dm_fail(ctx, DM_ERR_IO, path, "read error");
    return dm_fail(ctx, DM_ERR_FORMAT, path, "file larger than %zu bytes", max_bytes);
  }
  if (!buf && !(buf = malloc(1))) return dm_fail(ctx, DM_ERR_NOMEM, path, "out of memory");
  buf[n] = 0;
  *data = buf;
  *len = n;
  return DM_OK;
}

dm_status dm_atomic_open(dm_context *ctx, dm_atomic_file *af, const char *path) {
  memset(af, 0, sizeof *af);
  if (strlen(path) + 16 >= sizeof af->tmp_path)
    return dm_fail(ctx, DM_ERR_IO, path, "path too long");
  snprintf(af->final_path, sizeof af->final_path, "%s", path);
  /* Temporary name beside the target: ".NAME.XXXXXX" in the same folder. */
  const char *slash = strrchr(path, '/');
  size_t dirlen = slash ? (size_t)(slash - path + 1) : 0;
  snprintf(af->tmp_path, sizeof af->tmp_path, "%.*s.%s.XXXXXX", (int)dirlen, path,
           path + dirlen);
  int fd = mkstemp(af->tmp_path);
  if (fd < 0) {
    af->tmp_path[0] = 0;
    return dm_fail(ctx, DM_ERR_IO, path, "cannot create a temporary file: %s", strerror(errno));
  }
  fchmod(fd, 0644);
  af->fp = fdopen(fd, "wb");
  if (!af->fp) {
    close(fd);
    unlink(af->tmp_path);
    af->tmp_path[0] = 0;
    return dm_fail(ctx, DM_ERR_IO, path, "%s", strerror(errno));
  }
  return DM_OK;
}

dm_status dm_atomic_commit(dm_context *ctx, dm_atomic_file *af) {
  int ok = af->fp && fflush(af->fp) == 0 && !ferror(af->fp) && fsync(fileno(af->fp)) == 0;
  int e = errno;
  if (af->fp && fclose(af->fp) != 0) ok = 0;
  af->fp = NULL;
  if (!ok) {
    dm_atomic_abort(af);
    return dm_fail(ctx, DM_ERR_IO, af->final_path, "write failed: %s", strerror(e));
  }
  if (rename(af->tmp_path, af->final_path) != 0) {
    e = errno;
    dm_atomic_abort(af);
    return dm_fail(ctx, DM_ERR_IO, af->final_path, "rename failed: %s", strerror(e));
  }
  af->tmp_path[0] = 0;
  return DM_OK;
}

void dm_atomic_abort(dm_atomic_file *af) {
  if (af->fp) fclose(af->fp);
  af->fp = NULL;
  if (af->tmp_path[0]) unlink(af->tmp_path);
  af->tmp_path[0] = 0;
}

dm_status dm_write_file_atomic(dm_context *ctx, const char *path, const void *data, size_t len) {
  dm_atomic_file af;
  dm_status s = dm_atomic_open(ctx, &af, path);
  if (s) return s;
  if (len && fwrite(data, 1, len, af.fp) != len) {
    int e = errno;
    dm_atomic_abort(&af);
    return dm_fail(ctx, DM_ERR_IO, path, "write failed: %s", strerror(e));
  }
  return dm_atomic_commit(ctx, &af);
}

int dm_same_file(const char *a, const char *b) {
  struct stat sa, sb;
  if (stat(a, &sa) != 0 || stat(b, &sb) != 0) return 0;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}
