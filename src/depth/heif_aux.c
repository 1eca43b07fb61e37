/* HEIF/HEIC/AVIF auxiliary images through libheif: the depth image (libheif
 * files `urn:mpeg:hevc:2015:auxid:2` and the AVIF URN apart as depth) with
 * its depth representation info or Apple's apdi XMP, and Apple's mattes,
 * which libheif lists as generic auxiliary images.
 *
 * Encodings -> near01 (0 = near, linear in disparity):
 *   uniform disparity / nonuniform disparity / inverse Z: larger = nearer,
 *     near01 = 1 - v (apdi disparity: the same; FloatMin/Max in 1/m give
 *     the metric range 1/max .. 1/min);
 *   uniform Z (and apdi depth): z = near + v (far - near), converted with
 *     the range when known; without one, v is kept (order is right). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depth/embedded_internal.h"
#include "io/heif_lazy.h"
#include "io/io_internal.h"

#define URN_DEPTH_HEVC "urn:mpeg:hevc:2015:auxid:2"
#define URN_DEPTH_AVIF "urn:mpeg:mpegB:cicp:systems:auxiliary:depth"

static const struct {
  const char *urn;
  dm_embedded_kind kind;
} aux_urns[] = {
    {"urn:com:apple:photo:2018:aux:portraiteffectsmatte", DM_EMB_MATTE_PORTRAIT},
    {"urn:com:apple:photo:2019:aux:semanticskinmatte", DM_EMB_MATTE_SKIN},
    {"urn:com:apple:photo:2019:aux:semantichairmatte", DM_EMB_MATTE_HAIR},
    {"urn:com:apple:photo:2019:aux:semanticteethmatte", DM_EMB_MATTE_TEETH},
    {URN_DEPTH_HEVC, DM_EMB_DEPTH},
    {URN_DEPTH_AVIF, DM_EMB_DEPTH},
};

/* libheif's message, on one line. */
static const char *heif_msg(struct heif_error e, char *buf, size_t n) {
  snprintf(buf, n, "%s", e.message && e.message[0] ? e.message : "libheif failed");
  for (char *c = buf; *c; c++)
    if (*c == '\n' || *c == '\r') *c = ' ';
  size_t l = strlen(buf);
  while (l && buf[l - 1] == ' ') buf[--l] = 0;
  return buf;
}

/* Decode an aux image to a grey plane in [0, 1]. */
static dm_status decode_grey(dm_context *ctx, const char *name, struct heif_image_handle *h,
                             long long max_pixels, dm_embedded_item *it, dm_image *plane) {
  memset(plane, 0, sizeof *plane);
  int w = heif_image_handle_get_width(h), ht = heif_image_handle_get_height(h);
  it->width = w;
  it->height = ht;
  if (w <= 0 || ht <= 0 || w > DM_MAX_DIM || ht > DM_MAX_DIM || (long long)w * ht > max_pixels) {
    dm_emb_problem(ctx, name, it, "a %dx%d image is outside the accepted size", w, ht);
    return DM_OK;
  }
  struct heif_decoding_options *opt = heif_decoding_options_alloc();
  if (!opt) return dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory");
  if (opt->version >= 3) opt->strict_decoding = 1;
  struct heif_image *img = NULL;
  struct heif_error e = heif_decode_image(h, &img, heif_colorspace_monochrome, heif_chroma_monochrome, opt);
  heif_decoding_options_free(opt);
  char msg[200];
  if (e.code) {
    if (e.code == heif_error_Memory_allocation_error)
      return dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory");
    dm_emb_problem(ctx, name, it, "does not decode: %s", heif_msg(e, msg, sizeof msg));
    return DM_OK;
  }
  int stride = 0;
  const uint8_t *p = heif_image_get_plane_readonly(img, heif_channel_Y, &stride);
  int iw = heif_image_get_width(img, heif_channel_Y), ih = heif_image_get_height(img, heif_channel_Y);
  int bits = heif_image_get_bits_per_pixel_range(img, heif_channel_Y);
  int wide = bits > 8;
  dm_status s = DM_OK;
  if (!p || iw <= 0 || ih <= 0 || iw > w + 64 || ih > ht + 64 || bits < 1 || bits > 16 ||
      stride < iw * (wide ? 2 : 1)) {
    dm_emb_problem(ctx, name, it, "decodes to an unexpected layout");
  } else if (!(s = dm_image_alloc(ctx, plane, iw, ih, 1))) {
    float scale = 1.0f / (float)((1u << bits) - 1);
    for (int y = 0; y < ih; y++) {
      const uint8_t *r = p + (size_t)y * (size_t)stride;
      float *d = dm_row(plane, y);
      for (int x = 0; x < iw; x++)
        d[x] = (float)(wide ? (r[2 * x] | (r[2 * x + 1] << 8)) : r[x]) * scale;
    }
    it->width = iw;
    it->height = ih;
    it->bits = bits;
    it->usable = 1;
  }
  heif_image_release(img);
  return s;
}

