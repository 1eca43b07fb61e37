/* The lens blur in the recipe: crs:LensBlur as Lightroom writes it plus
 * dm:LensBlurSettings; byte-stable round trips; a Lightroom sidecar's own
 * LensBlur fields kept; strict reads naming crs:LensBlur/<Field>; --set
 * lens_blur.* with names, numbers and auto-activation; presets and clear. */
#include <math.h>

#include "recipe_test_util.h"

static int lens_blur_equal(const dm_lens_blur *a, const dm_lens_blur *b) {
  int n, ok = 1;
  const dm_param *t = dm_lens_blur_params(&n);
  for (int i = 0; i < n; i++)
    for (int e = 0; e < t[i].count; e++) {
      float x = dm_param_ptr(&t[i], (void *)a)[e], y = dm_param_ptr(&t[i], (void *)b)[e];
      if (x != y) {
        fprintf(stderr, "lens_blur.%s[%d]: %.9g vs %.9g\n", t[i].key, e, (double)x, (double)y);
        ok = 0;
      }
    }
  return ok;
}

static int lens_blur_is_default(const dm_lens_blur *a) {
  dm_lens_blur d;
  dm_lens_blur_defaults(&d);
  return lens_blur_equal(a, &d);
}

/* Every field off its default. */
static const char *const all_set[] = {
    "lens_blur.amount=73.5",         "lens_blur.focal_range=-20,10.25,40,130",
    "lens_blur.bokeh=blades",        "lens_blur.blades=7",
    "lens_blur.blade_rotation=-22.5", "lens_blur.blade_curvature=35",
    "lens_blur.cat_eye=12",          "lens_blur.boost=80",
    "lens_blur.boost_threshold=95",  "lens_blur.mode=physical",
    "lens_blur.f_mm=135",            "lens_blur.f_number=2.8",
    "lens_blur.focus_m=3.25",        "lens_blur.sensor_width_mm=23.5",
    "lens_blur.subject_distance_m=2.75", "lens_blur.background_distance_m=14.5",
};

static void test_roundtrip(dm_context *ctx) {
  dm_recipe r, back;
  CHECK_OK(ctx, dm_recipe_init(ctx, &r));
  CHECK_OK(ctx, dm_recipe_init(ctx, &back));
  apply_sets(ctx, &r, all_set, sizeof all_set / sizeof *all_set);
  CHECK(r.lens_blur.active == 1);
  int n;
  const dm_param *t = dm_lens_blur_params(&n);
  dm_lens_blur d;
  dm_lens_blur_defaults(&d);
  for (int i = 0; i < n; i++) /* the test really sets every field */
    CHECK(dm_param_ptr(&t[i], &r.lens_blur)[0] != dm_param_ptr(&t[i], &d)[0]);
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[0].exposure=0.5"));
  char *xml = write_xml(ctx, &r);
  if (!xml) return;
  CHECK(strstr(xml, "   <crs:LensBlur\n    crs:Version=\"1\"\n    crs:Active=\"true\"\n"
                    "    crs:FocalRange=\"-20 10.25 40 130\"\n    crs:FocalRangeSource=\"3\"\n"
                    "    crs:BlurAmount=\"73.5\"\n    crs:BokehShape=\"0\"\n") != NULL);
  CHECK(strstr(xml, "    crs:BokehRotation=\"-22.5\"\n    crs:SphericalAberration=\"0\"/>\n"
                    "   <dm:LensBlurSettings\n    dm:bokeh=\"blades\"\n    dm:blades=\"7\"\n") != NULL);
  CHECK(strstr(xml, "dm:mode=\"physical\"") && strstr(xml, "dm:focus_m=\"3.25\""));
  CHECK(strstr(xml, "dm:subject_distance_m=\"2.75\"") && strstr(xml, "dm:background_distance_m=\"14.5\""));
  CHECK(strstr(xml, "crs:HighlightsThreshold=\"95\"") && strstr(xml, "crs:CatEyeAmount=\"12\""));
  CHECK_OK(ctx, read_xml(ctx, xml, &back));
  CHECK(lens_blur_equal(&r.lens_blur, &back.lens_blur));
  char *xml2 = write_xml(ctx, &back);
  CHECK(xml2 && !strcmp(xml, xml2));
  free(xml2);
  free(xml);

  /* Turned off again: still written (it has been set), as inactive. */
  CHECK_OK(ctx, dm_recipe_set(ctx, &back, "lens_blur.active=false"));
  CHECK(back.lens_blur.active == 0 && back.lens_blur.amount == 73.5f);
  xml = write_xml(ctx, &back);
  CHECK(xml && strstr(xml, "crs:Active=\"false\"") && strstr(xml, "crs:BlurAmount=\"73.5\""));
  free(xml);

  /* Presets carry it; clear resets it. */
  dm_recipe photo;
  CHECK_OK(ctx, dm_recipe_init(ctx, &photo));
  CHECK_OK(ctx, dm_recipe_apply_preset(ctx, &photo, &r));
  CHECK(lens_blur_equal(&photo.lens_blur, &r.lens_blur));
  dm_recipe_clear(&photo);
  CHECK(lens_blur_is_default(&photo.lens_blur));
  dm_recipe_clear(&r);
  CHECK(lens_blur_is_default(&r.lens_blur));
  dm_recipe_free(&photo);
  dm_recipe_free(&r);
  dm_recipe_free(&back);
}

