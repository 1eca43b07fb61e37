/* libFuzzer target: the camera raw reader (LibRaw from memory). */
#include <stdlib.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return dm_fuzz_read(dm_raw_read_ex, data, size, "fuzz.raw");
}
