/* ISNet on a real photo of a person, skimage's astronaut (messi5 is in
 * test_matte_people_messi.c), a lighter check than the hand-drawn outline
 * of test_matte_portrait.c: the centre of the face and of the torso,
 * located by eye, are subject (> 0.9) and patches of plain background are
 * not (< 0.1). The astronaut is also refined at twice its size
 * (dm_matte_refine on a 1024x1024 guide), to see that nothing breaks at a
 * larger size: same checks, and the refined matte agrees with the plain
 * bilinear one except along the edge. */
#include "matte/matte.h"
#include "people_probe.h"

/* The photo at twice its size, bilinear, a channel at a time. */
static void double_size(dm_context *ctx, const dm_image *src, dm_image *dst) {
  dm_image a = {0}, b = {0};
  CHECK_OK(ctx, dm_image_alloc(ctx, dst, 2 * src->width, 2 * src->height, 3));
  CHECK_OK(ctx, dm_image_alloc(ctx, &a, src->width, src->height, 1));
  CHECK_OK(ctx, dm_image_alloc(ctx, &b, dst->width, dst->height, 1));
  for (int c = 0; c < 3; c++) {
    for (int y = 0; y < src->height; y++)
      for (int x = 0; x < src->width; x++) dm_row(&a, y)[x] = dm_px(src, x, y)[c];
    CHECK_OK(ctx, dm_resize_plane(ctx, &a, &b, 1, "double"));
    for (int y = 0; y < dst->height; y++)
      for (int x = 0; x < dst->width; x++) dm_px(dst, x, y)[c] = dm_row(&b, y)[x];
  }
  dm_image_free(&a);
  dm_image_free(&b);
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  /* skimage's astronaut (Eileen Collins), 512x512. */
  static const probe astro[] = {{222, 122, 1, "face (nose)"},
                                {165, 330, 1, "suit, chest"},
                                {470, 250, 0, "wall right of the shuttle"},
                                {130, 60, 0, "wall left of the head"}};
  dm_image photo = {0}, m = {0}, big = {0}, ref = {0}, bil = {0};
  if (load_rgb(ctx, dm_test_photo("astronaut"), &photo)) {
    CHECK_OK(ctx, dm_matte_network(ctx, &photo, &m, NULL));
    if (m.data) {
      check_probes("astronaut", &m, astro, 4, 1);
      double_size(ctx, &photo, &big);
      CHECK_OK(ctx, dm_matte_refine(ctx, &big, &m, &ref));
      CHECK(ref.width == 1024 && ref.height == 1024);
      if (ref.data) {
        check_probes("astronaut refined", &ref, astro, 4, 2);
        CHECK_OK(ctx, dm_image_alloc(ctx, &bil, 1024, 1024, 1));
        CHECK_OK(ctx, dm_resize_plane(ctx, &m, &bil, 1, "bilinear"));
        const double iou = iou_half(&ref, &bil);
        printf("astronaut x2: IoU refined vs bilinear %.4f\n", iou);
        CHECK(iou > 0.97);
      }
    }
  }
  dm_image_free(&photo);
  dm_image_free(&m);
  dm_image_free(&big);
  dm_image_free(&ref);
  dm_image_free(&bil);
  dm_context_free(ctx);
  return dm_test_done("matte/matte_people");
}