static void test_untouched(dm_context *ctx) {
  dm_recipe r;
  CHECK_OK(ctx, dm_recipe_init(ctx, &r));
  CHECK(r.lens_blur.active == 0 && lens_blur_is_default(&r.lens_blur));
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[0].exposure=0.5"));
  char *xml = write_xml(ctx, &r);
  CHECK(xml && !strstr(xml, "LensBlur") && strstr(xml, "crs:Version=\"14.0\""));
  free(xml);
  /* Only a dm: field off default: both structs, the crs one with defaults. */
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "lens_blur.sensor_width_mm=24"));
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "lens_blur.active=false"));
  xml = write_xml(ctx, &r);
  CHECK(xml && strstr(xml, "crs:Active=\"false\"") && strstr(xml, "crs:FocalRange=\"0 0 100 100\"") &&
        !strstr(xml, "FocalRangeSource") && strstr(xml, "dm:sensor_width_mm=\"24\""));
  free(xml);
  dm_recipe_free(&r);
}

static char *lens_blur_block(const char *xml) {
  const char *a = strstr(xml, "<crs:LensBlur"), *b = a ? strstr(a, "/>") : NULL;
  if (!b) return NULL;
  char *s = malloc((size_t)(b - a) + 3);
  memcpy(s, a, (size_t)(b - a) + 2);
  s[b - a + 2] = 0;
  return s;
}

static void test_lightroom(dm_context *ctx) {
  unsigned char *data;
  size_t len;
  CHECK_OK(ctx, dm_read_file(ctx, fixture_path("lightroom_lens_blur.xmp"), 1 << 20, &data, &len));
  char *orig = (char *)data;
  dm_recipe r;
  CHECK_OK(ctx, dm_recipe_init(ctx, &r));
  CHECK_OK(ctx, dm_recipe_read_mem(ctx, orig, len, "lr.xmp", &r));
  const dm_lens_blur *lb = &r.lens_blur;
  CHECK(lb->active == 1 && lb->amount == 63 && lb->boost == 25 && lb->boost_threshold == 40);
  CHECK(lb->cat_eye == 12 && lb->blade_rotation == 15);
  CHECK(lb->focal_range[0] == -50 && lb->focal_range[1] == 30 && lb->focal_range[2] == 85 &&
        lb->focal_range[3] == 165);
  CHECK(lb->bokeh == DM_BOKEH_CIRCLE && lb->mode == DM_BLUR_ARTISTIC); /* no dm: struct */
  CHECK(r.n_corrections == 0);

  /* Rewritten untouched: Lightroom's struct comes back byte for byte, and
   * no dm: struct is added. */
  char *xml = write_xml(ctx, &r);
  char *before = lens_blur_block(orig), *after = xml ? lens_blur_block(xml) : NULL;
  CHECK(before && after && !strcmp(before, after));
  CHECK(xml && !strstr(xml, "LensBlurSettings") && strstr(xml, "crs:Version=\"18.0\"") &&
        strstr(xml, "<crs:Look>"));
  free(after);
  free(xml);

  /* Moved by hand: the Lightroom fields stay, FocalRangeSource becomes 3. */
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "lens_blur.focal_range=-40,20,60,120"));
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "lens_blur.amount=40"));
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "lens_blur.bokeh=ring"));
  xml = write_xml(ctx, &r);
  after = xml ? lens_blur_block(xml) : NULL;
  CHECK(after && strstr(after, "crs:FocalRange=\"-40 20 60 120\"\n    crs:FocalRangeSource=\"3\"\n"
                               "    crs:SampledRange=\"30 85\""));
  CHECK(after && strstr(after, "crs:BlurAmount=\"40\"") && strstr(after, "crs:BokehShape=\"2\"") &&
        strstr(after, "crs:FutureLensField=\"7\"") && strstr(after, "crs:ImageOrientation=\"0\"") &&
        strstr(after, "crs:SubjectRange=\"30 85\""));
  CHECK(xml && strstr(xml, "<dm:LensBlurSettings\n    dm:bokeh=\"ring\"\n    dm:blades=\"6\""));
  dm_recipe back;
  CHECK_OK(ctx, dm_recipe_init(ctx, &back));
  CHECK_OK(ctx, read_xml(ctx, xml, &back));
  CHECK(lens_blur_equal(&r.lens_blur, &back.lens_blur));
  char *xml2 = write_xml(ctx, &back);
  CHECK(xml && xml2 && !strcmp(xml, xml2));
  free(xml2);
  free(after);
  free(xml);

  /* Back to 0 0 100 100 ("focus on the subject"): FocalRangeSource goes. */
  CHECK_OK(ctx, dm_recipe_set(ctx, &back, "lens_blur.focal_range=0,0,100,100"));
  xml = write_xml(ctx, &back);
  after = xml ? lens_blur_block(xml) : NULL;
  CHECK(after && strstr(after, "crs:FocalRange=\"0 0 100 100\"") &&
        !strstr(after, "FocalRangeSource"));
  free(after);
  free(xml);
  free(before);
  free(orig);
  dm_recipe_free(&back);
  dm_recipe_free(&r);
}

