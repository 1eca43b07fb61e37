/* PNG image data on every thread: see png_idat.h. */
#include "io/png_idat.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#ifdef __SSE4_1__
#include <smmintrin.h>
#endif

#include "core/bigmem.h"
#include "core/pool.h"

#define WINDOW ((size_t)32768)

/* Measured by bench_png on five photos (one thread; sizes against libpng's
 * own writer at level 3 with its adaptive filter, what was written before):
 * 8-bit, Paeth with run-length-only deflate is 3-7 % smaller at half the
 * CPU (the adaptive filter chose Paeth for nearly every row anyway, at
 * five filters' cost); 16-bit, where runs are rare (a high and a low byte
 * alternate), Paeth at level 1 is about 9 % larger at a third of the CPU. */
void dm_png_idat_defaults(dm_png_idat_options *o, int bits) {
  o->bits = bits;
  o->filter = DM_PNG_FILTER_PAETH;
  o->level = 1;
  o->strategy = bits == 8 ? Z_RLE : Z_FILTERED;
  o->chunk_bytes = DM_PNG_CHUNK_BYTES;
}

/* Row y of img as PNG stores it (samples clamped and rounded, big-endian). */
static void pack_row(const dm_image *img, int y, int bits, unsigned char *dst) {
  const float *src = dm_row(img, y);
  size_t n = (size_t)img->width * (size_t)img->channels;
  if (bits == 16) {
    for (size_t i = 0; i < n; i++) {
      uint16_t v = dm_to_u16(src[i]);
      dst[2 * i] = (unsigned char)(v >> 8);
      dst[2 * i + 1] = (unsigned char)(v & 0xff);
    }
  } else {
    for (size_t i = 0; i < n; i++) dst[i] = dm_to_u8(src[i]);
  }
}

static inline unsigned char paeth(int a, int b, int c) {
  int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
  return (unsigned char)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

/* Paeth on bytes [i, n) (i >= bpp), 8 at a time in 16-bit lanes: unlike
 * the decoder's, the encoder's predictor reads only the unfiltered rows, so
 * every byte is independent (it was a sixth of the whole render's CPU in
 * the scalar loop). Returns where it stopped. */
static size_t paeth_simd(const unsigned char *row, const unsigned char *up, size_t i, size_t n, size_t bpp,
                         unsigned char *o) {
#ifdef __SSE4_1__
  const __m128i lo = _mm_set1_epi16(0xff);
  for (; i + 8 <= n; i += 8) {
    __m128i a = _mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)(row + i - bpp)));
    __m128i b = _mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)(up + i)));
    __m128i c = _mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)(up + i - bpp)));
    __m128i x = _mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)(row + i)));
    __m128i pa = _mm_abs_epi16(_mm_sub_epi16(b, c)), pb = _mm_abs_epi16(_mm_sub_epi16(a, c));
    __m128i pc = _mm_abs_epi16(_mm_sub_epi16(_mm_add_epi16(a, b), _mm_add_epi16(c, c)));
    /* a if pa <= pb and pa <= pc, else b if pb <= pc, else c */
    __m128i not_a = _mm_or_si128(_mm_cmpgt_epi16(pa, pb), _mm_cmpgt_epi16(pa, pc));
    __m128i pred = _mm_blendv_epi8(b, c, _mm_cmpgt_epi16(pb, pc));
    pred = _mm_blendv_epi8(a, pred, not_a);
    __m128i d = _mm_and_si128(_mm_sub_epi16(x, pred), lo);
    _mm_storel_epi64((__m128i *)(o + i), _mm_packus_epi16(d, d));
  }
#else
  (void)row, (void)up, (void)n, (void)bpp, (void)o;
#endif
  return i;
}

/* Filter `row` (previous row `up`, zeros above the first) with filter f
 * into out[0] = f, out[1..rb]. */
static void filter_row(int f, const unsigned char *row, const unsigned char *up, size_t rb, size_t bpp,
                       unsigned char *out) {
  unsigned char *o = out + 1;
  out[0] = (unsigned char)f;
  size_t i;
  switch (f) {
    case DM_PNG_FILTER_NONE: memcpy(o, row, rb); break;
    case DM_PNG_FILTER_SUB:
      for (i = 0; i < bpp; i++) o[i] = row[i];
      for (; i < rb; i++) o[i] = (unsigned char)(row[i] - row[i - bpp]);
      break;
    case DM_PNG_FILTER_UP:
      for (i = 0; i < rb; i++) o[i] = (unsigned char)(row[i] - up[i]);
      break;
    case DM_PNG_FILTER_AVG:
      for (i = 0; i < bpp; i++) o[i] = (unsigned char)(row[i] - (up[i] >> 1));
      for (; i < rb; i++) o[i] = (unsigned char)(row[i] - ((row[i - bpp] + up[i]) >> 1));
      break;
    default:
      for (i = 0; i < bpp; i++) o[i] = (unsigned char)(row[i] - up[i]); /* paeth(0, b, 0) = b */
      for (i = paeth_simd(row, up, i, rb, bpp, o); i < rb; i++)
        o[i] = (unsigned char)(row[i] - paeth(row[i - bpp], up[i], up[i - bpp]));
      break;
  }
}

