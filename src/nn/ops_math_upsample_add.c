/* Upsample(nearest, integer factors) -> Add(same-shape tensor), fused by the
 * planner (fuse.c) into one pass: y[n,c,i,j] = x[n,c,i/a,j/b] + s[n,c,i,j]
 * with x [N, C, H, W] and s, y [N, C, H*a, W*b]. FastDepth's decoder does
 * this at every skip connection; unfused, the upsampled tensor is written
 * out whole and read back by the Add. Each output is the same single float
 * addition the unfused graph makes, so results are identical. */
#include "nn/math_internal.h"
#if defined(__SSE2__)
#include <immintrin.h>
#endif

typedef struct ua_job {
  const float *x, *s;
  float *y;
  int64_t h, w, a, b; /* input rows and columns, factors */
} ua_job;

static void ua_rows(void *user, int64_t r0, int64_t r1) {
  const ua_job *j = user;
  const int64_t ow = j->w * j->b, oh = j->h * j->a;
  for (int64_t r = r0; r < r1; r++) { /* r: output row over all planes */
    const int64_t plane = r / oh, i = r % oh;
    const float *xr = j->x + (plane * j->h + i / j->a) * j->w, *sr = j->s + r * ow;
    float *yr = j->y + r * ow;
    int64_t o = 0;
#if defined(__SSE2__)
    if (j->b == 2) {
      for (int64_t c = 0; c + 4 <= j->w; c += 4, o += 8) {
        const __m128 v = _mm_loadu_ps(xr + c);
        _mm_storeu_ps(yr + o, _mm_add_ps(_mm_unpacklo_ps(v, v), _mm_loadu_ps(sr + o)));
        _mm_storeu_ps(yr + o + 4, _mm_add_ps(_mm_unpackhi_ps(v, v), _mm_loadu_ps(sr + o + 4)));
      }
    }
#endif
    for (int64_t c = o / j->b; o < ow; c++)
      for (int64_t t = 0; t < j->b; t++, o++) yr[o] = xr[c] + sr[o];
  }
}

/* (x, s): s has x's N and C and integer multiples of its H and W. */
static dm_status ua_shape(nn_kctx *k, int64_t *a, int64_t *b) {
  const dm_nn_tensor *x = k->in[0], *s = k->in[1];
  if (x->ndim != 4 || s->ndim != 4 || x->dims[0] != s->dims[0] || x->dims[1] != s->dims[1] || x->dims[2] <= 0 ||
      x->dims[3] <= 0 || s->dims[2] % x->dims[2] || s->dims[3] % x->dims[3])
    return nn_fail(k, DM_ERR_FORMAT, "shapes do not match an integer nearest upsample");
  *a = s->dims[2] / x->dims[2], *b = s->dims[3] / x->dims[3];
  return DM_OK;
}

static dm_status ua_infer(nn_kctx *k) {
  dm_status st = nn_math_need_float(k, 0);
  if (st == DM_OK) st = nn_math_need_float(k, 1);
  int64_t a, b;
  if (st == DM_OK) st = ua_shape(k, &a, &b);
  if (st != DM_OK) return st;
  *k->out[0] = *k->in[1];
  k->out[0]->data = NULL;
  return DM_OK;
}

static dm_status ua_run(nn_kctx *k) {
  ua_job j = {k->in[0]->data, k->in[1]->data, k->out[0]->data, k->in[0]->dims[2], k->in[0]->dims[3], 1, 1};
  dm_status st = ua_shape(k, &j.a, &j.b);
  if (st != DM_OK) return st;
  const int64_t rows = k->in[1]->dims[0] * k->in[1]->dims[1] * k->in[1]->dims[2];
  const int64_t ow = j.w * j.b;
  nn_math_parallel(k->ctx, rows, ow > 0 ? (NN_PAR_CHEAP + ow - 1) / ow : 1, ua_rows, &j);
  return DM_OK;
}

/* Not in the op table: only the planner makes these nodes. */
const nn_op nn_op_upsample_add = {"Upsample+Add(fused)", 1, NN_MATH_OPSET_MAX, 0, ua_infer, NULL, ua_run, NULL, NULL};
