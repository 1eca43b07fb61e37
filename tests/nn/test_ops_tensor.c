/* Shape, data-movement, cast and constant kernels against hand-computed
 * results and naive loops: Slice (negative steps, INT64 sentinels), Reshape
 * (0, -1, allowzero), Transpose (every path of the copy engine, several
 * element sizes, threaded), Gather (negative and out-of-range indices),
 * Cast (rounding to half, double -> half without double rounding,
 * saturation), Pad in all modes, Concat / Split, Expand, Tile,
 * DepthToSpace, Shape, Squeeze / Unsqueeze, Constant, ConstantOfShape,
 * Range. */
#include <math.h>
#include <stdint.h>

#include "nn/ops_tensor.h"
#include "tensor_harness.h"

/* The first n elements (exactly equal, infinities included). */
static void check_f32(const dm_nn_tensor *t, int n, const float *want) {
  CHECK(t->dtype == DM_NN_FLOAT && dm_nn_numel(t) >= n);
  for (int i = 0; i < n && i < dm_nn_numel(t); i++)
    if (((float *)t->data)[i] != want[i]) CHECK_NEAR(((float *)t->data)[i], want[i], 0);
}
static void check_i64(const dm_nn_tensor *t, int n, const int64_t *want) {
  CHECK(t->dtype == DM_NN_INT64 && dm_nn_numel(t) == n);
  for (int i = 0; i < n && i < dm_nn_numel(t); i++) CHECK(((int64_t *)t->data)[i] == want[i]);
}
static dm_nn_tensor iota_f32(int ndim, const int64_t *dims) {
  dm_nn_tensor t = th_tensor(DM_NN_FLOAT, ndim, dims, NULL);
  for (int64_t i = 0; i < dm_nn_numel(&t); i++) ((float *)t.data)[i] = (float)i;
  return t;
}

/* ---- Slice ---- */

static dm_status slice(dm_context *ctx, dm_nn_tensor *x, int n, const int64_t *st, const int64_t *en,
                       const int64_t *ax, const int64_t *sp, dm_nn_tensor *y) {
  th_node t;
  th_init(&t, "Slice");
  dm_nn_tensor a = th_i64(n, st), b = th_i64(n, en), c = ax ? th_i64(n, ax) : (dm_nn_tensor){0},
               d = sp ? th_i64(n, sp) : (dm_nn_tensor){0};
  dm_nn_tensor *in[5] = {x, &a, &b, ax ? &c : NULL, sp ? &d : NULL}, *out[1] = {y};
  dm_status s = th_run(ctx, &t, 13, in, 5, out, 1);
  th_free(&a), th_free(&b), th_free(&c), th_free(&d);
  return s;
}

static void test_slice(dm_context *ctx) {
  int64_t d10 = 10, d34[2] = {3, 4};
  dm_nn_tensor x = iota_f32(1, &d10), y;
  CHECK_OK(ctx, slice(ctx, &x, 1, (int64_t[]){-1}, (int64_t[]){INT64_MIN}, NULL, (int64_t[]){-1}, &y));
  check_f32(&y, 10, (float[]){9, 8, 7, 6, 5, 4, 3, 2, 1, 0});
  th_free(&y);
  CHECK_OK(ctx, slice(ctx, &x, 1, (int64_t[]){8}, (int64_t[]){1}, (int64_t[]){0}, (int64_t[]){-3}, &y));
  check_f32(&y, 3, (float[]){8, 5, 2});
  th_free(&y);
  CHECK_OK(ctx, slice(ctx, &x, 1, (int64_t[]){2}, (int64_t[]){INT64_MAX}, NULL, (int64_t[]){3}, &y));
  check_f32(&y, 3, (float[]){2, 5, 8});
  th_free(&y);
  CHECK_OK(ctx, slice(ctx, &x, 1, (int64_t[]){100}, (int64_t[]){-100}, NULL, (int64_t[]){INT64_MIN}, &y));
  check_f32(&y, 1, (float[]){9});
  th_free(&y);
  CHECK_OK(ctx, slice(ctx, &x, 1, (int64_t[]){5}, (int64_t[]){2}, NULL, NULL, &y));
  CHECK(y.ndim == 1 && y.dims[0] == 0);
  th_free(&y);
  CHECK(slice(ctx, &x, 1, (int64_t[]){0}, (int64_t[]){5}, NULL, (int64_t[]){0}, &y) == DM_ERR_FORMAT);
  th_free(&x);

  x = iota_f32(2, d34);
  CHECK_OK(ctx, slice(ctx, &x, 2, (int64_t[]){0, 3}, (int64_t[]){INT64_MAX, -INT64_MAX}, (int64_t[]){0, -1},
                      (int64_t[]){2, -2}, &y));
  CHECK(th_dims_are(&y, 2, (int64_t[]){2, 2}));
  check_f32(&y, 4, (float[]){3, 1, 11, 9});
  th_free(&y);
  CHECK(slice(ctx, &x, 2, (int64_t[]){0, 0}, (int64_t[]){1, 1}, (int64_t[]){1, -1}, NULL, &y) == DM_ERR_FORMAT);
  /* opset 9: attributes, no steps */
  th_node t;
  th_init(&t, "Slice");
  th_ints(&t, "starts", 1, (int64_t[]){1});
  th_ints(&t, "ends", 1, (int64_t[]){1000});
  th_ints(&t, "axes", 1, (int64_t[]){1});
  dm_nn_tensor *in[1] = {&x}, *out[1] = {&y};
  CHECK_OK(ctx, th_run(ctx, &t, 9, in, 1, out, 1));
  check_f32(&y, 9, (float[]){1, 2, 3, 5, 6, 7, 9, 10, 11});
  th_free(&y), th_free(&x);

  /* large, reversed rows: the threaded strided path */
  int64_t dl[2] = {256, 1024};
  x = iota_f32(2, dl);
  CHECK_OK(ctx, slice(ctx, &x, 2, (int64_t[]){-1, 1}, (int64_t[]){INT64_MIN, 1000}, (int64_t[]){1, 0},
                      (int64_t[]){-1, 2}, &y));
  CHECK(th_dims_are(&y, 2, (int64_t[]){128, 1024}));
  int bad = 0;
  for (int r = 0; r < 128; r++)
    for (int c = 0; c < 1024; c++) bad += ((float *)y.data)[r * 1024 + c] != (float)((1 + 2 * r) * 1024 + 1023 - c);
  CHECK(bad == 0);
  th_free(&y), th_free(&x);
}

