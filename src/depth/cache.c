/* The depth cache's entry files (see cache.h).
 *
 * File layout, all integers little-endian:
 *   0   magic "DMDCACHE"
 *   8   u32 format version, u32 block size (BLOCK)
 *   16  u64 key.lo, u64 key.hi
 *   32  u32 width, height, plane count, meta length
 *   48  4 x 16 bytes plane names, NUL-padded
 *   112 one XXH3-128 (lo, hi) per BLOCK bytes of payload
 *   ..  XXH3-128 of everything above (the header check)
 *   ..  payload: the planes, one after the other, as uint16 round(v * 65535),
 *       row-major without padding; then the meta text (no NUL)
 * Checksums per 1 MiB block let the workers of ctx->pool verify and convert
 * a block while it is in their cache: one pass over the file's memory, which
 * keeps a warm 12 MP read inside its 50 ms budget. */
#include "depth/cache.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/bigmem.h"
#include "core/file.h"
#include "core/pool.h"
#include "depth/cache_evict.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the cache stores uint16 planes in host order, which must be little-endian"
#endif

/* Joins a deferred store still being written (below). */
static void wait_and_tell(dm_context *ctx);

#define MAGIC "DMDCACHE"
#define VERSION 1u
#define BLOCK ((size_t)1 << 20)
#define FIXED_HEADER 112
#define CHECK_BYTES 16

typedef struct layout {
  int width, height, n_planes;
  size_t meta_len, plane_px, payload_len, n_blocks, header_len, file_len;
} layout;

static void make_layout(layout *l, int w, int h, int n, size_t meta_len) {
  l->width = w, l->height = h, l->n_planes = n, l->meta_len = meta_len;
  l->plane_px = (size_t)w * (size_t)h;
  l->payload_len = l->plane_px * (size_t)n * 2 + meta_len;
  l->n_blocks = (l->payload_len + BLOCK - 1) / BLOCK;
  l->header_len = FIXED_HEADER + l->n_blocks * CHECK_BYTES + CHECK_BYTES;
  l->file_len = l->header_len + l->payload_len;
}

