/* subject and background: the matte (clamped, its ends snapped to 0 and 1
 * as its 8 bits have them: under 1.5/255 and over 254.5/255) and 1 - the
 * matte, at full resolution; invert of one is the other; they compose with other
 * components in order; without a matte the error names the component. The
 * matte is dof-eval dev1's true subject mask (a soft, furry edge) over its
 * photo. */
#include "mask_dof.h"

int main(void) {
  dm_context *ctx = dm_context_new(2);
  dof_scene s;
  dof_load(ctx, "dev1_chelsea_1.2m_bg5m_lights", 0, &s);
  const int w = s.work.width, h = s.work.height;
  /* Out-of-range matte values (a file matte can hold them) are clamped. */
  dm_px(&s.gt, 0, 0)[0] = 1.5f, dm_px(&s.gt, 1, 0)[0] = -0.5f, dm_px(&s.gt, 2, 0)[0] = NAN;
  dm_mask_inputs in = {.image = &s.work, .matte = &s.gt};
  dm_mask_component c[2];
  dm_mask_component_init(&c[0], DM_MASK_SUBJECT);
  dm_mask_component_init(&c[1], DM_MASK_BACKGROUND);
  CHECK(!strcmp(dm_mask_kind_name(DM_MASK_SUBJECT), "subject"));
  CHECK(!strcmp(dm_mask_kind_name(DM_MASK_BACKGROUND), "background"));
  int n;
  CHECK(dm_mask_params(DM_MASK_SUBJECT, &n) && n == 2); /* invert, opacity */
  dm_image subj, bg, inv, lin;
  mt_alloc_mask(ctx, &s.work, &subj);
  mt_alloc_mask(ctx, &s.work, &bg);
  mt_alloc_mask(ctx, &s.work, &inv);
  mt_alloc_mask(ctx, &s.work, &lin);
  CHECK_OK(ctx, dm_mask_render(ctx, &c[0], 1, &in, &subj));
  CHECK_OK(ctx, dm_mask_render(ctx, &c[1], 1, &in, &bg));
  c[0].invert = 1;
  CHECK_OK(ctx, dm_mask_render(ctx, &c[0], 1, &in, &inv));
  c[0].invert = 0;
  CHECK(mt_at(&subj, 0, 0) == 1 && mt_at(&subj, 1, 0) == 0 && mt_at(&subj, 2, 0) == 0);
  double worst = 0, soft = 0, snapped = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      const float m = mt_at(&subj, x, y), a = mt_at(&s.gt, x, y);
      const float want = a < 1.5f / 255 ? 0.0f : (a >= 254.5f / 255 ? 1.0f : a);
      if (y > 0 || x > 2) worst = fmax(worst, fabs(m - want));
      snapped += want != a && (y > 0 || x > 2);
      worst = fmax(worst, fabs(mt_at(&bg, x, y) - (1 - m)));
      worst = fmax(worst, fabs(mt_at(&inv, x, y) - mt_at(&bg, x, y)));
      soft += m > 0.05f && m < 0.95f;
    }
  printf("subject mask: %.0f soft pixels, %.0f of the matte's ends snapped\n", soft, snapped);
  CHECK(worst < 1e-6);
  CHECK(soft > 1000); /* the fur's soft edge came through, not a threshold */
  CHECK(snapped > 0);

  /* In order: a linear gradient (full at the left edge, none past the
   * middle) minus the subject. */
  dm_mask_component g[2];
  dm_mask_component_init(&g[0], DM_MASK_LINEAR_GRADIENT);
  g[0].full[0] = 0, g[0].full[1] = 0.5f, g[0].zero[0] = 0.5f, g[0].zero[1] = 0.5f;
  g[1] = c[0];
  g[1].mode = DM_MASK_SUBTRACT;
  CHECK_OK(ctx, dm_mask_render(ctx, g, 1, &in, &lin));
  dm_image both;
  mt_alloc_mask(ctx, &s.work, &both);
  CHECK_OK(ctx, dm_mask_render(ctx, g, 2, &in, &both));
  worst = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      worst = fmax(worst, fabs(mt_at(&both, x, y) - mt_at(&lin, x, y) * (1 - mt_at(&subj, x, y))));
  CHECK(worst < 1e-6);

  /* Needs and errors. */
  CHECK(dm_mask_needs(c, 2) == DM_MASK_NEEDS_MATTE);
  dm_mask_inputs none = {.image = &s.work};
  CHECK(dm_mask_render(ctx, &c[1], 1, &none, &bg) != DM_OK);
  CHECK(strstr(dm_context_error(ctx), "background needs a subject matte") != NULL);
  dm_image small;
  CHECK_OK(ctx, dm_image_alloc(ctx, &small, w / 2, h, 1));
  dm_mask_inputs wrong = {.image = &s.work, .matte = &small};
  CHECK(dm_mask_render(ctx, &c[0], 1, &wrong, &subj) != DM_OK);
  dm_image_free(&small);
  dm_image_free(&subj);
  dm_image_free(&bg);
  dm_image_free(&inv);
  dm_image_free(&lin);
  dm_image_free(&both);
  dof_free(&s);
  dm_context_free(ctx);
  return dm_test_done("mask/subject");
}
