/* Lens blur benchmark. Figures are reported beside a peer measured in the
 * same run (the machines are shared and noisy).
 *
 * usage: bench_blur [--threads N] [--repeat N] [--dof-eval DIR] [CASE...]
 * cases (default: all):
 *   gegl     the dof-eval dev1 scene (960x640, CoC up to 65.7 px, 6 lights),
 *            physical mode, against `gegl ... gegl:lens-blur` on the same
 *            photo and CoC map (GEGL's process time as it is, ours in-process
 *            and with PNG decode + encode)
 *   radius   12 MP (4240x2832), background CoC radius 8, 16, 32, 64, 128 px
 *   24mp     24 MP (6000x4000) portrait: subject in focus, background CoC
 *            radius 72 px (1% of the diagonal), a foreground object;
 *            time and peak RSS of a process that only does this
 * The scenes for radius and 24mp are skimage's chelsea upscaled, with a
 * synthetic metric depth (background 20 m, subject ellipse at the 2 m focus,
 * foreground disc at 1.2 m; 85 mm, 36 mm sensor, N set for the radius). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "blur/blur.h"
#include "color/color.h"
#include "io/io.h"

#ifndef DM_SOURCE_DIR
#define DM_SOURCE_DIR "."
#endif
#define CHELSEA "/usr/lib/python3/dist-packages/skimage/data/chelsea.png"

static int g_threads = 2, g_repeat = 3;
static const char *g_dof = DM_SOURCE_DIR "/../shared/dof-eval";

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void die(dm_context *ctx, const char *what) {
  fprintf(stderr, "bench_blur: %s: %s\n", what, ctx ? dm_context_error(ctx) : "failed");
  exit(1);
}

/* CPU seconds (user + system) this process has used: under load the wall
 * time grows, the CPU time much less. */
static double cpu_time(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + 1e-6 * (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static double g_last_cpu; /* median CPU seconds of the last time_blur */

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Median wall time of g_repeat blurs of a copy of `img` (or of `img`
 * itself, in place, when `inplace`: the timing does not depend on the
 * pixels, and peak memory then is what a pipeline holds). */
static double time_blur(dm_context *ctx, dm_image *img, const dm_image *near01, float zn,
                        float zf, const dm_image *matte, const dm_lens_blur *p, int inplace) {
  double t[32], c[32];
  int n = g_repeat < 32 ? g_repeat : 32;
  for (int i = 0; i < n; i++) {
    dm_image work = *img;
    if (!inplace && dm_image_copy(ctx, &work, img) != DM_OK) die(ctx, "copy");
    double t0 = now(), c0 = cpu_time();
    if (dm_lens_blur_apply(ctx, &work, near01, zn, zf, matte, p) != DM_OK) die(ctx, "blur");
    t[i] = now() - t0, c[i] = cpu_time() - c0;
    if (!inplace) dm_image_free(&work);
  }
  qsort(t, (size_t)n, sizeof t[0], cmp_double);
  qsort(c, (size_t)n, sizeof c[0], cmp_double);
  g_last_cpu = c[n / 2];
  return t[n / 2];
}

/* Run a command, return its wall time, or a negative number on failure. */
static double run_timed(char *const argv[]) {
  double t0 = now();
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (!freopen("/dev/null", "w", stderr)) _exit(127);
    if (!freopen("/dev/null", "w", stdout)) _exit(127);
    execvp(argv[0], argv);
    _exit(127);
  }
  int st;
  if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) return -1;
  return now() - t0;
}

/* ---- the dof-eval scene vs GEGL ------------------------------------------ */

static double json_number(const char *json, const char *key) {
  char pat[128];
  snprintf(pat, sizeof pat, "\"%s\":", key);
  const char *p = strstr(json, pat);
  return p ? strtod(p + strlen(pat), NULL) : NAN;
}

