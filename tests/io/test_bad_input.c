/* Bad input never crashes and always explains itself:
 * - truncated copies of real JPEG, PNG, TIFF, HEIC, CR2 and DNG files at
 *   many lengths, and copies with bytes overwritten, are errors (or, for
 *   overwritten bytes, possibly decodable) — never a crash or a leak;
 * - random bytes (also behind each format's magic), a directory, a missing
 *   file, an empty file, headers claiming gigapixels: errors, no huge
 *   allocation;
 * - every message is one line starting with the file name;
 * - failed writes (missing folder, bad options, an ICC profile libpng
 *   refuses) leave nothing behind and keep an existing file intact. */
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "dng_util.h"
#include "heic_util.h"
#include "io_test_util.h"

static unsigned long long rng_state = 88172645463325252ull;
static unsigned rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (unsigned)(rng_state >> 11);
}

/* The error names `name` first and is one line. */
static int message_ok(dm_context *ctx, const char *name) {
  const char *e = dm_context_error(ctx);
  size_t n = strlen(name);
  int ok = !strncmp(e, name, n) && e[n] == ':' && e[n + 1] == ' ' && strlen(e) > n + 4 &&
           !strchr(e, '\n');
  if (!ok) fprintf(stderr, "bad message for %s: \"%s\"\n", name, e);
  return ok;
}

static int expect_error(dm_context *ctx, const unsigned char *data, size_t len, const char *name) {
  dm_decoded d;
  memset(&d, 0x5a, sizeof d);
  dm_status s = dm_io_read_mem(ctx, data, len, name, &d);
  int ok = s != DM_OK && message_ok(ctx, name) && d.img.data == NULL && d.meta.icc == NULL &&
           d.meta.exif == NULL;
  if (s == DM_OK) {
    fprintf(stderr, "%s (%zu bytes) decoded without error\n", name, len);
    dm_decoded_free(&d);
  }
  return ok;
}

static void truncations(dm_context *ctx, const char *label, const unsigned char *data, size_t len,
                        size_t tail_ok) {
  const size_t cuts[] = {1, 2, 4, 8, 12, 16, 33, 100, 300, 1000, len / 8, len / 4, len / 2,
                         len * 3 / 4, len - 4096, len - 1000, len - 100, len - 17, len - 2, len - 1};
  int fails = 0;
  for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
    size_t n = cuts[i];
    if (n == 0 || n >= len || len - n < tail_ok) continue;
    char name[64];
    snprintf(name, sizeof name, "%s-cut%zu", label, n);
    fails += !expect_error(ctx, data, n, name);
  }
  if (fails) fprintf(stderr, "%s: %d truncated copies not reported\n", label, fails);
  CHECK(fails == 0);
}

/* Overwrite a few bytes at many places: any outcome but a crash is fine. */
static void corruptions(dm_context *ctx, const char *label, const unsigned char *data, size_t len) {
  unsigned char *c = malloc(len);
  int errors = 0, runs = 24;
  for (int r = 0; r < runs; r++) {
    memcpy(c, data, len);
    size_t at = (size_t)rnd() % len;
    for (int k = 0; k < 4 && at + (size_t)k < len; k++) c[at + (size_t)k] = (unsigned char)rnd();
    dm_decoded d;
    if (dm_io_read_mem(ctx, c, len, label, &d) == DM_OK)
      dm_decoded_free(&d);
    else
      errors += message_ok(ctx, label) ? 1 : 1000;
  }
  printf("%s: %d of %d corrupted copies rejected\n", label, errors, runs);
  CHECK(errors < 1000);
  free(c);
}

static void format_files(dm_context *ctx, const char *dir) {
  dm_decoded full;
  CHECK_OK(ctx, dm_io_read(ctx, dm_test_photo("coffee"), &full));
  /* A 200x136 crop (the cup) keeps every decode in the loops quick. */
  dm_decoded coffee = {.img = dm_image_view(&full.img, 300, 120, 200, 136)};
  const struct { const char *name; dm_write_options o; } outs[] = {
      {"bad.jpg", {.format = DM_FMT_JPEG}},
      {"bad.png", {.format = DM_FMT_PNG, .bits = 16}},
      {"bad.tif", {.format = DM_FMT_TIFF, .bits = 16}},
      {"bad-lzw.tif", {.format = DM_FMT_TIFF, .bits = 8, .compression = DM_COMPRESS_LZW}},
      {"bad-float.tif", {.format = DM_FMT_TIFF, .bits = 32, .compression = DM_COMPRESS_DEFLATE}},
  };
  for (size_t i = 0; i < sizeof outs / sizeof outs[0]; i++) {
    const char *p = iot_path(dir, outs[i].name);
    CHECK_OK(ctx, dm_io_write(ctx, p, &coffee.img, &outs[i].o));
    size_t len;
    unsigned char *data = iot_slurp(ctx, p, &len);
    truncations(ctx, outs[i].name, data, len, 0);
    corruptions(ctx, outs[i].name, data, len);
    free(data);
  }
  /* The real JPEG, and HEIC and DNG made from real photos. */
  size_t len;
  unsigned char *data = iot_slurp(ctx, dm_test_photo("grace_hopper"), &len);
  truncations(ctx, "grace_hopper.jpg", data, len, 0);
  corruptions(ctx, "grace_hopper.jpg", data, len);
  free(data);
  const char *p = iot_path(dir, "bad.heic");
  heic_opts ho = {.bits = 8};
  CHECK(heicu_encode(&coffee.img, p, &ho));
  data = iot_slurp(ctx, p, &len);
  truncations(ctx, "bad.heic", data, len, 0);
  corruptions(ctx, "bad.heic", data, len);
  free(data);
  p = iot_path(dir, "bad.dng");
  CHECK(dngu_write(p, &coffee.img, 1));
  data = iot_slurp(ctx, p, &len);
  truncations(ctx, "bad.dng", data, len, 0);
  corruptions(ctx, "bad.dng", data, len);
  free(data);
  dm_decoded_free(&full);
}

