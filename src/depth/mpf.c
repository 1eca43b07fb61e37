/* JPEG Multi-Picture Format (CIPA DC-007): the MP Index IFD in the primary
 * image's APP2 "MPF\0" segment lists every image of the file, each with its
 * size and its offset from the MP header; iPhones store a portrait's
 * disparity map and its mattes as secondary JPEG images there, each with
 * Apple's auxiliary XMP (apdi: AuxiliaryImageType disparity | depth, and
 * for mattes AuxiliaryImageSubType or a matte URN; FloatMin/MaxValue, the
 * disparity's range in 1/m). Secondary images without apdi (a camera's
 * previews, the other view of a stereo pair) are not depth and are not
 * listed. Every offset and size is checked against the segment and the
 * file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depth/embedded_internal.h"

#define TAG_VERSION 0xB000
#define TAG_COUNT 0xB001
#define TAG_ENTRIES 0xB002
#define ENTRY_BYTES 16

typedef struct tiff {
  const unsigned char *d;
  size_t len;
  int big; /* "MM": big-endian */
} tiff;

static uint32_t u16(const tiff *t, size_t at) {
  const unsigned char *p = t->d + at;
  return t->big ? (uint32_t)p[0] << 8 | p[1] : (uint32_t)p[1] << 8 | p[0];
}

