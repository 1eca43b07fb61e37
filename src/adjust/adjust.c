/* The local adjustment pipeline: the ops in order, the slider table, and
 * the fused runner.
 *
 * dm_adjust_apply works in at most three steps over the image:
 *  1. if highlights, shadows, clarity or texture are on, the edge-aware
 *     base layers are computed once from the input (base_detail.c) and
 *     shared; every LOG op keeps them in step with the luminance it changes,
 *     so later ops see bases of the image as it is at their turn;
 *  2. one fused pass runs every active op up to the first "barrier" op on
 *     each span of pixels while it is in cache;
 *  3. a barrier op (dehaze) first analyses the whole image as it then is,
 *     and a second pass runs it and the ops after it (saturation). */
#include "adjust/adjust_op.h"

#include <assert.h>
#include <pthread.h>
#include <string.h>

#include "core/pool.h"

/* Pipeline order = dm_adjust_id order. */
static const dm_adj_op *const ops[] = {
    &dm_adj_temperature, &dm_adj_tint,    &dm_adj_exposure, &dm_adj_contrast,
    &dm_adj_highlights,  &dm_adj_shadows, &dm_adj_whites,   &dm_adj_blacks,
    &dm_adj_texture,     &dm_adj_clarity, &dm_adj_dehaze,   &dm_adj_saturation,
};
static_assert(sizeof ops / sizeof ops[0] == DM_ADJ_COUNT, "one op per dm_adjust_id");

/* The slider table is the ops' own entries side by side. C cannot build a
 * contiguous constant array from objects defined in other files, so it is
 * filled once, under pthread_once, and never written again: it is constant
 * data, not state. */
static dm_param param_table[DM_ADJ_COUNT];
static pthread_once_t param_once = PTHREAD_ONCE_INIT;

static void fill_params(void) {
  for (int i = 0; i < DM_ADJ_COUNT; i++) param_table[i] = ops[i]->param;
}

const dm_param *dm_adjust_params(void) {
  pthread_once(&param_once, fill_params);
  return param_table;
}

void dm_adjust_defaults(dm_adjust_values *vals) {
  for (int i = 0; i < DM_ADJ_COUNT; i++) vals->v[i] = ops[i]->param.def;
}

int dm_adjust_is_neutral(const dm_adjust_values *vals) {
  for (int i = 0; i < DM_ADJ_COUNT; i++)
    if (vals->v[i] != 0.0f) return 0;
  return 1;
}

/* ---- the fused pass -------------------------------------------------------- */

typedef struct {
  dm_adj_run *run;
  int first, last; /* ops [first, last) */
} pass_job;

/* The span's weights; returns 0 when they are all 0 (nothing to do). */
static int weights(const dm_adj_run *run, int x0, int y, int n, float *w) {
  if (!run->mask) {
    for (int i = 0; i < n; i++) w[i] = run->amount;
    return 1;
  }
  const float *m = dm_px(run->mask, x0, y);
  float any = 0.0f;
  for (int i = 0; i < n; i++) { /* clamped to [0, 1]; NaN counts as 0 */
    w[i] = (m[i] > 0.0f ? (m[i] < 1.0f ? m[i] : 1.0f) : 0.0f) * run->amount;
    any = any > w[i] ? any : w[i];
  }
  return any > 0.0f;
}

/* Into the LOG domain: luminance in stops, and the bases of the scales in
 * use (from the coefficients computed on the input image; the ops before
 * this point in the pass leave luminance unchanged). */
static void enter_log(dm_adj_span *sp, float *lum0) {
  const dm_adj_run *run = sp->run;
  dm_adj_lum_span(sp->rgb, sp->n, sp->lum);
  memcpy(lum0, sp->lum, (size_t)sp->n * sizeof *lum0);
  for (int k = 0; k < DM_ADJ_NSCALES; k++)
    if (sp->base[k])
      dm_adj_bases_span(&run->scale[k], sp->x0, sp->y, sp->n, sp->lum, sp->base[k],
                        k == DM_ADJ_SMALL ? sp->act : NULL);
}

