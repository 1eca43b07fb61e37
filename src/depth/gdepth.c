/* Google GDepth (JPEG): XMP GDepth:Format RangeInverse|RangeLinear,
 * GDepth:Near/Far, GDepth:Mime and GDepth:Data, the depth image in base64,
 * usually in Extended XMP since it exceeds a segment's 64 KB; an optional
 * GDepth:Confidence map. Both ranges are metric, so near/far are kept. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depth/embedded_internal.h"

static int b64_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

int dm_base64_decode(const char *text, unsigned char **out, size_t *out_len, char *problem,
                     size_t problem_len) {
  *out = NULL;
  *out_len = 0;
  size_t n = strlen(text);
  char *clean = malloc(n + 1);
  if (!clean) return -1;
  size_t k = 0, pad = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    if (c == '=') {
      pad++;
    } else if (pad || b64_value(c) < 0) {
      snprintf(problem, problem_len, "the base64 data has %s at character %zu",
               pad ? "text after its '=' padding" : "a character outside the alphabet", i);
      free(clean);
      return 0;
    }
    clean[k++] = (char)c;
  }
  if (k == 0 || k % 4 || pad > 2) {
    snprintf(problem, problem_len, "the base64 data is %s", k == 0 ? "empty" : "cut short or badly padded");
    free(clean);
    return 0;
  }
  if (k > (size_t)1 << 30) {
    snprintf(problem, problem_len, "the base64 data is larger than 1 GiB");
    free(clean);
    return 0;
  }
  unsigned char *buf = malloc(k / 4 * 3 + 1);
  if (!buf) {
    free(clean);
    return -1;
  }
  int r = EVP_DecodeBlock(buf, (const unsigned char *)clean, (int)k);
  free(clean);
  if (r < 0 || (size_t)r < pad) {
    free(buf);
    snprintf(problem, problem_len, "the base64 data does not decode");
    return 0;
  }
  *out = buf;
  *out_len = (size_t)r - pad; /* EVP_DecodeBlock counts the padding as zero bytes */
  return 1;
}

/* Near/far: 0 < near < far, finite. 1 = fine; 0 = problem written. */
static int read_range(const char *near_text, const char *far_text, float *near_m, float *far_m,
                      char *problem, size_t problem_len) {
  double n = 0, f = 0;
  int rn = dm_xmp_number(near_text, &n), rf = dm_xmp_number(far_text, &f);
  if (rn != 1 || rf != 1) {
    snprintf(problem, problem_len, "Near/Far %s (\"%.20s\", \"%.20s\")",
             rn == 0 || rf == 0 ? "missing" : "not numbers", near_text ? near_text : "",
             far_text ? far_text : "");
    return 0;
  }
  if (!(n > 0 && f > n && f < 1e30)) {
    snprintf(problem, problem_len, "Near %g / Far %g must have 0 < Near < Far", n, f);
    return 0;
  }
  *near_m = (float)n;
  *far_m = (float)f;
  return 1;
}

/* One base64 image: listed, decoded and offered to `want`. For depth,
 * `linear` says RangeLinear; range_ok = 0 makes it unusable. */