/* ---- Reshape ---- */

static dm_status reshape(dm_context *ctx, int opset, int allowzero, dm_nn_tensor *x, int n, const int64_t *shape,
                         dm_nn_tensor *y) {
  th_node t;
  th_init(&t, "Reshape");
  if (allowzero) th_int(&t, "allowzero", 1);
  dm_nn_tensor s = th_i64(n, shape);
  dm_nn_tensor *in[2] = {x, &s}, *out[1] = {y};
  dm_status st = th_run(ctx, &t, opset, in, 2, out, 1);
  th_free(&s);
  return st;
}

static void test_reshape(dm_context *ctx) {
  int64_t d[3] = {2, 3, 4};
  dm_nn_tensor x = iota_f32(3, d), y;
  CHECK_OK(ctx, reshape(ctx, 13, 0, &x, 2, (int64_t[]){0, -1}, &y));
  CHECK(th_dims_are(&y, 2, (int64_t[]){2, 12}));
  CHECK(((float *)y.data)[23] == 23);
  th_free(&y);
  CHECK_OK(ctx, reshape(ctx, 14, 0, &x, 3, (int64_t[]){-1, 0, 2}, &y));
  CHECK(th_dims_are(&y, 3, (int64_t[]){4, 3, 2}));
  th_free(&y);
  CHECK(reshape(ctx, 14, 0, &x, 2, (int64_t[]){-1, -1}, &y) == DM_ERR_FORMAT);
  CHECK(reshape(ctx, 14, 0, &x, 2, (int64_t[]){5, -1}, &y) == DM_ERR_FORMAT);
  CHECK(reshape(ctx, 14, 0, &x, 2, (int64_t[]){7, 3}, &y) == DM_ERR_FORMAT);
  CHECK(reshape(ctx, 14, 1, &x, 2, (int64_t[]){0, 24}, &y) == DM_ERR_FORMAT);
  /* a shape only known at run time cannot be planned */
  th_node t;
  th_init(&t, "Reshape");
  dm_nn_tensor s = {DM_NN_INT64, 1, {2}, NULL};
  dm_nn_tensor *in[2] = {&x, &s}, *out[1] = {&y};
  CHECK(th_run(ctx, &t, 14, in, 2, out, 1) == DM_ERR_FORMAT);
  CHECK(strstr(dm_context_error(ctx), "must be constant") != NULL);
  th_free(&x);
  int64_t z[2] = {0, 3};
  x = th_tensor(DM_NN_FLOAT, 2, z, NULL);
  CHECK_OK(ctx, reshape(ctx, 14, 1, &x, 2, (int64_t[]){3, 0}, &y));
  CHECK(th_dims_are(&y, 2, (int64_t[]){3, 0}));
  th_free(&y), th_free(&x);
}

/* ---- Transpose: every path of the copy engine ---- */

static uint64_t pattern(int64_t i) { return (uint64_t)i * 0x9E3779B97F4A7C15ull >> 7; }

static void check_transpose(dm_context *ctx, dm_nn_dtype dt, int r, const int64_t *dims, const int64_t *perm) {
  dm_nn_tensor x = th_tensor(dt, r, dims, NULL), y;
  size_t es = dm_nn_dtype_size(dt);
  int64_t n = dm_nn_numel(&x), xs[8], idx[8] = {0};
  for (int64_t i = 0; i < n; i++) {
    uint64_t v = pattern(i);
    memcpy((unsigned char *)x.data + i * (int64_t)es, &v, es);
  }
  th_node t;
  th_init(&t, "Transpose");
  if (perm) th_ints(&t, "perm", r, perm);
  dm_nn_tensor *in[1] = {&x}, *out[1] = {&y};
  CHECK_OK(ctx, th_run(ctx, &t, 13, in, 1, out, 1));
  nn_strides(r, dims, xs);
  int bad = 0;
  for (int64_t o = 0; o < n; o++) { /* idx: output multi-index */
    int64_t off = 0;
    for (int i = 0; i < r; i++) off += idx[i] * xs[perm ? perm[i] : r - 1 - i];
    bad += memcmp((unsigned char *)y.data + o * (int64_t)es, (unsigned char *)x.data + off * (int64_t)es, es) != 0;
    for (int i = r - 1; i >= 0 && ++idx[i] == y.dims[i]; i--) idx[i] = 0;
  }
  if (bad) fprintf(stderr, "transpose rank %d es %zu: %d wrong\n", r, es, bad);
  CHECK(bad == 0);
  th_free(&x), th_free(&y);
}

