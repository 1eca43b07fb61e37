/* subject and background: Select Subject / Select Background from the
 * scene's full-resolution matte (already refined to the photo's edges by
 * src/matte): c = matte, or 1 - matte, clamped to [0, 1], and its ends
 * snapped as the matte's 8 bits have them (dm_matte_soft): alpha under
 * 1.5/255 is 0, over 254.5/255 is 1. A faint haze of alpha in the
 * background is not subject: a Subject correction leaves those pixels as
 * they are (as the lens blur takes them as background), rather than
 * touching them by a fraction of a percent. */
#include "core/pool.h"
#include "mask/mask_kinds.h"
#include "matte/matte.h"

typedef struct {
  const dm_image *matte;
  dm_image *plane;
  int background;
} copy_job;

static void copy_rows(void *user, int ith, int nth) {
  copy_job *j = user;
  int y0, y1;
  dm_split_rows(j->plane->height, ith, nth, &y0, &y1);
  for (int y = y0; y < y1; y++) {
    const float *m = dm_row(j->matte, y);
    float *p = dm_row(j->plane, y);
    /* no branches (dm_matte_code is selects), so the loop vectorises */
    const float flip = j->background ? 1.0f : 0.0f, sign = j->background ? -1.0f : 1.0f;
    for (int x = 0; x < j->plane->width; x++) {
      float v = m[x] > 0.0f ? m[x] : 0.0f; /* also NaN */
      v = v < 1.0f ? v : 1.0f;
      const int q = dm_matte_code(v), soft = (q > 1) & (q < 255);
      v = soft ? v : (float)(q == 255);
      p[x] = flip + sign * v;
    }
  }
}

dm_status dm_mask_subject_render(dm_context *ctx, const dm_mask_component *c,
                                 const dm_mask_inputs *in, dm_image *plane) {
  const char *name = dm_mask_kind_name(c->kind);
  const dm_image *m = in->matte;
  if (!m || !m->data)
    return dm_fail(ctx, DM_ERR_PARAM, name, "%s needs a subject matte (not --matte none)", name);
  if (m->channels != 1 || m->width != plane->width || m->height != plane->height)
    return dm_fail(ctx, DM_ERR_INTERNAL, name, "the matte must be 1 channel, %dx%d", plane->width,
                   plane->height);
  copy_job j = {.matte = m, .plane = plane, .background = c->kind == DM_MASK_BACKGROUND};
  dm_parallel(ctx, copy_rows, &j);
  return DM_OK;
}
