/* Lightroom brushes in the sidecar. fixtures/lightroom_brush.xmp (hand-written
 * in Lightroom 11+'s layout, see its header) reads into strokes whose dabs
 * carry the settings the "r"/"f"/"h" entries give them; an unchanged
 * rewrite keeps every element, attribute and number in its spelling; an
 * edit rewrites only what it changes; --set builds brushes; malformed
 * brushes fail naming the field; shapes we do not draw are kept; and what
 * the sidecar says renders to the values the reading in src/mask/brush.c
 * gives on paper. */
#include "mask/brush.h"
#include "recipe_test_util.h"
#include "xml_lines.h"

/* ---- the fixture ------------------------------------------------------------- */

static int dab_is(const dm_brush_dab *d, float x, float y, float radius, float flow, float feather) {
  int ok = d->x == x && d->y == y && d->radius == radius && d->flow == flow && d->feather == feather;
  if (!ok)
    fprintf(stderr, "dab %.9g,%.9g r %.9g f %.9g h %.9g, want %.9g,%.9g r %.9g f %.9g h %.9g\n",
            (double)d->x, (double)d->y, (double)d->radius, (double)d->flow, (double)d->feather,
            (double)x, (double)y, (double)radius, (double)flow, (double)feather);
  return ok;
}

static void check_read(const dm_recipe *r) {
  CHECK(r->n_corrections == 2);
  if (r->n_corrections != 2) return;
  const dm_correction *dodge = &r->corrections[0], *burn = &r->corrections[1];
  /* [brush] [Camera Raw's opaque brush table: kept] */
  CHECK(dodge->n_masks == 1 && dm_correction_n_slots(dodge) == 2);
  const char *what = NULL;
  CHECK(dm_correction_slot_mask(dodge, 0, NULL) == 0);
  CHECK(dm_correction_slot_mask(dodge, 1, &what) == -1 && what && !strcmp(what, "Mask/Aggregate"));
  CHECK(dm_correction_unrendered(dodge, &what) == 1); /* switched on: render refuses it */
  const dm_mask_component *m = &dodge->masks[0];
  CHECK(m->kind == DM_MASK_BRUSH && m->mode == DM_MASK_ADD && m->invert == 0 && m->opacity == 100);
  CHECK(dm_brush_n_strokes(m->brush) == 3 && dm_brush_n_dabs(m->brush) == 7);
  if (dm_brush_n_strokes(m->brush) != 3 || dm_brush_n_dabs(m->brush) != 7) return;
  /* Stroke 0: attributes scaled (Flow x 100, 100 - CenterWeight x 100,
   * MaskValue x 100), then "f 0.5610", "h 0.1960" for every dab and
   * "r 0.300000" from the third dab on. */
  const dm_brush_stroke *s = &m->brush->strokes[0];
  CHECK(s->radius == 0.326681f && s->flow == (float)56.1039 && s->erase == 0);
  CHECK(s->feather == (float)(0.195981 * -100.0 + 100.0) && s->density == (float)67.4528);
  CHECK(s->n_dabs == 3);
  const float f0 = (float)(0.561 * 100.0), h0 = (float)(0.196 * -100.0 + 100.0);
  CHECK(dab_is(&s->dabs[0], 0.119346f, 0.855057f, 0.326681f, f0, h0));
  CHECK(dab_is(&s->dabs[1], 0.069446f, 0.918315f, 0.326681f, f0, h0));
  CHECK(dab_is(&s->dabs[2], 0.02f, 0.98f, 0.3f, f0, h0));
  /* Stroke 1: MaskValue 0 is Lightroom's eraser; CenterWeight 1 = feather 0. */
  s = &m->brush->strokes[1];
  CHECK(s->erase == 1 && s->density == 100 && s->radius == 0.05f && s->flow == 100 && s->feather == 0);
  CHECK(s->n_dabs == 1 && dab_is(&s->dabs[0], 0.08f, 0.9f, 0.05f, 100, 0));
  /* Stroke 2: "f 0.25" and "h 1" change only the dab after them. */
  s = &m->brush->strokes[2];
  CHECK(s->density == 100 && s->flow == 100 && s->feather == 100 && s->n_dabs == 3);
  CHECK(dab_is(&s->dabs[0], 0.5f, 0.5f, 0.082157f, 100, 100));
  CHECK(dab_is(&s->dabs[1], 0.516431f, 0.5f, 0.082157f, 100, 100));
  CHECK(dab_is(&s->dabs[2], 0.532862f, 0.5f, 0.082157f, 25, 0));
  /* Burn: an inverted brush at 80 % (MaskValue 0.8 on the Aggregate). */
  CHECK(burn->amount == 60 && burn->n_masks == 1);
  m = &burn->masks[0];
  CHECK(m->kind == DM_MASK_BRUSH && m->invert == 1 && m->opacity == 80 && m->mode == DM_MASK_ADD);
  CHECK(dm_brush_n_strokes(m->brush) == 1);
  if (dm_brush_n_strokes(m->brush) == 1) {
    s = &m->brush->strokes[0];
    CHECK(s->radius == 0.1f && s->flow == 50 && s->feather == 50 && s->density == 100);
  }
}

