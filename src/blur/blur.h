/* Lens blur: depth-driven, occlusion-aware depth of field with shaped bokeh.
 *
 * Inputs are the working-space image (3 channels, linear light, edited in
 * place), the canonical depth map `near01` (DESIGN §3: 0 = nearest,
 * 1 = farthest, linear in disparity) with, when known, the metric range it
 * came from, and optionally the subject matte.
 *
 * How it renders (details in apply.c):
 *   1. a signed circle of confusion (CoC) per pixel, + behind the focus
 *      plane, − in front of it, from the physical lens or from Amount and
 *      Focal Range (coc.c);
 *   2. the picture is cut into depth slices by CoC: a focus slice, and per
 *      side one slice per octave of CoC (slices.c); each slice is rendered
 *      as a layer with its own coverage (alpha);
 *   3. the part of each slice hidden behind nearer slices is filled by a
 *      depth-aware push-pull from that slice's own pixels (fill.c), so the
 *      background behind a subject's edge exists before it is blurred;
 *   4. every pixel spreads its light over its own aperture-shaped CoC
 *      (scatter-as-gather with per-row spans: each source writes two
 *      fractional edges per row of its kernel into a row-difference buffer,
 *      one prefix sum per row turns that into the sum; scatter.c,
 *      shape.c). Slices whose CoC radius exceeds 8 px run on a 2x, 4x, ...
 *      downsampled grid where it is 4..8 cells, so a source never costs
 *      more than ~4 writes for each of ~20 kernel rows and the cost stays
 *      flat whatever the radius;
 *   5. slices are composited front to back (near over focus over far,
 *      composite.c), so the background never bleeds into a sharp subject
 *      and a blurred foreground spreads over it.
 * With a matte, the matte decides the subject's boundary and its soft
 * alpha: the subject is a layer of its own, its colour split by least
 * squares from the background estimated behind it (matte.c). Without one,
 * the edge between the focus slice and the background behind it gets a
 * soft ramp a quarter of the background's CoC wide (matte_synth.c).
 *
 * Clipped highlights are boosted before they are spread (boost.c).
 *
 * Ownership: the caller owns every buffer; scratch memory is allocated once
 * per call and freed before returning. No global state. Threads come from
 * the context's pool; the result does not depend on the thread count. */
#ifndef DM_BLUR_H
#define DM_BLUR_H

#include <stdint.h>

#include "core/image.h"
#include "core/param.h"

typedef enum dm_bokeh_shape {
  DM_BOKEH_CIRCLE = 0,
  DM_BOKEH_BLADES = 1, /* polygon of `blades` blades, `blade_rotation`, `blade_curvature` */
  DM_BOKEH_RING = 2,   /* mirror-lens donut */
  DM_BOKEH_BUBBLE = 3, /* soap-bubble disc with a bright rim */
  DM_BOKEH_COUNT
} dm_bokeh_shape;

typedef enum dm_blur_mode { DM_BLUR_ARTISTIC = 0, DM_BLUR_PHYSICAL = 1 } dm_blur_mode;

/* Every field is a float so that one dm_param table describes the struct
 * (enums and booleans are stored as 0, 1, 2, ...). */
typedef struct dm_lens_blur {
  float active;          /* 0 / 1 */
  float amount;          /* 0..100, default 50 (artistic mode) */
  float focal_range[4];  /* nearOuter nearInner farInner farOuter on the 0..100 near->far
                            scale (= 100 x near01); default 0 0 100 100 = auto: sharp over
                            the subject's depth (20th..80th percentile of near01 under the
                            matte; without one the median of the central third), blur
                            growing linearly in near01 (= disparity, as through a lens) to
                            full at the farthest depth, with the same slope in front */
  float bokeh;           /* dm_bokeh_shape */
  float blades;          /* 5..9 */
  float blade_rotation;  /* degrees, counter-clockwise */
  float blade_curvature; /* 0 = straight blades .. 100 = round */
  float cat_eye;         /* 0..100: mechanical vignetting towards the frame's edges */
  float boost;           /* 0..100: highlight boost */
  float boost_threshold; /* 0..100: where the boost starts, see boost.c */
  int boost_light_size;  /* not a parameter: 2 = only bright regions (within a stop of the
                            boost's start) small against their CoC hold lights (process
                            version 4), 1 = the same on clipped regions (3), 0 = every clipped
                            pixel (1, 2); boost.c */
  float mode;            /* dm_blur_mode */
  float f_mm;            /* physical mode: focal length */
  float f_number;        /* physical mode: N */
  float focus_m;         /* physical mode: focus distance; 0 = auto (the subject's depth) */
  float sensor_width_mm; /* physical mode: sensor width (full frame = 36) */
  float subject_distance_m;    /* physical mode: metres to the subject, 0 = not given; with */
  float background_distance_m; /* the background's, pins relative depth (dm_lens_blur_pin_range) */
  int amount_curve;      /* not a parameter: 1 = Amount 100 is 10 % of the long side, growing
                            as Amount² (process version 4); 0 = 4 % of the diagonal, linear (1..3) */
} dm_lens_blur;

