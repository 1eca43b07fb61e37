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
 *   from it. Values outside 0..1 are refused.
 * The strokes are read only: the XML stays in the sidecar as Lightroom
 * wrote it and is written back unchanged. */
#include <stdlib.h>
#include <string.h>

#include "recipe/recipe_internal.h"

void dm_refine_free(dm_refine *f) {
  /* Their masks may hold brushes (Lightroom paints refine strokes). */
  for (int i = 0; i < f->n; i++) dm_correction_release(&f->strokes[i]);
  free(f->strokes);
  free(f->depth);
  memset(f, 0, sizeof *f);
}

dm_status dm_rd_refine(dm_rd *rd, xmlNodePtr rdf, dm_recipe *r) {
  dm_refine_free(&r->refine);
  xmlNodePtr seq = NULL;
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
    f->depth[i] = (float)v;
  }
  return DM_OK;
}