static dm_status one_image(dm_context *ctx, const char *name, dm_embedded_list *list,
                           dm_emb_want *want, dm_embedded_kind kind, const char *type,
                           const char *b64, const char *mime, const char *encoding, int linear,
                           float near_m, float far_m, const char *range_problem) {
  dm_embedded_item *it = dm_emb_add(list, kind, DM_EMB_GDEPTH, type);
  if (!it) return DM_OK;
  snprintf(it->encoding, sizeof it->encoding, "%s", encoding);
  snprintf(it->mime, sizeof it->mime, "%s", mime);
  it->near_m = near_m;
  it->far_m = far_m;
  char problem[160] = "";
  if (range_problem && range_problem[0] && !b64) {
    dm_emb_problem(ctx, name, it, "%s", range_problem);
    return DM_OK;
  }
  if (!b64) {
    dm_emb_problem(ctx, name, it, "GDepth:%s is missing", kind == DM_EMB_DEPTH ? "Data" : "Confidence");
    return DM_OK;
  }
  unsigned char *bytes = NULL;
  size_t n = 0;
  int r = dm_base64_decode(b64, &bytes, &n, problem, sizeof problem);
  if (r < 0) return dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory");
  if (r == 0) {
    it->bytes = strlen(b64);
    dm_emb_problem(ctx, name, it, "%s", problem);
    return DM_OK;
  }
  it->bytes = n;
  if (range_problem && range_problem[0]) {
    free(bytes);
    dm_emb_problem(ctx, name, it, "%s", range_problem);
    return DM_OK;
  }
  if (!dm_emb_wants_decode(want, kind)) {
    free(bytes);
    return DM_OK;
  }
  dm_image plane;
  dm_status s = dm_emb_decode(ctx, name, bytes, n, want ? want->max_pixels : DM_EMB_MAX_PIXELS, it,
                              &plane);
  free(bytes);
  if (s || !plane.data) return s;
  if (kind == DM_EMB_DEPTH) dm_emb_range_to_near01(&plane, linear, near_m, far_m);
  dm_emb_offer(want, it, &plane, near_m, far_m);
  return DM_OK;
}

dm_status dm_gdepth_collect(dm_context *ctx, const unsigned char *data, const dm_jpeg_info *j,
                            xmlDocPtr main, const char *name, dm_embedded_list *list,
                            dm_emb_want *want) {
  char ext_problem[160] = "", *guid = dm_xmp_get(main, DM_NS_XMPNOTE, "HasExtendedXMP");
  char *ext = NULL;
  size_t ext_len = 0;
  xmlDocPtr ext_doc = NULL;
  dm_status s = DM_OK;
  if (guid && strlen(guid) != 32)
    snprintf(ext_problem, sizeof ext_problem, "xmpNote:HasExtendedXMP \"%.40s\" is not a 32-digit GUID",
             guid);
  else if (guid)
    s = dm_jpeg_extended_xmp(ctx, data, j, guid, &ext, &ext_len, ext_problem, sizeof ext_problem);
  if (!s && ext) {
    char why[120];
    s = dm_xmp_parse(ctx, ext, ext_len, name, &ext_doc, why, sizeof why);
    if (!s && !ext_doc) snprintf(ext_problem, sizeof ext_problem, "the Extended XMP is broken: %s", why);
  }
  free(ext);
  free(guid);
  dm_gdepth_meta m;
  int present = s ? 0 : dm_gdepth_meta_read(main, ext_doc, &m);
  if (present) {
    char range_problem[160] = "";
    float near_m = 0, far_m = 0;
    int linear = !strcmp(m.format, "RangeLinear");
    if (!m.format[0])
      snprintf(range_problem, sizeof range_problem, "GDepth:Format is missing or not a single value");
    else if (!linear && strcmp(m.format, "RangeInverse"))
      snprintf(range_problem, sizeof range_problem, "GDepth:Format \"%.40s\" is neither RangeInverse nor RangeLinear",
               m.format);
    else
      read_range(m.near_text, m.far_text, &near_m, &far_m, range_problem, sizeof range_problem);
    /* Without the data, the reason is usually the Extended XMP. */
    if (!m.data && ext_problem[0]) snprintf(range_problem, sizeof range_problem, "%s", ext_problem);
    s = one_image(ctx, name, list, want, DM_EMB_DEPTH, "GDepth:Data", m.data, m.mime,
                  m.format[0] ? m.format : "?", linear, near_m, far_m, range_problem);
    if (!s && m.confidence)
      s = one_image(ctx, name, list, want, DM_EMB_CONFIDENCE, "GDepth:Confidence", m.confidence,
                    m.conf_mime, "linear 8-bit confidence", 0, 0, 0, NULL);
    dm_gdepth_meta_free(&m);
  } else if (!s && ext_problem[0]) {
    /* The main packet points at Extended XMP we cannot use and names no
     * GDepth: say so, there may have been a depth map in it. */
    dm_embedded_item *it = dm_emb_add(list, DM_EMB_DEPTH, DM_EMB_GDEPTH, "GDepth:Data");
    if (it) dm_emb_problem(ctx, name, it, "%s", ext_problem);
  }
  xmlFreeDoc(ext_doc);
  return s;
}
