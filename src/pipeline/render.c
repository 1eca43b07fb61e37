#include "pipeline/render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"

void dm_dirname(const char *path, char *out, size_t out_len) {
  const char *slash = strrchr(path, '/');
  if (!slash)
    snprintf(out, out_len, ".");
  else if (slash == path)
    snprintf(out, out_len, "/");
  else
    snprintf(out, out_len, "%.*s", (int)(slash - path), path);
}

/* Would the correction change the picture if its mask could be rendered? */
static int correction_changes(const dm_correction *c) {
  return c->active != 0.0f && c->amount != 0.0f && !dm_adjust_is_neutral(&c->sliders);
}

/* A correction with a switched-on component we cannot render never runs:
 * dm_recipe_check_rendered refuses it or (asked to) skips it. */
static int correction_runs(const dm_correction *c) {
  return correction_changes(c) && dm_correction_unrendered(c, NULL) < 0;
}

dm_status dm_recipe_check_rendered(dm_context *ctx, const dm_recipe *r, const char *file) {
  for (int i = 0; i < r->n_corrections; i++) {
    const dm_correction *c = &r->corrections[i];
    const char *what;
    int slot = dm_correction_unrendered(c, &what);
    if (slot < 0 || !correction_changes(c)) continue;
    char name[160] = "";
    if (c->name[0]) snprintf(name, sizeof name, " \"%.120s\"", c->name);
    if (!ctx->skip_unrendered_masks)
      return dm_fail(ctx, DM_ERR_FORMAT, file,
                     "correction[%d]%s: mask[%d] is a %s component, which depthmask cannot "
                     "render; without it the adjustment would reach the wrong pixels "
                     "(--skip-unknown-masks skips this correction)", i, name, slot, what);
    dm_log(ctx, DM_LOG_WARN, "%s: correction[%d]%s skipped: mask[%d] is a %s component, which "
           "depthmask cannot render", file, i, name, slot, what);
  }
  return DM_OK;
}

dm_mask_inputs dm_scene_mask_inputs(const dm_image *work, const char *base_dir,
                                    const dm_scene *scene) {
  dm_mask_inputs in = {.image = work, .base_dir = base_dir};
  if (scene && scene->depth.near01.data) in.depth = &scene->depth.near01;
  if (scene && scene->matte.data) in.matte = &scene->matte;
  return in;
}

dm_status dm_apply_corrections(dm_context *ctx, dm_image *work, const dm_recipe *r,
                               const char *base_dir, const dm_scene *scene) {
  dm_image mask = {0};
  dm_status s = DM_OK;
  dm_mask_inputs in = dm_scene_mask_inputs(work, base_dir, scene);
  for (int i = 0; i < r->n_corrections && !s; i++) {
    const dm_correction *c = &r->corrections[i];
    if (!correction_runs(c)) continue;
    if (dm_cancelled(ctx)) return dm_fail(ctx, DM_ERR_CANCELLED, NULL, "cancelled");
    if (!mask.data) s = dm_image_alloc(ctx, &mask, work->width, work->height, 1);
    /* The mask is computed from the image as it is at this point in the
     * stack, as Lightroom's luminance ranges see earlier corrections. */
    if (!s) s = dm_mask_render(ctx, c->masks, c->n_masks, &in, &mask);
    if (!s) s = dm_adjust_apply(ctx, work, &mask, c->amount / 100.0f, &c->sliders);
  }
  dm_image_free(&mask);
  return s;
}

int dm_recipe_needs_scene(const dm_recipe *r) {
  int needs = r->lens_blur.active != 0.0f ? DM_MASK_NEEDS_DEPTH | DM_MASK_NEEDS_MATTE : 0;
  for (int i = 0; i < r->n_corrections; i++)
    if (correction_runs(&r->corrections[i]))
      needs |= dm_mask_needs(r->corrections[i].masks, r->corrections[i].n_masks);
  return needs;
}

