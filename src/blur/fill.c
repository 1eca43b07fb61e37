/* Filling what nearer content hides, before blurring.
 *
 * Each slice is a layer; where a nearer slice covers it in the photo, the
 * layer has no pixels, yet a blurred edge of the nearer content reveals
 * some of what lies behind. The layer is extended there by push-pull
 * (Gortler et al. 1996) from its own pixels only, so the fill behind a
 * subject's edge comes from the background next to it, never from the
 * subject (depth-aware). The pull sums children with clamped weights (one
 * fully covered child is enough for a parent), which keeps the fill close
 * to the nearest own colours instead of a wide average. A fill reaches only
 * `reach` pixels from the layer's own pixels: the largest CoC of the nearer
 * slices plus the layer's own, as far as anything behind can show.
 *
 * A soft subject pixel (matte) counts as hidden for the layer behind it
 * while that layer's fill is built; its share of background joins the
 * layer afterwards (bl_slice_behind, matte.c). */
#include <float.h>
#include <math.h>
#include <smmintrin.h>
#include <stdlib.h>
#include <string.h>

#include "blur/blur_internal.h"
#include "core/pool.h"

/* ---- exact Euclidean distance transform (Felzenszwalb & Huttenlocher) -- */

static void edt_1d(const float *f, int n, float *d, int *v, float *z) {
  int k = 0;
  v[0] = 0;
  z[0] = -FLT_MAX;
  z[1] = FLT_MAX;
  for (int q = 1; q < n; q++) {
    float fq = f[q];
    for (;;) {
      int p = v[k];
      float fp = f[p];
      float s;
      if (fq >= FLT_MAX || fp >= FLT_MAX)
        s = fq >= FLT_MAX ? FLT_MAX : -FLT_MAX;
      else
        s = ((fq + (float)q * q) - (fp + (float)p * p)) / (2.0f * (q - p));
      if (s <= z[k] && k > 0) {
        k--;
        continue;
      }
      if (s <= z[k]) { /* k == 0: replace the first parabola */
        v[0] = q;
        z[0] = -FLT_MAX;
        z[1] = FLT_MAX;
        break;
      }
      k++;
      v[k] = q;
      z[k] = s;
      z[k + 1] = FLT_MAX;
      break;
    }
  }
  k = 0;
  for (int q = 0; q < n; q++) {
    while (z[k + 1] < (float)q) k++;
    int p = v[k];
    float fp = f[p];
    d[q] = fp >= FLT_MAX ? FLT_MAX : (float)(q - p) * (q - p) + fp;
  }
}

typedef struct edt_job {
  float *g; /* w x h squared distances, in/out */
  int w, h;
  int fail;
} edt_job;

/* The first pass, down the columns, starts from 0 (the layer's own cells)
 * and FLT_MAX (the rest): the squared distance to the nearest 0 above or
 * below, which two sweeps over the rows give (the last 0 seen going down,
 * then going up) with no lower envelope. Rows are read whole (each thread
 * its own columns of them). The values are the envelope's bit for bit: an
 * integer squared, rounded once to float, plus 0. */
static void edt_columns(void *user, int ith, int nth) {
  edt_job *j = user;
  int x0, x1;
  dm_split_rows(j->w, ith, nth, &x0, &x1);
  if (x0 >= x1) return;
  int *near = malloc(sizeof(int) * (size_t)(x1 - x0)); /* the 0 nearest so far in each column, or -1 */
  if (!near) {
    j->fail = 1;
    return;
  }
  for (int x = x0; x < x1; x++) near[x - x0] = -1;
  for (int y = 0; y < j->h; y++) {
    float *row = j->g + (size_t)y * j->w;
    for (int x = x0; x < x1; x++) {
      int *n = &near[x - x0];
      if (row[x] == 0.0f) *n = y;
      else row[x] = *n < 0 ? FLT_MAX : (float)((double)(y - *n) * (y - *n));
    }
  }
  for (int x = x0; x < x1; x++) near[x - x0] = -1;
  for (int y = j->h - 1; y >= 0; y--) {
    float *row = j->g + (size_t)y * j->w;
    for (int x = x0; x < x1; x++) {
      int *n = &near[x - x0];
      if (row[x] == 0.0f) {
        *n = y;
      } else if (*n >= 0) {
        float d = (float)((double)(*n - y) * (*n - y));
        if (d < row[x]) row[x] = d;
      }
    }
  }
  free(near);
}