static void test_fixture(dm_context *ctx) {
  const char *path = fixture_path("lightroom_brush.xmp");
  size_t orig_len;
  unsigned char *orig = dm_test_read(path, &orig_len);
  dm_recipe r, again;
  CHECK_OK(ctx, dm_recipe_init(ctx, &r));
  CHECK_OK(ctx, dm_recipe_init(ctx, &again));
  CHECK_OK(ctx, dm_recipe_read_file(ctx, path, &r));
  check_read(&r);

  /* Unchanged, the rewrite holds every element, attribute and text of the
   * file in its own spelling ("f 0.5610", "0.561039", "d 0.020000 0.980000",
   * the brush table) and adds only dm:RecipeVersion and dm:ProcessVersion. */
  char *x1 = write_xml(ctx, &r);
  if (!x1 || !orig) return;
  lines a = canonical((const char *)orig, orig_len), b = canonical(x1, strlen(x1));
  CHECK(missing(&a, &b, "lost on rewrite", 1) == 0);
  CHECK(missing(&b, &a, "added on rewrite", 0) == 2);
  CHECK(contains(&b, "#text=f 0.5610") && contains(&b, "#text=h 0.1960"));
  CHECK(contains(&b, "#text=r 0.300000") && contains(&b, "#text=d 0.020000 0.980000"));
  CHECK(contains(&b, "CenterWeight=0.195981") && contains(&b, "MaskBrushTable=4C2A9E0B"));
  free_lines(&b);
  /* Read back: the same recipe, then the same bytes. */
  CHECK_OK(ctx, read_xml(ctx, x1, &again));
  check_read(&again);
  for (int ci = 0; ci < r.n_corrections && ci < again.n_corrections; ci++)
    CHECK(corrections_equal(&r.corrections[ci], &again.corrections[ci], ci));
  char *x2 = write_xml(ctx, &again);
  CHECK(x2 && !strcmp(x1, x2));

  /* New dabs for stroke 2 only: its entries are rewritten, every other
   * line of the file stays. */
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[0].mask[0].stroke[2].dabs=0.6,0.6,0.61,0.6"));
  char *x3 = write_xml(ctx, &r);
  lines c = canonical(x3 ? x3 : "", x3 ? strlen(x3) : 0);
  /* Lost: stroke 2's five entry texts and the three <rdf:li> it no longer needs. */
  CHECK(missing(&a, &c, "lost after the edit", 0) == 8);
  CHECK(contains(&c, "#text=d 0.600000 0.600000") && contains(&c, "#text=d 0.610000 0.600000"));
  CHECK(!contains(&c, "#text=d 0.516431 0.500000") && !contains(&c, "#text=h 1"));
  CHECK(contains(&c, "#text=f 0.5610") && contains(&c, "#text=r 0.300000")); /* stroke 0 */
  CHECK(contains(&c, "MaskSyncID=FA7459A9F5626F4881D7B730C3093F95")); /* stroke 2's own */
  free_lines(&c);
  /* A stroke-wide radius replaces its dabs' (pen pressure): the "r" entry
   * goes, the others are written for the values they still hold. */
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[0].mask[0].stroke[0].radius=0.25"));
  char *x4 = write_xml(ctx, &r);
  CHECK(x4 && strstr(x4, "crs:Radius=\"0.25\"") && !strstr(x4, "<rdf:li>r 0.300000</rdf:li>"));
  CHECK(x4 && strstr(x4, "<rdf:li>f 0.561</rdf:li>") && strstr(x4, "<rdf:li>h 0.196</rdf:li>"));
  dm_recipe back;
  CHECK_OK(ctx, dm_recipe_init(ctx, &back));
  CHECK_OK(ctx, read_xml(ctx, x4 ? x4 : "", &back));
  for (int ci = 0; ci < r.n_corrections && ci < back.n_corrections; ci++)
    CHECK(corrections_equal(&r.corrections[ci], &back.corrections[ci], ci));
  const dm_brush_stroke *s0 = &back.corrections[0].masks[0].brush->strokes[0];
  CHECK(s0->dabs[2].radius == 0.25f && s0->dabs[2].flow == (float)(0.561 * 100.0));

  free_lines(&a);
  free(orig);
  free(x1);
  free(x2);
  free(x3);
  free(x4);
  dm_recipe_free(&r);
  dm_recipe_free(&again);
  dm_recipe_free(&back);
}