dm_scene_options dm_scene_options_for(const dm_scene_options *opt, int needs) {
  dm_scene_options o = *opt;
  if (!(needs & DM_MASK_NEEDS_DEPTH)) o.depth_mode = DM_DEPTH_MODE_NONE;
  /* The network depth is fused with the matte, so depth alone still wants it. */
  if (!needs) o.matte_mode = DM_MATTE_MODE_NONE;
  return o;
}

dm_status dm_apply_lens_blur(dm_context *ctx, dm_image *work, const dm_recipe *r,
                             const dm_scene *scene, const char *in_path) {
  if (r->lens_blur.active == 0.0f) return DM_OK;
  const dm_depth *depth = &scene->depth;
  if (!depth->near01.data)
    return dm_fail(ctx, DM_ERR_PARAM, in_path, "lens blur needs a depth map (--depth auto, ai, embedded or FILE)");
  if (r->lens_blur.mode == DM_BLUR_PHYSICAL && depth->z_far_m == 0)
    return dm_fail(ctx, DM_ERR_PARAM, in_path,
                   "physical lens blur needs metric depth (%s has none): give --depth FILE "
                   "--depth-range NEAR_M:FAR_M",
                   scene->depth_source);
  return dm_lens_blur_apply(ctx, work, &depth->near01, depth->z_near_m, depth->z_far_m,
                            scene->matte.data ? &scene->matte : NULL, &r->lens_blur);
}

dm_status dm_render_file(dm_context *ctx, const char *in_path, const dm_recipe *r,
                         const char *out_path, const dm_render_options *opt, const char *base_dir) {
  dm_atomic_file af;
  dm_status s = dm_render_prepared(ctx, in_path, r, out_path, opt, base_dir, &af, NULL);
  return s ? s : dm_atomic_publish(ctx, &af);
}

/* What the scene says about where depth came from, for the sidecar. */
static void record_provenance(const dm_scene *scene, int needs, dm_recipe_photo *prov) {
  if (!prov || !(needs & DM_MASK_NEEDS_DEPTH) || !scene->depth_source[0]) return;
  snprintf(prov->depth_source, sizeof prov->depth_source, "%s", scene->depth_source);
}

dm_status dm_render_prepared(dm_context *ctx, const char *in_path, const dm_recipe *r,
                             const char *out_path, const dm_render_options *opt,
                             const char *base_dir, dm_atomic_file *af, dm_recipe_photo *prov) {
  if (dm_same_file(in_path, out_path))
    return dm_fail(ctx, DM_ERR_PARAM, out_path, "is the input file; originals are never written");
  dm_decoded dec = {0};
  dm_scene scene = {0};
  unsigned char *icc = NULL;
  size_t icc_len = 0;
  /* One full-size buffer all the way: decoded -> working -> encoded in place. */
  dm_status s = dm_recipe_check_rendered(ctx, r, in_path);
  if (!s) s = dm_io_read(ctx, in_path, &dec);
  if (!s) s = dm_color_to_working_inplace(ctx, &dec, in_path);
  /* The scene sees the photo as shot, before any correction, so its cache
   * key is the file's content. */
  int needs = s ? 0 : dm_recipe_needs_scene(r);
  if (needs) {
    dm_scene_options so = dm_scene_options_for(&opt->scene, needs);
    s = dm_scene_build(ctx, in_path, &dec.img, dec.meta.orientation, &so, &scene);
  }
  if (!s) record_provenance(&scene, needs, prov);
  if (!s) s = dm_apply_corrections(ctx, &dec.img, r, base_dir, &scene);
  if (!s) s = dm_apply_lens_blur(ctx, &dec.img, r, &scene, in_path);
  dm_scene_free(&scene);
  if (!s) s = dm_color_from_working_inplace(ctx, &dec.img, opt->profile, &icc, &icc_len);
  if (!s) {
    dm_write_options wo = {
        .format = opt->format,
        .bits = opt->bits,
        .quality = opt->quality,
        .compression = opt->compression,
        .icc = icc,
        .icc_len = icc_len,
        .exif = dec.meta.exif,
        .exif_len = dec.meta.exif_len,
    };
    s = dm_io_write_prepared(ctx, out_path, &dec.img, &wo, af);
  }
  free(icc);
  dm_decoded_free(&dec);
  return s;
}
