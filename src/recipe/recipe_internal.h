/* Internal to src/recipe: the kept XML (dm_preserved), libxml2 helpers, the
 * Lightroom field tables, and the pieces the read and write halves share.
 *
 * Ownership: a dm_preserved owns one xmlDoc. The recipe's holds the whole
 * sidecar as read, with crs:MaskGroupBasedCorrections emptied (it marks
 * where the corrections go back). A correction's holds a copy of its own
 * <rdf:li> from the file, every mask component included; components are
 * found again by their index among the <rdf:Seq>'s element children, so a
 * copied dm_preserved needs no pointer fix-ups. */
#ifndef DM_RECIPE_INTERNAL_H
#define DM_RECIPE_INTERNAL_H

#include <libxml/tree.h>
#include <stdarg.h>

#include "recipe/recipe.h"

#define DM_RDF_NS "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#define DM_XMPMETA_NS "adobe:ns:meta/"
#define DM_XMP_MAX_BYTES ((size_t)64 << 20)

/* A component of a Lightroom kind we keep but do not model. */
typedef struct dm_kept_comp {
  int slot;      /* position among the correction's components (file order) */
  int index;     /* index of its <rdf:li> among the stored Seq's element children */
  char what[64]; /* its crs:What, for messages */
  int active;    /* it would change the picture (crs:MaskActive not false) */
} dm_kept_comp;

struct dm_preserved {
  xmlDocPtr doc;
  /* Corrections only. masks[k] came from stored Seq child known_index[k]
   * (-1: made here) when it had kind known_kind[k]. */
  int n_known;
  int known_index[DM_MAX_MASKS];
  dm_mask_kind known_kind[DM_MAX_MASKS];
  int n_kept, cap_kept;
  dm_kept_comp *kept; /* sorted by slot */
};

/* ---- preserved.c ---- */
dm_preserved *dm_preserved_new(void);
void dm_preserved_free(dm_preserved *p);
dm_preserved *dm_preserved_copy(const dm_preserved *p); /* NULL on OOM */
int dm_preserved_add_kept(dm_preserved *p, int slot, int index, const char *what, int active);
/* The correction's stored <rdf:Seq> of components, or NULL. */
xmlNodePtr dm_preserved_seq(const dm_preserved *p);
/* Element child number `index` of the stored Seq, or NULL. */
xmlNodePtr dm_preserved_component(const dm_preserved *p, int index);
/* The original node for masks[k] if it still describes a component of that
 * kind, else NULL. */
xmlNodePtr dm_preserved_known(const dm_preserved *p, int k, dm_mask_kind kind);
/* masks[] and kept-slot bookkeeping for dm_recipe_set. */
void dm_preserved_forget_known(dm_preserved *p, int k);
void dm_preserved_insert_known(dm_preserved *p, int k); /* a new masks[k], shifting the rest */
void dm_preserved_remove_known(dm_preserved *p, int k); /* masks[k] removed, shifting the rest */
void dm_preserved_remove_kept(dm_preserved *p, int j);

/* Walk a correction's slots in order: each step gives the masks[] index k
 * (or -1) and the kept index j (or -1) of the next slot; it.s is then the
 * slot after it. Start from {0, 0, 0}. */
typedef struct dm_slot_iter {
  int s, k, j;
} dm_slot_iter;
int dm_slot_next(const dm_correction *c, dm_slot_iter *it, int *k, int *j);
/* Components a correction may hold, kept ones included. */
#define DM_MAX_SLOTS 1024

/* ---- xml_util.c ---- */
int dm_xml_is(xmlNodePtr n, const char *ns, const char *local);
xmlNodePtr dm_xml_first_elem(xmlNodePtr parent);
xmlNodePtr dm_xml_next_elem(xmlNodePtr n);
xmlNodePtr dm_xml_child(xmlNodePtr parent, const char *ns, const char *local);
/* The node that carries an RDF resource's properties: the single
 * rdf:Description inside `n` if there is one, else `n` itself. */
xmlNodePtr dm_xml_props(xmlNodePtr n);
/* Non-blank text directly inside `n`? */
int dm_xml_has_text(xmlNodePtr n);