#define HEAD                                                                               \
  "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n"                                                \
  " <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"                  \
  "  <rdf:Description rdf:about=\"\" xmlns:crs=\"http://ns.adobe.com/camera-raw-settings/1.0/\"" \
  " xmlns:dm=\"http://ns.depthmask.org/1.0/\">\n"
#define TAIL "  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n"

static char *doc(const char *body) {
  static char buf[4096];
  snprintf(buf, sizeof buf, HEAD "%s\n" TAIL, body);
  return buf;
}

/* RDF's other spellings of the same struct read the same. */
static void test_forms(dm_context *ctx) {
  static const char *const forms[] = {
      "<crs:LensBlur crs:Active=\"true\" crs:BlurAmount=\"27\" crs:FocalRange=\"0 10 50 90\"/>"
      "<dm:LensBlurSettings dm:mode=\"physical\" dm:f_mm=\"50\"/>",
      "<crs:LensBlur rdf:parseType=\"Resource\"><crs:Active>True</crs:Active>"
      "<crs:BlurAmount>27</crs:BlurAmount><crs:FocalRange>0 10 50 90</crs:FocalRange></crs:LensBlur>"
      "<dm:LensBlurSettings rdf:parseType=\"Resource\"><dm:mode>physical</dm:mode>"
      "<dm:f_mm>50</dm:f_mm></dm:LensBlurSettings>",
      "<crs:LensBlur><rdf:Description crs:Active=\"true\" crs:BlurAmount=\"27\" "
      "crs:FocalRange=\"0 10 50 90\"/></crs:LensBlur>"
      "<dm:LensBlurSettings><rdf:Description dm:mode=\"physical\" dm:f_mm=\"50\"/>"
      "</dm:LensBlurSettings>",
  };
  for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
    dm_recipe r;
    CHECK_OK(ctx, dm_recipe_init(ctx, &r));
    CHECK_OK(ctx, read_xml(ctx, doc(forms[i]), &r));
    const dm_lens_blur *lb = &r.lens_blur;
    CHECK(lb->active == 1 && lb->amount == 27 && lb->focal_range[1] == 10 &&
          lb->focal_range[3] == 90 && lb->mode == DM_BLUR_PHYSICAL && lb->f_mm == 50);
    CHECK(lb->boost == 50 && lb->f_number == 1.8f); /* absent: defaults */
    /* Stable in that form too. */
    char *a = write_xml(ctx, &r);
    dm_recipe b;
    CHECK_OK(ctx, dm_recipe_init(ctx, &b));
    CHECK_OK(ctx, read_xml(ctx, a, &b));
    char *c = write_xml(ctx, &b);
    CHECK(a && c && !strcmp(a, c));
    free(a);
    free(c);
    dm_recipe_free(&b);
    dm_recipe_free(&r);
  }
}

