/* libFuzzer target: embedded depth in JPEG (XMP, Extended XMP reassembly,
 * GDepth base64, Dynamic Depth container items) through dm_embedded_scan,
 * dm_embedded_depth and dm_embedded_matte at a small size (fuzz_embedded.h).
 * Seeds: the files the depth tests build (tests/depth/test_embedded_jpeg
 * --write-seeds). */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_embedded.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dm_fuzz_embedded(data, size, "fuzz.jpg", DM_FUZZ_MAX_PIXELS);
  return 0;
}
