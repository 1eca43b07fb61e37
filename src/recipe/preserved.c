/* What a sidecar holds that the recipe does not model, kept for rewriting:
 * the document itself (recipe level) and, per correction, its original
 * <rdf:li> with every attribute and every mask component, known or not.
 *
 * A correction's components live in two lists: c->masks (the kinds we
 * render) and p->kept (Lightroom components we keep but do not render,
 * each with its slot, i.e. its position in the file's order). Slots count
 * both, so correction[0].mask[1] names the second component in Lightroom's
 * panel whether or not depthmask renders the first. */
#include <stdlib.h>
#include <string.h>

#include "recipe/recipe_internal.h"

dm_preserved *dm_preserved_new(void) {
  dm_preserved *p = calloc(1, sizeof *p);
  if (p)
    for (int k = 0; k < DM_MAX_MASKS; k++) p->known_index[k] = -1;
  return p;
}

void dm_preserved_free(dm_preserved *p) {
  if (!p) return;
  if (p->doc) xmlFreeDoc(p->doc);
  free(p->kept);
  free(p);
}

dm_preserved *dm_preserved_copy(const dm_preserved *p) {
  if (!p) return NULL;
  dm_preserved *q = malloc(sizeof *q);
  if (!q) return NULL;
  *q = *p;
  q->doc = NULL;
  q->kept = NULL;
  q->cap_kept = 0;
  if (p->n_kept) {
    q->kept = malloc((size_t)p->n_kept * sizeof *q->kept);
    if (!q->kept) {
      free(q);
      return NULL;
    }
    memcpy(q->kept, p->kept, (size_t)p->n_kept * sizeof *q->kept);
    q->cap_kept = p->n_kept;
  }
  if (p->doc && !(q->doc = xmlCopyDoc(p->doc, 1))) {
    dm_preserved_free(q);
    return NULL;
  }
  return q;
}

int dm_preserved_add_kept(dm_preserved *p, int slot, int index, const char *what, int active) {
  if (p->n_kept == p->cap_kept) {
    int cap = p->cap_kept ? p->cap_kept * 2 : 4;
    dm_kept_comp *nk = realloc(p->kept, (size_t)cap * sizeof *nk);
    if (!nk) return 0;
    p->kept = nk;
    p->cap_kept = cap;
  }
  dm_kept_comp *k = &p->kept[p->n_kept++];
  k->slot = slot;
  k->index = index;
  snprintf(k->what, sizeof k->what, "%s", what && *what ? what : "(no crs:What)");
  k->active = active;
  return 1;
}

xmlNodePtr dm_preserved_seq(const dm_preserved *p) {
  if (!p || !p->doc) return NULL;
  xmlNodePtr li = xmlDocGetRootElement(p->doc);
  xmlNodePtr masks = dm_xml_child(dm_xml_props(li), DM_CRS_NS, "CorrectionMasks");
  return dm_xml_child(masks, DM_RDF_NS, "Seq");
}

xmlNodePtr dm_preserved_component(const dm_preserved *p, int index) {
  xmlNodePtr n = dm_xml_first_elem(dm_preserved_seq(p));
  for (int i = 0; n && i < index; i++) n = dm_xml_next_elem(n);
  return index >= 0 ? n : NULL;
}

xmlNodePtr dm_preserved_known(const dm_preserved *p, int k, dm_mask_kind kind) {
  if (!p || k < 0 || k >= p->n_known || p->known_index[k] < 0 || p->known_kind[k] != kind)
    return NULL;
  return dm_preserved_component(p, p->known_index[k]);
}

void dm_preserved_forget_known(dm_preserved *p, int k) {
  if (p && k >= 0 && k < p->n_known) p->known_index[k] = -1;
}

void dm_preserved_insert_known(dm_preserved *p, int k) {
  if (!p || k < 0 || k > p->n_known || k >= DM_MAX_MASKS) return;
  int n = p->n_known < DM_MAX_MASKS ? p->n_known : DM_MAX_MASKS - 1;
  memmove(&p->known_index[k + 1], &p->known_index[k], (size_t)(n - k) * sizeof(int));
  memmove(&p->known_kind[k + 1], &p->known_kind[k], (size_t)(n - k) * sizeof(dm_mask_kind));
  p->known_index[k] = -1;
  p->known_kind[k] = DM_MASK_ALL;
  p->n_known = n + 1;
}

void dm_preserved_remove_known(dm_preserved *p, int k) {
  if (!p || k < 0 || k >= p->n_known) return;
  memmove(&p->known_index[k], &p->known_index[k + 1], (size_t)(p->n_known - k - 1) * sizeof(int));
  memmove(&p->known_kind[k], &p->known_kind[k + 1],
          (size_t)(p->n_known - k - 1) * sizeof(dm_mask_kind));
  p->n_known--;
}

void dm_preserved_remove_kept(dm_preserved *p, int j) {
  if (!p || j < 0 || j >= p->n_kept) return;
  memmove(&p->kept[j], &p->kept[j + 1], (size_t)(p->n_kept - j - 1) * sizeof *p->kept);
  p->n_kept--;
}

/* ---- slots (recipe.h) --------------------------------------------------- */

int dm_correction_n_preserved(const dm_correction *c) { return c->extra ? c->extra->n_kept : 0; }

int dm_correction_n_slots(const dm_correction *c) {
  return c->n_masks + dm_correction_n_preserved(c);
}

int dm_slot_next(const dm_correction *c, dm_slot_iter *it, int *k, int *j) {
  int n_kept = dm_correction_n_preserved(c);
  if (it->k >= c->n_masks && it->j >= n_kept) return 0;
  /* Kept components hold their slots; known ones fill the rest in order. A
   * kept slot past what is left (masks[] shortened directly) sorts last. */
  int take_kept = it->j < n_kept && (c->extra->kept[it->j].slot <= it->s || it->k >= c->n_masks);
  *k = take_kept ? -1 : it->k++;
  *j = take_kept ? it->j++ : -1;
  it->s++;
  return 1;
}

int dm_correction_slot_mask(const dm_correction *c, int slot, const char **what) {
  dm_slot_iter it = {0, 0, 0};
  int k, j;
  while (dm_slot_next(c, &it, &k, &j))
    if (it.s - 1 == slot) {
      if (what) *what = k < 0 ? c->extra->kept[j].what : NULL;
      return k < 0 ? -1 : k;
    }
  if (what) *what = NULL;
  return -2;
}

int dm_correction_unrendered(const dm_correction *c, const char **what) {
  dm_slot_iter it = {0, 0, 0};
  int k, j;
  while (dm_slot_next(c, &it, &k, &j))
    if (k < 0 && c->extra->kept[j].active) {
      if (what) *what = c->extra->kept[j].what;
      return it.s - 1;
    }
  if (what) *what = NULL;
  return -1;
}
