/* Embedded depth and mattes in HEIC: a real photograph with its true depth
 * as an auxiliary depth image (disparity, with Apple's apdi XMP) and its
 * true subject mask as Apple's portrait effects matte, built with x265 and
 * box edits (embed_heic.h), read back through libheif. HEVC is lossy, so
 * the check is a small mean error and preserved depth order. `--write-seeds
 * DIR` writes small files of every kind built here into DIR, for
 * fuzz_heic_aux. */
#include <string.h>
#include <sys/stat.h>

#include "depth/embedded.h"
#include "dm_test.h"
#include "embed_heic.h"
#include "io/io.h"

#define SCENE "dev1_chelsea_1.2m_bg5m_lights"
#define PORTRAIT "urn:com:apple:photo:2018:aux:portraiteffectsmatte"

static int warnings;
static void count_warn(void *user, dm_log_level level, const char *msg) {
  (void)user;
  if (level == DM_LOG_WARN) {
    warnings++;
    fprintf(stderr, "  warning: %s\n", msg);
  }
}

/* Pairs of pixels whose true depths differ clearly keep their order. */
static int order_kept(const dm_image *got, const dm_image *truth) {
  int bad = 0, pairs = 0;
  for (long long i = 0; i < 4000; i++) {
    int x1 = (int)(i * 7919 % got->width), y1 = (int)(i * 104729 % got->height);
    int x2 = (int)(i * 1299709 % got->width), y2 = (int)(i * 15485863 % got->height);
    float t1 = dm_row(truth, y1)[x1], t2 = dm_row(truth, y2)[x2];
    if (fabsf(t1 - t2) < 0.1f) continue;
    pairs++;
    bad += (t1 < t2) != (dm_row(got, y1)[x1] < dm_row(got, y2)[x2]);
  }
  return pairs > 100 && bad <= pairs / 100;
}

static void test_apple_style(dm_context *ctx) {
  dm_image photo, lin, near01, disp;
  double zn, zf;
  CHECK(eb_scene(ctx, SCENE, &photo, &lin, &zn, &zf));
  CHECK(eb_near01(ctx, &lin, zn, zf, &near01));
  CHECK_OK(ctx, dm_image_alloc(ctx, &disp, near01.width, near01.height, 1));
  for (int y = 0; y < disp.height; y++)
    for (int x = 0; x < disp.width; x++) dm_row(&disp, y)[x] = 1.0f - dm_row(&near01, y)[x];
  dm_decoded mask;
  CHECK_OK(ctx, dm_io_read(ctx, "/work/shared/dof-eval/scenes/" SCENE "/mask_gt.png", &mask));
  char xmp[1024];
  snprintf(xmp, sizeof xmp,
           "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">"
           "<rdf:Description rdf:about=\"\" xmlns:apdi=\"http://ns.apple.com/pixeldatainfo/1.0/\">"
           "<apdi:AuxiliaryImageType>disparity</apdi:AuxiliaryImageType>"
           "<apdi:NativeFormat>1751411059</apdi:NativeFormat>"
           "<apdi:FloatMinValue>%.9g</apdi:FloatMinValue><apdi:FloatMaxValue>%.9g</apdi:FloatMaxValue>"
           "</rdf:Description></rdf:RDF></x:xmpmeta>",
           1.0 / zf, 1.0 / zn);
  eh_aux aux[2] = {{&disp, "urn:mpeg:hevc:2015:auxid:2", xmp}, {&mask.img, PORTRAIT, NULL}};
  uint32_t ids[2] = {0, 0};
  eb_buf file;
  CHECK(eh_build(&photo, aux, 2, 92, &file, ids));

  dm_embedded_list list;
  CHECK_OK(ctx, dm_embedded_scan(ctx, file.p, file.n, "apple.heic", &list));
  CHECK(list.n == 2);
  for (int i = 0; i < list.n; i++)
    printf("item %d: %s %s \"%s\" %s %dx%d %d-bit near %g far %g usable %d %s\n", i,
           dm_embedded_container_name(list.items[i].container), dm_embedded_kind_name(list.items[i].kind),
           list.items[i].type, list.items[i].encoding, list.items[i].width, list.items[i].height,
           list.items[i].bits, (double)list.items[i].near_m, (double)list.items[i].far_m,
           list.items[i].usable, list.items[i].problem);
  if (list.n == 2) {
    CHECK(list.items[0].kind == DM_EMB_DEPTH && list.items[0].usable);
    CHECK(!strcmp(list.items[0].encoding, "apdi disparity"));
    CHECK_NEAR(list.items[0].near_m, zn, 1e-4);
    CHECK_NEAR(list.items[0].far_m, zf, 1e-3);
    CHECK(list.items[1].kind == DM_EMB_MATTE_PORTRAIT && list.items[1].usable);
    CHECK(list.items[1].width == mask.img.width && list.items[1].bits == 8);
  }
  dm_depth d;
  int found = 0;
  char desc[256];
  CHECK_OK(ctx, dm_embedded_depth(ctx, file.p, file.n, "apple.heic", 1, near01.width, near01.height,
                                  &d, &found, desc, sizeof desc));
  CHECK(found);
  if (found) {
    double mean, mx;
    dm_test_image_diff(&d.near01, &near01, &mean, &mx);
    printf("HEIC depth (%s): mean |near01 - true| = %.4f (%.2f/255), max %.3f\n", desc, mean,
           mean * 255, mx);
    CHECK(mean < 2.0 / 255);
    CHECK(order_kept(&d.near01, &near01));
    CHECK_NEAR(d.z_near_m, zn, 1e-4);
    CHECK_NEAR(d.z_far_m, zf, 1e-3);
  }
  dm_depth_free(&d);
  dm_image m;
  CHECK_OK(ctx, dm_embedded_matte(ctx, file.p, file.n, "apple.heic", 1, mask.img.width,
                                  mask.img.height, &m, &found, desc, sizeof desc));
  CHECK(found);
  if (found) {
    double mean, mx;
    dm_test_image_diff(&m, &mask.img, &mean, &mx);
    printf("HEIC portrait matte (%s): mean |matte - true| = %.4f (%.2f/255)\n", desc, mean, mean * 255);
    CHECK(mean < 2.0 / 255);
  }
  dm_image_free(&m);

  /* The depth's coded data broken: listed unusable with the reason, the
   * matte still read, no depth found, warnings logged. */
  size_t off = 0, len = 0;
  CHECK(eh_extent(&file, ids[0], &off, &len));
  if (off + 16 < file.n && len > 16) eh_set32(file.p + off, 0xFFFFFF00u); /* the first NAL's length */
  warnings = 0;
  CHECK_OK(ctx, dm_embedded_scan(ctx, file.p, file.n, "broken.heic", &list));
  CHECK(list.n == 2 && !list.items[0].usable && list.items[0].problem[0] && list.items[1].usable);
  if (list.n >= 1) printf("broken depth: %s\n", list.items[0].problem);
  CHECK(warnings >= 1);
  CHECK_OK(ctx, dm_embedded_depth(ctx, file.p, file.n, "broken.heic", 1, 96, 64, &d, &found, NULL, 0));
  CHECK(!found);
  dm_depth_free(&d);
  /* Cut short anywhere: never a failure. */
  for (size_t cut = 0; cut < file.n; cut += file.n / 23 + 1) {
    CHECK_OK(ctx, dm_embedded_scan(ctx, file.p, cut, "cut.heic", &list));
    CHECK_OK(ctx, dm_embedded_depth(ctx, file.p, cut, "cut.heic", 1, 32, 24, &d, &found, NULL, 0));
    dm_depth_free(&d);
  }
  free(file.p);
  dm_image_free(&photo);
  dm_image_free(&lin);
  dm_image_free(&near01);
  dm_image_free(&disp);
  dm_decoded_free(&mask);
}

