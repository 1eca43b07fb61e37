/* Aperture shapes as scatter kernels.
 *
 * A shape is described once, at unit size, by its chord at each height:
 * the left and right ends xl(y), xr(y) of the horizontal cut through it
 * (every shape here is convex, so a cut is one interval). Circles and
 * straight or curved blades are scaled to the area of the unit disc, so a
 * polygonal aperture of f-number N passes as much light as a round one and
 * its area-equivalent diameter is the CoC. Rings and bubbles are a disc
 * minus a smaller disc, with weights.
 *
 * For each tabulated radius ρ the kernel is a list of rows; row dy covers
 * the strip [dy − ½, dy + ½] of the shape scaled by ρ, and is stored as the
 * span [mean xl, mean xr] over that strip carrying the strip's exact area.
 * So a small CoC keeps its true size and mass (ρ < ½ is the identity), and
 * a large one is an anti-aliased disc or polygon. Each span becomes four
 * taps of a row-difference buffer (scatter.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "blur/blur_internal.h"

#define PROF_N 4096   /* heights tabulated per profile */
#define PROF_BOUND 2048 /* vertices of the sampled outline */

typedef struct profile {
  float ymin, ymax;            /* extent in y at unit size (after area scaling) */
  double cl[PROF_N], cr[PROF_N]; /* running integrals of xl and xr from ymin */
} profile;

/* Radius of the outline at angle th (unit circumradius). */
static double outline(const dm_lens_blur *p, int polygon, double th) {
  if (!polygon) return 1.0;
  int n = (int)p->blades;
  double seg = 2.0 * M_PI / n;
  /* rotation 0 puts a vertex at the top */
  double rel = th - (p->blade_rotation * M_PI / 180.0 + M_PI / 2.0);
  rel = fmod(rel, seg);
  if (rel < 0) rel += seg;
  double flat = cos(M_PI / n) / cos(rel - seg / 2.0);
  double c = p->blade_curvature / 100.0;
  return (1.0 - c) * flat + c;
}

static int profile_build(const dm_lens_blur *p, int polygon, profile *pr) {
  double *bx = malloc(sizeof(double) * PROF_BOUND), *by = malloc(sizeof(double) * PROF_BOUND);
  double *xl = malloc(sizeof(double) * PROF_N), *xr = malloc(sizeof(double) * PROF_N);
  if (!bx || !by || !xl || !xr) {
    bl_free(bx), bl_free(by), bl_free(xl), bl_free(xr);
    return 0;
  }
  double ymin = 1e9, ymax = -1e9, area = 0.0;
  for (int i = 0; i < PROF_BOUND; i++) {
    double th = 2.0 * M_PI * i / PROF_BOUND, r = outline(p, polygon, th);
    bx[i] = r * cos(th);
    by[i] = -r * sin(th); /* image rows grow downwards */
    if (by[i] < ymin) ymin = by[i];
    if (by[i] > ymax) ymax = by[i];
  }
  for (int i = 0; i < PROF_BOUND; i++) {
    int j = (i + 1) % PROF_BOUND;
    area += bx[i] * by[j] - bx[j] * by[i];
  }
  area = fabs(area) / 2.0;
  if (!polygon) area = M_PI; /* the sampled circle is a hair smaller */
  double scale = sqrt(M_PI / area);
  /* chords at PROF_N heights spanning [ymin, ymax]: the circle's exact,
   * a polygon's where its outline crosses each height. Each edge visits
   * only the heights its y-range can hold (a margin of two for rounding,
   * the exact test deciding), not all PROF_N: the same crossings as
   * testing every edge at every height, at 1/1000 of the cost (that scan
   * was a quarter of a small render's CPU, for every render). */
  for (int k = 0; k < PROF_N; k++) xl[k] = 1e9, xr[k] = -1e9;
  for (int i = 0; polygon && i < PROF_BOUND; i++) {
    int j = (i + 1) % PROF_BOUND;
    double y0 = by[i], y1 = by[j];
    double t0 = ((y0 < y1 ? y0 : y1) - ymin) / (ymax - ymin) * PROF_N - 0.5;
    double t1 = ((y0 < y1 ? y1 : y0) - ymin) / (ymax - ymin) * PROF_N - 0.5;
    int k0 = t0 < 2.0 ? 0 : (int)t0 - 2, k1 = t1 > PROF_N - 3.0 ? PROF_N - 1 : (int)t1 + 2;
    for (int k = k0; k <= k1; k++) {
      double y = ymin + (ymax - ymin) * (k + 0.5) / PROF_N;
      if ((y0 <= y && y < y1) || (y1 <= y && y < y0)) {
        double x = bx[i] + (y - y0) / (y1 - y0) * (bx[j] - bx[i]);
        if (x < xl[k]) xl[k] = x;
        if (x > xr[k]) xr[k] = x;
      }
    }
  }
  for (int k = 0; k < PROF_N; k++) {
    double y = ymin + (ymax - ymin) * (k + 0.5) / PROF_N;
    if (xr[k] < xl[k]) xl[k] = xr[k] = 0.0;
    if (!polygon) { /* exact chord for the circle */
      double c = 1.0 - y * y;
      xr[k] = c > 0 ? sqrt(c) : 0.0;
      xl[k] = -xr[k];
    }
  }
  /* running integrals of xl and xr up to each cell's upper edge, in scaled
   * units (cl[k] = integral from ymin to the end of cell k) */
  double dy = (ymax - ymin) / PROF_N * scale;
  pr->ymin = (float)(ymin * scale);
  pr->ymax = (float)(ymax * scale);
  double accl = 0.0, accr = 0.0;
  for (int k = 0; k < PROF_N; k++) {
    accl += xl[k] * scale * dy;
    accr += xr[k] * scale * dy;
    pr->cl[k] = accl;
    pr->cr[k] = accr;
  }
  bl_free(bx), bl_free(by), bl_free(xl), bl_free(xr);
  return 1;
}

