/* HEIC files with auxiliary images, for tests/depth. libheif 1.15 cannot
 * write auxiliary images, so the photo, the depth and the matte are
 * encoded in one context (x265), the depth and the matte attached to the
 * photo as thumbnails ('thmb' references), and the boxes then edited:
 * 'thmb' -> 'auxl', an 'auxC' property with the URN added to 'ipco' and
 * associated in 'ipma', every enclosing box's size fixed, and the 'iloc'
 * extent offsets shifted by the bytes inserted before 'mdat'. */
#ifndef DM_EMBED_HEIC_H
#define DM_EMBED_HEIC_H

#include <libheif/heif.h>

#include "embed_build.h"

/* x265 keeps a few small allocations for the life of the process. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libx265.so\n"; }

static inline uint32_t eh_be32(const unsigned char *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline void eh_set32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16), p[2] = (unsigned char)(v >> 8),
  p[3] = (unsigned char)v;
}
static inline uint64_t eh_get(const unsigned char *p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; i++) v = v << 8 | p[i];
  return v;
}
static inline void eh_put(unsigned char *p, int n, uint64_t v) {
  for (int i = n - 1; i >= 0; i--, v >>= 8) p[i] = (unsigned char)v;
}

typedef struct eh_box {
  size_t at, size;
} eh_box;

/* The child box `type` of the range [from, to). */
static inline int eh_find(const unsigned char *d, size_t from, size_t to, const char *type, eh_box *b) {
  while (from + 8 <= to) {
    size_t sz = eh_be32(d + from);
    if (sz < 8 || from + sz > to) return 0;
    if (!memcmp(d + from + 4, type, 4)) {
      b->at = from;
      b->size = sz;
      return 1;
    }
    from += sz;
  }
  return 0;
}

static struct heif_error eh_writer(struct heif_context *c, const void *d, size_t n, void *user) {
  (void)c;
  eb_put(user, d, n);
  struct heif_error ok = {heif_error_Ok, heif_suberror_Unspecified, "ok"};
  return ok;
}

static inline struct heif_image *eh_image(const dm_image *img) {
  struct heif_image *hi = NULL;
  int grey = img->channels == 1;
  heif_image_create(img->width, img->height, grey ? heif_colorspace_monochrome : heif_colorspace_RGB,
                    grey ? heif_chroma_monochrome : heif_chroma_interleaved_RGB, &hi);
  enum heif_channel ch = grey ? heif_channel_Y : heif_channel_interleaved;
  heif_image_add_plane(hi, ch, img->width, img->height, 8);
  int stride;
  uint8_t *p = heif_image_get_plane(hi, ch, &stride);
  for (int y = 0; y < img->height; y++)
    for (int i = 0; i < img->width * img->channels; i++) {
      float v = dm_row(img, y)[i];
      p[(size_t)y * (size_t)stride + (size_t)i] = (uint8_t)((v < 0 ? 0 : v > 1 ? 1 : v) * 255.0f + 0.5f);
    }
  return hi;
}

typedef struct eh_aux {
  const dm_image *img; /* 1 channel */
  const char *urn;
  const char *xmp;     /* XMP attached to the aux item (apdi), may be NULL */
} eh_aux;

/* Edit a libheif file: the thumbnails, in the order of their 'thmb'
 * references (the order they were assigned), become auxiliary images of
 * type urns[k]; their item ids go to aux_ids[k]. Returns 0 if the boxes
 * are not as expected. */
