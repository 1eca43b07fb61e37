/* Format sniffing, dispatch to the per-format readers and writers, and the
 * atomic write wrapper. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/file.h"
#include "io/heif_lazy.h"
#include "io/io_internal.h"

/* A whole file is read into memory before decoding; photographs larger than
 * this are not plausible inputs (a 100 MP 16-bit TIFF is 600 MB). */
#define DM_IO_MAX_FILE ((size_t)2 << 30)

static const char *const format_names[] = {
    [DM_FMT_UNKNOWN] = "unknown", [DM_FMT_JPEG] = "JPEG", [DM_FMT_PNG] = "PNG",
    [DM_FMT_TIFF] = "TIFF",       [DM_FMT_HEIC] = "HEIC", [DM_FMT_RAW] = "camera raw",
};
_Static_assert(sizeof format_names / sizeof format_names[0] == DM_FMT_COUNT,
               "format_names out of sync with dm_format");

const char *dm_format_name(dm_format f) {
  if ((unsigned)f >= DM_FMT_COUNT) return "unknown";
  return format_names[f];
}

void dm_metadata_free(dm_metadata *m) {
  if (!m) return;
  free(m->icc);
  free(m->exif);
  free(m->xmp);
  free(m->iptc);
  memset(m, 0, sizeof *m);
}

void dm_decoded_free(dm_decoded *d) {
  if (!d) return;
  dm_image_free(&d->img);
  dm_metadata_free(&d->meta);
}

static int has(const unsigned char *h, size_t len, size_t off, const void *magic, size_t n) {
  return len >= off + n && memcmp(h + off, magic, n) == 0;
}

/* ISO base media file (HEIC, AVIF, CR3): "ftyp" box first. */
static dm_format sniff_ftyp(const unsigned char *h, size_t len) {
  if (!has(h, len, 4, "ftyp", 4)) return DM_FMT_UNKNOWN;
  if (has(h, len, 8, "crx ", 4)) return DM_FMT_RAW; /* Canon CR3 */
  if (len > 0x7fffffff) len = 0x7fffffff;
  /* Without libheif, a HEIF brand still names the format, so that reading
   * it says libheif is missing rather than "not a photo". */
  static const char *const brands[] = {"heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1"};
  if (dm_heif_unavailable())
    for (size_t i = 0; i < sizeof brands / sizeof *brands; i++)
      if (has(h, len, 8, brands[i], 4)) return DM_FMT_HEIC;
  enum heif_filetype_result r = heif_check_filetype(h, (int)len);
  return r == heif_filetype_yes_supported ? DM_FMT_HEIC : DM_FMT_UNKNOWN;
}

dm_format dm_io_sniff(const unsigned char *h, size_t len) {
  if (has(h, len, 0, "\xff\xd8\xff", 3)) return DM_FMT_JPEG;
  if (has(h, len, 0, "\x89PNG\r\n\x1a\n", 8)) return DM_FMT_PNG;
  if (has(h, len, 0, "II*\0", 4) || has(h, len, 0, "MM\0*", 4)) {
    /* CR2 marks itself at offset 8; other TIFF-based raws need the
     * directory check of dm_tiff_is_camera_raw. */
    if (has(h, len, 8, "CR\2", 3)) return DM_FMT_RAW;
    return DM_FMT_TIFF;
  }
  if (has(h, len, 0, "II+\0", 4) || has(h, len, 0, "MM\0+", 4)) return DM_FMT_TIFF; /* BigTIFF */
  if (has(h, len, 0, "FUJIFILMCCD-RAW", 15) ||                 /* RAF */
      has(h, len, 0, "IIRO", 4) || has(h, len, 0, "IIRS", 4) ||  /* ORF */
      has(h, len, 0, "MMOR", 4) || has(h, len, 0, "IIU\0", 4) || /* ORF, RW2 */
      has(h, len, 6, "HEAPCCDR", 8) ||                          /* CRW */
      has(h, len, 0, "FOVb", 4) || has(h, len, 0, "\0MRM", 4))  /* X3F, MRW */
    return DM_FMT_RAW;
  return sniff_ftyp(h, len);
}

dm_format dm_io_sniff_file(const char *path) {
  unsigned char head[64];
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return DM_FMT_UNKNOWN;
  ssize_t n = read(fd, head, sizeof head);
  close(fd);
  return n > 0 ? dm_io_sniff(head, (size_t)n) : DM_FMT_UNKNOWN;
}

