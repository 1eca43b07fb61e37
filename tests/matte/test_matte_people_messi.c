/* ISNet on OpenCV's messi5.jpg (548x342, a footballer against a blurred
 * crowd): the face and the jersey, located by eye, are subject (> 0.9),
 * two patches of crowd are not (< 0.1). See test_matte_people.c. */
#include "matte/matte.h"
#include "people_probe.h"

int main(void) {
  dm_context *ctx = dm_context_new(2);
  static const probe messi[] = {{242, 112, 1, "face"},
                                {240, 170, 1, "jersey"},
                                {80, 120, 0, "crowd, left"},
                                {470, 60, 0, "crowd, top right"}};
  dm_image photo = {0}, m = {0};
  if (load_rgb(ctx, "/usr/share/doc/opencv-doc/examples/data/messi5.jpg", &photo)) {
    CHECK_OK(ctx, dm_matte_network(ctx, &photo, &m, NULL));
    if (m.data) check_probes("messi5", &m, messi, 4, 1);
  }
  dm_image_free(&photo);
  dm_image_free(&m);
  dm_context_free(ctx);
  return dm_test_done("matte/matte_people_messi");
}
