/* Embedded depth and mattes: names, the dispatch by file format, and the
 * two "give me the first usable one" entry points. The containers live in
 * heif_aux.c, dynamic_depth.c, gdepth.c and mpf.c; the JPEG segment walk in
 * jpeg_xmp.c, the XMP readings in xmp_depth.c. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/resample.h"
#include "depth/embedded_internal.h"
#include "io/io_internal.h"

static const char *const kind_names[DM_EMB_KIND_COUNT] = {
    "depth", "portrait matte", "skin matte", "hair matte", "teeth matte", "confidence", "other"};
static const char *const container_names[DM_EMB_CONTAINER_COUNT] = {
    "HEIF auxiliary image", "GDepth", "Dynamic Depth", "MPF"};

const char *dm_embedded_kind_name(dm_embedded_kind k) {
  return (unsigned)k < DM_EMB_KIND_COUNT ? kind_names[k] : "unknown";
}

const char *dm_embedded_container_name(dm_embedded_container c) {
  return (unsigned)c < DM_EMB_CONTAINER_COUNT ? container_names[c] : "unknown";
}

/* ---- shared bookkeeping ----------------------------------------------- */

dm_embedded_item *dm_emb_add(dm_embedded_list *l, dm_embedded_kind kind, dm_embedded_container c,
                             const char *type) {
  if (l->n >= DM_EMBEDDED_MAX) return NULL;
  dm_embedded_item *it = &l->items[l->n++];
  memset(it, 0, sizeof *it);
  it->kind = kind;
  it->container = c;
  snprintf(it->type, sizeof it->type, "%s", type ? type : "");
  return it;
}

void dm_emb_problem(dm_context *ctx, const char *name, dm_embedded_item *it, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(it->problem, sizeof it->problem, fmt, ap);
  va_end(ap);
  it->usable = 0;
  dm_log(ctx, DM_LOG_WARN, "%s: embedded %s (%s %s) not used: %s", name,
         dm_embedded_kind_name(it->kind), dm_embedded_container_name(it->container), it->type,
         it->problem);
}

int dm_emb_wants_decode(const dm_emb_want *want, dm_embedded_kind kind) {
  return !want || !want->active || (want->kind == kind && !want->found);
}

dm_status dm_emb_decode(dm_context *ctx, const char *name, const unsigned char *data, size_t len,
                        long long max_pixels, dm_embedded_item *it, dm_image *plane) {
  memset(plane, 0, sizeof *plane);
  dm_decoded dec;
  char sub[160];
  snprintf(sub, sizeof sub, "%s [%s]", name, it->type);
  dm_status s = dm_io_read_mem_ex(ctx, data, len, sub, max_pixels, &dec);
  if (s == DM_ERR_NOMEM) return s;
  if (s) {
    /* The decoder's message names the file; keep the reason after it. */
    const char *e = dm_context_error(ctx);
    const char *colon = strstr(e, "]: ");
    dm_emb_problem(ctx, name, it, "does not decode: %s", colon ? colon + 3 : e);
    return DM_OK;
  }
  it->width = dec.img.width;
  it->height = dec.img.height;
  it->bits = dec.meta.bits;
  if (dec.img.channels == 1) {
    *plane = dec.img;
    memset(&dec.img, 0, sizeof dec.img);
  } else {
    /* Depth is one number per pixel; a writer that stored it as RGB repeats
     * it in every channel, so the mean is that number. */
    static const float third[3] = {1.0f / 3, 1.0f / 3, 1.0f / 3};
    s = dm_grey_plane(ctx, &dec.img, third, plane);
  }
  dm_decoded_free(&dec);
  if (s) return s;
  it->usable = 1;
  return DM_OK;
}

void dm_emb_range_to_near01(dm_image *p, int linear, float near_m, float far_m) {
  const float inv_near = 1.0f / near_m, inv_span = 1.0f / (1.0f / near_m - 1.0f / far_m);
  for (int y = 0; y < p->height; y++) {
    float *r = dm_row(p, y);
    for (int x = 0; x < p->width; x++) {
      float v = r[x];
      if (!(v >= 0.0f)) v = isnan(v) ? 1.0f : 0.0f; /* NaN -> far, the safe side for a blur */
      if (v > 1.0f) v = 1.0f;
      if (linear) v = (inv_near - 1.0f / (near_m + v * (far_m - near_m))) * inv_span;
      r[x] = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
    }
  }
}

void dm_emb_to_near01(dm_embedded_item *it, dm_image *p, int is_z, double zn, double zf) {
  if (is_z && zn > 0) {
    dm_emb_range_to_near01(p, 1, (float)zn, (float)zf);
  } else if (!is_z) {
    for (int y = 0; y < p->height; y++) {
      float *r = dm_row(p, y);
      for (int x = 0; x < p->width; x++) r[x] = 1.0f - r[x];
    }
  } /* Z without a range: v already grows with distance */
  it->near_m = (float)zn;
  it->far_m = (float)zf;
}

