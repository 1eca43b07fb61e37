/* libFuzzer target: the TIFF reader (libtiff from memory, every layout) and the raw-or-TIFF decision. */
#include <stdlib.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  (void)dm_tiff_is_camera_raw(data, size);
  return dm_fuzz_read(dm_tiff_read_ex, data, size, "fuzz.tif");
}
