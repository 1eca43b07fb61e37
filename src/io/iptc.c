/* IPTC-IIM blocks, carried from a photo to its outputs as they are: checked
 * to parse as datasets to their end, never interpreted. Also Photoshop's
 * image resources, which carry the block in a JPEG (APP13, resource 0x0404).
 *
 * IIM (IPTC-NAA Information Interchange Model 4.2, section 1.5): a run of
 * datasets, each 0x1C, a record number, a dataset number and a 2-byte
 * big-endian length; when the length's top bit is set, its low 15 bits are
 * the size of a longer length that follows ("extended dataset").
 *
 * Photoshop image resources (Photoshop File Formats, "Image Resource
 * Blocks"): "8BIM", a 2-byte id, a Pascal name padded to an even size, a
 * 4-byte big-endian size and the data, padded to an even size. */
#include <stdlib.h>
#include <string.h>

#include "io/io_internal.h"

/* Captions and keywords are a few KB; this is far beyond any real block. */
#define IPTC_MAX ((size_t)1 << 20)

static const unsigned char psir_header[14] = "Photoshop 3.0"; /* and its NUL */

static size_t be_n(const unsigned char *p, size_t n) {
  size_t v = 0;
  for (size_t i = 0; i < n; i++) v = v << 8 | p[i];
  return v;
}

/* The length of the datasets at the start of `p`, without trailing zero
 * padding; 0 when there are none or they do not parse to the end. */
static size_t iim_len(const unsigned char *p, size_t len) {
  size_t pos = 0;
  while (pos < len && p[pos] == 0x1C) {
    if (len - pos < 5 || p[pos + 1] < 1 || p[pos + 1] > 9) return 0; /* records are 1..9 */
    size_t n = be_n(p + pos + 3, 2);
    pos += 5;
    if (n & 0x8000) { /* extended: the length's own size, at most 4 bytes here */
      size_t k = n & 0x7fff;
      if (k < 1 || k > 4 || len - pos < k) return 0;
      n = be_n(p + pos, k);
      pos += k;
    }
    if (n > len - pos) return 0;
    pos += n;
  }
  size_t end = pos;
  for (; pos < len; pos++)
    if (p[pos]) return 0; /* neither a dataset nor padding */
  return end;
}

dm_status dm_iptc_attach(dm_context *ctx, dm_metadata *meta, const unsigned char *iim, size_t len,
                         const char *name) {
  if (meta->iptc || !iim || !len) return DM_OK;
  size_t n = len <= IPTC_MAX ? iim_len(iim, len) : 0;
  if (!n) {
    dm_log(ctx, DM_LOG_WARN, "%s: the photo's IPTC block (%zu bytes) is malformed; not carried over",
           name, len);
    return DM_OK;
  }
  if (!(meta->iptc = malloc(n))) return dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory for IPTC");
  memcpy(meta->iptc, iim, n);
  meta->iptc_len = n;
  return DM_OK;
}

/* Resource signatures Photoshop documents besides 8BIM; they are skipped. */
static int known_signature(const unsigned char *p) {
  static const char sigs[][4] = {{'8', 'B', 'I', 'M'}, {'P', 'H', 'U', 'T'}, {'A', 'g', 'H', 'g'},
                                 {'D', 'C', 'S', 'R'}, {'M', 'e', 'S', 'a'}};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    if (!memcmp(p, sigs[i], 4)) return 1;
  return 0;
}

const unsigned char *dm_psir_iptc(const unsigned char *irb, size_t len, size_t *iptc_len) {
  *iptc_len = 0;
  size_t pos = 0;
  /* The smallest resource: signature, id, an empty name (2 bytes), size. */
  while (len - pos >= 12 && known_signature(irb + pos)) {
    size_t name = (size_t)irb[pos + 6] + 1;
    name += name & 1;
    if (len - pos - 6 < name + 4) return NULL;
    size_t at = pos + 6 + name;
    size_t size = be_n(irb + at, 4);
    at += 4;
    if (size > len - at) return NULL;
    if (be_n(irb + pos + 4, 2) == 0x0404 && !memcmp(irb + pos, "8BIM", 4)) {
      *iptc_len = size;
      return irb + at;
    }
    pos = at + size;
    if ((size & 1) && pos < len) pos++;
  }
  return NULL;
}

unsigned char *dm_psir_app13(const unsigned char *iptc, size_t len, size_t *out_len) {
  size_t n = sizeof psir_header + 12 + len + (len & 1);
  unsigned char *b = calloc(1, n);
  if (!b) return NULL;
  memcpy(b, psir_header, sizeof psir_header);
  unsigned char *r = b + sizeof psir_header;
  memcpy(r, "8BIM\x04\x04", 6); /* name: empty, padded to 2 bytes (the calloc'd zeros) */
  for (int i = 0; i < 4; i++) r[8 + i] = (unsigned char)(len >> (24 - 8 * i));
  memcpy(r + 12, iptc, len);
  *out_len = n;
  return b;
}
