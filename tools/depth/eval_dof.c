/* depthmask-depth-eval: how well depth maps separate the subject, on the
 * ../shared/dof-eval scenes (aif.png in; depth16.png + camera.json and
 * mask_gt.png as truth), for four maps: the true depth, raw FastDepth (its
 * metres, bilinear to the photo), the ISNet matte alone (1 - matte) and the
 * fused near01 (dm_depth_fuse of the two networks' outputs).
 *   order  the fraction of pixel pairs ordered like the true depth, over
 *          PAIRS random pairs (fixed seed) whose true depths differ by more
 *          than 15 % (max/min > 1.15); a tie in the map counts one half;
 *   iou    the best two-handled band: the map histogrammed into BINS bins
 *          over its range, every lo <= hi tried, the IoU of the pixels in
 *          [lo, hi] with mask_gt >= 0.5 (what a Depth Range mask can select);
 *   strict the order with ties counted wrong (issue 16's measure);
 *   behind of the pixels whose true depth is more than 15 % beyond the
 *          subject's (the median under mask_gt >= 0.5), the share the map
 *          puts behind the map's own subject median (issue 16's measure);
 *   spread the map's 5th..95th percentile spread over the backdrop: the
 *          pixels within 1 % of the scene's farthest true depth (a flat
 *          fronto-parallel cover in these scenes; issue 16: <= 0.1).
 *
 * usage: depthmask-depth-eval [--out DIR] [--portrait PHOTO]... [--time PHOTO]
 *                             [--threads N] [--verbose] [--soften] [--photo NAME]
 *                             [SCENE_DIR]...
 *   --no-occlusion   fuse without the occlusion rule (src/depth/fuse_occlusion.c)
 *   --photo NAME     the scene's input photo (default aif.png; aif_f8.png: the
 *                    same scene at f/8; the scene's name gets "_NAME" without
 *                    ".png" for anything but aif.png)
 *   --out DIR        write SCENE_fused.png and SCENE_confidence.png (16-bit)
 *   --portrait P     a real photo: mean fused near01 inside matte >= 0.5 and
 *                    outside (the subject must be nearer), and the share of
 *                    the inside within 0.1 of its median (kept whole)
 *   --soften         the scenes' photos softened (about a 0.5 px blur; the
 *                    scene's name gets "_soft")
 *   --time P         P upscaled to 4000x3000 (12 MP): time dm_depth_fuse (best
 *                    of 3: wall seconds and CPU seconds of all threads)
 *   confidence  the fused confidence's mean on the true contacts (background
 *          within side/50 of the subject at its depth, within 10 %: issue
 *          16 asks it low) and on the rest of that ring (clear)
 * Lines are machine-readable: "map SCENE NAME order X iou Y lo A hi B strict S behind F spread P",
 * "confidence SCENE contact C clear F pixels N",
 * "portrait NAME inside X outside Y whole Z", "time W H wall S cpu S threads N". */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/file.h"
#include "core/resample.h"
#include "depth/depth.h"
#include "depth/fuse.h"
#include "io/io.h"
#include "matte/matte.h"
#include "nn/model_store.h"
#include "nn/nn_image.h"

