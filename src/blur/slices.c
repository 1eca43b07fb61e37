/* Per-pixel CoC of the front content, and the depth slices.
 *
 * Slices are defined on the signed CoC radius r (px): one focus slice
 * |r| <= BL_FOCUS_R, and per side one slice per pyramid level: level 0
 * holds BL_FOCUS_R < |r| <= r0, level L >= 1 holds
 * r0·2^(L-1) < |r| <= r0·2^L and is scattered on a grid 2^L times
 * coarser. r0 is BL_R0; an editor's draft (shown only while a slider
 * moves) takes half of it: its sources cost a quarter as many writes a
 * level up, for bokeh a little softer at the levels' ends. Slices are
 * ordered near to far: near slices from the largest blur down, focus, far
 * slices from the smallest blur up; compositing runs in that order. Only
 * slices that hold pixels are kept.
 *
 * With a matte, a pixel with alpha > BL_ALPHA_EPS is subject and its front
 * content is the subject's (matte.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "blur/blur_internal.h"
#include "core/pool.h"

#define N_CAND BL_MAX_SLICES
#define FOCUS_CAND (BL_MAX_LEVEL + 1)

static int level_of(float a, float r0) {
  int L = 0;
  for (float t = r0; a > t && L < BL_MAX_LEVEL; t *= 2.0f) L++;
  return L;
}

/* The candidate slice of CoC radius r when level 0 ends at r0. */
static int cand_of(float r, float r0) {
  float a = fabsf(r);
  if (a <= BL_FOCUS_R) return FOCUS_CAND;
  int L = level_of(a, r0);
  return r < 0.0f ? BL_MAX_LEVEL - L : BL_MAX_LEVEL + 2 + L;
}

typedef struct front_job {
  bl_state *st;
  const dm_image *near01;
  const bl_coc_fn *fn;
  int phase;             /* 0 radius, 1 subject edge + candidates */
  long long (*count)[N_CAND];
  float (*rmax)[N_CAND];
  int (*box)[N_CAND][4]; /* per thread, per candidate: its pixels' x0, x1, y0, y1 (inclusive) */
  long long *bad;
} front_job;

static void front_run(void *user, int ith, int nth) {
  front_job *j = user;
  bl_state *st = j->st;
  int y0, y1;
  dm_split_rows(st->h, ith, nth, &y0, &y1);
  for (int y = y0; y < y1; y++) {
    const float *d = dm_row(j->near01, y);
    float *rad = st->rad + (size_t)y * st->w;
    uint8_t *sid = st->sid + (size_t)y * st->w;
    if (j->phase == 0) {
      long long bad = 0;
      for (int x = 0; x < st->w; x++) bad += !(d[x] - d[x] == 0.0f); /* not finite (vectorises) */
      j->bad[ith] += bad;
      const bl_coc_fn fn = *j->fn; /* a local copy: no store to rad can change it (vectorises) */
      for (int x = 0; x < st->w; x++) rad[x] = bl_coc_radius(&fn, d[x]);
      continue;
    }
    /* runs of one candidate (most of a row) counted in registers, then
     * added to its count, largest radius and box at the run's end */
    for (int x = 0; x < st->w;) {
      const int c = cand_of(rad[x], st->r0), x0 = x;
      float rm = j->rmax[ith][c];
      for (; x < st->w; x++) {
        const float r = rad[x];
        if (x > x0 && cand_of(r, st->r0) != c) break;
        sid[x] = (uint8_t)c;
        const float a = fabsf(r);
        if (a > rm) rm = a;
      }
      j->count[ith][c] += x - x0;
      j->rmax[ith][c] = rm;
      int *b = j->box[ith][c];
      if (x0 < b[0]) b[0] = x0;
      if (x - 1 > b[1]) b[1] = x - 1;
      if (y < b[2]) b[2] = y;
      b[3] = y; /* rows come in order */
    }
  }
}

/* A slice is filled as far behind nearer content as anything can show
 * through: the largest nearer CoC plus its own. */
