/* depthmask info: what a file carries (format, size, profile, metadata,
 * the depth maps and mattes embedded in it, sidecar) and what `--depth
 * auto` would use, with the depth confidence when it has been computed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/file.h"
#include "core/hash.h"
#include "depth/embedded.h"

static void print_embedded(dm_context *ctx, const char *path) {
  unsigned char *data = NULL;
  size_t len = 0;
  dm_embedded_list list;
  if (dm_read_file(ctx, path, (size_t)2 << 30, &data, &len) != DM_OK ||
      dm_embedded_scan(ctx, data, len, path, &list) != DM_OK) {
    printf("embedded:    (not read: %s)\n", dm_context_error(ctx));
    free(data);
    return;
  }
  free(data);
  if (list.n == 0) printf("embedded:    no depth or matte\n");
  for (int i = 0; i < list.n; i++) {
    const dm_embedded_item *it = &list.items[i];
    printf("embedded:    %s (%s, %s", dm_embedded_kind_name(it->kind),
           dm_embedded_container_name(it->container), it->type);
    if (it->width) printf(", %dx%d", it->width, it->height);
    if (it->bits) printf(", %d-bit", it->bits);
    if (it->encoding[0]) printf(", %s", it->encoding);
    if (it->far_m > 0) printf(", %.3g-%.3g m", (double)it->near_m, (double)it->far_m);
    if (it->mime[0]) printf(", %s", it->mime);
    printf(", %zu bytes)%s%s\n", it->bytes, it->usable ? "" : " UNUSABLE: ", it->usable ? "" : it->problem);
  }
}

/* What `--depth auto` gives, from the cache only: info never runs the networks. */
static void print_scene(dm_context *ctx, const char *path, const dm_image *work, int orientation) {
  dm_scene_options opt = {.depth_mode = DM_DEPTH_MODE_AUTO, .lookup_only = 1};
  dm_scene sc;
  if (dm_scene_build(ctx, path, work, orientation, &opt, &sc) != DM_OK) {
    printf("depth:       (%s)\n", dm_context_error(ctx));
    return;
  }
  cli_print_scene(&sc);
  if (!sc.confidence.data && !sc.depth.near01.data)
    printf("confidence:  run `depthmask depth` to compute depth, matte and confidence\n");
  dm_scene_free(&sc);
}

/* Is the output the sidecar names the one it produced? */
static void print_output(dm_context *ctx, const dm_recipe_photo *p) {
  if (!p->output_file[0]) return;
  struct stat st;
  dm_hash h;
  char hex[33] = "";
  if (stat(p->output_file, &st) != 0) {
    printf("output:      %s (missing)\n", p->output_file);
    return;
  }
  if (dm_hash_file(ctx, p->output_file, &h) == DM_OK) dm_hash_hex(h, hex);
  printf("output:      %s (%s)\n", p->output_file,
         !strcmp(hex, p->output_hash) ? "as last rendered from this recipe"
                                      : "STALE: not the file this recipe last produced; render again");
}

static void print_sidecar(dm_context *ctx, const char *input) {
  char sidecar[4096];
  int legacy = 0;
  if (!dm_sidecar_find(input, sidecar, sizeof sidecar, &legacy)) {
    dm_sidecar_path(input, sidecar, sizeof sidecar);
    printf("sidecar:     none (%s would be written by render)\n", sidecar);
    return;
  }
  dm_recipe r;
  if (dm_recipe_init(ctx, &r) != DM_OK) return;
  if (dm_recipe_read_file(ctx, sidecar, &r) == DM_OK) {
    char hex[33] = "";
    const char *other = dm_sidecar_other_owner(&r, input, NULL);
    if (other && cli_photo_hash(ctx, input, hex) == DM_OK) other = dm_sidecar_other_owner(&r, input, hex);
    printf("sidecar:     %s (recipe version %d, process version %d, %d correction%s)%s\n", sidecar,
           r.version, r.photo.process_version, r.n_corrections, r.n_corrections == 1 ? "" : "s",
           legacy ? " legacy name: read, never rewritten" : "");
    if (other) printf("             belongs to %s, not to this photo: not used\n", other);
    if (r.photo.process_version < DM_PROCESS_VERSION)
      printf("             made by process version %d; this build's is %d\n",
             r.photo.process_version, DM_PROCESS_VERSION);
    char kept[1024], refused[512];
    dm_recipe_unapplied(&r, kept, sizeof kept, refused, sizeof refused);
    if (kept[0]) printf("             Lightroom settings kept, not applied: %s\n", kept);
    if (refused[0]) printf("             Lightroom edits render refuses: %s\n", refused);
    if (r.refine.n) printf("             lens blur refine strokes: %d set%s\n", r.refine.n, r.refine.n == 1 ? "" : "s");
    if (r.photo.depth_source[0]) printf("  depth was: %s\n", r.photo.depth_source);
    for (int i = 0; i < r.n_corrections; i++) {
      const dm_correction *c = &r.corrections[i];
      printf("  correction[%d] \"%s\"%s: amount %g %%, %d mask component%s\n", i, c->name,
             c->active != 0 ? "" : " (inactive)", (double)c->amount, c->n_masks,
             c->n_masks == 1 ? "" : "s");
    }
    print_output(ctx, &r.photo);
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
  /* Headers only: info on a 400 MP photo must not decode 400 MP. */
  ctx->header_only = 1;
  dm_status s = dm_io_read(ctx, path, &d);
  ctx->header_only = 0;
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
  print_embedded(ctx, path);
  print_scene(ctx, path, &d.img, d.meta.orientation); /* the size is all the cache lookup needs */
  print_sidecar(ctx, path);
  dm_decoded_free(&d);
  dm_context_free(ctx);
  return DM_EXIT_OK;
}
