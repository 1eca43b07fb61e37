/* Writes a sample sidecar (two corrections, every mask kind) for
 * test_exiftool.sh to read with a real XMP client: `recipe_test_xmp_sample
 * OUT.xmp`; `--rewrite FILE.xmp` reads a sidecar and writes it back in
 * place, unchanged. Without an argument it is a test of its own: it writes into its
 * scratch folder and reads the file back. The values here are the ones
 * test_exiftool.sh expects exiftool to report, lens blur included. */
#include "recipe_test_util.h"

static const char *const sample[] = {
    "correction[0].name=Background",
    "correction[0].exposure=-0.7",      /* crs:LocalExposure2012 = -0.175 */
    "correction[0].highlights=-40",     /* crs:LocalHighlights2012 = -0.4 */
    "correction[0].clarity=-30",        /* crs:LocalClarity2012 = -0.3 */
    "correction[0].amount=80",          /* crs:CorrectionAmount = 0.8 */
    "correction[0].mask[0].kind=radial_gradient",
    "correction[0].mask[0].top=0.1", "correction[0].mask[0].left=0.2",
    "correction[0].mask[0].bottom=0.9", "correction[0].mask[0].right=0.8",
    "correction[0].mask[0].feather=60", "correction[0].mask[0].invert=true",
    "correction[0].mask[1].kind=luminance_range", "correction[0].mask[1].mode=intersect",
    "correction[0].mask[1].luminance_range=20,40,60,80",
    "correction[1].name=Face",
    "correction[1].exposure=0.2",       /* 0.05 */
    "correction[1].temperature=8",      /* crs:LocalTemperature = 0.08 */
    "correction[1].mask[0].kind=linear_gradient", "correction[1].mask[0].zero=0.5,0.7",
    "correction[1].mask[0].full=0.5,0.3",
    "correction[1].mask[1].kind=file", "correction[1].mask[1].path=face.png",
    "correction[1].mask[1].mode=subtract",
    "lens_blur.amount=70",              /* crs:LensBlur/BlurAmount = 70, Active = true */
    "lens_blur.focal_range=0,0,35,60",  /* crs:LensBlur/FocalRange = "0 0 35 60" */
    "lens_blur.boost=30",               /* crs:LensBlur/HighlightsBoost = 30 */
    "lens_blur.mode=physical",          /* dm:LensBlurSettings/mode = "physical" */
    "lens_blur.f_mm=85",                /* dm:LensBlurSettings/f_mm = 85 */
};

int main(int argc, char **argv) {
  dm_context *ctx = dm_context_new(1);
  dm_recipe r;
  CHECK_OK(ctx, dm_recipe_init(ctx, &r));
  if (argc > 2 && !strcmp(argv[1], "--rewrite")) {
    CHECK_OK(ctx, dm_recipe_read_file(ctx, argv[2], &r));
    CHECK_OK(ctx, dm_recipe_write_file(ctx, argv[2], &r));
    dm_recipe_free(&r);
    dm_context_free(ctx);
    return dm_test_done("recipe/xmp_sample --rewrite");
  }
  apply_sets(ctx, &r, sample, sizeof sample / sizeof *sample);
  char path[4200];
  if (argc > 1)
    snprintf(path, sizeof path, "%s", argv[1]);
  else
    snprintf(path, sizeof path, "%s/sample.xmp", dm_test_tmpdir("recipe_xmp_sample"));
  CHECK_OK(ctx, dm_recipe_write_file(ctx, path, &r));
  dm_recipe back;
  CHECK_OK(ctx, dm_recipe_init(ctx, &back));
  CHECK_OK(ctx, dm_recipe_read_file(ctx, path, &back));
  CHECK(back.n_corrections == 2);
  for (int ci = 0; ci < r.n_corrections && ci < back.n_corrections; ci++)
    CHECK(corrections_equal(&r.corrections[ci], &back.corrections[ci], ci));
  CHECK(!memcmp(&r.lens_blur, &back.lens_blur, sizeof r.lens_blur));
  dm_recipe_free(&r);
  dm_recipe_free(&back);
  dm_context_free(ctx);
  return dm_test_done("recipe/xmp_sample");
}