#define PAIRS 200000
#define BINS 1024

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t splitmix(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* strict (not NULL): the same pairs with ties counted wrong. */
static double pair_order(const dm_image *map, const dm_image *z, double *strict) {
  uint64_t seed = 12345;
  size_t n = (size_t)z->width * z->height;
  double good = 0, total = 0, firm = 0;
  for (int i = 0; i < PAIRS; i++) {
    size_t a = splitmix(&seed) % n, b = splitmix(&seed) % n;
    float za = dm_row(z, (int)(a / z->width))[a % z->width], zb = dm_row(z, (int)(b / z->width))[b % z->width];
    if (fmaxf(za, zb) <= 1.15f * fminf(za, zb)) continue;
    float ma = dm_row(map, (int)(a / z->width))[a % z->width], mb = dm_row(map, (int)(b / z->width))[b % z->width];
    total += 1;
    if (ma == mb) good += 0.5;
    else if ((ma < mb) == (za < zb)) good += 1, firm += 1;
  }
  if (strict) *strict = total > 0 ? firm / total : 0;
  return total > 0 ? good / total : 0;
}

static int by_float(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return x < y ? -1 : x > y;
}

/* The median of `v` where gt >= 0.5 (NAN when there is none). */
static float subject_median(const dm_image *v, const dm_image *gt) {
  size_t n = 0, cap = (size_t)v->width * v->height;
  float *s = malloc(cap * sizeof *s);
  if (!s) return NAN;
  for (int y = 0; y < v->height; y++)
    for (int x = 0; x < v->width; x++)
      if (dm_row(gt, y)[x] >= 0.5f) s[n++] = dm_row(v, y)[x];
  float m = NAN;
  if (n) {
    qsort(s, n, sizeof *s, by_float);
    m = s[n / 2];
  }
  free(s);
  return m;
}

/* The map's 5th..95th percentile spread over the farthest true depth. */
static double backdrop_spread(const dm_image *map, const dm_image *z) {
  float zmax = 0;
  for (int y = 0; y < z->height; y++)
    for (int x = 0; x < z->width; x++) zmax = fmaxf(zmax, dm_row(z, y)[x]);
  size_t n = 0, cap = (size_t)z->width * z->height;
  float *s = malloc(cap * sizeof *s);
  if (!s) return NAN;
  for (int y = 0; y < z->height; y++)
    for (int x = 0; x < z->width; x++)
      if (dm_row(z, y)[x] >= 0.99f * zmax) s[n++] = dm_row(map, y)[x];
  double r = NAN;
  if (n > 100) {
    qsort(s, n, sizeof *s, by_float);
    r = s[n * 95 / 100] - s[n * 5 / 100];
  }
  free(s);
  return r;
}

/* Of the pixels truly more than 15 % behind the subject, the share the map
 * puts behind its own subject median. */
static double behind_share(const dm_image *map, const dm_image *z, const dm_image *gt) {
  float zs = subject_median(z, gt), ms = subject_median(map, gt);
  double in = 0, ok = 0;
  for (int y = 0; y < z->height; y++)
    for (int x = 0; x < z->width; x++)
      if (dm_row(z, y)[x] > 1.15f * zs) in += 1, ok += dm_row(map, y)[x] > ms;
  return in > 0 ? ok / in : 1;
}

/* The confidence where the truth has a contact: background pixels within
 * side/50 of the subject (mask_gt >= 0.5, chessboard distance) whose true
 * depth is within 10 % of the subject's median (a table under a cup, the
 * ground at a person's feet); and where it has none (the rest of that
 * ring). A confidence that flags contacts is low on the first, high on the
 * second. n: the contact pixels (0: the scene has no contact). */
static void contact_confidence(const dm_image *conf, const dm_image *z, const dm_image *gt,
                               double *contact, double *clear, double *n_contact) {
  int w = gt->width, h = gt->height, r = (w > h ? w : h) / 50;
  float zs = subject_median(z, gt);
  double sc = 0, nc = 0, sf = 0, nf = 0;
  /* within r of the subject: a row pass, then a column pass */
  unsigned char *rowd = calloc((size_t)w * h, 1), *near = calloc((size_t)w * h, 1);
  if (!rowd || !near) {
    free(rowd), free(near);
    *contact = *clear = NAN, *n_contact = 0;
    return;
  }
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      if (dm_row(gt, y)[x] >= 0.5f)
        for (int k = x - r < 0 ? 0 : x - r; k <= x + r && k < w; k++) rowd[(size_t)y * w + k] = 1;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      if (rowd[(size_t)y * w + x])
        for (int k = y - r < 0 ? 0 : y - r; k <= y + r && k < h; k++) near[(size_t)k * w + x] = 1;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      if (dm_row(gt, y)[x] >= 0.5f || !near[(size_t)y * w + x]) continue;
      float c = dm_row(conf, y)[x];
      if (fabsf(dm_row(z, y)[x] - zs) <= 0.1f * zs) sc += c, nc += 1;
      else sf += c, nf += 1;
    }
  free(rowd), free(near);
  *contact = nc > 0 ? sc / nc : NAN;
  *clear = nf > 0 ? sf / nf : NAN;
  *n_contact = nc;
}

