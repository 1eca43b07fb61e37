/* Broken embedded depth in JPEG: every failure class gives an unusable
 * item with a clear problem, a warning, no failed call, and the next
 * source is tried. Files are small versions of a real photo and its true
 * depth (dof-eval scene), built as in test_embedded_jpeg.c and then broken
 * one way each. */
#include <string.h>

#include "depth/embedded.h"
#include "dm_test.h"
#include "embed_build.h"

#define SCENE "dev3_chelsea_on_gravel_0.5to15m"

static int warnings;
static void count_warn(void *user, dm_log_level level, const char *msg) {
  (void)user;
  if (level == DM_LOG_WARN) warnings++;
}

typedef struct fixture {
  dm_image photo, lin, near01;
  double zn, zf;
  eb_buf jpeg, png, conf;
} fixture;

/* Scan `f`: expect `n` items, item `i` unusable with `needle` in its
 * problem, a warning, and no depth found when `no_depth`. */
static void expect(dm_context *ctx, const char *what, const eb_buf *f, int n, int i,
                   const char *needle, int no_depth) {
  dm_embedded_list list;
  warnings = 0;
  snprintf(ctx->error, sizeof ctx->error, "sentinel");
  CHECK_OK(ctx, dm_embedded_scan(ctx, f->p, f->n, what, &list));
  CHECK(!strcmp(ctx->error, "sentinel")); /* item problems are not the call's error */
  if (list.n != n) fprintf(stderr, "%s: %d items, expected %d\n", what, list.n, n);
  CHECK(list.n == n);
  if (i >= 0 && i < list.n) {
    printf("%-28s -> %s\n", what, list.items[i].problem);
    CHECK(!list.items[i].usable);
    if (!strstr(list.items[i].problem, needle))
      fprintf(stderr, "%s: problem \"%s\" lacks \"%s\"\n", what, list.items[i].problem, needle);
    CHECK(strstr(list.items[i].problem, needle) != NULL);
  }
  CHECK(warnings >= 1);
  dm_depth d;
  int found = -1;
  CHECK_OK(ctx, dm_embedded_depth(ctx, f->p, f->n, what, 1, 48, 32, &d, &found, NULL, 0));
  if (no_depth) CHECK(found == 0);
  dm_depth_free(&d);
}

static void gdepth(const fixture *fx, eb_gdepth g, eb_buf *out) {
  if (!g.format) g.format = "RangeLinear";
  if (!g.near_m) g.near_m = fx->zn;
  if (!g.far_m) g.far_m = fx->zf;
  if (!g.chunk) g.chunk = 3000;
  eb_gdepth_jpeg(&fx->jpeg, &fx->png, "image/png", &g, out);
}

static void test_gdepth(dm_context *ctx, const fixture *fx) {
  eb_buf f;
  gdepth(fx, (eb_gdepth){.guid = "0123456789ABCDEF0123456789ABCDEF"}, &f);
  expect(ctx, "GDepth wrong GUID", &f, 1, 0, "GUID", 1);
  free(f.p);
  gdepth(fx, (eb_gdepth){.drop_chunk = 2}, &f);
  expect(ctx, "GDepth chunk missing", &f, 1, 0, "missing", 1);
  free(f.p);
  int count = (int)((4 * fx->png.n / 3 + 700) / 3000) + 1, order[64];
  for (int i = 0; i < count && i < 64; i++) order[i] = i == 1 ? 0 : i; /* chunk 0 twice, 1 lost */
  gdepth(fx, (eb_gdepth){.order = order}, &f);
  expect(ctx, "GDepth chunks overlap", &f, 1, 0, "overlap", 1);
  free(f.p);
  /* The last chunk lost: the data is cut short. */
  gdepth(fx, (eb_gdepth){.drop_chunk = count}, &f);
  expect(ctx, "GDepth last chunk lost", &f, 1, 0, "lost", 1);
  free(f.p);
  gdepth(fx, (eb_gdepth){.b64 = "iVBORw0KGgo!!!!AAAANSUhEUgAAAtAAAAPACAYAAAA"}, &f);
  expect(ctx, "GDepth base64 garbage", &f, 1, 0, "alphabet", 1);
  free(f.p);
  gdepth(fx, (eb_gdepth){.b64 = "iVBORw0KGgoAAAANSUhEUg=AAAtAAAA"}, &f);
  expect(ctx, "GDepth base64 bad padding", &f, 1, 0, "padding", 1);
  free(f.p);
  /* A PNG cut in half, in valid base64. */
  eb_buf half = {fx->png.p, fx->png.n / 2 / 3 * 3, 0};
  char *b64 = eb_base64(half.p, half.n);
  gdepth(fx, (eb_gdepth){.b64 = b64}, &f);
  expect(ctx, "GDepth truncated PNG", &f, 1, 0, "does not decode", 1);
  free(f.p);
  free(b64);
  b64 = eb_base64((const unsigned char *)"not an image at all", 19);
  gdepth(fx, (eb_gdepth){.b64 = b64}, &f);
  expect(ctx, "GDepth data not an image", &f, 1, 0, "does not decode", 1);
  free(f.p);
  free(b64);
  gdepth(fx, (eb_gdepth){.format = "RangeCubic"}, &f);
  expect(ctx, "GDepth unknown format", &f, 1, 0, "neither", 1);
  free(f.p);
  gdepth(fx, (eb_gdepth){.near_m = 5, .far_m = 2}, &f);
  expect(ctx, "GDepth near > far", &f, 1, 0, "0 < Near < Far", 1);
  free(f.p);
}

