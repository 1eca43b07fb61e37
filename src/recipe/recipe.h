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
 * The lens blur is Lightroom's crs:LensBlur struct (Active, BlurAmount,
 * FocalRange, HighlightsBoost, ...; Lightroom's other fields in it are
 * kept) plus dm:LensBlurSettings for the aperture shape, mode and physical
 * lens (layout and reasons in xmp_lens_blur.c). Neither is written while
 * the lens blur is untouched (inactive, every value at its default) unless
 * the sidecar read had it.
 *
 * Reads are strict: wrong types, out-of-range values and broken XML fail
 * with an error naming the file and the field. */
#ifndef DM_RECIPE_H
#define DM_RECIPE_H

#include <stddef.h>
#include <stdio.h>

#include "adjust/adjust.h"
#include "blur/blur.h"
#include "mask/mask.h"

#define DM_RECIPE_VERSION 1 /* dm:RecipeVersion written by this build */
/* dm:ProcessVersion: bumped by every change that alters the pixels an
 * existing recipe renders (DESIGN section 6). A recipe keeps the version it
 * was made with; src/pipeline renders old versions as they rendered where
 * that is cheap, and otherwise warns once naming what changed. Sidecars
 * without one were made by version 1.
 *   1  every sidecar before process versions
 *   2  Lightroom brushes rendered; Lens Blur refine strokes applied
 *   3  Boost lifts only clipped regions small against their CoC (older
 *      recipes keep their Boost: src/blur/boost.c)
 *   4  artistic Amount 100 = 10 % of the long side, growing as Amount²
 *      (older recipes keep 4 % of the diagonal, linear: src/blur/coc.c)
 *   5  camera raws get the default look (src/color/look.h; older recipes
 *      keep the linear rendering) and the camera's default crop (all) */
#define DM_PROCESS_VERSION 5
#define DM_XMP_NS "http://ns.depthmask.org/1.0/"                 /* prefix dm: */
#define DM_CRS_NS "http://ns.adobe.com/camera-raw-settings/1.0/" /* prefix crs: */
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

/* Per-photo fields (dm: namespace), never taken from a preset. Text, ""
 * when unknown. */
typedef struct dm_recipe_photo {
  char source_file[256];   /* dm:SourceFile: the photo's file name (no folder) */
  char source_hash[33];    /* dm:SourceHash: XXH3-128 of the photo's bytes, hex */
  char output_file[4096];  /* dm:OutputFile: the output last rendered (absolute path) */
  char output_hash[33];    /* dm:OutputHash: XXH3-128 of that output's bytes */
  char depth_source[512];  /* dm:DepthSource: "file PATH", "embedded KIND", "networks" */
  char matte_source[512];  /* dm:MatteSource: "none", "file PATH", "embedded", "network" */
  char depth_models[512];  /* dm:DepthModels: "name sha256" of each network used, ", "-joined */
  char fusion_version[16]; /* dm:FusionVersion of the fused network depth */
  char raw_file_name[256]; /* crs:RawFileName as Lightroom wrote it (read only; kept in the document) */
  char raw_look[16];       /* dm:RawLook: "neutral" keeps a camera raw linear; "" or "default":
                              the default look (src/color/look.h), from process version 5 */
  int process_version;     /* dm:ProcessVersion */
} dm_recipe_photo;

/* Lens Blur's refine strokes (crs:DepthBasedCorrections, Lightroom's Focus
 * and Blur brushes): applied to the depth before the blur (see xmp_refine.c
 * for the reading of LocalCorrectedDepth); set with --set refine[N].KEY
 * (name, amount 0..100, active, depth, mask[M]...). */
typedef struct dm_refine {
  int n;
  dm_correction *strokes;   /* n entries: their masks, name, amount, active */
  float *depth;             /* n entries: the depth painted in, 0 (near) .. 100 (far), the
                               Depth Range scale (crs:LocalCorrectedDepth = depth / 100) */
} dm_refine;

