/* Lightroom sidecars: fixtures/lightroom_masks.xmp (Lightroom 11+ layout, see
 * its header for where its structure comes from) reads into the right
 * sliders and masks, keeps the components we do not render at their
 * places, and survives a rewrite with every other setting intact (compared
 * as canonical XML: every element, attribute and text with its value).
 * fixtures/v0_lightroom.xmp (recipe version 0, pre-Lightroom-11 containers)
 * goes through the 0 -> 1 upgrader and writes back as version 1. */
#include "mask/brush.h"
#include "recipe_test_util.h"
#include "xml_lines.h"

/* ---- the Lightroom 11+ fixture ---------------------------------------------- */

static void check_read(dm_recipe *r) {
  CHECK(r->source_version == 0 && r->version == DM_RECIPE_VERSION);
  CHECK(r->n_corrections == 3);
  if (r->n_corrections != 3) return;
  const dm_correction *bg = &r->corrections[0], *sky = &r->corrections[1], *vig = &r->corrections[2];
  CHECK(!strcmp(bg->name, "Background") && bg->active == 1 && bg->amount == 100);
  CHECK_NEAR(bg->sliders.v[DM_ADJ_EXPOSURE], -0.73, 1e-6);
  CHECK_NEAR(bg->sliders.v[DM_ADJ_HIGHLIGHTS], -35, 1e-5);
  CHECK_NEAR(bg->sliders.v[DM_ADJ_CLARITY], -19.5091, 1e-4);
  CHECK_NEAR(bg->sliders.v[DM_ADJ_TEMPERATURE], -19.8124, 1e-4);
  CHECK_NEAR(bg->sliders.v[DM_ADJ_SATURATION], -20, 1e-5);
  CHECK(bg->sliders.v[DM_ADJ_SHADOWS] == 0 && bg->sliders.v[DM_ADJ_TEXTURE] == 0);
  /* [Mask/Image subject, kept] [radial, subtract] */
  CHECK(dm_correction_n_slots(bg) == 2 && bg->n_masks == 1 && dm_correction_n_preserved(bg) == 1);
  const char *what = NULL;
  CHECK(dm_correction_slot_mask(bg, 0, &what) == -1 && what && !strcmp(what, "Mask/Image"));
  CHECK(dm_correction_slot_mask(bg, 1, NULL) == 0);
  CHECK(dm_correction_slot_mask(bg, 2, NULL) == -2);
  const dm_mask_component *m = &bg->masks[0];
  CHECK(m->kind == DM_MASK_RADIAL_GRADIENT && m->mode == DM_MASK_SUBTRACT && m->invert == 0);
  CHECK(m->opacity == 100);
  CHECK_NEAR(m->top, 0.104167, 1e-7);
  CHECK_NEAR(m->left, 0.28125, 1e-7);
  CHECK_NEAR(m->bottom, 0.6875, 1e-7);
  CHECK_NEAR(m->right, 0.71875, 1e-7);
  CHECK_NEAR(m->angle, -43.945287, 1e-5);
  CHECK(m->feather == 75);

  CHECK(!strcmp(sky->name, "Sky") && sky->amount == 65);
  CHECK_NEAR(sky->sliders.v[DM_ADJ_EXPOSURE], -1, 1e-6);
  CHECK_NEAR(sky->sliders.v[DM_ADJ_DEHAZE], 15, 1e-5);
  /* [linear] [luminance, intersect] [brush, subtract] [colour range, kept] */
  CHECK(sky->n_masks == 3 && dm_correction_n_preserved(sky) == 1);
  CHECK(dm_correction_slot_mask(sky, 2, &what) == 2);
  CHECK(dm_correction_slot_mask(sky, 3, &what) == -1 && !strcmp(what, "Mask/RangeMask"));
  m = &sky->masks[2];
  CHECK(m->kind == DM_MASK_BRUSH && m->mode == DM_MASK_SUBTRACT && m->invert == 0 &&
        m->opacity == 100);
  CHECK(dm_brush_n_strokes(m->brush) == 1 && dm_brush_n_dabs(m->brush) == 2);
  if (dm_brush_n_strokes(m->brush) == 1 && dm_brush_n_dabs(m->brush) == 2) {
    const dm_brush_stroke *st = &m->brush->strokes[0];
    CHECK(st->radius == 0.082157f && st->flow == 100 && st->feather == 100);
    CHECK(st->density == 100 && st->erase == 0);
    CHECK(st->dabs[0].x == 0.412f && st->dabs[0].y == 0.221f);
    CHECK(st->dabs[1].x == 0.418f && st->dabs[1].y == 0.2235f);
    CHECK(st->dabs[1].radius == 0.082157f && st->dabs[1].flow == 100 && st->dabs[1].feather == 100);
  }
  m = &sky->masks[0];
  CHECK(m->kind == DM_MASK_LINEAR_GRADIENT && m->mode == DM_MASK_ADD);
  CHECK_NEAR(m->zero[1], 0.6, 1e-7);
  CHECK_NEAR(m->full[1], 0.2, 1e-7);
  m = &sky->masks[1];
  CHECK(m->kind == DM_MASK_LUMINANCE_RANGE && m->mode == DM_MASK_INTERSECT && m->invert == 0);
  CHECK(m->lum_range[0] == 0 && m->lum_range[1] == 0);
  CHECK_NEAR(m->lum_range[2], 40, 1e-5);
  CHECK_NEAR(m->lum_range[3], 50, 1e-5);

  CHECK(vig->active == 0);
  /* [radial switched off in Lightroom: kept] [radial, inverted] */
  CHECK(vig->n_masks == 1 && dm_correction_slot_mask(vig, 0, NULL) == -1);
  CHECK(vig->masks[0].invert == 1 && vig->masks[0].feather == 100);
}

