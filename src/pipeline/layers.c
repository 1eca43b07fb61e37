/* Corrections on the two layers of the matte's soft edge.
 *
 * A soft matte pixel holds a·F + (1 − a)·B (matte/matte_layers.c). A
 * correction whose mask reads the matte (Subject, Background, a Depth
 * Range whose edge follows the matte) acts on each layer with the mask it
 * has there: the F layer is subject (matte 1), the B layer background
 * (matte 0). The pixel is then a·F' + (1 − a)·B': a Background −1 EV
 * darkens the whole of the background's share of an edge pixel and none of
 * the subject's, so no band along the outline keeps the old brightness.
 *
 * A correction whose mask does not read the matte acts on the picture as
 * it is (the composite); the layers follow it by the same per-channel gain,
 * so a·F + (1 − a)·B stays the picture for the corrections after it and for
 * the lens blur, which blurs B (blur/matte.c). */
#include <stdatomic.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "core/bigmem.h"
#include "core/pool.h"
#include "pipeline/render.h"

/* Gains are taken only where the old value is above this (linear); below
 * it the change is added instead. */
#define GAIN_FLOOR 1e-4f

int dm_correction_on_layers(const dm_correction *c, const dm_scene *scene) {
  return scene && scene->layers.n && (dm_mask_needs(c->masks, c->n_masks) & DM_MASK_NEEDS_MATTE);
}

/* The loops here run over a whole photo's rows on the pool's threads,
 * each thread on its own rows: run serially they were a fifth of a 24 MP
 * correction's time on two cores. */
typedef enum { PUT_LAYER, RESTORE_MATTE, SAVE_ALPHA, SAVE_COLOURS, FOLLOW, USES, COMPOSE } layer_op;

typedef struct layer_job {
  layer_op op;
  dm_scene *scene;
  dm_image *img;           /* the image worked on */
  const dm_image *fg;      /* COMPOSE: the F pass's result; USES: the F layer's mask */
  const dm_image *mb;      /* USES: the B layer's mask */
  float *buf;              /* the soft pixels' alpha or saved colours */
  int which, matte;        /* PUT_LAYER */
  int both, f_only, b_only; /* COMPOSE */
  atomic_int use[4];       /* USES: f_kept, f_clear, b_kept, b_opaque */
} layer_job;

/* Layer `which`'s colours into row y's soft pixels of img; with matte, the
 * matte there set to 1 (F) or 0 (B). */
static void put_row(const layer_job *j, int y) {
  const dm_matte_layers *L = &j->scene->layers;
  for (size_t k = L->row_start[y]; k < L->row_start[y + 1]; k++) {
    int x = L->x[k];
    memcpy(dm_px(j->img, x, y), (j->which ? L->bg : L->fg) + 3 * k, 3 * sizeof(float));
    if (j->matte) dm_px(&j->scene->matte, x, y)[0] = j->which ? 0.0f : 1.0f;
  }
}

/* Which of the four layer_use flags n pixels raise (a matte row a, the F
 * and B masks' rows f and b), or-ed into u: four pixels at a time with SSE
 * (GCC does not vectorise the scalar loop), the same tests as
 * dm_matte_code (maxps and minps give 0 for NaN and clamp as its selects
 * do), then the rest one by one. */
