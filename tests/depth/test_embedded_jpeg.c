/* Embedded depth in JPEG: Google GDepth (Extended XMP, chunks in and out of
 * order) and Android Dynamic Depth (items after the primary image), built
 * from a real photograph and its true depth (dof-eval scenes), read back
 * and compared with what was embedded. `--write-seeds DIR` writes small
 * versions of these files as seeds for fuzz/fuzz_depth_xmp. */
#include <string.h>
#include <sys/stat.h>

#include "core/resample.h"
#include "depth/embedded.h"
#include "dm_test.h"
#include "embed_build.h"
#include "io/io.h"

static double max_diff(const dm_image *a, const dm_image *b) {
  double m = 0;
  for (int y = 0; y < a->height; y++)
    for (int x = 0; x < a->width; x++) {
      double d = fabs(dm_row(a, y)[x] - dm_row(b, y)[x]);
      if (!(d <= m)) m = d;
    }
  return m;
}

static void test_gdepth(dm_context *ctx, const char *scene, int shuffle) {
  dm_image photo, lin, want;
  double zn, zf;
  CHECK(eb_scene(ctx, scene, &photo, &lin, &zn, &zf));
  CHECK(eb_near01(ctx, &lin, zn, zf, &want));
  eb_buf jpeg, png, file;
  CHECK(eb_jpeg(ctx, &photo, 90, &jpeg));
  CHECK(eb_png(&lin, 16, 0, &png)); /* stored: > 1 MB, like a phone's map */
  int order[64];
  size_t chunk = 65000;
  int count = (int)((4 * png.n / 3 + 600 + chunk - 1) / chunk);
  for (int i = 0; i < count && i < 64; i++) order[i] = shuffle ? (i * 7 + 3) % count : i;
  /* (i*7+3) % count is a permutation when count is not a multiple of 7 */
  eb_gdepth g = {.format = "RangeLinear", .near_m = zn, .far_m = zf, .chunk = chunk,
                 .order = shuffle && count % 7 ? order : NULL};
  eb_gdepth_jpeg(&jpeg, &png, "image/png", &g, &file);
  CHECK(count >= 2);

  dm_embedded_list list;
  CHECK_OK(ctx, dm_embedded_scan(ctx, file.p, file.n, "gdepth.jpg", &list));
  CHECK(list.n == 1);
  if (list.n >= 1) {
    dm_embedded_item *it = &list.items[0];
    CHECK(it->kind == DM_EMB_DEPTH && it->container == DM_EMB_GDEPTH && it->usable);
    CHECK(!strcmp(it->encoding, "RangeLinear") && !strcmp(it->mime, "image/png"));
    CHECK(it->width == lin.width && it->height == lin.height && it->bits == 16);
    CHECK_NEAR(it->near_m, zn, 1e-6);
    CHECK_NEAR(it->far_m, zf, 1e-5);
    CHECK(it->bytes == png.n);
    if (!it->usable) fprintf(stderr, "problem: %s\n", it->problem);
  }
  dm_depth d;
  int found = 0;
  char desc[256];
  CHECK_OK(ctx, dm_embedded_depth(ctx, file.p, file.n, "gdepth.jpg", 1, lin.width, lin.height, &d,
                                  &found, desc, sizeof desc));
  CHECK(found);
  if (found) {
    CHECK(strstr(desc, "GDepth") != NULL);
    CHECK_NEAR(d.z_near_m, zn, 1e-6);
    CHECK_NEAR(d.z_far_m, zf, 1e-5);
    double md = max_diff(&d.near01, &want);
    printf("%s GDepth RangeLinear (%d chunks%s): max |near01 - true| = %.2g\n", scene, count,
           shuffle ? ", shuffled" : "", md);
    CHECK(md < 1e-4);
  }
  dm_depth_free(&d);
  /* EXIF orientation 6 (90 degrees clockwise): out(x, y) = stored(y, h-1-x). */
  CHECK_OK(ctx, dm_embedded_depth(ctx, file.p, file.n, "gdepth.jpg", 6, lin.height, lin.width, &d,
                                  &found, NULL, 0));
  CHECK(found);
  if (found) {
    int bad = 0;
    for (int y = 0; y < d.near01.height; y += 7)
      for (int x = 0; x < d.near01.width; x += 7)
        bad += fabs(dm_row(&d.near01, y)[x] - dm_row(&want, lin.height - 1 - x)[y]) > 1e-4;
    CHECK(bad == 0);
  }
  dm_depth_free(&d);
  dm_image_free(&photo);
  dm_image_free(&lin);
  dm_image_free(&want);
  free(jpeg.p);
  free(png.p);
  free(file.p);
}

