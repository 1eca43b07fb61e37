/* Write -> read -> write: identical bytes and identical recipes, for a recipe
 * with two corrections, every mask kind and mode, and all twelve sliders
 * away from their defaults. Also: the sidecar path rule, the normalisation
 * of subtract-of-inverted to intersect, presets, and that the layout is the
 * Lightroom one (attribute spellings checked on the text). */
#include "recipe_test_util.h"

static const char *const recipe_sets[] = {
    "correction[0].name=Background & \"sky\" <left>",
    "correction[0].amount=80",
    "correction[0].temperature=-12", "correction[0].tint=7", "correction[0].exposure=-0.7",
    "correction[0].contrast=15", "correction[0].highlights=-40", "correction[0].shadows=22",
    "correction[0].whites=-5", "correction[0].blacks=8", "correction[0].texture=-10",
    "correction[0].clarity=-30", "correction[0].dehaze=12", "correction[0].saturation=-20",
    "correction[0].mask[0].kind=radial_gradient",
    "correction[0].mask[0].left=0.18", "correction[0].mask[0].right=0.82",
    "correction[0].mask[0].top=0.06", "correction[0].mask[0].bottom=0.8",
    "correction[0].mask[0].angle=15.5", "correction[0].mask[0].feather=60",
    "correction[0].mask[0].invert=true",
    "correction[0].mask[1].kind=luminance_range", "correction[0].mask[1].mode=intersect",
    "correction[0].mask[1].luminance_range=5,25,90,100",
    "correction[0].mask[2].kind=linear_gradient", "correction[0].mask[2].mode=subtract",
    "correction[0].mask[2].opacity=50", "correction[0].mask[2].zero=0.5,1",
    "correction[0].mask[2].full=0.5,0.6",
    "correction[0].mask[3].kind=depth_range", "correction[0].mask[3].depth_range=12.5,61",
    "correction[0].mask[3].smoothness=35",
    "correction[0].mask[4].kind=subject", "correction[0].mask[4].mode=intersect",
    "correction[1].name=Face",
    "correction[1].amount=150", "correction[1].active=false",
    "correction[1].temperature=8", "correction[1].tint=-3", "correction[1].exposure=0.25",
    "correction[1].contrast=-7", "correction[1].highlights=11", "correction[1].shadows=25",
    "correction[1].whites=3", "correction[1].blacks=-2", "correction[1].texture=10",
    "correction[1].clarity=5", "correction[1].dehaze=-4", "correction[1].saturation=6",
    "correction[1].mask[0].opacity=75",
    "correction[1].mask[1].kind=file", "correction[1].mask[1].path=masks/face mask.png",
    "correction[1].mask[1].mode=intersect", "correction[1].mask[1].invert=false",
    "correction[1].mask[2].kind=radial_gradient", "correction[1].mask[2].mode=subtract",
    "correction[1].mask[2].opacity=33.5", "correction[1].mask[2].feather=0",
    "correction[1].mask[3].kind=luminance_range", "correction[1].mask[3].invert=true",
    "correction[1].mask[3].luminance_range=0,0,12.5,40",
    "correction[1].mask[4].kind=background", "correction[1].mask[4].opacity=60",
    "correction[1].mask[5].kind=brush", "correction[1].mask[5].opacity=90",
    "correction[1].mask[5].stroke[0].radius=0.04", "correction[1].mask[5].stroke[0].flow=60",
    "correction[1].mask[5].stroke[0].feather=25", "correction[1].mask[5].stroke[0].density=80",
    "correction[1].mask[5].stroke[0].dabs=0.3,0.4,0.35,0.42,0.1234567,1.05",
    "correction[1].mask[5].stroke[1].erase=true", "correction[1].mask[5].stroke[1].dabs=0.31,0.41",
};

