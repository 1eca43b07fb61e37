/* TIFF reading through libtiff, from memory: 8/16-bit unsigned and 32-bit
 * float samples, grey or RGB (extra samples dropped), contiguous or
 * separate planes, strips or tiles, decoded block by block with
 * TIFFReadEncodedStrip/Tile so 16-bit and float survive. Other layouts that
 * libtiff can render (palette, 1/2/4-bit, YCbCr) go through TIFFReadRGBA,
 * which is 8-bit. The ICC tag and the Orientation tag are honoured; XMP
 * (tag 700) and IPTC (33723) are kept for the outputs. Also
 * decides whether a TIFF-magic file is a camera raw (dm_tiff_is_camera_raw). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/prefault.h"
#include "io/io_internal.h"
#include "io/tiff_io.h"

typedef struct tiff_layout {
  uint32_t w, h;
  uint16_t spp, bps, format, photometric, planar;
  int channels;      /* 1 or 3 in the output */
  int bytes;         /* bytes per sample: 1, 2 or 4 */
  int invert;        /* MinIsWhite */
} tiff_layout;

static dm_status tiff_fail(dm_context *ctx, const char *name, const dm_tiff_client *c,
                           const char *what) {
  if (c->error[0]) return dm_fail(ctx, DM_ERR_FORMAT, name, "%s: %s", what, c->error);
  return dm_fail(ctx, DM_ERR_FORMAT, name, "%s", what);
}

static float sample(const unsigned char *p, const tiff_layout *L) {
  float v;
  if (L->bytes == 1) {
    v = dm_code8_float(p[0]);
  } else if (L->bytes == 2) {
    uint16_t u;
    memcpy(&u, p, 2); /* libtiff hands samples over in native byte order */
    v = (float)u * (1.0f / 65535.0f);
  } else {
    memcpy(&v, p, 4);
    if (!isfinite(v)) v = 0.0f;
  }
  return L->invert ? 1.0f - v : v;
}

/* Copy a decoded block (a strip or a tile) at (x0, y0), bw x bh pixels with
 * rows `pitch` bytes apart, into the image. For separate planes the block
 * holds one sample, `plane`. */
static void copy_block(const tiff_layout *L, const unsigned char *buf, size_t pitch, uint32_t x0,
                       uint32_t y0, uint32_t bw, uint32_t bh, int plane, dm_image *img) {
  uint32_t x1 = x0 + bw < L->w ? x0 + bw : L->w, y1 = y0 + bh < L->h ? y0 + bh : L->h;
  int sep = L->planar == PLANARCONFIG_SEPARATE;
  size_t px_bytes = (size_t)(sep ? 1 : L->spp) * (size_t)L->bytes;
  for (uint32_t y = y0; y < y1; y++) {
    const unsigned char *row = buf + (size_t)(y - y0) * pitch;
    float *dst = dm_px(img, (int)x0, (int)y);
    for (uint32_t x = x0; x < x1; x++, dst += L->channels) {
      const unsigned char *px = row + (size_t)(x - x0) * px_bytes;
      if (sep)
        dst[plane] = sample(px, L);
      else
        for (int c = 0; c < L->channels; c++) dst[c] = sample(px + (size_t)c * (size_t)L->bytes, L);
    }
  }
}

