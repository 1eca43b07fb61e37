/* What this session changed since the last save, as steps that can be
 * replayed over a sidecar another program rewrote meanwhile (edit_save.c):
 * --set assignments, and removals --set cannot say.
 *
 * Every change is recorded as the difference it made (removals at the
 * ends, then each changed value as an assignment, in the order
 * dm_recipe_each_value gives: a kind before its parameters, lens_blur.active
 * last), except the removal of one correction or component, recorded as
 * itself so that the ones after it keep their own values.
 *
 * Replaying matches corrections, components and strokes by position: the
 * other program's file is taken to have those of the last read or write
 * (`base`) at the same places, with its own additions after them. A map
 * per level follows this session's additions and removals, so an index of
 * a step means what it meant when the step was recorded: what this session
 * appended goes after what the other program appended, and what it removed
 * is removed where it now is. Lens Blur's refine stroke sets are replayed
 * at their own indices, unmapped: they belong to the photo and only the
 * editor's Refine brush writes them (a key that no longer fits is skipped
 * with a warning). */
#include <stdlib.h>
#include <string.h>

#include "mask/brush.h"
#include "server/edit_internal.h"

void edit_steps_clear(edit_steps *s) {
  for (int i = 0; i < s->n; i++) free(s->v[i].set);
  free(s->v);
  memset(s, 0, sizeof *s);
}

/* Append *st, taking its string. */
static dm_status push(dm_context *ctx, edit_steps *s, edit_step st) {
  if (s->n == s->cap) {
    int cap = s->cap ? 2 * s->cap : 16;
    edit_step *v = realloc(s->v, (size_t)cap * sizeof *v);
    if (!v) {
      free(st.set);
      return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
    }
    s->v = v;
    s->cap = cap;
  }
  s->v[s->n++] = st;
  return DM_OK;
}

dm_status edit_steps_add(dm_context *ctx, edit_steps *s, const edit_step *st) {
  edit_step c = *st;
  if (st->set && !(c.set = strdup(st->set))) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
  return push(ctx, s, c);
}

/* Strokes of the brush in slot `slot`; -1 when that is no brush of ours. */
static int n_strokes_at(const dm_correction *c, int slot) {
  int k = dm_correction_slot_mask(c, slot, NULL);
  return k >= 0 && c->masks[k].kind == DM_MASK_BRUSH ? dm_brush_n_strokes(c->masks[k].brush) : -1;
}

static dm_status removals(dm_context *ctx, edit_steps *s, const dm_recipe *from, const dm_recipe *to) {
  dm_status st = DM_OK;
  for (int i = from->n_corrections - 1; !st && i >= to->n_corrections; i--)
    st = push(ctx, s, (edit_step){EDIT_STEP_REMOVE_CORRECTION, i, 0, 0, NULL});
  for (int i = 0; !st && i < from->n_corrections && i < to->n_corrections; i++) {
    const dm_correction *fc = &from->corrections[i], *tc = &to->corrections[i];
    int fs = dm_correction_n_slots(fc), ts = dm_correction_n_slots(tc);
    for (int m = fs - 1; !st && m >= ts; m--)
      st = push(ctx, s, (edit_step){EDIT_STEP_REMOVE_MASK, i, m, 0, NULL});
    for (int m = 0; !st && m < fs && m < ts; m++) {
      int nf = n_strokes_at(fc, m), nt = n_strokes_at(tc, m);
      for (int k = nf - 1; !st && nt >= 0 && k >= nt; k--)
        st = push(ctx, s, (edit_step){EDIT_STEP_REMOVE_STROKE, i, m, k, NULL});
    }
  }
  for (int i = from->refine.n - 1; !st && i >= to->refine.n; i--)
    st = push(ctx, s, (edit_step){EDIT_STEP_REMOVE_REFINE, i, 0, 0, NULL});
  return st;
}

dm_status edit_steps_diff(dm_context *ctx, edit_steps *s, const dm_recipe *from,
                          const dm_recipe *to, const json_t *tv, const json_t *changed) {
  dm_status st = removals(ctx, s, from, to);
  json_t *is_changed = json_object();
  size_t i;
  json_t *k;
  if (!is_changed) st = dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
  json_array_foreach((json_t *)changed, i, k) {
    if (!st && json_object_set_new(is_changed, json_string_value(k), json_true()))
      st = dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
  }
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)tv, key, v) {
    if (st || !json_object_get(is_changed, key)) continue;
    const char *text = json_string_value(v);
    size_t kl = strlen(key);
    dm_mask_kind kind;
    /* A kept Lightroom component's kind (its crs:What) cannot be set. */
    if (kl > 5 && !strcmp(key + kl - 5, ".kind") && !dm_mask_kind_from_name(text, &kind)) continue;
    char *as = malloc(kl + strlen(text) + 2);
    if (!as) {
      st = dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
      break;
    }
    sprintf(as, "%s=%s", key, text);
    st = push(ctx, s, (edit_step){EDIT_STEP_SET, 0, 0, 0, as});
  }
  json_decref(is_changed);
  return st;
}

