/* The editor's render graph on a large photo (issue 14's speed bars),
 * in process: what one slider change costs from the recipe change to the
 * preview's JPEG bytes, at the draft (long side 1000) and the proxy (1600)
 * levels, with the scene (depth and matte) from the disk cache.
 *
 * usage: bench_edit PHOTO [--cache DIR] [--threads N] [--repeat N] [--only WORD] [--digest]
 * (--only: the cases whose name holds WORD; "region" for the region alone;
 * --digest: print a hash of every preview's pixels, to check a faster
 * build renders the same bytes)
 * Recipe (the issue's): correction 0 = Depth Range [0, 35] ∩ Subject,
 * Exposure +0.3; correction 1 = Background, Exposure -0.7; lens blur 50.
 * Each change moves one value to a new setting every run (so nothing comes
 * from memory that a real drag would not find there): a Depth Range handle,
 * Smoothness, Exposure of correction 1, Lens Blur Amount. Also: a region
 * of 800 x 800 at 100 % after a change, and the process's peak RSS.
 * bench/edit.sh runs it beside a `depthmask render` process of the proxy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <xxhash.h>

#include "pipeline/graph.h"

/* CPU time of the whole process (every thread): steadier than wall time
 * on a shared machine, and with 2 threads at most twice the wall time. */
static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
static double last_cpu_s;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void die(dm_context *ctx, const char *what) {
  fprintf(stderr, "bench_edit: %s: %s\n", what, dm_context_error(ctx));
  exit(1);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* One preview: render at `level` and encode as the server sends it; the
 * encoding's share is added to *encode. */
static double encode_s;
static XXH64_state_t *digest; /* --digest */
static double preview(dm_context *ctx, dm_graph *g, const dm_recipe *r, dm_graph_level level) {
  double t = now(), c = cpu_now();
  dm_image out = {0};
  dm_graph_view v = {.level = level, .supersede = 1};
  if (dm_graph_render(ctx, g, r, NULL, &v, &out, NULL)) die(ctx, "render");
  double te = now();
  for (int y = 0; digest && y < out.height; y++)
    XXH64_update(digest, dm_row(&out, y), sizeof(float) * (size_t)out.width * out.channels);
  unsigned char *jpg = NULL;
  size_t len = 0;
  if (dm_graph_jpeg(ctx, &out, 85, &jpg, &len)) die(ctx, "jpeg");
  free(jpg);
  dm_image_free(&out);
  encode_s += now() - te;
  last_cpu_s = cpu_now() - c;
  return now() - t;
}

typedef struct change {
  const char *name;
  const char *fmt; /* a --set with one %g */
  double base, step;
} change;

static void report(const char *what, double *t, int n) {
  qsort(t, (size_t)n, sizeof *t, cmp_double);
  int p95 = (int)(0.95 * (n - 1) + 0.5);
  printf("  %-34s median %6.1f ms   p95 %6.1f ms\n", what, 1e3 * t[n / 2], 1e3 * t[p95]);
}

/* The process's resident memory now (VmRSS), MiB; 0 when unknown. */
static double rss_mib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  double kib = 0;
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, "VmRSS:", 6)) kib = atof(line + 6);
  if (f) fclose(f);
  return kib / 1024.0;
}

