/* The subject's depth layers. The matte's core (matte >= 0.5) is one layer
 * placed at the network's robust (median) depth for it, unless it holds two
 * large parts at different depths: ISNet takes a foreground object next to
 * the subject for part of the subject. The candidate split: Otsu's
 * threshold on log(defocus sigma) inside the core, cleaned by a majority
 * vote over a window (parts are large regions, not texture), both parts
 * sizeable; then the network votes small pieces over to the part whose
 * depth they share. It is kept only when two independent cues agree: one
 * part is at least SPLIT_RATIO times blurrier (defocus, or on a pinhole
 * photo only the texture's scale), and the network's medians of the parts
 * lie at least SPLIT_NET_DEPTH apart. Either cue alone misleads: the blur
 * ratio of parts of one person reaches 2.4 (clothes against skin), and the
 * network puts a footballer's legs on the grass well nearer than his head.
 * The sharper part is the subject (photographers focus on it); each part
 * gets the network's median depth for it, pushed apart to at least
 * MIN_SEPARATION so that a Depth Range mask can hold one without the
 * other. */
#include <math.h>
#include <stdlib.h>

#include "depth/fuse_internal.h"

#define SPLIT_RATIO 2.6f     /* blur ratio (sigma + SIGMA_FLOOR) between the parts */
#define SPLIT_NET_DEPTH 0.12f /* near01 between the parts' network medians */
#define SIGMA_FLOOR 0.1f     /* sigma below this is "sharp", whatever its value */
#define SPLIT_MIN_PART 0.05f /* smaller parts join the other side */
#define SPLIT_MIN_SHARE 0.15f /* each part holds at least this share of the core */
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

/* A two-cluster split of v inside `core`: Otsu's threshold over pixels where
 * vote > 0.5, then a majority vote over a window weighted by `vote` (0
 * outside the core; parts are large regions, not texture), small parts
 * dropped; label (allocated here when *ok) is 1 on the high side of v. */
static dm_status two_clusters(dm_context *ctx, const dm_image *v, const dm_image *core,
                              const dm_image *vote, dm_image *label, int *ok) {
  int w = core->width, h = core->height, side = w > h ? w : h;
  *ok = 0;
  dm_image lab = {0}, mlab = {0}, mvote = {0};
  dm_status s = dm_image_alloc(ctx, &lab, w, h, 1);
  if (s) return s;
  for (int y = 0; y < h; y++) /* lab: the certain part of the core, for Otsu */
    for (int x = 0; x < w; x++) dm_row(&lab, y)[x] = dm_row(vote, y)[x] > 0.5f;
  int found = 0;
  float t = dm_fuse_otsu(v, &lab, &found);
  if (!found) goto done;
  for (int y = 0; y < h; y++) {
    const float *a = dm_row(v, y), *c = dm_row(vote, y);
    float *o = dm_row(&lab, y);
    for (int x = 0; x < w; x++) o[x] = a[x] >= t ? c[x] : 0.0f;
  }
  const dm_image *src[2] = {&lab, vote};
  dm_image *dst[2] = {&mlab, &mvote};
  int r = side / 30 > 1 ? side / 30 : 1;
  s = dm_fuse_box_means(ctx, src, 2, r, dst);
  if (!s) s = dm_image_alloc(ctx, label, w, h, 1);
  if (s) goto done;
  for (int y = 0; y < h; y++) {
    const float *a = dm_row(&mlab, y), *b = dm_row(&mvote, y), *c = dm_row(core, y);
    float *o = dm_row(label, y);
    for (int x = 0; x < w; x++) o[x] = c[x] > 0.5f && b[x] > 1e-6f && a[x] >= 0.5f * b[x] ? 1.0f : 0.0f;
  }
  s = dm_fuse_drop_small_parts(ctx, label, core, SPLIT_MIN_PART * count_where(core));
  if (s) dm_image_free(label);
  *ok = !s;
done:
  dm_image_free(&lab);
  dm_image_free(&mlab);
  dm_image_free(&mvote);
  return s;
}

/* The defocus cue: a candidate split of the core into sharp (weight 0) and
 * blurry (weight 1) and the blur ratio of the parts (0 when no candidate). */