/* A sidecar with dm:LensBlurSettings and no crs:LensBlur whose lens blur
 * goes back to the defaults (a preset without one, as fuzz_sidecar found;
 * or --set): the struct is rewritten with them, not left saying the old
 * values, which the file read back would have again. */
static void test_settings_alone(dm_context *ctx) {
  static const char body[] =
      "<dm:LensBlurSettings dm:bokeh=\"blades\" dm:blades=\"7\" dm:mode=\"physical\" "
      "dm:f_mm=\"135\" dm:focus_m=\"3.25\"/>";
  static const char *const back_to_defaults[] = {
      "lens_blur.bokeh=circle", "lens_blur.blades=6",    "lens_blur.mode=artistic",
      "lens_blur.f_mm=85",      "lens_blur.focus_m=0",   "lens_blur.active=false",
  };
  for (int way = 0; way < 2; way++) {
    dm_recipe r, preset, back;
    CHECK_OK(ctx, dm_recipe_init(ctx, &r));
    CHECK_OK(ctx, dm_recipe_init(ctx, &preset));
    CHECK_OK(ctx, dm_recipe_init(ctx, &back));
    CHECK_OK(ctx, read_xml(ctx, doc(body), &r));
    CHECK(r.lens_blur.mode == DM_BLUR_PHYSICAL && r.lens_blur.blades == 7);
    if (way == 0)
      CHECK_OK(ctx, dm_recipe_apply_preset(ctx, &r, &preset));
    else
      apply_sets(ctx, &r, back_to_defaults, sizeof back_to_defaults / sizeof *back_to_defaults);
    CHECK(lens_blur_is_default(&r.lens_blur));
    char *xml = write_xml(ctx, &r);
    CHECK(xml && strstr(xml, "dm:bokeh=\"circle\"") && strstr(xml, "dm:mode=\"artistic\""));
    CHECK_OK(ctx, read_xml(ctx, xml, &back));
    CHECK(lens_blur_is_default(&back.lens_blur));
    char *xml2 = write_xml(ctx, &back);
    CHECK(xml && xml2 && !strcmp(xml, xml2));
    free(xml);
    free(xml2);
    dm_recipe_free(&r);
    dm_recipe_free(&preset);
    dm_recipe_free(&back);
  }
}

