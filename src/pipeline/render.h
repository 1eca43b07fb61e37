/* The render pipeline's stages and the one-shot render of a file that
 * `render`, `demo` and the batch use: decode -> working space -> scene ->
 * corrections -> lens blur -> output space -> encode, through the render
 * graph (graph.h) the editor keeps open. */
#ifndef DM_RENDER_H
#define DM_RENDER_H

#include "color/color.h"
#include "color/look.h"
#include "depth/scene.h"
#include "io/io.h"
#include "recipe/recipe.h"

typedef struct dm_render_options {
  dm_output_profile profile;
  dm_format format;           /* DM_FMT_JPEG, DM_FMT_PNG or DM_FMT_TIFF */
  int bits;                   /* 8 or 16 (TIFF: also 32 = float) */
  int quality;                /* JPEG, 0 = default */
  dm_compression compression; /* TIFF */
  int long_edge;              /* > 0: the output shrunk to fit this many pixels on its long side */
  /* Where depth and matte come from, for the depth-driven stages. */
  dm_scene_options scene;
} dm_render_options;

/* Does correction `c` run: on, with an amount, a slider off its default and
 * every switched-on mask component renderable? */
int dm_correction_runs(const dm_correction *c);

/* ---- layers.c: the soft edge's two layers through the corrections ---- */

/* Does correction `c` act on the layers (its mask reads the matte and the
 * scene has soft pixels)? */
int dm_correction_on_layers(const dm_correction *c, const dm_scene *scene);
/* Apply `c` to the F layer with the mask it has where the matte is 1
 * (`mask_f`) and to the B layer with the mask where it is 0 (`mask_b`);
 * `work` becomes their composite. The masks are 1-channel images of work's
 * size, two buffers, rendered here unless `masks_ready` (the render graph
 * keeps them). A pass whose result is not kept where its mask is above 0
 * does not run (a Background correction's F pass). */
dm_status dm_apply_on_layers(dm_context *ctx, dm_image *work, const dm_correction *c,
                             const dm_mask_inputs *in, dm_scene *scene, dm_image *mask_f,
                             dm_image *mask_b, int masks_ready);
/* Apply `c` to the picture as it is (a correction that does not read the
 * matte) with its mask, rendered into `mask` unless `mask_ready`; the soft
 * edge's layers (scene may be NULL) follow by each pixel's change, so the
 * composite stays a·F + (1 − a)·B. in->frame: where work lies in the photo. */
dm_status dm_apply_on_composite(dm_context *ctx, dm_image *work, const dm_correction *c,
                                const dm_mask_inputs *in, dm_scene *scene, dm_image *mask,
                                int mask_ready);

/* Refuse a recipe with a correction that would change the picture and
 * whose mask holds a switched-on component depthmask cannot render (a
 * Lightroom kind it does not model, a blend mode it does not know): one
 * error naming `file`, the correction, the component and its type. With
 * ctx->skip_unrendered_masks each such correction gets a warning instead
 * and is skipped by the render (which skips them in any case: dm_correction_runs). */
dm_status dm_recipe_check_rendered(dm_context *ctx, const dm_recipe *r, const char *file);

/* A recipe of an older dm:ProcessVersion rendered by this build: one
 * warning naming each change since its version that touches its picture
 * (process_version.c). Returns how many were named. */
int dm_process_version_note(dm_context *ctx, const dm_recipe *r, const char *file, int raw);

/* The look of the output transform for a photo of `format`: the default
 * raw look for a camera raw from process version 5 unless the recipe says
 * dm:RawLook neutral; else none. */
dm_look dm_recipe_look(const dm_recipe *r, dm_format format);

/* Lens Blur's refine stroke sets on the scene's depth: depth <- depth +
 * (target - depth) * mask * amount for each active set, into `out` (near01;
 * left empty when none is on). The masks see `work`: in a render, the photo
 * as the corrections left it, like every other mask; `frame` where work
 * lies in it (NULL: it is the photo). */
dm_status dm_refine_depth(dm_context *ctx, const dm_image *work, const dm_recipe *r,
                          const dm_scene *scene, const dm_frame *frame, dm_image *out);

/* The mask inputs of `work` with the scene's depth and matte when present. */
dm_mask_inputs dm_scene_mask_inputs(const dm_image *work, const char *base_dir,
                                    const dm_scene *scene);

/* What the recipe needs from the scene: DM_MASK_NEEDS_DEPTH and/or
 * DM_MASK_NEEDS_MATTE (lens blur needs both; masks what their components
 * need). 0 = no scene at all. */
int dm_recipe_needs_scene(const dm_recipe *r);

/* `opt` narrowed to what `needs` asks for (no networks for what no stage
 * reads). */
