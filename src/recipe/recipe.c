/* The recipe model: init/free, corrections, presets, the sidecar's path,
 * the checks every write makes, and the file wrappers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "recipe/recipe_internal.h"

void dm_correction_init(dm_correction *c) {
  memset(c, 0, sizeof *c);
  int n;
  const dm_param *t = dm_lr_correction_params(&n);
  dm_param_defaults(t, n, c);
  dm_adjust_defaults(&c->sliders);
}

void dm_correction_release(dm_correction *c) {
  for (int k = 0; k < c->n_masks && k < DM_MAX_MASKS; k++) dm_mask_component_free(&c->masks[k]);
  dm_preserved_free(c->extra);
  c->extra = NULL;
}

void dm_correction_clear(dm_correction *c) {
  dm_correction_release(c);
  dm_correction_init(c);
}

dm_status dm_correction_copy(dm_context *ctx, dm_correction *dst, const dm_correction *src) {
  *dst = *src;
  dst->extra = NULL;
  for (int k = 0; k < src->n_masks && k < DM_MAX_MASKS; k++) dst->masks[k].brush = NULL;
  dm_status s = DM_OK;
  if (src->extra && !(dst->extra = dm_preserved_copy(src->extra)))
    s = dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory copying a correction");
  for (int k = 0; !s && k < src->n_masks && k < DM_MAX_MASKS; k++)
    s = dm_mask_component_copy(ctx, &dst->masks[k], &src->masks[k]);
  if (s) dm_correction_clear(dst);
  return s;
}

dm_status dm_recipe_init(dm_context *ctx, dm_recipe *r) {
  memset(r, 0, sizeof *r);
  r->version = DM_RECIPE_VERSION;
  r->source_version = DM_RECIPE_VERSION;
  r->photo.process_version = DM_PROCESS_VERSION;
  dm_lens_blur_defaults(&r->lens_blur);
  /* Zeroed, so untouched pages cost nothing (a dm_correction is ~36 KiB);
   * entries are given their defaults when they come into use. */
  r->corrections = calloc(DM_MAX_CORRECTIONS, sizeof *r->corrections);
  if (!r->corrections) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
  return DM_OK;
}

void dm_recipe_free(dm_recipe *r) {
  if (!r) return;
  /* Entries past n_corrections own nothing (touching them would fault in
   * pages of a mostly unused array). */
  if (r->corrections)
    for (int i = 0; i < r->n_corrections && i < DM_MAX_CORRECTIONS; i++)
      dm_correction_release(&r->corrections[i]);
  free(r->corrections);
  dm_preserved_free(r->extra);
  dm_refine_free(&r->refine);
  memset(r, 0, sizeof *r);
}

void dm_recipe_clear(dm_recipe *r) {
  dm_lens_blur_defaults(&r->lens_blur);
  if (!r->corrections) return;
  for (int i = 0; i < r->n_corrections && i < DM_MAX_CORRECTIONS; i++) {
    dm_correction_release(&r->corrections[i]);
    memset(&r->corrections[i], 0, sizeof r->corrections[i]);
  }
  dm_preserved_free(r->extra);
  r->extra = NULL;
  dm_refine_free(&r->refine);
  r->n_corrections = 0;
  r->version = r->source_version = DM_RECIPE_VERSION;
  memset(&r->photo, 0, sizeof r->photo);
  r->photo.process_version = DM_PROCESS_VERSION;
}

dm_status dm_recipe_apply_preset(dm_context *ctx, dm_recipe *r, const dm_recipe *preset) {
  if (preset == r) return DM_OK;
  dm_correction *fresh = calloc(DM_MAX_CORRECTIONS, sizeof *fresh);
  if (!fresh) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
  dm_status s = DM_OK;
  for (int i = 0; i < preset->n_corrections && !s; i++)
    s = dm_correction_copy(ctx, &fresh[i], &preset->corrections[i]);
  if (s) {
    for (int i = 0; i < preset->n_corrections; i++) dm_correction_release(&fresh[i]);
    free(fresh);
    return s;
  }
  /* The photo's own document (ratings, other settings) stays; the
   * corrections and the lens blur are the preset's, mask file paths as the
   * preset wrote them. Lightroom's lens blur fields depthmask does not model
   * (BokehShape, CatEyeScale, ...) stay as the photo's sidecar has them. */
  r->lens_blur = preset->lens_blur;
  for (int i = 0; i < r->n_corrections; i++) dm_correction_release(&r->corrections[i]);
  free(r->corrections);
  r->corrections = fresh;
  r->n_corrections = preset->n_corrections;
  return DM_OK;
}