/* Sum of |signed byte| of a filtered row: libpng's "minimum sum of absolute
 * differences" heuristic. */
static size_t row_cost(const unsigned char *o, size_t rb) {
  size_t s = 0;
  for (size_t i = 0; i < rb; i++) s += o[i] < 128 ? o[i] : 256u - o[i];
  return s;
}

typedef struct idat_job {
  const dm_image *img;
  const dm_png_idat_options *o;
  size_t rb, bpp;
  int rows;      /* per chunk */
  int dict_rows; /* rows of the chunk before that cover the window */
  int n;         /* chunks */
  dm_png_idat *z;
  uLong *adler;
  size_t *raw_len;
  atomic_int next;
  atomic_int failed; /* 1: out of memory, 2: zlib */
  dm_context *ctx;
} idat_job;

/* Filtered rows [y0, y1) into stream (rb + 1 bytes a row); `scratch` holds
 * two packed rows and, for the adaptive filter, five candidate rows. */
static void filter_rows(const idat_job *j, int y0, int y1, unsigned char *stream, unsigned char *scratch) {
  size_t rb = j->rb;
  unsigned char *up = scratch, *row = scratch + rb, *cand = scratch + 2 * rb;
  if (y0 > 0)
    pack_row(j->img, y0 - 1, j->o->bits, up);
  else
    memset(up, 0, rb);
  for (int y = y0; y < y1; y++, stream += rb + 1) {
    pack_row(j->img, y, j->o->bits, row);
    if (j->o->filter != DM_PNG_FILTER_ADAPTIVE) {
      filter_row(j->o->filter, row, up, rb, j->bpp, stream);
    } else {
      size_t best = SIZE_MAX;
      int bf = 0;
      for (int f = 0; f < 5; f++) {
        unsigned char *c = cand + (size_t)f * (rb + 1);
        filter_row(f, row, up, rb, j->bpp, c);
        size_t cost = row_cost(c + 1, rb);
        if (cost < best) best = cost, bf = f;
      }
      memcpy(stream, cand + (size_t)bf * (rb + 1), rb + 1);
    }
    unsigned char *t = up;
    up = row, row = t;
  }
}

/* Chunk c into its place in the output: 0 on success, else 1 or 2 as
 * idat_job.failed. */
static int chunk(idat_job *j, int c, z_stream *zs, unsigned char *stream, unsigned char *scratch) {
  int h = j->img->height;
  size_t srow = j->rb + 1;
  int y0 = c * j->rows, y1 = y0 + j->rows < h ? y0 + j->rows : h;
  int k = y0 < j->dict_rows ? y0 : j->dict_rows;
  size_t dict = (size_t)k * srow, data = (size_t)(y1 - y0) * srow;
  filter_rows(j, y0 - k, y1, stream, scratch);
  if (deflateReset(zs) != Z_OK) return 2;
  size_t d = dict < WINDOW ? dict : WINDOW;
  if (d && deflateSetDictionary(zs, stream + dict - d, (uInt)d) != Z_OK) return 2;
  size_t cap = j->z->off[c + 1] - j->z->off[c];
  zs->next_in = stream + dict, zs->avail_in = (uInt)data;
  zs->next_out = j->z->buf + j->z->off[c], zs->avail_out = (uInt)cap;
  int last = y1 == h, rc = deflate(zs, last ? Z_FINISH : Z_SYNC_FLUSH);
  if ((last ? rc != Z_STREAM_END : rc != Z_OK) || zs->avail_in) return 2;
  j->adler[c] = adler32(adler32(0, NULL, 0), stream + dict, (uInt)data);
  j->raw_len[c] = data;
  j->z->len[c] = cap - zs->avail_out;
  return 0;
}

/* One thread: its buffers and deflate state made once, then chunks taken
 * in turn until none is left. */