/* ---- --set ------------------------------------------------------------------ */

static void expect_set_fail(dm_context *ctx, dm_recipe *r, const char *set, const char *msg) {
  char *before = write_xml(ctx, r);
  dm_status s = dm_recipe_set(ctx, r, set);
  const char *e = dm_context_error(ctx);
  if (s == DM_OK || !strstr(e, msg)) {
    fprintf(stderr, "--set %s: expected \"%s\", got %s\n", set, msg, s ? e : "(success)");
    dm_test_failures++;
  }
  char *after = write_xml(ctx, r);
  CHECK(before && after && !strcmp(before, after)); /* a failed --set changes nothing */
  free(before);
  free(after);
}

static void test_set(dm_context *ctx) {
  dm_recipe r, back;
  CHECK_OK(ctx, dm_recipe_init(ctx, &r));
  CHECK_OK(ctx, dm_recipe_init(ctx, &back));
  static const char *const sets[] = {
      "correction[0].exposure=0.5",
      "correction[0].mask[0].kind=brush",
      "correction[0].mask[0].stroke[0].dabs=0.25,0.5,0.3,0.5",
      "correction[0].mask[0].stroke[0].radius=0.08",
      "correction[0].mask[0].stroke[0].feather=0",
      "correction[0].mask[0].stroke[1].erase=true",
      "correction[0].mask[0].stroke[1].flow=50",
      "correction[0].mask[0].stroke[1].dabs=0.27,0.5",
      "correction[0].mask[1].kind=brush", /* empty */
  };
  apply_sets(ctx, &r, sets, sizeof sets / sizeof *sets);
  const dm_mask_component *m = &r.corrections[0].masks[0];
  CHECK(m->kind == DM_MASK_BRUSH && dm_brush_n_strokes(m->brush) == 2);
  if (dm_brush_n_strokes(m->brush) == 2) {
    const dm_brush_stroke *s = &m->brush->strokes[0];
    CHECK(s->n_dabs == 2 && s->radius == 0.08f && s->feather == 0 && s->flow == 100);
    CHECK(dab_is(&s->dabs[1], 0.3f, 0.5f, 0.08f, 100, 0)); /* dabs follow stroke settings */
    s = &m->brush->strokes[1];
    CHECK(s->erase == 1 && s->n_dabs == 1 && dab_is(&s->dabs[0], 0.27f, 0.5f, 0.05f, 50, 50));
  }
  CHECK(r.corrections[0].masks[1].kind == DM_MASK_BRUSH && !r.corrections[0].masks[1].brush);
  char *x = write_xml(ctx, &r);
  CHECK(x && strstr(x, "crs:MaskName=\"Brush 2\"")); /* the empty one */
  CHECK(x && strstr(strstr(x, "Brush 2") ? strstr(x, "Brush 2") : x, "<rdf:Seq/>"));
  CHECK_OK(ctx, read_xml(ctx, x ? x : "", &back));
  CHECK(back.n_corrections == 1 && corrections_equal(&r.corrections[0], &back.corrections[0], 0));
  free(x);

  expect_set_fail(ctx, &r, "correction[0].mask[0].radius=0.1",
                  "belongs to the brush's strokes: set correction[N].mask[M].stroke[S].radius");
  expect_set_fail(ctx, &r, "correction[0].mask[0].stroke[3].dabs=0.5,0.5",
                  "the brush has 2 strokes; stroke[2] would add one");
  expect_set_fail(ctx, &r, "correction[0].mask[0].stroke[0].dabs=0.5",
                  "expected x,y pairs (fractions of the photo), got 1 number");
  expect_set_fail(ctx, &r, "correction[0].mask[0].stroke[0].dabs=0.5,abc", "\"abc\" is not a number");
  expect_set_fail(ctx, &r, "correction[0].mask[0].stroke[0].dabs=0.5,11", "11 is outside -10..10");
  expect_set_fail(ctx, &r, "correction[0].mask[0].stroke[2].dabs=", "expected x,y pairs");
  expect_set_fail(ctx, &r, "correction[0].mask[0].stroke[0].flow=101", "101 is outside 0..100");
  expect_set_fail(ctx, &r, "correction[0].mask[0].stroke[0].radius=0", "0 is outside 1e-05..4");
  expect_set_fail(ctx, &r, "correction[0].mask[0].stroke[0].radus=0.1",
                  "unknown key (did you mean radius?");
  expect_set_fail(ctx, &r, "correction[0].mask[0].stroke[0]=1", "malformed key");
  expect_set_fail(ctx, &r, "correction[0].mask[2].stroke[0].dabs=0.5,0.5",
                  "strokes belong to brush components, not whole_image");
  expect_set_fail(ctx, &r, "correction[0].mask[0].stroke[2].flow=500", "500 is outside 0..100");
  CHECK(dm_brush_n_strokes(r.corrections[0].masks[0].brush) == 2); /* none appended */

  /* Switching kind drops the strokes (ASan checks they are freed), and a
   * brush again starts empty. */
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[0].mask[0].kind=radial_gradient"));
  CHECK(!r.corrections[0].masks[0].brush);
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[0].mask[0].kind=brush"));
  CHECK(dm_brush_n_strokes(r.corrections[0].masks[0].brush) == 0);
  /* A preset carries its brushes (deep copies: freeing one keeps the other). */
  dm_recipe preset;
  CHECK_OK(ctx, dm_recipe_init(ctx, &preset));
  apply_sets(ctx, &preset, sets, sizeof sets / sizeof *sets);
  CHECK_OK(ctx, dm_recipe_apply_preset(ctx, &r, &preset));
  dm_recipe_free(&preset);
  CHECK(dm_brush_n_dabs(r.corrections[0].masks[0].brush) == 3);
  dm_recipe_free(&r);
  dm_recipe_free(&back);
}