dm_scene_options dm_scene_options_for(const dm_scene_options *opt, int needs);

/* The lens blur stage: blurs `work` in place with the scene's depth and
 * matte when the recipe's lens blur is active. */
dm_status dm_apply_lens_blur(dm_context *ctx, dm_image *work, const dm_recipe *r,
                             const dm_scene *scene, const char *in_path);
/* The same with the lens blur's plan (blur.h) for this scene and recipe's
 * blur, depth and refine strokes: NULL makes one and leaves it there. The
 * caller keys it (the refine strokes must not read the image); `draft`
 * as dm_lens_blur_apply_planned's. */
dm_status dm_apply_lens_blur_planned(dm_context *ctx, dm_image *work, const dm_recipe *r,
                                     const dm_scene *scene, const char *in_path,
                                     dm_lens_blur_plan **plan, int draft);
/* The same reading `src` and writing `out` (allocated, src's size), which
 * receives src as it is when the recipe has no lens blur. */
dm_status dm_apply_lens_blur_planned_to(dm_context *ctx, const dm_image *src, dm_image *out,
                                        const dm_recipe *r, const dm_scene *scene,
                                        const char *in_path, dm_lens_blur_plan **plan, int draft);

/* A lens blur of a crop of the photo (a region render): where the crop
 * lies, and what the blur reads from the whole photo's depth, worked out
 * there (graph_region.c). */
typedef struct dm_blur_crop {
  dm_lens_blur_region lens; /* the frame and the whole photo's focus depths */
  float z_near_m, z_far_m;  /* the depth range (dm_lens_blur_range on the whole photo) */
} dm_blur_crop;
/* dm_apply_lens_blur on a crop: `work` and `scene` are the crop's (its
 * refine strokes' masks see the frame); crop NULL: they are the photo's. */
dm_status dm_apply_lens_blur_crop(dm_context *ctx, dm_image *work, const dm_recipe *r,
                                  const dm_scene *scene, const char *in_path,
                                  const dm_blur_crop *crop);
/* The recipe's lens blur as this build renders it (the process version's
 * flags set). */
void dm_recipe_lens_blur(const dm_recipe *r, dm_lens_blur *p);
/* The depth range the recipe's blur reads: the depth's own, or pinned on
 * `near01` and `matte` (the whole photo's) by the recipe's two distances
 * (with a warning when that replaces a metric range). */
dm_status dm_lens_blur_range(dm_context *ctx, const dm_recipe *r, const dm_depth *depth,
                             const dm_image *near01, const dm_image *matte, const char *in_path,
                             float *z_near_m, float *z_far_m);

/* Decode `in_path`, apply `r`, encode to `out_path` (atomically). Never
 * writes `in_path`. */
dm_status dm_render_file(dm_context *ctx, const char *in_path, const dm_recipe *r,
                         const char *out_path, const dm_render_options *opt, const char *base_dir);
/* The same, leaving the encoded output prepared (fsync'ed, not renamed) in
 * `af` for dm_commit_render; `prov` (may be NULL) gets where the depth came
 * from when a stage used it. */
dm_status dm_render_prepared(dm_context *ctx, const char *in_path, const dm_recipe *r,
                             const char *out_path, const dm_render_options *opt,
                             const char *base_dir, dm_atomic_file *af, dm_recipe_photo *prov);

/* The depth source a recipe recorded (dm:DepthSource) as scene options:
 * "embedded", "networks" or "file ENCODING NEAR FAR PATH" (the path copied
 * into `path`). Returns 0 for text it does not know, leaving `so` as it was. */
int dm_depth_source_parse(const char *text, dm_scene_options *so, char *path, size_t path_len);

/* The same for dm:MatteSource: "none", "file PATH", "embedded", "network"
 * (the last two are what auto picks for the same photo). */
int dm_matte_source_parse(const char *text, dm_scene_options *so, char *path, size_t path_len);

/* Commit a render as one transaction (DESIGN section 6): the recipe is
 * written to `sidecar` (NULL: none) through its own temporary file, then
 * the sidecar (the source of truth) is renamed into place first and the
 * prepared output `out` second; when the output cannot be renamed, the
 * previous sidecar is put back (or the new one removed when there was
 * none). r->photo.output_file/output_hash are set from `out` first, so the
 * sidecar names the output it produced. Any failure names the file and the
 * cause, and leaves no temporary file; `out` is always consumed. */
dm_status dm_commit_render(dm_context *ctx, const char *sidecar, dm_recipe *r, dm_atomic_file *out);

/* Folder part of a path ("." when it has none), into out. */
void dm_dirname(const char *path, char *out, size_t out_len);

#endif
