/* Depth fusion (fuse.h). At a proxy of at most ~1 MP:
 *  1. the network's near01 is brought to the proxy and snapped to the
 *     photo's edges with the guided filter;
 *  2. the subject's layers come from the matte, split by defocus when the
 *     matte holds a much blurrier part (fuse_layers.c);
 *  3. the background is the network's depth with the subject filled in from
 *     its surroundings; what the subject's silhouette touches is put behind
 *     it, except what the silhouette hems in or a ground meeting it
 *     (fuse_occlusion.c); then remapped so that no background value falls within
 *     DM_FUSE_GAP of a layer's value (a Depth Range mask around the subject
 *     holds only the subject); the network's order is kept, except that
 *     what it puts barely in front of the subject goes behind it (the
 *     subject occludes what surrounds it; the confidence marks the spot);
 *  4. the confidence (confidence.c).
 * Then at full resolution, O(pixels): the background and the layer weight
 * are upsampled guided by the photo, and
 *   near01 = matte * layer value + (1 - matte) * background,
 * so the subject's edges are exactly the matte's (hair included). */
#include <math.h>
#include <stdlib.h>

#include "core/guided.h"
#include "core/pool.h"
#include "core/resample.h"
#include "depth/fuse.h"
#include "depth/fuse_internal.h"

/* The layer values when there is no network: subject near, background far. */
#define NO_NET_SUBJECT 0.25f
#define NO_NET_SECOND 0.45f
/* Holes in the matte smaller than this share of it are filled. */
#define HOLE_SHARE 0.01
/* Matte values from this up are all subject in the depth map. */
#define SUBJECT_ALPHA 0.5f

static int side_of(const dm_image *im) { return im->width > im->height ? im->width : im->height; }
static int at_least(int v, int lo) { return v > lo ? v : lo; }

static dm_status check_inputs(dm_context *ctx, const dm_fuse_inputs *in) {
  if (!in || !in->guide || !in->guide->data || in->guide->channels != 3)
    return dm_fail(ctx, DM_ERR_PARAM, "fusion", "the guide must be a 3-channel photo");
  if ((!in->net || !in->net->data) && (!in->matte || !in->matte->data))
    return dm_fail(ctx, DM_ERR_PARAM, "fusion", "needs a network depth or a subject matte");
  if (in->net && in->net->data && in->net->channels != 1)
    return dm_fail(ctx, DM_ERR_PARAM, "fusion", "the network depth must have one channel");
  if (in->matte && in->matte->data &&
      (in->matte->channels != 1 || in->matte->width != in->guide->width ||
       in->matte->height != in->guide->height))
    return dm_fail(ctx, DM_ERR_PARAM, "fusion", "the matte must be one channel at the photo's size");
  return DM_OK;
}

/* Final full-resolution pass, by rows, in place on the upsampled
 * background. The proxy planes (holes, layer values) are sampled
 * bilinearly on the fly rather than stored at full resolution: each thread
 * keeps a proxy row pair's lerps along x, which the (about six at 24 MP)
 * output rows between those proxy rows share. */
typedef struct {
  const dm_image *matte, *holes, *layer; /* holes, layer: proxy; layer NULL = value[0] */
  const dm_fuse_layers *l;
  const int *x0;     /* per output column: left proxy column, its weight */
  const float *wx;
  dm_image *out;     /* holds the background on entry */
  float *rows;       /* per thread: 4 rows of the output's width */
} compose_job;

static float keep_out_of_bands(const dm_fuse_layers *l, float b) {
  for (int k = 0; k < l->count; k++) {
    float d = b - l->value[k];
    if (fabsf(d) < DM_FUSE_GAP) b = l->value[k] + (d >= 0 ? DM_FUSE_GAP : -DM_FUSE_GAP);
  }
  return b;
}

static void proxy_row_coords(int y, int H, int ph, int *y0, int *y1, float *wy) {
  float fy = ((float)y + 0.5f) * (float)ph / (float)H - 0.5f;
  if (fy < 0) fy = 0;
  *y0 = (int)fy;
  if (*y0 > ph - 1) *y0 = ph - 1;
  *y1 = *y0 + 1 < ph ? *y0 + 1 : ph - 1;
  *wy = fy - (float)*y0;
}

