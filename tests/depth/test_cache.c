/* The on-disk depth cache: round trip of a real scene's depth and subject
 * mask (dof-eval dev1), misses, damaged entries (a miss, the file removed,
 * one warning), LRU eviction and the hit refreshing the time, stale
 * temporaries, 4 processes sharing one small folder, and deferred stores
 * (read back at once, a failure told once). `--write-seeds
 * DIR` writes entries of that scene's planes at small sizes into DIR, for
 * fuzz_cache. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/file.h"
#include "core/resample.h"
#include "depth/cache.h"
#include "dm_test.h"
#include "io/io.h"

#define SCENE DM_SOURCE_DIR "/../shared/dof-eval/scenes/dev1_chelsea_1.2m_bg5m_lights"

static int g_warnings;
static void count_warnings(void *user, dm_log_level level, const char *msg) {
  if (level == DM_LOG_WARN) g_warnings++;
}

static dm_hash key_of(const char *s) { return dm_hash_bytes(s, strlen(s)); }

static void entry_file(char *out, size_t len, const char *dir, dm_hash key) {
  char hex[33];
  dm_hash_hex(key, hex);
  snprintf(out, len, "%s/%s.dmc", dir, hex);
}

static int exists(const char *path) { return access(path, F_OK) == 0; }

static long long folder_bytes(const char *dir, int *n_entries, int *n_other) {
  long long total = 0;
  *n_entries = *n_other = 0;
  DIR *d = opendir(dir);
  if (!d) return -1;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.' && (!de->d_name[1] || !strcmp(de->d_name, ".."))) continue;
    char p[8192];
    snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
    struct stat st;
    if (stat(p, &st) != 0) continue;
    if (strlen(de->d_name) == 36 && strstr(de->d_name, ".dmc")) {
      total += st.st_size;
      (*n_entries)++;
    } else {
      (*n_other)++;
    }
  }
  closedir(d);
  return total;
}

static dm_image read_grey(dm_context *ctx, const char *file) {
  dm_decoded d;
  memset(&d, 0, sizeof d);
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", SCENE, file);
  CHECK_OK(ctx, dm_io_read(ctx, path, &d));
  CHECK(d.img.channels == 1);
  dm_metadata_free(&d.meta);
  return d.img;
}

/* ---- round trip and damaged entries ---- */

