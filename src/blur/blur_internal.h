/* Lens blur internals shared by the files of src/blur/. */
#ifndef DM_BLUR_INTERNAL_H
#define DM_BLUR_INTERNAL_H

#include <math.h>
#include <stdint.h>

#include "blur/blur.h"
#include "matte/matte.h"

/* Largest kernel radius, in pixels of its pyramid level, scattered at that
 * level. A slice whose CoC radius r exceeds it runs at level
 * L = ceil(log2(r / BL_R0)), where its radius is in (BL_R0/2, BL_R0]. */
#define BL_R0 8
/* |CoC radius| <= BL_FOCUS_R px (CoC diameter <= 2 px): the focus slice. */
#define BL_FOCUS_R 1.0f
/* Kernels are tabulated for radii in steps of 1/BL_Q px. */
#define BL_Q 16
/* Polygons of equal area reach past the unit circle (a pentagon to 1.15);
 * rows and columns of margin a kernel may need around its source. */
#define BL_REACH (BL_R0 + BL_R0 / 4 + 2)
#define BL_PAD (BL_REACH + 2)
#define BL_MAX_LEVEL 14
#define BL_MAX_SLICES (2 * (BL_MAX_LEVEL + 1) + 1)
/* Matte alpha at or below this is background. */
#define BL_ALPHA_EPS (1.0f / 255.0f)
/* Images above this many pixels fill their full-resolution slices on the
 * 4x-coarser grid instead of the 2x one (bl_fill_level0). */
#define BL_FILL_LARGE (4 * 1000 * 1000)

/* ---- scratch memory (mem.c): bl_free() releases it ---------------------- */

void *bl_alloc(size_t bytes);
void *bl_calloc(size_t count, size_t size);
/* Frees what bl_alloc, bl_calloc or malloc returned. */
void bl_free(void *p);

/* Per-call scratch for transient buffers: bl_take bumps a pointer in
 * chunks that live until bl_arena_free; bl_arena_reset makes them all
 * free again, so each stage reuses the pages the previous one touched
 * (first touches of fresh memory are a large share of the time). */
#define BL_ARENA_CHUNKS 32
typedef struct bl_arena {
  char *base[BL_ARENA_CHUNKS];
  size_t cap[BL_ARENA_CHUNKS], used[BL_ARENA_CHUNKS];
  int n;
} bl_arena;
void *bl_take(bl_arena *a, size_t bytes);
void bl_arena_reset(bl_arena *a);
void bl_arena_free(bl_arena *a);

/* ---- aperture kernels (shape.c) ---------------------------------------- */

/* One span of a kernel row: columns [a, b] (px, relative to the source's
 * centre) at row offset dy, carrying density d per px² (a negative d
 * subtracts, for rings and bubble rims). */
typedef struct bl_span {
  int16_t dy;
  float a, b, d;
} bl_span;

/* One fractional edge written into a row-difference buffer: row offset dy,
 * the two cells dx and dx + 1 it falls between and their weights. Two taps
 * per span (its edges); the pair is adjacent in memory, one 8-float write
 * where the machine has AVX. */
typedef struct bl_tap {
  int16_t dy, dx;
  float w0, w1;
} bl_tap;

/* Kernels for every tabulated radius q / BL_Q, q = 0 .. nq - 1. */
typedef struct bl_kernels {
  int nq;
  int *span0, *tap0;   /* nq + 1 offsets into spans / taps */
  int *reach;          /* rows above/below the source that entry q touches */
  bl_span *spans;
  bl_tap *taps;
  float cat_eye;       /* 0..1: per-source clipping (scatter.c), 0 = off */
  int avx;             /* the machine runs AVX: a tap is one 8-float write */
} bl_kernels;

dm_status bl_kernels_build(dm_context *ctx, const dm_lens_blur *p, bl_kernels *k);
void bl_kernels_free(bl_kernels *k);
static inline int bl_kernel_index(const bl_kernels *k, float radius) {
  int q = (int)(radius * BL_Q + 0.5f);
  return q < 0 ? 0 : (q >= k->nq ? k->nq - 1 : q);
}

/* ---- CoC (coc.c) -------------------------------------------------------- */

/* Maps near01 to a signed CoC *radius* in pixels: r = clamp(a + b·n, lo, hi)
 * piecewise (artistic: three linear pieces; physical: one). */
