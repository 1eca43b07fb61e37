/* Shared by the recipe targets (fuzz_xmp, fuzz_set, fuzz_sidecar): the
 * round trip every recipe that passed dm_recipe_check must survive. Writing
 * it works, reading what was written works, and a second write gives the
 * same bytes; anything else aborts, printing the document.
 *
 * The targets keep their recipes for the life of the process: a recipe's
 * correction array is a few MiB, and allocating it per input costs more
 * under ASan than the parsing being fuzzed. They clear them at the end of
 * each input, not at the start of the next, so that an input frees what it
 * allocated: libFuzzer's leak check runs after every input whose mallocs
 * and frees differ in number, and scanning the heap then costs ten times
 * the input itself. */
#ifndef DM_FUZZ_RECIPE_H
#define DM_FUZZ_RECIPE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recipe/recipe.h"

/* `r` is what the target built; `back` (init'ed, its content replaced) is
 * where the written document is read back. */
static inline void dm_fuzz_recipe_round_trip(dm_context *ctx, const dm_recipe *r, dm_recipe *back) {
  char *xml = NULL, *xml2 = NULL;
  size_t len = 0, len2 = 0;
  if (dm_recipe_write_mem(ctx, r, &xml, &len) != DM_OK) {
    fprintf(stderr, "read or checked, yet cannot be written: %s\n", dm_context_error(ctx));
    abort();
  }
  if (dm_recipe_read_mem(ctx, xml, len, "written.xmp", back) != DM_OK) {
    fprintf(stderr, "wrote what it cannot read: %s\n----\n%s\n", dm_context_error(ctx), xml);
    abort();
  }
  if (dm_recipe_write_mem(ctx, back, &xml2, &len2) != DM_OK) {
    fprintf(stderr, "second write failed: %s\n", dm_context_error(ctx));
    abort();
  }
  if (len != len2 || memcmp(xml, xml2, len)) {
    fprintf(stderr, "write -> read -> write changed the bytes\n----\n%s\n----\n%s\n", xml, xml2);
    abort();
  }
  free(xml);
  free(xml2);
}

#endif
