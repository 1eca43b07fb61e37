/* Mask re-evaluation benchmark: what the editor does when one mask
 * parameter changes on a 12 MP photo whose depth and matte are cached.
 *
 * usage: bench_mask [--threads N] [--repeat N]
 * The photo is skimage's chelsea upscaled to 4000x3000 (working space),
 * with a synthetic near01 depth (background 0.8, an elliptic subject at
 * 0.3 whose edge is blurred over ~40 px, as fused depth is) and a matte of
 * the same ellipse with a sharper edge. Cases, each the median wall time of
 * dm_mask_render over --repeat runs (default 2 threads, 7 repeats):
 *   depth_range            [25, 35], smoothness 25
 *   depth_range & subject  the same, intersected with Subject
 *   subject                the matte alone (the floor: one copy)
 *   brush, 1 long stroke   645 dabs of radius 0.05 (200 px) 0.2 radius apart,
 *                          feather 50: the largest stroke of a public census
 *                          of real Lightroom brushes (src/mask/brush.c)
 *   brush, 17 strokes      17 strokes of 42 dabs (that census' mean), radius
 *                          0.02, flow 50, one of them an eraser */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "color/color.h"
#include "core/resample.h"
#include "io/io.h"
#include "mask/brush.h"
#include "mask/mask.h"

#define CHELSEA "/usr/lib/python3/dist-packages/skimage/data/chelsea.png"
#define W 4000
#define H 3000

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void die(dm_context *ctx, const char *what) {
  fprintf(stderr, "bench_mask: %s: %s\n", what, ctx ? dm_context_error(ctx) : "failed");
  exit(1);
}

/* CPU seconds (user + system) of this process: on a shared machine the wall
 * time grows with the load, the CPU time much less. */
static double cpu_time(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + 1e-6 * (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Prints the median wall and CPU milliseconds of `repeat` renders. */
static void time_render(dm_context *ctx, const char *label, const dm_mask_component *c, int n,
                        const dm_mask_inputs *in, dm_image *out, int repeat) {
  double t[64], u[64];
  if (repeat > 64) repeat = 64;
  if (repeat < 1) repeat = 1;
  for (int i = 0; i < repeat; i++) {
    double t0 = now(), u0 = cpu_time();
    if (dm_mask_render(ctx, c, n, in, out) != DM_OK) die(ctx, "render");
    t[i] = now() - t0, u[i] = cpu_time() - u0;
  }
  qsort(t, (size_t)repeat, sizeof t[0], cmp_double);
  qsort(u, (size_t)repeat, sizeof u[0], cmp_double);
  printf("  %-22s %7.1f ms wall  %7.1f ms CPU\n", label, 1e3 * t[repeat / 2], 1e3 * u[repeat / 2]);
}

/* 0 inside the ellipse, 1 outside, a smoothstep over `soft` px across its edge. */
static float ellipse_outside(int x, int y, float soft) {
  const float cx = 0.45f * W, cy = 0.55f * H, rx = 0.28f * W, ry = 0.42f * H;
  const float dx = (x - cx) / rx, dy = (y - cy) / ry;
  const float d = (sqrtf(dx * dx + dy * dy) - 1.0f) * fminf(rx, ry); /* ~px from the edge */
  float t = d / soft + 0.5f;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  return t * t * (3 - 2 * t);
}

int main(int argc, char **argv) {
  int threads = 2, repeat = 7;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--repeat")) repeat = atoi(argv[i + 1]);
  }
  dm_context *ctx = dm_context_new(threads);
  dm_decoded dec = {0};
  if (dm_io_read(ctx, CHELSEA, &dec) || dm_color_to_working_inplace(ctx, &dec, CHELSEA))
    die(ctx, CHELSEA);
  dm_image photo = {0}, depth = {0}, matte = {0}, out = {0};
  if (dm_resized_plane(ctx, &dec.img, W, H, 0, &photo, "photo")) die(ctx, "upscale");
  dm_decoded_free(&dec);
  if (dm_image_alloc(ctx, &depth, W, H, 1) || dm_image_alloc(ctx, &matte, W, H, 1) ||
      dm_image_alloc(ctx, &out, W, H, 1))
    die(ctx, "alloc");
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      dm_px(&depth, x, y)[0] = 0.3f + 0.5f * ellipse_outside(x, y, 40);
      dm_px(&matte, x, y)[0] = 1.0f - ellipse_outside(x, y, 4);
    }
  dm_mask_inputs in = {.image = &photo, .depth = &depth, .matte = &matte};
  dm_mask_component c[2];
  dm_mask_component_init(&c[0], DM_MASK_DEPTH_RANGE);
  c[0].depth_range[0] = 25, c[0].depth_range[1] = 35;
  dm_mask_component_init(&c[1], DM_MASK_SUBJECT);
  c[1].mode = DM_MASK_INTERSECT;
  dm_mask_component subject = c[1];
  subject.mode = DM_MASK_ADD;
  if (dm_mask_render(ctx, c, 1, &in, &out) != DM_OK) die(ctx, "render"); /* warm the pages */
  printf("bench_mask: %dx%d, %d threads, median of %d\n", W, H, threads, repeat);
  time_render(ctx, "depth_range", c, 1, &in, &out, repeat);
  time_render(ctx, "depth_range & subject", c, 2, &in, &out, repeat);
  time_render(ctx, "subject", &subject, 1, &in, &out, repeat);
  /* Brushes: dabs along a wavy line, as Lightroom lays them (0.2 R apart). */
  dm_mask_component brush[2];
  for (int b = 0; b < 2; b++) {
    dm_mask_component_init(&brush[b], DM_MASK_BRUSH);
    const int strokes = b ? 17 : 1, dabs = b ? 42 : 645;
    const float r = b ? 0.02f : 0.05f;
    for (int s = 0; s < strokes; s++) {
      dm_brush_stroke st;
      dm_brush_stroke_init(&st);
      st.radius = r, st.feather = 50, st.flow = b ? 50 : 100, st.erase = (float)(b && s == 5);
      st.dabs = malloc((size_t)dabs * sizeof *st.dabs);
      if (!st.dabs) die(NULL, "alloc");
      st.n_dabs = dabs;
      double x = 0.1 + 0.04 * s, y = 0.1;
      for (int i = 0; i < dabs; i++) {
        st.dabs[i] = (dm_brush_dab){(float)x, (float)y, st.radius, st.flow, st.feather};
        double step = 0.2 * r * W, a = 1.3 * sin(0.011 * i + s); /* px along, heading */
        x += step * cos(a) / W, y += step * fabs(sin(a)) / H * 0.6;
        if (x < 0.05 || x > 0.95) x = 0.5;
        if (y > 0.95) y = 0.1;
      }
      if (dm_brush_add_stroke(ctx, &brush[b], &st)) die(ctx, "brush");
      dm_brush_stroke_free(&st);
    }
  }
  time_render(ctx, "brush, 1 long stroke", &brush[0], 1, &in, &out, repeat);
  time_render(ctx, "brush, 17 strokes", &brush[1], 1, &in, &out, repeat);
  dm_mask_component_free(&brush[0]);
  dm_mask_component_free(&brush[1]);
  dm_image_free(&photo);
  dm_image_free(&depth);
  dm_image_free(&matte);
  dm_image_free(&out);
  dm_context_free(ctx);
  return 0;
}
