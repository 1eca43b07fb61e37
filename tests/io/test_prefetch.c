/* io/prefetch: a file decoded ahead on its own thread gives what dm_io_read
 * gives (the dof-eval dev1 depth map, 16-bit PNG); a second take reads the
 * file again; one never taken is freed; a failed read is reported on the
 * taker's context as dm_io_read reports it; the starter's memory limit
 * holds on the thread. */
#include <string.h>

#include "dm_test.h"
#include "io/prefetch.h"

#define DEPTH DM_SOURCE_DIR "/../shared/dof-eval/scenes/dev1_chelsea_1.2m_bg5m_lights/depth16.png"

static int same(const dm_image *a, const dm_image *b) {
  if (a->width != b->width || a->height != b->height || a->channels != b->channels) return 0;
  for (int y = 0; y < a->height; y++)
    if (memcmp(dm_row(a, y), dm_row(b, y), sizeof(float) * (size_t)a->width * (size_t)a->channels)) return 0;
  return 1;
}

/* dm_io_read's and the prefetch's outcome for `path` under max_memory. */
static void check_failure(const char *path, long long max_memory) {
  dm_context *a = dm_context_new(1), *b = dm_context_new(1);
  a->max_memory = b->max_memory = max_memory;
  dm_decoded d1 = {0}, d2 = {0};
  dm_status s1 = dm_io_read(a, path, &d1);
  dm_io_prefetch *p = dm_io_prefetch_start(b, path);
  CHECK(p != NULL);
  dm_status s2 = dm_io_prefetch_take(b, p, path, &d2);
  CHECK(s1 != DM_OK && s2 == s1);
  CHECK(!strcmp(dm_context_error(a), dm_context_error(b)));
  printf("refused as dm_io_read refuses it: %s\n", dm_context_error(b));
  dm_io_prefetch_free(p);
  dm_decoded_free(&d1), dm_decoded_free(&d2);
  dm_context_free(a), dm_context_free(b);
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  dm_decoded want = {0}, got = {0};
  CHECK_OK(ctx, dm_io_read(ctx, DEPTH, &want));

  dm_io_prefetch *p = dm_io_prefetch_start(ctx, DEPTH);
  CHECK(p != NULL);
  CHECK_OK(ctx, dm_io_prefetch_take(ctx, p, DEPTH, &got));
  CHECK(same(&want.img, &got.img));
  dm_decoded_free(&got);
  CHECK_OK(ctx, dm_io_prefetch_take(ctx, p, DEPTH, &got)); /* read again */
  CHECK(same(&want.img, &got.img));
  dm_decoded_free(&got);
  dm_io_prefetch_free(p);

  dm_io_prefetch_free(dm_io_prefetch_start(ctx, DEPTH)); /* never taken */
  CHECK_OK(ctx, dm_io_prefetch_take(ctx, NULL, DEPTH, &got)); /* none: a plain read */
  CHECK(same(&want.img, &got.img));
  dm_decoded_free(&got);

  check_failure(DM_SOURCE_DIR "/no/such/depth.png", 0);
  check_failure(DEPTH, 1000); /* over the starter's memory limit, on the thread too */

  dm_decoded_free(&want);
  dm_context_free(ctx);
  return dm_test_done("io/test_prefetch");
}
