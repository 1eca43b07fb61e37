/* Depth Range, Select Subject and Select Background in the sidecar, as
 * Lightroom stores them (src/recipe/lr_fields.c):
 *  - every kind x mode x invert (x two opacities) goes write -> read -> write
 *    with the same recipe and the same bytes; subtract of an inverted
 *    component comes back as the pixel-identical intersect and vice versa;
 *  - the text has Lightroom's fields (Type 3, DepthMin/Max/Feather in 0..1,
 *    Mask/Image with MaskSubType 1, or 0 + MaskSubCategoryID 22);
 *  - fixtures/lightroom_depth.xmp (hand-written from exiftool's crs field
 *    list) reads into exactly its components, and Lightroom's fields we do
 *    not model (DepthSampleInfo, MaskDigest, ErrorReason) survive a rewrite;
 *  - wrong values fail naming the field. */
#include "recipe_test_util.h"

static const dm_mask_kind new_kinds[] = {DM_MASK_DEPTH_RANGE, DM_MASK_SUBJECT, DM_MASK_BACKGROUND};

/* What a component reads back as: Lightroom has no inverted subtract or
 * inverted intersect of its own, it stores one as the other. */
static void normalised(dm_mask_component *m) {
  if (m->mode != DM_MASK_ADD && m->invert != 0) {
    m->mode = m->mode == DM_MASK_SUBTRACT ? DM_MASK_INTERSECT : DM_MASK_SUBTRACT;
    m->invert = 0;
  }
}

/* The attributes of the component named `name` in `xml` (from its
 * MaskName to the end of its element), "" if there is none. */
static void component_text(const char *xml, const char *name, char *out, size_t len) {
  char key[96];
  snprintf(key, sizeof key, "crs:MaskName=\"%s\"", name);
  const char *a = strstr(xml, key), *b = a ? strchr(a, '>') : NULL;
  out[0] = 0;
  CHECK(a && b);
  if (a && b) snprintf(out, len, "%.*s", (int)(b - a), a);
}

