/* The render graph's stage keys: each a hash of the stage's parameters and
 * of exactly what it reads, so a change re-runs the stages that read it
 * and no other (issue 14 item 1).
 *
 *   photo       the level, and whether the scene was ready (a render made
 *               while it was pending skipped what needs it)
 *   correction  the key of the image it starts from, its amount and sliders,
 *               its masks' key (which holds what they read)
 *   masks       the components' fields and the level; the key of the image
 *               they start from only when they read it (dm_mask_reads_image),
 *               so a Subject or gradient mask is reused when an earlier
 *               correction changes
 *   blur        the image it starts from, every lens blur field, the process
 *               version (it picks the Boost rule and the Amount scale) and
 *               the refine strokes that reshape its depth */
#include <string.h>

#include "mask/brush.h"
#include "pipeline/graph_internal.h"

static dm_hash digest_free(dm_hasher *h) {
  dm_hash k = h ? dm_hasher_digest(h) : (dm_hash){0, 0};
  dm_hasher_free(h);
  return k;
}

static void put_int(dm_hasher *h, int v) { dm_hasher_update(h, &v, sizeof v); }

static void put_key(dm_hasher *h, dm_hash k) { dm_hasher_update(h, &k, sizeof k); }

/* Every field of a component: its floats lie together from `invert` to
 * `smoothness` (mask.h), then its file path and its brush's dabs. */
static void put_component(dm_hasher *h, const dm_mask_component *c) {
  put_int(h, (int)c->kind);
  put_int(h, (int)c->mode);
  const char *f0 = (const char *)&c->invert, *f1 = (const char *)(&c->smoothness + 1);
  dm_hasher_update(h, f0, (size_t)(f1 - f0));
  dm_hasher_update_str(h, c->path);
  const dm_brush *b = c->brush;
  put_int(h, b ? b->n_strokes : -1);
  for (int i = 0; b && i < b->n_strokes; i++) {
    const dm_brush_stroke *s = &b->strokes[i];
    float p[5] = {s->radius, s->flow, s->feather, s->density, s->erase};
    dm_hasher_update(h, p, sizeof p);
    put_int(h, s->n_dabs);
    if (s->n_dabs) dm_hasher_update(h, s->dabs, (size_t)s->n_dabs * sizeof *s->dabs);
  }
}

static void put_masks(dm_hasher *h, const dm_correction *c) {
  put_int(h, c->n_masks);
  for (int i = 0; i < c->n_masks; i++) put_component(h, &c->masks[i]);
}

dm_hash key_photo(dm_graph_level level, int scene_ready, int before) {
  dm_hasher *h = dm_hasher_new();
  if (!h) return (dm_hash){0, 0};
  dm_hasher_update_str(h, "photo");
  put_int(h, (int)level);
  put_int(h, scene_ready);
  put_int(h, before);
  return digest_free(h);
}

dm_hash key_masks(dm_hash upstream, const dm_correction *c, int on_layers, const char *base_dir) {
  dm_hasher *h = dm_hasher_new();
  if (!h) return (dm_hash){0, 0};
  dm_hasher_update_str(h, "masks");
  /* The level and the scene are in every upstream key; a mask that does not
   * read the image takes them from the photo's key alone. */
  put_key(h, upstream);
  put_int(h, on_layers);
  dm_hasher_update_str(h, base_dir ? base_dir : "");
  put_masks(h, c);
  return digest_free(h);
}

dm_hash key_correction(dm_hash upstream, const dm_correction *c, dm_hash masks) {
  dm_hasher *h = dm_hasher_new();
  if (!h) return (dm_hash){0, 0};
  dm_hasher_update_str(h, "correction");
  put_key(h, upstream);
  dm_hasher_update_f32(h, c->amount);
  dm_hasher_update(h, &c->sliders, sizeof c->sliders);
  put_key(h, masks);
  return digest_free(h);
}

/* The blur's key with its parameters `lb` (the recipe's, or a copy). */
static dm_hash blur_key(dm_hash upstream, const dm_recipe *r, const dm_lens_blur *lb) {
  dm_hasher *h = dm_hasher_new();
  if (!h) return (dm_hash){0, 0};
  dm_hasher_update_str(h, "blur");
  put_key(h, upstream);
  dm_hasher_update(h, lb, sizeof *lb);
  put_int(h, r->photo.process_version);
  put_int(h, r->refine.n);
  for (int i = 0; i < r->refine.n; i++) {
    const dm_correction *c = &r->refine.strokes[i];
    dm_hasher_update_f32(h, c->active);
    dm_hasher_update_f32(h, c->amount);
    dm_hasher_update_f32(h, r->refine.depth[i]);
    put_masks(h, c);
  }
  return digest_free(h);
}

dm_hash key_blur(dm_hash upstream, const dm_recipe *r) {
  return blur_key(upstream, r, &r->lens_blur);
}

dm_hash key_blur_but_amount(dm_hash upstream, const dm_recipe *r) {
  dm_lens_blur lb = r->lens_blur;
  lb.amount = 0.0f;
  return blur_key(upstream, r, &lb);
}
