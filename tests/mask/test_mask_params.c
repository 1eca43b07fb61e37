/* Mask names and parameter tables: names round-trip, keys are unique,
 * defaults are in range and pass the check, the check rejects every
 * out-of-range value and bad field relation naming the key, and render
 * refuses bad arguments. */
#include <stddef.h>
#include <string.h>

#include "mask_test.h"

static void test_names(void) {
  for (int k = 0; k < DM_MASK_KIND_COUNT; k++) {
    dm_mask_kind back;
    const char *name = dm_mask_kind_name((dm_mask_kind)k);
    CHECK(dm_mask_kind_from_name(name, &back) && back == (dm_mask_kind)k);
    for (int j = 0; j < k; j++) CHECK(strcmp(name, dm_mask_kind_name((dm_mask_kind)j)) != 0);
  }
  for (int m = 0; m < DM_MASK_MODE_COUNT; m++) {
    dm_mask_mode back;
    CHECK(dm_mask_mode_from_name(dm_mask_mode_name((dm_mask_mode)m), &back) &&
          back == (dm_mask_mode)m);
  }
  dm_mask_kind k;
  dm_mask_mode m;
  CHECK(!dm_mask_kind_from_name("radial", &k));
  CHECK(!dm_mask_kind_from_name(NULL, &k));
  CHECK(!dm_mask_mode_from_name("multiply", &m));
  CHECK(!strcmp(dm_mask_kind_name(DM_MASK_RADIAL_GRADIENT), "radial_gradient"));
  CHECK(!strcmp(dm_mask_kind_name(DM_MASK_ALL), "whole_image"));
  CHECK(!strcmp(dm_mask_mode_name(DM_MASK_INTERSECT), "intersect"));
  CHECK(!strcmp(dm_mask_kind_name(DM_MASK_DEPTH_RANGE), "depth_range"));
  CHECK(!strcmp(dm_mask_kind_name(DM_MASK_SUBJECT), "subject"));
  CHECK(!strcmp(dm_mask_kind_name(DM_MASK_BACKGROUND), "background"));
  CHECK(!strcmp(dm_mask_kind_name(DM_MASK_KIND_COUNT), "unknown"));
}

/* The bytes of the component a descriptor covers must lie inside the struct,
 * and two descriptors of one table must not overlap. */
static void test_table_shape(dm_mask_kind kind) {
  int n = 0;
  const dm_param *t = dm_mask_params(kind, &n);
  CHECK(t != NULL && n >= 2);
  if (!t) return;
  CHECK(dm_param_find(t, n, "invert") && dm_param_find(t, n, "opacity"));
  for (int i = 0; i < n; i++) {
    const dm_param *p = &t[i];
    CHECK(p->key && p->label && p->doc);
    CHECK(p->count >= 1 && (p->type == DM_PARAM_VEC || p->count == 1));
    CHECK(p->offset + (size_t)p->count * sizeof(float) <= offsetof(dm_mask_component, path));
    CHECK(p->min <= p->ui_min && p->ui_min < p->ui_max && p->ui_max <= p->max);
    CHECK(p->def >= p->min && p->def <= p->max);
    if (p->xmp_name) CHECK(p->xmp_scale > 0);
    if (p->type == DM_PARAM_VEC) CHECK(p->xmp_name == NULL); /* the recipe maps pairs */
    for (int j = 0; j < i; j++) {
      CHECK(strcmp(p->key, t[j].key) != 0);
      size_t a0 = p->offset, a1 = a0 + (size_t)p->count * sizeof(float);
      size_t b0 = t[j].offset, b1 = b0 + (size_t)t[j].count * sizeof(float);
      CHECK(a1 <= b0 || b1 <= a0);
    }
  }
  /* Defaults from init are in range and the whole component checks out. */
  dm_context *ctx = dm_context_new(1);
  dm_mask_component c;
  dm_mask_component_init(&c, kind);
  if (kind == DM_MASK_FILE) strcpy(c.path, "m.png");
  CHECK(c.kind == kind && c.mode == DM_MASK_ADD && c.invert == 0 && c.opacity == 100);
  CHECK_OK(ctx, dm_mask_component_check(ctx, &c, "mask[0]"));
  for (int i = 0; i < n; i++) CHECK_OK(ctx, dm_param_check(ctx, &t[i], &c, t[i].key));

  /* Every value beyond the hard range is refused with the key named. */
  for (int i = 0; i < n; i++) {
    for (int e = 0; e < t[i].count; e++) {
      for (int side = 0; side < 2; side++) {
        dm_mask_component bad = c;
        float *v = dm_param_ptr(&t[i], &bad) + e;
        *v = side ? t[i].max + 1 : t[i].min - 1;
        CHECK(dm_mask_component_check(ctx, &bad, "correction[2].mask[1]") != DM_OK);
        char want[128];
        snprintf(want, sizeof want, "correction[2].mask[1].%s:", t[i].key);
        CHECK(strstr(dm_context_error(ctx), want) != NULL);
      }
    }
    /* Parsing goes through the same table. */
    dm_mask_component p = c;
    CHECK(dm_param_parse(ctx, &t[i], &p, "1e9", t[i].key) != DM_OK);
    CHECK(strstr(dm_context_error(ctx), t[i].key) != NULL);
  }
  dm_context_free(ctx);
}