/* Apple's apdi XMP on the depth item, if any. */
static dm_status read_apdi(dm_context *ctx, const char *name, struct heif_image_handle *h,
                           dm_apdi_meta *a) {
  memset(a, 0, sizeof *a);
  heif_item_id ids[8];
  int n = heif_image_handle_get_list_of_metadata_block_IDs(h, "mime", ids, 8);
  for (int i = 0; i < n && !a->present; i++) {
    const char *ct = heif_image_handle_get_metadata_content_type(h, ids[i]);
    if (!ct || strcmp(ct, "application/rdf+xml")) continue;
    size_t sz = heif_image_handle_get_metadata_size(h, ids[i]);
    if (sz == 0 || sz > (4u << 20)) continue;
    char *buf = malloc(sz);
    if (!buf) return dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory");
    xmlDocPtr doc = NULL;
    char problem[160];
    dm_status s = DM_OK;
    if (!heif_image_handle_get_metadata(h, ids[i], buf).code)
      s = dm_xmp_parse(ctx, buf, sz, name, &doc, problem, sizeof problem);
    free(buf);
    if (s) return s;
    if (doc) dm_apdi_meta_read(doc, a);
    xmlFreeDoc(doc);
  }
  return DM_OK;
}

/* Turn the decoded plane into near01, describing the encoding. */
static void depth_to_near01(const struct heif_depth_representation_info *ri, const dm_apdi_meta *a,
                            dm_embedded_item *it, dm_image *p) {
  int is_z = 0;
  double zn = 0, zf = 0;
  if (ri) {
    static const char *const names[] = {"uniform inverse Z", "uniform disparity", "uniform Z",
                                        "nonuniform disparity"};
    unsigned t = (unsigned)ri->depth_representation_type;
    snprintf(it->encoding, sizeof it->encoding, "%s", t < 4 ? names[t] : "unknown representation");
    is_z = t == heif_depth_representation_type_uniform_Z;
    if (ri->has_z_near && ri->has_z_far && ri->z_near > 0 && ri->z_far > ri->z_near &&
        ri->z_far < 1e30 && (t == 0 || t == 2))
      zn = ri->z_near, zf = ri->z_far;
  } else if (a->present) {
    dm_apdi_to_near01(a, it, p);
    return;
  } else {
    snprintf(it->encoding, sizeof it->encoding, "disparity (assumed)");
  }
  dm_emb_to_near01(it, p, is_z, zn, zf);
}

/* A depth image (handle h, released here) of the primary. */
static dm_status one_depth(dm_context *ctx, const char *name, struct heif_image_handle *primary,
                           heif_item_id id, struct heif_image_handle *h, const char *urn,
                           dm_embedded_list *list, dm_emb_want *want) {
  dm_embedded_item *it = dm_emb_add(list, DM_EMB_DEPTH, DM_EMB_HEIF_AUX, urn);
  if (!it) {
    heif_image_handle_release(h);
    return DM_OK;
  }
  snprintf(it->mime, sizeof it->mime, "hevc");
  const struct heif_depth_representation_info *ri = NULL;
  if (!heif_image_handle_get_depth_image_representation_info(primary, id, &ri)) ri = NULL;
  dm_apdi_meta a;
  dm_status s = read_apdi(ctx, name, h, &a);
  dm_image plane = {0};
  if (!s) {
    it->width = heif_image_handle_get_width(h);
    it->height = heif_image_handle_get_height(h);
    it->bits = heif_image_handle_get_luma_bits_per_pixel(h);
  }
  if (!s && dm_emb_wants_decode(want, DM_EMB_DEPTH))
    s = decode_grey(ctx, name, h, want ? want->max_pixels : DM_EMB_MAX_PIXELS, it, &plane);
  if (!s) depth_to_near01(ri, &a, it, &plane); /* an empty plane: only names the encoding */
  if (!s && plane.data) dm_emb_offer(want, it, &plane, it->near_m, it->far_m);
  dm_image_free(&plane);
  if (ri) heif_depth_representation_info_free(ri);
  heif_image_handle_release(h);
  return s;
}

