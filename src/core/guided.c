/* The guided filter (He, Sun & Tang 2010/2013) and its fast upsampling
 * variant (He & Sun 2015).
 *
 * In each window the output is fitted as q = a . I + b to the input p:
 *   a = (Sigma + eps Id)^-1 cov(I, p),  b = mean(p) - a . mean(I),
 * with Sigma the guide's (co)variance in the window (3x3 for a colour
 * guide, solved per pixel). The a, b of all windows covering a pixel are
 * averaged and applied to its guide value. Both averaging steps are box
 * means (core/box.h); the first streams the 4 or 13 products I, p, I p,
 * I I^T of each row without storing them as planes. */
#include <math.h>
#include <stdlib.h>

#include "core/box.h"
#include "core/guided.h"
#include "core/pool.h"
#include "core/resample.h"

typedef struct {
  const dm_image *guide; /* 1 or 3 channels */
  const dm_image *src;   /* 1 channel */
  double eps;
  int gc;                /* guide channels */
  dm_image *ab;          /* gc + 1 channels: a (gc values), b */
} fit_job;

/* Quantities per pixel: I (gc), p, I p (gc), then the upper triangle of
 * I I^T, side by side in the box's stride. */
static int fit_k(int gc) { return gc == 1 ? 4 : 13; }

static void fit_row_in(void *user, int y, double *v) {
  const fit_job *j = user;
  const int w = j->src->width;
  const float *g = dm_row(j->guide, y), *p = dm_row(j->src, y);
  if (j->gc == 1) {
    for (int x = 0; x < w; x++) {
      const double i = g[x], s = p[x];
      double *o = v + (size_t)dm_box_stride(fit_k(1)) * x;
      o[0] = i, o[1] = s, o[2] = i * s, o[3] = i * i;
    }
    return;
  }
  for (int x = 0; x < w; x++) {
    const double r = g[3 * x], gr = g[3 * x + 1], bl = g[3 * x + 2], s = p[x];
    double *o = v + (size_t)dm_box_stride(fit_k(3)) * x;
    o[0] = r, o[1] = gr, o[2] = bl, o[3] = s;
    o[4] = r * s, o[5] = gr * s, o[6] = bl * s;
    o[7] = r * r, o[8] = r * gr, o[9] = r * bl;
    o[10] = gr * gr, o[11] = gr * bl, o[12] = bl * bl;
  }
}

static void fit_row_out(void *user, int y, const double *m) {
  const fit_job *j = user;
  const int w = j->src->width;
  float *ab = dm_row(j->ab, y);
  const double eps = j->eps;
  if (j->gc == 1) {
    for (int x = 0; x < w; x++) {
      const double *o = m + (size_t)dm_box_stride(fit_k(1)) * x;
      const double mi = o[0], mp = o[1];
      const double cov = o[2] - mi * mp, var = o[3] - mi * mi;
      const double a = cov / ((var > 0 ? var : 0) + eps);
      ab[2 * x] = (float)a;
      ab[2 * x + 1] = (float)(mp - a * mi);
    }
    return;
  }
  for (int x = 0; x < w; x++) {
    const double *o = m + (size_t)dm_box_stride(fit_k(3)) * x;
    const double mr = o[0], mg = o[1], mb = o[2], mp = o[3];
    const double cr = o[4] - mr * mp, cg = o[5] - mg * mp, cb = o[6] - mb * mp;
    /* Sigma + eps Id, symmetric: [s00 s01 s02; s01 s11 s12; s02 s12 s22]. */
    const double s00 = o[7] - mr * mr + eps, s01 = o[8] - mr * mg, s02 = o[9] - mr * mb;
    const double s11 = o[10] - mg * mg + eps, s12 = o[11] - mg * mb;
    const double s22 = o[12] - mb * mb + eps;
    /* Inverse by the adjugate; the matrix is positive definite (>= eps Id)
     * up to rounding, so the determinant is >= eps^3 > 0. */
    const double i00 = s11 * s22 - s12 * s12, i01 = s02 * s12 - s01 * s22, i02 = s01 * s12 - s02 * s11;
    const double i11 = s00 * s22 - s02 * s02, i12 = s01 * s02 - s00 * s12, i22 = s00 * s11 - s01 * s01;
    double det = s00 * i00 + s01 * i01 + s02 * i02;
    if (!(det > eps * eps * eps)) det = eps * eps * eps;
    const double ar = (i00 * cr + i01 * cg + i02 * cb) / det;
    const double ag = (i01 * cr + i11 * cg + i12 * cb) / det;
    const double abl = (i02 * cr + i12 * cg + i22 * cb) / det;
    float *d = ab + 4 * x;
    d[0] = (float)ar;
    d[1] = (float)ag;
    d[2] = (float)abl;
    d[3] = (float)(mp - ar * mr - ag * mg - abl * mb);
  }
}

/* Second averaging: the means of the a, b planes, either applied to the
 * guide (the plain filter) or stored (upsampling applies them later). */
