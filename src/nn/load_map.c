/* The model file in memory without reading it: mapped read-only, so its
 * pages are the page cache's own (no copy, no fresh pages) and tensors whose
 * bytes need no conversion can be used where they lie.
 *
 * MAP_POPULATE maps every page up front: with the file in the page cache that
 * is one walk instead of a fault per 64 KiB, and with a cold cache it reads
 * the file once, sequentially, which the loader needs anyway.
 *
 * Every offset the loader takes from the file is checked against the size
 * taken here (fstat). A file truncated by another process while it is mapped
 * would still fault (SIGBUS) where a read would have failed; models are only
 * ever replaced by renaming a new file over them (dm_models_add), which
 * leaves the mapped one intact. When mapping is not possible, the file is
 * read into memory instead. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file.h"
#include "nn/load_internal.h"

dm_status nn_map_open(dm_context *ctx, const char *path, size_t max_bytes, nn_map *m) {
  memset(m, 0, sizeof *m);
  int fd = dm_open_regular(ctx, path);
  if (fd < 0) return DM_ERR_IO;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return dm_fail(ctx, DM_ERR_IO, path, "%s", strerror(e));
  }
  if ((uint64_t)st.st_size > max_bytes) {
    close(fd);
    return dm_fail(ctx, DM_ERR_FORMAT, path, "file larger than %zu bytes", max_bytes);
  }
  size_t len = (size_t)st.st_size;
  void *p = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0) : MAP_FAILED;
  close(fd);
  if (p != MAP_FAILED) {
    m->data = p;
    m->len = len;
    m->mapped = 1;
    return DM_OK;
  }
  /* Empty, or a file system that cannot map: read it. */
  unsigned char *buf = NULL;
  dm_status s = dm_read_file(ctx, path, max_bytes, &buf, &m->len);
  m->data = buf;
  return s;
}

void nn_map_close(nn_map *m) {
  if (m->mapped) munmap((void *)m->data, m->len);
  else free((void *)m->data);
  memset(m, 0, sizeof *m);
}