static void put_u32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static void put_u64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t get_u32(const unsigned char *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}
static uint64_t get_u64(const unsigned char *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

static void entry_path(char *out, size_t len, const char *dir, dm_hash key) {
  char hex[33];
  dm_hash_hex(key, hex);
  snprintf(out, len, "%s/%s%s", dir, hex, DM_CACHE_SUFFIX);
}

/* ---- parallel block work: quantise + hash (put), verify + expand (get) ---- */

typedef struct block_job {
  const layout *l;
  unsigned char *payload;       /* put: written; get: read only */
  unsigned char *table;         /* n_blocks checksums */
  const dm_image *planes;       /* put: the entry's planes (any stride) */
  float *dst[DM_CACHE_MAX_PLANES]; /* get: contiguous planes */
  int storing;
  atomic_int bad;               /* get: a block failed its checksum */
} block_job;

static inline uint16_t quantise(float v) {
  /* selects, not branches, so that the loops over planes vectorise */
  float c = v > 0.0f ? v : 0.0f; /* also NaN */
  c = c < 1.0f ? c : 1.0f;
  return (uint16_t)(c * 65535.0f + 0.5f);
}

static inline float dequantise(uint16_t k) {
  /* a division, not a multiplication by 1/65535: k / 65535 then
   * round-trips bit-exactly (16-bit PNG depth decodes to exactly that) */
  return (float)k / 65535.0f;
}

static void round_rows(void *user, int ith, int nth) {
  dm_image *p = user;
  int y0, y1;
  dm_split_rows(p->height, ith, nth, &y0, &y1);
  for (int y = y0; y < y1; y++) {
    float *v = dm_row(p, y);
    for (int x = 0; x < p->width * p->channels; x++) v[x] = dequantise(quantise(v[x]));
  }
}

void dm_cache_round_plane(dm_context *ctx, dm_image *p) { dm_parallel(ctx, round_rows, p); }

/* Values [i, end) of the concatenated planes. */
static void convert_values(block_job *j, size_t i, size_t end) {
  const layout *l = j->l;
  uint16_t *q = (uint16_t *)j->payload;
  while (i < end) {
    size_t p = i / l->plane_px, o = i % l->plane_px;
    size_t n = l->plane_px - o < end - i ? l->plane_px - o : end - i;
    if (j->storing) {
      const dm_image *img = &j->planes[p];
      size_t w = (size_t)l->width;
      for (size_t k = 0; k < n;) { /* row by row: the source may be a view */
        size_t y = (o + k) / w, x = (o + k) % w, run = w - x < n - k ? w - x : n - k;
        const float *src = dm_row(img, (int)y) + x;
        for (size_t r = 0; r < run; r++) q[i + k + r] = quantise(src[r]);
        k += run;
      }
    } else {
      float *out = j->dst[p] + o;
      const uint16_t *src = q + i;
      for (size_t k = 0; k < n; k++) out[k] = dequantise(src[k]);
    }
    i += n;
  }
}

static void block_fn(void *user, int ith, int nth) {
  block_job *j = user;
  const layout *l = j->l;
  size_t b0 = l->n_blocks * (size_t)ith / (size_t)nth, b1 = l->n_blocks * (size_t)(ith + 1) / (size_t)nth;
  size_t plane_values = l->plane_px * (size_t)l->n_planes;
  for (size_t b = b0; b < b1; b++) {
    size_t off = b * BLOCK, len = l->payload_len - off < BLOCK ? l->payload_len - off : BLOCK;
    size_t v0 = off / 2, v1 = (off + len) / 2; /* BLOCK is even: no value straddles blocks */
    if (v1 > plane_values) v1 = plane_values;
    unsigned char *sum = j->table + b * CHECK_BYTES;
    if (j->storing) {
      if (v0 < v1) convert_values(j, v0, v1);
      dm_hash h = dm_hash_bytes(j->payload + off, len);
      put_u64(sum, h.lo), put_u64(sum + 8, h.hi);
    } else {
      if (atomic_load_explicit(&j->bad, memory_order_relaxed)) return;
      dm_hash h = dm_hash_bytes(j->payload + off, len);
      if (h.lo != get_u64(sum) || h.hi != get_u64(sum + 8)) {
        atomic_store(&j->bad, 1);
        return;
      }
      if (v0 < v1) convert_values(j, v0, v1);
    }
  }
}

/* ---- get ---- */

/* Check the fixed header (its first FIXED_HEADER bytes) of a file of
 * `size` bytes; NULL if it is sound, else what is wrong. Fills `l` and the
 * names. Done before mapping, so a huge bogus file is never read. */
static const char *parse_fixed(const unsigned char *m, size_t size, dm_hash key, layout *l,
                               dm_cache_entry *out) {
  if (size < FIXED_HEADER + CHECK_BYTES) return "truncated header";
  if (memcmp(m, MAGIC, 8) != 0) return "not a cache entry";
  if (get_u32(m + 8) != VERSION) return "another format version";
  if (get_u32(m + 12) != BLOCK) return "another block size";
  if (get_u64(m + 16) != key.lo || get_u64(m + 24) != key.hi) return "key differs from its name";
  uint32_t w = get_u32(m + 32), h = get_u32(m + 36), n = get_u32(m + 40), meta = get_u32(m + 44);
  if (w < 1 || h < 1 || w > DM_MAX_DIM || h > DM_MAX_DIM || (long long)w * h > DM_MAX_PIXELS)
    return "size out of range";
  if (n < 1 || n > DM_CACHE_MAX_PLANES) return "plane count out of range";
  if (meta >= sizeof out->meta) return "meta too long";
  for (uint32_t p = 0; p < n; p++) {
    const unsigned char *name = m + 48 + 16 * p;
    if (!memchr(name, 0, 16) || !name[0]) return "bad plane name";
    memcpy(out->names[p], name, 16);
  }
  make_layout(l, (int)w, (int)h, (int)n, meta);
  if (size != l->file_len) return size < l->file_len ? "truncated" : "trailing bytes";
  return NULL;
}

/* The header check over the fixed header and the block checksums. */
static const char *check_header(const unsigned char *m, const layout *l) {
  dm_hash hc = dm_hash_bytes(m, l->header_len - CHECK_BYTES);
  const unsigned char *c = m + l->header_len - CHECK_BYTES;
  if (hc.lo != get_u64(c) || hc.hi != get_u64(c + 8)) return "header checksum mismatch";
  return NULL;
}

/* Remove a damaged entry, unless a writer has meanwhile replaced it. */
static void drop_entry(dm_context *ctx, const char *path, int fd, const char *why) {
  struct stat ours, now;
  if (fstat(fd, &ours) == 0 && stat(path, &now) == 0 && ours.st_ino == now.st_ino &&
      ours.st_dev == now.st_dev)
    unlink(path);
  dm_log(ctx, DM_LOG_WARN, "%s: damaged cache entry (%s), removed", path, why);
}

void dm_cache_entry_free(dm_cache_entry *e) {
  if (!e) return;
  for (int p = 0; p < DM_CACHE_MAX_PLANES; p++) dm_image_free(&e->planes[p]);
  memset(e, 0, sizeof *e);
}

dm_status dm_cache_get(dm_context *ctx, const char *dir, dm_hash key, dm_cache_entry *out, int *hit) {
  wait_and_tell(ctx); /* a store this process deferred is read back, not missed */
  memset(out, 0, sizeof *out);
  *hit = 0;
  char path[4096];
  entry_path(path, sizeof path, dir, key);
  /* O_NONBLOCK: a FIFO planted at the entry's name must not hang us; the
   * fstat below leaves anything but a regular file alone. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
  if (fd < 0) {
    if (errno != ENOENT && errno != ENOTDIR)
      dm_log(ctx, DM_LOG_WARN, "%s: cannot open cache entry: %s", path, strerror(errno));
    return DM_OK;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) { /* not ours: leave it alone */
    dm_log(ctx, DM_LOG_WARN, "%s: not a regular file; cache entry ignored", path);
    close(fd);
    return DM_OK;
  }
  size_t size = (size_t)st.st_size;
  unsigned char fixed[FIXED_HEADER];
  memset(fixed, 0, sizeof fixed);
  layout l;
  ssize_t got = pread(fd, fixed, sizeof fixed, 0);
  const char *why = parse_fixed(fixed, got == (ssize_t)sizeof fixed ? size : 0, key, &l, out);
  if (why) {
    drop_entry(ctx, path, fd, why);
    memset(out, 0, sizeof *out);
    close(fd);
    return DM_OK;
  }
  /* Populate the mapping in one go: a page fault per 4 KiB would cost more
   * than the whole conversion. */
  unsigned char *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  if (m == MAP_FAILED) {
    dm_log(ctx, DM_LOG_WARN, "%s: cannot map cache entry: %s", path, strerror(errno));
    memset(out, 0, sizeof *out);
    close(fd);
    return DM_OK;
  }
  dm_status s = DM_OK;
  why = check_header(m, &l);
  if (!why) {
    out->n_planes = l.n_planes;
    block_job j = {.l = &l, .payload = m + l.header_len, .table = m + FIXED_HEADER};
    atomic_init(&j.bad, 0);
    for (int p = 0; p < l.n_planes && s == DM_OK; p++) {
      s = dm_image_alloc(ctx, &out->planes[p], l.width, l.height, 1);
      j.dst[p] = out->planes[p].data;
    }
    if (s == DM_OK) {
      dm_parallel(ctx, block_fn, &j);
      if (atomic_load(&j.bad)) why = "payload checksum mismatch";
    }
    if (s == DM_OK && !why) {
      memcpy(out->meta, m + l.header_len + l.payload_len - l.meta_len, l.meta_len);
      out->meta[l.meta_len] = 0;
      if (strlen(out->meta) != l.meta_len) why = "NUL in meta";
    }
  }
  if (s == DM_OK && !why) {
    futimens(fd, NULL); /* LRU: a hit makes the entry young; a read-only folder is fine */
    *hit = 1;
  } else {
    if (why) drop_entry(ctx, path, fd, why);
    dm_cache_entry_free(out);
  }
  munmap(m, size);
  close(fd);
  return s;
}