typedef struct dm_recipe {
  int version;              /* dm:RecipeVersion of the file read (DM_RECIPE_VERSION after upgrade) */
  int source_version;       /* dm:RecipeVersion as found in the file (0: none, a plain Lightroom
                               sidecar); DM_RECIPE_VERSION for a recipe built in memory */
  int n_corrections;
  dm_correction *corrections; /* DM_MAX_CORRECTIONS entries allocated; those from n_corrections
                                 on are all zero until used (dm_recipe_set appends with defaults) */
  dm_preserved *extra;      /* the rest of the document */
  dm_recipe_photo photo;    /* who the sidecar belongs to, its last output, provenance */
  dm_refine refine;         /* Lens Blur's refine strokes (per photo; a preset keeps the photo's) */
  dm_lens_blur lens_blur;   /* crs:LensBlur + dm:LensBlurSettings; defaults (inactive) from
                               dm_recipe_init. --set lens_blur.<key> of any key but `active`
                               also sets active = 1 (a later lens_blur.active=false wins) */
} dm_recipe;

dm_status dm_recipe_init(dm_context *ctx, dm_recipe *r);
void dm_recipe_free(dm_recipe *r);
/* Back to what dm_recipe_init gives, keeping the allocation. */
void dm_recipe_clear(dm_recipe *r);

/* Correction keys on top of the slider table: amount and active (floats in
 * dm_correction); name is a string, set by its key. */
const dm_param *dm_correction_params(int *n);

/* Read a sidecar (replacing r's content; on failure r is left as it was).
 * Upgrades old dm:RecipeVersion. Hostile input is safe: no network, no DTD,
 * no entities; at most 64 MiB. */
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
 *   correction[0].mask[2].kind=brush   correction[0].mask[2].stroke[0].radius=0.04
 *   correction[0].mask[2].stroke[0].dabs=0.5,0.5,0.52,0.5 (set.c has every key)
 *   lens_blur.amount=70  lens_blur.focal_range=0,0,35,60  lens_blur.mode=physical
 *   lens_blur.bokeh=blades  lens_blur.active=false
 * Indexing one past the end appends a new correction / component / stroke
 * with defaults. Setting a lens_blur key other than `active` turns the lens blur
 * on; lens_blur.active=false after it turns it off (values kept). Checks
 * across lens blur fields wait for dm_recipe_check. Unknown keys and bad
 * values fail naming the key. */
dm_status dm_recipe_set(dm_context *ctx, dm_recipe *r, const char *assignment);
/* Sort "KEY=VALUE" assignments (stably) into the order several are applied
 * in, whatever order they were given in (set_order.c): corrections by
 * index, a component's kind before its other fields, strokes by index,
 * lens_blur.active after the other lens_blur keys. The CLI's --set options
 * and the editor's PATCH go through it, so both report the same first bad
 * assignment. */
dm_status dm_recipe_set_sort(dm_context *ctx, const char **assignments, int n);

/* Remove correction[ci], the component in slot correction[ci].mask[slot]
 * (a kept Lightroom one too: it is then not written back), or stroke si of
 * that brush component (remove.c); the ones after move up one. An index
 * out of range fails naming it, changing nothing. */
dm_status dm_recipe_remove_correction(dm_context *ctx, dm_recipe *r, int ci);
dm_status dm_recipe_remove_mask(dm_context *ctx, dm_recipe *r, int ci, int slot);
dm_status dm_recipe_remove_stroke(dm_context *ctx, dm_recipe *r, int ci, int slot, int si);
/* Remove Lens Blur's refine[i] (a Focus or Blur stroke set). */
dm_status dm_recipe_remove_refine(dm_context *ctx, dm_recipe *r, int i);

/* Apply a preset: its corrections and its lens blur replace r's (a preset
 * carries no per-photo fields; Lightroom's unmodelled crs:LensBlur fields
 * stay as r's sidecar has them). */
