/* Masks: an ordered list of components combined into one float map in
 * [0, 1] the size of the image.
 *
 * Combination (o = component opacity, c = component value after invert):
 *   add        m = max(m, o c)
 *   subtract   m = m (1 - o c)
 *   intersect  m = m (1 - o (1 - c))   (= subtract of the inverted component,
 *                                       which is how Lightroom stores it)
 * The first component starts from m = 0, so it should be `add`.
 *
 * Geometry is in normalised image coordinates (0..1 across the upright
 * image), as Lightroom stores it, so a mask is the same at any resolution.
 * Depth range reads the scene's near01 depth, subject and background its
 * matte (src/depth/scene.h); their edges are refined against the photo. */
#ifndef DM_MASK_H
#define DM_MASK_H

#include "core/image.h"
#include "core/param.h"

typedef enum dm_mask_kind {
  DM_MASK_ALL = 0,          /* whole image */
  DM_MASK_LUMINANCE_RANGE,
  DM_MASK_LINEAR_GRADIENT,
  DM_MASK_RADIAL_GRADIENT,
  DM_MASK_FILE,             /* a grey image file, resized to the photo */
  DM_MASK_DEPTH_RANGE,      /* Lightroom's Depth Range: [min, max] of near01 x 100 */
  DM_MASK_SUBJECT,          /* Select Subject: the matte */
  DM_MASK_BACKGROUND,       /* Select Background: 1 - the matte */
  DM_MASK_BRUSH,            /* Lightroom's brush: painted strokes of dabs (mask/brush.h) */
  DM_MASK_KIND_COUNT
} dm_mask_kind;

typedef enum dm_mask_mode { DM_MASK_ADD = 0, DM_MASK_SUBTRACT, DM_MASK_INTERSECT, DM_MASK_MODE_COUNT } dm_mask_mode;

#define DM_MASK_PATH_MAX 1024

typedef struct dm_brush dm_brush; /* a brush's strokes (mask/brush.h) */

typedef struct dm_mask_component {
  dm_mask_kind kind;
  dm_mask_mode mode;
  float invert;       /* bool */
  float opacity;      /* 0..100, default 100 (crs:MaskValue = opacity / 100) */
  /* luminance_range: trapezoid on perceptual lightness L* 0..100 of the
   * working image: 0 below [0], ramps to 1 at [1], 1 to [2], 0 at [3]. */
  float lum_range[4];
  /* linear_gradient: 0 at `zero`, 1 at `full` (x, y), smoothstep between
   * along the zero -> full line (in pixels; see linear_gradient.c). */
  float zero[2], full[2];
  /* radial_gradient: the ellipse's bounding box before rotation (normalised),
   * rotation in degrees, feather 0..100 (0 = hard edge), 1 inside. */
  float top, left, bottom, right, angle, feather;
  /* depth_range: 1 inside [min, max] on the 0 (near) .. 100 (far) depth
   * scale, falling off outside over a width that grows with smoothness
   * (0..100, 0 = hard edge). */
  float depth_range[2];
  float smoothness;
  /* file: path of a grey image (8/16-bit), relative to the recipe's folder. */
  char path[DM_MASK_PATH_MAX];
  /* brush: its strokes, OWNED by the component (NULL = no stroke yet). A
   * component that may hold one is copied with dm_mask_component_copy and
   * released with dm_mask_component_free, never with `=` or memset alone. */
  dm_brush *brush;
} dm_mask_component;

const char *dm_mask_kind_name(dm_mask_kind k);   /* "whole_image", "luminance_range", ..., "brush" */
int dm_mask_kind_from_name(const char *name, dm_mask_kind *out);
const char *dm_mask_mode_name(dm_mask_mode m);   /* "add", "subtract", "intersect" */
int dm_mask_mode_from_name(const char *name, dm_mask_mode *out);

/* Parameters a component of `kind` has (invert, opacity and the kind's own
 * floats), offsets relative to dm_mask_component. kind/mode/path are
 * strings and are handled by name by the recipe. */
const dm_param *dm_mask_params(dm_mask_kind kind, int *n);
/* A component of `kind` with every parameter at its default (and no brush
 * strokes). It overwrites c without freeing what c owned. */
