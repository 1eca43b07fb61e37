/* Depth cache folder: the default location and least-recently-used
 * eviction. Several batch workers may evict the same folder at once: a file
 * that vanished between listing and deleting is simply skipped. */
#include "depth/cache_evict.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TEMP_STALE_SECONDS 3600 /* a writer cannot take this long: it died */

dm_status dm_cache_default_dir(dm_context *ctx, char *out, size_t out_len) {
  const char *xdg = getenv("XDG_CACHE_HOME");
  int n;
  if (xdg && xdg[0] == '/') { /* the XDG spec: relative values are invalid */
    n = snprintf(out, out_len, "%s/depthmask", xdg);
  } else {
    const char *home = getenv("HOME");
    if (!home || !home[0])
      return dm_fail(ctx, DM_ERR_IO, NULL,
                     "no cache folder: neither XDG_CACHE_HOME nor HOME is set (use --cache DIR)");
    n = snprintf(out, out_len, "%s/.cache/depthmask", home);
  }
  if (n < 0 || (size_t)n >= out_len)
    return dm_fail(ctx, DM_ERR_IO, NULL, "cache folder path too long");
  return DM_OK;
}

static int is_hex_key(const char *s) {
  for (int i = 0; i < 32; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
  return 1;
}

int dm_cache_is_entry_name(const char *name) {
  return strlen(name) == DM_CACHE_NAME_LEN && is_hex_key(name) &&
         strcmp(name + 32, DM_CACHE_SUFFIX) == 0;
}

/* ".<entry name>.XXXXXX", as dm_atomic_open names its temporaries. */
static int is_temp_name(const char *name) {
  return name[0] == '.' && strlen(name) == 1 + DM_CACHE_NAME_LEN + 7 && is_hex_key(name + 1) &&
         strncmp(name + 33, DM_CACHE_SUFFIX ".", 5) == 0;
}

typedef struct cache_file {
  char name[DM_CACHE_NAME_LEN + 1];
  long long size;
  struct timespec mtime;
} cache_file;

static int older_first(const void *a, const void *b) {
  const cache_file *x = a, *y = b;
  if (x->mtime.tv_sec != y->mtime.tv_sec) return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
  if (x->mtime.tv_nsec != y->mtime.tv_nsec) return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
  return strcmp(x->name, y->name);
}

static void remove_quietly(dm_context *ctx, const char *dir, const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  if (unlink(path) != 0 && errno != ENOENT)
    dm_log(ctx, DM_LOG_WARN, "%s: cannot remove: %s", path, strerror(errno));
}

dm_status dm_cache_evict(dm_context *ctx, const char *dir, long long cap_bytes) {
  DIR *d = opendir(dir);
  if (!d) return dm_fail(ctx, DM_ERR_IO, dir, "cannot list the cache folder: %s", strerror(errno));
  cache_file *files = NULL;
  size_t n = 0, cap = 0;
  long long total = 0;
  time_t now = time(NULL);
  dm_status s = DM_OK;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    int entry = dm_cache_is_entry_name(de->d_name);
    if (!entry && !is_temp_name(de->d_name)) continue;
    struct stat st;
    if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
      continue; /* gone already, or not ours */
    if (!entry) {
      if (now - st.st_mtime > TEMP_STALE_SECONDS) remove_quietly(ctx, dir, de->d_name);
      continue; /* a live writer's file: not ours to count */
    }
    if (n == cap) {
      size_t ncap = cap ? cap * 2 : 64;
      cache_file *grown = realloc(files, ncap * sizeof *files);
      if (!grown) {
        s = dm_fail(ctx, DM_ERR_NOMEM, dir, "out of memory listing the cache folder");
        break;
      }
      files = grown, cap = ncap;
    }
    memcpy(files[n].name, de->d_name, sizeof files[n].name); /* 36 chars + NUL, checked above */
    files[n].size = (long long)st.st_size;
    files[n].mtime = st.st_mtim;
    total += files[n].size;
    n++;
  }
  closedir(d);
  if (s == DM_OK && total > cap_bytes) {
    qsort(files, n, sizeof *files, older_first);
    for (size_t i = 0; i < n && total > cap_bytes; i++) {
      remove_quietly(ctx, dir, files[i].name);
      total -= files[i].size;
    }
  }
  free(files);
  return s;
}