static void test_transpose(dm_context *ctx) {
  check_transpose(ctx, DM_NN_FLOAT, 2, (int64_t[]){2, 3}, NULL);
  int64_t d4[4] = {2, 3, 4, 5};
  const int64_t perms[][4] = {{0, 2, 3, 1}, {0, 3, 1, 2}, {3, 2, 1, 0}, {1, 0, 2, 3}, {2, 0, 3, 1}, {0, 1, 2, 3}};
  for (int p = 0; p < 6; p++) check_transpose(ctx, DM_NN_FLOAT, 4, d4, perms[p]);
  check_transpose(ctx, DM_NN_FLOAT, 4, (int64_t[]){1, 64, 96, 80}, (int64_t[]){0, 2, 3, 1});
  check_transpose(ctx, DM_NN_FLOAT, 4, (int64_t[]){1, 96, 80, 64}, (int64_t[]){0, 3, 1, 2});
  check_transpose(ctx, DM_NN_FLOAT, 4, (int64_t[]){2, 13, 64, 16}, (int64_t[]){0, 2, 3, 1}); /* 8-wide tiles + tail */
  check_transpose(ctx, DM_NN_INT64, 3, (int64_t[]){9, 300, 128}, (int64_t[]){2, 0, 1});
  check_transpose(ctx, DM_NN_INT8, 3, (int64_t[]){3, 130, 70}, (int64_t[]){2, 1, 0});
  check_transpose(ctx, DM_NN_INT64, 2, (int64_t[]){40, 50}, (int64_t[]){1, 0});
  check_transpose(ctx, DM_NN_DOUBLE, 3, (int64_t[]){7, 1, 5}, (int64_t[]){2, 1, 0});
  check_transpose(ctx, DM_NN_BOOL, 5, (int64_t[]){2, 3, 2, 3, 2}, (int64_t[]){4, 2, 0, 3, 1});
  check_transpose(ctx, DM_NN_FLOAT, 3, (int64_t[]){3, 2, 3}, (int64_t[]){2, 0, 1});
  dm_nn_tensor x = iota_f32(2, (int64_t[]){2, 3}), y;
  th_node t;
  th_init(&t, "Transpose");
  th_ints(&t, "perm", 2, (int64_t[]){0, 0});
  dm_nn_tensor *in[1] = {&x}, *out[1] = {&y};
  CHECK(th_run(ctx, &t, 13, in, 1, out, 1) == DM_ERR_FORMAT);
  th_free(&x);
}

/* ---- Gather, GatherElements ---- */

static dm_status gather(dm_context *ctx, const char *op, int64_t axis, dm_nn_tensor *x, dm_nn_tensor *ind,
                        dm_nn_tensor *y) {
  th_node t;
  th_init(&t, op);
  th_int(&t, "axis", axis);
  dm_nn_tensor *in[2] = {x, ind}, *out[1] = {y};
  return th_run(ctx, &t, 13, in, 2, out, 1);
}

static void test_gather(dm_context *ctx) {
  dm_nn_tensor x = iota_f32(2, (int64_t[]){5, 2}), y;
  dm_nn_tensor ind = th_i64(3, (int64_t[]){-1, 0, -5});
  CHECK_OK(ctx, gather(ctx, "Gather", 0, &x, &ind, &y));
  CHECK(th_dims_are(&y, 2, (int64_t[]){3, 2}));
  check_f32(&y, 6, (float[]){8, 9, 0, 1, 0, 1});
  th_free(&y), th_free(&ind);
  int32_t i2[4] = {1, 0, -1, -2};
  ind = th_tensor(DM_NN_INT32, 2, (int64_t[]){2, 2}, i2);
  CHECK_OK(ctx, gather(ctx, "Gather", -1, &x, &ind, &y));
  CHECK(th_dims_are(&y, 3, (int64_t[]){5, 2, 2}));
  check_f32(&y, 8, (float[]){1, 0, 1, 0, 3, 2, 3, 2});
  th_free(&y), th_free(&ind);
  ind = th_i64(2, (int64_t[]){0, 5});
  CHECK(gather(ctx, "Gather", 0, &x, &ind, &y) == DM_ERR_RANGE);
  th_free(&y), th_free(&ind);
  ind = th_i64(1, (int64_t[]){-6});
  CHECK(gather(ctx, "Gather", 0, &x, &ind, &y) == DM_ERR_RANGE);
  th_free(&y), th_free(&ind);
  /* a scalar index drops the axis */
  ind = th_tensor(DM_NN_INT64, 0, NULL, (int64_t[]){-2});
  CHECK_OK(ctx, gather(ctx, "Gather", 0, &x, &ind, &y));
  CHECK(th_dims_are(&y, 1, (int64_t[]){2}));
  check_f32(&y, 2, (float[]){6, 7});
  th_free(&y), th_free(&ind), th_free(&x);

  x = iota_f32(2, (int64_t[]){3, 3});
  ind = th_tensor(DM_NN_INT64, 2, (int64_t[]){2, 3}, (int64_t[]){1, 2, 0, 2, 0, -1});
  CHECK_OK(ctx, gather(ctx, "GatherElements", 1, &x, &ind, &y));
  check_f32(&y, 6, (float[]){1, 2, 0, 5, 3, 5});
  th_free(&y);
  CHECK_OK(ctx, gather(ctx, "GatherElements", 0, &x, &ind, &y));
  check_f32(&y, 6, (float[]){3, 7, 2, 6, 1, 8});
  th_free(&y), th_free(&ind);
  ind = th_tensor(DM_NN_INT64, 2, (int64_t[]){1, 2}, (int64_t[]){0, 3});
  CHECK(gather(ctx, "GatherElements", 1, &x, &ind, &y) == DM_ERR_RANGE);
  th_free(&y), th_free(&ind), th_free(&x);
}

