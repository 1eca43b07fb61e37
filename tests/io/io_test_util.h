/* Small helpers shared by the tests/io suites (header-only: each test is
 * its own executable). */
#ifndef DM_IO_TEST_UTIL_H
#define DM_IO_TEST_UTIL_H

#include <libexif/exif-data.h>
#include <libexif/exif-utils.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "dm_test.h"
#include "io/io.h"

static inline unsigned char *iot_slurp(dm_context *ctx, const char *path, size_t *len) {
  unsigned char *d = NULL;
  if (dm_read_file(ctx, path, (size_t)1 << 30, &d, len) != DM_OK) {
    fprintf(stderr, "cannot read %s: %s\n", path, dm_context_error(ctx));
    exit(1);
  }
  return d;
}

static inline void iot_write(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
    fprintf(stderr, "cannot write %s\n", path);
    exit(1);
  }
}

static inline char *iot_path(const char *dir, const char *name) {
  static char buf[8][4200];
  static int next;
  char *p = buf[next++ % 8];
  snprintf(p, sizeof buf[0], "%s/%s", dir, name);
  return p;
}

/* PSNR in dB of b against a (peak 1.0); images must match in shape. */
static inline double iot_psnr(const dm_image *a, const dm_image *b) {
  if (a->width != b->width || a->height != b->height || a->channels != b->channels) return -1;
  double se = 0;
  size_t n = 0;
  for (int y = 0; y < a->height; y++) {
    const float *pa = dm_row(a, y), *pb = dm_row(b, y);
    for (int i = 0; i < a->width * a->channels; i++, n++) se += (double)(pa[i] - pb[i]) * (pa[i] - pb[i]);
  }
  return se == 0 ? INFINITY : 10 * log10((double)n / se);
}

/* Mean of RGB (or the grey channel) as a new 1-channel image. */
static inline dm_image iot_grey(dm_context *ctx, const dm_image *src) {
  dm_image g;
  if (dm_image_alloc(ctx, &g, src->width, src->height, 1)) exit(1);
  for (int y = 0; y < src->height; y++)
    for (int x = 0; x < src->width; x++) {
      const float *p = dm_px(src, x, y);
      float v = 0;
      for (int c = 0; c < src->channels; c++) v += p[c];
      dm_px(&g, x, y)[0] = v / (float)src->channels;
    }
  return g;
}

/* A TIFF-structured EXIF block (no "Exif\0\0") made with libexif, holding
 * the orientation, Make, Model and PixelX/YDimension. malloc'd. */
static inline void iot_exif_ascii(ExifData *ed, ExifMem *mem, ExifIfd ifd, ExifTag tag, const char *s) {
  ExifEntry *e = exif_entry_new_mem(mem);
  size_t n = strlen(s) + 1;
  e->data = exif_mem_alloc(mem, (ExifLong)n);
  memcpy(e->data, s, n);
  e->tag = tag;
  e->format = EXIF_FORMAT_ASCII;
  e->components = n;
  e->size = (unsigned)n;
  exif_content_add_entry(ed->ifd[ifd], e);
  exif_entry_unref(e);
}

static inline unsigned char *iot_make_exif(int orientation, int width, int height, size_t *len) {
  ExifMem *mem = exif_mem_new_default();
  ExifData *ed = exif_data_new_mem(mem);
  exif_data_set_byte_order(ed, EXIF_BYTE_ORDER_MOTOROLA);
  ExifEntry *e = exif_entry_new_mem(mem);
  exif_content_add_entry(ed->ifd[EXIF_IFD_0], e);
  exif_entry_initialize(e, EXIF_TAG_ORIENTATION);
  exif_set_short(e->data, EXIF_BYTE_ORDER_MOTOROLA, (ExifShort)orientation);
  exif_entry_unref(e);
  iot_exif_ascii(ed, mem, EXIF_IFD_0, EXIF_TAG_MAKE, "Canon");
  iot_exif_ascii(ed, mem, EXIF_IFD_0, EXIF_TAG_MODEL, "Canon EOS 30D");
  ExifTag dims[2] = {EXIF_TAG_PIXEL_X_DIMENSION, EXIF_TAG_PIXEL_Y_DIMENSION};
  for (int i = 0; i < 2; i++) {
    e = exif_entry_new_mem(mem);
    exif_content_add_entry(ed->ifd[EXIF_IFD_EXIF], e);
    exif_entry_initialize(e, dims[i]);
    exif_set_long(e->data, EXIF_BYTE_ORDER_MOTOROLA, (ExifLong)(i ? height : width));
    exif_entry_unref(e);
  }
  unsigned char *buf = NULL;
  unsigned int n = 0;
  exif_data_save_data(ed, &buf, &n);
  exif_data_unref(ed);
  exif_mem_unref(mem);
  if (!buf || n < 14 || memcmp(buf, "Exif\0\0", 6)) {
    fprintf(stderr, "libexif could not make an EXIF block\n");
    exit(1);
  }
  unsigned char *out = malloc(n - 6);
  memcpy(out, buf + 6, n - 6);
  free(buf);
  *len = n - 6;
  return out;
}

/* Read one EXIF tag of IFD0/EXIF IFD as an integer (-1 if absent). */
static inline long iot_exif_int(const unsigned char *tiff, size_t len, ExifIfd ifd, ExifTag tag) {
  unsigned char *buf = malloc(len + 6);
  memcpy(buf, "Exif\0\0", 6);
  memcpy(buf + 6, tiff, len);
  ExifData *ed = exif_data_new_from_data(buf, (unsigned)(len + 6));
  free(buf);
  long v = -1;
  ExifEntry *e = ed ? exif_content_get_entry(ed->ifd[ifd], tag) : NULL;
  if (e && e->format == EXIF_FORMAT_SHORT) v = exif_get_short(e->data, exif_data_get_byte_order(ed));
  if (e && e->format == EXIF_FORMAT_LONG) v = (long)exif_get_long(e->data, exif_data_get_byte_order(ed));
  if (ed) exif_data_unref(ed);
  return v;
}

/* Pixel (x, y) of the upright image for EXIF orientation o, looked up in
 * the stored image `s`. Written from the EXIF 2.3 wording of the tag ("the
 * 0th row is the visual <side>, the 0th column is the visual <side>"),
 * independently of src/io/orient.c. */
enum { IOT_TOP, IOT_BOTTOM, IOT_LEFT, IOT_RIGHT };
static inline const float *iot_stored_px(const dm_image *s, int o, int x, int y) {
  static const int row0[9] = {0, IOT_TOP, IOT_TOP, IOT_BOTTOM, IOT_BOTTOM, IOT_LEFT, IOT_RIGHT, IOT_RIGHT, IOT_LEFT};
  static const int col0[9] = {0, IOT_LEFT, IOT_RIGHT, IOT_RIGHT, IOT_LEFT, IOT_TOP, IOT_TOP, IOT_BOTTOM, IOT_BOTTOM};
  int W = s->width, H = s->height, sx, sy;
  if (row0[o] == IOT_TOP || row0[o] == IOT_BOTTOM) {
    /* stored rows stay rows */
    sy = row0[o] == IOT_TOP ? y : H - 1 - y;
    sx = col0[o] == IOT_LEFT ? x : W - 1 - x;
  } else {
    /* stored rows become columns: row 0 is the left or right edge */
    sy = row0[o] == IOT_LEFT ? x : H - 1 - x;
    sx = col0[o] == IOT_TOP ? y : W - 1 - y;
  }
  return dm_px(s, sx, sy);
}

#endif
