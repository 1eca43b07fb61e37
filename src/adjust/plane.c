/* Analysis planes: allocation, threaded row loops, O(1)-per-pixel box
 * filters by running sums, the guided filter, and the low-res -> full-size
 * lookup grid. Used by the base/detail split and by dehaze. */
#include <stdlib.h>
#include <string.h>

#include "adjust/adjust_op.h"
#include "core/pool.h"

dm_status dm_adj_plane_alloc(dm_context *ctx, dm_adj_plane *pl, int w, int h) {
  pl->w = w;
  pl->h = h;
  pl->p = malloc((size_t)w * (size_t)h * sizeof(float));
  if (!pl->p) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for a %dx%d analysis plane", w, h);
  return DM_OK;
}

void dm_adj_plane_free(dm_adj_plane *pl) {
  free(pl->p);
  pl->p = NULL;
}

typedef struct {
  dm_adj_rows_fn fn;
  void *user;
  int h;
} rows_job;

static void rows_main(void *user, int ith, int nth) {
  rows_job *j = user;
  int y0, y1;
  dm_split_rows(j->h, ith, nth, &y0, &y1);
  if (y1 > y0) j->fn(j->user, y0, y1);
}

void dm_adj_parallel_rows(dm_context *ctx, int h, dm_adj_rows_fn fn, void *user) {
  rows_job j = {fn, user, h};
  dm_parallel(ctx, rows_main, &j);
}

/* ---- box filter ---------------------------------------------------------- */

typedef struct {
  const dm_adj_plane *src;
  dm_adj_plane *dst;
  float *acc; /* one running sum per column (vertical pass) */
  int r;
} box_job;

/* Number of samples of [i - r, i + r] inside [0, n). */
static inline int window_count(int i, int r, int n) {
  int lo = i - r < 0 ? 0 : i - r;
  int hi = i + r > n - 1 ? n - 1 : i + r;
  return hi - lo + 1;
}

/* Running sums along up to 4 rows at once: the rows' dependency chains
 * are independent, so the CPU overlaps them. */
static void box_rows_n(const box_job *j, int y, int nr) {
  int w = j->src->w, r = j->r;
  const float *s[4];
  float *d[4];
  double sum[4];
  for (int k = 0; k < nr; k++) {
    s[k] = dm_adj_prow(j->src, y + k);
    d[k] = dm_adj_prow(j->dst, y + k);
    sum[k] = 0;
    for (int x = 0; x <= r && x < w; x++) sum[k] += s[k][x];
  }
  for (int x = 0; x < w; x++) {
    double inv = 1.0 / window_count(x, r, w);
    int add = x + r + 1 < w, sub = x - r >= 0;
    for (int k = 0; k < nr; k++) {
      d[k][x] = (float)(sum[k] * inv);
      if (add) sum[k] += s[k][x + r + 1];
      if (sub) sum[k] -= s[k][x - r];
    }
  }
}

static void box_rows(void *user, int y0, int y1) {
  box_job *j = user;
  for (int y = y0; y < y1; y += 4) box_rows_n(j, y, y1 - y < 4 ? y1 - y : 4);
}

/* Columns are split across threads; each column's running sum walks down
 * the rows in the same order whatever the split, so results do not depend
 * on the thread count. The sums are float (four columns per SSE
 * instruction); planes here are at most a few thousand rows and the guided
 * filter centres its inputs, so the drift stays far below its eps. */
static void box_cols(void *user, int ith, int nth) {
  box_job *j = user;
  int w = j->src->w, h = j->src->h, r = j->r;
  int x0, x1;
  dm_split_rows(w, ith, nth, &x0, &x1);
  if (x1 <= x0) return;
  float *acc = j->acc;
  for (int x = x0; x < x1; x++) acc[x] = 0;
  for (int k = 0; k <= r && k < h; k++) {
    const float *s = dm_adj_prow(j->src, k);
    for (int x = x0; x < x1; x++) acc[x] += s[x];
  }
  for (int y = 0; y < h; y++) {
    float inv = 1.0f / (float)window_count(y, r, h);
    float *d = dm_adj_prow(j->dst, y);
    const float *add = y + r + 1 < h ? dm_adj_prow(j->src, y + r + 1) : NULL;
    const float *sub = y - r >= 0 ? dm_adj_prow(j->src, y - r) : NULL;
    for (int x = x0; x < x1; x++) d[x] = acc[x] * inv;
    if (add)
      for (int x = x0; x < x1; x++) acc[x] += add[x];
    if (sub)
      for (int x = x0; x < x1; x++) acc[x] -= sub[x];
  }
}

/* dst = box(src); tmp is a plane of the same size, acc holds w floats. */
static void box(dm_context *ctx, const dm_adj_plane *src, dm_adj_plane *dst, int r, dm_adj_plane *tmp,
                float *acc) {
  box_job rows = {src, tmp, NULL, r};
  dm_adj_parallel_rows(ctx, src->h, box_rows, &rows);
  box_job cols = {tmp, dst, acc, r};
  dm_parallel(ctx, box_cols, &cols);
}

