/* libFuzzer target: JPEG Multi-Picture Format (src/depth/mpf.c). The input
 * is read twice: as an MP header on its own (dm_mpf_index: the TIFF header,
 * the MP Index IFD, the entries), and as a whole JPEG through the embedded
 * depth scan (the APP2 segment, every secondary image's apdi XMP, the
 * decodes; fuzz_embedded.h). Seeds: the files tests/depth/test_embedded_mpf
 * --write-seeds builds, and their MP headers alone. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_embedded.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dm_mpf_entry e[DM_MPF_MAX_IMAGES];
  char problem[160];
  dm_mpf_index(data, size, e, DM_MPF_MAX_IMAGES, problem, sizeof problem);
  dm_fuzz_embedded(data, size, "fuzz.jpg", DM_FUZZ_MAX_PIXELS);
  return 0;
}
