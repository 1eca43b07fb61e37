/* Highlight boost.
 *
 * A photo clips its lights and speculars at white, so a blur of the photo
 * spreads far less light than the scene had: out-of-focus lights come out
 * as dull grey discs. Boost multiplies the light of clipped pixels before
 * they are spread (bl_boosted, blur_internal.h), so bokeh balls glow again:
 *
 *   gain = 1 + (BOOST_MAX_GAIN − 1) · boost/100 · w_level² · w_blur · w_size
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
 * 5.5 come closest.
 *
 * w_size (process version 3) tells a light from a white shirt. It looks at
 * each connected clipped region (8-connected pixels above `lo`; version 4:
 * see below) as a whole:
 * its area A gives the radius ρ = √(A/π) of a disc as large, its pixels'
 * mean CoC radius R the disc the blur spreads each point into, and
 *   w_size = 1 for ρ ≤ R/2,  0 for ρ ≥ R,  smoothstep between.
 * Why this is physics, not a fit: blurring spreads each point over its CoC,
 * so a region much smaller than its CoC ends up spread over (R/ρ)² times
 * its area: the light clipping hid (a lamp is many times white) is what
 * makes its bokeh disc bright, and only a boost can give it back. A region
 * at least as wide as its CoC keeps its own clipped value over its middle
 * whatever its true brightness, so a boost can only add a bright rim at its
 * edge; and a large area at the clip point in a well-exposed photo is lit,
 * not a lamp (a lamp that large would have set the exposure). The bounds
 * are those two geometric cases, R/2 and R, not numbers chosen on scenes.
 *
 * Process version 4 measures the region on the pixels within a stop of
 * where the boost starts (linear value above lo/2), not on the clipped ones
 * alone. A light is many stops above what surrounds it, so its bright
 * region is its clipped core and a thin rim; a white shirt, a wall or a
 * sky is lit like the rest of the scene, its unclipped parts sit within a
 * stop of white, and its clipped pixels are scattered specks inside one
 * large bright region: by clipped pixels alone the specks looked like many
 * small lights (measured on the tune scenes: tests/data/dof-tune, tune4's
 * white clothing lost 4.1 dB to Boost). One stop is the span of shading a
 * diffuse white surface shows across a garment or a wall in one light.
 * The same region also bounds the gain: its shoulder (from lo/2 to the
 * clipped core) is rho − rho_c wide, and rising at that slope across the
 * core the highlight can peak at lo·(1 + rho_c / (2·width)) at most; the
 * gain stops there. A light the photo already blurred (a lens stopped down
 * to f/8 leaves a disc with a wide shoulder) gets little; a sharp light, a
 * shoulder of one anti-aliased pixel, the full prior gain. */
#include <emmintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blur/blur_internal.h"
#include "core/pool.h"

#define BOOST_MAX_GAIN 8.0f
#define BOOST_RANGE 0.2f

void bl_boost_setup(bl_state *st) {
  st->boost_g = (BOOST_MAX_GAIN - 1.0f) * st->p->boost / 100.0f;
  st->boost_lo = 1.0f - BOOST_RANGE * (1.0f - st->p->boost_threshold / 100.0f);
  if (st->boost_lo > 0.999f) st->boost_lo = 0.999f;
}

#define REGION 0x80000000u /* lab[root] = REGION | its region's number (images < 2^31 px) */

static uint32_t find(uint32_t *parent, uint32_t a) {
  while (parent[a] != a) a = parent[a] = parent[parent[a]];
  return a;
}

/* Which pixels are part of a highlight region: (version 4) within a stop
 * of where the boost starts, or (version 3) clipped; and which rows hold
 * any. */
typedef struct flag_job {
  const bl_state *st;
  uint8_t *flag, *row_has;
} flag_job;

