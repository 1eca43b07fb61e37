/* JPEG through libjpeg-turbo: 8-bit grey or RGB, ICC (APP2), EXIF (APP1),
 * the standard XMP packet (APP1; Extended XMP is neither read nor written)
 * and IPTC-IIM (APP13 Photoshop 3.0, 8BIM 0x0404) read and written, EXIF
 * orientation applied on read.
 *
 * libjpeg reports fatal errors through error_exit (we longjmp back) and
 * merely warns about data problems; a premature end of file, a bad Huffman
 * code or a marker inside entropy-coded data means pixels were invented,
 * so those warnings are errors here. Nothing is ever printed. */
#include <stdio.h>
/* jpeglib.h needs stdio.h first. */
#include <jerror.h>
#include <jpeglib.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "core/prefault.h"
#include "io/io_internal.h"

/* Progressive files can have any number of scans, each a pass over the
 * whole image; real encoders use about 10. */
#define MAX_SCANS 500
#define EXIF_HEADER_LEN 6
#define MAX_MARKER_DATA 65533
static const char xmp_sig[] = "http://ns.adobe.com/xap/1.0/"; /* and its NUL */
static const char psir_sig[] = "Photoshop 3.0";               /* and its NUL */

typedef struct jerr {
  struct jpeg_error_mgr pub;
  struct jpeg_progress_mgr progress;
  jmp_buf jb;
  dm_context *ctx;
  const char *name;
  int writing;
} jerr;

static _Noreturn void fail_jump(j_common_ptr cinfo, dm_status s, const char *what) {
  jerr *e = (jerr *)cinfo->err;
  char msg[JMSG_LENGTH_MAX];
  cinfo->err->format_message(cinfo, msg);
  dm_fail(e->ctx, s, e->name, "%s: %s", what, msg);
  longjmp(e->jb, (int)s);
}

static void on_error(j_common_ptr cinfo) {
  jerr *e = (jerr *)cinfo->err;
  if (e->writing)
    fail_jump(cinfo, cinfo->err->msg_code == JERR_FILE_WRITE ? DM_ERR_IO : DM_ERR_INTERNAL,
              "cannot write JPEG");
  if (cinfo->err->msg_code == JERR_OUT_OF_MEMORY) fail_jump(cinfo, DM_ERR_NOMEM, "out of memory");
  fail_jump(cinfo, DM_ERR_FORMAT, "corrupt JPEG");
}

static void on_message(j_common_ptr cinfo, int level) {
  if (level >= 0) return; /* trace messages */
  switch (cinfo->err->msg_code) {
    case JWRN_JPEG_EOF: fail_jump(cinfo, DM_ERR_FORMAT, "truncated JPEG");
    case JWRN_HIT_MARKER:
    case JWRN_HUFF_BAD_CODE:
    case JWRN_MUST_RESYNC: fail_jump(cinfo, DM_ERR_FORMAT, "corrupt JPEG");
    default: cinfo->err->num_warnings++; /* tolerable: extraneous bytes, bogus ICC chunk... */
  }
}

static void on_output(j_common_ptr cinfo) { (void)cinfo; }

static void on_progress(j_common_ptr cinfo) {
  jerr *e = (jerr *)cinfo->err;
  if (cinfo->is_decompressor && ((j_decompress_ptr)cinfo)->input_scan_number > MAX_SCANS) {
    dm_fail(e->ctx, DM_ERR_FORMAT, e->name, "corrupt JPEG: more than %d progressive scans", MAX_SCANS);
    longjmp(e->jb, DM_ERR_FORMAT);
  }
  if (dm_cancelled(e->ctx)) {
    dm_fail(e->ctx, DM_ERR_CANCELLED, e->name, "cancelled");
    longjmp(e->jb, DM_ERR_CANCELLED);
  }
}

static struct jpeg_error_mgr *init_err(jerr *e, dm_context *ctx, const char *name, int writing) {
  memset(e, 0, sizeof *e);
  e->ctx = ctx;
  e->name = name;
  e->writing = writing;
  jpeg_std_error(&e->pub);
  e->pub.error_exit = on_error;
  e->pub.emit_message = on_message;
  e->pub.output_message = on_output;
  e->progress.progress_monitor = on_progress;
  return &e->pub;
}