/* ---- put ---- */

static dm_status make_dirs(dm_context *ctx, const char *dir) {
  char p[4096];
  if (snprintf(p, sizeof p, "%s", dir) >= (int)sizeof p)
    return dm_fail(ctx, DM_ERR_IO, dir, "path too long");
  for (char *c = p + 1;; c++) {
    if (*c == '/' || *c == 0) {
      char saved = *c;
      *c = 0;
      if (mkdir(p, 0755) != 0 && errno != EEXIST)
        return dm_fail(ctx, DM_ERR_IO, p, "cannot create the cache folder: %s", strerror(errno));
      *c = saved;
      if (!saved) break;
    }
  }
  return DM_OK;
}

static dm_status check_entry(dm_context *ctx, const char *dir, const dm_cache_entry *e) {
  if (e->n_planes < 1 || e->n_planes > DM_CACHE_MAX_PLANES)
    return dm_fail(ctx, DM_ERR_PARAM, dir, "cache entry with %d planes", e->n_planes);
  const dm_image *first = &e->planes[0];
  for (int p = 0; p < e->n_planes; p++) {
    const dm_image *img = &e->planes[p];
    if (!img->data || img->channels != 1 || img->width != first->width ||
        img->height != first->height || img->width < 1 || img->height < 1)
      return dm_fail(ctx, DM_ERR_PARAM, dir, "cache plane %d: not a 1-channel plane of the entry's size", p);
    if (!memchr(e->names[p], 0, sizeof e->names[p]) || !e->names[p][0])
      return dm_fail(ctx, DM_ERR_PARAM, dir, "cache plane %d: name missing or too long", p);
  }
  if (!memchr(e->meta, 0, sizeof e->meta))
    return dm_fail(ctx, DM_ERR_PARAM, dir, "cache meta is not NUL-terminated");
  return DM_OK;
}