typedef struct bl_coc_fn {
  int physical;
  float k, s, zn_inv, dz_inv; /* physical: r = k (1 − s (zn_inv − n dz_inv)) */
  float fr[4];                    /* artistic: focal range on the 0..1 scale */
  float rmax;                     /* artistic: full-blur radius */
} bl_coc_fn;

/* rg (NULL: near01 is the photo) gives the photo's size and its focus
 * depths; near01 and matte are then not read (they may be NULL). kept
 * (may be NULL): the focus depths of this depth and matte, kept[3] != 0
 * when known (a plan's, remade for a new Amount), set here otherwise. */
dm_status bl_coc_setup(dm_context *ctx, const dm_image *near01, float z_near_m, float z_far_m,
                       const dm_image *matte, const dm_lens_blur *p,
                       const dm_lens_blur_region *rg, float *kept, bl_coc_fn *fn);
/* Selects, not branches (the divisions' guards are chosen before them), so
 * that a row of radii vectorises; the same values as the branches gave. */
static inline float bl_coc_radius(const bl_coc_fn *fn, float n) {
  const float c = n < 0.0f ? 0.0f : (n > 1.0f ? 1.0f : n);
  float r;
  if (fn->physical) {
    float zi = fn->zn_inv - c * fn->dz_inv; /* 1/z, clamped at infinity */
    zi = zi < 0.0f ? 0.0f : zi;
    r = fn->k * (1.0f - fn->s * zi);
  } else {
    const float *f = fn->fr;
    const int lo_ramp = f[1] > f[0], hi_ramp = f[3] > f[2];
    const float near = lo_ramp ? -(f[1] - c) / (lo_ramp ? f[1] - f[0] : 1.0f) : -1.0f;
    const float far = hi_ramp ? (c - f[2]) / (hi_ramp ? f[3] - f[2] : 1.0f) : 1.0f;
    float b = c < f[1] ? near : (c > f[2] ? far : 0.0f);
    b = b < -1.0f ? -1.0f : (b > 1.0f ? 1.0f : b);
    r = b * fn->rmax;
  }
  return n == n ? r : 0.0f; /* NaN: in focus */
}

/* ---- slices (slices.c) -------------------------------------------------- */

typedef struct bl_slice {
  int cand;            /* its candidate id: what st->sid holds for its pixels */
  int sign;            /* -1 near, 0 focus, +1 far */
  int level;           /* pyramid level it scatters at */
  float rlo, rhi;      /* |radius| range it holds (px) */
  float rmax;          /* largest |radius| actually present */
  long long n_own;     /* pixels whose front content is in this slice */
  /* fill of the part hidden behind nearer slices, at fill_level:
   * 4 channels R, G, B, r; r < 0 where there is no fill */
  int fill_level, fw, fh;
  int fx0, fy0;        /* the fill's first cell: a full-resolution slice's fill covers only
                          the cells about what hides it (win) */
  int win[4];          /* pixels [x0, x1) x [y0, y1) its fill may be read at, and what
                          it is made from (slices.c, fill_windows); empty: no fill */
  float *fill;
  float fill_reach;    /* px: how far behind nearer content it is filled */
  float *geo;          /* a plan's: per cell of its own-content grid, coverage, r·coverage
                          and the two hidden fractions (slice_inputs.c), or NULL */
  uint8_t *dead;       /* fw x fh: 1 where that cell and its 8 neighbours are beyond: no
                          pixel there gets anything from bl_fill_at (bl_fill_dead) */
  uint8_t *beyond;     /* fw x fh: 1 where the fill is farther than fill_reach from the
                          layer's own pixels (geometry: a plan keeps it), or NULL */
  /* coarse slices (level >= 1): scattered result, RGBA premultiplied */
  int aw, ah;
  float *acc;
} bl_slice;

typedef struct bl_reuse bl_reuse;

