/* Full-resolution slices and the front-to-back composite, band by band.
 *
 * Slices at level 0 (CoC <= BL_R0 px, the focus slice among them) are
 * scattered into band buffers of BAND_ROWS rows, reading sources up to a
 * kernel's reach above and below the band, so no full-size accumulator is
 * ever held. Then every output pixel of the band composites all slices in
 * near-to-far order with "over":
 *
 *   out = Σ_k T_k · C_k,  T_0 = 1,  T_{k+1} = T_k · (1 − A_k)
 *
 * (C_k premultiplied colour, A_k coverage of slice k, coarse slices sampled
 * bilinearly from their level). A blurred foreground thus lies over the
 * subject with its own soft coverage, the sharp subject hides what is
 * behind it, and the background behind the subject's edge shows only
 * through the subject's own (matte) transparency. Whatever coverage is left
 * (holes where no layer reaches) is renormalised away. */
#include <stdlib.h>
#include <string.h>
#include <xmmintrin.h>

#include "blur/blur_internal.h"
#include "core/pool.h"

#define BAND_ROWS 64

/* Columns of a level grid that full-resolution column x interpolates. */
typedef struct bl_xmap {
  int *i0, *i1;
  float *t;
} bl_xmap;

typedef struct band_job {
  bl_state *st;
  dm_image *out;
  int n0, idx0[BL_MAX_SLICES]; /* level-0 slices */
  float *kept[BL_MAX_SLICES];  /* a plan's: each one's whole scatter, or NULL (reuse.c) */
  int reach0[BL_MAX_SLICES];
  int R;             /* rows of source any level-0 kernel reaches */
  float *mem;        /* per thread: n0 band buffers, then R saved rows */
  size_t per_thread; /* floats */
  float *halo;       /* per block boundary: 2R rows around it, saved before writing */
  size_t vrow_off;   /* floats into a thread's memory: its rows of coarse slices */
  size_t vfloats;    /* their size; then one band of in-pixel sources */
  bl_xmap xmap[BL_MAX_LEVEL + 1];
  float *rowmax[BL_MAX_SLICES]; /* coarse slices: largest coverage in each level row */
  int in_place;                 /* the output is the source: rows are saved before written */
} band_job;

/* The image is written in place, so sources are read from saved copies
 * where they may have been overwritten: rows of another thread's block
 * (saved around each boundary before anyone writes) and the R rows above
 * the current band in this thread's block (saved before the band above was
 * written). */
typedef struct rows_src {
  const band_job *j;
  int b0, b1, ith; /* this thread's block of rows */
  int ya;          /* current band's first row */
  const float *prev; /* rows [ya - R, ya) as they were */
} rows_src;

static const float *src_row(const rows_src *r, int y) {
  const band_job *j = r->j;
  if (!j->in_place) return dm_row(j->st->in, y); /* nothing overwrites the source */
  size_t row = (size_t)j->st->w * 3;
  if (y < r->b0) return j->halo + (size_t)(r->ith - 1) * 2 * j->R * row + (size_t)(y - (r->b0 - j->R)) * row;
  if (y >= r->b1) return j->halo + (size_t)r->ith * 2 * j->R * row + (size_t)(y - (r->b1 - j->R)) * row;
  if (y < r->ya) return r->prev + (size_t)(y - (r->ya - j->R)) * row;
  return dm_row(j->st->in, y);
}

/* Coarse slices are upsampled bilinearly: per output row, once per slice,
 * the two level rows are blended (into `vrow`), then per pixel two
 * neighbours of that row, with column indices and weights tabulated per
 * level. Rows where the slice is empty are skipped. */
/* One layer of an output row: its 4-float cells, and for a coarse slice
 * its level's column table (NULL: the cells are the row's pixels). */
typedef struct layer_row {
  const float *p;
  const bl_xmap *m;
} layer_row;