static void expect_bad(dm_context *ctx, const dm_mask_component *c, const char *key) {
  CHECK(dm_mask_component_check(ctx, c, "m") != DM_OK);
  char want[64];
  snprintf(want, sizeof want, "m.%s:", key);
  if (!strstr(dm_context_error(ctx), want))
    fprintf(stderr, "  expected \"%s\" in \"%s\"\n", want, dm_context_error(ctx));
  CHECK(strstr(dm_context_error(ctx), want) != NULL);
}

static void test_relations(void) {
  dm_context *ctx = dm_context_new(1);
  dm_mask_component c;

  dm_mask_component_init(&c, DM_MASK_LUMINANCE_RANGE);
  CHECK(c.lum_range[0] == 0 && c.lum_range[1] == 0 && c.lum_range[2] == 100 && c.lum_range[3] == 100);
  int nl;
  const dm_param *tl = dm_mask_params(DM_MASK_LUMINANCE_RANGE, &nl);
  const dm_param *lr = dm_param_find(tl, nl, "luminance_range");
  CHECK(lr != NULL);
  if (lr) {
    CHECK_OK(ctx, dm_param_parse(ctx, lr, &c, "5,25,100,100", "luminance_range"));
    CHECK_OK(ctx, dm_mask_component_check(ctx, &c, "m"));
    CHECK_OK(ctx, dm_param_parse(ctx, lr, &c, "40,30,60,70", "luminance_range"));
    expect_bad(ctx, &c, "luminance_range");
    CHECK_OK(ctx, dm_param_parse(ctx, lr, &c, "10,20,80,70", "luminance_range"));
    expect_bad(ctx, &c, "luminance_range");
  }

  dm_mask_component_init(&c, DM_MASK_LINEAR_GRADIENT);
  CHECK(c.zero[0] != c.full[0] || c.zero[1] != c.full[1]);
  c.full[0] = c.zero[0], c.full[1] = c.zero[1];
  expect_bad(ctx, &c, "full");

  dm_mask_component_init(&c, DM_MASK_RADIAL_GRADIENT);
  CHECK(c.left < c.right && c.top < c.bottom && c.feather > 0 && c.feather < 100);
  c.right = c.left;
  expect_bad(ctx, &c, "right");
  dm_mask_component_init(&c, DM_MASK_RADIAL_GRADIENT);
  c.bottom = c.top - 0.1f;
  expect_bad(ctx, &c, "bottom");
  dm_mask_component_init(&c, DM_MASK_RADIAL_GRADIENT);
  c.invert = 0.5f; /* a bool must be 0 or 1 */
  expect_bad(ctx, &c, "invert");
  dm_mask_component_init(&c, DM_MASK_RADIAL_GRADIENT);
  c.feather = NAN;
  expect_bad(ctx, &c, "feather");

  dm_mask_component_init(&c, DM_MASK_FILE);
  expect_bad(ctx, &c, "path"); /* no file named */

  dm_mask_component_init(&c, DM_MASK_DEPTH_RANGE);
  CHECK(c.depth_range[0] == 0 && c.depth_range[1] == 100 && c.smoothness == 25);
  int nd;
  const dm_param *td = dm_mask_params(DM_MASK_DEPTH_RANGE, &nd);
  const dm_param *dr = dm_param_find(td, nd, "depth_range");
  CHECK(dr != NULL && dm_param_find(td, nd, "smoothness") != NULL);
  if (dr) {
    CHECK_OK(ctx, dm_param_parse(ctx, dr, &c, "0,3", "depth_range"));
    CHECK(c.depth_range[0] == 0 && c.depth_range[1] == 3);
    CHECK_OK(ctx, dm_mask_component_check(ctx, &c, "m"));
    CHECK_OK(ctx, dm_param_parse(ctx, dr, &c, "30,30", "depth_range")); /* one depth */
    CHECK_OK(ctx, dm_mask_component_check(ctx, &c, "m"));
    CHECK_OK(ctx, dm_param_parse(ctx, dr, &c, "40,30", "depth_range"));
    expect_bad(ctx, &c, "depth_range");
  }
  dm_mask_component_init(&c, DM_MASK_DEPTH_RANGE);
  c.smoothness = 100.5f;
  expect_bad(ctx, &c, "smoothness");

  dm_mask_component_init(&c, DM_MASK_ALL);
  c.mode = DM_MASK_MODE_COUNT;
  expect_bad(ctx, &c, "mode");
  dm_mask_component_init(&c, DM_MASK_ALL);
  c.kind = DM_MASK_KIND_COUNT;
  expect_bad(ctx, &c, "kind");
  dm_context_free(ctx);
}

