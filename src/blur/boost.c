/* Highlight boost.
 *
 * A photo clips its lights and speculars at white, so a blur of the photo
 * spreads far less light than the scene had: out-of-focus lights come out
 * as dull grey discs. Boost multiplies the light of clipped pixels before
 * they are spread (bl_boosted, blur_internal.h), so bokeh balls glow again:
 *
 *   gain = 1 + (BOOST_MAX_GAIN − 1) · boost/100 · w_level² · w_blur
 *
 * w_level ramps from 0 at `lo` to 1 at clipped white, measured on the
 * pixel's smallest channel: lights clip to white in every channel, while a
 * saturated colour or a bright sky clipping in one channel is not a light.
 * lo = 1 − BOOST_RANGE · (1 − threshold/100), so Threshold 100 boosts only
 * fully clipped pixels and 0 starts at 80 % of white. w_blur ramps from 0 at
 * the focus slice's edge to 1 at twice its CoC, so sharp highlights stay
 * as they are. At the defaults (Boost 50) a clipped light spreads 4.5 times
 * its clipped value; measured on the dof-eval scenes, whose lights are 8x
 * white and clip over a disc a little larger than the light, gains of 4 to
 * 5.5 come closest. */
#include "blur/blur_internal.h"

#define BOOST_MAX_GAIN 8.0f
#define BOOST_RANGE 0.2f

void bl_boost_setup(bl_state *st) {
  st->boost_g = (BOOST_MAX_GAIN - 1.0f) * st->p->boost / 100.0f;
  st->boost_lo = 1.0f - BOOST_RANGE * (1.0f - st->p->boost_threshold / 100.0f);
  if (st->boost_lo > 0.999f) st->boost_lo = 0.999f;
}