static void test_dynamic_depth(dm_context *ctx, const char *scene) {
  dm_image photo, lin, want, half;
  double zn, zf;
  CHECK(eb_scene(ctx, scene, &photo, &lin, &zn, &zf));
  CHECK(eb_near01(ctx, &lin, zn, zf, &want));
  /* A phone's depth map is smaller than its photo: half size. */
  CHECK_OK(ctx, dm_image_alloc(ctx, &half, lin.width / 2, lin.height / 2, 1));
  CHECK_OK(ctx, dm_resize_plane(ctx, &want, &half, 1, "half"));
  char path[512];
  snprintf(path, sizeof path, "/work/shared/dof-eval/scenes/%s/mask_gt.png", scene);
  dm_decoded mask;
  CHECK_OK(ctx, dm_io_read(ctx, path, &mask));
  eb_buf jpeg, depth, conf, file;
  CHECK(eb_jpeg(ctx, &photo, 90, &jpeg));
  CHECK(eb_png(&half, 16, 6, &depth)); /* RangeInverse: near01 as stored */
  CHECK(eb_png(&mask.img, 8, 6, &conf));
  eb_dd dd = {.format = "RangeInverse", .near_m = zn, .far_m = zf, .padding = 3};
  eb_dd_jpeg(&jpeg, &depth, &conf, &dd, &file);

  dm_embedded_list list;
  CHECK_OK(ctx, dm_embedded_scan(ctx, file.p, file.n, "dd.jpg", &list));
  CHECK(list.n == 2);
  if (list.n == 2) {
    CHECK(list.items[0].kind == DM_EMB_DEPTH && list.items[0].container == DM_EMB_DYNAMIC_DEPTH);
    CHECK(list.items[0].usable && list.items[0].width == half.width && list.items[0].bits == 16);
    CHECK(!strcmp(list.items[0].encoding, "RangeInverse"));
    CHECK(list.items[1].kind == DM_EMB_CONFIDENCE && list.items[1].usable);
    CHECK(list.items[1].width == mask.img.width && list.items[1].bytes == conf.n);
    for (int i = 0; i < list.n; i++)
      if (!list.items[i].usable) fprintf(stderr, "problem: %s\n", list.items[i].problem);
  }
  dm_depth d;
  int found = 0;
  char desc[256];
  /* At the depth's own size: exactly what was embedded. */
  CHECK_OK(ctx, dm_embedded_depth(ctx, file.p, file.n, "dd.jpg", 1, half.width, half.height, &d,
                                  &found, desc, sizeof desc));
  CHECK(found && strstr(desc, "Dynamic Depth"));
  if (found) {
    double md = max_diff(&d.near01, &half);
    printf("%s Dynamic Depth RangeInverse: max |near01 - embedded| = %.2g\n", scene, md);
    CHECK(md < 1.0 / 65535 + 1e-6);
    CHECK_NEAR(d.z_near_m, zn, 1e-6);
    CHECK_NEAR(d.z_far_m, zf, 1e-5);
  }
  dm_depth_free(&d);
  /* At the photo's size: upsampled, close to the full-resolution truth
   * except along the layer edges. */
  CHECK_OK(ctx, dm_embedded_depth(ctx, file.p, file.n, "dd.jpg", 1, lin.width, lin.height, &d,
                                  &found, NULL, 0));
  CHECK(found);
  if (found) {
    double mean, mx;
    dm_test_image_diff(&d.near01, &want, &mean, &mx);
    printf("%s Dynamic Depth upsampled x2: mean |near01 - true| = %.3g\n", scene, mean);
    CHECK(mean < 0.02);
  }
  dm_depth_free(&d);
  dm_image_free(&photo);
  dm_image_free(&lin);
  dm_image_free(&want);
  dm_image_free(&half);
  dm_decoded_free(&mask);
  free(jpeg.p);
  free(depth.p);
  free(conf.p);
  free(file.p);
}

/* GDepth with a JPEG depth map, RangeInverse, and the data in the main
 * packet's Extended XMP in order. */
