/* A slice's inputs on its grid, for the fill (fill.c) and the scatter:
 * the own sums of each cell (premultiplied colour, coverage, r·coverage)
 * and the fractions of it that nearer content hides, then what the soft
 * subject pixels in front of the slice give it from behind them
 * (bl_slice_behind). */
#include <emmintrin.h>
#include <math.h>
#include <smmintrin.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blur/blur_internal.h"
#include "core/pool.h"

/* A slice's layer on a level-L grid. Fill grids (full-resolution slices)
 * average each 2^L block (box); coarse slices, whose cells are scattered
 * as points, use a tent over the neighbouring cells instead, which keeps
 * the centroid of sparse content (a small light) where it is rather than
 * at its block's centre. Per cell: premultiplied R, G, B, coverage a, r·a,
 * the hidden fraction, and the part of it that is soft subject right in
 * front of this layer. */
/* Source row y of a cell row, as the passes read it. */
typedef struct own_src {
  int y;
  size_t r0;                      /* its first pixel's index */
  const uint8_t *sid, *m8, *bid;  /* m8, bid NULL without a matte */
  const float *in, *rad;
} own_src;

/* What a pass does with one source row (saying whether it added to the
 * sums), and then with the cell row's sums (ay: the cell row's weight
 * along y). */
typedef struct own_job own_job;
typedef int (*own_row_fn)(own_job *j, float *acc, const own_src *r); /* 1: it added something */
typedef void (*own_cells_fn)(own_job *j, const float *acc, int cy, float ay);

struct own_job {
  bl_state *st;
  int k, level, fw, fh, tent;
  int cx0, cy0;     /* the grid's first cell (a fill window's), 0 for tent grids */
  int xa, xb;       /* the source columns that feed it */
  float *own, *hidden;
  const float *geo; /* a plan's: per cell a, r·a, hidden fractions; then colours alone */
  const int *col0;  /* per column x, with a tent: its first cell and the next one's weight */
  const float *colt;
  const float *w0col; /* per column: its first cell's weight (1 − colt; 1 on box grids) */
  const int *run;     /* per cell column and one more: the first column whose first cell it is */
  const float *wx;  /* per cell column: the sum of its weights along x (axis_weight) */
  atomic_int nomem; /* a thread found no memory for its sums */
  own_row_fn row;   /* the pass: own_row and own_cells, or colour_row and colour_cells */
  own_cells_fn cells;
};

/* The tent's first cell and the next one's weight for column x (the same
 * for every row: tabulated once per slice in col0/colt). */
static void tent_column(int x, int level, int fw, int *c0, float *t) {
  float fx = (x + 0.5f) / (float)(1 << level) - 0.5f;
  int cx = (int)floorf(fx);
  *t = fx - cx;
  if (cx < 0) cx = 0, *t = 0.0f;
  if (cx >= fw - 1) cx = fw - 1, *t = 0.0f;
  *c0 = cx;
}

/* Column x of a row on the level grid: the (up to) two cells it feeds and
 * their weights. */
static inline int cells_of(const own_job *j, int x, int *c0, float *w0, float *w1) {
  if (!j->tent) {
    *c0 = (x >> j->level) - j->cx0, *w0 = 1.0f, *w1 = 0.0f;
    return 1;
  }
  const float t = j->colt[x];
  *c0 = j->col0[x], *w0 = 1.0f - t, *w1 = t;
  return t > 0.0f ? 2 : 1;
}

/* The tent's weight of cell c (of ncells, 2^level pixels each) for pixel
 * p, with the clamping at the borders cells_of uses. */
static float tent_weight(int p, int c, int level, int ncells) {
  int cc;
  float t;
  tent_column(p, level, ncells, &cc, &t);
  return cc == c ? 1.0f - t : (cc + 1 == c ? t : 0.0f);
}

/* Sum of the weights cell c gets along one axis of n pixels. */
static float axis_weight(const own_job *j, int c, int n, int ncells) {
  int B = 1 << j->level;
  if (!j->tent) return (float)((c + 1) * B < n ? B : n - c * B);
  float sum = 0.0f;
  for (int p = c * B - B; p < (c + 2) * B; p++)
    if (p >= 0 && p < n) sum += tent_weight(p, c, j->level, ncells);
  return sum;
}