/* The parameter table (key, label, ranges, XMP names). `*n` receives the
 * number of entries. xmp_name is the attribute inside Lightroom's
 * crs:LensBlur struct (BlurAmount, FocalRange, ...); fields Lightroom has no
 * name for (blades, physical lens) have xmp_name NULL and belong in dm:.
 * crs:FocalRange is written by Lightroom as four space-separated numbers
 * ("0 0 100 100"), unlike the comma-separated command-line form. */
const dm_param *dm_lens_blur_params(int *n);
void dm_lens_blur_defaults(dm_lens_blur *p);
/* Hard ranges of every field plus the checks across fields (physical mode:
 * focus distance beyond the focal length). Fails with DM_ERR_RANGE naming
 * the field. */
dm_status dm_lens_blur_check(dm_context *ctx, const dm_lens_blur *p);

/* ---- depth helpers ---------------------------------------------------- */

/* near01 of a metric depth z (metres) for the range [z_near, z_far]:
 * (1/z_near − 1/z)/(1/z_near − 1/z_far), not clamped. z_far may be +inf
 * or negative ("beyond infinity", dm_lens_blur_pin_range). */
float dm_near01_from_depth(float z, float z_near_m, float z_far_m);
/* Its inverse: z = 1/(1/z_near − near01·(1/z_near − 1/z_far)); +inf past
 * the far plane at infinity. */
float dm_depth_from_near01(float near01, float z_near_m, float z_far_m);
/* Convert a 1-channel metric depth map into a 1-channel near01 map `out`
 * (allocated here). z_near/z_far default to the map's min/max when <= 0.
 * Non-finite or non-positive depths are an error naming the pixel. */
dm_status dm_near01_from_metric(dm_context *ctx, const dm_image *depth_m, float *z_near_m,
                                float *z_far_m, dm_image *out);

/* Relative depth made metric (DESIGN §3, issue 13): near01 is linear in
 * disparity, 1/z = a − b·near01, so two depths fix it. The median near01
 * of the subject (matte >= 0.5) is put at subject_m and the median of the
 * rest (matte < 0.5) at background_m; the range that follows goes to *z_near_m, *z_far_m (the
 * metric range of near01 = 0 and 1). When the background's depth is so
 * close to the far end that 1/z_far = a − b ≤ 0, *z_far_m is +inf (a = b)
 * or negative (a < b: "beyond infinity", 1/z_far < 0; what lies past
 * infinity is blurred as at infinity). Needs 0 < subject_m < background_m, a matte
 * with both a subject and a rest, and the subject's median nearer than the
 * rest's (DM_ERR_PARAM / DM_ERR_RANGE naming what is missing). */
dm_status dm_lens_blur_pin_range(dm_context *ctx, const dm_image *near01, const dm_image *matte,
                                 float subject_m, float background_m, float *z_near_m,
                                 float *z_far_m);
/* The checks of the two distances, naming them `subject_name` and
 * `background_name` (the --set keys or the command-line options): both or
 * neither, each finite, beyond the focal length, subject nearer. */
dm_status dm_lens_blur_check_distances(dm_context *ctx, const dm_lens_blur *p,
                                       const char *subject_name, const char *background_name);

/* Signed CoC diameter in pixels of a point at depth z for the physical
 * lens of `p` on an image `image_width` pixels wide:
 *   f²/(N(s−f)) · (z−s)/z / (sensor_width/image_width)
 * (+ behind the focus distance s, − in front). `focus_m` must be resolved
 * (> f_mm/1000). */
float dm_lens_blur_coc_physical(const dm_lens_blur *p, float focus_m, float z_m, int image_width);

/* Depth the blur focuses on when focal_range is 0 0 100 100 (or focus_m is
 * 0 in physical mode), as near01: the matte-weighted median of near01 when
 * a matte is given, else the median over the central third of the frame. */
float dm_lens_blur_auto_focus(const dm_image *near01, const dm_image *matte);

/* The full-blur CoC diameter of artistic mode (Adobe does not publish its
 * scale; these are choices):
 *  - process version 4 on (amount_curve = 1): DM_LENS_BLUR_MAX_COC_LONG of
 *    the frame's long side x (Amount/100)². Amount 100 = 10 %, the CoC at
 *    infinity of an 85 mm f/1.4 focused at 1.5 m on full frame (its
 *    background at 10 m is 8.6 % of the width, reached at Amount 93);
 *    Amount 50 = 2.5 %, about what 50 gave before (2 % of a 3:2 or 4:3
 *    diagonal = 2.4 / 2.5 % of the width); the square keeps fine control
 *    low down (Amount 20 = 0.4 %, 24 px on a 6000 px frame).
 *  - process versions 1..3 (amount_curve = 0): DM_LENS_BLUR_MAX_COC_FRAC of
 *    the diagonal x Amount/100, linear: 4 %, 290 px on a 24 MP frame, less
 *    than an 85 mm f/1.8 head-and-shoulders portrait's background. */
