/* Region renders (issue 14, item 2): a rectangle of the full level rendered
 * from a crop of it (graph_region.c) equals the same rectangle of the whole
 * render, at the photo's corners and edges, in its middle and at odd
 * places, for recipes that exercise what depends on the whole frame: masks
 * in the photo's coordinates (gradients, a brush, a file mask's stretch),
 * radii from its size (luminance range, depth range refinement, clarity
 * and texture), the lens blur's scale, cat's eye, Boost on lights, its own
 * focus on the whole depth (artistic and physical), distances pinned to
 * it, and the soft edge it makes itself without a matte.
 *
 * Agreement, in the 8-bit sRGB the editor sends: mean absolute difference
 * at most 0.5/255, 99.9th percentile at most 2/255, largest at most
 * 8/255 (what remains comes from the blur's fills, whose push-pull
 * pyramids carry a little from beyond any margin where a layer is sparse).
 * A recipe with a Dehaze (its airlight is the whole frame's) is rendered
 * whole and cut: bit for bit; so is the photo before any edit. Until the
 * scene is built, what needs no depth renders the same in a region.
 *
 * Scene: tune2 of tests/data/dof-tune (head and shoulders before brick,
 * with lights), 960 x 640, its true depth (metric, 1.5 to 6 m) and matte as
 * files. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_test.h"
#include "io/io.h"
#include "pipeline/graph.h"

#define SCENE DM_SOURCE_DIR "/tests/data/dof-tune/scenes/tune2_man_head_shoulders1.5m_brick6m_lights"
#define RW 96
#define RH 64

static const char *base_dir; /* the recipes' folder: a file mask's */

static dm_graph *open_scene(dm_context *ctx, int matte) {
  dm_graph_options o = {.proxy = 480, .threads = 2};
  o.scene.depth_mode = DM_DEPTH_MODE_FILE;
  o.scene.depth_file.path = SCENE "/depth16.png";
  o.scene.depth_file.encoding = DM_DEPTH_LINEAR;
  o.scene.depth_file.near_m = 1.5f;
  o.scene.depth_file.far_m = 6.0f;
  o.scene.matte_mode = matte ? DM_MATTE_MODE_FILE : DM_MATTE_MODE_NONE;
  o.scene.matte_path = matte ? SCENE "/mask_gt.png" : NULL;
  o.scene.cache_dir = "";
  dm_graph *g = NULL;
  CHECK_OK(ctx, dm_graph_open(ctx, SCENE "/aif.png", &o, &g));
  if (g) CHECK_OK(ctx, dm_graph_build_scene(ctx, g));
  return g;
}

/* 8-bit sRGB values (as floats) of a working-space image. */
static void srgb8(dm_context *ctx, const dm_image *linear, dm_image *out) {
  unsigned char *icc = NULL;
  size_t icc_len = 0;
  CHECK_OK(ctx, dm_color_from_working(ctx, linear, DM_PROFILE_SRGB, out, &icc, &icc_len));
  free(icc);
  for (int y = 0; y < out->height; y++) {
    float *r = dm_row(out, y);
    for (int x = 0; x < 3 * out->width; x++) {
      float v = r[x] * 255.0f;
      r[x] = floorf((v < 0.0f ? 0.0f : (v > 255.0f ? 255.0f : v)) + 0.5f);
    }
  }
}