typedef struct bl_state {
  dm_context *ctx;
  const dm_lens_blur *p;
  int w, h;
  dm_frame frame;          /* where the image lies in the photo (a region: a crop of it) */
  const dm_lens_blur_region *rg; /* NULL: the image is the photo */
  float far_rmax;          /* a crop's: the whole photo's largest CoC behind the focus */
  const dm_image *in;      /* the caller's image: read until the band pass overwrites it */
  const dm_image *matte;   /* may be NULL */
  const struct dm_matte_layers *layers; /* F and B of the matte's soft pixels, or NULL */
  uint64_t *layer_bits;    /* with layers, for this call: w*h bits, set at their pixels */
  uint32_t *layer_rank;    /* per 64-bit word: the bits set before it (bl_layer_index) */
  float boost_g, boost_lo; /* highlight boost (boost.c), applied on the fly */
  uint8_t *boost_w;        /* w*h: w_size x 255 of each clipped pixel's region, or NULL (boost.c) */
  float *rad;              /* w*h: signed CoC radius of the front content */
  uint8_t *sid;            /* w*h: candidate slice of the front content (slices.c) */
  uint8_t *m8;             /* w*h subject alpha x 255: the matte, or one made from the depth
                              edges (matte_synth.c), or NULL */
  uint8_t *bid;            /* with a matte, w*h: slice behind a soft subject pixel, 255 none,
                              BL_NOT_SUBJECT */
  uint32_t *soft;          /* with a matte: the soft pixels that give a slice behind their
                              background share (bid set), in pixel order, and how many */
  size_t n_soft;
  bl_slice subj;           /* with a matte: the subject's colour, push-pulled (level 1) */
  int n_slices;
  bl_slice slices[BL_MAX_SLICES];
  int8_t slice_of[BL_MAX_SLICES]; /* candidate id -> slice index, -1 when empty */
  long long n_behind[BL_MAX_SLICES]; /* soft subject pixels whose background is candidate c */
  bl_kernels kern;
  bl_arena scratch;
  int planned;             /* kept between images (dm_lens_blur_plan): buffers are reused */
  uint64_t image_id[2];    /* what the caller calls this image (dm_lens_blur_plan_image), or 0 */
  float focus[4];          /* auto focus depths of the depth and matte, focus[3] != 0 when known
                              (bl_coc_setup): a plan keeps them while only Amount changes */
  float r0;                /* the largest CoC radius scattered at full resolution (slices.c):
                              BL_R0, or half of it for an editor's draft */
  bl_reuse *reuse;         /* a plan's: the image before and what its slices left (reuse.c) */
  uint8_t dirty[BL_MAX_SLICES]; /* per slice: this image changes what it reads (all, unplanned) */
} bl_state;

/* ---- what a plan reuses from the image before (reuse.c) ------------------ */

/* Which slices this image changes (st->dirty), against the image before;
 * keeps this image for the next one. Every slice without a plan, on a
 * plan's first image, or after one was cancelled. Needs st->boost_w made. */
dm_status bl_reuse_mark(bl_state *st);
/* This image's slices are all done: the next image may reuse them. */
void bl_reuse_done(bl_state *st);
/* A planned far level-0 slice k's kept scatter (h rows of the band
 * buffers' stride; k marked dirty when it holds nothing of k's yet); NULL
 * for the others, without a plan or memory. Call before the band pass. */
float *bl_reuse_acc0(bl_state *st, int k);
/* The geometry changed: nothing is reused (the buffers, the image's size,
 * stay); and the memory's size. */
void bl_reuse_forget(bl_reuse *r);
void bl_reuse_free(bl_reuse *r);
size_t bl_reuse_bytes(const bl_state *st);

/* ---- the whole photo, for a crop of it (region.c) ------------------------ */

#define BL_WHOLE_BINS 16384
struct dm_lens_blur_whole {
  const dm_image *near01, *matte; /* the photo's, borrowed */
  float focus[3];                 /* dm_lens_blur_focus_depths */
  long long nan;                  /* depths that are not a number (in focus) */
  long long count[BL_WHOLE_BINS]; /* depths (clamped to [0, 1]) per bin, soft edge aside */
  float lo[BL_WHOLE_BINS], hi[BL_WHOLE_BINS]; /* the smallest and largest in each */
  /* The matte's CoC fills of the whole photo (matte.c) for the CoC `fn`,
   * and the slices its soft edge's pixels fall in (their CoC is the
   * subject's but where something nearer covers it): made by the first
   * crop blurred with that CoC, kept for the next. */
  int have_fills, have_soft;
  bl_coc_fn fn;
  bl_slice back, subj;
  uint8_t *soft_cells; /* per 8 px cell of the fills: 1 where a soft edge pixel lies */
  long long soft_count[BL_MAX_SLICES];
  float soft_rmax[BL_MAX_SLICES];
};
/* The whole photo's CoC fills for `fn` (st->rg's, which must have a
 * matte): the background's CoC behind the subject and the subject's own,
 * on the photo's 8 px grid, as bl_matte_radii makes them on a whole
 * image. */