static void test_round_trip(dm_context *ctx) {
  dm_recipe a, b, c;
  CHECK_OK(ctx, dm_recipe_init(ctx, &a));
  CHECK_OK(ctx, dm_recipe_init(ctx, &b));
  CHECK_OK(ctx, dm_recipe_init(ctx, &c));
  apply_sets(ctx, &a, recipe_sets, sizeof recipe_sets / sizeof *recipe_sets);
  CHECK(a.n_corrections == 2);
  CHECK(a.corrections[0].n_masks == 5 && a.corrections[1].n_masks == 6);
  /* Every slider away from its default. */
  for (int ci = 0; ci < 2; ci++)
    for (int i = 0; i < DM_ADJ_COUNT; i++)
      CHECK(a.corrections[ci].sliders.v[i] != dm_adjust_params()[i].def);
  /* Every kind and mode is used. */
  int kinds = 0, modes = 0;
  for (int ci = 0; ci < 2; ci++)
    for (int k = 0; k < a.corrections[ci].n_masks; k++) {
      kinds |= 1 << a.corrections[ci].masks[k].kind;
      modes |= 1 << a.corrections[ci].masks[k].mode;
    }
  CHECK(kinds == (1 << DM_MASK_KIND_COUNT) - 1);
  CHECK(modes == (1 << DM_MASK_MODE_COUNT) - 1);

  char *x1 = write_xml(ctx, &a);
  if (!x1) return;
  if (getenv("DM_TEST_VERBOSE")) fputs(x1, stdout);
  CHECK_OK(ctx, read_xml(ctx, x1, &b));
  CHECK(b.version == DM_RECIPE_VERSION && b.source_version == DM_RECIPE_VERSION);
  CHECK(b.n_corrections == 2);
  for (int ci = 0; ci < 2 && ci < b.n_corrections; ci++) {
    CHECK(corrections_equal(&a.corrections[ci], &b.corrections[ci], ci));
    CHECK(dm_correction_n_preserved(&b.corrections[ci]) == 0);
  }
  char *x2 = write_xml(ctx, &b);
  CHECK(x2 && !strcmp(x1, x2));
  CHECK_OK(ctx, read_xml(ctx, x2 ? x2 : "", &c));
  for (int ci = 0; ci < 2 && ci < c.n_corrections; ci++)
    CHECK(corrections_equal(&a.corrections[ci], &c.corrections[ci], ci));

  /* Lightroom's spellings, checked on the text. */
  CHECK(strstr(x1, "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\""));
  CHECK(strstr(x1, "xmlns:crs=\"http://ns.adobe.com/camera-raw-settings/1.0/\""));
  CHECK(strstr(x1, "xmlns:dm=\"" DM_XMP_NS "\""));
  CHECK(strstr(x1, "crs:ProcessVersion=\"11.0\""));
  CHECK(strstr(x1, "crs:HasSettings=\"True\""));
  CHECK(strstr(x1, "dm:RecipeVersion=\"1\""));
  CHECK(strstr(x1, "<crs:MaskGroupBasedCorrections>"));
  CHECK(strstr(x1, "crs:What=\"Correction\""));
  CHECK(strstr(x1, "crs:CorrectionAmount=\"0.8\""));
  CHECK(strstr(x1, "crs:CorrectionAmount=\"1.5\""));
  CHECK(strstr(x1, "crs:CorrectionActive=\"false\""));
  CHECK(strstr(x1, "crs:CorrectionName=\"Background &amp; &quot;sky&quot; &lt;left&gt;\""));
  CHECK(strstr(x1, "crs:LocalExposure2012=\"-0.175\""));
  CHECK(strstr(x1, "crs:LocalExposure2012=\"0.0625\""));
  CHECK(strstr(x1, "crs:LocalHighlights2012=\"-0.4\""));
  CHECK(strstr(x1, "crs:LocalTemperature=\"-0.12\""));
  CHECK(strstr(x1, "crs:What=\"Mask/CircularGradient\""));
  CHECK(strstr(x1, "crs:Flipped=\"false\"")); /* radial 0 is inverted */
  CHECK(strstr(x1, "crs:Angle=\"15.5\""));
  CHECK(strstr(x1, "crs:What=\"Mask/RangeMask\""));
  CHECK(strstr(x1, "crs:LumRange=\"0.050000 0.250000 0.900000 1.000000\""));
  CHECK(strstr(x1, "crs:Type=\"2\""));
  CHECK(strstr(x1, "crs:What=\"Mask/Gradient\""));
  CHECK(strstr(x1, "crs:ZeroY=\"1\""));
  CHECK(strstr(x1, "crs:FullY=\"0.6\""));
  CHECK(strstr(x1, "dm:Kind=\"whole_image\""));
  CHECK(strstr(x1, "crs:What=\"dm:File\""));
  CHECK(strstr(x1, "dm:Path=\"masks/face mask.png\""));
  /* subtract at 50 %: blend 1, value 0.5; at 33.5 %: 0.665 */
  CHECK(strstr(x1, "crs:MaskValue=\"0.5\""));
  CHECK(strstr(x1, "crs:MaskValue=\"0.665\""));
  CHECK(strstr(x1, "crs:MaskValue=\"0.75\""));
  /* The brush as Lightroom 11+ writes one: an Aggregate of Paint strokes. */
  CHECK(strstr(x1, "crs:What=\"Mask/Aggregate\""));
  CHECK(strstr(x1, "crs:MaskName=\"Brush 1\""));
  CHECK(strstr(x1, "crs:MaskValue=\"0.9\""));
  CHECK(strstr(x1, "<crs:Masks>"));
  CHECK(strstr(x1, "crs:What=\"Mask/Paint\""));
  CHECK(strstr(x1, "crs:Radius=\"0.04\""));
  CHECK(strstr(x1, "crs:Flow=\"0.6\""));
  CHECK(strstr(x1, "crs:CenterWeight=\"0.75\""));
  CHECK(strstr(x1, "crs:MaskValue=\"0.8\""));
  CHECK(strstr(x1, "crs:CenterWeight=\"0.5\"")); /* the eraser, default feather 50 */
  CHECK(strstr(x1, "crs:MaskValue=\"0\""));        /* the eraser */
  CHECK(strstr(x1, "<rdf:li>d 0.300000 0.400000</rdf:li>"));
  CHECK(strstr(x1, "<rdf:li>d 0.1234567 1.050000</rdf:li>")); /* exact, past six places */
  CHECK(strstr(x1, "<rdf:li>d 0.310000 0.410000</rdf:li>"));
  free(x1);
  free(x2);
  dm_recipe_free(&a);
  dm_recipe_free(&b);
  dm_recipe_free(&c);
}