static void uses_scan(const float *a, const float *f, const float *b, int n, int u[4]) {
  int f_kept = 0, f_clear = 0, b_kept = 0, b_opaque = 0, x = 0;
#ifdef __SSE2__
  const __m128 zero = _mm_setzero_ps(), one = _mm_set1_ps(1.0f);
  __m128i fk = _mm_setzero_si128(), fc = fk, bk = fk, bo = fk;
  for (; x + 4 <= n; x += 4) {
    const __m128 v = _mm_min_ps(_mm_max_ps(_mm_loadu_ps(a + x), zero), one);
    const __m128i q = _mm_cvttps_epi32(_mm_add_ps(_mm_mul_ps(v, _mm_set1_ps(255.0f)), _mm_set1_ps(0.5f)));
    const __m128i opaque = _mm_cmpeq_epi32(q, _mm_set1_epi32(255)), subject = _mm_cmpgt_epi32(q, _mm_set1_epi32(1));
    const __m128i fp = _mm_castps_si128(_mm_cmpgt_ps(_mm_loadu_ps(f + x), zero));
    const __m128i bp = _mm_castps_si128(_mm_cmpgt_ps(_mm_loadu_ps(b + x), zero));
    fk = _mm_or_si128(fk, _mm_and_si128(fp, subject)), fc = _mm_or_si128(fc, _mm_andnot_si128(subject, fp));
    bk = _mm_or_si128(bk, _mm_andnot_si128(opaque, bp)), bo = _mm_or_si128(bo, _mm_and_si128(bp, opaque));
  }
  f_kept = _mm_movemask_epi8(fk) != 0, f_clear = _mm_movemask_epi8(fc) != 0;
  b_kept = _mm_movemask_epi8(bk) != 0, b_opaque = _mm_movemask_epi8(bo) != 0;
#endif
  for (; x < n; x++) {
    const int q = dm_matte_code(a[x]);
    const int opaque = q == 255, subject = q > 1; /* soft or opaque */
    const int fp = f[x] > 0.0f, bp = b[x] > 0.0f;
    f_kept |= fp & subject, f_clear |= fp & !subject;
    b_kept |= bp & !opaque, b_opaque |= bp & opaque;
  }
  u[0] |= f_kept, u[1] |= f_clear, u[2] |= b_kept, u[3] |= b_opaque;
}

/* Opaque pixels from the F pass, clear ones from the B pass (dm_matte_soft's
 * ends), soft ones put back together (and their layers kept for what
 * follows). */
static void compose_row(const layer_job *j, int y) {
  dm_matte_layers *L = &j->scene->layers;
  const float *a = dm_row(&j->scene->matte, y), *f = dm_row(j->fg, y);
  float *o = dm_row(j->img, y);
  if (j->both)
    for (int x = 0; x < j->img->width; x++)
      if (dm_matte_opaque(a[x])) memcpy(o + 3 * x, f + 3 * x, 3 * sizeof(float));
  for (size_t k = L->row_start[y]; k < L->row_start[y + 1]; k++) {
    int x = L->x[k];
    for (int ch = 0; ch < 3; ch++) {
      float *lf = &L->fg[3 * k + ch], *lb = &L->bg[3 * k + ch];
      if (j->both || j->f_only) *lf = f[3 * x + ch];
      if (j->both || j->b_only) *lb = o[3 * x + ch];
      o[3 * x + ch] = a[x] * *lf + (1.0f - a[x]) * *lb;
    }
  }
}

/* After a correction on the composite: both layers of row y scaled by
 * each pixel's change (buf: the colours before), so the composite stays
 * a·F + (1 − a)·B. */
static void follow_row(const layer_job *j, int y) {
  dm_matte_layers *L = &j->scene->layers;
  const float *old = j->buf;
  for (size_t k = L->row_start[y]; k < L->row_start[y + 1]; k++) {
    const float *now = dm_px(j->img, L->x[k], y);
    for (int ch = 0; ch < 3; ch++) {
      float was = old[3 * k + ch], *f = &L->fg[3 * k + ch], *b = &L->bg[3 * k + ch];
      if (was > GAIN_FLOOR) {
        float g = now[ch] / was;
        *f *= g, *b *= g;
      } else {
        *f += now[ch] - was, *b += now[ch] - was;
      }
    }
  }
}

