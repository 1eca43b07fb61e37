/* The subject's depth layers. The matte's core (matte >= 0.5) is one layer
 * placed at the network's robust (median) depth for it, unless it holds a
 * large, much blurrier part: ISNet takes an out-of-focus foreground object
 * next to the subject for part of the subject, and only defocus (or depth)
 * can split them. The split: Otsu's threshold on log(defocus sigma) inside
 * the core, cleaned by a majority vote over a window (parts are large
 * regions, not texture), kept only when both parts are sizeable and one is
 * at least SPLIT_RATIO times blurrier. The sharper part is the subject
 * (photographers focus on it); each part gets the network's median depth
 * for it, pushed apart to at least MIN_SEPARATION so that a Depth Range
 * mask can hold one without the other. */
#include <math.h>
#include <stdlib.h>

#include "depth/fuse_internal.h"

#define SPLIT_RATIO 3.0f     /* blur ratio (sigma + SIGMA_FLOOR) between the parts */
#define SIGMA_FLOOR 0.1f     /* sigma below this is "sharp", whatever its value */
#define SPLIT_MIN_SHARE 0.15f /* each part holds at least this share of the core */
#define SPLIT_MIN_PART 0.05f /* smaller parts join the other side */
#define NET_VOTE_MIN 0.05f  /* the network orders the layers: it may move parts */
#define OCCLUSION_TOLERANCE 0.12f /* near01 */
#define MIN_SEPARATION 0.15f /* near01 between the two layers */

static float median_where(const dm_image *v, const dm_image *mask, float none) {
  return dm_fuse_quantile(v, mask, 0.0f, 1.0f, 0.5f, none);
}

static double count_where(const dm_image *m) {
  double n = 0;
  for (int y = 0; y < m->height; y++) {
    const float *r = dm_row(m, y);
    for (int x = 0; x < m->width; x++) n += r[x] > 0.5f;
  }
  return n;
}

