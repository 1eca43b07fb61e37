/* Private pieces of the depth fusion (fuse.c, fuse_layers.c, defocus.c,
 * confidence.c, fuse_util.c). All work on 1-channel planes at the proxy
 * resolution unless said otherwise. */
#ifndef DM_FUSE_INTERNAL_H
#define DM_FUSE_INTERNAL_H

#include "core/image.h"

/* Largest proxy the fusion works at, in pixels (the networks' own
 * resolution is far below it; full-resolution passes stay O(pixels)). */
#define DM_FUSE_PROXY_PIXELS 1000000.0

/* Proxy size for a width x height photo (never larger than the photo). */
void dm_fuse_proxy_size(int width, int height, int *pw, int *ph);

/* The subject's core: 1 where matte >= 0.5, else 0 (allocated here). */
dm_status dm_fuse_core(dm_context *ctx, const dm_image *matte, dm_image *core);

/* Box means (window 2r+1, clipped) of k planes of equal size at once into
 * out[i] (allocated here, 1 channel). */
dm_status dm_fuse_box_means(dm_context *ctx, const dm_image *const *src, int k, int radius,
                            dm_image *const *out);

/* Normalised convolution: out = box(w * v) / box(w) with window radius r;
 * where box(w) < min_weight the value falls back to the weighted mean of the
 * whole plane (or `fallback` when w is 0 everywhere). */
dm_status dm_fuse_fill(dm_context *ctx, const dm_image *v, const dm_image *w, int radius,
                       float min_weight, float fallback, dm_image *out);

/* The q-quantile (0..1) of v over pixels where mask > 0.5 (mask NULL = all),
 * by a 4096-bin histogram over [lo, hi]; returns `none` when no pixel counts. */
float dm_fuse_quantile(const dm_image *v, const dm_image *mask, float lo, float hi, float q,
                       float none);

/* Otsu's threshold of v over pixels where mask > 0.5 (256 bins over the
 * masked range); *ok = 0 when there are fewer than 2 distinct values. */
float dm_fuse_otsu(const dm_image *v, const dm_image *mask, int *ok);

/* Visit the 4-connected parts of the pixels of `core` (> 0.5; NULL =
 * everywhere) labelled `which` (0 or 1); flip(user, pixel indices y*w+x, n)
 * returning non-zero gives the part the other label. */
dm_status dm_fuse_relabel_parts(dm_context *ctx, dm_image *label, const dm_image *core, float which,
                                int (*flip)(void *user, const int *px, int n), void *user);
/* `label` is 0/1 inside `core` (> 0.5; NULL = everywhere): its 4-connected
 * parts labelled `which` smaller than min_px pixels take the other label. */
dm_status dm_fuse_flip_small(dm_context *ctx, dm_image *label, const dm_image *core, float which,
                             double min_px);
/* Both ways: small parts of 1 become 0, then small parts of 0 become 1. */
dm_status dm_fuse_drop_small_parts(dm_context *ctx, dm_image *label, const dm_image *core,
                                   double min_px);

/* Where a ground may meet the subject: the row from which down the
 * silhouette (matte >= 0.5) is in its lowest DM_FUSE_CONTACT_SHARE of its
 * height. The height of the plane when there is no silhouette or it is cut
 * by the frame's bottom (no ground in view meets it). fuse_occlusion.c. */
#define DM_FUSE_CONTACT_SHARE 0.2f
float dm_fuse_contact_line(const dm_image *mp);

/* Occlusion (fuse_occlusion.c): the background right around the silhouette
 * (not along its lowest part, where a ground may meet it) lies behind the
 * subject's value `subject`; bg is remapped monotonically so that it does. */
dm_status dm_fuse_occlusion(dm_context *ctx, const dm_image *mp, float subject, dm_image *bg);

/* Defocus at the proxy: `grey` is the photo's luminance (sRGB-encoded);
 * sigma in grey's pixels and certainty in [0, 1], both allocated here. */
dm_status dm_defocus_proxy(dm_context *ctx, const dm_image *grey, dm_image *sigma,
                           dm_image *certainty);

/* The subject's depth layers from the matte and the cues (fuse_layers.c). */
typedef struct dm_fuse_layers {
  int count;         /* 1, or 2 when the matte holds a much blurrier part */
  float value[2];    /* near01 of each layer; value[0] is the subject (sharper) */
  float net_value[2];/* the network's own robust depth of each layer */
  dm_image weight;   /* proxy plane: 0 = layer 0, 1 = layer 1 (only if count 2) */
} dm_fuse_layers;

/* matte: proxy matte (its core is matte >= 0.5); net: proxy network
 * near01; sigma, cert: proxy defocus and its certainty. */
dm_status dm_fuse_find_layers(dm_context *ctx, const dm_image *matte, const dm_image *net,
                              const dm_image *sigma, const dm_image *cert, dm_fuse_layers *out);
void dm_fuse_layers_free(dm_fuse_layers *l);

/* Half-width of the near01 band kept free around each layer's value. */
#define DM_FUSE_GAP 0.1f

/* Map a background near01 into [0, 1] minus the bands around the layers:
 * linear between layer values (the network's order is kept), except that
 * what the network puts less than OCCLUSION_TOLERANCE in front of a layer
 * goes just behind it (the subject occludes its surroundings). */
float dm_fuse_remap_background(const dm_fuse_layers *l, float b);

/* Confidence at the proxy (confidence.c): low where the network puts what
 * surrounds the subject near the subject's own depth (contact with a table
 * or the ground) and where the layers' cues disagree. `bg` is the
 * network's near01 of the background filled in under the matte. */
dm_status dm_fuse_confidence(dm_context *ctx, const dm_image *matte, const dm_image *bg,
                             const dm_fuse_layers *l, dm_image *conf);

#endif