static void cr2_truncations(dm_context *ctx) {
  size_t len;
  unsigned char *data = iot_slurp(ctx, "/usr/share/doc/rawtran/IMG_5952.CR2", &len);
  /* LibRaw stops reading at the end of the raw data, which the last bytes
   * of this file are not part of; cuts into the data must all fail. */
  truncations(ctx, "IMG_5952.CR2", data, len, 1000);
  free(data);
}

static void garbage(dm_context *ctx, const char *dir) {
  size_t n = 1 << 16;
  unsigned char *g = malloc(n);
  for (size_t i = 0; i < n; i++) g[i] = (unsigned char)rnd();
  CHECK(expect_error(ctx, g, n, "random.bin"));
  CHECK(strstr(dm_context_error(ctx), "not a JPEG, PNG, TIFF, HEIC or camera raw file") != NULL);
  /* The same behind each format's magic. */
  const struct { const char *magic; size_t len; } heads[] = {
      {"\xff\xd8\xff\xe0", 4},   {"\x89PNG\r\n\x1a\n", 8}, {"II*\0\x08\0\0\0", 8},
      {"MM\0*\0\0\0\x08", 8},    {"II*\0\x10\0\0\0CR\x02\0", 12},
      {"\0\0\0\x18" "ftypheic\0\0\0\0mif1heic", 24}, {"FUJIFILMCCD-RAW 0201", 20}, {"IIU\0\x08\0\0\0", 8},
  };
  for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
    memcpy(g, heads[i].magic, heads[i].len);
    char name[32];
    snprintf(name, sizeof name, "magic%zu.bin", i);
    CHECK(expect_error(ctx, g, n, name));
    CHECK(expect_error(ctx, g, heads[i].len, name));
  }
  free(g);
  dm_decoded d;
  CHECK(dm_io_read(ctx, dir, &d) == DM_ERR_IO && message_ok(ctx, dir));
  CHECK(strstr(dm_context_error(ctx), "directory") != NULL);
  const char *missing = iot_path(dir, "missing.jpg");
  CHECK(dm_io_read(ctx, missing, &d) == DM_ERR_IO && message_ok(ctx, missing));
  CHECK(strstr(dm_context_error(ctx), "no such file") != NULL);
  const char *empty = iot_path(dir, "empty.png");
  iot_write(empty, "", 0);
  CHECK(dm_io_read(ctx, empty, &d) == DM_ERR_FORMAT && message_ok(ctx, empty));
  CHECK(strstr(dm_context_error(ctx), "empty file") != NULL);
}

static uint32_t crc32_of(const unsigned char *p, size_t n) {
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
  }
  return ~c;
}