static void test_lightroom_sidecar(dm_context *ctx) {
  const char *path = fixture_path("lightroom_masks.xmp");
  unsigned char *orig;
  size_t orig_len;
  CHECK_OK(ctx, dm_read_file(ctx, path, 1 << 20, &orig, &orig_len));
  dm_recipe r, again;
  CHECK_OK(ctx, dm_recipe_init(ctx, &r));
  CHECK_OK(ctx, dm_recipe_init(ctx, &again));
  CHECK_OK(ctx, dm_recipe_read_file(ctx, path, &r));
  check_read(&r);

  /* Unchanged, the rewrite holds everything the file held, and adds only
   * dm:RecipeVersion and dm:ProcessVersion (a Lightroom sidecar was made
   * by no depthmask: process version 1). */
  char *x1 = write_xml(ctx, &r);
  if (!x1) return;
  lines a = canonical((const char *)orig, orig_len), b = canonical(x1, strlen(x1));
  CHECK(missing(&a, &b, "lost on rewrite", 1) == 0);
  CHECK(missing(&b, &a, "added on rewrite", 0) == 2);
  CHECK(contains(&b, "@{" DM_XMP_NS "}RecipeVersion=1"));
  CHECK(contains(&b, "@{" DM_XMP_NS "}ProcessVersion=1"));
  CHECK(strstr(x1, "<!-- Hand-written test fixture")); /* comments too */
  free_lines(&b);

  /* Read back: the same recipe, the same bytes. */
  CHECK_OK(ctx, read_xml(ctx, x1, &again));
  for (int ci = 0; ci < r.n_corrections && ci < again.n_corrections; ci++)
    CHECK(corrections_equal(&r.corrections[ci], &again.corrections[ci], ci));
  char *x2 = write_xml(ctx, &again);
  CHECK(x2 && !strcmp(x1, x2));

  /* Edited: only what was edited changes. */
  const char *const sets[] = {"correction[0].exposure=-1", "correction[1].mask[1].luminance_range=10,20,60,70",
                              "correction[1].mask[4].kind=radial_gradient"};
  apply_sets(ctx, &r, sets, 3);
  char *x3 = write_xml(ctx, &r);
  lines c = canonical(x3 ? x3 : "", x3 ? strlen(x3) : 0);
  int lost = missing(&a, &c, "lost after edit", 0);
  /* Exactly the two old values, nothing else. */
  CHECK(lost == 2);
  CHECK(contains(&c, "LocalExposure2012=-0.25"));                   /* the sky's, untouched */
  CHECK(contains(&c, "LumRange=0.100000 0.200000 0.600000 0.700000"));
  CHECK(contains(&c, "LuminanceDepthSampleInfo=0 0.331378 0.207031")); /* kept beside it */
  CHECK(contains(&c, "ReferencePoint=0.136719 0.363636"));           /* the sky mask */
  CHECK(contains(&c, "#text=d 0.418000 0.223500"));                   /* the brush */
  CHECK(contains(&c, "Radial Gradient 2"));                           /* radial 3 */
  dm_recipe r3;
  CHECK_OK(ctx, dm_recipe_init(ctx, &r3));
  CHECK_OK(ctx, read_xml(ctx, x3 ? x3 : "", &r3));
  if (r3.n_corrections == 3) {
    CHECK(r3.corrections[0].sliders.v[DM_ADJ_EXPOSURE] == -1);
    CHECK(dm_correction_n_slots(&r3.corrections[1]) == 5);
    CHECK(dm_correction_slot_mask(&r3.corrections[1], 4, NULL) == 3);
    CHECK(r3.corrections[1].masks[3].kind == DM_MASK_RADIAL_GRADIENT);
    CHECK(dm_correction_slot_mask(&r3.corrections[1], 2, NULL) == 2);
    CHECK(r3.corrections[1].masks[2].kind == DM_MASK_BRUSH);
    CHECK(dm_correction_slot_mask(&r3.corrections[1], 3, NULL) == -1);
  } else {
    CHECK(0);
  }
  free_lines(&a);
  free_lines(&c);
  free(orig);
  free(x1);
  free(x2);
  free(x3);
  dm_recipe_free(&r);
  dm_recipe_free(&again);
  dm_recipe_free(&r3);
}

