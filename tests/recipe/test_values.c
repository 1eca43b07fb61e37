/* dm_recipe_each_value: every value as its --set key, with keys only from
 * the catalogue `depthmask keys` prints, in an order that rebuilds the
 * recipe; and removing corrections, components (kept Lightroom ones
 * included) and brush strokes. */
#include "recipe_test_util.h"

/* ---- value lists --------------------------------------------------------- */

typedef struct vlist {
  int n, cap;
  char **key, **text;
  int *kept;
} vlist;

static dm_status add_value(void *user, const dm_recipe_value *v) {
  vlist *l = user;
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 64;
    l->key = realloc(l->key, (size_t)l->cap * sizeof *l->key);
    l->text = realloc(l->text, (size_t)l->cap * sizeof *l->text);
    l->kept = realloc(l->kept, (size_t)l->cap * sizeof *l->kept);
    if (!l->key || !l->text || !l->kept) abort();
  }
  l->key[l->n] = strdup(v->key);
  l->text[l->n] = strdup(v->text);
  l->kept[l->n] = v->kept;
  /* Numbers and booleans say what dm_param_format says; text has no param. */
  if (v->param) CHECK(v->v != NULL);
  else CHECK(v->v == NULL && !v->named);
  l->n++;
  return DM_OK;
}

static void vlist_free(vlist *l) {
  for (int i = 0; i < l->n; i++) free(l->key[i]), free(l->text[i]);
  free(l->key), free(l->text), free(l->kept);
  memset(l, 0, sizeof *l);
}

static void values_of(dm_context *ctx, const dm_recipe *r, vlist *l) {
  memset(l, 0, sizeof *l);
  CHECK_OK(ctx, dm_recipe_each_value(ctx, r, add_value, l));
}

static int vlists_equal(const vlist *a, const vlist *b) {
  int ok = a->n == b->n;
  for (int i = 0; i < a->n && i < b->n; i++)
    if (strcmp(a->key[i], b->key[i]) || strcmp(a->text[i], b->text[i])) {
      fprintf(stderr, "value %d: %s=%.60s vs %s=%.60s\n", i, a->key[i], a->text[i], b->key[i],
              b->text[i]);
      ok = 0;
      break;
    }
  return ok;
}

typedef struct catalogue {
  int n;
  char keys[128][96];
  int seen[128];
} catalogue;

static void add_key(void *user, const dm_set_key *k) {
  catalogue *c = user;
  if (c->n < 128) snprintf(c->keys[c->n++], sizeof c->keys[0], "%s", k->key);
}

/* A recipe with every kind of component, a file mask, a two-stroke brush,
 * and a lens blur switched off after its values were set. */
static const char *const rich_sets[] = {
    "correction[0].name=Background",
    "correction[0].exposure=-0.7",
    "correction[0].amount=80",
    "correction[0].mask[0].kind=depth_range",
    "correction[0].mask[0].depth_range=40,100",
    "correction[0].mask[0].smoothness=60",
    "correction[0].mask[1].kind=subject",
    "correction[0].mask[1].mode=subtract",
    "correction[0].mask[2].kind=luminance_range",
    "correction[0].mask[2].luminance_range=10,20,80,90",
    "correction[0].mask[3].kind=linear_gradient",
    "correction[0].mask[3].zero=0.1,0.2",
    "correction[0].mask[4].kind=radial_gradient",
    "correction[0].mask[4].feather=12.5",
    "correction[0].mask[4].invert=true",
    "correction[1].active=false",
    "correction[1].clarity=33",
    "correction[1].mask[0].kind=file",
    "correction[1].mask[0].path=masks/sky.png",
    "correction[1].mask[1].kind=background",
    "correction[1].mask[1].mode=intersect",
    "correction[1].mask[1].opacity=40",
    "correction[1].mask[2].kind=brush",
    "correction[1].mask[2].stroke[0].dabs=0.1,0.2,0.15,0.25,0.2,0.3",
    "correction[1].mask[2].stroke[0].radius=0.02",
    "correction[1].mask[2].stroke[1].erase=true",
    "correction[1].mask[2].stroke[1].dabs=0.5,0.5",
    "correction[1].mask[3].kind=whole_image",
    "refine[0].name=Focus",
    "refine[0].mask[0].kind=brush",
    "refine[0].mask[0].stroke[0].dabs=0.4,0.4,0.45,0.42",
    "refine[1].name=Blur",
    "refine[1].depth=100",
    "refine[1].amount=60",
    "refine[1].active=false",
    "refine[1].mask[0].kind=radial_gradient",
    "refine[1].mask[1].kind=whole_image", /* a kind Lightroom has not: written with dm:Kind */
    "lens_blur.amount=70",
    "lens_blur.focal_range=0,0,35,60",
    "lens_blur.bokeh=blades",
    "lens_blur.mode=physical",
    "lens_blur.f_mm=50",
    "lens_blur.focus_m=2.5",
    "lens_blur.active=false",
};