void dm_mask_component_init(dm_mask_component *c, dm_mask_kind kind);
/* Deep copy (a brush's strokes included); dst owns nothing before. On
 * failure dst is a whole_image component owning nothing. */
dm_status dm_mask_component_copy(dm_context *ctx, dm_mask_component *dst,
                                 const dm_mask_component *src);
/* Free what c owns (a brush's strokes); c keeps its kind and parameters. */
void dm_mask_component_free(dm_mask_component *c);
/* Check every parameter against its hard range; errors name `subject`. */
dm_status dm_mask_component_check(dm_context *ctx, const dm_mask_component *c, const char *subject);

typedef struct dm_mask_inputs {
  const dm_image *image;    /* the working image (3 ch, linear Rec.2020) */
  const char *base_dir;     /* folder that relative `file` paths start from; NULL = cwd */
  const dm_image *depth;    /* near01 at the image's size; NULL = none (depth_range fails) */
  const dm_image *matte;    /* subject matte at the image's size; NULL = none */
  int draft;                /* a preview while a slider moves: depth-range edges are fitted
                               on a grid half as fine (edge_refine.c) */
  dm_frame frame;           /* where the image lies in the photo; {0} = it is the photo */
  const struct dm_mask_shared *shared; /* dm_mask_share's, or NULL */
} dm_mask_inputs;

/* A mask rendered twice over one photo, once on each of the matte's layers
 * (pipeline/layers.c: the soft edge's pixels set to their subject colour
 * and matte 1, then to their background colour and matte 0): what does not
 * depend on the layer is made once, here, from the photo as it is (`in`,
 * the real matte). Today that is each depth range's fit at the fitting
 * scale (edge_refine.c); each layer's render then only blends it back to
 * full resolution with its own matte. `comps` must outlive the share; pass
 * it as in->shared to dm_mask_render of those same components. */
typedef struct dm_mask_shared dm_mask_shared;
dm_status dm_mask_share(dm_context *ctx, const dm_mask_component *comps, int n,
                        const dm_mask_inputs *in, dm_mask_shared **out);
void dm_mask_shared_free(dm_mask_shared *sh);

/* What the components need from the scene: DM_MASK_NEEDS_DEPTH and/or
 * DM_MASK_NEEDS_MATTE (depth_range needs both: its edge follows the matte
 * where the matte is confident). */
enum { DM_MASK_NEEDS_DEPTH = 1, DM_MASK_NEEDS_MATTE = 2 };
int dm_mask_needs(const dm_mask_component *comps, int n);
/* Does the combination read the working image (a luminance range; a depth
 * range, whose edge is refined against the photo)? Then it depends on the
 * corrections before it; otherwise only on its parameters and the scene. */
int dm_mask_reads_image(const dm_mask_component *comps, int n);

/* What rendering the combination on a crop of the photo (frame: where it
 * lies) needs around the pixels it must get right: returns the margin in
 * photo pixels (the farthest any component reads, its windows and box
 * filters), and *align, the grid its cells lie on (a crop whose origin is
 * a multiple of it has the whole render's cells). A crop of the photo
 * rendered with that much margin equals the whole render there, up to
 * float rounding. */
int dm_mask_reach(const dm_mask_component *comps, int n, const dm_frame *frame, int *align);

/* The eyedropper of a depth range: the depth (0..100) at pixel (x, y) of
 * `depth` (the median over a box of half-size `r` pixels, r = 0 for one
 * pixel) and a suggested [min, max] around it that holds the surface there
 * (from the spread of depth in the box and the depth histogram around it). */
dm_status dm_mask_depth_sample(dm_context *ctx, const dm_image *depth, int x, int y, int r,
                               float *value, float range[2]);

/* Paint `mask` (1 channel, srgb's size) red over `srgb` (3 channels,
 * sRGB-encoded), half strength at 1: the mask overlay (overlay.c). */
void dm_mask_paint_overlay(dm_image *srgb, const dm_image *mask);

/* Render the combination of `n` components into `out`, a caller-allocated
 * 1-channel image the size of in->image. n == 0 gives an all-ones mask. */
dm_status dm_mask_render(dm_context *ctx, const dm_mask_component *comps, int n,
                         const dm_mask_inputs *in, dm_image *out);

#endif
