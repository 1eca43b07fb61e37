/* A photo's XMP and IPTC-IIM carried into outputs (src/io/xmp_carry.c,
 * iptc.c and the format files):
 * - the XMP keeps dc:, photoshop:, Iptc4xmpCore:, lr:, tiff:/exif: capture
 *   fields, UTF-8 and escapes as they were, and loses every Camera Raw
 *   namespace, dm:, GDepth, the Extended XMP pointer and the source's
 *   layout (orientation, pixel size); carrying it again changes nothing;
 * - a packet of nothing but settings is dropped quietly; a malformed one,
 *   one with a DOCTYPE, or one that is not XMP is dropped with a warning,
 *   and the photo still decodes with the context's message untouched;
 * - IPTC blocks are kept byte for byte (padding dropped), found after other
 *   Photoshop resources, and refused when their datasets run past the end;
 * - JPEG (APP1 after the EXIF APP1, APP13), TIFF (tags 700, 33723), PNG
 *   (iTXt, compressed or not; no IPTC) and HEIC ('mime' item) read them,
 *   and XMP too large for one JPEG marker is left out of a JPEG only. */
#include <libheif/heif.h>
#include <png.h>
#include <string.h>

#include "heic_util.h"
#include "io_test_util.h"

#define XPACKET_HEAD "<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
#define XPACKET_TAIL "\n<?xpacket end=\"w\"?>"
#define RDF_OPEN                                                                           \
  "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\" x:xmptk=\"Adobe XMP Core 7.0\">\n"                \
  " <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"
#define RDF_CLOSE " </rdf:RDF>\n</x:xmpmeta>\n"

/* What a photo out of Lightroom, once through a phone's depth app, holds. */
static const char full_xmp[] =
    XPACKET_HEAD RDF_OPEN
    "  <rdf:Description rdf:about=\"\"\n"
    "    xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n"
    "    xmlns:photoshop=\"http://ns.adobe.com/photoshop/1.0/\"\n"
    "    xmlns:Iptc4xmpCore=\"http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/\"\n"
    "    xmlns:lr=\"http://ns.adobe.com/lightroom/1.0/\"\n"
    "    xmlns:tiff=\"http://ns.adobe.com/tiff/1.0/\"\n"
    "    xmlns:exif=\"http://ns.adobe.com/exif/1.0/\"\n"
    "    xmlns:xmpNote=\"http://ns.adobe.com/xmp/note/\"\n"
    "    xmlns:GDepth=\"http://ns.google.com/photos/1.0/depthmap/\"\n"
    "    xmlns:crs=\"http://ns.adobe.com/camera-raw-settings/1.0/\"\n"
    "    xmlns:crss=\"http://ns.adobe.com/camera-raw-saved-settings/1.0/\"\n"
    "    xmlns:dm=\"http://ns.depthmask.org/1.0/\"\n"
    "    photoshop:Headline=\"Rear Admiral &amp; pioneer\"\n"
    "    Iptc4xmpCore:Location=\"Arlington\"\n"
    "    tiff:Orientation=\"6\" tiff:Make=\"Canon\"\n"
    "    exif:PixelXDimension=\"6000\" exif:ExposureTime=\"1/125\"\n"
    "    xmpNote:HasExtendedXMP=\"0123456789ABCDEF0123456789ABCDEF\"\n"
    "    GDepth:Format=\"RangeInverse\"\n"
    "    crs:Version=\"15.0\" crs:Exposure2012=\"+1.00\" crs:HasSettings=\"True\"\n"
    "    dm:RecipeVersion=\"1\">\n"
    "   <dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">Grace Hopper, 1984 \xC3\xA9</rdf:li></rdf:Alt></dc:title>\n"
    "   <lr:hierarchicalSubject><rdf:Bag><rdf:li>People|Hopper</rdf:li></rdf:Bag></lr:hierarchicalSubject>\n"
    "   <Iptc4xmpCore:CreatorContactInfo rdf:parseType=\"Resource\">"
    "<Iptc4xmpCore:CiAdrCity>Arlington</Iptc4xmpCore:CiAdrCity></Iptc4xmpCore:CreatorContactInfo>\n"
    "   <crs:ToneCurvePV2012><rdf:Seq><rdf:li>0, 0</rdf:li><rdf:li>255, 255</rdf:li></rdf:Seq></crs:ToneCurvePV2012>\n"
    "   <crs:Snapshots><rdf:Seq><rdf:li rdf:parseType=\"Resource\"><crss:Name>Before</crss:Name>"
    "</rdf:li></rdf:Seq></crs:Snapshots>\n"
    "   <dm:Lens rdf:parseType=\"Resource\"><dm:Kind>depth</dm:Kind></dm:Lens>\n"
    "  </rdf:Description>\n"
    "  <rdf:Description rdf:about=\"\" xmlns:crs=\"http://ns.adobe.com/camera-raw-settings/1.0/\"\n"
    "    crs:WhiteBalance=\"As Shot\"/>\n"
    RDF_CLOSE "<?xpacket end=\"w\"?>";

