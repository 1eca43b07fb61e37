/* The memory a job may use, and the check made before the big allocations:
 * a photo whose work would not fit is refused with one line naming its size
 * and what it needs, instead of swapping the machine to a halt. */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/context.h"

/* The cgroup's limit (v2 memory.max, else v1), or -1 when there is none. */
static long long cgroup_limit(void) {
  static const char *const files[] = {"/sys/fs/cgroup/memory.max",
                                      "/sys/fs/cgroup/memory/memory.limit_in_bytes"};
  for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
    FILE *f = fopen(files[i], "r");
    if (!f) continue;
    char buf[64] = "";
    int got = fgets(buf, sizeof buf, f) != NULL;
    fclose(f);
    if (!got || !strncmp(buf, "max", 3)) continue;
    char *end;
    long long v = strtoll(buf, &end, 10);
    /* v1 says "no limit" with a huge number */
    if (end != buf && v > 0 && v < (1LL << 50)) return v;
  }
  return -1;
}

long long dm_memory_size(void) {
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  long long ram = pages > 0 && page > 0 ? (long long)pages * page : 0;
  long long cg = cgroup_limit();
  if (cg > 0 && (ram == 0 || cg < ram)) ram = cg;
  return ram;
}

long long dm_default_max_memory(void) { return dm_memory_size() / 4 * 3; }

int dm_parse_size(const char *text, long long *out) {
  char *end;
  double v = strtod(text, &end);
  if (end == text || !(v > 0)) return 0;
  double unit = 1;
  if (*end == 'k' || *end == 'K') unit = 1024.0, end++;
  else if (*end == 'm' || *end == 'M') unit = 1024.0 * 1024, end++;
  else if (*end == 'g' || *end == 'G') unit = 1024.0 * 1024 * 1024, end++;
  else if (*end == 't' || *end == 'T') unit = 1024.0 * 1024 * 1024 * 1024, end++;
  if (unit > 1 && (*end == 'i' || *end == 'I')) end++;
  if (*end == 'b' || *end == 'B') end++;
  if (*end || v * unit > 9e18) return 0;
  *out = (long long)(v * unit);
  return 1;
}

static void human(long long bytes, char *out, size_t len) {
  const double mib = 1024.0 * 1024, gib = mib * 1024;
  if (bytes >= gib) snprintf(out, len, "%.1f GiB", bytes / gib);
  else snprintf(out, len, "%.1f MiB", bytes / mib);
}

dm_status dm_check_memory(dm_context *ctx, const char *name, long long w, long long h) {
  if (!ctx || ctx->max_memory <= 0) return DM_OK;
  /* Decoding alone: the float RGB image and the decoder's rows. */
  long long per_pixel = ctx->bytes_per_pixel > 0 ? ctx->bytes_per_pixel : 20;
  long long need = w * h * per_pixel;
  if (need <= ctx->max_memory) return DM_OK;
  char a[32], b[32];
  human(need, a, sizeof a);
  human(ctx->max_memory, b, sizeof b);
  return dm_fail(ctx, DM_ERR_RANGE, name,
                 "%lldx%lld pixels (%.1f MP) need about %s for this work, more than the %s "
                 "allowed (--max-memory)", w, h, (double)w * h / 1e6, a, b);
}

/* cgroup v2's cpu.max "QUOTA PERIOD" ("max PERIOD": no limit) as whole CPUs. */
static int cgroup_cpus(void) {
  FILE *f = fopen("/sys/fs/cgroup/cpu.max", "r");
  if (!f) return 0;
  char quota[32];
  long period = 0;
  int n = fscanf(f, "%31s %ld", quota, &period);
  fclose(f);
  if (n != 2 || !strcmp(quota, "max") || period <= 0) return 0;
  long q = atol(quota);
  return q > 0 ? (int)((q + period - 1) / period) : 0;
}

int dm_cpu_count(void) {
  int n = 0;
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) n = CPU_COUNT(&set);
  if (n <= 0) {
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    n = c > 0 ? (int)c : 1;
  }
  int cg = cgroup_cpus();
  return cg > 0 && cg < n ? cg : n;
}

long long dm_memory_available(void) {
  FILE *f = fopen("/proc/meminfo", "r");
  if (!f) return 0;
  char line[256];
  long long kib = 0;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "MemAvailable: %lld kB", &kib) == 1) break;
  fclose(f);
  return kib * 1024;
}