static dm_status split_by_defocus(dm_context *ctx, const dm_image *core, const dm_image *sigma,
                                  const dm_image *cert, dm_image *blurry, float *ratio) {
  int w = core->width, h = core->height;
  *ratio = 0.0f;
  dm_image logs = {0}, sharp = {0}, wcore = {0};
  dm_status s = dm_image_alloc(ctx, &logs, w, h, 1);
  if (!s) s = dm_image_alloc(ctx, &sharp, w, h, 1);
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
  s = two_clusters(ctx, &logs, core, &wcore, blurry, &ok);
  if (s || !ok) goto done;
  for (int y = 0; y < h; y++) {
    const float *c = dm_row(core, y), *b = dm_row(blurry, y);
    float *o = dm_row(&sharp, y);
    for (int x = 0; x < w; x++) o[x] = c[x] > 0.5f && b[x] < 0.5f ? 1.0f : 0.0f;
  }
  double n_core = count_where(core), n_blur = count_where(blurry), n_sharp = n_core - n_blur;
  if (n_blur < SPLIT_MIN_SHARE * n_core || n_sharp < SPLIT_MIN_SHARE * n_core) {
    dm_image_free(blurry);
    goto done;
  }
  float m_blur = dm_fuse_quantile(sigma, blurry, 0.0f, 16.0f, 0.5f, 0.0f);
  float m_sharp = dm_fuse_quantile(sigma, &sharp, 0.0f, 16.0f, 0.5f, 0.0f);
  *ratio = (m_blur + SIGMA_FLOOR) / (m_sharp + SIGMA_FLOOR);
  dm_log(ctx, DM_LOG_DEBUG, "fuse: defocus split candidate: sharp %.2f px (%.0f%%), blurry %.2f px",
         m_sharp, 100.0 * n_sharp / n_core, m_blur);
done:
  dm_image_free(&logs);
  dm_image_free(&sharp);
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

/* The candidate partition after the network's vote on its small parts;
 * *a, *b: the network's medians of part 0 and part 1. */
static dm_status relabel_by_net(dm_context *ctx, const dm_image *core, const dm_image *net,
                                float v0, dm_image *blurry, float *a, float *b) {
  int w = core->width, h = core->height;
  dm_image sharp = {0};
  dm_status s = dm_image_alloc(ctx, &sharp, w, h, 1);
  for (int pass = 0; !s && pass < 2; pass++) {
    for (int y = 0; y < h; y++) {
      const float *bb = dm_row(blurry, y), *c = dm_row(core, y);
      float *o = dm_row(&sharp, y);
      for (int x = 0; x < w; x++) o[x] = c[x] > 0.5f && bb[x] < 0.5f ? 1.0f : 0.0f;
    }
    *a = median_where(net, &sharp, v0), *b = median_where(net, blurry, v0);
    if (pass == 1 || fabsf(*b - *a) < NET_VOTE_MIN) break;
    net_vote vb = {net, *b, *a, 0.5 * count_where(blurry)}, vs = {net, *a, *b, 0.5 * count_where(&sharp)};
    s = dm_fuse_relabel_parts(ctx, blurry, core, 1.0f, closer_to_other, &vb);
    if (!s) s = dm_fuse_relabel_parts(ctx, blurry, core, 0.0f, closer_to_other, &vs);
  }
  dm_image_free(&sharp);
  return s;
}

/* Two layers only when two cues agree, so that no single threshold decides:
 * the defocus (or texture-scale) estimate calls one part blurrier, and the
 * network puts the two parts (after its vote on their small pieces) at
 * clearly different depths. Each margin logged is how far (log blur ratio,
 * near01) its cue is from flipping. */
static dm_status split_by_cues(dm_context *ctx, const dm_image *core, const dm_image *net,
                               const dm_image *sigma, const dm_image *cert, float v0,
                               dm_image *blurry, int *found) {
  *found = 0;
  float ratio = 0.0f, a = 0.0f, b = 0.0f;
  dm_status s = split_by_defocus(ctx, core, sigma, cert, blurry, &ratio);
  if (s || !blurry->data) return s;
  s = relabel_by_net(ctx, core, net, v0, blurry, &a, &b);
  if (s) {
    dm_image_free(blurry);
    return s;
  }
  float m_defocus = logf(ratio / SPLIT_RATIO), m_net = fabsf(b - a) - SPLIT_NET_DEPTH;
  dm_log(ctx, DM_LOG_DEBUG, "fuse: split margins: defocus %+.3f (ratio %.2f), network %+.3f (%.3f/%.3f)",
         m_defocus, ratio, m_net, a, b);
  *found = m_defocus >= 0 && m_net >= 0;
  if (!*found) dm_image_free(blurry);
  return s;
}

dm_status dm_fuse_find_layers(dm_context *ctx, const dm_image *matte, const dm_image *net,
                              const dm_image *sigma, const dm_image *cert, dm_fuse_layers *out) {
  *out = (dm_fuse_layers){.count = 1};
  int w = matte->width, h = matte->height;
  dm_image core = {0}, blurry = {0};
  dm_status s = dm_fuse_core(ctx, matte, &core);
  if (s) return s;
  float v0 = median_where(net, &core, 0.5f);
  out->value[0] = out->net_value[0] = v0;
  int found = 0;
  if (count_where(&core) >= 0.01 * (double)w * h)
    s = split_by_cues(ctx, &core, net, sigma, cert, v0, &blurry, &found);
  if (!s && found) {
    for (int y = 0; y < h; y++) /* core minus the blurry part */
      for (int x = 0; x < w; x++) dm_row(&core, y)[x] *= dm_row(&blurry, y)[x] < 0.5f;
    float a = median_where(net, &core, v0), b = median_where(net, &blurry, v0);
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