/* The photo's rows [*ya, *yb) that feed cell row cy. */
static void cell_rows(const own_job *j, int cy, int *ya, int *yb) {
  int B = 1 << j->level;
  cy += j->cy0;
  int a = j->tent ? cy * B - B / 2 : cy * B, b = j->tent ? (cy + 1) * B + B / 2 : (cy + 1) * B;
  *ya = a < 0 ? 0 : a, *yb = b > j->st->h ? j->st->h : b;
}

/* A thread's sums of n cell rows: 7 a cell (R G B a ra hidden behind), or
 * NULL with j->nomem set. */
static float *own_sums(own_job *j, int n) {
  float *acc = malloc(sizeof(float) * 7 * (size_t)j->fw * n);
  if (!acc) atomic_store(&j->nomem, 1);
  return acc;
}

static own_src src_row(const bl_state *st, int y) {
  own_src r = {.y = y, .r0 = (size_t)y * st->w};
  r.sid = st->sid + r.r0, r.m8 = st->m8 ? st->m8 + r.r0 : NULL;
  r.bid = st->bid ? st->bid + r.r0 : NULL;
  r.in = dm_row(st->in, y), r.rad = st->rad + r.r0;
  return r;
}

/* Box cells: each source row feeds one cell row, given to `row` whole. */
static void box_walk(own_job *j, int y0, int y1) {
  const bl_state *st = j->st;
  float *acc = own_sums(j, 1);
  if (!acc) return;
  for (int cy = y0; cy < y1; cy++) {
    memset(acc, 0, sizeof(float) * 7 * (size_t)j->fw);
    int ya, yb;
    cell_rows(j, cy, &ya, &yb);
    for (int y = ya; y < yb; y++) {
      own_src r = src_row(st, y);
      j->row(j, acc, &r);
    }
    j->cells(j, acc, cy, axis_weight(j, cy + j->cy0, st->h, j->fh));
  }
  bl_free(acc);
}

/* cur += w0 · rs if w0 > 0, next += w1 · rs if w1 > 0 (one of them is:
 * tent_walk calls it only then), and rs back to zero, in one pass over rs
 * (each sum as its own loop made it). */
static void spread_row(float *restrict rs, size_t n, float w0, float *restrict cur, float w1,
                       float *restrict next) {
  if (w0 > 0.0f && w1 > 0.0f)
    for (size_t i = 0; i < n; i++) cur[i] += w0 * rs[i], next[i] += w1 * rs[i], rs[i] = 0.0f;
  else if (w0 > 0.0f)
    for (size_t i = 0; i < n; i++) cur[i] += w0 * rs[i], rs[i] = 0.0f;
  else
    for (size_t i = 0; i < n; i++) next[i] += w1 * rs[i], rs[i] = 0.0f;
}

/* Tent cells: a source row feeds two cell rows. It is summed along x once
 * (the tent across columns) and added to both with its weights in y, so
 * each pixel is read once (the rows at the ends of a thread's block twice). */
static void tent_walk(own_job *j, int y0, int y1) {
  const bl_state *st = j->st;
  const size_t n = 7 * (size_t)j->fw;
  float *acc = own_sums(j, 3);
  if (!acc) return;
  float *cur = acc, *next = acc + n, *rs = acc + 2 * n; /* cell rows cy and cy + 1 */
  memset(acc, 0, sizeof(float) * 3 * n);
  int ya, yb, la, lb, cy = y0;
  cell_rows(j, y0, &ya, &yb);
  cell_rows(j, y1 - 1, &la, &lb);
  for (int y = ya; y < lb; y++) {
    /* its weights in cell rows cy and cy + 1 (tent grids start at cell 0) */
    float w0 = tent_weight(y, cy, j->level, j->fh);
    float w1 = cy + 1 < y1 ? tent_weight(y, cy + 1, j->level, j->fh) : 0.0f;
    own_src r = src_row(st, y);
    if ((w0 > 0.0f || w1 > 0.0f) && j->row(j, rs, &r)) /* rs is zero between rows */
      spread_row(rs, n, w0, cur, w1, next);
    for (;;) { /* the cell rows this row completes */
      int a, b;
      cell_rows(j, cy, &a, &b);
      if (cy >= y1 || y + 1 < b) break;
      j->cells(j, cur, cy, axis_weight(j, cy + j->cy0, st->h, j->fh));
      float *t = cur;
      cur = next, next = t;
      memset(next, 0, sizeof(float) * n);
      cy++;
    }
  }
  bl_free(acc);
}