/* ---- Cast ---- */

static dm_status cast(dm_context *ctx, int64_t to, dm_nn_tensor *x, dm_nn_tensor *y) {
  th_node t;
  th_init(&t, "Cast");
  th_int(&t, "to", to);
  dm_nn_tensor *in[1] = {x}, *out[1] = {y};
  return th_run(ctx, &t, 19, in, 1, out, 1);
}

static void test_cast(dm_context *ctx) {
  const float h = 1.0f / 2048; /* half an ulp of half at 1 */
  float v[7] = {1 + 2 * h, 1 + h, 1 + 3 * h, 65520.0f, 1e-8f, -2.5f, 3.0e-5f};
  dm_nn_tensor x = th_f32(1, (int64_t[]){7}, v), y;
  CHECK_OK(ctx, cast(ctx, DM_NN_FLOAT16, &x, &y));
  /* ties go to even; 65520 overflows; 1e-8 underflows; 3e-5 is subnormal */
  check_f32(&y, 6, (float[]){1 + 2 * h, 1, 1 + 4 * h, INFINITY, 0, -2.5f});
  CHECK_NEAR(((float *)y.data)[6], 3.0e-5, 6e-8);
  th_free(&y), th_free(&x);
  /* a million bit patterns across the whole float range (threaded path)
   * against the reference conversion */
  const int64_t nbig = 1 << 20;
  x = th_tensor(DM_NN_FLOAT, 1, &nbig, NULL);
  for (int64_t i = 0; i < nbig; i++) {
    uint32_t b = (uint32_t)(i * 4099u);
    memcpy((float *)x.data + i, &b, 4);
  }
  CHECK_OK(ctx, cast(ctx, DM_NN_FLOAT16, &x, &y));
  int bad = 0;
  for (int64_t i = 0; i < nbig; i++) {
    float got = ((float *)y.data)[i], want = nn_half_to_float(nn_float_to_half(((float *)x.data)[i]));
    bad += got != want && !(got != got && want != want);
  }
  CHECK(bad == 0);
  th_free(&y), th_free(&x);
  /* double -> half must not round twice: 1 + h + 2^-40 is above the tie */
  double dv[2] = {1 + 1.0 / 2048 + ldexp(1, -40), 1 + 1.0 / 2048};
  x = th_tensor(DM_NN_DOUBLE, 1, (int64_t[]){2}, dv);
  CHECK_OK(ctx, cast(ctx, DM_NN_FLOAT16, &x, &y));
  check_f32(&y, 2, (float[]){1 + 2 * h, 1});
  th_free(&y), th_free(&x);

  float f[6] = {1.9f, -1.9f, 3e9f, -3e9f, NAN, 300.0f};
  x = th_f32(1, (int64_t[]){6}, f);
  CHECK_OK(ctx, cast(ctx, DM_NN_INT32, &x, &y));
  int32_t w32[6] = {1, -1, INT32_MAX, INT32_MIN, 0, 300};
  CHECK(y.dtype == DM_NN_INT32 && !memcmp(y.data, w32, sizeof w32));
  th_free(&y);
  CHECK_OK(ctx, cast(ctx, DM_NN_UINT8, &x, &y));
  uint8_t w8[6] = {1, 0, 255, 0, 0, 255};
  CHECK(y.dtype == DM_NN_UINT8 && !memcmp(y.data, w8, sizeof w8));
  th_free(&y);
  CHECK_OK(ctx, cast(ctx, DM_NN_BOOL, &x, &y));
  uint8_t wb[6] = {1, 1, 1, 1, 1, 1};
  CHECK(y.dtype == DM_NN_BOOL && !memcmp(y.data, wb, sizeof wb));
  th_free(&y);
  CHECK_OK(ctx, cast(ctx, DM_NN_INT64, &x, &y));
  check_i64(&y, 6, (int64_t[]){1, -1, 3000000000LL, -3000000000LL, 0, 300});
  th_free(&y), th_free(&x);

  x = th_i64(2, (int64_t[]){(INT64_C(1) << 33) + 5, -7});
  CHECK_OK(ctx, cast(ctx, DM_NN_INT32, &x, &y));
  CHECK(((int32_t *)y.data)[0] == 5 && ((int32_t *)y.data)[1] == -7);
  th_free(&y);
  CHECK_OK(ctx, cast(ctx, DM_NN_FLOAT, &x, &y));
  check_f32(&y, 2, (float[]){(float)((INT64_C(1) << 33) + 5), -7});
  th_free(&y), th_free(&x);
  uint8_t b[3] = {0, 1, 1};
  x = th_tensor(DM_NN_BOOL, 1, (int64_t[]){3}, b);
  CHECK_OK(ctx, cast(ctx, DM_NN_DOUBLE, &x, &y));
  CHECK(y.dtype == DM_NN_DOUBLE && ((double *)y.data)[0] == 0 && ((double *)y.data)[2] == 1);
  th_free(&y);
  CHECK(cast(ctx, 8, &x, &y) == DM_ERR_FORMAT); /* string */
  CHECK(strstr(dm_context_error(ctx), "unsupported element type") != NULL);
  CHECK(cast(ctx, 16, &x, &y) == DM_ERR_FORMAT); /* bfloat16 */
  th_free(&x);
  /* CastLike takes the type of its second input */
  x = th_f32(1, (int64_t[]){1}, (float[]){2.5f});
  dm_nn_tensor like = th_tensor(DM_NN_INT8, 1, (int64_t[]){1}, NULL);
  th_node t;
  th_init(&t, "CastLike");
  dm_nn_tensor *in[2] = {&x, &like}, *out[1] = {&y};
  CHECK_OK(ctx, th_run(ctx, &t, 15, in, 2, out, 1));
  CHECK(y.dtype == DM_NN_INT8 && ((int8_t *)y.data)[0] == 2);
  th_free(&y), th_free(&x), th_free(&like);
}

