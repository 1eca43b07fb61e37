/* brush: Lightroom's Brush, rendered from its strokes.
 *
 * WHAT A SIDECAR HOLDS (read and written by src/recipe/xmp_brush.c).
 * Lightroom Classic 11+ / Camera Raw 14+ store a Brush component as
 * crs:What="Mask/Aggregate" (with the MaskBlendMode, MaskInverted and
 * MaskValue every component has) holding crs:Masks, an rdf:Seq of strokes.
 * Each stroke is crs:What="Mask/Paint" with crs:Radius, crs:Flow,
 * crs:CenterWeight, crs:MaskValue and crs:Dabs, an rdf:Seq of entries
 * "d X Y" (a dab, X and Y fractions of the photo, a little outside 0..1 at
 * its edges) and "r R", "f F", "h H" (radius, flow and centre weight from
 * that entry on: pen pressure). Before Lightroom 11 each stroke sat straight
 * in a crs:PaintBasedCorrections correction, an eraser stroke being a
 * Mask/Paint with crs:MaskValue="0".
 * Sources: exiftool 12.57, Image::ExifTool::XMP %sCorrectionMask (What,
 * MaskValue, Radius, Flow, CenterWeight as reals, Dabs a Seq, Masks a nested
 * struct "new in LR 11"); for the Aggregate nesting, the r/f/h entries and
 * MaskValue 0 erasers, the notes and tests of open-source Lightroom XMP
 * readers on GitHub (one from a census of 177 real sidecars with 382
 * strokes, one from four Camera Raw 18.4 files, several importers that read
 * erasers as MaskValue 0). That last source also reports that Camera Raw
 * 18.4 writes a brush with erasing in it as an opaque
 * crs:MaskBrushTable digest with no strokes: such a component is kept,
 * unrendered (render refuses it, naming it). We found no open-source editor
 * that renders Lightroom brushes (darktable's src/develop/lightroom.c imports
 * Lightroom's spots, not its brushes), so what follows is an
 * interpretation, written down so that it can be checked and changed.
 *
 * THE INTERPRETATION. W x H pixels, L = max(W, H); pixel (px, py) at its
 * centre P = (px + 0.5, py + 0.5).
 *  - A dab at (x, y) with radius r is the disc of centre C = (x W, y H) and
 *    radius R = r L pixels: round in pixels, its size a fraction of the
 *    LONG side. One public measurement (29 controlled Lightroom exports, in
 *    the census reader above) found crs:Radius to be a fraction of the image
 *    width in Lightroom's unrotated sensor frame, and the dab's support to
 *    end exactly at that radius. Camera sensors are landscape, so the sensor
 *    width is the long side whichever way the photo is turned: we take the
 *    long side, which does not change when the photo is turned upright.
 *  - Feather f = feather / 100 shapes the dab as radial_gradient's feather
 *    does: with d = |P - C| / R, the dab gives
 *        k(d) = 1 for d <= 1 - f,  smoothstep((1 - d) / f) up to d = 1,  0 beyond;
 *    f = 0 is a hard disc (k = 1 for d <= 1). So feather 100 falls off from
 *    the centre: k(0) = 1, k(1/2) = 1/2, k(1/4) = 0.84375; feather 50 holds
 *    1 out to R/2 and reaches 1/2 at 3R/4. This follows how tutorials
 *    describe Lightroom's Feather slider (wild-eye.co.za: 0 gives a sharp
 *    edge, 50 keeps the centre at full strength and softens towards the
 *    edge) and reads crs:CenterWeight as the brush's hardness,
 *    CenterWeight = 1 - f: two of the readers above found it rising with
 *    hardness (0.196 on a stroke its author called soft, 0.619 on a harder
 *    one; near a top-hat at 1). (The measurement above fits another
 *    profile to single dabs, (1 - d^m)^n with hardness-dependent exponents;
 *    we keep the plateau form, one documented curve for both feathered mask
 *    kinds, since a stroke's cross-section, which is what users see, is
 *    the envelope of its dabs.)
 *  - A stroke covers each pixel once, with the strongest of its dabs:
 *        s(P) = max over the stroke's dabs i of  flow_i / 100 * k_i(P).
 *    Dabs of one stroke do not build up on each other, so a stroke is the
 *    same whether its dabs are dense (the census reader found Lightroom's
 *    0.2 R apart) or a few typed by hand; and Flow acts as tutorials say
 *    Lightroom's does (wild-eye.co.za, lightroomkillertips.com): at Flow 50
 *    one stroke applies half, and brushing over it again builds up.
 *  - Strokes accumulate in painting order, each moving the mask towards the
 *    value it paints, v = density / 100 (crs:MaskValue), or v = 0 for an
 *    eraser, by its coverage:
 *        m <- m + (v - m) s(P),    m = 0 before the first stroke.
 *    So Density is a cap: strokes at density 60 approach 0.6 and never pass
 *    it (hueandhatchet.com, wild-eye.co.za: however often one brushes at
 *    Density 50, no more than half the effect), and painting at density 60
 *    over a part at 1 brings it down to 0.6 (arnoldfoto.no describes
 *    exactly that for Lightroom). Flow 50 twice gives 0.5, then 0.75. An
 *    eraser (v = 0) removes: m <- m (1 - s). This is the reading of
 *    MaskValue, "the value a component paints towards", that lr_fields.c
 *    found for subtract components. (The
 *    measurement above instead fits density as a per-dab factor, the dabs
 *    screened together; that reading lets repeated strokes pass Density,
 *    which every description of Lightroom's Density we found rules out.)
 *  - The component's opacity, invert and mode then apply as for every kind
 *    (mask.c).
 *
 * COST. Each dab touches only the pixels of its disc (row by row, its
 * chord and a pixel of margin), twice (its coverage, then the stroke's
 * update), so a render costs the painted area times the dabs' overlap,
 * plus one pass that zeroes the plane; never the image size times the
 * number of dabs. The coverage scratch spans only the bounding box of all
 * the dabs. Rows are shared among the threads
 * (interleaved, for balance); every pixel sees its dabs in the same order
 * whatever the thread count, so the result is bit-identical on any. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "mask/brush.h"
#include "mask/mask_kinds.h"

/* A dab in pixels, with its clipped bounding box (inclusive). */
typedef struct dab_px {
  float ox, oy;         /* 0.5 - centre, so x + ox is the offset of pixel x's centre */
  float r2, inv_r;      /* R^2, 1 / R */
  float flow, feather;  /* flow 0..1, feather 0..100 */
  int x0, x1, y0, y1;   /* empty when x0 > x1 or y0 > y1 */
} dab_px;