static void test_keys_and_rebuild(dm_context *ctx) {
  dm_recipe r, back;
  CHECK_OK(ctx, dm_recipe_init(ctx, &r));
  CHECK_OK(ctx, dm_recipe_init(ctx, &back));
  apply_sets(ctx, &r, rich_sets, sizeof rich_sets / sizeof rich_sets[0]);
  CHECK_OK(ctx, dm_recipe_check(ctx, &r));
  vlist l, lb;
  values_of(ctx, &r, &l);

  /* Every key is an instance of a catalogue key, and the rich recipe uses
   * every catalogue key at least once. */
  catalogue cat = {0};
  dm_set_keys_each(DM_KEYS_ALL, add_key, &cat);
  for (int i = 0; i < l.n; i++) {
    char pat[160];
    dm_test_key_pattern(l.key[i], pat, sizeof pat);
    /* A refine stroke set's components take the correction's mask keys. */
    if (!strncmp(pat, "refine[N].mask[", 15)) {
      char c[sizeof pat + 8];
      snprintf(c, sizeof c, "correction[N].mask[M%s", pat + 16);
      snprintf(pat, sizeof pat, "%.*s", (int)sizeof pat - 1, c);
    }
    int found = 0;
    for (int k = 0; k < cat.n; k++)
      if (!strcmp(cat.keys[k], pat)) cat.seen[k] = found = 1;
    if (!found) {
      fprintf(stderr, "%s: no such key in the catalogue (%s)\n", l.key[i], pat);
      dm_test_failures++;
    }
  }
  for (int k = 0; k < cat.n; k++)
    if (!cat.seen[k]) {
      fprintf(stderr, "catalogue key %s never listed\n", cat.keys[k]);
      dm_test_failures++;
    }

  /* Spot values, as dm_recipe_set takes them. */
  int seen = 0;
  for (int i = 0; i < l.n; i++) {
    const char *k = l.key[i], *t = l.text[i];
    if (!strcmp(k, "correction[0].exposure")) {
      seen++;
      CHECK(!strcmp(t, "-0.699999988"));
    }
    if (!strcmp(k, "correction[0].mask[0].depth_range")) {
      seen++;
      CHECK(!strcmp(t, "40,100"));
    }
    if (!strcmp(k, "correction[0].mask[4].invert")) {
      seen++;
      CHECK(!strcmp(t, "true"));
    }
    if (!strcmp(k, "correction[1].mask[0].path")) {
      seen++;
      CHECK(!strcmp(t, "masks/sky.png"));
    }
    if (!strcmp(k, "correction[1].mask[2].stroke[1].dabs")) {
      seen++;
      CHECK(!strcmp(t, "0.5,0.5"));
    }
    if (!strcmp(k, "lens_blur.mode")) {
      seen++;
      CHECK(!strcmp(t, "physical"));
    }
    if (!strcmp(k, "lens_blur.bokeh")) {
      seen++;
      CHECK(!strcmp(t, "blades"));
    }
    if (!strcmp(k, "refine[0].depth")) { /* a new set's: the focal range's sharp band then */
      seen++;
      CHECK(!strcmp(t, "50"));
    }
    if (!strcmp(k, "refine[1].depth")) {
      seen++;
      CHECK(!strcmp(t, "100"));
    }
    /* Keys of other kinds are not listed for a component. */
    CHECK(strcmp(k, "correction[0].mask[1].depth_range") && strcmp(k, "correction[0].mask[0].path"));
  }
  CHECK(seen == 9);
  CHECK(!strcmp(l.key[l.n - 1], "lens_blur.active") && !strcmp(l.text[l.n - 1], "false"));

  /* Applied in the order listed, the values rebuild the recipe. */
  for (int i = 0; i < l.n; i++) {
    char *as = malloc(strlen(l.key[i]) + strlen(l.text[i]) + 2);
    sprintf(as, "%s=%s", l.key[i], l.text[i]);
    CHECK_OK(ctx, dm_recipe_set(ctx, &back, as));
    free(as);
  }
  values_of(ctx, &back, &lb);
  CHECK(vlists_equal(&l, &lb));
  for (int ci = 0; ci < r.n_corrections; ci++)
    CHECK(corrections_equal(&r.corrections[ci], &back.corrections[ci], ci));
  CHECK(!memcmp(&r.lens_blur, &back.lens_blur, sizeof r.lens_blur));
  CHECK(r.refine.n == 2 && back.refine.n == 2);
  /* Written, read back and written again: the same bytes (fuzz_set found a
   * refine set with a dm:Kind component that read back refused). */
  char *x1 = NULL, *x2 = NULL;
  size_t n1 = 0, n2 = 0;
  dm_recipe again;
  CHECK_OK(ctx, dm_recipe_init(ctx, &again));
  CHECK_OK(ctx, dm_recipe_write_mem(ctx, &r, &x1, &n1));
  if (x1) CHECK_OK(ctx, dm_recipe_read_mem(ctx, x1, n1, "written.xmp", &again));
  CHECK_OK(ctx, dm_recipe_write_mem(ctx, &again, &x2, &n2));
  CHECK(x1 && x2 && n1 == n2 && !memcmp(x1, x2, n1));
  free(x1), free(x2);
  dm_recipe_free(&again);
  for (int i = 0; i < r.refine.n && i < back.refine.n; i++) {
    CHECK(corrections_equal(&r.refine.strokes[i], &back.refine.strokes[i], 100 + i));
    CHECK(r.refine.depth[i] == back.refine.depth[i]);
  }
  vlist_free(&l);
  vlist_free(&lb);
  dm_recipe_free(&r);
  dm_recipe_free(&back);
}