static void test_strict(dm_context *ctx) {
  static const struct {
    const char *body, *msg;
  } bad[] = {
      {"<crs:LensBlur crs:BlurAmount=\"x\"/>", "photo.xmp: crs:LensBlur/BlurAmount: \"x\" is not a number"},
      {"<crs:LensBlur crs:BlurAmount=\"150\"/>", "photo.xmp: crs:LensBlur/BlurAmount: 150 is outside 0..100"},
      {"<crs:LensBlur crs:HighlightsBoost=\"-1\"/>", "crs:LensBlur/HighlightsBoost: -1 is outside 0..100"},
      {"<crs:LensBlur crs:Active=\"yes\"/>", "crs:LensBlur/Active: \"yes\" is not true or false"},
      {"<crs:LensBlur crs:FocalRange=\"0 0 100\"/>",
       "crs:LensBlur/FocalRange: \"0 0 100\" is not 4 space-separated numbers"},
      {"<crs:LensBlur crs:FocalRange=\"0,0,100,100\"/>", "crs:LensBlur/FocalRange: \"0,0,100,100\" is not 4"},
      {"<crs:LensBlur crs:FocalRange=\"0 50 40 100\"/>",
       "crs:LensBlur/FocalRange: expected nearOuter <= nearInner <= farInner <= farOuter, got 0 50 40 100"},
      {"<crs:LensBlur crs:CatEyeAmount=\"1e999\"/>", "crs:LensBlur/CatEyeAmount: \"1e999\" is not a number"},
      {"<crs:LensBlur rdf:parseType=\"Resource\"><crs:BlurAmount>1</crs:BlurAmount>"
       "<crs:BlurAmount>2</crs:BlurAmount></crs:LensBlur>", "crs:LensBlur/BlurAmount: given twice"},
      {"<crs:LensBlur/><crs:LensBlur/>", "crs:LensBlur: given twice"},
      {"<crs:LensBlur>50</crs:LensBlur>", "crs:LensBlur: expected a structure"},
      {"<crs:LensBlur crs:Active=\"true\" dm:mode=\"physical\"/>", "dm:mode in the sidecar: not a depthmask field here"},
      {"<dm:LensBlurSettings dm:mode=\"fisheye\"/>",
       "dm:LensBlurSettings/mode: \"fisheye\" is not one of artistic, physical"},
      {"<dm:LensBlurSettings dm:bokeh=\"1\"/>",
       "dm:LensBlurSettings/bokeh: \"1\" is not one of circle, blades, ring, bubble"},
      {"<dm:LensBlurSettings dm:blades=\"12\"/>", "dm:LensBlurSettings/blades: 12 is outside 5..9"},
      {"<dm:LensBlurSettings dm:aperture=\"2\"/>", "dm:aperture in dm:LensBlurSettings: unknown depthmask field"},
      {"<dm:LensBlurSettings dm:mode=\"physical\" dm:f_mm=\"85\" dm:focus_m=\"0.05\"/>",
       "lens_blur.focus_m: focus distance 0.05 m is not beyond the focal length 85 mm"},
  };
  dm_recipe r;
  CHECK_OK(ctx, dm_recipe_init(ctx, &r));
  CHECK_OK(ctx, read_xml(ctx, doc("<crs:LensBlur crs:Active=\"true\" crs:BlurAmount=\"20\"/>"), &r));
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    const char *xml = doc(bad[i].body);
    dm_status s = dm_recipe_read_mem(ctx, xml, strlen(xml), "photo.xmp", &r);
    const char *e = dm_context_error(ctx);
    if (s == DM_OK || !strstr(e, bad[i].msg) || strncmp(e, "photo.xmp: ", 11)) {
      fprintf(stderr, "%s\n  expected \"%s\", got %s\n", bad[i].body, bad[i].msg, s ? e : "(success)");
      dm_test_failures++;
    }
    CHECK(r.lens_blur.active == 1 && r.lens_blur.amount == 20); /* left as it was */
  }
  dm_recipe_free(&r);
}

static void expect_set_fail(dm_context *ctx, dm_recipe *r, const char *set, const char *msg) {
  dm_lens_blur before = r->lens_blur;
  dm_status s = dm_recipe_set(ctx, r, set);
  const char *e = dm_context_error(ctx);
  if (s == DM_OK || !strstr(e, msg)) {
    fprintf(stderr, "--set %s: expected \"%s\", got %s\n", set, msg, s ? e : "(success)");
    dm_test_failures++;
  }
  CHECK(!memcmp(&before, &r->lens_blur, sizeof before)); /* a failed --set changes nothing */
}