static void fill_reaches(bl_state *st) {
  float nearer = 0.0f;
  for (int k = 0; k < st->n_slices; k++) {
    bl_slice *sl = &st->slices[k];
    sl->fill_reach = k ? nearer + sl->rmax + 2.0f : 0.0f;
    if (sl->rmax > nearer) nearer = sl->rmax;
  }
}

void bl_scale_radii(bl_state *st, float step) {
  size_t n = (size_t)st->w * st->h;
  for (size_t i = 0; i < n; i++) st->rad[i] *= step;
  st->far_rmax *= step;
  for (int k = 0; k < st->n_slices; k++) {
    bl_slice *sl = &st->slices[k];
    sl->rmax *= step;
    size_t cells = sl->fw ? (size_t)sl->fw * sl->fh : (size_t)sl->aw * sl->ah;
    for (size_t i = 0; sl->geo && i < cells; i++) sl->geo[4 * i + 1] *= step; /* r·coverage */
    /* the reach grows or shrinks with the radii: worked out again */
    bl_free(sl->beyond), bl_free(sl->dead);
    sl->beyond = sl->dead = NULL;
  }
  fill_reaches(st);
}

/* b (x0, x1, y0, y1 inclusive; x1 < 0 when empty) into a. */
static void box_union(int *a, const int *b) {
  if (b[1] < 0) return;
  if (b[0] < a[0]) a[0] = b[0];
  if (b[1] > a[1]) a[1] = b[1];
  if (b[2] < a[2]) a[2] = b[2];
  if (b[3] > a[3]) a[3] = b[3];
}

/* A window's first pixel: lo widened by m, put on the photo's grid of g
 * pixels (origin: where the image lies in the photo), within the image. */
static int window_start(int lo, int m, int origin, int g) {
  int a = (origin + (lo - m > 0 ? lo - m : 0)) / g * g - origin;
  return a > 0 ? a : 0;
}

/* Where a full-resolution slice's fill may be read: about the pixels in
 * front of it (the fill is read only where nearer content hides the
 * slice), widened by twice its reach: its distances are exact there (an
 * own pixel outside lies farther than the reach), the push-pull has the
 * content around it, and a draft may scale the reach twice (apply.c).
 * Coarse slices scatter their whole grid. A foreground at one side of the
 * photo keeps the fills of the slices behind it as small. */
static void fill_windows(bl_state *st, int (*box)[4]) {
  int hid[4] = {st->w, -1, st->h, -1}; /* what lies in front of slice k */
  /* a window starts on the photo's grid three levels above its fill's, as
   * a crop does (region.c): the push-pull pyramids of a crop's fill and of
   * the whole photo's then group the same cells */
  const int G = 1 << (bl_fill_level0(st) + 3);
  for (int k = 0; k < st->n_slices; k++) {
    bl_slice *sl = &st->slices[k];
    int m = (int)ceilf(2.0f * sl->fill_reach) + 8;
    if (sl->level > 0) sl->win[0] = 0, sl->win[1] = st->w, sl->win[2] = 0, sl->win[3] = st->h;
    else if (hid[1] < 0) memset(sl->win, 0, sizeof sl->win);
    else {
      sl->win[0] = window_start(hid[0], m, st->frame.x0, G);
      sl->win[2] = window_start(hid[2], m, st->frame.y0, G);
      sl->win[1] = hid[1] + 1 + m < st->w ? hid[1] + 1 + m : st->w;
      sl->win[3] = hid[3] + 1 + m < st->h ? hid[3] + 1 + m : st->h;
    }
    box_union(hid, box[sl->cand]);
  }
}