/* Lightroom's "write settings to file" on a photo with no other XMP. */
static const char settings_only_xmp[] =
    RDF_OPEN
    "  <rdf:Description rdf:about=\"\" xmlns:crs=\"http://ns.adobe.com/camera-raw-settings/1.0/\"\n"
    "    xmlns:dm=\"http://ns.depthmask.org/1.0/\" crs:Exposure2012=\"+1.00\" dm:RecipeVersion=\"1\">\n"
    "   <crs:ToneCurvePV2012><rdf:Seq><rdf:li>0, 0</rdf:li></rdf:Seq></crs:ToneCurvePV2012>\n"
    "  </rdf:Description>\n" RDF_CLOSE;

/* IIM: 2:00 record version, 2:05 ObjectName, 2:80 By-line, and a 2:120
 * caption with an extended (2-byte) length. */
static const unsigned char iim[] = {
    0x1C, 2, 0,   0, 2,  0,   4,   0x1C, 2,   5,   0,   12,  'G', 'r', 'a', 'c',
    'e',  ' ', 'H', 'o', 'p', 'p', 'e',  'r', 0x1C, 2,   80,  0,   7,   'U', 'S',
    ' ',  'N', 'a', 'v', 'y', 0x1C, 2,   120, 0x80, 0x02, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o'};

typedef struct log_capture {
  int warnings;
  char last[1024];
} log_capture;

static void on_log(void *user, dm_log_level level, const char *msg) {
  log_capture *c = user;
  if (level < DM_LOG_WARN) return;
  c->warnings++;
  snprintf(c->last, sizeof c->last, "%s", msg);
}

static int count(const char *s, const char *needle) {
  int n = 0;
  for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle)) n++;
  return n;
}

/* A 96x96 crop of the photo: every encode here stays quick. */
static dm_image crop(dm_context *ctx, const dm_image *src) {
  dm_image c;
  if (dm_image_alloc(ctx, &c, 96, 96, 3)) exit(1);
  for (int y = 0; y < 96; y++) memcpy(dm_row(&c, y), dm_px(src, 200, 150 + y), 96 * 3 * sizeof(float));
  return c;
}

/* Write `img` with the given metadata and decode it again. */
static void round_trip(dm_context *ctx, const char *dir, const char *file, const dm_image *img,
                       const void *xmp, size_t xmp_len, const unsigned char *iptc, size_t iptc_len,
                       dm_decoded *out) {
  const char *path = iot_path(dir, file);
  dm_write_options wo = {.format = dm_format_from_extension(path), .bits = 8,
                         .xmp = xmp, .xmp_len = xmp_len, .iptc = iptc, .iptc_len = iptc_len};
  CHECK_OK(ctx, dm_io_write(ctx, path, img, &wo));
  CHECK_OK(ctx, dm_io_read(ctx, path, out));
}

