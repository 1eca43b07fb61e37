/* Brush components: Lightroom's Brush, a list of painted strokes.
 *
 * A stroke is what one drag of the mouse leaves (one crs:What="Mask/Paint"
 * in Lightroom's sidecar): a list of dabs, discs stamped along the drag,
 * with the stroke's radius, flow, feather and density, or an eraser. How
 * they become a mask (units, fall-off, how flow and density combine, what
 * erasing does) and the sources of that reading are at the top of brush.c.
 *
 * Units: dab centres in fractions of the upright image's width (x) and
 * height (y), as every other mask geometry; radius in fractions of the
 * image's LONG side (a dab is round in pixels); flow, feather and density
 * in percent as Lightroom's sliders show them.
 *
 * Ownership: a dm_mask_component of kind brush owns one dm_brush, which
 * owns its strokes, each of which owns its dabs. */
#ifndef DM_BRUSH_H
#define DM_BRUSH_H

#include "mask/mask.h"

/* One stamp. Each dab carries the radius, flow and feather in force when it
 * was laid down: Lightroom can change them inside a stroke (pen pressure,
 * its "r", "f", "h" entries in crs:Dabs). */
typedef struct dm_brush_dab {
  float x, y;    /* centre, fractions of the width and the height */
  float radius;  /* fraction of the long side */
  float flow;    /* 0..100 % */
  float feather; /* 0..100 */
} dm_brush_dab;

typedef struct dm_brush_stroke {
  /* dm_brush_stroke_params(): radius, flow, feather (the values a new dab
   * takes, and that --set gives every dab of the stroke), density, erase. */
  float radius, flow, feather, density, erase;
  int n_dabs;
  dm_brush_dab *dabs; /* owned; NULL when n_dabs == 0 */
} dm_brush_stroke;

struct dm_brush {
  int n_strokes;
  dm_brush_stroke *strokes; /* owned, in painting order */
};

/* Bounds that keep a hostile sidecar's cost finite. Real Lightroom brushes
 * are far below them (a public census of 382 strokes: 645 dabs in the
 * largest, 15,964 in all). */
#define DM_BRUSH_MAX_STROKES 4096
#define DM_BRUSH_MAX_DABS 65536 /* over all the strokes of one component */
/* Dab centres may lie a little outside the photo (Lightroom's do, at its
 * edges); the same bound as the gradients' handles. */
#define DM_BRUSH_COORD_MAX 10.0f

/* The stroke parameters (offsets relative to dm_brush_stroke), for --set
 * correction[N].mask[M].stroke[S].<key> and the recipe. */
const dm_param *dm_brush_stroke_params(int *n);
/* A stroke with every parameter at its default and no dabs. */
void dm_brush_stroke_init(dm_brush_stroke *s);
void dm_brush_stroke_free(dm_brush_stroke *s); /* its dabs; back to init */

/* The number of strokes / of dabs over all strokes (0 for NULL). */
int dm_brush_n_strokes(const dm_brush *b);
int dm_brush_n_dabs(const dm_brush *b);

/* Append *s (dabs included) to c's brush, creating the brush if c has
 * none. c takes the dabs over and *s is left as dm_brush_stroke_init gives;
 * on failure (out of memory, or over the bounds above) c and *s are as
 * they were. */
dm_status dm_brush_add_stroke(dm_context *ctx, dm_mask_component *c, dm_brush_stroke *s);

dm_status dm_brush_copy(dm_context *ctx, const dm_brush *src, dm_brush **dst); /* *dst NULL for NULL */
void dm_brush_free(dm_brush *b);

/* Set one stroke key from its --set text: a dm_brush_stroke_params() key
 * (radius, flow and feather also go to every dab of the stroke) or "dabs",
 * "x,y,x,y,..." (fractions of the photo), which replaces the stroke's dabs
 * with dabs at the stroke's radius, flow and feather. `other_dabs` is the
 * number of dabs in the component's other strokes (for the bound). On
 * failure *s is unchanged; errors name `subject`. */
dm_status dm_brush_stroke_set(dm_context *ctx, dm_brush_stroke *s, const char *key,
                              const char *value, int other_dabs, const char *subject);

/* Every stroke and dab in its range, the bounds held; errors name
 * "subject.stroke[S]" and the key. */
dm_status dm_brush_check(dm_context *ctx, const dm_brush *b, const char *subject);

#endif
