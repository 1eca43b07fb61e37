/* depthmask demo: renders a real photograph shipped by Debian with a sample
 * recipe into ./demo-out/, the way a retoucher would: the photo copied in,
 * its sidecar beside it, a 16-bit TIFF master and a JPEG proof; then the
 * client's "make the background darker" as one changed slider. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/file.h"

/* Grace Hopper, US Navy photograph (public domain), in python-matplotlib-data;
 * skimage's coffee (CC0) as a fallback. */
static const char *const demo_photos[] = {
    "/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg",
    "/usr/lib/python3/dist-packages/skimage/data/coffee.png",
};

/* The everyday portrait recipe, written with the same --set keys a user
 * types: the background (Select Background) darker with its highlights
 * held, the subject (Select Subject) lifted, a lens blur from the fused
 * depth. */
static const char *const demo_recipe[] = {
    "correction[0].name=Background", "correction[0].mask[0].kind=background",
    "correction[0].exposure=-0.7", "correction[0].highlights=-40",
    "correction[1].name=Subject", "correction[1].mask[0].kind=subject",
    "correction[1].exposure=0.2", "correction[1].texture=10",
    "lens_blur.amount=50",
};
/* Three weeks later the client wants the background darker: one slider. */
static const char *const client_change = "correction[0].exposure=-1.2";

static dm_status copy_file(dm_context *ctx, const char *from, const char *to) {
  unsigned char *data;
  size_t len;
  dm_status s = dm_read_file(ctx, from, (size_t)1 << 30, &data, &len);
  if (!s) s = dm_write_file_atomic(ctx, to, data, len);
  free(data);
  return s;
}

int cmd_demo(int argc, char **argv) {
  if (argc > 0) return cli_usage_error("demo takes no arguments (got \"%s\")", argv[0]);
  const char *src = NULL;
  for (size_t i = 0; i < sizeof demo_photos / sizeof *demo_photos && !src; i++) {
    struct stat st;
    if (stat(demo_photos[i], &st) == 0) src = demo_photos[i];
  }
  if (!src) {
    fprintf(stderr, "depthmask: %s: missing; install python-matplotlib-data (./setup.sh does)\n",
            demo_photos[0]);
    return DM_EXIT_INPUT;
  }
  if (mkdir("demo-out", 0755) != 0 && errno != EEXIST) {
    fprintf(stderr, "depthmask: demo-out: %s\n", strerror(errno));
    return DM_EXIT_INPUT;
  }
  const char *name = strrchr(src, '/') + 1;
  const char *dot = strrchr(name, '.');
  int stem = (int)(dot - name);
  char photo[512], sidecar[512], tiff[512], jpeg[512], tiff2[512];
  snprintf(photo, sizeof photo, "demo-out/%s", name);
  snprintf(tiff, sizeof tiff, "demo-out/%.*s-dm.tif", stem, name);
  snprintf(jpeg, sizeof jpeg, "demo-out/%.*s-dm.jpg", stem, name);
  snprintf(tiff2, sizeof tiff2, "demo-out/%.*s-dm-v2.tif", stem, name);
  dm_sidecar_path(photo, sidecar, sizeof sidecar);

  dm_context *ctx = dm_context_new(0);
  if (!ctx) return DM_EXIT_INPUT;
  ctx->log = cli_log;
  dm_recipe r;
  dm_status s = dm_recipe_init(ctx, &r);
  for (size_t i = 0; !s && i < sizeof demo_recipe / sizeof *demo_recipe; i++)
    s = dm_recipe_set(ctx, &r, demo_recipe[i]);
  if (!s) s = copy_file(ctx, src, photo);
  dm_render_options master = {.profile = DM_PROFILE_SRGB, .format = DM_FMT_TIFF, .bits = 16};
  dm_render_options proof = {.profile = DM_PROFILE_SRGB, .format = DM_FMT_JPEG, .bits = 8};
  if (!s) s = dm_render_file(ctx, photo, &r, tiff, &master, "demo-out");
  if (!s) s = dm_render_file(ctx, photo, &r, jpeg, &proof, "demo-out");
  if (!s) s = dm_recipe_write_file(ctx, sidecar, &r);
  /* The client's change, from the saved sidecar: depth and matte come from the cache. */
  dm_recipe v2;
  if (!s) s = dm_recipe_init(ctx, &v2);
  if (!s) {
    s = dm_recipe_read_file(ctx, sidecar, &v2);
    if (!s) s = dm_recipe_set(ctx, &v2, client_change);
    if (!s) s = dm_render_file(ctx, photo, &v2, tiff2, &master, "demo-out");
    dm_recipe_free(&v2);
  }
  int rc = cli_report(ctx, s);
  if (!s) {
    printf("demo: %s (from %s)\n", photo, src);
    printf("demo: %s (recipe: background -0.7 EV, highlights -40; subject +0.2 EV, texture +10; lens blur 50)\n", sidecar);
    printf("demo: %s (16-bit TIFF, sRGB)\n", tiff);
    printf("demo: %s (JPEG proof)\n", jpeg);
    printf("demo: %s (the client's change: %s)\n", tiff2, client_change);
  }
  dm_recipe_free(&r);
  dm_context_free(ctx);
  return rc;
}
