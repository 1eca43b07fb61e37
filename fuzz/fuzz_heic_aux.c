/* libFuzzer target: HEIF auxiliary images (src/depth/heif_aux.c: depth
 * with its representation info or Apple's apdi XMP, Apple's portrait and
 * semantic mattes, other aux types) through dm_embedded_scan,
 * dm_embedded_depth and dm_embedded_matte at a small size (fuzz_embedded.h).
 * fuzz_heic reads the primary image only and never lists an aux image.
 * Seeds: the HEIC files the depth tests build (tests/depth/
 * test_embedded_heic --write-seeds) and the iPhone files of
 * ../shared/phone, copied at fuzz time (fuzz/make_seeds.sh). */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_embedded.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dm_fuzz_embedded(data, size, "fuzz.heic", 640 * 480);
  return 0;
}