/* ---- strict reading, and shapes that are kept ----------------------------------- */

/* One correction at +0.5 EV whose only component is an Aggregate with
 * `agg_attrs` holding `strokes`. */
static char *brush_sidecar(const char *agg_attrs, const char *strokes) {
  static char buf[8192];
  snprintf(buf, sizeof buf,
           "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF "
           "xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">"
           "<rdf:Description rdf:about=\"\" xmlns:crs=\"" DM_CRS_NS "\" xmlns:dm=\"" DM_XMP_NS "\">"
           "<crs:MaskGroupBasedCorrections><rdf:Seq><rdf:li><rdf:Description "
           "crs:What=\"Correction\" crs:LocalExposure2012=\"0.125\"><crs:CorrectionMasks><rdf:Seq>"
           "<rdf:li><rdf:Description crs:What=\"Mask/Aggregate\" crs:MaskBlendMode=\"0\" "
           "%s>%s</rdf:Description></rdf:li>"
           "</rdf:Seq></crs:CorrectionMasks></rdf:Description></rdf:li></rdf:Seq>"
           "</crs:MaskGroupBasedCorrections></rdf:Description></rdf:RDF></x:xmpmeta>",
           agg_attrs, strokes);
  return buf;
}

/* A <crs:Masks> of one stroke with `attrs` and `dabs` (the inside of crs:Dabs). */
static char *one_stroke(const char *attrs, const char *dabs) {
  static char buf[4096];
  snprintf(buf, sizeof buf,
           "<crs:Masks><rdf:Seq><rdf:li><rdf:Description crs:What=\"Mask/Paint\" %s>%s"
           "</rdf:Description></rdf:li></rdf:Seq></crs:Masks>", attrs, dabs);
  return buf;
}