/* ---- Pad ---- */

static dm_status pad(dm_context *ctx, const char *mode, dm_nn_tensor *x, int n, const int64_t *pads,
                     const float *value, const int64_t *axes, int naxes, dm_nn_tensor *y) {
  th_node t;
  th_init(&t, "Pad");
  th_str(&t, "mode", mode);
  dm_nn_tensor p = th_i64(n, pads), v = value ? th_f32(0, NULL, value) : (dm_nn_tensor){0},
               a = axes ? th_i64(naxes, axes) : (dm_nn_tensor){0};
  dm_nn_tensor *in[4] = {x, &p, value ? &v : NULL, axes ? &a : NULL}, *out[1] = {y};
  dm_status s = th_run(ctx, &t, 19, in, 4, out, 1);
  th_free(&p), th_free(&v), th_free(&a);
  return s;
}

static void test_pad(dm_context *ctx) {
  dm_nn_tensor x = th_f32(1, (int64_t[]){4}, (float[]){1, 2, 3, 4}), y;
  CHECK_OK(ctx, pad(ctx, "constant", &x, 2, (int64_t[]){2, 3}, (float[]){9}, NULL, 0, &y));
  check_f32(&y, 9, (float[]){9, 9, 1, 2, 3, 4, 9, 9, 9});
  th_free(&y);
  CHECK_OK(ctx, pad(ctx, "reflect", &x, 2, (int64_t[]){2, 3}, NULL, NULL, 0, &y));
  check_f32(&y, 9, (float[]){3, 2, 1, 2, 3, 4, 3, 2, 1});
  th_free(&y);
  CHECK_OK(ctx, pad(ctx, "edge", &x, 2, (int64_t[]){2, 3}, NULL, NULL, 0, &y));
  check_f32(&y, 9, (float[]){1, 1, 1, 2, 3, 4, 4, 4, 4});
  th_free(&y);
  CHECK_OK(ctx, pad(ctx, "wrap", &x, 2, (int64_t[]){2, 3}, NULL, NULL, 0, &y));
  check_f32(&y, 9, (float[]){3, 4, 1, 2, 3, 4, 1, 2, 3});
  th_free(&y);
  CHECK_OK(ctx, pad(ctx, "constant", &x, 2, (int64_t[]){-1, 1}, NULL, NULL, 0, &y));
  check_f32(&y, 4, (float[]){2, 3, 4, 0});
  th_free(&y);
  CHECK(pad(ctx, "constant", &x, 2, (int64_t[]){-3, -2}, NULL, NULL, 0, &y) == DM_ERR_FORMAT);
  CHECK(pad(ctx, "mirror", &x, 2, (int64_t[]){1, 1}, NULL, NULL, 0, &y) == DM_ERR_FORMAT);
  th_free(&x);
  /* 2-D, pads on the last axis only (opset 18 axes) */
  x = iota_f32(2, (int64_t[]){2, 3});
  CHECK_OK(ctx, pad(ctx, "reflect", &x, 2, (int64_t[]){1, 2}, NULL, (int64_t[]){-1}, 1, &y));
  CHECK(th_dims_are(&y, 2, (int64_t[]){2, 6}));
  check_f32(&y, 12, (float[]){1, 0, 1, 2, 1, 0, 4, 3, 4, 5, 4, 3});
  th_free(&y), th_free(&x);
  /* opset 2: attributes */
  x = iota_f32(2, (int64_t[]){2, 2});
  th_node t;
  th_init(&t, "Pad");
  th_ints(&t, "pads", 4, (int64_t[]){1, 0, 0, 1});
  th_float(&t, "value", -1);
  dm_nn_tensor *in[1] = {&x}, *out[1] = {&y};
  CHECK_OK(ctx, th_run(ctx, &t, 2, in, 1, out, 1));
  check_f32(&y, 9, (float[]){-1, -1, -1, 0, 1, -1, 2, 3, -1});
  th_free(&y), th_free(&x);
  /* large edge pad (threaded rows) against a naive loop */
  x = iota_f32(3, (int64_t[]){8, 60, 70});
  CHECK_OK(ctx, pad(ctx, "edge", &x, 6, (int64_t[]){0, 3, 5, 0, 4, 6}, NULL, NULL, 0, &y));
  CHECK(th_dims_are(&y, 3, (int64_t[]){8, 67, 81}));
  int bad = 0;
  for (int c = 0; c < 8; c++)
    for (int i = 0; i < 67; i++)
      for (int j = 0; j < 81; j++) {
        int si = i - 3 < 0 ? 0 : (i - 3 > 59 ? 59 : i - 3), sj = j - 5 < 0 ? 0 : (j - 5 > 69 ? 69 : j - 5);
        bad += ((float *)y.data)[(c * 67 + i) * 81 + j] != (float)((c * 60 + si) * 70 + sj);
      }
  CHECK(bad == 0);
  th_free(&y), th_free(&x);
}

