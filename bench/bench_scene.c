/* The scene of one photo (depth, matte, confidence), cold then warm:
 *   bench_scene PHOTO CACHE_DIR [THREADS] [REPEAT]
 * Decodes PHOTO once, then builds its scene with an empty CACHE_DIR (cold:
 * networks, refinement, fusion; stage times from the library's log) and
 * REPEAT more times from the cache (warm: the time to have the
 * full-resolution depth, matte and confidence in memory), median. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "color/color.h"
#include "depth/scene.h"
#include "io/io.h"

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static void log_stage(void *user, dm_log_level level, const char *msg) {
  (void)user;
  if (level >= DM_LOG_INFO) printf("  %s\n", msg);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: bench_scene PHOTO CACHE_DIR [THREADS] [REPEAT]\n");
    return 2;
  }
  int threads = argc > 3 ? atoi(argv[3]) : 2, repeat = argc > 4 ? atoi(argv[4]) : 9;
  if (repeat < 1 || repeat > 1000) repeat = 9;
  dm_context *ctx = dm_context_new(threads);
  dm_decoded dec = {0};
  if (dm_io_read(ctx, argv[1], &dec) || dm_color_to_working_inplace(ctx, &dec, argv[1])) {
    fprintf(stderr, "bench_scene: %s\n", dm_context_error(ctx));
    return 1;
  }
  printf("photo: %s, %dx%d (%.1f MP), %d threads\n", argv[1], dec.img.width, dec.img.height,
         dec.img.width * (double)dec.img.height / 1e6, threads);
  dm_scene_options opt = {.cache_dir = argv[2]};
  dm_scene sc;
  ctx->log = log_stage;
  double t0 = now_ms();
  if (dm_scene_build(ctx, argv[1], &dec.img, dec.meta.orientation, &opt, &sc)) {
    fprintf(stderr, "bench_scene: %s\n", dm_context_error(ctx));
    return 1;
  }
  printf("cold: %.0f ms%s (%s; %s)\n", now_ms() - t0, sc.cached ? " BUT CACHED: empty the folder" : "",
         sc.depth_source, sc.matte_source);
  dm_scene_free(&sc);
  ctx->log = NULL;
  double *ms = calloc((size_t)repeat, sizeof *ms);
  int all_cached = 1;
  for (int i = 0; i < repeat; i++) {
    t0 = now_ms();
    if (dm_scene_build(ctx, argv[1], &dec.img, dec.meta.orientation, &opt, &sc)) {
      fprintf(stderr, "bench_scene: %s\n", dm_context_error(ctx));
      return 1;
    }
    ms[i] = now_ms() - t0;
    all_cached &= sc.cached;
    dm_scene_free(&sc);
  }
  qsort(ms, (size_t)repeat, sizeof *ms, cmp_double);
  printf("warm: median %.1f ms, min %.1f ms over %d runs%s\n", ms[repeat / 2], ms[0], repeat,
         all_cached ? "" : " (NOT all from the cache)");
  free(ms);
  dm_decoded_free(&dec);
  dm_context_free(ctx);
  return 0;
}
