/* What a plan reuses from the image before: the slices the new image does
 * not change.
 *
 * An editor's slider usually changes part of the picture: a Depth Range
 * handle or Smoothness on a correction that intersects the Subject moves
 * only the subject's pixels, and the far slices behind it are what they
 * were. A slice's work (own content, fill, push-pull, scatter) reads only
 * what lands in it, so a plan compares the image with the one before and
 * does again only the slices that some changed input reaches:
 *   - a plain pixel (not a soft matte pixel): its colour and its boost
 *     weight feed the slice it lies in (own content; other slices read it
 *     only through that slice's fill);
 *   - a soft matte pixel with its scene layers: the subject colour F feeds
 *     its own slice, the background colour B the slice behind it (bid), the
 *     boost weight both (matte.c, bl_mixed_at); the composite colour feeds
 *     its own slice where nothing is known behind it;
 *   - a soft pixel without layers reads the composite, the subject's fill
 *     and the fill of the slice behind: then any change does everything
 *     again.
 * The far level-0 slice (the background nearest the focus, the largest
 * and costliest at full resolution) keeps its finished scatter (h rows of
 * the band buffers, composite.c) for the next image; coarse slices already
 * keep theirs. The focus slice's pixels scatter as points, and what lies
 * in front of the focus is small in a portrait: those are done again. The
 * result is the same, bit for bit, as blurring the image afresh
 * (tests/blur/test_blur_plan.c). A render cancelled or failed leaves the
 * memory invalid, so the next one does every slice. */
#include <stdlib.h>
#include <string.h>

#include "blur/blur_internal.h"
#include "core/pool.h"
#include "matte/matte.h"

struct bl_reuse {
  int valid;                    /* prev and the slices' results are the last image's */
  float *prev;                  /* w*h*3: the last image */
  uint64_t prev_id[2];          /* its name (dm_lens_blur_plan_image), 0 0 when unnamed */
  uint8_t *prev_boost;          /* w*h: its boost weights, or NULL */
  float *prev_fg, *prev_bg;     /* its layers' colours */
  size_t prev_n;                /* how many layer pixels those hold */
  /* The far level-0 slice's scatter, h rows x (w + 2 BL_PAD) x 4, and the
   * slice it holds (-1: none yet). */
  float *acc0;
  int acc0_of;
};

void bl_reuse_free(bl_reuse *r) {
  if (!r) return;
  bl_free(r->prev);
  bl_free(r->prev_boost);
  bl_free(r->prev_fg);
  bl_free(r->prev_bg);
  bl_free(r->acc0);
  bl_free(r);
}

void bl_reuse_forget(bl_reuse *r) {
  /* The buffers stay: they are the image's size, and fresh pages would
   * cost a new Lens Blur Amount more than scattering into them does. */
  if (r) r->valid = 0, r->acc0_of = -1;
}

size_t bl_reuse_bytes(const bl_state *st) {
  const bl_reuse *r = st->reuse;
  if (!r) return 0;
  size_t n = (size_t)st->w * st->h, b = r->prev ? n * 3 * sizeof(float) : 0;
  if (r->prev_boost) b += n;
  b += r->prev_n * 6 * sizeof(float);
  if (r->acc0) b += sizeof(float) * 4 * (size_t)(st->w + 2 * BL_PAD) * st->h;
  return b;
}

typedef struct mark_job {
  bl_state *st;
  bl_reuse *r;   /* holds the last image, made this one's as the rows are compared */
  uint8_t (*dirty)[BL_MAX_SLICES]; /* per thread, per slice index */
  int *unslotted;                  /* per thread: a changed soft pixel without layers */
} mark_job;

static int differ3(const float *a, const float *b) {
  return memcmp(a, b, 3 * sizeof(float)) != 0;
}

static void mark_rows(void *user, int ith, int nth) {
  mark_job *j = user;
  bl_state *st = j->st;
  bl_reuse *r = j->r;
  const dm_matte_layers *L = st->layers;
  uint8_t *dirty = j->dirty[ith];
  int y0, y1;
  dm_split_rows(st->h, ith, nth, &y0, &y1);
  for (int y = y0; y < y1; y++) {
    const float *in = dm_row(st->in, y);
    float *prev = r->prev + (size_t)y * st->w * 3;
    /* the row's layer slots, ascending in x: walked along with it */
    size_t k = L ? L->row_start[y] : 0, kend = L ? L->row_start[y + 1] : 0;
    for (int x = 0; x < st->w; x++) {
      size_t i = (size_t)y * st->w + x;
      int colour = differ3(in + 3 * x, prev + 3 * x);
      int boost = st->boost_w && r->prev_boost[i] != st->boost_w[i];
      if (colour) memcpy(prev + 3 * x, in + 3 * x, 3 * sizeof(float));
      if (boost) r->prev_boost[i] = st->boost_w[i];
      int own = st->slice_of[st->sid[i]];
      if (!(st->m8 && bl_soft(st->m8[i], st->bid[i]))) {
        if ((colour || boost) && own >= 0) dirty[own] = 1;
        continue;
      }
      while (k < kend && L->x[k] < x) k++;
      const long slot = k < kend && L->x[k] == x ? (long)k : -1;
      if (slot < 0) {
        j->unslotted[ith] |= colour || boost;
        continue;
      }
      /* the composite too: with nothing known behind (no slice, or its
       * fill does not reach), the subject's share is the composite's */
      int f = differ3(L->fg + 3 * slot, r->prev_fg + 3 * slot) || boost || colour;
      int b = differ3(L->bg + 3 * slot, r->prev_bg + 3 * slot) || boost;
      int behind = st->bid[i] < BL_MAX_SLICES ? st->slice_of[st->bid[i]] : -1;
      if (f && own >= 0) dirty[own] = 1;
      if (b && behind >= 0) dirty[behind] = 1;
    }
  }
}