static double band_iou(const dm_image *map, const dm_image *gt, double *lo_out, double *hi_out) {
  float lo = INFINITY, hi = -INFINITY;
  for (int y = 0; y < map->height; y++)
    for (int x = 0; x < map->width; x++) {
      float v = dm_row(map, y)[x];
      lo = fminf(lo, v), hi = fmaxf(hi, v);
    }
  static double ct[BINS + 1], cg[BINS + 1];
  double nt[BINS] = {0}, ng[BINS] = {0}, G = 0;
  for (int y = 0; y < map->height; y++)
    for (int x = 0; x < map->width; x++) {
      double t = hi > lo ? (dm_row(map, y)[x] - lo) / (hi - lo) : 0;
      int b = (int)(t * BINS);
      b = b < 0 ? 0 : b >= BINS ? BINS - 1 : b;
      int g = dm_row(gt, y)[x] >= 0.5f;
      nt[b] += 1, ng[b] += g, G += g;
    }
  ct[0] = cg[0] = 0;
  for (int b = 0; b < BINS; b++) ct[b + 1] = ct[b] + nt[b], cg[b + 1] = cg[b] + ng[b];
  double best = 0;
  int bl = 0, bh = 0;
  for (int l = 0; l < BINS; l++)
    for (int h = l; h < BINS; h++) {
      double inter = cg[h + 1] - cg[l], uni = ct[h + 1] - ct[l] + G - inter;
      if (uni > 0 && inter / uni > best) best = inter / uni, bl = l, bh = h;
    }
  *lo_out = lo + (hi - lo) * bl / BINS;
  *hi_out = lo + (hi - lo) * (bh + 1) / BINS;
  return best;
}

static int read_image(dm_context *ctx, const char *path, int channels, dm_image *out) {
  dm_decoded d;
  if (dm_io_read(ctx, path, &d) != DM_OK) return 0;
  if (d.img.channels != channels) {
    fprintf(stderr, "depthmask-depth-eval: %s: expected %d channel(s)\n", path, channels);
    dm_decoded_free(&d);
    return 0;
  }
  *out = d.img;
  d.img = (dm_image){0};
  dm_decoded_free(&d);
  return 1;
}

static double json_number(const char *json, const char *key) {
  char pat[128];
  snprintf(pat, sizeof pat, "\"%s\":", key);
  const char *p = strstr(json, pat);
  return p ? strtod(p + strlen(pat), NULL) : NAN;
}

/* Matte (ISNet, refined to the photo) and network near01 for a photo. */
static dm_status run_networks(dm_context *ctx, const dm_image *photo, dm_image *matte,
                              dm_image *net) {
  dm_image low = {0};
  dm_status s = dm_matte_network(ctx, photo, &low, NULL);
  if (!s) s = dm_matte_refine(ctx, photo, &low, matte);
  dm_image_free(&low);
  if (!s) s = dm_depth_network(ctx, photo, net, NULL);
  return s;
}

/* FastDepth's own output (metres), bilinear to the photo's size. */
static dm_status raw_network(dm_context *ctx, const dm_image *photo, dm_image *out) {
  static const dm_nn_norm unit = {{0, 0, 0}, {1, 1, 1}};
  const dm_model_entry *m = NULL;
  char path[4096];
  dm_image low = {0};
  dm_status s = dm_models_best(ctx, DM_MODEL_DEPTH, &m, path, sizeof path);
  if (!s) s = dm_nn_run_on_image(ctx, path, photo, m->input_w, m->input_h, &unit, &low);
  if (!s) s = dm_image_alloc(ctx, out, photo->width, photo->height, 1);
  if (!s) s = dm_resize_plane(ctx, &low, out, 0, path);
  dm_image_free(&low);
  return s;
}

static void write_plane(dm_context *ctx, const char *dir, const char *scene, const char *what,
                        const dm_image *p) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s_%s.png", dir, scene, what);
  dm_write_options wo = {0};
  wo.format = DM_FMT_PNG;
  wo.bits = 16;
  if (dm_io_write(ctx, path, p, &wo) != DM_OK)
    fprintf(stderr, "depthmask-depth-eval: %s\n", dm_context_error(ctx));
}

/* --soften: half the photo plus half its 3x3 binomial blur (about a 0.5 px
 * blur): the same scene with weaker fine texture, for the split's margin. */