typedef struct brush_job {
  dm_image *plane;
  const dm_brush *b;
  const dab_px *dabs;   /* all strokes' dabs, in order */
  float *cover;         /* the scratch: coverage of the stroke being painted */
  int cx0, cy0, cw;     /* the scratch's origin, and its width */
  int x0, y0;           /* the plane's origin (a crop: in->frame); dabs are in photo pixels */
} brush_job;

static void zero_rows(void *user, int ith, int nth) {
  brush_job *j = user;
  int y0, y1;
  dm_split_rows(j->plane->height, ith, nth, &y0, &y1);
  for (int y = y0; y < y1; y++) memset(dm_row(j->plane, y), 0, (size_t)j->plane->width * sizeof(float));
}

/* The first row >= y0 that worker ith of nth owns (rows ith, ith + nth, ...). */
static int first_row(int y0, int ith, int nth) {
  int r = y0 % nth;
  return y0 + (ith - r + nth) % nth;
}

/* The pixels [*xa, *xb] of row offset dy (from the dab's centre) that can
 * lie within R: the disc's chord, with a pixel of margin (the per-pixel
 * test decides); 0 when the row misses the disc. */
static int chord(const dab_px *d, float dy, int *xa, int *xb) {
  const float h2 = d->r2 - dy * dy;
  if (h2 < 0.0f) return 0;
  const float hw = sqrtf(h2);
  const float a = floorf(-d->ox - hw) - 1.0f, b = ceilf(-d->ox + hw) + 1.0f;
  *xa = a > (float)d->x0 ? (int)a : d->x0;
  *xb = b < (float)d->x1 ? (int)b : d->x1;
  return *xa <= *xb;
}

static void brush_rows(void *user, int ith, int nth) {
  brush_job *j = user;
  const dab_px *dabs = j->dabs;
  for (int si = 0; si < j->b->n_strokes; si++) {
    const dm_brush_stroke *s = &j->b->strokes[si];
    const float v = s->erase != 0.0f ? 0.0f : s->density / 100.0f;
    /* Pass 1: the stroke's coverage, the strongest dab at each pixel. */
    for (int i = 0; i < s->n_dabs; i++) {
      const dab_px *d = &dabs[i];
      if (d->x0 > d->x1) continue;
      const float f = d->feather / 100.0f, inv_f = f > 0.0f ? 1.0f / f : 0.0f;
      for (int y = first_row(d->y0, ith, nth); y <= d->y1; y += nth) {
        float *c = j->cover + (size_t)(y - j->cy0) * (size_t)j->cw - j->cx0;
        const float dy = (float)y + d->oy, dy2 = dy * dy;
        int xa, xb;
        if (!chord(d, dy, &xa, &xb)) continue;
        if (f <= 0.0f) {
          for (int x = xa; x <= xb; x++) {
            const float dx = (float)x + d->ox;
            if (dx * dx + dy2 <= d->r2 && d->flow > c[x]) c[x] = d->flow;
          }
        } else {
          for (int x = xa; x <= xb; x++) {
            const float dx = (float)x + d->ox;
            const float w = d->flow * dm_smoothstep01((1.0f - sqrtf(dx * dx + dy2) * d->inv_r) * inv_f);
            c[x] = w > c[x] ? w : c[x];
          }
        }
      }
    }
    /* Pass 2: move the mask towards v by the coverage, once per pixel (the
     * scratch goes back to 0 as it is used, ready for the next stroke). */
    for (int i = 0; i < s->n_dabs; i++) {
      const dab_px *d = &dabs[i];
      if (d->x0 > d->x1) continue;
      for (int y = first_row(d->y0, ith, nth); y <= d->y1; y += nth) {
        float *c = j->cover + (size_t)(y - j->cy0) * (size_t)j->cw - j->cx0;
        float *m = dm_row(j->plane, y - j->y0) - j->x0;
        int xa, xb;
        if (!chord(d, (float)y + d->oy, &xa, &xb)) continue;
        for (int x = xa; x <= xb; x++) {
          if (c[x] > 0.0f) {
            m[x] += (v - m[x]) * c[x];
            c[x] = 0.0f;
          }
        }
      }
    }
    dabs += s->n_dabs;
  }
}