dm_status bl_reuse_mark(bl_state *st) {
  if (!st->planned) {
    memset(st->dirty, 1, sizeof st->dirty);
    return DM_OK;
  }
  size_t n = (size_t)st->w * st->h;
  bl_reuse *r = st->reuse;
  if (!r && !(r = st->reuse = calloc(1, sizeof *r)))
    return dm_fail(st->ctx, DM_ERR_NOMEM, NULL, "out of memory for the lens blur plan");
  if (!r->prev) r->acc0_of = -1; /* new */
  const dm_matte_layers *L = st->layers;
  size_t nl = L ? L->n : 0;
  /* Valid again only when this image's slices are all done (bl_reuse_done):
   * a render cancelled half-way leaves some slices of each image. */
  const int was_valid = r->valid;
  r->valid = 0;
  /* what the last image left, sized for this one (a first image: all of it) */
  int same = was_valid;
  /* prev holds this very image already (a new Lens Blur Amount: the image
   * is the one before, only the geometry changed) */
  const int named = st->image_id[0] || st->image_id[1];
  const int kept = r->prev && named && r->prev_id[0] == st->image_id[0] &&
                   r->prev_id[1] == st->image_id[1];
  if (!r->prev && !(r->prev = malloc(n * 3 * sizeof(float)))) same = 0;
  /* from here on prev is made this image's (or r is freed) */
  r->prev_id[0] = st->image_id[0], r->prev_id[1] = st->image_id[1];
  if (st->boost_w && !r->prev_boost) same = 0, r->prev_boost = malloc(n);
  if (!st->boost_w && r->prev_boost) bl_free(r->prev_boost), r->prev_boost = NULL, same = 0;
  if (r->prev_n != nl) {
    bl_free(r->prev_fg), bl_free(r->prev_bg);
    r->prev_fg = nl ? malloc(nl * 3 * sizeof(float)) : NULL;
    r->prev_bg = nl ? malloc(nl * 3 * sizeof(float)) : NULL;
    r->prev_n = nl;
    same = 0;
  }
  if (!r->prev || (st->boost_w && !r->prev_boost) || (nl && (!r->prev_fg || !r->prev_bg))) {
    bl_reuse_free(r);
    st->reuse = NULL;
    return dm_fail(st->ctx, DM_ERR_NOMEM, NULL, "out of memory for the lens blur plan");
  }
  if (!same) { /* nothing to compare with: every slice, and this image kept */
    for (int y = 0; y < st->h && !kept; y++)
      memcpy(r->prev + (size_t)y * st->w * 3, dm_row(st->in, y), sizeof(float) * 3 * st->w);
    if (st->boost_w) memcpy(r->prev_boost, st->boost_w, n);
    if (nl) {
      memcpy(r->prev_fg, L->fg, nl * 3 * sizeof(float));
      memcpy(r->prev_bg, L->bg, nl * 3 * sizeof(float));
    }
    memset(st->dirty, 1, sizeof st->dirty);
    return DM_OK;
  }
  int nt = st->ctx->n_threads > 0 ? st->ctx->n_threads : 1;
  uint8_t (*dirty)[BL_MAX_SLICES] = calloc((size_t)nt, sizeof *dirty);
  int *unslotted = calloc((size_t)nt, sizeof *unslotted);
  if (!dirty || !unslotted) {
    bl_free(dirty), bl_free(unslotted);
    return dm_fail(st->ctx, DM_ERR_NOMEM, NULL, "out of memory for the lens blur plan");
  }
  mark_job j = {st, r, dirty, unslotted};
  dm_parallel(st->ctx, mark_rows, &j);
  int all = 0;
  memset(st->dirty, 0, sizeof st->dirty);
  for (int t = 0; t < nt; t++) {
    all |= unslotted[t];
    for (int k = 0; k < st->n_slices; k++) st->dirty[k] |= dirty[t][k];
  }
  if (all) memset(st->dirty, 1, sizeof st->dirty);
  if (nl) {
    memcpy(r->prev_fg, L->fg, nl * 3 * sizeof(float));
    memcpy(r->prev_bg, L->bg, nl * 3 * sizeof(float));
  }
  bl_free(dirty), bl_free(unslotted);
  return DM_OK;
}

void bl_reuse_done(bl_state *st) {
  if (st->reuse) st->reuse->valid = 1;
}

float *bl_reuse_acc0(bl_state *st, int k) {
  bl_reuse *r = st->reuse;
  const bl_slice *sl = &st->slices[k];
  if (!r || sl->level != 0 || sl->sign <= 0) return NULL;
  if (!r->acc0) r->acc0 = bl_alloc(sizeof(float) * 4 * (size_t)(st->w + 2 * BL_PAD) * st->h);
  if (r->acc0_of != k) st->dirty[k] = 1; /* it holds another slice's, or nothing */
  r->acc0_of = r->acc0 ? k : -1;
  return r->acc0;
}
