/* EXIF blocks through libexif: orientation, camera name, and the copy an
 * output file carries.
 *
 * libexif wants JPEG's "Exif\0\0" prefix before the TIFF header, so blocks
 * are loaded with it prepended. Its "follow the specification" option is
 * turned off: it would add or drop tags on load, and we want the photo's
 * EXIF carried as it was, with only the fields we mean to change changed. */
#include <libexif/exif-data.h>
#include <libexif/exif-utils.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "io/io_internal.h"

static const unsigned char exif_prefix[6] = {'E', 'x', 'i', 'f', 0, 0};

static void *mem_alloc(ExifLong n) { return calloc(n ? n : 1, 1); }
static void *mem_realloc(void *p, ExifLong n) { return realloc(p, n ? n : 1); }
static void mem_free(void *p) { free(p); }

static int is_tiff_header(const unsigned char *p, size_t len) {
  return len >= 8 && (!memcmp(p, "II*\0", 4) || !memcmp(p, "MM\0*", 4));
}

/* Parse a TIFF-structured block; NULL if it cannot be parsed. */
static ExifData *load(const unsigned char *exif, size_t len) {
  if (!exif || !is_tiff_header(exif, len) || len > UINT_MAX - sizeof exif_prefix) return NULL;
  unsigned char *buf = malloc(len + sizeof exif_prefix);
  if (!buf) return NULL;
  memcpy(buf, exif_prefix, sizeof exif_prefix);
  memcpy(buf + sizeof exif_prefix, exif, len);
  ExifMem *mem = exif_mem_new(mem_alloc, mem_realloc, mem_free);
  ExifData *ed = mem ? exif_data_new_mem(mem) : NULL;
  exif_mem_unref(mem);
  if (ed) {
    exif_data_unset_option(ed, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
    exif_data_unset_option(ed, EXIF_DATA_OPTION_IGNORE_UNKNOWN_TAGS);
    exif_data_load_data(ed, buf, (unsigned)(len + sizeof exif_prefix));
  }
  free(buf);
  return ed;
}

static ExifEntry *orientation_entry(ExifData *ed) {
  ExifEntry *e = exif_content_get_entry(ed->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION);
  if (!e || e->format != EXIF_FORMAT_SHORT || e->components < 1 || !e->data || e->size < 2)
    return NULL;
  return e;
}

int dm_exif_orientation(const unsigned char *exif, size_t len) {
  ExifData *ed = load(exif, len);
  if (!ed) return 1;
  int o = 1;
  ExifEntry *e = orientation_entry(ed);
  if (e) {
    ExifShort v = exif_get_short(e->data, exif_data_get_byte_order(ed));
    if (v >= 1 && v <= 8) o = v;
  }
  exif_data_unref(ed);
  return o;
}

/* An ASCII entry's value, trimmed of trailing spaces. */
static void ascii_value(ExifData *ed, ExifTag tag, char *out, size_t out_len) {
  out[0] = 0;
  ExifEntry *e = exif_content_get_entry(ed->ifd[EXIF_IFD_0], tag);
  if (!e || e->format != EXIF_FORMAT_ASCII || !e->data) return;
  size_t n = e->size < out_len ? e->size : out_len - 1;
  memcpy(out, e->data, n);
  out[n] = 0;
  n = strlen(out);
  while (n && (out[n - 1] == ' ' || (unsigned char)out[n - 1] < 32)) out[--n] = 0;
  for (char *p = out; *p; p++)
    if ((unsigned char)*p < 32 || (unsigned char)*p > 126) *p = '?';
}

void dm_exif_camera(const unsigned char *exif, size_t len, char *out, size_t out_len) {
  if (!out_len) return;
  out[0] = 0;
  ExifData *ed = load(exif, len);
  if (!ed) return;
  char make[64], model[64];
  ascii_value(ed, EXIF_TAG_MAKE, make, sizeof make);
  ascii_value(ed, EXIF_TAG_MODEL, model, sizeof model);
  exif_data_unref(ed);
  /* "Canon Canon EOS 450D" reads badly: many models repeat the make. */
  size_t ml = strlen(make);
  if (!make[0] || (ml && !strncasecmp(model, make, ml)))
    snprintf(out, out_len, "%s", model);
  else if (!model[0])
    snprintf(out, out_len, "%s", make);
  else
    snprintf(out, out_len, "%s %s", make, model);
}

static void set_dimension(ExifData *ed, ExifTag tag, int value) {
  ExifEntry *e = exif_content_get_entry(ed->ifd[EXIF_IFD_EXIF], tag);
  if (!e || !e->data || e->components < 1) return;
  ExifByteOrder o = exif_data_get_byte_order(ed);
  if (e->format == EXIF_FORMAT_SHORT && e->size >= 2 && value <= 65535)
    exif_set_short(e->data, o, (ExifShort)value);
  else if (e->format == EXIF_FORMAT_LONG && e->size >= 4)
    exif_set_long(e->data, o, (ExifLong)value);
}

dm_status dm_exif_for_output(dm_context *ctx, const unsigned char *exif, size_t len, int width,
                             int height, const char *name, unsigned char **out, size_t *out_len) {
  *out = NULL;
  *out_len = 0;
  ExifData *ed = load(exif, len);
  if (!ed) return dm_fail(ctx, DM_ERR_FORMAT, name, "the EXIF block to carry over cannot be parsed");
  ExifEntry *e = orientation_entry(ed);
  if (e) {
    exif_set_short(e->data, exif_data_get_byte_order(ed), 1);
  } else if ((e = exif_content_get_entry(ed->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION))) {
    /* A malformed tag that some reader might still honour: the pixels are
     * upright now, so it goes. */
    exif_content_remove_entry(ed->ifd[EXIF_IFD_0], e);
  }
  set_dimension(ed, EXIF_TAG_PIXEL_X_DIMENSION, width);
  set_dimension(ed, EXIF_TAG_PIXEL_Y_DIMENSION, height);
  /* The thumbnail shows the unedited photo: drop it and its directory. */
  free(ed->data);
  ed->data = NULL;
  ed->size = 0;
  ExifContent *ifd1 = ed->ifd[EXIF_IFD_1];
  while (ifd1 && ifd1->count) exif_content_remove_entry(ifd1, ifd1->entries[ifd1->count - 1]);
  unsigned char *buf = NULL;
  unsigned int n = 0;
  exif_data_save_data(ed, &buf, &n);
  exif_data_unref(ed);
  if (!buf || n <= sizeof exif_prefix) {
    free(buf);
    return dm_fail(ctx, DM_ERR_FORMAT, name, "the EXIF block to carry over cannot be rewritten");
  }
  /* Drop the "Exif\0\0" prefix libexif writes: we keep TIFF-structured blocks. */
  memmove(buf, buf + sizeof exif_prefix, n - sizeof exif_prefix);
  *out = buf;
  *out_len = n - sizeof exif_prefix;
  return DM_OK;
}

dm_status dm_exif_attach(dm_context *ctx, dm_metadata *meta, const unsigned char *tiff, size_t len,
                         const char *name) {
  if (!is_tiff_header(tiff, len) || meta->exif) return DM_OK;
  meta->exif = malloc(len);
  if (!meta->exif) return dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory for EXIF");
  memcpy(meta->exif, tiff, len);
  meta->exif_len = len;
  if (!meta->camera[0]) dm_exif_camera(tiff, len, meta->camera, sizeof meta->camera);
  return DM_OK;
}