#define STROKE "crs:MaskValue=\"1\" crs:Radius=\"0.1\" crs:Flow=\"1\" crs:CenterWeight=\"0\""
#define DABS(e) "<crs:Dabs><rdf:Seq>" e "</rdf:Seq></crs:Dabs>"
#define ONE_DAB DABS("<rdf:li>d 0.5 0.5</rdf:li>")

static void test_strict(dm_context *ctx) {
  static const struct {
    const char *attrs, *dabs, *msg;
  } bad[] = {
      {"crs:Radius=\"abc\"", ONE_DAB,
       "crs:Radius in correction[0].mask[0].stroke[0]: \"abc\" is not a number"},
      {"crs:Radius=\"0\"", ONE_DAB, "crs:Radius in correction[0].mask[0].stroke[0]: 0 is outside"},
      {"crs:Radius=\"0.1\" crs:Flow=\"1.5\"", ONE_DAB,
       "crs:Flow in correction[0].mask[0].stroke[0]: 1.5 is outside 0..1 (flow 0..100)"},
      {"crs:Radius=\"0.1\" crs:CenterWeight=\"-0.1\"", ONE_DAB,
       "crs:CenterWeight in correction[0].mask[0].stroke[0]: -0.1 is outside 0..1"},
      {"crs:Radius=\"0.1\" crs:MaskValue=\"2\"", ONE_DAB,
       "crs:MaskValue in correction[0].mask[0].stroke[0]: 2 is outside 0..1 (density 0..100)"},
      {"crs:Flow=\"1\"", ONE_DAB, "crs:Radius in correction[0].mask[0].stroke[0]: missing"},
      {STROKE, "", "crs:Dabs in correction[0].mask[0].stroke[0]: missing"},
      {STROKE " crs:Dabs=\"d 0.5 0.5\"", "",
       "crs:Dabs in correction[0].mask[0].stroke[0]: expected an rdf:Seq of entries"},
      {STROKE, DABS("<rdf:li>d 0.5</rdf:li>"),
       "crs:Dabs in correction[0].mask[0].stroke[0], entry 0: \"d 0.5\": expected 2 numbers"},
      {STROKE, DABS("<rdf:li>d 0.5 0.5</rdf:li><rdf:li>q 0.5 0.5</rdf:li>"),
       "entry 1: \"q 0.5 0.5\" is not a dab (\"d X Y\") or a brush setting"},
      {STROKE, DABS("<rdf:li>d0.5 0.5</rdf:li>"), "entry 0: \"d0.5 0.5\" is not a dab"},
      {STROKE, DABS("<rdf:li>d 0.5 abc</rdf:li>"), "\"d 0.5 abc\": expected 2 numbers after 'd'"},
      {STROKE, DABS("<rdf:li>d 0.5 0.5 0.5</rdf:li>"), "expected 2 numbers after 'd'"},
      {STROKE, DABS("<rdf:li>f 2</rdf:li>"), "\"f 2\": flow outside 0..1"},
      {STROKE, DABS("<rdf:li>h -1</rdf:li>"), "\"h -1\": centre weight outside 0..1"},
      {STROKE, DABS("<rdf:li>r 0</rdf:li>"), "\"r 0\": radius outside"},
      {STROKE, DABS("<rdf:li>r nan</rdf:li>"), "\"r nan\": expected 1 number after 'r'"},
      {STROKE, DABS("<rdf:li>d 20 0.5</rdf:li>"), "\"d 20 0.5\": the dab lies outside -10..10"},
      {STROKE, DABS("<rdf:li><rdf:Description/></rdf:li>"), "entry 0: expected text"},
      {STROKE, DABS("<rdf:Bag/>"), "<Bag> where an rdf:li belongs"},
      {STROKE " crs:MaskInverted=\"maybe\"", ONE_DAB,
       "crs:MaskInverted in correction[0].mask[0].stroke[0]: \"maybe\" is not true or false"},
      {STROKE " dm:Radius=\"2\"", ONE_DAB,
       "dm:Radius in correction[0].mask[0].stroke[0]: unknown depthmask field"},
  };
  dm_recipe good;
  CHECK_OK(ctx, dm_recipe_init(ctx, &good));
  const char *ok = brush_sidecar("", one_stroke(STROKE, ONE_DAB));
  CHECK_OK(ctx, dm_recipe_read_mem(ctx, ok, strlen(ok), "photo.xmp", &good));
  CHECK(good.n_corrections == 1 && good.corrections[0].masks[0].kind == DM_MASK_BRUSH);
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    const char *xml = brush_sidecar("", one_stroke(bad[i].attrs, bad[i].dabs));
    dm_status s = dm_recipe_read_mem(ctx, xml, strlen(xml), "photo.xmp", &good);
    const char *e = dm_context_error(ctx);
    if (s == DM_OK || !strstr(e, bad[i].msg) || strncmp(e, "photo.xmp: ", 11)) {
      fprintf(stderr, "case %zu: expected \"%s\", got: %s\n", i, bad[i].msg, s ? e : "(success)");
      dm_test_failures++;
    }
    /* The recipe read before is untouched. */
    CHECK(good.n_corrections == 1 && dm_brush_n_dabs(good.corrections[0].masks[0].brush) == 1);
  }
  /* A stroke without Flow, CenterWeight, MaskValue: read as 1, 0, 1. */
  const char *bare = brush_sidecar("", one_stroke("crs:Radius=\"0.1\"", ONE_DAB));
  dm_recipe r;
  CHECK_OK(ctx, dm_recipe_init(ctx, &r));
  CHECK_OK(ctx, dm_recipe_read_mem(ctx, bare, strlen(bare), "photo.xmp", &r));
  const dm_brush *b = r.corrections[0].masks[0].brush;
  CHECK(dm_brush_n_strokes(b) == 1 && b->strokes[0].flow == 100 && b->strokes[0].feather == 100 &&
        b->strokes[0].density == 100 && b->strokes[0].erase == 0);
  dm_recipe_free(&r);

  /* Shapes we do not draw are kept, at their place, for render to refuse. */
  static const struct {
    const char *agg, *inside;
  } kept[] = {
      {"crs:MaskBrushTable=\"9F8737DEECAFF5C8FE6BB4B9D438EAF2\"", ""},
      {"crs:MaskBrushTable=\"9F8737DEECAFF5C8FE6BB4B9D438EAF2\"", "@"},
      {"", ""}, /* no crs:Masks at all */
      {"", "<crs:Masks><rdf:Seq><rdf:li crs:What=\"Mask/Gradient\" crs:ZeroX=\"0.5\" "
           "crs:ZeroY=\"0.5\" crs:FullX=\"0.5\" crs:FullY=\"0\"/></rdf:Seq></crs:Masks>"},
      {"", "#crs:MaskBlendMode=\"1\""},
      {"", "#crs:MaskActive=\"false\""},
      {"", "#crs:MaskInverted=\"true\""},
  };
  for (size_t i = 0; i < sizeof kept / sizeof *kept; i++) {
    char attrs[256];
    const char *inside = kept[i].inside;
    if (inside[0] == '@') inside = one_stroke(STROKE, ONE_DAB);
    if (inside[0] == '#') {
      snprintf(attrs, sizeof attrs, STROKE " %s", inside + 1);
      inside = one_stroke(attrs, ONE_DAB);
    }
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", inside);
    const char *xml = brush_sidecar(kept[i].agg, copy);
    CHECK_OK(ctx, dm_recipe_init(ctx, &r));
    CHECK_OK(ctx, dm_recipe_read_mem(ctx, xml, strlen(xml), "photo.xmp", &r));
    const char *what = NULL;
    if (r.n_corrections == 1) {
      CHECK(r.corrections[0].n_masks == 0 && dm_correction_n_preserved(&r.corrections[0]) == 1);
      CHECK(dm_correction_slot_mask(&r.corrections[0], 0, &what) == -1 && what &&
            !strcmp(what, "Mask/Aggregate"));
    } else {
      CHECK(!"kept shape: no correction");
    }
    char *x = write_xml(ctx, &r);
    CHECK(x && (!kept[i].agg[0] || strstr(x, "crs:MaskBrushTable=\"9F8737DEECAFF5C8FE6BB4B9D438EAF2\"")));
    free(x);
    dm_recipe_free(&r);
  }
  /* An Aggregate with no stroke: an empty brush (what kind=brush writes). */
  const char *empty = brush_sidecar("", "<crs:Masks><rdf:Seq/></crs:Masks>");
  CHECK_OK(ctx, dm_recipe_init(ctx, &r));
  CHECK_OK(ctx, dm_recipe_read_mem(ctx, empty, strlen(empty), "photo.xmp", &r));
  CHECK(r.n_corrections == 1 && r.corrections[0].n_masks == 1 &&
        r.corrections[0].masks[0].kind == DM_MASK_BRUSH);
  dm_recipe_free(&r);
  dm_recipe_free(&good);
}