/* A run of cell rows [y0, y1) (own_pass): their source rows given to the
 * pass's row, then each cell row's sums to its cells. */
static void own_walk(void *user, size_t y0, size_t y1) {
  own_job *j = user;
  if (j->tent) tent_walk(j, (int)y0, (int)y1);
  else box_walk(j, (int)y0, (int)y1);
}

/* Own pixel x of row sr: its colour (premultiplied by its coverage on the
 * soft edge), coverage and |CoC radius|. */
static inline void own_content(const bl_state *st, int k, const own_src *sr, int x, float v[4],
                               float *r) {
  if (sr->m8 && bl_soft(sr->m8[x], sr->bid[x])) {
    bl_content(st, k, x, sr->y, BL_OWN, sr->in + 3 * x, v, r);
  } else {
    bl_boosted(st, sr->r0 + x, sr->in + 3 * x, sr->rad[x], v);
    v[3] = 1.0f;
    *r = fabsf(sr->rad[x]);
  }
}

/* A row's hidden fractions (acc slots 5 and 6) are sums of column
 * weights: 1 on box grids, 1 − t and t on tent grids, t a multiple of
 * 2^-(level+1). Up to this level every partial sum a cell's slot takes is
 * a multiple of that step below 2^24 steps (a tent cell sums at most
 * 2^(level+1) columns of a row, a box cell at most 4^level pixels), so
 * float adds them exactly in any order: running sums four columns at a
 * time here give the same bits as one column at a time did. Above it
 * (cells of 2048 px) they are added one column at a time, in column order. */
#define EXACT_LEVEL 10
/* Columns of a row classified at a time (on the stack). */
#define CHUNK 256

/* Running sums of the weights w[i] of the columns i < n whose mask m[i]
 * is 0xFF: P[i] sums those before i (P[0] = 0), four columns at a time.
 * Each P[i] is a multiple of the grid's step (see EXACT_LEVEL) no larger
 * than CHUNK, so exact, and a cell's columns [s, e) sum to exactly
 * P[e] − P[s]: small cells cost two reads, not a loop each. */
static void masked_prefix(const uint8_t *m, const float *w, int n, float *P) {
  __m128 carry = _mm_setzero_ps();
  P[0] = 0.0f;
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    int32_t b;
    memcpy(&b, m + i, sizeof b);
    const __m128i e = _mm_cvtepi8_epi32(_mm_cvtsi32_si128(b)); /* 0xFF -> all ones */
    __m128 v = _mm_and_ps(_mm_castsi128_ps(e), _mm_loadu_ps(w + i));
    v = _mm_add_ps(v, _mm_castsi128_ps(_mm_slli_si128(_mm_castps_si128(v), 4)));
    v = _mm_add_ps(v, _mm_castsi128_ps(_mm_slli_si128(_mm_castps_si128(v), 8)));
    v = _mm_add_ps(v, carry);
    _mm_storeu_ps(P + i + 1, v);
    carry = _mm_shuffle_ps(v, v, _MM_SHUFFLE(3, 3, 3, 3));
  }
  float s = _mm_cvtss_f32(carry);
  for (; i < n; i++) {
    if (m[i]) s += w[i];
    P[i + 1] = s;
  }
}

/* slot += the weights w[i] of the masked columns i < n, one at a time in
 * column order (cells above EXACT_LEVEL). */
static void add_masked(float *slot, const uint8_t *m, const float *w, int n) {
  float v = *slot;
  for (int i = 0; i < n; i++)
    if (m[i]) v += w[i];
  *slot = v;
}