/* Candidate split of the core into sharp (weight 0) and blurry (weight 1). */
static dm_status split_by_defocus(dm_context *ctx, const dm_image *core, const dm_image *sigma,
                                  const dm_image *cert, dm_image *blurry, int *found) {
  int w = core->width, h = core->height, side = w > h ? w : h;
  *found = 0;
  dm_image logs = {0}, lab = {0}, mlab = {0}, mcore = {0}, wcore = {0};
  dm_status s = dm_image_alloc(ctx, &logs, w, h, 1);
  if (!s) s = dm_image_alloc(ctx, &lab, w, h, 1);
  if (!s) s = dm_image_alloc(ctx, &wcore, w, h, 1);
  if (s) goto done;
  /* Only estimates near edges vote: in a smooth area (a cup, a cheek) the
   * blur is unknown and the area takes the label of what surrounds it. */
  for (int y = 0; y < h; y++) {
    const float *a = dm_row(sigma, y), *c = dm_row(core, y), *k = dm_row(cert, y);
    float *o = dm_row(&logs, y), *wc = dm_row(&wcore, y);
    for (int x = 0; x < w; x++) {
      o[x] = logf((a[x] > 0 ? a[x] : 0) + SIGMA_FLOOR);
      wc[x] = c[x] > 0.5f ? k[x] : 0.0f;
    }
  }
  int ok = 0;
  for (int y = 0; y < h; y++) /* lab: the certain part of the core, for Otsu */
    for (int x = 0; x < w; x++) dm_row(&lab, y)[x] = dm_row(&wcore, y)[x] > 0.5f;
  float t = dm_fuse_otsu(&logs, &lab, &ok);
  if (!ok) goto done;
  for (int y = 0; y < h; y++) {
    const float *a = dm_row(&logs, y), *c = dm_row(&wcore, y);
    float *o = dm_row(&lab, y);
    for (int x = 0; x < w; x++) o[x] = a[x] >= t ? c[x] : 0.0f;
  }
  const dm_image *src[2] = {&lab, &wcore};
  dm_image *dst[2] = {&mlab, &mcore};
  int r = side / 30 > 1 ? side / 30 : 1;
  s = dm_fuse_box_means(ctx, src, 2, r, dst);
  if (!s) s = dm_image_alloc(ctx, blurry, w, h, 1);
  if (s) goto done;
  for (int y = 0; y < h; y++) {
    const float *a = dm_row(&mlab, y), *b = dm_row(&mcore, y), *c = dm_row(core, y);
    float *o = dm_row(blurry, y);
    for (int x = 0; x < w; x++) o[x] = c[x] > 0.5f && b[x] > 1e-6f && a[x] >= 0.5f * b[x] ? 1.0f : 0.0f;
  }
  /* Parts are large regions: an eye or a smooth cheek is not a layer. */
  s = dm_fuse_drop_small_parts(ctx, blurry, core, SPLIT_MIN_PART * count_where(core));
  if (s) goto done;
  /* sharp = core minus blurry, in lab */
  for (int y = 0; y < h; y++) {
    const float *c = dm_row(core, y), *b = dm_row(blurry, y);
    float *o = dm_row(&lab, y);
    for (int x = 0; x < w; x++) o[x] = c[x] > 0.5f && b[x] < 0.5f ? 1.0f : 0.0f;
  }
  double n_core = count_where(core), n_blur = count_where(blurry), n_sharp = n_core - n_blur;
  if (n_blur < SPLIT_MIN_SHARE * n_core || n_sharp < SPLIT_MIN_SHARE * n_core) goto done;
  float m_blur = dm_fuse_quantile(sigma, blurry, 0.0f, 16.0f, 0.5f, 0.0f);
  float m_sharp = dm_fuse_quantile(sigma, &lab, 0.0f, 16.0f, 0.5f, 0.0f);
  dm_log(ctx, DM_LOG_DEBUG, "fuse: defocus split candidate: sharp %.2f px (%.0f%%), blurry %.2f px",
         m_sharp, 100.0 * n_sharp / n_core, m_blur);
  *found = m_blur + SIGMA_FLOOR >= SPLIT_RATIO * (m_sharp + SIGMA_FLOOR);
done:
  if (!*found) dm_image_free(blurry);
  dm_image_free(&logs);
  dm_image_free(&lab);
  dm_image_free(&mlab);
  dm_image_free(&mcore);
  dm_image_free(&wcore);
  return s;
}

/* A part of one layer whose network depth is nearer the other layer's
 * (a smooth cup the defocus calls blurry on a sharp card the network puts
 * with the card) joins the other layer; the bulk of a layer never moves. */
typedef struct {
  const dm_image *net;
  float own, other; /* the layers' median network depths */
  double max_n;
} net_vote;

static int closer_to_other(void *user, const int *px, int n) {
  const net_vote *v = user;
  if (n >= v->max_n) return 0;
  double sum = 0;
  int w = v->net->width;
  for (int k = 0; k < n; k++) sum += dm_row(v->net, px[k] / w)[px[k] % w];
  float m = (float)(sum / n);
  return fabsf(m - v->other) < fabsf(m - v->own);
}

