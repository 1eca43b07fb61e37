/* Recipe versions and their upgraders (dm:RecipeVersion).
 *
 * Each upgrader takes a document of version n to version n + 1, keeps the
 * old layout's knowledge to itself, and runs on the parsed XML before the
 * model is read, so the reader only ever knows the current layout. They run
 * in order at read time; the next write stores DM_RECIPE_VERSION. Every
 * version change adds an entry here and old-recipe fixtures to
 * tests/recipe/fixtures/.
 *
 * Version 0: no dm:RecipeVersion. A sidecar Lightroom (or Camera Raw)
 * wrote, or one written before depthmask versioned its recipes. Before
 * Lightroom Classic 11 / Camera Raw 14, local corrections lived in one
 * container per tool, each correction with a single mask:
 *   crs:GradientBasedCorrections          Mask/Gradient     (Graduated Filter)
 *   crs:CircularGradientBasedCorrections  Mask/CircularGradient (Radial Filter)
 *   crs:PaintBasedCorrections             Mask/Paint        (Adjustment Brush)
 * with no MaskBlendMode / MaskInverted: a radial's crs:Flipped="false" (the
 * default) meant the effect applies outside the ellipse. Lightroom 11
 * converts these into crs:MaskGroupBasedCorrections when it opens such a
 * photo.
 *
 * Version 1 (current): crs:MaskGroupBasedCorrections as Lightroom 11+ write
 * it, plus dm: fields (dm:RecipeVersion, dm:Kind, dm:Path).
 *
 * 0 -> 1 does what Lightroom 11 does for the two gradient tools: each
 * correction moves, in document order, to the end of
 * crs:MaskGroupBasedCorrections (created if missing), its component gaining
 * MaskActive="true", MaskBlendMode="0" and MaskInverted (= !Flipped for a
 * radial, false for a linear gradient). Brush corrections stay where they
 * are, kept untouched and unrendered: how Lightroom 11 turns each old
 * stroke into a Brush component (crs:What="Mask/Aggregate", xmp_brush.c)
 * is not documented anywhere we found, and a guess here would change what
 * those sidecars render without a fixture to check it against. */
#include <stdlib.h>
#include <string.h>

#include "recipe/recipe_internal.h"

typedef dm_status (*dm_upgrader)(dm_context *ctx, const char *name, xmlDocPtr doc, xmlNodePtr rdf);

static dm_status legacy_fail(dm_context *ctx, const char *name, const char *container,
                             const char *what) {
  return dm_fail(ctx, DM_ERR_FORMAT, name, "crs:%s: %s (old Lightroom layout)", container, what);
}

static dm_status upgrade_component(dm_context *ctx, const char *name, xmlNodePtr li) {
  xmlNodePtr C = dm_xml_props(li);
  char *what = NULL, *flipped = NULL;
  int ok = dm_xml_prop_text(C, DM_CRS_NS, "What", &what) &&
           dm_xml_prop_text(C, DM_CRS_NS, "Flipped", &flipped);
  int radial = what && !strcmp(what, DM_LR_RADIAL);
  int inverted = radial && !(flipped && (!strcmp(flipped, "true") || !strcmp(flipped, "True")));
  free(what);
  free(flipped);
  if (!ok) return dm_fail(ctx, DM_ERR_FORMAT, name, "crs:What or crs:Flipped given twice (old "
                          "Lightroom layout)");
  dm_prop p;
  int mem = 1;
  dm_xml_find_prop(C, DM_CRS_NS, "MaskActive", &p);
  if (!p.count) mem &= dm_xml_prop_set(C, DM_CRS_NS, "crs", "MaskActive", "true");
  dm_xml_find_prop(C, DM_CRS_NS, "MaskBlendMode", &p);
  if (!p.count) mem &= dm_xml_prop_set(C, DM_CRS_NS, "crs", "MaskBlendMode", "0");
  dm_xml_find_prop(C, DM_CRS_NS, "MaskInverted", &p);
  if (!p.count) mem &= dm_xml_prop_set(C, DM_CRS_NS, "crs", "MaskInverted", inverted ? "true" : "false");
  return mem ? DM_OK : dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory");
}

