/* --set KEY=VALUE (DESIGN section 7):
 *   correction[N].<slider>            exposure, contrast, ... (dm_adjust_params keys)
 *   correction[N].amount|active|name
 *   correction[N].mask[M].kind=<kind>  resets the kind's parameters, keeps mode/invert/opacity
 *   correction[N].mask[M].mode=add|subtract|intersect
 *   correction[N].mask[M].invert|opacity|<parameter of the component's kind>
 *   correction[N].mask[M].path=FILE    (kind file)
 *   correction[N].mask[M].stroke[S].dabs=X,Y,X,Y,...   (kind brush: the
 *     stroke's dabs, fractions of the photo, replacing the ones it had)
 *   correction[N].mask[M].stroke[S].radius|flow|feather|density|erase
 *     (dm_brush_stroke_params; radius, flow and feather go to every dab)
 * N, M or S equal to the current count appends (a new correction: active,
 * amount 100, sliders neutral, no masks; a new component: whole_image, add;
 * a new stroke: the stroke defaults, no dabs). kind=brush makes an empty
 * brush; strokes are only ever appended, in painting order.
 * M counts Lightroom components depthmask keeps but does not render (see
 * recipe.h); on one of those only kind= is allowed, and replaces it.
 *   lens_blur.<key>                   every key of dm_lens_blur_params():
 *     lens_blur.active=true|false     lens_blur.amount=70
 *     lens_blur.mode=artistic|physical        lens_blur.bokeh=circle|blades|ring|bubble
 *     (mode and bokeh also take their numbers, 0.., as the table stores them)
 *     lens_blur.focal_range=0,0,35,60 (nearOuter <= nearInner <= farInner <= farOuter)
 *     lens_blur.f_mm=85  lens_blur.f_number=1.8  lens_blur.focus_m=1.5 ...
 *   Setting any lens_blur key other than `active` turns the blur on (a user
 *   who types lens_blur.amount=70 wants to see a blur): active becomes 1.
 *   lens_blur.active=false given later on the command line turns it off
 *   again and keeps the values; given earlier, a later key turns it on.
 *   Checks across fields (physical mode: focus beyond the focal length) are
 *   left to dm_recipe_check, so the keys may come in any order.
 *   refine[N].depth|amount|active|name, refine[N].mask[M]...: Lens Blur's
 *     Refine (Focus and Blur) stroke sets; amount at most 100, depth on the
 *     Depth Range scale (0 near .. 100 far). A new one is active, amount 100,
 *     its depth the middle of the focal range's sharp band.
 * Values go through dm_param_parse (hard ranges). Errors name the key. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mask/brush.h"
#include "recipe/recipe_internal.h"

/* "[N]" at *p: N >= 0 in decimal, no sign, no spaces. */
static int parse_index(const char **p, int *out) {
  const char *s = *p;
  if (*s != '[') return 0;
  s++;
  if (*s < '0' || *s > '9') return 0;
  long v = 0;
  while (*s >= '0' && *s <= '9') {
    v = v * 10 + (*s - '0');
    if (v > 1000000) return 0;
    s++;
  }
  if (*s != ']') return 0;
  *out = (int)v;
  *p = s + 1;
  return 1;
}

static dm_status set_text(dm_context *ctx, char *dst, size_t cap, const char *value,
                          const char *key, int nonempty) {
  if (strlen(value) >= cap) return dm_fail(ctx, DM_ERR_PARAM, key, "longer than %zu bytes", cap - 1);
  const char *why = dm_xml_text_problem(value);
  if (why) return dm_fail(ctx, DM_ERR_PARAM, key, "%s", why);
  if (nonempty && !*value) return dm_fail(ctx, DM_ERR_PARAM, key, "empty");
  strcpy(dst, value);
  return DM_OK;
}

static dm_status kinds_list(dm_context *ctx, const char *key, const char *value) {
  char list[256] = "";
  size_t used = 0;
  for (int k = 0; k < DM_MASK_KIND_COUNT && used < sizeof list; k++)
    used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", k ? ", " : "",
                             dm_mask_kind_name((dm_mask_kind)k));
  return dm_fail(ctx, DM_ERR_PARAM, key, "unknown mask kind \"%s\" (%s)", value, list);
}