/* Headers that claim more pixels than we accept: refused before decoding. */
static void giant_headers(dm_context *ctx, const char *dir) {
  unsigned char png[33 + 12 + 12] = "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR";
  const uint32_t w = 60000, h = 60000;
  unsigned char *ihdr = png + 16;
  ihdr[0] = w >> 24, ihdr[1] = (w >> 16) & 255, ihdr[2] = (w >> 8) & 255, ihdr[3] = w & 255;
  ihdr[4] = h >> 24, ihdr[5] = (h >> 16) & 255, ihdr[6] = (h >> 8) & 255, ihdr[7] = h & 255;
  ihdr[8] = 8, ihdr[9] = 2, ihdr[10] = ihdr[11] = ihdr[12] = 0;
  uint32_t crc = crc32_of(png + 12, 17);
  png[29] = crc >> 24, png[30] = (crc >> 16) & 255, png[31] = (crc >> 8) & 255, png[32] = crc & 255;
  memcpy(png + 33, "\0\0\0\0IDAT", 8); /* libpng stops reading the header at IDAT */
  crc = crc32_of(png + 37, 4);
  png[41] = crc >> 24, png[42] = (crc >> 16) & 255, png[43] = (crc >> 8) & 255, png[44] = crc & 255;
  memcpy(png + 45, "\0\0\0\0IEND\xae\x42\x60\x82", 12);
  CHECK(expect_error(ctx, png, sizeof png, "giant.png"));
  CHECK(strstr(dm_context_error(ctx), "60000x60000") != NULL);
  /* A real JPEG with its SOF patched to 65000 x 65000. */
  size_t len;
  unsigned char *jpg = iot_slurp(ctx, dm_test_photo("grace_hopper"), &len);
  int patched = 0;
  for (size_t i = 2; i + 9 < len && !patched; i++)
    if (jpg[i] == 0xff && (jpg[i + 1] == 0xc0 || jpg[i + 1] == 0xc2)) {
      jpg[i + 5] = jpg[i + 7] = 0xfd, jpg[i + 6] = jpg[i + 8] = 0xe8;
      patched = 1;
    }
  CHECK(patched);
  CHECK(expect_error(ctx, jpg, len, "giant.jpg"));
  CHECK(strstr(dm_context_error(ctx), "65000x65000") != NULL);
  free(jpg);
  (void)dir;
}

static int dir_entries(const char *dir) {
  DIR *d = opendir(dir);
  int n = 0;
  for (struct dirent *e; d && (e = readdir(d));) n += e->d_name[0] != '.' || (e->d_name[1] && strcmp(e->d_name, ".."));
  if (d) closedir(d);
  return n;
}

static void failed_writes(dm_context *ctx, const char *dir) {
  dm_decoded coffee;
  CHECK_OK(ctx, dm_io_read(ctx, dm_test_photo("coffee"), &coffee));
  char wdir[4200];
  snprintf(wdir, sizeof wdir, "%s/writes", dir);
  mkdir(wdir, 0755);
  const char *nowhere = iot_path(dir, "no/such/folder/out.tif");
  dm_write_options tif = {.format = DM_FMT_TIFF};
  CHECK(dm_io_write(ctx, nowhere, &coffee.img, &tif) == DM_ERR_IO && message_ok(ctx, nowhere));
  const struct { dm_write_options o; dm_status s; } bad[] = {
      {{.format = DM_FMT_JPEG, .bits = 16}, DM_ERR_PARAM},
      {{.format = DM_FMT_PNG, .bits = 32}, DM_ERR_PARAM},
      {{.format = DM_FMT_TIFF, .bits = 12}, DM_ERR_PARAM},
      {{.format = DM_FMT_RAW}, DM_ERR_PARAM},
      {{.format = DM_FMT_JPEG, .quality = 101}, DM_ERR_RANGE},
  };
  const char *out = iot_path(wdir, "out.img");
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CHECK(dm_io_write(ctx, out, &coffee.img, &bad[i].o) == bad[i].s);
    CHECK(message_ok(ctx, out));
  }
  CHECK(dir_entries(wdir) == 0);
  /* A failure half-way (libpng refuses a broken profile once it is writing)
   * leaves the existing file as it was and no temporary file. */
  iot_write(out, "keep me", 7);
  unsigned char junk[300];
  for (size_t i = 0; i < sizeof junk; i++) junk[i] = (unsigned char)rnd();
  dm_write_options png = {.format = DM_FMT_PNG, .bits = 8, .icc = junk, .icc_len = sizeof junk};
  dm_status s = dm_io_write(ctx, out, &coffee.img, &png);
  CHECK(s != DM_OK && message_ok(ctx, out));
  size_t len;
  unsigned char *kept = iot_slurp(ctx, out, &len);
  CHECK(len == 7 && !memcmp(kept, "keep me", 7));
  free(kept);
  CHECK(dir_entries(wdir) == 1);
  /* A 1-channel-or-3 rule: a 4-channel image is refused up front. */
  dm_image rgba;
  CHECK_OK(ctx, dm_image_alloc_zero(ctx, &rgba, 8, 8, 4));
  CHECK(dm_io_write(ctx, out, &rgba, &tif) == DM_ERR_PARAM);
  CHECK(dir_entries(wdir) == 1);
  dm_image_free(&rgba);
  dm_decoded_free(&coffee);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  const char *dir = dm_test_tmpdir("io_bad_input");
  double t0 = now();
  format_files(ctx, dir);
  double t1 = now();
  cr2_truncations(ctx);
  double t2 = now();
  garbage(ctx, dir);
  giant_headers(ctx, dir);
  failed_writes(ctx, dir);
  printf("time: formats %.1f s, CR2 %.1f s, the rest %.1f s\n", t1 - t0, t2 - t1, now() - t2);
  dm_context_free(ctx);
  return dm_test_done("io/test_bad_input");
}
