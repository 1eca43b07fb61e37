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
#include <emmintrin.h>
#include <math.h>
#include <stdatomic.h>
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
    for (int x = 0; x < l->w; x++, o += 5, n += 4) {
      const float *a = r0 + 4 * ix[2 * x], *b = r0 + 4 * ix[2 * x + 1];
      const float *c = r1 + 4 * ix[2 * x], *d = r1 + 4 * ix[2 * x + 1];
      float t = tx[x], cov = o[3] < 1.0f ? o[3] : 1.0f, rest = 1.0f - cov;
      for (int i = 0; i < 4; i++) {
        float u = (1 - ty) * ((1 - t) * a[i] + t * b[i]) + ty * ((1 - t) * c[i] + t * d[i]);
        float own = i < 3 ? o[i] : o[4];
        n[i] = own + rest * u; /* own is premultiplied by its coverage */
      }
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

/* ---- per-slice inputs --------------------------------------------------- */

/* A slice's layer on a level-L grid. Fill grids (full-resolution slices)
 * average each 2^L block (box); coarse slices, whose cells are scattered
 * as points, use a tent over the neighbouring cells instead, which keeps
 * the centroid of sparse content (a small light) where it is rather than
 * at its block's centre. Per cell: premultiplied R, G, B, coverage a, r·a,
 * the hidden fraction, and the part of it that is soft subject right in
 * front of this layer. */
/* Source row y of a cell row, as the passes read it. */
typedef struct own_src {
  int y;
  size_t r0;                      /* its first pixel's index */
  const uint8_t *sid, *m8, *bid;  /* m8, bid NULL without a matte */
  const float *in, *rad;
} own_src;

/* What a pass does with one source row (saying whether it added to the
 * sums), and then with the cell row's sums (ay: the cell row's weight
 * along y). */
typedef struct own_job own_job;
typedef int (*own_row_fn)(own_job *j, float *acc, const own_src *r); /* 1: it added something */
typedef void (*own_cells_fn)(own_job *j, const float *acc, int cy, float ay);

struct own_job {
  bl_state *st;
  int k, level, fw, fh, tent;
  int cx0, cy0;     /* the grid's first cell (a fill window's), 0 for tent grids */
  int xa, xb;       /* the source columns that feed it */
  float *own, *hidden;
  const float *geo; /* a plan's: per cell a, r·a, hidden fractions; then colours alone */
  const int *col0;  /* per column x, with a tent: its first cell and the next one's weight */
  const float *colt;
  const float *wx;  /* per cell column: the sum of its weights along x (axis_weight) */
  atomic_int nomem; /* a thread found no memory for its sums */
  own_row_fn row;   /* the pass: own_row and own_cells, or colour_row and colour_cells */
  own_cells_fn cells;
};

/* The tent's first cell and the next one's weight for column x (the same
 * for every row: tabulated once per slice in col0/colt). */
static void tent_column(int x, int level, int fw, int *c0, float *t) {
  float fx = (x + 0.5f) / (float)(1 << level) - 0.5f;
  int cx = (int)floorf(fx);
  *t = fx - cx;
  if (cx < 0) cx = 0, *t = 0.0f;
  if (cx >= fw - 1) cx = fw - 1, *t = 0.0f;
  *c0 = cx;
}

/* Column x of a row on the level grid: the (up to) two cells it feeds and
 * their weights. */
static inline int cells_of(const own_job *j, int x, int *c0, float *w0, float *w1) {
  if (!j->tent) {
    *c0 = (x >> j->level) - j->cx0, *w0 = 1.0f, *w1 = 0.0f;
    return 1;
  }
  const float t = j->colt[x];
  *c0 = j->col0[x], *w0 = 1.0f - t, *w1 = t;
  return t > 0.0f ? 2 : 1;
}

/* The tent's weight of cell c (of ncells, 2^level pixels each) for pixel
 * p, with the clamping at the borders cells_of uses. */
static float tent_weight(int p, int c, int level, int ncells) {
  int cc;
  float t;
  tent_column(p, level, ncells, &cc, &t);
  return cc == c ? 1.0f - t : (cc + 1 == c ? t : 0.0f);
}

/* Sum of the weights cell c gets along one axis of n pixels. */
static float axis_weight(const own_job *j, int c, int n, int ncells) {
  int B = 1 << j->level;
  if (!j->tent) return (float)((c + 1) * B < n ? B : n - c * B);
  float sum = 0.0f;
  for (int p = c * B - B; p < (c + 2) * B; p++)
    if (p >= 0 && p < n) sum += tent_weight(p, c, j->level, ncells);
  return sum;
}

/* The photo's rows [*ya, *yb) that feed cell row cy. */
static void cell_rows(const own_job *j, int cy, int *ya, int *yb) {
  int B = 1 << j->level;
  cy += j->cy0;
  int a = j->tent ? cy * B - B / 2 : cy * B, b = j->tent ? (cy + 1) * B + B / 2 : (cy + 1) * B;
  *ya = a < 0 ? 0 : a, *yb = b > j->st->h ? j->st->h : b;
}

/* A thread's sums of n cell rows: 7 a cell (R G B a ra hidden behind), or
 * NULL with j->nomem set. */
static float *own_sums(own_job *j, int n) {
  float *acc = malloc(sizeof(float) * 7 * (size_t)j->fw * n);
  if (!acc) atomic_store(&j->nomem, 1);
  return acc;
}

static own_src src_row(const bl_state *st, int y) {
  own_src r = {.y = y, .r0 = (size_t)y * st->w};
  r.sid = st->sid + r.r0, r.m8 = st->m8 ? st->m8 + r.r0 : NULL;
  r.bid = st->bid ? st->bid + r.r0 : NULL;
  r.in = dm_row(st->in, y), r.rad = st->rad + r.r0;
  return r;
}

/* Box cells: each source row feeds one cell row, given to `row` whole. */
static void box_walk(own_job *j, int y0, int y1) {
  const bl_state *st = j->st;
  float *acc = own_sums(j, 1);
  if (!acc) return;
  for (int cy = y0; cy < y1; cy++) {
    memset(acc, 0, sizeof(float) * 7 * (size_t)j->fw);
    int ya, yb;
    cell_rows(j, cy, &ya, &yb);
    for (int y = ya; y < yb; y++) {
      own_src r = src_row(st, y);
      j->row(j, acc, &r);
    }
    j->cells(j, acc, cy, axis_weight(j, cy + j->cy0, st->h, j->fh));
  }
  bl_free(acc);
}

/* Tent cells: a source row feeds two cell rows. It is summed along x once
 * (the tent across columns) and added to both with its weights in y, so
 * each pixel is read once (the rows at the ends of a thread's block twice). */
static void tent_walk(own_job *j, int y0, int y1) {
  const bl_state *st = j->st;
  const size_t n = 7 * (size_t)j->fw;
  float *acc = own_sums(j, 3);
  if (!acc) return;
  float *cur = acc, *next = acc + n, *rs = acc + 2 * n; /* cell rows cy and cy + 1 */
  memset(acc, 0, sizeof(float) * 3 * n);
  int ya, yb, la, lb, cy = y0;
  cell_rows(j, y0, &ya, &yb);
  cell_rows(j, y1 - 1, &la, &lb);
  for (int y = ya; y < lb; y++) {
    /* its weights in cell rows cy and cy + 1 (tent grids start at cell 0) */
    float w0 = tent_weight(y, cy, j->level, j->fh);
    float w1 = cy + 1 < y1 ? tent_weight(y, cy + 1, j->level, j->fh) : 0.0f;
    own_src r = src_row(st, y);
    if ((w0 > 0.0f || w1 > 0.0f) && j->row(j, rs, &r)) { /* rs is zero between rows */
      for (size_t i = 0; w0 > 0.0f && i < n; i++) cur[i] += w0 * rs[i];
      for (size_t i = 0; w1 > 0.0f && i < n; i++) next[i] += w1 * rs[i];
      memset(rs, 0, sizeof(float) * n);
    }
    for (;;) { /* the cell rows this row completes */
      int a, b;
      cell_rows(j, cy, &a, &b);
      if (cy >= y1 || y + 1 < b) break;
      j->cells(j, cur, cy, axis_weight(j, cy + j->cy0, st->h, j->fh));
      float *t = cur;
      cur = next, next = t;
      memset(next, 0, sizeof(float) * n);
      cy++;
    }
  }
  bl_free(acc);
}

/* A run of cell rows [y0, y1) (own_pass): their source rows given to the
 * pass's row, then each cell row's sums to its cells. */
static void own_walk(void *user, size_t y0, size_t y1) {
  own_job *j = user;
  if (j->tent) tent_walk(j, (int)y0, (int)y1);
  else box_walk(j, (int)y0, (int)y1);
}

/* Own pixel x of row sr: its colour (premultiplied by its coverage on the
 * soft edge), coverage and |CoC radius|. */
static inline void own_content(const bl_state *st, int k, const own_src *sr, int x, float v[4],
                               float *r) {
  if (sr->m8 && bl_soft(sr->m8[x], sr->bid[x])) {
    bl_content(st, k, x, sr->y, BL_OWN, sr->in + 3 * x, v, r);
  } else {
    bl_boosted(st, sr->r0 + x, sr->in + 3 * x, sr->rad[x], v);
    v[3] = 1.0f;
    *r = fabsf(sr->rad[x]);
  }
}

/* The first x >= x at or below candidate c in sid (xb when none): the
 * pixels of further slices, most of a near slice's window, give nothing. */
static inline int next_at_or_below(const uint8_t *sid, int x, int xb, int c) {
  const __m128i cv = _mm_set1_epi8((char)c);
  while (x + 16 <= xb) {
    const __m128i v = _mm_loadu_si128((const __m128i *)(sid + x));
    const int m = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(v, cv), v));
    if (m) return x + __builtin_ctz((unsigned)m);
    x += 16;
  }
  while (x < xb && sid[x] > c) x++;
  return x;
}