static void check_filtered(const dm_metadata *m, const char *what) {
  const char *x = (const char *)m->xmp;
  if (!x) {
    fprintf(stderr, "%s: no XMP carried\n", what);
    dm_test_failures++;
    return;
  }
  CHECK(strlen(x) == m->xmp_len);
  CHECK(!strncmp(x, XPACKET_HEAD, strlen(XPACKET_HEAD)));
  CHECK(m->xmp_len > strlen(XPACKET_TAIL) && !strcmp(x + m->xmp_len - strlen(XPACKET_TAIL), XPACKET_TAIL));
  static const char *const kept[] = {
      "Grace Hopper, 1984 \xC3\xA9", "photoshop:Headline=\"Rear Admiral &amp; pioneer\"",
      "Iptc4xmpCore:Location=\"Arlington\"", "<Iptc4xmpCore:CiAdrCity>Arlington<",
      "<rdf:li>People|Hopper</rdf:li>", "tiff:Make=\"Canon\"", "exif:ExposureTime=\"1/125\"",
      "x:xmptk=\"Adobe XMP Core 7.0\"", "rdf:about=\"\""};
  static const char *const gone[] = {"camera-raw", "ns.depthmask.org", "crs:", "crss:", "dm:",
                                     "GDepth", "HasExtendedXMP", "Orientation", "PixelXDimension",
                                     "WhiteBalance"};
  for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
    if (!strstr(x, kept[i])) fprintf(stderr, "%s: lost %s\n", what, kept[i]), dm_test_failures++;
  for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++)
    if (strstr(x, gone[i])) fprintf(stderr, "%s: kept %s\n", what, gone[i]), dm_test_failures++;
  CHECK(count(x, "<rdf:Description") == 1); /* the settings-only one went */
}

static void test_xmp_filter(dm_context *ctx, const char *dir, const dm_image *img) {
  dm_decoded a, b;
  round_trip(ctx, dir, "full.jpg", img, full_xmp, strlen(full_xmp), NULL, 0, &a);
  check_filtered(&a.meta, "JPEG");
  /* Carried again: already clean, so the same bytes. */
  round_trip(ctx, dir, "again.jpg", &a.img, a.meta.xmp, a.meta.xmp_len, NULL, 0, &b);
  CHECK(b.meta.xmp && b.meta.xmp_len == a.meta.xmp_len && !memcmp(b.meta.xmp, a.meta.xmp, a.meta.xmp_len));
  dm_decoded_free(&b);
  /* TIFF and PNG make the same packet of it. */
  const char *files[] = {"full.tif", "full.png"};
  for (int i = 0; i < 2; i++) {
    round_trip(ctx, dir, files[i], img, full_xmp, strlen(full_xmp), NULL, 0, &b);
    check_filtered(&b.meta, files[i]);
    CHECK(b.meta.xmp && b.meta.xmp_len == a.meta.xmp_len && !memcmp(b.meta.xmp, a.meta.xmp, a.meta.xmp_len));
    dm_decoded_free(&b);
  }
  dm_decoded_free(&a);
}

/* Packets that are not carried: the photo decodes all the same. */
static void test_xmp_dropped(dm_context *ctx, const char *dir, const dm_image *img) {
  log_capture cap = {0};
  ctx->log = on_log;
  ctx->log_user = &cap;
  dm_decoded d;
  round_trip(ctx, dir, "settings.jpg", img, settings_only_xmp, strlen(settings_only_xmp), NULL, 0, &d);
  CHECK(!d.meta.xmp && d.img.width == 96 && cap.warnings == 0); /* nothing to say: it was all settings */
  dm_decoded_free(&d);

  char nul_inside[sizeof full_xmp];
  memcpy(nul_inside, full_xmp, sizeof full_xmp);
  nul_inside[200] = 0;
  const struct {
    const char *what, *xmp;
    size_t len;
  } bad[] = {
      {"truncated", full_xmp, 400},
      {"NUL inside", nul_inside, sizeof full_xmp - 1},
      {"DOCTYPE", "<!DOCTYPE x [<!ENTITY a \"aaaaaaaa\">]>" RDF_OPEN "&a;" RDF_CLOSE, 0},
      {"not XMP", "<html><body><p>hello</p></body></html>", 0},
      {"binary", "\x01\x02\x03\xff\xfe", 0},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    cap.warnings = 0;
    dm_fail(ctx, DM_ERR_PARAM, "earlier", "message");
    round_trip(ctx, dir, "bad.jpg", img, bad[i].xmp, bad[i].len ? bad[i].len : strlen(bad[i].xmp), NULL, 0, &d);
    if (d.meta.xmp || cap.warnings != 1 || !strstr(cap.last, "XMP") || d.img.width != 96) {
      fprintf(stderr, "%s packet: xmp %s, %d warnings (%s)\n", bad[i].what, d.meta.xmp ? "kept" : "dropped",
              cap.warnings, cap.last);
      dm_test_failures++;
    }
    CHECK(!strcmp(dm_context_error(ctx), "earlier: message")); /* a dropped packet is no error */
    dm_decoded_free(&d);
  }
  /* Padding after the packet (NULs, white space) is no reason to drop it. */
  char padded[sizeof full_xmp + 8];
  memcpy(padded, full_xmp, sizeof full_xmp - 1);
  memcpy(padded + sizeof full_xmp - 1, "\0\0\0  \n\0", 8);
  round_trip(ctx, dir, "padded.jpg", img, padded, sizeof padded, NULL, 0, &d);
  check_filtered(&d.meta, "padded");
  dm_decoded_free(&d);
  ctx->log = NULL;
  ctx->log_user = NULL;
}