/* Is `field` a parameter of some other kind? */
static int param_of_any_kind(const char *field) {
  if (!strcmp(field, "path")) return 1;
  for (int k = 0; k < DM_MASK_KIND_COUNT; k++) {
    int n;
    const dm_param *t = dm_mask_params((dm_mask_kind)k, &n);
    if (dm_param_find(t, n, field)) return 1;
  }
  return 0;
}

static int is_stroke_key(const char *field) {
  int n;
  const dm_param *t = dm_brush_stroke_params(&n);
  return !strcmp(field, "dabs") || dm_param_find(t, n, field);
}

/* correction[N].mask[M].stroke[S].<key> of a brush component. Nothing
 * changes on failure. */
static dm_status set_stroke(dm_context *ctx, dm_mask_component *m, const char *field,
                            const char *value, const char *key) {
  if (m->kind != DM_MASK_BRUSH)
    return dm_fail(ctx, DM_ERR_PARAM, key, "strokes belong to brush components, not %s "
                   "(kind=brush first)", dm_mask_kind_name(m->kind));
  const char *p = field + 6;
  int si;
  if (!parse_index(&p, &si) || *p != '.' || !p[1])
    return dm_fail(ctx, DM_ERR_PARAM, key, "malformed key: expected "
                   "correction[N].mask[M].stroke[S].FIELD with S >= 0");
  const char *sk = p + 1;
  if (!is_stroke_key(sk)) {
    char hint[512];
    dm_set_keys_suggest(DM_KEYS_STROKE, sk, hint, sizeof hint);
    return dm_fail(ctx, DM_ERR_PARAM, key, "unknown key (%s)", hint);
  }
  int n = dm_brush_n_strokes(m->brush), all = dm_brush_n_dabs(m->brush);
  if (si > n)
    return dm_fail(ctx, DM_ERR_PARAM, key, "the brush has %d stroke%s; stroke[%d] would add one",
                   n, n == 1 ? "" : "s", n);
  if (si < n) {
    dm_brush_stroke *s = &m->brush->strokes[si];
    return dm_brush_stroke_set(ctx, s, sk, value, all - s->n_dabs, key);
  }
  dm_brush_stroke s;
  dm_brush_stroke_init(&s);
  dm_status st = dm_brush_stroke_set(ctx, &s, sk, value, all, key);
  if (!st) st = dm_brush_add_stroke(ctx, m, &s);
  dm_brush_stroke_free(&s);
  return st;
}

static dm_status set_mask_field(dm_context *ctx, dm_mask_component *m, const char *field,
                                const char *value, const char *key, int *kind_changed) {
  *kind_changed = 0;
  if (!strncmp(field, "stroke", 6) && (field[6] == '[' || field[6] == '.' || !field[6]))
    return set_stroke(ctx, m, field, value, key);
  if (!strcmp(field, "kind")) {
    dm_mask_kind kind;
    if (!dm_mask_kind_from_name(value, &kind)) return kinds_list(ctx, key, value);
    if (kind == m->kind) return DM_OK;
    dm_mask_component nc;
    dm_mask_component_init(&nc, kind);
    nc.mode = m->mode, nc.invert = m->invert, nc.opacity = m->opacity;
    *m = nc;
    *kind_changed = 1;
    return DM_OK;
  }
  if (!strcmp(field, "mode")) {
    dm_mask_mode mode;
    if (!dm_mask_mode_from_name(value, &mode))
      return dm_fail(ctx, DM_ERR_PARAM, key, "unknown mode \"%s\" (add, subtract or intersect)",
                     value);
    m->mode = mode;
    return DM_OK;
  }
  if (!strcmp(field, "path") && m->kind == DM_MASK_FILE)
    return set_text(ctx, m->path, sizeof m->path, value, key, 1);
  int n;
  const dm_param *t = dm_mask_params(m->kind, &n);
  const dm_param *p = dm_param_find(t, n, field);
  if (p) {
    dm_mask_component tmp = *m;
    dm_status s = dm_param_parse(ctx, p, &tmp, value, key);
    if (s) return s;
    if (p->offset == offsetof(dm_mask_component, depth_range)) {
      if (!(tmp.depth_range[0] <= tmp.depth_range[1]))
        return dm_fail(ctx, DM_ERR_RANGE, key, "expected MIN,MAX with MIN <= MAX (0 = near .. "
                       "100 = far), got %s", value);
      if (tmp.depth_range[1] <= 1.0f && tmp.depth_range[1] > 0.0f)
        dm_log(ctx, DM_LOG_WARN, "%s=%s: depth_range is on the 0 (near) .. 100 (far) scale; "
               "Lightroom's XMP stores it as 0..1, so %g,%g may mean %g,%g", key, value,
               (double)tmp.depth_range[0], (double)tmp.depth_range[1],
               100.0 * tmp.depth_range[0], 100.0 * tmp.depth_range[1]);
    }
    *m = tmp;
    return DM_OK;
  }
  if (m->kind == DM_MASK_BRUSH && is_stroke_key(field))
    return dm_fail(ctx, DM_ERR_PARAM, key, "belongs to the brush's strokes: set "
                   "correction[N].mask[M].stroke[S].%s", field);
  if (param_of_any_kind(field) || is_stroke_key(field))
    return dm_fail(ctx, DM_ERR_PARAM, key, "not a parameter of %s (set the kind first: "
                   "correction[N].mask[M].kind=...)", dm_mask_kind_name(m->kind));
  char hint[1200];
  dm_set_keys_suggest(DM_KEYS_MASK, field, hint, sizeof hint);
  return dm_fail(ctx, DM_ERR_PARAM, key, "unknown key (%s)", hint);
}