/* A row's hidden fractions (acc slots 5 and 6) of the cell the last hidden
 * pixel fed and of the next one, held in registers while the pixels stay
 * in that cell: each slot still gets its additions in pixel order (own
 * pixels add to other slots), without a store and reload per pixel. */
typedef struct hidden_sums {
  float *at; /* the cell's slots in acc, NULL when none is held */
  int next;  /* the next cell's slots (at[7], at[8]) are held too */
  float h0, h1, n0, n1;
} hidden_sums;

static inline void hidden_put(hidden_sums *h) {
  if (!h->at) return;
  h->at[5] = h->h0, h->at[6] = h->h1;
  if (h->next) h->at[12] = h->n0, h->at[13] = h->n1;
  h->at = NULL;
}

static inline void hidden_take(hidden_sums *h, float *a, int next) {
  if (h->at == a && h->next >= next) return;
  hidden_put(h);
  h->at = a, h->next = next;
  h->h0 = a[5], h->h1 = a[6];
  if (next) h->n0 = a[12], h->n1 = a[13];
}

/* The first pass's row: own pixels' colour, coverage and r·coverage, nearer
 * pixels' hidden fractions. */
static int own_row(own_job *j, float *acc, const own_src *sr) {
  const bl_state *st = j->st;
  const int c = st->slices[j->k].cand;
  const uint8_t *sid = sr->sid, *m8 = sr->m8, *bid = sr->bid;
  int any = 0;
  hidden_sums h = {0};
  if (!j->tent) { /* the common case: box cells, own pixels inline */
    for (int x = next_at_or_below(sid, j->xa, j->xb, c); x < j->xb; x = next_at_or_below(sid, x + 1, j->xb, c)) {
      const int s = sid[x];
      if (s < c && bl_past_behind(st, sr->r0 + x, c)) continue; /* nothing of this slice */
      float *a = acc + 7 * (size_t)((x >> j->level) - j->cx0);
      if (s < c) {
        hidden_take(&h, a, 0);
        h.h0 += 1.0f;
        if (bid && bid[x] == c && bl_soft(m8[x], bid[x])) h.h1 += 1.0f;
        continue;
      }
      float v[4], r;
      own_content(st, j->k, sr, x, v, &r);
      a[0] += v[0], a[1] += v[1], a[2] += v[2], a[3] += v[3], a[4] += v[3] * r;
    }
    hidden_put(&h);
    return 1; /* the sums are the row's cells' own: nothing to skip */
  }
  for (int x = next_at_or_below(sid, j->xa, j->xb, c); x < j->xb; x = next_at_or_below(sid, x + 1, j->xb, c)) {
    const int s = sid[x];
    if (s < c && bl_past_behind(st, sr->r0 + x, c)) continue;
    int c0;
    float w0, w1;
    int n = cells_of(j, x, &c0, &w0, &w1);
    float *a = acc + 7 * (size_t)c0;
    any = 1;
    if (s < c) { /* hidden: only its two fractions are not zero */
      int soft_behind = bid && bid[x] == c && bl_soft(m8[x], bid[x]);
      hidden_take(&h, a, n == 2);
      h.h0 += w0;
      if (soft_behind) h.h1 += w0;
      if (n == 2) {
        h.n0 += w1;
        if (soft_behind) h.n1 += w1;
      }
      continue;
    }
    float v[4], r;
    own_content(st, j->k, sr, x, v, &r);
    const float u[5] = {v[0], v[1], v[2], v[3], v[3] * r};
    for (int i = 0; i < 5; i++) a[i] += w0 * u[i];
    if (n == 2)
      for (int i = 0; i < 5; i++) a[7 + i] += w1 * u[i];
  }
  hidden_put(&h);
  return any;
}