/* ---- Concat, Split ---- */

static void test_concat_split(dm_context *ctx) {
  int32_t a[6] = {0, 1, 2, 3, 4, 5}, b[12] = {10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21};
  dm_nn_tensor x0 = th_tensor(DM_NN_INT32, 3, (int64_t[]){2, 1, 3}, a);
  dm_nn_tensor x1 = th_tensor(DM_NN_INT32, 3, (int64_t[]){2, 2, 3}, b), y;
  th_node t;
  th_init(&t, "Concat");
  th_int(&t, "axis", -2);
  dm_nn_tensor *in[2] = {&x0, &x1}, *out[1] = {&y};
  CHECK_OK(ctx, th_run(ctx, &t, 13, in, 2, out, 1));
  int32_t want[18] = {0, 1, 2, 10, 11, 12, 13, 14, 15, 3, 4, 5, 16, 17, 18, 19, 20, 21};
  CHECK(th_dims_are(&y, 3, (int64_t[]){2, 3, 3}) && !memcmp(y.data, want, sizeof want));
  /* and back: Split at 13 with a split input */
  dm_nn_tensor sp = th_i64(2, (int64_t[]){1, 2}), p0, p1;
  th_init(&t, "Split");
  th_int(&t, "axis", 1);
  dm_nn_tensor *sin[2] = {&y, &sp}, *sout[2] = {&p0, &p1};
  CHECK_OK(ctx, th_run(ctx, &t, 13, sin, 2, sout, 2));
  CHECK(th_dims_are(&p0, 3, x0.dims) && !memcmp(p0.data, a, sizeof a));
  CHECK(th_dims_are(&p1, 3, x1.dims) && !memcmp(p1.data, b, sizeof b));
  th_free(&p0), th_free(&p1), th_free(&sp), th_free(&y), th_free(&x0), th_free(&x1);
  /* opset 18 num_outputs: 7 -> 3, 3, 1; opset 13 refuses unequal parts */
  x0 = iota_f32(1, (int64_t[]){7});
  dm_nn_tensor p2;
  th_init(&t, "Split");
  th_int(&t, "num_outputs", 3);
  dm_nn_tensor *in1[1] = {&x0}, *out3[3] = {&p0, &p1, &p2};
  CHECK_OK(ctx, th_run(ctx, &t, 18, in1, 1, out3, 3));
  CHECK(p0.dims[0] == 3 && p1.dims[0] == 3 && p2.dims[0] == 1 && ((float *)p2.data)[0] == 6);
  th_free(&p0), th_free(&p1), th_free(&p2);
  th_init(&t, "Split");
  CHECK(th_run(ctx, &t, 13, in1, 1, out3, 3) == DM_ERR_FORMAT);
  th_free(&x0);
}

/* ---- Expand, Tile, DepthToSpace, SpaceToDepth ---- */