dm_status bl_front_maps(bl_state *st, const dm_image *near01, const bl_coc_fn *fn) {
  int nt = st->ctx->n_threads > 0 ? st->ctx->n_threads : 1;
  long long (*count)[N_CAND] = calloc((size_t)nt, sizeof *count);
  float (*rmax)[N_CAND] = calloc((size_t)nt, sizeof *rmax);
  int (*box)[N_CAND][4] = malloc((size_t)nt * sizeof *box);
  long long *bad = calloc((size_t)nt, sizeof *bad);
  bl_slice back;
  memset(&back, 0, sizeof back);
  dm_status s = DM_OK;
  if (!count || !rmax || !box || !bad) {
    s = dm_fail(st->ctx, DM_ERR_NOMEM, NULL, "out of memory for the lens blur");
    goto done;
  }
  for (int t = 0; t < nt; t++)
    for (int c = 0; c < N_CAND; c++)
      box[t][c][0] = st->w, box[t][c][1] = -1, box[t][c][2] = st->h, box[t][c][3] = -1;
  front_job j = {st, near01, fn, 0, count, rmax, box, bad};
  dm_parallel(st->ctx, front_run, &j);
  /* A crop is planned with the whole photo's slices (region.c): a layer's
   * fill reaches as far as the nearer slices' largest CoC anywhere, and a
   * soft edge's background goes to the first slice the photo has behind;
   * without a matte, the synthetic one's edges ramp as the whole photo's. */
  long long wcount[N_CAND] = {0};
  float wrmax[N_CAND] = {0};
  if (st->rg && !st->m8 && (s = bl_whole_slices(st, fn, cand_of, wcount, wrmax)) != DM_OK) goto done;
  for (int c = FOCUS_CAND + 1; c < N_CAND; c++) st->far_rmax = fmaxf(st->far_rmax, wrmax[c]);
  long long nbad = 0;
  for (int t = 0; t < nt; t++) nbad += bad[t];
  if (nbad)
    dm_log(st->ctx, DM_LOG_WARN, "lens blur: %lld depth value%s not a number, treated as in focus",
           nbad, nbad > 1 ? "s are" : " is");
  if (!st->m8 && (s = bl_synth_matte(st)) != DM_OK) goto done;
  bl_arena_reset(&st->scratch); /* `back` lives in it until the end */
  if (st->m8 && (s = bl_matte_radii(st, fn, &back)) != DM_OK) goto done;
  /* with a matte, the whole photo's slices count its soft edge once the
   * matte's CoC fills exist (bl_matte_radii); without one they are made */
  if (st->rg && st->matte && (s = bl_whole_slices(st, fn, cand_of, wcount, wrmax)) != DM_OK)
    goto done;
  j.phase = 1;
  dm_parallel(st->ctx, front_run, &j);
  /* plan: keep the candidates that hold pixels, in near-to-far order */
  int map[N_CAND];
  st->n_slices = 0;
  for (int c = 0; c < N_CAND; c++) {
    long long n = wcount[c];
    float r = wrmax[c];
    for (int t = 0; t < nt; t++) {
      n += count[t][c];
      if (rmax[t][c] > r) r = rmax[t][c];
    }
    map[c] = -1;
    if (!n) continue;
    bl_slice *sl = &st->slices[st->n_slices];
    memset(sl, 0, sizeof *sl);
    sl->cand = c;
    int L = c < FOCUS_CAND ? BL_MAX_LEVEL - c : (c == FOCUS_CAND ? 0 : c - BL_MAX_LEVEL - 2);
    sl->sign = c < FOCUS_CAND ? -1 : (c == FOCUS_CAND ? 0 : 1);
    sl->level = L;
    sl->rlo = c == FOCUS_CAND ? 0.0f : (L == 0 ? BL_FOCUS_R : st->r0 * (float)(1 << (L - 1)));
    sl->rhi = c == FOCUS_CAND ? BL_FOCUS_R : st->r0 * (float)(1 << L);
    sl->rmax = r;
    sl->n_own = n;
    map[c] = st->n_slices++;
  }
  fill_reaches(st);
  for (int t = 1; t < nt; t++) /* the threads' boxes into the first's */
    for (int c = 0; c < N_CAND; c++) box_union(box[0][c], box[t][c]);
  fill_windows(st, box[0]);
  for (int c = 0; c < N_CAND; c++) st->slice_of[c] = (int8_t)map[c];
  if (st->m8) {
    int first_from[N_CAND + 1];
    first_from[N_CAND] = -1;
    for (int c = N_CAND - 1; c >= 0; c--) first_from[c] = map[c] >= 0 ? map[c] : first_from[c + 1];
    s = bl_matte_behind(st, &back, first_from, cand_of);
  }
done:
  bl_free(count), bl_free(rmax), bl_free(box), bl_free(bad);
  return s;
}
