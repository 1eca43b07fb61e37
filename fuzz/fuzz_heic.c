/* libFuzzer target: the HEIC reader (libheif, ICC/nclx, EXIF item). */
#include <stdlib.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return dm_fuzz_read(dm_heic_read_ex, data, size, "fuzz.heic");
}
