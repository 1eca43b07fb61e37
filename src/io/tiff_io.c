#include "io/tiff_io.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int on_error(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap) {
  (void)tif;
  (void)module;
  dm_tiff_client *c = user;
  if (!c->error[0]) vsnprintf(c->error, sizeof c->error, fmt, ap);
  return 1; /* handled: libtiff must not call its global (printing) handler */
}

/* libtiff only warns when a tag's data lies past the end of the file
 * ("IO error during reading of ...; tag ignored") and carries on without
 * the tag; for us that is a truncated file. */
static int on_warning(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap) {
  (void)tif;
  (void)module;
  dm_tiff_client *c = user;
  char msg[256];
  vsnprintf(msg, sizeof msg, fmt, ap);
  if (!c->truncated[0] && strstr(msg, "IO error")) snprintf(c->truncated, sizeof c->truncated, "%s", msg);
  return 1;
}

static tmsize_t mem_read(thandle_t h, void *buf, tmsize_t n) {
  dm_tiff_client *c = h;
  if (n <= 0 || c->pos >= c->len) return 0;
  uint64_t left = c->len - c->pos;
  size_t k = (uint64_t)n < left ? (size_t)n : (size_t)left;
  memcpy(buf, c->data + c->pos, k);
  c->pos += k;
  return (tmsize_t)k;
}

static tmsize_t no_write(thandle_t h, void *buf, tmsize_t n) {
  (void)h;
  (void)buf;
  (void)n;
  return -1;
}

static toff_t mem_seek(thandle_t h, toff_t off, int whence) {
  dm_tiff_client *c = h;
  uint64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? c->pos : c->len;
  if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END) return (toff_t)-1;
  if (off > UINT64_MAX - base) return (toff_t)-1;
  c->pos = base + off;
  return c->pos;
}

static int no_close(thandle_t h) {
  (void)h;
  return 0;
}

static toff_t mem_size(thandle_t h) { return ((dm_tiff_client *)h)->len; }

/* "Mapping" the buffer lets libtiff bounds-check strips against the data. */
static int mem_map(thandle_t h, void **base, toff_t *size) {
  dm_tiff_client *c = h;
  *base = (void *)c->data;
  *size = c->len;
  return 1;
}

static void no_unmap(thandle_t h, void *base, toff_t size) {
  (void)h;
  (void)base;
  (void)size;
}

static TIFFOpenOptions *options(dm_tiff_client *c, uint64_t max_alloc) {
  TIFFOpenOptions *o = TIFFOpenOptionsAlloc();
  if (!o) return NULL;
  TIFFOpenOptionsSetErrorHandlerExtR(o, on_error, c);
  TIFFOpenOptionsSetWarningHandlerExtR(o, on_warning, c);
  if (max_alloc) TIFFOpenOptionsSetMaxSingleMemAlloc(o, (tmsize_t)max_alloc);
  return o;
}

TIFF *dm_tiff_open_mem(dm_tiff_client *c, const unsigned char *data, size_t len, const char *name,
                       uint64_t max_alloc) {
  memset(c, 0, sizeof *c);
  c->data = data;
  c->len = len;
  TIFFOpenOptions *o = options(c, max_alloc);
  if (!o) {
    snprintf(c->error, sizeof c->error, "out of memory");
    return NULL;
  }
  TIFF *tif = TIFFClientOpenExt(name, "r", c, mem_read, no_write,
                                mem_seek, no_close, mem_size, mem_map, no_unmap, o);
  TIFFOpenOptionsFree(o);
  if (!tif && !c->error[0]) snprintf(c->error, sizeof c->error, "cannot be opened");
  return tif;
}

static tmsize_t file_read(thandle_t h, void *buf, tmsize_t n) {
  return (tmsize_t)fread(buf, 1, (size_t)n, ((dm_tiff_client *)h)->fp);
}

static tmsize_t file_write(thandle_t h, void *buf, tmsize_t n) {
  return (tmsize_t)fwrite(buf, 1, (size_t)n, ((dm_tiff_client *)h)->fp);
}

static toff_t file_seek(thandle_t h, toff_t off, int whence) {
  FILE *fp = ((dm_tiff_client *)h)->fp;
  if (off > INT64_MAX || fseeko(fp, (off_t)off, whence) != 0) return (toff_t)-1;
  off_t pos = ftello(fp);
  return pos < 0 ? (toff_t)-1 : (toff_t)pos;
}

static toff_t file_size(thandle_t h) {
  FILE *fp = ((dm_tiff_client *)h)->fp;
  struct stat st;
  fflush(fp);
  return fstat(fileno(fp), &st) == 0 ? (toff_t)st.st_size : 0;
}

static int no_map(thandle_t h, void **base, toff_t *size) {
  (void)h;
  (void)base;
  (void)size;
  return 0;
}

TIFF *dm_tiff_open_file(dm_tiff_client *c, FILE *fp, const char *name, const char *mode) {
  memset(c, 0, sizeof *c);
  c->fp = fp;
  TIFFOpenOptions *o = options(c, 0);
  if (!o) {
    snprintf(c->error, sizeof c->error, "out of memory");
    return NULL;
  }
  /* The FILE * belongs to the atomic writer: close must not close it. */
  TIFF *tif = TIFFClientOpenExt(name, mode, c, file_read, file_write, file_seek, no_close,
                                file_size, no_map, no_unmap, o);
  TIFFOpenOptionsFree(o);
  if (!tif && !c->error[0]) snprintf(c->error, sizeof c->error, "cannot be created");
  return tif;
}

static tmsize_t buf_read(thandle_t h, void *dst, tmsize_t n) {
  dm_tiff_client *c = h;
  size_t k = c->pos < c->len ? c->len - (size_t)c->pos : 0;
  if ((size_t)n < k) k = (size_t)n;
  memcpy(dst, c->buf + c->pos, k);
  c->pos += k;
  return (tmsize_t)k;
}

static tmsize_t buf_write(thandle_t h, void *src, tmsize_t n) {
  dm_tiff_client *c = h;
  size_t end = (size_t)c->pos + (size_t)n;
  if (end > c->cap) {
    size_t cap = c->cap ? c->cap : 1 << 16;
    while (cap < end) cap *= 2;
    unsigned char *b = realloc(c->buf, cap);
    if (!b) return -1;
    c->buf = b, c->cap = cap;
  }
  if (c->pos > c->len) memset(c->buf + c->len, 0, (size_t)c->pos - c->len);
  memcpy(c->buf + c->pos, src, (size_t)n);
  c->pos = end;
  if (end > c->len) c->len = end;
  return n;
}

static toff_t buf_seek(thandle_t h, toff_t off, int whence) {
  dm_tiff_client *c = h;
  uint64_t base = whence == SEEK_CUR ? c->pos : whence == SEEK_END ? c->len : 0;
  if (off > (toff_t)SIZE_MAX - base) return (toff_t)-1;
  c->pos = base + off;
  return c->pos;
}

TIFF *dm_tiff_open_buffer(dm_tiff_client *c, const char *name) {
  memset(c, 0, sizeof *c);
  TIFFOpenOptions *o = options(c, 0);
  if (!o) {
    snprintf(c->error, sizeof c->error, "out of memory");
    return NULL;
  }
  TIFF *tif = TIFFClientOpenExt(name, "w", c, buf_read, buf_write, buf_seek, no_close, mem_size,
                                no_map, no_unmap, o);
  TIFFOpenOptionsFree(o);
  if (!tif && !c->error[0]) snprintf(c->error, sizeof c->error, "cannot be created");
  return tif;
}
