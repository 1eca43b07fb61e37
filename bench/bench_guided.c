/* Guided filter benchmark, at the shapes the scene's matte and depth run
 * it at for a 24 MP photo (a colour guide; the filter's work does not
 * depend on the pixels, so the guide is a smooth pattern with noise):
 *   304x304 r12, one thread    a refinement tile (matte/matte_refine.c)
 *   132x132 r1, one thread     a colour-check tile's smoothing (matte_layers.c)
 *   1024x682 r2                the upsampling fit at the network's size
 *   1225x816 r24               the fusion proxy (depth/fuse.c)
 *   6000x4000 r24              a whole 24 MP photo
 * usage: bench_guided [--threads N] [--repeat N]
 * Each case: the median wall time of dm_guided_filter over the repeats
 * (more for the small tiles), and a checksum of the output, so two builds
 * can be compared (the same checksum: the same bits at those pixels). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/context.h"
#include "core/guided.h"
#include "core/image.h"

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void fill(dm_image *g, dm_image *p) {
  unsigned u = 12345;
  for (int y = 0; y < g->height; y++) {
    float *a = dm_row(g, y), *b = dm_row(p, y);
    for (int x = 0; x < g->width; x++) {
      for (int c = 0; c < 3; c++) {
        u = u * 1664525u + 1013904223u;
        a[3 * x + c] = (float)(0.5 + 0.4 * sin(0.01 * x + 0.02 * y + c) + 0.05 * (u >> 8) / 16777216.0);
      }
      u = u * 1664525u + 1013904223u;
      b[x] = (float)((u >> 8) / 16777216.0);
    }
  }
}

static void run_case(const char *name, int w, int h, int r, int threads, int repeat) {
  dm_context *ctx = dm_context_new(threads);
  dm_image g = {0}, p = {0};
  if (!ctx || dm_image_alloc(ctx, &g, w, h, 3) || dm_image_alloc(ctx, &p, w, h, 1)) {
    fprintf(stderr, "bench_guided: out of memory\n");
    exit(1);
  }
  fill(&g, &p);
  double *t = malloc(sizeof(double) * (size_t)repeat), sum = 0;
  for (int i = 0; i < repeat; i++) {
    dm_image o = {0};
    const double t0 = dm_now_ms();
    if (dm_guided_filter(ctx, &g, &p, r, 1e-3f, &o)) {
      fprintf(stderr, "bench_guided: %s\n", dm_context_error(ctx));
      exit(1);
    }
    t[i] = dm_now_ms() - t0;
    sum += dm_row(&o, h / 2)[w / 2] + dm_row(&o, h - 1)[w - 1];
    dm_image_free(&o);
  }
  qsort(t, (size_t)repeat, sizeof *t, cmp_double);
  printf("%-30s %9.3f ms   checksum %.9g\n", name, t[repeat / 2], sum / repeat);
  free(t);
  dm_image_free(&g), dm_image_free(&p);
  dm_context_free(ctx);
}

int main(int argc, char **argv) {
  int threads = 2, repeat = 9;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--repeat")) repeat = atoi(argv[i + 1]);
  }
  if (threads < 1 || repeat < 1) {
    fprintf(stderr, "usage: bench_guided [--threads N] [--repeat N]\n");
    return 2;
  }
  printf("guided filter, colour guide, median of %d (small tiles: x20), %d threads where not said\n", repeat,
         threads);
  run_case("304x304 r12, one thread", 304, 304, 12, 1, 20 * repeat);
  run_case("132x132 r1, one thread", 132, 132, 1, 1, 20 * repeat);
  run_case("1024x682 r2", 1024, 682, 2, threads, repeat);
  run_case("1225x816 r24", 1225, 816, 24, threads, repeat);
  run_case("6000x4000 r24", 6000, 4000, 24, threads, repeat > 3 ? 3 : repeat);
  return 0;
}
