/* The recipe a render reads, copied out of the photo's document under its
 * lock: a render takes up to a second at full size, and the document's
 * recipe is valid only until the next PATCH, which must not wait for it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/render.h"
#include "server/srv_internal.h"

static dm_status copy_recipe(dm_context *ctx, const dm_recipe *src, dm_recipe *dst) {
  /* A preset's application is a deep copy of corrections and lens blur. */
  dm_status s = dm_recipe_apply_preset(ctx, dst, src);
  if (s) return s;
  dst->version = src->version;
  dst->source_version = src->source_version;
  dst->photo = src->photo;
  return dm_refine_copy(ctx, &dst->refine, &src->refine);
}

dm_status srv_recipe_snapshot(dm_context *ctx, srv_photo *p, dm_recipe *out,
                              unsigned long *revision) {
  dm_status s = dm_recipe_init(ctx, out);
  if (s) return s;
  pthread_mutex_lock(&p->doc_mu);
  /* Without a document (its sidecar unreadable) the photo renders as it is. */
  if (p->doc) s = copy_recipe(ctx, dm_edit_doc_recipe(p->doc), out);
  if (revision) *revision = p->doc ? dm_edit_doc_revision(p->doc) : 0;
  pthread_mutex_unlock(&p->doc_mu);
  if (s) dm_recipe_free(out);
  return s;
}

static void add_name(char *list, size_t len, const char *name) {
  size_t used = strlen(list);
  snprintf(list + used, len - used, "%s%s", used ? "," : "", name);
}

int srv_recipe_scene_parts(const dm_recipe *r, char *names, size_t len) {
  int n = 0;
  if (len) names[0] = 0;
  for (int i = 0; i < r->n_corrections; i++) {
    const dm_correction *c = &r->corrections[i];
    if (!dm_correction_runs(c) || !dm_mask_needs(c->masks, c->n_masks)) continue;
    char name[32];
    snprintf(name, sizeof name, "correction[%d]", i);
    add_name(names, len, name);
    n++;
  }
  if (r->lens_blur.active != 0.0f) {
    add_name(names, len, "lens_blur");
    n++;
  }
  return n;
}
