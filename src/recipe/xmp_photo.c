/* The recipe's per-photo dm: fields (DESIGN section 6): which file the
 * sidecar belongs to, the output it last produced, the process version and
 * where the depth came from. One table drives reading, writing and the
 * list of dm: names allowed at the top of a sidecar. A preset never carries
 * them (dm_recipe_apply_preset leaves them as the photo's sidecar has them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recipe/recipe_internal.h"

#define PF(name, field) {name, offsetof(dm_recipe_photo, field), sizeof(((dm_recipe_photo *)0)->field)}
static const struct photo_field {
  const char *name; /* dm:<name> */
  size_t offset, size;
} fields[] = {
    PF("SourceFile", source_file),   PF("SourceHash", source_hash),
    PF("OutputFile", output_file),   PF("OutputHash", output_hash),
    PF("DepthSource", depth_source), PF("MatteSource", matte_source),
    PF("DepthModels", depth_models),
    PF("FusionVersion", fusion_version),
    PF("RawLook", raw_look),
};
#define N_FIELDS (sizeof fields / sizeof *fields)

const char *const *dm_photo_dm_names(void) {
  static const char *const names[] = {"RecipeVersion", "LensBlurSettings", "ProcessVersion",
                                      "SourceFile",    "SourceHash",       "OutputFile",
                                      "OutputHash",    "DepthSource",      "MatteSource",     "DepthModels",
                                      "FusionVersion", "RawLook",         NULL};
  return names;
}

dm_status dm_rd_photo(dm_rd *rd, xmlNodePtr rdf, dm_recipe_photo *p) {
  memset(p, 0, sizeof *p);
  p->process_version = 1; /* absent: made before process versions, i.e. by version 1 */
  for (xmlNodePtr d = dm_xml_first_elem(rdf); d; d = dm_xml_next_elem(d)) {
    if (!dm_xml_is(d, DM_RDF_NS, "Description")) continue;
    for (size_t i = 0; i < N_FIELDS; i++) {
      char *t = NULL;
      if (!dm_xml_prop_text(d, DM_XMP_NS, fields[i].name, &t))
        return dm_rd_fail(rd, DM_ERR_FORMAT, "dm:%s: expected a single value", fields[i].name);
      if (!t) continue;
      size_t n = strlen(t);
      dm_status s = DM_OK;
      if (n >= fields[i].size)
        s = dm_rd_fail(rd, DM_ERR_FORMAT, "dm:%s: longer than %zu bytes", fields[i].name,
                       fields[i].size - 1);
      else
        memcpy((char *)p + fields[i].offset, t, n + 1);
      free(t);
      if (s) return s;
    }
    char *raw = NULL;
    if (dm_xml_prop_text(d, DM_CRS_NS, "RawFileName", &raw) && raw &&
        strlen(raw) < sizeof p->raw_file_name)
      strcpy(p->raw_file_name, raw);
    free(raw);
    double v;
    int found;
    dm_status s = dm_rd_number(rd, d, DM_XMP_NS, "ProcessVersion", "the sidecar", &v, &found);
    if (s) return s;
    if (found) {
      if (v != (int)v || v < 1)
        return dm_rd_fail(rd, DM_ERR_FORMAT, "dm:ProcessVersion: %g is not a process version", v);
      if (v > DM_PROCESS_VERSION)
        return dm_rd_fail(rd, DM_ERR_FORMAT, "dm:ProcessVersion: %g is newer than this build's "
                          "(%d); update depthmask to render it as it was made", v,
                          DM_PROCESS_VERSION);
      p->process_version = (int)v;
    }
  }
  return DM_OK;
}

int dm_wr_photo(xmlNodePtr rdf, xmlNodePtr main, const dm_recipe_photo *p) {
  int oom = 0;
  for (xmlNodePtr d = dm_xml_first_elem(rdf); d; d = dm_xml_next_elem(d)) {
    if (!dm_xml_is(d, DM_RDF_NS, "Description")) continue;
    for (size_t i = 0; i < N_FIELDS; i++) {
      const char *v = (const char *)p + fields[i].offset;
      if (d == main && v[0]) dm_xml_put(&oom, d, DM_XMP_NS, fields[i].name, v);
      else dm_xml_prop_remove(d, DM_XMP_NS, fields[i].name);
    }
    if (d != main) dm_xml_prop_remove(d, DM_XMP_NS, "ProcessVersion");
  }
  char v[16];
  snprintf(v, sizeof v, "%d", p->process_version > 0 ? p->process_version : DM_PROCESS_VERSION);
  dm_xml_put(&oom, main, DM_XMP_NS, "ProcessVersion", v);
  return !oom;
}