/* ---- replay ------------------------------------------------------------ */

/* This session's corrections (the root's kids), their components and a
 * brush's strokes, each with where it is in the file being merged into
 * (t, -1 when the other program removed it). */
typedef struct mnode mnode;
struct mnode {
  int t;
  int n, cap;
  mnode *kids;
};

static void kids_free(mnode *m) {
  for (int i = 0; i < m->n; i++) kids_free(&m->kids[i]);
  free(m->kids);
  m->kids = NULL;
  m->n = m->cap = 0;
}

/* Append a kid at t; its index, or -1 on OOM. */
static int kid_push(mnode *m, int t) {
  if (m->n == m->cap) {
    int cap = m->cap ? 2 * m->cap : 8;
    mnode *k = realloc(m->kids, (size_t)cap * sizeof *k);
    if (!k) return -1;
    m->kids = k;
    m->cap = cap;
  }
  m->kids[m->n] = (mnode){t, 0, 0, NULL};
  return m->n++;
}

static void kid_remove(mnode *m, int i) {
  kids_free(&m->kids[i]);
  memmove(&m->kids[i], &m->kids[i + 1], (size_t)(m->n - i - 1) * sizeof *m->kids);
  m->n--;
}

static dm_status map_init(dm_context *ctx, mnode *root, const dm_recipe *base,
                          const dm_recipe *theirs) {
  for (int i = 0; i < base->n_corrections; i++) {
    int t = i < theirs->n_corrections ? i : -1;
    if (kid_push(root, t) < 0) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
    const dm_correction *bc = &base->corrections[i], *tc = t >= 0 ? &theirs->corrections[t] : NULL;
    int ts = tc ? dm_correction_n_slots(tc) : 0;
    for (int m = 0; m < dm_correction_n_slots(bc); m++) {
      if (kid_push(&root->kids[i], m < ts ? m : -1) < 0)
        return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
      mnode *mn = &root->kids[i].kids[m];
      int bn = n_strokes_at(bc, m), tn = mn->t >= 0 ? n_strokes_at(tc, m) : -1;
      for (int k = 0; k < bn; k++)
        if (kid_push(mn, k < tn ? k : -1) < 0)
          return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
    }
  }
  return DM_OK;
}

/* correction[N], .mask[M], .stroke[S] at the start of an assignment. */
typedef struct kpath {
  int depth;
  int idx[3];
  const char *rest; /* ".FIELD=VALUE" after the last index, or all of it */
} kpath;

static int parse_path(const char *as, kpath *kp) {
  static const char *const part[3] = {"correction[", ".mask[", ".stroke["};
  const char *p = as;
  kp->depth = 0;
  for (int l = 0; l < 3; l++) {
    size_t n = strlen(part[l]);
    if (strncmp(p, part[l], n)) break;
    char *end;
    long v = strtol(p + n, &end, 10);
    if (end == p + n || *end != ']' || v < 0 || v > 1000000) return 0;
    kp->idx[l] = (int)v;
    kp->depth = l + 1;
    p = end + 1;
  }
  kp->rest = p;
  return 1;
}

/* How many there are in `r` at `level` under the indices t[0..level-1]. */
static int count_at(const dm_recipe *r, int level, const int *t) {
  if (level == 0) return r->n_corrections;
  if (t[0] < 0 || t[0] >= r->n_corrections) return 0;
  const dm_correction *c = &r->corrections[t[0]];
  if (level == 1) return dm_correction_n_slots(c);
  int n = n_strokes_at(c, t[1]);
  return n < 0 ? 0 : n;
}

static void skipped(dm_context *ctx, const char *what, const char *why) {
  dm_log(ctx, DM_LOG_WARN, "merging with the sidecar another program wrote: %.200s not "
         "re-applied (%s)", what, why);
}

