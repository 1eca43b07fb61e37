/* Builders for files with embedded depth, made at test time from real
 * photographs exactly as the specifications lay them out (no Debian
 * package ships a phone's depth photo):
 *  - GDepth: a JPEG with the standard XMP packet in APP1 naming
 *    xmpNote:HasExtendedXMP = the MD5 of the extended packet (uppercase
 *    hex), and the extended packet (GDepth:Data, base64 of a PNG) split over
 *    APP1 chunks "http://ns.adobe.com/xmp/extension/\0" + GUID + full
 *    length + offset, in any order;
 *  - Dynamic Depth: a primary JPEG whose XMP has Device:Container with the
 *    item directory and a Camera:DepthMap, followed by the depth PNG and a
 *    confidence PNG.
 * Header-only, for tests/depth and the seed generator. */
#ifndef DM_EMBED_BUILD_H
#define DM_EMBED_BUILD_H

#include <openssl/evp.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/image.h"
#include "core/resample.h"
#include "io/io.h"

typedef struct eb_buf {
  unsigned char *p;
  size_t n, cap;
} eb_buf;

static inline void eb_put(eb_buf *b, const void *d, size_t n) {
  if (b->n + n > b->cap) {
    b->cap = (b->n + n) * 2 + 1024;
    b->p = realloc(b->p, b->cap);
    if (!b->p) abort();
  }
  memcpy(b->p + b->n, d, n);
  b->n += n;
}
static inline void eb_put_be32(eb_buf *b, uint32_t v) {
  unsigned char x[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8),
                        (unsigned char)v};
  eb_put(b, x, 4);
}
static inline void eb_puts(eb_buf *b, const char *s) { eb_put(b, s, strlen(s)); }

/* A JPEG of `img` (1 or 3 channels) through the project's encoder. */
static inline int eb_jpeg(dm_context *ctx, const dm_image *img, int quality, eb_buf *out) {
  char *mem = NULL;
  size_t n = 0;
  FILE *fp = open_memstream(&mem, &n);
  if (!fp) return 0;
  dm_write_options o = {.format = DM_FMT_JPEG, .bits = 8, .quality = quality};
  dm_status s = dm_jpeg_write(ctx, fp, img, &o, "built.jpg");
  fclose(fp);
  memset(out, 0, sizeof *out);
  if (!s) eb_put(out, mem, n);
  free(mem);
  return !s;
}

/* A grey PNG (8 or 16 bits) at zlib `level` (0 = stored: the size of a
 * real phone depth map, which compresses far less than our layered scenes). */
static void eb_png_write_fn(png_structp png, png_bytep d, size_t n) { eb_put(png_get_io_ptr(png), d, n); }
static void eb_png_flush_fn(png_structp png) { (void)png; }
static inline int eb_png(const dm_image *grey, int bits, int level, eb_buf *out) {
  memset(out, 0, sizeof *out);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png ? png_create_info_struct(png) : NULL;
  unsigned char *row = malloc((size_t)grey->width * 2);
  if (!png || !info || !row || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    free(row);
    return 0;
  }
  png_set_write_fn(png, out, eb_png_write_fn, eb_png_flush_fn);
  png_set_compression_level(png, level);
  png_set_IHDR(png, info, (png_uint_32)grey->width, (png_uint_32)grey->height, bits,
               PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < grey->height; y++) {
    for (int x = 0; x < grey->width; x++) {
      float v = dm_row(grey, y)[x];
      v = v < 0 ? 0 : v > 1 ? 1 : v;
      if (bits == 16) {
        unsigned q = (unsigned)(v * 65535.0f + 0.5f);
        row[2 * x] = (unsigned char)(q >> 8);
        row[2 * x + 1] = (unsigned char)q;
      } else {
        row[x] = (unsigned char)(v * 255.0f + 0.5f);
      }
    }
    png_write_row(png, row);
  }
  png_write_end(png, NULL);
  png_destroy_write_struct(&png, &info);
  free(row);
  return 1;
}

static inline char *eb_base64(const unsigned char *d, size_t n) {
  char *s = malloc(4 * ((n + 2) / 3) + 1);
  EVP_EncodeBlock((unsigned char *)s, d, (int)n);
  return s;
}

/* MD5 as 32 uppercase hex digits (the Extended XMP GUID). */
static inline void eb_md5_guid(const void *d, size_t n, char guid[33]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(d, n, md, &len, EVP_md5(), NULL);
  for (unsigned i = 0; i < 16; i++) sprintf(guid + 2 * i, "%02X", md[i]);
}