/* Integral of xl (or xr) from ymin to y, y in scaled units. */
static double prof_int(const profile *pr, const double *c, double y) {
  double t = (y - pr->ymin) / (pr->ymax - pr->ymin) * PROF_N; /* edges 0..PROF_N */
  if (t <= 0.0) return 0.0;
  if (t >= PROF_N) return c[PROF_N - 1];
  int i = (int)t;
  double f = t - i;
  double lo = i > 0 ? c[i - 1] : 0.0;
  return lo + f * (c[i] - lo);
}

/* A component of a kernel: the profile scaled by sigma with weight wt per
 * unit area. */
typedef struct comp {
  const profile *pr;
  double sigma, wt;
} comp;

/* Spans of one kernel of radius rho; returns their count (<= max). */
static int kernel_spans(const comp *cs, int nc, double rho, bl_span *out, int max, int *reach) {
  int n = 0, rmax = 0;
  double ext = 0.0;
  for (int c = 0; c < nc; c++) {
    double e = cs[c].sigma * fmax(fabs(cs[c].pr->ymin), fabs(cs[c].pr->ymax));
    if (e > ext) ext = e;
  }
  int R = (int)ceil(rho * ext + 0.5);
  double mass = 0.0;
  for (int dy = -R; dy <= R; dy++) {
    for (int c = 0; c < nc; c++) {
      const profile *pr = cs[c].pr;
      double sg = cs[c].sigma;
      /* strip in the unit profile's coordinates */
      double u0 = (dy - 0.5) / (rho * sg), u1 = (dy + 0.5) / (rho * sg);
      if (u0 < pr->ymin) u0 = pr->ymin;
      if (u1 > pr->ymax) u1 = pr->ymax;
      if (!(u1 > u0 + 1e-12)) continue;
      double ml = (prof_int(pr, pr->cl, u1) - prof_int(pr, pr->cl, u0)) / (u1 - u0);
      double mr = (prof_int(pr, pr->cr, u1) - prof_int(pr, pr->cr, u0)) / (u1 - u0);
      double a = rho * sg * ml, b = rho * sg * mr;
      if (!(b > a)) continue;
      double hfrac = rho * sg * (u1 - u0); /* fraction of the row inside the strip */
      double d = hfrac * cs[c].wt;
      if (n >= max) return -1;
      out[n].dy = (int16_t)dy;
      out[n].a = (float)a;
      out[n].b = (float)b;
      out[n].d = (float)d;
      mass += d * (b - a);
      n++;
      if (abs(dy) > rmax) rmax = abs(dy);
    }
  }
  for (int i = 0; i < n; i++) out[i].d = (float)(out[i].d / mass);
  *reach = rmax;
  return n;
}