dm_status bl_whole_coc_fills(bl_state *st, const bl_coc_fn *fn, const bl_slice **back,
                             const bl_slice **subj);
/* Per slice candidate (`cand` maps a CoC radius to one): whether the
 * whole photo st->rg holds pixels there (count, 0 or more) and the largest
 * |CoC radius| among them, for `fn`. Exact but where a depth bin straddles
 * two candidates (then its ends count); its soft edge's pixels count once
 * bl_whole_coc_fills has made the fills for fn. */
dm_status bl_whole_slices(bl_state *st, const bl_coc_fn *fn, int (*cand)(float, float), long long *count,
                          float *rmax);

/* Soft subject pixel (x, y) gives its background share to a slice beyond
 * candidate c, and that slice's fill reaches it (matte.c). A slice between
 * the two then has nothing there: were its fill put there as hidden
 * content, it would cover the background share, and the soft edge would
 * change at once wherever a new Amount moves a slice boundary behind it
 * (tests/blur/test_blur_plan.c). */
int bl_behind_beyond(const bl_state *st, int x, int y, int c);
/* The same for pixel i, the cheap tests first. */
static inline int bl_past_behind(const bl_state *st, size_t i, int c) {
  if (!st->bid || st->bid[i] <= c || st->bid[i] >= BL_MAX_SLICES) return 0;
  int y = (int)(i / (size_t)st->w), x = (int)(i - (size_t)y * st->w);
  return bl_behind_beyond(st, x, y, c);
}
/* What pixel i (matte alpha m, 0 without a matte) holds for slice k. */
enum { BL_NONE = 0, BL_OWN, BL_HIDDEN, BL_BEHIND };
static inline int bl_role(const bl_state *st, int k, size_t i, float m) {
  int s = st->sid[i], c = st->slices[k].cand;
  if (s == c) return BL_OWN;
  if (s > c) return BL_NONE;
  if (bl_past_behind(st, i, c)) return BL_NONE;
  if (st->bid && m > BL_ALPHA_EPS && m < 1.0f && st->bid[i] == c) return BL_BEHIND;
  return BL_HIDDEN;
}
/* st->bid value of a pixel the matte calls subject but that an occluder's
 * edge covers: it is not subject. */
#define BL_NOT_SUBJECT 254
/* A soft subject pixel (needs the matte's split, matte.c), from its m8 and
 * bid values; every other pixel is its photo colour at alpha 1. */
static inline int bl_soft(uint8_t m8, uint8_t bid) {
  return m8 > 1 && m8 < 255 && bid != BL_NOT_SUBJECT;
}
static inline float bl_matte_at(const bl_state *st, int x, int y) {
  size_t i = (size_t)y * st->w + x;
  if (!st->m8 || (st->bid && st->bid[i] == BL_NOT_SUBJECT)) return 0.0f;
  return st->m8[i] * (1.0f / 255.0f);
}

/* ---- matte (matte.c, matte_synth.c) ------------------------------------- */

/* Without a matte: st->m8, a soft edge where the focus slice meets what is
 * behind it (needs st->rad). */
dm_status bl_synth_matte(bl_state *st);
/* Tests: nonzero makes bl_synth_matte work out every pixel of a row with a
 * ramp, not only those that read a ramp cell (the answer must not change). */
extern int bl_synth_every_pixel;

/* Before slicing: the subject's CoC on its soft edge (into st->rad), and
 * the background's CoC behind the subject (into `back`, a level-3 fill;
 * a crop's are the whole photo's, read at its pixels' places there). */
dm_status bl_matte_radii(bl_state *st, const bl_coc_fn *fn, bl_slice *back);
/* After slicing: st->bid (candidate ids). first_from[c] = first slice at
 * or beyond candidate c (-1 if none); cand maps a CoC radius to its
 * candidate. */