static void flag_rows(void *user, int ith, int nth) {
  flag_job *j = user;
  const bl_state *st = j->st;
  const float level = st->p->boost_light_size >= 2 ? 0.5f * st->boost_lo : st->boost_lo;
  int y0, y1;
  dm_split_rows(st->h, ith, nth, &y0, &y1);
  for (int y = y0; y < y1; y++) {
    const float *in = dm_row(st->in, y);
    uint8_t *f = j->flag + (size_t)y * st->w, any = 0;
    for (int x = 0; x < st->w; x++) any |= f[x] = bl_min3(in + 3 * x) > level;
    j->row_has[y] = any;
  }
}

/* After numbering: pixel i's region number. */
static uint32_t region_of(const uint32_t *lab, size_t i) {
  uint32_t v = lab[i];
  return (v & REGION ? v : lab[v]) & ~REGION;
}

/* w_size x 255 of a region of `area` pixels, summed |CoC radius| rsum and
 * `clip` clipped pixels (see the top). */
static uint8_t size_weight(const bl_state *st, float area, float rsum, float clip) {
  float R = rsum / area, rho = sqrtf(area / 3.14159265f), w;
  if (rho <= 0.5f * R) w = 1.0f;
  else if (rho >= R) w = 0.0f;
  else {
    float t = (R - rho) / (0.5f * R);
    w = t * t * (3.0f - 2.0f * t);
  }
  if (st->p->boost_light_size >= 2 && clip > 0.0f) {
    /* The shoulder from lo/2 to lo is (rho - rho_c) wide; rising at that
     * slope across the clipped core, the highlight peaks at
     * lo·(1 + rho_c / (2·width)). The gain may not pass that peak: a
     * light the photo already blurred has a wide shoulder and a low
     * peak, a sharp light a shoulder of an anti-aliased pixel. */
    float rho_c = sqrtf(clip / 3.14159265f), width = rho - rho_c;
    float peak = 1.0f + rho_c / (2.0f * (width > 0.5f ? width : 0.5f));
    float cap = (peak - 1.0f) / st->boost_g;
    if (cap < w) w = cap;
  }
  return (uint8_t)(w * 255.0f + 0.5f);
}

/* The first x' >= x below w with f[x'] set, or w: lights are few, so most
 * of a row with one is skipped sixteen bytes at a time. */
static int next_flag(const uint8_t *f, int x, int w) {
  for (; x + 16 <= w; x += 16) {
    const int m = ~_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(f + x)),
                                                    _mm_setzero_si128())) & 0xffff;
    if (m) return x + __builtin_ctz((unsigned)m);
  }
  while (x < w && !f[x]) x++;
  return x;
}

/* Every pixel's w_size: its region's (lab numbered), 0 outside any. */
typedef struct weight_job {
  bl_state *st;
  const uint32_t *lab;
  const uint8_t *flag, *row_has, *weight;
} weight_job;

static void weight_rows(void *user, int ith, int nth) {
  const weight_job *j = user;
  bl_state *st = j->st;
  int y0, y1;
  dm_split_rows(st->h, ith, nth, &y0, &y1);
  for (int y = y0; y < y1; y++) {
    const size_t r = (size_t)y * st->w;
    memset(st->boost_w + r, 0, (size_t)st->w);
    if (!j->row_has[y]) continue;
    for (int x = next_flag(j->flag + r, 0, st->w); x < st->w; x = next_flag(j->flag + r, x + 1, st->w))
      st->boost_w[r + x] = j->weight[region_of(j->lab, r + x)];
  }
}

