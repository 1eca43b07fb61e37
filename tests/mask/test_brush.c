/* Brush components against values worked out on paper from the reading
 * written at the top of src/mask/brush.c:
 *   a dab of radius r is a disc of R = r x (long side) pixels;
 *   feather f: 1 inside (1 - f/100) R, smoothstep((1 - d) / (f/100)) to 0 at R;
 *   a stroke covers a pixel with its strongest dab (flow x fall-off);
 *   strokes move the mask towards density (or 0 for an eraser) by that cover.
 * Canvases are blank (geometry reads no pixels); 101 x 101 puts the centre
 * dab (0.5, 0.5) on pixel 50's centre. */
#include <time.h>

#include "mask/brush.h"
#include "mask_test.h"

#define N 101
#define C 50 /* the centre pixel */

typedef struct dab_spec {
  double x, y, radius, flow, feather;
} dab_spec;

/* A stroke of dabs; settings from the first dab, density and erase given. */
static void add_stroke(dm_context *ctx, dm_mask_component *c, const dab_spec *d, int n,
                       double density, int erase) {
  dm_brush_stroke s;
  dm_brush_stroke_init(&s);
  s.radius = (float)d[0].radius, s.flow = (float)d[0].flow, s.feather = (float)d[0].feather;
  s.density = (float)density, s.erase = (float)erase;
  s.dabs = calloc((size_t)n, sizeof *s.dabs);
  s.n_dabs = n;
  for (int i = 0; i < n; i++)
    s.dabs[i] = (dm_brush_dab){(float)d[i].x, (float)d[i].y, (float)d[i].radius, (float)d[i].flow,
                               (float)d[i].feather};
  CHECK_OK(ctx, dm_brush_add_stroke(ctx, c, &s));
  dm_brush_stroke_free(&s);
}

static dm_mask_component brush(void) {
  dm_mask_component c;
  dm_mask_component_init(&c, DM_MASK_BRUSH);
  return c;
}

/* Pixel (x, y) relative to the centre pixel. */
static float at(const dm_image *m, int dx, int dy) { return mt_at(m, C + dx, C + dy); }

/* Feather 0: exactly the pixels whose centres lie within R = 0.2 x 101 =
 * 20.2 px, i.e. dx^2 + dy^2 <= 408 (408.04), at 1; all others 0. */
static void test_hard_disc(dm_context *ctx) {
  dm_image img, m;
  mt_canvas(ctx, N, N, &img);
  dm_mask_component c = brush();
  const dab_spec d = {0.5, 0.5, 0.2, 100, 0};
  add_stroke(ctx, &c, &d, 1, 100, 0);
  mt_render(ctx, &c, 1, &img, NULL, &m);
  int exact = 1, inside = 0;
  for (int y = 0; y < N; y++)
    for (int x = 0; x < N; x++) {
      int in = (x - C) * (x - C) + (y - C) * (y - C) <= 408;
      inside += in;
      exact &= mt_at(&m, x, y) == (in ? 1.0f : 0.0f);
    }
  CHECK(exact);
  CHECK(at(&m, 20, 0) == 1 && at(&m, 21, 0) == 0 && at(&m, 0, -20) == 1 && at(&m, 0, -21) == 0);
  CHECK(at(&m, 14, 14) == 1 && at(&m, 15, 14) == 0); /* 392 in, 421 out */
  CHECK(inside > 1250 && inside < 1310);               /* ~ pi 20.2^2 = 1282 */
  dm_mask_component_free(&c);
  dm_image_free(&m);
  dm_image_free(&img);
}