#define DM_LENS_BLUR_MAX_COC_LONG 0.10f
#define DM_LENS_BLUR_MAX_COC_FRAC 0.04f
/* That diameter in pixels for an image w x h. */
float dm_lens_blur_max_coc(const dm_lens_blur *p, int w, int h);

/* The signed CoC diameter map (pixels, 1 channel, allocated here) the blur
 * uses, for the editor's "Visualize Depth" and for tests. Arguments as in
 * dm_lens_blur_apply. */
dm_status dm_lens_blur_coc_map(dm_context *ctx, const dm_image *near01, float z_near_m,
                               float z_far_m, const dm_image *matte, const dm_lens_blur *p,
                               dm_image *coc);

/* ---- the effect ------------------------------------------------------- */

/* Blur `rgb` (3 channels, linear working space, any stride) in place.
 *   near01   1 channel, same size: canonical depth (0 near .. 1 far);
 *            non-finite values are treated as in focus (logged once).
 *   z_near_m, z_far_m  the metric range of near01, or 0, 0 when unknown
 *            (physical mode needs them: DM_ERR_PARAM otherwise); z_far_m
 *            may be +inf or negative (beyond infinity, see above).
 *   matte    1 channel [0, 1] subject alpha of the same size, or NULL.
 *   p        parameters; when p->active is 0 the image is left untouched.
 * In physical mode `amount` and `focal_range` are not used: the lens
 * decides. Returns DM_OK, DM_ERR_PARAM/DM_ERR_RANGE (message names the
 * field), DM_ERR_NOMEM or DM_ERR_CANCELLED (cancellation is checked
 * between stages, before the image is written; on any error the image is
 * unchanged). */
dm_status dm_lens_blur_apply(dm_context *ctx, dm_image *rgb, const dm_image *near01,
                             float z_near_m, float z_far_m, const dm_image *matte,
                             const dm_lens_blur *p);

/* The same with the matte's two layers (matte/matte.h, NULL for none): a
 * soft pixel's subject part is matte·F, and B is what the layer behind it
 * blurs, instead of a split estimated here from smooth colours. */
struct dm_matte_layers;
dm_status dm_lens_blur_apply_layers(dm_context *ctx, dm_image *rgb, const dm_image *near01,
                                    float z_near_m, float z_far_m, const dm_image *matte,
                                    const struct dm_matte_layers *layers, const dm_lens_blur *p);

/* What one lens blur keeps for the next image of the same depth, matte
 * (and its layers' pixels) and parameters, when only the image changes (an
 * editor's slider moves an adjustment): the CoC and slice maps, the matte's
 * split, the kernels, which fill cells lie beyond reach, and its buffers'
 * pages. About 7 bytes a pixel plus the fills (dm_lens_blur_plan_bytes). */
typedef struct dm_lens_blur_plan dm_lens_blur_plan;
/* dm_lens_blur_apply_layers with a plan: *plan NULL makes one (the caller
 * frees it); a plan given must come from a call with the same depth,
 * range, matte, layers' geometry and parameters (the caller keys it, and
 * marks it stale when they change), and one of another size is made
 * again. A render cancelled keeps the plan. `draft` (an editor's preview
 * while a slider moves) scatters CoCs over half of the usual radius on the
 * coarser grids: about a third less work, bokeh edges a little softer
 * (tests/blur/test_blur_plan.c bounds the difference); a plan is made
 * again when it changes. */
dm_status dm_lens_blur_apply_planned(dm_context *ctx, dm_image *rgb, const dm_image *near01,
                                     float z_near_m, float z_far_m, const dm_image *matte,
                                     const struct dm_matte_layers *layers, const dm_lens_blur *p,
                                     dm_lens_blur_plan **plan, int draft);
/* The same reading `src` and writing `out` (allocated, src's size): the
 * editor blurs the image its memory holds without copying it first. */
dm_status dm_lens_blur_apply_planned_to(dm_context *ctx, const dm_image *src, dm_image *out,
                                        const dm_image *near01, float z_near_m, float z_far_m,
                                        const dm_image *matte, const struct dm_matte_layers *layers,
                                        const dm_lens_blur *p, dm_lens_blur_plan **plan, int draft);
