/* ConvTranspose (any spatial rank; group, strides, pads, dilations,
 * output_padding, output_shape, auto_pad, bias, fused Relu/Clip).
 *
 * Per batch item and group: cols[Mg*kprod x Pin] = W_g^T . X_g (one
 * single-threaded sgemm per tile), then col2im adds each column into the
 * output. Work is cut by output-channel chunks, so every output plane has a
 * single writer; column tiles bound the scratch. When kernel == stride, no
 * dilation, no pads and the output is exactly in*stride (DA-V2's k4s4 and
 * k2s2), every output element gets exactly one contribution: col2im then
 * stores bias + value directly and tiles can split across threads freely. */
#include <cblas.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "nn/conv_internal.h"

#define CT_SLOT_BYTES (2u << 20)
#define CT_MIN_TILE 256

typedef struct ct_plan {
  nn_conv_shape sh;      /* kdim unused; mg = output channels per group */
  int direct;            /* no-overlap path */
  int slots;
  int64_t mc, mchunks;   /* output channels per chunk, chunks per group */
  int64_t tile, ntiles;  /* input positions per tile */
  size_t slot_floats;
} ct_plan;

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

static dm_status ct_shape(nn_kctx *k, nn_conv_shape *sh) {
  if (k->n_in < 2 || !k->in[0] || !k->in[1]) return nn_fail(k, DM_ERR_FORMAT, "needs inputs X and W");
  if (k->n_out < 1 || !k->out[0]) return nn_fail(k, DM_ERR_FORMAT, "needs output Y");
  const dm_nn_tensor *x = k->in[0], *w = k->in[1], *b = k->n_in > 2 ? k->in[2] : NULL;
  dm_status s;
  if ((s = nn_conv_need_float(k, x, "X")) || (s = nn_conv_need_float(k, w, "W")) ||
      (b && (s = nn_conv_need_float(k, b, "B"))))
    return s;
  if (w->ndim != x->ndim) return nn_fail(k, DM_ERR_FORMAT, "W has rank %d, X rank %d", w->ndim, x->ndim);
  if ((s = nn_win_parse(k, x, w->ndim >= 3 ? w->dims + 2 : NULL, NN_WIN_TRANSPOSE, &sh->w))) return s;
  sh->n = x->dims[0];
  sh->c = x->dims[1];
  sh->group = nn_attr_int(k->node, "group", 1);
  if (sh->group < 1 || sh->c % sh->group)
    return nn_fail(k, DM_ERR_FORMAT, "group %lld does not divide %lld input channels",
                   (long long)sh->group, (long long)sh->c);
  if (w->dims[0] != sh->c)
    return nn_fail(k, DM_ERR_FORMAT, "W has %lld input channels, X %lld", (long long)w->dims[0],
                   (long long)sh->c);
  sh->cg = sh->c / sh->group;
  sh->mg = w->dims[1];
  sh->m = sh->mg * sh->group;
  if (sh->mg < 1) return nn_fail(k, DM_ERR_FORMAT, "W has no output channels");
  if (b && (b->ndim != 1 || b->dims[0] != sh->m))
    return nn_fail(k, DM_ERR_FORMAT, "B must have shape [%lld]", (long long)sh->m);
  sh->kdim = sh->mg * sh->w.kprod;
  if (sh->kdim > INT_MAX || sh->w.in_prod > INT_MAX || sh->cg > INT_MAX)
    return nn_fail(k, DM_ERR_FORMAT, "too large for a single matrix product");
  return DM_OK;
}

static dm_status ct_infer(nn_kctx *k) {
  nn_conv_shape sh;
  dm_status s = ct_shape(k, &sh);
  if (s) return s;
  nn_conv_set_output(k->out[0], k->in[0], &sh);
  return DM_OK;
}