/* One APP1 segment: signature (with its NUL) + body. */
static inline void eb_app1(eb_buf *b, const char *sig, const void *body, size_t n) {
  size_t len = 2 + strlen(sig) + 1 + n;
  unsigned char h[4] = {0xFF, 0xE1, (unsigned char)(len >> 8), (unsigned char)len};
  eb_put(b, h, 4);
  eb_put(b, sig, strlen(sig) + 1);
  eb_put(b, body, n);
}

/* Extended XMP chunks of `ext` (its GUID), `chunk` bytes each, written in
 * the order `order` (indices; NULL = in order; n_order chunks). */
static inline int eb_ext_chunks(eb_buf *b, const char *ext, size_t n, const char *guid, size_t chunk,
                                const int *order) {
  int count = (int)((n + chunk - 1) / chunk);
  for (int k = 0; k < count; k++) {
    int i = order ? order[k] : k;
    size_t off = (size_t)i * chunk, len = n - off < chunk ? n - off : chunk;
    eb_buf body = {0};
    eb_put(&body, guid, 32);
    eb_put_be32(&body, (uint32_t)n);
    eb_put_be32(&body, (uint32_t)off);
    eb_put(&body, ext + off, len);
    eb_app1(b, "http://ns.adobe.com/xmp/extension/", body.p, body.n);
    free(body.p);
  }
  return count;
}

/* The JPEG `jpeg` with `segments` inserted right after SOI. */
static inline void eb_insert_after_soi(const eb_buf *jpeg, const eb_buf *segments, eb_buf *out) {
  memset(out, 0, sizeof *out);
  eb_put(out, jpeg->p, 2);
  eb_put(out, segments->p, segments->n);
  eb_put(out, jpeg->p + 2, jpeg->n - 2);
}

#define EB_XMP_HEAD                                                                              \
  "<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>"                          \
  "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">"
#define EB_XMP_TAIL "</rdf:RDF></x:xmpmeta><?xpacket end=\"w\"?>"

typedef struct eb_gdepth {
  const char *format;   /* "RangeLinear" / "RangeInverse" */
  double near_m, far_m;
  size_t chunk;         /* Extended XMP chunk payload size */
  const int *order;     /* chunk order, NULL = in order */
  const char *guid;     /* override the GUID named in the main packet (bad-input tests) */
  int drop_chunk;       /* 1-based index of a chunk to leave out, 0 = none */
  const char *b64;      /* GDepth:Data as written, instead of the base64 of the depth */
  const char *extra;    /* more rdf:Description elements for the main packet */
} eb_gdepth;

/* A GDepth JPEG: `photo_jpeg` + main XMP + Extended XMP with the base64 of
 * `depth` (an encoded image, GDepth:Mime `mime`). */
static inline void eb_gdepth_jpeg(const eb_buf *photo_jpeg, const eb_buf *depth, const char *mime,
                                  const eb_gdepth *g, eb_buf *out) {
  char *b64 = g->b64 ? strdup(g->b64) : eb_base64(depth->p, depth->n);
  eb_buf ext = {0};
  eb_puts(&ext, EB_XMP_HEAD "<rdf:Description rdf:about=\"\" xmlns:GDepth=\"http://ns.google.com/photos/1.0/depthmap/\" GDepth:Data=\"");
  eb_puts(&ext, b64);
  eb_puts(&ext, "\"/>" EB_XMP_TAIL);
  free(b64);
  char guid[33];
  eb_md5_guid(ext.p, ext.n, guid);
  char main[8192];
  snprintf(main, sizeof main,
           EB_XMP_HEAD "<rdf:Description rdf:about=\"\" xmlns:GDepth=\"http://ns.google.com/photos/1.0/depthmap/\""
           " xmlns:xmpNote=\"http://ns.adobe.com/xmp/note/\" GDepth:Format=\"%s\" GDepth:Near=\"%g\""
           " GDepth:Far=\"%g\" GDepth:Mime=\"%s\" GDepth:Units=\"m\" GDepth:MeasureType=\"OpticalAxis\""
           " xmpNote:HasExtendedXMP=\"%s\"/>%s" EB_XMP_TAIL,
           g->format, g->near_m, g->far_m, mime, g->guid ? g->guid : guid, g->extra ? g->extra : "");
  eb_buf seg = {0};
  eb_app1(&seg, "http://ns.adobe.com/xap/1.0/", main, strlen(main));
  if (g->drop_chunk) {
    eb_buf all = {0};
    int count = (int)((ext.n + g->chunk - 1) / g->chunk);
    int order[4096];
    int k = 0;
    for (int i = 0; i < count && k < 4096; i++)
      if (i != g->drop_chunk - 1) order[k++] = g->order ? g->order[i] : i;
    /* write the kept ones only */
    for (int i = 0; i < k; i++) {
      size_t off = (size_t)order[i] * g->chunk, len = ext.n - off < g->chunk ? ext.n - off : g->chunk;
      eb_buf body = {0};
      eb_put(&body, guid, 32);
      eb_put_be32(&body, (uint32_t)ext.n);
      eb_put_be32(&body, (uint32_t)off);
      eb_put(&body, ext.p + off, len);
      eb_app1(&all, "http://ns.adobe.com/xmp/extension/", body.p, body.n);
      free(body.p);
    }
    eb_put(&seg, all.p, all.n);
    free(all.p);
  } else {
    eb_ext_chunks(&seg, (const char *)ext.p, ext.n, guid, g->chunk, g->order);
  }
  eb_insert_after_soi(photo_jpeg, &seg, out);
  free(seg.p);
  free(ext.p);
}

