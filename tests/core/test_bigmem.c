/* core/bigmem: a freed large buffer's pages serve the next requests (the
 * smallest free range that holds one, split; freed pieces join again); a
 * request no range holds gets the free ranges' pages moved into one, fresh
 * pages only for the rest, so mapped memory never exceeds the most ever live; small requests pass to malloc; threads
 * never get one buffer twice. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/bigmem.h"
#include "core/image.h"
#include "dm_test.h"

#define MiB ((size_t)1 << 20)

typedef struct {
  int seed;
  int bad;
} worker;

static void *churn(void *user) {
  worker *w = user;
  uint32_t r = (uint32_t)w->seed * 2654435761u + 1;
  unsigned char *held[3] = {0};
  size_t sizes[3] = {0};
  for (int it = 0; it < 300; it++) {
    r = r * 1664525u + 1013904223u;
    int slot = (int)(r >> 16) % 3;
    if (held[slot]) { /* still ours: nobody else was handed it meanwhile */
      for (size_t i = 0; i < sizes[slot]; i += 4096) w->bad |= held[slot][i] != (unsigned char)(w->seed + slot);
      dm_big_free(held[slot]);
      held[slot] = NULL;
    } else {
      sizes[slot] = (size_t)(2 + (r >> 8) % 3) * 4 * MiB;
      held[slot] = dm_big_alloc(sizes[slot]);
      if (!held[slot]) {
        w->bad = 1;
        break;
      }
      for (size_t i = 0; i < sizes[slot]; i += 4096) held[slot][i] = (unsigned char)(w->seed + slot);
    }
  }
  for (int k = 0; k < 3; k++) dm_big_free(held[k]);
  return NULL;
}