/* The first APP1 "Exif\0\0" marker's TIFF block, attached to meta. */
static dm_status read_exif(dm_context *ctx, j_decompress_ptr cinfo, dm_metadata *meta,
                           const char *name) {
  for (jpeg_saved_marker_ptr m = cinfo->marker_list; m; m = m->next) {
    if (m->marker != JPEG_APP0 + 1 || m->data_length <= EXIF_HEADER_LEN ||
        memcmp(m->data, "Exif\0\0", EXIF_HEADER_LEN) != 0)
      continue;
    return dm_exif_attach(ctx, meta, m->data + EXIF_HEADER_LEN, m->data_length - EXIF_HEADER_LEN,
                          name);
  }
  return DM_OK;
}

/* The first standard XMP packet and the first APP13's IPTC, attached to
 * meta (a malformed one is dropped there). */
static dm_status read_xmp_iptc(dm_context *ctx, j_decompress_ptr cinfo, dm_metadata *meta,
                               const char *name) {
  dm_status s = DM_OK;
  for (jpeg_saved_marker_ptr m = cinfo->marker_list; m && !s; m = m->next) {
    if (m->marker == JPEG_APP0 + 1 && m->data_length >= sizeof xmp_sig &&
        !memcmp(m->data, xmp_sig, sizeof xmp_sig))
      s = dm_xmp_attach(ctx, meta, m->data + sizeof xmp_sig, m->data_length - sizeof xmp_sig, name);
    if (m->marker == JPEG_APP0 + 13 && m->data_length >= sizeof psir_sig &&
        !memcmp(m->data, psir_sig, sizeof psir_sig) && !meta->iptc) {
      size_t n = 0;
      const unsigned char *iim = dm_psir_iptc(m->data + sizeof psir_sig,
                                              m->data_length - sizeof psir_sig, &n);
      s = dm_iptc_attach(ctx, meta, iim, n, name);
    }
  }
  return s;
}

static void row_to_float(const JSAMPLE *src, float *dst, size_t n) {
  for (size_t i = 0; i < n; i++) dst[i] = dm_code8_float(src[i]);
}

dm_status dm_jpeg_read_ex(dm_context *ctx, const unsigned char *data, size_t len, const char *name,
                          long long max_pixels, dm_decoded *out) {
  memset(out, 0, sizeof *out);
  struct jpeg_decompress_struct cinfo;
  jerr e;
  memset(&cinfo, 0, sizeof cinfo);
  cinfo.err = init_err(&e, ctx, name, 0);
  dm_prefault *volatile pf = NULL; /* volatile: set between setjmp and longjmp */
  int rc = setjmp(e.jb);
  if (rc) {
    dm_prefault_end(pf); /* before the image is freed */
    jpeg_destroy_decompress(&cinfo);
    dm_decoded_free(out);
    return (dm_status)rc;
  }
  jpeg_create_decompress(&cinfo);
  cinfo.progress = &e.progress;
  jpeg_mem_src(&cinfo, data, (unsigned long)len);
  jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xffff);
  jpeg_save_markers(&cinfo, JPEG_APP0 + 2, 0xffff);
  jpeg_save_markers(&cinfo, JPEG_APP0 + 13, 0xffff);
  jpeg_read_header(&cinfo, TRUE);
  dm_status s = DM_OK;
  if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK)
    s = dm_fail(ctx, DM_ERR_FORMAT, name, "CMYK JPEG not supported");
  if (!s) s = dm_io_check_dims(ctx, name, cinfo.image_width, cinfo.image_height, max_pixels);
  if (s) longjmp(e.jb, (int)s);
  int channels = cinfo.num_components == 1 ? 1 : 3;
  cinfo.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  out->meta.format = DM_FMT_JPEG;
  out->meta.bits = 8;
  out->meta.space = DM_SPACE_TAGGED;
  JOCTET *icc = NULL;
  unsigned int icc_len = 0;
  if (jpeg_read_icc_profile(&cinfo, &icc, &icc_len) && icc) {
    out->meta.icc = icc;
    out->meta.icc_len = icc_len;
  }
  s = read_exif(ctx, &cinfo, &out->meta, name);
  if (!s) s = read_xmp_iptc(ctx, &cinfo, &out->meta, name);
  if (s) longjmp(e.jb, (int)s);
  if (dm_io_header_only(ctx, out, cinfo.image_width, cinfo.image_height, channels)) {
    jpeg_destroy_decompress(&cinfo);
    out->meta.orientation = out->meta.exif ? dm_exif_orientation(out->meta.exif, out->meta.exif_len) : 1;
    return dm_orient_apply(ctx, &out->img, out->meta.orientation);
  }
  jpeg_start_decompress(&cinfo);
  s = dm_image_alloc(ctx, &out->img, (int)cinfo.output_width, (int)cinfo.output_height, channels);
  if (s) longjmp(e.jb, (int)s);
  pf = dm_prefault_image(ctx, &out->img);
  size_t row_len = (size_t)cinfo.output_width * (size_t)channels;
  JSAMPARRAY row = (*cinfo.mem->alloc_sarray)((j_common_ptr)&cinfo, JPOOL_IMAGE,
                                              (JDIMENSION)row_len, 1);
  while (cinfo.output_scanline < cinfo.output_height) {
    int y = (int)cinfo.output_scanline;
    if (jpeg_read_scanlines(&cinfo, row, 1) != 1) break;
    row_to_float(row[0], dm_row(&out->img, y), row_len);
  }
  dm_prefault_end(pf);
  pf = NULL;
  jpeg_finish_decompress(&cinfo); /* reads to EOI, so truncation shows */
  jpeg_destroy_decompress(&cinfo);
  out->meta.orientation = out->meta.exif ? dm_exif_orientation(out->meta.exif, out->meta.exif_len) : 1;
  s = dm_orient_apply(ctx, &out->img, out->meta.orientation);
  if (s) dm_decoded_free(out);
  return s;
}

