/* Linear and radial gradients on photo-sized canvases (640x427 like the
 * skimage photos, and square ones): end values, monotony, lines of equal
 * value perpendicular to the gradient in pixel space, hard and soft edges,
 * symmetry and rotation. Geometry does not read pixels, so the canvases
 * are blank. */
#include "mask_test.h"

#define W 640
#define H 427

static dm_mask_component linear(double zx, double zy, double fx, double fy) {
  dm_mask_component c;
  dm_mask_component_init(&c, DM_MASK_LINEAR_GRADIENT);
  c.zero[0] = (float)zx, c.zero[1] = (float)zy, c.full[0] = (float)fx, c.full[1] = (float)fy;
  return c;
}

static dm_mask_component radial(double l, double t, double r, double b, double angle, double feather) {
  dm_mask_component c;
  dm_mask_component_init(&c, DM_MASK_RADIAL_GRADIENT);
  c.left = (float)l, c.top = (float)t, c.right = (float)r, c.bottom = (float)b;
  c.angle = (float)angle, c.feather = (float)feather;
  return c;
}

static int in_image(const dm_image *m, int x, int y) {
  return x >= 0 && y >= 0 && x < m->width && y < m->height;
}

/* A vertical gradient: rows are constant, 0 beyond zero, 1 beyond full,
 * rising in between and symmetric about its middle. */
static void test_linear_vertical(dm_context *ctx) {
  dm_image img, m;
  mt_canvas(ctx, W, H, &img);
  const int zy = 341, fy = 85; /* handles on pixel centres, zero below full */
  dm_mask_component c = linear(0.5, (zy + 0.5) / H, 0.5, (fy + 0.5) / H);
  mt_render(ctx, &c, 1, &img, NULL, &m);
  int rows_constant = 1, outside_exact = 1, monotone = 1, symmetric = 1;
  for (int y = 0; y < H; y++) {
    for (int x = 1; x < W; x++) rows_constant &= mt_at(&m, x, y) == mt_at(&m, 0, y);
    if (y > zy) outside_exact &= mt_at(&m, W / 2, y) == 0.0f;
    if (y < fy) outside_exact &= mt_at(&m, W / 2, y) == 1.0f;
    if (y > 0) monotone &= mt_at(&m, 7, y - 1) >= mt_at(&m, 7, y);
  }
  for (int k = 0; k <= zy - fy; k++)
    symmetric &= fabsf(mt_at(&m, 3, zy - k) + mt_at(&m, 3, fy + k) - 1.0f) < 1e-5f;
  CHECK(rows_constant);
  CHECK(outside_exact);
  CHECK(monotone);
  CHECK(symmetric);
  CHECK(mt_at(&m, 10, zy) < 1e-6f);
  CHECK(mt_at(&m, 10, fy) > 1.0f - 1e-6f);
  /* Strictly rising inside the ramp (not a step). */
  int strictly = 1;
  for (int y = fy + 1; y < zy; y++) strictly &= mt_at(&m, 0, y) > mt_at(&m, 0, y + 1);
  CHECK(strictly);
  /* No visible start or end line: the ramp leaves 0 and reaches 1 with
   * zero slope, so steps at its ends are much smaller than in its middle. */
  const int mid = (zy + fy) / 2;
  float step_mid = mt_at(&m, 0, mid) - mt_at(&m, 0, mid + 1);
  CHECK(mt_at(&m, 0, zy - 1) - mt_at(&m, 0, zy) < 0.05f * step_mid);
  CHECK(mt_at(&m, 0, fy) - mt_at(&m, 0, fy + 1) < 0.05f * step_mid);
  dm_image_free(&m);
  dm_image_free(&img);
}

/* A diagonal gradient on a non-square photo. zero -> full is (300, 200)
 * pixels, so (-2, 3) pixel steps are perpendicular to it on screen: values
 * must not change along them. In fractions of the photo the same handles
 * give a different direction, so a projection done there fails this. */