int main(void) {
  dm_big_trim();
  CHECK(dm_big_pooled() == 0);
  /* reuse: the same pages back, pooled while free */
  unsigned char *p = dm_big_alloc(64 * MiB);
  CHECK(p != NULL);
  memset(p, 7, 64 * MiB);
  dm_big_free(p);
  const size_t one = dm_big_pooled(); /* 64 MiB, rounded up (a poisoned tail under ASan) */
  CHECK(one >= 64 * MiB && one < 70 * MiB);
  unsigned char *q = dm_big_alloc(64 * MiB - 100);
  CHECK(q == p);
  CHECK(dm_big_pooled() == 0);
  dm_big_free(q);

  /* a smaller request takes the start of a free range, the rest stays free;
   * freed again, the pieces join */
  dm_big_trim();
  char *a = dm_big_alloc(32 * MiB);
  CHECK(a != NULL);
  dm_big_free(a);
  const size_t whole = dm_big_pooled();
  char *b = dm_big_alloc(8 * MiB);
  CHECK(b == a);
  const size_t rest = dm_big_pooled();
  CHECK(rest > 0 && rest < whole);
  char *c = dm_big_alloc(8 * MiB);
  CHECK(c == a + (whole - rest));
  dm_big_free(b), dm_big_free(c);
  CHECK(dm_big_pooled() == whole);
  char *d = dm_big_alloc(32 * MiB);
  CHECK(d == a); /* joined back into one range */
  dm_big_free(d);

  /* a request no free range holds: the free ranges' pages are moved into
   * it (their data comes along: not fresh, zeroed pages), so mapped memory
   * stays within what was once live */
  char *e = dm_big_alloc(64 * MiB);
  CHECK(e != NULL);
  CHECK(dm_big_pooled() == 0);
  dm_big_free(e);
  dm_big_trim();
  unsigned char *f[3];
  for (int k = 0; k < 3; k++) {
    f[k] = dm_big_alloc(8 * MiB);
    CHECK(f[k] != NULL);
    memset(f[k], 'A' + k, 8 * MiB);
  }
  const size_t piece = dm_big_pooled(); /* 0: each rounded up, taken whole */
  dm_big_free(f[0]), dm_big_free(f[2]); /* two ranges with f[1] between */
  const size_t two = dm_big_pooled();
  CHECK(two > piece && two % (2 * MiB) == 0);
  unsigned char *g2 = dm_big_alloc(two); /* neither range holds it */
  CHECK(g2 != NULL);
  CHECK(dm_big_pooled() == 0);
  size_t old_a = 0, old_c = 0;
  for (size_t i = 0; i < two; i += 4096) old_a += g2[i] == 'A', old_c += g2[i] == 'C';
  if (old_a != 8 * MiB / 4096 || old_c != 8 * MiB / 4096) /* both moved, nothing fresh */
    fprintf(stderr, "core/bigmem: moved pages of A %zu, of C %zu, pooled %zu\n", old_a, old_c, two);
  CHECK(old_a == 8 * MiB / 4096 && old_c == 8 * MiB / 4096);
  for (size_t i = 0; i < 8 * MiB; i += 4096) CHECK(f[1][i] == 'B'); /* the live one untouched */
  dm_big_free(g2);
  /* more than is pooled: the pooled pages first, then fresh zeros, and
   * zero-filled requests clear only the moved part but read all zeros */
  const size_t more = dm_big_pooled() + 4 * MiB;
  unsigned char *h = dm_big_alloc(more);
  CHECK(h != NULL);
  CHECK(dm_big_pooled() == 0);
  CHECK(h[0] == 'A' || h[0] == 'C');
  CHECK(h[more - 1] == 0);
  dm_big_free(h);
  unsigned char *zc = dm_big_calloc(more + 4 * MiB);
  CHECK(zc != NULL);
  int all_zero = 1;
  for (size_t i = 0; i < more + 4 * MiB; i += 512) all_zero &= zc[i] == 0;
  CHECK(all_zero);
  dm_big_free(zc);
  dm_big_free(f[1]);

  /* small requests are malloc's: nothing pooled */
  dm_big_trim();
  char *s = dm_big_alloc(1000);
  CHECK(s != NULL);
  memset(s, 1, 1000);
  dm_big_free(s);
  CHECK(dm_big_pooled() == 0);
  dm_big_free(NULL);

  /* images go through it: a freed 48 MB image's pages serve the next */
  dm_image img = {0};
  CHECK_OK(NULL, dm_image_alloc(NULL, &img, 2048, 2048, 3));
  float *first = img.data;
  for (size_t i = 0; i < (size_t)2048 * 2048 * 3; i++) img.data[i] = 1.0f;
  dm_image_free(&img);
  CHECK(dm_big_pooled() >= 48 * MiB);
  CHECK_OK(NULL, dm_image_alloc_zero(NULL, &img, 2048, 2048, 3));
  CHECK(img.data == first);
  int zero = 1; /* zeroed though reused */
  for (size_t i = 0; i < (size_t)2048 * 2048 * 3; i++) zero &= img.data[i] == 0.0f;
  CHECK(zero);
  dm_image_free(&img);

  /* zero-filled: fresh pages (not written) and reused ones (cleared) */
  dm_big_trim();
  for (int round = 0; round < 2; round++) {
    unsigned char *z = dm_big_calloc(16 * MiB);
    CHECK(z != NULL);
    int zeros = 1;
    for (size_t i = 0; i < 16 * MiB; i++) zeros &= z[i] == 0;
    CHECK(zeros);
    memset(z, 0xab, 16 * MiB); /* what the second round must not see */
    dm_big_free(z);
  }

  /* threads: no buffer is handed to two holders at once */
  pthread_t t[4];
  worker w[4];
  for (int i = 0; i < 4; i++) {
    w[i] = (worker){.seed = 10 * i + 1};
    CHECK(pthread_create(&t[i], NULL, churn, &w[i]) == 0);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(t[i], NULL);
    CHECK(!w[i].bad);
  }
  dm_big_trim();
  CHECK(dm_big_pooled() == 0);
  return dm_test_done("core/bigmem");
}
