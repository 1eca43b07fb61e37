/* Occlusion orders the background against the subject (fuse.h, step 3).
 *
 * What the subject's silhouette covers lies behind it: the background
 * right around the silhouette is the surface it stands in front of. The
 * network often gets that wrong on a bright, busy backdrop (a painting, a
 * graffiti wall read as near), and puts half the backdrop in front of the
 * subject. So the ring of background around the silhouette is evidence of
 * "behind", except along the silhouette's lowest part, where a ground plane
 * may meet the subject (there it is evidence of nothing: the ground runs
 * from in front of the subject to behind it).
 *
 * The rule: each connected part of the background that the network puts
 * in front of the subject's value s and that reaches the ring is lifted
 * behind the subject, into [s, s + LIFT_BAND] in its own order, and what
 * was behind already moves back past it (so the network still orders the
 * background among itself). Two kinds of part keep their place in front,
 * on positive evidence:
 *   - one the silhouette hems in (more than HEMMED_SHARE of its outline
 *     runs along the subject): an object between the camera and the
 *     subject, whose edge the silhouette follows round;
 *   - one that reaches the ring only along the silhouette's lowest
 *     DM_FUSE_CONTACT_SHARE, where a ground may meet the subject (that stretch of
 *     the ring does not count).
 * Every constant was chosen on the tune scenes of tests/data/dof-split.json
 * (depthmask-depth-eval's "behind" and "strict"). The band separation
 * (dm_fuse_remap_background) then moves the lifted parts clear of the
 * subject's band. */
#include <math.h>
#include <stdlib.h>

#include "depth/fuse_internal.h"

/* The ring: background (matte below RING_OUT) within RING_FRAC of the
 * proxy's long side of the core (matte >= 0.5). */
#define RING_FRAC 0.02f
#define RING_OUT 0.05f
/* A part whose outline runs along the subject for more than this share is
 * hemmed in by it: in front of it. */
#define HEMMED_SHARE 0.67f
/* Where lifted parts go: just behind the subject, within this much. */
#define LIFT_BAND 0.1f

/* Chessboard distance to the core, capped at r + 1 (two 1-D passes of a
 * min-filter would do the same; r is small). Returns the ring mask. */
static dm_status ring_of(dm_context *ctx, const dm_image *mp, int r, float bottom_y, dm_image *ring) {
  int w = mp->width, h = mp->height;
  dm_image near = {0};
  dm_status s = dm_image_alloc(ctx, &near, w, h, 1);
  if (!s) s = dm_image_alloc(ctx, ring, w, h, 1);
  if (s) {
    dm_image_free(&near);
    return s;
  }
  /* horizontal: is a core pixel within r in this row? */
  for (int y = 0; y < h; y++) {
    const float *m = dm_row(mp, y);
    float *o = dm_row(&near, y);
    int last = -1000000;
    for (int x = 0; x < w; x++) {
      if (m[x] >= 0.5f) last = x;
      o[x] = x - last <= r ? 1.0f : 0.0f;
    }
    last = 1000000;
    for (int x = w - 1; x >= 0; x--) {
      if (m[x] >= 0.5f) last = x;
      if (last - x <= r) o[x] = 1.0f;
    }
  }
  /* vertical over that */
  for (int x = 0; x < w; x++) {
    int last = -1000000;
    for (int y = 0; y < h; y++) {
      if (dm_row(&near, y)[x] > 0.5f) last = y;
      dm_row(ring, y)[x] = y - last <= r ? 1.0f : 0.0f;
    }
    last = 1000000;
    for (int y = h - 1; y >= 0; y--) {
      if (dm_row(&near, y)[x] > 0.5f) last = y;
      if (last - y <= r) dm_row(ring, y)[x] = 1.0f;
    }
  }
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      float *o = &dm_row(ring, y)[x];
      *o = *o > 0.5f && dm_row(mp, y)[x] < RING_OUT && (float)y < bottom_y ? 1.0f : 0.0f;
    }
  dm_image_free(&near);
  return DM_OK;
}

/* Which parts of the background in front of the subject reach the ring
 * (lifted behind it), and which are hemmed in by the silhouette (an object
 * between the camera and the subject: the silhouette runs round it, so it
 * keeps its place in front). */
typedef struct lift {
  const dm_image *ring, *mp;
  dm_image *bg;
  dm_image *mark;  /* 1 where a part is lifted */
  float subject;
} lift;

