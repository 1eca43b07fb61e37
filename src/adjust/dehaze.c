/* Dehaze: dark-channel-prior haze removal (He, Sun & Tang) on a coarse
 * scale, with the transmission refined by a guided filter.
 *
 * Analysis (prepare, on the image as it is when dehaze's turn comes):
 * the image is averaged down so that the patch radius (1 % of the
 * diagonal) is ~4 low-res pixels; the dark channel is the patch minimum of
 * the per-pixel minimum channel; the airlight A is the mean colour of the
 * 0.1 % of cells with the highest dark channel; the haze density
 * d = patchmin(min_c I_c / A_c) is then refined by a guided filter whose
 * guide is sqrt(Y / Y_A), and its coefficients are applied at full size
 * with the full-size guide, so d follows the photo's edges.
 *
 * Per pixel, with st = value/100 x w:
 *   st > 0: t = max(1 - 0.95 min(st, 1) d, 0.2),  J = (I - A) / t + A
 *   st < 0: h = min(0.4 |st|, 0.9) (0.3 + 0.7 d),  J = (1 - h) I + h A
 * J can go negative where I was darker than the haze veil: those channels
 * are set to 0 (only where the input channel was >= 0). */
#include <stdlib.h>
#include <string.h>

#include "adjust/adjust_op.h"

#define PATCH_RADIUS 0.01f  /* of the diagonal */
#define LOWRES_RADIUS 4.0f  /* patch radius in low-res cells */
#define GUIDE_MUL 3         /* guided filter radius / patch radius */
#define GUIDE_EPS 1e-3f
#define OMEGA 0.95f         /* haze kept at +100 on the densest haze: 5 % */
#define T_MIN 0.2f          /* at most 5x contrast gain: limits noise */

typedef struct haze {
  float A[3], ya;
  dm_adj_grid grid;
  dm_adj_plane a, b;
} haze;

typedef struct {
  const dm_image *img;
  dm_adj_plane *rgb; /* 3 planes */
  int s;
} down_job;

static void down_rows(void *user, int i0, int i1) {
  down_job *j = user;
  const dm_image *img = j->img;
  int s = j->s, lw = j->rgb[0].w;
  for (int i = i0; i < i1; i++) {
    int ya = i * s, yb = ya + s < img->height ? ya + s : img->height;
    for (int jx = 0; jx < lw; jx++) {
      int xa = jx * s, xb = xa + s < img->width ? xa + s : img->width;
      float sum[3] = {0, 0, 0};
      for (int y = ya; y < yb; y++) {
        const float *p = dm_px(img, xa, y);
        for (int x = xa; x < xb; x++, p += 3)
          for (int c = 0; c < 3; c++) sum[c] += p[c];
      }
      float inv = 1.0f / (float)((xb - xa) * (yb - ya));
      for (int c = 0; c < 3; c++) dm_adj_prow(&j->rgb[c], i)[jx] = sum[c] * inv;
    }
  }
}

/* Separable minimum over (2r+1)^2 windows. r is a few low-res cells by
 * construction (the down-sampling factor grows with the patch), so the
 * direct loop costs O(1) per full-size pixel. */
static void min_filter(dm_adj_plane *pl, dm_adj_plane *tmp, int r) {
  int w = pl->w, h = pl->h;
  for (int y = 0; y < h; y++) {
    const float *s = dm_adj_prow(pl, y);
    float *d = dm_adj_prow(tmp, y);
    for (int x = 0; x < w; x++) {
      float m = s[x];
      for (int k = x - r < 0 ? 0 : x - r; k <= x + r && k < w; k++) m = dm_adj_minf(m, s[k]);
      d[x] = m;
    }
  }
  for (int y = 0; y < h; y++) {
    float *d = dm_adj_prow(pl, y);
    memcpy(d, dm_adj_prow(tmp, y), (size_t)w * sizeof *d);
    for (int k = y - r < 0 ? 0 : y - r; k <= y + r && k < h; k++) {
      const float *s = dm_adj_prow(tmp, k);
      for (int x = 0; x < w; x++) d[x] = dm_adj_minf(d[x], s[x]);
    }
  }
}

