#include "core/file.h" /* fopencookie: _GNU_SOURCE comes from the build */

#include <stdint.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/hash.h"

int dm_open_regular(dm_context *ctx, const char *path) {
  /* O_NONBLOCK: a FIFO planted at the name must not hang the open; the
   * fstat then refuses it before any read could block. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    if (errno == ENOENT) dm_fail(ctx, DM_ERR_IO, path, "no such file");
    else dm_fail(ctx, DM_ERR_IO, path, "%s", strerror(errno));
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    int dir = S_ISDIR(st.st_mode);
    close(fd);
    dm_fail(ctx, DM_ERR_IO, path, dir ? "is a directory" : "not a regular file");
    return -1;
  }
  /* Regular files never block; reads go back to blocking mode. */
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

dm_status dm_check_input(dm_context *ctx, const char *path) {
  int fd = dm_open_regular(ctx, path);
  if (fd < 0) return DM_ERR_IO;
  close(fd);
  return DM_OK;
}

dm_status dm_read_file(dm_context *ctx, const char *path, size_t max_bytes, unsigned char **data,
                       size_t *len) {
  *data = NULL;
  *len = 0;
  int fd = dm_open_regular(ctx, path);
  if (fd < 0) return DM_ERR_IO;
  FILE *f = fdopen(fd, "rb");
  if (!f) {
    close(fd);
    return dm_fail(ctx, DM_ERR_IO, path, "%s", strerror(errno));
  }
  /* Grow geometrically; read at most max_bytes + 1 to detect oversize. */
  size_t cap = 0, n = 0;
  unsigned char *buf = NULL;
  int oom = 0;
  for (;;) {
    if (n == cap) {
      if (cap > max_bytes) break;
      size_t ncap = cap ? cap * 2 : 1 << 16;
      if (ncap > max_bytes + 1) ncap = max_bytes + 1;
      unsigned char *nb = realloc(buf, ncap + 1);
      if (!nb) {
        oom = 1;
        break;
      }
      buf = nb;
      cap = ncap;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  int err = ferror(f);
  fclose(f);
  if (oom || err || n > max_bytes) {
    free(buf);
    if (oom) return dm_fail(ctx, DM_ERR_NOMEM, path, "out of memory");
    if (err) return dm_fail(ctx, DM_ERR_IO, path, "read error");
    return dm_fail(ctx, DM_ERR_FORMAT, path, "file larger than %zu bytes", max_bytes);
  }
  if (!buf && !(buf = malloc(1))) return dm_fail(ctx, DM_ERR_NOMEM, path, "out of memory");
  buf[n] = 0;
  *data = buf;
  *len = n;
  return DM_OK;
}

/* ---- temporary files a signal must not leave behind ------------------- */

/* A fixed table the signal handler can walk without locks or allocation:
 * a slot is claimed by compare-and-swap and holds its path until released. */
#define DM_TEMP_SLOTS 64
static struct {
  atomic_int used;
  char path[4096];
} temp_slots[DM_TEMP_SLOTS];

void dm_temp_register(const char *path) {
  if (strlen(path) >= sizeof temp_slots[0].path) return;
  for (int i = 0; i < DM_TEMP_SLOTS; i++) {
    int expect = 0;
    if (atomic_compare_exchange_strong(&temp_slots[i].used, &expect, 1)) {
      strcpy(temp_slots[i].path, path);
      atomic_store(&temp_slots[i].used, 2); /* visible to the handler only when complete */
      return;
    }
  }
}

void dm_temp_unregister(const char *path) {
  for (int i = 0; i < DM_TEMP_SLOTS; i++)
    if (atomic_load(&temp_slots[i].used) == 2 && !strcmp(temp_slots[i].path, path)) {
      atomic_store(&temp_slots[i].used, 0);
      return;
    }
}

static void on_fatal_signal(int sig) {
  /* Only async-signal-safe calls: unlink, signal, raise. */
  for (int i = 0; i < DM_TEMP_SLOTS; i++)
    if (atomic_load(&temp_slots[i].used) == 2) unlink(temp_slots[i].path);
  signal(sig, SIG_DFL);
  raise(sig);
}

void dm_temp_install_handlers(void) {
  static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
  for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    /* Keep an inherited "ignore" (nohup, a batch runner's choice). */
    if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    sigaction(sigs[i], &sa, NULL);
  }
}

/* Is `name` dm_atomic_open's temporary name for `base`: ".BASE.XXXXXX"? */
static int is_temp_of(const char *name, const char *base) {
  size_t bl = strlen(base), nl = strlen(name);
  if (nl != bl + 8 || name[0] != '.' || strncmp(name + 1, base, bl) || name[bl + 1] != '.') return 0;
  for (size_t i = bl + 2; i < nl; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return 0;
  }
  return 1;
}

void dm_temp_sweep(const char *final_path) {
  char dir[4096];
  const char *slash = strrchr(final_path, '/');
  const char *base = slash ? slash + 1 : final_path;
  if (slash) snprintf(dir, sizeof dir, "%.*s", (int)(slash - final_path + (slash == final_path)), final_path);
  else snprintf(dir, sizeof dir, ".");
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!is_temp_of(e->d_name, base)) continue;
    int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
    if (fd < 0) continue;
    struct stat st;
    /* A live writer holds its lock until commit or abort; a killed one's is
     * gone. The age rule covers the instant between a writer's mkstemp and
     * its flock, when its file is young and not locked yet. */
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && time(NULL) - st.st_mtime >= 10 &&
        flock(fd, LOCK_EX | LOCK_NB) == 0)
      unlinkat(dirfd(d), e->d_name, 0);
    close(fd);
  }
  closedir(d);
}