static dm_status move_container(dm_context *ctx, const char *name, xmlNodePtr desc,
                                xmlNodePtr legacy, const char *container) {
  xmlNodePtr seq = dm_xml_first_elem(legacy);
  if (!dm_xml_is(seq, DM_RDF_NS, "Seq") || dm_xml_next_elem(seq))
    return legacy_fail(ctx, name, container, "expected an rdf:Seq");
  xmlNodePtr group = dm_xml_child(desc, DM_CRS_NS, "MaskGroupBasedCorrections");
  if (!group) {
    xmlNsPtr crs = dm_xml_ns(desc, DM_CRS_NS, "crs");
    /* In the legacy container's place, so the document keeps its order. */
    group = crs ? xmlNewDocNode(desc->doc, crs, (const xmlChar *)"MaskGroupBasedCorrections", NULL)
                : NULL;
    if (!group || !xmlAddPrevSibling(legacy, group)) {
      xmlFreeNode(group);
      return dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory");
    }
  }
  xmlNodePtr gseq = dm_xml_first_elem(group);
  if (!gseq) {
    xmlNsPtr rdf = dm_xml_ns(group, DM_RDF_NS, "rdf");
    gseq = rdf ? xmlNewDocNode(desc->doc, rdf, (const xmlChar *)"Seq", NULL) : NULL;
    if (!gseq || !xmlAddChild(group, gseq)) {
      xmlFreeNode(gseq);
      return dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory");
    }
  }
  if (!dm_xml_is(gseq, DM_RDF_NS, "Seq"))
    return dm_fail(ctx, DM_ERR_FORMAT, name, "crs:MaskGroupBasedCorrections: expected an rdf:Seq");
  for (xmlNodePtr li = dm_xml_first_elem(seq), next; li; li = next) {
    next = dm_xml_next_elem(li);
    if (!dm_xml_is(li, DM_RDF_NS, "li"))
      return legacy_fail(ctx, name, container, "an element where an rdf:li belongs");
    xmlNodePtr masks = dm_xml_child(dm_xml_props(li), DM_CRS_NS, "CorrectionMasks");
    xmlNodePtr mseq = dm_xml_child(masks, DM_RDF_NS, "Seq");
    for (xmlNodePtr m = dm_xml_first_elem(mseq); m; m = dm_xml_next_elem(m)) {
      dm_status s = upgrade_component(ctx, name, m);
      if (s) return s;
    }
    xmlUnlinkNode(li);
    xmlAddChild(gseq, li);
    /* Point its namespaces at declarations in scope where it now is (one
     * made on the legacy container goes away with it). */
    if (xmlReconciliateNs(desc->doc, li) < 0)
      return dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory");
  }
  xmlUnlinkNode(legacy);
  xmlFreeNode(legacy);
  return DM_OK;
}

static dm_status upgrade_0_to_1(dm_context *ctx, const char *name, xmlDocPtr doc, xmlNodePtr rdf) {
  (void)doc;
  static const char *const containers[] = {"GradientBasedCorrections",
                                           "CircularGradientBasedCorrections"};
  for (xmlNodePtr d = dm_xml_first_elem(rdf); d; d = dm_xml_next_elem(d)) {
    if (!dm_xml_is(d, DM_RDF_NS, "Description")) continue;
    /* Document order: visit the element children, moving the ones that are
     * legacy containers. */
    for (xmlNodePtr e = dm_xml_first_elem(d), next; e; e = next) {
      next = dm_xml_next_elem(e);
      for (size_t i = 0; i < sizeof containers / sizeof *containers; i++)
        if (dm_xml_is(e, DM_CRS_NS, containers[i])) {
          dm_status s = move_container(ctx, name, d, e, containers[i]); /* frees e */
          if (s) return s;
          break;
        }
    }
  }
  return DM_OK;
}

/* upgraders[n] takes version n to n + 1. */
static const dm_upgrader upgraders[] = {upgrade_0_to_1};
_Static_assert(sizeof upgraders / sizeof *upgraders == DM_RECIPE_VERSION,
               "one upgrader per version step");

dm_status dm_recipe_upgrade(dm_context *ctx, const char *name, xmlDocPtr doc, xmlNodePtr rdf,
                            int from) {
  for (int v = from; v < DM_RECIPE_VERSION; v++) {
    dm_status s = upgraders[v](ctx, name, doc, rdf);
    if (s) return s;
  }
  return DM_OK;
}