static void composite_rows(const band_job *j, float *const *bufs, size_t stride, int ya, int yb,
                           float *vrow) {
  const bl_state *st = j->st;
  const float *vr[BL_MAX_SLICES];
  for (int y = ya; y < yb; y++) {
    float *v = vrow;
    for (int k = 0; k < st->n_slices; k++) {
      const bl_slice *s = &st->slices[k];
      vr[k] = NULL;
      if (s->level == 0) continue;
      float fy = (y + 0.5f) / (float)(1 << s->level) - 0.5f;
      fy = fy < 0 ? 0 : (fy > s->ah - 1 ? (float)(s->ah - 1) : fy);
      int iy = (int)fy, iy1 = iy + 1 < s->ah ? iy + 1 : iy;
      float ty = fy - iy;
      if (j->rowmax[k][iy] <= 0.0f && j->rowmax[k][iy1] <= 0.0f) continue;
      size_t as = (size_t)(s->aw + 2 * BL_PAD) * 4;
      /* restrict and a count held locally, or the loop rereads s->aw after
       * every store and stays scalar */
      const float *restrict r0 = s->acc + (size_t)iy * as + 4 * BL_PAD;
      const float *restrict r1 = s->acc + (size_t)iy1 * as + 4 * BL_PAD;
      float *restrict vk = v;
      const int n4 = 4 * s->aw;
      for (int i = 0; i < n4; i++) vk[i] = r0[i] + ty * (r1[i] - r0[i]);
      vr[k] = v;
      v += 4 * (size_t)s->aw;
    }
    /* this row's layers, near to far: a full-resolution slice's band row,
     * or a coarse one's blended row with its level's column table */
    layer_row lr[BL_MAX_SLICES];
    int n = 0, b0 = 0;
    for (int k = 0; k < st->n_slices; k++) {
      const bl_slice *s = &st->slices[k];
      if (s->level == 0)
        lr[n++] = (layer_row){bufs[b0++] + (size_t)(y - ya) * stride + 4 * BL_PAD, NULL};
      else if (vr[k])
        lr[n++] = (layer_row){vr[k], &j->xmap[s->level]};
    }
    const float *in = dm_row(st->in, y);
    float *out = dm_row(j->out, y);
    for (int x = 0; x < st->w; x++) {
      /* four channels at a time, each as one at a time would be: the
       * same subtractions, products and sums, unfused */
      __m128 acc = _mm_setzero_ps();
      float T = 1.0f;
      for (int k = 0; k < n; k++) {
        __m128 c;
        const bl_xmap *m = lr[k].m;
        if (!m)
          c = _mm_loadu_ps(lr[k].p + 4 * x);
        else {
          const __m128 p0 = _mm_loadu_ps(lr[k].p + 4 * m->i0[x]), p1 = _mm_loadu_ps(lr[k].p + 4 * m->i1[x]);
          c = _mm_add_ps(p0, _mm_mul_ps(_mm_set1_ps(m->t[x]), _mm_sub_ps(p1, p0)));
        }
        float a = _mm_cvtss_f32(_mm_shuffle_ps(c, c, 3));
        if (!(a > 1e-6f)) continue;
        if (a > 1.0f) { /* kernels overlapping with varying radii: renormalise */
          c = _mm_mul_ps(c, _mm_set1_ps(1.0f / a));
          a = 1.0f;
        }
        acc = _mm_add_ps(acc, _mm_mul_ps(_mm_set1_ps(T), c));
        T *= 1.0f - a;
        if (T < 1e-6f) break;
      }
      float cov = 1.0f - T;
      if (cov > 1e-4f) {
        float inv = 1.0f / cov, o[4];
        _mm_storeu_ps(o, acc);
        out[3 * x] = o[0] * inv, out[3 * x + 1] = o[1] * inv, out[3 * x + 2] = o[2] * inv;
      } else {
        out[3 * x] = in[3 * x], out[3 * x + 1] = in[3 * x + 1], out[3 * x + 2] = in[3 * x + 2];
      }
    }
  }
}

static void save_rows(const bl_state *st, float *dst, int y0, int y1) {
  for (int y = y0; y < y1; y++)
    if (y >= 0 && y < st->h)
      memcpy(dst + (size_t)(y - y0) * st->w * 3, dm_row(st->in, y), sizeof(float) * 3 * st->w);
}