/* ---- atomic files ------------------------------------------------------- */

/* A file that will be fsynced has its pages handed to the disk every
 * KICK_BYTES as it is written (sync_file_range, which does not wait), so
 * that the disk writes while the encoder works and the fsync at the end
 * waits only for the last part: a 24 MP 16-bit TIFF (144 MB) spent
 * 0.3-0.6 s in that fsync on our VMs. */
#define KICK_BYTES ((size_t)8 << 20)

/* fp writes through these, so the first write(2) error is kept with its
 * errno: encoders (libtiff, libpng) only say "Write error". */
static ssize_t cookie_write(void *c, const char *buf, size_t len) {
  dm_atomic_file *af = c;
  size_t done = 0;
  while (done < len) {
    ssize_t n = write(af->fd, buf + done, len - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (!af->write_errno) af->write_errno = n < 0 ? errno : EIO;
      return done ? (ssize_t)done : -1;
    }
    done += (size_t)n;
  }
  af->unkicked += done;
  if (!af->no_sync && af->unkicked >= KICK_BYTES) {
    sync_file_range(af->fd, 0, 0, SYNC_FILE_RANGE_WRITE); /* a hint: its failure changes nothing */
    af->unkicked = 0;
  }
  return (ssize_t)done;
}

static ssize_t cookie_read(void *c, char *buf, size_t len) {
  (void)c, (void)buf, (void)len;
  return -1;
}

static int cookie_seek(void *c, off64_t *pos, int whence) {
  dm_atomic_file *af = c;
  off_t r = lseek(af->fd, (off_t)*pos, whence);
  if (r < 0) return -1;
  *pos = r;
  return 0;
}

static int cookie_close(void *c) {
  (void)c; /* the fd is closed by prepare/abort */
  return 0;
}

dm_status dm_atomic_open(dm_context *ctx, dm_atomic_file *af, const char *path) {
  memset(af, 0, sizeof *af);
  af->fd = -1;
  if (strlen(path) + 16 >= sizeof af->tmp_path)
    return dm_fail(ctx, DM_ERR_IO, path, "path too long");
  snprintf(af->final_path, sizeof af->final_path, "%s", path);
  /* Leftovers of a killed run writing this same file go first. */
  dm_temp_sweep(path);
  /* Temporary name beside the target: ".NAME.XXXXXX" in the same folder. */
  const char *slash = strrchr(path, '/');
  size_t dirlen = slash ? (size_t)(slash - path + 1) : 0;
  snprintf(af->tmp_path, sizeof af->tmp_path, "%.*s.%s.XXXXXX", (int)dirlen, path,
           path + dirlen);
  /* Unnamed until published (O_TMPFILE): a killed run leaves nothing. File
   * systems without it get a named temporary file. */
  char dir[4096];
  snprintf(dir, sizeof dir, "%.*s", dirlen ? (int)dirlen : 1, dirlen ? path : ".");
  int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
  if (fd >= 0) {
    af->anonymous = 1;
  } else if (errno == EACCES || errno == EROFS || errno == ENOSPC || errno == EDQUOT ||
             errno == ENOENT) {
    int e = errno;
    af->tmp_path[0] = 0;
    return dm_fail(ctx, DM_ERR_IO, path, "cannot create a temporary file beside it: %s",
                   strerror(e));
  } else {
    fd = mkostemp(af->tmp_path, O_CLOEXEC);
    if (fd < 0) {
      int e = errno;
      af->tmp_path[0] = 0;
      return dm_fail(ctx, DM_ERR_IO, path, "cannot create a temporary file beside it: %s",
                     strerror(e));
    }
    dm_temp_register(af->tmp_path);
    /* Held while we write: dm_temp_sweep leaves locked temporaries alone. */
    flock(fd, LOCK_EX | LOCK_NB);
    fchmod(fd, 0644);
  }
  af->fd = fd;
  cookie_io_functions_t io = {cookie_read, cookie_write, cookie_seek, cookie_close};
  af->fp = fopencookie(af, "wb", io);
  if (!af->fp) {
    int e = errno;
    dm_atomic_abort(af);
    return dm_fail(ctx, DM_ERR_IO, path, "%s", strerror(e));
  }
  return DM_OK;
}

dm_status dm_atomic_write_error(dm_context *ctx, const dm_atomic_file *af, dm_status s) {
  if (!af->write_errno) return s;
  return dm_fail(ctx, DM_ERR_IO, af->final_path, "cannot write: %s", strerror(af->write_errno));
}