/* Feather 100 and 50 on R = 20 px (radius 20 / 101). */
static void test_feather(dm_context *ctx) {
  dm_image img, m;
  mt_canvas(ctx, N, N, &img);
  dm_mask_component c = brush();
  const dab_spec d = {0.5, 0.5, 20.0 / N, 100, 100};
  add_stroke(ctx, &c, &d, 1, 100, 0);
  mt_render(ctx, &c, 1, &img, NULL, &m);
  /* smoothstep(1 - d): d = 0 -> 1, 1/4 -> 0.84375, 1/2 -> 1/2, 3/4 -> 0.15625, 1 -> 0 */
  CHECK(at(&m, 0, 0) == 1.0f);
  CHECK_NEAR(at(&m, 5, 0), 0.84375, 1e-4);
  CHECK_NEAR(at(&m, 10, 0), 0.5, 1e-4);
  CHECK_NEAR(at(&m, 0, -10), 0.5, 1e-4);
  CHECK_NEAR(at(&m, -10, 0), 0.5, 1e-4);
  CHECK_NEAR(at(&m, 6, 8), 0.5, 1e-4); /* |(6, 8)| = 10: round */
  CHECK_NEAR(at(&m, 15, 0), 0.15625, 1e-4);
  CHECK(at(&m, 20, 0) < 1e-4f && at(&m, 21, 0) == 0 && at(&m, 15, 15) == 0);
  dm_mask_component_free(&c);
  dm_image_free(&m);

  c = brush();
  const dab_spec e = {0.5, 0.5, 20.0 / N, 100, 50};
  add_stroke(ctx, &c, &e, 1, 100, 0);
  mt_render(ctx, &c, 1, &img, NULL, &m);
  /* 1 out to R/2, then smoothstep((1 - d) / 0.5): 3/4 -> 1/2 */
  CHECK(at(&m, 9, 0) == 1.0f && at(&m, 0, 9) == 1.0f);
  CHECK_NEAR(at(&m, 10, 0), 1.0, 1e-4);
  CHECK_NEAR(at(&m, 15, 0), 0.5, 1e-4);
  CHECK_NEAR(at(&m, 0, 15), 0.5, 1e-4);
  CHECK(at(&m, 21, 0) == 0);
  dm_mask_component_free(&c);
  dm_image_free(&m);
  dm_image_free(&img);
}

/* Flow: a stroke applies flow; strokes build up; the dabs of one stroke
 * do not build up on each other. Hard dabs of R = 20.2 at x = 45 and 55. */
static void test_flow(dm_context *ctx) {
  dm_image img, m;
  mt_canvas(ctx, N, N, &img);
  const dab_spec left = {45.5 / N, 0.5, 0.2, 50, 0}, right = {55.5 / N, 0.5, 0.2, 50, 0};
  const dab_spec both[2] = {left, right};
  /* One stroke of two overlapping dabs: 0.5 everywhere it reaches. */
  dm_mask_component c = brush();
  add_stroke(ctx, &c, both, 2, 100, 0);
  mt_render(ctx, &c, 1, &img, NULL, &m);
  CHECK(at(&m, 0, 0) == 0.5f && at(&m, -25, 0) == 0.5f && at(&m, 25, 0) == 0.5f);
  CHECK(at(&m, -26, 0) == 0 && at(&m, 26, 0) == 0);
  dm_mask_component_free(&c);
  dm_image_free(&m);
  /* The same dabs as two strokes: 0.5, then 0.5 + (1 - 0.5) 0.5 = 0.75
   * where they overlap. */
  c = brush();
  add_stroke(ctx, &c, &left, 1, 100, 0);
  add_stroke(ctx, &c, &right, 1, 100, 0);
  mt_render(ctx, &c, 1, &img, NULL, &m);
  CHECK(at(&m, 0, 0) == 0.75f && at(&m, -25, 0) == 0.5f && at(&m, 25, 0) == 0.5f);
  /* The right dab (pixel 55) reaches pixel 35 = -15, the left one 65 = +15. */
  CHECK(at(&m, -15, 0) == 0.75f && at(&m, -16, 0) == 0.5f);
  CHECK(at(&m, 15, 0) == 0.75f && at(&m, 16, 0) == 0.5f);
  dm_mask_component_free(&c);
  dm_image_free(&m);
  /* Three strokes of flow 50 on one spot: 0.5, 0.75, 0.875. */
  c = brush();
  for (int i = 0; i < 3; i++) add_stroke(ctx, &c, &left, 1, 100, 0);
  mt_render(ctx, &c, 1, &img, NULL, &m);
  CHECK(at(&m, -5, 0) == 0.875f);
  dm_mask_component_free(&c);
  dm_image_free(&m);
  /* Flow scales a feathered dab: flow 50, feather 100, R = 20: half of
   * the values above (0.25 at R/2). */
  c = brush();
  const dab_spec soft = {0.5, 0.5, 20.0 / N, 50, 100};
  add_stroke(ctx, &c, &soft, 1, 100, 0);
  mt_render(ctx, &c, 1, &img, NULL, &m);
  CHECK(at(&m, 0, 0) == 0.5f);
  CHECK_NEAR(at(&m, 10, 0), 0.25, 1e-4);
  dm_mask_component_free(&c);
  dm_image_free(&m);
  dm_image_free(&img);
}

/* Density caps: strokes approach it and never pass it, and painting at a
 * lower density brings a higher part down to it. */