/* EXIF for the output, or NULL when there is none or it cannot fit one APP1
 * marker (logged: the photo is still written). */
static unsigned char *output_exif(dm_context *ctx, const dm_image *img, const dm_write_options *opt,
                                  const char *name, size_t *len) {
  unsigned char *ex = NULL;
  *len = 0;
  if (!opt->exif || !opt->exif_len) return NULL;
  if (dm_exif_for_output(ctx, opt->exif, opt->exif_len, img->width, img->height, name, &ex, len)) {
    dm_log(ctx, DM_LOG_WARN, "%s: EXIF not carried over: %s", name, dm_context_error(ctx));
    return NULL;
  }
  if (*len + EXIF_HEADER_LEN > MAX_MARKER_DATA) {
    dm_log(ctx, DM_LOG_WARN, "%s: EXIF (%zu bytes) too large for JPEG, not carried over", name, *len);
    free(ex);
    *len = 0;
    return NULL;
  }
  return ex;
}

/* Whether a block of `len` bytes after a `sig_len`-byte signature fits one
 * marker; a larger one is left out with a warning (the photo is still
 * written; Extended XMP, which could split it, is not written). */
static int fits_marker(dm_context *ctx, const unsigned char *data, size_t len, size_t sig_len,
                       const char *what, const char *name) {
  if (!data || !len) return 0;
  if (len <= MAX_MARKER_DATA - sig_len) return 1;
  dm_log(ctx, DM_LOG_WARN, "%s: %s (%zu bytes) too large for JPEG, not carried over", name, what, len);
  return 0;
}

/* The APP13 for the IPTC to carry into *app13, or NULL (none, too large, no
 * memory). Returned through a pointer: the caller's copy must live in
 * memory, not in a register that its longjmp could clobber. */
static void output_app13(dm_context *ctx, const dm_write_options *opt, const char *name,
                         unsigned char **app13, size_t *len) {
  *app13 = NULL;
  *len = 0;
  /* After "Photoshop 3.0\0": "8BIM", the id, an empty name, the size, a pad byte. */
  if (!fits_marker(ctx, opt->iptc, opt->iptc_len, sizeof psir_sig + 13, "IPTC", name)) return;
  *app13 = dm_psir_app13(opt->iptc, opt->iptc_len, len);
  if (!*app13) dm_log(ctx, DM_LOG_WARN, "%s: out of memory; IPTC not carried over", name);
}

static void write_marker(j_compress_ptr cinfo, int marker, const void *sig, size_t sig_len,
                         const unsigned char *data, size_t len) {
  jpeg_write_m_header(cinfo, marker, (unsigned)(sig_len + len));
  for (size_t i = 0; i < sig_len; i++) jpeg_write_m_byte(cinfo, ((const unsigned char *)sig)[i]);
  for (size_t i = 0; i < len; i++) jpeg_write_m_byte(cinfo, data[i]);
}

