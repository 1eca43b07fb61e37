/* The subject matte: the subject's boundary and soft edge.
 *
 * A pixel with matte alpha m > BL_ALPHA_EPS is subject. Its colour mixes
 * the subject and what is behind it: I = m·F + (1 − m)·B. The render needs
 * both parts: m·F stays with the subject (sharp when it is in focus), B
 * goes to the layer behind and is blurred with it. With smooth estimates
 * F̂ (push-pull of the subject's opaque pixels) and B̂ (the fill of the
 * layer behind), the residual r = I − m·F̂ − (1 − m)·B̂ is split between
 * them by least squares (as in multi-level foreground estimation):
 *
 *   F = F̂ + m·r/D,  B = B̂ + (1 − m)·r/D,  D = m² + (1 − m)²
 *
 * which keeps I = m·F + (1 − m)·B exactly: where m is small the texture
 * goes to the background (and is blurred), where m is near 1 it stays on
 * the subject. When the scene gives the layers (multi-level foreground
 * estimation over the whole photo, edited by the corrections that follow
 * the matte; matte/matte_layers.c), F and B are theirs.
 *
 * The subject's CoC is the depth's where m >= 0.5, carried to the soft
 * edge by push-pull; the layer behind a soft edge pixel is the slice of the
 * background's CoC there, carried in from pixels with m <= BL_ALPHA_EPS. */
#include <emmintrin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "blur/blur_internal.h"
#include "core/pool.h"
#include "matte/matte.h"

typedef struct grid_job {
  const bl_state *st;
  float *own;
  int fw, fh, level;
  int what;          /* 0 subject CoC, 1 background CoC, 2 subject colour */
  uint8_t pass[256]; /* the matte codes whose alpha passes that test */
} grid_job;

/* Level-1 push-pull sources (5 channels). The CoCs ride in the red
 * channel: the fill's r channel is reserved for "no fill" (< 0). The test
 * on alpha is a table of the 256 codes made with the float test itself,
 * and the loop is chosen once per row, not per pixel. */
static void grid_run(void *user, int ith, int nth) {
  grid_job *j = user;
  const bl_state *st = j->st;
  const uint8_t *pass = j->pass;
  int y0, y1, B = 1 << j->level;
  dm_split_rows(j->fh, ith, nth, &y0, &y1);
  for (int cy = y0; cy < y1; cy++)
    for (int cx = 0; cx < j->fw; cx++) {
      double o[5] = {0, 0, 0, 0, 0};
      const int ya = B * cy, yb = ya + B < st->h ? ya + B : st->h;
      const int xa = B * cx, xb = xa + B < st->w ? xa + B : st->w;
      for (int y = ya; y < yb; y++) {
        const size_t r = (size_t)y * st->w;
        if (j->what < 2) {
          for (int x = xa; x < xb; x++)
            if (pass[st->m8[r + x]]) o[0] += st->rad[r + x], o[3] += 1.0;
        } else {
          for (int x = xa; x < xb; x++)
            if (pass[st->m8[r + x]]) {
              float c[3];
              bl_boosted(st, r + x, dm_px(st->in, x, y), st->rad[r + x], c);
              o[0] += c[0], o[1] += c[1], o[2] += c[2], o[3] += 1.0;
            }
        }
      }
      const int n = (yb - ya) * (xb - xa);
      float *d = j->own + ((size_t)cy * j->fw + cx) * 5;
      for (int i = 0; i < 5; i++) d[i] = (float)(o[i] / n);
    }
}

static dm_status grid_fill(bl_state *st, int what, int level, int persist, bl_slice *out) {
  memset(out, 0, sizeof *out);
  int B = 1 << level;
  out->fill_level = level;
  out->fw = (st->w + B - 1) / B, out->fh = (st->h + B - 1) / B;
  size_t n = (size_t)out->fw * out->fh;
  /* the subject's colour stays until the end; the CoCs only while slicing */
  float *own = bl_take(&st->scratch, sizeof(float) * 5 * n);
  out->fill = persist ? bl_alloc(sizeof(float) * 4 * n) : bl_take(&st->scratch, sizeof(float) * 4 * n);
  if (!own || !out->fill) {
    if (persist) bl_free(out->fill);
    out->fill = NULL;
    return dm_fail(st->ctx, DM_ERR_NOMEM, NULL, "out of memory for the matte");
  }
  grid_job j = {.st = st, .own = own, .fw = out->fw, .fh = out->fh, .level = level, .what = what};
  for (int c = 0; c < 256; c++) {
    float m = (float)c * (1.0f / 255.0f);
    j.pass[c] = what == 0 ? m >= 0.9f : what == 1 ? m <= BL_ALPHA_EPS : m >= 0.98f;
  }
  dm_parallel(st->ctx, grid_run, &j);
  return bl_push_pull(st, out->fw, out->fh, own, NULL, 1e9f, out->fill, NULL);
}