dm_status dm_atomic_prepare(dm_context *ctx, dm_atomic_file *af) {
  int ok = af->fp && fflush(af->fp) == 0 && !ferror(af->fp);
  int e = af->write_errno ? af->write_errno : errno;
  if (af->fp && fclose(af->fp) != 0) ok = 0;
  af->fp = NULL;
  if (ok && !af->no_sync && fsync(af->fd) != 0) ok = 0, e = errno;
  /* An unnamed file lives only through its descriptor until publish. */
  if (!af->anonymous) {
    if (af->fd >= 0 && close(af->fd) != 0 && ok) ok = 0, e = errno;
    af->fd = -1;
  }
  if (!ok) {
    if (af->write_errno) e = af->write_errno;
    dm_atomic_abort(af);
    return dm_fail(ctx, DM_ERR_IO, af->final_path, "cannot write: %s", strerror(e));
  }
  return DM_OK;
}

/* Give the unnamed file a hidden name beside its target (linkat through
 * /proc, which needs no privilege), so rename can put it in place. */
static int name_anonymous(dm_atomic_file *af) {
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", af->fd);
  size_t n = strlen(af->tmp_path);
  for (int attempt = 0; attempt < 100; attempt++) {
    static const char set[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    unsigned long r = (unsigned long)time(NULL) ^ ((unsigned long)getpid() << 8) ^
                      (unsigned long)(uintptr_t)af ^ ((unsigned long)attempt * 2654435761u);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    r ^= (unsigned long)ts.tv_nsec * 40503u;
    for (int i = 0; i < 6; i++, r /= 62) af->tmp_path[n - 6 + (size_t)i] = set[r % 62];
    if (linkat(AT_FDCWD, proc, AT_FDCWD, af->tmp_path, AT_SYMLINK_FOLLOW) == 0) {
      dm_temp_register(af->tmp_path);
      return 0;
    }
    if (errno != EEXIST) return errno;
  }
  return EEXIST;
}

dm_status dm_atomic_publish(dm_context *ctx, dm_atomic_file *af) {
  if (af->anonymous) {
    int e = name_anonymous(af);
    close(af->fd);
    af->fd = -1;
    af->anonymous = 0;
    if (e) {
      af->tmp_path[0] = 0;
      return dm_fail(ctx, DM_ERR_IO, af->final_path, "cannot name the new file: %s", strerror(e));
    }
  }
  if (rename(af->tmp_path, af->final_path) != 0) {
    int e = errno;
    dm_atomic_abort(af);
    return dm_fail(ctx, DM_ERR_IO, af->final_path, "cannot replace it: %s", strerror(e));
  }
  dm_temp_unregister(af->tmp_path);
  af->tmp_path[0] = 0;
  return DM_OK;
}

dm_status dm_atomic_commit(dm_context *ctx, dm_atomic_file *af) {
  dm_status s = dm_atomic_prepare(ctx, af);
  return s ? s : dm_atomic_publish(ctx, af);
}

void dm_atomic_abort(dm_atomic_file *af) {
  if (af->fp) fclose(af->fp);
  af->fp = NULL;
  if (af->fd >= 0) close(af->fd); /* an unnamed file is gone with it */
  af->fd = -1;
  if (af->anonymous) af->tmp_path[0] = 0;
  af->anonymous = 0;
  if (af->tmp_path[0]) {
    unlink(af->tmp_path);
    dm_temp_unregister(af->tmp_path);
  }
  af->tmp_path[0] = 0;
}

dm_status dm_atomic_hash(dm_context *ctx, const dm_atomic_file *af, dm_hash *out) {
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", af->fd);
  return dm_hash_file(ctx, af->anonymous ? proc : af->tmp_path, out);
}

dm_status dm_write_file_atomic(dm_context *ctx, const char *path, const void *data, size_t len) {
  return dm_write_file_atomic_ex(ctx, path, data, len, 1);
}

dm_status dm_write_file_atomic_ex(dm_context *ctx, const char *path, const void *data, size_t len,
                                  int durable) {
  dm_atomic_file af;
  dm_status s = dm_atomic_open(ctx, &af, path);
  if (s) return s;
  af.no_sync = !durable;
  if (len && fwrite(data, 1, len, af.fp) != len) {
    s = dm_atomic_write_error(ctx, &af, dm_fail(ctx, DM_ERR_IO, path, "cannot write"));
    dm_atomic_abort(&af);
    return s;
  }
  return dm_atomic_commit(ctx, &af);
}

int dm_lock(dm_context *ctx, const char *path) {
  int fd = dm_open_regular(ctx, path);
  if (fd < 0) return -1;
  int r;
  while ((r = flock(fd, LOCK_EX)) != 0 && errno == EINTR) {
  }
  if (r != 0) {
    int e = errno;
    close(fd);
    dm_fail(ctx, DM_ERR_IO, path, "cannot lock: %s", strerror(e));
    return -1;
  }
  return fd;
}

void dm_unlock(int fd) {
  if (fd >= 0) close(fd); /* closing the only descriptor releases the flock */
}

int dm_same_file(const char *a, const char *b) {
  struct stat sa, sb;
  if (stat(a, &sa) != 0 || stat(b, &sb) != 0) return 0;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}
