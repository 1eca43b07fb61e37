/* A soft subject edge when there is no matte.
 *
 * A depth map cuts the in-focus subject from a blurred background with a
 * hard, pixel-sharp line, while real edges (hair, fur, a depth map
 * upsampled from 518 px) are soft, and the exact line is uncertain to a
 * fraction of the background's blur. Rendered hard, that line is the
 * cut-out look of fake bokeh. So without a matte, the boundary between the
 * focus slice and the content behind it gets an alpha ramp
 *
 *   m = (focus pixels) / (focus + background pixels) in a box of half-size
 *       W = RAMP_FRACTION x the background's CoC radius there
 *
 * and the edge is then rendered exactly as with a matte (matte.c): part of
 * each edge pixel stays sharp with the subject, part is blurred with the
 * background. Where W is under 2 px the edge stays hard; foreground
 * content never mixes in. When no edge anywhere gets a ramp, there is no
 * matte at all (st->m8 stays NULL). Counts live on the half-resolution
 * grid in summed-area tables; the ratio is interpolated back. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "blur/blur_internal.h"
#include "core/pool.h"

#define RAMP_FRACTION 0.25f
#define RAMP_MIN 2.0f
#define BACK_LEVEL 3 /* the background's CoC is smooth: an 8x coarser grid will do */

int bl_synth_every_pixel;

typedef struct synth_job {
  bl_state *st;
  int fw, fh, bw, bh, phase;
  uint32_t *sfg, *sfar; /* (fw + 1) x (fh + 1) summed-area tables of quarter-cell counts */
  float *own;           /* bw x bh push-pull source of the background CoC */
  const bl_slice *back; /* the background CoC, filled */
  float *ratio;         /* fw x fh: box ratio, or -1 where the edge stays hard */
  float *rmax;          /* per thread: largest background CoC seen */
} synth_job;

static void phase_counts(synth_job *j, int ith, int nth) {
  bl_state *st = j->st;
  int B = 1 << BACK_LEVEL, y0, y1;
  dm_split_rows(j->bh, ith, nth, &y0, &y1); /* whole back cells per thread */
  size_t s = (size_t)j->fw + 1;
  float rmax = 0.0f;
  for (int by = y0; by < y1; by++) {
    /* scratch memory holds what the last user left: every channel starts at 0 */
    memset(j->own + (size_t)by * j->bw * 5, 0, sizeof(float) * 5 * (size_t)j->bw);
    for (int cy = by * B / 2; cy < (by + 1) * B / 2 && cy < j->fh; cy++)
      /* the quarter cells of one back cell at a time: its sums are held in
       * registers, not added through memory (the same adds, in order) */
      for (int cb = 0; cb < j->fw; cb += B / 2) {
        float *o = j->own + ((size_t)by * j->bw + (size_t)(cb >> (BACK_LEVEL - 1))) * 5;
        float sum = o[0], cnt = o[3];
        for (int cx = cb; cx < cb + B / 2 && cx < j->fw; cx++) {
          uint32_t fg = 0, far = 0;
          for (int y = 2 * cy; y < 2 * cy + 2 && y < st->h; y++)
            for (int x = 2 * cx; x < 2 * cx + 2 && x < st->w; x++) {
              float r = st->rad[(size_t)y * st->w + x];
              if (fabsf(r) <= BL_FOCUS_R) {
                fg++;
              } else if (r > 0.0f) {
                far++;
                sum += r, cnt += 1.0f;
                if (r > rmax) rmax = r;
              }
            }
          j->sfg[(size_t)(cy + 1) * s + cx + 1] = fg;
          j->sfar[(size_t)(cy + 1) * s + cx + 1] = far;
        }
        o[0] = sum, o[3] = cnt;
      }
  }
  j->rmax[ith] = rmax;
}