/* No metadata on the depth (disparity assumed), a hair matte and an aux
 * image of a type we do not use. */
static void test_plain(dm_context *ctx) {
  dm_image photo, lin, near01, disp;
  double zn, zf;
  CHECK(eb_scene(ctx, "dev3_chelsea_on_gravel_0.5to15m", &photo, &lin, &zn, &zf));
  CHECK(eb_near01(ctx, &lin, zn, zf, &near01));
  CHECK_OK(ctx, dm_image_alloc(ctx, &disp, near01.width, near01.height, 1));
  for (int y = 0; y < disp.height; y++)
    for (int x = 0; x < disp.width; x++) dm_row(&disp, y)[x] = 1.0f - dm_row(&near01, y)[x];
  eh_aux aux[3] = {{&disp, "urn:mpeg:hevc:2015:auxid:2", NULL},
                   {&near01, "urn:com:apple:photo:2019:aux:semantichairmatte", NULL},
                   {&near01, "urn:example:aux:gainmap", NULL}};
  uint32_t ids[3];
  eb_buf file;
  CHECK(eh_build(&photo, aux, 3, 90, &file, ids));
  dm_embedded_list list;
  CHECK_OK(ctx, dm_embedded_scan(ctx, file.p, file.n, "plain.heic", &list));
  CHECK(list.n == 3);
  if (list.n == 3) {
    CHECK(list.items[0].kind == DM_EMB_DEPTH && list.items[0].usable && list.items[0].near_m == 0);
    CHECK(!strcmp(list.items[0].encoding, "disparity (assumed)"));
    CHECK(list.items[1].kind == DM_EMB_MATTE_HAIR && list.items[1].usable);
    CHECK(list.items[2].kind == DM_EMB_OTHER && !list.items[2].usable);
    CHECK(!strcmp(list.items[2].type, "urn:example:aux:gainmap"));
  }
  dm_depth d;
  int found = 0;
  CHECK_OK(ctx, dm_embedded_depth(ctx, file.p, file.n, "plain.heic", 1, near01.width, near01.height,
                                  &d, &found, NULL, 0));
  CHECK(found && d.z_near_m == 0 && d.z_far_m == 0);
  if (found) {
    double mean, mx;
    dm_test_image_diff(&d.near01, &near01, &mean, &mx);
    printf("HEIC depth without metadata: mean |near01 - true| = %.4f\n", mean);
    CHECK(mean < 2.0 / 255);
    CHECK(order_kept(&d.near01, &near01));
  }
  dm_depth_free(&d);
  /* No portrait matte in this file. */
  dm_image m;
  CHECK_OK(ctx, dm_embedded_matte(ctx, file.p, file.n, "plain.heic", 1, 64, 48, &m, &found, NULL, 0));
  CHECK(!found);
  dm_image_free(&m);
  free(file.p);
  dm_image_free(&photo);
  dm_image_free(&lin);
  dm_image_free(&near01);
  dm_image_free(&disp);
}