/* Columns b0 .. b0 + n − 1 of row sr for candidate c: hid[i] = 0xFF where
 * the pixel is nearer and not past what lies behind it (bl_role's
 * BL_HIDDEN or BL_BEHIND), soft[i] where it is also soft subject right in
 * front of c. Returns bit 0: some hidden, bit 1: some soft, bit 2: some
 * pixel is c's own. */
static int classify(const bl_state *st, const own_src *sr, int c, int b0, int n, uint8_t *hid,
                    uint8_t *soft) {
  const uint8_t *sid = sr->sid + b0, *bid = sr->bid ? sr->bid + b0 : NULL, *m8 = sr->m8 ? sr->m8 + b0 : NULL;
  const __m128i cv = _mm_set1_epi8((char)c), last = _mm_set1_epi8((char)(BL_MAX_SLICES - 1));
  const __m128i one = _mm_set1_epi8(1), full = _mm_set1_epi8((char)0xFF);
  __m128i any_h = _mm_setzero_si128(), any_s = any_h, any_o = any_h;
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m128i s = _mm_loadu_si128((const __m128i *)(sid + i));
    const __m128i own = _mm_cmpeq_epi8(s, cv);
    __m128i lt = _mm_andnot_si128(own, _mm_cmpeq_epi8(_mm_min_epu8(s, cv), s));
    __m128i sb = _mm_setzero_si128();
    if (bid) {
      const __m128i b = _mm_loadu_si128((const __m128i *)(bid + i));
      /* c < bid < BL_MAX_SLICES: maybe past what is behind it */
      const __m128i behind = _mm_andnot_si128(_mm_cmpeq_epi8(_mm_min_epu8(b, cv), b),
                                              _mm_cmpeq_epi8(_mm_min_epu8(b, last), b));
      int pm = _mm_movemask_epi8(_mm_and_si128(lt, behind));
      if (pm) {
        _mm_storeu_si128((__m128i *)(hid + i), lt);
        for (; pm; pm &= pm - 1) {
          const int q = __builtin_ctz((unsigned)pm);
          if (bl_behind_beyond(st, b0 + i + q, sr->y, c)) hid[i + q] = 0;
        }
        lt = _mm_loadu_si128((const __m128i *)(hid + i));
      }
      /* 1 < m8 < 255 and bid == c (so not BL_NOT_SUBJECT): bl_soft */
      const __m128i m = _mm_loadu_si128((const __m128i *)(m8 + i));
      const __m128i hard = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(m, one), m), _mm_cmpeq_epi8(m, full));
      sb = _mm_andnot_si128(hard, _mm_and_si128(lt, _mm_cmpeq_epi8(b, cv)));
    }
    _mm_storeu_si128((__m128i *)(hid + i), lt);
    _mm_storeu_si128((__m128i *)(soft + i), sb);
    any_h = _mm_or_si128(any_h, lt), any_s = _mm_or_si128(any_s, sb), any_o = _mm_or_si128(any_o, own);
  }
  int flags = (_mm_movemask_epi8(any_h) ? 1 : 0) | (_mm_movemask_epi8(any_s) ? 2 : 0) |
              (_mm_movemask_epi8(any_o) ? 4 : 0);
  for (; i < n; i++) {
    const int s = sid[i];
    const int h = s < c && !bl_past_behind(st, sr->r0 + b0 + i, c);
    const int sf = h && bid && bid[i] == c && bl_soft(m8[i], bid[i]);
    hid[i] = h ? 0xFF : 0, soft[i] = sf ? 0xFF : 0;
    flags |= h | sf << 1 | (s == c) << 2;
  }
  return flags;
}

/* The next column i >= i of the n from sid whose pixel is c's own (n when none). */
static inline int next_own(const uint8_t *sid, int i, int n, int c) {
  const __m128i cv = _mm_set1_epi8((char)c);
  for (; i + 16 <= n; i += 16) {
    const int m = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(sid + i)), cv));
    if (m) return i + __builtin_ctz((unsigned)m);
  }
  while (i < n && sid[i] != c) i++;
  return i;
}