dm_status dm_recipe_apply_preset(dm_context *ctx, dm_recipe *r, const dm_recipe *preset);

/* The --set keys, as `depthmask keys` lists them, from the parameter
 * tables (the only source). `key` is written with N, M and S for the indices;
 * `param` is NULL for the keys that take a name or text (name, kind, mode,
 * path), with `choices` ("a|b|c") where the names are fixed; `kinds` lists
 * the mask kinds that have a component key (NULL: every kind). */
typedef struct dm_set_key {
  char key[96];
  const char *field;
  const dm_param *param;
  const char *kinds;
  const char *choices;
  const char *doc;
} dm_set_key;
enum { DM_KEYS_CORRECTION = 1, DM_KEYS_MASK = 2, DM_KEYS_LENS_BLUR = 4, DM_KEYS_STROKE = 8,
       DM_KEYS_REFINE = 16, DM_KEYS_ALL = 31 };
/* STROKE: correction[N].mask[M].stroke[S]. of a brush; REFINE: refine[N].
 * (a refine stroke set's masks take the correction[N].mask[M]. keys) */
typedef void (*dm_set_key_fn)(void *user, const dm_set_key *k);
void dm_set_keys_each(unsigned scopes, dm_set_key_fn fn, void *user);
/* "did you mean X? valid: a, b, ..." (or "valid: ...") for an unknown field
 * `word` among the keys of `scopes`. */
void dm_set_keys_suggest(unsigned scopes, const char *word, char *out, size_t out_len);

/* Every value a recipe holds, as the --set key that sets it (values.c):
 * the keys of dm_set_keys_each instantiated for each correction, component
 * (the kind's own keys only; path for kind file) and brush stroke, then
 * lens_blur. The order is one dm_recipe_set can apply them in to rebuild
 * the recipe: a correction's fields, then its components in slot order
 * (kind first), a brush's strokes (dabs first), lens_blur.active last.
 * A Lightroom component the recipe keeps but does not model gives its kind
 * only, with `kept` set and its crs:What as the text ("Mask/Image"): it
 * cannot be set. Strings (key, text) live while fn runs. fn's status stops
 * the walk and is returned. ctx may be NULL. */
typedef struct dm_recipe_value {
  const char *key;       /* "correction[0].mask[1].depth_range" */
  const char *field;     /* its last part, "depth_range" */
  const dm_param *param; /* numbers and booleans (the component's kind's entry); NULL for text */
  const float *v;        /* param->count floats; NULL for text */
  const char *text;      /* the value as dm_recipe_set takes it: "40,100", "true", "physical" */
  int named;             /* a number the user types by name (lens_blur.mode, bokeh): text is it */
  int kept;              /* a kept Lightroom component's kind: text is its crs:What */
} dm_recipe_value;
typedef dm_status (*dm_recipe_value_fn)(void *user, const dm_recipe_value *v);
dm_status dm_recipe_each_value(dm_context *ctx, const dm_recipe *r, dm_recipe_value_fn fn,
                               void *user);

/* Lightroom settings the recipe holds but a render does not apply
 * (crs_fields.c): `kept` lists, ", "-joined, the global Develop settings
 * off their default (Exposure2012=+0.35, ...) and crs fields this build
 * does not know; `refused` the local edits in forms depthmask cannot render
 * (legacy PaintBasedCorrections, ...). "" when
 * none. */
void dm_recipe_unapplied(const dm_recipe *r, char *kept, size_t klen, char *refused, size_t rlen);
/* The README's table of every crs field and what depthmask does with it. */
void dm_crs_fields_table(FILE *f);

/* The sidecar a photo's edit is written to (sidecar.c): photo.cr2 ->
 * photo.xmp for camera RAW (Lightroom), photo.jpg -> photo.jpg.xmp for
 * every other file (darktable), so RAW+JPEG pairs never share one; a name
 * without extension gets ".xmp". `out` is set to "" if it is too small. */
