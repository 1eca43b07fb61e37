/* The register-blocked conv product (conv_smallk.c) with many output
 * channels, where the AVX2 form packs column panels, against a scalar
 * fmaf chain in the kernel's order (bias first, then k = 0, 1, ...) and
 * against the kernel run one channel at a time (never packed): bit for
 * bit, as every output is that same chain. Cases cover 16-column tails of 1, 3 and 8
 * (one vector a row) and of 9 and 12 (two), several panel groups (small
 * K) and one block a group (K 640), rows
 * by stride and by offset table (conv_band.c's form), no bias, Relu and
 * Clip; the columns past T must stay untouched. */
#include <math.h>
#include <string.h>

#include "dm_test.h"
#include "nn/conv_internal.h"

static unsigned g_seed = 4242;
static float frand(void) {
  g_seed = g_seed * 1103515245u + 12345u;
  return (float)((g_seed >> 8) & 0xffff) / 32768.0f - 1.0f;
}

typedef struct sk_case {
  int64_t m, k, t, ldb;
  int use_off, use_bias;
  nn_act_kind act;
} sk_case;

static void run_case(const sk_case *c) {
  const int isa = nn_conv_smallk_isa(c->k);
  if (isa == NN_SMALLK_NONE) return; /* no AVX2: the kernel is not used */
  if (isa == NN_SMALLK_AVX2) CHECK(nn_conv_smallk_packs(isa, c->m, c->k) && !nn_conv_smallk_packs(isa, 1, c->k));
  const int64_t ldy = c->t + 5, rows_b = c->use_off ? 2 * c->k : c->k;
  float *w = malloc((size_t)(c->m * c->k) * sizeof *w), *b = malloc((size_t)(rows_b * c->ldb) * sizeof *b);
  float *bias = malloc((size_t)c->m * sizeof *bias);
  float *y = malloc((size_t)(c->m * ldy) * sizeof *y), *ref = malloc((size_t)(c->m * ldy) * sizeof *ref);
  int64_t *off = malloc((size_t)c->k * sizeof *off);
  for (int64_t i = 0; i < c->m * c->k; i++) w[i] = frand();
  for (int64_t i = 0; i < rows_b * c->ldb; i++) b[i] = frand();
  for (int64_t i = 0; i < c->m; i++) bias[i] = frand();
  for (int64_t k = 0; k < c->k; k++) off[k] = (2 * c->k - 1 - 2 * k) * c->ldb + k % 3; /* rows out of order */
  for (int64_t i = 0; i < c->m * ldy; i++) y[i] = ref[i] = 7.0f; /* past T: must stay */
  const nn_act act = {c->act, -0.25f, 0.5f};
  const int64_t *o = c->use_off ? off : NULL;
  const float *bs = c->use_bias ? bias : NULL;
  nn_conv_smallk(isa, w, c->m, c->k, b, c->ldb, o, c->t, y, ldy, bs, &act, 1);
  for (int64_t m = 0; m < c->m; m++)
    for (int64_t j = 0; j < c->t; j++) {
      float acc = bs ? bs[m] : 0.0f;
      for (int64_t k = 0; k < c->k; k++) acc = fmaf(w[m * c->k + k], b[(o ? o[k] : k * c->ldb) + j], acc);
      if (c->act == NN_ACT_RELU) acc = acc > 0.0f ? acc : 0.0f;
      if (c->act == NN_ACT_CLIP) acc = fminf(fmaxf(acc, act.lo), act.hi);
      ref[m * ldy + j] = acc;
    }
  int same = !memcmp(y, ref, (size_t)(c->m * ldy) * sizeof *y);
  if (!same)
    fprintf(stderr, "M %lld K %lld T %lld: packed and scalar results differ\n", (long long)c->m, (long long)c->k,
            (long long)c->t);
  CHECK(same);
  /* one channel at a time: the unpacked path, same bits */
  for (int64_t m = 0; m < c->m; m++)
    nn_conv_smallk(isa, w + m * c->k, 1, c->k, b, c->ldb, o, c->t, ref + m * ldy, ldy, bs ? bs + m : NULL, &act, 1);
  CHECK(!memcmp(y, ref, (size_t)(c->m * ldy) * sizeof *y));
  for (int64_t m = 0; m < c->m; m++) CHECK(y[m * ldy + c->t] == 7.0f && y[m * ldy + ldy - 1] == 7.0f);
  free(w), free(b), free(bias), free(y), free(ref), free(off);
}

int main(void) {
  static const sk_case cases[] = {
      {13, 120, 49, 60, 0, 1, NN_ACT_RELU},   /* 7x7 plane: tail of 1 column; 2 blocks a group */
      {56, 27, 300, 301, 1, 1, NN_ACT_CLIP},  /* offsets, several groups, tail of 12 */
      {24, 640, 35, 40, 0, 0, NN_ACT_NONE},   /* largest K: one block a group, no bias */
      {12, 5, 16, 16, 0, 1, NN_ACT_NONE},     /* one whole block, exactly */
      {64, 88, 200, 3136, 0, 1, NN_ACT_RELU}, /* FastDepth-like 1x1 tile of a 56^2 plane, tail of 8 */
      {20, 64, 25, 25, 0, 1, NN_ACT_CLIP},    /* tail of 9: just past one vector */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(&cases[i]);
  return dm_test_done("nn/test_conv_smallk");
}
