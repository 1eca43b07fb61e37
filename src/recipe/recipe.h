/* The recipe: every parameter of an edit, stored as an XMP sidecar beside
 * the photo (photo.ext -> photo.xmp), never in the photo itself.
 *
 * Corrections are written as Lightroom writes them,
 * crs:MaskGroupBasedCorrections -> Correction -> crs:CorrectionMasks, with
 * the Local* sliders in Lightroom's scaling, so Lightroom and exiftool read
 * them; what crs cannot say lives in our dm: namespace
 * (http://ns.depthmask.org/1.0/). Anything else in a sidecar (other crs
 * settings, other namespaces, unknown attributes and mask kinds inside a
 * correction) is kept and written back unchanged.
 *
 * Reads are strict: wrong types, out-of-range values and broken XML fail
 * with an error naming the file and the field. */
#ifndef DM_RECIPE_H
#define DM_RECIPE_H

#include <stddef.h>

#include "adjust/adjust.h"
#include "mask/mask.h"

#define DM_RECIPE_VERSION 1 /* dm:RecipeVersion written by this build */
#define DM_MAX_CORRECTIONS 64
#define DM_MAX_MASKS 32

typedef struct dm_preserved dm_preserved; /* unknown XML kept for rewrite (owned) */

typedef struct dm_correction {
  char name[128];           /* crs:CorrectionName */
  float active;             /* bool, crs:CorrectionActive */
  float amount;             /* 0..200 %, crs:CorrectionAmount = amount / 100 */
  dm_adjust_values sliders;
  int n_masks;
  dm_mask_component masks[DM_MAX_MASKS];
  dm_preserved *extra;      /* unknown attributes / components of this correction */
} dm_correction;

typedef struct dm_recipe {
  int version;              /* dm:RecipeVersion of the file read (DM_RECIPE_VERSION after upgrade) */
  int n_corrections;
  dm_correction *corrections; /* DM_MAX_CORRECTIONS entries allocated */
  dm_preserved *extra;      /* the rest of the document */
} dm_recipe;

dm_status dm_recipe_init(dm_context *ctx, dm_recipe *r);
void dm_recipe_free(dm_recipe *r);

/* Correction keys (amount, active, name) on top of the slider table. */
const dm_param *dm_correction_params(int *n);

/* Read a sidecar (replacing r's content). Upgrades old dm:RecipeVersion. */
dm_status dm_recipe_read_file(dm_context *ctx, const char *path, dm_recipe *r);
dm_status dm_recipe_read_mem(dm_context *ctx, const char *xml, size_t len, const char *name,
                             dm_recipe *r);
/* Write atomically. */
dm_status dm_recipe_write_file(dm_context *ctx, const char *path, const dm_recipe *r);
/* Serialise to a malloc'd NUL-terminated string. */
dm_status dm_recipe_write_mem(dm_context *ctx, const dm_recipe *r, char **xml, size_t *len);

/* Apply one "KEY=VALUE" override, DESIGN section 7 key names:
 *   correction[0].exposure=-0.7   correction[1].amount=80
 *   correction[0].mask[0].kind=radial_gradient   correction[0].mask[0].feather=60
 *   correction[0].mask[1].mode=subtract          correction[0].mask[0].path=m.png
 * Indexing one past the end appends a new correction / component with
 * defaults. Unknown keys and bad values fail naming the key. */
dm_status dm_recipe_set(dm_context *ctx, dm_recipe *r, const char *assignment);

/* Apply a preset: its corrections replace r's (a preset carries no
 * per-photo fields). */
dm_status dm_recipe_apply_preset(dm_context *ctx, dm_recipe *r, const dm_recipe *preset);

/* photo.ext -> photo.xmp */
void dm_sidecar_path(const char *image_path, char *out, size_t out_len);

#endif
