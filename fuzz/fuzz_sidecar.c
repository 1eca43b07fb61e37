/* libFuzzer target for what the CLI does with a photo's sidecar and a
 * --preset (cli_load_recipe): the input is the sidecar, then a line
 * "=== preset ===", then the preset. The sidecar is read (an empty one is
 * no sidecar: an empty recipe, as for a photo without one), the preset is
 * read and applied, and a recipe that then passes dm_recipe_check must
 * survive the round trip of fuzz_recipe.h. Without the separator line the
 * whole input is the sidecar and no preset is applied. Seeds: pairs of the
 * sidecars of tests/recipe/fixtures and fuzz/seeds/xmp (fuzz/make_seeds.sh). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_recipe.h"

#define SEPARATOR "\n=== preset ===\n"

static dm_context *ctx;
static dm_recipe r, preset, back;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!ctx) {
    ctx = dm_context_new(1);
    if (!ctx || dm_recipe_init(ctx, &r) || dm_recipe_init(ctx, &preset) ||
        dm_recipe_init(ctx, &back))
      abort();
  }
  const char *text = (const char *)data;
  const char *sep = memmem(text, size, SEPARATOR, sizeof SEPARATOR - 1);
  size_t side_len = sep ? (size_t)(sep - text) : size;
  int ok = !side_len || dm_recipe_read_mem(ctx, text, side_len, "photo.xmp", &r) == DM_OK;
  if (ok && sep) {
    const char *p = sep + sizeof SEPARATOR - 1;
    ok = dm_recipe_read_mem(ctx, p, (size_t)(text + size - p), "preset.xmp", &preset) == DM_OK &&
         dm_recipe_apply_preset(ctx, &r, &preset) == DM_OK;
  }
  if (ok && dm_recipe_check(ctx, &r) == DM_OK) dm_fuzz_recipe_round_trip(ctx, &r, &back);
  dm_recipe_clear(&r);
  dm_recipe_clear(&preset);
  dm_recipe_clear(&back);
  return 0;
}
