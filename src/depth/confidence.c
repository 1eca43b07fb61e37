/* Where the fused depth can be trusted to separate the subject from what
 * surrounds it. For every background pixel near the subject's outline the
 * network's own depth is compared with the subject layer's: when they are
 * within CONTACT_TOLERANCE (a product on a table, feet on the ground, a
 * background the network cannot tell from the subject) the depth gap the
 * fusion put there is an assumption, not a measurement. The share of such
 * pixels in a window around each pixel, on both sides of the outline,
 * lowers its confidence. Along the silhouette's lowest part, where a ground
 * may meet it (dm_fuse_contact_line), background the network puts in front
 * of the subject counts as contact too: a ground runs from in front of the
 * subject to its foot (the occlusion rule leaves that stretch in front).
 * Inside a matte split into two layers, a network that hardly orders them
 * lowers the confidence of the whole core too (the cues disagree or the
 * depth is silent). */
#include <math.h>

#include "depth/fuse_internal.h"

#define CONTACT_TOLERANCE 0.12f /* near01 */

static float smoothstep01(float t) {
  if (t <= 0) return 0;
  if (t >= 1) return 1;
  return t * t * (3 - 2 * t);
}

dm_status dm_fuse_confidence(dm_context *ctx, const dm_image *matte, const dm_image *bg,
                             const dm_fuse_layers *l, dm_image *conf) {
  int w = matte->width, h = matte->height, side = w > h ? w : h;
  int r = side / 20 > 1 ? side / 20 : 1;
  dm_image core = {0}, near = {0}, ring = {0}, contact = {0}, mring = {0}, mcontact = {0};
  dm_status s = dm_fuse_core(ctx, matte, &core);
  if (s) return s;
  /* The background within r of the subject: its ring. */
  const dm_image *src1[1] = {&core};
  dm_image *dst1[1] = {&near};
  s = dm_fuse_box_means(ctx, src1, 1, r, dst1);
  if (!s) s = dm_image_alloc(ctx, &ring, w, h, 1);
  if (!s) s = dm_image_alloc(ctx, &contact, w, h, 1);
  if (s) goto done;
  float ground = dm_fuse_contact_line(matte);
  for (int y = 0; y < h; y++) {
    const float *c = dm_row(&core, y), *n = dm_row(&near, y), *b = dm_row(bg, y);
    float *o = dm_row(&ring, y), *t = dm_row(&contact, y);
    for (int x = 0; x < w; x++) {
      float in_ring = c[x] < 0.5f && n[x] > 0 ? 1.0f : 0.0f;
      /* along the lowest part, a ground in front of the subject counts too */
      float d = b[x] - l->net_value[0];
      d = (float)y >= ground && d < 0 ? 0 : fabsf(d);
      o[x] = in_ring;
      t[x] = in_ring * (1.0f - smoothstep01(d / CONTACT_TOLERANCE));
    }
  }
  const dm_image *src2[2] = {&ring, &contact};
  dm_image *dst2[2] = {&mring, &mcontact};
  s = dm_fuse_box_means(ctx, src2, 2, r, dst2);
  if (!s) s = dm_image_alloc(ctx, conf, w, h, 1);
  if (s) goto done;
  float layer_conf = 1.0f;
  if (l->count == 2)
    layer_conf = 0.5f + 0.5f * smoothstep01(fabsf(l->net_value[1] - l->net_value[0]) / 0.15f);
  for (int y = 0; y < h; y++) {
    const float *mr = dm_row(&mring, y), *mc = dm_row(&mcontact, y), *c = dm_row(&core, y);
    float *o = dm_row(conf, y);
    for (int x = 0; x < w; x++) {
      /* A window with only a sliver of ring weighs that sliver less. */
      float share = mr[x] > 1e-6f ? mc[x] / mr[x] : 0.0f;
      float weight = fminf(1.0f, mr[x] / 0.02f);
      float v = 1.0f - share * weight;
      if (c[x] > 0.5f) v *= layer_conf;
      o[x] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
  }
done:
  dm_image_free(&core);
  dm_image_free(&near);
  dm_image_free(&ring);
  dm_image_free(&contact);
  dm_image_free(&mring);
  dm_image_free(&mcontact);
  return s;
}