static dm_status read_blocks(dm_context *ctx, const char *name, TIFF *tif, dm_tiff_client *c,
                             const tiff_layout *L, dm_image *img) {
  int tiled = TIFFIsTiled(tif);
  uint32_t bw = L->w, bh = 0;
  if (tiled) {
    TIFFGetField(tif, TIFFTAG_TILEWIDTH, &bw);
    TIFFGetField(tif, TIFFTAG_TILELENGTH, &bh);
  } else {
    TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &bh);
    if (bh > L->h) bh = L->h;
  }
  int sep = L->planar == PLANARCONFIG_SEPARATE;
  size_t pitch = (size_t)bw * (size_t)(sep ? 1 : L->spp) * (size_t)L->bytes;
  /* Blocks larger than the whole image (plus slack for tile padding) come
   * from a hostile header, not an encoder. */
  uint64_t image_bytes = (uint64_t)L->w * L->h * L->spp * (uint64_t)L->bytes;
  if (bw == 0 || bh == 0 || (uint64_t)pitch * bh > image_bytes + (16u << 20))
    return dm_fail(ctx, DM_ERR_FORMAT, name, "corrupt TIFF: %ux%u %s", bw, bh,
                   tiled ? "tiles" : "strips");
  size_t need = pitch * bh;
  unsigned char *buf = malloc(need);
  if (!buf) return dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory");
  dm_status s = DM_OK;
  int planes = sep ? L->channels : 1;
  for (int p = 0; p < planes && !s; p++)
    for (uint32_t y = 0; y < L->h && !s; y += bh)
      for (uint32_t x = 0; x < L->w && !s; x += bw) {
        tmsize_t got;
        /* Rows of this block inside the image; the last strip may be short. */
        size_t rows = L->h - y < bh ? L->h - y : bh;
        if (tiled)
          got = TIFFReadEncodedTile(tif, TIFFComputeTile(tif, x, y, 0, (uint16_t)p), buf, (tmsize_t)need);
        else
          got = TIFFReadEncodedStrip(tif, TIFFComputeStrip(tif, y, (uint16_t)p), buf, (tmsize_t)need);
        if (got < 0 || (size_t)got < pitch * rows)
          s = tiff_fail(ctx, name, c, "corrupt or truncated TIFF");
        else
          copy_block(L, buf, pitch, x, y, bw, (uint32_t)rows, p, img);
        if (!s && dm_cancelled(ctx)) s = dm_fail(ctx, DM_ERR_CANCELLED, name, "cancelled");
      }
  free(buf);
  return s;
}

/* Layouts the block reader does not handle, rendered 8-bit by libtiff. */
static dm_status read_rgba(dm_context *ctx, const char *name, TIFF *tif, dm_tiff_client *c,
                           const tiff_layout *L, dm_image *img) {
  char emsg[1024] = "";
  if (!TIFFRGBAImageOK(tif, emsg))
    return dm_fail(ctx, DM_ERR_FORMAT, name, "unsupported TIFF: %s", emsg);
  uint32_t *raster = malloc((size_t)L->w * L->h * sizeof *raster);
  if (!raster) return dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory");
  /* Read in stored order; dm_orient_apply does the Orientation tag. */
  TIFFSetField(tif, TIFFTAG_ORIENTATION, ORIENTATION_TOPLEFT);
  dm_status s = DM_OK;
  if (!TIFFReadRGBAImageOriented(tif, L->w, L->h, raster, ORIENTATION_TOPLEFT, 1)) {
    s = tiff_fail(ctx, name, c, "corrupt or truncated TIFF");
  } else {
    for (uint32_t y = 0; y < L->h; y++) {
      float *dst = dm_row(img, (int)y);
      const uint32_t *src = raster + (size_t)y * L->w;
      for (uint32_t x = 0; x < L->w; x++) {
        *dst++ = dm_code8_float(TIFFGetR(src[x]));
        if (L->channels == 3) {
          *dst++ = dm_code8_float(TIFFGetG(src[x]));
          *dst++ = dm_code8_float(TIFFGetB(src[x]));
        }
      }
    }
  }
  free(raster);
  return s;
}

static void read_camera(TIFF *tif, char *out, size_t out_len) {
  char *make = NULL, *model = NULL;
  TIFFGetField(tif, TIFFTAG_MAKE, &make);
  TIFFGetField(tif, TIFFTAG_MODEL, &model);
  if (model && make && !strncasecmp(model, make, strlen(make))) make = NULL;
  snprintf(out, out_len, "%s%s%s", make ? make : "", make && model ? " " : "", model ? model : "");
  for (char *p = out; *p; p++)
    if ((unsigned char)*p < 32 || (unsigned char)*p > 126) *p = '?';
}

/* XMP (tag 700) and IPTC-IIM (33723), attached to meta (a malformed block
 * is dropped there). */