/* ---- removing ------------------------------------------------------------ */

static void expect_fail(dm_context *ctx, dm_status s, const char *msg) {
  if (s == DM_OK || strcmp(dm_context_error(ctx), msg)) {
    fprintf(stderr, "expected \"%s\", got %s\n", msg, s ? dm_context_error(ctx) : "(success)");
    dm_test_failures++;
  }
}

/* Written, read back and written again: the same bytes. */
static void check_round_trip(dm_context *ctx, const dm_recipe *r) {
  dm_recipe back;
  CHECK_OK(ctx, dm_recipe_init(ctx, &back));
  char *x = write_xml(ctx, r), *y = NULL;
  CHECK_OK(ctx, read_xml(ctx, x ? x : "", &back));
  y = write_xml(ctx, &back);
  CHECK(x && y && !strcmp(x, y));
  CHECK(back.n_corrections == r->n_corrections);
  for (int ci = 0; ci < r->n_corrections && ci < back.n_corrections; ci++) {
    CHECK(corrections_equal(&r->corrections[ci], &back.corrections[ci], ci));
    CHECK(dm_correction_n_slots(&r->corrections[ci]) == dm_correction_n_slots(&back.corrections[ci]));
  }
  free(x);
  free(y);
  dm_recipe_free(&back);
}