static void test_density(dm_context *ctx) {
  dm_image img, m;
  mt_canvas(ctx, N, N, &img);
  const dab_spec full = {0.5, 0.5, 0.2, 100, 0}, half = {0.5, 0.5, 0.2, 50, 0};
  dm_mask_component c = brush();
  add_stroke(ctx, &c, &full, 1, 60, 0);
  mt_render(ctx, &c, 1, &img, NULL, &m);
  CHECK_NEAR(at(&m, 0, 0), 0.6, 1e-6);
  CHECK(at(&m, 21, 0) == 0);
  dm_image_free(&m);
  for (int i = 0; i < 4; i++) add_stroke(ctx, &c, &full, 1, 60, 0);
  mt_render(ctx, &c, 1, &img, NULL, &m);
  CHECK_NEAR(at(&m, 0, 0), 0.6, 1e-6); /* five strokes: still 0.6 */
  dm_mask_component_free(&c);
  dm_image_free(&m);
  /* Flow 50 at density 60: 0.3, then 0.3 + (0.6 - 0.3) 0.5 = 0.45. */
  c = brush();
  add_stroke(ctx, &c, &half, 1, 60, 0);
  add_stroke(ctx, &c, &half, 1, 60, 0);
  mt_render(ctx, &c, 1, &img, NULL, &m);
  CHECK_NEAR(at(&m, 0, 0), 0.45, 1e-6);
  dm_mask_component_free(&c);
  dm_image_free(&m);
  /* Density 100, then density 60 over it: down to 0.6. */
  c = brush();
  add_stroke(ctx, &c, &full, 1, 100, 0);
  add_stroke(ctx, &c, &full, 1, 60, 0);
  mt_render(ctx, &c, 1, &img, NULL, &m);
  CHECK_NEAR(at(&m, 0, 0), 0.6, 1e-6);
  dm_mask_component_free(&c);
  dm_image_free(&m);
  dm_image_free(&img);
}

/* An eraser stroke removes what was painted, flow for flow. */
static void test_erase(dm_context *ctx) {
  dm_image img, m;
  mt_canvas(ctx, N, N, &img);
  const dab_spec paint = {0.5, 0.5, 0.2, 100, 0}, rub = {0.5, 0.5, 0.1, 100, 0},
                 rub_half = {0.5, 0.5, 0.1, 50, 0};
  dm_mask_component c = brush();
  add_stroke(ctx, &c, &paint, 1, 100, 0);
  add_stroke(ctx, &c, &rub, 1, 100, 1);
  mt_render(ctx, &c, 1, &img, NULL, &m);
  /* R = 10.1: erased where dx^2 + dy^2 <= 102, painted out to 408. */
  CHECK(at(&m, 0, 0) == 0 && at(&m, 10, 0) == 0 && at(&m, 7, 7) == 0);
  CHECK(at(&m, 11, 0) == 1 && at(&m, 8, 7) == 1 && at(&m, 20, 0) == 1 && at(&m, 21, 0) == 0);
  dm_mask_component_free(&c);
  dm_image_free(&m);
  /* Flow 50 eraser: half of it goes. Density does not matter to an eraser. */
  c = brush();
  add_stroke(ctx, &c, &paint, 1, 100, 0);
  add_stroke(ctx, &c, &rub_half, 1, 30, 1);
  mt_render(ctx, &c, 1, &img, NULL, &m);
  CHECK(at(&m, 0, 0) == 0.5f && at(&m, 11, 0) == 1);
  dm_mask_component_free(&c);
  dm_image_free(&m);
  /* Erasing where nothing is painted leaves 0; painting after erasing paints. */
  c = brush();
  add_stroke(ctx, &c, &rub, 1, 100, 1);
  mt_render(ctx, &c, 1, &img, NULL, &m);
  CHECK(at(&m, 0, 0) == 0 && at(&m, 15, 0) == 0);
  dm_image_free(&m);
  add_stroke(ctx, &c, &paint, 1, 100, 0);
  mt_render(ctx, &c, 1, &img, NULL, &m);
  CHECK(at(&m, 0, 0) == 1 && at(&m, 15, 0) == 1);
  dm_mask_component_free(&c);
  dm_image_free(&m);
  dm_image_free(&img);
}

/* The radius is a fraction of the LONG side and the dab round in pixels,
 * whichever way the photo is turned: radius 0.1 on 200 x 100 and on
 * 100 x 200 is R = 20 px across and along. */
