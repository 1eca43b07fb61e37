/* The guided filter against a naive O(r^2) double-precision reference on
 * real photo crops (grey and colour guides, windows clipped at the borders,
 * radii beyond the image), edge preservation, independence from the thread
 * count, and the fast guided upsampling of a 4x-subsampled plane. */
#include <math.h>
#include <string.h>

#include "core/guided.h"
#include "core/resample.h"
#include "dm_test.h"
#include "io/io.h"

/* Mean of the window of radius r around (x, y), clipped, of f(x, y). */
typedef double (*pixel_fn)(const void *u, int x, int y);

static double window_mean(pixel_fn f, const void *u, int w, int h, int x, int y, int r) {
  double s = 0;
  int n = 0;
  for (int yy = y - r; yy <= y + r; yy++)
    for (int xx = x - r; xx <= x + r; xx++)
      if (xx >= 0 && yy >= 0 && xx < w && yy < h) {
        s += f(u, xx, yy);
        n++;
      }
  return s / n;
}

typedef struct {
  const dm_image *g, *p;
  int i, j; /* which product: -1 means "1", 3 means p */
  const double *plane; /* for the second averaging */
} prod;

static double value(const prod *q, int k, int x, int y) {
  if (k < 0) return 1;
  if (k == 3) return *dm_px(q->p, x, y);
  return *(dm_px(q->g, x, y) + k);
}
static double prod_at(const void *u, int x, int y) {
  const prod *q = u;
  return value(q, q->i, x, y) * value(q, q->j, x, y);
}
static double plane_at(const void *u, int x, int y) {
  const prod *q = u;
  return q->plane[(size_t)y * q->p->width + x];
}

/* Solve the n x n system A x = b by Gaussian elimination with pivoting. */
static void solve(int n, double A[3][3], double b[3], double x[3]) {
  for (int c = 0; c < n; c++) {
    int piv = c;
    for (int r = c + 1; r < n; r++)
      if (fabs(A[r][c]) > fabs(A[piv][c])) piv = r;
    for (int k = 0; k < n; k++) {
      double t = A[c][k];
      A[c][k] = A[piv][k];
      A[piv][k] = t;
    }
    double t = b[c];
    b[c] = b[piv];
    b[piv] = t;
    for (int r = c + 1; r < n; r++) {
      double f = A[r][c] / A[c][c];
      for (int k = c; k < n; k++) A[r][k] -= f * A[c][k];
      b[r] -= f * b[c];
    }
  }
  for (int c = n - 1; c >= 0; c--) {
    double s = b[c];
    for (int k = c + 1; k < n; k++) s -= A[c][k] * x[k];
    x[c] = s / A[c][c];
  }
}

/* The textbook guided filter, straight from the definition. */
static void naive_guided(const dm_image *g, const dm_image *p, int r, double eps, double *q) {
  const int w = p->width, h = p->height, n = g->channels;
  double *coef = malloc((size_t)w * h * 4 * sizeof *coef);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      double mi[3], cov[3], A[3][3], a[3] = {0};
      prod q1 = {.g = g, .p = p, .i = 3, .j = -1};
      double mp = window_mean(prod_at, &q1, w, h, x, y, r);
      for (int i = 0; i < n; i++) {
        prod qi = {.g = g, .p = p, .i = i, .j = -1};
        mi[i] = window_mean(prod_at, &qi, w, h, x, y, r);
      }
      for (int i = 0; i < n; i++) {
        prod qp = {.g = g, .p = p, .i = i, .j = 3};
        cov[i] = window_mean(prod_at, &qp, w, h, x, y, r) - mi[i] * mp;
        for (int j = 0; j < n; j++) {
          prod qq = {.g = g, .p = p, .i = i, .j = j};
          A[i][j] = window_mean(prod_at, &qq, w, h, x, y, r) - mi[i] * mi[j] + (i == j ? eps : 0);
        }
      }
      solve(n, A, cov, a);
      double b = mp;
      for (int i = 0; i < n; i++) b -= a[i] * mi[i];
      double *c = coef + ((size_t)y * w + x) * 4;
      for (int i = 0; i < 3; i++) c[i] = i < n ? a[i] : 0;
      c[3] = b;
    }
  double *plane = malloc((size_t)w * h * sizeof *plane);
  for (int k = 0; k < n + 1; k++) {
    int ck = k < n ? k : 3;
    for (size_t i = 0; i < (size_t)w * h; i++) plane[i] = coef[i * 4 + ck];
    prod pl = {.g = g, .p = p, .plane = plane};
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        double m = window_mean(plane_at, &pl, w, h, x, y, r);
        if (k == 0) q[(size_t)y * w + x] = 0;
        q[(size_t)y * w + x] += k < n ? m * *(dm_px(g, x, y) + k) : m;
      }
  }
  free(plane);
  free(coef);
}

