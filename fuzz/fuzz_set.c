/* libFuzzer target for --set KEY=VALUE (dm_recipe_set): the input is split
 * on newlines into assignments, applied in order to one recipe as the CLI
 * applies its --set options (a bad one fails and changes nothing; the
 * next is applied all the same). A recipe that then passes dm_recipe_check
 * must survive the round trip of fuzz_recipe.h: written, read back,
 * written to the same bytes. Seeds: fuzz/seeds/set/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_recipe.h"

static dm_context *ctx;
static dm_recipe r, back;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!ctx) {
    ctx = dm_context_new(1);
    if (!ctx || dm_recipe_init(ctx, &r) || dm_recipe_init(ctx, &back)) abort();
  }
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = 0;
  /* A NUL inside a line ends that assignment early, as in argv. */
  for (char *line = text, *end; line <= text + size; line = end + 1) {
    end = memchr(line, '\n', (size_t)(text + size - line));
    if (!end) end = text + size;
    *end = 0;
    dm_recipe_set(ctx, &r, line);
  }
  free(text);
  if (dm_recipe_check(ctx, &r) == DM_OK) dm_fuzz_recipe_round_trip(ctx, &r, &back);
  dm_recipe_clear(&r);
  dm_recipe_clear(&back);
  return 0;
}