static void test_long_side(dm_context *ctx) {
  const int dims[2][2] = {{200, 100}, {100, 200}};
  for (int k = 0; k < 2; k++) {
    const int w = dims[k][0], h = dims[k][1];
    dm_image img, m;
    mt_canvas(ctx, w, h, &img);
    dm_mask_component c = brush();
    const dab_spec d = {50.5 / w, 50.5 / h, 0.1, 100, 0}; /* on pixel (50, 50) */
    add_stroke(ctx, &c, &d, 1, 100, 0);
    mt_render(ctx, &c, 1, &img, NULL, &m);
    CHECK(mt_at(&m, 50, 50) == 1);
    CHECK(mt_at(&m, 69, 50) == 1 && mt_at(&m, 31, 50) == 1 && mt_at(&m, 50, 69) == 1 &&
          mt_at(&m, 50, 31) == 1);
    CHECK(mt_at(&m, 71, 50) == 0 && mt_at(&m, 29, 50) == 0 && mt_at(&m, 50, 71) == 0 &&
          mt_at(&m, 50, 29) == 0);
    dm_mask_component_free(&c);
    dm_image_free(&m);
    dm_image_free(&img);
  }
}

/* Each dab keeps its own radius, flow and feather (Lightroom's pen
 * pressure): a stroke of a big dab at flow 40 and a small one at flow 100. */
static void test_dab_settings(dm_context *ctx) {
  dm_image img, m;
  mt_canvas(ctx, N, N, &img);
  dm_mask_component c = brush();
  const dab_spec d[2] = {{0.5, 0.5, 0.2, 40, 0}, {0.5, 0.5, 0.1, 100, 0}};
  add_stroke(ctx, &c, d, 2, 100, 0);
  mt_render(ctx, &c, 1, &img, NULL, &m);
  CHECK(at(&m, 0, 0) == 1 && at(&m, 10, 0) == 1);   /* the small dab, the stronger */
  CHECK(at(&m, 11, 0) == 0.4f && at(&m, 20, 0) == 0.4f && at(&m, 21, 0) == 0);
  dm_mask_component_free(&c);
  dm_image_free(&m);
  dm_image_free(&img);
}

/* Opacity, invert and mode apply to a brush as to every kind; an empty
 * brush is 0; dabs off the photo paint nothing and cost nothing. */
static void test_component(dm_context *ctx) {
  dm_image img, m;
  mt_canvas(ctx, N, N, &img);
  dm_mask_component c = brush();
  mt_render(ctx, &c, 1, &img, NULL, &m);
  CHECK(at(&m, 0, 0) == 0 && mt_at(&m, 0, 0) == 0);
  dm_image_free(&m);
  const dab_spec off[2] = {{-5, -5, 0.2, 100, 0}, {9.9, 0.5, 0.3, 100, 0}};
  add_stroke(ctx, &c, off, 2, 100, 0);
  mt_render(ctx, &c, 1, &img, NULL, &m);
  int zero = 1;
  for (int y = 0; y < N; y++)
    for (int x = 0; x < N; x++) zero &= mt_at(&m, x, y) == 0;
  CHECK(zero);
  dm_image_free(&m);
  const dab_spec d = {0.5, 0.5, 0.2, 100, 0};
  add_stroke(ctx, &c, &d, 1, 100, 0);
  c.opacity = 40;
  c.invert = 1;
  mt_render(ctx, &c, 1, &img, NULL, &m);
  CHECK(at(&m, 0, 0) == 0 && mt_at(&m, 0, 0) == 0.4f);
  dm_image_free(&m);
  /* Subtracted from the whole image: a hole. */
  dm_mask_component two[2];
  dm_mask_component_init(&two[0], DM_MASK_ALL);
  CHECK_OK(ctx, dm_mask_component_copy(ctx, &two[1], &c));
  dm_mask_component_free(&c);
  two[1].invert = 0, two[1].opacity = 100, two[1].mode = DM_MASK_SUBTRACT;
  mt_render(ctx, two, 2, &img, NULL, &m);
  CHECK(at(&m, 0, 0) == 0 && at(&m, 21, 0) == 1);
  dm_mask_component_free(&two[1]);
  dm_image_free(&m);
  dm_image_free(&img);
}