dm_format dm_format_from_extension(const char *path) {
  const char *slash = strrchr(path, '/');
  const char *dot = strrchr(path, '.');
  if (!dot || (slash && dot < slash)) return DM_FMT_UNKNOWN;
  dot++;
  if (!strcasecmp(dot, "jpg") || !strcasecmp(dot, "jpeg")) return DM_FMT_JPEG;
  if (!strcasecmp(dot, "png")) return DM_FMT_PNG;
  if (!strcasecmp(dot, "tif") || !strcasecmp(dot, "tiff")) return DM_FMT_TIFF;
  return DM_FMT_UNKNOWN;
}

int dm_io_header_only(dm_context *ctx, dm_decoded *out, long long w, long long h, int channels) {
  if (!ctx || !ctx->header_only) return 0;
  out->img.width = (int)w;
  out->img.height = (int)h;
  out->img.channels = channels;
  out->img.data = NULL;
  return 1;
}

dm_status dm_io_check_dims(dm_context *ctx, const char *name, long long w, long long h,
                           long long max_pixels) {
  if (w <= 0 || h <= 0) return dm_fail(ctx, DM_ERR_FORMAT, name, "image has no pixels (%lldx%lld)", w, h);
  if (w > DM_MAX_DIM || h > DM_MAX_DIM || w * h > max_pixels)
    return dm_fail(ctx, DM_ERR_RANGE, name,
                   "image is %lldx%lld pixels, more than the %lld-pixel (%d per side) limit", w, h,
                   max_pixels, DM_MAX_DIM);
  return dm_check_memory(ctx, name, w, h);
}

dm_status dm_io_read_mem_ex(dm_context *ctx, const unsigned char *data, size_t len,
                            const char *name, long long max_pixels, dm_decoded *out) {
  memset(out, 0, sizeof *out);
  if (len == 0) return dm_fail(ctx, DM_ERR_FORMAT, name, "empty file");
  switch (dm_io_sniff(data, len)) {
    case DM_FMT_JPEG: return dm_jpeg_read_ex(ctx, data, len, name, max_pixels, out);
    case DM_FMT_PNG: return dm_png_read_ex(ctx, data, len, name, max_pixels, out);
    case DM_FMT_HEIC: return dm_heic_read_ex(ctx, data, len, name, max_pixels, out);
    case DM_FMT_RAW: return dm_raw_read_ex(ctx, data, len, name, max_pixels, out);
    case DM_FMT_TIFF:
      /* A TIFF that merely looks raw-ish and that LibRaw does not know goes
       * to libtiff. */
      if (dm_tiff_is_camera_raw(data, len) > 0 && dm_raw_identify(data, len))
        return dm_raw_read_ex(ctx, data, len, name, max_pixels, out);
      return dm_tiff_read_ex(ctx, data, len, name, max_pixels, out);
    default:
      return dm_fail(ctx, DM_ERR_FORMAT, name, "not a JPEG, PNG, TIFF, HEIC or camera raw file");
  }
}

dm_status dm_io_read_mem(dm_context *ctx, const unsigned char *data, size_t len, const char *name,
                         dm_decoded *out) {
  return dm_io_read_mem_ex(ctx, data, len, name, DM_MAX_PIXELS, out);
}

dm_status dm_io_read(dm_context *ctx, const char *path, dm_decoded *out) {
  memset(out, 0, sizeof *out);
  unsigned char *data = NULL;
  size_t len = 0;
  dm_status s = dm_read_file(ctx, path, DM_IO_MAX_FILE, &data, &len);
  if (s) return s;
  s = dm_io_read_mem(ctx, data, len, path, out);
  free(data);
  return s;
}