static void compose_rows(void *user, int ith, int nth) {
  const compose_job *j = user;
  int y0, y1, H = j->out->height, W = j->out->width, ph = j->holes->height;
  dm_split_rows(H, ith, nth, &y0, &y1);
  float lo = j->l->value[0], hi = j->l->value[0];
  if (j->l->count == 2) lo = fminf(lo, j->l->value[1]), hi = fmaxf(hi, j->l->value[1]);
  float *ht = j->rows + (size_t)ith * 4 * W, *hb = ht + W, *lt = hb + W, *lb = lt + W;
  int have = -1;
  for (int y = y0; y < y1; y++) {
    int py0, py1;
    float wy;
    proxy_row_coords(y, H, ph, &py0, &py1, &wy);
    if (py0 != have) {
      const dm_image *h = j->holes, *l = j->layer;
      dm_lerp_row_x(dm_row(h, py0), 1, h->width, j->x0, j->wx, W, ht);
      dm_lerp_row_x(dm_row(h, py1), 1, h->width, j->x0, j->wx, W, hb);
      if (l) dm_lerp_row_x(dm_row(l, py0), 1, l->width, j->x0, j->wx, W, lt);
      if (l) dm_lerp_row_x(dm_row(l, py1), 1, l->width, j->x0, j->wx, W, lb);
      have = py0;
    }
    const float *m = dm_row(j->matte, y);
    float *o = dm_row(j->out, y);
    for (int x = 0; x < W; x++) {
      /* Above SUBJECT_ALPHA the pixel is all subject (ISNet's interior is
       * not always 1, and its fur edge is faint); below, the soft edge
       * mixes the two depths. */
      float a = m[x] * (1.0f / SUBJECT_ALPHA);
      a = a < 0 ? 0 : a > 1 ? 1 : a;
      a = fmaxf(a, ht[x] + wy * (hb[x] - ht[x]));
      float v = j->layer ? fminf(hi, fmaxf(lo, lt[x] + wy * (lb[x] - lt[x]))) : lo;
      float bb = keep_out_of_bands(j->l, o[x]);
      float r = a * v + (1 - a) * bb;
      o[x] = r < 0 ? 0 : r > 1 ? 1 : r;
    }
  }
}

static dm_status compose(dm_context *ctx, const dm_image *matte, const dm_image *holes,
                         const dm_image *layer, const dm_fuse_layers *l, dm_image *out) {
  int W = out->width, pw = holes->width;
  const int nt = ctx->n_threads > 1 ? ctx->n_threads : 1;
  int *x0 = malloc(sizeof(int) * (size_t)W);
  float *wx = malloc(sizeof(float) * (size_t)W), *rows = malloc(sizeof(float) * 4 * (size_t)W * nt);
  if (!x0 || !wx || !rows) {
    free(x0), free(wx), free(rows);
    return dm_fail(ctx, DM_ERR_NOMEM, "fusion", "out of memory");
  }
  for (int x = 0; x < W; x++) {
    float fx = ((float)x + 0.5f) * (float)pw / (float)W - 0.5f;
    if (fx < 0) fx = 0;
    x0[x] = (int)fx < pw - 1 ? (int)fx : pw - 1;
    wx[x] = fx - (float)x0[x];
    if (wx[x] > 1) wx[x] = 1;
  }
  compose_job j = {matte, holes, layer, l, x0, wx, out, rows};
  dm_parallel(ctx, compose_rows, &j);
  free(x0), free(wx), free(rows);
  return DM_OK;
}

static dm_status fill_plane(dm_context *ctx, dm_image *im, int w, int h, float v) {
  dm_status s = dm_image_alloc(ctx, im, w, h, 1);
  if (s) return s;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) dm_row(im, y)[x] = v;
  return DM_OK;
}

static void clamp_plane(dm_image *im) {
  for (int y = 0; y < im->height; y++)
    for (int x = 0; x < im->width; x++) {
      float *p = dm_row(im, y) + x;
      *p = *p < 0 ? 0 : *p > 1 ? 1 : *p;
    }
}