static double max_diff_to(const dm_image *out, const double *ref) {
  double mx = 0;
  for (int y = 0; y < out->height; y++)
    for (int x = 0; x < out->width; x++) {
      double d = fabs(dm_row(out, y)[x] - ref[(size_t)y * out->width + x]);
      if (!(d <= mx)) mx = d; /* NaN counts as huge */
    }
  return mx;
}

/* A mask-like plane from the photo: soft threshold of its red channel. */
static void soft_threshold(const dm_image *rgb, dm_image *p) {
  for (int y = 0; y < rgb->height; y++)
    for (int x = 0; x < rgb->width; x++) {
      double v = (dm_px(rgb, x, y)[0] - 0.45) * 6 + 0.5;
      *dm_px(p, x, y) = (float)(v < 0 ? 0 : v > 1 ? 1 : v);
    }
}

static void grey_of(dm_context *ctx, const dm_image *rgb, dm_image *grey) {
  const float w[3] = {0.2126f, 0.7152f, 0.0722f};
  CHECK_OK(ctx, dm_grey_plane(ctx, rgb, w, grey));
}

static void check_against_reference(dm_context *ctx, dm_context *ctx3, const dm_image *photo, int x0,
                                    int y0, int w, int h) {
  dm_image crop = dm_image_view(photo, x0, y0, w, h); /* a view: stride > width * 3 */
  dm_image grey = {0}, p = {0};
  grey_of(ctx, &crop, &grey);
  CHECK_OK(ctx, dm_image_alloc(ctx, &p, w, h, 1));
  soft_threshold(&crop, &p);
  const int radii[] = {1, 4, 9, 60};
  const float epss[] = {1e-2f, 1e-3f, 1e-4f};
  double *ref = malloc((size_t)w * h * sizeof *ref);
  for (int gi = 0; gi < 2; gi++)
    for (int ri = 0; ri < 4; ri++) {
      const int r = radii[ri];
      const float eps = epss[ri % 3];
      const dm_image *g = gi ? &crop : &grey;
      if (r == 60 && w * h > 2000) continue; /* the reference is O(r^2) */
      dm_image out = {0}, out3 = {0};
      CHECK_OK(ctx, dm_guided_filter(ctx, g, &p, r, eps, &out));
      CHECK_OK(ctx3, dm_guided_filter(ctx3, g, &p, r, eps, &out3));
      naive_guided(g, &p, r, eps, ref);
      double d = max_diff_to(&out, ref);
      printf("guide %d ch, %dx%d, r %d, eps %g: max |fast - naive| = %.3g\n", g->channels, w, h, r,
             (double)eps, d);
      CHECK(d < 1e-5); /* float output of double sums: measured < 1e-7 */
      /* The same bits whatever the thread count. */
      double mean_abs, max_abs;
      dm_test_image_diff(&out, &out3, &mean_abs, &max_abs);
      CHECK(max_abs == 0);
      dm_image_free(&out);
      dm_image_free(&out3);
    }
  free(ref);
  dm_image_free(&grey);
  dm_image_free(&p);
}

/* A step in the guide stays a step: src and guide share an edge at x = 40
 * (the guide also carries the photo's texture); a box blur of the same
 * radius would smear it over 2r+1 pixels. */
static void check_edge(dm_context *ctx, const dm_image *photo) {
  const int w = 80, h = 60, edge = 40, r = 8;
  dm_image g = {0}, p = {0}, out = {0};
  CHECK_OK(ctx, dm_image_alloc(ctx, &g, w, h, 3));
  CHECK_OK(ctx, dm_image_alloc(ctx, &p, w, h, 1));
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      const float *s = dm_px(photo, 200 + x, 300 + y);
      for (int c = 0; c < 3; c++) dm_px(&g, x, y)[c] = 0.2f * s[c] + (x >= edge ? 0.7f : 0.0f);
      *dm_px(&p, x, y) = x >= edge ? 1.0f : 0.0f;
    }
  CHECK_OK(ctx, dm_guided_filter(ctx, &g, &p, r, 1e-3f, &out));
  double worst_left = 0, worst_right = 1;
  for (int y = 0; y < h; y++) {
    float l = dm_row(&out, y)[edge - 1], rr = dm_row(&out, y)[edge];
    if (l > worst_left) worst_left = l;
    if (rr < worst_right) worst_right = rr;
  }
  printf("edge: worst value left of the step %.4f, right of it %.4f\n", worst_left, worst_right);
  CHECK(worst_left < 0.1);
  CHECK(worst_right > 0.9);
  /* Control: with a huge eps the filter is a box blur and smears the step. */
  dm_image_free(&out);
  CHECK_OK(ctx, dm_guided_filter(ctx, &g, &p, r, 1e3f, &out));
  printf("edge with eps 1e3 (box blur): %.4f left of the step\n", (double)dm_row(&out, 30)[edge - 1]);
  CHECK(dm_row(&out, 30)[edge - 1] > 0.3);
  dm_image_free(&g);
  dm_image_free(&p);
  dm_image_free(&out);
}