static dm_status read_xmp_iptc(dm_context *ctx, const char *name, TIFF *tif, dm_metadata *m) {
  uint32_t n = 0;
  void *p = NULL;
  dm_status s = DM_OK;
  if (TIFFGetField(tif, TIFFTAG_XMLPACKET, &n, &p) && p) s = dm_xmp_attach(ctx, m, p, n, name);
  /* Photoshop writes the IPTC tag as LONGs; libtiff 4.5 hands it over as
   * bytes, older ones as LONGs: count in the units this libtiff uses. */
  const TIFFField *f = TIFFFieldWithTag(tif, TIFFTAG_RICHTIFFIPTC);
  int unit = f ? TIFFFieldSetGetSize(f) : 0;
  n = 0, p = NULL;
  if (!s && (unit == 1 || unit == 4) && TIFFGetField(tif, TIFFTAG_RICHTIFFIPTC, &n, &p) && p)
    s = dm_iptc_attach(ctx, m, p, (size_t)n * (size_t)unit, name);
  return s;
}

/* Fill the layout and say whether the block reader can take it (1), the
 * RGBA path must (0), or the file is refused (<0, error set). */
static int layout(dm_context *ctx, const char *name, TIFF *tif, tiff_layout *L) {
  memset(L, 0, sizeof *L);
  TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &L->w);
  TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &L->h);
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &L->spp);
  TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &L->bps);
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &L->format);
  TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &L->planar);
  if (!TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &L->photometric))
    L->photometric = L->spp >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK;
  uint16_t compression = COMPRESSION_NONE;
  TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &compression);
  if (L->photometric == PHOTOMETRIC_SEPARATED) {
    dm_fail(ctx, DM_ERR_FORMAT, name, "CMYK TIFF not supported");
    return -1;
  }
  if (L->spp == 0 || L->spp > 16) {
    dm_fail(ctx, DM_ERR_FORMAT, name, "unsupported TIFF: %u samples per pixel", L->spp);
    return -1;
  }
  /* JPEG-in-TIFF stored as YCbCr: libjpeg converts to RGB for us. */
  if (L->photometric == PHOTOMETRIC_YCBCR && compression == COMPRESSION_JPEG && L->spp == 3 &&
      L->bps == 8) {
    TIFFSetField(tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
    L->photometric = PHOTOMETRIC_RGB;
  }
  int grey = L->photometric == PHOTOMETRIC_MINISBLACK || L->photometric == PHOTOMETRIC_MINISWHITE;
  L->channels = grey ? 1 : 3;
  L->invert = L->photometric == PHOTOMETRIC_MINISWHITE;
  int int_ok = (L->bps == 8 || L->bps == 16) && L->format == SAMPLEFORMAT_UINT;
  int float_ok = L->bps == 32 && L->format == SAMPLEFORMAT_IEEEFP;
  int planar_ok = L->planar == PLANARCONFIG_CONTIG || L->planar == PLANARCONFIG_SEPARATE;
  if ((grey || (L->photometric == PHOTOMETRIC_RGB && L->spp >= 3)) && (int_ok || float_ok) && planar_ok) {
    L->bytes = L->bps / 8;
    return 1;
  }
  if (L->bps > 8 || L->format == SAMPLEFORMAT_IEEEFP || L->format == SAMPLEFORMAT_INT) {
    dm_fail(ctx, DM_ERR_FORMAT, name, "unsupported TIFF: %u-bit %s samples", L->bps,
            L->format == SAMPLEFORMAT_IEEEFP ? "float" : L->format == SAMPLEFORMAT_INT ? "signed" : "integer");
    return -1;
  }
  return 0;
}