/* An image's row as codes, for dm_jpeg_write_rows. */
typedef struct {
  const dm_image *img;
  unsigned char *codes; /* one row */
} image_rows;

static dm_status image_row(void *user, int y, const unsigned char **codes) {
  image_rows *r = user;
  const float *src = dm_row(r->img, y);
  for (size_t i = 0; i < (size_t)r->img->width * r->img->channels; i++) r->codes[i] = dm_to_u8(src[i]);
  *codes = r->codes;
  return DM_OK;
}

dm_status dm_jpeg_write(dm_context *ctx, FILE *fp, const dm_image *img, const dm_write_options *opt,
                        const char *name) {
  image_rows r = {img, malloc((size_t)img->width * img->channels)};
  dm_status s = r.codes ? dm_jpeg_write_rows(ctx, fp, img->width, img->height, img->channels,
                                             image_row, &r, opt, name)
                        : dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory");
  free(r.codes);
  return s;
}

int dm_jpeg_mcu_rows(int quality) { return quality >= 90 ? 8 : 16; }

dm_status dm_jpeg_write_rows(dm_context *ctx, FILE *fp, int width, int height, int channels,
                             dm_jpeg_row_fn row_fn, void *user, const dm_write_options *opt,
                             const char *name) {
  size_t exif_len = 0;
  dm_image shape = {.width = width, .height = height, .channels = channels};
  unsigned char *exif = output_exif(ctx, &shape, opt, name, &exif_len);
  int xmp = fits_marker(ctx, opt->xmp, opt->xmp_len, sizeof xmp_sig, "XMP", name);
  size_t app13_len = 0;
  unsigned char *app13 = NULL;
  output_app13(ctx, opt, name, &app13, &app13_len);
  int quality = opt->quality ? opt->quality : 95;
  struct jpeg_compress_struct cinfo;
  jerr e;
  memset(&cinfo, 0, sizeof cinfo);
  cinfo.err = init_err(&e, ctx, name, 1);
  int rc = setjmp(e.jb);
  if (rc) {
    jpeg_destroy_compress(&cinfo);
    free(exif);
    free(app13);
    return (dm_status)rc;
  }
  jpeg_create_compress(&cinfo);
  cinfo.progress = &e.progress;
  jpeg_stdio_dest(&cinfo, fp);
  cinfo.image_width = (JDIMENSION)width;
  cinfo.image_height = (JDIMENSION)height;
  cinfo.input_components = channels;
  cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  /* 4:4:4 at high quality: chroma subsampling blurs colour edges that a
   * retoucher will see (Lightroom does the same above ~90). */
  if (dm_jpeg_mcu_rows(quality) == 8)
    for (int i = 0; i < cinfo.num_components; i++)
      cinfo.comp_info[i].h_samp_factor = cinfo.comp_info[i].v_samp_factor = 1;
  cinfo.optimize_coding = opt->preview ? FALSE : TRUE;
  if (opt->restart_rows > 0) cinfo.restart_in_rows = opt->restart_rows;
  /* EXIF wants its APP1 right after SOI, so no JFIF APP0 when it is there. */
  if (exif) cinfo.write_JFIF_header = FALSE;
  jpeg_start_compress(&cinfo, TRUE);
  if (exif) write_marker(&cinfo, JPEG_APP0 + 1, "Exif\0\0", EXIF_HEADER_LEN, exif, exif_len);
  /* XMP right after EXIF, as Adobe's and exiftool's files have it. */
  if (xmp) write_marker(&cinfo, JPEG_APP0 + 1, xmp_sig, sizeof xmp_sig, opt->xmp, opt->xmp_len);
  if (opt->icc && opt->icc_len) jpeg_write_icc_profile(&cinfo, opt->icc, (unsigned)opt->icc_len);
  if (app13) write_marker(&cinfo, JPEG_APP0 + 13, NULL, 0, app13, app13_len);
  dm_status s = DM_OK;
  while (!s && cinfo.next_scanline < cinfo.image_height) {
    const unsigned char *codes = NULL;
    s = row_fn(user, (int)cinfo.next_scanline, &codes);
    if (s) break;
    JSAMPROW row = (JSAMPROW)codes; /* libjpeg only reads it */
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  if (!s) jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  free(exif);
  free(app13);
  return s;
}
