/* libFuzzer target for the XMP sidecar reader: read the bytes as a recipe;
 * if that works, write it and read it back, which must work too (anything
 * we read we can write, and anything we write we can read), and a second
 * write must give the same bytes. Seeds: fuzz/seeds/xmp/.
 *
 * The two recipes are allocated once and cleared between inputs: a recipe's
 * correction array is a few MiB, and allocating it per input costs more
 * under ASan than the parsing being fuzzed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recipe/recipe.h"

static dm_context *ctx;
static dm_recipe r, back;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!ctx) {
    ctx = dm_context_new(1);
    if (!ctx || dm_recipe_init(ctx, &r) || dm_recipe_init(ctx, &back)) abort();
  }
  dm_recipe_clear(&r);
  dm_recipe_clear(&back);
  if (dm_recipe_read_mem(ctx, (const char *)data, size, "fuzz.xmp", &r) != DM_OK) return 0;
  char *xml = NULL, *xml2 = NULL;
  size_t len = 0, len2 = 0;
  if (dm_recipe_write_mem(ctx, &r, &xml, &len) != DM_OK) {
    fprintf(stderr, "read but cannot write: %s\n", dm_context_error(ctx));
    abort();
  }
  if (dm_recipe_read_mem(ctx, xml, len, "written.xmp", &back) != DM_OK) {
    fprintf(stderr, "wrote what it cannot read: %s\n----\n%s\n", dm_context_error(ctx), xml);
    abort();
  }
  if (dm_recipe_write_mem(ctx, &back, &xml2, &len2) != DM_OK) {
    fprintf(stderr, "second write failed: %s\n", dm_context_error(ctx));
    abort();
  }
  if (len != len2 || memcmp(xml, xml2, len)) {
    fprintf(stderr, "write -> read -> write changed the bytes\n----\n%s\n----\n%s\n", xml, xml2);
    abort();
  }
  free(xml);
  free(xml2);
  return 0;
}