/* The per-format readers keep their historical signature (no limit). */
dm_status dm_jpeg_read(dm_context *ctx, const unsigned char *data, size_t len, const char *name,
                       dm_decoded *out) {
  return dm_jpeg_read_ex(ctx, data, len, name, DM_MAX_PIXELS, out);
}
dm_status dm_png_read(dm_context *ctx, const unsigned char *data, size_t len, const char *name,
                      dm_decoded *out) {
  return dm_png_read_ex(ctx, data, len, name, DM_MAX_PIXELS, out);
}
dm_status dm_tiff_read(dm_context *ctx, const unsigned char *data, size_t len, const char *name,
                       dm_decoded *out) {
  return dm_tiff_read_ex(ctx, data, len, name, DM_MAX_PIXELS, out);
}
dm_status dm_heic_read(dm_context *ctx, const unsigned char *data, size_t len, const char *name,
                       dm_decoded *out) {
  return dm_heic_read_ex(ctx, data, len, name, DM_MAX_PIXELS, out);
}
dm_status dm_raw_read(dm_context *ctx, const unsigned char *data, size_t len, const char *name,
                      dm_decoded *out) {
  return dm_raw_read_ex(ctx, data, len, name, DM_MAX_PIXELS, out);
}

static dm_status check_write(dm_context *ctx, const char *path, const dm_image *img,
                             const dm_write_options *opt, int *bits) {
  if (!img || !img->data || (img->channels != 1 && img->channels != 3) || img->width <= 0 ||
      img->height <= 0 || img->stride < (size_t)img->width * (size_t)img->channels)
    return dm_fail(ctx, DM_ERR_PARAM, path, "can only write a 1- or 3-channel image");
  *bits = opt->bits;
  switch (opt->format) {
    case DM_FMT_JPEG:
      if (!*bits) *bits = 8;
      if (*bits != 8) return dm_fail(ctx, DM_ERR_PARAM, path, "JPEG is 8-bit, not %d-bit", *bits);
      if (opt->quality < 0 || opt->quality > 100)
        return dm_fail(ctx, DM_ERR_RANGE, path, "JPEG quality %d is outside 1..100", opt->quality);
      if (img->width > 65500 || img->height > 65500)
        return dm_fail(ctx, DM_ERR_RANGE, path, "JPEG cannot hold %dx%d pixels", img->width, img->height);
      return DM_OK;
    case DM_FMT_PNG:
      if (!*bits) *bits = 16;
      if (*bits != 8 && *bits != 16) return dm_fail(ctx, DM_ERR_PARAM, path, "PNG is 8 or 16-bit, not %d-bit", *bits);
      return DM_OK;
    case DM_FMT_TIFF:
      if (!*bits) *bits = 16;
      if (*bits != 8 && *bits != 16 && *bits != 32)
        return dm_fail(ctx, DM_ERR_PARAM, path, "TIFF is 8, 16 or 32-bit (float), not %d-bit", *bits);
      if ((unsigned)opt->compression > DM_COMPRESS_DEFLATE)
        return dm_fail(ctx, DM_ERR_PARAM, path, "unknown TIFF compression");
      return DM_OK;
    default:
      return dm_fail(ctx, DM_ERR_PARAM, path, "can write JPEG, PNG or TIFF, not %s",
                     dm_format_name(opt->format));
  }
}

dm_status dm_io_write_prepared(dm_context *ctx, const char *path, const dm_image *img,
                               const dm_write_options *opt, dm_atomic_file *af) {
  int bits = 0;
  dm_status s = check_write(ctx, path, img, opt, &bits);
  if (s) return s;
  dm_write_options o = *opt;
  o.bits = bits;
  s = dm_atomic_open(ctx, af, path);
  if (s) return s;
  switch (o.format) {
    case DM_FMT_JPEG: s = dm_jpeg_write(ctx, af->fp, img, &o, path); break;
    case DM_FMT_PNG: s = dm_png_write(ctx, af->fp, img, &o, path); break;
    default: s = dm_tiff_write(ctx, af->fp, img, &o, path); break;
  }
  if (!s && dm_cancelled(ctx)) s = dm_fail(ctx, DM_ERR_CANCELLED, path, "cancelled");
  if (s) {
    s = dm_atomic_write_error(ctx, af, s); /* "No space left on device", not "Write error" */
    dm_atomic_abort(af); /* no partial output */
    return s;
  }
  return dm_atomic_prepare(ctx, af);
}

dm_status dm_io_write(dm_context *ctx, const char *path, const dm_image *img,
                      const dm_write_options *opt) {
  dm_atomic_file af;
  dm_status s = dm_io_write_prepared(ctx, path, img, opt, &af);
  return s ? s : dm_atomic_publish(ctx, &af);
}
