/* linear_gradient: no effect on the `zero` side, full effect beyond `full`.
 *
 * Pixel (px, py) sits at P = (px + 0.5, py + 0.5) in pixels; the handles,
 * stored as fractions of the photo (as Lightroom's ZeroX/ZeroY/FullX/FullY),
 * sit at Z = zero * (W, H) and F = full * (W, H). Then
 *
 *   t = (P - Z) . (F - Z) / |F - Z|^2,   c = smoothstep(clamp(t, 0, 1))
 *
 * Projecting in pixels, not in fractions, keeps the lines of equal value
 * perpendicular to the zero -> full line as the user sees it on a photo that
 * is not square (in fractions they would lean). smoothstep gives a ramp with
 * no visible start or end line, like Lightroom's graduated filter. */
#include "core/pool.h"
#include "mask/mask_kinds.h"

typedef struct {
  dm_image *plane;
  double zx, zy; /* Z in pixels */
  double ux, uy; /* (F - Z) / |F - Z|^2 */
  int x0, y0;    /* the plane's origin in the photo (a crop: in->frame) */
} linear_job;

static void linear_rows(void *user, int ith, int nth) {
  linear_job *j = user;
  int y0, y1;
  dm_split_rows(j->plane->height, ith, nth, &y0, &y1);
  /* t = t0 + x ux along a row; t0 in double keeps far-off handles exact. */
  const float ux = (float)j->ux;
  for (int y = y0; y < y1; y++) {
    float *p = dm_row(j->plane, y);
    const float t0 = (float)((0.5 - j->zx) * j->ux + (y + j->y0 + 0.5 - j->zy) * j->uy);
    for (int x = 0; x < j->plane->width; x++) p[x] = dm_smoothstep01(t0 + (float)(x + j->x0) * ux);
  }
}

dm_status dm_mask_linear_gradient_render(dm_context *ctx, const dm_mask_component *c,
                                         const dm_mask_inputs *in, dm_image *plane) {
  const dm_frame fr = dm_frame_of(&in->frame, plane->width, plane->height);
  const double w = fr.full_w, h = fr.full_h;
  linear_job j = {.plane = plane, .zx = c->zero[0] * w, .zy = c->zero[1] * h, .x0 = fr.x0, .y0 = fr.y0};
  double dx = (c->full[0] - (double)c->zero[0]) * w, dy = (c->full[1] - (double)c->zero[1]) * h;
  double len2 = dx * dx + dy * dy;
  if (!(len2 > 0))
    return dm_fail(ctx, DM_ERR_RANGE, "linear_gradient", "zero and full are the same point");
  j.ux = dx / len2;
  j.uy = dy / len2;
  dm_parallel(ctx, linear_rows, &j);
  return DM_OK;
}