/* The network's near01 at the proxy, aligned to the photo's edges. */
static dm_status net_at_proxy(dm_context *ctx, const dm_image *net, const dm_image *gp,
                              dm_image *out) {
  dm_image raw = {0};
  dm_status s = dm_image_alloc(ctx, &raw, gp->width, gp->height, 1);
  if (!s) s = dm_resize_plane(ctx, net, &raw, 1, "network depth");
  if (!s) s = dm_guided_filter(ctx, gp, &raw, at_least(side_of(gp) / 50, 2), 1e-2f, out);
  if (!s) clamp_plane(out);
  dm_image_free(&raw);
  return s;
}

/* Small holes of the matte's core (a catch-light in an eye, a gap ISNet
 * left in fur) belong to the subject: 1 there, else 0. */
static dm_status small_holes(dm_context *ctx, const dm_image *mp, dm_image *holes) {
  int w = mp->width, h = mp->height;
  dm_status s = dm_image_alloc(ctx, holes, w, h, 1);
  if (s) return s;
  double n = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) n += dm_row(holes, y)[x] = dm_row(mp, y)[x] >= 0.5f ? 1.0f : 0.0f;
  s = dm_fuse_flip_small(ctx, holes, NULL, 0.0f, HOLE_SHARE * n);
  if (s) {
    dm_image_free(holes);
    return s;
  }
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) dm_row(holes, y)[x] -= dm_row(mp, y)[x] >= 0.5f ? 1.0f : 0.0f;
  return DM_OK;
}

/* Background near01 with the subject filled in from its surroundings. */
static dm_status background_at_proxy(dm_context *ctx, const dm_image *net, const dm_image *mp,
                                     dm_image *bg) {
  int w = net->width, h = net->height;
  dm_image wout = {0}, fill = {0};
  dm_status s = dm_image_alloc(ctx, &wout, w, h, 1);
  if (s) return s;
  for (int y = 0; y < h; y++) {
    const float *m = dm_row(mp, y);
    float *o = dm_row(&wout, y);
    for (int x = 0; x < w; x++) {
      float t = 1 - m[x];
      t = t < 0 ? 0 : t;
      o[x] = t * t * t * t; /* only what is clearly outside the subject */
    }
  }
  s = dm_fuse_fill(ctx, net, &wout, at_least(side_of(net) / 16, 2), 0.02f, 1.0f, &fill);
  if (!s) s = dm_image_alloc(ctx, bg, w, h, 1);
  if (!s)
    for (int y = 0; y < h; y++) {
      const float *m = dm_row(mp, y), *n = dm_row(net, y), *f = dm_row(&fill, y);
      float *o = dm_row(bg, y);
      for (int x = 0; x < w; x++) {
        float t = m[x] * 2;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        o[x] = (1 - t) * n[x] + t * f[x];
      }
    }
  dm_image_free(&wout);
  dm_image_free(&fill);
  return s;
}