static void layer_rows(void *user, int ith, int nth) {
  layer_job *j = user;
  const dm_matte_layers *L = &j->scene->layers;
  int y0, y1, u[4] = {0, 0, 0, 0};
  dm_split_rows(L->height, ith, nth, &y0, &y1);
  for (int y = y0; y < y1; y++) {
    const size_t k0 = L->row_start[y], k1 = L->row_start[y + 1];
    switch (j->op) {
    case PUT_LAYER: put_row(j, y); break;
    case RESTORE_MATTE:
      for (size_t k = k0; k < k1; k++) dm_px(&j->scene->matte, L->x[k], y)[0] = j->buf[k];
      break;
    case SAVE_ALPHA:
      for (size_t k = k0; k < k1; k++) j->buf[k] = dm_px(&j->scene->matte, L->x[k], y)[0];
      break;
    case SAVE_COLOURS:
      for (size_t k = k0; k < k1; k++) memcpy(j->buf + 3 * k, dm_px(j->img, L->x[k], y), 3 * sizeof(float));
      break;
    case FOLLOW: follow_row(j, y); break;
    case USES:
      uses_scan(dm_row(&j->scene->matte, y), dm_row(j->fg, y), dm_row(j->mb, y), j->scene->matte.width,
                u);
      break;
    case COMPOSE: compose_row(j, y); break;
    }
  }
  for (int i = 0; j->op == USES && i < 4; i++)
    if (u[i]) atomic_store(&j->use[i], 1);
}

static void run_layers(dm_context *ctx, layer_job *j) { dm_parallel(ctx, layer_rows, j); }

/* `img` with its soft pixels replaced by layer `which` (0 F, 1 B); with
 * `matte`, the scene's matte with them set to 1 or 0 (put back by
 * restore_matte), as that layer's mask sees it. */
static void put_layer(dm_context *ctx, dm_scene *scene, int which, dm_image *img, int matte) {
  layer_job j = {.op = PUT_LAYER, .scene = scene, .img = img, .which = which, .matte = matte};
  run_layers(ctx, &j);
}

static void restore_matte(dm_context *ctx, dm_scene *scene, float *alpha) {
  layer_job j = {.op = RESTORE_MATTE, .scene = scene, .buf = alpha};
  run_layers(ctx, &j);
}

/* Render the correction's mask for one layer (`which`: 0 F, 1 B) on `img`
 * with that layer put in; the matte is changed in place for the mask and
 * put back: no copy of it. What of the mask does not depend on the layer
 * was made once (shared). */
static dm_status layer_mask(dm_context *ctx, const dm_correction *c, const dm_mask_inputs *in0,
                            const dm_mask_shared *shared, dm_scene *scene, float *alpha,
                            int which, dm_image *img, dm_image *mask) {
  put_layer(ctx, scene, which, img, 1);
  dm_mask_inputs in = *in0;
  in.image = img, in.matte = &scene->matte, in.shared = shared;
  dm_status s = dm_mask_render(ctx, c->masks, c->n_masks, &in, mask);
  restore_matte(ctx, scene, alpha);
  return s;
}

/* The masks: of the F layer, then of the B layer, each on the photo with
 * that layer put in (work is left with B in it), what they share made
 * once from the photo as it is. */
static dm_status layer_masks(dm_context *ctx, const dm_correction *c, const dm_mask_inputs *in,
                             dm_scene *scene, dm_image *work, dm_image *mask_f, dm_image *mask_b) {
  const dm_matte_layers *L = &scene->layers;
  float *alpha = dm_big_alloc(L->n * sizeof *alpha);
  if (!alpha) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for the matte's layers");
  layer_job aj = {.op = SAVE_ALPHA, .scene = scene, .buf = alpha};
  run_layers(ctx, &aj);
  dm_mask_shared *shared = NULL;
  dm_mask_inputs photo = *in; /* the picture as it is, with its own matte */
  photo.image = work, photo.matte = &scene->matte;
  dm_status s = dm_mask_share(ctx, c->masks, c->n_masks, &photo, &shared);
  if (!s) s = layer_mask(ctx, c, in, shared, scene, alpha, 0, work, mask_f);
  if (!s) s = layer_mask(ctx, c, in, shared, scene, alpha, 1, work, mask_b);
  dm_mask_shared_free(shared);
  dm_big_free(alpha);
  return s;
}