static void dd(const fixture *fx, eb_dd d, eb_buf *out) {
  d.format = d.format ? d.format : "RangeInverse";
  d.near_m = fx->zn;
  d.far_m = fx->zf;
  eb_dd_jpeg(&fx->jpeg, &fx->png, &fx->conf, &d, out);
}

static void test_dd(dm_context *ctx, fixture *fx) {
  eb_buf f;
  dd(fx, (eb_dd){.depth_length_delta = 100000}, &f);
  expect(ctx, "DD Item:Length too long", &f, 2, 0, "runs past the end", 1);
  free(f.p);
  dd(fx, (eb_dd){.depth_length_delta = -100}, &f);
  expect(ctx, "DD Item:Length too short", &f, 2, 0, "does not decode", 1);
  expect(ctx, "DD ... confidence after it", &f, 2, 1, "not image/png", 1);
  free(f.p);
  dd(fx, (eb_dd){.format = "Diopters"}, &f);
  expect(ctx, "DD unknown format", &f, 2, 0, "neither", 1);
  free(f.p);
  /* The depth item cut off the end of the file. */
  dd(fx, (eb_dd){0}, &f);
  f.n -= fx->conf.n + 10;
  expect(ctx, "DD file cut short", &f, 2, 0, "past the end", 1);
  free(f.p);
}

/* Dynamic Depth broken, GDepth fine in the same file: GDepth is used. */
static void test_fallback(dm_context *ctx, fixture *fx) {
  char desc[4096];
  eb_dd d = {.format = "RangeInverse", .near_m = fx->zn, .far_m = fx->zf, .depth_length_delta = -50};
  eb_dd_desc(desc, sizeof desc, fx->png.n, fx->conf.n, &d);
  eb_buf f;
  gdepth(fx, (eb_gdepth){.extra = desc}, &f);
  eb_dd_items(&fx->png, &fx->conf, &d, &f);
  dm_depth out;
  int found = 0;
  char used[256];
  warnings = 0;
  CHECK_OK(ctx, dm_embedded_depth(ctx, f.p, f.n, "both.jpg", 1, fx->lin.width, fx->lin.height, &out,
                                  &found, used, sizeof used));
  CHECK(found && strstr(used, "GDepth") && warnings >= 1);
  printf("fallback: used %s\n", used);
  if (found) CHECK_NEAR(out.z_far_m, fx->zf, 1e-5);
  dm_depth_free(&out);
  /* Another shape than the photo: stretched, with a warning. */
  warnings = 0;
  CHECK_OK(ctx, dm_embedded_depth(ctx, f.p, f.n, "both.jpg", 1, 60, 60, &out, &found, NULL, 0));
  CHECK(found && warnings >= 2 && out.near01.width == 60);
  dm_depth_free(&out);
  /* Cut short anywhere, or a byte flipped: never a failure. */
  dm_embedded_list list;
  for (size_t cut = 0; cut < f.n; cut += f.n / 61 + 1) {
    CHECK_OK(ctx, dm_embedded_scan(ctx, f.p, cut, "cut.jpg", &list));
    CHECK_OK(ctx, dm_embedded_depth(ctx, f.p, cut, "cut.jpg", 3, 24, 16, &out, &found, NULL, 0));
    dm_depth_free(&out);
  }
  for (size_t at = 0; at < f.n; at += f.n / 97 + 1) {
    f.p[at] ^= 0x5A;
    CHECK_OK(ctx, dm_embedded_depth(ctx, f.p, f.n, "flip.jpg", 1, 24, 16, &out, &found, NULL, 0));
    dm_depth_free(&out);
    f.p[at] ^= 0x5A;
  }
  free(f.p);
}