typedef struct {
  const dm_image *ab;    /* gc + 1 channels */
  const dm_image *guide; /* NULL: store the means in `out` (gc + 1 channels) */
  dm_image *out;
  int gc;
} apply_job;

static void ab_row_in(void *user, int y, double *v) {
  const apply_job *j = user;
  const int w = j->ab->width, n = j->gc + 1;
  const size_t S = (size_t)dm_box_stride(n);
  const float *ab = dm_row(j->ab, y);
  for (int x = 0; x < w; x++)
    for (int c = 0; c < n; c++) v[S * x + c] = ab[n * x + c];
}

static void ab_row_out(void *user, int y, const double *m) {
  const apply_job *j = user;
  const int w = j->ab->width, n = j->gc + 1;
  const size_t S = (size_t)dm_box_stride(n);
  float *o = dm_row(j->out, y);
  if (!j->guide) {
    for (int x = 0; x < w; x++)
      for (int c = 0; c < n; c++) o[n * x + c] = (float)m[S * x + c];
    return;
  }
  const float *g = dm_row(j->guide, y);
  for (int x = 0; x < w; x++) {
    const double *mx = m + S * x;
    double q = mx[j->gc];
    for (int c = 0; c < j->gc; c++) q += mx[c] * g[j->gc * x + c];
    o[x] = (float)q;
  }
}

static dm_status check_args(dm_context *ctx, const dm_image *guide, const dm_image *src, int radius,
                            float eps, int same_size) {
  if (guide->channels != 1 && guide->channels != 3)
    return dm_fail(ctx, DM_ERR_PARAM, "guided filter", "the guide has %d channels, not 1 or 3",
                   guide->channels);
  if (src->channels != 1)
    return dm_fail(ctx, DM_ERR_PARAM, "guided filter", "the input has %d channels, not 1", src->channels);
  if (guide->width <= 0 || guide->height <= 0 || src->width <= 0 || src->height <= 0)
    return dm_fail(ctx, DM_ERR_PARAM, "guided filter", "empty image");
  if (same_size && (src->width != guide->width || src->height != guide->height))
    return dm_fail(ctx, DM_ERR_PARAM, "guided filter", "input %dx%d is not the guide's size %dx%d",
                   src->width, src->height, guide->width, guide->height);
  if (!same_size && (src->width > guide->width || src->height > guide->height))
    return dm_fail(ctx, DM_ERR_PARAM, "guided upsampling", "input %dx%d is larger than the guide %dx%d",
                   src->width, src->height, guide->width, guide->height);
  if (radius < 0 || radius > DM_MAX_DIM)
    return dm_fail(ctx, DM_ERR_RANGE, "guided filter", "radius %d out of range", radius);
  if (!(eps > 0) || !isfinite(eps))
    return dm_fail(ctx, DM_ERR_RANGE, "guided filter", "eps %g must be positive", (double)eps);
  return DM_OK;
}

/* The averaged coefficients (gc + 1 channels, src's size) of guide -> src. */
static dm_status fit_means(dm_context *ctx, const dm_image *guide, const dm_image *src, int radius,
                           float eps, dm_image *means, const dm_image *apply_to, dm_image *out) {
  const int gc = guide->channels, w = src->width, h = src->height;
  dm_image ab = {0};
  dm_status s = dm_image_alloc(ctx, &ab, w, h, gc + 1);
  if (s) return s;
  fit_job f = {.guide = guide, .src = src, .eps = eps, .gc = gc, .ab = &ab};
  dm_box_stream b1 = {.width = w, .height = h, .k = fit_k(gc), .radius = radius,
                      .row_in = fit_row_in, .row_out = fit_row_out, .user = &f};
  s = dm_box_means(ctx, &b1);
  if (!s) {
    apply_job a = {.ab = &ab, .guide = apply_to, .out = apply_to ? out : means, .gc = gc};
    dm_box_stream b2 = {.width = w, .height = h, .k = gc + 1, .radius = radius,
                        .row_in = ab_row_in, .row_out = ab_row_out, .user = &a};
    s = dm_box_means(ctx, &b2);
  }
  dm_image_free(&ab);
  return s;
}

dm_status dm_guided_filter(dm_context *ctx, const dm_image *guide, const dm_image *src, int radius,
                           float eps, dm_image *out) {
  dm_status s = check_args(ctx, guide, src, radius, eps, 1);
  if (s) return s;
  s = dm_image_alloc(ctx, out, src->width, src->height, 1);
  if (s) return s;
  s = fit_means(ctx, guide, src, radius, eps, NULL, guide, out);
  if (s) dm_image_free(out);
  return s;
}

/* Bilinear position on pixel centres, as dm_resize_plane grows a plane. */
static void centre_weight(int i, double scale, int n, int *j0, float *fr) {
  double s = (i + 0.5) * scale - 0.5;
  if (s < 0) s = 0;
  if (s > n - 1) s = n - 1;
  *j0 = (int)floor(s);
  if (*j0 > n - 2) *j0 = n > 1 ? n - 2 : 0;
  *fr = n > 1 ? (float)(s - *j0) : 0.0f;
}