static int soften(dm_context *ctx, dm_image *im) {
  static const float k[3] = {0.25f, 0.5f, 0.25f};
  dm_image t = {0};
  if (dm_image_copy(ctx, &t, im) != DM_OK) return 0;
  int w = im->width, h = im->height, c = im->channels;
  for (int y = 0; y < h; y++) /* horizontal pass into t */
    for (int x = 0; x < w; x++)
      for (int ch = 0; ch < c; ch++) {
        float v = 0;
        for (int d = -1; d <= 1; d++) {
          int xx = x + d < 0 ? 0 : x + d >= w ? w - 1 : x + d;
          v += k[d + 1] * dm_row(im, y)[xx * c + ch];
        }
        dm_row(&t, y)[x * c + ch] = v;
      }
  for (int y = 0; y < h; y++) /* vertical pass of t, mixed half and half into im */
    for (int x = 0; x < w; x++)
      for (int ch = 0; ch < c; ch++) {
        float v = 0;
        for (int d = -1; d <= 1; d++) {
          int yy = y + d < 0 ? 0 : y + d >= h ? h - 1 : y + d;
          v += k[d + 1] * dm_row(&t, yy)[x * c + ch];
        }
        float *o = &dm_row(im, y)[x * c + ch];
        *o = 0.5f * (*o + v);
      }
  dm_image_free(&t);
  return 1;
}

static int no_occlusion; /* --no-occlusion */

static int eval_scene(dm_context *ctx, const char *dir, const char *out_dir, int soft,
                      const char *photo) {
  const char *name = strrchr(dir, '/');
  char base[256], path[4096], tag[64] = "";
  if (strcmp(photo, "aif.png")) snprintf(tag, sizeof tag, "_%.*s", (int)strcspn(photo, "."), photo);
  snprintf(base, sizeof base, "%s%s%s", name && name[1] ? name + 1 : dir, tag, soft ? "_soft" : "");
  dm_image aif = {0}, d16 = {0}, gt = {0}, matte = {0}, net = {0}, raw = {0}, fused = {0}, conf = {0};
  int ok = 0;
  snprintf(path, sizeof path, "%s/%s", dir, photo);
  if (!read_image(ctx, path, 3, &aif) || (soft && !soften(ctx, &aif))) goto done;
  snprintf(path, sizeof path, "%s/depth16.png", dir);
  if (!read_image(ctx, path, 1, &d16)) goto done;
  snprintf(path, sizeof path, "%s/mask_gt.png", dir);
  if (!read_image(ctx, path, 1, &gt)) goto done;
  snprintf(path, sizeof path, "%s/camera.json", dir);
  unsigned char *json = NULL;
  size_t len = 0;
  if (dm_read_file(ctx, path, 1 << 20, &json, &len) != DM_OK) goto done;
  char *js = malloc(len + 1);
  if (!js) goto done;
  memcpy(js, json, len);
  js[len] = 0;
  free(json);
  double zn = json_number(js, "depth16_near_m"), zf = json_number(js, "depth16_far_m");
  free(js);
  if (!(zf > zn)) {
    fprintf(stderr, "depthmask-depth-eval: %s: no depth16 range\n", path);
    goto done;
  }
  for (int y = 0; y < d16.height; y++)
    for (int x = 0; x < d16.width; x++) dm_row(&d16, y)[x] = (float)(zn + dm_row(&d16, y)[x] * (zf - zn));
  double t0 = now();
  if (run_networks(ctx, &aif, &matte, &net) || raw_network(ctx, &aif, &raw)) goto done;
  double t1 = now();
  dm_fuse_inputs in = {.guide = &aif, .net = &net, .matte = &matte, .no_occlusion = no_occlusion};
  if (dm_depth_fuse(ctx, &in, &fused, &conf) != DM_OK) goto done;
  double t2 = now();
  fprintf(stderr, "%s: networks %.2f s, fusion %.3f s\n", base, t1 - t0, t2 - t1);
  for (int y = 0; y < matte.height; y++)
    for (int x = 0; x < matte.width; x++) dm_row(&matte, y)[x] = 1 - dm_row(&matte, y)[x];
  const char *names[4] = {"true_depth", "raw_fastdepth", "isnet_matte", "fused"};
  const dm_image *maps[4] = {&d16, &raw, &matte, &fused};
  for (int k = 0; k < 4; k++) {
    double lo, hi, strict, iou = band_iou(maps[k], &gt, &lo, &hi);
    double order = pair_order(maps[k], &d16, &strict);
    /* 1 - matte: the subject is 0, so "behind" is the matte's own question */
    printf("map %s %s order %.4f iou %.4f lo %.4f hi %.4f strict %.4f behind %.4f spread %.4f\n", base,
           names[k], order, iou, lo, hi, strict, behind_share(maps[k], &d16, &gt),
           backdrop_spread(maps[k], &d16));
  }
  double c_in, c_out, c_n;
  contact_confidence(&conf, &d16, &gt, &c_in, &c_out, &c_n);
  double o_low = 0, o_n = 0, a_low = 0, a_n = 0;
  for (int y = 1; y + 1 < conf.height; y++)
    for (int x = 1; x + 1 < conf.width; x++) {
      float m = 1 - dm_row(&matte, y)[x]; /* matte was inverted above */
      if (m < 0.5f) continue;
      int low = dm_row(&conf, y)[x] < 0.5f;
      a_n += 1, a_low += low;
      if (1 - dm_row(&matte, y)[x - 1] < 0.5f || 1 - dm_row(&matte, y)[x + 1] < 0.5f ||
          1 - dm_row(&matte, y - 1)[x] < 0.5f || 1 - dm_row(&matte, y + 1)[x] < 0.5f)
        o_n += 1, o_low += low;
    }
  printf("confidence %s contact %.4f clear %.4f pixels %.0f area %.3f outline %.3f\n", base, c_in, c_out, c_n,
         a_low / (a_n + 1e-9), o_low / (o_n + 1e-9));
  if (out_dir) {
    write_plane(ctx, out_dir, base, "fused", &fused);
    write_plane(ctx, out_dir, base, "confidence", &conf);
  }
  ok = 1;
done:
  if (!ok) fprintf(stderr, "depthmask-depth-eval: %s: %s\n", dir, dm_context_error(ctx));
  dm_image_free(&aif), dm_image_free(&d16), dm_image_free(&gt), dm_image_free(&matte);
  dm_image_free(&net), dm_image_free(&raw), dm_image_free(&fused), dm_image_free(&conf);
  return ok;
}

