/* HEIC (and other HEIF files libheif decodes) through libheif: the primary
 * image, 8-bit or, when the luma is deeper, 16-bit-container interleaved
 * RGB; ICC from 'prof'/'rICC', nclx turned into ICC (heic_nclx.c); EXIF from
 * the 'Exif' item; XMP from the first 'mime' item of type
 * application/rdf+xml (HEIF has no IPTC-IIM item).
 *
 * libheif applies the irot/imir/clap transforms itself, which is what the
 * HEIF specification makes normative; the EXIF orientation is informative
 * there and is not applied again (meta.orientation stays 1). */
#include <stdlib.h>
#include <string.h>

#include "io/heif_lazy.h"
#include "io/io_internal.h"

static dm_status heif_fail(dm_context *ctx, const char *name, struct heif_error err) {
  dm_status s = err.code == heif_error_Memory_allocation_error ? DM_ERR_NOMEM : DM_ERR_FORMAT;
  return dm_fail(ctx, s, name, "corrupt or unsupported HEIC: %s",
                 err.message && err.message[0] ? err.message : "decoding failed");
}

static dm_status read_profile(dm_context *ctx, const char *name, const struct heif_image_handle *h,
                              dm_metadata *m) {
  size_t n = heif_image_handle_get_raw_color_profile_size(h);
  if (n > 0) {
    if (!(m->icc = malloc(n))) return dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory");
    struct heif_error err = heif_image_handle_get_raw_color_profile(h, m->icc);
    if (err.code) {
      free(m->icc);
      m->icc = NULL;
      return DM_OK; /* unreadable profile: decode as untagged */
    }
    m->icc_len = n;
    return DM_OK;
  }
  struct heif_color_profile_nclx *nclx = NULL;
  struct heif_error err = heif_image_handle_get_nclx_color_profile(h, &nclx);
  if (err.code || !nclx) return DM_OK;
  const float xy[8] = {nclx->color_primary_white_x, nclx->color_primary_white_y,
                       nclx->color_primary_red_x,   nclx->color_primary_red_y,
                       nclx->color_primary_green_x, nclx->color_primary_green_y,
                       nclx->color_primary_blue_x,  nclx->color_primary_blue_y};
  dm_nclx_to_icc((int)nclx->color_primaries, (int)nclx->transfer_characteristics, xy, &m->icc,
                 &m->icc_len);
  heif_nclx_color_profile_free(nclx);
  return DM_OK;
}

/* The Exif item: a 4-byte big-endian offset to the TIFF header, then data. */
static dm_status read_exif(dm_context *ctx, const char *name, const struct heif_image_handle *h,
                           dm_metadata *m) {
  heif_item_id id;
  if (heif_image_handle_get_list_of_metadata_block_IDs(h, "Exif", &id, 1) < 1) return DM_OK;
  size_t n = heif_image_handle_get_metadata_size(h, id);
  if (n <= 4 || n > (64u << 20)) return DM_OK;
  unsigned char *buf = malloc(n);
  if (!buf) return dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory");
  dm_status s = DM_OK;
  struct heif_error err = heif_image_handle_get_metadata(h, id, buf);
  if (!err.code) {
    size_t off = ((size_t)buf[0] << 24) | ((size_t)buf[1] << 16) | ((size_t)buf[2] << 8) | buf[3];
    if (off <= n - 4) {
      const unsigned char *tiff = buf + 4 + off;
      size_t len = n - 4 - off;
      /* Some writers keep JPEG's "Exif\0\0" and count the offset before it. */
      if (len > 6 && !memcmp(tiff, "Exif\0\0", 6)) tiff += 6, len -= 6;
      s = dm_exif_attach(ctx, m, tiff, len, name);
    }
  }
  free(buf);
  return s;
}

/* The first XMP item ('mime', application/rdf+xml), attached to m (a
 * malformed one is dropped there). */
static dm_status read_xmp(dm_context *ctx, const char *name, const struct heif_image_handle *h,
                          dm_metadata *m) {
  heif_item_id ids[16];
  int n = heif_image_handle_get_list_of_metadata_block_IDs(h, "mime", ids, 16);
  for (int i = 0; i < n; i++) {
    const char *type = heif_image_handle_get_metadata_content_type(h, ids[i]);
    if (!type || strcmp(type, "application/rdf+xml")) continue;
    size_t len = heif_image_handle_get_metadata_size(h, ids[i]);
    if (!len || len > (64u << 20)) return DM_OK; /* bounds the allocation; far past what is carried */
    unsigned char *buf = malloc(len);
    if (!buf) return dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory");
    struct heif_error err = heif_image_handle_get_metadata(h, ids[i], buf);
    dm_status s = err.code ? DM_OK : dm_xmp_attach(ctx, m, buf, len, name);
    free(buf);
    return s;
  }
  return DM_OK;
}

