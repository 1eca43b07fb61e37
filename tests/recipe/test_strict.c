/* Strict reading: each bad sidecar fails with one line that names the file
 * and the field, and leaves the recipe it was reading into unchanged.
 * Unknown crs: content and other namespaces are not errors. */
#include "recipe_test_util.h"

#define HEAD                                                                               \
  "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n"                                                \
  " <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"                  \
  "  <rdf:Description rdf:about=\"\" xmlns:crs=\"http://ns.adobe.com/camera-raw-settings/1.0/\"" \
  " xmlns:dm=\"http://ns.depthmask.org/1.0/\""
#define TAIL "  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n"

/* A sidecar with one correction: its attributes and its components. */
static char *sidecar(const char *top_attrs, const char *corr_attrs, const char *components) {
  static char buf[8192];
  snprintf(buf, sizeof buf,
           HEAD " %s>\n"
                "   <crs:MaskGroupBasedCorrections><rdf:Seq><rdf:li><rdf:Description "
                "crs:What=\"Correction\" %s>\n"
                "    <crs:CorrectionMasks><rdf:Seq>%s</rdf:Seq></crs:CorrectionMasks>\n"
                "   </rdf:Description></rdf:li></rdf:Seq></crs:MaskGroupBasedCorrections>\n" TAIL,
           top_attrs, corr_attrs, components);
  return buf;
}

#define RADIAL                                                                                 \
  "<rdf:li crs:What=\"Mask/CircularGradient\" crs:MaskBlendMode=\"0\" crs:MaskInverted=\"false\" " \
  "crs:MaskValue=\"1\" crs:Top=\"0.2\" crs:Left=\"0.2\" crs:Bottom=\"0.8\" crs:Right=\"0.8\" "     \
  "crs:Angle=\"0\" crs:Feather=\"50\" crs:Flipped=\"true\"/>"

static dm_recipe good; /* read once; every failing read must leave it alone */

static void expect_fail(dm_context *ctx, const char *xml, const char *msg_part, dm_status want) {
  dm_status s = dm_recipe_read_mem(ctx, xml, strlen(xml), "photo.xmp", &good);
  const char *e = dm_context_error(ctx);
  if (s == DM_OK || !strstr(e, msg_part) || strncmp(e, "photo.xmp: ", 11) || strchr(e, '\n') ||
      (want != DM_OK && s != want)) {
    fprintf(stderr, "expected failure with \"%s\" (status %s), got %s: %s\n", msg_part,
            dm_status_to_string(want), dm_status_to_string(s), s ? e : "(success)");
    dm_test_failures++;
  }
  CHECK(good.n_corrections == 1 && good.corrections[0].sliders.v[DM_ADJ_EXPOSURE] == 1.0f);
}

static void expect_ok(dm_context *ctx, const char *xml, dm_recipe *r) {
  dm_status s = dm_recipe_read_mem(ctx, xml, strlen(xml), "photo.xmp", r);
  if (s) {
    fprintf(stderr, "expected success, got: %s\n", dm_context_error(ctx));
    dm_test_failures++;
  }
}