static void test_gdepth_jpeg_depth(dm_context *ctx, const char *scene) {
  dm_image photo, lin, want;
  double zn, zf;
  CHECK(eb_scene(ctx, scene, &photo, &lin, &zn, &zf));
  CHECK(eb_near01(ctx, &lin, zn, zf, &want));
  eb_buf jpeg, dj, file;
  CHECK(eb_jpeg(ctx, &photo, 85, &jpeg));
  CHECK(eb_jpeg(ctx, &want, 95, &dj));
  eb_gdepth g = {.format = "RangeInverse", .near_m = zn, .far_m = zf, .chunk = 20000};
  eb_gdepth_jpeg(&jpeg, &dj, "image/jpeg", &g, &file);
  dm_depth d;
  int found = 0;
  CHECK_OK(ctx, dm_embedded_depth(ctx, file.p, file.n, "gdepth-jpeg.jpg", 1, want.width,
                                  want.height, &d, &found, NULL, 0));
  CHECK(found);
  if (found) {
    double mean, mx;
    dm_test_image_diff(&d.near01, &want, &mean, &mx);
    printf("%s GDepth RangeInverse JPEG depth: mean |near01 - true| = %.3g\n", scene, mean);
    CHECK(mean < 2.0 / 255);
  }
  dm_depth_free(&d);
  dm_image_free(&photo);
  dm_image_free(&lin);
  dm_image_free(&want);
  free(jpeg.p);
  free(dj.p);
  free(file.p);
}

/* Small versions (a 96 px photo and depth) for the fuzzer's seeds. */
static int write_seeds(dm_context *ctx, const char *dir) {
  mkdir(dir, 0777);
  static const char *const scenes[] = {"dev1_chelsea_1.2m_bg5m_lights", "dev3_chelsea_on_gravel_0.5to15m"};
  for (int s = 0; s < 2; s++) {
    dm_image sp, sl, sn;
    double zn, zf;
    if (!eb_small_scene(ctx, scenes[s], 96, 64, &sp, &sl, &zn, &zf)) return 1;
    eb_near01(ctx, &sl, zn, zf, &sn);
    eb_buf jpeg = {0}, png = {0}, pn = {0}, file = {0};
    eb_jpeg(ctx, &sp, 70, &jpeg);
    eb_png(&sl, 16, 0, &png);
    eb_png(&sn, 8, 6, &pn);
    int order[8] = {2, 0, 4, 1, 3, 5, 6, 7};
    eb_gdepth g = {.format = "RangeLinear", .near_m = zn, .far_m = zf, .chunk = 4000, .order = order};
    eb_gdepth_jpeg(&jpeg, &png, "image/png", &g, &file);
    char name[64];
    snprintf(name, sizeof name, "gdepth-%d.jpg", s);
    eb_save(dir, name, &file);
    free(file.p);
    eb_dd dd = {.format = "RangeInverse", .near_m = zn, .far_m = zf, .padding = 2};
    eb_dd_jpeg(&jpeg, &pn, &pn, &dd, &file);
    snprintf(name, sizeof name, "dd-%d.jpg", s);
    eb_save(dir, name, &file);
    free(file.p);
    /* Both in one file, Dynamic Depth's Item:Length wrong. */
    char desc[4096];
    dd.depth_length_delta = -20;
    eb_dd_desc(desc, sizeof desc, pn.n, pn.n, &dd);
    eb_gdepth g2 = {.format = "RangeInverse", .near_m = zn, .far_m = zf, .chunk = 6000, .extra = desc};
    eb_gdepth_jpeg(&jpeg, &pn, "image/png", &g2, &file);
    eb_dd_items(&pn, &pn, &dd, &file);
    snprintf(name, sizeof name, "both-%d.jpg", s);
    eb_save(dir, name, &file);
    free(file.p);
    free(jpeg.p);
    free(png.p);
    free(pn.p);
    dm_image_free(&sp);
    dm_image_free(&sl);
    dm_image_free(&sn);
  }
  return 0;
}

int main(int argc, char **argv) {
  dm_context *ctx = dm_context_new(2);
  if (argc == 3 && !strcmp(argv[1], "--write-seeds")) {
    int r = write_seeds(ctx, argv[2]);
    dm_context_free(ctx);
    return r;
  }
  test_gdepth(ctx, "dev3_chelsea_on_gravel_0.5to15m", 0);
  test_gdepth(ctx, "dev1_chelsea_1.2m_bg5m_lights", 1);
  test_dynamic_depth(ctx, "dev2_chelsea_2.5m_fg1m_bg12m");
  test_gdepth_jpeg_depth(ctx, "dev3_chelsea_on_gravel_0.5to15m");
  dm_context_free(ctx);
  return dm_test_done("depth/embedded_jpeg");
}