/* The share of the subject (matte >= 0.5) whose fused near01 lies within
 * WHOLE_BAND of the subject's median: a portrait split into depth layers
 * puts a sizeable part of the person in another band. */
#define WHOLE_BAND 0.1
static double whole_share(const dm_image *fused, const dm_image *matte) {
  enum { NB = 1000 };
  static const int nb = NB;
  double hist[NB] = {0}, n = 0;
  for (int y = 0; y < fused->height; y++)
    for (int x = 0; x < fused->width; x++)
      if (dm_row(matte, y)[x] >= 0.5f) {
        float v = dm_row(fused, y)[x];
        int b = (int)(v * nb);
        hist[b < 0 ? 0 : b >= nb ? nb - 1 : b] += 1, n += 1;
      }
  if (n <= 0) return NAN;
  double acc = 0, med = 0;
  for (int b = 0; b < nb; b++)
    if ((acc += hist[b]) >= 0.5 * n) {
      med = (b + 0.5) / nb;
      break;
    }
  double in = 0;
  for (int b = 0; b < nb; b++)
    if (fabs((b + 0.5) / nb - med) <= WHOLE_BAND) in += hist[b];
  return in / n;
}

static int eval_portrait(dm_context *ctx, const char *path, const char *out_dir) {
  dm_image photo = {0}, matte = {0}, net = {0}, fused = {0}, conf = {0};
  int ok = 0;
  if (!read_image(ctx, path, 3, &photo)) goto done;
  if (run_networks(ctx, &photo, &matte, &net)) goto done;
  dm_fuse_inputs in = {.guide = &photo, .net = &net, .matte = &matte};
  if (dm_depth_fuse(ctx, &in, &fused, &conf) != DM_OK) goto done;
  double si = 0, so = 0, ni = 0, no = 0;
  for (int y = 0; y < photo.height; y++)
    for (int x = 0; x < photo.width; x++) {
      float v = dm_row(&fused, y)[x];
      if (dm_row(&matte, y)[x] >= 0.5f) si += v, ni += 1;
      else so += v, no += 1;
    }
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  printf("portrait %s inside %.4f outside %.4f whole %.4f\n", base, ni > 0 ? si / ni : NAN,
         no > 0 ? so / no : NAN, whole_share(&fused, &matte));
  if (out_dir) {
    write_plane(ctx, out_dir, base, "fused", &fused);
    write_plane(ctx, out_dir, base, "confidence", &conf);
  }
  ok = 1;
done:
  if (!ok) fprintf(stderr, "depthmask-depth-eval: %s: %s\n", path, dm_context_error(ctx));
  dm_image_free(&photo), dm_image_free(&matte), dm_image_free(&net);
  dm_image_free(&fused), dm_image_free(&conf);
  return ok;
}