static int span_taps(const bl_span *s, bl_tap *t) {
  double xa = s->a + 0.5, xb = s->b + 0.5;
  double ia = floor(xa), ib = floor(xb);
  double fa = xa - ia, fb = xb - ib;
  float w[4] = {(float)(s->d * (1.0 - fa)), (float)(s->d * fa), (float)(-s->d * (1.0 - fb)),
                (float)(-s->d * fb)};
  int dx[2] = {(int)ia, (int)ib}, n = 0;
  for (int i = 0; i < 2; i++) {
    if (w[2 * i] == 0.0f && w[2 * i + 1] == 0.0f) continue;
    t[n].dy = s->dy;
    t[n].dx = (int16_t)dx[i];
    t[n].w0 = w[2 * i], t[n].w1 = w[2 * i + 1];
    n++;
  }
  return n;
}

void bl_kernels_free(bl_kernels *k) {
  bl_free(k->span0);
  bl_free(k->tap0);
  bl_free(k->reach);
  bl_free(k->spans);
  bl_free(k->taps);
  memset(k, 0, sizeof *k);
}

dm_status bl_kernels_build(dm_context *ctx, const dm_lens_blur *p, bl_kernels *k) {
  memset(k, 0, sizeof *k);
  int shape = (int)p->bokeh;
  profile *pr = malloc(sizeof *pr);
  if (!pr || !profile_build(p, shape == DM_BOKEH_BLADES, pr)) {
    bl_free(pr);
    return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for the bokeh kernels");
  }
  comp cs[2] = {{pr, 1.0, 1.0}, {pr, 1.0, 0.0}};
  int nc = 1;
  if (shape == DM_BOKEH_RING) { /* a donut: the inner 60 % is dark */
    cs[1].sigma = 0.6, cs[1].wt = -1.0;
    nc = 2;
  } else if (shape == DM_BOKEH_BUBBLE) { /* 40 % flat disc + 60 % thin bright rim */
    double rim = 1.0 / (1.0 - 0.8 * 0.8);
    cs[0].wt = 0.4 + 0.6 * rim;
    cs[1].sigma = 0.8, cs[1].wt = -0.6 * rim;
    nc = 2;
  }
  k->nq = BL_R0 * BL_Q + 1;
  k->cat_eye = p->cat_eye / 100.0f;
#if defined(__x86_64__) && defined(__GNUC__)
  k->avx = __builtin_cpu_supports("avx");
#endif
  int max_rows = 2 * BL_REACH + 3, max_spans_q = max_rows * nc;
  k->span0 = malloc(sizeof(int) * (k->nq + 1));
  k->tap0 = malloc(sizeof(int) * (k->nq + 1));
  k->reach = malloc(sizeof(int) * k->nq);
  k->spans = malloc(sizeof(bl_span) * (size_t)k->nq * max_spans_q);
  k->taps = malloc(sizeof(bl_tap) * (size_t)k->nq * max_spans_q * 2);
  if (!k->span0 || !k->tap0 || !k->reach || !k->spans || !k->taps) {
    bl_free(pr);
    bl_kernels_free(k);
    return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for the bokeh kernels");
  }
  int ns = 0, nt = 0;
  for (int q = 0; q < k->nq; q++) {
    double rho = q == 0 ? 0.01 : (double)q / BL_Q;
    k->span0[q] = ns;
    k->tap0[q] = nt;
    int n = kernel_spans(cs, nc, rho, k->spans + ns, max_spans_q, &k->reach[q]);
    if (n < 0) {
      bl_free(pr);
      bl_kernels_free(k);
      return dm_fail(ctx, DM_ERR_INTERNAL, NULL, "bokeh kernel of radius %g has too many rows", rho);
    }
    for (int i = 0; i < n; i++) nt += span_taps(&k->spans[ns + i], k->taps + nt);
    ns += n;
  }
  k->span0[k->nq] = ns;
  k->tap0[k->nq] = nt;
  bl_free(pr);
  return DM_OK;
}