/* ---- version 0 -> 1 ------------------------------------------------------------ */

static void test_v0_upgrade(dm_context *ctx) {
  dm_recipe r, back;
  CHECK_OK(ctx, dm_recipe_init(ctx, &r));
  CHECK_OK(ctx, dm_recipe_init(ctx, &back));
  CHECK_OK(ctx, dm_recipe_read_file(ctx, fixture_path("v0_lightroom.xmp"), &r));
  CHECK(r.source_version == 0 && r.version == 1);
  CHECK(r.n_corrections == 2);
  if (r.n_corrections == 2) {
    const dm_correction *g = &r.corrections[0], *c = &r.corrections[1];
    /* The graduated filter (element form) */
    CHECK(g->active == 1 && g->amount == 100);
    CHECK_NEAR(g->sliders.v[DM_ADJ_EXPOSURE], -1, 1e-6);
    CHECK_NEAR(g->sliders.v[DM_ADJ_HIGHLIGHTS], -30, 1e-5);
    CHECK(g->n_masks == 1 && g->masks[0].kind == DM_MASK_LINEAR_GRADIENT);
    CHECK_NEAR(g->masks[0].zero[1], 0.55, 1e-7);
    CHECK(g->masks[0].mode == DM_MASK_ADD && g->masks[0].invert == 0);
    /* The radial filter: Flipped="false" = effect outside = inverted */
    CHECK_NEAR(c->sliders.v[DM_ADJ_EXPOSURE], 0.5, 1e-6);
    CHECK_NEAR(c->sliders.v[DM_ADJ_CLARITY], 20, 1e-5);
    CHECK(c->n_masks == 1 && c->masks[0].kind == DM_MASK_RADIAL_GRADIENT);
    CHECK(c->masks[0].invert == 1 && c->masks[0].feather == 50);
  }
  char *x = write_xml(ctx, &r);
  if (!x) return;
  CHECK(strstr(x, "dm:RecipeVersion=\"1\""));
  CHECK(strstr(x, "<crs:MaskGroupBasedCorrections>"));
  CHECK(!strstr(x, "GradientBasedCorrections>\n")); /* both legacy containers are gone */
  CHECK(!strstr(x, "<crs:CircularGradientBasedCorrections"));
  CHECK(!strstr(x, "<crs:GradientBasedCorrections"));
  CHECK(strstr(x, "<crs:PaintBasedCorrections>")); /* the brush stays, untouched */
  CHECK(strstr(x, "crs:Flipped=\"false\"") && strstr(x, "crs:MaskInverted=\"true\""));
  CHECK(strstr(x, "<crs:LocalToningHue>230</crs:LocalToningHue>")); /* element form kept */
  CHECK(strstr(x, "<?xpacket end=\"w\"?>"));
  CHECK(strstr(x, "crs:ProcessVersion=\"10.0\"")); /* Lightroom's own, not replaced */
  CHECK_OK(ctx, read_xml(ctx, x, &back));
  CHECK(back.source_version == 1 && back.n_corrections == 2);
  for (int ci = 0; ci < 2 && ci < back.n_corrections; ci++)
    CHECK(corrections_equal(&r.corrections[ci], &back.corrections[ci], ci));
  char *y = write_xml(ctx, &back);
  CHECK(y && !strcmp(x, y));
  if (getenv("DM_TEST_VERBOSE")) fputs(x, stdout);
  free(x);
  free(y);
  dm_recipe_free(&r);
  dm_recipe_free(&back);
}