/* `list`[ci].mask...: list is "correction" or "refine" (for messages). */
static dm_status set_mask(dm_context *ctx, dm_correction *c, const char *list, int ci,
                          const char *rest, const char *value, const char *key) {
  int slot;
  const char *p = rest;
  if (!parse_index(&p, &slot) || *p != '.' || !p[1])
    return dm_fail(ctx, DM_ERR_PARAM, key, "malformed key: expected %s[N].mask[M].FIELD "
                   "with N, M >= 0", list);
  const char *field = p + 1;
  int slots = dm_correction_n_slots(c);
  if (slot > slots)
    return dm_fail(ctx, DM_ERR_PARAM, key, "%s[%d] has %d mask component%s; mask[%d] "
                   "would add one", list, ci, slots, slots == 1 ? "" : "s", slots);
  const char *what = NULL;
  int k = slot < slots ? dm_correction_slot_mask(c, slot, &what) : c->n_masks;
  int kept = slot < slots && k == -1;
  if (kept && strcmp(field, "kind"))
    return dm_fail(ctx, DM_ERR_PARAM, key, "a Lightroom %s component, kept as written; only "
                   "kind= can replace it", what ? what : "");
  int append = slot == slots;
  if (append && slots >= DM_MAX_SLOTS)
    return dm_fail(ctx, DM_ERR_PARAM, key, "at most %d mask components", DM_MAX_SLOTS);
  if ((append || kept) && c->n_masks >= DM_MAX_MASKS)
    return dm_fail(ctx, DM_ERR_PARAM, key, "at most %d mask components", DM_MAX_MASKS);
  int kept_j = -1;
  if (kept) {
    /* masks[] index for the new component: the known ones before this slot. */
    dm_slot_iter it = {0, 0, 0};
    int kk, jj;
    while (it.s <= slot && dm_slot_next(c, &it, &kk, &jj)) kept_j = jj;
    k = it.k;
  }
  /* m shares c->masks[k]'s brush; set_mask_field changes nothing on failure. */
  dm_mask_component m;
  if (append || kept)
    dm_mask_component_init(&m, DM_MASK_ALL);
  else
    m = c->masks[k];
  dm_brush *old_brush = m.brush;
  int kind_changed;
  dm_status s = set_mask_field(ctx, &m, field, value, key, &kind_changed);
  if (s) return s;
  if (old_brush && m.brush != old_brush) dm_brush_free(old_brush); /* kind changed */
  if (append || kept) {
    if (kept) dm_preserved_remove_kept(c->extra, kept_j);
    memmove(&c->masks[k + 1], &c->masks[k], (size_t)(c->n_masks - k) * sizeof *c->masks);
    c->n_masks++;
    dm_preserved_insert_known(c->extra, k);
  } else if (kind_changed) {
    dm_preserved_forget_known(c->extra, k); /* its old node describes the old kind */
  }
  c->masks[k] = m;
  return DM_OK;
}