static void own_cells(own_job *j, const float *acc, int cy, float ay) {
  for (int cx = 0; cx < j->fw; cx++) {
    float inv = 1.0f / (j->wx[cx] * ay);
    const float *a = acc + 7 * (size_t)cx;
    float *d = j->own + ((size_t)cy * j->fw + cx) * 5, *hd = j->hidden + 2 * ((size_t)cy * j->fw + cx);
    for (int i = 0; i < 5; i++) d[i] = a[i] * inv;
    hd[0] = a[5] * inv, hd[1] = a[6] * inv;
  }
}

/* With the slice's geometry known (a plan's, from an earlier image): only
 * its own pixels' colours are summed, every other pixel is one byte read;
 * coverage, r·a and the hidden fractions come from `geo`. The sums are
 * those of the first pass, so the result is the same bit for bit. */
static int colour_row(own_job *j, float *acc, const own_src *sr) {
  const bl_state *st = j->st;
  const int c = st->slices[j->k].cand;
  int any = 0;
  for (int x = j->xa; x < j->xb; x++) {
    if (sr->sid[x] != c) continue;
    float v[4], r;
    own_content(st, j->k, sr, x, v, &r);
    int c0;
    float w0, w1;
    int n = cells_of(j, x, &c0, &w0, &w1);
    float *a = acc + 7 * (size_t)c0;
    a[0] += w0 * v[0], a[1] += w0 * v[1], a[2] += w0 * v[2];
    if (n == 2) a[7] += w1 * v[0], a[8] += w1 * v[1], a[9] += w1 * v[2];
    any = 1;
  }
  return any;
}