/* A thread's soft pixels with a slice behind them (bl_state.soft). */
typedef struct soft_list {
  uint32_t *i;
  size_t n, cap;
  int nomem;
} soft_list;

static void soft_add(soft_list *l, size_t i) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 4096;
    uint32_t *p = realloc(l->i, cap * sizeof *p);
    if (!p) {
      l->nomem = 1;
      return;
    }
    l->i = p, l->cap = cap;
  }
  l->i[l->n++] = (uint32_t)i;
}

typedef struct radii_job {
  bl_state *st;
  const bl_slice *subj, *back;
  const int *first_from; /* candidate -> first slice at or beyond it, or -1 */
  int (*cand)(float, float);
  int phase;
  long long (*count)[BL_MAX_SLICES]; /* phase 1, per thread: pixels per behind candidate */
  int ox, oy; /* where the fills' grid starts: a crop reads the whole photo's */
  soft_list *soft; /* phase 1, per thread: those pixels, in pixel order */
} radii_job;

/* A crop with a matte reads the whole photo's CoC fills (region.c): a
 * soft edge far from any background in the crop finds it as the whole
 * image does. */
static int whole_fills(const bl_state *st) { return st->rg && st->matte; }

/* Pixel (x, y) of radii_run's pass. */
static inline void radii_pixel(radii_job *j, int ith, int x, int y) {
  bl_state *st = j->st;
  size_t i = (size_t)y * st->w + x;
  float f[4], m = st->m8[i] * (1.0f / 255.0f);
  if (j->phase == 0) {
    if (!(m > BL_ALPHA_EPS) || m >= 0.9f || !bl_fill_at(j->subj, x + j->ox, y + j->oy, f)) return;
    /* the subject's CoC at its soft edge, where the depth says what is
     * behind; but where the depth is clearly nearer than the subject,
     * what mixes with the subject there lies in front of it (an
     * occluder's anti-aliased edge): that pixel is not subject */
    if (st->rad[i] < f[0] - (1.0f + 0.25f * fabsf(f[0])))
      st->bid[i] = BL_NOT_SUBJECT;
    else
      st->rad[i] = f[0];
    return;
  }
  if (st->bid[i] == BL_NOT_SUBJECT) return;
  uint8_t b = 255;
  if (m > BL_ALPHA_EPS && m < 1.0f && bl_fill_at(j->back, x + j->ox, y + j->oy, f)) {
    /* the slice of the background's CoC, and at least the next one
     * behind the subject's own */
    int k = j->first_from[j->cand(f[0], st->r0)], own = st->slice_of[st->sid[i]];
    if (k >= 0 && k <= own) k = own + 1 < st->n_slices ? own + 1 : -1;
    if (k >= 0) {
      b = (uint8_t)st->slices[k].cand, j->count[ith][b]++;
      soft_add(&j->soft[ith], i);
    }
  }
  st->bid[i] = b;
}

/* The m8 codes radii_pixel can act on: alpha above BL_ALPHA_EPS and below
 * 0.9 (phase 0) or 1 (phase 1), as its own float tests decide them. */
static void soft_codes(int phase, int *lo, int *hi) {
  *lo = 256, *hi = -1;
  for (int k = 0; k < 256; k++) {
    const float m = (float)k * (1.0f / 255.0f);
    if (m > BL_ALPHA_EPS && (phase ? m < 1.0f : m < 0.9f)) *lo = k < *lo ? k : *lo, *hi = k;
  }
}

/* Sixteen pixels at a time: where none is soft, phase 0 has nothing to do
 * and phase 1 only sets bid to 255 (BL_NOT_SUBJECT stays). */
static void radii_run(void *user, int ith, int nth) {
  radii_job *j = user;
  bl_state *st = j->st;
  int y0, y1, lo, hi;
  dm_split_rows(st->h, ith, nth, &y0, &y1);
  soft_codes(j->phase, &lo, &hi);
  const __m128i vlo = _mm_set1_epi8((char)(lo < 256 ? lo : 255)), vhi = _mm_set1_epi8((char)(hi >= 0 ? hi : 0));
  const __m128i ns = _mm_set1_epi8((char)BL_NOT_SUBJECT), none = _mm_set1_epi8((char)255);
  for (int y = y0; y < y1; y++) {
    const uint8_t *m8 = st->m8 + (size_t)y * st->w;
    uint8_t *bid = st->bid + (size_t)y * st->w;
    int x = 0;
    for (; hi >= lo && x + 16 <= st->w; x += 16) {
      const __m128i m = _mm_loadu_si128((const __m128i *)(m8 + x));
      const __m128i in = _mm_and_si128(_mm_cmpeq_epi8(_mm_max_epu8(m, vlo), m), _mm_cmpeq_epi8(_mm_min_epu8(m, vhi), m));
      if (j->phase == 1) {
        const __m128i b = _mm_loadu_si128((const __m128i *)(bid + x)), keep = _mm_cmpeq_epi8(b, ns);
        _mm_storeu_si128((__m128i *)(bid + x), _mm_or_si128(_mm_and_si128(keep, b), _mm_andnot_si128(keep, none)));
      }
      for (int bits = _mm_movemask_epi8(in); bits; bits &= bits - 1) radii_pixel(j, ith, x + __builtin_ctz((unsigned)bits), y);
    }
    for (; x < st->w; x++) radii_pixel(j, ith, x, y);
  }
}