/* The hidden fractions of columns b0 .. b0 + n − 1 into their cells: the
 * first cell's weight (w0) into slot 5 (6 where soft), on a tent the
 * second's (the next cell's slots, 12 and 13). Up to EXACT_LEVEL from
 * running sums; above it column by column, cells in column order, so each
 * slot still gets its columns in order. */
static void hidden_add(const own_job *j, float *acc, int b0, int n, const uint8_t *hid,
                       const uint8_t *soft, int any_soft) {
  const int exact = j->level <= EXACT_LEVEL, tent = j->tent;
  float P0[CHUNK + 1], P1[CHUNK + 1], S0[CHUNK + 1], S1[CHUNK + 1];
  if (exact) {
    masked_prefix(hid, j->w0col + b0, n, P0);
    if (tent) masked_prefix(hid, j->colt + b0, n, P1);
    if (any_soft) masked_prefix(soft, j->w0col + b0, n, S0);
    if (any_soft && tent) masked_prefix(soft, j->colt + b0, n, S1);
  }
  int cx = tent ? j->col0[b0] : (b0 >> j->level) - j->cx0;
  for (int x = b0; x < b0 + n; cx++) {
    const int end = j->run[cx + 1] < b0 + n ? j->run[cx + 1] : b0 + n, i0 = x - b0, i1 = end - b0;
    float *a = acc + 7 * (size_t)cx;
    const int next = tent && cx + 1 < j->fw;
    if (exact) {
      a[5] += P0[i1] - P0[i0];
      if (any_soft) a[6] += S0[i1] - S0[i0];
      if (next) a[12] += P1[i1] - P1[i0];
      if (next && any_soft) a[13] += S1[i1] - S1[i0];
    } else {
      add_masked(a + 5, hid + i0, j->w0col + x, i1 - i0);
      if (any_soft) add_masked(a + 6, soft + i0, j->w0col + x, i1 - i0);
      if (next) add_masked(a + 12, hid + i0, j->colt + x, i1 - i0);
      if (next && any_soft) add_masked(a + 13, soft + i0, j->colt + x, i1 - i0);
    }
    x = end;
  }
}

/* The first pass's row: own pixels' colour, coverage and r·coverage, nearer
 * pixels' hidden fractions (which go to other slots: the two are summed
 * apart, each in its own order). */
static int own_row(own_job *j, float *acc, const own_src *sr) {
  const bl_state *st = j->st;
  const int c = st->slices[j->k].cand;
  int any = 0;
  uint8_t hid[CHUNK], soft[CHUNK];
  for (int b0 = j->xa; b0 < j->xb; b0 += CHUNK) {
    const int n = j->xb - b0 < CHUNK ? j->xb - b0 : CHUNK;
    const int flags = classify(st, sr, c, b0, n, hid, soft);
    if (flags & 1) hidden_add(j, acc, b0, n, hid, soft, flags & 2);
    any |= flags & 5;
    if (!(flags & 4)) continue;
    for (int i = next_own(sr->sid + b0, 0, n, c); i < n; i = next_own(sr->sid + b0, i + 1, n, c)) {
      const int x = b0 + i;
      float v[4], r;
      own_content(st, j->k, sr, x, v, &r);
      if (!j->tent) { /* box cells: weights 1 */
        float *a = acc + 7 * (size_t)((x >> j->level) - j->cx0);
        a[0] += v[0], a[1] += v[1], a[2] += v[2], a[3] += v[3], a[4] += v[3] * r;
        continue;
      }
      int c0;
      float w0, w1;
      const int cells = cells_of(j, x, &c0, &w0, &w1);
      float *a = acc + 7 * (size_t)c0;
      const float u[5] = {v[0], v[1], v[2], v[3], v[3] * r};
      for (int q = 0; q < 5; q++) a[q] += w0 * u[q];
      if (cells == 2)
        for (int q = 0; q < 5; q++) a[7 + q] += w1 * u[q];
    }
  }
  return j->tent ? any != 0 : 1; /* box sums are the row's cells' own: nothing to skip */
}

