/* The ISNet matte of a real portrait against an independent truth: the
 * outline of Grace Hopper in matplotlib's grace_hopper.jpg drawn by hand
 * (tests/matte/fixtures/grace_hopper_outline.txt, see its header),
 * rasterised here with 4x4 subsamples per pixel (even-odd rule) into a
 * soft mask. dm_matte_network on the photo, then dm_matte_refine at the
 * photo's size, thresholded at 0.5, must have IoU >= 0.95 with the mask
 * thresholded at 0.5. */
#include <string.h>

#include "matte/matte.h"
#include "scene_util.h"

#define MAX_VERTICES 4096
#define SUB 4

static int read_outline(const char *path, double *xs, double *ys) {
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    return 0;
  }
  char line[256];
  int n = 0;
  while (fgets(line, sizeof line, f) && n < MAX_VERTICES) {
    if (line[0] == '#' || line[0] == '\n') continue;
    if (sscanf(line, "%lf %lf", &xs[n], &ys[n]) == 2) n++;
  }
  fclose(f);
  return n;
}

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Coverage of the polygon per pixel: for each subsample row, the crossings
 * of its edges sorted, and the subsample centres between pairs filled. */
static void rasterise(const double *xs, const double *ys, int n, dm_image *mask) {
  double *cross = malloc((size_t)n * sizeof *cross);
  for (int y = 0; y < mask->height; y++) {
    float *row = dm_row(mask, y);
    for (int x = 0; x < mask->width; x++) row[x] = 0;
    for (int sy = 0; sy < SUB; sy++) {
      const double yc = y + (sy + 0.5) / SUB;
      int k = 0;
      for (int i = 0; i < n; i++) {
        const int j = (i + 1) % n;
        const double y0 = ys[i], y1 = ys[j];
        if ((y0 <= yc) != (y1 <= yc)) cross[k++] = xs[i] + (yc - y0) / (y1 - y0) * (xs[j] - xs[i]);
      }
      qsort(cross, (size_t)k, sizeof *cross, cmp_double);
      for (int p = 0; p + 1 < k; p += 2)
        for (int c = (int)ceil(cross[p] * SUB - 0.5); c < mask->width * SUB; c++) {
          const double xc = (c + 0.5) / SUB;
          if (xc >= cross[p + 1]) break;
          if (c >= 0) row[c / SUB] += 1.0f / (SUB * SUB);
        }
    }
  }
  free(cross);
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  const char *dir = dm_test_tmpdir("matte_portrait");
  static double xs[MAX_VERTICES], ys[MAX_VERTICES];
  const int n = read_outline(DM_SOURCE_DIR "/tests/matte/fixtures/grace_hopper_outline.txt", xs, ys);
  CHECK(n > 100);
  dm_image photo = {0}, truth = {0}, m = {0}, refined = {0};
  if (n > 100 && load_rgb(ctx, dm_test_photo("grace_hopper"), &photo)) {
    CHECK_OK(ctx, dm_image_alloc(ctx, &truth, photo.width, photo.height, 1));
    rasterise(xs, ys, n, &truth);
    /* The rasteriser itself: the area of the polygon (shoelace) equals the
     * mask's sum to within the subsampling error. */
    double area = 0, sum = 0;
    for (int i = 0; i < n; i++) area += xs[i] * ys[(i + 1) % n] - xs[(i + 1) % n] * ys[i];
    area = fabs(area) / 2;
    for (int y = 0; y < truth.height; y++)
      for (int x = 0; x < truth.width; x++) sum += dm_row(&truth, y)[x];
    printf("outline: %d vertices, area %.0f px, mask sum %.0f\n", n, area, sum);
    CHECK(fabs(area - sum) < 1e-3 * area);
    CHECK_OK(ctx, dm_matte_network(ctx, &photo, &m, NULL));
    CHECK_OK(ctx, dm_matte_refine(ctx, &photo, &m, &refined));
    if (refined.data) {
      const double iou_net = iou_half(&m, &truth), iou = iou_half(&refined, &truth);
      printf("grace_hopper: IoU with the hand-drawn outline: network %.4f, refined %.4f\n", iou_net, iou);
      CHECK(iou >= 0.95);
      /* Where they differ, for a look: red = outline only, green = matte only. */
      dm_image diff = {0};
      CHECK_OK(ctx, dm_image_alloc(ctx, &diff, photo.width, photo.height, 3));
      for (int y = 0; y < photo.height; y++)
        for (int x = 0; x < photo.width; x++) {
          const int t = dm_row(&truth, y)[x] >= 0.5f, r = dm_row(&refined, y)[x] >= 0.5f;
          float *d = dm_px(&diff, x, y);
          const float g = 0.3f * dm_px(&photo, x, y)[1];
          d[0] = t && !r ? 1.0f : g;
          d[1] = r && !t ? 1.0f : g;
          d[2] = g;
        }
      char path[4200];
      snprintf(path, sizeof path, "%s/grace_hopper_diff.png", dir);
      dm_write_options opt = {.format = DM_FMT_PNG, .bits = 8};
      CHECK_OK(ctx, dm_io_write(ctx, path, &diff, &opt));
      dm_image_free(&diff);
    }
  }
  dm_image_free(&photo);
  dm_image_free(&truth);
  dm_image_free(&m);
  dm_image_free(&refined);
  dm_context_free(ctx);
  return dm_test_done("matte/matte_portrait");
}