static dm_status ct_prepare(nn_kctx *k) {
  ct_plan *p = calloc(1, sizeof *p);
  if (!p) return nn_fail(k, DM_ERR_NOMEM, "out of memory");
  dm_status s = ct_shape(k, &p->sh);
  if (s) {
    free(p);
    return s;
  }
  const nn_win *w = &p->sh.w;
  p->direct = 1;
  for (int i = 0; i < w->nsp; i++)
    p->direct &= w->k[i] == w->s[i] && (w->d[i] == 1 || w->k[i] == 1) && w->pb[i] == 0 &&
                 w->out[i] == w->in[i] * w->s[i];
  int nt = k->ctx && k->ctx->n_threads > 1 ? k->ctx->n_threads : 1;
  const int64_t kp = w->kprod, pin = w->in_prod, units = p->sh.n * p->sh.group;
  /* Channel chunks: small enough that a tile of at least CT_MIN_TILE columns
   * fits the slot, and (outside the direct path) enough of them to feed
   * every thread, since there a chunk is one thread's job. */
  int64_t mc = max64(1, (int64_t)(CT_SLOT_BYTES / sizeof(float)) / (kp * min64(pin, CT_MIN_TILE)));
  mc = min64(mc, p->sh.mg);
  if (!p->direct && units * ((p->sh.mg + mc - 1) / mc) < NN_CONV_ITEMS_PER_THREAD * nt)
    mc = max64(1, p->sh.mg * units / (NN_CONV_ITEMS_PER_THREAD * nt));
  p->mc = mc;
  p->mchunks = (p->sh.mg + mc - 1) / mc;
  p->tile = min64(pin, max64(16, (int64_t)(CT_SLOT_BYTES / sizeof(float)) / (mc * kp)));
  p->ntiles = (pin + p->tile - 1) / p->tile;
  const int64_t want = NN_CONV_ITEMS_PER_THREAD * nt;
  if (p->direct && units * p->mchunks * p->ntiles < want && pin > 16)
    p->tile = max64(16, (pin + want - 1) / want), p->ntiles = (pin + p->tile - 1) / p->tile;
  p->slots = nt;
  p->slot_floats = (size_t)(mc * kp * p->tile);
  k->node->state = p;
  k->node->scratch = (size_t)nt * p->slot_floats * sizeof(float);
  return DM_OK;
}

static inline float act1(const nn_act *a, float v) {
  if (a->kind == NN_ACT_RELU) return v > 0.0f ? v : 0.0f;
  if (a->kind == NN_ACT_CLIP) return v < a->lo ? a->lo : (v > a->hi ? a->hi : v);
  return v;
}

/* Scatter cols (rows: channels [m0, m1) x kernel positions; columns: input
 * positions [q0, q1)) into the output planes yg. `act` non-NULL (the
 * no-overlap path) stores act(value + bias); otherwise adds. */
static void col2im(const nn_conv_shape *sh, const float *cols, int64_t q0, int64_t q1, int64_t m0,
                   int64_t m1, float *yg, const float *bias, const nn_act *act) {
  const nn_win *w = &sh->w;
  const int last = w->nsp - 1;
  const int64_t T = q1 - q0, iw = w->in[last], ow = w->out[last];
  const int64_t s = w->s[last];
  int64_t ostr[NN_SP_MAX];
  ostr[last] = 1;
  for (int i = last - 1; i >= 0; i--) ostr[i] = ostr[i + 1] * w->out[i + 1];
  for (int64_t q = q0; q < q1;) {
    int64_t r = q / iw, x0 = q % iw, n = min64(iw - x0, q1 - q);
    int64_t ic[NN_SP_MAX];
    for (int i = last - 1; i >= 0; i--) {
      ic[i] = r % w->in[i];
      r /= w->in[i];
    }
    for (int64_t m = m0; m < m1; m++) {
      float *ym = yg + m * w->out_prod;
      const float b = act && bias ? bias[m] : 0.0f;
      const float *src = cols + (m - m0) * w->kprod * T + (q - q0);
      int64_t kd[NN_SP_MAX] = {0};
      for (int64_t kp = 0; kp < w->kprod; kp++, src += T) {
        int64_t off = 0;
        int inside = 1;
        for (int i = 0; i < last; i++) {
          int64_t o = ic[i] * w->s[i] + kd[i] * w->d[i] - w->pb[i];
          inside &= o >= 0 && o < w->out[i];
          off += o * ostr[i];
        }
        int64_t a = x0 * s + kd[last] * w->d[last] - w->pb[last]; /* output column of j = 0 */
        for (int i = last; i >= 0; i--) {
          if (++kd[i] < w->k[i]) break;
          kd[i] = 0;
        }
        if (!inside) continue;
        int64_t lo = a >= 0 ? 0 : (-a + s - 1) / s, hi = a > ow - 1 ? 0 : (ow - 1 - a) / s + 1;
        hi = min64(hi, n);
        float *dst = ym + off + a;
        if (act)
          for (int64_t j = lo; j < hi; j++) dst[j * s] = act1(act, src[j] + b);
        else
          for (int64_t j = lo; j < hi; j++) dst[j * s] += src[j];
      }
    }
    q += n;
  }
}

