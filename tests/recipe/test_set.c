/* --set KEY=VALUE: good keys, append semantics, kind changes, Lightroom
 * components kept in place, and every bad form failing with the key named. */
#include "recipe_test_util.h"

static void expect_fail(dm_context *ctx, dm_recipe *r, const char *set, const char *msg) {
  dm_status s = dm_recipe_set(ctx, r, set);
  const char *e = dm_context_error(ctx);
  if (s == DM_OK || !strstr(e, msg)) {
    fprintf(stderr, "--set %s: expected \"%s\", got %s\n", set, msg, s ? e : "(success)");
    dm_test_failures++;
  }
}

static void test_corrections(dm_context *ctx) {
  dm_recipe r;
  CHECK_OK(ctx, dm_recipe_init(ctx, &r));
  /* A bad value while appending adds nothing. */
  expect_fail(ctx, &r, "correction[0].exposure=abc", "correction[0].exposure: \"abc\" is not a number");
  CHECK(r.n_corrections == 0);
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[0].exposure=-0.7"));
  CHECK(r.n_corrections == 1);
  const dm_correction *c = &r.corrections[0];
  CHECK(c->sliders.v[DM_ADJ_EXPOSURE] == -0.7f);
  CHECK(c->active == 1 && c->amount == 100 && c->n_masks == 0 && !c->name[0]);
  for (int i = 0; i < DM_ADJ_COUNT; i++)
    if (i != DM_ADJ_EXPOSURE) CHECK(c->sliders.v[i] == 0);
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[0].amount=120"));
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[0].active=false"));
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[0].name=Hintergrund – Käse = gut"));
  CHECK(c->amount == 120 && c->active == 0 && !strcmp(c->name, "Hintergrund – Käse = gut"));
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[1].saturation=-100"));
  CHECK(r.n_corrections == 2 && r.corrections[1].sliders.v[DM_ADJ_SATURATION] == -100);
  expect_fail(ctx, &r, "correction[3].exposure=1",
              "correction[3].exposure: there are 2 corrections; correction[2] would add one");
  expect_fail(ctx, &r, "correction[0].exposure=4.5", "correction[0].exposure: 4.5 is outside -4..4");
  expect_fail(ctx, &r, "correction[0].amount=201", "correction[0].amount: 201 is outside 0..200");
  expect_fail(ctx, &r, "correction[0].active=maybe", "correction[0].active: expected true or false");
  expect_fail(ctx, &r, "correction[0].contrast=1,2", "correction[0].contrast: expected 1 number");
  expect_fail(ctx, &r, "correction[0].sharpness=10", "correction[0].sharpness: unknown key");
  expect_fail(ctx, &r, "correction[0].name=tab\there\x01", "correction[0].name: not valid UTF-8");
  expect_fail(ctx, &r, "correction[0].name=\xff\xfe", "correction[0].name: not valid UTF-8");
  /* Reads trim values, so text with white space at either end would not
   * come back from the sidecar as it went in (fuzz_set: "tab\t"). */
  expect_fail(ctx, &r, "correction[0].name=tab\t", "correction[0].name: starts or ends with white space");
  expect_fail(ctx, &r, "correction[0].name= Sky", "correction[0].name: starts or ends with white space");
  expect_fail(ctx, &r, "correction[0].name=Sky\r\n", "starts or ends with white space");
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[0].name=tab\there"));
  dm_recipe back;
  CHECK_OK(ctx, dm_recipe_init(ctx, &back));
  char *xml = write_xml(ctx, &r);
  CHECK(xml && read_xml(ctx, xml, &back) == DM_OK && !strcmp(back.corrections[0].name, "tab\there"));
  free(xml);
  dm_recipe_free(&back);
  snprintf(r.corrections[0].name, sizeof r.corrections[0].name, "Sky ");
  CHECK(dm_recipe_check(ctx, &r) != DM_OK &&
        strstr(dm_context_error(ctx), "correction[0].name: starts or ends with white space"));
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[0].name=Hintergrund – Käse = gut"));
  char big[300] = "correction[0].name=";
  memset(big + strlen(big), 'x', 200);
  big[219] = 0;
  expect_fail(ctx, &r, big, "correction[0].name: longer than 127 bytes");
  CHECK(r.n_corrections == 2);
  /* Bad forms, each naming the key. */
  expect_fail(ctx, &r, "correction[-1].exposure=1", "correction[-1].exposure: malformed key");
  expect_fail(ctx, &r, "correction[a].exposure=1", "correction[a].exposure: malformed key");
  expect_fail(ctx, &r, "correction[ 0].exposure=1", "malformed key");
  expect_fail(ctx, &r, "correction[+0].exposure=1", "malformed key");
  expect_fail(ctx, &r, "correction[0.exposure=1", "correction[0.exposure: malformed key");
  expect_fail(ctx, &r, "correction0.exposure=1", "correction0.exposure: malformed key");
  expect_fail(ctx, &r, "correction[0]exposure=1", "correction[0]exposure: malformed key");
  expect_fail(ctx, &r, "correction[0].=1", "correction[0].: malformed key");
  expect_fail(ctx, &r, "correction[99999999999].exposure=1", "malformed key");
  expect_fail(ctx, &r, "correction[0].exposure", "correction[0].exposure: expected KEY=VALUE");
  expect_fail(ctx, &r, "=1", "empty key");
  expect_fail(ctx, &r, "exposure=1", "exposure: unknown key");
  expect_fail(ctx, &r, "lens_blur.blur=70", "lens_blur.blur: unknown key (valid: active, amount,");
  expect_fail(ctx, &r, "corrections[0].exposure=1", "malformed key");
  CHECK(r.n_corrections == 2);
  dm_recipe_free(&r);

  /* At most DM_MAX_CORRECTIONS. */
  CHECK_OK(ctx, dm_recipe_init(ctx, &r));
  char set[64];
  for (int i = 0; i < DM_MAX_CORRECTIONS; i++) {
    snprintf(set, sizeof set, "correction[%d].tint=%d", i, i % 100);
    CHECK_OK(ctx, dm_recipe_set(ctx, &r, set));
  }
  snprintf(set, sizeof set, "correction[%d].tint=1", DM_MAX_CORRECTIONS);
  expect_fail(ctx, &r, set, "at most 64 corrections");
  CHECK(r.n_corrections == DM_MAX_CORRECTIONS);
  dm_recipe_free(&r);
}