/* ---- guided filter ------------------------------------------------------- */

/* Scratch planes: means of I, of the centred products, of p, and the box
 * filter's own. */
enum { G_MI, G_MII, G_TMP, G_MP, G_MIP, G_NSCRATCH };

typedef struct {
  const dm_adj_plane *I, *p;
  dm_adj_plane *sc, *a, *b;
  float eps, ci, cp; /* centring constants: variances from small numbers */
  int self, step;
} guided_job;

static void guided_rows(void *user, int y0, int y1) {
  guided_job *j = user;
  size_t w = (size_t)j->I->w;
  float ci = j->ci, cp = j->cp;
  for (int y = y0; y < y1; y++) {
    size_t o = (size_t)y * w;
    const float *I = j->I->p + o, *p = j->p->p + o;
    if (j->step == 0) { /* centred products, into the outputs used as scratch */
      float *ii = j->a->p + o, *ip = j->b->p + o;
      for (size_t x = 0; x < w; x++) ii[x] = (I[x] - ci) * (I[x] - ci);
      if (!j->self)
        for (size_t x = 0; x < w; x++) ip[x] = (I[x] - ci) * (p[x] - cp);
    } else { /* coefficients, written over the means they come from */
      float *mI = j->sc[G_MI].p + o, *mII = j->sc[G_MII].p + o;
      float *mP = j->self ? mI : j->sc[G_MP].p + o;
      float *mIP = j->self ? mII : j->sc[G_MIP].p + o;
      for (size_t x = 0; x < w; x++) {
        float di = mI[x] - ci, dp = mP[x] - cp;
        float var = dm_adj_maxf(mII[x] - di * di, 0.0f);
        float cov = j->self ? var : mIP[x] - di * dp;
        float a = cov / (var + j->eps);
        float b = mP[x] - a * mI[x];
        mI[x] = a;  /* mI becomes a */
        mII[x] = b; /* mII becomes b */
      }
    }
  }
}

dm_status dm_adj_guided(dm_context *ctx, const dm_adj_plane *I, const dm_adj_plane *p, int r,
                        float eps, dm_adj_plane *a, dm_adj_plane *b) {
  int self = p == I, nsc = self ? G_MP : G_NSCRATCH;
  size_t n = (size_t)I->w * (size_t)I->h;
  /* One block for every scratch plane and the column sums. */
  float *acc = malloc(((size_t)I->w + (size_t)nsc * n) * sizeof(float));
  if (!acc) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for a %dx%d guided filter", I->w, I->h);
  dm_adj_plane sc[G_NSCRATCH];
  for (int k = 0; k < nsc; k++) sc[k] = (dm_adj_plane){acc + I->w + (size_t)k * n, I->w, I->h};
  /* Centre on the middle sample: any typical value will do. */
  size_t mid = (size_t)(I->h / 2) * (size_t)I->w + (size_t)(I->w / 2);
  guided_job j = {I, p, sc, a, b, eps, I->p[mid], p->p[mid], self, 0};
  dm_adj_parallel_rows(ctx, I->h, guided_rows, &j); /* a, b = centred products */
  box(ctx, I, &sc[G_MI], r, &sc[G_TMP], acc);
  box(ctx, a, &sc[G_MII], r, &sc[G_TMP], acc);
  if (!self) {
    box(ctx, p, &sc[G_MP], r, &sc[G_TMP], acc);
    box(ctx, b, &sc[G_MIP], r, &sc[G_TMP], acc);
  }
  j.step = 1;
  dm_adj_parallel_rows(ctx, I->h, guided_rows, &j); /* raw a, b */
  box(ctx, &sc[G_MI], a, r, &sc[G_TMP], acc);
  box(ctx, &sc[G_MII], b, r, &sc[G_TMP], acc);
  free(acc);
  return DM_OK;
}

/* ---- low-res lookup grid -------------------------------------------------- */

dm_status dm_adj_grid_init(dm_context *ctx, dm_adj_grid *g, int width, int height, int s) {
  g->s = s;
  g->lw = (width + s - 1) / s;
  g->lh = (height + s - 1) / s;
  g->xi = malloc((size_t)width * sizeof *g->xi);
  g->xf = malloc((size_t)width * sizeof *g->xf);
  if (!g->xi || !g->xf) {
    dm_adj_grid_free(g);
    return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for a lookup grid");
  }
  for (int x = 0; x < width; x++) {
    float u = ((float)x + 0.5f) / (float)s - 0.5f;
    if (u < 0) u = 0;
    if (u > (float)(g->lw - 1)) u = (float)(g->lw - 1);
    g->xi[x] = (int)u;
    g->xf[x] = u - (float)g->xi[x];
  }
  return DM_OK;
}

void dm_adj_grid_free(dm_adj_grid *g) {
  free(g->xi);
  free(g->xf);
  g->xi = NULL;
  g->xf = NULL;
}