/* A subtract of an inverted component is an intersect (mask.h); it is
 * stored the one way Lightroom stores both, and read back as intersect. */
static void test_subtract_inverted(dm_context *ctx) {
  dm_recipe a, b;
  CHECK_OK(ctx, dm_recipe_init(ctx, &a));
  CHECK_OK(ctx, dm_recipe_init(ctx, &b));
  const char *const sets[] = {
      "correction[0].exposure=1",
      "correction[0].mask[0].kind=radial_gradient",
      "correction[0].mask[1].kind=luminance_range", "correction[0].mask[1].mode=subtract",
      "correction[0].mask[1].invert=true", "correction[0].mask[1].opacity=80",
      "correction[0].mask[2].kind=linear_gradient", "correction[0].mask[2].mode=intersect",
      "correction[0].mask[2].invert=true",
  };
  apply_sets(ctx, &a, sets, sizeof sets / sizeof *sets);
  char *x1 = write_xml(ctx, &a);
  CHECK_OK(ctx, read_xml(ctx, x1 ? x1 : "", &b));
  if (b.n_corrections == 1 && b.corrections[0].n_masks == 3) {
    const dm_mask_component *m = b.corrections[0].masks;
    CHECK(m[1].mode == DM_MASK_INTERSECT && m[1].invert == 0 && m[1].opacity == 80);
    CHECK(m[2].mode == DM_MASK_SUBTRACT && m[2].invert == 0);
  } else {
    CHECK(0);
  }
  char *x2 = write_xml(ctx, &b);
  CHECK(x1 && x2 && !strcmp(x1, x2));
  free(x1);
  free(x2);
  dm_recipe_free(&a);
  dm_recipe_free(&b);
}

static void test_empty_and_file(dm_context *ctx) {
  dm_recipe a, b;
  CHECK_OK(ctx, dm_recipe_init(ctx, &a));
  CHECK_OK(ctx, dm_recipe_init(ctx, &b));
  char *x = write_xml(ctx, &a);
  CHECK(x && strstr(x, "dm:RecipeVersion=\"1\"") && !strstr(x, "MaskGroupBasedCorrections"));
  CHECK(x && !strstr(x, "HasSettings")); /* nothing for Lightroom to take */
  CHECK_OK(ctx, read_xml(ctx, x ? x : "", &b));
  CHECK(b.n_corrections == 0);
  free(x);

  /* Through files, atomically, and a second write of the same recipe. */
  const char *dir = dm_test_tmpdir("recipe_roundtrip");
  char path[4200];
  snprintf(path, sizeof path, "%s/photo.xmp", dir);
  const char *const sets[] = {"correction[0].exposure=-1.25", "correction[0].mask[0].kind=linear_gradient"};
  apply_sets(ctx, &a, sets, 2);
  CHECK_OK(ctx, dm_recipe_write_file(ctx, path, &a));
  CHECK_OK(ctx, dm_recipe_read_file(ctx, path, &b));
  CHECK(b.n_corrections == 1 && b.corrections[0].sliders.v[DM_ADJ_EXPOSURE] == -1.25f);
  unsigned char *d1, *d2;
  size_t l1, l2;
  CHECK_OK(ctx, dm_read_file(ctx, path, 1 << 20, &d1, &l1));
  CHECK_OK(ctx, dm_recipe_write_file(ctx, path, &b));
  CHECK_OK(ctx, dm_read_file(ctx, path, 1 << 20, &d2, &l2));
  CHECK(l1 == l2 && !memcmp(d1, d2, l1));
  free(d1);
  free(d2);
  dm_recipe_free(&a);
  dm_recipe_free(&b);
}