/* The second pass, along the rows: the lower envelope of parabolas of
 * each row (edt_1d). A row that is all 0 (the layer's own cells) or all
 * FLT_MAX (none in its columns) is its own result. */
static void edt_rows(void *user, int ith, int nth) {
  edt_job *j = user;
  const int n = j->w;
  float *d = malloc(sizeof(float) * (size_t)n), *z = malloc(sizeof(float) * (size_t)(n + 1));
  int *v = malloc(sizeof(int) * (size_t)n);
  int a, b;
  dm_split_rows(j->h, ith, nth, &a, &b);
  for (int y = a; y < b && d && z && v; y++) {
    float *row = j->g + (size_t)y * n;
    int zero = 1, none = 1;
    for (int i = 0; i < n && (zero || none); i++) zero &= row[i] == 0.0f, none &= row[i] >= FLT_MAX;
    if (zero || none) continue;
    edt_1d(row, n, d, v, z);
    memcpy(row, d, sizeof(float) * (size_t)n);
  }
  if (!d || !z || !v) j->fail = 1;
  free(d), free(z), free(v);
}

/* ---- push-pull ---------------------------------------------------------- */

typedef struct pp_level {
  int w, h;
  float *own; /* 5 channels; level 0 points at the caller's buffer */
  float *nrm; /* 4 channels, normalised result of the push */
} pp_level;

typedef struct pp_job {
  pp_level *lv;
  int l;      /* level being computed */
  int pull;   /* 1 pull (l from l-1), 0 push (l from l+1) */
  const int *ix;   /* push: per column of level l, its two coarse samples */
  const float *tx; /* and the second one's weight */
} pp_job;

/* Each parent sums its (up to) four children in the order (0,0), (0,1),
 * (1,0), (1,1), in double; rows and columns past the child level's edge
 * are left out. */
static void pull_rows(const pp_level *c, pp_level *p, int y0, int y1) {
  for (int y = y0; y < y1; y++) {
    const float *rows[2] = {c->own + (size_t)(2 * y) * c->w * 5,
                            2 * y + 1 < c->h ? c->own + (size_t)(2 * y + 1) * c->w * 5 : NULL};
    float *o = p->own + (size_t)y * p->w * 5;
    for (int x = 0; x < p->w; x++, o += 5) {
      const int two = 2 * x + 1 < c->w;
      double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0;
      for (int dy = 0; dy < 2 && rows[dy]; dy++) {
        const float *a = rows[dy] + (size_t)(2 * x) * 5;
        s0 += a[0], s1 += a[1], s2 += a[2], s3 += a[3], s4 += a[4];
        if (two) s0 += a[5], s1 += a[6], s2 += a[7], s3 += a[8], s4 += a[9];
      }
      double k = s3 > 1.0 ? 1.0 / s3 : 1.0;
      o[0] = (float)(s0 * k), o[1] = (float)(s1 * k), o[2] = (float)(s2 * k);
      o[3] = (float)(s3 * k), o[4] = (float)(s4 * k);
    }
  }
}

/* Where fine-level index i (of a level twice the size of one with n
 * samples) falls on the coarse level: the lower sample *i0, the upper *i1 and
 * the weight *t of the upper one, clamped at the edges. */
static void coarse_coord(int i, int n, int *i0, int *i1, float *t) {
  float f = (i + 0.5f) * 0.5f - 0.5f;
  if (f < 0) f = 0;
  if (f > n - 1) f = (float)(n - 1);
  int k = (int)f;
  if (k > n - 2) k = n > 1 ? n - 2 : 0;
  *i0 = k;
  *i1 = n > 1 ? k + 1 : k;
  *t = n > 1 ? f - k : 0.0f;
}

