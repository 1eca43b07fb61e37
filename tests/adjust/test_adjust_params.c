/* The slider table: complete, consistent, in enum order, and usable by the
 * generic parameter code (parse, check, defaults). */
#include <string.h>

#include "adjust/adjust.h"
#include "core/param.h"
#include "dm_test.h"

int main(void) {
  dm_context *ctx = dm_context_new(1);
  const dm_param *t = dm_adjust_params();
  CHECK(t != NULL);
  CHECK(t == dm_adjust_params()); /* one table, built once */

  for (int i = 0; i < DM_ADJ_COUNT; i++) {
    const dm_param *p = &t[i];
    CHECK(p->key && p->key[0]);
    CHECK(p->label && p->label[0]);
    CHECK(p->doc && p->doc[0]);
    CHECK(p->xmp_name && strncmp(p->xmp_name, "Local", 5) == 0);
    CHECK(p->type == DM_PARAM_FLOAT && p->count == 1);
    CHECK(p->offset == offsetof(dm_adjust_values, v) + (size_t)i * sizeof(float));
    CHECK(p->def >= p->min && p->def <= p->max);
    CHECK(p->def == 0.0f); /* every local slider is neutral at 0 */
    CHECK(p->ui_min >= p->min && p->ui_max <= p->max && p->ui_min < p->ui_max);
    CHECK(p->min < 0.0f && p->max > 0.0f);
    CHECK(p->xmp_scale > 0.0f);
    /* Lightroom writes +-1 at the ends of every local slider. */
    CHECK_NEAR(p->max * p->xmp_scale, 1.0, 1e-6);
    CHECK_NEAR(p->min * p->xmp_scale, -1.0, 1e-6);
    for (int j = 0; j < i; j++) {
      CHECK(strcmp(t[j].key, p->key) != 0);
      CHECK(strcmp(t[j].xmp_name, p->xmp_name) != 0);
    }
  }

  /* Lightroom's names and scaling for the ones the design spells out. */
  const dm_param *e = dm_param_find(t, DM_ADJ_COUNT, "exposure");
  CHECK(e && e == &t[DM_ADJ_EXPOSURE]);
  if (e) {
    CHECK(strcmp(e->xmp_name, "LocalExposure2012") == 0);
    CHECK_NEAR(e->xmp_scale, 0.25, 0);
    CHECK_NEAR(e->max, 4.0, 0);
  }
  const char *keys[DM_ADJ_COUNT] = {"temperature", "tint",     "exposure", "contrast",
                                    "highlights",  "shadows",  "whites",   "blacks",
                                    "texture",     "clarity",  "dehaze",   "saturation"};
  const char *xmp[DM_ADJ_COUNT] = {"LocalTemperature",    "LocalTint",        "LocalExposure2012",
                                   "LocalContrast2012",   "LocalHighlights2012", "LocalShadows2012",
                                   "LocalWhites2012",     "LocalBlacks2012",  "LocalTexture",
                                   "LocalClarity2012",    "LocalDehaze",      "LocalSaturation"};
  for (int i = 0; i < DM_ADJ_COUNT; i++) {
    CHECK(strcmp(t[i].key, keys[i]) == 0);
    CHECK(strcmp(t[i].xmp_name, xmp[i]) == 0);
  }

  /* Defaults are neutral; the generic parser writes the right slot and
   * rejects values beyond the hard range. */
  dm_adjust_values vals;
  memset(&vals, 0x7f, sizeof vals);
  dm_adjust_defaults(&vals);
  CHECK(dm_adjust_is_neutral(&vals));
  CHECK_OK(ctx, dm_param_parse(ctx, &t[DM_ADJ_SHADOWS], &vals, "35", "shadows"));
  CHECK(vals.v[DM_ADJ_SHADOWS] == 35.0f);
  CHECK(!dm_adjust_is_neutral(&vals));
  CHECK(dm_param_parse(ctx, &t[DM_ADJ_EXPOSURE], &vals, "4.5", "exposure") == DM_ERR_RANGE);
  CHECK(strstr(dm_context_error(ctx), "exposure") != NULL);
  CHECK(dm_param_parse(ctx, &t[DM_ADJ_CLARITY], &vals, "-101", "clarity") == DM_ERR_RANGE);
  dm_context_free(ctx);
  return dm_test_done("adjust/params");
}