static void case_gegl(dm_context *ctx) {
  char scene[4096], path[4200];
  snprintf(scene, sizeof scene, "%s/scenes/dev1_chelsea_1.2m_bg5m_lights", g_dof);
  snprintf(path, sizeof path, "%s/camera.json", scene);
  FILE *f = fopen(path, "rb");
  if (!f) {
    printf("gegl: %s missing, skipped\n", path);
    return;
  }
  static char json[1 << 16];
  size_t n = fread(json, 1, sizeof json - 1, f);
  json[n] = 0;
  fclose(f);
  double fmm = json_number(json, "f_mm"), N = json_number(json, "N"), s = json_number(json, "focus_m");
  double sw = json_number(json, "sensor_width_mm"), zn = json_number(json, "depth16_near_m");
  double zf = json_number(json, "depth16_far_m");

  double t_io0 = now();
  dm_decoded aif, d16;
  snprintf(path, sizeof path, "%s/aif.png", scene);
  if (dm_io_read(ctx, path, &aif) != DM_OK) die(ctx, path);
  dm_image work;
  if (dm_color_to_working(ctx, &aif, path, &work) != DM_OK) die(ctx, path);
  double t_dec = now() - t_io0;
  snprintf(path, sizeof path, "%s/depth16.png", scene);
  if (dm_io_read(ctx, path, &d16) != DM_OK) die(ctx, path);
  int w = work.width, h = work.height;
  dm_image depth, near01, map;
  if (dm_image_alloc(ctx, &depth, w, h, 1) != DM_OK || dm_image_alloc(ctx, &map, w, h, 1) != DM_OK)
    die(ctx, "alloc");
  dm_lens_blur p;
  dm_lens_blur_defaults(&p);
  p.active = 1, p.mode = DM_BLUR_PHYSICAL;
  p.f_mm = (float)fmm, p.f_number = (float)N, p.focus_m = (float)s, p.sensor_width_mm = (float)sw;
  double rmax = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      float z = (float)(zn + *dm_px(&d16.img, x, y) * (zf - zn));
      *dm_px(&depth, x, y) = z;
      double r = fabs(dm_lens_blur_coc_physical(&p, (float)s, z, w)) / 2;
      *dm_px(&map, x, y) = (float)r;
      if (r > rmax) rmax = r;
    }
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) *dm_px(&map, x, y) /= (float)rmax;
  float fzn = (float)zn, fzf = (float)zf;
  if (dm_near01_from_metric(ctx, &depth, &fzn, &fzf, &near01) != DM_OK) die(ctx, "depth");

  /* GEGL: its CLI on the 8-bit photo with the CoC map, as gegl_baseline.sh */
  char tmp[] = "/tmp/bench_blur.XXXXXX";
  if (!mkdtemp(tmp)) die(NULL, "mkdtemp");
  char mapp[4200], outp[4200], aux[4400], rad[64], aifp[4200];
  snprintf(mapp, sizeof mapp, "%s/map.png", tmp);
  snprintf(outp, sizeof outp, "%s/gegl.png", tmp);
  snprintf(aifp, sizeof aifp, "%s/aif.png", scene);
  dm_write_options wo = {0};
  wo.format = DM_FMT_PNG, wo.bits = 16;
  if (dm_io_write(ctx, mapp, &map, &wo) != DM_OK) die(ctx, mapp);
  snprintf(aux, sizeof aux, "aux=[ gegl:load path=%s ]", mapp);
  snprintf(rad, sizeof rad, "radius=%.3f", rmax);
  char *gargv[] = {"gegl", aifp, "-o", outp, "--", "gegl:lens-blur", rad, "linear-mask=true",
                   "aux=[", "gegl:load", NULL, "]", NULL};
  char pathprop[4300];
  snprintf(pathprop, sizeof pathprop, "path=%s", mapp);
  gargv[10] = pathprop;

  double tg[32], td[32], tio[32];
  int reps = g_repeat < 32 ? g_repeat : 32, ok = 1;
  for (int i = 0; i < reps; i++) { /* interleaved, so both see the same load */
    tg[i] = run_timed(gargv);
    if (tg[i] < 0) ok = 0;
    td[i] = time_blur(ctx, &work, &near01, fzn, fzf, NULL, &p, 0);
    double t0 = now();
    dm_image enc;
    unsigned char *icc = NULL;
    size_t icc_len = 0;
    if (dm_color_from_working(ctx, &work, DM_PROFILE_SRGB, &enc, &icc, &icc_len) != DM_OK) die(ctx, "enc");
    dm_write_options o8 = {0};
    o8.format = DM_FMT_PNG, o8.bits = 8, o8.icc = icc, o8.icc_len = icc_len;
    char ourp[4300];
    snprintf(ourp, sizeof ourp, "%s/ours.png", tmp);
    if (dm_io_write(ctx, ourp, &enc, &o8) != DM_OK) die(ctx, ourp);
    free(icc);
    dm_image_free(&enc);
    tio[i] = t_dec + (now() - t0); /* decode once measured + encode */
  }
  qsort(tg, (size_t)reps, sizeof tg[0], cmp_double);
  qsort(td, (size_t)reps, sizeof td[0], cmp_double);
  qsort(tio, (size_t)reps, sizeof tio[0], cmp_double);
  double g = tg[reps / 2], d = td[reps / 2], io = tio[reps / 2];
  printf("gegl: dof-eval dev1 960x640, max CoC %.1f px (radius %.1f), %d threads, median of %d\n",
         2 * rmax, rmax, g_threads, reps);
  if (ok)
    printf("  gegl:lens-blur process   %8.3f s\n", g);
  else
    printf("  gegl:lens-blur           not run (install Debian's gegl)\n");
  printf("  depthmask blur in-process%8.3f s (%.3f s CPU)\n", d, g_last_cpu);
  printf("  depthmask + PNG dec/enc  %8.3f s\n", d + io);
  if (ok)
    printf("  ratio gegl / depthmask   %8.1fx in-process, %.1fx with PNG I/O (target >= 10x)\n",
           g / d, g / (d + io));
  char cmd[8400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
  if (system(cmd) != 0) fprintf(stderr, "bench_blur: could not remove %s\n", tmp);
  dm_decoded_free(&aif);
  dm_decoded_free(&d16);
  dm_image_free(&work), dm_image_free(&depth), dm_image_free(&near01), dm_image_free(&map);
}