static void test_expand_tile_d2s(dm_context *ctx) {
  dm_nn_tensor x = th_f32(2, (int64_t[]){3, 1}, (float[]){1, 2, 3}), y;
  dm_nn_tensor s = th_i64(3, (int64_t[]){2, 1, 4});
  th_node t;
  th_init(&t, "Expand");
  dm_nn_tensor *in[2] = {&x, &s}, *out[1] = {&y};
  CHECK_OK(ctx, th_run(ctx, &t, 13, in, 2, out, 1));
  CHECK(th_dims_are(&y, 3, (int64_t[]){2, 3, 4}));
  for (int i = 0; i < 24; i++) CHECK(((float *)y.data)[i] == (float)(i / 4 % 3 + 1));
  th_free(&y), th_free(&s), th_free(&x);

  x = iota_f32(2, (int64_t[]){2, 3});
  s = th_i64(2, (int64_t[]){2, 2});
  th_init(&t, "Tile");
  CHECK_OK(ctx, th_run(ctx, &t, 13, in, 2, out, 1));
  CHECK(th_dims_are(&y, 2, (int64_t[]){4, 6}));
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 6; j++) CHECK(((float *)y.data)[i * 6 + j] == (float)(i % 2 * 3 + j % 3));
  th_free(&y), th_free(&s), th_free(&x);

  /* DepthToSpace against the spec's reshape / transpose description */
  const int64_t n = 2, c = 8, hh = 3, ww = 4, bs = 2, oc = c / (bs * bs);
  for (int crd = 0; crd < 2; crd++) {
    x = iota_f32(4, (int64_t[]){n, c, hh, ww});
    th_init(&t, "DepthToSpace");
    th_int(&t, "blocksize", bs);
    th_str(&t, "mode", crd ? "CRD" : "DCR");
    dm_nn_tensor *in1[1] = {&x};
    CHECK_OK(ctx, th_run(ctx, &t, 13, in1, 1, out, 1));
    CHECK(th_dims_are(&y, 4, (int64_t[]){n, oc, hh * bs, ww * bs}));
    int bad = 0;
    for (int64_t b = 0; b < n; b++)
      for (int64_t k = 0; k < oc; k++)
        for (int64_t i = 0; i < hh * bs; i++)
          for (int64_t j = 0; j < ww * bs; j++) {
            int64_t bi = i % bs, bj = j % bs;
            int64_t ic = crd ? k * bs * bs + bi * bs + bj : (bi * bs + bj) * oc + k;
            float want = (float)(((b * c + ic) * hh + i / bs) * ww + j / bs);
            bad += ((float *)y.data)[((b * oc + k) * hh * bs + i) * ww * bs + j] != want;
          }
    CHECK(bad == 0);
    if (!crd) { /* SpaceToDepth undoes DCR */
      dm_nn_tensor z;
      th_init(&t, "SpaceToDepth");
      th_int(&t, "blocksize", bs);
      dm_nn_tensor *in2[1] = {&y}, *out2[1] = {&z};
      CHECK_OK(ctx, th_run(ctx, &t, 13, in2, 1, out2, 1));
      CHECK(th_dims_are(&z, 4, x.dims) && !memcmp(z.data, x.data, sizeof(float) * (size_t)dm_nn_numel(&x)));
      th_free(&z);
    }
    th_free(&y), th_free(&x);
  }
}

/* ---- Shape, Size, Squeeze, Unsqueeze, Flatten ---- */

static void test_shapes(dm_context *ctx) {
  dm_nn_tensor x = {DM_NN_FLOAT, 4, {2, 3, 4, 5}, NULL}, y; /* no data: shape only */
  th_node t;
  th_init(&t, "Shape");
  th_int(&t, "start", 1);
  th_int(&t, "end", -1);
  dm_nn_tensor *in[1] = {&x}, *out[1] = {&y};
  CHECK_OK(ctx, th_run(ctx, &t, 15, in, 1, out, 1));
  check_i64(&y, 2, (int64_t[]){3, 4});
  th_free(&y);
  th_init(&t, "Shape");
  th_int(&t, "start", -10);
  CHECK_OK(ctx, th_run(ctx, &t, 15, in, 1, out, 1));
  check_i64(&y, 4, (int64_t[]){2, 3, 4, 5});
  th_free(&y);
  th_init(&t, "Size");
  CHECK_OK(ctx, th_run(ctx, &t, 13, in, 1, out, 1));
  CHECK(y.ndim == 0 && ((int64_t *)y.data)[0] == 120);
  th_free(&y);
  CHECK((nn_find_op("", "Shape", 13)->flags & NN_OP_SHAPE_ONLY) && (nn_find_op("", "Size", 13)->flags & NN_OP_SHAPE_ONLY));

  x = iota_f32(4, (int64_t[]){2, 1, 3, 1});
  dm_nn_tensor ax = th_i64(1, (int64_t[]){-1});
  dm_nn_tensor *in2[2] = {&x, &ax};
  th_init(&t, "Squeeze");
  CHECK_OK(ctx, th_run(ctx, &t, 13, in2, 2, out, 1));
  CHECK(th_dims_are(&y, 3, (int64_t[]){2, 1, 3}) && ((float *)y.data)[5] == 5);
  th_free(&y);
  th_init(&t, "Squeeze");
  CHECK_OK(ctx, th_run(ctx, &t, 13, in, 1, out, 1));
  CHECK(th_dims_are(&y, 2, (int64_t[]){2, 3}));
  th_free(&y);
  th_init(&t, "Squeeze");
  th_ints(&t, "axes", 1, (int64_t[]){0});
  CHECK(th_run(ctx, &t, 11, in, 1, out, 1) == DM_ERR_FORMAT);
  th_free(&ax);
  ax = th_i64(2, (int64_t[]){0, -1});
  th_init(&t, "Unsqueeze");
  CHECK_OK(ctx, th_run(ctx, &t, 13, in2, 2, out, 1));
  CHECK(th_dims_are(&y, 6, (int64_t[]){1, 2, 1, 3, 1, 1}));
  th_free(&y);
  th_init(&t, "Unsqueeze");
  th_ints(&t, "axes", 2, (int64_t[]){1, 1});
  CHECK(th_run(ctx, &t, 11, in, 1, out, 1) == DM_ERR_FORMAT);
  th_init(&t, "Flatten");
  th_int(&t, "axis", -1);
  CHECK_OK(ctx, th_run(ctx, &t, 13, in, 1, out, 1));
  CHECK(th_dims_are(&y, 2, (int64_t[]){6, 1}));
  th_free(&y), th_free(&ax), th_free(&x);
}

