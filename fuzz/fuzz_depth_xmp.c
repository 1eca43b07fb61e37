/* libFuzzer target: embedded depth in JPEG (XMP, Extended XMP reassembly,
 * GDepth base64, Dynamic Depth container items) through dm_embedded_scan
 * and dm_embedded_depth at a small size. Seeds: the files the depth tests
 * build (tests/depth/test_embedded_jpeg --write-seeds). */
#include <stdint.h>
#include <stdlib.h>

#include "depth/embedded_internal.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dm_context *ctx = dm_context_new(1);
  if (!ctx) return 0;
  dm_embedded_list list;
  dm_embedded_scan_ex(ctx, data, size, "fuzz.jpg", DM_FUZZ_MAX_PIXELS, &list);
  dm_depth d;
  int found = 0;
  char desc[128];
  if (dm_embedded_depth_ex(ctx, data, size, "fuzz.jpg", DM_FUZZ_MAX_PIXELS, (int)(size % 9), 24, 16,
                           &d, &found, desc, sizeof desc) == DM_OK)
    dm_depth_free(&d);
  dm_context_free(ctx);
  return 0;
}
