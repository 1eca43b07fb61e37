/* Helpers shared by the format files of src/io (not used outside it, except
 * by the fuzz targets, which call the readers with a smaller pixel limit so a
 * hostile header cannot make them allocate gigabytes).
 *
 * EXIF blocks here are "TIFF-structured": they start with the TIFF header
 * ("II*\0" or "MM\0*"), without JPEG's "Exif\0\0" prefix. */
#ifndef DM_IO_INTERNAL_H
#define DM_IO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "io/io.h"

/* Per-format readers with an explicit pixel limit (the public ones pass
 * DM_MAX_PIXELS). */
typedef dm_status (*dm_reader_fn)(dm_context *ctx, const unsigned char *data, size_t len,
                                  const char *name, long long max_pixels, dm_decoded *out);
dm_status dm_jpeg_read_ex(dm_context *ctx, const unsigned char *data, size_t len, const char *name,
                          long long max_pixels, dm_decoded *out);
dm_status dm_png_read_ex(dm_context *ctx, const unsigned char *data, size_t len, const char *name,
                         long long max_pixels, dm_decoded *out);
dm_status dm_tiff_read_ex(dm_context *ctx, const unsigned char *data, size_t len, const char *name,
                          long long max_pixels, dm_decoded *out);
dm_status dm_heic_read_ex(dm_context *ctx, const unsigned char *data, size_t len, const char *name,
                          long long max_pixels, dm_decoded *out);
dm_status dm_raw_read_ex(dm_context *ctx, const unsigned char *data, size_t len, const char *name,
                         long long max_pixels, dm_decoded *out);
/* Sniff and dispatch, as dm_io_read_mem, with a pixel limit. */
dm_status dm_io_read_mem_ex(dm_context *ctx, const unsigned char *data, size_t len,
                            const char *name, long long max_pixels, dm_decoded *out);

/* The encoders' one-thread reference paths (libpng's row writer; libtiff
 * encoding strip after strip), which the tests hold the parallel ones to.
 * dm_png_write and dm_tiff_write, and these, also take 2 or 4 channels
 * (alpha last), though dm_io_write writes only 1 or 3. */
dm_status dm_png_write_serial(dm_context *ctx, FILE *fp, const dm_image *img,
                              const dm_write_options *opt, const char *name);
dm_status dm_tiff_write_serial(dm_context *ctx, FILE *fp, const dm_image *img,
                               const dm_write_options *opt, const char *name);

/* Fails unless 1 <= w, h <= DM_MAX_DIM and w * h <= max_pixels. */
dm_status dm_io_check_dims(dm_context *ctx, const char *name, long long w, long long h,
                           long long max_pixels);

/* 1 if a file with TIFF magic is a camera raw for LibRaw (DNG, a
 * CFA/LinearRaw image, a raw-only compression, or a reduced-resolution IFD0
 * as NEF has), 0 for an ordinary TIFF photograph, -1 if its first directory
 * is cut short (dm_tiff_read then says so). Decided with libtiff from the
 * first directory, so ordinary TIFFs never reach LibRaw. */
int dm_tiff_is_camera_raw(const unsigned char *data, size_t len);
/* True if LibRaw recognises the data as a raw it can decode (header only). */
int dm_raw_identify(const unsigned char *data, size_t len);
/* NULL once LibRaw is loaded (raw_lazy.c), else why it cannot be. */
const char *dm_raw_unavailable(void);

/* EXIF (exif.c, on libexif). */
/* Orientation 1..8 from a TIFF-structured EXIF block; 1 if absent/invalid. */
int dm_exif_orientation(const unsigned char *exif, size_t len);
/* "Make Model" into out (empty if unknown); Model alone when it already
 * starts with Make, as many cameras write it. */
void dm_exif_camera(const unsigned char *exif, size_t len, char *out, size_t out_len);
/* A copy of `exif` for an output file of width x height: orientation set to
 * 1, pixel dimensions updated and the thumbnail (which shows the unedited
 * picture) removed. *out is malloc'd. Fails with DM_ERR_FORMAT if libexif
 * cannot parse the block. */
dm_status dm_exif_for_output(dm_context *ctx, const unsigned char *exif, size_t len, int width,
                             int height, const char *name, unsigned char **out, size_t *out_len);
/* Copy a TIFF-structured EXIF block into meta->exif (validating the header)
 * and fill meta->camera. Returns DM_ERR_NOMEM only; a block that is not
 * TIFF-structured is ignored. */
dm_status dm_exif_attach(dm_context *ctx, dm_metadata *meta, const unsigned char *tiff, size_t len,
                         const char *name);

/* XMP (xmp_carry.c, on libxml2). The photo's embedded packet into
 * meta->xmp as outputs carry it (io.h): parsed with the recipe's hardened
 * parser (no DTD, no entities, no network), Camera Raw (crs:) and depthmask
 * (dm:) properties and those describing the source file's layout or data
 * the output lacks removed, re-serialised in a standard packet wrapper.
 * The first packet wins. Returns DM_ERR_NOMEM only: a malformed, oversized
 * or (once filtered) empty packet is dropped, with a warning if it was not
 * merely empty; the photo still decodes. */
dm_status dm_xmp_attach(dm_context *ctx, dm_metadata *meta, const unsigned char *xmp, size_t len,
                        const char *name);

/* IPTC-IIM (iptc.c). Copy a block of datasets into meta->iptc when it
 * parses to its end (trailing zero padding allowed, and dropped); the first
 * block wins. Returns DM_ERR_NOMEM only: a malformed block is dropped with
 * a warning. */
dm_status dm_iptc_attach(dm_context *ctx, dm_metadata *meta, const unsigned char *iim, size_t len,
                         const char *name);
/* The IPTC-IIM bytes of the first 8BIM 0x0404 resource in Photoshop image
 * resources (a JPEG APP13's payload after "Photoshop 3.0\0"); NULL if none
 * or the resources run past `len`. */
const unsigned char *dm_psir_iptc(const unsigned char *irb, size_t len, size_t *iptc_len);
/* A JPEG APP13 payload ("Photoshop 3.0\0" and one 8BIM 0x0404 resource
 * holding `iptc`), malloc'd; NULL when out of memory. */
unsigned char *dm_psir_app13(const unsigned char *iptc, size_t len, size_t *out_len);

/* Orientation (orient.c): replace *img by its upright version for EXIF
 * orientation 1..8 (other values leave it as is). */
dm_status dm_orient_apply(dm_context *ctx, dm_image *img, int orientation);


/* The largest canvas a 'grid' or 'iovl' HEIF item declares in its own data
 * (heic_guard.c): 1 and *w, *h set; 0 if there is none or the boxes cannot
 * be followed (libheif then has its say); -1 if one's size lies outside its
 * data (a corrupt file). */
int dm_heic_canvas_size(const unsigned char *data, size_t len, uint64_t *w, uint64_t *h);

/* HEIC nclx colour description -> ICC profile made with lcms2
 * (heic_nclx.c). Returns 0 and sets *icc = NULL when the description is
 * sRGB (leave untagged) or cannot be expressed as an ICC profile. */
int dm_nclx_to_icc(int primaries, int transfer, const float xy[8], unsigned char **icc,
                   size_t *icc_len);

#endif