static void own_cells(own_job *j, const float *acc, int cy, float ay) {
  for (int cx = 0; cx < j->fw; cx++) {
    float inv = 1.0f / (j->wx[cx] * ay);
    const float *a = acc + 7 * (size_t)cx;
    float *d = j->own + ((size_t)cy * j->fw + cx) * 5, *hd = j->hidden + 2 * ((size_t)cy * j->fw + cx);
    for (int i = 0; i < 5; i++) d[i] = a[i] * inv;
    hd[0] = a[5] * inv, hd[1] = a[6] * inv;
  }
}

/* With the slice's geometry known (a plan's, from an earlier image): only
 * its own pixels' colours are summed, every other pixel is one byte read;
 * coverage, r·a and the hidden fractions come from `geo`. The sums are
 * those of the first pass, so the result is the same bit for bit. */
static int colour_row(own_job *j, float *acc, const own_src *sr) {
  const bl_state *st = j->st;
  const int c = st->slices[j->k].cand;
  int any = 0;
  for (int x = j->xa; x < j->xb; x++) {
    if (sr->sid[x] != c) continue;
    float v[4], r;
    own_content(st, j->k, sr, x, v, &r);
    int c0;
    float w0, w1;
    int n = cells_of(j, x, &c0, &w0, &w1);
    float *a = acc + 7 * (size_t)c0;
    a[0] += w0 * v[0], a[1] += w0 * v[1], a[2] += w0 * v[2];
    if (n == 2) a[7] += w1 * v[0], a[8] += w1 * v[1], a[9] += w1 * v[2];
    any = 1;
  }
  return any;
}

static void colour_cells(own_job *j, const float *acc, int cy, float ay) {
  for (int cx = 0; cx < j->fw; cx++) {
    float inv = 1.0f / (j->wx[cx] * ay);
    const float *a = acc + 7 * (size_t)cx, *g = j->geo + ((size_t)cy * j->fw + cx) * 4;
    float *d = j->own + ((size_t)cy * j->fw + cx) * 5, *hd = j->hidden + 2 * ((size_t)cy * j->fw + cx);
    d[0] = a[0] * inv, d[1] = a[1] * inv, d[2] = a[2] * inv, d[3] = g[0], d[4] = g[1];
    hd[0] = g[2], hd[1] = g[3];
  }
}

/* Run j's pass (j->row, j->cells) on every thread, its column tables made
 * once first, in the scratch arena (they live as long as own). A slice's
 * content lies where the photo puts it, so equal shares of rows are not
 * equal work: the threads take runs of cell rows as each finishes its
 * last. A cell row sums the same pixel rows in the same order whichever
 * run it is in, so the result does not depend on who took what; eight runs
 * a thread keep the rows read twice (a tent's overlap at each run's start)
 * to a few per cent. */
static dm_status own_pass(bl_state *st, own_job *j) {
  float *wx = bl_take(&st->scratch, sizeof(float) * (size_t)j->fw);
  int *c0 = j->tent ? bl_take(&st->scratch, sizeof(int) * (size_t)st->w) : NULL;
  float *t = j->tent ? bl_take(&st->scratch, sizeof(float) * (size_t)st->w) : NULL;
  float *w0 = bl_take(&st->scratch, sizeof(float) * (size_t)st->w);
  int *run = bl_take(&st->scratch, sizeof(int) * ((size_t)j->fw + 1));
  if (!wx || !w0 || !run || (j->tent && (!c0 || !t)))
    return dm_fail(st->ctx, DM_ERR_NOMEM, NULL, "out of memory for the lens blur layers");
  int B = 1 << j->level;
  j->xa = j->cx0 * B, j->xb = (j->cx0 + j->fw) * B < st->w ? (j->cx0 + j->fw) * B : st->w;
  for (int x = 0; x < st->w; x++) {
    if (j->tent) tent_column(x, j->level, j->fw, &c0[x], &t[x]);
    w0[x] = j->tent ? 1.0f - t[x] : 1.0f;
  }
  /* tent cells start where col0 steps (it never falls), box cells every B */
  for (int cx = 0, x = 0; cx <= j->fw; cx++) {
    if (j->tent)
      while (x < st->w && c0[x] < cx) x++;
    else
      x = (j->cx0 + cx) * B < j->xb ? (j->cx0 + cx) * B : j->xb;
    run[cx] = x;
  }
  j->col0 = c0, j->colt = t, j->w0col = w0, j->run = run;
  for (int cx = 0; cx < j->fw; cx++) wx[cx] = axis_weight(j, cx + j->cx0, st->w, j->fw);
  j->wx = wx;
  atomic_init(&j->nomem, 0);
  dm_parallel_runs(st->ctx, (size_t)j->fh, 8, own_walk, j);
  if (atomic_load(&j->nomem))
    return dm_fail(st->ctx, DM_ERR_NOMEM, NULL, "out of memory for the lens blur layers");
  return DM_OK;
}

