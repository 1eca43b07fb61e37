/* Parameter descriptors: every tunable value is described once, here-style,
 * and the CLI (--set), the recipe (XMP), the editor and the docs read the
 * same table (GEGL property_* / libvips VIPS_ARG_* in plain C11).
 *
 * A descriptor locates its float inside a struct with `offset` (offsetof),
 * so one generic setter/getter serves every op and mask kind. */
#ifndef DM_PARAM_H
#define DM_PARAM_H

#include <stddef.h>

#include "core/context.h"

typedef enum dm_param_type {
  DM_PARAM_FLOAT,  /* one float */
  DM_PARAM_BOOL,   /* a float holding 0 or 1 */
  DM_PARAM_VEC,    /* `count` floats, written "a,b,c" on the command line */
} dm_param_type;

typedef struct dm_param {
  const char *key;      /* --set / dm: key, snake_case: "exposure" */
  const char *label;    /* UI label, as Lightroom names it: "Exposure" */
  dm_param_type type;
  int count;            /* floats for DM_PARAM_VEC, else 1 */
  size_t offset;        /* offsetof(struct, field) of the first float */
  float def;            /* default (for every element of a VEC unless `defs`) */
  float min, max;       /* hard range: values outside are rejected */
  float ui_min, ui_max; /* slider range shown to users */
  const char *xmp_name; /* crs: attribute Lightroom writes, NULL if none */
  float xmp_scale;      /* xmp value = value * xmp_scale (LocalExposure2012 = EV/4 → 0.25) */
  const char *doc;      /* one line for --help and docs */
  const float *defs;    /* per-element defaults of a VEC (count floats), or NULL = all `def` */
} dm_param;

/* Find a descriptor by key in a table of n entries; NULL if absent. */
const dm_param *dm_param_find(const dm_param *table, int n, const char *key);

/* Pointer to the descriptor's first float inside `base`. */
static inline float *dm_param_ptr(const dm_param *p, void *base) {
  return (float *)((char *)base + p->offset);
}

/* Set every parameter of a table to its default. */
void dm_param_defaults(const dm_param *table, int n, void *base);

/* Parse `text` ("-0.7", "true", "40,100") into the descriptor's floats and
 * check the hard range. `subject` names the key in the error message. */
dm_status dm_param_parse(dm_context *ctx, const dm_param *p, void *base, const char *text,
                         const char *subject);

/* Check a value already in place against the hard range. */
dm_status dm_param_check(dm_context *ctx, const dm_param *p, const void *base, const char *subject);

/* Format the descriptor's value as it is written on the command line. */
void dm_param_format(const dm_param *p, const void *base, char *out, size_t out_len);

/* Strict number parsing: the whole string must be a finite number. */
int dm_parse_float(const char *text, float *out);
int dm_parse_int(const char *text, int *out);

#endif
