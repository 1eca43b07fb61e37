/* Resize and Upsample against a naive reference that evaluates every
 * output element on its own (taps chosen directly from the spec's
 * formulas, n-D tensor product of the per-axis weights), which checks the
 * separable kernels, the row cache, the per-axis passes, threading and the
 * nearest gather; plus hand-computed values for the semantics themselves
 * (antialias, half_pixel_symmetric, keep_aspect_ratio_policy, Upsample,
 * Resize-10). */
#include <math.h>
#include <stdint.h>

#include "tensor_harness.h"

static unsigned g_seed = 777;
static float frand(void) {
  g_seed = g_seed * 1103515245u + 12345u;
  return (float)((g_seed >> 8) & 0xffff) / 32768.0f - 1.0f;
}

typedef struct rspec {
  const char *mode, *coord, *nearest;
  float a, extrap;
  int excl, antialias, r;
  int64_t in[5], out[5];
  double scale[5], lo[5], hi[5];
} rspec;

/* ---- the reference ---- */

static double ref_coord(const rspec *s, int ax, int64_t o) {
  double x = (double)o, in = (double)s->in[ax], sc = s->scale[ax], outw = sc * in;
  const char *c = s->coord;
  if (!strcmp(c, "asymmetric")) return x / sc;
  if (!strcmp(c, "align_corners")) return outw == 1 ? 0 : x * (in - 1) / (outw - 1);
  if (!strcmp(c, "pytorch_half_pixel")) return s->out[ax] > 1 ? (x + 0.5) / sc - 0.5 : 0;
  if (!strcmp(c, "tf_half_pixel_for_nn")) return (x + 0.5) / sc;
  if (!strcmp(c, "tf_crop_and_resize"))
    return s->out[ax] > 1 ? s->lo[ax] * (in - 1) + x * (s->hi[ax] - s->lo[ax]) * (in - 1) / ((double)s->out[ax] - 1)
                          : 0.5 * (s->lo[ax] + s->hi[ax]) * (in - 1);
  if (!strcmp(c, "half_pixel_symmetric"))
    return in / 2 * (1 - (double)s->out[ax] / outw) + (x + 0.5) / sc - 0.5;
  return (x + 0.5) / sc - 0.5;
}

static double kern(const rspec *s, double d) {
  d = fabs(d);
  if (!strcmp(s->mode, "linear")) return d < 1 ? 1 - d : 0;
  double a = s->a;
  if (d <= 1) return (a + 2) * d * d * d - (a + 3) * d * d + 1;
  if (d < 2) return a * d * d * d - 5 * a * d * d + 8 * a * d - 4 * a;
  return 0;
}

/* Taps of output o along axis ax: every input position within the kernel's
 * support around the coordinate (edge-clamped), weights normalised when
 * antialiasing or excluding the outside. Returns the count; -1 outside. */
static int ref_taps(const rspec *s, int ax, int64_t o, int64_t *idx, double *w) {
  double x = ref_coord(s, ax, o);
  int64_t n = s->in[ax];
  if (!strcmp(s->coord, "tf_crop_and_resize") && (x < 0 || x > (double)(n - 1))) return -1;
  if (!strcmp(s->mode, "nearest")) {
    double f = floor(x), r = x - f;
    int64_t i = (int64_t)f;
    if (r != 0) {
      const char *m = s->nearest;
      if (!strcmp(m, "ceil") || (!strcmp(m, "round_prefer_ceil") && r >= 0.5) ||
          (!strcmp(m, "round_prefer_floor") && r > 0.5))
        i++;
    }
    idx[0] = i < 0 ? 0 : (i >= n ? n - 1 : i), w[0] = 1;
    return 1;
  }
  double sc = s->antialias && s->scale[ax] < 1 ? s->scale[ax] : 1, support = (!strcmp(s->mode, "linear") ? 1 : 2) / sc;
  int cnt = 0;
  double sum = 0;
  for (int64_t i = (int64_t)floor(x - support); i <= (int64_t)ceil(x + support); i++) {
    double wt = kern(s, (x - (double)i) * sc);
    if (s->excl && (i < 0 || i >= n)) wt = 0;
    if (wt == 0) continue;
    idx[cnt] = i < 0 ? 0 : (i >= n ? n - 1 : i), w[cnt++] = wt, sum += wt;
  }
  if (s->antialias || s->excl)
    for (int t = 0; t < cnt; t++) w[t] /= sum;
  return cnt;
}

