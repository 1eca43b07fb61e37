/* A guard libheif 1.15 lacks: the canvases of derived images.
 *
 * A 'grid' or 'iovl' (overlay) item states its output size in its own data,
 * apart from the 'ispe' property that heif_image_handle_get_width reports,
 * and libheif allocates and fills that canvas before anything can stop it.
 * A 1 KB file claiming a 64x42 image with a 16192x10752 grid cost 73 s and
 * 3.6 GB in our fuzzer; another hid a large overlay as a grid's tile. So
 * before decoding we read every canvas size the way ISO/IEC 23008-12 lays
 * it out (meta > iinf/infe, iloc, idat) and heic.c refuses sizes over the
 * limit or far beyond the image's own.
 *
 * Only what that needs is parsed, every read bounds-checked. Boxes we cannot
 * follow leave the decision to libheif (0); a canvas item whose size is not
 * inside its own data is refused (-1). */
#include <string.h>

#include "io/io_internal.h"

typedef struct span {
  const unsigned char *p;
  uint64_t len;
} span;

static int get(span s, uint64_t off, int n, uint64_t *v) {
  if (n == 0) {
    *v = 0;
    return 1;
  }
  if (n < 0 || n > 8 || off > s.len || (uint64_t)n > s.len - off) return 0;
  uint64_t r = 0;
  for (int i = 0; i < n; i++) r = (r << 8) | s.p[off + (uint64_t)i];
  *v = r;
  return 1;
}

/* The first child box of type `type` in `s` (box payload after the header). */
static int find_box(span s, const char *type, span *out) {
  uint64_t off = 0;
  while (off + 8 <= s.len) {
    uint64_t size, hdr = 8;
    if (!get(s, off, 4, &size)) return 0;
    if (size == 1) {
      if (!get(s, off + 8, 8, &size)) return 0;
      hdr = 16;
    } else if (size == 0) {
      size = s.len - off;
    }
    if (size < hdr || size > s.len - off) return 0;
    if (!memcmp(s.p + off + 4, type, 4)) {
      out->p = s.p + off + hdr;
      out->len = size - hdr;
      return 1;
    }
    off += size;
  }
  return 0;
}

/* The next 'infe' entry of `iinf` from *off (version 2 and 3 entries, the
 * ones HEIF uses): its item ID and type. 0 at the end. */
static int next_item(span iinf, uint64_t *off, uint64_t *id, char type[5]) {
  while (*off + 8 <= iinf.len) {
    uint64_t size, v;
    if (!get(iinf, *off, 4, &size) || size < 8 || size > iinf.len - *off) return 0;
    span e = {iinf.p + *off + 8, size - 8};
    int is_infe = !memcmp(iinf.p + *off + 4, "infe", 4);
    *off += size;
    if (is_infe && get(e, 0, 1, &v) && v >= 2) {
      int idn = v == 2 ? 2 : 4;
      if (get(e, 4, idn, id) && e.len >= (uint64_t)(4 + idn + 2 + 4)) {
        memcpy(type, e.p + 4 + idn + 2, 4);
        type[4] = 0;
        return 1;
      }
    }
  }
  return 0;
}

/* The first bytes of item `id`'s data (its first extent), via iloc. */
static int item_data(span file, span meta, span iloc, uint64_t id, span *out) {
  uint64_t v, sizes, count;
  if (!get(iloc, 0, 1, &v) || v > 2 || !get(iloc, 4, 2, &sizes)) return 0;
  int off_n = (int)(sizes >> 12 & 15), len_n = (int)(sizes >> 8 & 15), base_n = (int)(sizes >> 4 & 15);
  int idx_n = v ? (int)(sizes & 15) : 0, id_n = v < 2 ? 2 : 4;
  uint64_t pos = 6;
  if (!get(iloc, pos, v < 2 ? 2 : 4, &count)) return 0;
  pos += v < 2 ? 2 : 4;
  for (uint64_t i = 0; i < count; i++) {
    uint64_t item, method = 0, base, extents, eoff = 0, elen = 0;
    if (!get(iloc, pos, id_n, &item)) return 0;
    pos += (uint64_t)id_n;
    if (v) {
      if (!get(iloc, pos, 2, &method)) return 0;
      method &= 15;
      pos += 2;
    }
    pos += 2; /* data_reference_index */
    if (!get(iloc, pos, base_n, &base) || !get(iloc, pos + (uint64_t)base_n, 2, &extents)) return 0;
    pos += (uint64_t)base_n + 2;
    uint64_t first = pos + (uint64_t)idx_n;
    if (extents && (!get(iloc, first, off_n, &eoff) || !get(iloc, first + (uint64_t)off_n, len_n, &elen)))
      return 0;
    pos += extents * (uint64_t)(idx_n + off_n + len_n);
    if (item != id) continue;
    if (!extents) return 0;
    span src = file;
    if (method == 1 && !find_box(meta, "idat", &src)) return 0;
    if (method > 1) return 0;
    uint64_t at = base + eoff;
    /* Data past its box: libheif 1.15 reads on into whatever follows. */
    if (at < base || at > src.len || (elen && elen > src.len - at)) return 0;
    out->p = src.p + at;
    out->len = elen ? elen : src.len - at;
    return 1;
  }
  return 0;
}

/* The canvas a grid or overlay item's data declares; 0 if out of bounds. */
static int canvas_of(span file, span meta, span iloc, uint64_t id, int grid, uint64_t *w, uint64_t *h) {
  span item;
  uint64_t flags, wide;
  if (!item_data(file, meta, iloc, id, &item) || !get(item, 1, 1, &flags)) return 0;
  /* grid: version, flags, rows-1, columns-1, width, height;
   * iovl: version, flags, 4 x 16-bit fill, width, height. */
  uint64_t at = grid ? 4 : 10;
  wide = (flags & 1) ? 4 : 2;
  return get(item, at, (int)wide, w) && get(item, at + wide, (int)wide, h);
}

int dm_heic_canvas_size(const unsigned char *data, size_t len, uint64_t *w, uint64_t *h) {
  span file = {data, len}, meta, iinf, iloc;
  if (!find_box(file, "meta", &meta) || meta.len < 4) return 0;
  meta.p += 4, meta.len -= 4; /* FullBox version and flags */
  uint64_t version, off, id, cw, ch;
  if (!find_box(meta, "iinf", &iinf) || !get(iinf, 0, 1, &version)) return 0;
  int has_iloc = find_box(meta, "iloc", &iloc), found = 0;
  char type[5];
  *w = *h = 0;
  /* Every canvas counts: a grid's tiles can themselves be overlays. */
  for (off = 4 + (version ? 4 : 2); next_item(iinf, &off, &id, type);) {
    int grid = !strcmp(type, "grid");
    if (!grid && strcmp(type, "iovl")) continue;
    if (!has_iloc || !canvas_of(file, meta, iloc, id, grid, &cw, &ch)) return -1;
    if (!found || cw * ch > *w * *h) *w = cw, *h = ch;
    found = 1;
  }
  return found;
}