/* Parse untrusted XML: no network, no DTD (a DOCTYPE is refused), no entity
 * expansion; errors name `name` and the line. */
dm_status dm_xml_parse(dm_context *ctx, const char *buf, size_t len, const char *name,
                       xmlDocPtr *out);

/* A simple property of a resource, as an attribute (ns:local="v") or as an
 * element with text (<ns:local>v</ns:local>). */
typedef struct dm_prop {
  xmlAttrPtr attr;
  xmlNodePtr elem;
  int count; /* 2 = given twice */
} dm_prop;
void dm_xml_find_prop(xmlNodePtr n, const char *ns, const char *local, dm_prop *p);
/* The text of a property (malloc'd, trimmed; NULL if absent). Returns 0 if
 * it is there but not a simple value (given twice, or a structure). */
int dm_xml_prop_text(xmlNodePtr n, const char *ns, const char *local, char **out);
/* Set a property in place (attribute or element, whichever it is), or add
 * it: as an element for an rdf:parseType="Resource" node, else as an
 * attribute. Returns 0 on OOM. */
int dm_xml_prop_set(xmlNodePtr n, const char *ns, const char *prefix, const char *local,
                    const char *value);
void dm_xml_prop_remove(xmlNodePtr n, const char *ns, const char *local);
/* A malloc'd copy of s (NULL: "") without leading and trailing white space;
 * NULL on OOM. */
char *dm_xml_trimmed_dup(const xmlChar *s);
/* Unlink and free every child of n. */
void dm_xml_remove_children(xmlNodePtr n);
/* Whether n has the property at all. */
int dm_xml_has_prop(xmlNodePtr n, const char *ns, const char *local);
/* Writers' helpers that stop at the first OOM and remember it in *oom:
 * set a crs: or dm: property (prefix from the namespace), and append a new
 * child element (NULL on OOM). */
void dm_xml_put(int *oom, xmlNodePtr n, const char *ns, const char *local, const char *value);
xmlNodePtr dm_xml_new_child(int *oom, xmlNodePtr parent, const char *ns, const char *pfx,
                            const char *local);
/* The namespace `href` in scope at `n`, declared on `n` (prefix `prefix`,
 * or a free variant) if none is. */
xmlNsPtr dm_xml_ns(xmlNodePtr n, const char *href, const char *prefix);
/* Drop namespace declarations that repeat one in scope (copies from other
 * documents bring their own). */
void dm_xml_tidy_ns(xmlNodePtr root);
/* Does the property already say this (numbers read as x * a + b, space
 * separated; or a boolean in either spelling)? Then a rewrite leaves
 * Lightroom's own spelling alone ("-43.945287" and "-43.945286" are the
 * same float). */
int dm_xml_prop_same_numbers(xmlNodePtr n, const char *ns, const char *local, const float *u,
                             int count, double a, double b);
int dm_xml_prop_same_bool(xmlNodePtr n, const char *ns, const char *local, int v);
/* NULL when `s` can go into a sidecar and come back the same: valid UTF-8
 * made of characters XML 1.0 allows, not starting or ending with white
 * space (reads trim values); else what is wrong with it. */
const char *dm_xml_text_problem(const char *s);

/* ---- xmp_serialize.c ---- */
/* The document as text, laid out the way Adobe's XMP toolkit lays out a
 * sidecar (one attribute per line). malloc'd, NUL-terminated. */
dm_status dm_xmp_serialize(dm_context *ctx, xmlDocPtr doc, char **out, size_t *len);