dm_status dm_tiff_read_ex(dm_context *ctx, const unsigned char *data, size_t len, const char *name,
                          long long max_pixels, dm_decoded *out) {
  memset(out, 0, sizeof *out);
  dm_tiff_client c;
  uint64_t max_alloc = (uint64_t)max_pixels * 8 > (64u << 20) ? (uint64_t)max_pixels * 8 : (64u << 20);
  TIFF *tif = dm_tiff_open_mem(&c, data, len, name, max_alloc);
  if (!tif) return tiff_fail(ctx, name, &c, "not a readable TIFF");
  if (c.truncated[0]) {
    TIFFClose(tif);
    return dm_fail(ctx, DM_ERR_FORMAT, name, "truncated TIFF: %s", c.truncated);
  }
  tiff_layout L;
  int direct = layout(ctx, name, tif, &L);
  dm_status s = direct < 0 ? DM_ERR_FORMAT : dm_io_check_dims(ctx, name, L.w, L.h, max_pixels);
  int header = !s && dm_io_header_only(ctx, out, L.w, L.h, L.channels);
  if (!s && !header) s = dm_image_alloc(ctx, &out->img, (int)L.w, (int)L.h, L.channels);
  if (!s && !header) {
    dm_prefault *pf = dm_prefault_image(ctx, &out->img);
    s = direct ? read_blocks(ctx, name, tif, &c, &L, &out->img) : read_rgba(ctx, name, tif, &c, &L, &out->img);
    dm_prefault_end(pf);
  }
  if (!s) {
    out->meta.format = DM_FMT_TIFF;
    out->meta.bits = direct ? L.bps : 8;
    out->meta.space = DM_SPACE_TAGGED;
    uint16_t orientation = ORIENTATION_TOPLEFT;
    TIFFGetFieldDefaulted(tif, TIFFTAG_ORIENTATION, &orientation);
    out->meta.orientation = orientation >= 1 && orientation <= 8 ? orientation : 1;
    uint32_t icc_len = 0;
    void *icc = NULL;
    if (TIFFGetField(tif, TIFFTAG_ICCPROFILE, &icc_len, &icc) && icc && icc_len) {
      if (!(out->meta.icc = malloc(icc_len))) s = dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory");
      else memcpy(out->meta.icc, icc, icc_len), out->meta.icc_len = icc_len;
    }
    read_camera(tif, out->meta.camera, sizeof out->meta.camera);
    if (!s) s = read_xmp_iptc(ctx, name, tif, &out->meta);
  }
  TIFFClose(tif);
  if (!s && c.truncated[0]) s = dm_fail(ctx, DM_ERR_FORMAT, name, "truncated TIFF: %s", c.truncated);
  if (!s) s = dm_orient_apply(ctx, &out->img, out->meta.orientation);
  if (s) dm_decoded_free(out);
  return s;
}

/* Whether a tag is set, whatever its type: TIFFGetField's out-arguments
 * differ per tag (count or not, scalar or pointer), so give it room for
 * any of them. */
static int has_tag(TIFF *tif, uint32_t tag) {
  uint64_t a[4] = {0}, b[4] = {0};
  return TIFFFindField(tif, tag, TIFF_ANY) && TIFFGetField(tif, tag, a, b);
}

int dm_tiff_is_camera_raw(const unsigned char *data, size_t len) {
  dm_tiff_client c;
  TIFF *tif = dm_tiff_open_mem(&c, data, len, "raw check", 64u << 20);
  if (!tif) return 0;
  uint16_t photometric = 0, compression = COMPRESSION_NONE;
  uint32_t subfile = 0;
  TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photometric);
  TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &compression);
  TIFFGetField(tif, TIFFTAG_SUBFILETYPE, &subfile);
  int is_dng = has_tag(tif, TIFFTAG_DNGVERSION);
  TIFFClose(tif);
  if (c.truncated[0]) return -1;
  if (is_dng || photometric == PHOTOMETRIC_CFA || photometric == 34892 /* LinearRaw */) return 1;
  /* NEF and friends put a thumbnail first and the raw in a SubIFD. */
  if (subfile & FILETYPE_REDUCEDIMAGE) return 1;
  switch (compression) {
    case COMPRESSION_NONE: case COMPRESSION_CCITTRLE: case COMPRESSION_CCITTFAX3:
    case COMPRESSION_CCITTFAX4: case COMPRESSION_LZW: case COMPRESSION_JPEG:
    case COMPRESSION_ADOBE_DEFLATE: case COMPRESSION_DEFLATE: case COMPRESSION_PACKBITS:
    case COMPRESSION_LZMA: case COMPRESSION_ZSTD: case COMPRESSION_WEBP: case COMPRESSION_JXL:
      return 0;
    default:
      return 1; /* old-style JPEG previews (ARW), vendor raw codecs (PEF, NEF) */
  }
}