static void ref_resize(const rspec *s, const float *x, float *y) {
  int64_t idx[5][64];
  double w[5][64];
  int64_t o[5] = {0}, xs[5], total = 1;
  xs[s->r - 1] = 1;
  for (int a = s->r - 2; a >= 0; a--) xs[a] = xs[a + 1] * s->in[a + 1];
  for (int a = 0; a < s->r; a++) total *= s->out[a];
  for (int64_t e = 0; e < total; e++) {
    int n[5], outside = 0, t[5] = {0};
    for (int a = 0; a < s->r; a++) {
      n[a] = ref_taps(s, a, o[a], idx[a], w[a]);
      outside |= n[a] < 0;
    }
    double acc = 0;
    for (int done = outside; !done;) { /* tensor product of the taps */
      double wt = 1;
      int64_t off = 0;
      for (int a = 0; a < s->r; a++) wt *= w[a][t[a]], off += idx[a][t[a]] * xs[a];
      acc += wt * x[off];
      int a = s->r - 1;
      while (a >= 0 && ++t[a] == n[a]) t[a--] = 0;
      done = a < 0;
    }
    y[e] = outside ? s->extrap : (float)acc;
    for (int a = s->r - 1; a >= 0 && ++o[a] == s->out[a]; a--) o[a] = 0;
  }
}

/* ---- running the op ---- */

/* Sizes (out) or scales (scale) as inputs, at `opset`. */
static dm_status run_resize(dm_context *ctx, int opset, rspec *s, int use_sizes, dm_nn_tensor *x, dm_nn_tensor *y) {
  th_node t;
  th_init(&t, "Resize");
  th_str(&t, "mode", s->mode);
  th_str(&t, "coordinate_transformation_mode", s->coord);
  if (s->nearest) th_str(&t, "nearest_mode", s->nearest);
  if (s->a) th_float(&t, "cubic_coeff_a", s->a);
  if (s->excl) th_int(&t, "exclude_outside", 1);
  if (s->antialias) th_int(&t, "antialias", 1);
  th_float(&t, "extrapolation_value", s->extrap);
  float sc[5], roi[10];
  for (int a = 0; a < s->r; a++) {
    sc[a] = (float)s->scale[a], roi[a] = (float)s->lo[a], roi[s->r + a] = (float)s->hi[a];
    if (use_sizes) s->scale[a] = (double)s->out[a] / (double)s->in[a];
  }
  int64_t n = s->r, n2 = 2 * n;
  dm_nn_tensor troi = th_f32(1, &n2, roi), tsc = th_f32(1, &n, sc), tsz = th_i64(s->r, s->out);
  dm_nn_tensor *in[4] = {x, &troi, use_sizes ? NULL : &tsc, use_sizes ? &tsz : NULL}, *out[1] = {y};
  dm_status st = th_run(ctx, &t, opset, in, 4, out, 1);
  th_free(&troi), th_free(&tsc), th_free(&tsz);
  return st;
}

static float max_err(const dm_nn_tensor *y, const float *want) {
  float e = 0;
  for (int64_t i = 0; i < dm_nn_numel(y); i++) {
    float d = fabsf(((float *)y->data)[i] - want[i]);
    if (!(d <= e)) e = d;
  }
  return e;
}