static void test_linear_diagonal(dm_context *ctx, int w, int h) {
  dm_image img, m;
  mt_canvas(ctx, w, h, &img);
  const int zx = w / 6, zy = h / 6, fx = zx + 300, fy = zy + 200;
  dm_mask_component c = linear((zx + 0.5) / w, (zy + 0.5) / h, (fx + 0.5) / w, (fy + 0.5) / h);
  mt_render(ctx, &c, 1, &img, NULL, &m);
  CHECK(mt_at(&m, zx, zy) < 1e-6f);
  CHECK(mt_at(&m, fx, fy) > 1.0f - 1e-6f);
  int perpendicular = 1, checked = 0;
  for (int y = 0; y < h; y += 5)
    for (int x = 0; x < w; x += 5)
      for (int k = 1; k <= 20; k++) {
        int x2 = x - 2 * k, y2 = y + 3 * k;
        if (!in_image(&m, x2, y2)) break;
        perpendicular &= fabsf(mt_at(&m, x, y) - mt_at(&m, x2, y2)) < 2e-5f;
        checked++;
      }
  CHECK(perpendicular && checked > 1000);
  /* Monotone along the gradient, through the whole photo. */
  int monotone = 1, rising = 0;
  for (int k = -40; k < 140; k++) {
    int x0 = zx + 3 * k, y0 = zy + 2 * k, x1 = x0 + 3, y1 = y0 + 2;
    if (!in_image(&m, x0, y0) || !in_image(&m, x1, y1)) continue;
    monotone &= mt_at(&m, x1, y1) >= mt_at(&m, x0, y0);
    rising += mt_at(&m, x1, y1) > mt_at(&m, x0, y0);
  }
  CHECK(monotone && rising >= 95); /* 100 steps from zero to full */
  dm_image_free(&m);
  dm_image_free(&img);
}

/* Handles off the image (Lightroom allows it): the whole photo sees part of
 * the ramp, still monotone, values strictly between 0 and 1. */
static void test_linear_offimage(dm_context *ctx) {
  dm_image img, m;
  mt_canvas(ctx, W, H, &img);
  dm_mask_component c = linear(-0.5, 0.5, 1.5, 0.5);
  mt_render(ctx, &c, 1, &img, NULL, &m);
  int ok = 1;
  for (int x = 0; x < W; x++) {
    ok &= mt_at(&m, x, 100) > 0.0f && mt_at(&m, x, 100) < 1.0f;
    if (x) ok &= mt_at(&m, x, 100) > mt_at(&m, x - 1, 100);
  }
  CHECK(ok);
  dm_image_free(&m);
  dm_image_free(&img);
}

static double mask_sum(const dm_image *m) {
  double s = 0;
  for (int y = 0; y < m->height; y++)
    for (int x = 0; x < m->width; x++) s += mt_at(m, x, y);
  return s;
}

/* The radial basics on a non-square photo, for several feathers. */
static void test_radial_basics(dm_context *ctx) {
  dm_image img;
  mt_canvas(ctx, W, H, &img);
  const double l = 0.2, t = 0.1, r = 0.7, b = 0.8;
  const double cx = (l + r) / 2 * W, cy = (t + b) / 2 * H, a = (r - l) / 2 * W, bb = (b - t) / 2 * H;
  const double feathers[] = {0, 25, 50, 100};
  double prev_sum = INFINITY;
  for (int fi = 0; fi < 4; fi++) {
    dm_image m;
    dm_mask_component c = radial(l, t, r, b, 0, feathers[fi]);
    mt_render(ctx, &c, 1, &img, NULL, &m);
    int outside_zero = 1, two_values = 1, inside_matches = 1, monotone = 1, in_range = 1, plateau = 1;
    long ones = 0;
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++) {
        float v = mt_at(&m, x, y);
        double nx = (x + 0.5) / W, ny = (y + 0.5) / H;
        double ex = (x + 0.5 - cx) / a, ey = (y + 0.5 - cy) / bb, rho2 = ex * ex + ey * ey;
        in_range &= v >= 0.0f && v <= 1.0f;
        if (nx < l || nx > r || ny < t || ny > b || rho2 > 1.0001) outside_zero &= v == 0.0f;
        /* Full effect out to 1 - feather of the way to the edge, then less. */
        double rho = sqrt(rho2), rho0 = 1 - feathers[fi] / 100;
        if (rho < rho0 - 1e-3) plateau &= v == 1.0f;
        if (rho > rho0 + 1e-3) plateau &= v < 1.0f;
        if (feathers[fi] == 0) {
          two_values &= v == 0.0f || v == 1.0f;
          if (fabs(rho2 - 1) > 1e-3) inside_matches &= (v == 1.0f) == (rho2 < 1);
        }
        ones += v == 1.0f;
        /* Non-increasing away from the centre along rows and columns. */
        if (x > 0 && x + 0.5 > cx + 1) monotone &= v <= mt_at(&m, x - 1, y);
        if (y > 0 && y + 0.5 > cy + 1) monotone &= v <= mt_at(&m, x, y - 1);
      }
    CHECK(mt_at(&m, (int)cx, (int)cy) > 0.999f);
    CHECK(outside_zero);
    CHECK(monotone);
    CHECK(in_range);
    CHECK(plateau);
    if (feathers[fi] == 0) {
      CHECK(two_values);
      CHECK(inside_matches);
      CHECK(fabs(ones / (M_PI * a * bb) - 1) < 0.01); /* the ellipse's area */
    }
    if (feathers[fi] == 100) CHECK(ones <= 4); /* falls off right from the centre */
    double s = mask_sum(&m);
    CHECK(s < prev_sum); /* more feather, less effect */
    prev_sum = s;
    dm_image_free(&m);
  }
  dm_image_free(&img);
}