static void test_round_trip(dm_context *ctx, const char *dir) {
  dm_cache_entry e;
  memset(&e, 0, sizeof e);
  e.n_planes = 3;
  strcpy(e.names[0], "depth"), strcpy(e.names[1], "matte"), strcpy(e.names[2], "confidence");
  e.planes[0] = read_grey(ctx, "depth16.png");
  e.planes[1] = read_grey(ctx, "mask_gt.png");
  if (!e.planes[0].data || !e.planes[1].data) return;
  /* confidence: the depth with values out of [0, 1] and NaN, read through a
   * view with a stride wider than its width */
  dm_image wide;
  CHECK_OK(ctx, dm_image_alloc(ctx, &wide, e.planes[0].width + 7, e.planes[0].height, 1));
  for (int y = 0; y < wide.height; y++)
    for (int x = 0; x < wide.width; x++) {
      float v = x < e.planes[0].width ? dm_row(&e.planes[0], y)[x] : 0.5f;
      dm_row(&wide, y)[x] = (x % 97 == 3) ? NAN : (x % 89 == 5) ? -0.25f : (x % 83 == 7) ? 1.75f : v;
    }
  e.planes[2] = dm_image_view(&wide, 0, 0, e.planes[0].width, e.planes[0].height);
  snprintf(e.meta, sizeof e.meta, "z_near=1.2\nz_far=5\nsource=dof-eval dev1");

  dm_hash k = key_of("dev1 photo + fastdepth_7 + params");
  CHECK_OK(ctx, dm_cache_put(ctx, dir, k, &e, 0));
  dm_cache_entry got;
  int hit = 0;
  CHECK_OK(ctx, dm_cache_get(ctx, dir, k, &got, &hit));
  CHECK(hit == 1);
  if (hit) {
    CHECK(got.n_planes == 3);
    CHECK(!strcmp(got.names[0], "depth") && !strcmp(got.names[1], "matte") &&
          !strcmp(got.names[2], "confidence"));
    CHECK(!strcmp(got.meta, e.meta));
    double max_err = 0;
    int bad_clamp = 0;
    for (int p = 0; p < 3; p++) {
      CHECK(got.planes[p].width == 960 && got.planes[p].height == 640 && got.planes[p].channels == 1);
      for (int y = 0; y < 640; y++)
        for (int x = 0; x < 960; x++) {
          float v = dm_row(&e.planes[p], y)[x], g = dm_row(&got.planes[p], y)[x];
          if (p == 2 && !(v >= 0 && v <= 1)) {
            float want = v > 1 ? 1.0f : 0.0f; /* clamped; NaN -> 0 */
            bad_clamp += g != want;
            continue;
          }
          double d = fabs((double)v - g);
          if (d > max_err) max_err = d;
        }
    }
    CHECK(max_err <= 1.0 / 65535);
    CHECK(bad_clamp == 0);
    /* 16-bit depth survives bit-exactly */
    CHECK(memcmp(got.planes[0].data, e.planes[0].data, sizeof(float) * 960 * 640) == 0);
  }
  dm_cache_entry_free(&got);

  /* an unknown key and a missing folder are misses, not errors */
  CHECK_OK(ctx, dm_cache_get(ctx, dir, key_of("another photo"), &got, &hit));
  CHECK(hit == 0 && got.n_planes == 0);
  CHECK_OK(ctx, dm_cache_get(ctx, "/nonexistent/depthmask-cache", k, &got, &hit));
  CHECK(hit == 0);

  /* damaged copies of the entry: each a miss, removed, one warning */
  char path[8192];
  entry_file(path, sizeof path, dir, k);
  unsigned char *good;
  size_t len;
  CHECK_OK(ctx, dm_read_file(ctx, path, 1u << 30, &good, &len));
  if (!good) return;
  struct damage {
    const char *what;
    size_t offset; /* byte to change, or the new length when truncating */
    int truncate;
    unsigned char value;
  } cases[] = {
      {"payload byte", len - 100000, 0, 0},
      {"last meta byte", len - 1, 0, 'X'},
      {"truncated", len - 1, 1, 0},
      {"truncated header", 50, 1, 0},
      {"magic", 0, 0, 'X'},
      {"absurd width", 34, 0, 0xff}, /* width's third byte: 16.7 million */
      {"header name byte", 48, 0, 'D'},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    unsigned char *bad = malloc(len);
    memcpy(bad, good, len);
    size_t n = cases[c].truncate ? cases[c].offset : len;
    if (!cases[c].truncate) bad[cases[c].offset] ^= cases[c].value ? cases[c].value : 0x5a;
    CHECK_OK(ctx, dm_write_file_atomic(ctx, path, bad, n));
    free(bad);
    g_warnings = 0;
    hit = 1;
    CHECK_OK(ctx, dm_cache_get(ctx, dir, k, &got, &hit));
    if (hit || exists(path) || g_warnings != 1)
      fprintf(stderr, "damage '%s': hit %d, file %s, %d warnings\n", cases[c].what, hit,
              exists(path) ? "kept" : "removed", g_warnings);
    CHECK(hit == 0);
    CHECK(!exists(path));
    CHECK(g_warnings == 1);
    dm_cache_entry_free(&got);
  }
  /* the intact bytes are a hit again */
  CHECK_OK(ctx, dm_write_file_atomic(ctx, path, good, len));
  CHECK_OK(ctx, dm_cache_get(ctx, dir, k, &got, &hit));
  CHECK(hit == 1);
  dm_cache_entry_free(&got);
  free(good);

  /* bad entries are refused by put */
  dm_cache_entry none;
  memset(&none, 0, sizeof none);
  CHECK(dm_cache_put(ctx, dir, k, &none, 0) == DM_ERR_PARAM);
  dm_image_free(&e.planes[0]);
  dm_image_free(&e.planes[1]);
  dm_image_free(&wide);
}

/* ---- eviction ---- */