/* The entry's file, made in memory (the planes converted and checksummed
 * on every thread): *buf (dm_big_alloc) of *len bytes. */
static dm_status make_file(dm_context *ctx, const char *dir, dm_hash key, const dm_cache_entry *e,
                           unsigned char **buf_out, size_t *len) {
  dm_status s = check_entry(ctx, dir, e);
  if (s) return s;
  layout l;
  make_layout(&l, e->planes[0].width, e->planes[0].height, e->n_planes, strlen(e->meta));
  /* pooled pages (a batch writes one entry of this size per photo); every
   * payload byte is written below, the header is cleared */
  unsigned char *buf = dm_big_alloc(l.file_len);
  if (!buf) return dm_fail(ctx, DM_ERR_NOMEM, dir, "out of memory for a cache entry");
  memset(buf, 0, l.header_len);
  memcpy(buf, MAGIC, 8);
  put_u32(buf + 8, VERSION), put_u32(buf + 12, (uint32_t)BLOCK);
  put_u64(buf + 16, key.lo), put_u64(buf + 24, key.hi);
  put_u32(buf + 32, (uint32_t)l.width), put_u32(buf + 36, (uint32_t)l.height);
  put_u32(buf + 40, (uint32_t)l.n_planes), put_u32(buf + 44, (uint32_t)l.meta_len);
  for (int p = 0; p < l.n_planes; p++) memcpy(buf + 48 + 16 * p, e->names[p], sizeof e->names[p]);
  unsigned char *payload = buf + l.header_len;
  memcpy(payload + l.payload_len - l.meta_len, e->meta, l.meta_len); /* before hashing its block */
  block_job j = {.l = &l, .payload = payload, .table = buf + FIXED_HEADER, .planes = e->planes,
                 .storing = 1};
  atomic_init(&j.bad, 0);
  dm_parallel(ctx, block_fn, &j);
  dm_hash hc = dm_hash_bytes(buf, l.header_len - CHECK_BYTES);
  put_u64(buf + l.header_len - CHECK_BYTES, hc.lo), put_u64(buf + l.header_len - 8, hc.hi);
  *buf_out = buf, *len = l.file_len;
  return DM_OK;
}

/* Writes the file (renamed into place, checksummed: see cache.h), frees
 * buf, then trims the folder. */