static dm_status one_aux(dm_context *ctx, const char *name, struct heif_image_handle *primary,
                         heif_item_id id, dm_embedded_list *list, dm_emb_want *want) {
  struct heif_image_handle *h = NULL;
  struct heif_error e = heif_image_handle_get_auxiliary_image_handle(primary, id, &h);
  if (e.code) return DM_OK; /* listed by libheif, yet not there: nothing to say what it was */
  const char *type = NULL;
  dm_embedded_kind kind = DM_EMB_OTHER;
  char urn[96] = "";
  if (!heif_image_handle_get_auxiliary_type(h, &type).code && type) {
    snprintf(urn, sizeof urn, "%s", type);
    heif_image_handle_free_auxiliary_types(h, &type);
  }
  for (size_t i = 0; i < sizeof aux_urns / sizeof aux_urns[0]; i++)
    if (!strcmp(urn, aux_urns[i].urn)) kind = aux_urns[i].kind;
  dm_status s = DM_OK;
  dm_embedded_item *it = dm_emb_add(list, kind, DM_EMB_HEIF_AUX, urn);
  if (it) {
    snprintf(it->mime, sizeof it->mime, "hevc");
    it->width = heif_image_handle_get_width(h);
    it->height = heif_image_handle_get_height(h);
    it->bits = heif_image_handle_get_luma_bits_per_pixel(h);
    if (kind == DM_EMB_OTHER) {
      dm_emb_problem(ctx, name, it, "an auxiliary image of a type we do not use");
    } else if (kind == DM_EMB_DEPTH) {
      list->n--; /* a depth libheif did not file as one: read it as depth */
      return one_depth(ctx, name, primary, id, h, urn, list, want);
    } else {
      snprintf(it->encoding, sizeof it->encoding, "linear 8-bit matte");
      dm_image plane = {0};
      if (dm_emb_wants_decode(want, kind))
        s = decode_grey(ctx, name, h, want ? want->max_pixels : DM_EMB_MAX_PIXELS, it, &plane);
      if (!s && plane.data) dm_emb_offer(want, it, &plane, 0, 0);
      dm_image_free(&plane);
    }
  }
  heif_image_handle_release(h);
  return s;
}

dm_status dm_heif_collect(dm_context *ctx, const unsigned char *data, size_t len, const char *name,
                          dm_embedded_list *list, dm_emb_want *want) {
  struct heif_context *hc = NULL;
  dm_status hs = dm_heif_context_new(ctx, name, &hc);
  if (hs) return hs;
  struct heif_image_handle *primary = NULL;
  struct heif_error e = heif_context_read_from_memory_without_copy(hc, data, len, NULL);
  if (!e.code) e = heif_context_get_primary_image_handle(hc, &primary);
  dm_status s = DM_OK;
  char msg[200];
  uint64_t cw = 0, ch = 0;
  /* libheif builds grid canvases before we see a pixel: refuse huge ones. */
  int canvas = e.code ? 0 : dm_heic_canvas_size(data, len, &cw, &ch);
  if (e.code) {
    dm_log(ctx, DM_LOG_WARN, "%s: HEIF container unreadable (%s); no embedded depth read", name,
           heif_msg(e, msg, sizeof msg));
  } else if (canvas < 0 || (canvas > 0 && cw * ch > (uint64_t)DM_MAX_PIXELS)) {
    dm_log(ctx, DM_LOG_WARN, "%s: corrupt HEIF image grid; no embedded depth read", name);
  } else {
    heif_item_id ids[DM_EMBEDDED_MAX];
    int n = heif_image_handle_get_list_of_depth_image_IDs(primary, ids, DM_EMBEDDED_MAX);
    for (int i = 0; i < n && !s; i++) {
      struct heif_image_handle *h = NULL;
      e = heif_image_handle_get_depth_image_handle(primary, ids[i], &h);
      if (e.code) {
        dm_embedded_item *it = dm_emb_add(list, DM_EMB_DEPTH, DM_EMB_HEIF_AUX, URN_DEPTH_HEVC);
        if (it) dm_emb_problem(ctx, name, it, "%s", heif_msg(e, msg, sizeof msg));
        continue;
      }
      s = one_depth(ctx, name, primary, ids[i], h, URN_DEPTH_HEVC, list, want);
    }
    n = heif_image_handle_get_list_of_auxiliary_image_IDs(
        primary, LIBHEIF_AUX_IMAGE_FILTER_OMIT_ALPHA | LIBHEIF_AUX_IMAGE_FILTER_OMIT_DEPTH, ids,
        DM_EMBEDDED_MAX);
    for (int i = 0; i < n && !s; i++) s = one_aux(ctx, name, primary, ids[i], list, want);
  }
  if (primary) heif_image_handle_release(primary);
  heif_context_free(hc);
  return s;
}