static void fill_plane(dm_image *img, uint32_t seed) {
  for (int y = 0; y < img->height; y++)
    for (int x = 0; x < img->width; x++) {
      uint32_t h = (uint32_t)(y * img->width + x) * 2654435761u ^ seed * 40503u;
      h ^= h >> 13;
      h *= 0x5bd1e995u;
      h ^= h >> 15;
      dm_row(img, y)[x] = (float)(h & 0xffff) / 65535.0f; /* exact in 16 bits */
    }
}

static void set_mtime(const char *path, time_t t) {
  struct timespec ts[2] = {{t, 0}, {t, 0}};
  CHECK(utimensat(AT_FDCWD, path, ts, 0) == 0);
}

static time_t mtime_of(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? st.st_mtime : 0;
}

static void test_eviction(dm_context *ctx, const char *dir) {
  dm_cache_entry e;
  memset(&e, 0, sizeof e);
  e.n_planes = 1;
  strcpy(e.names[0], "depth");
  CHECK_OK(ctx, dm_image_alloc(ctx, &e.planes[0], 64, 48, 1));
  char paths[6][8192];
  time_t base = time(NULL) - 10000;
  for (int i = 0; i < 5; i++) {
    char name[32];
    snprintf(name, sizeof name, "entry %d", i);
    fill_plane(&e.planes[0], (uint32_t)i);
    CHECK_OK(ctx, dm_cache_put(ctx, dir, key_of(name), &e, 0));
    entry_file(paths[i], sizeof paths[i], dir, key_of(name));
    set_mtime(paths[i], base + 100 * i); /* entry 0 oldest */
  }
  int n_entries, n_other;
  long long one = folder_bytes(dir, &n_entries, &n_other) / 5;
  CHECK(n_entries == 5);

  /* a hit makes entry 0 the youngest */
  dm_cache_entry got;
  int hit;
  CHECK_OK(ctx, dm_cache_get(ctx, dir, key_of("entry 0"), &got, &hit));
  CHECK(hit == 1);
  dm_cache_entry_free(&got);
  CHECK(mtime_of(paths[0]) >= time(NULL) - 5);

  /* temporaries: a stale one goes, a live one stays, foreign files stay */
  char stale[8192], live[8192], foreign[8192];
  snprintf(stale, sizeof stale, "%s/.0123456789abcdef0123456789abcdef.dmc.Ab12Cd", dir);
  snprintf(live, sizeof live, "%s/.fedcba9876543210fedcba9876543210.dmc.Zz99Yy", dir);
  snprintf(foreign, sizeof foreign, "%s/notes.txt", dir);
  CHECK_OK(ctx, dm_write_file_atomic(ctx, stale, "x", 1));
  CHECK_OK(ctx, dm_write_file_atomic(ctx, live, "y", 1));
  CHECK_OK(ctx, dm_write_file_atomic(ctx, foreign, "z", 1));
  set_mtime(stale, time(NULL) - 7200);
  set_mtime(foreign, base - 100000);

  /* a sixth entry with room for four: entries 1 and 2 (oldest) go */
  fill_plane(&e.planes[0], 5u);
  CHECK_OK(ctx, dm_cache_put(ctx, dir, key_of("entry 5"), &e, 4 * one + one / 2));
  entry_file(paths[5], sizeof paths[5], dir, key_of("entry 5"));
  CHECK(exists(paths[0]));
  CHECK(!exists(paths[1]));
  CHECK(!exists(paths[2]));
  CHECK(exists(paths[3]) && exists(paths[4]) && exists(paths[5]));
  CHECK(!exists(stale));
  CHECK(exists(live));
  CHECK(exists(foreign));
  CHECK(folder_bytes(dir, &n_entries, &n_other) <= 4 * one + one / 2);
  CHECK(n_entries == 4);
  dm_image_free(&e.planes[0]);
}

/* ---- 4 processes sharing one folder ---- */

#define WORKERS 4
#define ROUNDS 50

/* Entry content is a function of the meta text "seed=N", so a reader can
 * tell a right entry from a torn or mixed one. */
