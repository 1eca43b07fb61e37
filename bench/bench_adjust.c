/* Micro-benchmark of the local adjustments on a 24 MP image (6000 x 4000,
 * a real photo scaled up), on N threads (default 2):
 *   - all twelve sliders at once, with no mask and with a smooth mask;
 *   - each slider alone (so its own cost shows);
 *   - all twelve on a ~1 MP proxy (what the editor renders);
 *   - as a floor, one plain threaded pass over the image.
 * Prints the median of a few runs in ms and in MP/s.
 *
 * Build: cmake -S . -B build -DDM_BENCH=ON && cmake --build build --target bench_adjust
 * or by hand (Release library in build/):
 *   cc -std=c11 -O2 -Isrc bench/bench_adjust.c build/libdepthmask.a \
 *      $(pkg-config --libs libjpeg libpng libtiff-4 libraw_r libheif lcms2 libexif libxml-2.0 libxxhash) \
 *      -lstdc++ -lm -lpthread -o build/bench_adjust
 * Run: build/bench_adjust [threads] [photo.png] */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* clock_gettime, CLOCK_PROCESS_CPUTIME_ID */
#endif
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adjust/adjust.h"
#include "color/color.h"
#include "core/pool.h"
#include "io/io.h"

#define RUNS 5

static double clock_ms(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Bilinear resize to w x h. */
static int resize(dm_context *ctx, const dm_image *src, int w, int h, dm_image *out) {
  if (dm_image_alloc(ctx, out, w, h, 3)) return 1;
  for (int y = 0; y < h; y++) {
    float v = ((float)y + 0.5f) * (float)src->height / (float)h - 0.5f;
    v = fmaxf(0.0f, fminf(v, (float)(src->height - 1)));
    int y0 = (int)v, y1 = y0 + 1 < src->height ? y0 + 1 : y0;
    float fy = v - (float)y0;
    for (int x = 0; x < w; x++) {
      float u = ((float)x + 0.5f) * (float)src->width / (float)w - 0.5f;
      u = fmaxf(0.0f, fminf(u, (float)(src->width - 1)));
      int x0 = (int)u, x1 = x0 + 1 < src->width ? x0 + 1 : x0;
      float fx = u - (float)x0;
      for (int c = 0; c < 3; c++) {
        float a = dm_px(src, x0, y0)[c] * (1 - fx) + dm_px(src, x1, y0)[c] * fx;
        float b = dm_px(src, x0, y1)[c] * (1 - fx) + dm_px(src, x1, y1)[c] * fx;
        dm_px(out, x, y)[c] = a * (1 - fy) + b * fy;
      }
    }
  }
  return 0;
}

/* Median wall time of RUNS applications, each on a fresh copy of `src`;
 * *cpu gets the median CPU time of all threads (on a shared, loaded machine
 * wall time says little; CPU time / threads is what an idle machine gives
 * when the work splits evenly). */
static double bench(dm_context *ctx, const dm_image *src, const dm_image *mask, const dm_adjust_values *v,
                    double *cpu) {
  double t[RUNS], c[RUNS];
  dm_image work;
  if (dm_image_copy(ctx, &work, src)) exit(1);
  for (int r = 0; r < RUNS; r++) {
    memcpy(work.data, src->data, (size_t)src->width * src->height * 3 * sizeof(float));
    double t0 = clock_ms(CLOCK_MONOTONIC), c0 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
    if (dm_adjust_apply(ctx, &work, mask, 1.0f, v)) {
      fprintf(stderr, "bench_adjust: %s\n", dm_context_error(ctx));
      exit(1);
    }
    t[r] = clock_ms(CLOCK_MONOTONIC) - t0;
    c[r] = clock_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
  }
  dm_image_free(&work);
  qsort(t, RUNS, sizeof t[0], cmp_double);
  qsort(c, RUNS, sizeof c[0], cmp_double);
  *cpu = c[RUNS / 2];
  return t[RUNS / 2];
}

/* The floor any adjustment pays: one threaded pass that reads and writes
 * every sample (here, scales it). Timed in the same run as a peer, since
 * shared machines are noisy. */
typedef struct {
  dm_image *img;
} floor_job;

static void floor_rows(void *user, int ith, int nth) {
  floor_job *j = user;
  int y0, y1;
  dm_split_rows(j->img->height, ith, nth, &y0, &y1);
  for (int y = y0; y < y1; y++) {
    float *p = dm_row(j->img, y);
    for (int x = 0; x < j->img->width * 3; x++) p[x] *= 1.0001f;
  }
}

static double bench_floor(dm_context *ctx, const dm_image *src, double *cpu) {
  double t[RUNS], c[RUNS];
  dm_image work;
  if (dm_image_copy(ctx, &work, src)) exit(1);
  floor_job j = {&work};
  for (int r = 0; r < RUNS; r++) {
    double t0 = clock_ms(CLOCK_MONOTONIC), c0 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
    dm_parallel(ctx, floor_rows, &j);
    t[r] = clock_ms(CLOCK_MONOTONIC) - t0;
    c[r] = clock_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
  }
  dm_image_free(&work);
  qsort(t, RUNS, sizeof t[0], cmp_double);
  qsort(c, RUNS, sizeof c[0], cmp_double);
  *cpu = c[RUNS / 2];
  return t[RUNS / 2];
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 2;
  const char *path = argc > 2 ? argv[2] : "/usr/lib/python3/dist-packages/skimage/data/coffee.png";
  dm_context *ctx = dm_context_new(threads);
  dm_decoded dec;
  memset(&dec, 0, sizeof dec);
  dm_image photo, big, proxy, mask;
  if (dm_io_read(ctx, path, &dec) || dm_color_to_working(ctx, &dec, path, &photo)) {
    fprintf(stderr, "bench_adjust: %s\n", dm_context_error(ctx));
    return 1;
  }
  dm_decoded_free(&dec);
  const int W = 6000, H = 4000;
  if (resize(ctx, &photo, W, H, &big) || resize(ctx, &photo, 1224, 816, &proxy) ||
      dm_image_alloc(ctx, &mask, W, H, 1))
    return 1;
  for (int y = 0; y < H; y++) /* a radial-gradient-like mask */
    for (int x = 0; x < W; x++) {
      float dx = (x - W * 0.5f) / (W * 0.35f), dy = (y - H * 0.5f) / (H * 0.35f);
      float d = sqrtf(dx * dx + dy * dy);
      dm_px(&mask, x, y)[0] = fminf(fmaxf(1.5f - d, 0.0f), 1.0f);
    }
  const dm_param *t = dm_adjust_params();
  dm_adjust_values all;
  for (int i = 0; i < DM_ADJ_COUNT; i++) all.v[i] = 0.4f * t[i].max;
  double mp = W * (double)H / 1e6;
  printf("bench_adjust: %dx%d (%.0f MP) from %s, %d threads, median of %d\n", W, H, mp, path, threads, RUNS);
  printf("  %-30s %9s %9s\n", "", "wall ms", "cpu ms");
  double cpu, ms = bench_floor(ctx, &big, &cpu);
  printf("  %-30s %9.1f %9.1f\n", "floor: one read-write pass", ms, cpu);
  ms = bench(ctx, &big, NULL, &all, &cpu);
  printf("  %-30s %9.1f %9.1f\n", "all 12 sliders, no mask", ms, cpu);
  ms = bench(ctx, &big, &mask, &all, &cpu);
  printf("  %-30s %9.1f %9.1f\n", "all 12 sliders, smooth mask", ms, cpu);
  for (int i = 0; i < DM_ADJ_COUNT; i++) {
    dm_adjust_values one;
    dm_adjust_defaults(&one);
    one.v[i] = all.v[i];
    ms = bench(ctx, &big, &mask, &one, &cpu);
    char label[64];
    snprintf(label, sizeof label, "%s alone, mask", t[i].key);
    printf("  %-30s %9.1f %9.1f\n", label, ms, cpu);
  }
  ms = bench(ctx, &proxy, NULL, &all, &cpu);
  printf("  %-30s %9.1f %9.1f\n", "all 12, 1224x816 proxy", ms, cpu);
  dm_image_free(&mask);
  dm_image_free(&proxy);
  dm_image_free(&big);
  dm_image_free(&photo);
  dm_context_free(ctx);
  return 0;
}
