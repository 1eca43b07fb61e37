/* depthmask mask: the combined mask of one correction as a 16-bit grey
 * image, optionally painted red over the photo as ACR's overlay does, and
 * the Depth Range eyedropper (--sample X,Y[,R]). Reads the recipe and
 * --set like render, never writes the sidecar. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/file.h"
#include "core/param.h"
#include "pipeline/graph.h"

typedef struct mask_args {
  const char *overlay, *sample, *correction;
  int index;          /* --correction N */
  int sx, sy, sr;     /* --sample */
} mask_args;

static int parse_mask_args(int *argc, char **argv, mask_args *m) {
  static const char *const names[] = {"--overlay", "--sample", "--correction"};
  const char *v[3] = {0};
  int rc = cli_take_options(argc, argv, names, v, 3);
  if (rc) return rc;
  m->overlay = v[0], m->sample = v[1], m->correction = v[2];
  if (m->correction && (!dm_parse_int(m->correction, &m->index) || m->index < 0))
    return cli_usage_error("--correction must be a correction's number (0, 1, ...), not \"%s\"",
                           m->correction);
  if (m->sample) {
    int n = 0, used = 0;
    m->sr = 0;
    n = sscanf(m->sample, "%d,%d%n,%d%n", &m->sx, &m->sy, &used, &m->sr, &used);
    if (n < 2 || m->sample[used] != 0 || m->sx < 0 || m->sy < 0 || m->sr < 0 || m->sr > 1000)
      return cli_usage_error("--sample must be X,Y or X,Y,R in pixels, not \"%s\"", m->sample);
  }
  return 0;
}

static int check_args(const cli_render_args *a, const mask_args *m) {
  if (a->format_name || a->bits || a->profile_name || a->quality || a->compression)
    return cli_usage_error("mask writes 16-bit grey; --format, --bits, --profile, --quality and "
                           "--compression are render options");
  if (!a->output && !m->sample && !m->overlay)
    return cli_usage_error("mask needs -o MASK.png, --overlay OUT.png or --sample X,Y");
  return 0;
}

/* The mask painted red over the photo (sRGB), as ACR's overlay. */
static dm_status write_overlay(dm_context *ctx, const char *path, const dm_image *work,
                               const dm_image *mask) {
  dm_image rgb = {0};
  unsigned char *icc = NULL;
  size_t icc_len = 0;
  dm_status s = dm_color_from_working(ctx, work, DM_PROFILE_SRGB, &rgb, &icc, &icc_len);
  free(icc);
  if (!s) dm_mask_paint_overlay(&rgb, mask);
  if (!s) s = cli_write_srgb(ctx, path, &rgb);
  dm_image_free(&rgb);
  return s;
}

static dm_status sample(dm_context *ctx, const char *input, const dm_scene *sc, const mask_args *m) {
  const dm_image *d = &sc->depth.near01;
  if (!d->data) return dm_fail(ctx, DM_ERR_PARAM, input, "--sample needs depth (--depth none?)");
  if (m->sx >= d->width || m->sy >= d->height)
    return dm_fail(ctx, DM_ERR_PARAM, input, "--sample %d,%d is outside the %dx%d photo", m->sx,
                   m->sy, d->width, d->height);
  float v, range[2];
  dm_status s = dm_mask_depth_sample(ctx, d, m->sx, m->sy, m->sr, &v, range);
  if (s) return s;
  printf("depth at %d,%d: %.1f (0 = near, 100 = far; %s)\n", m->sx, m->sy, (double)v, sc->depth_source);
  printf("suggested range: %.1f,%.1f\n", (double)range[0], (double)range[1]);
  printf("  --set 'correction[%d].mask[0].kind=depth_range' --set 'correction[%d].mask[0].depth_range=%.1f,%.1f'\n",
         m->index, m->index, (double)range[0], (double)range[1]);
  float subject[2], behind[2];
  if (dm_scene_subject_ranges(sc, subject, behind)) {
    printf("subject's range: %.0f,%.0f (its matte's 5th..95th depth percentiles)\n",
           (double)subject[0], (double)subject[1]);
    printf("behind the subject: %.0f,%.0f (a Background by depth: darken or blur all of it)\n",
           (double)behind[0], (double)behind[1]);
    printf("  --set 'correction[%d].mask[0].kind=depth_range' --set 'correction[%d].mask[0].depth_range=%.0f,%.0f'\n",
           m->index, m->index, (double)behind[0], (double)behind[1]);
  } else {
    printf("subject's range: none (no subject matte: --matte none?)\n");
  }
  return DM_OK;
}

