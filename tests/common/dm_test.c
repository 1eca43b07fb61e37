#include "dm_test.h"

#include "color/color.h"
#include "core/file.h"
#include "io/io.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int dm_test_failures = 0;

int dm_test_done(const char *name) {
  if (dm_test_failures) {
    fprintf(stderr, "%s: %d check(s) failed\n", name, dm_test_failures);
    return 1;
  }
  printf("%s: all checks passed\n", name);
  return 0;
}

const char *dm_test_photo(const char *which) {
  static const struct {
    const char *name, *path;
  } photos[] = {
      {"coffee", "/usr/lib/python3/dist-packages/skimage/data/coffee.png"},
      {"astronaut", "/usr/lib/python3/dist-packages/skimage/data/astronaut.png"},
      {"chelsea", "/usr/lib/python3/dist-packages/skimage/data/chelsea.png"},
      {"grace_hopper", "/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg"},
  };
  for (size_t i = 0; i < sizeof photos / sizeof photos[0]; i++)
    if (!strcmp(photos[i].name, which)) {
      if (access(photos[i].path, R_OK) != 0) {
        fprintf(stderr, "test photo %s missing at %s (run ./setup.sh)\n", which, photos[i].path);
        exit(1);
      }
      return photos[i].path;
    }
  fprintf(stderr, "unknown test photo %s\n", which);
  exit(1);
}

const char *dm_test_tmpdir(const char *test_name) {
  static char path[4096];
  snprintf(path, sizeof path, "%s/test-tmp/%s", DM_BUILD_DIR, test_name);
  char cmd[8400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", path, path);
  if (system(cmd) != 0) {
    fprintf(stderr, "cannot create %s\n", path);
    exit(1);
  }
  return path;
}

void dm_test_image_diff(const dm_image *a, const dm_image *b, double *mean_abs, double *max_abs) {
  double sum = 0, mx = 0;
  size_t n = 0;
  if (a->width != b->width || a->height != b->height || a->channels != b->channels) {
    *mean_abs = *max_abs = INFINITY;
    return;
  }
  for (int y = 0; y < a->height; y++) {
    const float *pa = dm_row(a, y), *pb = dm_row(b, y);
    for (int i = 0; i < a->width * a->channels; i++) {
      double d = fabs((double)pa[i] - pb[i]);
      sum += d;
      if (d > mx) mx = d;
      n++;
    }
  }
  *mean_abs = n ? sum / (double)n : 0;
  *max_abs = mx;
}

unsigned char *dm_test_read(const char *path, size_t *len) {
  dm_context *ctx = dm_context_new(1);
  unsigned char *data = NULL;
  *len = 0;
  if (ctx && dm_read_file(ctx, path, (size_t)1 << 30, &data, len) != DM_OK)
    fprintf(stderr, "%s\n", dm_context_error(ctx));
  dm_context_free(ctx);
  return data;
}

void dm_test_key_pattern(const char *key, char *out, size_t len) {
  static const char letters[] = "NMS";
  int depth = 0;
  size_t o = 0;
  for (const char *p = key; *p && o + 2 < len; p++) {
    out[o++] = *p;
    if (*p == '[') {
      out[o++] = letters[depth < 3 ? depth : 2];
      depth++;
      while (p[1] >= '0' && p[1] <= '9') p++;
    }
  }
  out[o] = 0;
}

dm_image dm_test_srgb(dm_context *ctx, const dm_image *linear) {
  dm_image out;
  memset(&out, 0, sizeof out);
  CHECK_OK(ctx, dm_color_from_working(ctx, linear, DM_PROFILE_SRGB, &out, NULL, NULL));
  return out;
}

dm_image dm_test_working_photo(dm_context *ctx, const char *which) {
  dm_decoded d;
  dm_image img;
  memset(&d, 0, sizeof d);
  memset(&img, 0, sizeof img);
  dm_status s = dm_io_read(ctx, dm_test_photo(which), &d);
  CHECK_OK(ctx, s);
  if (s == DM_OK) CHECK_OK(ctx, dm_color_to_working(ctx, &d, which, &img));
  dm_decoded_free(&d);
  return img;
}
