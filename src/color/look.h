/* The default look of a camera raw, applied in the output transform: after
 * the corrections and the lens blur, which work in linear light, before the
 * conversion to the output profile.
 *
 * A raw's linear rendering is dim and flat next to what the camera or
 * Lightroom shows: its middle grey sits where the scene's was, and nothing
 * compresses the highlights. The look is darktable's published default for
 * a raw in its scene-referred workflow, not fitted to any file here:
 *   exposure +0.7 EV (darktable's exposure module default for raws), plus
 *   a DNG's BaselineExposure, the exposure the DNG specification asks a
 *   default rendering to add (phones store raws under-exposed and say by
 *   how much there), then
 *   sigmoid with its defaults: contrast 1.5 around middle grey (0.1845,
 *   which stays where it is), skew 0, display white 100 %, display black
 *   0.0152 %, per channel with 100 % hue preservation.
 * The curve is a generalised log-logistic: y = black + (white - black) *
 * (x^c / (x^c + k))^p with c the contrast, p = 1 (no skew) and k set so
 * that f(grey) = grey. Per channel it lifts saturation as film and camera
 * curves do; hue preservation then puts the middle channel back at the
 * place between the other two that it had, so hues do not drift (orange
 * skin does not turn yellow). */
#ifndef DM_LOOK_H
#define DM_LOOK_H

#include "core/image.h"

typedef enum dm_look {
  DM_LOOK_NONE = 0,       /* linear: the rendering as it is */
  DM_LOOK_RAW_DEFAULT,    /* the default look of a camera raw (above) */
} dm_look;

/* Apply `look` to a 3-channel linear working-space image, in place;
 * extra_ev: the photo's own exposure for its default rendering (a DNG's
 * BaselineExposure; dm_metadata.baseline_ev). */
dm_status dm_look_apply(dm_context *ctx, dm_image *img, dm_look look, float extra_ev);

#endif