dm_status bl_matte_behind(bl_state *st, const bl_slice *back, const int *first_from,
                          int (*cand)(float, float));
/* st->layer_bits and layer_rank for st->layers, so that a pixel's layer
 * slot is a bit test and a popcount, not a binary search in its row (which
 * was 2 % of a cached 24 MP render's CPU). Without them (no layers, no
 * memory, slots not in strictly increasing pixel order) bl_layer_slot asks
 * dm_matte_layers_find, with the same answers. bl_layer_index_free frees. */
void bl_layer_index(bl_state *st);
void bl_layer_index_free(bl_state *st);
/* The slot of pixel (x, y) in st->layers, -1 when it has none. */
static inline long bl_layer_slot(const bl_state *st, int x, int y) {
  if (!st->layer_bits) return dm_matte_layers_find(st->layers, x, y);
  if (x < 0 || y < 0 || x >= st->w || y >= st->h) return -1;
  const size_t i = (size_t)y * (size_t)st->w + (size_t)x;
  const uint64_t word = st->layer_bits[i >> 6];
  const unsigned bit = (unsigned)(i & 63);
  if (!((word >> bit) & 1u)) return -1;
  return (long)st->layer_rank[i >> 6] + __builtin_popcountll(word & ((UINT64_C(1) << bit) - 1));
}
/* After the boost: st->subj, the subject's colour from its opaque pixels. */
dm_status bl_subject_colour(bl_state *st);
/* Split soft subject pixel (x, y) of alpha m into the subject's
 * premultiplied colour S and the background B behind it (B[3] = its CoC
 * radius). I is the pixel's boosted colour. Returns 0 (S = m·I) when
 * nothing is known behind. Needs the fill of the slice behind. */
int bl_mixed_at(const bl_state *st, int x, int y, float m, const float I[3], float S[3],
                float B[4]);
/* The content pixel (x, y), of colour I as in the photo, gives slice k:
 * premultiplied v (RGBA) and the CoC radius. Returns 0 when it gives
 * nothing. Fills must exist for BL_HIDDEN / BL_BEHIND (as after the
 * far-to-near fill pass). */
int bl_content(const bl_state *st, int k, int x, int y, int role, const float *I, float v[4],
               float *radius);

/* Fill st->rad and st->sid and plan st->slices. */
dm_status bl_front_maps(bl_state *st, const dm_image *near01, const bl_coc_fn *fn);
/* Every CoC radius of the planned geometry times `step`, the slices kept:
 * an editor's draft while Lens Blur Amount alone moves (apply.c). */
void bl_scale_radii(bl_state *st, float step);
/* Highlight boost: the light a pixel of colour I and CoC radius r spreads
 * (boost.c explains the gain). bl_boost_setup fills st->boost_*. */
void bl_boost_setup(bl_state *st);
/* After bl_front_maps: st->boost_w from the clipped regions' sizes. */
dm_status bl_boost_sizes(bl_state *st);
/* A colour's smallest channel: lights clip in all three (boost.c). */
static inline float bl_min3(const float *I) {
  float m = I[0] < I[1] ? I[0] : I[1];
  return m < I[2] ? m : I[2];
}
/* I is pixel i's colour. */
static inline void bl_boosted(const bl_state *st, size_t i, const float *I, float r, float out[3]) {
  float gain = 1.0f;
  if (st->boost_g > 0.0f && (!st->boost_w || st->boost_w[i])) {
    float m = bl_min3(I), a = fabsf(r);
    if (m > st->boost_lo && a > BL_FOCUS_R) {
      float wl = m >= 1.0f ? 1.0f : (m - st->boost_lo) / (1.0f - st->boost_lo);
      float wb = (a - BL_FOCUS_R) / BL_FOCUS_R;
      float ws = st->boost_w ? st->boost_w[i] * (1.0f / 255.0f) : 1.0f;
      gain = 1.0f + st->boost_g * wl * wl * (wb > 1.0f ? 1.0f : wb) * ws;
    }
  }
  out[0] = I[0] * gain, out[1] = I[1] * gain, out[2] = I[2] * gain;
}

/* ---- fill (fill.c) ------------------------------------------------------ */