static dm_status decode(dm_context *ctx, const char *name, const struct heif_image_handle *h,
                        long long max_pixels, dm_decoded *out) {
  int bits = heif_image_handle_get_luma_bits_per_pixel(h);
  int hdr = bits > 8;
  struct heif_decoding_options *opt = heif_decoding_options_alloc();
  if (!opt) return dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory");
  if (opt->version >= 3) opt->strict_decoding = 1; /* truncated data is an error */
  struct heif_image *img = NULL;
  struct heif_error err = heif_decode_image(
      h, &img, heif_colorspace_RGB, hdr ? heif_chroma_interleaved_RRGGBB_LE : heif_chroma_interleaved_RGB, opt);
  heif_decoding_options_free(opt);
  if (err.code) return heif_fail(ctx, name, err);
  int stride = 0;
  const uint8_t *p = heif_image_get_plane_readonly(img, heif_channel_interleaved, &stride);
  int w = heif_image_get_width(img, heif_channel_interleaved);
  int ht = heif_image_get_height(img, heif_channel_interleaved);
  int range = heif_image_get_bits_per_pixel_range(img, heif_channel_interleaved);
  dm_status s = DM_OK;
  if (!p || w <= 0 || ht <= 0 || stride < w * (hdr ? 6 : 3) || (hdr && (range <= 8 || range > 16)))
    s = dm_fail(ctx, DM_ERR_FORMAT, name, "corrupt HEIC: unexpected decoded layout");
  if (!s) s = dm_io_check_dims(ctx, name, w, ht, max_pixels);
  if (!s) s = dm_image_alloc(ctx, &out->img, w, ht, 3);
  if (!s) {
    float scale = 1.0f / (float)((1u << (hdr ? range : 8)) - 1);
    for (int y = 0; y < ht; y++) {
      const uint8_t *src = p + (size_t)y * (size_t)stride;
      float *dst = dm_row(&out->img, y);
      for (int i = 0; i < w * 3; i++)
        dst[i] = (hdr ? (float)(src[2 * i] | (src[2 * i + 1] << 8)) : (float)src[i]) * scale;
    }
    out->meta.bits = hdr ? range : 8;
  }
  heif_image_release(img);
  return s;
}

dm_status dm_heic_read_ex(dm_context *ctx, const unsigned char *data, size_t len, const char *name,
                          long long max_pixels, dm_decoded *out) {
  memset(out, 0, sizeof *out);
  struct heif_context *hc = NULL;
  dm_status hs = dm_heif_context_new(ctx, name, &hc);
  if (hs) return hs;
  struct heif_image_handle *h = NULL;
  dm_status s = DM_OK;
  struct heif_error err = heif_context_read_from_memory_without_copy(hc, data, len, NULL);
  if (!err.code) err = heif_context_get_primary_image_handle(hc, &h);
  if (err.code) s = heif_fail(ctx, name, err);
  long long hw = h ? heif_image_handle_get_width(h) : 0, hh = h ? heif_image_handle_get_height(h) : 0;
  if (!s) s = dm_io_check_dims(ctx, name, hw, hh, max_pixels);
  uint64_t cw = 0, ch = 0;
  int canvas = s ? 0 : dm_heic_canvas_size(data, len, &cw, &ch);
  if (canvas < 0) s = dm_fail(ctx, DM_ERR_FORMAT, name, "corrupt HEIC: an image grid lies outside its data");
  if (canvas > 0) {
    /* libheif fills grid and overlay canvases before we see a pixel; none
     * may be much larger than the image they make. */
    s = dm_io_check_dims(ctx, name, (long long)(cw < DM_MAX_DIM ? cw : DM_MAX_DIM + 1LL),
                         (long long)(ch < DM_MAX_DIM ? ch : DM_MAX_DIM + 1LL), max_pixels);
    if (!s && cw * ch > 2ull * (unsigned long long)(hw * hh) + 65536)
      s = dm_fail(ctx, DM_ERR_FORMAT, name, "corrupt HEIC: a %llux%llu canvas for a %lldx%lld image",
                  (unsigned long long)cw, (unsigned long long)ch, hw, hh);
  }
  if (!s) {
    out->meta.format = DM_FMT_HEIC;
    out->meta.orientation = 1;
    out->meta.space = DM_SPACE_TAGGED;
    s = read_profile(ctx, name, h, &out->meta);
  }
  if (!s) s = read_exif(ctx, name, h, &out->meta);
  if (!s) s = read_xmp(ctx, name, h, &out->meta);
  if (!s && dm_io_header_only(ctx, out, hw, hh, 3))
    out->meta.bits = heif_image_handle_get_luma_bits_per_pixel(h); /* the handle's size is upright */
  else if (!s)
    s = decode(ctx, name, h, max_pixels, out);
  if (h) heif_image_handle_release(h);
  heif_context_free(hc);
  if (s) dm_decoded_free(out);
  return s;
}
