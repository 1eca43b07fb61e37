/* Lens Blur's refine strokes: crs:DepthBasedCorrections.
 *
 * Lightroom's Lens Blur panel has a Refine section with a Focus brush and a
 * Blur brush (Adobe's help: "Focus" paints areas into focus, "Blur" paints
 * them out of focus). Lightroom stores each stroke set as a correction in
 * crs:DepthBasedCorrections (exiftool 12.57 lists the struct: What,
 * CorrectionActive, CorrectionAmount, CorrectionMasks, CorrectionSyncID,
 * LocalCorrectedDepth, LocalCurveRefineSaturation), its masks the brush
 * components of MaskGroupBasedCorrections. Adobe publishes no meaning for
 * LocalCorrectedDepth, and we found no open reader that renders it (the
 * Lightroom importers we read on GitHub list DepthBasedCorrections as
 * unsupported). THE INTERPRETATION we chose, written down so that it can be
 * checked and changed:
 *   LocalCorrectedDepth is the depth the painted area takes, on Lightroom's
 *   depth scale (0 = near .. 1 = far: the Depth Range handles' scale / 100,
 *   which is our near01). Where the correction's mask is m (0..1, its
 *   components combined as any correction's) and its amount a (0..1),
 *       depth <- depth + (LocalCorrectedDepth - depth) * m * a,
 *   corrections applied in order, before the circle of confusion is
 *   computed. A Focus stroke is then one whose depth is the focal plane's
 *   (its area comes out sharp), a Blur stroke one whose depth lies away
 *   from it. Values outside 0..1 are refused, and so are amounts over 100 %
 *   (they would push the depth past the one painted in).
 * In memory the depth is on the Depth Range scale, 0..100 (refine[N].depth,
 * as the editor's handles show it). xmp_write.c writes the strokes back,
 * each from its own copy of the <rdf:li> it was read from, so what we do
 * not model stays as Lightroom wrote it. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "recipe/recipe_internal.h"

static const dm_param refine_params[] = {
    {.key = "amount", .label = "Amount", .type = DM_PARAM_FLOAT, .count = 1,
     .offset = offsetof(dm_correction, amount), .def = 100, .min = 0,
     .max = DM_REFINE_MAX_AMOUNT, .ui_min = 0, .ui_max = DM_REFINE_MAX_AMOUNT,
     .xmp_name = "CorrectionAmount", .xmp_scale = 0.01f,
     .doc = "how far the painted area moves to the stroke set's depth, %"},
    {.key = "active", .label = "Active", .type = DM_PARAM_BOOL, .count = 1,
     .offset = offsetof(dm_correction, active), .def = 1, .min = 0, .max = 1, .ui_min = 0,
     .ui_max = 1, .xmp_name = "CorrectionActive", .xmp_scale = 1,
     .doc = "false hides the stroke set without deleting it"},
};

/* The one float at offset 0 of f->depth[i]. */
static const dm_param depth_param = {
    .key = "depth", .label = "Depth", .type = DM_PARAM_FLOAT, .count = 1, .offset = 0,
    .def = 50, .min = 0, .max = 100, .ui_min = 0, .ui_max = 100,
    .xmp_name = "LocalCorrectedDepth", .xmp_scale = 0.01f,
    .doc = "the depth the painted area takes, 0 (near) .. 100 (far): in the focal range for "
           "Focus, away from it for Blur"};

const dm_param *dm_refine_params(int *n) {
  *n = (int)(sizeof refine_params / sizeof *refine_params);
  return refine_params;
}

const dm_param *dm_refine_depth_param(void) { return &depth_param; }

dm_status dm_refine_copy(dm_context *ctx, dm_refine *dst, const dm_refine *src) {
  memset(dst, 0, sizeof *dst);
  if (src->n <= 0) return DM_OK;
  dst->strokes = calloc((size_t)src->n, sizeof *dst->strokes);
  dst->depth = malloc((size_t)src->n * sizeof *dst->depth);
  if (!dst->strokes || !dst->depth) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
  memcpy(dst->depth, src->depth, (size_t)src->n * sizeof *dst->depth);
  for (int i = 0; i < src->n; i++) {
    dm_status s = dm_correction_copy(ctx, &dst->strokes[i], &src->strokes[i]);
    if (s) return s;
    dst->n = i + 1;
  }
  return DM_OK;
}