static dm_status write_file(dm_context *ctx, const char *dir, dm_hash key, unsigned char *buf, size_t len,
                            long long cap_bytes) {
  char path[4096];
  entry_path(path, sizeof path, dir, key);
  dm_status s = dm_write_file_atomic_ex(ctx, path, buf, len, 0);
  dm_big_free(buf);
  if (s) return s;
  return dm_cache_evict(ctx, dir, cap_bytes > 0 ? cap_bytes : DM_CACHE_DEFAULT_CAP);
}

dm_status dm_cache_put(dm_context *ctx, const char *dir, dm_hash key, const dm_cache_entry *e,
                       long long cap_bytes) {
  wait_and_tell(ctx); /* an earlier deferred store of the same key lands first */
  unsigned char *buf;
  size_t len;
  dm_status s = make_dirs(ctx, dir);
  if (!s) s = make_file(ctx, dir, key, e, &buf, &len);
  return s ? s : write_file(ctx, dir, key, buf, len, cap_bytes);
}

/* ---- deferred stores: one write at a time on a thread of its own -------- */

typedef struct later {
  char dir[4096];
  dm_hash key;
  unsigned char *buf;
  size_t len;
  long long cap_bytes;
} later;

/* A failed deferred write is told by whoever waits for it next with a
 * context (the thread cannot use its caller's log: what that log writes to
 * may be gone by then), or on stderr at exit. */
static struct {
  pthread_mutex_t lock; /* held while a writer is started or joined */
  pthread_t tid;
  int running, at_exit;
  char warning[4096 + 1024]; /* written by the writer, read after the join */
} g_later = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void *write_later(void *arg) {
  later *w = arg;
  dm_context *ctx = dm_context_new(1);
  dm_status s = ctx ? write_file(ctx, w->dir, w->key, w->buf, w->len, w->cap_bytes) : DM_ERR_NOMEM;
  if (!ctx) dm_big_free(w->buf);
  if (s) /* the cache only saves time: a full disk must not fail anything */
    snprintf(g_later.warning, sizeof g_later.warning, "%s: depth cache not written: %s", w->dir,
             ctx ? dm_context_error(ctx) : "out of memory");
  dm_context_free(ctx);
  free(w);
  return NULL;
}

/* Joins the writer; its warning, if any, goes to ctx's log (or stderr). */
static void wait_and_tell(dm_context *ctx) {
  char warning[sizeof g_later.warning] = "";
  pthread_mutex_lock(&g_later.lock);
  if (g_later.running) pthread_join(g_later.tid, NULL);
  g_later.running = 0;
  memcpy(warning, g_later.warning, sizeof warning);
  g_later.warning[0] = 0;
  pthread_mutex_unlock(&g_later.lock);
  if (!warning[0]) return;
  if (ctx) dm_log(ctx, DM_LOG_WARN, "%s", warning);
  else fprintf(stderr, "depthmask: warning: %s\n", warning);
}

void dm_cache_wait(void) { wait_and_tell(NULL); }

dm_status dm_cache_put_later(dm_context *ctx, const char *dir, dm_hash key, const dm_cache_entry *e,
                             long long cap_bytes) {
  wait_and_tell(ctx); /* one entry's memory in flight at most */
  later *w = calloc(1, sizeof *w);
  if (!w) return dm_fail(ctx, DM_ERR_NOMEM, dir, "out of memory for a cache entry");
  dm_status s = make_dirs(ctx, dir);
  if (!s && snprintf(w->dir, sizeof w->dir, "%s", dir) >= (int)sizeof w->dir)
    s = dm_fail(ctx, DM_ERR_PARAM, dir, "cache folder path too long");
  if (!s) s = make_file(ctx, dir, key, e, &w->buf, &w->len);
  if (s) {
    free(w);
    return s;
  }
  w->key = key, w->cap_bytes = cap_bytes;
  pthread_mutex_lock(&g_later.lock);
  if (!g_later.at_exit) g_later.at_exit = atexit(dm_cache_wait) == 0; /* exit waits for it */
  int started = g_later.at_exit && !g_later.running && pthread_create(&g_later.tid, NULL, write_later, w) == 0;
  g_later.running |= started;
  pthread_mutex_unlock(&g_later.lock);
  if (started) return DM_OK;
  /* no thread (or a racing store took the slot): written here and now */
  s = write_file(ctx, w->dir, key, w->buf, w->len, cap_bytes);
  free(w);
  return s;
}