static void test_preset(dm_context *ctx) {
  dm_recipe photo, preset;
  CHECK_OK(ctx, dm_recipe_init(ctx, &photo));
  CHECK_OK(ctx, dm_recipe_init(ctx, &preset));
  const char *const p_sets[] = {"correction[0].name=Warm", "correction[0].temperature=20",
                                "correction[0].mask[0].kind=file",
                                "correction[0].mask[0].path=../masks/m.png"};
  apply_sets(ctx, &preset, p_sets, 4);
  char *px = write_xml(ctx, &preset);
  dm_recipe preset_read;
  CHECK_OK(ctx, dm_recipe_init(ctx, &preset_read));
  CHECK_OK(ctx, read_xml(ctx, px ? px : "", &preset_read)); /* a preset is a recipe file */
  const char *const sets[] = {"correction[0].exposure=2", "correction[1].exposure=-2"};
  apply_sets(ctx, &photo, sets, 2);
  CHECK_OK(ctx, dm_recipe_apply_preset(ctx, &photo, &preset_read));
  CHECK(photo.n_corrections == 1);
  CHECK(!strcmp(photo.corrections[0].name, "Warm"));
  CHECK(photo.corrections[0].sliders.v[DM_ADJ_TEMPERATURE] == 20);
  CHECK(photo.corrections[0].sliders.v[DM_ADJ_EXPOSURE] == 0);
  CHECK(!strcmp(photo.corrections[0].masks[0].path, "../masks/m.png"));
  /* The copy is deep: freeing the preset leaves the photo's recipe whole. */
  dm_recipe_free(&preset_read);
  char *x = write_xml(ctx, &photo);
  CHECK(x && strstr(x, "dm:Path=\"../masks/m.png\""));
  /* --set on top of a preset. */
  CHECK_OK(ctx, dm_recipe_set(ctx, &photo, "correction[0].amount=50"));
  CHECK(photo.corrections[0].amount == 50);
  free(x);
  free(px);
  dm_recipe_free(&photo);
  dm_recipe_free(&preset);
}

static void test_sidecar_path(void) {
  char out[64];
  /* Non-RAW: darktable's NAME.EXT.xmp; RAW: Lightroom's NAME.xmp. */
  dm_sidecar_path("photo.jpg", out, sizeof out);
  CHECK(!strcmp(out, "photo.jpg.xmp"));
  dm_sidecar_path("/a/b.c/IMG_0001.CR3", out, sizeof out);
  CHECK(!strcmp(out, "/a/b.c/IMG_0001.xmp"));
  dm_sidecar_path("/a/IMG_0001.nef", out, sizeof out);
  CHECK(!strcmp(out, "/a/IMG_0001.xmp"));
  dm_sidecar_path("x/IMG_0001.DNG", out, sizeof out);
  CHECK(!strcmp(out, "x/IMG_0001.xmp"));
  dm_sidecar_path("dir.d/photo", out, sizeof out);
  CHECK(!strcmp(out, "dir.d/photo.xmp"));
  dm_sidecar_path("archive.tar.gz", out, sizeof out);
  CHECK(!strcmp(out, "archive.tar.gz.xmp"));
  dm_sidecar_path(".hidden", out, sizeof out);
  CHECK(!strcmp(out, ".hidden.xmp"));
  dm_sidecar_path("photo.", out, sizeof out);
  CHECK(!strcmp(out, "photo..xmp"));
  dm_sidecar_path("a.png", out, sizeof out);
  CHECK(!strcmp(out, "a.png.xmp"));
  CHECK(dm_is_raw_name("IMG.CR2") && dm_is_raw_name("a/b.raf") && !dm_is_raw_name("a.jpg") &&
        !dm_is_raw_name("cr2") && !dm_is_raw_name("x.cr2/y"));
  char tiny[8];
  dm_sidecar_path("longname.jpg", tiny, sizeof tiny);
  CHECK(tiny[0] == 0);
}

int main(void) {
  dm_context *ctx = dm_context_new(1);
  test_round_trip(ctx);
  test_subtract_inverted(ctx);
  test_empty_and_file(ctx);
  test_preset(ctx);
  test_sidecar_path();
  dm_context_free(ctx);
  return dm_test_done("recipe/roundtrip");
}
