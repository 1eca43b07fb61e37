/* The JPEG side of embedded depth: walk the segments to find the standard
 * XMP packet (APP1 "http://ns.adobe.com/xap/1.0/\0"), the Extended XMP
 * chunks (APP1 "http://ns.adobe.com/xmp/extension/\0", then a 32-digit
 * GUID, the full length and this chunk's offset, both 32-bit big-endian),
 * the end of the primary image (its EOI), where Dynamic Depth items
 * start, and the Multi-Picture Format index (APP2 "MPF\0"). Chunks may come in any order; reassembly checks that they tile
 * the full length exactly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "depth/embedded_internal.h"

static const char xmp_sig[] = "http://ns.adobe.com/xap/1.0/"; /* + NUL */
static const char ext_sig[] = "http://ns.adobe.com/xmp/extension/";
#define EXT_HEADER (sizeof ext_sig + 32 + 4 + 4)
/* Extended XMP larger than this is not depth metadata. */
#define EXT_MAX ((uint32_t)64 << 20)

static uint32_t be32(const unsigned char *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static dm_status add_chunk(dm_context *ctx, const char *name, dm_jpeg_info *j,
                           const unsigned char *seg, size_t seg_len, size_t seg_at) {
  if (seg_len < EXT_HEADER) return DM_OK; /* too short to be one: ignored */
  if (j->n_chunks == j->cap_chunks) {
    int cap = j->cap_chunks ? 2 * j->cap_chunks : 16;
    dm_xmp_chunk *c = realloc(j->chunks, (size_t)cap * sizeof *c);
    if (!c) return dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory");
    j->chunks = c;
    j->cap_chunks = cap;
  }
  dm_xmp_chunk *c = &j->chunks[j->n_chunks++];
  const unsigned char *h = seg + sizeof ext_sig;
  memcpy(c->guid, h, 32);
  c->guid[32] = 0;
  c->full = be32(h + 32);
  c->offset = be32(h + 36);
  c->at = seg_at + EXT_HEADER;
  c->len = seg_len - EXT_HEADER;
  return DM_OK;
}

/* Past the entropy-coded data that starts at `p`: the position of the next
 * marker's 0xFF (RSTn and stuffed zeros are part of the data). */
static size_t skip_entropy(const unsigned char *d, size_t len, size_t p) {
  for (; p + 1 < len; p++)
    if (d[p] == 0xFF && d[p + 1] != 0 && !(d[p + 1] >= 0xD0 && d[p + 1] <= 0xD7) && d[p + 1] != 0xFF)
      return p;
  return len;
}

dm_status dm_jpeg_info_read(dm_context *ctx, const unsigned char *d, size_t len, const char *name,
                            dm_jpeg_info *out) {
  memset(out, 0, sizeof *out);
  if (len < 4 || d[0] != 0xFF || d[1] != 0xD8) return DM_OK;
  size_t p = 2;
  while (p + 1 < len) {
    if (d[p] != 0xFF) return DM_OK; /* lost sync: stop, keep what we have */
    unsigned m = d[p + 1];
    if (m == 0xFF) { /* fill byte */
      p++;
      continue;
    }
    p += 2;
    if (m == 0xD9) {
      out->primary_end = p;
      return DM_OK;
    }
    if ((m >= 0xD0 && m <= 0xD7) || m == 0x01) continue;
    if (p + 2 > len) return DM_OK;
    size_t seg_len = ((size_t)d[p] << 8) | d[p + 1];
    if (seg_len < 2 || p + seg_len > len) return DM_OK;
    const unsigned char *seg = d + p + 2;
    size_t n = seg_len - 2;
    if (m == 0xE1 && n >= sizeof xmp_sig && !memcmp(seg, xmp_sig, sizeof xmp_sig) && !out->xmp) {
      out->xmp = seg + sizeof xmp_sig;
      out->xmp_len = n - sizeof xmp_sig;
    } else if (m == 0xE2 && n >= 4 && !memcmp(seg, "MPF", 4) && !out->mpf) {
      out->mpf = seg + 4;
      out->mpf_len = n - 4;
    } else if (m == 0xE1 && n >= sizeof ext_sig && !memcmp(seg, ext_sig, sizeof ext_sig)) {
      dm_status s = add_chunk(ctx, name, out, seg, n, p + 2);
      if (s) {
        dm_jpeg_info_free(out);
        return s;
      }
    }
    p += seg_len;
    if (m == 0xDA) p = skip_entropy(d, len, p);
  }
  return DM_OK;
}

void dm_jpeg_info_free(dm_jpeg_info *j) {
  free(j->chunks);
  memset(j, 0, sizeof *j);
}

static int by_offset(const void *a, const void *b) {
  const dm_xmp_chunk *x = *(const dm_xmp_chunk *const *)a, *y = *(const dm_xmp_chunk *const *)b;
  return x->offset < y->offset ? -1 : x->offset > y->offset;
}

dm_status dm_jpeg_extended_xmp(dm_context *ctx, const unsigned char *data, const dm_jpeg_info *j,
                               const char *guid, char **out, size_t *out_len, char *problem,
                               size_t problem_len) {
  *out = NULL;
  *out_len = 0;
  problem[0] = 0;
  int n = 0, others = 0;
  for (int i = 0; i < j->n_chunks; i++) {
    if (!strcasecmp(j->chunks[i].guid, guid)) n++; /* hex digits: either case */
    else others++;
  }
  if (n == 0) {
    if (others)
      snprintf(problem, problem_len,
               "the Extended XMP chunks carry GUID %.32s, the main packet names %.32s",
               j->chunks[0].guid, guid);
    else
      snprintf(problem, problem_len, "the Extended XMP %.32s named by the main packet is missing", guid);
    return DM_OK;
  }
  const dm_xmp_chunk **c = malloc((size_t)n * sizeof *c);
  if (!c) return dm_fail(ctx, DM_ERR_NOMEM, "Extended XMP", "out of memory");
  n = 0;
  for (int i = 0; i < j->n_chunks; i++)
    if (!strcasecmp(j->chunks[i].guid, guid)) c[n++] = &j->chunks[i];
  qsort(c, (size_t)n, sizeof *c, by_offset);
  uint32_t full = c[0]->full;
  uint64_t next = 0;
  for (int i = 0; i < n && !problem[0]; i++) {
    if (c[i]->full != full)
      snprintf(problem, problem_len, "Extended XMP chunks disagree on the full length (%u, %u)",
               (unsigned)full, (unsigned)c[i]->full);
    else if (c[i]->offset > next)
      snprintf(problem, problem_len, "Extended XMP bytes %llu..%u are missing (a chunk is lost)",
               (unsigned long long)next, (unsigned)c[i]->offset);
    else if (c[i]->offset < next)
      snprintf(problem, problem_len, "Extended XMP chunks overlap at byte %u", (unsigned)c[i]->offset);
    else if ((uint64_t)c[i]->offset + c[i]->len > full)
      snprintf(problem, problem_len, "an Extended XMP chunk at %u runs past the full length %u",
               (unsigned)c[i]->offset, (unsigned)full);
    next = (uint64_t)c[i]->offset + c[i]->len;
  }
  if (!problem[0] && full == 0) snprintf(problem, problem_len, "the Extended XMP is empty");
  if (!problem[0] && full > EXT_MAX)
    snprintf(problem, problem_len, "the Extended XMP claims %u bytes; more than %u MiB",
             (unsigned)full, (unsigned)(EXT_MAX >> 20));
  if (!problem[0] && next != full)
    snprintf(problem, problem_len, "Extended XMP has %llu of its %u bytes (the last chunks are lost)",
             (unsigned long long)next, (unsigned)full);
  dm_status s = DM_OK;
  if (!problem[0]) {
    char *buf = malloc((size_t)full + 1);
    if (!buf) {
      s = dm_fail(ctx, DM_ERR_NOMEM, "Extended XMP", "out of memory");
    } else {
      for (int i = 0; i < n; i++) memcpy(buf + c[i]->offset, data + c[i]->at, c[i]->len);
      buf[full] = 0;
      *out = buf;
      *out_len = full;
    }
  }
  free(c);
  return s;
}