/* Lightroom's names where Lightroom has the field, with its scaling. */
static void test_xmp_names(void) {
  int n;
  const dm_param *t = dm_mask_params(DM_MASK_RADIAL_GRADIENT, &n);
  const char *keys[] = {"top", "left", "bottom", "right", "angle", "feather"};
  const char *xmp[] = {"Top", "Left", "Bottom", "Right", "Angle", "Feather"};
  for (int i = 0; i < 6; i++) {
    const dm_param *p = dm_param_find(t, n, keys[i]);
    CHECK(p && p->xmp_name && !strcmp(p->xmp_name, xmp[i]) && p->xmp_scale == 1);
  }
  const dm_param *o = dm_param_find(t, n, "opacity");
  CHECK(o && o->xmp_name && !strcmp(o->xmp_name, "MaskValue") && o->max * o->xmp_scale == 1);
}

/* Bad calls are errors, not crashes; n == 0 is the whole image. */
static void test_render_arguments(void) {
  dm_context *ctx = dm_context_new(1);
  dm_image img, m, small;
  mt_canvas(ctx, 64, 48, &img);
  mt_alloc_mask(ctx, &img, &m);
  CHECK(dm_image_alloc(ctx, &small, 32, 48, 1) == DM_OK);
  dm_mask_inputs in = {.image = &img};
  for (int y = 0; y < m.height; y++)
    for (int x = 0; x < m.width; x++) dm_px(&m, x, y)[0] = (float)(x % 3) * 0.25f;
  CHECK_OK(ctx, dm_mask_render(ctx, NULL, 0, &in, &m));
  int ones = 1;
  for (int y = 0; y < m.height; y++)
    for (int x = 0; x < m.width; x++) ones &= dm_px(&m, x, y)[0] == 1.0f;
  CHECK(ones);
  CHECK(dm_mask_render(ctx, NULL, 0, &in, &small) != DM_OK);
  dm_mask_component c;
  dm_mask_component_init(&c, DM_MASK_RADIAL_GRADIENT);
  c.feather = 101;
  CHECK(dm_mask_render(ctx, &c, 1, &in, &m) == DM_ERR_RANGE);
  CHECK(strstr(dm_context_error(ctx), "mask[0].feather:") != NULL);
  c.feather = 50;
  atomic_store(&ctx->cancel, 1);
  CHECK(dm_mask_render(ctx, &c, 1, &in, &m) == DM_ERR_CANCELLED);
  atomic_store(&ctx->cancel, 0);
  CHECK_OK(ctx, dm_mask_render(ctx, &c, 1, &in, &m));
  dm_image_free(&small);
  dm_image_free(&m);
  dm_image_free(&img);
  dm_context_free(ctx);
}

int main(void) {
  test_names();
  for (int k = 0; k < DM_MASK_KIND_COUNT; k++) test_table_shape((dm_mask_kind)k);
  test_relations();
  test_xmp_names();
  test_render_arguments();
  return dm_test_done("mask/params");
}