/* ix, tx: the columns' coarse samples and weights (bl_push_pull). */
static void push_rows(const pp_level *up, pp_level *l, int y0, int y1, const int *ix,
                      const float *tx) {
  for (int y = y0; y < y1; y++) {
    int iy, iy1;
    float ty;
    coarse_coord(y, up->h, &iy, &iy1, &ty);
    const float *r0 = up->nrm + (size_t)iy * up->w * 4, *r1 = up->nrm + (size_t)iy1 * up->w * 4;
    const float *o = l->own + (size_t)y * l->w * 5;
    float *n = l->nrm + (size_t)y * l->w * 4;
    /* the four channels at once, each with the same products and sums as
     * one at a time: u = (1-ty)((1-t)a + tb) + ty((1-t)c + td), n = own + rest·u */
    const __m128 vty = _mm_set1_ps(ty), vty1 = _mm_set1_ps(1.0f - ty);
    for (int x = 0; x < l->w; x++, o += 5, n += 4) {
      const float t = tx[x], cov = o[3] < 1.0f ? o[3] : 1.0f, rest = 1.0f - cov;
      const __m128 vt = _mm_set1_ps(t), vt1 = _mm_set1_ps(1.0f - t);
      const __m128 a = _mm_loadu_ps(r0 + 4 * ix[2 * x]), b = _mm_loadu_ps(r0 + 4 * ix[2 * x + 1]);
      const __m128 c = _mm_loadu_ps(r1 + 4 * ix[2 * x]), d = _mm_loadu_ps(r1 + 4 * ix[2 * x + 1]);
      const __m128 top = _mm_add_ps(_mm_mul_ps(vt1, a), _mm_mul_ps(vt, b));
      const __m128 bottom = _mm_add_ps(_mm_mul_ps(vt1, c), _mm_mul_ps(vt, d));
      const __m128 u = _mm_add_ps(_mm_mul_ps(vty1, top), _mm_mul_ps(vty, bottom));
      /* own's colour and its fifth channel (o[3] is the coverage); own is
       * premultiplied by its coverage */
      const __m128 own = _mm_insert_ps(_mm_loadu_ps(o), _mm_load_ss(o + 4), 0x30);
      _mm_storeu_ps(n, _mm_add_ps(own, _mm_mul_ps(_mm_set1_ps(rest), u)));
    }
  }
}

static void pp_run(void *user, int ith, int nth) {
  pp_job *j = user;
  pp_level *l = &j->lv[j->l];
  int y0, y1;
  dm_split_rows(l->h, ith, nth, &y0, &y1);
  if (j->pull)
    pull_rows(&j->lv[j->l - 1], l, y0, y1);
  else
    push_rows(&j->lv[j->l + 1], l, y0, y1, j->ix, j->tx);
}

/* Which cells of a fill lie beyond its reach: from the squared distance to
 * the layer's own pixels (g), or from what a plan kept (beyond). */
typedef struct reach_job {
  float *out;
  const float *own, *hidden;
  float *g;
  const uint8_t *beyond;
  uint8_t *far;
  float r2;
} reach_job;

static void reach_seed(void *user, size_t i0, size_t i1) {
  reach_job *j = user;
  for (size_t i = i0; i < i1; i++)
    j->g[i] = j->own[i * 5 + 3] > 1e-6f || (j->hidden && j->hidden[2 * i + 1] > 0.0f) ? 0.0f : FLT_MAX;
}

static void reach_mark(void *user, size_t i0, size_t i1) {
  reach_job *j = user;
  for (size_t i = i0; i < i1; i++) {
    int b = j->beyond ? j->beyond[i] : !(j->g[i] <= j->r2);
    if (b) j->out[i * 4 + 3] = -1.0f;
    if (j->far) j->far[i] = (uint8_t)b;
  }
}