size_t dm_lens_blur_plan_bytes(const dm_lens_blur_plan *plan);
/* What the image of the plan's next call is, in the caller's words (a
 * 128-bit hash of everything that made it; 0, 0: unnamed). A plan keeps a
 * copy of its last image to tell which slices the next one changes; when
 * the next one has that image's name, the copy is not made again. */
void dm_lens_blur_plan_image(dm_lens_blur_plan *plan, uint64_t lo, uint64_t hi);
/* How many depth slices the last image through the plan took as the image
 * before left them (it changed nothing they read: blur/reuse.c). */
int dm_lens_blur_plan_reused(const dm_lens_blur_plan *plan);
/* The depth, matte or parameters changed: the next call makes the plan's
 * geometry again, keeping its kernels (same aperture shape) and pages. */
void dm_lens_blur_plan_stale(dm_lens_blur_plan *plan);
/* As dm_lens_blur_plan_stale, when only the parameters' Amount changed
 * (nothing else of them, the depth, the range or the matte): an editor's
 * draft may scale the geometry's radii instead of making it again
 * (apply.c, draft_amount); every other render makes it again. */
void dm_lens_blur_plan_amount(dm_lens_blur_plan *plan);
/* A plan whose geometry is made and current (not NULL, not stale): the
 * depth and range it was made with need not be worked out again. */
int dm_lens_blur_plan_ready(const dm_lens_blur_plan *plan);
/* The last image went through a draft's geometry scaled to a new Amount
 * (apply.c, draft_amount), not made for it. */
int dm_lens_blur_plan_scaled(const dm_lens_blur_plan *plan);
void dm_lens_blur_plan_free(dm_lens_blur_plan *plan);

/* ---- a crop of the photo (region renders) ------------------------------ */

/* What a blur of a crop of the photo reads from the whole photo's depth
 * and matte (region.c): the depths the auto focus finds; which depths
 * occur, from which the slices the whole photo has and their largest CoC
 * follow for any parameters (a layer's fill reaches as far as the nearer
 * slices' largest CoC anywhere in the photo; a soft edge's background goes
 * to the first slice the photo has behind it); and, made by the first crop
 * of a CoC and kept for the next, the matte's CoC fills over the whole
 * photo (a soft edge far from any background in the crop finds it as the
 * whole image does). Made once per depth and matte, which it borrows (they
 * must outlive it); about 16 MB at 24 MP with its fills. Not thread-safe:
 * one blur at a time uses it. */
typedef struct dm_lens_blur_whole dm_lens_blur_whole;
dm_status dm_lens_blur_whole_make(dm_context *ctx, const dm_image *near01, const dm_image *matte,
                                  dm_lens_blur_whole **out);
void dm_lens_blur_whole_free(dm_lens_blur_whole *w);

/* Where the crop lies in the photo (the CoC's scale is the photo's long
 * side or diagonal, the cat's eye is placed in the photo's frame, the
 * grids of the fills and of the coarse slices are laid on the photo), and
 * the whole photo's depth. */
typedef struct dm_lens_blur_region {
  dm_frame frame;
  dm_lens_blur_whole *whole; /* the blur keeps there what it makes of the whole photo */
} dm_lens_blur_region;

/* The depths the blur focuses on by itself (focal_range 0 0 100 100, or
 * focus_m 0), as near01: the 20th, 50th and 80th percentiles of near01
 * weighted by the matte (without one, or an empty one, over the central
 * third of the frame). */
void dm_lens_blur_focus_depths(const dm_image *near01, const dm_image *matte, float q[3]);

/* The margin (photo pixels) a blur of a crop of the photo reads around the
 * pixels it must get right: its largest CoC, what its fills gather behind
 * nearer content, the coarse slices' cells; and *align, the grid the
 * crop's origin must lie on for its fills and coarse slices to be the
 * whole photo's. A crop of that much margin on that grid gives the whole
 * render's pixels but for what a fill's push-pull pyramid carries from
 * farther than any margin (where a layer's own pixels are sparse) and a
 * highlight region Boost measures cut by the crop's edge: a few levels of
 * 255 at a few pixels (tests/pipeline/test_region.c). Arguments as for the
 * blur; -1 when they are refused (the error names why). */
int dm_lens_blur_reach(dm_context *ctx, const dm_lens_blur *p, float z_near_m, float z_far_m,
                       const dm_lens_blur_region *rg, int *align);

/* dm_lens_blur_apply_layers on a crop of the photo: rgb, near01, matte and
 * layers are the crop's; rg says where it lies and what the whole photo
 * gives (NULL: rgb is the photo). */
dm_status dm_lens_blur_apply_region(dm_context *ctx, dm_image *rgb, const dm_image *near01,
                                    float z_near_m, float z_far_m, const dm_image *matte,
                                    const struct dm_matte_layers *layers, const dm_lens_blur *p,
                                    const dm_lens_blur_region *rg);

#endif
