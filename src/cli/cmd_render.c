/* depthmask render: decode, apply the recipe, encode, save the sidecar.
 *
 * The whole read-modify-write of the sidecar holds the photo's lock
 * (dm_lock): the sidecar is read under it, this command's --preset and
 * --set are applied to what it holds then, the photo is rendered from that
 * and both files are committed before the lock goes. So concurrent edits
 * of one photo (several renders, later the editor and batch) each see the
 * others' fields and all survive, and output and sidecar always agree.
 *
 * `batch` runs each of its photos through cli_render_photo, the same path
 * with the same arguments, so a batch output is render's, bit for bit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/file.h"
#include "core/hash.h"

/* Where the sidecar's `file` mask paths start: the recipe's folder. */
static void recipe_dir(const cli_render_args *a, const char *sidecar, char *out, size_t len) {
  const char *from = a->recipe ? a->recipe : a->preset ? a->preset : sidecar[0] ? sidecar : a->input;
  dm_dirname(from, out, len);
}

dm_status cli_recipe_hash(dm_context *ctx, const dm_recipe *r, char hex[33]) {
  /* What the picture depends on: the recipe without the per-photo record of
   * its last render (output, provenance, names), which a render rewrites;
   * the look and the process version do change pixels. */
  dm_recipe copy = *r;
  dm_recipe_photo keep = {0};
  snprintf(keep.raw_look, sizeof keep.raw_look, "%s", r->photo.raw_look);
  keep.process_version = r->photo.process_version;
  copy.photo = keep;
  char *xml = NULL;
  size_t len = 0;
  dm_status s = dm_recipe_write_mem(ctx, &copy, &xml, &len);
  if (!s) dm_hash_hex(dm_hash_bytes(xml, len), hex);
  free(xml);
  return s;
}

static int finish_photo(dm_context *ctx, dm_status s, cli_photo_job *job) {
  if (s && job) snprintf(job->message, sizeof job->message, "%s", dm_context_error(ctx));
  return cli_report(ctx, s);
}

int cli_render_photo(int argc, char **argv, cli_photo_job *job) {
  cli_render_args a;
  dm_render_options opt;
  char out_path[4096], sidecar[4096], base_dir[4096], photo_hash[33];
  dm_context *ctx;
  int rc = cli_start(argc, argv, &a, &opt, out_path, sizeof out_path, &ctx);
  if (rc) return rc;
  if (job) a.seed_sidecar = job->seed_sidecar;
  cli_sidecar_target(&a, sidecar, sizeof sidecar);
  dm_recipe r;
  int lock = -1, foreign = 0;
  dm_status s = dm_recipe_init(ctx, &r);
  if (!s) s = dm_check_input(ctx, a.input);
  if (!s) s = cli_check_scene_files(ctx, &opt.scene);
  if (!s && sidecar[0] && !strcmp(out_path, sidecar))
    s = dm_fail(ctx, DM_ERR_PARAM, out_path, "is where the sidecar goes; choose another name");
  if (!s && sidecar[0] && dm_same_file(a.input, sidecar))
    s = dm_fail(ctx, DM_ERR_PARAM, sidecar, "is the photo; originals are never written");
  if (!s && (lock = dm_lock(ctx, a.input)) < 0) s = DM_ERR_IO;
  if (!s) s = cli_photo_hash(ctx, a.input, photo_hash);
  if (!s) s = cli_load_recipe(ctx, &a, photo_hash, &r, &foreign);
  if (!s && foreign)
    s = dm_fail(ctx, DM_ERR_IO, sidecar, "holds another photo's edit and is not overwritten; "
                "move it, or save this edit elsewhere with --sidecar PATH");
  if (s) {
    rc = finish_photo(ctx, s, job);
  } else if ((rc = cli_apply_sets(ctx, &a, &r)) == 0 && (s = dm_recipe_check(ctx, &r)) != DM_OK) {
    /* Fields that are fine alone but not together (focus inside the focal length). */
    rc = finish_photo(ctx, s, job);
  } else if (rc == 0) {
    /* The sidecar records its photo: name and content. */
    const char *slash = strrchr(a.input, '/');
    snprintf(r.photo.source_file, sizeof r.photo.source_file, "%s", slash ? slash + 1 : a.input);
    snprintf(r.photo.source_hash, sizeof r.photo.source_hash, "%s", photo_hash);
    recipe_dir(&a, sidecar, base_dir, sizeof base_dir);
    cli_recorded_paths paths;
    cli_use_recorded_depth(ctx, &a, &r, &opt, &paths);
    if (job) {
      snprintf(job->input_hash, sizeof job->input_hash, "%s", photo_hash);
      snprintf(job->output, sizeof job->output, "%s", out_path);
      s = cli_recipe_hash(ctx, &r, job->recipe_hash);
      if (!s && job->before && job->before(job->user, job, &opt)) job->skipped = 1;
    }
    if (!s && !(job && job->skipped)) {
      dm_atomic_file out;
      s = dm_render_prepared(ctx, a.input, &r, out_path, &opt, base_dir, &out, &r.photo);
      if (!s) s = dm_commit_render(ctx, sidecar[0] ? sidecar : NULL, &r, &out);
      if (!s && job) {
        snprintf(job->depth_source, sizeof job->depth_source, "%s", r.photo.depth_source);
        snprintf(job->output_hash, sizeof job->output_hash, "%s", r.photo.output_hash);
      }
    }
    rc = finish_photo(ctx, s, job);
    if (!s && !job) {
      printf("%s\n", out_path);
      if (sidecar[0]) printf("%s\n", sidecar);
    }
  }
  dm_unlock(lock);
  dm_recipe_free(&r);
  dm_context_free(ctx);
  cli_render_args_free(&a);
  return rc;
}

int cmd_render(int argc, char **argv) { return cli_render_photo(argc, argv, NULL); }