static void colour_cells(own_job *j, const float *acc, int cy, float ay) {
  for (int cx = 0; cx < j->fw; cx++) {
    float inv = 1.0f / (j->wx[cx] * ay);
    const float *a = acc + 7 * (size_t)cx, *g = j->geo + ((size_t)cy * j->fw + cx) * 4;
    float *d = j->own + ((size_t)cy * j->fw + cx) * 5, *hd = j->hidden + 2 * ((size_t)cy * j->fw + cx);
    d[0] = a[0] * inv, d[1] = a[1] * inv, d[2] = a[2] * inv, d[3] = g[0], d[4] = g[1];
    hd[0] = g[2], hd[1] = g[3];
  }
}

/* Run j's pass (j->row, j->cells) on every thread, its column tables made
 * once first, in the scratch arena (they live as long as own). A slice's
 * content lies where the photo puts it, so equal shares of rows are not
 * equal work: the threads take runs of cell rows as each finishes its
 * last. A cell row sums the same pixel rows in the same order whichever
 * run it is in, so the result does not depend on who took what; eight runs
 * a thread keep the rows read twice (a tent's overlap at each run's start)
 * to a few per cent. */
static dm_status own_pass(bl_state *st, own_job *j) {
  float *wx = bl_take(&st->scratch, sizeof(float) * (size_t)j->fw);
  int *c0 = j->tent ? bl_take(&st->scratch, sizeof(int) * (size_t)st->w) : NULL;
  float *t = j->tent ? bl_take(&st->scratch, sizeof(float) * (size_t)st->w) : NULL;
  if (!wx || (j->tent && (!c0 || !t)))
    return dm_fail(st->ctx, DM_ERR_NOMEM, NULL, "out of memory for the lens blur layers");
  for (int x = 0; j->tent && x < st->w; x++) tent_column(x, j->level, j->fw, &c0[x], &t[x]);
  j->col0 = c0, j->colt = t;
  for (int cx = 0; cx < j->fw; cx++) wx[cx] = axis_weight(j, cx + j->cx0, st->w, j->fw);
  int B = 1 << j->level;
  j->xa = j->cx0 * B, j->xb = (j->cx0 + j->fw) * B < st->w ? (j->cx0 + j->fw) * B : st->w;
  j->wx = wx;
  atomic_init(&j->nomem, 0);
  dm_parallel_runs(st->ctx, (size_t)j->fh, 8, own_walk, j);
  if (atomic_load(&j->nomem))
    return dm_fail(st->ctx, DM_ERR_NOMEM, NULL, "out of memory for the lens blur layers");
  return DM_OK;
}