/* A sidecar with no corrections (ratings only) gains them where Lightroom
 * keeps them, with what Lightroom needs to read them, and loses nothing. */
static void test_plain_sidecar(dm_context *ctx) {
  const char *plain =
      "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\" x:xmptk=\"XMP Core 4.4.0-Exiv2\">\n"
      " <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"
      "  <rdf:Description rdf:about=\"\" xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"\n"
      "    xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmp:Rating=\"4\">\n"
      "   <dc:subject><rdf:Bag><rdf:li>portrait</rdf:li><rdf:li>studio</rdf:li></rdf:Bag></dc:subject>\n"
      "  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n";
  dm_recipe r, back;
  CHECK_OK(ctx, dm_recipe_init(ctx, &r));
  CHECK_OK(ctx, dm_recipe_init(ctx, &back));
  CHECK_OK(ctx, read_xml(ctx, plain, &r));
  CHECK(r.n_corrections == 0 && r.source_version == 0);
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[0].exposure=0.5"));
  char *x = write_xml(ctx, &r);
  if (!x) return;
  lines a = canonical(plain, strlen(plain)), b = canonical(x, strlen(x));
  CHECK(missing(&a, &b, "lost", 1) == 0);
  CHECK(strstr(x, "xmlns:crs=\"" DM_CRS_NS "\""));
  CHECK(strstr(x, "crs:ProcessVersion=\"11.0\"") && strstr(x, "crs:HasSettings=\"True\""));
  CHECK(strstr(x, "crs:LocalExposure2012=\"0.125\""));
  CHECK_OK(ctx, read_xml(ctx, x, &back));
  CHECK(back.n_corrections == 1 && back.corrections[0].sliders.v[DM_ADJ_EXPOSURE] == 0.5f);
  free_lines(&a);
  free_lines(&b);
  free(x);
  dm_recipe_free(&r);
  dm_recipe_free(&back);
}

int main(void) {
  dm_context *ctx = dm_context_new(1);
  test_lightroom_sidecar(ctx);
  test_v0_upgrade(ctx);
  test_plain_sidecar(ctx);
  dm_context_free(ctx);
  return dm_test_done("recipe/lightroom");
}