static void idat_thread(void *user, int ith, int nth) {
  (void)ith, (void)nth;
  idat_job *j = user;
  size_t srow = j->rb + 1;
  unsigned char *stream = malloc((size_t)(j->dict_rows + j->rows) * srow);
  unsigned char *scratch = malloc(7 * srow);
  z_stream zs = {0};
  int fail = !stream || !scratch ? 1
             : deflateInit2(&zs, j->o->level, Z_DEFLATED, -15, 8, j->o->strategy) != Z_OK ? 1
                                                                                          : 0;
  for (int c; !fail && !atomic_load(&j->failed) && !dm_cancelled(j->ctx) &&
              (c = atomic_fetch_add(&j->next, 1)) < j->n;)
    fail = chunk(j, c, &zs, stream, scratch);
  if (fail) atomic_store(&j->failed, fail);
  deflateEnd(&zs);
  free(stream);
  free(scratch);
}

void dm_png_idat_free(dm_png_idat *z) {
  dm_big_free(z->buf);
  free(z->off);
  free(z->len);
  memset(z, 0, sizeof *z);
}

/* Room for every chunk at its deflateBound (plus the sync flush's empty
 * stored block, which the bound does not count), in one buffer: only the
 * pages written are ever touched, and those as huge pages (bigmem.h). */
static int layout(idat_job *j) {
  dm_png_idat *z = j->z;
  z_stream zs = {0};
  if (deflateInit2(&zs, j->o->level, Z_DEFLATED, -15, 8, j->o->strategy) != Z_OK) return 0;
  size_t full = deflateBound(&zs, (uLong)((size_t)j->rows * (j->rb + 1))) + 16;
  deflateEnd(&zs);
  for (int c = 0; c <= j->n; c++) z->off[c] = (size_t)c * full;
  z->buf = dm_big_alloc(z->off[j->n]);
  return z->buf != NULL;
}

dm_status dm_png_idat_make(dm_context *ctx, const dm_image *img, const dm_png_idat_options *o,
                           const char *name, dm_png_idat *out) {
  memset(out, 0, sizeof *out);
  idat_job j = {.img = img, .o = o, .ctx = ctx, .z = out};
  j.bpp = (size_t)img->channels * (size_t)(o->bits / 8);
  j.rb = (size_t)img->width * j.bpp;
  size_t rows = (o->chunk_bytes + j.rb) / (j.rb + 1);
  j.rows = rows > (size_t)img->height ? img->height : rows < 1 ? 1 : (int)rows;
  j.dict_rows = (int)((WINDOW + j.rb) / (j.rb + 1));
  j.n = out->n = (img->height + j.rows - 1) / j.rows;
  out->off = calloc((size_t)j.n + 1, sizeof *out->off);
  out->len = calloc((size_t)j.n, sizeof *out->len);
  j.adler = calloc((size_t)j.n, sizeof *j.adler);
  j.raw_len = calloc((size_t)j.n, sizeof *j.raw_len);
  atomic_init(&j.next, 0);
  atomic_init(&j.failed, 0);
  if (!out->off || !out->len || !j.adler || !j.raw_len || !layout(&j)) atomic_store(&j.failed, 1);
  if (!atomic_load(&j.failed)) dm_parallel(ctx, idat_thread, &j);
  dm_status s = DM_OK;
  if (dm_cancelled(ctx)) {
    s = dm_fail(ctx, DM_ERR_CANCELLED, name, "cancelled");
  } else if (atomic_load(&j.failed) == 2) {
    s = dm_fail(ctx, DM_ERR_INTERNAL, name, "cannot write PNG: deflate failed");
  } else if (atomic_load(&j.failed)) {
    s = dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory");
  } else {
    /* CMF: deflate, 32 KiB window; FLG: FLEVEL as zlib sets it, then FCHECK */
    unsigned cmf = 0x78, flg = (unsigned)(o->level < 2 ? 0 : o->level < 6 ? 1 : o->level == 6 ? 2 : 3) << 6;
    flg += 31 - (cmf * 256 + flg) % 31;
    out->head[0] = (unsigned char)cmf, out->head[1] = (unsigned char)flg;
    uLong adler = j.adler[0];
    for (int c = 1; c < j.n; c++) adler = adler32_combine(adler, j.adler[c], (z_off_t)j.raw_len[c]);
    for (int i = 0; i < 4; i++) out->tail[i] = (unsigned char)(adler >> (24 - 8 * i));
  }
  free(j.adler);
  free(j.raw_len);
  if (s) dm_png_idat_free(out);
  return s;
}
