/* PNG through libpng: every bit depth and colour type on read (palette and
 * low-bit grey expanded, alpha dropped), 8/16-bit grey or RGB on write;
 * iCCP, sRGB, gAMA, cHRM and eXIf read (its orientation applied), iCCP and
 * eXIf written; the image data made on every thread (png_idat.c), libpng
 * writing the chunks around it; XMP (iTXt "XML:com.adobe.xmp") read and written, kept for
 * the outputs. PNG has no standard place for IPTC-IIM: none is read or
 * written.
 *
 * libpng errors come to on_error, which records the message and longjmps to
 * our own jmp_buf; warnings are dropped (nothing is printed). Reading stops
 * with an error at the first byte past the data, so truncation anywhere,
 * including a missing IEND, is reported. */
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "core/prefault.h"
#include "io/io_internal.h"
#include "io/png_idat.h"

typedef struct png_state {
  jmp_buf jb;
  dm_context *ctx;
  const char *name;
  int writing;
  int truncated;
  const unsigned char *data; /* reading */
  size_t len, pos;
} png_state;

static void on_error(png_structp png, png_const_charp msg) {
  png_state *p = png_get_error_ptr(png);
  dm_status s = DM_ERR_FORMAT;
  if (p->writing) {
    s = strstr(msg, "Write Error") ? DM_ERR_IO : DM_ERR_PARAM;
    dm_fail(p->ctx, s, p->name, "cannot write PNG: %s", msg);
  } else if (p->truncated) {
    dm_fail(p->ctx, s, p->name, "truncated PNG");
  } else if (strstr(msg, "Out of memory") || strstr(msg, "out of memory")) {
    s = dm_fail(p->ctx, DM_ERR_NOMEM, p->name, "out of memory");
  } else {
    dm_fail(p->ctx, s, p->name, "corrupt PNG: %s", msg);
  }
  longjmp(p->jb, (int)s);
}

static void on_warning(png_structp png, png_const_charp msg) {
  png_state *p = png_get_error_ptr(png);
  dm_log(p->ctx, DM_LOG_DEBUG, "%s: PNG warning: %s", p->name, msg);
}

static void read_mem(png_structp png, png_bytep dst, size_t n) {
  png_state *p = png_get_io_ptr(png);
  if (n > p->len - p->pos) {
    p->truncated = 1;
    png_error(png, "truncated");
  }
  memcpy(dst, p->data + p->pos, n);
  p->pos += n;
}

static const char xmp_key[] = "XML:com.adobe.xmp";

/* The first XMP text chunk (iTXt, compressed or not; libpng inflated it
 * within its chunk size limit), attached to meta. */
static dm_status read_xmp(png_state *p, png_structp png, png_infop info, dm_metadata *m) {
  png_textp text = NULL;
  int n = 0;
  if (m->xmp || !png_get_text(png, info, &text, &n) || !text) return DM_OK;
  for (int i = 0; i < n; i++)
    if (text[i].key && !strcmp(text[i].key, xmp_key) && text[i].text)
      return dm_xmp_attach(p->ctx, m, (const unsigned char *)text[i].text, strlen(text[i].text), p->name);
  return DM_OK;
}

/* iCCP, sRGB, gAMA, cHRM, eXIf, XMP: whatever of them `info` holds so far. */
static dm_status read_colour_chunks(png_state *p, png_structp png, png_infop info, dm_metadata *m) {
  png_charp icc_name = NULL;
  int comp = 0;
  png_bytep icc = NULL;
  png_uint_32 icc_len = 0;
  if (!m->icc && png_get_iCCP(png, info, &icc_name, &comp, &icc, &icc_len) && icc && icc_len) {
    m->icc = malloc(icc_len);
    if (!m->icc) return dm_fail(p->ctx, DM_ERR_NOMEM, p->name, "out of memory");
    memcpy(m->icc, icc, icc_len);
    m->icc_len = icc_len;
  }
  if (png_get_valid(png, info, PNG_INFO_sRGB)) m->srgb_chunk = 1;
  double g = 0;
  if (png_get_valid(png, info, PNG_INFO_gAMA) && png_get_gAMA(png, info, &g) && g > 0) m->gamma = (float)g;
  double c[8];
  if (png_get_valid(png, info, PNG_INFO_cHRM) &&
      png_get_cHRM(png, info, &c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6], &c[7])) {
    m->has_chrm = 1;
    for (int i = 0; i < 8; i++) m->chrm[i] = (float)c[i];
  }
  dm_status s = read_xmp(p, png, info, m);
  png_bytep exif = NULL;
  png_uint_32 exif_len = 0;
  if (!s && !m->exif && png_get_eXIf_1(png, info, &exif_len, &exif) && exif && exif_len)
    s = dm_exif_attach(p->ctx, m, exif, exif_len, p->name);
  return s;
}

