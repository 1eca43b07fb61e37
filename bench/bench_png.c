/* Encoder speed and size (issue 18): the PNG image data for each row filter
 * and zlib level (wall and CPU time, bytes), then the PNG and TIFF writers,
 * one-thread reference path against the parallel one, on one photo.
 *   bench_png [IN] [--threads N] [--repeat N]
 * IN: any photo depthmask reads (default: the dof-eval dev1 scene's aif.png);
 * bench/speed.sh passes its 1920x1280 case. Files go to a temporary folder
 * and are not fsync'ed: this is the encoder, not the disk. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "color/color.h"
#include "core/context.h"
#include "io/io_internal.h"
#include "io/png_idat.h"

static int g_repeat = 5;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double cpu_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void die(dm_context *ctx, const char *what) {
  fprintf(stderr, "bench_png: %s: %s\n", what, ctx ? dm_context_error(ctx) : "failed");
  exit(1);
}

typedef struct timing {
  double wall, cpu;
  size_t bytes;
} timing;

static timing median(double *wall, double *cpu, size_t bytes) {
  qsort(wall, (size_t)g_repeat, sizeof *wall, cmp_double);
  qsort(cpu, (size_t)g_repeat, sizeof *cpu, cmp_double);
  return (timing){wall[g_repeat / 2], cpu[g_repeat / 2], bytes};
}

static timing time_idat(dm_context *ctx, const dm_image *img, const dm_png_idat_options *o) {
  double wall[64], cpu[64];
  size_t bytes = 0;
  for (int r = 0; r < g_repeat; r++) {
    dm_png_idat z;
    double t = now(), c = cpu_now();
    if (dm_png_idat_make(ctx, img, o, "bench", &z)) die(ctx, "idat");
    wall[r] = now() - t, cpu[r] = cpu_now() - c;
    bytes = 0;
    for (int i = 0; i < z.n; i++) bytes += z.len[i];
    bytes += sizeof z.head + sizeof z.tail;
    dm_png_idat_free(&z);
  }
  return median(wall, cpu, bytes);
}

typedef dm_status (*writer_fn)(dm_context *, FILE *, const dm_image *, const dm_write_options *, const char *);

static timing time_writer(dm_context *ctx, writer_fn fn, const dm_image *img, const dm_write_options *o,
                          const char *path) {
  double wall[64], cpu[64];
  long bytes = 0;
  for (int r = 0; r < g_repeat; r++) {
    FILE *f = fopen(path, "wb");
    if (!f) die(NULL, path);
    double t = now(), c = cpu_now();
    if (fn(ctx, f, img, o, path)) die(ctx, path);
    fflush(f);
    wall[r] = now() - t, cpu[r] = cpu_now() - c;
    bytes = ftell(f);
    fclose(f);
  }
  return median(wall, cpu, (size_t)bytes);
}

static void row(const char *what, timing t) {
  printf("  %-34s %8.1f ms %8.1f ms CPU %10zu bytes\n", what, t.wall * 1e3, t.cpu * 1e3, t.bytes);
}

int main(int argc, char **argv) {
  const char *in = DM_SOURCE_DIR "/../shared/dof-eval/scenes/dev1_chelsea_1.2m_bg5m_lights/aif.png";
  int threads = 2;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--threads") && i + 1 < argc)
      threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
      g_repeat = atoi(argv[++i]);
    else
      in = argv[i];
  }
  if (g_repeat < 1 || g_repeat > 64) g_repeat = 5;
  dm_context *ctx = dm_context_new(threads);
  if (!ctx) die(NULL, "context");
  dm_decoded d;
  if (dm_io_read(ctx, in, &d)) die(ctx, in);
  /* what render encodes: the photo back in sRGB, its profile embedded */
  dm_image work, img;
  unsigned char *icc = NULL;
  size_t icc_len = 0;
  if (dm_color_to_working(ctx, &d, in, &work) || dm_color_from_working(ctx, &work, DM_PROFILE_SRGB, &img, &icc, &icc_len))
    die(ctx, "colour");
  char dir[] = "/tmp/bench_png.XXXXXX", path[64];
  if (!mkdtemp(dir)) die(NULL, "mkdtemp");
  snprintf(path, sizeof path, "%s/out", dir);
  printf("encoders: %s, %dx%d, %d threads, median of %d\n", in, img.width, img.height, threads, g_repeat);

  static const char *const fname[] = {"none", "sub", "up", "avg", "paeth", "adaptive"};
  for (int bits = 8; bits <= 16; bits += 8) {
    printf(" PNG %d-bit image data (filter, zlib level/strategy):\n", bits);
    /* zlib level 1 and 3 (Z_FILTERED, as libpng), run-length only, Huffman only */
    static const int lv[] = {1, 3, 1, 1}, st[] = {Z_FILTERED, Z_FILTERED, Z_RLE, Z_HUFFMAN_ONLY};
    static const char *const zname[] = {"level 1", "level 3", "RLE", "Huffman only"};
    for (int f = 0; f <= DM_PNG_FILTER_ADAPTIVE; f++)
      for (int k = 0; k < 4; k++) {
        dm_png_idat_options o;
        dm_png_idat_defaults(&o, bits);
        o.filter = (dm_png_filter)f, o.level = lv[k], o.strategy = st[k];
        char what[64];
        snprintf(what, sizeof what, "%s, %s", fname[f], zname[k]);
        row(what, time_idat(ctx, &img, &o));
      }
    dm_png_idat_options o;
    dm_png_idat_defaults(&o, bits);
    printf("  (default: %s, %s)\n", fname[o.filter],
           o.strategy == Z_RLE ? "RLE" : o.strategy == Z_HUFFMAN_ONLY ? "Huffman only" : o.level == 1 ? "level 1" : "level 3");
  }
  printf(" writers, whole file (one thread = libpng's row writer / libtiff strip after strip):\n");
  static const char *const cname[] = {"none", "LZW", "deflate"};
  for (int bits = 8; bits <= 16; bits += 8) {
    dm_write_options o = {.format = DM_FMT_PNG, .bits = bits, .icc = icc, .icc_len = icc_len};
    char what[64];
    snprintf(what, sizeof what, "PNG %d-bit, one thread", bits);
    row(what, time_writer(ctx, dm_png_write_serial, &img, &o, path));
    snprintf(what, sizeof what, "PNG %d-bit, parallel", bits);
    row(what, time_writer(ctx, dm_png_write, &img, &o, path));
    o.format = DM_FMT_TIFF;
    for (int c = 0; c < 3; c++) {
      o.compression = (dm_compression)(DM_COMPRESS_NONE + c);
      snprintf(what, sizeof what, "TIFF %d-bit %s, one thread", bits, cname[c]);
      row(what, time_writer(ctx, dm_tiff_write_serial, &img, &o, path));
      snprintf(what, sizeof what, "TIFF %d-bit %s, parallel", bits, cname[c]);
      row(what, time_writer(ctx, dm_tiff_write, &img, &o, path));
    }
  }
  unlink(path);
  rmdir(dir);
  free(icc);
  dm_image_free(&work);
  dm_image_free(&img);
  dm_decoded_free(&d);
  dm_context_free(ctx);
  return 0;
}