/* A plan's geometry of the slice's cells: coverage, r·coverage and the
 * two hidden fractions (what colour_row and colour_cells read back). */
static void keep_geometry(void *user, size_t i0, size_t i1) {
  const own_job *j = user;
  float *geo = j->st->slices[j->k].geo;
  for (size_t i = i0; i < i1; i++) {
    float *g = geo + 4 * i;
    g[0] = j->own[5 * i + 3], g[1] = j->own[5 * i + 4];
    g[2] = j->hidden[2 * i], g[3] = j->hidden[2 * i + 1];
  }
}

dm_status bl_slice_own(bl_state *st, int k, int level, float **own, float **hidden, int *fw,
                       int *fh) {
  int B = 1 << level;
  bl_slice *sl = &st->slices[k];
  /* a full-resolution slice's grid is its fill's: the cells of its window */
  int cx0 = 0, cy0 = 0, cx1 = (st->w + B - 1) / B, cy1 = (st->h + B - 1) / B;
  if (sl->level == 0) {
    cx0 = sl->win[0] / B, cy0 = sl->win[2] / B;
    cx1 = (sl->win[1] + B - 1) / B, cy1 = (sl->win[3] + B - 1) / B;
  }
  sl->fx0 = cx0, sl->fy0 = cy0;
  *fw = cx1 - cx0;
  *fh = cy1 - cy0;
  size_t n = (size_t)*fw * *fh;
  *own = bl_take(&st->scratch, sizeof(float) * 5 * n);
  *hidden = bl_take(&st->scratch, sizeof(float) * 2 * n);
  if (!*own || !*hidden) return dm_fail(st->ctx, DM_ERR_NOMEM, NULL, "out of memory for the lens blur layers");
  own_job j = {.st = st, .k = k, .level = level, .fw = *fw, .fh = *fh, .tent = sl->level > 0,
               .cx0 = cx0, .cy0 = cy0, .own = *own, .hidden = *hidden, .geo = sl->geo};
  j.row = sl->geo ? colour_row : own_row;
  j.cells = sl->geo ? colour_cells : own_cells;
  if (sl->geo) return own_pass(st, &j);
  dm_status s = own_pass(st, &j);
  if (s) return s;
  if (st->planned) { /* the next image sums only colours */
    sl->geo = malloc(sizeof(float) * 4 * n);
    if (sl->geo) dm_parallel_range(st->ctx, n, keep_geometry, &j);
  }
  return DM_OK;
}

/* bl_slice_behind in two passes over the soft pixels' list, both on every
 * thread: the content each gives the slice (the costly part: the matte's
 * split and the fill behind it), by list entries; then the sums, by rows
 * of cells, each thread reading the whole list for its rows, so every cell
 * adds its pixels in list order, as one thread would. The slice's soft
 * pixels lie along part of the subject's outline: threads take runs of
 * the list as each finishes its last. */