static dm_status run(dm_context *ctx, const cli_render_args *a, const dm_render_options *opt,
                     const dm_recipe *r, const mask_args *m, const char *base_dir) {
  const char *outs[] = {a->output, m->overlay};
  for (int i = 0; i < 2; i++)
    if (outs[i] && dm_same_file(a->input, outs[i]))
      return dm_fail(ctx, DM_ERR_PARAM, outs[i], "is the input file; originals are never written");
  const dm_correction *c = NULL;
  if (a->output || m->overlay) {
    if (m->index >= r->n_corrections)
      return dm_fail(ctx, DM_ERR_PARAM, a->input, "the recipe has %d correction%s, no correction[%d]",
                     r->n_corrections, r->n_corrections == 1 ? "" : "s", m->index);
    c = &r->corrections[m->index];
    const char *what;
    int slot = dm_correction_unrendered(c, &what);
    if (slot >= 0)
      return dm_fail(ctx, DM_ERR_FORMAT, a->input, "correction[%d]: mask[%d] is a %s component, "
                     "which depthmask cannot render, so its mask cannot be shown", m->index, slot,
                     what);
  }
  int needs = c ? dm_mask_needs(c->masks, c->n_masks) : 0;
  if (m->sample) needs |= DM_MASK_NEEDS_DEPTH;
  /* One shot of the render graph, as render: the mask sees the photo as
   * the corrections before it left it. It holds per pixel the photo and the
   * overlay's copy of it (24 B), the mask (4 B) and the scene's depth, matte
   * and confidence (12 B): 40 B for the decoder's memory check. */
  dm_graph_options go = {.scene = dm_scene_options_for(&opt->scene, needs),
                         .threads = ctx->n_threads, .single_shot = 1, .bytes_per_pixel = 40};
  dm_graph *g = NULL;
  dm_image photo = {0}, mask = {0};
  dm_status s = DM_OK;
  if (c) {
    dm_recipe before = *r;
    before.n_corrections = m->index;
    s = dm_recipe_check_rendered(ctx, &before, a->input);
  }
  double t = dm_now_ms();
  if (!s) s = dm_graph_open(ctx, a->input, &go, &g);
  if (!s) dm_stage_done(ctx, "mask", "decode", &t);
  if (!s && needs) s = dm_graph_build_scene(ctx, g);
  if (!s && needs) dm_stage_done(ctx, "mask", "scene", &t);
  const dm_scene *scene = s || !needs ? NULL : dm_graph_scene(g, DM_LEVEL_FULL);
  if (!s && m->sample) s = sample(ctx, a->input, scene, m);
  if (!s && c) {
    if (m->overlay) s = dm_image_copy(ctx, &photo, dm_graph_photo(g, DM_LEVEL_FULL));
    if (!s) s = dm_graph_mask(ctx, g, r, base_dir, DM_LEVEL_FULL, m->index, &mask);
    if (!s) dm_stage_done(ctx, "mask", "mask", &t);
    if (!s && a->output) s = cli_write_grey(ctx, a->output, &mask);
    if (!s && m->overlay) s = write_overlay(ctx, m->overlay, &photo, &mask);
    if (!s) dm_stage_done(ctx, "mask", "write", &t);
    if (!s) {
      double sum = 0;
      for (int y = 0; y < mask.height; y++)
        for (int x = 0; x < mask.width; x++) sum += dm_row(&mask, y)[x];
      printf("mask: correction[%d] \"%s\", %d component%s, covers %.1f %% of the photo\n", m->index,
             c->name, c->n_masks, c->n_masks == 1 ? "" : "s",
             100.0 * sum / ((double)mask.width * mask.height));
    }
  }
  if (!s && scene) cli_print_scene(scene);
  dm_image_free(&mask);
  dm_image_free(&photo);
  dm_graph_free(g);
  return s;
}

int cmd_mask(int argc, char **argv) {
  mask_args m = {0};
  cli_render_args a;
  dm_render_options opt;
  char unused[4096], base_dir[4096];
  dm_context *ctx;
  int rc = parse_mask_args(&argc, argv, &m);
  if (!rc) rc = cli_start(argc, argv, &a, &opt, unused, sizeof unused, &ctx);
  if (rc) return rc;
  dm_recipe r;
  dm_status s = DM_OK;
  if ((rc = check_args(&a, &m)) == 0) {
    s = dm_recipe_init(ctx, &r);
    if (!s) s = dm_check_input(ctx, a.input);
    if (!s) s = cli_load_recipe(ctx, &a, NULL, &r, NULL);
    if (s) rc = cli_report(ctx, s);
    else if ((rc = cli_apply_sets(ctx, &a, &r)) == 0) {
      dm_dirname(a.recipe ? a.recipe : a.preset ? a.preset : a.sidecar ? a.sidecar : a.input,
                 base_dir, sizeof base_dir);
      cli_recorded_paths paths; /* the depth and matte the recipe's render used, as render takes them */
      cli_use_recorded_depth(ctx, &a, &r, &opt, &paths);
      rc = cli_report(ctx, run(ctx, &a, &opt, &r, &m, base_dir));
    }
    dm_recipe_free(&r);
  }
  dm_context_free(ctx);
  cli_render_args_free(&a);
  return rc;
}