/* The photo upscaled to 4000 x 3000 with its matte; dm_depth_fuse timed. */
static int time_fuse(dm_context *ctx, const char *path) {
  dm_image photo = {0}, matte = {0}, net = {0}, big = {0}, bigm = {0}, fused = {0}, conf = {0};
  int ok = 0, W = 4000, H = 3000;
  if (!read_image(ctx, path, 3, &photo) || run_networks(ctx, &photo, &matte, &net)) goto done;
  if (dm_image_alloc(ctx, &big, W, H, 3) || dm_resize_plane(ctx, &photo, &big, 1, path) ||
      dm_image_alloc(ctx, &bigm, W, H, 1) || dm_resize_plane(ctx, &matte, &bigm, 1, path))
    goto done;
  dm_fuse_inputs in = {.guide = &big, .net = &net, .matte = &bigm};
  double best = INFINITY, best_cpu = INFINITY;
  for (int r = 0; r < 3; r++) {
    double t0 = now(), c0 = cpu_now();
    if (dm_depth_fuse(ctx, &in, &fused, &conf) != DM_OK) goto done;
    best = fmin(best, now() - t0);
    best_cpu = fmin(best_cpu, cpu_now() - c0);
    dm_image_free(&fused), dm_image_free(&conf);
  }
  printf("time %d %d wall %.3f cpu %.3f threads %d\n", W, H, best, best_cpu, ctx->n_threads);
  ok = 1;
done:
  if (!ok) fprintf(stderr, "depthmask-depth-eval: %s: %s\n", path, dm_context_error(ctx));
  dm_image_free(&photo), dm_image_free(&matte), dm_image_free(&net), dm_image_free(&big);
  dm_image_free(&bigm), dm_image_free(&fused), dm_image_free(&conf);
  return ok;
}

static void log_stderr(void *user, dm_log_level level, const char *msg) {
  (void)user, (void)level;
  fprintf(stderr, "  %s\n", msg);
}

int main(int argc, char **argv) {
  const char *out_dir = NULL, *time_photo = NULL, *portraits[16], *scenes[16], *photo = "aif.png";
  int np = 0, ns = 0, threads = 0, verbose = 0, soft = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--out") && i + 1 < argc) out_dir = argv[++i];
    else if (!strcmp(argv[i], "--portrait") && i + 1 < argc && np < 16) portraits[np++] = argv[++i];
    else if (!strcmp(argv[i], "--time") && i + 1 < argc) time_photo = argv[++i];
    else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--verbose")) verbose = 1;
    else if (!strcmp(argv[i], "--soften")) soft = 1;
    else if (!strcmp(argv[i], "--photo") && i + 1 < argc) photo = argv[++i];
    else if (!strcmp(argv[i], "--no-occlusion")) no_occlusion = 1;
    else if (argv[i][0] != '-' && ns < 16) scenes[ns++] = argv[i];
    else {
      fprintf(stderr, "usage: depthmask-depth-eval [--out DIR] [--portrait PHOTO]... [--time PHOTO] "
                      "[--threads N] [--verbose] [--soften] [--photo NAME] [--no-occlusion] [SCENE_DIR]...\n");
      return 2;
    }
  }
  dm_context *ctx = dm_context_new(threads);
  if (!ctx) return 1;
  if (verbose) ctx->log = log_stderr;
  int ok = 1;
  for (int i = 0; i < ns; i++) ok &= eval_scene(ctx, scenes[i], out_dir, soft, photo);
  for (int i = 0; i < np; i++) ok &= eval_portrait(ctx, portraits[i], out_dir);
  if (time_photo) ok &= time_fuse(ctx, time_photo);
  dm_context_free(ctx);
  return ok ? 0 : 1;
}