static void test_remove(dm_context *ctx) {
  dm_recipe r;
  CHECK_OK(ctx, dm_recipe_init(ctx, &r));
  apply_sets(ctx, &r, rich_sets, sizeof rich_sets / sizeof rich_sets[0]);
  expect_fail(ctx, dm_recipe_remove_correction(ctx, &r, 2),
              "correction[2]: no such correction (there are 2)");
  expect_fail(ctx, dm_recipe_remove_mask(ctx, &r, 0, 5),
              "correction[0].mask[5]: no such mask component (correction[0] has 5)");
  expect_fail(ctx, dm_recipe_remove_stroke(ctx, &r, 1, 1, 0),
              "correction[1].mask[1].stroke[0]: no such brush stroke");
  expect_fail(ctx, dm_recipe_remove_stroke(ctx, &r, 1, 2, 2),
              "correction[1].mask[2].stroke[2]: no such brush stroke");
  /* The middle component: the ones after move up. */
  CHECK_OK(ctx, dm_recipe_remove_mask(ctx, &r, 0, 1));
  CHECK(r.corrections[0].n_masks == 4 && r.corrections[0].masks[1].kind == DM_MASK_LUMINANCE_RANGE);
  CHECK_OK(ctx, dm_recipe_remove_stroke(ctx, &r, 1, 2, 0));
  const dm_brush *b = r.corrections[1].masks[2].brush;
  CHECK(dm_brush_n_strokes(b) == 1 && b->strokes[0].erase == 1 && b->strokes[0].n_dabs == 1);
  CHECK_OK(ctx, dm_recipe_remove_stroke(ctx, &r, 1, 2, 0));
  CHECK(r.corrections[1].masks[2].brush == NULL);
  CHECK_OK(ctx, dm_recipe_remove_correction(ctx, &r, 0));
  CHECK(r.n_corrections == 1 && r.corrections[0].sliders.v[DM_ADJ_CLARITY] == 33);
  CHECK(r.corrections[0].active == 0 && r.corrections[0].n_masks == 4);
  CHECK(r.corrections[1].n_masks == 0 && r.corrections[1].extra == NULL);
  check_round_trip(ctx, &r);
  dm_recipe_free(&r);
}

/* Lightroom's file: slots count the components kept as written. */
static void test_remove_kept(dm_context *ctx) {
  dm_recipe r;
  CHECK_OK(ctx, dm_recipe_init(ctx, &r));
  CHECK_OK(ctx, dm_recipe_read_file(ctx, fixture_path("lightroom_masks.xmp"), &r));
  vlist l;
  values_of(ctx, &r, &l);
  int kept = 0;
  for (int i = 0; i < l.n; i++)
    if (l.kept[i]) {
      kept++;
      CHECK(strstr(l.key[i], ".kind") != NULL);
    }
  int want = 0;
  for (int ci = 0; ci < r.n_corrections; ci++) want += dm_correction_n_preserved(&r.corrections[ci]);
  CHECK(kept == want && kept >= 3);
  CHECK(!strcmp(l.key[0], "correction[0].name") && !strcmp(l.text[0], "Background"));
  vlist_free(&l);
  /* The Background's kept Select Sky (slot 0): its radial moves to slot 0. */
  dm_correction *bg = &r.corrections[0];
  CHECK(dm_correction_slot_mask(bg, 0, NULL) == -1);
  CHECK_OK(ctx, dm_recipe_remove_mask(ctx, &r, 0, 0));
  CHECK(dm_correction_n_slots(bg) == 1 && dm_correction_slot_mask(bg, 0, NULL) == 0);
  char *x = write_xml(ctx, &r);
  CHECK(x && strstr(x, "crs:MaskName=\"Radial Gradient 1\"")); /* Lightroom's own node kept */
  free(x);
  /* The sky's first component (ours), before its kept ones: they move up. */
  dm_correction *sky = &r.corrections[1];
  int slots = dm_correction_n_slots(sky), pre = dm_correction_n_preserved(sky);
  CHECK(dm_correction_slot_mask(sky, 0, NULL) == 0);
  CHECK_OK(ctx, dm_recipe_remove_mask(ctx, &r, 1, 0));
  CHECK(dm_correction_n_slots(sky) == slots - 1 && dm_correction_n_preserved(sky) == pre);
  check_round_trip(ctx, &r);
  dm_recipe_free(&r);
}

int main(void) {
  dm_context *ctx = dm_context_new(1);
  test_keys_and_rebuild(ctx);
  test_remove(ctx);
  test_remove_kept(ctx);
  dm_context_free(ctx);
  return dm_test_done("test_values");
}