static void test_fixtures(dm_context *ctx) {
  static const struct {
    const char *file, *msg;
  } cases[] = {
      {"bad_broken.xmp", "broken XML at line 6: Unescaped '<' not allowed"},
      {"bad_type.xmp", "crs:LocalExposure2012 in correction[0]: \"abc\" is not a number"},
      {"bad_range.xmp", "crs:LocalExposure2012 in correction[0]: 2 is outside -1..1 (exposure -4..4)"},
      {"bad_newer.xmp", "dm:RecipeVersion: written by a newer depthmask (version 7); this build "
                        "reads up to 1"},
      {"bad_dm_field.xmp", "dm:DepthGuess in the sidecar: unknown depthmask field"},
      {"bad_doctype.xmp", "a DOCTYPE is not allowed"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    const char *path = fixture_path(cases[i].file);
    dm_status s = dm_recipe_read_file(ctx, path, &good);
    const char *e = dm_context_error(ctx);
    if (s == DM_OK || !strstr(e, cases[i].msg) || strncmp(e, path, strlen(path))) {
      fprintf(stderr, "%s: expected \"%s\", got: %s\n", cases[i].file, cases[i].msg,
              s ? e : "(success)");
      dm_test_failures++;
    }
  }
  /* Missing file and a directory: the file layer's messages. */
  CHECK(dm_recipe_read_file(ctx, fixture_path("no_such.xmp"), &good) == DM_ERR_IO);
  CHECK(strstr(dm_context_error(ctx), "no such file"));
  CHECK(dm_recipe_read_file(ctx, DM_SOURCE_DIR "/tests/recipe/fixtures", &good) == DM_ERR_IO);
  CHECK(strstr(dm_context_error(ctx), "is a directory"));
  CHECK(good.n_corrections == 1);
}

static void test_strings(dm_context *ctx) {
  /* XML and document shape */
  expect_fail(ctx, "", "empty file", DM_ERR_FORMAT);
  expect_fail(ctx, "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF", "broken XML", DM_ERR_FORMAT);
  expect_fail(ctx, "<html><body/></html>", "not an XMP sidecar", DM_ERR_FORMAT);
  expect_fail(ctx,
              "<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n"
              "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">&xxe;</x:xmpmeta>",
              "line 2: a DOCTYPE is not allowed", DM_ERR_FORMAT);
  expect_fail(ctx,
              "<!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
              "<x>&b;</x>",
              "DOCTYPE is not allowed", DM_ERR_FORMAT);
  /* Types */
  expect_fail(ctx, sidecar("", "crs:CorrectionActive=\"yes\"", RADIAL),
              "crs:CorrectionActive in correction[0]: \"yes\" is not true or false", DM_ERR_PARAM);
  expect_fail(ctx, sidecar("", "crs:LocalContrast2012=\"\"", RADIAL),
              "crs:LocalContrast2012 in correction[0]: \"\" is not a number", DM_ERR_PARAM);
  expect_fail(ctx, sidecar("", "crs:LocalContrast2012=\"0.1 0.2\"", RADIAL),
              "crs:LocalContrast2012 in correction[0]: \"0.1 0.2\" is not a number", DM_ERR_PARAM);
  expect_fail(ctx, sidecar("", "crs:LocalTint=\"nan\"", RADIAL), "crs:LocalTint in correction[0]",
              DM_ERR_PARAM);
  expect_fail(ctx, sidecar("", "", "<rdf:li crs:What=\"Mask/Gradient\" crs:MaskBlendMode=\"0.5\"/>"),
              "crs:MaskBlendMode in correction[0].mask[0]: 0.5 is not a whole number", DM_ERR_PARAM);
  expect_fail(ctx, sidecar("", "", "<rdf:li crs:What=\"Mask/Gradient\" crs:MaskInverted=\"1\"/>"),
              "crs:MaskInverted in correction[0].mask[0]: \"1\" is not true or false", DM_ERR_PARAM);
  expect_fail(ctx, sidecar("", "", "<rdf:li crs:What=\"Mask/Gradient\" crs:ZeroX=\"left\"/>"),
              "crs:ZeroX in correction[0].mask[0]: \"left\" is not a number", DM_ERR_PARAM);
  /* Ranges (checked in our units after scaling back) */
  expect_fail(ctx, sidecar("", "crs:CorrectionAmount=\"2.5\"", RADIAL),
              "crs:CorrectionAmount in correction[0]: 2.5 is outside 0..2 (amount 0..200)",
              DM_ERR_RANGE);
  expect_fail(ctx, sidecar("", "crs:LocalHighlights2012=\"-1.01\"", RADIAL),
              "crs:LocalHighlights2012 in correction[0]: -1.01 is outside -1..1", DM_ERR_RANGE);
  expect_fail(ctx, sidecar("", "", "<rdf:li crs:What=\"Mask/Gradient\" crs:MaskValue=\"1.5\"/>"),
              "crs:MaskValue in correction[0].mask[0]: 1.5 is outside 0..1", DM_ERR_RANGE);
  expect_fail(ctx,
              sidecar("", "",
                      "<rdf:li crs:What=\"Mask/CircularGradient\" crs:Feather=\"101\" "
                      "crs:Top=\"0\" crs:Left=\"0\" crs:Bottom=\"1\" crs:Right=\"1\"/>"),
              "crs:Feather in correction[0].mask[0]: 101 is outside 0..100", DM_ERR_RANGE);
  expect_fail(ctx,
              sidecar("", "",
                      "<rdf:li crs:What=\"Mask/CircularGradient\" crs:Top=\"0.2\" crs:Left=\"0.7\" "
                      "crs:Bottom=\"0.8\" crs:Right=\"0.3\"/>"),
              "correction[0].mask[0].right: 0.3 must be greater than left", DM_ERR_RANGE);
  /* Luminance ranges */
  const char *lum = "<rdf:li><rdf:Description crs:What=\"Mask/RangeMask\"><crs:CorrectionRangeMask "
                    "crs:Type=\"2\" crs:LumRange=\"%s\"/></rdf:Description></rdf:li>";
  char comp[512];
  snprintf(comp, sizeof comp, lum, "0.1 0.2 0.3");
  expect_fail(ctx, sidecar("", "", comp),
              "crs:LumRange in correction[0].mask[0]: expected four numbers, got 3", DM_ERR_FORMAT);
  snprintf(comp, sizeof comp, lum, "0.1 0.2 0.3 1.2");
  expect_fail(ctx, sidecar("", "", comp), "crs:LumRange in correction[0].mask[0]: 1.2 is outside 0..1",
              DM_ERR_RANGE);
  snprintf(comp, sizeof comp, lum, "0.5 0.4 0.6 0.7");
  expect_fail(ctx, sidecar("", "", comp),
              "correction[0].mask[0].luminance_range: 50,40,60,70 is not in increasing order",
              DM_ERR_RANGE);
  /* dm: fields */
  expect_fail(ctx, sidecar("dm:RecipeVersion=\"2\"", "", RADIAL),
              "dm:RecipeVersion: written by a newer depthmask (version 2); this build reads up to 1",
              DM_ERR_FORMAT);
  expect_fail(ctx, sidecar("dm:RecipeVersion=\"one\"", "", RADIAL),
              "dm:RecipeVersion in the sidecar: \"one\" is not a number", DM_ERR_PARAM);
  expect_fail(ctx, sidecar("dm:RecipeVersion=\"0.5\"", "", RADIAL),
              "dm:RecipeVersion: 0.5 is not a version number", DM_ERR_FORMAT);
  expect_fail(ctx, sidecar("", "dm:Strength=\"1\"", RADIAL),
              "dm:Strength in correction[0]: unknown depthmask field", DM_ERR_FORMAT);
  expect_fail(ctx,
              sidecar("", "",
                      "<rdf:li crs:What=\"Mask/Gradient\" dm:Kind=\"whole_image\" dm:Soft=\"1\"/>"),
              "dm:Soft in correction[0].mask[0]: unknown depthmask field", DM_ERR_FORMAT);
  expect_fail(ctx, sidecar("", "", "<rdf:li crs:What=\"Mask/Gradient\" dm:Kind=\"blob\"/>"),
              "dm:Kind in correction[0].mask[0]: \"blob\" is not a kind", DM_ERR_FORMAT);
  expect_fail(ctx, sidecar("", "", "<rdf:li crs:What=\"dm:File\"/>"),
              "dm:Path in correction[0].mask[0]: missing", DM_ERR_FORMAT);
  expect_fail(ctx,
              HEAD "><crs:Look><rdf:Description dm:Hidden=\"1\"/></crs:Look>" TAIL,
              "dm:Hidden in the sidecar: not a depthmask field here", DM_ERR_FORMAT);
  /* Shape */
  expect_fail(ctx,
              HEAD "><crs:MaskGroupBasedCorrections><rdf:Seq><rdf:li crs:What=\"Mask\"/></rdf:Seq>"
                   "</crs:MaskGroupBasedCorrections>" TAIL,
              "crs:What in correction[0]: \"Mask\", expected \"Correction\"", DM_ERR_FORMAT);
  expect_fail(ctx,
              HEAD "><crs:MaskGroupBasedCorrections><rdf:Seq><rdf:li crs:LocalTint=\"0\">"
                   "<crs:LocalTint>0</crs:LocalTint></rdf:li></rdf:Seq>"
                   "</crs:MaskGroupBasedCorrections>" TAIL,
              "crs:LocalTint in correction[0]: given twice", DM_ERR_FORMAT);
  expect_fail(ctx, HEAD "><crs:MaskGroupBasedCorrections><rdf:Bag/></crs:MaskGroupBasedCorrections>" TAIL,
              "crs:MaskGroupBasedCorrections: expected an rdf:Seq", DM_ERR_FORMAT);
  expect_fail(ctx,
              HEAD "><crs:MaskGroupBasedCorrections><rdf:Seq/></crs:MaskGroupBasedCorrections>"
                   "<crs:MaskGroupBasedCorrections><rdf:Seq/></crs:MaskGroupBasedCorrections>" TAIL,
              "crs:MaskGroupBasedCorrections: given twice", DM_ERR_FORMAT);
  char longname[400];
  snprintf(longname, sizeof longname, "crs:CorrectionName=\"%0200d\"", 7);
  expect_fail(ctx, sidecar("", longname, RADIAL),
              "crs:CorrectionName in correction[0]: longer than 127 bytes", DM_ERR_FORMAT);
}

/* What is not an error: other namespaces, unknown crs: fields and kinds,
 * element-form properties. */
static void test_lenient(dm_context *ctx) {
  dm_recipe r;
  CHECK_OK(ctx, dm_recipe_init(ctx, &r));
  expect_ok(ctx,
            sidecar("crs:FutureSetting=\"42\" xmlns:foo=\"urn:foo\" foo:bar=\"baz\"",
                    "crs:LocalFutureSlider=\"0.5\"",
                    "<rdf:li crs:What=\"Mask/Future\" crs:Whatever=\"1\"/>" RADIAL),
            &r);
  CHECK(r.n_corrections == 1 && r.corrections[0].n_masks == 1);
  CHECK(dm_correction_n_preserved(&r.corrections[0]) == 1);
  /* Element form for our own fields. */
  expect_ok(ctx,
            HEAD "><dm:RecipeVersion>1</dm:RecipeVersion><crs:MaskGroupBasedCorrections><rdf:Seq>"
                 "<rdf:li rdf:parseType=\"Resource\"><crs:LocalExposure2012> 0.5 </crs:LocalExposure2012>"
                 "</rdf:li></rdf:Seq></crs:MaskGroupBasedCorrections>" TAIL,
            &r);
  CHECK(r.n_corrections == 1 && r.corrections[0].sliders.v[DM_ADJ_EXPOSURE] == 2.0f);
  CHECK(r.source_version == 1);
  /* A file with no dm: and no crs: at all: an empty recipe. */
  expect_ok(ctx,
            "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF "
            "xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description "
            "xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\" xmp:Rating=\"5\"/></rdf:RDF></x:xmpmeta>",
            &r);
  CHECK(r.n_corrections == 0 && r.source_version == 0);
  char *x = write_xml(ctx, &r);
  CHECK(x && strstr(x, "xmp:Rating=\"5\"") && strstr(x, "dm:RecipeVersion=\"1\""));
  free(x);
  /* A namespace URI with an '&' (found by fuzz_xmp): stays the same URI. */
  expect_ok(ctx,
            "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF "
            "xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description "
            "xmlns:foo=\"urn:a&amp;b&#38;c\" foo:x=\"1 &amp; 2\"/></rdf:RDF></x:xmpmeta>",
            &r);
  x = write_xml(ctx, &r);
  CHECK(x && strstr(x, "xmlns:foo=\"urn:a&amp;b&amp;c\"") && strstr(x, "foo:x=\"1 &amp; 2\""));
  dm_recipe r2;
  CHECK_OK(ctx, dm_recipe_init(ctx, &r2));
  CHECK_OK(ctx, read_xml(ctx, x ? x : "", &r2));
  char *y = write_xml(ctx, &r2);
  CHECK(x && y && !strcmp(x, y));
  free(x);
  free(y);
  dm_recipe_free(&r2);
  dm_recipe_free(&r);
}

/* Writes refuse what they could not read back. */
static void test_write_checks(dm_context *ctx) {
  dm_recipe r;
  CHECK_OK(ctx, dm_recipe_init(ctx, &r));
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[0].mask[0].kind=file"));
  char *xml;
  size_t len;
  CHECK(dm_recipe_write_mem(ctx, &r, &xml, &len) == DM_ERR_PARAM);
  CHECK(strstr(dm_context_error(ctx), "correction[0].mask[0].path: no mask file given"));
  CHECK(dm_recipe_check(ctx, &r) == DM_ERR_PARAM);
  r.corrections[0].masks[0].kind = DM_MASK_ALL;
  r.corrections[0].sliders.v[DM_ADJ_EXPOSURE] = 9; /* set directly, past the hard range */
  CHECK(dm_recipe_write_mem(ctx, &r, &xml, &len) == DM_ERR_RANGE);
  CHECK(strstr(dm_context_error(ctx), "correction[0].exposure: 9 is outside -4..4"));
  r.corrections[0].sliders.v[DM_ADJ_EXPOSURE] = 0;
  strcpy(r.corrections[0].name, "bell\a");
  CHECK(dm_recipe_write_mem(ctx, &r, &xml, &len) == DM_ERR_PARAM);
  CHECK(strstr(dm_context_error(ctx), "correction[0].name: not valid UTF-8 text"));
  const char *dir = dm_test_tmpdir("recipe_strict");
  char path[4200];
  snprintf(path, sizeof path, "%s/photo.xmp", dir);
  CHECK(dm_recipe_write_file(ctx, path, &r) == DM_ERR_PARAM);
  CHECK(!strncmp(dm_context_error(ctx), path, strlen(path)));
  FILE *f = fopen(path, "r");
  CHECK(!f); /* nothing written */
  if (f) fclose(f);
  dm_recipe_free(&r);
}

int main(void) {
  dm_context *ctx = dm_context_new(1);
  CHECK_OK(ctx, dm_recipe_init(ctx, &good));
  const char *ok = sidecar("dm:RecipeVersion=\"1\"", "crs:LocalExposure2012=\"0.25\"", RADIAL);
  CHECK_OK(ctx, dm_recipe_read_mem(ctx, ok, strlen(ok), "photo.xmp", &good));
  test_fixtures(ctx);
  test_strings(ctx);
  test_lenient(ctx);
  test_write_checks(ctx);
  dm_recipe_free(&good);
  dm_context_free(ctx);
  return dm_test_done("recipe/strict");
}