/* Which pass changes what is kept of it: the F pass's result is kept at
 * opaque and soft pixels, the B pass's at clear and soft ones, and a pass
 * changes only pixels where its mask is above 0 (a weight of 0 leaves a
 * pixel as it is: adjust.c). A Background correction's F pass, or a
 * Subject-limited one's B pass, then need not run, nor the copy. */
typedef struct {
  int f_kept, f_clear, b_kept, b_opaque;
} layer_use;

static layer_use uses_of(dm_context *ctx, dm_scene *scene, const dm_image *mf, const dm_image *mb) {
  layer_job j = {.op = USES, .scene = scene, .fg = mf, .mb = mb};
  for (int i = 0; i < 4; i++) atomic_init(&j.use[i], 0);
  run_layers(ctx, &j);
  return (layer_use){atomic_load(&j.use[0]), atomic_load(&j.use[1]), atomic_load(&j.use[2]),
                     atomic_load(&j.use[3])};
}

static dm_status adjust(dm_context *ctx, const dm_correction *c, const dm_mask_inputs *in,
                        dm_image *img, const dm_image *mask) {
  return dm_adjust_apply_frame(ctx, img, mask, c->amount / 100.0f, &c->sliders, &in->frame);
}

dm_status dm_apply_on_layers(dm_context *ctx, dm_image *work, const dm_correction *c,
                             const dm_mask_inputs *in, dm_scene *scene, dm_image *mask_f,
                             dm_image *mask_b, int masks_ready) {
  dm_status s = masks_ready ? DM_OK : layer_masks(ctx, c, in, scene, work, mask_f, mask_b);
  if (s) return s;
  /* The passes that change what is kept: the F pass on a copy and the B
   * pass in place when both do; the one that does in place otherwise. */
  const layer_use u = uses_of(ctx, scene, mask_f, mask_b);
  const int f_only = u.f_kept && !u.b_kept && !u.f_clear;
  const int b_only = u.b_kept && !u.f_kept && !u.b_opaque;
  const int both = (u.f_kept || u.b_kept) && !f_only && !b_only;
  dm_image copy = {0}, *fg = work; /* the F pass's result */
  if (both) {
    s = dm_image_copy(ctx, &copy, work);
    fg = &copy;
  }
  if (!s && (both || f_only)) put_layer(ctx, scene, 0, fg, 0), s = adjust(ctx, c, in, fg, mask_f);
  if (!s && (both || b_only)) put_layer(ctx, scene, 1, work, 0), s = adjust(ctx, c, in, work, mask_b);
  layer_job cj = {.op = COMPOSE, .scene = scene, .img = work, .fg = fg, .both = both, .f_only = f_only,
                  .b_only = b_only};
  if (!s) run_layers(ctx, &cj);
  dm_image_free(&copy);
  return s;
}

/* Before a correction on the composite: the soft pixels' colours; NULL
 * without layers, or out of memory (*nomem set). */
static float *layers_save(dm_context *ctx, dm_scene *scene, dm_image *work, int *nomem) {
  const dm_matte_layers *L = scene ? &scene->layers : NULL;
  *nomem = 0;
  if (!L || !L->n) return NULL;
  float *old = dm_big_alloc(L->n * 3 * sizeof *old);
  *nomem = !old;
  layer_job j = {.op = SAVE_COLOURS, .scene = scene, .img = work, .buf = old};
  if (old) run_layers(ctx, &j);
  return old;
}

dm_status dm_apply_on_composite(dm_context *ctx, dm_image *work, const dm_correction *c,
                                const dm_mask_inputs *in, dm_scene *scene, dm_image *mask,
                                int mask_ready) {
  dm_status s = mask_ready ? DM_OK : dm_mask_render(ctx, c->masks, c->n_masks, in, mask);
  int nomem = 0;
  float *old = s ? NULL : layers_save(ctx, scene, work, &nomem);
  if (nomem) s = dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for the matte's layers");
  if (!s) s = adjust(ctx, c, in, work, mask);
  layer_job fj = {.op = FOLLOW, .scene = scene, .img = work, .buf = old};
  if (!s && old) run_layers(ctx, &fj);
  dm_big_free(old);
  return s;
}
