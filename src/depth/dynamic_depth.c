/* Android Dynamic Depth 1.0 (JPEG): the XMP Device:Container lists the
 * items concatenated after the primary image (item 0, the JPEG through its
 * EOI), each with Item:Mime, Item:Length, Item:Padding, Item:Semantic and
 * Item:DataURI; a Camera's DepthMap names its depth (and confidence) item
 * by that URI and gives DepthMap:Format RangeInverse|RangeLinear with
 * Near/Far. Every length and offset is checked against the file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depth/embedded_internal.h"

typedef struct placed {
  size_t at, len;
  int ok;             /* lies inside the file */
  char problem[160];
} placed;

static int read_size(const char *text, size_t *out) {
  double v;
  if (!text) {
    *out = 0;
    return 1;
  }
  if (dm_xmp_number(text, &v) != 1 || v < 0 || v > 1e15 || v != (double)(long long)v) return 0;
  *out = (size_t)v;
  return 1;
}

/* Where each item lies: item 0 ends at the primary image's EOI, the others
 * follow one after the other, each after the previous one's padding. */
static void place(const dm_dd_meta *m, size_t primary_end, size_t len, placed *p) {
  size_t at = primary_end;
  int lost = 0;
  for (int i = 0; i < m->n_items; i++) {
    const dm_dd_item *it = &m->items[i];
    size_t length = 0, padding = 0;
    memset(&p[i], 0, sizeof p[i]);
    if (!read_size(it->length_text, &length) || !read_size(it->padding_text, &padding)) {
      snprintf(p[i].problem, sizeof p[i].problem, "Item:Length \"%.20s\" / Item:Padding \"%.20s\" are not byte counts",
               it->length_text ? it->length_text : "", it->padding_text ? it->padding_text : "");
      lost = 1;
      continue;
    }
    if (i == 0) { /* the primary image: its bytes are the JPEG itself */
      if (!primary_end) lost = 1;
      at = primary_end + padding;
      continue;
    }
    if (lost) {
      snprintf(p[i].problem, sizeof p[i].problem, "its offset is unknown (an earlier item's length is unusable)");
      continue;
    }
    p[i].at = at;
    p[i].len = length;
    if (length == 0) {
      snprintf(p[i].problem, sizeof p[i].problem, "Item:Length is 0");
    } else if (at > len || length > len - at) {
      snprintf(p[i].problem, sizeof p[i].problem,
               "Item:Length %zu at offset %zu runs past the end of the file (%zu bytes)", length, at, len);
      lost = 1;
      continue;
    } else {
      p[i].ok = 1;
    }
    at += length;
    if (padding > len - at) lost = 1;
    else at += padding;
  }
}

static int mime_matches(const char *mime, const unsigned char *d, size_t n) {
  if (!strcmp(mime, "image/png")) return n >= 8 && !memcmp(d, "\x89PNG\r\n\x1a\n", 8);
  if (!strcmp(mime, "image/jpeg")) return n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF;
  return 1; /* other types: the decoder decides */
}

static int find_uri(const dm_dd_meta *m, const char *uri) {
  if (!uri[0]) return -1;
  for (int i = 1; i < m->n_items; i++)
    if (!strcmp(m->items[i].uri, uri)) return i;
  return -1;
}

static dm_embedded_kind kind_of(const dm_dd_meta *m, int i) {
  const char *sem = m->items[i].semantic;
  for (int k = 0; k < m->n_maps; k++) {
    if (find_uri(m, m->maps[k].depth_uri) == i) return DM_EMB_DEPTH;
    if (find_uri(m, m->maps[k].conf_uri) == i) return DM_EMB_CONFIDENCE;
  }
  if (!strcmp(sem, "Depth")) return DM_EMB_DEPTH;
  if (!strcmp(sem, "Confidence")) return DM_EMB_CONFIDENCE;
  return DM_EMB_OTHER;
}

/* The depth map (index into maps) that names item i as its depth, or -1. */
static int map_of(const dm_dd_meta *m, int i) {
  for (int k = 0; k < m->n_maps; k++)
    if (find_uri(m, m->maps[k].depth_uri) == i) return k;
  return -1;
}