typedef struct eb_dd {
  const char *format;       /* DepthMap:Format */
  double near_m, far_m;
  long depth_length_delta;  /* added to the depth item's Item:Length (bad-input tests) */
  size_t padding;           /* Item:Padding of the depth item (bytes written after it) */
} eb_dd;

/* The Dynamic Depth rdf:Description for a depth item of `depth_len` bytes
 * and a confidence item of `conf_len` bytes. */
static inline void eb_dd_desc(char *xmp, size_t n, size_t depth_len, size_t conf_len, const eb_dd *d) {
  snprintf(xmp, n,
           "<rdf:Description rdf:about=\"\" xmlns:Device=\"http://ns.google.com/photos/dd/1.0/device/\""
           " xmlns:Container=\"http://ns.google.com/photos/dd/1.0/container/\""
           " xmlns:Item=\"http://ns.google.com/photos/dd/1.0/item/\""
           " xmlns:Camera=\"http://ns.google.com/photos/dd/1.0/camera/\""
           " xmlns:DepthMap=\"http://ns.google.com/photos/dd/1.0/depthmap/\""
           " xmlns:Profile=\"http://ns.google.com/photos/dd/1.0/profile/\">"
           "<Device:Profiles><rdf:Seq><rdf:li rdf:parseType=\"Resource\"><Device:Profile"
           " Profile:Type=\"DepthPhoto\" Profile:CameraIndices=\"0\"/></rdf:li></rdf:Seq></Device:Profiles>"
           "<Device:Cameras><rdf:Seq><rdf:li rdf:parseType=\"Resource\"><Device:Camera rdf:parseType=\"Resource\">"
           "<Camera:Trait>Physical</Camera:Trait>"
           "<Camera:DepthMap rdf:parseType=\"Resource\"><DepthMap:Format>%s</DepthMap:Format>"
           "<DepthMap:Near>%g</DepthMap:Near><DepthMap:Far>%g</DepthMap:Far><DepthMap:Units>Meters</DepthMap:Units>"
           "<DepthMap:MeasureType>OpticalAxis</DepthMap:MeasureType>"
           "<DepthMap:DepthURI>android/depthmap</DepthMap:DepthURI>"
           "<DepthMap:ConfidenceURI>android/confidencemap</DepthMap:ConfidenceURI>"
           "</Camera:DepthMap></Device:Camera></rdf:li></rdf:Seq></Device:Cameras>"
           "<Device:Container><Container:Directory><rdf:Seq>"
           "<rdf:li rdf:parseType=\"Resource\"><Container:Item Item:Semantic=\"Primary\" Item:Mime=\"image/jpeg\"/></rdf:li>"
           "<rdf:li rdf:parseType=\"Resource\"><Container:Item Item:Semantic=\"Depth\" Item:Mime=\"image/png\""
           " Item:Length=\"%ld\" Item:Padding=\"%zu\" Item:DataURI=\"android/depthmap\"/></rdf:li>"
           "<rdf:li rdf:parseType=\"Resource\"><Container:Item Item:Semantic=\"Confidence\" Item:Mime=\"image/png\""
           " Item:Length=\"%zu\" Item:DataURI=\"android/confidencemap\"/></rdf:li>"
           "</rdf:Seq></Container:Directory></Device:Container></rdf:Description>",
           d->format, d->near_m, d->far_m, (long)depth_len + d->depth_length_delta, d->padding, conf_len);
}