static dm_status set_lens_blur(dm_context *ctx, dm_lens_blur *lb, const char *field,
                               const char *value, const char *key) {
  int n;
  const dm_param *t = dm_lens_blur_params(&n);
  const dm_param *p = dm_param_find(t, n, field);
  if (!p) {
    char hint[1200];
    dm_set_keys_suggest(DM_KEYS_LENS_BLUR, field, hint, sizeof hint);
    return dm_fail(ctx, DM_ERR_PARAM, key, "unknown key (%s)", hint);
  }
  dm_lens_blur tmp = *lb;
  float *v = dm_param_ptr(p, &tmp);
  const char *const *names = dm_lb_names(p);
  if (!names || !dm_lb_name_value(p, value, v)) {
    float x;
    if (names && (!dm_parse_float(value, &x) || x != floorf(x) || x < p->min || x > p->max)) {
      char list[128];
      dm_lb_names_list(names, list, sizeof list);
      return dm_fail(ctx, DM_ERR_PARAM, key, "unknown %s \"%s\" (%s, or 0..%g)", p->key, value,
                     list, (double)p->max);
    }
    dm_status s = dm_param_parse(ctx, p, &tmp, value, key);
    if (s) return s;
  }
  const float *fr = tmp.focal_range;
  if (p->offset == offsetof(dm_lens_blur, focal_range) &&
      !(fr[0] <= fr[1] && fr[1] <= fr[2] && fr[2] <= fr[3]))
    return dm_fail(ctx, DM_ERR_RANGE, key,
                   "expected nearOuter <= nearInner <= farInner <= farOuter, got %s", value);
  if (strcmp(p->key, "active")) tmp.active = 1;
  *lb = tmp;
  return DM_OK;
}

static int is_mask_key(const char *rest) {
  return !strncmp(rest, "mask", 4) && (rest[4] == '[' || rest[4] == 0 || rest[4] == '.');
}

/* refine[i].FIELD: depth, name, amount (0..100), active, mask[M]...; on a
 * scratch copy, so a bad value changes nothing. */
static dm_status set_refine_field(dm_context *ctx, dm_correction *c, float *depth, int i,
                                  const char *rest, const char *value, const char *key) {
  if (is_mask_key(rest)) return set_mask(ctx, c, "refine", i, rest + 4, value, key);
  const dm_param *dp = dm_refine_depth_param();
  if (!strcmp(rest, dp->key)) return dm_param_parse(ctx, dp, depth, value, key);
  if (!strcmp(rest, "name")) return set_text(ctx, c->name, sizeof c->name, value, key, 0);
  int n;
  const dm_param *t = dm_refine_params(&n), *p = dm_param_find(t, n, rest);
  if (p) return dm_param_parse(ctx, p, c, value, key);
  char hint[512];
  dm_set_keys_suggest(DM_KEYS_REFINE, rest, hint, sizeof hint);
  return dm_fail(ctx, DM_ERR_PARAM, key, "unknown key (%s; masks: refine[N].mask[M].FIELD)", hint);
}

/* refine[N].FIELD. N equal to the count appends a stroke set: active,
 * amount 100, no masks, its depth the middle of the focal range's sharp
 * band (a Focus stroke; a Blur stroke sets depth). */
static dm_status set_refine(dm_context *ctx, dm_recipe *r, const char *key, const char *value) {
  const char *p = key + 6;
  int i;
  if (!parse_index(&p, &i) || *p != '.' || !p[1])
    return dm_fail(ctx, DM_ERR_PARAM, key, "malformed key: expected refine[N].FIELD with N >= 0");
  dm_refine *f = &r->refine;
  if (i > f->n)
    return dm_fail(ctx, DM_ERR_PARAM, key, "there %s %d refine stroke set%s; refine[%d] would "
                   "add one", f->n == 1 ? "is" : "are", f->n, f->n == 1 ? "" : "s", f->n);
  if (i == DM_MAX_CORRECTIONS)
    return dm_fail(ctx, DM_ERR_PARAM, key, "at most %d refine stroke sets", DM_MAX_CORRECTIONS);
  if (i < f->n) return set_refine_field(ctx, &f->strokes[i], &f->depth[i], i, p + 1, value, key);
  dm_correction fresh;
  dm_correction_init(&fresh);
  const float *fr = r->lens_blur.focal_range;
  float depth = 0.5f * (fr[1] + fr[2]);
  dm_status s = set_refine_field(ctx, &fresh, &depth, i, p + 1, value, key);
  dm_correction *strokes = s ? NULL : realloc(f->strokes, (size_t)(f->n + 1) * sizeof *strokes);
  if (strokes) f->strokes = strokes;
  float *depths = strokes ? realloc(f->depth, (size_t)(f->n + 1) * sizeof *depths) : NULL;
  if (depths) f->depth = depths;
  if (!s && !depths) s = dm_fail(ctx, DM_ERR_NOMEM, key, "out of memory");
  if (s) {
    dm_correction_clear(&fresh);
    return s;
  }
  f->strokes[f->n] = fresh;
  f->depth[f->n++] = depth;
  return DM_OK;
}