dm_status dm_depth_fuse(dm_context *ctx, const dm_fuse_inputs *in, dm_image *near01,
                        dm_image *confidence) {
  dm_status s = check_inputs(ctx, in);
  if (s) return s;
  const dm_image *guide = in->guide;
  const int has_net = in->net && in->net->data, has_matte = in->matte && in->matte->data;
  int W = guide->width, H = guide->height, pw, ph;
  dm_fuse_proxy_size(W, H, &pw, &ph);
  int r_up = at_least(side_of(guide) / 150, 2);
  const float eps_up = 1e-2f;

  dm_image gp = {0}, np = {0}, mp = {0}, grey = {0}, sig = {0}, cert = {0}, bg = {0}, bgr = {0};
  dm_image cp = {0}, lp = {0}, hp = {0};
  dm_image filled = {0};
  dm_fuse_layers layers = {.count = 1};
  static const float luma[3] = {0.299f, 0.587f, 0.114f};
  s = dm_image_alloc(ctx, &gp, pw, ph, 3);
  if (!s) s = dm_resize_plane(ctx, guide, &gp, 0, "fusion guide");
  if (!s) s = has_net ? net_at_proxy(ctx, in->net, &gp, &np) : fill_plane(ctx, &np, pw, ph, 1.0f);
  if (s) goto done;
  if (dm_cancelled(ctx)) {
    s = dm_fail(ctx, DM_ERR_CANCELLED, "fusion", "cancelled");
    goto done;
  }
  if (!has_matte) { /* the network alone, brought to full resolution */
    s = dm_guided_upsample(ctx, guide, &np, r_up, eps_up, near01);
    if (!s) clamp_plane(near01);
    if (!s) s = fill_plane(ctx, confidence, W, H, 1.0f);
    if (s) dm_image_free(near01);
    goto done;
  }
  s = dm_image_alloc(ctx, &mp, pw, ph, 1);
  if (!s) s = dm_resize_plane(ctx, in->matte, &mp, 1, "fusion matte");
  if (!s) s = dm_grey_plane(ctx, &gp, luma, &grey);
  if (!s) s = dm_defocus_proxy(ctx, &grey, &sig, &cert);
  if (!s) s = small_holes(ctx, &mp, &hp);
  if (!s) s = dm_image_alloc(ctx, &filled, pw, ph, 1);
  if (!s) {
    for (int y = 0; y < ph; y++)
      for (int x = 0; x < pw; x++) dm_row(&filled, y)[x] = fmaxf(dm_row(&mp, y)[x], dm_row(&hp, y)[x]);
    s = dm_fuse_find_layers(ctx, &filled, &np, &sig, &cert, &layers);
  }
  if (s) goto done;
  if (!has_net) {
    layers.value[0] = layers.net_value[0] = NO_NET_SUBJECT;
    layers.value[1] = layers.net_value[1] = NO_NET_SECOND;
  }
  s = background_at_proxy(ctx, &np, &mp, &bg);
  /* The confidence is the network's: where its depth alone cannot tell
   * the subject from what is around it (before occlusion reorders it). */
  if (!s) s = dm_fuse_confidence(ctx, &mp, &bg, &layers, &cp);
  if (!s && has_net && !in->no_occlusion) {
    float farthest = layers.count == 2 ? fmaxf(layers.value[0], layers.value[1]) : layers.value[0];
    s = dm_fuse_occlusion(ctx, &mp, farthest, &bg);
  }
  if (!s) s = dm_image_alloc(ctx, &bgr, pw, ph, 1);
  if (s) goto done;
  for (int y = 0; y < ph; y++)
    for (int x = 0; x < pw; x++) dm_row(&bgr, y)[x] = dm_fuse_remap_background(&layers, dm_row(&bg, y)[x]);
  if (layers.count == 2) {
    /* The boundary between layers follows no photo edge we trust (texture
     * would leak into the depth): a plain box softening. */
    const dm_image *src[1] = {&layers.weight};
    dm_image *dst[1] = {&lp};
    s = dm_fuse_box_means(ctx, src, 1, at_least(side_of(&gp) / 200, 1), dst);
    if (s) goto done;
    for (int y = 0; y < ph; y++)
      for (int x = 0; x < pw; x++) {
        float *p = dm_row(&lp, y) + x;
        *p = layers.value[0] + *p * (layers.value[1] - layers.value[0]);
      }
  }
  /* Full resolution: the background upsampled into near01, then composed in place. */
  s = dm_guided_upsample(ctx, guide, &bgr, r_up, eps_up, near01);
  if (!s) s = dm_image_alloc(ctx, confidence, W, H, 1);
  if (!s) s = dm_resize_plane(ctx, &cp, confidence, 1, "fusion confidence");
  if (!s) s = compose(ctx, in->matte, &hp, layers.count == 2 ? &lp : NULL, &layers, near01);
  if (s) {
    dm_image_free(near01);
    dm_image_free(confidence);
  }
done:
  dm_image_free(&gp);
  dm_image_free(&np);
  dm_image_free(&mp);
  dm_image_free(&grey);
  dm_image_free(&sig);
  dm_image_free(&cert);
  dm_image_free(&bg);
  dm_image_free(&bgr);
  dm_image_free(&cp);
  dm_image_free(&lp);
  dm_image_free(&hp);
  dm_image_free(&filled);
  dm_fuse_layers_free(&layers);
  return s;
}