/* Pixel geometry of one dab in the photo `fr`; its box holds every pixel
 * of the plane (w x h at fr's origin) whose centre lies within R (one pixel
 * of margin: the float test above decides). */
static dab_px dab_pixels(const dm_brush_dab *d, const dm_frame *fr, int pw, int ph) {
  const int w = fr->full_w, h = fr->full_h;
  const double L = w > h ? w : h, R = (double)d->radius * L;
  const double cx = (double)d->x * w, cy = (double)d->y * h;
  dab_px p = {.ox = (float)(0.5 - cx), .oy = (float)(0.5 - cy), .r2 = (float)(R * R),
              .inv_r = (float)(1.0 / R), .flow = d->flow / 100.0f, .feather = d->feather};
  double x0 = ceil(cx - R - 0.5) - 1, x1 = floor(cx + R - 0.5) + 1;
  double y0 = ceil(cy - R - 0.5) - 1, y1 = floor(cy + R - 0.5) + 1;
  p.x0 = (int)fmax(x0, fr->x0), p.x1 = (int)fmin(x1, fr->x0 + pw - 1.0);
  p.y0 = (int)fmax(y0, fr->y0), p.y1 = (int)fmin(y1, fr->y0 + ph - 1.0);
  if (p.x0 > p.x1 || p.y0 > p.y1 || !(d->flow > 0.0f)) p.x0 = 1, p.x1 = 0; /* paints nothing */
  return p;
}

dm_status dm_mask_brush_render(dm_context *ctx, const dm_mask_component *c,
                               const dm_mask_inputs *in, dm_image *plane) {
  const dm_frame fr = dm_frame_of(&in->frame, plane->width, plane->height);
  brush_job j = {.plane = plane, .b = c->brush, .x0 = fr.x0, .y0 = fr.y0};
  dm_parallel(ctx, zero_rows, &j);
  const int n = dm_brush_n_dabs(c->brush);
  if (n == 0) return DM_OK;
  dab_px *dabs = malloc((size_t)n * sizeof *dabs);
  if (!dabs) return dm_fail(ctx, DM_ERR_NOMEM, "brush", "out of memory");
  int k = 0, bx0 = INT_MAX, by0 = INT_MAX, bx1 = INT_MIN, by1 = INT_MIN;
  for (int si = 0; si < c->brush->n_strokes; si++) {
    const dm_brush_stroke *s = &c->brush->strokes[si];
    for (int i = 0; i < s->n_dabs; i++, k++) {
      dabs[k] = dab_pixels(&s->dabs[i], &fr, plane->width, plane->height);
      if (dabs[k].x0 > dabs[k].x1) continue;
      if (dabs[k].x0 < bx0) bx0 = dabs[k].x0;
      if (dabs[k].x1 > bx1) bx1 = dabs[k].x1;
      if (dabs[k].y0 < by0) by0 = dabs[k].y0;
      if (dabs[k].y1 > by1) by1 = dabs[k].y1;
    }
  }
  if (bx1 < bx0) { /* every dab off the photo */
    free(dabs);
    return DM_OK;
  }
  j.dabs = dabs;
  j.cx0 = bx0, j.cy0 = by0, j.cw = bx1 - bx0 + 1;
  j.cover = calloc((size_t)j.cw * (size_t)(by1 - by0 + 1), sizeof *j.cover);
  if (!j.cover) {
    free(dabs);
    return dm_fail(ctx, DM_ERR_NOMEM, "brush", "out of memory");
  }
  dm_parallel(ctx, brush_rows, &j);
  free(j.cover);
  free(dabs);
  return DM_OK;
}