static void test_masks(dm_context *ctx) {
  dm_recipe r;
  CHECK_OK(ctx, dm_recipe_init(ctx, &r));
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[0].mask[0].opacity=40"));
  dm_mask_component *m = &r.corrections[0].masks[0];
  CHECK(r.corrections[0].n_masks == 1 && m->kind == DM_MASK_ALL && m->mode == DM_MASK_ADD);
  CHECK(m->opacity == 40);
  const char *const sets[] = {
      "correction[0].mask[0].kind=radial_gradient", "correction[0].mask[0].feather=10",
      "correction[0].mask[0].mode=subtract", "correction[0].mask[0].invert=true",
  };
  apply_sets(ctx, &r, sets, 4);
  CHECK(m->kind == DM_MASK_RADIAL_GRADIENT && m->feather == 10 && m->opacity == 40);
  /* A new kind: its parameters reset, mode / invert / opacity kept. */
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[0].mask[0].kind=linear_gradient"));
  CHECK(m->kind == DM_MASK_LINEAR_GRADIENT && m->mode == DM_MASK_SUBTRACT && m->invert == 1);
  CHECK(m->opacity == 40 && m->zero[1] == 0.5f && m->full[1] == 0.0f);
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[0].mask[0].kind=radial_gradient"));
  CHECK(m->feather == 50);
  /* The same kind again changes nothing. */
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[0].mask[0].feather=20"));
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[0].mask[0].kind=radial_gradient"));
  CHECK(m->feather == 20);
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[0].mask[1].kind=luminance_range"));
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[0].mask[1].luminance_range=10,20,80,90"));
  CHECK(r.corrections[0].masks[1].lum_range[3] == 90);
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[0].mask[2].kind=file"));
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[0].mask[2].path=masks/sky.png"));
  CHECK(!strcmp(r.corrections[0].masks[2].path, "masks/sky.png"));
  CHECK(r.corrections[0].n_masks == 3);

  expect_fail(ctx, &r, "correction[0].mask[1].feather=10",
              "correction[0].mask[1].feather: not a parameter of luminance_range");
  expect_fail(ctx, &r, "correction[0].mask[0].path=x.png",
              "correction[0].mask[0].path: not a parameter of radial_gradient");
  expect_fail(ctx, &r, "correction[0].mask[0].foo=1", "correction[0].mask[0].foo: unknown key");
  expect_fail(ctx, &r, "correction[0].mask[0].kind=blob",
              "correction[0].mask[0].kind: unknown mask kind \"blob\" (whole_image, luminance_range");
  expect_fail(ctx, &r, "correction[0].mask[0].mode=blend",
              "correction[0].mask[0].mode: unknown mode \"blend\"");
  expect_fail(ctx, &r, "correction[0].mask[0].invert=yes", "correction[0].mask[0].invert: expected true or false");
  expect_fail(ctx, &r, "correction[0].mask[0].opacity=150",
              "correction[0].mask[0].opacity: 150 is outside 0..100");
  expect_fail(ctx, &r, "correction[0].mask[1].luminance_range=1,2,3",
              "correction[0].mask[1].luminance_range: expected 4 numbers");
  expect_fail(ctx, &r, "correction[0].mask[2].path=", "correction[0].mask[2].path: empty");
  expect_fail(ctx, &r, "correction[0].mask[2].path=sky.png ",
              "correction[0].mask[2].path: starts or ends with white space");
  expect_fail(ctx, &r, "correction[0].mask[4].kind=file",
              "correction[0].mask[4].kind: correction[0] has 3 mask components; mask[3] would add one");
  expect_fail(ctx, &r, "correction[0].mask[-1].kind=file", "malformed key");
  expect_fail(ctx, &r, "correction[0].mask[].kind=file", "malformed key");
  expect_fail(ctx, &r, "correction[0].mask[0]=file", "malformed key");
  expect_fail(ctx, &r, "correction[0].mask.kind=file", "malformed key");
  expect_fail(ctx, &r, "correction[0].mask[3].opacity=500", "500 is outside 0..100");
  CHECK(r.corrections[0].n_masks == 3); /* the failed append added nothing */
  /* Appending to a new correction through a mask key. */
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[1].mask[0].kind=linear_gradient"));
  CHECK(r.n_corrections == 2 && r.corrections[1].n_masks == 1);
  expect_fail(ctx, &r, "correction[2].mask[1].kind=file",
              "correction[2] has 0 mask components; mask[0] would add one");
  CHECK(r.n_corrections == 2);
  char set[64];
  for (int k = 3; k < DM_MAX_MASKS; k++) {
    snprintf(set, sizeof set, "correction[0].mask[%d].opacity=50", k);
    CHECK_OK(ctx, dm_recipe_set(ctx, &r, set));
  }
  snprintf(set, sizeof set, "correction[0].mask[%d].opacity=50", DM_MAX_MASKS);
  expect_fail(ctx, &r, set, "at most 32 mask components");
  dm_recipe_free(&r);
}