static int cmp_float(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

enum { P_R, P_G, P_B, P_DARK, P_TMP, P_GUIDE, P_N };

static dm_status estimate(dm_adj_run *run, haze *hz, dm_adj_plane *pl) {
  dm_context *ctx = run->ctx;
  const dm_image *img = run->img;
  float rp = PATCH_RADIUS * dm_adj_diag(&run->frame);
  int s = (int)(rp / LOWRES_RADIUS);
  if (s < 1) s = 1;
  int r = (int)lroundf(rp / (float)s);
  if (r < 1) r = 1;
  int lw = (img->width + s - 1) / s, lh = (img->height + s - 1) / s;
  size_t n = (size_t)lw * (size_t)lh;
  dm_status st = DM_OK;
  for (int k = 0; k < P_N && !st; k++) st = dm_adj_plane_alloc(ctx, &pl[k], lw, lh);
  if (!st) st = dm_adj_plane_alloc(ctx, &hz->a, lw, lh);
  if (!st) st = dm_adj_plane_alloc(ctx, &hz->b, lw, lh);
  if (!st) st = dm_adj_grid_init(ctx, &hz->grid, img->width, img->height, s);
  if (st) return st;
  down_job dj = {img, pl, s};
  dm_adj_parallel_rows(ctx, lh, down_rows, &dj);

  /* Airlight: mean colour of the haziest 0.1 % (by raw dark channel). */
  float *dark = pl[P_DARK].p;
  for (size_t i = 0; i < n; i++) dark[i] = dm_adj_minf(pl[P_R].p[i], dm_adj_minf(pl[P_G].p[i], pl[P_B].p[i]));
  min_filter(&pl[P_DARK], &pl[P_TMP], r);
  memcpy(pl[P_TMP].p, dark, n * sizeof(float));
  qsort(pl[P_TMP].p, n, sizeof(float), cmp_float);
  size_t top = n / 1000 > 0 ? n / 1000 : 1;
  float thr = pl[P_TMP].p[n - top];
  double sum[3] = {0, 0, 0};
  size_t cnt = 0;
  for (size_t i = 0; i < n; i++)
    if (dark[i] >= thr) {
      for (int c = 0; c < 3; c++) sum[c] += pl[c].p[i];
      cnt++;
    }
  for (int c = 0; c < 3; c++) hz->A[c] = fmaxf((float)(sum[c] / (double)cnt), 1e-4f);
  hz->ya = fmaxf(dm_luma(hz->A), 1e-4f);

  /* Haze density relative to the airlight, and the guide. */
  for (size_t i = 0; i < n; i++) {
    float rgb[3] = {pl[P_R].p[i], pl[P_G].p[i], pl[P_B].p[i]};
    float m = fminf(rgb[0] / hz->A[0], fminf(rgb[1] / hz->A[1], rgb[2] / hz->A[2]));
    dark[i] = dm_adj_clampf(m, 0.0f, 1.0f);
    pl[P_GUIDE].p[i] = sqrtf(dm_adj_clampf(dm_luma(rgb) / hz->ya, 0.0f, 4.0f));
  }
  min_filter(&pl[P_DARK], &pl[P_TMP], r);
  return dm_adj_guided(ctx, &pl[P_GUIDE], &pl[P_DARK], GUIDE_MUL * r, GUIDE_EPS, &hz->a, &hz->b);
}

static void release(dm_adj_run *run, dm_adjust_id id) {
  haze *hz = run->state[id];
  if (!hz) return;
  dm_adj_grid_free(&hz->grid);
  dm_adj_plane_free(&hz->a);
  dm_adj_plane_free(&hz->b);
  free(hz);
  run->state[id] = NULL;
}

static dm_status prepare(dm_adj_run *run, dm_adjust_id id, float value) {
  haze *hz = calloc(1, sizeof *hz);
  if (!hz) return dm_fail(run->ctx, DM_ERR_NOMEM, NULL, "out of memory");
  run->state[id] = hz;
  dm_adj_plane pl[P_N];
  memset(pl, 0, sizeof pl);
  dm_status st = estimate(run, hz, pl);
  for (int k = 0; k < P_N; k++) dm_adj_plane_free(&pl[k]);
  return st; /* on failure, release (called by the runner) frees hz */
}

static void span(const dm_adj_span *s, float value) {
  const haze *hz = s->run->state[s->id];
  int i0, i1;
  float fy;
  dm_adj_grid_row(&hz->grid, s->y, &i0, &i1, &fy);
  const float *a0 = dm_adj_prow(&hz->a, i0), *a1 = dm_adj_prow(&hz->a, i1);
  const float *b0 = dm_adj_prow(&hz->b, i0), *b1 = dm_adj_prow(&hz->b, i1);
  float unit = value / 100.0f;
  for (int i = 0; i < s->n; i++) {
    if (s->w[i] == 0.0f) continue;
    int x = s->x0 + i;
    float *p = s->rgb + 3 * i;
    float g = sqrtf(dm_adj_clampf(dm_luma(p) / hz->ya, 0.0f, 4.0f));
    float d = dm_adj_grid_at(&hz->grid, a0, a1, fy, x) * g + dm_adj_grid_at(&hz->grid, b0, b1, fy, x);
    d = dm_adj_clampf(d, 0.0f, 1.0f);
    float st = unit * s->w[i];
    if (st > 0.0f) {
      float t = dm_adj_maxf(1.0f - OMEGA * dm_adj_minf(st, 1.0f) * d, T_MIN);
      float inv = 1.0f / t;
      for (int c = 0; c < 3; c++) {
        float v = (p[c] - hz->A[c]) * inv + hz->A[c];
        p[c] = (p[c] >= 0.0f && v < 0.0f) ? 0.0f : v;
      }
    } else {
      float h = dm_adj_minf(-0.4f * st, 0.9f) * (0.3f + 0.7f * d);
      for (int c = 0; c < 3; c++) p[c] += h * (hz->A[c] - p[c]);
    }
  }
}

const dm_adj_op dm_adj_dehaze = {
    .param = DM_ADJ_SLIDER_100(DM_ADJ_DEHAZE, "dehaze", "Dehaze", "LocalDehaze",
                               "haze: positive removes it, negative adds it"),
    .domain = DM_ADJ_RGB,
    .barrier = 1,
    .prepare = prepare,
    .release = release,
    .span = span,
};
