/* White-balance shifts for temperature and tint.
 *
 * Model: the image is re-balanced as if its light had moved along (or off)
 * the Planckian locus from a 5500 K reference: the target white is the
 * Planckian chromaticity at 1e6 / (1e6 / 5500 + dmired) K, moved `duv`
 * along the locus normal in CIE 1960 uv (positive = towards green), and the
 * gains are von Kries ratios target / reference in Bradford cone space.
 * Per pixel: RGB -> cones, gains (from a table over the pixel's
 * strength, built once per call), cones -> RGB, then the pixel's own
 * luminance is restored exactly. */
#include <stdlib.h>

#include "adjust/adjust_op.h"

#define REF_KELVIN 5500.0
#define MIRED_PER_UNIT 0.7f   /* temperature: +-100 = +-70 mired (~3970 K .. ~8940 K) */
#define DUV_PER_UNIT 0.0002f  /* tint: +-100 = Duv -+0.02 (magenta .. green) */

/* Linear Rec.2020 (D65) to CIE XYZ. */
static const double RGB2XYZ[9] = {0.6369580, 0.1446169, 0.1688810, 0.2627002, 0.6779981,
                                  0.0593017, 0.0000000, 0.0280727, 1.0609851};
/* Bradford cone response. */
static const double BRADFORD[9] = {0.8951, 0.2664, -0.1614, -0.7502, 1.7135,
                                   0.0367, 0.0389, -0.0685, 1.0296};

static void mul33(const double *a, const double *b, double *out) {
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      out[3 * i + j] = a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j];
}

static void inv33(const double *m, double *out) {
  double c00 = m[4] * m[8] - m[5] * m[7], c01 = m[5] * m[6] - m[3] * m[8], c02 = m[3] * m[7] - m[4] * m[6];
  double det = m[0] * c00 + m[1] * c01 + m[2] * c02;
  double id = 1.0 / det;
  out[0] = c00 * id;
  out[1] = (m[2] * m[7] - m[1] * m[8]) * id;
  out[2] = (m[1] * m[5] - m[2] * m[4]) * id;
  out[3] = c01 * id;
  out[4] = (m[0] * m[8] - m[2] * m[6]) * id;
  out[5] = (m[2] * m[3] - m[0] * m[5]) * id;
  out[6] = c02 * id;
  out[7] = (m[1] * m[6] - m[0] * m[7]) * id;
  out[8] = (m[0] * m[4] - m[1] * m[3]) * id;
}

/* Planckian locus chromaticity, Kim et al. cubic fit (1667 K .. 25000 K). */
static void planck_uv(double T, double *u, double *v) {
  double t = 1e3 / T, t2 = t * t, t3 = t2 * t, x, y;
  if (T <= 4000.0)
    x = -0.2661239 * t3 - 0.2343589 * t2 + 0.8776956 * t + 0.179910;
  else
    x = -3.0258469 * t3 + 2.1070379 * t2 + 0.2226347 * t + 0.240390;
  double x2 = x * x, x3 = x2 * x;
  if (T <= 2222.0)
    y = -1.1063814 * x3 - 1.34811020 * x2 + 2.18555832 * x - 0.20219683;
  else if (T <= 4000.0)
    y = -0.9549476 * x3 - 1.37418593 * x2 + 2.09137015 * x - 0.16748867;
  else
    y = 3.0817580 * x3 - 5.87338670 * x2 + 3.75112997 * x - 0.37001483;
  double d = -2.0 * x + 12.0 * y + 3.0;
  *u = 4.0 * x / d;
  *v = 6.0 * y / d;
}

static double mired_to_kelvin(double m) {
  double T = 1e6 / m;
  return T < 1700.0 ? 1700.0 : (T > 24000.0 ? 24000.0 : T);
}

/* Cone response of the white at `mired` moved `duv` off the locus. */
static void white_lms(double mired, double duv, double lms[3]) {
  double u, v, ua, va, ub, vb;
  planck_uv(mired_to_kelvin(mired), &u, &v);
  planck_uv(mired_to_kelvin(mired - 1.0), &ua, &va);
  planck_uv(mired_to_kelvin(mired + 1.0), &ub, &vb);
  double tu = ub - ua, tv = vb - va, len = sqrt(tu * tu + tv * tv);
  double nu = -tv / len, nv = tu / len;
  if (nv < 0) { /* the normal points to green (higher v) for positive Duv */
    nu = -nu;
    nv = -nv;
  }
  u += duv * nu;
  v += duv * nv;
  double d = 2.0 * u - 8.0 * v + 4.0;
  double x = 3.0 * u / d, y = 2.0 * v / d;
  double xyz[3] = {x / y, 1.0, (1.0 - x - y) / y};
  for (int i = 0; i < 3; i++)
    lms[i] = BRADFORD[3 * i] * xyz[0] + BRADFORD[3 * i + 1] * xyz[1] + BRADFORD[3 * i + 2] * xyz[2];
}

