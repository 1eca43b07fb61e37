/* The pool runs every (ith, nth) share exactly once and covers all rows. */
#include <stdatomic.h>
#include <string.h>

#include "core/pool.h"
#include "dm_test.h"

typedef struct {
  int height;
  atomic_int *hits;
  atomic_int calls;
  int nth_seen;
} job;

static void mark_rows(void *user, int ith, int nth) {
  job *j = user;
  int y0, y1;
  dm_split_rows(j->height, ith, nth, &y0, &y1);
  for (int y = y0; y < y1; y++) atomic_fetch_add(&j->hits[y], 1);
  atomic_fetch_add(&j->calls, 1);
  j->nth_seen = nth;
}

int main(void) {
  for (int threads = 1; threads <= 4; threads++) {
    dm_context *ctx = dm_context_new(threads);
    CHECK(ctx != NULL);
    for (int height = 0; height < 50; height += 7) {
      atomic_int hits[64];
      for (int i = 0; i < 64; i++) atomic_init(&hits[i], 0);
      job j = {.height = height, .hits = hits};
      atomic_init(&j.calls, 0);
      /* Run many jobs back to back: catches lost wake-ups between generations. */
      for (int rep = 0; rep < 200; rep++) dm_parallel(ctx, mark_rows, &j);
      CHECK(atomic_load(&j.calls) == 200 * threads);
      CHECK(j.nth_seen == threads);
      for (int y = 0; y < height; y++) CHECK(atomic_load(&hits[y]) == 200);
      for (int y = height; y < 64; y++) CHECK(atomic_load(&hits[y]) == 0);
    }
    dm_context_free(ctx);
  }
  return dm_test_done("core/pool");
}