/* ---- synthetic portraits -------------------------------------------------- */

typedef struct scene {
  dm_image img, near01;
  float zn, zf;
  dm_lens_blur p;
} scene;

static void make_scene(dm_context *ctx, int w, int h, float radius, scene *sc) {
  dm_decoded d;
  dm_image small;
  if (dm_io_read(ctx, CHELSEA, &d) != DM_OK) die(ctx, CHELSEA);
  if (dm_color_to_working(ctx, &d, CHELSEA, &small) != DM_OK) die(ctx, CHELSEA);
  dm_decoded_free(&d);
  if (dm_image_alloc(ctx, &sc->img, w, h, 3) != DM_OK) die(ctx, "alloc");
  for (int y = 0; y < h; y++) { /* bilinear upscale */
    float fy = (y + 0.5f) * small.height / h - 0.5f;
    int iy = fy < 0 ? 0 : (int)fy;
    if (iy > small.height - 2) iy = small.height - 2;
    float ty = fy - iy;
    ty = ty < 0 ? 0 : (ty > 1 ? 1 : ty);
    for (int x = 0; x < w; x++) {
      float fx = (x + 0.5f) * small.width / w - 0.5f;
      int ix = fx < 0 ? 0 : (int)fx;
      if (ix > small.width - 2) ix = small.width - 2;
      float tx = fx - ix;
      tx = tx < 0 ? 0 : (tx > 1 ? 1 : tx);
      float *o = dm_px(&sc->img, x, y);
      for (int c = 0; c < 3; c++) {
        float a = dm_px(&small, ix, iy)[c], b = dm_px(&small, ix + 1, iy)[c];
        float e = dm_px(&small, ix, iy + 1)[c], f = dm_px(&small, ix + 1, iy + 1)[c];
        o[c] = (1 - ty) * ((1 - tx) * a + tx * b) + ty * ((1 - tx) * e + tx * f);
      }
    }
  }
  dm_image_free(&small);
  /* depth: background 20 m, subject ellipse at 2 m, foreground disc at 1.2 m */
  dm_image z;
  if (dm_image_alloc(ctx, &z, w, h, 1) != DM_OK) die(ctx, "alloc");
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      float ex = (x - 0.4f * w) / (0.22f * w), ey = (y - 0.55f * h) / (0.5f * h);
      float fx = (x - 0.85f * w) / (0.1f * w), fy = (y - 0.9f * h) / (0.1f * w);
      float v = 20.0f;
      if (ex * ex + ey * ey < 1.0f) v = 2.0f;
      if (fx * fx + fy * fy < 1.0f) v = 1.2f;
      *dm_px(&z, x, y) = v;
    }
  sc->zn = 0, sc->zf = 0;
  if (dm_near01_from_metric(ctx, &z, &sc->zn, &sc->zf, &sc->near01) != DM_OK) die(ctx, "depth");
  dm_image_free(&z);
  dm_lens_blur_defaults(&sc->p);
  sc->p.active = 1, sc->p.mode = DM_BLUR_PHYSICAL;
  sc->p.f_mm = 85, sc->p.focus_m = 2, sc->p.sensor_width_mm = 36;
  /* N giving `radius` at 20 m */
  double f = 0.085, s = 2.0, pitch = 0.036 / w;
  sc->p.f_number = (float)(0.5 * f * f / (s - f) * (20.0 - s) / 20.0 / pitch / radius);
}