static void make_entry(dm_context *ctx, dm_cache_entry *e, uint32_t seed) {
  memset(e, 0, sizeof *e);
  e->n_planes = 2;
  strcpy(e->names[0], "depth"), strcpy(e->names[1], "matte");
  for (int p = 0; p < 2; p++) {
    CHECK_OK(ctx, dm_image_alloc(ctx, &e->planes[p], 120, 90, 1));
    fill_plane(&e->planes[p], seed * 2 + (uint32_t)p);
  }
  snprintf(e->meta, sizeof e->meta, "seed=%u", seed);
}

static int entry_is_consistent(dm_context *ctx, const dm_cache_entry *got) {
  unsigned seed;
  if (sscanf(got->meta, "seed=%u", &seed) != 1 || got->n_planes != 2) return 0;
  dm_cache_entry want;
  make_entry(ctx, &want, seed);
  int ok = 1;
  for (int p = 0; p < 2 && ok; p++) {
    const dm_image *a = &want.planes[p], *b = &got->planes[p];
    ok = a->width == b->width && a->height == b->height &&
         dm_hash_bytes(a->data, sizeof(float) * a->stride * a->height).lo ==
             dm_hash_bytes(b->data, sizeof(float) * b->stride * b->height).lo;
  }
  dm_cache_entry_free(&want);
  return ok;
}

static int worker(const char *dir, int id, long long cap) {
  dm_context *ctx = dm_context_new(1);
  ctx->log = count_warnings; /* a damaged-entry warning means a reader saw a partial file */
  g_warnings = 0;
  int failures = 0;
  for (int r = 0; r < ROUNDS; r++) {
    dm_cache_entry e, got;
    char own[32];
    snprintf(own, sizeof own, "worker %d round %d", id, r % 5);
    make_entry(ctx, &e, (uint32_t)(1000 * id + r)); /* the shared key gets every writer's data */
    failures += dm_cache_put(ctx, dir, key_of("shared"), &e, cap) != DM_OK;
    dm_cache_entry_free(&e);
    make_entry(ctx, &e, (uint32_t)(100000 + 1000 * id + r % 5));
    failures += dm_cache_put(ctx, dir, key_of(own), &e, cap) != DM_OK;
    dm_cache_entry_free(&e);
    const char *reads[3] = {"shared", own, NULL};
    char other[32];
    snprintf(other, sizeof other, "worker %d round %d", (id + 1 + r) % WORKERS, r % 5);
    reads[2] = other;
    for (int i = 0; i < 3; i++) {
      int hit = 0;
      if (dm_cache_get(ctx, dir, key_of(reads[i]), &got, &hit) != DM_OK) failures++;
      if (hit && !entry_is_consistent(ctx, &got)) {
        fprintf(stderr, "worker %d: wrong planes under key '%s' (%s)\n", id, reads[i], got.meta);
        failures++;
      }
      dm_cache_entry_free(&got);
    }
  }
  dm_context_free(ctx);
  if (g_warnings) fprintf(stderr, "worker %d: %d warnings\n", id, g_warnings);
  return failures + g_warnings;
}

static void test_concurrency(const char *dir) {
  int n_entries, n_other;
  long long cap = 6 * (2 * 120 * 90 * 2 + 200); /* about six entries */
  pid_t pids[WORKERS];
  for (int i = 0; i < WORKERS; i++) {
    pids[i] = fork();
    if (pids[i] == 0) exit(worker(dir, i, cap) ? 1 : 0);
    CHECK(pids[i] > 0);
  }
  for (int i = 0; i < WORKERS; i++) {
    int st = 0;
    CHECK(waitpid(pids[i], &st, 0) == pids[i]);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  }
  long long total = folder_bytes(dir, &n_entries, &n_other);
  printf("concurrency: %d entries, %lld bytes (cap %lld), %d other files\n", n_entries, total, cap,
         n_other);
  CHECK(total <= cap);
  CHECK(n_entries >= 1);
  CHECK(n_other == 0); /* no temporary left behind */
}