static inline int eh_make_aux(eb_buf *f, uint32_t *aux_ids, const char *const *urns, int n) {
  unsigned char *d = f->p;
  eh_box meta, iref, iprp, ipco, ipma, iloc;
  if (!eh_find(d, 0, f->n, "meta", &meta)) return 0;
  size_t mc = meta.at + 12, me = meta.at + meta.size;
  if (!eh_find(d, mc, me, "iref", &iref) || !eh_find(d, mc, me, "iprp", &iprp) ||
      !eh_find(d, mc, me, "iloc", &iloc) || !eh_find(d, iprp.at + 8, iprp.at + iprp.size, "ipco", &ipco) ||
      !eh_find(d, iprp.at + 8, iprp.at + iprp.size, "ipma", &ipma))
    return 0;
  if (ipma.at < ipco.at) return 0; /* the inserts below assume ipco, then ipma */
  /* thmb -> auxl */
  eh_box pitm;
  if (!eh_find(d, mc, me, "pitm", &pitm)) return 0;
  uint32_t primary = (uint32_t)eh_get(d + pitm.at + 12, d[pitm.at + 8] ? 4 : 2);
  int wide = d[iref.at + 8] != 0, k_thmb = 0, idn = wide ? 4 : 2;
  for (size_t p = iref.at + 12; p + 12 <= iref.at + iref.size;) {
    size_t sz = eh_be32(d + p);
    if (sz < 8) return 0;
    if (!memcmp(d + p + 4, "thmb", 4) && k_thmb < n) {
      unsigned char *from = d + p + 8, *to = from + idn + 2;
      if (eh_get(d + p + 8 + idn, 2) != 1) return 0;
      /* libheif 1.15 writes this reference from the master to the
       * thumbnail; 'auxl' goes from the auxiliary image to its master. */
      if (eh_get(from, idn) == primary) {
        uint64_t aux = eh_get(to, idn);
        eh_put(from, idn, aux);
        eh_put(to, idn, primary);
      }
      memcpy(d + p + 4, "auxl", 4);
      aux_ids[k_thmb++] = (uint32_t)eh_get(from, idn);
    }
    p += sz;
  }
  if (k_thmb != n) return 0;
  int n_props = 0;
  for (size_t p = ipco.at + 8; p + 8 <= ipco.at + ipco.size; p += eh_be32(d + p)) {
    if (eh_be32(d + p) < 8) return 0;
    n_props++;
  }
  /* The inserts: auxC boxes at the end of ipco, one association per aux
   * item at the end of its ipma entry. */
  struct { size_t at; unsigned char b[256]; size_t n; } ins[9];
  int n_ins = 0;
  ins[0].at = ipco.at + ipco.size;
  ins[0].n = 0;
  for (int k = 0; k < n; k++) {
    size_t l = 12 + strlen(urns[k]) + 1;
    unsigned char *b = ins[0].b + ins[0].n;
    eh_set32(b, (uint32_t)l);
    memcpy(b + 4, "auxC", 4);
    memset(b + 8, 0, 4);
    memcpy(b + 12, urns[k], strlen(urns[k]) + 1);
    ins[0].n += l;
  }
  n_ins = 1;
  int ver = d[ipma.at + 8], big_idx = d[ipma.at + 11] & 1;
  uint32_t entries = eh_be32(d + ipma.at + 12);
  size_t p = ipma.at + 16;
  for (uint32_t e = 0; e < entries; e++) {
    uint32_t id = (uint32_t)eh_get(d + p, ver < 1 ? 2 : 4);
    p += ver < 1 ? 2 : 4;
    unsigned count = d[p];
    size_t end = p + 1 + count * (big_idx ? 2 : 1);
    for (int k = 0; k < n; k++)
      if (id == aux_ids[k] && n_ins < 9) {
        d[p]++;
        ins[n_ins].at = end;
        int idx = n_props + 1 + k;
        if (big_idx) {
          ins[n_ins].b[0] = (unsigned char)(0x80 | (idx >> 8));
          ins[n_ins].b[1] = (unsigned char)idx;
          ins[n_ins].n = 2;
        } else {
          ins[n_ins].b[0] = (unsigned char)(0x80 | idx);
          ins[n_ins].n = 1;
        }
        n_ins++;
      }
    p = end;
  }
  /* Sizes of the boxes that get bigger, then the inserted bytes. */
  eh_box grow[4] = {meta, iprp, ipco, ipma};
  size_t total = 0;
  for (int i = 0; i < n_ins; i++) total += ins[i].n;
  eb_buf out = {0};
  size_t from = 0;
  for (int i = 0; i < n_ins; i++) { /* ins[] is in file order: ipco end, then ipma entries */
    eb_put(&out, d + from, ins[i].at - from);
    eb_put(&out, ins[i].b, ins[i].n);
    from = ins[i].at;
  }
  eb_put(&out, d + from, f->n - from);
  for (int g = 0; g < 4; g++) {
    size_t shift = 0, add = 0;
    for (int i = 0; i < n_ins; i++) {
      if (ins[i].at <= grow[g].at) shift += ins[i].n;
      else if (ins[i].at <= grow[g].at + grow[g].size && !(g == 3 && i == 0)) add += ins[i].n;
    }
    if (g == 2) add = ins[0].n; /* ipco only holds the auxC boxes */
    eh_set32(out.p + grow[g].at + shift, (uint32_t)(grow[g].size + add));
  }
  /* iloc: offsets into mdat (after meta) move by `total`. */
  size_t shift = 0;
  for (int i = 0; i < n_ins; i++)
    if (ins[i].at <= iloc.at) shift += ins[i].n;
  unsigned char *q = out.p + iloc.at + shift;
  int iv = q[8];
  int off_sz = q[12] >> 4, len_sz = q[12] & 15, base_sz = q[13] >> 4, idx_sz = iv ? q[13] & 15 : 0;
  size_t r = 14;
  uint32_t items = iv < 2 ? (uint32_t)eh_get(q + r, 2) : (uint32_t)eh_get(q + r, 4);
  r += iv < 2 ? 2 : 4;
  for (uint32_t i = 0; i < items; i++) {
    r += iv < 2 ? 2 : 4;
    int method = 0;
    if (iv >= 1) method = q[r + 1] & 15, r += 2;
    r += 2; /* data_reference_index */
    uint64_t base = eh_get(q + r, base_sz);
    if (method == 0 && base_sz && base >= meta.at + meta.size) eh_put(q + r, base_sz, base + total);
    r += (size_t)base_sz;
    unsigned ext = (unsigned)eh_get(q + r, 2);
    r += 2;
    for (unsigned e = 0; e < ext; e++) {
      r += (size_t)idx_sz;
      uint64_t o = eh_get(q + r, off_sz);
      if (method == 0 && off_sz && base + o >= meta.at + meta.size && !(base_sz && base)) eh_put(q + r, off_sz, o + total);
      r += (size_t)off_sz + (size_t)len_sz;
    }
  }
  free(f->p);
  *f = out;
  return 1;
}