/* Phase 1: every thread saves the rows around the end of its block. */
static void halo_run(void *user, int ith, int nth) {
  band_job *j = user;
  int b0, b1;
  dm_split_rows(j->st->h, ith, nth, &b0, &b1);
  if (ith < nth - 1 && j->R > 0 && j->in_place)
    save_rows(j->st, j->halo + (size_t)ith * 2 * j->R * j->st->w * 3, b1 - j->R, b1 + j->R);
}

static void band_run(void *user, int ith, int nth) {
  band_job *j = user;
  const bl_state *st = j->st;
  size_t stride = (size_t)(st->w + 2 * BL_PAD) * 4;
  float *bufs[BL_MAX_SLICES], *mine = j->mem + j->per_thread * ith;
  for (int i = 0; i < j->n0; i++) bufs[i] = mine + stride * BAND_ROWS * i;
  rows_src rs = {j, 0, 0, ith, 0, mine + stride * BAND_ROWS * j->n0};
  float *vrow = mine + j->vrow_off;
  float *point = vrow + j->vfloats;
  dm_split_rows(st->h, ith, nth, &rs.b0, &rs.b1);
  /* the single-pixel spots: zero now, and bl_rows_finish leaves them zero */
  memset(point, 0, sizeof(float) * stride * BAND_ROWS);
  int cat = st->kern.cat_eye > 0.0f;
  for (int ya = rs.b0; ya < rs.b1; ya += BAND_ROWS) {
    int yb = ya + BAND_ROWS < rs.b1 ? ya + BAND_ROWS : rs.b1;
    rs.ya = ya;
    for (int i = 0; i < j->n0; i++) {
      int k = j->idx0[i];
      if (j->kept[i]) { /* a plan's slice: scattered straight into what it keeps, or kept */
        bufs[i] = j->kept[i] + stride * (size_t)ya;
        if (!st->dirty[k]) continue;
      }
      memset(bufs[i], 0, sizeof(float) * stride * (size_t)(yb - ya));
      bl_rows r = {bufs[i], stride, st->w, st->h, ya, yb, point, NULL, 0, 0};
      float *rp[BAND_ROWS + 2 * (BL_REACH + 2)];
      bl_rows_table(&r, rp, ya - j->reach0[i], yb + j->reach0[i]);
      int sy0 = ya - j->reach0[i], sy1 = yb + j->reach0[i];
      if (sy0 < 0) sy0 = 0;
      if (sy1 > st->h) sy1 = st->h;
      const bl_slice *sl = &st->slices[k];
      int c = sl->cand;
      for (int y = sy0; y < sy1; y++) {
        const float *in = src_row(&rs, y);
        size_t r0 = (size_t)y * st->w;
        const uint8_t *sid = st->sid + r0, *m8 = st->m8 ? st->m8 + r0 : NULL;
        const uint8_t *bid = st->bid ? st->bid + r0 : NULL;
        const float *radr = st->rad + r0;
        for (int x = 0; x < st->w; x++) {
          int s = sid[x];
          if (s > c || (s < c && (!sl->fill || bl_fill_none(sl, x, y)))) continue;
          float v[4], rad, u = 0, w = 0;
          if (s == c && !(m8 && bl_soft(m8[x], bid[x]))) { /* the common case, inline */
            bl_boosted(st, r0 + x, in + 3 * x, radr[x], v);
            v[3] = 1.0f;
            rad = fabsf(radr[x]);
          } else {
            int role = bl_role(st, k, r0 + x, bl_matte_at(st, x, y));
            if (role == BL_NONE || !bl_content(st, k, x, y, role, in + 3 * x, v, &rad)) continue;
          }
          if (cat) bl_frame_pos(st, 0, (float)x, (float)y, &u, &w);
          bl_scatter(&st->kern, &r, x, y, rad, v, u, w);
        }
      }
      bl_rows_finish(&r);
    }
    /* the next band reads the last R rows of this one as they were */
    if (j->R > 0 && j->in_place) save_rows(st, (float *)rs.prev, yb - j->R, yb);
    composite_rows(j, bufs, stride, ya, yb, vrow);
  }
}