static dm_status one_item(dm_context *ctx, const unsigned char *data, const char *name,
                          const dm_dd_meta *m, int i, const placed *p, dm_embedded_list *list,
                          dm_emb_want *want) {
  dm_embedded_kind kind = kind_of(m, i);
  const dm_dd_item *di = &m->items[i];
  char type[96];
  snprintf(type, sizeof type, "%s%s%.60s", di->semantic[0] ? di->semantic : "item",
           di->uri[0] ? " " : "", di->uri);
  dm_embedded_item *it = dm_emb_add(list, kind, DM_EMB_DYNAMIC_DEPTH, type);
  if (!it) return DM_OK;
  snprintf(it->mime, sizeof it->mime, "%s", di->mime);
  it->bytes = p[i].len;
  float near_m = 0, far_m = 0;
  int linear = 0;
  if (kind == DM_EMB_DEPTH) {
    int k = map_of(m, i);
    if (k < 0) {
      snprintf(it->encoding, sizeof it->encoding, "?");
      dm_emb_problem(ctx, name, it, "no Camera:DepthMap names this item (DepthMap:DepthURI)");
      return DM_OK;
    }
    const dm_dd_depthmap *dm = &m->maps[k];
    snprintf(it->encoding, sizeof it->encoding, "%s", dm->format[0] ? dm->format : "?");
    linear = !strcmp(dm->format, "RangeLinear");
    if (!dm->format[0]) {
      dm_emb_problem(ctx, name, it, "DepthMap:Format is missing or not a single value");
      return DM_OK;
    }
    if (!linear && strcmp(dm->format, "RangeInverse")) {
      dm_emb_problem(ctx, name, it, "DepthMap:Format \"%.40s\" is neither RangeInverse nor RangeLinear",
                     dm->format);
      return DM_OK;
    }
    double n = 0, f = 0;
    if (dm_xmp_number(dm->near_text, &n) != 1 || dm_xmp_number(dm->far_text, &f) != 1 ||
        !(n > 0 && f > n && f < 1e30)) {
      dm_emb_problem(ctx, name, it, "DepthMap:Near/Far (\"%.20s\", \"%.20s\") must be numbers with 0 < Near < Far",
                     dm->near_text ? dm->near_text : "", dm->far_text ? dm->far_text : "");
      return DM_OK;
    }
    near_m = it->near_m = (float)n;
    far_m = it->far_m = (float)f;
  } else if (kind == DM_EMB_CONFIDENCE) {
    snprintf(it->encoding, sizeof it->encoding, "linear 8-bit confidence");
  }
  if (!p[i].ok) {
    dm_emb_problem(ctx, name, it, "%s", p[i].problem);
    return DM_OK;
  }
  if (!mime_matches(di->mime, data + p[i].at, p[i].len)) {
    dm_emb_problem(ctx, name, it, "the bytes at offset %zu are not %s (wrong Item:Length or Padding before it?)",
                   p[i].at, di->mime);
    return DM_OK;
  }
  if (kind == DM_EMB_OTHER) {
    it->usable = 1; /* located and of the right type; not decoded, we do not use it */
    return DM_OK;
  }
  if (!dm_emb_wants_decode(want, kind)) return DM_OK;
  dm_image plane;
  dm_status s = dm_emb_decode(ctx, name, data + p[i].at, p[i].len,
                              want ? want->max_pixels : DM_EMB_MAX_PIXELS, it, &plane);
  if (s || !plane.data) return s;
  if (kind == DM_EMB_DEPTH) dm_emb_range_to_near01(&plane, linear, near_m, far_m);
  dm_emb_offer(want, it, &plane, near_m, far_m);
  return DM_OK;
}

dm_status dm_dd_collect(dm_context *ctx, const unsigned char *data, size_t len,
                        const dm_jpeg_info *j, xmlDocPtr main, const char *name,
                        dm_embedded_list *list, dm_emb_want *want) {
  dm_dd_meta *m = malloc(sizeof *m);
  placed *p = malloc(DM_DD_MAX_ITEMS * sizeof *p);
  if (!m || !p) {
    free(m);
    free(p);
    return dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory");
  }
  dm_status s = DM_OK;
  if (dm_dd_meta_read(main, m)) {
    if (m->too_many)
      dm_log(ctx, DM_LOG_WARN, "%s: Dynamic Depth lists more than %d items; the rest are ignored", name,
             DM_DD_MAX_ITEMS);
    if (m->n_items < 2) {
      dm_embedded_item *it = dm_emb_add(list, DM_EMB_DEPTH, DM_EMB_DYNAMIC_DEPTH, "Device:Container");
      if (it) dm_emb_problem(ctx, name, it, "the Container:Directory lists no item after the primary image");
    } else {
      if (!j->primary_end)
        dm_log(ctx, DM_LOG_WARN, "%s: the primary JPEG has no end (EOI); Dynamic Depth items cannot be found", name);
      place(m, j->primary_end, len, p);
      for (int i = 1; i < m->n_items && !s; i++) s = one_item(ctx, data, name, m, i, p, list, want);
    }
  }
  dm_dd_meta_free(m);
  free(m);
  free(p);
  return s;
}