/* A plan's geometry of the slice's cells: coverage, r·coverage and the
 * two hidden fractions (what colour_row and colour_cells read back). */
static void keep_geometry(void *user, size_t i0, size_t i1) {
  const own_job *j = user;
  float *geo = j->st->slices[j->k].geo;
  for (size_t i = i0; i < i1; i++) {
    float *g = geo + 4 * i;
    g[0] = j->own[5 * i + 3], g[1] = j->own[5 * i + 4];
    g[2] = j->hidden[2 * i], g[3] = j->hidden[2 * i + 1];
  }
}

dm_status bl_slice_own(bl_state *st, int k, int level, float **own, float **hidden, int *fw,
                       int *fh) {
  int B = 1 << level;
  bl_slice *sl = &st->slices[k];
  /* a full-resolution slice's grid is its fill's: the cells of its window */
  int cx0 = 0, cy0 = 0, cx1 = (st->w + B - 1) / B, cy1 = (st->h + B - 1) / B;
  if (sl->level == 0) {
    cx0 = sl->win[0] / B, cy0 = sl->win[2] / B;
    cx1 = (sl->win[1] + B - 1) / B, cy1 = (sl->win[3] + B - 1) / B;
  }
  sl->fx0 = cx0, sl->fy0 = cy0;
  *fw = cx1 - cx0;
  *fh = cy1 - cy0;
  size_t n = (size_t)*fw * *fh;
  *own = bl_take(&st->scratch, sizeof(float) * 5 * n);
  *hidden = bl_take(&st->scratch, sizeof(float) * 2 * n);
  if (!*own || !*hidden) return dm_fail(st->ctx, DM_ERR_NOMEM, NULL, "out of memory for the lens blur layers");
  own_job j = {.st = st, .k = k, .level = level, .fw = *fw, .fh = *fh, .tent = sl->level > 0,
               .cx0 = cx0, .cy0 = cy0, .own = *own, .hidden = *hidden, .geo = sl->geo};
  j.row = sl->geo ? colour_row : own_row;
  j.cells = sl->geo ? colour_cells : own_cells;
  if (sl->geo) return own_pass(st, &j);
  dm_status s = own_pass(st, &j);
  if (s) return s;
  if (st->planned) { /* the next image sums only colours */
    sl->geo = malloc(sizeof(float) * 4 * n);
    if (sl->geo) dm_parallel_range(st->ctx, n, keep_geometry, &j);
  }
  return DM_OK;
}

/* bl_slice_behind in two passes over the soft pixels' list, both on every
 * thread: the content each gives the slice (the costly part: the matte's
 * split and the fill behind it), by list entries; then the sums, by rows
 * of cells, each thread reading the whole list for its rows, so every cell
 * adds its pixels in list order, as one thread would. The slice's soft
 * pixels lie along part of the subject's outline: threads take runs of
 * the list as each finishes its last. */
typedef struct behind_job {
  const bl_state *st;
  int k, level, fw, fh;
  const float *wx, *wy;
  float *val;  /* per list entry: R, G, B, radius, and 1 when it gives anything */
  float *own, *hidden;
} behind_job;

static void behind_content(void *user, size_t n0, size_t n1) {
  behind_job *j = user;
  const bl_state *st = j->st;
  const int c = st->slices[j->k].cand;
  for (size_t n = n0; n < n1; n++) {
    const size_t i = st->soft[n];
    float *o = j->val + 5 * n, v[4], r;
    o[4] = 0.0f;
    if (st->bid[i] != c) continue;
    const int y = (int)(i / (size_t)st->w), x = (int)(i - (size_t)y * st->w);
    if (!bl_content(st, j->k, x, y, BL_BEHIND, dm_row(st->in, y) + 3 * x, v, &r)) continue;
    o[0] = v[0], o[1] = v[1], o[2] = v[2], o[3] = r, o[4] = 1.0f;
  }
}