/* First extent (offset, length) of item `id` in a file's iloc. */
static inline int eh_extent(const eb_buf *f, uint32_t id, size_t *off, size_t *len) {
  eh_box meta, iloc;
  if (!eh_find(f->p, 0, f->n, "meta", &meta) ||
      !eh_find(f->p, meta.at + 12, meta.at + meta.size, "iloc", &iloc))
    return 0;
  const unsigned char *q = f->p + iloc.at;
  int iv = q[8], off_sz = q[12] >> 4, len_sz = q[12] & 15, base_sz = q[13] >> 4, idx_sz = iv ? q[13] & 15 : 0;
  size_t r = 14;
  uint32_t items = iv < 2 ? (uint32_t)eh_get(q + r, 2) : (uint32_t)eh_get(q + r, 4);
  r += iv < 2 ? 2 : 4;
  for (uint32_t i = 0; i < items; i++) {
    uint32_t item = (uint32_t)eh_get(q + r, iv < 2 ? 2 : 4);
    r += iv < 2 ? 2 : 4;
    if (iv >= 1) r += 2;
    r += 2;
    uint64_t base = eh_get(q + r, base_sz);
    r += (size_t)base_sz;
    unsigned ext = (unsigned)eh_get(q + r, 2);
    r += 2;
    for (unsigned e = 0; e < ext; e++) {
      r += (size_t)idx_sz;
      uint64_t o = eh_get(q + r, off_sz), l = eh_get(q + r + off_sz, len_sz);
      if (item == id && e == 0) {
        *off = (size_t)(base + o);
        *len = (size_t)l;
        return 1;
      }
      r += (size_t)off_sz + (size_t)len_sz;
    }
  }
  return 0;
}

/* A HEIC of `photo` with the auxiliary images `aux` (ids of the aux items
 * in aux_ids). Returns 0 on failure. */
static inline int eh_build(const dm_image *photo, const eh_aux *aux, int n, int quality, eb_buf *out,
                           uint32_t *aux_ids) {
  memset(out, 0, sizeof *out);
  struct heif_context *hc = heif_context_alloc();
  struct heif_encoder *enc = NULL;
  struct heif_error e = heif_context_get_encoder_for_format(hc, heif_compression_HEVC, &enc);
  if (e.code) {
    fprintf(stderr, "no HEVC encoder in libheif: %s\n", e.message);
    heif_context_free(hc);
    return 0;
  }
  heif_encoder_set_lossy_quality(enc, quality);
  heif_encoder_set_parameter_string(enc, "preset", "ultrafast");
  struct heif_image *hp = eh_image(photo);
  struct heif_image_handle *main = NULL;
  e = heif_context_encode_image(hc, hp, enc, NULL, &main);
  heif_image_release(hp);
  const char *urns[4];
  for (int k = 0; k < n && k < 4 && !e.code; k++) {
    struct heif_image *ha = eh_image(aux[k].img);
    struct heif_image_handle *h = NULL;
    e = heif_context_encode_image(hc, ha, enc, NULL, &h);
    heif_image_release(ha);
    if (!e.code) e = heif_context_assign_thumbnail(hc, main, h);
    if (!e.code && aux[k].xmp)
      e = heif_context_add_XMP_metadata(hc, h, aux[k].xmp, (int)strlen(aux[k].xmp));
    urns[k] = aux[k].urn;
    if (h) heif_image_handle_release(h);
  }
  if (!e.code) e = heif_context_set_primary_image(hc, main);
  struct heif_writer w = {1, eh_writer};
  if (!e.code) e = heif_context_write(hc, &w, out);
  if (e.code) fprintf(stderr, "HEIC encoding failed: %s\n", e.message);
  if (main) heif_image_handle_release(main);
  heif_encoder_release(enc);
  heif_context_free(hc);
  if (e.code) return 0;
  if (!eh_make_aux(out, aux_ids, urns, n)) {
    fprintf(stderr, "libheif wrote boxes this builder does not know\n");
    return 0;
  }
  return 1;
}

#endif
