/* radial_gradient: full effect inside an ellipse, falling to none at its edge.
 *
 * The box (left, top, right, bottom), in fractions of the photo as
 * Lightroom stores it, gives in pixels the centre C = ((l + r) W, (t + b) H) / 2
 * and the semi-axes a = (r - l) W / 2, b = (b - t) H / 2. The ellipse turns
 * by `angle` degrees about C in pixel space (clockwise on screen, where y
 * points down). For pixel centre P = (px + 0.5, py + 0.5), d = P - C:
 *
 *   u = cos(θ) dx + sin(θ) dy,   v = -sin(θ) dx + cos(θ) dy
 *   ρ = sqrt((u / a)^2 + (v / b)^2)          (1 on the ellipse)
 *   f = feather / 100,  ρ0 = 1 - f
 *   c = 1 for ρ <= ρ0, 0 for ρ >= 1, smoothstep((1 - ρ) / f) between;
 *   feather 0 is a hard edge: c = 1 for ρ <= 1, else 0.
 *
 * The usual vignette (effect outside) is the same component inverted. */
#include <math.h>

#include "core/pool.h"
#include "mask/mask_kinds.h"

typedef struct {
  dm_image *plane;
  double cx, cy, cos_t, sin_t, inv_a, inv_b;
  float f; /* feather, 0..1 */
  int x0, y0; /* the plane's origin in the photo (a crop: in->frame) */
} radial_job;

static void radial_rows(void *user, int ith, int nth) {
  radial_job *j = user;
  int y0, y1;
  dm_split_rows(j->plane->height, ith, nth, &y0, &y1);
  /* In float per pixel (so the loops vectorise). Offsets from the centre
   * are x + ox with ox rounded once, so mirrored pixels get exactly
   * opposite offsets; u and v are computed from them directly, not
   * accumulated along the row, which keeps a centred ellipse symmetric and
   * a quarter turn a transpose, bit for bit. */
  const float f = j->f, inv_f = f > 0 ? 1.0f / f : 0.0f;
  const float ox = (float)(0.5 - j->cx), oy = (float)(0.5 - j->cy);
  const float ca = (float)(j->cos_t * j->inv_a), sa = (float)(j->sin_t * j->inv_a);
  const float cb = (float)(j->cos_t * j->inv_b), sb = (float)(j->sin_t * j->inv_b);
  for (int y = y0; y < y1; y++) {
    float *p = dm_row(j->plane, y);
    const float dy = (float)(y + j->y0) + oy, u_row = sa * dy, v_row = cb * dy;
    if (f <= 0.0f) {
      for (int x = 0; x < j->plane->width; x++) {
        const float dx = (float)(x + j->x0) + ox, u = ca * dx + u_row, v = v_row - sb * dx;
        p[x] = u * u + v * v <= 1.0f ? 1.0f : 0.0f;
      }
    } else {
      /* (1 - rho) / f >= 1 exactly where rho <= 1 - f: the clamp in
       * smoothstep makes both the plateau and the outside. */
      for (int x = 0; x < j->plane->width; x++) {
        const float dx = (float)(x + j->x0) + ox, u = ca * dx + u_row, v = v_row - sb * dx;
        p[x] = dm_smoothstep01((1.0f - sqrtf(u * u + v * v)) * inv_f);
      }
    }
  }
}

/* cos and sin of `deg` degrees, exact at multiples of 90 so that a quarter
 * turn maps pixel centres onto pixel centres bit for bit. */
static void cos_sin_deg(double deg, double *c, double *s) {
  double q = deg / 90.0;
  if (q == floor(q)) {
    static const double cs[4][2] = {{1, 0}, {0, 1}, {-1, 0}, {0, -1}};
    int k = (int)fmod(fmod(q, 4.0) + 4.0, 4.0);
    *c = cs[k][0];
    *s = cs[k][1];
    return;
  }
  double rad = deg * (3.14159265358979323846 / 180.0);
  *c = cos(rad);
  *s = sin(rad);
}

dm_status dm_mask_radial_gradient_render(dm_context *ctx, const dm_mask_component *c,
                                         const dm_mask_inputs *in, dm_image *plane) {
  const dm_frame fr = dm_frame_of(&in->frame, plane->width, plane->height);
  const double w = fr.full_w, h = fr.full_h;
  const double a = (c->right - (double)c->left) * w * 0.5, b = (c->bottom - (double)c->top) * h * 0.5;
  if (!(a > 0) || !(b > 0))
    return dm_fail(ctx, DM_ERR_RANGE, "radial_gradient", "the ellipse has no area");
  radial_job j = {.plane = plane,
                  .cx = (c->left + (double)c->right) * w * 0.5,
                  .cy = (c->top + (double)c->bottom) * h * 0.5,
                  .inv_a = 1.0 / a,
                  .inv_b = 1.0 / b,
                  .f = c->feather / 100.0f,
                  .x0 = fr.x0,
                  .y0 = fr.y0};
  cos_sin_deg(c->angle, &j.cos_t, &j.sin_t);
  dm_parallel(ctx, radial_rows, &j);
  return DM_OK;
}