/* ---- checks -------------------------------------------------------------- */

static dm_status check_text(dm_context *ctx, const char *s, size_t cap, const char *field) {
  if (!memchr(s, 0, cap)) return dm_fail(ctx, DM_ERR_PARAM, field, "longer than %zu bytes", cap - 1);
  const char *why = dm_xml_text_problem(s);
  return why ? dm_fail(ctx, DM_ERR_PARAM, field, "%s", why) : DM_OK;
}

dm_status dm_recipe_check(dm_context *ctx, const dm_recipe *r) {
  const char *look = r->photo.raw_look;
  if (look[0] && strcmp(look, "default") && strcmp(look, "neutral"))
    return dm_fail(ctx, DM_ERR_PARAM, "dm:RawLook", "\"%.15s\" is not a raw look (default or neutral)",
                   look);
  if (r->n_corrections < 0 || r->n_corrections > DM_MAX_CORRECTIONS)
    return dm_fail(ctx, DM_ERR_PARAM, NULL, "%d corrections (at most %d)", r->n_corrections,
                   DM_MAX_CORRECTIONS);
  const dm_param *sliders = dm_adjust_params();
  int n_cp;
  const dm_param *cp = dm_lr_correction_params(&n_cp);
  char field[256];
  dm_status ls = dm_lens_blur_check(ctx, &r->lens_blur);
  if (ls) return ls;
  for (int i = 0; i < r->n_corrections; i++) {
    const dm_correction *c = &r->corrections[i];
    dm_status s;
    snprintf(field, sizeof field, "correction[%d].name", i);
    if ((s = check_text(ctx, c->name, sizeof c->name, field))) return s;
    for (int j = 0; j < n_cp; j++) {
      snprintf(field, sizeof field, "correction[%d].%s", i, cp[j].key);
      if ((s = dm_param_check(ctx, &cp[j], c, field))) return s;
    }
    for (int j = 0; j < DM_ADJ_COUNT; j++) {
      snprintf(field, sizeof field, "correction[%d].%s", i, sliders[j].key);
      if ((s = dm_param_check(ctx, &sliders[j], &c->sliders, field))) return s;
    }
    if (c->n_masks < 0 || c->n_masks > DM_MAX_MASKS)
      return dm_fail(ctx, DM_ERR_PARAM, NULL, "correction[%d]: %d mask components (at most %d)", i,
                     c->n_masks, DM_MAX_MASKS);
    dm_slot_iter it = {0, 0, 0};
    int k, j;
    while (dm_slot_next(c, &it, &k, &j)) {
      if (k < 0) continue;
      snprintf(field, sizeof field, "correction[%d].mask[%d]", i, it.s - 1);
      if ((s = dm_mask_component_check(ctx, &c->masks[k], field))) return s;
      if (c->masks[k].kind == DM_MASK_FILE) {
        snprintf(field, sizeof field, "correction[%d].mask[%d].path", i, it.s - 1);
        if ((s = check_text(ctx, c->masks[k].path, sizeof c->masks[k].path, field))) return s;
      }
    }
  }
  return DM_OK;
}

/* ---- files ---------------------------------------------------------------- */

dm_status dm_recipe_read_file(dm_context *ctx, const char *path, dm_recipe *r) {
  unsigned char *data;
  size_t len;
  dm_status s = dm_read_file(ctx, path, DM_XMP_MAX_BYTES, &data, &len);
  if (s) return s;
  s = dm_recipe_read_mem(ctx, (const char *)data, len, path, r);
  free(data);
  return s;
}

dm_status dm_recipe_write_file(dm_context *ctx, const char *path, const dm_recipe *r) {
  char *xml;
  size_t len;
  dm_status s = dm_recipe_write_mem(ctx, r, &xml, &len);
  if (s) {
    /* Name the sidecar as well as the field. */
    char msg[sizeof ctx->error];
    snprintf(msg, sizeof msg, "%s", ctx->error);
    return dm_fail(ctx, s, path, "%s", msg);
  }
  s = dm_write_file_atomic(ctx, path, xml, len);
  free(xml);
  return s;
}