static void test_every_combination(dm_context *ctx) {
  dm_recipe a, b;
  CHECK_OK(ctx, dm_recipe_init(ctx, &a));
  CHECK_OK(ctx, dm_recipe_init(ctx, &b));
  char set[160];
  int slot = 0, ci = 0;
  for (int kk = 0; kk < 3; kk++)
    for (int mode = 0; mode < DM_MASK_MODE_COUNT; mode++)
      for (int inv = 0; inv < 2; inv++)
        for (int op = 0; op < 2; op++) {
          if (slot == 24) ci++, slot = 0; /* DM_MAX_MASKS per correction */
          const char *const field[] = {"kind", "mode", "invert", "opacity"};
          const char *const value[] = {dm_mask_kind_name(new_kinds[kk]),
                                       dm_mask_mode_name((dm_mask_mode)mode), inv ? "true" : "false",
                                       op ? "37.5" : "100"};
          for (int f = 0; f < 4; f++) {
            snprintf(set, sizeof set, "correction[%d].mask[%d].%s=%s", ci, slot, field[f], value[f]);
            CHECK_OK(ctx, dm_recipe_set(ctx, &a, set));
          }
          if (new_kinds[kk] == DM_MASK_DEPTH_RANGE) {
            /* Different numbers each time, some not exact in binary. */
            snprintf(set, sizeof set, "correction[%d].mask[%d].depth_range=%g,%g", ci, slot,
                     3.3 * slot, 40 + 2.7 * slot);
            CHECK_OK(ctx, dm_recipe_set(ctx, &a, set));
            snprintf(set, sizeof set, "correction[%d].mask[%d].smoothness=%g", ci, slot, 4.1 * slot);
            CHECK_OK(ctx, dm_recipe_set(ctx, &a, set));
          }
          slot++;
        }
  CHECK(a.n_corrections == 2 && a.corrections[0].n_masks == 24 && a.corrections[1].n_masks == 12);

  char *x1 = write_xml(ctx, &a);
  if (!x1) return;
  if (getenv("DM_TEST_VERBOSE")) fputs(x1, stdout);
  CHECK_OK(ctx, read_xml(ctx, x1, &b));
  CHECK(b.n_corrections == 2);
  for (int c = 0; c < 2 && c < b.n_corrections; c++) {
    CHECK(dm_correction_n_preserved(&b.corrections[c]) == 0);
    for (int k = 0; k < a.corrections[c].n_masks; k++) normalised(&a.corrections[c].masks[k]);
    CHECK(corrections_equal(&a.corrections[c], &b.corrections[c], c));
  }
  char *x2 = write_xml(ctx, &b);
  CHECK(x2 && !strcmp(x1, x2));

  /* Lightroom's fields, on the text. */
  CHECK(strstr(x1, "crs:What=\"Mask/RangeMask\""));
  CHECK(strstr(x1, "crs:MaskName=\"Depth Range 1\""));
  CHECK(strstr(x1, "crs:Type=\"3\""));
  CHECK(!strstr(x1, "crs:Type=\"2\"")); /* no luminance range here */
  CHECK(strstr(x1, "crs:DepthMin=\"0.033\"") && strstr(x1, "crs:DepthMax=\"0.427\""));
  CHECK(strstr(x1, "crs:DepthFeather=\"0.041\""));
  CHECK(strstr(x1, "crs:MaskSubType=\"1\"") && strstr(x1, "crs:MaskName=\"Subject 1\""));
  CHECK(strstr(x1, "crs:MaskSubType=\"0\"") && strstr(x1, "crs:MaskSubCategoryID=\"22\""));
  CHECK(strstr(x1, "crs:MaskName=\"Background 1\""));
  CHECK(!strstr(x1, "dm:Kind") && !strstr(x1, "dm:DepthRange"));
  /* Intersect = subtract (1) of the inverted component, painting towards 0;
   * Subject 9 is the subject's first intersect (invert off, opacity 100). */
  char li[1024];
  component_text(x1, "Subject 9", li, sizeof li);
  CHECK(strstr(li, "crs:MaskBlendMode=\"1\"") && strstr(li, "crs:MaskInverted=\"true\"") &&
        strstr(li, "crs:MaskValue=\"0\""));
  component_text(x1, "Subject 5", li, sizeof li); /* subtract */
  CHECK(strstr(li, "crs:MaskBlendMode=\"1\"") && strstr(li, "crs:MaskInverted=\"false\""));
  component_text(x1, "Depth Range 2", li, sizeof li); /* add, opacity 37.5 */
  CHECK(strstr(li, "crs:MaskBlendMode=\"0\"") && strstr(li, "crs:MaskValue=\"0.375\""));
  component_text(x1, "Background 4", li, sizeof li); /* add, inverted, opacity 37.5 */
  CHECK(strstr(li, "crs:MaskInverted=\"true\"") && strstr(li, "crs:MaskValue=\"0.375\"") &&
        strstr(li, "crs:MaskSubCategoryID=\"22\""));
  free(x1);
  free(x2);
  dm_recipe_free(&a);
  dm_recipe_free(&b);
}