dm_status dm_fuse_find_layers(dm_context *ctx, const dm_image *matte, const dm_image *net,
                              const dm_image *sigma, const dm_image *cert, dm_fuse_layers *out) {
  *out = (dm_fuse_layers){.count = 1};
  int w = matte->width, h = matte->height;
  dm_image core = {0}, blurry = {0};
  dm_status s = dm_image_alloc(ctx, &core, w, h, 1);
  if (s) return s;
  for (int y = 0; y < h; y++) {
    const float *a = dm_row(matte, y);
    float *o = dm_row(&core, y);
    for (int x = 0; x < w; x++) o[x] = a[x] >= 0.5f ? 1.0f : 0.0f;
  }
  float v0 = median_where(net, &core, 0.5f);
  out->value[0] = out->net_value[0] = v0;
  int found = 0;
  if (count_where(&core) >= 0.01 * (double)w * h) s = split_by_defocus(ctx, &core, sigma, cert, &blurry, &found);
  dm_image core_copy = {0};
  if (!s && found) s = dm_image_copy(ctx, &core_copy, &core);
  if (!s && found) {
    dm_image sharp = core; /* reuse the plane: core minus the blurry part */
    for (int y = 0; y < h; y++) {
      const float *b = dm_row(&blurry, y);
      float *o = dm_row(&sharp, y);
      for (int x = 0; x < w; x++) o[x] = o[x] > 0.5f && b[x] < 0.5f ? 1.0f : 0.0f;
    }
    float a = median_where(net, &sharp, v0), b = median_where(net, &blurry, v0);
    if (fabsf(b - a) >= NET_VOTE_MIN) {
      net_vote vb = {net, b, a, 0.5 * count_where(&blurry)}, vs = {net, a, b, 0.5 * count_where(&sharp)};
      s = dm_fuse_relabel_parts(ctx, &blurry, &core_copy, 1.0f, closer_to_other, &vb);
      if (!s) s = dm_fuse_relabel_parts(ctx, &blurry, &core_copy, 0.0f, closer_to_other, &vs);
      for (int y = 0; y < h; y++) {
        const float *bb = dm_row(&blurry, y), *c = dm_row(&core_copy, y);
        float *o = dm_row(&sharp, y);
        for (int x = 0; x < w; x++) o[x] = c[x] > 0.5f && bb[x] < 0.5f ? 1.0f : 0.0f;
      }
      a = median_where(net, &sharp, v0), b = median_where(net, &blurry, v0);
    }
    out->count = 2;
    out->net_value[0] = a, out->net_value[1] = b;
    if (fabsf(b - a) < MIN_SEPARATION) {
      /* Too close to mask apart: keep the network's order (blurrier behind on a tie). */
      float mid = 0.5f * (a + b), dir = b >= a ? 1.0f : -1.0f;
      a = mid - dir * 0.5f * MIN_SEPARATION;
      b = mid + dir * 0.5f * MIN_SEPARATION;
      float shift = fminf(a, b) < 0 ? -fminf(a, b) : fmaxf(a, b) > 1 ? 1 - fmaxf(a, b) : 0;
      a += shift, b += shift;
    }
    out->value[0] = a, out->value[1] = b;
    out->weight = blurry;
    blurry = (dm_image){0};
    dm_log(ctx, DM_LOG_DEBUG, "fuse: two layers in the matte: subject %.3f, blurrier part %.3f", a, b);
  }
  dm_image_free(&core);
  dm_image_free(&core_copy);
  dm_image_free(&blurry);
  return s;
}

void dm_fuse_layers_free(dm_fuse_layers *l) { dm_image_free(&l->weight); }

float dm_fuse_remap_background(const dm_fuse_layers *l, float b) {
  float v[2] = {l->value[0], l->value[1]};
  int n = l->count;
  if (n == 2 && v[1] < v[0]) {
    float t = v[0];
    v[0] = v[1], v[1] = t;
  }
  b = b < 0 ? 0 : b > 1 ? 1 : b;
  /* Occlusion: the subject hides what surrounds it, so what the network
   * puts only slightly in front of a layer goes behind it. */
  for (int k = n - 1; k >= 0; k--)
    if (b < v[k] && b > v[k] - OCCLUSION_TOLERANCE) b = v[k];
  /* Each interval between layer values (and the ends 0, 1) maps linearly
   * onto itself minus DM_FUSE_GAP at every layer end. */
  float lo = 0, lo_gap = 0;
  for (int k = 0; k <= n; k++) {
    float hi = k < n ? v[k] : 1.0f, hi_gap = k < n ? DM_FUSE_GAP : 0.0f;
    if (b < hi || k == n) {
      float a = lo + lo_gap, c = hi - hi_gap;
      if (c <= a) return 0.5f * (a + c);
      float t = hi > lo ? (b - lo) / (hi - lo) : 0.5f;
      return a + t * (c - a);
    }
    lo = hi, lo_gap = DM_FUSE_GAP;
  }
  return b;
}