/* Cone-space gains for the shift, scaled so that neutral greys keep
 * their luminance. */
static void wb_gains(double dmired, double duv, const double lms2rgb[9], const double rgb2lms[9],
                     float g[3]) {
  double ref_mired = 1e6 / REF_KELVIN, ref[3], tgt[3], gd[3];
  white_lms(ref_mired, 0.0, ref);
  white_lms(ref_mired + dmired, duv, tgt);
  for (int i = 0; i < 3; i++) gd[i] = tgt[i] / ref[i];
  /* grey (1,1,1) -> cones -> gains -> RGB -> luminance */
  const double luma[3] = {DM_LUMA_R, DM_LUMA_G, DM_LUMA_B};
  double grey = 0;
  for (int c = 0; c < 3; c++)
    for (int i = 0; i < 3; i++)
      grey += luma[c] * lms2rgb[3 * c + i] * gd[i] * (rgb2lms[3 * i] + rgb2lms[3 * i + 1] + rgb2lms[3 * i + 2]);
  for (int i = 0; i < 3; i++) g[i] = (float)(gd[i] / grey);
}

dm_status dm_adj_wb_prepare(dm_adj_run *run, dm_adjust_id id, float value, int kind) {
  dm_adj_wb_lut *lut = malloc(sizeof *lut);
  if (!lut) return dm_fail(run->ctx, DM_ERR_NOMEM, NULL, "out of memory");
  double rgb2lms[9], lms2rgb[9];
  mul33(BRADFORD, RGB2XYZ, rgb2lms);
  inv33(rgb2lms, lms2rgb);
  for (int k = 0; k < 9; k++) {
    lut->to_lms[k] = (float)rgb2lms[k];
    lut->from_lms[k] = (float)lms2rgb[k];
  }
  lut->wmax = run->amount;
  for (int k = 0; k <= DM_ADJ_WB_STEPS; k++) {
    double t = (double)value * run->amount * k / DM_ADJ_WB_STEPS;
    if (kind == 0)
      wb_gains(MIRED_PER_UNIT * t, 0.0, lms2rgb, rgb2lms, lut->g[k]);
    else
      wb_gains(0.0, -DUV_PER_UNIT * t, lms2rgb, rgb2lms, lut->g[k]);
  }
  run->state[id] = lut;
  return DM_OK;
}

void dm_adj_wb_release(dm_adj_run *run, dm_adjust_id id) {
  free(run->state[id]);
  run->state[id] = NULL;
}

void dm_adj_wb_span(const dm_adj_span *s, float value) {
  const dm_adj_wb_lut *lut = s->run->state[s->id];
  const float *P = lut->to_lms, *Q = lut->from_lms;
  float scale = (float)DM_ADJ_WB_STEPS / lut->wmax;
  float g[3][DM_ADJ_SPAN];
  for (int i = 0; i < s->n; i++) {
    float pos = s->w[i] * scale;
    int k = (int)pos;
    k = k > DM_ADJ_WB_STEPS - 1 ? DM_ADJ_WB_STEPS - 1 : k;
    float f = pos - (float)k;
    for (int c = 0; c < 3; c++) g[c][i] = lut->g[k][c] + f * (lut->g[k + 1][c] - lut->g[k][c]);
  }
  for (int i = 0; i < s->n; i++) {
    float *p = s->rgb + 3 * i;
    float in0 = p[0], in1 = p[1], in2 = p[2];
    float l0 = (P[0] * in0 + P[1] * in1 + P[2] * in2) * g[0][i];
    float l1 = (P[3] * in0 + P[4] * in1 + P[5] * in2) * g[1][i];
    float l2 = (P[6] * in0 + P[7] * in1 + P[8] * in2) * g[2][i];
    float o0 = Q[0] * l0 + Q[1] * l1 + Q[2] * l2;
    float o1 = Q[3] * l0 + Q[4] * l1 + Q[5] * l2;
    float o2 = Q[6] * l0 + Q[7] * l1 + Q[8] * l2;
    /* The map is not diagonal in RGB: keep a non-negative channel so. */
    o0 = o0 < 0.0f && in0 >= 0.0f ? 0.0f : o0;
    o1 = o1 < 0.0f && in1 >= 0.0f ? 0.0f : o1;
    o2 = o2 < 0.0f && in2 >= 0.0f ? 0.0f : o2;
    float y0 = DM_LUMA_R * in0 + DM_LUMA_G * in1 + DM_LUMA_B * in2;
    float y1 = DM_LUMA_R * o0 + DM_LUMA_G * o1 + DM_LUMA_B * o2;
    float gain = y0 > 0.0f && y1 > 0.0f ? y0 / y1 : 1.0f;
    int keep = s->w[i] == 0.0f; /* bit-identical where the mask is 0 */
    p[0] = keep ? in0 : o0 * gain;
    p[1] = keep ? in1 : o1 * gain;
    p[2] = keep ? in2 : o2 * gain;
  }
}