/* Fast guided upsampling of a plane subsampled 4x (area), against plain
 * bilinear growth of the same low-resolution plane. */
static void check_upsample(dm_context *ctx, const dm_image *photo) {
  const int W = photo->width, H = photo->height;
  dm_image p = {0}, low = {0}, up = {0}, bil = {0}, same = {0}, filt = {0};
  CHECK_OK(ctx, dm_image_alloc(ctx, &p, W, H, 1));
  soft_threshold(photo, &p);
  CHECK_OK(ctx, dm_image_alloc(ctx, &low, W / 4, H / 4, 1));
  CHECK_OK(ctx, dm_resize_plane(ctx, &p, &low, 0, "low"));
  CHECK_OK(ctx, dm_image_alloc(ctx, &bil, W, H, 1));
  CHECK_OK(ctx, dm_resize_plane(ctx, &low, &bil, 0, "bilinear"));
  CHECK_OK(ctx, dm_guided_upsample(ctx, photo, &low, 4, 1e-4f, &up));
  CHECK(up.width == W && up.height == H && up.channels == 1);
  double e_up, e_bil, mx;
  dm_test_image_diff(&up, &p, &e_up, &mx);
  dm_test_image_diff(&bil, &p, &e_bil, &mx);
  printf("4x upsampling, mean |error|: guided %.4f, bilinear %.4f\n", e_up, e_bil);
  CHECK(e_up < 0.75 * e_bil); /* measured 0.64 */
  /* At the same size the upsampling is the plain filter. */
  CHECK_OK(ctx, dm_guided_upsample(ctx, photo, &p, 4, 1e-3f, &same));
  CHECK_OK(ctx, dm_guided_filter(ctx, photo, &p, 4, 1e-3f, &filt));
  double mean_abs, max_abs;
  dm_test_image_diff(&same, &filt, &mean_abs, &max_abs);
  CHECK(max_abs < 1e-5);
  dm_image_free(&p);
  dm_image_free(&low);
  dm_image_free(&up);
  dm_image_free(&bil);
  dm_image_free(&same);
  dm_image_free(&filt);
}

static void check_errors(dm_context *ctx, const dm_image *photo) {
  dm_image p = {0}, out = {0}, two = dm_image_view(photo, 0, 0, 10, 10);
  CHECK_OK(ctx, dm_image_alloc_zero(ctx, &p, 10, 10, 1));
  two.channels = 2;
  CHECK(dm_guided_filter(ctx, &two, &p, 2, 1e-3f, &out) == DM_ERR_PARAM);
  dm_image g = dm_image_view(photo, 0, 0, 10, 10);
  CHECK(dm_guided_filter(ctx, &g, &p, 2, 0.0f, &out) == DM_ERR_RANGE);
  CHECK(dm_guided_filter(ctx, &g, &p, -1, 1e-3f, &out) == DM_ERR_RANGE);
  dm_image g9 = dm_image_view(photo, 0, 0, 9, 10);
  CHECK(dm_guided_filter(ctx, &g9, &p, 2, 1e-3f, &out) == DM_ERR_PARAM);
  CHECK(dm_guided_upsample(ctx, &g9, &p, 2, 1e-3f, &out) == DM_ERR_PARAM);
  CHECK(strstr(dm_context_error(ctx), "guided") != NULL);
  dm_image_free(&p);
}

int main(void) {
  dm_context *ctx = dm_context_new(1), *ctx3 = dm_context_new(3);
  dm_decoded d = {0};
  CHECK_OK(ctx, dm_io_read(ctx, dm_test_photo("astronaut"), &d));
  if (d.img.channels == 3) {
    check_against_reference(ctx, ctx3, &d.img, 180, 60, 96, 80);  /* face and helmet edge */
    check_against_reference(ctx, ctx3, &d.img, 0, 0, 37, 29);     /* a corner, r beyond the crop */
    check_edge(ctx3, &d.img);
    check_upsample(ctx3, &d.img);
    check_errors(ctx, &d.img);
  } else {
    CHECK(d.img.channels == 3);
  }
  dm_decoded_free(&d);
  dm_context_free(ctx);
  dm_context_free(ctx3);
  return dm_test_done("core/guided");
}