/* Deep copies own their strokes; checks name the stroke and key. */
static void test_copy_and_check(dm_context *ctx) {
  dm_mask_component c = brush(), d;
  const dab_spec a = {0.25, 0.75, 0.05, 80, 30};
  add_stroke(ctx, &c, &a, 1, 70, 0);
  CHECK_OK(ctx, dm_mask_component_copy(ctx, &d, &c));
  CHECK(d.brush && d.brush != c.brush && d.brush->strokes != c.brush->strokes);
  CHECK(d.brush->strokes[0].dabs != c.brush->strokes[0].dabs);
  CHECK(d.brush->strokes[0].dabs[0].y == 0.75f && d.brush->strokes[0].density == 70);
  dm_mask_component_free(&c); /* d still whole (ASan would say otherwise) */
  CHECK(d.brush->strokes[0].dabs[0].x == 0.25f);
  CHECK_OK(ctx, dm_mask_component_check(ctx, &d, "mask[0]"));
  d.brush->strokes[0].dabs[0].x = 11;
  CHECK(dm_mask_component_check(ctx, &d, "mask[0]") == DM_ERR_RANGE);
  CHECK(strstr(dm_context_error(ctx), "mask[0].stroke[0].dabs") != NULL);
  d.brush->strokes[0].dabs[0].x = 0.5f;
  d.brush->strokes[0].flow = 120;
  CHECK(dm_mask_component_check(ctx, &d, "mask[0]") == DM_ERR_RANGE);
  CHECK(strstr(dm_context_error(ctx), "mask[0].stroke[0].flow") != NULL);
  d.brush->strokes[0].flow = 80;
  d.brush->strokes[0].dabs[0].radius = 0;
  CHECK(dm_mask_component_check(ctx, &d, "mask[0]") == DM_ERR_RANGE);
  CHECK(strstr(dm_context_error(ctx), "radius") != NULL);
  dm_mask_component_free(&d);
  CHECK(d.brush == NULL);
  dm_mask_component_free(&d); /* twice is harmless */
}

/* The same mask, bit for bit, on 1 and 4 threads (rows are interleaved:
 * every pixel sees its dabs in painting order either way). */
static void test_threads(dm_context *ctx) {
  dm_context *one = dm_context_new(1), *four = dm_context_new(4);
  dm_image img, m1, m4;
  mt_canvas(ctx, 300, 200, &img);
  dm_mask_component c = brush();
  dab_spec line[40];
  for (int i = 0; i < 40; i++) line[i] = (dab_spec){0.1 + 0.02 * i, 0.3 + 0.01 * i, 0.03, 35, 60};
  add_stroke(ctx, &c, line, 40, 90, 0);
  add_stroke(ctx, &c, line + 10, 20, 50, 1);
  for (int i = 0; i < 40; i++) line[i].y = 0.7 - 0.01 * i, line[i].radius = 0.01 + 0.001 * i;
  add_stroke(ctx, &c, line, 40, 70, 0);
  mt_render(one, &c, 1, &img, NULL, &m1);
  mt_render(four, &c, 1, &img, NULL, &m4);
  double mad, maxd;
  dm_test_image_diff(&m1, &m4, &mad, &maxd);
  CHECK(maxd == 0);
  double sum = 0;
  for (int y = 0; y < 200; y++)
    for (int x = 0; x < 300; x++) sum += mt_at(&m1, x, y);
  CHECK(sum > 1000); /* it painted something */
  dm_mask_component_free(&c);
  dm_image_free(&m1);
  dm_image_free(&m4);
  dm_image_free(&img);
  dm_context_free(one);
  dm_context_free(four);
}

/* Cost follows the painted area: 4000 small dabs (R = 3 px) on a 6 MP
 * canvas touch ~0.4 M pixels; a renderer that visits the image per dab
 * would do 24 G pixel steps (minutes). Even under ASan this is well under
 * a second; the bound is loose for a shared machine. */
static void test_cost(dm_context *ctx) {
  const int w = 3000, h = 2000;
  dm_image img, m;
  mt_canvas(ctx, w, h, &img);
  dm_mask_component c = brush();
  dab_spec d[1000];
  for (int s = 0; s < 4; s++) {
    for (int i = 0; i < 1000; i++)
      d[i] = (dab_spec){0.05 + 0.0009 * i, 0.2 + 0.2 * s + 0.0001 * i, 0.001, 100, 50};
    add_stroke(ctx, &c, d, 1000, 100, 0);
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  mt_render(ctx, &c, 1, &img, NULL, &m);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
  printf("4000 dabs on %dx%d: %.3f s\n", w, h, secs);
  fflush(stdout);
  CHECK(secs < 3.0);
  CHECK(mt_at(&m, (int)(0.05 * w), (int)(0.2 * h)) == 1.0f);
  dm_mask_component_free(&c);
  dm_image_free(&m);
  dm_image_free(&img);
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  test_hard_disc(ctx);
  test_feather(ctx);
  test_flow(ctx);
  test_density(ctx);
  test_erase(ctx);
  test_long_side(ctx);
  test_dab_settings(ctx);
  test_component(ctx);
  test_copy_and_check(ctx);
  test_threads(ctx);
  test_cost(ctx);
  dm_context_free(ctx);
  return dm_test_done("mask/brush");
}
