/* depthmask depth: the photo's depth map as a 16-bit grey image (0 = near,
 * linear in disparity), optionally the heat map Lightroom calls Visualize
 * Depth, the subject matte and the depth confidence. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/file.h"

typedef struct depth_outputs {
  const char *viz, *matte, *confidence;
} depth_outputs;

/* This command's own options; the rest are the shared ones. */
static int take_outputs(int *argc, char **argv, depth_outputs *o) {
  static const char *const names[] = {"--viz", "--matte-out", "--confidence-out"};
  const char *values[3] = {0};
  int rc = cli_take_options(argc, argv, names, values, 3);
  o->viz = values[0], o->matte = values[1], o->confidence = values[2];
  return rc;
}

/* Refuse the render-only options rather than ignore them. */
static int check_shared_only(const cli_render_args *a) {
  if (a->recipe || a->preset || a->n_sets || a->format_name || a->bits || a->profile_name ||
      a->quality || a->compression || a->no_sidecar || a->subject_distance || a->background_distance ||
      a->raw_look)
    return cli_usage_error("depth takes -o, --viz, --matte-out, --confidence-out and the --depth, "
                           "--matte, --cache, --threads options only");
  if (!a->output) return cli_usage_error("depth needs -o DEPTH.png (or .tif)");
  return 0;
}

static dm_status write_viz(dm_context *ctx, const char *path, const dm_depth *depth) {
  dm_image rgb = {0};
  dm_status s = dm_depth_heatmap_legend(ctx, depth, &rgb);
  if (!s) s = cli_write_srgb(ctx, path, &rgb);
  dm_image_free(&rgb);
  return s;
}

static dm_status run(dm_context *ctx, const cli_render_args *a, const dm_render_options *opt,
                     const depth_outputs *o) {
  const char *outs[] = {a->output, o->viz, o->matte, o->confidence};
  for (int i = 0; i < 4; i++)
    if (outs[i] && dm_same_file(a->input, outs[i]))
      return dm_fail(ctx, DM_ERR_PARAM, outs[i], "is the input file; originals are never written");
  dm_decoded dec = {0};
  dm_scene scene = {0};
  double t = dm_now_ms();
  dm_status s = dm_io_read(ctx, a->input, &dec);
  if (!s) s = dm_color_to_working_inplace(ctx, &dec, a->input);
  if (!s) dm_stage_done(ctx, "depth", "decode", &t);
  if (!s) s = dm_scene_build(ctx, a->input, &dec.img, dec.meta.orientation, &opt->scene, &scene);
  if (!s) dm_stage_done(ctx, "depth", "scene", &t);
  dm_decoded_free(&dec);
  if (!s) s = cli_write_grey(ctx, a->output, &scene.depth.near01);
  if (!s && o->viz) s = write_viz(ctx, o->viz, &scene.depth);
  if (!s && o->matte) {
    if (!scene.matte.data) s = dm_fail(ctx, DM_ERR_PARAM, o->matte, "no matte (--matte none)");
    else s = cli_write_grey(ctx, o->matte, &scene.matte);
  }
  if (!s && o->confidence) {
    if (!scene.confidence.data)
      s = dm_fail(ctx, DM_ERR_PARAM, o->confidence, "no confidence map: the depth is %s",
                  scene.depth_source);
    else s = cli_write_grey(ctx, o->confidence, &scene.confidence);
  }
  if (!s) dm_stage_done(ctx, "depth", "write", &t);
  if (!s) {
    cli_print_scene(&scene);
    if (scene.depth.z_far_m > 0)
      printf("range:       %.3g m to %.3g m\n", (double)scene.depth.z_near_m,
             (double)scene.depth.z_far_m);
  }
  dm_scene_free(&scene);
  return s;
}

int cmd_depth(int argc, char **argv) {
  depth_outputs o = {0};
  cli_render_args a;
  dm_render_options opt;
  char unused[4096];
  dm_context *ctx;
  int rc = take_outputs(&argc, argv, &o);
  if (!rc) rc = cli_start(argc, argv, &a, &opt, unused, sizeof unused, &ctx);
  if (rc) return rc;
  if ((rc = check_shared_only(&a)) != 0) {
    dm_context_free(ctx);
    cli_render_args_free(&a);
    return rc;
  }
  dm_status s = dm_check_input(ctx, a.input);
  if (!s) s = run(ctx, &a, &opt, &o);
  rc = cli_report(ctx, s);
  dm_context_free(ctx);
  cli_render_args_free(&a);
  return rc;
}
