#include "pipeline/render.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "core/resample.h"
#include "pipeline/graph.h"

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
int dm_correction_runs(const dm_correction *c) {
  return correction_changes(c) && dm_correction_unrendered(c, NULL) < 0;
}

dm_status dm_recipe_check_rendered(dm_context *ctx, const dm_recipe *r, const char *file) {
  /* Lightroom's own settings: local edits we cannot render are refused, the
   * global ones we keep but do not apply are named once. */
  char kept[1024], refused[512];
  dm_recipe_unapplied(r, kept, sizeof kept, refused, sizeof refused);
  if (refused[0] && !ctx->skip_unrendered_masks)
    return dm_fail(ctx, DM_ERR_FORMAT, file, "the recipe holds Lightroom edits depthmask cannot "
                   "render (%s); --skip-unknown-masks renders without them", refused);
  if (refused[0])
    dm_log(ctx, DM_LOG_WARN, "%s: rendered without the recipe's %s", file, refused);
  if (kept[0])
    dm_log(ctx, DM_LOG_WARN, "%s: Lightroom settings kept but not applied: %s", file, kept);
  /* Refine strokes matter while the lens blur is on. */
  for (int i = 0; r->lens_blur.active != 0.0f && i < r->refine.n; i++) {
    const dm_correction *c = &r->refine.strokes[i];
    const char *what;
    int slot = dm_correction_unrendered(c, &what);
    if (slot < 0 || c->active == 0.0f || c->amount == 0.0f) continue;
    if (!ctx->skip_unrendered_masks)
      return dm_fail(ctx, DM_ERR_FORMAT, file, "lens blur refine[%d]: mask[%d] is a %s component, "
                     "which depthmask cannot render (--skip-unknown-masks skips this stroke set)",
                     i, slot, what);
    dm_log(ctx, DM_LOG_WARN, "%s: lens blur refine[%d] skipped: mask[%d] is a %s component, which "
           "depthmask cannot render", file, i, slot, what);
  }
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

int dm_recipe_needs_scene(const dm_recipe *r) {
  int needs = r->lens_blur.active != 0.0f ? DM_MASK_NEEDS_DEPTH | DM_MASK_NEEDS_MATTE : 0;
  for (int i = 0; i < r->n_corrections; i++)
    if (dm_correction_runs(&r->corrections[i]))
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

dm_status dm_refine_depth(dm_context *ctx, const dm_image *work, const dm_recipe *r,
                          const dm_scene *scene, const dm_frame *frame, dm_image *out) {
  const dm_refine *f = &r->refine;
  dm_image mask = {0};
  dm_status s = DM_OK;
  dm_mask_inputs in = dm_scene_mask_inputs(work, NULL, scene);
  if (frame) in.frame = *frame;
  for (int i = 0; i < f->n && !s; i++) {
    const dm_correction *c = &f->strokes[i];
    if (c->active == 0.0f || c->amount == 0.0f || dm_correction_unrendered(c, NULL) >= 0) continue;
    if (!out->data) s = dm_image_copy(ctx, out, &scene->depth.near01);
    if (!s && !mask.data) s = dm_image_alloc(ctx, &mask, work->width, work->height, 1);
    if (!s) s = dm_mask_render(ctx, c->masks, c->n_masks, &in, &mask);
    float a = c->amount / 100.0f, t = f->depth[i] / 100.0f; /* near01 */
    for (int y = 0; !s && y < out->height; y++) {
      float *d = dm_row(out, y);
      const float *m = dm_row(&mask, y);
      for (int x = 0; x < out->width; x++) d[x] += (t - d[x]) * m[x] * a;
    }
  }
  dm_image_free(&mask);
  return s;
}

void dm_recipe_lens_blur(const dm_recipe *r, dm_lens_blur *p) {
  /* Older recipes keep what is cheap to keep (flags; boost.c, coc.c): process
   * versions 1 and 2 their Boost (every clipped pixel a light), 1..3 their
   * Amount scale (4 % of the diagonal, linear). */
  *p = r->lens_blur;
  p->boost_light_size = r->photo.process_version >= 4 ? 2 : r->photo.process_version >= 3;
  p->amount_curve = r->photo.process_version >= 4;
}

dm_status dm_lens_blur_range(dm_context *ctx, const dm_recipe *r, const dm_depth *depth,
                             const dm_image *near01, const dm_image *matte, const char *in_path,
                             float *z_near_m, float *z_far_m) {
  const dm_lens_blur *lb = &r->lens_blur;
  *z_near_m = depth->z_near_m, *z_far_m = depth->z_far_m;
  if (!(lb->mode == DM_BLUR_PHYSICAL && lb->subject_distance_m > 0.0f)) return DM_OK;
  /* The user's two distances pin the depth the blur reads, whatever metric
   * range the depth came with: theirs is the explicit word on this photo. */
  dm_status s = dm_lens_blur_pin_range(ctx, near01, matte, lb->subject_distance_m,
                                       lb->background_distance_m, z_near_m, z_far_m);
  if (!s && depth->z_far_m != 0)
    dm_log(ctx, DM_LOG_WARN, "%s: the subject and background distances (%g m, %g m) replace "
           "the depth's own range (%g to %g m)", in_path, (double)lb->subject_distance_m,
           (double)lb->background_distance_m, (double)depth->z_near_m, (double)depth->z_far_m);
  return s;
}

dm_status dm_apply_lens_blur(dm_context *ctx, dm_image *work, const dm_recipe *r,
                             const dm_scene *scene, const char *in_path) {
  return dm_apply_lens_blur_planned(ctx, work, r, scene, in_path, NULL, 0);
}

/* The lens blur stage through a plan (plan not NULL) or on a crop of the
 * photo (crop not NULL), or neither. */
static dm_status blur_stage(dm_context *ctx, const dm_image *work, dm_image *out,
                            const dm_recipe *r, const dm_scene *scene, const char *in_path,
                            dm_lens_blur_plan **plan, int draft, const dm_blur_crop *crop);

dm_status dm_apply_lens_blur_planned(dm_context *ctx, dm_image *work, const dm_recipe *r,
                                     const dm_scene *scene, const char *in_path,
                                     dm_lens_blur_plan **plan, int draft) {
  return blur_stage(ctx, work, work, r, scene, in_path, plan, draft, NULL);
}

dm_status dm_apply_lens_blur_planned_to(dm_context *ctx, const dm_image *src, dm_image *out,
                                        const dm_recipe *r, const dm_scene *scene,
                                        const char *in_path, dm_lens_blur_plan **plan, int draft) {
  return blur_stage(ctx, src, out, r, scene, in_path, plan, draft, NULL);
}

dm_status dm_apply_lens_blur_crop(dm_context *ctx, dm_image *work, const dm_recipe *r,
                                  const dm_scene *scene, const char *in_path,
                                  const dm_blur_crop *crop) {
  return blur_stage(ctx, work, work, r, scene, in_path, NULL, 0, crop);
}

static dm_status blur_stage(dm_context *ctx, const dm_image *work, dm_image *out,
                            const dm_recipe *r, const dm_scene *scene, const char *in_path,
                            dm_lens_blur_plan **plan, int draft, const dm_blur_crop *crop) {
  if (r->lens_blur.active == 0.0f) { /* the output is the input */
    if (out != work) dm_image_copy_pixels(out, work);
    return DM_OK;
  }
  const dm_depth *depth = &scene->depth;
  const dm_lens_blur *lb = &r->lens_blur;
  int pinned = lb->mode == DM_BLUR_PHYSICAL && lb->subject_distance_m > 0.0f;
  if (!depth->near01.data)
    return dm_fail(ctx, DM_ERR_PARAM, in_path, "lens blur needs a depth map (--depth auto, ai, embedded or FILE)");
  if (lb->mode == DM_BLUR_PHYSICAL && depth->z_far_m == 0 && !pinned)
    return dm_fail(ctx, DM_ERR_PARAM, in_path,
                   "physical lens blur needs metric depth (%s has none): give --subject-distance M "
                   "--background-distance M, or --depth FILE --depth-range NEAR_M:FAR_M",
                   scene->depth_source);
  /* Lens Blur's refine strokes reshape the depth the blur reads (xmp_refine.c). */
  dm_image refined = {0};
  /* A plan holds what the refined depth and pinned range were for. */
  int planned = plan && dm_lens_blur_plan_ready(*plan);
  dm_status s = planned ? DM_OK
                        : dm_refine_depth(ctx, work, r, scene, crop ? &crop->lens.frame : NULL, &refined);
  const dm_image *near01 = refined.data ? &refined : &depth->near01;
  const dm_image *matte = scene->matte.data ? &scene->matte : NULL;
  /* A crop's range was worked out on the whole photo. */
  float zn = depth->z_near_m, zf = depth->z_far_m;
  if (crop) zn = crop->z_near_m, zf = crop->z_far_m;
  else if (!s && !planned) s = dm_lens_blur_range(ctx, r, depth, near01, matte, in_path, &zn, &zf);
  dm_lens_blur p;
  dm_recipe_lens_blur(r, &p);
  if (!s && crop)
    s = dm_lens_blur_apply_region(ctx, out, near01, zn, zf, matte, &scene->layers, &p, &crop->lens);
  else if (!s) /* in place when out is work */
    s = dm_lens_blur_apply_planned_to(ctx, work, out, near01, zn, zf, matte, &scene->layers, &p,
                                      plan, draft);
  dm_image_free(&refined);
  return s;
}

dm_status dm_render_file(dm_context *ctx, const char *in_path, const dm_recipe *r,
                         const char *out_path, const dm_render_options *opt, const char *base_dir) {
  dm_atomic_file af;
  dm_status s = dm_render_prepared(ctx, in_path, r, out_path, opt, base_dir, &af, NULL);
  return s ? s : dm_atomic_publish(ctx, &af);
}

/* Where the depth came from, for the sidecar (dm_depth_source_parse reads
 * it back): "file ENCODING NEAR FAR PATH", "embedded" or "networks", the
 * networks' ids and sha256s, the fusion version. A change of networks
 * since the recipe was saved gets a warning: the depth, and so the masks
 * and the blur, may differ. */
static void record_provenance(dm_context *ctx, const dm_scene *scene, const dm_scene_options *so,
                              const char *in_path, dm_recipe_photo *prov) {
  if (!prov) return;
  if (scene->models[0] && prov->depth_models[0] && strcmp(scene->models, prov->depth_models))
    dm_log(ctx, DM_LOG_WARN, "%s: the recipe was saved with the networks %s; now %s: depth, "
           "masks and blur may differ", in_path, prov->depth_models, scene->models);
  if (scene->depth_used == DM_DEPTH_MODE_NONE) return;
  const dm_depth_file_spec *f = &so->depth_file;
  char real[PATH_MAX];
  if (scene->depth_used == DM_DEPTH_MODE_FILE) {
    int n = snprintf(prov->depth_source, sizeof prov->depth_source, "file %s %g %g %s",
                     dm_depth_encoding_name(f->encoding), (double)f->near_m, (double)f->far_m,
                     realpath(f->path, real) ? real : f->path);
    if (n < 0 || (size_t)n >= sizeof prov->depth_source) prov->depth_source[0] = 0; /* not recordable */
  } else
    snprintf(prov->depth_source, sizeof prov->depth_source, "%s",
             scene->depth_used == DM_DEPTH_MODE_EMBEDDED ? "embedded" : "networks");
  if (scene->matte_used) {
    int n = !strcmp(scene->matte_used, "file")
                ? snprintf(prov->matte_source, sizeof prov->matte_source, "file %s",
                           realpath(so->matte_path, real) ? real : so->matte_path)
                : snprintf(prov->matte_source, sizeof prov->matte_source, "%s", scene->matte_used);
    if (n < 0 || (size_t)n >= sizeof prov->matte_source) prov->matte_source[0] = 0;
  }
  snprintf(prov->depth_models, sizeof prov->depth_models, "%s", scene->models);
  snprintf(prov->fusion_version, sizeof prov->fusion_version, "%s",
           scene->fusion_version ? scene->fusion_version : "");
}

int dm_matte_source_parse(const char *text, dm_scene_options *so, char *path, size_t path_len) {
  if (!strcmp(text, "none")) so->matte_mode = DM_MATTE_MODE_NONE;
  else if (!strcmp(text, "embedded") || !strcmp(text, "network")) so->matte_mode = DM_MATTE_MODE_AUTO;
  else if (!strncmp(text, "file ", 5) && text[5] && snprintf(path, path_len, "%s", text + 5) < (int)path_len)
    so->matte_mode = DM_MATTE_MODE_FILE, so->matte_path = path;
  else return 0;
  return 1;
}

int dm_depth_source_parse(const char *text, dm_scene_options *so, char *path, size_t path_len) {
  if (!strcmp(text, "embedded")) {
    so->depth_mode = DM_DEPTH_MODE_EMBEDDED;
    return 1;
  }
  if (!strcmp(text, "networks")) {
    so->depth_mode = DM_DEPTH_MODE_AI;
    return 1;
  }
  char enc[16];
  float near_m, far_m;
  int at = 0;
  if (sscanf(text, "file %15s %f %f %n", enc, &near_m, &far_m, &at) != 3 || !at || !text[at])
    return 0;
  dm_depth_encoding e;
  if (!dm_depth_encoding_from_name(enc, &e) || snprintf(path, path_len, "%s", text + at) >= (int)path_len)
    return 0;
  so->depth_mode = DM_DEPTH_MODE_FILE;
  so->depth_file.path = path;
  so->depth_file.encoding = e;
  so->depth_file.near_m = near_m;
  so->depth_file.far_m = far_m;
  return 1;
}

/* --long-edge: the finished picture, still in linear light, averaged down
 * (never up) to fit `px` on its long side; the aspect ratio is kept. */
static dm_status shrink_to_long_edge(dm_context *ctx, dm_image *img, int px) {
  int w = img->width, h = img->height, longest = w > h ? w : h;
  if (longest <= px) return DM_OK;
  double k = (double)px / longest;
  int nw = w >= h ? px : (int)lround(w * k), nh = h > w ? px : (int)lround(h * k);
  dm_image small = {0};
  dm_status s = dm_image_alloc(ctx, &small, nw > 0 ? nw : 1, nh > 0 ? nh : 1, img->channels);
  if (!s) s = dm_resize_plane(ctx, img, &small, 0, "--long-edge");
  if (s) {
    dm_image_free(&small);
    return s;
  }
  dm_image_free(img);
  *img = small;
  return DM_OK;
}

dm_status dm_render_prepared(dm_context *ctx, const char *in_path, const dm_recipe *r,
                             const char *out_path, const dm_render_options *opt,
                             const char *base_dir, dm_atomic_file *af, dm_recipe_photo *prov) {
  if (dm_same_file(in_path, out_path))
    return dm_fail(ctx, DM_ERR_PARAM, out_path, "is the input file; originals are never written");
  dm_status s = dm_recipe_check_rendered(ctx, r, in_path);
  /* What this render holds per pixel at its peak, for the decoder's memory
   * check: the float image and its encoding (24 B), a mask (8 B with its
   * scratch), the scene's depth, matte and confidence (16 B), a copy of
   * the image for a correction on the matte's two layers (12 B), the lens
   * blur's layers (24 B). The seed workflow's 72 B/px is what a 24 MP render
   * measured (1.6 GB peak RSS, issue 17). */
  int needs = dm_recipe_needs_scene(r);
  dm_graph_options go = {
      .scene = dm_scene_options_for(&opt->scene, needs),
      .threads = ctx->n_threads,
      .single_shot = 1,
      .bytes_per_pixel = 24 + (r->n_corrections ? 8 : 0) + (needs ? 16 : 0) +
                         (needs & DM_MASK_NEEDS_MATTE ? 12 : 0) +
                         (r->lens_blur.active != 0.0f ? 24 : 0),
  };
  /* One full-size buffer all the way: decoded -> working -> rendered ->
   * encoded in place. The scene sees the photo as shot, before any
   * correction, so its cache key is the file's content. */
  dm_graph *g = NULL;
  dm_image img = {0};
  unsigned char *icc = NULL;
  size_t icc_len = 0;
  double t = dm_now_ms();
  if (!s) s = dm_graph_open(ctx, in_path, &go, &g);
  if (!s) dm_process_version_note(ctx, r, in_path, dm_graph_metadata(g)->format == DM_FMT_RAW);
  /* Each stage's end is logged (dm_stage_done): the editor's export shows
   * its progress from those lines. */
  if (!s) dm_stage_done(ctx, "render", "decode", &t);
  if (!s && needs) s = dm_graph_build_scene(ctx, g);
  if (!s && needs) dm_stage_done(ctx, "render", "scene", &t);
  if (!s && needs) record_provenance(ctx, dm_graph_scene(g, DM_LEVEL_FULL), &opt->scene, in_path, prov);
  dm_graph_view v = {.level = DM_LEVEL_FULL};
  if (!s) s = dm_graph_render(ctx, g, r, base_dir, &v, &img, NULL);
  if (!s) dm_stage_done(ctx, "render", "corrections and lens blur", &t);
  if (!s && opt->long_edge > 0) s = shrink_to_long_edge(ctx, &img, opt->long_edge);
  if (!s) s = dm_color_from_working_inplace(ctx, &img, opt->profile, &icc, &icc_len);
  if (!s) dm_stage_done(ctx, "render", "colour", &t);
  const dm_metadata *meta = g ? dm_graph_metadata(g) : NULL;
  if (!s) {
    dm_write_options wo = {
        .format = opt->format,
        .bits = opt->bits,
        .quality = opt->quality,
        .compression = opt->compression,
        .icc = icc,
        .icc_len = icc_len,
        .exif = meta->exif,
        .exif_len = meta->exif_len,
        /* The photo's own XMP (already without its crs:/dm: settings) and IPTC. */
        .xmp = meta->xmp,
        .xmp_len = meta->xmp_len,
        .iptc = meta->iptc,
        .iptc_len = meta->iptc_len,
    };
    s = dm_io_write_prepared(ctx, out_path, &img, &wo, af);
    if (!s) dm_stage_done(ctx, "render", "encode", &t);
  }
  free(icc);
  dm_image_free(&img);
  dm_graph_free(g);
  return s;
}
