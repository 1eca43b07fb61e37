/* Combining components, checked pixel by pixel against mask.h's formulas
 * on two real components (a luminance range of a photograph and a radial
 * gradient), each first rendered alone:
 *   add m = max(m, o c), subtract m = m (1 - o c), intersect m = m (1 - o (1 - c)),
 *   c = 1 - c when inverted, the first component starting from m = 0.
 * Also: intersect is bit-for-bit subtract of the inverted component, the
 * whole image is c = 1, and 1, 2 or 3 threads give identical bits. */
#include <limits.h>

#include "mask_test.h"

static dm_mask_component lum_comp(void) {
  dm_mask_component c;
  dm_mask_component_init(&c, DM_MASK_LUMINANCE_RANGE);
  c.lum_range[0] = 30, c.lum_range[1] = 45, c.lum_range[2] = 100, c.lum_range[3] = 100;
  return c;
}

static dm_mask_component radial_comp(void) {
  dm_mask_component c;
  dm_mask_component_init(&c, DM_MASK_RADIAL_GRADIENT);
  c.left = 0.1f, c.right = 0.75f, c.top = 0.2f, c.bottom = 0.95f, c.angle = 20, c.feather = 60;
  return c;
}

static dm_mask_component linear_comp(void) {
  dm_mask_component c;
  dm_mask_component_init(&c, DM_MASK_LINEAR_GRADIENT);
  c.zero[0] = 0.9f, c.zero[1] = 0.2f, c.full[0] = 0.3f, c.full[1] = 0.7f;
  return c;
}

static dm_mask_component with(dm_mask_component c, dm_mask_mode mode, float opacity, int invert) {
  c.mode = mode;
  c.opacity = opacity;
  c.invert = invert ? 1.0f : 0.0f;
  return c;
}

/* Apply one step of the header's formula to the reference map. */
static void step(dm_image *ref, const dm_image *c_img, dm_mask_mode mode, float opacity, int invert) {
  const float o = opacity / 100.0f;
  for (int y = 0; y < ref->height; y++)
    for (int x = 0; x < ref->width; x++) {
      float c = c_img ? mt_at(c_img, x, y) : 1.0f;
      if (invert) c = 1.0f - c;
      float *m = dm_px(ref, x, y);
      if (mode == DM_MASK_ADD) *m = fmaxf(*m, o * c);
      if (mode == DM_MASK_SUBTRACT) *m = *m * (1.0f - o * c);
      if (mode == DM_MASK_INTERSECT) *m = *m * (1.0f - o * (1.0f - c));
    }
}

static void reset(dm_image *ref) {
  for (int y = 0; y < ref->height; y++)
    for (int x = 0; x < ref->width; x++) dm_px(ref, x, y)[0] = 0;
}

static double max_diff(const dm_image *a, const dm_image *b) {
  double mean, max;
  dm_test_image_diff(a, b, &mean, &max);
  return max;
}

/* A component list and the steps that should reproduce it. */
typedef struct {
  int comp;   /* 0 = luminance (a), 1 = radial (b), 2 = whole image */
  dm_mask_mode mode;
  float opacity;
  int invert;
} step_spec;

static void check_case(dm_context *ctx, const dm_image *photo, const dm_image *maps[3],
                       const step_spec *spec, int n, const char *what) {
  dm_mask_component comps[4];
  dm_image ref;
  mt_alloc_mask(ctx, photo, &ref);
  reset(&ref);
  for (int i = 0; i < n; i++) {
    dm_mask_component base;
    if (spec[i].comp == 0)
      base = lum_comp();
    else if (spec[i].comp == 1)
      base = radial_comp();
    else
      dm_mask_component_init(&base, DM_MASK_ALL);
    comps[i] = with(base, spec[i].mode, spec[i].opacity, spec[i].invert);
    step(&ref, maps[spec[i].comp], spec[i].mode, spec[i].opacity, spec[i].invert);
  }
  dm_image m;
  mt_render(ctx, comps, n, photo, NULL, &m);
  double d = max_diff(&m, &ref);
  if (!(d <= 1e-6)) fprintf(stderr, "  %s: max difference %g\n", what, d);
  CHECK(d <= 1e-6);
  dm_image_free(&m);
  dm_image_free(&ref);
}