static void test_lightroom_fixture(dm_context *ctx) {
  dm_recipe r, back;
  CHECK_OK(ctx, dm_recipe_init(ctx, &r));
  CHECK_OK(ctx, dm_recipe_init(ctx, &back));
  CHECK_OK(ctx, dm_recipe_read_file(ctx, fixture_path("lightroom_depth.xmp"), &r));
  CHECK(r.n_corrections == 2);
  if (r.n_corrections != 2) return;
  const dm_correction *far = &r.corrections[0], *bg = &r.corrections[1];
  CHECK(!strcmp(far->name, "Far background, not the subject"));
  CHECK(far->sliders.v[DM_ADJ_EXPOSURE] == -0.5f && far->sliders.v[DM_ADJ_SATURATION] == -30.0f);
  CHECK(far->n_masks == 2 && dm_correction_n_preserved(far) == 0);
  const dm_mask_component *d = &far->masks[0], *s = &far->masks[1];
  CHECK(d->kind == DM_MASK_DEPTH_RANGE && d->mode == DM_MASK_ADD && d->invert == 0);
  CHECK(d->opacity == 100);
  CHECK(d->depth_range[0] == 20 && d->depth_range[1] == 45 && d->smoothness == 30);
  CHECK(s->kind == DM_MASK_SUBJECT && s->mode == DM_MASK_INTERSECT && s->invert == 0);
  CHECK(s->opacity == 100);
  CHECK(!strcmp(bg->name, "Background") && bg->sliders.v[DM_ADJ_CLARITY] == -20.0f);
  CHECK(bg->n_masks == 1 && dm_correction_n_preserved(bg) == 0);
  CHECK(bg->masks[0].kind == DM_MASK_BACKGROUND && bg->masks[0].mode == DM_MASK_ADD);
  CHECK(bg->masks[0].invert == 0 && bg->masks[0].opacity == 80);

  /* Rewritten: Lightroom's own fields stay, in Lightroom's spelling. */
  char *x = write_xml(ctx, &r);
  if (!x) return;
  CHECK(strstr(x, "crs:DepthSampleInfo=\"0.331 0.612305 0.418945\""));
  CHECK(strstr(x, "crs:SampleType=\"0\"") && strstr(x, "crs:Version=\"3\""));
  CHECK(strstr(x, "crs:DepthMin=\"0.2\"") && strstr(x, "crs:DepthMax=\"0.45\""));
  CHECK(strstr(x, "crs:MaskDigest=\"3E2D1C0B9A8F7E6D5C4B3A2918070605\""));
  CHECK(strstr(x, "crs:ErrorReason=\"0\"") && strstr(x, "crs:MaskValue=\"0.8\""));
  CHECK(strstr(x, "NOT written by Lightroom")); /* the fixture's comment */
  CHECK_OK(ctx, read_xml(ctx, x, &back));
  for (int ci = 0; ci < 2 && ci < back.n_corrections; ci++)
    CHECK(corrections_equal(&r.corrections[ci], &back.corrections[ci], ci));

  /* Edited: the range moves, the sample and digests stay. */
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[0].mask[0].depth_range=10,62.5"));
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[1].mask[0].kind=subject"));
  char *y = write_xml(ctx, &r);
  CHECK(y && strstr(y, "crs:DepthMin=\"0.1\"") && strstr(y, "crs:DepthMax=\"0.625\""));
  CHECK(y && strstr(y, "crs:DepthSampleInfo=\"0.331 0.612305 0.418945\""));
  CHECK(y && !strstr(y, "crs:MaskSubCategoryID=")); /* background -> subject: a new component */
  free(x);
  free(y);
  dm_recipe_free(&r);
  dm_recipe_free(&back);
}

/* The fixture with `from` replaced by `to` must fail with `msg`. */
static void expect_bad(dm_context *ctx, const char *orig, const char *from, const char *to,
                       const char *msg) {
  const char *at = strstr(orig, from);
  CHECK(at != NULL);
  if (!at) return;
  size_t n = strlen(orig) + strlen(to) + 1;
  char *xml = malloc(n);
  snprintf(xml, n, "%.*s%s%s", (int)(at - orig), orig, to, at + strlen(from));
  dm_recipe r;
  CHECK_OK(ctx, dm_recipe_init(ctx, &r));
  dm_status s = dm_recipe_read_mem(ctx, xml, strlen(xml), "depth.xmp", &r);
  const char *e = dm_context_error(ctx);
  if (s == DM_OK || strncmp(e, "depth.xmp: ", 11) || !strstr(e, msg)) {
    fprintf(stderr, "%s -> %s: expected \"%s\", got %s\n", from, to, msg, s ? e : "(success)");
    dm_test_failures++;
  }
  dm_recipe_free(&r);
  free(xml);
}

