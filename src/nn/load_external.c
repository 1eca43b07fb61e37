/* External data: a tensor's bytes in a file beside the model, named by the
 * external_data entries "location" (relative path), "offset" and "length"
 * (decimal strings). The location comes from an untrusted file, so it may
 * not be absolute nor climb out of the model's folder with "..". */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nn/load_internal.h"

/* Decimal digits only, at most INT64_MAX. */
static int parse_u64(const char *s, uint64_t *v) {
  if (!*s) return 0;
  uint64_t x = 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') return 0;
    unsigned d = (unsigned)(*s - '0');
    if (x > ((uint64_t)INT64_MAX - d) / 10) return 0;
    x = x * 10 + d;
  }
  *v = x;
  return 1;
}

/* A path component ".." (either separator counts, for Windows exports). */
static int climbs_out(const char *loc) {
  const char *p = loc;
  while (*p) {
    size_t n = strcspn(p, "/\\");
    if (n == 2 && p[0] == '.' && p[1] == '.') return 1;
    p += n;
    if (*p) p++;
  }
  return 0;
}

static dm_status read_at(dm_context *ctx, const char *file, const char *who, const char *path,
                         int fd, uint64_t offset, size_t bytes, uint8_t *buf) {
  size_t done = 0;
  while (done < bytes) {
    ssize_t r = pread(fd, buf + done, bytes - done, (off_t)(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0)
      return dm_fail(ctx, DM_ERR_IO, file, "%s: cannot read external data '" NN_NAME_MSG "': %s",
                     who, path, r < 0 ? strerror(errno) : "file shrank while reading");
    done += (size_t)r;
  }
  return DM_OK;
}

dm_status nn_read_external(dm_context *ctx, const char *file, const Onnx__TensorProto *tp,
                           const char *base_dir, const char *who, size_t bytes, uint8_t **out) {
  *out = NULL;
  const char *loc = NULL, *off_s = NULL, *len_s = NULL;
  for (size_t i = 0; i < tp->n_external_data; i++) {
    const Onnx__StringStringEntryProto *e = tp->external_data[i];
    const char *k = nn_str(e->key), *v = nn_str(e->value);
    if (!strcmp(k, "location")) loc = v;
    else if (!strcmp(k, "offset")) off_s = v;
    else if (!strcmp(k, "length")) len_s = v;
  }
  if (!loc || !*loc)
    return dm_fail(ctx, DM_ERR_FORMAT, file, "%s: external data without a location", who);
  if (loc[0] == '/' || loc[0] == '\\')
    return dm_fail(ctx, DM_ERR_FORMAT, file,
                   "%s: external data location '" NN_NAME_MSG "' is an absolute path", who, loc);
  if (climbs_out(loc))
    return dm_fail(ctx, DM_ERR_FORMAT, file,
                   "%s: external data location '" NN_NAME_MSG "' leaves the model's folder (..)",
                   who, loc);
  uint64_t offset = 0, length = 0;
  if (off_s && !parse_u64(off_s, &offset))
    return dm_fail(ctx, DM_ERR_FORMAT, file, "%s: external data offset '" NN_NAME_MSG "' is not a number",
                   who, off_s);
  if (len_s && !parse_u64(len_s, &length))
    return dm_fail(ctx, DM_ERR_FORMAT, file, "%s: external data length '" NN_NAME_MSG "' is not a number",
                   who, len_s);
  if (len_s && length != bytes)
    return dm_fail(ctx, DM_ERR_FORMAT, file, "%s: external data length is %llu bytes, dims need %zu",
                   who, (unsigned long long)length, bytes);
  if (!base_dir)
    return dm_fail(ctx, DM_ERR_FORMAT, file,
                   "%s: external data needs a model file (location '" NN_NAME_MSG "')", who, loc);

  char path[4096];
  if (snprintf(path, sizeof path, "%s/%s", *base_dir ? base_dir : ".", loc) >= (int)sizeof path)
    return dm_fail(ctx, DM_ERR_FORMAT, file, "%s: external data path too long", who);
  /* O_NONBLOCK: a FIFO planted as the data file must not hang the load. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return dm_fail(ctx, DM_ERR_IO, file, "%s: cannot open external data '" NN_NAME_MSG "': %s", who,
                   path, strerror(errno));
  struct stat st;
  dm_status s = DM_OK;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    s = dm_fail(ctx, DM_ERR_IO, file, "%s: external data '" NN_NAME_MSG "' is not a regular file",
                who, path);
  } else if (offset > (uint64_t)st.st_size || bytes > (uint64_t)st.st_size - offset) {
    s = dm_fail(ctx, DM_ERR_FORMAT, file,
                "%s: external data '" NN_NAME_MSG "' is %lld bytes; %zu bytes at offset %llu run past its end",
                who, path, (long long)st.st_size, bytes, (unsigned long long)offset);
  } else if (!(*out = malloc(bytes ? bytes : 1))) {
    s = dm_fail(ctx, DM_ERR_NOMEM, file, "%s: out of memory", who);
  } else if ((s = read_at(ctx, file, who, path, fd, offset, bytes, *out)) != DM_OK) {
    free(*out);
    *out = NULL;
  }
  close(fd);
  return s;
}