static dm_status replay_set(dm_context *ctx, mnode *root, const char *as, dm_recipe *theirs) {
  kpath kp;
  if (!parse_path(as, &kp)) {
    skipped(ctx, as, "malformed");
    return DM_OK;
  }
  int t[3] = {0, 0, 0}, append_at = -1;
  mnode *node = root;
  for (int l = 0; l < kp.depth; l++) {
    int i = kp.idx[l];
    if (append_at >= 0) { /* a new parent has no kids yet */
      if (i != 0) {
        skipped(ctx, as, "no such index");
        return DM_OK;
      }
      continue;
    }
    if (i < node->n) {
      if ((t[l] = node->kids[i].t) < 0) {
        skipped(ctx, as, "the other program removed it");
        return DM_OK;
      }
      node = &node->kids[i];
    } else if (i == node->n) {
      append_at = l; /* appended this session: after what the file has now */
      t[l] = count_at(theirs, l, t);
    } else {
      skipped(ctx, as, "no such index");
      return DM_OK;
    }
  }
  static const char *const fmt[4] = {"%s", "correction[%d]%s", "correction[%d].mask[%d]%s",
                                     "correction[%d].mask[%d].stroke[%d]%s"};
  size_t len = strlen(kp.rest) + 64;
  char *key = malloc(len);
  if (!key) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
  if (kp.depth == 0) snprintf(key, len, fmt[0], kp.rest);
  else if (kp.depth == 1) snprintf(key, len, fmt[1], t[0], kp.rest);
  else if (kp.depth == 2) snprintf(key, len, fmt[2], t[0], t[1], kp.rest);
  else snprintf(key, len, fmt[3], t[0], t[1], t[2], kp.rest);
  dm_status s = dm_recipe_set(ctx, theirs, key);
  if (s) skipped(ctx, as, dm_context_error(ctx));
  free(key);
  if (append_at >= 0) {
    /* This session's count grew, whether or not the file took it. */
    for (int l = append_at; l < kp.depth; l++) {
      int k = kid_push(node, s ? -1 : t[l]);
      if (k < 0) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
      node = &node->kids[k];
    }
  } else if (kp.depth == 2 && !strncmp(kp.rest, ".kind=", 6)) {
    kids_free(node); /* a kind set here was a new kind: no strokes of ours */
  }
  return DM_OK;
}

static void replay_remove(dm_context *ctx, mnode *root, const edit_step *e, dm_recipe *theirs) {
  if (e->type == EDIT_STEP_REMOVE_REFINE) { /* by place, as its keys (see above) */
    if (dm_recipe_remove_refine(ctx, theirs, e->n)) skipped(ctx, "a removal", dm_context_error(ctx));
    return;
  }
  int idx[3] = {e->n, e->m, e->s}, t[3] = {-1, -1, -1}, gone = 0;
  int depth = e->type == EDIT_STEP_REMOVE_CORRECTION ? 1 : e->type == EDIT_STEP_REMOVE_MASK ? 2 : 3;
  mnode *parent = root;
  for (int l = 0; l < depth; l++) {
    mnode *list = l ? &parent->kids[idx[l - 1]] : root;
    if (idx[l] < 0 || idx[l] >= list->n) return; /* not what this session had: cannot happen */
    t[l] = list->kids[idx[l]].t;
    gone |= t[l] < 0;
    parent = list;
  }
  if (!gone) {
    dm_status s = depth == 1 ? dm_recipe_remove_correction(ctx, theirs, t[0])
                  : depth == 2 ? dm_recipe_remove_mask(ctx, theirs, t[0], t[1])
                               : dm_recipe_remove_stroke(ctx, theirs, t[0], t[1], t[2]);
    if (s) {
      skipped(ctx, "a removal", dm_context_error(ctx));
    } else {
      for (int j = 0; j < parent->n; j++) /* what came after it moved up */
        if (parent->kids[j].t > t[depth - 1]) parent->kids[j].t--;
    }
  }
  kid_remove(parent, idx[depth - 1]);
}

dm_status edit_steps_replay(dm_context *ctx, const edit_steps *steps, const dm_recipe *base,
                            dm_recipe *theirs) {
  mnode root = {0, 0, 0, NULL};
  dm_status s = map_init(ctx, &root, base, theirs);
  for (int i = 0; !s && i < steps->n; i++) {
    const edit_step *e = &steps->v[i];
    if (e->type == EDIT_STEP_SET) s = replay_set(ctx, &root, e->set, theirs);
    else replay_remove(ctx, &root, e, theirs);
  }
  kids_free(&root);
  return s;
}
