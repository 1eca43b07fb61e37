/* libFuzzer target for the XMP sidecar reader: read the bytes as a recipe;
 * if that works, write it and read it back, which must work too (anything
 * we read we can write, and anything we write we can read), and a second
 * write must give the same bytes (fuzz_recipe.h). Seeds: tests/recipe/fixtures
 * and fuzz/seeds/xmp (fuzz/make_seeds.sh). */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_recipe.h"

static dm_context *ctx;
static dm_recipe r, back;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!ctx) {
    ctx = dm_context_new(1);
    if (!ctx || dm_recipe_init(ctx, &r) || dm_recipe_init(ctx, &back)) abort();
  }
  if (dm_recipe_read_mem(ctx, (const char *)data, size, "fuzz.xmp", &r) == DM_OK)
    dm_fuzz_recipe_round_trip(ctx, &r, &back);
  dm_recipe_clear(&r);
  dm_recipe_clear(&back);
  return 0;
}