/* Push-pull fill of a w x h grid. `own` holds 5 channels per cell:
 * premultiplied R, G, B, coverage a, and r·a. Writes 4 channels per cell to
 * `out`: R, G, B and r normalised, with r = -1 where the nearest cell with
 * coverage is farther than `reach` cells (or none exists). `hidden`, when
 * not NULL, holds 2 channels per cell (hidden fraction, fraction of soft
 * subject pixels in front of this layer): the latter count as present for
 * the reach, as the layer shows through them. Which cells are beyond the
 * reach depends on coverage alone: with `beyond` not NULL it is taken from
 * *beyond when set, else worked out and kept there (malloc'ed). */
dm_status bl_push_pull(bl_state *st, int w, int h, const float *own, const float *hidden,
                       float reach, float *out, uint8_t **beyond);
/* Bilinear lookup of a slice's fill at full-resolution pixel (x, y);
 * returns 0 when there is no fill there. */
static inline int bl_fill_at(const bl_slice *s, int x, int y, float rgbr[4]);
/* s->dead from s->beyond (once; left NULL without it or out of memory). */
void bl_fill_dead(dm_context *ctx, bl_slice *s);
/* Does full-resolution pixel (x, y) lie where s's fill gives nothing? */
static inline int bl_fill_none(const bl_slice *s, int x, int y) {
  if (!s->dead) return 0;
  int cx = (x >> s->fill_level) - s->fx0, cy = (y >> s->fill_level) - s->fy0;
  return cx < 0 || cy < 0 || cx >= s->fw || cy >= s->fh || s->dead[(size_t)cy * s->fw + cx];
}

/* ---- a slice's inputs (slice_inputs.c) ---------------------------------- */

/* Downsample slice k's own content to `level`: 5 channels per cell
 * (premultiplied R, G, B, coverage, r·coverage), and per cell 2 channels:
 * the fraction whose front content is nearer than slice k, and the part of
 * it that is soft subject right in front of slice k (allocated here). */
dm_status bl_slice_own(bl_state *st, int k, int level, float **own, float **hidden, int *fw,
                       int *fh);
/* Add to a coarse slice's own content the backgrounds of soft subject
 * pixels that lie in it (after its fill exists), taking them out of the
 * hidden fraction. */
dm_status bl_slice_behind(bl_state *st, int k, int level, float *own, float *hidden, int fw,
                          int fh);

/* ---- scatter (scatter.c) ------------------------------------------------ */

/* Rows [y0, y1) of a level image `h` rows tall, each `w` cells plus BL_PAD
 * cells of margin on both sides, 4 floats per cell. Rows outside the image
 * reflect back into it. */
typedef struct bl_rows {
  float *buf;
  size_t stride; /* floats per row */
  int w, h, y0, y1;
  /* optional, same layout as buf: sources whose kernel is their own pixel
   * (CoC radius under 1/2 px) add here directly, not as +/- edges, so an
   * in-focus pixel comes out bit-exact instead of within float rounding */
  float *point;
  /* optional: row y's pointer (as bl_rows_at gives it) is rp[y - rp0], for
   * rp0 <= y < rp0 + rpn */
  float **rp;
  int rp0, rpn;
} bl_rows;

static inline int bl_mirror(int i, int n) {
  if (n == 1) return 0;
  int period = 2 * n;
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - 1 - i;
}
static inline float *bl_rows_at(const bl_rows *r, int y) {
  if (r->rp && y >= r->rp0 && y < r->rp0 + r->rpn) return r->rp[y - r->rp0];
  if (y < 0 || y >= r->h) y = bl_mirror(y, r->h);
  if (y < r->y0 || y >= r->y1) return NULL;
  return r->buf + (size_t)(y - r->y0) * r->stride + 4 * BL_PAD;
}
/* Spread premultiplied RGBA `v` from cell (x, y) with kernel radius
 * `radius` (cells). (cx, cy, inv_half_diag) place the cell in the frame for
 * the cat's eye. */
void bl_scatter(const bl_kernels *k, const bl_rows *r, int x, int y, float radius,
                const float v[4], float cat_u, float cat_v);
/* Tabulate r->rp for the rows [y0, y1) sources may write to (rp must hold
 * y1 - y0 pointers). */