dm_status bl_push_pull(bl_state *st, int w, int h, const float *own, const float *hidden,
                       float reach, float *out, uint8_t **beyond) {
  dm_context *ctx = st->ctx;
  pp_level lv[40];
  int nl = 0;
  lv[0].w = w, lv[0].h = h, lv[0].own = (float *)own, lv[0].nrm = out;
  nl = 1;
  while ((lv[nl - 1].w > 1 || lv[nl - 1].h > 1) && nl < 40) {
    pp_level *c = &lv[nl - 1], *p = &lv[nl];
    p->w = (c->w + 1) / 2, p->h = (c->h + 1) / 2;
    p->own = bl_take(&st->scratch, sizeof(float) * 5 * (size_t)p->w * p->h);
    p->nrm = bl_take(&st->scratch, sizeof(float) * 4 * (size_t)p->w * p->h);
    nl++;
    if (!p->own || !p->nrm) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for the lens blur fill");
  }
  pp_job job = {lv, 0, 1, NULL, NULL};
  for (int l = 1; l < nl; l++) {
    job.l = l, job.pull = 1;
    dm_parallel(ctx, pp_run, &job);
  }
  { /* the top: normalise what it holds */
    pp_level *t = &lv[nl - 1];
    for (int i = 0; i < t->w * t->h; i++) {
      const float *o = t->own + (size_t)i * 5;
      float *n = t->nrm + (size_t)i * 4;
      float a = o[3] > 0.0f ? o[3] : 1.0f;
      n[0] = o[0] / a, n[1] = o[1] / a, n[2] = o[2] / a, n[3] = o[4] / a;
    }
  }
  for (int l = nl - 2; l >= 0; l--) {
    /* the columns' coarse samples and weights, once for all rows */
    int *ix = bl_take(&st->scratch, sizeof(int) * 2 * (size_t)lv[l].w);
    float *tx = bl_take(&st->scratch, sizeof(float) * (size_t)lv[l].w);
    if (!ix || !tx) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for the lens blur fill");
    for (int x = 0; x < lv[l].w; x++)
      coarse_coord(x, lv[l + 1].w, &ix[2 * x], &ix[2 * x + 1], &tx[x]);
    job.l = l, job.pull = 0, job.ix = ix, job.tx = tx;
    dm_parallel(ctx, pp_run, &job);
  }

  if (reach >= 1e8f) return DM_OK; /* unbounded: no distances needed */
  reach_job rj = {out, own, hidden, NULL, beyond ? *beyond : NULL, NULL, reach * reach};
  if (beyond && *beyond) {
    dm_parallel_range(ctx, (size_t)w * h, reach_mark, &rj);
    return DM_OK;
  }
  /* how far each cell is from the layer's own pixels */
  float *g = bl_take(&st->scratch, sizeof(float) * (size_t)w * h);
  if (!g) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for the lens blur fill");
  rj.g = g;
  dm_parallel_range(ctx, (size_t)w * h, reach_seed, &rj);
  edt_job ej = {g, w, h, 0};
  dm_parallel(ctx, edt_columns, &ej);
  dm_parallel(ctx, edt_rows, &ej);
  if (ej.fail) {
    return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for the lens blur fill");
  }
  rj.far = beyond ? bl_alloc((size_t)w * h) : NULL;
  dm_parallel_range(ctx, (size_t)w * h, reach_mark, &rj);
  if (beyond) *beyond = rj.far; /* NULL when out of memory: worked out again next time */
  return DM_OK;
}

/* A cell is dead when it and its 8 neighbours (clamped at the borders)
 * are beyond: the 3x3 minimum, by rows then by columns. */
typedef struct dead_job {
  bl_slice *s;
  uint8_t *across;
  int pass;
} dead_job;

static void dead_rows(void *user, int ith, int nth) {
  const dead_job *j = user;
  const bl_slice *s = j->s;
  int w = s->fw, h = s->fh, y0, y1;
  dm_split_rows(h, ith, nth, &y0, &y1);
  for (int y = y0; y < y1; y++) {
    uint8_t *o = (j->pass ? s->dead : j->across) + (size_t)y * w;
    if (!j->pass) {
      const uint8_t *b = s->beyond + (size_t)y * w;
      for (int x = 0; x < w; x++) o[x] = b[x] & b[x > 0 ? x - 1 : 0] & b[x + 1 < w ? x + 1 : w - 1];
      continue;
    }
    const uint8_t *u = j->across + (size_t)(y > 0 ? y - 1 : 0) * w, *m = j->across + (size_t)y * w;
    const uint8_t *d = j->across + (size_t)(y + 1 < h ? y + 1 : h - 1) * w;
    for (int x = 0; x < w; x++) o[x] = u[x] & m[x] & d[x];
  }
}

void bl_fill_dead(dm_context *ctx, bl_slice *s) {
  if (s->dead || !s->beyond) return;
  s->dead = bl_alloc((size_t)s->fw * s->fh);
  dead_job j = {s, bl_alloc((size_t)s->fw * s->fh), 0};
  if (!s->dead || !j.across) { /* then every pixel asks bl_fill_at, as without it */
    bl_free(s->dead), bl_free(j.across);
    s->dead = NULL;
    return;
  }
  dm_parallel(ctx, dead_rows, &j); /* the minimum across, */
  j.pass = 1;
  dm_parallel(ctx, dead_rows, &j); /* then down */
  bl_free(j.across);
}