/* One decoded row (after libpng's transforms) to floats, keeping the first
 * `channels` of every `stride_ch` samples. */
static void row_to_float(const png_byte *src, int width, int stride_ch, int channels, int depth,
                         float *dst) {
  const size_t n = (size_t)width * (size_t)channels;
  if (stride_ch == channels) { /* the common cases, loops the compiler vectorises */
    if (depth == 16)
      for (size_t i = 0; i < n; i++) dst[i] = (float)((src[2 * i] << 8) | src[2 * i + 1]) * (1.0f / 65535.0f);
    else
      for (size_t i = 0; i < n; i++) dst[i] = dm_code8_float(src[i]);
    return;
  }
  for (int x = 0; x < width; x++)
    for (int c = 0; c < channels; c++) {
      size_t i = (size_t)x * (size_t)stride_ch + (size_t)c;
      *dst++ = depth == 16 ? (float)((src[2 * i] << 8) | src[2 * i + 1]) * (1.0f / 65535.0f)
                           : dm_code8_float(src[i]);
    }
}

/* Everything libpng may longjmp out of; the row buffer and the image's
 * prefault are kept in *buf and *pf so the caller ends them (volatile: they
 * change between setjmp and longjmp). */
static void decode(png_state *p, png_structp png, png_infop info, long long max_pixels,
                   dm_decoded *out, png_bytep volatile *buf, dm_prefault *volatile *pf) {
  png_set_read_fn(png, p, read_mem);
  png_read_info(png, info);
  png_uint_32 w = 0, h = 0;
  int depth = 0, type = 0, interlace = 0;
  png_get_IHDR(png, info, &w, &h, &depth, &type, &interlace, NULL, NULL);
  dm_status s = dm_io_check_dims(p->ctx, p->name, w, h, max_pixels);
  if (s) longjmp(p->jb, (int)s);
  out->meta.format = DM_FMT_PNG;
  out->meta.bits = depth == 16 ? 16 : 8;
  out->meta.orientation = 1;
  if (type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (type == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  int passes = png_set_interlace_handling(png);
  png_read_update_info(png, info);
  int stride_ch = png_get_channels(png, info);
  int out_depth = png_get_bit_depth(png, info);
  int channels = (png_get_color_type(png, info) & PNG_COLOR_MASK_COLOR) ? 3 : 1;
  size_t rowbytes = png_get_rowbytes(png, info);
  if ((out_depth != 8 && out_depth != 16) || stride_ch < channels ||
      rowbytes != (size_t)w * (size_t)stride_ch * (size_t)(out_depth / 8))
    png_error(png, "unexpected row layout");
  s = read_colour_chunks(p, png, info, &out->meta);
  if (!s && dm_io_header_only(p->ctx, out, w, h, channels)) return; /* eXIf before IDAT only */
  if (!s) s = dm_image_alloc(p->ctx, &out->img, (int)w, (int)h, channels);
  /* Interlaced images need the whole image before any row is final. */
  size_t nrows = passes > 1 ? h : 1;
  if (!s && !(*buf = malloc(rowbytes * nrows)))
    s = dm_fail(p->ctx, DM_ERR_NOMEM, p->name, "out of memory for a %ux%u PNG", w, h);
  if (s) longjmp(p->jb, (int)s);
  *pf = dm_prefault_image(p->ctx, &out->img);
  if (passes > 1) {
    for (int pass = 0; pass < passes; pass++)
      for (png_uint_32 y = 0; y < h; y++) png_read_row(png, *buf + rowbytes * y, NULL);
    for (png_uint_32 y = 0; y < h; y++)
      row_to_float(*buf + rowbytes * y, (int)w, stride_ch, channels, out_depth, dm_row(&out->img, (int)y));
  } else {
    for (png_uint_32 y = 0; y < h; y++) {
      png_read_row(png, *buf, NULL);
      row_to_float(*buf, (int)w, stride_ch, channels, out_depth, dm_row(&out->img, (int)y));
    }
  }
  png_read_end(png, info); /* chunks after IDAT (eXIf) and the IEND check */
  s = read_colour_chunks(p, png, info, &out->meta);
  if (s) longjmp(p->jb, (int)s);
}

/* eXIf orientation is honoured, as browsers do for PNG. */
static dm_status orient(dm_context *ctx, dm_decoded *out) {
  if (!out->meta.exif) return DM_OK;
  out->meta.orientation = dm_exif_orientation(out->meta.exif, out->meta.exif_len);
  return dm_orient_apply(ctx, &out->img, out->meta.orientation);
}

dm_status dm_png_read_ex(dm_context *ctx, const unsigned char *data, size_t len, const char *name,
                         long long max_pixels, dm_decoded *out) {
  memset(out, 0, sizeof *out);
  png_state p = {.ctx = ctx, .name = name, .data = data, .len = len};
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &p, on_error, on_warning);
  png_infop info = png ? png_create_info_struct(png) : NULL;
  if (!info) {
    png_destroy_read_struct(&png, NULL, NULL);
    return dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory");
  }
  png_bytep volatile buf = NULL;
  dm_prefault *volatile pf = NULL;
  int rc = setjmp(p.jb);
  if (!rc) decode(&p, png, info, max_pixels, out, &buf, &pf);
  dm_prefault_end(pf); /* before the image can be freed */
  free(buf);
  png_destroy_read_struct(&png, &info, NULL);
  dm_status s = rc ? (dm_status)rc : orient(ctx, out);
  if (s) dm_decoded_free(out);
  return s;
}

static int colour_type(int channels) {
  static const int t[] = {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                          PNG_COLOR_TYPE_RGB_ALPHA};
  return t[channels - 1];
}

/* The chunks before the image data (IHDR, iCCP, eXIf, XMP), as libpng
 * writes them. */
static void encode_header(png_structp png, png_infop info, FILE *fp, const dm_image *img,
                          const dm_write_options *opt, const unsigned char *exif, size_t exif_len,
                          char *xmp) {
  png_init_io(png, fp);
  /* libpng refuses to write some widespread sRGB profiles it knows to be
   * slightly wrong; they are what the photo carried, so keep them. */
  png_set_option(png, PNG_SKIP_sRGB_CHECK_PROFILE, PNG_OPTION_ON);
  /* zlib level 3, not libpng's 6: a photo comes out ~6 % larger but is written
   * about 3x faster (960x640 8-bit: 0.14 s vs 0.43 s of CPU). */
  png_set_compression_level(png, 3);
  png_set_IHDR(png, info, (png_uint_32)img->width, (png_uint_32)img->height, opt->bits,
               colour_type(img->channels), PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  if (opt->icc && opt->icc_len) {
    if (opt->icc_len > 0x7fffffff) png_error(png, "ICC profile too large");
    png_set_iCCP(png, info, "ICC profile", PNG_COMPRESSION_TYPE_BASE, opt->icc,
                 (png_uint_32)opt->icc_len);
  }
  if (exif && exif_len <= 0x7fffffff)
    png_set_eXIf_1(png, info, (png_uint_32)exif_len, (png_bytep)exif);
  if (xmp) {
    /* Uncompressed, before IDAT, as the XMP specification (part 3) asks. */
    png_text t = {.compression = PNG_ITXT_COMPRESSION_NONE, .key = (png_charp)xmp_key, .text = xmp};
    png_set_text(png, info, &t, 1);
  }
  png_write_info(png, info);
}

/* libpng's own row writer, on one thread: the reference the parallel
 * image data is tested against. */
static void encode_rows(png_state *p, png_structp png, png_infop info, const dm_image *img, int bits,
                        png_bytep row) {
  size_t n = (size_t)img->width * (size_t)img->channels;
  for (int y = 0; y < img->height; y++) {
    const float *src = dm_row(img, y);
    if (bits == 16)
      for (size_t i = 0; i < n; i++) {
        uint16_t v = dm_to_u16(src[i]);
        row[2 * i] = (png_byte)(v >> 8);
        row[2 * i + 1] = (png_byte)(v & 0xff);
      }
    else
      for (size_t i = 0; i < n; i++) row[i] = dm_to_u8(src[i]);
    png_write_row(png, row);
    if (dm_cancelled(p->ctx)) {
      dm_fail(p->ctx, DM_ERR_CANCELLED, p->name, "cancelled");
      longjmp(p->jb, DM_ERR_CANCELLED);
    }
  }
  png_write_end(png, info);
}

/* The image data made beforehand (dm_png_idat_make), an IDAT a piece, then
 * IEND: what png_write_end writes here, as every other chunk went before
 * the image data. */
static void encode_idat(png_structp png, const dm_png_idat *z) {
  for (int i = 0; i < z->n; i++) {
    size_t head = i == 0 ? sizeof z->head : 0, tail = i == z->n - 1 ? sizeof z->tail : 0;
    if (z->len[i] > 0x7ffffff0) png_error(png, "image data piece too large");
    png_write_chunk_start(png, (png_const_bytep) "IDAT", (png_uint_32)(head + z->len[i] + tail));
    if (head) png_write_chunk_data(png, z->head, head);
    png_write_chunk_data(png, z->buf + z->off[i], z->len[i]);
    if (tail) png_write_chunk_data(png, z->tail, tail);
    png_write_chunk_end(png);
  }
  png_write_chunk(png, (png_const_bytep) "IEND", NULL, 0);
}

/* The XMP to write as a C string (libpng takes iTXt text so), or NULL:
 * none, or one that holds a NUL byte (left out with a warning). */
static char *output_xmp(dm_context *ctx, const dm_write_options *opt, const char *name) {
  if (!opt->xmp || !opt->xmp_len) return NULL;
  const char *why = memchr(opt->xmp, 0, opt->xmp_len) ? "holds a NUL byte"
                    : opt->xmp_len > 0x7ffffffe      ? "too large"
                                                     : NULL;
  char *s = why ? NULL : malloc(opt->xmp_len + 1);
  if (!why && !s) why = "out of memory";
  if (why) {
    dm_log(ctx, DM_LOG_WARN, "%s: XMP not carried over: %s", name, why);
    return NULL;
  }
  memcpy(s, opt->xmp, opt->xmp_len);
  s[opt->xmp_len] = 0;
  return s;
}

/* zo NULL: libpng's row writer (dm_png_write_serial); else the image data
 * from every thread, made with zo. */
dm_status dm_png_write_with(dm_context *ctx, FILE *fp, const dm_image *img, const dm_write_options *opt,
                            const char *name, const dm_png_idat_options *zo) {
  int serial = zo == NULL;
  if (img->channels < 1 || img->channels > 4 || (opt->bits != 8 && opt->bits != 16))
    return dm_fail(ctx, DM_ERR_PARAM, name, "PNG cannot hold %d channels of %d bits", img->channels,
                   opt->bits);
  dm_png_idat z = {0};
  if (!serial) {
    dm_status s = dm_png_idat_make(ctx, img, zo, name, &z);
    if (s) return s;
  }
  unsigned char *exif = NULL;
  size_t exif_len = 0;
  if (opt->exif && opt->exif_len &&
      dm_exif_for_output(ctx, opt->exif, opt->exif_len, img->width, img->height, name, &exif, &exif_len))
    dm_log(ctx, DM_LOG_WARN, "%s: EXIF not carried over: %s", name, dm_context_error(ctx));
  char *xmp = output_xmp(ctx, opt, name);
  png_bytep row = serial ? malloc((size_t)img->width * (size_t)img->channels * (size_t)(opt->bits / 8)) : NULL;
  png_state p = {.ctx = ctx, .name = name, .writing = 1};
  png_structp png = row || !serial ? png_create_write_struct(PNG_LIBPNG_VER_STRING, &p, on_error, on_warning) : NULL;
  png_infop info = png ? png_create_info_struct(png) : NULL;
  if (!info) {
    png_destroy_write_struct(&png, NULL);
    free(row);
    free(exif);
    free(xmp);
    dm_png_idat_free(&z);
    return dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory");
  }
  int rc = setjmp(p.jb);
  if (!rc) {
    encode_header(png, info, fp, img, opt, exif, exif_len, xmp);
    if (serial)
      encode_rows(&p, png, info, img, opt->bits, row);
    else
      encode_idat(png, &z);
  }
  png_destroy_write_struct(&png, &info);
  free(row);
  free(exif);
  free(xmp);
  dm_png_idat_free(&z);
  return (dm_status)rc;
}

dm_status dm_png_write(dm_context *ctx, FILE *fp, const dm_image *img, const dm_write_options *opt,
                       const char *name) {
  dm_png_idat_options zo;
  dm_png_idat_defaults(&zo, opt->bits);
  return dm_png_write_with(ctx, fp, img, opt, name, &zo);
}

dm_status dm_png_write_serial(dm_context *ctx, FILE *fp, const dm_image *img,
                              const dm_write_options *opt, const char *name) {
  return dm_png_write_with(ctx, fp, img, opt, name, NULL);
}
