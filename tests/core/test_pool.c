/* The pool runs every (ith, nth) share exactly once and covers all rows,
 * also when the caller runs the shares of workers that are late (asleep,
 * descheduled) and those workers then wake into the next job. */
#include <stdatomic.h>
#include <string.h>
#include <time.h>

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

typedef struct {
  atomic_int active; /* set by the caller around its dm_parallel */
  atomic_int runs[8];
  atomic_int stray;  /* shares run while the job was not current */
} tagged;

static void tagged_share(void *user, int ith, int nth) {
  tagged *t = user;
  (void)nth;
  if (!atomic_load(&t->active)) atomic_fetch_add(&t->stray, 1);
  atomic_fetch_add(&t->runs[ith], 1);
}

/* Two jobs alternate, with pauses now and then long enough for the workers
 * to fall asleep, so shares are often taken by the caller and late workers
 * wake into a newer job than the one that woke them. */
static void test_late_workers(int threads) {
  dm_context *ctx = dm_context_new(threads);
  tagged t[2];
  memset(t, 0, sizeof t);
  int reps[2] = {0, 0};
  unsigned r = 12345;
  for (int rep = 0; rep < 3000; rep++) {
    tagged *j = &t[rep & 1];
    r = r * 1103515245u + 12345u;
    if ((r >> 16) % 16 == 0) {
      struct timespec ts = {0, (long)((r >> 8) % 400) * 1000};
      nanosleep(&ts, NULL);
    }
    atomic_store(&j->active, 1);
    dm_parallel(ctx, tagged_share, j);
    atomic_store(&j->active, 0);
    reps[rep & 1]++;
  }
  for (int k = 0; k < 2; k++) {
    CHECK(atomic_load(&t[k].stray) == 0);
    for (int i = 0; i < threads; i++) CHECK(atomic_load(&t[k].runs[i]) == reps[k]);
  }
  dm_context_free(ctx);
}

int main(void) {
  for (int threads = 2; threads <= 4; threads++) test_late_workers(threads);
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