static int cmp_float(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

typedef struct agreement {
  double mean;
  float p999, max;
} agreement;

/* The region (linear) against the rectangle at x, y of the whole (8-bit sRGB). */
static agreement compare(dm_context *ctx, const dm_image *whole8, const dm_image *region, int x,
                         int y) {
  dm_image r8 = {0};
  srgb8(ctx, region, &r8);
  size_t n = (size_t)region->width * region->height * 3, k = 0;
  float *d = malloc(n * sizeof *d);
  double sum = 0;
  for (int j = 0; d && j < region->height; j++) {
    const float *a = dm_row(&r8, j), *b = dm_px(whole8, x, y + j);
    for (int i = 0; i < 3 * region->width; i++, k++) sum += d[k] = fabsf(a[i] - b[i]);
  }
  agreement g = {sum / (double)n, 0, 0};
  if (d) {
    qsort(d, n, sizeof *d, cmp_float);
    g.p999 = d[(size_t)(0.999 * (double)(n - 1))], g.max = d[n - 1];
  }
  free(d);
  dm_image_free(&r8);
  return g;
}

/* Regions of recipe `sets` at the corners, edges, centre and odd places
 * against the whole render; `exact`: bit for bit (a recipe rendered whole).
 * `before`: the photo as it is, a rectangle of it. */
static void check_view(dm_context *ctx, dm_graph *g, const char *name, const char *const *sets,
                       int n_sets, int exact, int before) {
  dm_recipe r;
  CHECK_OK(ctx, dm_recipe_init(ctx, &r));
  for (int i = 0; i < n_sets; i++) CHECK_OK(ctx, dm_recipe_set(ctx, &r, sets[i]));
  int W, H;
  dm_graph_size(g, &W, &H);
  dm_image whole = {0}, whole8 = {0};
  dm_graph_view v = {.level = DM_LEVEL_FULL, .before = before};
  CHECK_OK(ctx, dm_graph_render(ctx, g, &r, base_dir, &v, &whole, NULL));
  srgb8(ctx, &whole, &whole8);
  const int at[][2] = {{0, 0},           {W - RW, H - RH}, {W - RW, 0}, {0, H - RH},
                       {(W - RW) / 2, 0}, {W - RW, 333},    {437, 211},  {203, 517}};
  double worst_mean = 0;
  float worst_p999 = 0, worst_max = 0;
  for (size_t i = 0; i < sizeof at / sizeof *at; i++) {
    dm_graph_view rv = {.level = DM_LEVEL_FULL, .before = before, .x = at[i][0], .y = at[i][1],
                        .w = RW, .h = RH};
    dm_image region = {0};
    CHECK_OK(ctx, dm_graph_render(ctx, g, &r, base_dir, &rv, &region, NULL));
    if (!region.data) continue;
    CHECK(region.width == RW && region.height == RH);
    if (exact) {
      dm_image rect = dm_image_view(&whole, rv.x, rv.y, RW, RH);
      double mean, max;
      dm_test_image_diff(&rect, &region, &mean, &max);
      CHECK(max == 0.0);
    }
    agreement a = compare(ctx, &whole8, &region, rv.x, rv.y);
    if (a.mean > 0.5 || a.p999 > 2 || a.max > 8)
      fprintf(stderr, "%s: region %d,%d: mean %.3f p99.9 %.0f max %.0f (/255)\n", name, rv.x,
              rv.y, a.mean, (double)a.p999, (double)a.max);
    CHECK(a.mean <= 0.5 && a.p999 <= 2 && a.max <= 8);
    worst_mean = a.mean > worst_mean ? a.mean : worst_mean;
    worst_p999 = a.p999 > worst_p999 ? a.p999 : worst_p999;
    worst_max = a.max > worst_max ? a.max : worst_max;
    dm_image_free(&region);
  }
  printf("%-34s worst of %zu regions: mean %.3f/255, p99.9 %.0f/255, max %.0f/255\n", name,
         sizeof at / sizeof *at, worst_mean, (double)worst_p999, (double)worst_max);
  dm_image_free(&whole);
  dm_image_free(&whole8);
  dm_recipe_free(&r);
}

static void check_recipe(dm_context *ctx, dm_graph *g, const char *name, const char *const *sets,
                         int n_sets, int exact) {
  check_view(ctx, g, name, sets, n_sets, exact, 0);
}

#define N_OF(a) ((int)(sizeof a / sizeof *a))

int main(void) {
  dm_context *ctx = dm_context_new(2);
  dm_graph *g = open_scene(ctx, 1);
  if (!g) return dm_test_done("pipeline/region");
  /* The issue's recipe: Depth Range [0, 35] smoothness 30 ∩ Subject +0.3 EV, Background
   * -0.7 EV, lens blur 50 (its own focus on the subject's depth). */
  static const char *const issue[] = {
      "correction[0].mask[0].kind=depth_range", "correction[0].mask[0].depth_range=0,35",
      "correction[0].mask[0].smoothness=30",    "correction[0].mask[1].kind=subject",
      "correction[0].mask[1].mode=intersect",   "correction[0].exposure=0.3",
      "correction[1].mask[0].kind=background",  "correction[1].exposure=-0.7",
      "lens_blur.amount=50",
  };
  check_recipe(ctx, g, "issue's recipe", issue, N_OF(issue), 0);
  /* Gradients and a brush in the photo's coordinates, a luminance range and the base layers
   * (clarity, texture, shadows) with radii from its size; blades, cat's eye and Boost on
   * the scene's lights, a focal range of its own. */
  static const char *const frame[] = {
      "correction[0].mask[0].kind=linear_gradient", "correction[0].mask[0].zero=0.3,0.1",
      "correction[0].mask[0].full=0.6,0.7",         "correction[0].temperature=-20",
      "correction[0].clarity=40",
      "correction[1].mask[0].kind=radial_gradient", "correction[1].mask[0].angle=30",
      "correction[1].mask[0].invert=1",             "correction[1].exposure=-0.5",
      "correction[1].texture=30",
      "correction[2].mask[0].kind=luminance_range", "correction[2].mask[0].luminance_range=40,60,100,100",
      "correction[2].mask[1].kind=brush",           "correction[2].mask[1].stroke[0].dabs=0.2,0.3,0.4,0.5,0.6,0.4",
      "correction[2].mask[1].mode=add",             "correction[2].shadows=40",
      "lens_blur.amount=70",                        "lens_blur.focal_range=0,5,20,60",
      "lens_blur.bokeh=1",                          "lens_blur.blades=6",
      "lens_blur.cat_eye=80",                       "lens_blur.boost=90",
      "lens_blur.boost_threshold=30",
  };
  check_recipe(ctx, g, "gradients, brush, cat eye, boost", frame, N_OF(frame), 0);
  /* A file mask, 301 x 203, stretched to the photo: a region gets its part of the stretch. */
  base_dir = dm_test_tmpdir("pipeline_region");
  dm_image grad = {0};
  CHECK_OK(ctx, dm_image_alloc(ctx, &grad, 301, 203, 1));
  for (int y = 0; grad.data && y < grad.height; y++)
    for (int x = 0; x < grad.width; x++)
      dm_row(&grad, y)[x] = 0.5f + 0.5f * sinf(0.07f * (float)x) * cosf(0.05f * (float)y);
  char path[4200];
  snprintf(path, sizeof path, "%s/mask.png", base_dir);
  dm_write_options wo = {.format = DM_FMT_PNG, .bits = 16};
  if (grad.data) CHECK_OK(ctx, dm_io_write(ctx, path, &grad, &wo));
  dm_image_free(&grad);
  static const char *const file[] = {
      "correction[0].mask[0].kind=file", "correction[0].mask[0].path=mask.png",
      "correction[0].exposure=1.5", "lens_blur.amount=30",
  };
  check_recipe(ctx, g, "file mask", file, N_OF(file), 0);
  /* Physical: the lens on the metric depth, focused by itself on the subject. */
  static const char *const physical[] = {
      "correction[0].mask[0].kind=subject", "correction[0].exposure=0.2",
      "lens_blur.mode=1", "lens_blur.f_mm=85", "lens_blur.f_number=1.4",
  };
  check_recipe(ctx, g, "physical, auto focus", physical, N_OF(physical), 0);
  /* Physical with the distances pinned to the whole depth's medians. */
  static const char *const pinned[] = {
      "lens_blur.mode=1", "lens_blur.f_mm=85", "lens_blur.f_number=1.4",
      "lens_blur.subject_distance_m=2", "lens_blur.background_distance_m=8",
  };
  check_recipe(ctx, g, "physical, pinned distances", pinned, N_OF(pinned), 0);
  /* Dehaze reads the whole frame: the region is the whole render's rectangle. */
  static const char *const dehaze[] = {
      "correction[0].mask[0].kind=background", "correction[0].dehaze=40", "lens_blur.amount=40",
  };
  check_recipe(ctx, g, "dehaze (whole render)", dehaze, N_OF(dehaze), 1);

  /* Before: the photo's rectangle, bit for bit. */
  check_view(ctx, g, "before", issue, N_OF(issue), 1, 1);
  /* Until the scene is built, what needs no depth renders (the rest waits): the same. */
  static const char *const pending[] = {
      "correction[0].mask[0].kind=radial_gradient", "correction[0].exposure=0.5",
      "correction[1].mask[0].kind=background",     "correction[1].exposure=-1",
      "lens_blur.amount=50",
  };
  dm_graph_options po = {.proxy = 480, .threads = 2};
  po.scene.depth_mode = DM_DEPTH_MODE_FILE;
  po.scene.depth_file.path = SCENE "/depth16.png";
  po.scene.depth_file.encoding = DM_DEPTH_LINEAR;
  po.scene.cache_dir = "";
  dm_graph *unbuilt = NULL;
  CHECK_OK(ctx, dm_graph_open(ctx, SCENE "/aif.png", &po, &unbuilt));
  if (unbuilt) check_recipe(ctx, unbuilt, "scene not built yet", pending, N_OF(pending), 0);
  dm_graph_free(unbuilt);

  /* Without a matte, the blur makes its own soft edge where the focus meets what is behind. */
  dm_graph *nm = open_scene(ctx, 0);
  static const char *const no_matte[] = {"lens_blur.amount=60", "lens_blur.boost=80"};
  if (nm) check_recipe(ctx, nm, "no matte (synthetic edge)", no_matte, N_OF(no_matte), 0);
  dm_graph_free(nm);

  /* Outside the photo: refused, whatever the recipe. */
  dm_recipe r;
  CHECK_OK(ctx, dm_recipe_init(ctx, &r));
  for (int i = 0; i < N_OF(issue); i++) CHECK_OK(ctx, dm_recipe_set(ctx, &r, issue[i]));
  const dm_graph_view bad[] = {{.level = DM_LEVEL_FULL, .x = 900, .y = 0, .w = 100, .h = 10},
                               {.level = DM_LEVEL_FULL, .x = -1, .y = 0, .w = 10, .h = 10},
                               {.level = DM_LEVEL_FULL, .x = 0, .y = 600, .w = 10, .h = 41},
                               {.level = DM_LEVEL_FULL, .x = 0, .y = 0, .w = 10, .h = 0}};
  for (int i = 0; i < N_OF(bad); i++) {
    dm_image out = {0};
    CHECK(dm_graph_render(ctx, g, &r, NULL, &bad[i], &out, NULL) == DM_ERR_RANGE);
    CHECK(out.data == NULL);
  }
  dm_recipe_free(&r);
  dm_graph_free(g);
  dm_context_free(ctx);
  return dm_test_done("pipeline/region");
}