static void test_default_dir(dm_context *ctx) {
  char out[1024];
  setenv("XDG_CACHE_HOME", "/tmp/xdg-test", 1);
  CHECK_OK(ctx, dm_cache_default_dir(ctx, out, sizeof out));
  CHECK(!strcmp(out, "/tmp/xdg-test/depthmask"));
  setenv("XDG_CACHE_HOME", "relative/path", 1); /* invalid per the XDG spec */
  setenv("HOME", "/home/someone", 1);
  CHECK_OK(ctx, dm_cache_default_dir(ctx, out, sizeof out));
  CHECK(!strcmp(out, "/home/someone/.cache/depthmask"));
  unsetenv("XDG_CACHE_HOME");
  CHECK_OK(ctx, dm_cache_default_dir(ctx, out, sizeof out));
  CHECK(!strcmp(out, "/home/someone/.cache/depthmask"));
}

/* A FIFO planted at an entry's name in a shared folder is a miss with a
 * warning, at once (it used to block the open forever), and a put replaces
 * it; a killed writer's temporary file for that entry is swept by the next
 * put, a live writer's (locked) is not. */
static void test_planted(dm_context *ctx, const char *dir) {
  dm_cache_entry e;
  memset(&e, 0, sizeof e);
  e.n_planes = 1;
  strcpy(e.names[0], "depth");
  CHECK_OK(ctx, dm_image_alloc_zero(ctx, &e.planes[0], 16, 8, 1));
  dm_hash k = key_of("planted");
  char hex[33], path[4400], tmp[4500], live[4500];
  dm_hash_hex(k, hex);
  entry_file(path, sizeof path, dir, k);
  CHECK(mkdir(dir, 0755) == 0 || errno == EEXIST);
  unlink(path);
  CHECK(mkfifo(path, 0644) == 0);
  dm_cache_entry got;
  int hit = 1, before = g_warnings;
  CHECK_OK(ctx, dm_cache_get(ctx, dir, k, &got, &hit)); /* must return, not hang */
  CHECK(hit == 0 && g_warnings == before + 1);
  /* Leftovers: one unlocked (its writer was killed), one held by a live writer. */
  snprintf(tmp, sizeof tmp, "%s/.%s.dmc.AbC123", dir, hex);
  snprintf(live, sizeof live, "%s/.%s.dmc.LiVe99", dir, hex);
  FILE *f = fopen(tmp, "w");
  CHECK(f && fputs("partial", f) >= 0 && fclose(f) == 0);
  struct timespec old[2] = {{.tv_sec = time(NULL) - 60}, {.tv_sec = time(NULL) - 60}};
  CHECK(utimensat(AT_FDCWD, tmp, old, 0) == 0); /* killed a minute ago */
  int lfd = open(live, O_CREAT | O_WRONLY, 0644);
  CHECK(lfd >= 0 && flock(lfd, LOCK_EX) == 0 && utimensat(AT_FDCWD, live, old, 0) == 0);
  CHECK_OK(ctx, dm_cache_put(ctx, dir, k, &e, 0));
  CHECK(access(tmp, F_OK) != 0);  /* swept */
  CHECK(access(live, F_OK) == 0); /* kept */
  close(lfd);
  unlink(live);
  struct stat st;
  CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode));
  CHECK_OK(ctx, dm_cache_get(ctx, dir, k, &got, &hit));
  CHECK(hit == 1);
  dm_cache_entry_free(&got);
  dm_image_free(&e.planes[0]);
}

/* ---- seeds for fuzz_cache ---- */

/* Entries written by dm_cache_put from dev1's depth and mask: one to four
 * planes, 1x1 to 64x43, with and without meta. All in one 1 MiB block: an
 * entry of two is over libFuzzer's default input size (1 MiB), and several
 * blocks are test_round_trip's (four). */