static dm_status set_correction_field(dm_context *ctx, dm_correction *c, const char *field,
                                      const char *value, const char *key) {
  if (!strcmp(field, "name")) return set_text(ctx, c->name, sizeof c->name, value, key, 0);
  int n;
  const dm_param *cp = dm_lr_correction_params(&n);
  const dm_param *p = dm_param_find(cp, n, field);
  if (p) return dm_param_parse(ctx, p, c, value, key);
  p = dm_param_find(dm_adjust_params(), DM_ADJ_COUNT, field);
  if (p) return dm_param_parse(ctx, p, &c->sliders, value, key);
  char hint[1200];
  dm_set_keys_suggest(DM_KEYS_CORRECTION, field, hint, sizeof hint);
  return dm_fail(ctx, DM_ERR_PARAM, key, "unknown key (%s; masks: correction[N].mask[M].FIELD)",
                 hint);
}

dm_status dm_recipe_set(dm_context *ctx, dm_recipe *r, const char *assignment) {
  const char *eq = strchr(assignment, '=');
  char key[256];
  if (!eq)
    return dm_fail(ctx, DM_ERR_PARAM, assignment, "expected KEY=VALUE");
  if ((size_t)(eq - assignment) >= sizeof key)
    return dm_fail(ctx, DM_ERR_PARAM, NULL, "--set key longer than %zu bytes", sizeof key - 1);
  memcpy(key, assignment, (size_t)(eq - assignment));
  key[eq - assignment] = 0;
  const char *value = eq + 1;
  if (!*key) return dm_fail(ctx, DM_ERR_PARAM, assignment, "empty key");

  static const char prefix[] = "correction";
  if (strncmp(key, prefix, sizeof prefix - 1)) {
    static const char lb[] = "lens_blur.";
    if (!strncmp(key, lb, sizeof lb - 1))
      return set_lens_blur(ctx, &r->lens_blur, key + sizeof lb - 1, value, key);
    if (!strncmp(key, "refine[", 7)) return set_refine(ctx, r, key, value);
    return dm_fail(ctx, DM_ERR_PARAM, key,
                   "unknown key (keys start with correction[N]., lens_blur. or refine[N].)");
  }
  const char *p = key + sizeof prefix - 1;
  int ci;
  if (!parse_index(&p, &ci) || *p != '.' || !p[1])
    return dm_fail(ctx, DM_ERR_PARAM, key, "malformed key: expected correction[N].FIELD with N >= 0");
  const char *rest = p + 1;
  if (ci > r->n_corrections)
    return dm_fail(ctx, DM_ERR_PARAM, key, "there %s %d correction%s; correction[%d] would add one",
                   r->n_corrections == 1 ? "is" : "are", r->n_corrections,
                   r->n_corrections == 1 ? "" : "s", r->n_corrections);
  if (ci == DM_MAX_CORRECTIONS)
    return dm_fail(ctx, DM_ERR_PARAM, key, "at most %d corrections", DM_MAX_CORRECTIONS);

  /* Work on a scratch copy when appending, so a bad value adds nothing. */
  int append = ci == r->n_corrections;
  dm_correction fresh;
  dm_correction *c = &r->corrections[ci];
  if (append) {
    dm_correction_init(&fresh);
    c = &fresh;
  }
  dm_status s;
  if (is_mask_key(rest))
    s = set_mask(ctx, c, "correction", ci, rest + 4, value, key);
  else
    s = set_correction_field(ctx, c, rest, value, key);
  if (s) {
    if (append) dm_correction_clear(&fresh);
    return s;
  }
  if (append) {
    dm_correction_release(&r->corrections[ci]);
    r->corrections[ci] = fresh;
    r->n_corrections++;
  }
  return DM_OK;
}