/* Back to RGB: scale each pixel by its luminance change (hue kept). An
 * unchanged pixel is multiplied by exactly 1. */
static void leave_log(dm_adj_span *sp, const float *lum0) {
  float g[DM_ADJ_SPAN];
  for (int i = 0; i < sp->n; i++) g[i] = dm_adj_exp2(sp->lum[i] - lum0[i]);
  for (int i = 0; i < sp->n; i++) {
    float *p = sp->rgb + 3 * i;
    p[0] *= g[i];
    p[1] *= g[i];
    p[2] *= g[i];
  }
}

/* Exposure alone (the commonest local correction: a background darkened):
 * its gain is 2^(EV x w) whatever the luminance, so the span skips the
 * trip through stops (a log and an exp per pixel; the same gain, to a
 * rounding), and a run of equal weights (a mask's inside) takes one exp. */
static int exposure_only(const pass_job *job) {
  const dm_adj_run *run = job->run;
  for (int k = 0; k < DM_ADJ_NSCALES; k++)
    if (run->scale[k].active) return 0;
  for (int i = job->first; i < job->last; i++)
    if (run->vals->v[i] != 0.0f && i != DM_ADJ_EXPOSURE) return 0;
  return job->first <= DM_ADJ_EXPOSURE && DM_ADJ_EXPOSURE < job->last;
}

static void exposure_span(float *rgb, const float *w, int n, float ev) {
  float last_w = -1.0f, g = 1.0f;
  for (int i = 0; i < n; i++) {
    if (w[i] != last_w) last_w = w[i], g = dm_adj_exp2(ev * w[i]);
    float *p = rgb + 3 * i;
    p[0] *= g, p[1] *= g, p[2] *= g;
  }
}

static void pass_main(void *user, int ith, int nth) {
  pass_job *job = user;
  dm_adj_run *run = job->run;
  const dm_image *img = run->img;
  const int fast = exposure_only(job);
  float w[DM_ADJ_SPAN], lum[DM_ADJ_SPAN], lum0[DM_ADJ_SPAN], act[DM_ADJ_SPAN];
  float base[DM_ADJ_NSCALES][DM_ADJ_SPAN];
  dm_adj_span sp = {.run = run, .w = w, .lum = lum};
  for (int k = 0; k < DM_ADJ_NSCALES; k++) sp.base[k] = run->scale[k].active ? base[k] : NULL;
  sp.act = run->scale[DM_ADJ_SMALL].active ? act : NULL;
  int y0, y1;
  dm_split_rows(img->height, ith, nth, &y0, &y1);
  for (int y = y0; y < y1; y++) {
    for (int x0 = 0; x0 < img->width; x0 += DM_ADJ_SPAN) {
      sp.x0 = x0;
      sp.y = y;
      sp.n = img->width - x0 < DM_ADJ_SPAN ? img->width - x0 : DM_ADJ_SPAN;
      sp.rgb = dm_px(img, x0, y);
      if (!weights(run, x0, y, sp.n, w)) continue;
      if (fast) {
        exposure_span(sp.rgb, w, sp.n, run->vals->v[DM_ADJ_EXPOSURE]);
        continue;
      }
      int in_log = 0;
      for (int i = job->first; i < job->last; i++) {
        float v = run->vals->v[i];
        if (v == 0.0f) continue;
        if (ops[i]->domain == DM_ADJ_LOG && !in_log) {
          enter_log(&sp, lum0);
          in_log = 1;
        } else if (ops[i]->domain == DM_ADJ_RGB && in_log) {
          leave_log(&sp, lum0);
          in_log = 0;
        }
        sp.id = (dm_adjust_id)i;
        ops[i]->span(&sp, v);
      }
      if (in_log) leave_log(&sp, lum0);
    }
  }
}

/* ---- apply ----------------------------------------------------------------- */