static void test_formulas(dm_context *ctx, const dm_image *photo) {
  dm_image a, b;
  dm_mask_component ca = lum_comp(), cb = radial_comp();
  mt_render(ctx, &ca, 1, photo, NULL, &a);
  mt_render(ctx, &cb, 1, photo, NULL, &b);
  /* Both components have real structure: partly on, partly off, partly between. */
  long on = 0, off = 0, mid = 0, differ = 0;
  for (int y = 0; y < a.height; y++)
    for (int x = 0; x < a.width; x++) {
      float va = mt_at(&a, x, y), vb = mt_at(&b, x, y);
      on += va == 1.0f && vb == 1.0f;
      off += va == 0.0f || vb == 0.0f;
      mid += va > 0.05f && va < 0.95f && vb > 0.05f && vb < 0.95f;
      differ += fabsf(va - vb) > 0.2f;
    }
  long n = (long)a.width * a.height;
  CHECK(on > n / 50 && off > n / 50 && mid > n / 200 && differ > n / 10);

  const dm_image *maps[3] = {&a, &b, NULL};
  const step_spec add[] = {{0, DM_MASK_ADD, 100, 0}, {1, DM_MASK_ADD, 70, 0}};
  const step_spec sub[] = {{0, DM_MASK_ADD, 100, 0}, {1, DM_MASK_SUBTRACT, 80, 0}};
  const step_spec isect[] = {{0, DM_MASK_ADD, 100, 0}, {1, DM_MASK_INTERSECT, 90, 0}};
  const step_spec inv[] = {{0, DM_MASK_ADD, 100, 1}};
  const step_spec inv_sub[] = {{1, DM_MASK_ADD, 100, 0}, {0, DM_MASK_SUBTRACT, 100, 1}};
  const step_spec half[] = {{0, DM_MASK_ADD, 50, 0}};
  const step_spec whole[] = {{0, DM_MASK_ADD, 100, 0}, {2, DM_MASK_SUBTRACT, 30, 0}};
  const step_spec whole_inv[] = {{2, DM_MASK_ADD, 100, 1}};
  const step_spec sub_first[] = {{1, DM_MASK_SUBTRACT, 100, 0}, {0, DM_MASK_ADD, 60, 0}};
  const step_spec chain[] = {{2, DM_MASK_ADD, 100, 0},
                             {0, DM_MASK_INTERSECT, 75, 0},
                             {1, DM_MASK_SUBTRACT, 40, 1},
                             {1, DM_MASK_ADD, 20, 0}};
  check_case(ctx, photo, maps, add, 2, "add");
  check_case(ctx, photo, maps, sub, 2, "subtract");
  check_case(ctx, photo, maps, isect, 2, "intersect");
  check_case(ctx, photo, maps, inv, 1, "invert");
  check_case(ctx, photo, maps, inv_sub, 2, "subtract inverted");
  check_case(ctx, photo, maps, half, 1, "opacity");
  check_case(ctx, photo, maps, whole, 2, "whole image");
  check_case(ctx, photo, maps, whole_inv, 1, "whole image inverted");
  check_case(ctx, photo, maps, sub_first, 2, "subtract first");
  check_case(ctx, photo, maps, chain, 4, "chain");

  /* A lone add at full opacity is the component itself; inverted, its complement. */
  dm_image m;
  dm_mask_component c = with(radial_comp(), DM_MASK_ADD, 100, 1);
  mt_render(ctx, &c, 1, photo, NULL, &m);
  int complement = 1;
  for (int y = 0; y < m.height; y++)
    for (int x = 0; x < m.width; x++) complement &= mt_at(&m, x, y) == 1.0f - mt_at(&b, x, y);
  CHECK(complement);
  dm_image_free(&m);
  dm_image_free(&a);
  dm_image_free(&b);
}