/* The first soft pixel at or after pixel row y: the list is in pixel order. */
static size_t soft_from_row(const bl_state *st, int y) {
  const size_t key = (size_t)y * st->w;
  size_t lo = 0, hi = st->n_soft;
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (st->soft[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

static void behind_sums(void *user, int ith, int nth) {
  behind_job *j = user;
  const bl_state *st = j->st;
  int r0, r1; /* this thread's rows of cells */
  dm_split_rows(j->fh, ith, nth, &r0, &r1);
  if (r0 >= r1) return;
  /* The pixel rows that feed them (a row's first cell only grows with y):
   * one stretch of the list, not all of it on every thread. */
  int ya = 0, yb = st->h, c0;
  float t;
  while (ya < st->h && (tent_column(ya, j->level, j->fh, &c0, &t), c0 + 1 < r0)) ya++;
  while (yb > ya && (tent_column(yb - 1, j->level, j->fh, &c0, &t), c0 >= r1)) yb--;
  const size_t n1 = soft_from_row(st, yb);
  for (size_t n = soft_from_row(st, ya); n < n1; n++) {
    const float *o = j->val + 5 * n;
    if (o[4] == 0.0f) continue;
    const size_t i = st->soft[n];
    const int y = (int)(i / (size_t)st->w), x = (int)(i - (size_t)y * st->w);
    int cx0, cy0;
    float tx, ty;
    tent_column(y, j->level, j->fh, &cy0, &ty);
    if (cy0 + 1 < r0 || cy0 >= r1) continue;
    tent_column(x, j->level, j->fw, &cx0, &tx);
    const float val[5] = {o[0], o[1], o[2], 1.0f, o[3]}; /* and 1 out of the hidden fraction */
    for (int dy = 0; dy < 2; dy++) {
      const float a = dy ? ty : 1.0f - ty;
      const int cy = cy0 + dy;
      if (cy < r0 || cy >= r1) continue;
      for (int dx = 0; dx < 2 && a > 0.0f; dx++) {
        const float b = dx ? tx : 1.0f - tx;
        if (!(b > 0.0f)) continue;
        const int cx = cx0 + dx;
        const float w = a * b / (j->wx[cx] * j->wy[cy]);
        float *d = j->own + ((size_t)cy * j->fw + cx) * 5;
        for (int q = 0; q < 5; q++) d[q] += w * val[q];
        j->hidden[2 * ((size_t)cy * j->fw + cx)] -= w;
      }
    }
  }
}

dm_status bl_slice_behind(bl_state *st, int k, int level, float *own, float *hidden, int fw,
                          int fh) {
  const int c = st->slices[k].cand;
  if (!st->bid || !st->n_behind[c] || !st->n_soft) return DM_OK;
  /* only the soft pixels can give it anything: their list, not the photo */
  own_job oj = {.st = st, .k = k, .level = level, .fw = fw, .fh = fh, .tent = 1};
  float *wx = malloc(sizeof(float) * (size_t)(fw + fh)), *wy = wx ? wx + fw : NULL;
  float *val = bl_alloc(sizeof(float) * 5 * st->n_soft);
  if (!wx || !val) {
    bl_free(wx), bl_free(val);
    return dm_fail(st->ctx, DM_ERR_NOMEM, NULL, "out of memory for the lens blur layers");
  }
  for (int cx = 0; cx < fw; cx++) wx[cx] = axis_weight(&oj, cx, st->w, fw);
  for (int cy = 0; cy < fh; cy++) wy[cy] = axis_weight(&oj, cy, st->h, fh);
  behind_job j = {st, k, level, fw, fh, wx, wy, val, own, hidden};
  dm_parallel_runs(st->ctx, st->n_soft, 8, behind_content, &j);
  dm_parallel(st->ctx, behind_sums, &j);
  bl_free(wx), bl_free(val);
  return DM_OK;
}