typedef struct behind_job {
  const bl_state *st;
  int k, level, fw, fh;
  const float *wx, *wy;
  float *val;  /* per list entry: R, G, B, radius, and 1 when it gives anything */
  float *own, *hidden;
} behind_job;

static void behind_content(void *user, size_t n0, size_t n1) {
  behind_job *j = user;
  const bl_state *st = j->st;
  const int c = st->slices[j->k].cand;
  for (size_t n = n0; n < n1; n++) {
    const size_t i = st->soft[n];
    float *o = j->val + 5 * n, v[4], r;
    o[4] = 0.0f;
    if (st->bid[i] != c) continue;
    const int y = (int)(i / (size_t)st->w), x = (int)(i - (size_t)y * st->w);
    if (!bl_content(st, j->k, x, y, BL_BEHIND, dm_row(st->in, y) + 3 * x, v, &r)) continue;
    o[0] = v[0], o[1] = v[1], o[2] = v[2], o[3] = r, o[4] = 1.0f;
  }
}

static void behind_sums(void *user, int ith, int nth) {
  behind_job *j = user;
  const bl_state *st = j->st;
  int r0, r1; /* this thread's rows of cells */
  dm_split_rows(j->fh, ith, nth, &r0, &r1);
  for (size_t n = 0; n < st->n_soft; n++) {
    const float *o = j->val + 5 * n;
    if (o[4] == 0.0f) continue;
    const size_t i = st->soft[n];
    const int y = (int)(i / (size_t)st->w), x = (int)(i - (size_t)y * st->w);
    int cx0, cy0;
    float tx, ty;
    tent_column(y, j->level, j->fh, &cy0, &ty);
    if (cy0 + 1 < r0 || cy0 >= r1) continue;
    tent_column(x, j->level, j->fw, &cx0, &tx);
    const float val[5] = {o[0], o[1], o[2], 1.0f, o[3]}; /* and 1 out of the hidden fraction */
    for (int dy = 0; dy < 2; dy++) {
      const float a = dy ? ty : 1.0f - ty;
      const int cy = cy0 + dy;
      if (cy < r0 || cy >= r1) continue;
      for (int dx = 0; dx < 2 && a > 0.0f; dx++) {
        const float b = dx ? tx : 1.0f - tx;
        if (!(b > 0.0f)) continue;
        const int cx = cx0 + dx;
        const float w = a * b / (j->wx[cx] * j->wy[cy]);
        float *d = j->own + ((size_t)cy * j->fw + cx) * 5;
        for (int q = 0; q < 5; q++) d[q] += w * val[q];
        j->hidden[2 * ((size_t)cy * j->fw + cx)] -= w;
      }
    }
  }
}

dm_status bl_slice_behind(bl_state *st, int k, int level, float *own, float *hidden, int fw,
                          int fh) {
  const int c = st->slices[k].cand;
  if (!st->bid || !st->n_behind[c] || !st->n_soft) return DM_OK;
  /* only the soft pixels can give it anything: their list, not the photo */
  own_job oj = {.st = st, .k = k, .level = level, .fw = fw, .fh = fh, .tent = 1};
  float *wx = malloc(sizeof(float) * (size_t)(fw + fh)), *wy = wx ? wx + fw : NULL;
  float *val = bl_alloc(sizeof(float) * 5 * st->n_soft);
  if (!wx || !val) {
    bl_free(wx), bl_free(val);
    return dm_fail(st->ctx, DM_ERR_NOMEM, NULL, "out of memory for the lens blur layers");
  }
  for (int cx = 0; cx < fw; cx++) wx[cx] = axis_weight(&oj, cx, st->w, fw);
  for (int cy = 0; cy < fh; cy++) wy[cy] = axis_weight(&oj, cy, st->h, fh);
  behind_job j = {st, k, level, fw, fh, wx, wy, val, own, hidden};
  dm_parallel_runs(st->ctx, st->n_soft, 8, behind_content, &j);
  dm_parallel(st->ctx, behind_sums, &j);
  bl_free(wx), bl_free(val);
  return DM_OK;
}