/* The Dynamic Depth items appended after a primary image. */
static inline void eb_dd_items(const eb_buf *depth, const eb_buf *conf, const eb_dd *d, eb_buf *out) {
  eb_put(out, depth->p, depth->n);
  for (size_t i = 0; i < d->padding; i++) eb_put(out, "", 1);
  eb_put(out, conf->p, conf->n);
}

/* A Dynamic Depth JPEG: primary `photo_jpeg` with the container XMP, then
 * the depth item and the confidence item. */
static inline void eb_dd_jpeg(const eb_buf *photo_jpeg, const eb_buf *depth, const eb_buf *conf,
                              const eb_dd *d, eb_buf *out) {
  char desc[4096], xmp[4608];
  eb_dd_desc(desc, sizeof desc, depth->n, conf->n, d);
  snprintf(xmp, sizeof xmp, EB_XMP_HEAD "%s" EB_XMP_TAIL, desc);
  eb_buf seg = {0};
  eb_app1(&seg, "http://ns.adobe.com/xap/1.0/", xmp, strlen(xmp));
  eb_insert_after_soi(photo_jpeg, &seg, out);
  free(seg.p);
  eb_dd_items(depth, conf, d, out);
}

/* Write b to dir/name (the fuzzer's seeds). */
static inline void eb_save(const char *dir, const char *name, const eb_buf *b) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (f) {
    fwrite(b->p, 1, b->n, f);
    fclose(f);
  }
}

/* The dof-eval scene: photo (sRGB), true depth as stored in depth16.png
 * (linear: z = near + v (far - near)) and its metric range from
 * camera.json. */
static inline int eb_scene(dm_context *ctx, const char *scene, dm_image *photo, dm_image *lin,
                           double *near_m, double *far_m) {
  char path[1024];
  dm_decoded d;
  snprintf(path, sizeof path, "/work/shared/dof-eval/scenes/%s/aif.png", scene);
  if (dm_io_read(ctx, path, &d)) return 0;
  *photo = d.img;
  dm_metadata_free(&d.meta);
  snprintf(path, sizeof path, "/work/shared/dof-eval/scenes/%s/camera.json", scene);
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  char js[8192];
  size_t n = fread(js, 1, sizeof js - 1, f);
  fclose(f);
  js[n] = 0;
  const char *a = strstr(js, "\"depth16_near_m\":"), *b = strstr(js, "\"depth16_far_m\":");
  if (!a || !b) return 0;
  *near_m = strtod(a + 17, NULL);
  *far_m = strtod(b + 16, NULL);
  snprintf(path, sizeof path, "/work/shared/dof-eval/scenes/%s/depth16.png", scene);
  if (dm_io_read(ctx, path, &d)) return 0;
  *lin = d.img;
  dm_metadata_free(&d.meta);
  return lin->channels == 1;
}

/* near01 of a linear depth plane (a new plane, same size). */
static inline int eb_near01(dm_context *ctx, const dm_image *lin, double near_m, double far_m,
                            dm_image *out) {
  if (dm_image_alloc(ctx, out, lin->width, lin->height, 1)) return 0;
  for (int y = 0; y < lin->height; y++)
    for (int x = 0; x < lin->width; x++) {
      double z = near_m + dm_row(lin, y)[x] * (far_m - near_m);
      dm_row(out, y)[x] = (float)((1 / near_m - 1 / z) / (1 / near_m - 1 / far_m));
    }
  return 1;
}

/* The scene at w x h (photo by nearest sample, depth by area): small
 * files for the bad-input tests and the fuzzer's seeds. */
static inline int eb_small_scene(dm_context *ctx, const char *scene, int w, int h, dm_image *photo,
                                 dm_image *lin, double *near_m, double *far_m) {
  dm_image p, l;
  if (!eb_scene(ctx, scene, &p, &l, near_m, far_m)) return 0;
  int ok = !dm_image_alloc(ctx, lin, w, h, 1) && !dm_resize_plane(ctx, &l, lin, 1, "small") &&
           !dm_image_alloc(ctx, photo, w, h, 3);
  for (int y = 0; ok && y < h; y++)
    for (int x = 0; x < w; x++)
      memcpy(dm_px(photo, x, y), dm_px(&p, x * p.width / w, y * p.height / h), 3 * sizeof(float));
  dm_image_free(&p);
  dm_image_free(&l);
  return ok;
}

#endif