static uint32_t u32(const tiff *t, size_t at) {
  const unsigned char *p = t->d + at;
  return t->big ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
                : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

int dm_mpf_index(const unsigned char *mp, size_t len, dm_mpf_entry *out, int max, char *problem,
                 size_t problem_len) {
  tiff t = {mp, len, 0};
  if (len < 8 || !((mp[0] == 'I' && mp[1] == 'I') || (mp[0] == 'M' && mp[1] == 'M'))) {
    snprintf(problem, problem_len, "the MP header is not a TIFF header");
    return -1;
  }
  t.big = mp[0] == 'M';
  if (u16(&t, 2) != 42) {
    snprintf(problem, problem_len, "the MP header's TIFF magic is %u, not 42", u16(&t, 2));
    return -1;
  }
  uint32_t ifd = u32(&t, 4);
  if (ifd < 8 || ifd > len || len - ifd < 2) {
    snprintf(problem, problem_len, "the MP Index IFD at %u lies outside the %zu-byte segment", ifd, len);
    return -1;
  }
  uint32_t n_tags = u16(&t, ifd);
  if ((len - ifd - 2) / 12 < n_tags) {
    snprintf(problem, problem_len, "the MP Index IFD's %u entries run past the segment", n_tags);
    return -1;
  }
  long count = -1;
  uint32_t entries_at = 0, entries_len = 0;
  for (uint32_t i = 0; i < n_tags; i++) {
    size_t e = ifd + 2 + 12 * (size_t)i;
    uint32_t tag = u16(&t, e), type = u16(&t, e + 2), n = u32(&t, e + 4);
    if (tag == TAG_VERSION && !(n == 4 && !memcmp(mp + e + 8, "01", 2))) {
      snprintf(problem, problem_len, "MPFVersion is not 01xx");
      return -1;
    }
    if (tag == TAG_COUNT && type == 4 && n == 1) count = u32(&t, e + 8);
    if (tag == TAG_ENTRIES && type == 7) entries_len = n, entries_at = u32(&t, e + 8);
  }
  if (count < 1 || count > 1000) {
    snprintf(problem, problem_len, "NumberOfImages is %s", count < 0 ? "missing" : "out of range");
    return -1;
  }
  if (entries_len != (uint32_t)count * ENTRY_BYTES || entries_at > len || len - entries_at < entries_len) {
    snprintf(problem, problem_len, "the MP entries (%u bytes at %u) do not hold %ld images inside "
             "the segment", entries_len, entries_at, count);
    return -1;
  }
  int k = count < max ? (int)count : max;
  for (int i = 0; i < k; i++) {
    size_t e = entries_at + (size_t)ENTRY_BYTES * i;
    out[i] = (dm_mpf_entry){u32(&t, e), u32(&t, e + 4), u32(&t, e + 8)};
  }
  return k;
}

/* The apdi XMP of the secondary JPEG image at data[0, len); present = 0
 * when it has none. */
static dm_status apdi_of(dm_context *ctx, const unsigned char *data, size_t len, const char *name,
                         dm_apdi_meta *a) {
  memset(a, 0, sizeof *a);
  dm_jpeg_info j;
  dm_status s = dm_jpeg_info_read(ctx, data, len, name, &j);
  if (s || !j.xmp) {
    dm_jpeg_info_free(&j);
    return s;
  }
  xmlDocPtr doc = NULL;
  char problem[160];
  s = dm_xmp_parse(ctx, (const char *)j.xmp, j.xmp_len, name, &doc, problem, sizeof problem);
  if (!s && doc) dm_apdi_meta_read(doc, a);
  xmlFreeDoc(doc);
  dm_jpeg_info_free(&j);
  return s;
}

static dm_status one_image(dm_context *ctx, const unsigned char *img, size_t len, const char *name,
                           int index, dm_embedded_list *list, dm_emb_want *want) {
  dm_apdi_meta a;
  dm_status s = apdi_of(ctx, img, len, name, &a);
  if (s || !a.present) return s;
  dm_embedded_kind kind = dm_apdi_kind(&a);
  char type[96];
  snprintf(type, sizeof type, "MP image %d: %.32s%s%.32s", index + 1, a.aux_type,
           a.aux_subtype[0] ? "/" : "", a.aux_subtype);
  dm_embedded_item *it = dm_emb_add(list, kind, DM_EMB_MPF, type);
  if (!it) return DM_OK;
  snprintf(it->mime, sizeof it->mime, "image/jpeg");
  it->bytes = len;
  if (kind == DM_EMB_OTHER) {
    dm_emb_problem(ctx, name, it, "an auxiliary image of a type depthmask does not use");
    return DM_OK;
  }
  if (kind != DM_EMB_DEPTH) snprintf(it->encoding, sizeof it->encoding, "linear 8-bit matte");
  dm_image plane = {0};
  if (dm_emb_wants_decode(want, kind)) {
    s = dm_emb_decode(ctx, name, img, len, want ? want->max_pixels : DM_EMB_MAX_PIXELS, it, &plane);
    if (s) return s;
  } else {
    it->usable = 1; /* listed only: the scan decodes what it is asked for */
  }
  if (kind == DM_EMB_DEPTH) dm_apdi_to_near01(&a, it, &plane); /* an empty plane: names the encoding */
  if (plane.data) dm_emb_offer(want, it, &plane, it->near_m, it->far_m);
  dm_image_free(&plane);
  return DM_OK;
}

dm_status dm_mpf_collect(dm_context *ctx, const unsigned char *data, size_t len,
                         const dm_jpeg_info *j, const char *name, dm_embedded_list *list,
                         dm_emb_want *want) {
  dm_mpf_entry e[DM_MPF_MAX_IMAGES];
  char problem[160];
  int n = dm_mpf_index(j->mpf, j->mpf_len, e, DM_MPF_MAX_IMAGES, problem, sizeof problem);
  if (n < 0) {
    dm_log(ctx, DM_LOG_WARN, "%s: the Multi-Picture Format index is broken (%s); its images are "
           "not read", name, problem);
    return DM_OK;
  }
  size_t base = (size_t)(j->mpf - data);
  dm_status s = DM_OK;
  for (int i = 1; i < n && !s; i++) { /* the first is the primary image */
    size_t at = base + e[i].offset;
    if (e[i].offset == 0 || at > len || len - at < e[i].size || e[i].size < 4) {
      dm_log(ctx, DM_LOG_WARN, "%s: MP image %d (%u bytes at %zu) lies outside the %zu-byte file; "
             "not read", name, i + 1, e[i].size, at, len);
      continue;
    }
    s = one_image(ctx, data + at, e[i].size, name, i, list, want);
  }
  return s;
}