static dm_status check_args(dm_context *ctx, const dm_image *img, const dm_image *mask, float amount,
                            const dm_adjust_values *vals) {
  if (!img || !img->data || !vals) return dm_fail(ctx, DM_ERR_PARAM, "adjust", "missing image or values");
  if (img->channels != 3)
    return dm_fail(ctx, DM_ERR_PARAM, "adjust", "expected 3 channels, got %d", img->channels);
  if (img->width <= 0 || img->height <= 0 || img->stride < (size_t)img->width * 3)
    return dm_fail(ctx, DM_ERR_PARAM, "adjust", "bad image geometry %dx%d", img->width, img->height);
  if (mask && (mask->channels != 1 || mask->width != img->width || mask->height != img->height ||
               !mask->data || mask->stride < (size_t)mask->width))
    return dm_fail(ctx, DM_ERR_PARAM, "mask", "expected a 1-channel %dx%d mask, got %dx%dx%d",
                   img->width, img->height, mask->width, mask->height, mask->channels);
  if (!(amount >= 0.0f && amount <= 2.0f))
    return dm_fail(ctx, DM_ERR_RANGE, "amount", "%g is outside 0..2", (double)amount);
  for (int i = 0; i < DM_ADJ_COUNT; i++) {
    dm_status s = dm_param_check(ctx, &ops[i]->param, vals, ops[i]->param.key);
    if (s) return s;
  }
  return DM_OK;
}

int dm_adjust_reach(const dm_adjust_values *vals, const dm_frame *frame, int *align) {
  unsigned needs = 0;
  *align = 1;
  for (int i = 0; i < DM_ADJ_COUNT; i++) {
    if (vals->v[i] == 0.0f) continue;
    if (ops[i]->barrier) return -1; /* it analyses the whole image (dehaze) */
    needs |= ops[i]->needs;
  }
  return needs ? dm_adj_bases_reach(frame, needs, align) : 0;
}

dm_status dm_adjust_apply(dm_context *ctx, dm_image *img, const dm_image *mask, float amount,
                          const dm_adjust_values *vals) {
  return dm_adjust_apply_frame(ctx, img, mask, amount, vals, NULL);
}

dm_status dm_adjust_apply_frame(dm_context *ctx, dm_image *img, const dm_image *mask, float amount,
                                const dm_adjust_values *vals, const dm_frame *frame) {
  dm_status s = check_args(ctx, img, mask, amount, vals);
  if (s || amount == 0.0f || dm_adjust_is_neutral(vals)) return s;

  dm_adj_run run;
  memset(&run, 0, sizeof run);
  run.ctx = ctx;
  run.img = img;
  run.frame = dm_frame_of(frame, img->width, img->height);
  run.mask = mask;
  run.amount = amount;
  run.vals = vals;

  unsigned needs = 0;
  for (int i = 0; i < DM_ADJ_COUNT; i++)
    if (vals->v[i] != 0.0f) needs |= ops[i]->needs;
  if (needs) s = dm_adj_bases_compute(&run, needs);

  /* Passes: each ends before the next active barrier op. */
  for (int first = 0; !s && first < DM_ADJ_COUNT;) {
    int last = first + 1;
    while (last < DM_ADJ_COUNT && !(ops[last]->barrier && vals->v[last] != 0.0f)) last++;
    int any = 0;
    for (int i = first; i < last && !s; i++) {
      if (vals->v[i] == 0.0f) continue;
      any = 1;
      if (ops[i]->prepare) s = ops[i]->prepare(&run, (dm_adjust_id)i, vals->v[i]);
    }
    if (!s && dm_cancelled(ctx)) s = dm_fail(ctx, DM_ERR_CANCELLED, NULL, "cancelled");
    if (!s && any) {
      pass_job job = {&run, first, last};
      dm_parallel(ctx, pass_main, &job);
    }
    first = last;
  }

  for (int i = 0; i < DM_ADJ_COUNT; i++)
    if (ops[i]->release && run.state[i]) ops[i]->release(&run, (dm_adjust_id)i);
  dm_adj_bases_free(&run);
  return s;
}