/* Components Lightroom has and we do not render hold their places. */
static void test_kept_components(dm_context *ctx) {
  dm_recipe r, back;
  CHECK_OK(ctx, dm_recipe_init(ctx, &r));
  CHECK_OK(ctx, dm_recipe_init(ctx, &back));
  CHECK_OK(ctx, dm_recipe_read_file(ctx, fixture_path("lightroom_masks.xmp"), &r));
  dm_correction *bg = &r.corrections[0];
  CHECK(dm_correction_n_slots(bg) == 2 && bg->n_masks == 1);
  expect_fail(ctx, &r, "correction[0].mask[0].feather=10",
              "correction[0].mask[0].feather: a Lightroom Mask/Image component, kept as written; "
              "only kind= can replace it");
  /* mask[1] is the radial (Lightroom's order) */
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[0].mask[1].feather=30"));
  CHECK(bg->masks[0].feather == 30);
  /* Appending goes after the kept components of the sky: slot 4. */
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[1].mask[4].kind=whole_image"));
  CHECK(dm_correction_slot_mask(&r.corrections[1], 4, NULL) == 3);
  /* Replacing the sky mask (kept, not rendered) by a radial of ours. */
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[0].mask[0].kind=radial_gradient"));
  CHECK(bg->n_masks == 2 && dm_correction_n_preserved(bg) == 0);
  CHECK(dm_correction_slot_mask(bg, 0, NULL) == 0 && dm_correction_slot_mask(bg, 1, NULL) == 1);
  CHECK(bg->masks[0].feather == 50 && bg->masks[1].feather == 30);
  CHECK(bg->masks[1].mode == DM_MASK_SUBTRACT);
  char *x = write_xml(ctx, &r);
  CHECK(x && !strstr(x, "Mask/Image"));
  CHECK(x && strstr(x, "crs:MaskName=\"Radial Gradient 1\"")); /* Lightroom's name kept */
  CHECK_OK(ctx, read_xml(ctx, x ? x : "", &back));
  for (int ci = 0; ci < r.n_corrections && ci < back.n_corrections; ci++)
    CHECK(corrections_equal(&r.corrections[ci], &back.corrections[ci], ci));
  CHECK(dm_correction_n_preserved(&back.corrections[1]) == 1);
  char *y = write_xml(ctx, &back);
  CHECK(x && y && !strcmp(x, y));
  free(x);
  free(y);
  dm_recipe_free(&r);
  dm_recipe_free(&back);
}

int main(void) {
  dm_context *ctx = dm_context_new(1);
  test_corrections(ctx);
  test_masks(ctx);
  test_kept_components(ctx);
  dm_context_free(ctx);
  return dm_test_done("recipe/set");
}