static int lift_part(void *user, const int *px, int n) {
  lift *l = user;
  const dm_image *m = l->mp;
  int w = m->width, h = m->height, touches = 0;
  double edge = 0, hemmed = 0;
  for (int k = 0; k < n; k++) {
    int x = px[k] % w, y = px[k] / w;
    touches |= dm_row(l->ring, y)[x] > 0.5f;
    /* its outline: a 4-neighbour outside the part; hemmed when that
     * neighbour is the subject */
    const int nx[4] = {x - 1, x + 1, x, x}, ny[4] = {y, y, y - 1, y + 1};
    for (int j = 0; j < 4; j++) {
      if (nx[j] < 0 || ny[j] < 0 || nx[j] >= w || ny[j] >= h) continue;
      float mv = dm_row(m, ny[j])[nx[j]];
      float bv = dm_row(l->mark, ny[j])[nx[j]]; /* -1: this part (set below) */
      if (bv == -1.0f) continue;
      edge += 1, hemmed += mv >= 0.5f;
    }
  }
  int lifted = touches && !(edge > 0 && hemmed > HEMMED_SHARE * edge);
  for (int k = 0; k < n; k++) dm_row(l->mark, px[k] / w)[px[k] % w] = lifted ? 1.0f : 0.0f;
  return 0;
}

float dm_fuse_contact_line(const dm_image *mp) {
  int w = mp->width, h = mp->height, top = h, bottom = -1;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      if (dm_row(mp, y)[x] >= 0.5f) {
        if (y < top) top = y;
        bottom = y;
      }
  /* a silhouette cut by the frame's bottom meets no ground in view */
  if (bottom < 0 || bottom >= h - 2) return (float)h;
  return (float)bottom - DM_FUSE_CONTACT_SHARE * (float)(bottom - top);
}

dm_status dm_fuse_occlusion(dm_context *ctx, const dm_image *mp, float subject, dm_image *bg) {
  int w = mp->width, h = mp->height, any = 0;
  for (int y = 0; y < h && !any; y++)
    for (int x = 0; x < w; x++)
      if (dm_row(mp, y)[x] >= 0.5f) {
        any = 1;
        break;
      }
  if (!any || !(subject < 1.0f)) return DM_OK;
  float bottom_y = dm_fuse_contact_line(mp);
  int r = (int)(RING_FRAC * (float)(w > h ? w : h) + 0.5f);
  dm_image ring = {0}, front = {0}, mark = {0};
  dm_status s = ring_of(ctx, mp, r > 1 ? r : 1, bottom_y, &ring);
  if (!s) s = dm_image_alloc(ctx, &front, w, h, 1);
  if (!s) s = dm_image_alloc(ctx, &mark, w, h, 1);
  /* the background the network puts in front of the subject; mark: -1 on
   * it until its part is judged */
  for (int y = 0; !s && y < h; y++)
    for (int x = 0; x < w; x++) {
      int f = dm_row(mp, y)[x] < 0.5f && dm_row(bg, y)[x] < subject;
      dm_row(&front, y)[x] = f ? 1.0f : 0.0f;
      dm_row(&mark, y)[x] = f ? -1.0f : 0.0f;
    }
  lift l = {&ring, mp, bg, &mark, subject};
  if (!s) s = dm_fuse_relabel_parts(ctx, &front, NULL, 1.0f, lift_part, &l);
  /* The lifted parts go just behind the subject, in [s, s + LIFT_BAND],
   * in their own order; what was behind already moves back past them. */
  float lo = 1.0f, hi = 0.0f;
  for (int y = 0; !s && y < h; y++)
    for (int x = 0; x < w; x++)
      if (dm_row(&mark, y)[x] > 0.5f) {
        float v = dm_row(bg, y)[x];
        lo = v < lo ? v : lo, hi = v > hi ? v : hi;
      }
  if (!s && hi >= lo) {
    float band = LIFT_BAND < 1.0f - subject ? LIFT_BAND : 0.5f * (1.0f - subject);
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        float *v = &dm_row(bg, y)[x];
        if (dm_row(&mark, y)[x] > 0.5f)
          *v = subject + (hi > lo ? (*v - lo) / (hi - lo) : 0.0f) * band;
        else if (*v >= subject)
          *v = subject + band + (*v - subject) * (1.0f - subject - band) / (1.0f - subject);
      }
  }
  dm_image_free(&ring);
  dm_image_free(&front);
  dm_image_free(&mark);
  return s;
}