/* Random input, run with sizes (or scales), compare with the reference. */
static void check(dm_context *ctx, rspec s, int use_sizes, float tol) {
  if (!s.nearest) s.nearest = "round_prefer_floor";
  for (int a = 0; a < s.r; a++) {
    if (!s.hi[a]) s.hi[a] = 1;
    if (!use_sizes) s.scale[a] = (double)(float)s.scale[a];
  }
  if (!use_sizes) /* sizes from the scales, as the op computes them */
    for (int a = 0; a < s.r; a++) s.out[a] = (int64_t)floor((double)s.in[a] * s.scale[a]);
  dm_nn_tensor x = th_tensor(DM_NN_FLOAT, s.r, s.in, NULL), y;
  for (int64_t i = 0; i < dm_nn_numel(&x); i++) ((float *)x.data)[i] = frand();
  CHECK_OK(ctx, run_resize(ctx, 19, &s, use_sizes, &x, &y));
  CHECK(th_dims_are(&y, s.r, s.out));
  float *want = malloc(sizeof(float) * (size_t)dm_nn_numel(&y) + 4);
  ref_resize(&s, x.data, want);
  float e = max_err(&y, want);
  if (!(e <= tol))
    fprintf(stderr, "resize %s %s %s (rank %d, %lldx%lld -> %lldx%lld): max error %g\n", s.mode, s.coord,
            s.nearest, s.r, (long long)s.in[s.r - 2 >= 0 ? s.r - 2 : 0], (long long)s.in[s.r - 1],
            (long long)s.out[s.r - 2 >= 0 ? s.r - 2 : 0], (long long)s.out[s.r - 1], e);
  CHECK(e <= tol);
  free(want);
  th_free(&x), th_free(&y);
}