dm_status bl_matte_radii(bl_state *st, const bl_coc_fn *fn, bl_slice *back) {
  bl_slice subj;
  memset(&subj, 0, sizeof subj);
  st->bid = bl_alloc((size_t)st->w * st->h);
  if (!st->bid) return dm_fail(st->ctx, DM_ERR_NOMEM, NULL, "out of memory for the matte");
  memset(st->bid, 255, (size_t)st->w * st->h);
  const bl_slice *sp = &subj;
  dm_status s = DM_OK;
  if (whole_fills(st)) {
    const bl_slice *wb;
    s = bl_whole_coc_fills(st, fn, &wb, &sp);
    if (s == DM_OK) *back = *wb; /* the whole's: not the crop's to free */
  } else {
    /* CoCs are smooth: an 8x coarser grid will do */
    s = grid_fill(st, 1, 3, 0, back); /* before the subject overwrites rad */
    if (s == DM_OK) s = grid_fill(st, 0, 3, 0, &subj);
  }
  if (s == DM_OK) {
    int ox = whole_fills(st) ? st->frame.x0 : 0, oy = whole_fills(st) ? st->frame.y0 : 0;
    radii_job j = {st, sp, NULL, NULL, NULL, 0, NULL, ox, oy, NULL};
    dm_parallel(st->ctx, radii_run, &j);
  }
  return s;
}

dm_status bl_matte_behind(bl_state *st, const bl_slice *back, const int *first_from,
                          int (*cand)(float, float)) {
  int nt = st->ctx->n_threads > 1 ? st->ctx->n_threads : 1;
  long long (*count)[BL_MAX_SLICES] = calloc((size_t)nt, sizeof *count);
  if (!count) return dm_fail(st->ctx, DM_ERR_NOMEM, NULL, "out of memory for the matte");
  int ox = whole_fills(st) ? st->frame.x0 : 0, oy = whole_fills(st) ? st->frame.y0 : 0;
  soft_list *lists = calloc((size_t)nt, sizeof *lists);
  if (!lists) {
    bl_free(count);
    return dm_fail(st->ctx, DM_ERR_NOMEM, NULL, "out of memory for the matte");
  }
  radii_job j = {st, NULL, back, first_from, cand, 1, count, ox, oy, lists};
  dm_parallel(st->ctx, radii_run, &j);
  for (int t = 0; t < nt; t++)
    for (int c = 0; c < BL_MAX_SLICES; c++) st->n_behind[c] += count[t][c];
  bl_free(count);
  /* the threads' lists joined: their rows come in order */
  size_t ns = 0;
  int nomem = 0;
  for (int t = 0; t < nt; t++) ns += lists[t].n, nomem |= lists[t].nomem;
  bl_free(st->soft);
  st->n_soft = 0;
  st->soft = ns && !nomem ? bl_alloc(ns * sizeof *st->soft) : NULL;
  for (int t = 0; t < nt; t++) {
    if (st->soft && lists[t].n) {
      memcpy(st->soft + st->n_soft, lists[t].i, lists[t].n * sizeof *st->soft);
      st->n_soft += lists[t].n;
    }
    bl_free(lists[t].i);
  }
  bl_free(lists);
  if (ns && !st->soft) return dm_fail(st->ctx, DM_ERR_NOMEM, NULL, "out of memory for the matte");
  return DM_OK;
}

dm_status bl_subject_colour(bl_state *st) {
  bl_arena_reset(&st->scratch);
  return grid_fill(st, 2, 2, 1, &st->subj);
}