static void test_set(dm_context *ctx) {
  dm_recipe r;
  CHECK_OK(ctx, dm_recipe_init(ctx, &r));
  /* Setting a value turns the blur on... */
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "lens_blur.amount=70"));
  CHECK(r.lens_blur.active == 1 && r.lens_blur.amount == 70);
  /* ...unless active=false comes later; an earlier one is overridden. */
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "lens_blur.active=false"));
  CHECK(r.lens_blur.active == 0 && r.lens_blur.amount == 70);
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "lens_blur.boost=10"));
  CHECK(r.lens_blur.active == 1);
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "lens_blur.active=0"));
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "lens_blur.active=true"));
  CHECK(r.lens_blur.active == 1);
  /* Names and numbers. */
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "lens_blur.mode=physical"));
  CHECK(r.lens_blur.mode == DM_BLUR_PHYSICAL);
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "lens_blur.mode=0"));
  CHECK(r.lens_blur.mode == DM_BLUR_ARTISTIC);
  static const char *const shapes[] = {"circle", "blades", "ring", "bubble"};
  for (int i = 0; i < 4; i++) {
    char s[64];
    snprintf(s, sizeof s, "lens_blur.bokeh=%s", shapes[i]);
    CHECK_OK(ctx, dm_recipe_set(ctx, &r, s));
    CHECK(r.lens_blur.bokeh == (float)i);
  }
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "lens_blur.bokeh=1"));
  CHECK(r.lens_blur.bokeh == DM_BOKEH_BLADES);
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "lens_blur.focal_range=0,0,35,60"));
  CHECK(r.lens_blur.focal_range[2] == 35 && r.lens_blur.focal_range[3] == 60);
  static const char *const physical[] = {"lens_blur.mode=physical", "lens_blur.f_mm=85",
                                         "lens_blur.f_number=1.8", "lens_blur.focus_m=1.5",
                                         "lens_blur.sensor_width_mm=36"};
  apply_sets(ctx, &r, physical, sizeof physical / sizeof *physical);
  CHECK(r.lens_blur.f_mm == 85 && r.lens_blur.f_number == 1.8f && r.lens_blur.focus_m == 1.5f &&
        r.lens_blur.sensor_width_mm == 36);
  CHECK_OK(ctx, dm_recipe_check(ctx, &r));
  /* Every key of the table is a --set key. */
  int n;
  const dm_param *t = dm_lens_blur_params(&n);
  for (int i = 0; i < n; i++) {
    dm_recipe tmp;
    CHECK_OK(ctx, dm_recipe_init(ctx, &tmp));
    char s[256], v[128];
    dm_lens_blur d;
    dm_lens_blur_defaults(&d);
    dm_param_format(&t[i], &d, v, sizeof v);
    snprintf(s, sizeof s, "lens_blur.%s=%s", t[i].key, v);
    CHECK_OK(ctx, dm_recipe_set(ctx, &tmp, s));
    CHECK(tmp.lens_blur.active == (strcmp(t[i].key, "active") ? 1 : 0));
    dm_recipe_free(&tmp);
  }
  /* Bad keys and values name the key. */
  expect_set_fail(ctx, &r, "lens_blur.aperture=2", "lens_blur.aperture: unknown key (valid: active,");
  expect_set_fail(ctx, &r, "lens_blur.=2", "lens_blur.: unknown key");
  expect_set_fail(ctx, &r, "lens_blur.mode=fisheye",
                  "lens_blur.mode: unknown mode \"fisheye\" (artistic, physical, or 0..1)");
  expect_set_fail(ctx, &r, "lens_blur.bokeh=hexagon",
                  "lens_blur.bokeh: unknown bokeh \"hexagon\" (circle, blades, ring, bubble, or 0..3)");
  expect_set_fail(ctx, &r, "lens_blur.bokeh=1.5", "lens_blur.bokeh: unknown bokeh \"1.5\"");
  expect_set_fail(ctx, &r, "lens_blur.bokeh=4", "lens_blur.bokeh: unknown bokeh \"4\"");
  expect_set_fail(ctx, &r, "lens_blur.amount=101", "lens_blur.amount: 101 is outside 0..100");
  expect_set_fail(ctx, &r, "lens_blur.amount=lots", "lens_blur.amount: \"lots\" is not a number");
  expect_set_fail(ctx, &r, "lens_blur.active=on", "lens_blur.active: expected true or false");
  expect_set_fail(ctx, &r, "lens_blur.focal_range=0,0,35", "lens_blur.focal_range: expected 4 numbers");
  expect_set_fail(ctx, &r, "lens_blur.focal_range=0,50,35,60",
                  "lens_blur.focal_range: expected nearOuter <= nearInner <= farInner <= farOuter");
  expect_set_fail(ctx, &r, "lens_blur.blades=4", "lens_blur.blades: 4 is outside 5..9");
  /* Across fields: accepted key by key, refused by the check a write makes. */
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "lens_blur.focus_m=0.05"));
  dm_status s = dm_recipe_check(ctx, &r);
  CHECK(s != DM_OK && strstr(dm_context_error(ctx), "lens_blur.focus_m: focus distance 0.05 m"));
  char *xml = NULL;
  size_t len;
  CHECK(dm_recipe_write_mem(ctx, &r, &xml, &len) != DM_OK && !xml);
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "lens_blur.f_mm=35"));
  CHECK_OK(ctx, dm_recipe_check(ctx, &r));
  dm_recipe_free(&r);
}

int main(void) {
  dm_context *ctx = dm_context_new(1);
  test_roundtrip(ctx);
  test_untouched(ctx);
  test_lightroom(ctx);
  test_forms(ctx);
  test_settings_alone(ctx);
  test_strict(ctx);
  test_set(ctx);
  dm_context_free(ctx);
  return dm_test_done("recipe/lens_blur");
}
