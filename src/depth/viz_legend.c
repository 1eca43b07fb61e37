/* The heat map's colour bar (`depthmask depth --viz`): a strip under the map
 * with the ramp from near (left) to far (right), ticks at each quarter and
 * labels "near" and "far", in metres where the depth is metric. The ramp
 * is linear in disparity, like near01, so the metres of the middle ticks
 * are not evenly spaced. Text is drawn from a 5x7 bitmap font of the few
 * characters the labels use. */
#include <stdio.h>
#include <string.h>

#include "depth/depth.h"

/* 5x7 glyphs, one row per byte, the leftmost pixel in bit 4. */
static const struct glyph {
  char c;
  unsigned char rows[7];
} font[] = {
    {'0', {14, 17, 19, 21, 25, 17, 14}}, {'1', {4, 12, 4, 4, 4, 4, 14}},
    {'2', {14, 17, 1, 2, 4, 8, 31}},     {'3', {30, 1, 1, 14, 1, 1, 30}},
    {'4', {2, 6, 10, 18, 31, 2, 2}},     {'5', {31, 16, 30, 1, 1, 17, 14}},
    {'6', {6, 8, 16, 30, 17, 17, 14}},   {'7', {31, 1, 2, 4, 8, 8, 8}},
    {'8', {14, 17, 17, 14, 17, 17, 14}}, {'9', {14, 17, 17, 15, 1, 2, 12}},
    {'.', {0, 0, 0, 0, 0, 12, 12}},      {'m', {0, 0, 26, 21, 21, 21, 21}},
    {'n', {0, 0, 22, 25, 17, 17, 17}},   {'e', {0, 0, 14, 17, 31, 16, 14}},
    {'a', {0, 0, 14, 1, 15, 17, 15}},    {'r', {0, 0, 22, 25, 16, 16, 16}},
    {'f', {6, 9, 8, 28, 8, 8, 8}},       {' ', {0, 0, 0, 0, 0, 0, 0}},
};

static const unsigned char *glyph(char c) {
  for (size_t i = 0; i < sizeof font / sizeof *font; i++)
    if (font[i].c == c) return font[i].rows;
  return font[sizeof font / sizeof *font - 1].rows; /* unknown: a space */
}

static int text_width(const char *t, int s) { return (int)strlen(t) * 6 * s - s; }

/* `t` at (x, y), s pixels a font pixel, in `rgb` (clipped to the image). */
static void draw_text(dm_image *img, int x, int y, int s, const char *t, const float *rgb) {
  for (; *t; t++, x += 6 * s) {
    const unsigned char *g = glyph(*t);
    for (int r = 0; r < 7 * s; r++)
      for (int c = 0; c < 5 * s; c++) {
        int px = x + c, py = y + r;
        if (!(g[r / s] & (16 >> (c / s))) || px < 0 || py < 0 || px >= img->width || py >= img->height)
          continue;
        memcpy(dm_px(img, px, py), rgb, 3 * sizeof(float));
      }
  }
}

/* Metres at position t (0 = near .. 1 = far) of a depth linear in disparity. */
static double metres_at(const dm_depth *d, double t) {
  return 1.0 / (1.0 / d->z_near_m - t * (1.0 / d->z_near_m - 1.0 / d->z_far_m));
}

static void metres_text(char *out, size_t n, double m) {
  snprintf(out, n, m < 1.0 ? "%.2f m" : m < 10.0 ? "%.1f m" : "%.0f m", m);
}

dm_status dm_depth_heatmap_legend(dm_context *ctx, const dm_depth *depth, dm_image *rgb_out) {
  const dm_image *d = &depth->near01;
  int w = d->width, s = w >= 1600 ? 3 : w >= 800 ? 2 : 1, m = 4 * s, bar = 8 * s;
  int strip = m + bar + 3 * s + 7 * s + m, h = d->height + strip;
  dm_image map = {0};
  dm_status st = dm_depth_heatmap(ctx, d, &map);
  if (!st) st = dm_image_alloc(ctx, rgb_out, w, h, 3);
  if (st) {
    dm_image_free(&map);
    return st;
  }
  memcpy(rgb_out->data, map.data, (size_t)w * d->height * 3 * sizeof(float));
  dm_image_free(&map);
  static const float dark[3] = {0.12f, 0.12f, 0.12f}, white[3] = {0.92f, 0.92f, 0.92f};
  for (int y = d->height; y < h; y++)
    for (int x = 0; x < w; x++) memcpy(dm_px(rgb_out, x, y), dark, sizeof dark);
  /* the ramp: one heat-map row of near01 = 0 .. 1 across the bar */
  int x0 = m, x1 = w - m > x0 + 1 ? w - m : x0 + 1, y0 = d->height + m;
  dm_image ramp = {0}, ramp_rgb = {0};
  st = dm_image_alloc(ctx, &ramp, x1 - x0, 1, 1);
  for (int x = 0; !st && x < ramp.width; x++)
    dm_row(&ramp, 0)[x] = ramp.width > 1 ? (float)x / (float)(ramp.width - 1) : 0.0f;
  if (!st) st = dm_depth_heatmap(ctx, &ramp, &ramp_rgb);
  for (int y = y0; !st && y < y0 + bar; y++)
    memcpy(dm_px(rgb_out, x0, y), ramp_rgb.data, (size_t)ramp.width * 3 * sizeof(float));
  dm_image_free(&ramp);
  dm_image_free(&ramp_rgb);
  if (st) {
    dm_image_free(rgb_out);
    return st;
  }
  int metric = depth->z_near_m > 0.0f && depth->z_far_m > depth->z_near_m;
  int ty = y0 + bar + 3 * s;
  char label[32], num[24];
  for (int k = 0; k <= 4; k++) { /* ticks */
    int tx = x0 + (int)((double)k / 4 * (x1 - x0 - 1) + 0.5);
    for (int y = y0 + bar; y < y0 + bar + 2 * s; y++)
      for (int x = tx; x < tx + s && x < w; x++) memcpy(dm_px(rgb_out, x, y), white, sizeof white);
  }
  /* near and far at the ends; the middle quarters in metres when they fit */
  if (metric) metres_text(num, sizeof num, depth->z_near_m);
  snprintf(label, sizeof label, metric ? "near %s" : "near", num);
  int left_end = x0 + text_width(label, s);
  draw_text(rgb_out, x0, ty, s, label, white);
  if (metric) metres_text(num, sizeof num, depth->z_far_m);
  snprintf(label, sizeof label, metric ? "far %s" : "far", num);
  int right_start = x1 - text_width(label, s);
  draw_text(rgb_out, right_start, ty, s, label, white);
  for (int k = 1; metric && k <= 3; k++) {
    metres_text(label, sizeof label, metres_at(depth, k / 4.0));
    int tw = text_width(label, s), tx = x0 + (int)(k / 4.0 * (x1 - x0 - 1)) - tw / 2;
    if (tx > left_end + 4 * s && tx + tw < right_start - 4 * s) {
      draw_text(rgb_out, tx, ty, s, label, white);
      left_end = tx + tw;
    }
  }
  return DM_OK;
}