static int same(const unsigned char *a, size_t a_len, const unsigned char *b, size_t b_len) {
  return a && b && a_len == b_len && !memcmp(a, b, a_len);
}

/* The JPEG `jpg` with an APPn marker holding `payload` put after SOI. */
static unsigned char *splice_app(const unsigned char *jpg, size_t len, int n, const unsigned char *payload,
                                 size_t payload_len, size_t *out_len) {
  size_t seg = 2 + payload_len;
  unsigned char *o = malloc(len + 2 + seg);
  memcpy(o, jpg, 2);
  o[2] = 0xff;
  o[3] = (unsigned char)(0xe0 + n);
  o[4] = (unsigned char)(seg >> 8);
  o[5] = (unsigned char)(seg & 0xff);
  memcpy(o + 6, payload, payload_len);
  memcpy(o + 6 + payload_len, jpg + 2, len - 2);
  *out_len = len + 2 + seg;
  return o;
}

static void test_iptc(dm_context *ctx, const char *dir, const dm_image *img) {
  const char *files[] = {"iptc.jpg", "iptc.tif", "iptc.png"};
  for (int i = 0; i < 3; i++) {
    dm_decoded d;
    round_trip(ctx, dir, files[i], img, NULL, 0, iim, sizeof iim, &d);
    if (i < 2) CHECK(same(d.meta.iptc, d.meta.iptc_len, iim, sizeof iim));
    else CHECK(!d.meta.iptc); /* PNG has no place for it */
    dm_decoded_free(&d);
  }
  log_capture cap = {0};
  ctx->log = on_log;
  ctx->log_user = &cap;
  /* Zero padding (TIFF writers pad to whole LONGs) is dropped; datasets
   * running past the end, or bytes that are not datasets, drop the block. */
  unsigned char padded[sizeof iim + 3] = {0};
  memcpy(padded, iim, sizeof iim);
  unsigned char past[sizeof iim];
  memcpy(past, iim, sizeof iim);
  past[sizeof iim - 6] = 0x06; /* the caption's length: 6, one more than there is */
  unsigned char record0[sizeof iim];
  memcpy(record0, iim, sizeof iim);
  record0[8] = 0; /* 2:05 claims record 0 */
  const struct {
    const unsigned char *b;
    size_t len;
    int kept;
  } cases[] = {{padded, sizeof padded, 1}, {past, sizeof past, 0}, {record0, sizeof record0, 0},
               {(const unsigned char *)"\x1D\x02\x05\x00\x01x", 6, 0}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cap.warnings = 0;
    dm_decoded d;
    round_trip(ctx, dir, "iptc_case.tif", img, NULL, 0, cases[i].b, cases[i].len, &d);
    if (cases[i].kept) CHECK(same(d.meta.iptc, d.meta.iptc_len, iim, sizeof iim) && !cap.warnings);
    else CHECK(!d.meta.iptc && cap.warnings == 1 && d.img.width == 96);
    dm_decoded_free(&d);
  }
  ctx->log = NULL;
  ctx->log_user = NULL;

  /* Photoshop's resources before the IPTC one: 0x03ED with a 3-letter name
   * (even with its length byte) and 5 bytes of data (padded to 6). */
  unsigned char app13[256];
  size_t n = 0;
  memcpy(app13, "Photoshop 3.0\0" "8BIM\x03\xED\x03" "abc" "\0\0\0\x05" "12345\0", 34);
  n = 34;
  memcpy(app13 + n, "8BIM\x04\x04\0\0\0\0\0", 11);
  app13[n + 11] = (unsigned char)sizeof iim;
  n += 12;
  memcpy(app13 + n, iim, sizeof iim);
  n += sizeof iim;
  const char *plain = iot_path(dir, "plain.jpg");
  dm_write_options wo = {.format = DM_FMT_JPEG, .bits = 8};
  CHECK_OK(ctx, dm_io_write(ctx, plain, img, &wo));
  size_t jlen = 0, slen = 0;
  unsigned char *jpg = iot_slurp(ctx, plain, &jlen);
  for (int cut = 0; cut < 2; cut++) {
    /* cut: the IPTC resource claims more bytes than the marker has. */
    unsigned char *s = splice_app(jpg, jlen, 13, app13, cut ? n - 3 : n, &slen);
    dm_decoded d;
    CHECK_OK(ctx, dm_io_read_mem(ctx, s, slen, "app13.jpg", &d));
    if (cut) CHECK(!d.meta.iptc && d.img.width == 96);
    else CHECK(same(d.meta.iptc, d.meta.iptc_len, iim, sizeof iim));
    dm_decoded_free(&d);
    free(s);
  }
  free(jpg);
}