/* Intersect is stored by Lightroom as subtract of the inverted component:
 * the two spellings must render the same bits. */
static void test_intersect_is_inverted_subtract(dm_context *ctx, const dm_image *photo) {
  for (int inv = 0; inv < 2; inv++)
    for (int k = 0; k < 3; k++) {
      const float opacity[] = {100, 65, 12.5f};
      dm_mask_component one[2] = {with(lum_comp(), DM_MASK_ADD, 100, 0),
                                  with(radial_comp(), DM_MASK_INTERSECT, opacity[k], inv)};
      dm_mask_component two[2] = {one[0], with(radial_comp(), DM_MASK_SUBTRACT, opacity[k], !inv)};
      dm_image m1, m2;
      mt_render(ctx, one, 2, photo, NULL, &m1);
      mt_render(ctx, two, 2, photo, NULL, &m2);
      CHECK(max_diff(&m1, &m2) == 0);
      dm_image_free(&m1);
      dm_image_free(&m2);
    }
}

/* Every kind in one list (the file one resized from another size), on 1, 2
 * and 3 threads: identical. */
static void test_threads(const dm_image *photo) {
  dm_context *ctx1 = dm_context_new(1), *ctx2 = dm_context_new(2), *ctx3 = dm_context_new(3);
  const char *tmp = dm_test_tmpdir("mask_combine");
  dm_image g;
  const int gw = photo->width * 2 / 3, gh = photo->height * 2 / 3;
  CHECK_OK(ctx1, dm_image_alloc(ctx1, &g, gw, gh, 1));
  for (int y = 0; y < gh; y++)
    for (int x = 0; x < gw; x++) {
      float v = dm_luma(dm_px(photo, x * 3 / 2, y * 3 / 2));
      dm_px(&g, x, y)[0] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/g.png", tmp);
  dm_write_options o = {.format = DM_FMT_PNG, .bits = 16};
  CHECK_OK(ctx1, dm_io_write(ctx1, path, &g, &o));

  dm_mask_component comps[5];
  comps[0] = with(lum_comp(), DM_MASK_ADD, 100, 0);
  comps[1] = with(linear_comp(), DM_MASK_ADD, 80, 0);
  comps[2] = with(radial_comp(), DM_MASK_INTERSECT, 90, 0);
  dm_mask_component_init(&comps[3], DM_MASK_FILE);
  strcpy(comps[3].path, "g.png");
  comps[3].mode = DM_MASK_SUBTRACT;
  comps[3].opacity = 50;
  dm_mask_component_init(&comps[4], DM_MASK_ALL);
  comps[4].mode = DM_MASK_SUBTRACT;
  comps[4].opacity = 10;
  dm_image m1, m2, m3;
  mt_render(ctx1, comps, 5, photo, tmp, &m1);
  mt_render(ctx2, comps, 5, photo, tmp, &m2);
  mt_render(ctx3, comps, 5, photo, tmp, &m3);
  CHECK(max_diff(&m1, &m2) == 0);
  CHECK(max_diff(&m1, &m3) == 0);
  double lo = 1, hi = 0;
  for (int y = 0; y < m1.height; y++)
    for (int x = 0; x < m1.width; x++) lo = fmin(lo, mt_at(&m1, x, y)), hi = fmax(hi, mt_at(&m1, x, y));
  CHECK(lo >= 0 && hi <= 1 && hi - lo > 0.5); /* a real mask, in range */
  dm_image_free(&m1);
  dm_image_free(&m2);
  dm_image_free(&m3);
  dm_image_free(&g);
  dm_context_free(ctx1);
  dm_context_free(ctx2);
  dm_context_free(ctx3);
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  dm_image photo;
  mt_load_photo(ctx, "chelsea", &photo);
  test_formulas(ctx, &photo);
  test_intersect_is_inverted_subtract(ctx, &photo);
  test_threads(&photo);
  dm_image_free(&photo);
  dm_context_free(ctx);
  return dm_test_done("mask/combine");
}