/* Mirror symmetry of a centred, unrotated ellipse; 180 and 360 degrees
 * change nothing. */
static void test_radial_symmetry(dm_context *ctx) {
  dm_image img, m, m180, m360;
  mt_canvas(ctx, W, H, &img);
  /* Binary fractions, so the centre is exactly the photo's centre. */
  dm_mask_component c = radial(0.125, 0.3125, 0.875, 0.6875, 0, 60);
  mt_render(ctx, &c, 1, &img, NULL, &m);
  c.angle = 180;
  mt_render(ctx, &c, 1, &img, NULL, &m180);
  c.angle = -360;
  mt_render(ctx, &c, 1, &img, NULL, &m360);
  int mirror = 1;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      float v = mt_at(&m, x, y);
      mirror &= v == mt_at(&m, W - 1 - x, y) && v == mt_at(&m, x, H - 1 - y);
    }
  CHECK(mirror);
  double mean, max;
  dm_test_image_diff(&m, &m180, &mean, &max);
  CHECK(max == 0);
  dm_test_image_diff(&m, &m360, &mean, &max);
  CHECK(max == 0);
  dm_image_free(&m);
  dm_image_free(&m180);
  dm_image_free(&m360);
  dm_image_free(&img);
}

/* On a square canvas a quarter turn of a non-circular ellipse is its
 * transpose; any turn of a circle (in pixels) is the circle, also on a
 * non-square photo, because rotation happens in pixel space. */
static void test_radial_rotation(dm_context *ctx) {
  const int n = 512;
  dm_image sq, m0, m90;
  mt_canvas(ctx, n, n, &sq);
  dm_mask_component c = radial(0.3125, 0.0625, 0.6875, 0.9375, 0, 40);
  mt_render(ctx, &c, 1, &sq, NULL, &m0);
  c.angle = 90;
  mt_render(ctx, &c, 1, &sq, NULL, &m90);
  int transposed = 1, differs = 0;
  for (int y = 0; y < n; y++)
    for (int x = 0; x < n; x++) {
      transposed &= mt_at(&m90, x, y) == mt_at(&m0, y, x);
      differs |= mt_at(&m90, x, y) != mt_at(&m0, x, y);
    }
  CHECK(transposed);
  CHECK(differs); /* the ellipse is not a circle, so the test means something */
  dm_image_free(&m0);
  dm_image_free(&m90);
  dm_image_free(&sq);

  /* A circle of radius 150 px on 640x427, turned by 37 degrees. */
  dm_image img, a0, a37;
  mt_canvas(ctx, W, H, &img);
  double rx = 150.0 / W, ry = 150.0 / H;
  c = radial(0.5 - rx, 0.5 - ry, 0.5 + rx, 0.5 + ry, 0, 50);
  mt_render(ctx, &c, 1, &img, NULL, &a0);
  c.angle = 37;
  mt_render(ctx, &c, 1, &img, NULL, &a37);
  double mean, max;
  dm_test_image_diff(&a0, &a37, &mean, &max);
  CHECK(max < 1e-4);
  dm_image_free(&a0);
  dm_image_free(&a37);

  /* Direction: a wide ellipse turned by +30 degrees reaches down-right and
   * up-left (clockwise on screen, y pointing down), hard edge or soft. */
  for (int feather = 0; feather <= 50; feather += 50) {
    c = radial(0.1, 0.45, 0.9, 0.55, 30, feather);
    dm_image r30;
    mt_render(ctx, &c, 1, &img, NULL, &r30);
    double reach = (feather ? 0.2 : 0.35) * W, s = sin(30 * M_PI / 180), co = cos(30 * M_PI / 180);
    int cx = W / 2, cy = H / 2;
    CHECK(mt_at(&r30, (int)(cx + reach * co), (int)(cy + reach * s)) > 0.5f);
    CHECK(mt_at(&r30, (int)(cx - reach * co), (int)(cy - reach * s)) > 0.5f);
    CHECK(mt_at(&r30, (int)(cx + reach * co), (int)(cy - reach * s)) == 0.0f);
    dm_image_free(&r30);
  }
  dm_image_free(&img);
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  test_linear_vertical(ctx);
  test_linear_diagonal(ctx, W, H);
  test_linear_diagonal(ctx, 427, 640);
  test_linear_offimage(ctx);
  test_radial_basics(ctx);
  test_radial_symmetry(ctx);
  test_radial_rotation(ctx);
  dm_context_free(ctx);
  return dm_test_done("mask/gradients");
}