/* ---- from the sidecar to the mask ------------------------------------------------ */

/* What the sidecar's numbers paint, on paper (src/mask/brush.c): on 200 x
 * 100 the long side is 200. Dab 1 at pixel (50, 50), Radius 0.1 = 20 px,
 * CenterWeight 0 = feather 100: 0.5 at 10 px. Then "f 0.5", "h 1", "r 0.05":
 * dab 2 at pixel (150, 50) is a hard disc of 10 px at flow 0.5. The
 * component (MaskInverted, MaskValue 0.8 on the Aggregate) then gives
 * 0.8 (1 - value). */
static void test_render(dm_context *ctx) {
  const char *xml = brush_sidecar(
      "crs:MaskInverted=\"true\" crs:MaskValue=\"0.8\"",
      one_stroke(STROKE, DABS("<rdf:li>d 0.2525 0.505</rdf:li><rdf:li>f 0.5</rdf:li>"
                              "<rdf:li>h 1</rdf:li><rdf:li>r 0.05</rdf:li>"
                              "<rdf:li>d 0.7525 0.505</rdf:li>")));
  dm_recipe r;
  CHECK_OK(ctx, dm_recipe_init(ctx, &r));
  CHECK_OK(ctx, dm_recipe_read_mem(ctx, xml, strlen(xml), "photo.xmp", &r));
  if (r.n_corrections != 1 || r.corrections[0].n_masks != 1) {
    CHECK(!"render sidecar not read");
    dm_recipe_free(&r);
    return;
  }
  const dm_correction *c = &r.corrections[0];
  CHECK(c->masks[0].invert == 1 && c->masks[0].opacity == 80);
  dm_image img = {0}, m = {0};
  CHECK_OK(ctx, dm_image_alloc_zero(ctx, &img, 200, 100, 3));
  CHECK_OK(ctx, dm_image_alloc(ctx, &m, 200, 100, 1));
  dm_mask_inputs in = {.image = &img};
  CHECK_OK(ctx, dm_mask_render(ctx, c->masks, c->n_masks, &in, &m));
  const float o = 0.8f;
  CHECK_NEAR(dm_px(&m, 50, 50)[0], o * (1 - 1.0), 1e-6);
  CHECK_NEAR(dm_px(&m, 60, 50)[0], o * (1 - 0.5), 1e-4);
  CHECK_NEAR(dm_px(&m, 50, 40)[0], o * (1 - 0.5), 1e-4);
  CHECK_NEAR(dm_px(&m, 71, 50)[0], o, 1e-6);
  CHECK_NEAR(dm_px(&m, 150, 50)[0], o * (1 - 0.5), 1e-6);
  CHECK_NEAR(dm_px(&m, 159, 50)[0], o * (1 - 0.5), 1e-6);
  CHECK_NEAR(dm_px(&m, 150, 59)[0], o * (1 - 0.5), 1e-6);
  CHECK_NEAR(dm_px(&m, 161, 50)[0], o, 1e-6);
  CHECK_NEAR(dm_px(&m, 100, 90)[0], o, 1e-6);
  dm_image_free(&img);
  dm_image_free(&m);
  dm_recipe_free(&r);
}

int main(void) {
  dm_context *ctx = dm_context_new(1);
  test_fixture(ctx);
  test_set(ctx);
  test_strict(ctx);
  test_render(ctx);
  dm_context_free(ctx);
  return dm_test_done("recipe/lightroom_brush");
}