static int fourcc_is(long v, const char *cc) {
  return v == (((long)cc[0] << 24) | ((long)cc[1] << 16) | ((long)cc[2] << 8) | (long)cc[3]);
}

void dm_apdi_to_near01(const dm_apdi_meta *a, dm_embedded_item *it, dm_image *p) {
  int is_z = !strcmp(a->aux_type, "depth") || fourcc_is(a->native_format, "hdep") ||
             fourcc_is(a->native_format, "fdep");
  double zn = 0, zf = 0;
  snprintf(it->encoding, sizeof it->encoding, "apdi %s", is_z ? "depth" : "disparity");
  if (a->has_range && a->float_min > 0 && a->float_max > a->float_min && a->float_max < 1e30) {
    if (is_z) zn = a->float_min, zf = a->float_max;
    else zn = 1.0 / a->float_max, zf = 1.0 / a->float_min;
  }
  dm_emb_to_near01(it, p, is_z, zn, zf);
}

dm_embedded_kind dm_apdi_kind(const dm_apdi_meta *a) {
  static const struct {
    const char *word;
    dm_embedded_kind kind;
  } mattes[] = {{"portraiteffectsmatte", DM_EMB_MATTE_PORTRAIT}, {"skinmatte", DM_EMB_MATTE_SKIN},
                {"hairmatte", DM_EMB_MATTE_HAIR}, {"teethmatte", DM_EMB_MATTE_TEETH}};
  for (size_t i = 0; i < sizeof mattes / sizeof *mattes; i++)
    if (strstr(a->aux_subtype, mattes[i].word) || strstr(a->aux_type, mattes[i].word))
      return mattes[i].kind;
  if (!strcmp(a->aux_type, "disparity") || !strcmp(a->aux_type, "depth")) return DM_EMB_DEPTH;
  return DM_EMB_OTHER;
}

void dm_emb_offer(dm_emb_want *want, const dm_embedded_item *it, dm_image *plane, float near_m,
                  float far_m) {
  if (want && want->active && !want->found && it->usable && it->kind == want->kind) {
    want->found = 1;
    want->plane = *plane;
    want->near_m = near_m;
    want->far_m = far_m;
    snprintf(want->desc, sizeof want->desc, "%s %s (%s, %s, %dx%d)",
             dm_embedded_container_name(it->container), dm_embedded_kind_name(it->kind), it->type,
             it->encoding[0] ? it->encoding : "?", it->width, it->height);
    memset(plane, 0, sizeof *plane);
    return;
  }
  dm_image_free(plane);
}

/* ---- dispatch --------------------------------------------------------- */

static dm_status collect_jpeg(dm_context *ctx, const unsigned char *data, size_t len,
                              const char *name, dm_embedded_list *list, dm_emb_want *want) {
  dm_jpeg_info j;
  dm_status s = dm_jpeg_info_read(ctx, data, len, name, &j);
  xmlDocPtr doc = NULL;
  if (!s && j.xmp) {
    char problem[160];
    s = dm_xmp_parse(ctx, (const char *)j.xmp, j.xmp_len, name, &doc, problem, sizeof problem);
    if (!s && !doc)
      dm_log(ctx, DM_LOG_WARN, "%s: the XMP packet is broken (%s); no embedded depth read from it",
             name, problem);
  }
  /* Dynamic Depth first: it is the newer format, and a phone writing both
   * keeps its best map there. */
  if (!s && doc) s = dm_dd_collect(ctx, data, len, &j, doc, name, list, want);
  if (!s && doc) s = dm_gdepth_collect(ctx, data, &j, doc, name, list, want);
  if (!s && j.mpf) s = dm_mpf_collect(ctx, data, len, &j, name, list, want);
  xmlFreeDoc(doc);
  dm_jpeg_info_free(&j);
  return s;
}

static dm_status collect(dm_context *ctx, const unsigned char *data, size_t len, const char *name,
                         dm_embedded_list *list, dm_emb_want *want) {
  memset(list, 0, sizeof *list);
  /* Problems with embedded items are warnings, not errors: the context's
   * last error stays what it was unless the call itself fails. */
  char saved[sizeof ctx->error];
  memcpy(saved, ctx->error, sizeof saved);
  dm_status s = DM_OK;
  switch (len >= 4 ? dm_io_sniff(data, len) : DM_FMT_UNKNOWN) {
    case DM_FMT_HEIC: s = dm_heif_collect(ctx, data, len, name, list, want); break;
    case DM_FMT_JPEG: s = collect_jpeg(ctx, data, len, name, list, want); break;
    default: break;
  }
  if (!s) memcpy(ctx->error, saved, sizeof saved);
  return s;
}