static void test_against_reference(dm_context *ctx) {
  /* the sep2d path: last two axes */
  check(ctx, (rspec){.mode = "linear", .coord = "half_pixel", .r = 4, .in = {1, 3, 7, 9}, .out = {1, 3, 20, 31}}, 1, 1e-5f);
  check(ctx, (rspec){.mode = "linear", .coord = "align_corners", .r = 4, .in = {1, 2, 16, 16}, .out = {1, 2, 5, 7}}, 1, 1e-5f);
  check(ctx, (rspec){.mode = "linear", .coord = "align_corners", .r = 4, .in = {1, 2, 16, 16},
                     .scale = {1, 1, 0.6, 1.7}}, 0, 1e-5f);
  check(ctx, (rspec){.mode = "linear", .coord = "half_pixel", .r = 4, .in = {1, 8, 32, 32}, .out = {1, 8, 256, 256}}, 1, 1e-5f);
  check(ctx, (rspec){.mode = "linear", .coord = "pytorch_half_pixel", .r = 4, .in = {1, 1, 50, 60}, .out = {1, 1, 173, 251}}, 1, 1e-5f);
  check(ctx, (rspec){.mode = "linear", .coord = "asymmetric", .r = 3, .in = {5, 40, 1}, .out = {5, 90, 3}}, 1, 1e-5f);
  check(ctx, (rspec){.mode = "linear", .coord = "half_pixel", .r = 2, .in = {30, 40}, .out = {30, 17}}, 1, 1e-5f);
  check(ctx, (rspec){.mode = "linear", .coord = "half_pixel", .r = 2, .in = {30, 40}, .out = {77, 40}}, 1, 1e-5f);
  check(ctx, (rspec){.mode = "cubic", .coord = "half_pixel", .r = 4, .in = {1, 2, 9, 8}, .scale = {1, 1, 1.7, 0.6},
                     .a = -0.5f, .excl = 1}, 0, 1e-5f);
  check(ctx, (rspec){.mode = "cubic", .coord = "align_corners", .r = 4, .in = {2, 1, 6, 11}, .out = {2, 1, 13, 4},
                     .a = -0.75f}, 1, 1e-5f);
  check(ctx, (rspec){.mode = "cubic", .coord = "half_pixel_symmetric", .r = 4, .in = {1, 2, 9, 8},
                     .scale = {1, 1, 2.3, 0.7}, .a = -0.75f}, 0, 1e-5f);
  /* antialiased downscaling: wider kernels, many taps (row cache > 8 slots) */
  check(ctx, (rspec){.mode = "linear", .coord = "half_pixel", .r = 4, .in = {1, 3, 40, 37}, .out = {1, 3, 9, 5},
                     .antialias = 1}, 1, 1e-5f);
  check(ctx, (rspec){.mode = "cubic", .coord = "half_pixel", .r = 4, .in = {1, 2, 64, 30}, .out = {1, 2, 7, 11},
                     .antialias = 1, .a = -0.75f}, 1, 1e-5f);
  check(ctx, (rspec){.mode = "cubic", .coord = "align_corners", .r = 4, .in = {1, 2, 33, 30}, .out = {1, 2, 10, 45},
                     .antialias = 1, .a = -0.5f, .excl = 1}, 1, 1e-5f);
  /* the passes path: other axes, and rank 1 / 5 */
  check(ctx, (rspec){.mode = "linear", .coord = "half_pixel", .r = 4, .in = {2, 3, 5, 6}, .out = {2, 5, 4, 9}}, 1, 1e-5f);
  check(ctx, (rspec){.mode = "cubic", .coord = "asymmetric", .r = 5, .in = {1, 1, 4, 5, 6}, .out = {1, 1, 7, 3, 8},
                     .a = -0.75f}, 1, 1e-5f);
  check(ctx, (rspec){.mode = "linear", .coord = "align_corners", .r = 1, .in = {9}, .out = {25}}, 1, 1e-5f);
  check(ctx, (rspec){.mode = "linear", .coord = "half_pixel", .r = 3, .in = {64, 20, 20}, .out = {16, 20, 20},
                     .antialias = 1}, 1, 1e-5f);
  /* tf_crop_and_resize: roi and extrapolation */
  check(ctx, (rspec){.mode = "linear", .coord = "tf_crop_and_resize", .r = 4, .in = {1, 2, 8, 9}, .out = {1, 2, 11, 7},
                     .lo = {0, 0, 0.4, -0.3}, .hi = {1, 1, 1.2, 0.9}, .extrap = 10}, 1, 1e-5f);
  check(ctx, (rspec){.mode = "cubic", .coord = "tf_crop_and_resize", .r = 3, .in = {2, 8, 9}, .out = {4, 11, 7},
                     .lo = {-0.2, 0.4, -0.3}, .hi = {1.1, 1.2, 0.9}, .extrap = -3, .a = -0.75f}, 1, 1e-5f);
  /* nearest, every rounding mode, through the gather */
  const char *nm[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
  const char *cm[] = {"half_pixel", "asymmetric", "align_corners", "tf_half_pixel_for_nn", "pytorch_half_pixel"};
  for (int i = 0; i < 4; i++)
    for (int c = 0; c < 5; c++) {
      check(ctx, (rspec){.mode = "nearest", .coord = cm[c], .nearest = nm[i], .r = 4, .in = {1, 2, 5, 7},
                         .out = {1, 2, 12, 4}}, 1, 0);
      check(ctx, (rspec){.mode = "nearest", .coord = cm[c], .nearest = nm[i], .r = 3, .in = {3, 8, 6},
                         .scale = {1.5, 0.75, 2.5}}, 0, 0);
    }
  check(ctx, (rspec){.mode = "nearest", .coord = "tf_crop_and_resize", .r = 2, .in = {8, 9}, .out = {11, 7},
                     .lo = {0.4, -0.3}, .hi = {1.2, 0.9}, .extrap = 10}, 1, 0);
  check(ctx, (rspec){.mode = "nearest", .coord = "half_pixel", .r = 4, .in = {1, 16, 64, 64}, .out = {1, 16, 128, 192}}, 1, 0);
}

/* ---- hand-computed semantics ---- */

static dm_nn_tensor iota(int r, const int64_t *dims) {
  dm_nn_tensor t = th_tensor(DM_NN_FLOAT, r, dims, NULL);
  for (int64_t i = 0; i < dm_nn_numel(&t); i++) ((float *)t.data)[i] = (float)i;
  return t;
}

static void expect(const dm_nn_tensor *y, int n, const float *want, float tol) {
  CHECK(dm_nn_numel(y) == n);
  for (int i = 0; i < n && i < dm_nn_numel(y); i++) CHECK_NEAR(((float *)y->data)[i], want[i], tol);
}

static void test_semantics(dm_context *ctx) {
  int64_t d8 = 8, d4 = 4;
  dm_nn_tensor x = iota(1, &d8), y;
  /* antialias: a triangle of twice the width, 1/8 3/8 3/8 1/8 */
  rspec s = {.mode = "linear", .coord = "half_pixel", .r = 1, .in = {8}, .out = {4}, .antialias = 1};
  CHECK_OK(ctx, run_resize(ctx, 18, &s, 1, &x, &y));
  expect(&y, 4, (float[]){0.625f, 2.5f, 4.5f, 6.375f}, 1e-6f);
  th_free(&y);
  /* without antialias the same is plain interpolation at 0.5, 2.5, ... */
  s.antialias = 0;
  CHECK_OK(ctx, run_resize(ctx, 18, &s, 1, &x, &y));
  expect(&y, 4, (float[]){0.5f, 2.5f, 4.5f, 6.5f}, 1e-6f);
  th_free(&y);
  /* Resize-10: asymmetric, nearest rounds up when shrinking */
  s = (rspec){.mode = "nearest", .coord = "asymmetric", .r = 1, .in = {8}, .scale = {0.6}};
  th_node t;
  th_init(&t, "Resize");
  th_str(&t, "mode", "nearest");
  dm_nn_tensor sc = th_f32(1, (int64_t[]){1}, (float[]){0.6f});
  dm_nn_tensor *in2[2] = {&x, &sc}, *out[1] = {&y};
  CHECK_OK(ctx, th_run(ctx, &t, 10, in2, 2, out, 1));
  expect(&y, 4, (float[]){0, 2, 4, 5}, 0);
  th_free(&y), th_free(&sc), th_free(&x);

  /* half_pixel_symmetric: the coordinates of an iota */
  x = iota(1, &d4);
  s = (rspec){.mode = "linear", .coord = "half_pixel_symmetric", .r = 1, .in = {4}, .scale = {0.6}};
  CHECK_OK(ctx, run_resize(ctx, 19, &s, 0, &x, &y));
  expect(&y, 2, (float[]){2.0f / 3, 7.0f / 3}, 1e-6f);
  th_free(&y);
  /* pytorch_half_pixel to one element: coordinate 0, even for cubic */
  s = (rspec){.mode = "cubic", .coord = "pytorch_half_pixel", .r = 1, .in = {4}, .out = {1}};
  CHECK_OK(ctx, run_resize(ctx, 13, &s, 1, &x, &y));
  expect(&y, 1, (float[]){0}, 0);
  th_free(&y), th_free(&x);

  /* axes + keep_aspect_ratio_policy: sizes (3, 3) for a 4x6 image */
  x = iota(4, (int64_t[]){1, 1, 4, 6});
  for (int pol = 0; pol < 3; pol++) {
    th_init(&t, "Resize");
    th_str(&t, "mode", "nearest");
    th_ints(&t, "axes", 2, (int64_t[]){2, -1});
    th_str(&t, "keep_aspect_ratio_policy", pol == 0 ? "stretch" : pol == 1 ? "not_larger" : "not_smaller");
    dm_nn_tensor sz = th_i64(2, (int64_t[]){3, 3});
    dm_nn_tensor *in4[4] = {&x, NULL, NULL, &sz};
    CHECK_OK(ctx, th_run(ctx, &t, 18, in4, 4, out, 1));
    const int64_t want[3][4] = {{1, 1, 3, 3}, {1, 1, 2, 3}, {1, 1, 3, 5}};
    CHECK(th_dims_are(&y, 4, want[pol]));
    th_free(&y), th_free(&sz);
  }
  th_free(&x);

  /* Upsample-9 nearest (2, 3) and Upsample-7 linear (asymmetric) */
  x = th_f32(4, (int64_t[]){1, 1, 2, 2}, (float[]){1, 2, 3, 4});
  th_init(&t, "Upsample");
  sc = th_f32(1, (int64_t[]){4}, (float[]){1, 1, 2, 3});
  CHECK_OK(ctx, th_run(ctx, &t, 9, in2, 2, out, 1));
  expect(&y, 24, (float[]){1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4}, 0);
  th_free(&y), th_free(&sc);
  th_init(&t, "Upsample");
  th_str(&t, "mode", "linear");
  th_floats(&t, "scales", 4, (float[]){1, 1, 1, 2});
  dm_nn_tensor *in1[1] = {&x};
  CHECK_OK(ctx, th_run(ctx, &t, 7, in1, 1, out, 1));
  expect(&y, 8, (float[]){1, 1.5f, 2, 2, 3, 3.5f, 4, 4}, 1e-6f);
  th_free(&y), th_free(&x);

  /* identity scales: a plain copy, any element type for nearest */
  int8_t v8[6] = {-3, 1, 4, -1, 5, 9};
  x = th_tensor(DM_NN_INT8, 2, (int64_t[]){2, 3}, v8);
  s = (rspec){.mode = "nearest", .coord = "half_pixel", .r = 2, .in = {2, 3}, .scale = {1, 1}};
  CHECK_OK(ctx, run_resize(ctx, 13, &s, 0, &x, &y));
  CHECK(y.dtype == DM_NN_INT8 && !memcmp(y.data, v8, 6));
  th_free(&y);
  s = (rspec){.mode = "nearest", .coord = "asymmetric", .r = 2, .in = {2, 3}, .scale = {1, 2}};
  CHECK_OK(ctx, run_resize(ctx, 13, &s, 0, &x, &y));
  int8_t w8[12] = {-3, -3, 1, 1, 4, 4, -1, -1, 5, 5, 9, 9};
  CHECK(y.dtype == DM_NN_INT8 && !memcmp(y.data, w8, 12));
  th_free(&y);
  s.mode = "linear";
  CHECK(run_resize(ctx, 13, &s, 0, &x, &y) == DM_ERR_FORMAT);
  CHECK(strstr(dm_context_error(ctx), "unsupported element type") != NULL);
  th_free(&x);

  /* refused: both scales and sizes; scales only known at run time */
  x = iota(2, (int64_t[]){2, 2});
  th_init(&t, "Resize");
  sc = th_f32(1, (int64_t[]){2}, (float[]){2, 2});
  dm_nn_tensor sz = th_i64(2, (int64_t[]){4, 4});
  dm_nn_tensor *both[4] = {&x, NULL, &sc, &sz};
  CHECK(th_run(ctx, &t, 13, both, 4, out, 1) == DM_ERR_FORMAT);
  free(sc.data);
  sc.data = NULL;
  dm_nn_tensor *late[3] = {&x, NULL, &sc};
  CHECK(th_run(ctx, &t, 13, late, 3, out, 1) == DM_ERR_FORMAT);
  CHECK(strstr(dm_context_error(ctx), "must be constant") != NULL);
  th_free(&sz), th_free(&x);
}

int main(void) {
  for (int threads = 1; threads <= 3; threads += 2) {
    dm_context *ctx = dm_context_new(threads);
    CHECK(ctx != NULL);
    test_against_reference(ctx);
    test_semantics(ctx);
    dm_context_free(ctx);
  }
  return dm_test_done("nn/ops_resize");
}