/* XMP that is not what it should be. */
static void test_xmp(dm_context *ctx, fixture *fx) {
  static const char *const bad[] = {
      "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF", /* not well-formed */
      "<!DOCTYPE x [<!ENTITY a \"aaaa\">]><x:xmpmeta xmlns:x=\"adobe:ns:meta/\">&a;</x:xmpmeta>",
      EB_XMP_HEAD "<rdf:Description xmlns:GDepth=\"http://ns.google.com/photos/1.0/depthmap/\""
                  " GDepth:Format=\"RangeLinear\" GDepth:Near=\"near\" GDepth:Far=\"3\" GDepth:Data=\"AAAA\"/>" EB_XMP_TAIL,
      EB_XMP_HEAD "<rdf:Description xmlns:GDepth=\"http://ns.google.com/photos/1.0/depthmap/\">"
                  "<GDepth:Format><rdf:Bag><rdf:li>RangeLinear</rdf:li></rdf:Bag></GDepth:Format>"
                  "<GDepth:Near>1</GDepth:Near><GDepth:Far>2</GDepth:Far></rdf:Description>" EB_XMP_TAIL,
      EB_XMP_HEAD "<rdf:Description xmlns:xmpNote=\"http://ns.adobe.com/xmp/note/\""
                  " xmpNote:HasExtendedXMP=\"ABC\"/>" EB_XMP_TAIL,
      EB_XMP_HEAD "<rdf:Description xmlns:Device=\"http://ns.google.com/photos/dd/1.0/device/\">"
                  "<Device:Container/></rdf:Description>" EB_XMP_TAIL,
  };
  static const char *const needle[] = {NULL, NULL, "not numbers", "missing or not a single value",
                                      "GUID", "no item"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    eb_buf seg = {0}, f;
    eb_app1(&seg, "http://ns.adobe.com/xap/1.0/", bad[i], strlen(bad[i]));
    eb_insert_after_soi(&fx->jpeg, &seg, &f);
    char what[32];
    snprintf(what, sizeof what, "bad XMP %zu", i);
    expect(ctx, what, &f, needle[i] ? 1 : 0, needle[i] ? 0 : -1, needle[i], 1);
    free(seg.p);
    free(f.p);
  }
  /* Nothing embedded, or not a picture at all: no items, no warning. */
  dm_embedded_list list;
  warnings = 0;
  CHECK_OK(ctx, dm_embedded_scan(ctx, fx->jpeg.p, fx->jpeg.n, "plain.jpg", &list));
  CHECK(list.n == 0 && warnings == 0);
  CHECK_OK(ctx, dm_embedded_scan(ctx, (const unsigned char *)"GIF89a", 6, "x.gif", &list));
  CHECK(list.n == 0);
  CHECK_OK(ctx, dm_embedded_scan(ctx, NULL, 0, "empty", &list));
  CHECK(list.n == 0);
}

int main(void) {
  dm_context *ctx = dm_context_new(1);
  ctx->log = count_warn;
  fixture fx;
  CHECK(eb_small_scene(ctx, SCENE, 96, 64, &fx.photo, &fx.lin, &fx.zn, &fx.zf));
  CHECK(eb_near01(ctx, &fx.lin, fx.zn, fx.zf, &fx.near01));
  CHECK(eb_jpeg(ctx, &fx.photo, 80, &fx.jpeg));
  CHECK(eb_png(&fx.lin, 16, 0, &fx.png));
  CHECK(eb_png(&fx.near01, 8, 6, &fx.conf));
  test_gdepth(ctx, &fx);
  test_dd(ctx, &fx);
  test_fallback(ctx, &fx);
  test_xmp(ctx, &fx);
  dm_image_free(&fx.photo);
  dm_image_free(&fx.lin);
  dm_image_free(&fx.near01);
  free(fx.jpeg.p);
  free(fx.png.p);
  free(fx.conf.p);
  dm_context_free(ctx);
  return dm_test_done("depth/embedded_bad");
}