static void test_bad_values(dm_context *ctx) {
  unsigned char *buf;
  size_t len;
  CHECK_OK(ctx, dm_read_file(ctx, fixture_path("lightroom_depth.xmp"), 1 << 20, &buf, &len));
  const char *x = (const char *)buf;
  expect_bad(ctx, x, "crs:DepthMin=\"0.2\"", "crs:DepthMin=\"1.5\"",
             "crs:DepthMin in correction[0].mask[0]: 1.5 is outside 0..1");
  expect_bad(ctx, x, "crs:DepthMax=\"0.45\"", "crs:DepthMax=\"-0.1\"",
             "crs:DepthMax in correction[0].mask[0]: -0.1 is outside 0..1");
  expect_bad(ctx, x, "crs:DepthMin=\"0.2\"", "crs:DepthMin=\"0.5\"",
             "crs:DepthMin in correction[0].mask[0]: 0.5 is above crs:DepthMax 0.45");
  expect_bad(ctx, x, "crs:DepthFeather=\"0.3\"", "crs:DepthFeather=\"2\"",
             "crs:DepthFeather in correction[0].mask[0]: 2 is outside 0..1");
  expect_bad(ctx, x, "crs:DepthMin=\"0.2\"", "crs:DepthMin=\"near\"", "crs:DepthMin in correction[0].mask[0]");
  expect_bad(ctx, x, "crs:DepthMax=\"0.45\"", "", "crs:DepthMax in correction[0].mask[0]: missing");
  expect_bad(ctx, x, "crs:MaskSubType=\"1\"", "crs:MaskSubType=\"7\"",
             "crs:MaskSubType in correction[0].mask[1]: 7 is not a Lightroom AI mask type");
  expect_bad(ctx, x, "crs:MaskSubType=\"1\"", "crs:MaskSubType=\"1.5\"",
             "crs:MaskSubType in correction[0].mask[1]: 1.5 is not");
  expect_bad(ctx, x, "crs:MaskSubCategoryID=\"22\"", "crs:MaskSubCategoryID=\"sky\"",
             "crs:MaskSubCategoryID in correction[1].mask[0]");
  expect_bad(ctx, x, "crs:MaskSubCategoryID=\"22\"", "crs:MaskSubCategoryID=\"-3\"",
             "crs:MaskSubCategoryID in correction[1].mask[0]: -3 is not a category number");
  expect_bad(ctx, x, "crs:MaskValue=\"0.8\"", "crs:MaskValue=\"1.8\"",
             "crs:MaskValue in correction[1].mask[0]: 1.8 is outside 0..1");
  expect_bad(ctx, x, "crs:Invert=\"false\"", "crs:Invert=\"maybe\"", "crs:Invert in correction[0].mask[0]");

  /* Lightroom's other AI types are kept, not refused. */
  dm_recipe r;
  CHECK_OK(ctx, dm_recipe_init(ctx, &r));
  const char *from = "crs:MaskSubCategoryID=\"22\"";
  const char *at = strstr(x, from);
  if (at) {
    char *sky = malloc(len + 8);
    sprintf(sky, "%.*scrs:MaskSubCategoryID=\"2\"%s", (int)(at - x), x, at + strlen(from));
    CHECK_OK(ctx, dm_recipe_read_mem(ctx, sky, strlen(sky), "sky.xmp", &r));
    CHECK(r.n_corrections == 2 && r.corrections[1].n_masks == 0);
    CHECK(r.n_corrections == 2 && dm_correction_n_preserved(&r.corrections[1]) == 1);
    free(sky);
  }
  dm_recipe_free(&r);
  free(buf);
}

/* `recipe_test_lightroom_depth OUT.xmp` writes the sidecar test_exiftool.sh
 * reads with exiftool; the values in the comments are what it expects. */
static const char *const exiftool_sample[] = {
    "correction[0].name=Far background",
    "correction[0].mask[0].kind=depth_range",
    "correction[0].mask[0].depth_range=20,45",   /* DepthMin 0.2, DepthMax 0.45 */
    "correction[0].mask[0].smoothness=30",       /* DepthFeather 0.3 */
    "correction[0].mask[1].kind=subject",        /* Mask/Image, MaskSubType 1 */
    "correction[0].mask[1].mode=intersect",      /* MaskBlendMode 1, MaskInverted, MaskValue 0 */
    "correction[1].name=Background",
    "correction[1].mask[0].kind=background",     /* MaskSubType 0, MaskSubCategoryID 22 */
    "correction[1].mask[0].opacity=80",          /* MaskValue 0.8 */
    "correction[1].mask[1].kind=depth_range",
    "correction[1].mask[1].depth_range=0,12.5",  /* DepthMin 0, DepthMax 0.125 */
    "correction[1].mask[1].smoothness=0",        /* DepthFeather 0 */
    "correction[1].mask[1].mode=subtract",       /* MaskBlendMode 1, MaskInverted false */
    "correction[1].mask[1].opacity=25",          /* MaskValue 0.75 */
};

static int write_sample(dm_context *ctx, const char *path) {
  dm_recipe r;
  CHECK_OK(ctx, dm_recipe_init(ctx, &r));
  apply_sets(ctx, &r, exiftool_sample, sizeof exiftool_sample / sizeof *exiftool_sample);
  CHECK_OK(ctx, dm_recipe_write_file(ctx, path, &r));
  dm_recipe_free(&r);
  dm_context_free(ctx);
  return dm_test_done("recipe/lightroom_depth sample");
}

int main(int argc, char **argv) {
  dm_context *ctx = dm_context_new(1);
  if (argc > 1) return write_sample(ctx, argv[1]);
  test_every_combination(ctx);
  test_lightroom_fixture(ctx);
  test_bad_values(ctx);
  dm_context_free(ctx);
  return dm_test_done("recipe/lightroom_depth");
}
