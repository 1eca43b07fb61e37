/* depthmask info: what a file carries (format, size, profile, metadata,
 * sidecar). Depth and matte sources join this list with src/depth. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/file.h"

static void print_sidecar(dm_context *ctx, const char *input) {
  char sidecar[4096];
  struct stat st;
  dm_sidecar_path(input, sidecar, sizeof sidecar);
  if (stat(sidecar, &st) != 0) {
    printf("sidecar:     none (%s would be written by render)\n", sidecar);
    return;
  }
  dm_recipe r;
  if (dm_recipe_init(ctx, &r) != DM_OK) return;
  if (dm_recipe_read_file(ctx, sidecar, &r) == DM_OK) {
    printf("sidecar:     %s (recipe version %d, %d correction%s)\n", sidecar, r.version,
           r.n_corrections, r.n_corrections == 1 ? "" : "s");
    for (int i = 0; i < r.n_corrections; i++) {
      const dm_correction *c = &r.corrections[i];
      printf("  correction[%d] \"%s\"%s: amount %g %%, %d mask component%s\n", i, c->name,
             c->active != 0 ? "" : " (inactive)", (double)c->amount, c->n_masks,
             c->n_masks == 1 ? "" : "s");
    }
  } else {
    printf("sidecar:     %s (unreadable: %s)\n", sidecar, dm_context_error(ctx));
  }
  dm_recipe_free(&r);
}

int cmd_info(int argc, char **argv) {
  if (argc != 1 || argv[0][0] == '-')
    return cli_usage_error(argc == 0 ? "info needs one input file" : "usage: depthmask info IN");
  const char *path = argv[0];
  dm_context *ctx = dm_context_new(0);
  if (!ctx) return DM_EXIT_INPUT;
  dm_decoded d = {0};
  dm_status s = dm_io_read(ctx, path, &d);
  if (s) {
    int rc = cli_report(ctx, s);
    dm_context_free(ctx);
    return rc;
  }
  char profile[512];
  dm_color_describe(&d, profile, sizeof profile);
  printf("file:        %s\n", path);
  printf("format:      %s, %d-bit%s, %s\n", dm_format_name(d.meta.format), d.meta.bits,
         d.meta.bits == 32 ? " float" : "", d.img.channels == 1 ? "grey" : "RGB");
  printf("size:        %d x %d (%.1f MP)\n", d.img.width, d.img.height,
         (double)d.img.width * d.img.height / 1e6);
  printf("orientation: %d%s\n", d.meta.orientation ? d.meta.orientation : 1,
         d.meta.orientation > 1 ? " (applied)" : "");
  printf("profile:     %s\n", profile);
  if (d.meta.camera[0]) printf("camera:      %s\n", d.meta.camera);
  printf("exif:        %s", d.meta.exif ? "" : "none\n");
  if (d.meta.exif) printf("%zu bytes\n", d.meta.exif_len);
  print_sidecar(ctx, path);
  dm_decoded_free(&d);
  dm_context_free(ctx);
  return DM_EXIT_OK;
}