static void free_scene(scene *sc) {
  dm_image_free(&sc->img);
  dm_image_free(&sc->near01);
}

static void case_radius(dm_context *ctx) {
  int w = 4240, h = 2832;
  printf("radius: %dx%d (%.1f MP), %d threads, median of %d\n", w, h, w * h / 1e6, g_threads,
         g_repeat);
  float radii[] = {8, 16, 32, 64, 128};
  for (int i = 0; i < 5; i++) {
    scene sc;
    make_scene(ctx, w, h, radii[i], &sc);
    double t = time_blur(ctx, &sc.img, &sc.near01, sc.zn, sc.zf, NULL, &sc.p, 1);
    printf("  background CoC radius %4.0f px  (f/%5.2f)  %7.3f s wall, %7.3f s CPU\n", radii[i],
           sc.p.f_number, t, g_last_cpu);
    free_scene(&sc);
  }
}

static void case_24mp_child(dm_context *ctx) {
  scene sc;
  make_scene(ctx, 6000, 4000, 72, &sc);
  double t = time_blur(ctx, &sc.img, &sc.near01, sc.zn, sc.zf, NULL, &sc.p, 1);
  printf("%.4f %.4f\n", t, g_last_cpu);
  free_scene(&sc);
}

static void case_24mp(const char *self) {
  /* a child process, so its peak RSS is this job's alone */
  char threads[16], repeat[16];
  snprintf(threads, sizeof threads, "%d", g_threads);
  snprintf(repeat, sizeof repeat, "%d", g_repeat);
  int fd[2];
  if (pipe(fd) != 0) die(NULL, "pipe");
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fd[1], 1);
    close(fd[0]);
    execl(self, self, "--threads", threads, "--repeat", repeat, "24mp-child", (char *)NULL);
    _exit(127);
  }
  close(fd[1]);
  char buf[64] = {0};
  ssize_t n = read(fd[0], buf, sizeof buf - 1);
  close(fd[0]);
  int st;
  struct rusage ru;
  if (wait4(pid, &st, 0, &ru) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0 || n <= 0) {
    printf("24mp: failed\n");
    return;
  }
  printf("24mp: 6000x4000, background CoC radius 72 px, %d threads, median of %d\n", g_threads,
         g_repeat);
  double wall = 0, cpu = 0;
  if (sscanf(buf, "%lf %lf", &wall, &cpu) != 2) wall = cpu = -1;
  printf("  lens blur %.3f s wall (budget 3 s), %.3f s CPU; peak RSS of the process %.0f MiB "
         "(budget 1536 MiB; the image and depth alone are %.0f MiB)\n",
         wall, cpu, ru.ru_maxrss / 1024.0, 6000.0 * 4000 * 16 / 1048576.0);
}

int main(int argc, char **argv) {
  const char *cases[8];
  int nc = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--threads") && i + 1 < argc) g_threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--repeat") && i + 1 < argc) g_repeat = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--dof-eval") && i + 1 < argc) g_dof = argv[++i];
    else if (nc < 8) cases[nc++] = argv[i];
  }
  if (g_repeat < 1) g_repeat = 1;
  dm_context *ctx = dm_context_new(g_threads);
  if (!ctx) return 1;
  if (nc == 1 && !strcmp(cases[0], "24mp-child")) {
    case_24mp_child(ctx);
    dm_context_free(ctx);
    return 0;
  }
  int all = nc == 0;
  for (int i = 0; i < (all ? 3 : nc); i++) {
    const char *c = all ? (const char *[]){"gegl", "radius", "24mp"}[i] : cases[i];
    if (!strcmp(c, "gegl")) case_gegl(ctx);
    else if (!strcmp(c, "radius")) case_radius(ctx);
    else if (!strcmp(c, "24mp")) case_24mp(argv[0]);
    else fprintf(stderr, "bench_blur: unknown case %s\n", c);
  }
  dm_context_free(ctx);
  return 0;
}