/* ---- lr_fields.c ---- */
/* Lightroom's crs:What for a component kind we write. */
#define DM_LR_GRADIENT "Mask/Gradient"
#define DM_LR_RADIAL "Mask/CircularGradient"
#define DM_LR_RANGE "Mask/RangeMask"
#define DM_LR_IMAGE "Mask/Image"
#define DM_LR_FILE "dm:File"
#define DM_LR_AGGREGATE "Mask/Aggregate" /* a Brush: crs:Masks of strokes */
#define DM_LR_PAINT "Mask/Paint"         /* one brush stroke */
/* Where a component float lives in Lightroom's fields. */
typedef enum dm_lr_where {
  DM_LR_ATTR,      /* crs:<name> on the component, value x scale */
  DM_LR_LUMRANGE,  /* one of the four crs:LumRange numbers inside crs:CorrectionRangeMask */
  DM_LR_RANGE_ATTR, /* crs:<name> inside crs:CorrectionRangeMask, value x scale (DepthMin...) */
  DM_LR_DM,        /* dm:<key>, our own units */
  DM_LR_SPECIAL,   /* invert and opacity: MaskInverted / MaskValue, see lr_fields.c */
} dm_lr_where;
typedef struct dm_lr_field {
  dm_lr_where where;
  const char *name; /* crs local name (ATTR) or key (DM) */
  double inv;       /* user value = xmp value x inv */
  int element;      /* LUMRANGE: which of the four */
} dm_lr_field;
/* Where float `i` (0..count-1) of mask parameter `p` goes. */
dm_lr_field dm_lr_mask_field(const dm_param *p, int i);
/* 1 / xmp_scale, snapped to an integer when it is one (4, 100). */
double dm_lr_inv(float xmp_scale);
/* The shortest spelling, at least `min_dec` decimals for a fixed-point
 * field (LumRange) else Lightroom's plain form ("-0.175", "1"), of the
 * Lightroom value of user value `u` that reads back to exactly `u`. */
void dm_lr_format(char *out, size_t len, float u, double inv, int min_dec);
/* The same for a field read as u = x * a + b (MaskValue of a subtract:
 * opacity = (1 - x) x 100). */
void dm_lr_format_affine(char *out, size_t len, float u, double a, double b, int min_dec);
/* Correction keys on top of the sliders: amount and active (floats in
 * dm_correction); name is a string. */
const dm_param *dm_lr_correction_params(int *n);
/* The linear gradient that stands for whole_image in Lightroom. */
extern const float dm_lr_whole_zero[2], dm_lr_whole_full[2];
/* Lightroom's AI mask types (crs:MaskSubType of a Mask/Image) and the
 * crs:MaskSubCategoryID of Select Background (lr_fields.c). */
enum { DM_LR_SUB_OBJECT = 0, DM_LR_SUB_SUBJECT = 1, DM_LR_SUB_MAX = 3, DM_LR_CAT_BACKGROUND = 22 };
/* UI name Lightroom gives a new component of `kind`: "Radial Gradient". */
const char *dm_lr_mask_label(dm_mask_kind kind);
/* 32 upper-case hex digits, from a hash of the words given. */
void dm_lr_sync_id(char out[33], const char *what, int a, int b, const char *s);

/* ---- upgrade.c ---- */
/* Bring a document of dm:RecipeVersion `from` up to DM_RECIPE_VERSION. */
dm_status dm_recipe_upgrade(dm_context *ctx, const char *name, xmlDocPtr doc, xmlNodePtr rdf,
                            int from);