int main(int argc, char **argv) {
  const char *photo = NULL, *cache = NULL, *only = NULL;
  int threads = 2, repeat = 15;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--cache") && i + 1 < argc) cache = argv[++i];
    else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--repeat") && i + 1 < argc) repeat = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
    else if (!strcmp(argv[i], "--digest")) XXH64_reset(digest = XXH64_createState(), 0);
    else photo = argv[i];
  }
  if (!photo || repeat < 2 || repeat > 1000) {
    fprintf(stderr, "usage: bench_edit PHOTO [--cache DIR] [--threads N] [--repeat N]\n");
    return 2;
  }
  dm_context *ctx = dm_context_new(threads);
  dm_graph_options o = {.threads = threads};
  o.scene.depth_mode = DM_DEPTH_MODE_AUTO;
  o.scene.matte_mode = DM_MATTE_MODE_AUTO;
  o.scene.cache_dir = cache;
  dm_graph *g = NULL;
  double t0 = now();
  if (dm_graph_open(ctx, photo, &o, &g)) die(ctx, photo);
  double t1 = now();
  if (dm_graph_build_scene(ctx, g)) die(ctx, "scene");
  double t2 = now();
  int w, h;
  dm_graph_size(g, &w, &h);
  printf("edit graph, %dx%d, %d threads, %d runs per case\n", w, h, threads, repeat);
  printf("  open (decode, working space, proxy and draft): %.2f s; scene from the cache and "
         "brought to each level: %.2f s\n", t1 - t0, t2 - t1);

  dm_recipe r;
  if (dm_recipe_init(ctx, &r)) die(ctx, "recipe");
  static const char *const sets[] = {
      "correction[0].mask[0].kind=depth_range", "correction[0].mask[0].depth_range=0,35",
      "correction[0].mask[0].smoothness=30",    "correction[0].mask[1].kind=subject",
      "correction[0].mask[1].mode=intersect",   "correction[0].exposure=0.3",
      "correction[1].mask[0].kind=background",  "correction[1].exposure=-0.7",
      "lens_blur.amount=50",
  };
  for (size_t i = 0; i < sizeof sets / sizeof *sets; i++)
    if (dm_recipe_set(ctx, &r, sets[i])) die(ctx, sets[i]);
  static const change changes[] = {
      {"Depth Range far handle", "correction[0].mask[0].depth_range=0,%g", 36, 1},
      {"Smoothness", "correction[0].mask[0].smoothness=%g", 31, 1},
      {"Exposure (Background)", "correction[1].exposure=%g", -0.69, 0.01},
      {"Lens Blur Amount", "lens_blur.amount=%g", 51, 1},
  };
  double *t = malloc((size_t)repeat * sizeof *t), *cpu = malloc((size_t)repeat * sizeof *cpu);
  const char *level_names[] = {"proxy 1600", "draft 1000"};
  const dm_graph_level levels[] = {DM_LEVEL_PROXY, DM_LEVEL_DRAFT};
  for (int l = 0; l < 2; l++) {
    preview(ctx, g, &r, levels[l]); /* the first render of a level fills its memory */
    for (size_t c = 0; c < sizeof changes / sizeof *changes; c++) {
      char what[96];
      snprintf(what, sizeof what, "%s, %s", level_names[l], changes[c].name);
      if (only && !strstr(what, only)) continue;
      encode_s = 0;
      for (int i = 0; i < repeat; i++) {
        char set[128];
        snprintf(set, sizeof set, changes[c].fmt, changes[c].base + changes[c].step * (i % 20));
        if (dm_recipe_set(ctx, &r, set)) die(ctx, set);
        t[i] = preview(ctx, g, &r, levels[l]);
        cpu[i] = last_cpu_s;
      }
      report(what, t, repeat);
      qsort(cpu, (size_t)repeat, sizeof *cpu, cmp_double);
      printf("  %-34s (of which sRGB + JPEG %.1f ms a preview; CPU time of all threads: median "
             "%.1f ms)\n", "", 1e3 * encode_s / repeat, 1e3 * cpu[repeat / 2]);
    }
  }
  /* A region at 100 % after a change, on the recipe again (the
   * cases above left their last values); the first region reads the full
   * level again (decode and scene from the cache) and is reported apart. */
  static const char *const reset[] = {"correction[0].mask[0].depth_range=0,35",
                                      "correction[0].mask[0].smoothness=30",
                                      "correction[1].exposure=-0.7", "lens_blur.amount=50"};
  int regions = !only || strstr(only, "region");
  for (size_t i = 0; regions && i < sizeof reset / sizeof *reset; i++)
    if (dm_recipe_set(ctx, &r, reset[i])) die(ctx, reset[i]);
  dm_graph_view rv = {.level = DM_LEVEL_FULL, .x = w / 2 - 400, .y = h / 3 - 400, .w = 800, .h = 800};
  for (int i = -1; regions && i < repeat; i++) {
    char set[128];
    snprintf(set, sizeof set, "correction[1].exposure=%g", -0.5 - 0.01 * (i % 20));
    if (i >= 0 && dm_recipe_set(ctx, &r, set)) die(ctx, set);
    double ts = now();
    dm_image out = {0};
    if (dm_graph_render(ctx, g, &r, NULL, &rv, &out, NULL)) die(ctx, "region");
    dm_image_free(&out);
    if (i < 0) printf("  first region (reads the full level again): %.0f ms\n", 1e3 * (now() - ts));
    else t[i] = now() - ts;
  }
  if (regions) report("region 800x800 at 100 % after a change", t, repeat);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  dm_graph_stats gs;
  dm_graph_stats_get(g, &gs);
  printf("  peak RSS %.0f MiB; at the end %.0f MiB held, %.0f MiB of it the levels' stage memory "
         "and lens blur plans\n", ru.ru_maxrss / 1024.0, rss_mib(), gs.bytes / 1048576.0);
  if (digest) printf("  digest of the previews' pixels: %016llx\n", (unsigned long long)XXH64_digest(digest));
  XXH64_freeState(digest);
  free(t);
  free(cpu);
  dm_recipe_free(&r);
  dm_graph_free(g);
  dm_context_free(ctx);
  return 0;
}