typedef struct {
  const dm_image *guide, *means; /* means: gc + 1 channels at low resolution */
  dm_image *out;
  const int *x0;
  const float *xf;
  int gc;
  float *rows; /* per thread: two rows of means lerped along x, planar */
} up_job;

/* Output rows between the same two rows of means share their lerps along
 * x, so each thread keeps the last two (about six output rows a pair at
 * 24 MP); each coefficient is still top + fy·(bottom − top) of the same
 * lerps, then the fit applied in channel order. */
static void upsample_rows(void *user, int ith, int nth) {
  up_job *j = user;
  const int n = j->gc + 1, gc = j->gc, lh = j->means->height, W = j->out->width;
  const double sy = (double)lh / j->out->height;
  float *top = j->rows + (size_t)ith * 2 * n * W, *bot = top + (size_t)n * W;
  int have = -1; /* the means row that top holds */
  int y0, y1;
  dm_split_rows(j->out->height, ith, nth, &y0, &y1);
  for (int y = y0; y < y1; y++) {
    int r0;
    float fy;
    centre_weight(y, sy, lh, &r0, &fy);
    const int r1 = lh > 1 ? r0 + 1 : r0;
    if (have != r0) {
      if (have >= 0 && have + 1 == r0 && lh > 1) { /* the old bottom is the new top */
        float *t = top;
        top = bot, bot = t;
      } else
        dm_lerp_row_x(dm_row(j->means, r0), n, j->means->width, j->x0, j->xf, W, top);
      dm_lerp_row_x(dm_row(j->means, r1), n, j->means->width, j->x0, j->xf, W, bot);
      have = r0;
    }
    const float *g = dm_row(j->guide, y);
    float *o = dm_row(j->out, y);
    if (gc == 3)
      for (int x = 0; x < W; x++) {
        float q = top[3 * W + x] + fy * (bot[3 * W + x] - top[3 * W + x]);
        q += (top[x] + fy * (bot[x] - top[x])) * g[3 * x];
        q += (top[W + x] + fy * (bot[W + x] - top[W + x])) * g[3 * x + 1];
        q += (top[2 * W + x] + fy * (bot[2 * W + x] - top[2 * W + x])) * g[3 * x + 2];
        o[x] = q;
      }
    else
      for (int x = 0; x < W; x++) {
        float q = top[gc * W + x] + fy * (bot[gc * W + x] - top[gc * W + x]);
        for (int c = 0; c < gc; c++) q += (top[c * W + x] + fy * (bot[c * W + x] - top[c * W + x])) * g[gc * x + c];
        o[x] = q;
      }
  }
}

dm_status dm_guided_upsample(dm_context *ctx, const dm_image *guide, const dm_image *src_low,
                             int radius, float eps, dm_image *out) {
  dm_status s = check_args(ctx, guide, src_low, radius, eps, 0);
  if (s) return s;
  const int gc = guide->channels, lw = src_low->width, lh = src_low->height;
  const int W = guide->width, H = guide->height;
  dm_image small = {0}, means = {0};
  int *x0 = NULL;
  float *xf = NULL;
  /* The guide brought to src_low's size by area averaging. */
  s = dm_image_alloc(ctx, &small, lw, lh, gc);
  if (!s) s = dm_resize_plane(ctx, guide, &small, 0, "guided upsampling");
  /* The radius in low-resolution pixels (at least 1: a window of one pixel fits nothing). */
  const double scale = 0.5 * ((double)lw / W + (double)lh / H);
  int rlow = (int)lround(radius * scale);
  if (rlow < 1) rlow = 1;
  if (!s) s = dm_image_alloc(ctx, &means, lw, lh, gc + 1);
  if (!s) s = fit_means(ctx, &small, src_low, rlow, eps, &means, NULL, NULL);
  dm_image_free(&small);
  const int nt = ctx->n_threads > 1 ? ctx->n_threads : 1;
  float *rows = NULL;
  if (!s) {
    x0 = malloc((size_t)W * sizeof *x0);
    xf = malloc((size_t)W * sizeof *xf);
    rows = malloc((size_t)nt * 2 * (size_t)(gc + 1) * (size_t)W * sizeof *rows);
    if (!x0 || !xf || !rows) s = dm_fail(ctx, DM_ERR_NOMEM, "guided upsampling", "out of memory");
  }
  if (!s) s = dm_image_alloc(ctx, out, W, H, 1);
  if (!s) {
    for (int x = 0; x < W; x++) centre_weight(x, (double)lw / W, lw, &x0[x], &xf[x]);
    up_job u = {.guide = guide, .means = &means, .out = out, .x0 = x0, .xf = xf, .gc = gc, .rows = rows};
    dm_parallel(ctx, upsample_rows, &u);
  }
  free(rows);
  free(x0);
  free(xf);
  dm_image_free(&means);
  return s;
}