dm_status bl_boost_sizes(bl_state *st) {
  if (st->boost_g <= 0.0f || !st->p->boost_light_size) return DM_OK;
  size_t n = (size_t)st->w * st->h;
  /* Union-find over the regions' pixels (flag): lab[i] = i's parent pixel,
   * roots point to themselves; lab is read only where flag is set, and
   * rows without a region pixel are skipped: lights are few. */
  uint32_t *lab = bl_alloc(n * sizeof *lab);
  uint8_t *flag = bl_alloc(n), *row_has = malloc((size_t)st->h);
  if (!st->boost_w) st->boost_w = bl_alloc(n); /* a plan keeps it for the next image */
  if (!lab || !flag || !row_has || !st->boost_w) {
    bl_free(lab), bl_free(flag), bl_free(row_has);
    return dm_fail(st->ctx, DM_ERR_NOMEM, NULL, "out of memory for the highlight boost");
  }
  flag_job fj = {st, flag, row_has};
  dm_parallel(st->ctx, flag_rows, &fj);
  for (int y = 0; y < st->h; y++) {
    if (!row_has[y]) continue;
    const uint8_t *fr = flag + (size_t)y * st->w;
    for (int x = next_flag(fr, 0, st->w); x < st->w; x = next_flag(fr, x + 1, st->w)) {
      size_t i = (size_t)y * st->w + x;
      lab[i] = (uint32_t)i;
      /* the already visited 8-neighbours: left, and the three above */
      static const int dx[4] = {-1, -1, 0, 1}, dy[4] = {0, -1, -1, -1};
      for (int k = 0; k < 4; k++) {
        int nx = x + dx[k], ny = y + dy[k];
        if (nx < 0 || ny < 0 || nx >= st->w) continue;
        size_t j = (size_t)ny * st->w + nx;
        if (!flag[j]) continue;
        uint32_t a = find(lab, (uint32_t)i), b = find(lab, (uint32_t)j);
        if (a != b) lab[a > b ? a : b] = a < b ? a : b; /* roots point to the smaller label */
      }
    }
  }
  /* Number the regions in one pass in pixel order. Every parent has a
   * smaller index than its child (unions point the larger root at the
   * smaller, halving keeps that), so a root is its region's first pixel and
   * a pixel's parent is already done: a root becomes REGION | its number,
   * any other pixel its root's index. */
  uint32_t n_regions = 0;
  for (int y = 0; y < st->h; y++) {
    if (!row_has[y]) continue;
    const uint8_t *fr = flag + (size_t)y * st->w;
    for (int x = next_flag(fr, 0, st->w); x < st->w; x = next_flag(fr, x + 1, st->w)) {
      size_t i = (size_t)y * st->w + x;
      uint32_t p = lab[i];
      lab[i] = p == i ? REGION | n_regions++ : lab[p] & REGION ? p : lab[p];
    }
  }
  /* Area and summed |CoC radius| per region, in pixel order; then each
   * region's w_size once, and every pixel's on every thread. */
  float *area = calloc(n_regions + 1, sizeof *area), *rsum = calloc(n_regions + 1, sizeof *rsum);
  float *clip = calloc(n_regions + 1, sizeof *clip); /* version 4: its clipped pixels */
  uint8_t *weight = malloc(n_regions + 1);
  dm_status s = DM_OK;
  if (!area || !rsum || !clip || !weight)
    s = dm_fail(st->ctx, DM_ERR_NOMEM, NULL, "out of memory for the highlight boost");
  for (int y = 0; y < st->h && !s; y++) {
    if (!row_has[y]) continue;
    const float *in = dm_row(st->in, y);
    const uint8_t *fr = flag + (size_t)y * st->w;
    for (int x = next_flag(fr, 0, st->w); x < st->w; x = next_flag(fr, x + 1, st->w)) {
      size_t i = (size_t)y * st->w + x;
      uint32_t k = region_of(lab, i);
      area[k] += 1.0f;
      rsum[k] += fabsf(st->rad[i]);
      clip[k] += bl_min3(in + 3 * x) > st->boost_lo;
    }
  }
  if (!s) {
    for (uint32_t k = 0; k < n_regions; k++) weight[k] = size_weight(st, area[k], rsum[k], clip[k]);
    weight_job wj = {st, lab, flag, row_has, weight};
    dm_parallel(st->ctx, weight_rows, &wj);
  }
  free(area), free(rsum), free(clip), free(weight);
  bl_free(lab), bl_free(flag), bl_free(row_has);
  return s;
}