/* ---- Constant, ConstantOfShape, Range ---- */

static void test_constants(dm_context *ctx) {
  dm_nn_tensor y, *out[1] = {&y};
  th_node t;
  th_init(&t, "Constant");
  th_floats(&t, "value_floats", 3, (float[]){1, 2, 3});
  CHECK_OK(ctx, th_run(ctx, &t, 13, NULL, 0, out, 1));
  check_f32(&y, 3, (float[]){1, 2, 3});
  th_free(&y);
  th_init(&t, "Constant");
  th_int(&t, "value_int", -4);
  CHECK_OK(ctx, th_run(ctx, &t, 13, NULL, 0, out, 1));
  CHECK(y.ndim == 0);
  check_i64(&y, 1, (int64_t[]){-4});
  th_free(&y);
  dm_nn_tensor v = th_i64(2, (int64_t[]){7, 8});
  th_init(&t, "Constant");
  th_tensor_attr(&t, "value", v);
  CHECK_OK(ctx, th_run(ctx, &t, 13, NULL, 0, out, 1));
  check_i64(&y, 2, (int64_t[]){7, 8});
  th_free(&y);
  th_init(&t, "Constant");
  th_tensor_attr(&t, "sparse_value", v);
  CHECK(th_run(ctx, &t, 13, NULL, 0, out, 1) == DM_ERR_FORMAT);

  dm_nn_tensor shape = th_i64(2, (int64_t[]){2, 3}), one = th_i64(1, (int64_t[]){7});
  dm_nn_tensor *in[1] = {&shape};
  th_init(&t, "ConstantOfShape");
  th_tensor_attr(&t, "value", one);
  CHECK_OK(ctx, th_run(ctx, &t, 9, in, 1, out, 1));
  check_i64(&y, 6, (int64_t[]){7, 7, 7, 7, 7, 7});
  th_free(&y), th_free(&shape);
  shape = th_i64(0, NULL);
  th_init(&t, "ConstantOfShape");
  CHECK_OK(ctx, th_run(ctx, &t, 9, in, 1, out, 1));
  CHECK(y.ndim == 0 && y.dtype == DM_NN_FLOAT && ((float *)y.data)[0] == 0);
  th_free(&y), th_free(&shape), th_free(&one), th_free(&v);

  int32_t r3[3] = {10, 4, -3};
  dm_nn_tensor a = th_tensor(DM_NN_INT32, 0, NULL, &r3[0]), b = th_tensor(DM_NN_INT32, 0, NULL, &r3[1]),
               c = th_tensor(DM_NN_INT32, 0, NULL, &r3[2]);
  dm_nn_tensor *rin[3] = {&a, &b, &c};
  th_init(&t, "Range");
  CHECK_OK(ctx, th_run(ctx, &t, 11, rin, 3, out, 1));
  CHECK(y.dtype == DM_NN_INT32 && y.dims[0] == 2 && ((int32_t *)y.data)[0] == 10 && ((int32_t *)y.data)[1] == 7);
  th_free(&y), th_free(&a), th_free(&b), th_free(&c);
  int64_t big[3] = {INT64_MIN, INT64_MAX, INT64_MAX};
  a = th_tensor(DM_NN_INT64, 0, NULL, &big[0]), b = th_tensor(DM_NN_INT64, 0, NULL, &big[1]);
  c = th_tensor(DM_NN_INT64, 0, NULL, &big[2]);
  CHECK_OK(ctx, th_run(ctx, &t, 11, rin, 3, out, 1));
  check_i64(&y, 3, (int64_t[]){INT64_MIN, -1, INT64_MAX - 1});
  th_free(&y), th_free(&a), th_free(&b), th_free(&c);
  float fr[3] = {1, 5.5f, 2};
  a = th_f32(0, NULL, &fr[0]), b = th_f32(0, NULL, &fr[1]), c = th_f32(0, NULL, &fr[2]);
  CHECK_OK(ctx, th_run(ctx, &t, 11, rin, 3, out, 1));
  check_f32(&y, 3, (float[]){1, 3, 5});
  th_free(&y), th_free(&a), th_free(&b), th_free(&c);
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  CHECK(ctx != NULL);
  test_slice(ctx);
  test_reshape(ctx);
  test_transpose(ctx);
  test_gather(ctx);
  test_cast(ctx);
  test_pad(ctx);
  test_concat_split(ctx);
  test_expand_tile_d2s(ctx);
  test_shapes(ctx);
  test_constants(ctx);
  dm_context_free(ctx);
  return dm_test_done("nn/ops_tensor");
}
