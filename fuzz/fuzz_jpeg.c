/* libFuzzer target: the JPEG reader (libjpeg-turbo, EXIF through libexif, orientation). */
#include <stdlib.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return dm_fuzz_read(dm_jpeg_read_ex, data, size, "fuzz.jpg");
}