static inline void bl_rows_table(bl_rows *r, float **rp, int y0, int y1) {
  r->rp = NULL;
  for (int y = y0; y < y1; y++) rp[y - y0] = bl_rows_at(r, y);
  r->rp = rp, r->rp0 = y0, r->rpn = y1 - y0;
}
/* Turn the difference rows into sums (one prefix sum per row) and fold the
 * margins back into the image (reflection); point's rows are added in and
 * left zero for the next user. */
void bl_rows_finish(const bl_rows *r);
/* Render coarse slice k (level >= 1) into its accumulator from its own
 * content `own` and hidden fractions at its level (own is reused as the
 * source buffer). */
dm_status bl_coarse_scatter(bl_state *st, int k, float *own, const float *hidden, int fw, int fh);

/* ---- composite (composite.c) -------------------------------------------- */

/* Scatter the full-resolution slices band by band and composite all slices
 * front to back into the caller's image. */
dm_status bl_render_bands(bl_state *st, dm_image *out);

/* The level of full-resolution slices' fills: the 2x grid, 4x for large
 * photos (there the fill is finer than the CoC it serves by a wide
 * margin); the photo's size decides, so a crop's are the whole's. */
static inline int bl_fill_level0(const bl_state *st) {
  return (size_t)st->frame.full_w * st->frame.full_h > BL_FILL_LARGE ? 2 : 1;
}

/* Frame position used by the cat's eye: offset of (x, y) from the centre
 * over the half diagonal, for a level-L grid. */
static inline void bl_frame_pos(const bl_state *st, int level, float x, float y, float *u, float *v) {
  float s = (float)(1 << level);
  float hx = 0.5f * (float)st->frame.full_w, hy = 0.5f * (float)st->frame.full_h;
  float inv = 1.0f / sqrtf(hx * hx + hy * hy);
  /* a crop's origin lies on the level's grid (dm_lens_blur_reach) */
  *u = ((x + 0.5f) * s + (float)st->frame.x0 - hx) * inv;
  *v = ((y + 0.5f) * s + (float)st->frame.y0 - hy) * inv;
}

/* bl_fill_at (declared with the fill's functions above): inline, as it is
 * asked for every soft pixel of every slice. The four neighbours in the
 * order (0,0), (1,0), (0,1), (1,1) of (x, y), each weighed (1-ty or ty) x
 * (1-tx or tx), those beyond the fill's reach left out. */
static inline int bl_fill_at(const bl_slice *s, int x, int y, float rgbr[4]) {
  if (!s->fill) return 0;
  const float sc = 1.0f / (float)(1 << s->fill_level);
  const float fx = (x + 0.5f) * sc - 0.5f - (float)s->fx0, fy = (y + 0.5f) * sc - 0.5f - (float)s->fy0;
  const int ix = (int)floorf(fx), iy = (int)floorf(fy);
  const float tx = fx - ix, ty = fy - iy;
  const int x0 = ix < 0 ? 0 : (ix >= s->fw ? s->fw - 1 : ix), x1 = ix + 1 < 0 ? 0 : (ix + 1 >= s->fw ? s->fw - 1 : ix + 1);
  const int y0 = iy < 0 ? 0 : (iy >= s->fh ? s->fh - 1 : iy), y1 = iy + 1 < 0 ? 0 : (iy + 1 >= s->fh ? s->fh - 1 : iy + 1);
  const float *r0 = s->fill + (size_t)y0 * s->fw * 4, *r1 = s->fill + (size_t)y1 * s->fw * 4;
  const float *c[4] = {r0 + 4 * x0, r0 + 4 * x1, r1 + 4 * x0, r1 + 4 * x1};
  const float wy0 = 1.0f - ty, wx0 = 1.0f - tx;
  const float w[4] = {wy0 * wx0, wy0 * tx, ty * wx0, ty * tx};
  float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f, wsum = 0.0f;
  for (int k = 0; k < 4; k++) {
    if (c[k][3] < 0.0f) continue;
    a0 += w[k] * c[k][0], a1 += w[k] * c[k][1], a2 += w[k] * c[k][2], a3 += w[k] * c[k][3];
    wsum += w[k];
  }
  if (wsum < 1e-4f) return 0;
  rgbr[0] = a0 / wsum, rgbr[1] = a1 / wsum, rgbr[2] = a2 / wsum, rgbr[3] = a3 / wsum;
  return 1;
}

#endif