/* ---- read side (xmp_read*.c) ---- */
typedef struct dm_rd {
  dm_context *ctx;
  const char *file; /* names every error */
} dm_rd;
dm_status dm_rd_fail(dm_rd *rd, dm_status s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Read an optional number / bool / int property; *found says if it was there. */
dm_status dm_rd_number(dm_rd *rd, xmlNodePtr n, const char *ns, const char *local,
                       const char *where, double *out, int *found);
dm_status dm_rd_bool(dm_rd *rd, xmlNodePtr n, const char *ns, const char *local,
                     const char *where, int *out, int *found);
/* Read one float of a parameter: checks number, scaling and hard range. */
dm_status dm_rd_param(dm_rd *rd, xmlNodePtr n, const char *ns, const char *local,
                      const char *where, const dm_param *p, double inv, float *out, int *found);
/* Fail if `n` has dm: attributes or dm: property elements other than the
 * ones listed (NULL-terminated). */
dm_status dm_rd_only_dm(dm_rd *rd, xmlNodePtr n, const char *where, const char *const *allowed);
/* Read the components of one correction (the copy in c->extra). */
dm_status dm_rd_components(dm_rd *rd, xmlNodePtr seq, int ci, dm_correction *c);

/* ---- xmp_lens_blur.c ---- */
/* crs:LensBlur and dm:LensBlurSettings of the top rdf:Descriptions into lb
 * (defaults for what is absent); strict, errors name crs:LensBlur/<Field>. */
dm_status dm_rd_lens_blur(dm_rd *rd, xmlNodePtr rdf, dm_lens_blur *lb);
/* Will the write put a crs:LensBlur in the document (one is there, or lb
 * is off its defaults)? */
int dm_wr_lens_blur_wanted(xmlNodePtr rdf, const dm_lens_blur *lb);
/* Update or create crs:LensBlur (new ones go last in `main`) and
 * dm:LensBlurSettings. Returns 0 on OOM. */
int dm_wr_lens_blur(xmlNodePtr rdf, xmlNodePtr main, const dm_lens_blur *lb);
int dm_lens_blur_is_default(const dm_lens_blur *lb);
/* Value names of the lens blur keys users type names for (mode, bokeh):
 * NULL-terminated, index = value; NULL for other keys. */
const char *const *dm_lb_names(const dm_param *p);
int dm_lb_name_value(const dm_param *p, const char *text, float *out);
void dm_lb_names_list(const char *const *names, char *out, size_t len); /* "a, b, c" */

/* ---- xmp_read.c, xmp_refine.c ---- */
/* One crs:What="Correction" <rdf:li> into c (its copy kept in c->extra);
 * messages name it label[ci]. */
dm_status dm_rd_correction(dm_rd *rd, xmlNodePtr li, const char *label, int ci, dm_correction *c);
/* Lens Blur's refine strokes (crs:DepthBasedCorrections) into r->refine;
 * the XML stays in the document and is written back as it was. */
dm_status dm_rd_refine(dm_rd *rd, xmlNodePtr rdf, dm_recipe *r);

/* ---- xmp_photo.c ---- */
/* The dm: names allowed on a top-level rdf:Description (NULL-terminated). */
const char *const *dm_photo_dm_names(void);
dm_status dm_rd_photo(dm_rd *rd, xmlNodePtr rdf, dm_recipe_photo *p);
/* Put p's fields on `main` (removing them elsewhere); 0 on OOM. */
int dm_wr_photo(xmlNodePtr rdf, xmlNodePtr main, const dm_recipe_photo *p);

/* ---- write side (xmp_write*.c) ---- */
dm_status dm_wr_component(dm_context *ctx, xmlNodePtr seq, const dm_correction *c, int ci,
                          int k, int slot);
/* Set numbers read as x * a + b (count of them, joined by sep), Lightroom's
 * spelling (dm_lr_format_affine, min_dec), unless the property already says
 * the same (then its spelling stays). Stops at the first OOM (*oom). */
void dm_wr_num(int *oom, xmlNodePtr n, const char *ns, const char *local, const float *u,
               int count, double a, double b, int min_dec, const char *sep);

/* ---- xmp_brush.c: Brush components (Mask/Aggregate of Mask/Paint strokes) ---- */
/* Is the Aggregate C one depthmask renders (*ok = 1: strokes only, each
 * switched on, adding, not inverted; no crs:MaskBrushTable)? Otherwise it
 * is kept as written. Fails only on a field of the wrong type. */
dm_status dm_rd_brush_shape(dm_rd *rd, xmlNodePtr C, const char *where, int *ok);
/* Read C's strokes into m (kind brush), strictly: every field of the wrong
 * type or out of range, every malformed crs:Dabs entry fails, naming it. */
dm_status dm_rd_brush(dm_rd *rd, xmlNodePtr C, const char *where, dm_mask_component *m);
/* Write m's strokes into C's crs:Masks (found or made); strokes and dabs
 * that did not change keep the file's spelling. Sets *oom on OOM. */
void dm_wr_brush(int *oom, xmlNodePtr C, const dm_mask_component *m, int ci, int slot);

#endif