void bl_layer_index(bl_state *st) {
  bl_layer_index_free(st);
  const dm_matte_layers *L = st->layers;
  if (!L || !L->n || L->width != st->w || L->height != st->h || L->row_start[0] != 0 ||
      L->row_start[L->height] != L->n)
    return;
  const size_t words = ((size_t)st->w * (size_t)st->h + 63) / 64;
  if (L->n > UINT32_MAX || !(st->layer_bits = bl_calloc(words, sizeof *st->layer_bits)) ||
      !(st->layer_rank = bl_alloc(words * sizeof *st->layer_rank))) {
    bl_layer_index_free(st);
    return;
  }
  for (int y = 0; y < L->height; y++)
    for (size_t k = L->row_start[y]; k < L->row_start[y + 1]; k++) {
      /* the slot order the rank gives: increasing x in each row, inside it */
      if (L->x[k] < 0 || L->x[k] >= st->w || (k > L->row_start[y] && L->x[k] <= L->x[k - 1])) {
        bl_layer_index_free(st);
        return;
      }
      const size_t i = (size_t)y * (size_t)st->w + (size_t)L->x[k];
      st->layer_bits[i >> 6] |= UINT64_C(1) << (i & 63);
    }
  uint32_t before = 0;
  for (size_t w = 0; w < words; w++) {
    st->layer_rank[w] = before;
    before += (uint32_t)__builtin_popcountll(st->layer_bits[w]);
  }
}

void bl_layer_index_free(bl_state *st) {
  bl_free(st->layer_bits), bl_free(st->layer_rank);
  st->layer_bits = NULL, st->layer_rank = NULL;
}

int bl_mixed_at(const bl_state *st, int x, int y, float m, const float I[3], float S[3],
                float B[4]) {
  size_t i = (size_t)y * st->w + x;
  float f[4], g[4];
  int b = st->bid[i] < BL_MAX_SLICES ? st->slice_of[st->bid[i]] : -1;
  int have_b = b >= 0 && bl_fill_at(&st->slices[b], x, y, g);
  if (!have_b) { /* nothing known behind: keep the pixel with the subject */
    for (int c = 0; c < 3; c++) S[c] = m * I[c], B[c] = I[c];
    B[3] = 0.0f;
    return 0;
  }
  long slot = bl_layer_slot(st, x, y);
  if (slot >= 0) { /* the scene's layers (I = m·F + (1 − m)·B), boosted as the pixel is */
    const dm_matte_layers *L = st->layers;
    float fb[3], bb[3];
    bl_boosted(st, i, L->fg + 3 * slot, st->rad[i], fb);
    bl_boosted(st, i, L->bg + 3 * slot, g[3], bb);
    for (int c = 0; c < 3; c++) S[c] = m * fb[c], B[c] = bb[c];
    B[3] = g[3];
    return 1;
  }
  if (!bl_fill_at(&st->subj, x, y, f)) f[0] = I[0], f[1] = I[1], f[2] = I[2];
  float D = m * m + (1.0f - m) * (1.0f - m);
  for (int c = 0; c < 3; c++) {
    float r = I[c] - m * f[c] - (1.0f - m) * g[c];
    float sc = m * f[c] + m * m * r / D, bc = g[c] + (1.0f - m) * r / D;
    /* keep I = S + (1 − m)·B with neither part negative */
    if (sc < 0.0f) sc = 0.0f, bc = I[c] / (1.0f - m);
    if (bc < 0.0f) bc = 0.0f, sc = I[c];
    S[c] = sc > 0.0f ? sc : 0.0f;
    B[c] = bc > 0.0f ? bc : 0.0f;
  }
  B[3] = g[3];
  return 1;
}

int bl_behind_beyond(const bl_state *st, int x, int y, int c) {
  size_t i = (size_t)y * st->w + x;
  int b = st->bid[i], k = b < BL_MAX_SLICES ? st->slice_of[b] : -1;
  float g[4];
  return b > c && k >= 0 && bl_soft(st->m8[i], st->bid[i]) && bl_fill_at(&st->slices[k], x, y, g);
}

int bl_content(const bl_state *st, int k, int x, int y, int role, const float *I, float v[4],
               float *radius) {
  size_t i = (size_t)y * st->w + x;
  float S[3], B[4], c[3];
  if (role == BL_OWN) {
    float m = bl_matte_at(st, x, y);
    bl_boosted(st, i, I, st->rad[i], c);
    if (m > BL_ALPHA_EPS && m < 1.0f) {
      bl_mixed_at(st, x, y, m, c, S, B);
      v[0] = S[0], v[1] = S[1], v[2] = S[2], v[3] = m;
    } else {
      v[0] = c[0], v[1] = c[1], v[2] = c[2], v[3] = 1.0f;
    }
    *radius = fabsf(st->rad[i]);
    return 1;
  }
  if (role == BL_BEHIND) {
    bl_boosted(st, i, I, st->rad[i], c);
    if (!bl_mixed_at(st, x, y, bl_matte_at(st, x, y), c, S, B)) return 0;
    v[0] = B[0], v[1] = B[1], v[2] = B[2], v[3] = 1.0f;
    *radius = B[3];
    return 1;
  }
  if (role == BL_HIDDEN) {
    float f[4];
    if (!bl_fill_at(&st->slices[k], x, y, f)) return 0;
    v[0] = f[0], v[1] = f[1], v[2] = f[2], v[3] = 1.0f;
    *radius = f[3];
    return 1;
  }
  return 0;
}