dm_status bl_render_bands(bl_state *st, dm_image *out) {
  band_job *j = calloc(1, sizeof *j);
  if (!j) return dm_fail(st->ctx, DM_ERR_NOMEM, NULL, "out of memory for the lens blur");
  j->st = st;
  j->out = out;
  j->in_place = out->data == st->in->data;
  for (int k = 0; k < st->n_slices; k++)
    if (st->slices[k].level == 0) {
      int q = bl_kernel_index(&st->kern, st->slices[k].rmax);
      j->reach0[j->n0] = st->kern.reach[q] + 1;
      if (j->reach0[j->n0] > j->R) j->R = j->reach0[j->n0];
      j->kept[j->n0] = st->planned ? bl_reuse_acc0(st, k) : NULL;
      j->idx0[j->n0++] = k;
    }
  /* every thread's buffers up front, so nothing can fail half-way through
   * writing the caller's image */
  int nt = st->ctx->n_threads > 1 ? st->ctx->n_threads : 1;
  size_t row = (size_t)st->w * 3, vfloats = 0;
  for (int k = 0; k < st->n_slices; k++)
    if (st->slices[k].level > 0) vfloats += 4 * (size_t)st->slices[k].aw;
  j->vrow_off = (size_t)(st->w + 2 * BL_PAD) * 4 * BAND_ROWS * (size_t)j->n0 + row * j->R;
  j->vfloats = vfloats;
  j->per_thread = j->vrow_off + vfloats + (size_t)(st->w + 2 * BL_PAD) * 4 * BAND_ROWS;
  bl_arena_reset(&st->scratch);
  for (int k = 0; k < st->n_slices; k++) {
    const bl_slice *s = &st->slices[k];
    if (s->level == 0) continue;
    j->rowmax[k] = bl_take(&st->scratch, sizeof(float) * (size_t)s->ah);
    bl_xmap *m = &j->xmap[s->level];
    if (!m->t) {
      m->i0 = bl_take(&st->scratch, sizeof(int) * (size_t)st->w);
      m->i1 = bl_take(&st->scratch, sizeof(int) * (size_t)st->w);
      m->t = bl_take(&st->scratch, sizeof(float) * (size_t)st->w);
      if (!m->i0 || !m->i1 || !m->t) {
        bl_free(j);
        return dm_fail(st->ctx, DM_ERR_NOMEM, NULL, "out of memory for the lens blur bands");
      }
      for (int x = 0; x < st->w; x++) {
        float fx = (x + 0.5f) / (float)(1 << s->level) - 0.5f;
        fx = fx < 0 ? 0 : (fx > s->aw - 1 ? (float)(s->aw - 1) : fx);
        int ix = (int)fx;
        m->i0[x] = ix, m->i1[x] = ix + 1 < s->aw ? ix + 1 : ix, m->t[x] = fx - ix;
      }
    }
    if (!j->rowmax[k]) {
      bl_free(j);
      return dm_fail(st->ctx, DM_ERR_NOMEM, NULL, "out of memory for the lens blur bands");
    }
    size_t as = (size_t)(s->aw + 2 * BL_PAD) * 4;
    for (int y = 0; y < s->ah; y++) {
      const float *r = s->acc + (size_t)y * as + 4 * BL_PAD;
      float mx = 0.0f;
      for (int x = 0; x < s->aw; x++) mx = r[4 * x + 3] > mx ? r[4 * x + 3] : mx;
      j->rowmax[k][y] = mx;
    }
  }
  j->mem = bl_take(&st->scratch, sizeof(float) * (j->per_thread ? j->per_thread : 1) * (size_t)nt);
  j->halo = bl_take(&st->scratch, sizeof(float) * (row * 2 * j->R * (size_t)nt + 1));
  if (!j->mem || !j->halo) {
    bl_free(j);
    return dm_fail(st->ctx, DM_ERR_NOMEM, NULL, "out of memory for the lens blur bands");
  }
  dm_parallel(st->ctx, halo_run, j);
  dm_parallel(st->ctx, band_run, j);
  bl_free(j);
  return DM_OK;
}
