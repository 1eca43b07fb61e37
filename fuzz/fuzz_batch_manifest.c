/* libFuzzer target for the batch manifest's reader (src/batch/
 * batch_manifest.c): the input is written as DIR/.depthmask-batch.jsonl in
 * a folder of this process (dm_fuzz_mkdtemp) and opened; every entry read
 * is asked for again with dm_batch_manifest_current (its output is not
 * there: never current), and one entry is appended and must then be the
 * newest for its output. A cut or garbled line must be ignored, never
 * crash. Seeds: fuzz/seeds/batch_manifest (whole lines, a cut one, a line
 * joined to the next). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch/batch.h"
#include "fuzz_common.h"

static dm_context *ctx;
static char dir[64], path[128];

static void cleanup(void) {
  unlink(path);
  rmdir(dir);
  dm_context_free(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!ctx) {
    ctx = dm_context_new(1);
    if (!ctx || !dm_fuzz_mkdtemp(dir, sizeof dir, "fuzz_manifest")) abort();
    snprintf(path, sizeof path, "%s/.depthmask-batch.jsonl", dir);
    atexit(cleanup);
  }
  if (!dm_fuzz_write(path, data, size)) abort();
  dm_batch_manifest *m = NULL;
  if (dm_batch_manifest_open(ctx, dir, 0, &m) != DM_OK) return 0;
  dm_batch_entry e;
  memset(&e, 0, sizeof e);
  snprintf(e.output, sizeof e.output, "%s/none-dm.tif", dir);
  snprintf(e.output_hash, sizeof e.output_hash, "00000000000000000000000000000000");
  if (dm_batch_manifest_current(m, &e)) abort(); /* no such output: never current */
  if (dm_batch_manifest_add(ctx, m, &e) != DM_OK) abort();
  dm_batch_manifest_close(m);
  /* read back: the appended line is whole whatever came before it */
  if (dm_batch_manifest_open(ctx, dir, 0, &m) != DM_OK) abort();
  dm_batch_manifest_close(m);
  return 0;
}