static void synth_run(void *user, int ith, int nth) {
  synth_job *j = user;
  bl_state *st = j->st;
  size_t s = (size_t)j->fw + 1;
  int y0, y1;
  if (j->phase == 0) {
    phase_counts(j, ith, nth);
    return;
  }
  if (j->phase == 1) { /* prefix sums along rows */
    dm_split_rows(j->fh, ith, nth, &y0, &y1);
    for (int cy = y0; cy < y1; cy++) {
      uint32_t *a = j->sfg + (size_t)(cy + 1) * s, *b = j->sfar + (size_t)(cy + 1) * s;
      for (int cx = 1; cx <= j->fw; cx++) a[cx] += a[cx - 1], b[cx] += b[cx - 1];
    }
    return;
  }
  if (j->phase == 2) { /* prefix sums down columns */
    dm_split_rows(j->fw + 1, ith, nth, &y0, &y1);
    for (int cy = 1; cy <= j->fh; cy++)
      for (int cx = y0; cx < y1; cx++) {
        size_t i = (size_t)cy * s + cx;
        j->sfg[i] += j->sfg[i - s], j->sfar[i] += j->sfar[i - s];
      }
    return;
  }
  if (j->phase == 3) { /* box ratio per cell */
    dm_split_rows(j->fh, ith, nth, &y0, &y1);
    for (int cy = y0; cy < y1; cy++)
      for (int cx = 0; cx < j->fw; cx++) {
        float *out = j->ratio + (size_t)cy * j->fw + cx;
        *out = -1.0f;
        int bx = cx >> (BACK_LEVEL - 1), by = cy >> (BACK_LEVEL - 1);
        float W = RAMP_FRACTION * j->back->fill[((size_t)by * j->bw + bx) * 4];
        if (W < RAMP_MIN) continue;
        int hw = (int)(0.5f * W + 0.5f);
        int xa = cx - hw < 0 ? 0 : cx - hw, xb = cx + hw + 1 > j->fw ? j->fw : cx + hw + 1;
        int ya = cy - hw < 0 ? 0 : cy - hw, yb = cy + hw + 1 > j->fh ? j->fh : cy + hw + 1;
#define BOX(t) (t[(size_t)yb * s + xb] - t[(size_t)ya * s + xb] - t[(size_t)yb * s + xa] + t[(size_t)ya * s + xa])
        uint32_t fg = BOX(j->sfg), far = BOX(j->sfar);
#undef BOX
        if (fg && far) *out = (float)fg / (float)(fg + far);
      }
    return;
  }
  /* phase 4: full resolution */
  dm_split_rows(st->h, ith, nth, &y0, &y1);
  /* cell column has a ramp in either row; without it, every pixel is worked out */
  uint8_t *ramp = bl_synth_every_pixel ? NULL : malloc((size_t)j->fw + 1);
  for (int y = y0; y < y1; y++) {
    float fy = (y + 0.5f) * 0.5f - 0.5f;
    int iy = (int)floorf(fy);
    float ty = fy - iy;
    int cy0 = iy < 0 ? 0 : iy, cy1 = iy + 1 >= j->fh ? j->fh - 1 : iy + 1;
    const float *r0 = j->ratio + (size_t)cy0 * j->fw, *r1 = j->ratio + (size_t)cy1 * j->fw;
    int any = !ramp;
    if (ramp) {
      for (int cx = 0; cx < j->fw; cx++) any |= ramp[cx] = r0[cx] >= 0.0f || r1[cx] >= 0.0f;
      ramp[j->fw] = 0;
    }
    const float *radr = st->rad + (size_t)y * st->w;
    uint8_t *m8 = st->m8 + (size_t)y * st->w;
    /* The hard edge; then, once each, the pixels that read a ramp cell
     * (cell c is read by pixels 2c - 1 .. 2c + 2): all of them when there
     * is no ramp map. */
    if (ramp)
      for (int x = 0; x < st->w; x++) m8[x] = fabsf(radr[x]) <= BL_FOCUS_R ? 255 : 0;
    if (!any) continue; /* no ramp on this row */
    for (int c = 0, next = 0; c < (ramp ? j->fw : 1); c++) {
      if (ramp && !ramp[c]) continue;
      int xa = ramp ? 2 * c - 1 : 0, xb = ramp ? 2 * c + 3 : st->w;
      if (xa < next) xa = next;
      if (xb > st->w) xb = st->w;
      next = xb;
      for (int x = xa; x < xb; x++) {
        float r = radr[x];
        int fg = fabsf(r) <= BL_FOCUS_R;
        float m = fg ? 1.0f : 0.0f;
        if (fg || r > 0.0f) {
          float fx = (x + 0.5f) * 0.5f - 0.5f;
          int ix = (int)floorf(fx);
          int cx0 = ix < 0 ? 0 : ix, cx1 = ix + 1 >= j->fw ? j->fw - 1 : ix + 1;
          float v[4] = {r0[cx0], r0[cx1], r1[cx0], r1[cx1]};
          if (v[0] >= 0.0f || v[1] >= 0.0f || v[2] >= 0.0f || v[3] >= 0.0f) {
            float tx = fx - ix, wt[4] = {(1 - tx) * (1 - ty), tx * (1 - ty), (1 - tx) * ty, tx * ty};
            float acc = 0.0f, wsum = 0.0f;
            for (int k = 0; k < 4; k++)
              if (v[k] >= 0.0f) acc += wt[k] * v[k], wsum += wt[k];
            if (wsum > 0.5f) m = acc / wsum;
          }
        }
        m8[x] = (uint8_t)(m * 255.0f + 0.5f);
      }
    }
  }
  bl_free(ramp);
}