/* JPEG markers in order: EXIF APP1, XMP APP1, then APP13; an XMP over one
 * marker's 64 KB is left out of JPEG (with a warning) but kept in TIFF. */
static void test_jpeg_layout(dm_context *ctx, const char *dir, const dm_image *img) {
  size_t exif_len = 0;
  unsigned char *exif = iot_make_exif(1, 96, 96, &exif_len);
  const char *path = iot_path(dir, "layout.jpg");
  dm_write_options wo = {.format = DM_FMT_JPEG, .bits = 8, .exif = exif, .exif_len = exif_len,
                         .xmp = (const unsigned char *)full_xmp, .xmp_len = strlen(full_xmp),
                         .iptc = iim, .iptc_len = sizeof iim};
  CHECK_OK(ctx, dm_io_write(ctx, path, img, &wo));
  size_t len = 0;
  unsigned char *j = iot_slurp(ctx, path, &len);
  char order[64] = "";
  for (size_t p = 2; p + 4 <= len && j[p] == 0xFF && j[p + 1] != 0xDA;) {
    size_t seg = (size_t)j[p + 2] << 8 | j[p + 3];
    const char *what = j[p + 1] == 0xE1 && !memcmp(j + p + 4, "Exif", 4) ? "E"
                       : j[p + 1] == 0xE1 && !memcmp(j + p + 4, "http://ns.adobe.com/xap/1.0/", 29) ? "X"
                       : j[p + 1] == 0xED && !memcmp(j + p + 4, "Photoshop 3.0", 14) ? "I"
                       : "";
    strncat(order, what, sizeof order - strlen(order) - 1);
    p += 2 + seg;
  }
  if (strcmp(order, "EXI")) fprintf(stderr, "JPEG metadata markers: %s, want EXI\n", order), dm_test_failures++;
  free(j);
  free(exif);

  /* Over 64 KB: a long description. */
  size_t big_len = 70000;
  char *big = malloc(big_len + 1024);
  int k = snprintf(big, 1024, "%s<rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"
                   "<dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">", RDF_OPEN);
  memset(big + k, 'a', big_len);
  snprintf(big + k + big_len, 1024 - (size_t)k, "</rdf:li></rdf:Alt></dc:description></rdf:Description>%s", RDF_CLOSE);
  log_capture cap = {0};
  ctx->log = on_log;
  ctx->log_user = &cap;
  dm_decoded d;
  round_trip(ctx, dir, "big.jpg", img, big, strlen(big), iim, sizeof iim, &d);
  CHECK(!d.meta.xmp && same(d.meta.iptc, d.meta.iptc_len, iim, sizeof iim) && d.img.width == 96);
  CHECK(cap.warnings == 1 && strstr(cap.last, "XMP") && strstr(cap.last, "too large for JPEG"));
  dm_decoded_free(&d);
  round_trip(ctx, dir, "big.tif", img, big, strlen(big), NULL, 0, &d);
  CHECK(d.meta.xmp && d.meta.xmp_len > big_len && strstr((const char *)d.meta.xmp, "aaaa</rdf:li>"));
  dm_decoded_free(&d);
  ctx->log = NULL;
  ctx->log_user = NULL;
  free(big);
}

/* A PNG with its XMP in a compressed iTXt chunk, written by libpng. */
static void test_png_compressed(dm_context *ctx, const char *dir) {
  const char *path = iot_path(dir, "ztxt.png");
  FILE *f = fopen(path, "wb");
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png_create_info_struct(png);
  if (!f || !png || !info || setjmp(png_jmpbuf(png))) {
    fprintf(stderr, "cannot write %s\n", path);
    exit(1);
  }
  png_init_io(png, f);
  png_set_IHDR(png, info, 8, 8, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_text t = {.compression = PNG_ITXT_COMPRESSION_zTXt, .key = "XML:com.adobe.xmp", .text = (char *)full_xmp};
  png_set_text(png, info, &t, 1);
  png_write_info(png, info);
  png_byte row[8] = {0, 32, 64, 96, 128, 160, 192, 255};
  for (int y = 0; y < 8; y++) png_write_row(png, row);
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  fclose(f);
  dm_decoded d;
  CHECK_OK(ctx, dm_io_read(ctx, path, &d));
  check_filtered(&d.meta, "compressed iTXt");
  dm_decoded_free(&d);
}

/* A HEIC with an XMP item, made with libheif's own encoder. */
static void test_heic(dm_context *ctx, const char *dir, const dm_image *img) {
  const char *path = iot_path(dir, "xmp.heic");
  struct heif_context *hc = heif_context_alloc();
  struct heif_encoder *enc = NULL;
  struct heif_error e = heif_context_get_encoder_for_format(hc, heif_compression_HEVC, &enc);
  struct heif_image *hi = NULL;
  struct heif_image_handle *h = NULL;
  if (!e.code) {
    heif_encoder_set_parameter_string(enc, "preset", "ultrafast");
    heif_image_create(img->width, img->height, heif_colorspace_RGB, heif_chroma_interleaved_RGB, &hi);
    heif_image_add_plane(hi, heif_channel_interleaved, img->width, img->height, 8);
    int stride;
    uint8_t *p = heif_image_get_plane(hi, heif_channel_interleaved, &stride);
    for (int y = 0; y < img->height; y++)
      for (int i = 0; i < img->width * 3; i++) p[(size_t)y * (size_t)stride + (size_t)i] = dm_to_u8(dm_row(img, y)[i]);
    e = heif_context_encode_image(hc, hi, enc, NULL, &h);
  }
  if (!e.code) e = heif_context_add_XMP_metadata(hc, h, full_xmp, (int)strlen(full_xmp));
  if (!e.code) e = heif_context_write_to_file(hc, path);
  CHECK(!e.code);
  if (h) heif_image_handle_release(h);
  if (hi) heif_image_release(hi);
  if (enc) heif_encoder_release(enc);
  heif_context_free(hc);
  dm_decoded d;
  CHECK_OK(ctx, dm_io_read(ctx, path, &d));
  check_filtered(&d.meta, "HEIC");
  dm_decoded_free(&d);
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  const char *dir = dm_test_tmpdir("io_metadata_carry");
  dm_decoded photo;
  CHECK_OK(ctx, dm_io_read(ctx, dm_test_photo("grace_hopper"), &photo));
  CHECK(!photo.meta.xmp && !photo.meta.iptc); /* the photo has none of its own */
  dm_image img = crop(ctx, &photo.img);
  test_xmp_filter(ctx, dir, &img);
  test_xmp_dropped(ctx, dir, &img);
  test_iptc(ctx, dir, &img);
  test_jpeg_layout(ctx, dir, &img);
  test_png_compressed(ctx, dir);
  test_heic(ctx, dir, &img);
  dm_image_free(&img);
  dm_decoded_free(&photo);
  dm_context_free(ctx);
  return dm_test_done("io/test_metadata_carry");
}