dm_status dm_embedded_scan_ex(dm_context *ctx, const unsigned char *data, size_t len,
                              const char *name, long long max_pixels, dm_embedded_list *out) {
  dm_emb_want w = {.active = 0, .max_pixels = max_pixels};
  return collect(ctx, data, len, name, out, &w);
}

dm_status dm_embedded_scan(dm_context *ctx, const unsigned char *data, size_t len, const char *name,
                           dm_embedded_list *out) {
  return dm_embedded_scan_ex(ctx, data, len, name, DM_EMB_MAX_PIXELS, out);
}

/* The kept plane, upright and at the photo's size. */
static dm_status finish(dm_context *ctx, const char *name, dm_emb_want *w, int orientation,
                        int width, int height, int clamp, dm_image *out) {
  dm_status s = dm_orient_apply(ctx, &w->plane, orientation);
  if (s) return s;
  s = dm_image_alloc(ctx, out, width, height, 1);
  if (s) return s;
  double a_src = (double)w->plane.width / w->plane.height, a_dst = (double)width / height;
  /* Phones store depth at a fraction of the photo's size: scaling is
   * normal; another shape means it does not line up. */
  if (fabs(a_src / a_dst - 1.0) > 0.02)
    dm_log(ctx, DM_LOG_WARN, "%s: embedded %s is %dx%d, the photo %dx%d (another shape); stretched to fit",
           name, dm_embedded_kind_name(w->kind), w->plane.width, w->plane.height, width, height);
  else if (w->plane.width != width || w->plane.height != height)
    dm_log(ctx, DM_LOG_DEBUG, "%s: embedded %s is %dx%d; resampled to the photo's %dx%d", name,
           dm_embedded_kind_name(w->kind), w->plane.width, w->plane.height, width, height);
  s = dm_resize_plane(ctx, &w->plane, out, clamp, name);
  if (s) dm_image_free(out);
  return s;
}

static dm_status first_of(dm_context *ctx, const unsigned char *data, size_t len, const char *name,
                          long long max_pixels, dm_embedded_kind kind, int orientation, int width, int height,
                          dm_image *out, float *near_m, float *far_m, int *found, char *desc,
                          size_t desc_len) {
  *found = 0;
  if (desc && desc_len) desc[0] = 0;
  if (width <= 0 || height <= 0)
    return dm_fail(ctx, DM_ERR_PARAM, name, "embedded %s wanted at %dx%d", dm_embedded_kind_name(kind),
                   width, height);
  dm_embedded_list *list = malloc(sizeof *list);
  if (!list) return dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory");
  dm_emb_want w = {.active = 1, .kind = kind, .max_pixels = max_pixels};
  dm_status s = collect(ctx, data, len, name, list, &w);
  free(list);
  if (!s && w.found) {
    s = finish(ctx, name, &w, orientation, width, height, 1, out);
    if (!s) {
      *found = 1;
      *near_m = w.near_m;
      *far_m = w.far_m;
      if (desc && desc_len) snprintf(desc, desc_len, "%s", w.desc);
    }
  }
  dm_image_free(&w.plane);
  return s;
}

dm_status dm_embedded_depth_ex(dm_context *ctx, const unsigned char *data, size_t len,
                               const char *name, long long max_pixels, int orientation, int width,
                               int height, dm_depth *out, int *found, char *desc, size_t desc_len) {
  memset(out, 0, sizeof *out);
  return first_of(ctx, data, len, name, max_pixels, DM_EMB_DEPTH, orientation, width, height, &out->near01,
                  &out->z_near_m, &out->z_far_m, found, desc, desc_len);
}

dm_status dm_embedded_depth(dm_context *ctx, const unsigned char *data, size_t len, const char *name,
                            int orientation, int width, int height, dm_depth *out, int *found,
                            char *desc, size_t desc_len) {
  return dm_embedded_depth_ex(ctx, data, len, name, DM_EMB_MAX_PIXELS, orientation, width, height,
                              out, found, desc, desc_len);
}

dm_status dm_embedded_matte_ex(dm_context *ctx, const unsigned char *data, size_t len,
                               const char *name, long long max_pixels, int orientation, int width,
                               int height, dm_image *out, int *found, char *desc, size_t desc_len) {
  memset(out, 0, sizeof *out);
  float n, f;
  return first_of(ctx, data, len, name, max_pixels, DM_EMB_MATTE_PORTRAIT, orientation, width, height,
                  out, &n, &f, found, desc, desc_len);
}

dm_status dm_embedded_matte(dm_context *ctx, const unsigned char *data, size_t len, const char *name,
                            int orientation, int width, int height, dm_image *out, int *found,
                            char *desc, size_t desc_len) {
  return dm_embedded_matte_ex(ctx, data, len, name, DM_EMB_MAX_PIXELS, orientation, width, height,
                              out, found, desc, desc_len);
}
