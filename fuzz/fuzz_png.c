/* libFuzzer target: the PNG reader (libpng, iCCP/eXIf). */
#include <stdlib.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return dm_fuzz_read(dm_png_read_ex, data, size, "fuzz.png");
}