void dm_sidecar_path(const char *image_path, char *out, size_t out_len);
/* Is the name a camera RAW file's (by extension, as Lightroom tells)? */
int dm_is_raw_name(const char *path);
/* The sidecar to read for a photo: its own (dm_sidecar_path) when it
 * exists, else a legacy photo.xmp beside a non-RAW photo when no RAW of
 * that base name lies beside it (*legacy = 1: read it, never write it).
 * Returns 0 when there is none. The caller still checks the owner. */
int dm_sidecar_find(const char *image_path, char *out, size_t out_len, int *legacy);
/* The file a sidecar read into `r` says it belongs to, when that is not
 * `image_path` (by name: dm:SourceFile, else Lightroom's crs:RawFileName; a
 * photo renamed with its sidecar is recognised by dm:SourceHash =
 * image_hash); NULL when it is this photo's or names none. */
const char *dm_sidecar_other_owner(const dm_recipe *r, const char *image_path,
                                   const char *image_hash);

/* Check everything a write would check (every value in its hard range, mask
 * components consistent, names and paths writable), so a caller can report
 * a bad --set before rendering. dm_recipe_write_* call it. */
dm_status dm_recipe_check(dm_context *ctx, const dm_recipe *r);

/* Mask components of Lightroom kinds depthmask does not render (AI masks
 * other than Select Subject / Select Background, colour ranges, brushes
 * Camera Raw stored as an opaque crs:MaskBrushTable, disabled components,
 * ...) are kept in the
 * correction's `extra`, at their place in the file's order, and written back
 * unchanged. They are not in `masks` and are not rendered. --set indices
 * (correction[N].mask[M]) count them, so they match Lightroom's order:
 * dm_correction_n_slots() = n_masks + dm_correction_n_preserved(). */
int dm_correction_n_preserved(const dm_correction *c);
int dm_correction_n_slots(const dm_correction *c);
/* For slot M: the index into c->masks, -1 when the slot holds a preserved
 * component (then *what, if given, is its crs:What), -2 when M is not
 * below dm_correction_n_slots(). */
int dm_correction_slot_mask(const dm_correction *c, int slot, const char **what);
/* The slot of the first kept component that is switched on (crs:MaskActive
 * absent or true): it would change the picture, so rendering the
 * correction without it would be wrong (DESIGN section 6). -1 when there is
 * none; *what (if given) gets its crs:What. Switched-off ones never count. */
int dm_correction_unrendered(const dm_correction *c, const char **what);

void dm_refine_free(dm_refine *f);
/* Deep copy; dst must be empty (zeroed or freed). On failure dst holds what
 * was copied so far (free it with dm_refine_free). */
dm_status dm_refine_copy(dm_context *ctx, dm_refine *dst, const dm_refine *src);
/* refine[N]. keys: amount (at most 100: a stroke moves the depth at most
 * all the way to its own) and active, over the stroke set's dm_correction,
 * as the correction's keys are; and depth, over its float in dm_refine.depth. */
const dm_param *dm_refine_params(int *n);
const dm_param *dm_refine_depth_param(void);
#define DM_REFINE_MAX_AMOUNT 100.0f

/* A correction with defaults: active, amount 100, sliders neutral, no masks. */
void dm_correction_init(dm_correction *c);
/* Deep copy (extra and brush strokes included); dst must not hold anything
 * (init'ed or freed). On failure dst is as dm_correction_init leaves it. */
dm_status dm_correction_copy(dm_context *ctx, dm_correction *dst, const dm_correction *src);
/* Free what a correction owns (its extra, its components' brush strokes)
 * and reset it with defaults. */
void dm_correction_clear(dm_correction *c);
/* Free what it owns and nothing more (the rest is left as it was, the
 * pointers NULL): for arrays that are zeroed or dropped next. */
void dm_correction_release(dm_correction *c);

#endif
