/* depthmask render: decode, apply the recipe, encode, save the sidecar. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/file.h"

int cmd_render(int argc, char **argv) {
  cli_render_args a;
  dm_render_options opt;
  char out_path[4096], sidecar[4096], base_dir[4096];
  dm_context *ctx;
  int rc = cli_start(argc, argv, &a, &opt, out_path, sizeof out_path, &ctx);
  if (rc) return rc;
  dm_sidecar_path(a.input, sidecar, sizeof sidecar);
  dm_recipe r;
  dm_status s = dm_recipe_init(ctx, &r);
  if (!s) s = dm_check_input(ctx, a.input);
  if (!s && !a.no_sidecar && !strcmp(out_path, sidecar))
    s = dm_fail(ctx, DM_ERR_PARAM, out_path, "is where the sidecar goes; choose another name");
  if (!s) s = cli_load_recipe(ctx, &a, &r);
  if (s) {
    rc = cli_report(ctx, s);
  } else if ((rc = cli_apply_sets(ctx, &a, &r)) == 0 && (s = dm_recipe_check(ctx, &r)) != DM_OK) {
    /* Fields that are fine alone but not together (focus inside the focal length). */
    rc = cli_report(ctx, s);
  } else if (rc == 0) {
    /* Mask files named in the recipe are relative to the recipe's folder. */
    dm_dirname(a.recipe ? a.recipe : a.preset ? a.preset : a.input, base_dir, sizeof base_dir);
    s = dm_render_file(ctx, a.input, &r, out_path, &opt, base_dir);
    if (!s && !a.no_sidecar) s = dm_recipe_write_file(ctx, sidecar, &r);
    rc = cli_report(ctx, s);
    if (!s) {
      printf("%s\n", out_path);
      if (!a.no_sidecar) printf("%s\n", sidecar);
    }
  }
  dm_recipe_free(&r);
  dm_context_free(ctx);
  cli_render_args_free(&a);
  return rc;
}