dm_status bl_synth_matte(bl_state *st) {
  synth_job j;
  memset(&j, 0, sizeof j);
  bl_slice back;
  memset(&back, 0, sizeof back);
  j.st = st;
  j.fw = (st->w + 1) / 2, j.fh = (st->h + 1) / 2;
  int B = 1 << BACK_LEVEL;
  j.bw = (st->w + B - 1) / B, j.bh = (st->h + B - 1) / B;
  size_t ns = (size_t)(j.fw + 1) * (j.fh + 1), nb = (size_t)j.bw * j.bh;
  int nt = st->ctx->n_threads > 1 ? st->ctx->n_threads : 1;
  bl_arena_reset(&st->scratch);
  j.sfg = bl_take(&st->scratch, ns * sizeof(uint32_t));
  j.sfar = bl_take(&st->scratch, ns * sizeof(uint32_t));
  j.own = bl_take(&st->scratch, 5 * nb * sizeof(float));
  j.rmax = calloc((size_t)nt, sizeof(float));
  dm_status s = DM_OK;
  if (!j.sfg || !j.sfar || !j.own || !j.rmax) {
    s = dm_fail(st->ctx, DM_ERR_NOMEM, NULL, "out of memory for the lens blur edges");
    goto done;
  }
  memset(j.sfg, 0, ns * sizeof(uint32_t)); /* row 0 and column 0 stay zero */
  memset(j.sfar, 0, ns * sizeof(uint32_t));
  dm_parallel(st->ctx, synth_run, &j);
  float rmax = st->far_rmax; /* a crop's: the whole photo's */
  for (int t = 0; t < nt; t++) rmax = rmax > j.rmax[t] ? rmax : j.rmax[t];
  if (RAMP_FRACTION * rmax < RAMP_MIN) goto done; /* every edge stays hard: no matte */
  for (size_t i = 0; i < nb; i++) { /* counts -> coverage fractions */
    float *o = j.own + i * 5;
    if (o[3] > 0.0f) o[0] /= (float)(B * B), o[3] /= (float)(B * B);
  }
  back.fill_level = BACK_LEVEL, back.fw = j.bw, back.fh = j.bh;
  back.fill = bl_take(&st->scratch, sizeof(float) * 4 * nb);
  j.ratio = bl_take(&st->scratch, sizeof(float) * (size_t)j.fw * j.fh);
  st->m8 = bl_alloc((size_t)st->w * st->h);
  if (!back.fill || !j.ratio || !st->m8) {
    s = dm_fail(st->ctx, DM_ERR_NOMEM, NULL, "out of memory for the lens blur edges");
    goto done;
  }
  s = bl_push_pull(st, j.bw, j.bh, j.own, NULL, 1e9f, back.fill, NULL);
  if (s != DM_OK) goto done;
  j.back = &back;
  for (j.phase = 1; j.phase <= 4; j.phase++) dm_parallel(st->ctx, synth_run, &j);
done:
  bl_free(j.rmax);
  return s;
}