typedef struct ct_job {
  const ct_plan *p;
  const float *x, *wt, *bias;
  float *y, *scratch;
  const nn_act *act;
  atomic_llong next;
} ct_job;

static void ct_worker(void *user, int ith, int nth) {
  ct_job *j = user;
  const ct_plan *p = j->p;
  const nn_conv_shape *sh = &p->sh;
  const nn_win *w = &sh->w;
  if (nth > p->slots) nth = p->slots;
  if (ith >= nth) return;
  float *cols = j->scratch + (size_t)ith * p->slot_floats;
  const int64_t per_unit = p->direct ? p->mchunks * p->ntiles : p->mchunks;
  const int64_t items = sh->n * sh->group * per_unit, kp = w->kprod, pin = w->in_prod;
  for (int64_t it; (it = nn_conv_next(&j->next)) < items;) {
    int64_t ng = it / per_unit, rest = it % per_unit, g = ng % sh->group, n = ng / sh->group;
    int64_t chunk = p->direct ? rest / p->ntiles : rest;
    int64_t t0 = p->direct ? rest % p->ntiles : 0, t1 = p->direct ? t0 + 1 : p->ntiles;
    int64_t m0 = chunk * p->mc, m1 = min64(sh->mg, m0 + p->mc);
    const float *xg = j->x + (n * sh->c + g * sh->cg) * pin;
    const float *wg = j->wt + g * sh->cg * sh->mg * kp;
    const float *bg = j->bias ? j->bias + g * sh->mg : NULL;
    float *yg = j->y + (n * sh->m + g * sh->mg) * w->out_prod;
    if (!p->direct)
      for (int64_t m = m0; m < m1; m++)
        nn_conv_fill(yg + m * w->out_prod, (size_t)w->out_prod, bg ? bg[m] : 0.0f);
    for (int64_t t = t0; t < t1; t++) {
      int64_t q0 = t * p->tile, q1 = min64(pin, q0 + p->tile);
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)((m1 - m0) * kp), (int)(q1 - q0),
                  (int)sh->cg, 1.0f, wg + m0 * kp, (int)(sh->mg * kp), xg + q0, (int)pin, 0.0f, cols,
                  (int)(q1 - q0));
      col2im(sh, cols, q0, q1, m0, m1, yg, bg, p->direct ? j->act : NULL);
    }
    if (!p->direct) nn_conv_act(j->act, yg + m0 * w->out_prod, (size_t)((m1 - m0) * w->out_prod));
  }
}

static dm_status ct_run(nn_kctx *k) {
  const ct_plan *p = k->node->state;
  if (!p) return nn_fail(k, DM_ERR_INTERNAL, "run before prepare");
  ct_job j = {p, k->in[0]->data, k->in[1]->data, k->n_in > 2 && k->in[2] ? k->in[2]->data : NULL,
              k->out[0]->data, k->scratch, &k->node->act, 0};
  nn_blas_single_thread();
  dm_parallel(k->ctx, ct_worker, &j);
  return DM_OK;
}

static void ct_release(void *state) { free(state); }

const nn_op nn_op_conv_transpose = {"ConvTranspose", 1, 22, NN_OP_ACT, ct_infer, ct_prepare, ct_run,
                                    ct_release, NULL};