static int write_seeds(dm_context *ctx, const char *dir) {
  dm_image depth = read_grey(ctx, "depth16.png"), mask = read_grey(ctx, "mask_gt.png");
  if (!depth.data || !mask.data) return 1;
  static const struct {
    int w, h, n;
    const char *meta;
  } seeds[] = {
      {24, 16, 1, "z_near=1.2\nz_far=5\nsource=dof-eval dev1"},
      {32, 21, 3, "source=fused\nconfidence=0.83"},
      {7, 5, 2, ""},
      {1, 1, 4, "x"},
      {64, 43, 4, "z_near=0.5\nz_far=15"},
  };
  static const char *const names[] = {"depth", "matte", "confidence", "near01"};
  int failed = 0;
  for (size_t i = 0; i < sizeof seeds / sizeof *seeds; i++) {
    dm_cache_entry e;
    memset(&e, 0, sizeof e);
    e.n_planes = seeds[i].n;
    snprintf(e.meta, sizeof e.meta, "%s", seeds[i].meta);
    dm_status s = DM_OK;
    for (int p = 0; p < e.n_planes && !s; p++) {
      snprintf(e.names[p], sizeof e.names[p], "%s", names[p]);
      s = dm_resized_plane(ctx, p % 2 ? &mask : &depth, seeds[i].w, seeds[i].h, p < 2, &e.planes[p],
                           "seed");
      if (!s && p == 2) /* out of [0, 1] and NaN, as the store clamps them */
        for (int k = 0; k < seeds[i].w; k += 3) dm_row(&e.planes[p], 0)[k] = k % 2 ? NAN : 1.5f;
    }
    char what[32];
    snprintf(what, sizeof what, "fuzz seed %zu", i);
    if (!s) s = dm_cache_put(ctx, dir, key_of(what), &e, 0);
    if (s) fprintf(stderr, "seed %zu: %s\n", i, dm_context_error(ctx));
    failed |= s != DM_OK;
    dm_cache_entry_free(&e);
  }
  dm_image_free(&depth);
  dm_image_free(&mask);
  return failed;
}

/* ---- deferred stores ---- */

/* A deferred store is read back at once (the get waits for the writer),
 * its entry may be freed as soon as the call returns, and a write that
 * fails there is told once, by the next call with a context. */
static void test_later(dm_context *ctx, const char *dir) {
  dm_cache_entry e, got;
  int hit = 0;
  make_entry(ctx, &e, 7);
  CHECK_OK(ctx, dm_cache_put_later(ctx, dir, key_of("later"), &e, 0));
  dm_cache_entry_free(&e); /* converted before the call returned */
  CHECK_OK(ctx, dm_cache_get(ctx, dir, key_of("later"), &got, &hit));
  CHECK(hit && entry_is_consistent(ctx, &got));
  if (hit) dm_cache_entry_free(&got);

  /* a folder where the entry's file should go: the rename onto it fails */
  char path[8192];
  entry_file(path, sizeof path, dir, key_of("blocked"));
  CHECK(mkdir(path, 0777) == 0);
  int before = g_warnings;
  make_entry(ctx, &e, 8);
  CHECK_OK(ctx, dm_cache_put_later(ctx, dir, key_of("blocked"), &e, 0)); /* fails later, on its thread */
  dm_cache_entry_free(&e);
  CHECK_OK(ctx, dm_cache_get(ctx, dir, key_of("another photo"), &got, &hit));
  CHECK(!hit);
  CHECK(g_warnings == before + 1);
  dm_cache_wait(); /* told already: nothing more */
  CHECK(g_warnings == before + 1);
  rmdir(path);
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "--write-seeds")) {
    dm_context *ctx = dm_context_new(1);
    int r = write_seeds(ctx, argv[2]);
    dm_context_free(ctx);
    return r;
  }
  char base[4096], dir[4200];
  snprintf(base, sizeof base, "%s", dm_test_tmpdir("depth_cache"));
  /* first, before this process has a context (and pool threads) that the
   * forked workers would inherit half-alive */
  snprintf(dir, sizeof dir, "%s/shared", base);
  test_concurrency(dir);
  dm_context *ctx = dm_context_new(2);
  ctx->log = count_warnings;
  snprintf(dir, sizeof dir, "%s/rt/sub", base); /* put creates the folders */
  test_round_trip(ctx, dir);
  snprintf(dir, sizeof dir, "%s/evict", base);
  test_eviction(ctx, dir);
  test_default_dir(ctx);
  snprintf(dir, sizeof dir, "%s/planted", base);
  test_planted(ctx, dir);
  snprintf(dir, sizeof dir, "%s/later", base);
  test_later(ctx, dir);
  dm_context_free(ctx);
  return dm_test_done("depth/test_cache");
}