void dm_refine_free(dm_refine *f) {
  /* Their masks may hold brushes (Lightroom paints refine strokes). */
  for (int i = 0; i < f->n; i++) dm_correction_release(&f->strokes[i]);
  free(f->strokes);
  free(f->depth);
  memset(f, 0, sizeof *f);
}

dm_status dm_rd_refine(dm_rd *rd, xmlNodePtr rdf, dm_recipe *r) {
  dm_refine_free(&r->refine);
  xmlNodePtr seq = NULL, holder = NULL;
  for (xmlNodePtr d = dm_xml_first_elem(rdf); d; d = dm_xml_next_elem(d)) {
    if (!dm_xml_is(d, DM_RDF_NS, "Description")) continue;
    dm_prop p;
    dm_xml_find_prop(d, DM_CRS_NS, "DepthBasedCorrections", &p);
    if (p.attr && p.attr->children && p.attr->children->content &&
        *(const char *)p.attr->children->content)
      return dm_rd_fail(rd, DM_ERR_FORMAT, "crs:DepthBasedCorrections: expected an rdf:Seq");
    if (p.count > 1 || (p.elem && seq))
      return dm_rd_fail(rd, DM_ERR_FORMAT, "crs:DepthBasedCorrections: given twice");
    if (p.elem) {
      holder = p.elem;
      seq = dm_xml_first_elem(p.elem);
      if (!dm_xml_is(seq, DM_RDF_NS, "Seq") || dm_xml_next_elem(seq))
        return dm_rd_fail(rd, DM_ERR_FORMAT, "crs:DepthBasedCorrections: expected an rdf:Seq");
    }
  }
  if (!seq) return DM_OK;
  int n = 0;
  for (xmlNodePtr li = dm_xml_first_elem(seq); li; li = dm_xml_next_elem(li)) n++;
  if (n > DM_MAX_CORRECTIONS)
    return dm_rd_fail(rd, DM_ERR_FORMAT, "crs:DepthBasedCorrections: more than %d corrections",
                      DM_MAX_CORRECTIONS);
  if (!n) return DM_OK;
  dm_refine *f = &r->refine;
  f->strokes = calloc((size_t)n, sizeof *f->strokes);
  f->depth = calloc((size_t)n, sizeof *f->depth);
  if (!f->strokes || !f->depth) {
    dm_refine_free(f);
    return dm_fail(rd->ctx, DM_ERR_NOMEM, rd->file, "out of memory");
  }
  int i = 0;
  for (xmlNodePtr li = dm_xml_first_elem(seq); li; li = dm_xml_next_elem(li), i++) {
    char where[48];
    snprintf(where, sizeof where, "refine[%d]", i);
    if (!dm_xml_is(li, DM_RDF_NS, "li"))
      return dm_rd_fail(rd, DM_ERR_FORMAT, "crs:DepthBasedCorrections: <%.60s> where an rdf:li "
                        "belongs", (const char *)li->name);
    f->n = i + 1;
    dm_status s = dm_rd_correction(rd, li, "refine", i, &f->strokes[i]);
    double v = 0;
    int found = 0;
    if (!s) s = dm_rd_number(rd, dm_xml_props(li), DM_CRS_NS, "LocalCorrectedDepth", where, &v, &found);
    if (s) return s;
    if (!found)
      return dm_rd_fail(rd, DM_ERR_FORMAT, "crs:LocalCorrectedDepth in %s: missing (a refine "
                        "stroke says which depth it paints)", where);
    if (!(v >= 0 && v <= 1))
      return dm_rd_fail(rd, DM_ERR_RANGE, "crs:LocalCorrectedDepth in %s: %g is outside 0..1",
                        where, v);
    if (f->strokes[i].amount > DM_REFINE_MAX_AMOUNT)
      return dm_rd_fail(rd, DM_ERR_RANGE, "crs:CorrectionAmount in %s: %g is over 1 (a refine "
                        "stroke moves the depth at most all the way)", where,
                        (double)f->strokes[i].amount / 100.0);
    f->depth[i] = (float)(v * 100.0);
  }
  /* The sets now live in r->refine, each with its own copy of its XML:
   * empty the element, leaving it as the marker of where they go back
   * (xmp_write.c rebuilds it; the document keeps no second, stale copy). */
  dm_xml_remove_children(holder);
  return DM_OK;
}