/* Small files (a 96 px photo with 96 px aux images) for fuzz_heic_aux's
 * seeds: apdi disparity with its range and a portrait matte; apdi depth
 * (metric Z) with skin and teeth mattes; depth without metadata, a hair
 * matte and an aux type we do not use; the AVIF depth URN. */
static int write_seeds(dm_context *ctx, const char *dir) {
  mkdir(dir, 0777);
  dm_image photo, lin, near01, disp;
  double zn, zf;
  if (!eb_small_scene(ctx, SCENE, 96, 64, &photo, &lin, &zn, &zf) || !eb_near01(ctx, &lin, zn, zf, &near01) ||
      dm_image_alloc(ctx, &disp, 96, 64, 1))
    return 1;
  for (int y = 0; y < disp.height; y++)
    for (int x = 0; x < disp.width; x++) dm_row(&disp, y)[x] = 1.0f - dm_row(&near01, y)[x];
  char disparity[1024], depth[1024];
  static const char apdi[] =
      "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">"
      "<rdf:Description rdf:about=\"\" xmlns:apdi=\"http://ns.apple.com/pixeldatainfo/1.0/\">"
      "<apdi:AuxiliaryImageType>%s</apdi:AuxiliaryImageType><apdi:NativeFormat>%ld</apdi:NativeFormat>"
      "<apdi:FloatMinValue>%.9g</apdi:FloatMinValue><apdi:FloatMaxValue>%.9g</apdi:FloatMaxValue>"
      "</rdf:Description></rdf:RDF></x:xmpmeta>";
  snprintf(disparity, sizeof disparity, apdi, "disparity", 0x68646973L /* hdis */, 1.0 / zf, 1.0 / zn);
  snprintf(depth, sizeof depth, apdi, "depth", 0x66646570L /* fdep */, zn, zf);
  const char *const skin = "urn:com:apple:photo:2019:aux:semanticskinmatte";
  const char *const teeth = "urn:com:apple:photo:2019:aux:semanticteethmatte";
  const char *const hair = "urn:com:apple:photo:2019:aux:semantichairmatte";
  const struct {
    const char *name;
    int n;
    eh_aux aux[4];
  } seeds[] = {
      {"apdi-disparity.heic", 2, {{&disp, "urn:mpeg:hevc:2015:auxid:2", disparity}, {&near01, PORTRAIT, NULL}}},
      {"apdi-depth.heic", 3, {{&lin, "urn:mpeg:hevc:2015:auxid:2", depth}, {&near01, skin, NULL}, {&disp, teeth, NULL}}},
      {"plain.heic", 3, {{&disp, "urn:mpeg:hevc:2015:auxid:2", NULL}, {&near01, hair, NULL},
                         {&near01, "urn:example:aux:gainmap", NULL}}},
      {"avif-urn.heic", 2, {{&disp, "urn:mpeg:mpegB:cicp:systems:auxiliary:depth", NULL}, {&disp, PORTRAIT, NULL}}},
  };
  int failed = 0;
  for (size_t i = 0; i < sizeof seeds / sizeof *seeds; i++) {
    uint32_t ids[4];
    eb_buf file;
    if (eh_build(&photo, seeds[i].aux, seeds[i].n, 50, &file, ids)) {
      eb_save(dir, seeds[i].name, &file);
      free(file.p);
    } else {
      failed = 1;
    }
  }
  dm_image_free(&photo);
  dm_image_free(&lin);
  dm_image_free(&near01);
  dm_image_free(&disp);
  return failed;
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "--write-seeds")) {
    dm_context *ctx = dm_context_new(1);
    int r = write_seeds(ctx, argv[2]);
    dm_context_free(ctx);
    return r;
  }
  dm_context *ctx = dm_context_new(2);
  ctx->log = count_warn;
  test_apple_style(ctx);
  test_plain(ctx);
  dm_context_free(ctx);
  return dm_test_done("depth/embedded_heic");
}
