/* core/bigmem: a freed large buffer serves the next request of its size; a
 * request of another size first releases pooled buffers worth at least its
 * own, so pooled + live never exceeds the most ever live; small requests
 * pass to malloc; threads never get one buffer twice. */
#include <pthread.h>
#include <stdint.h>
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
  /* reuse: the same buffer back, pooled while free */
  unsigned char *p = dm_big_alloc(64 * MiB);
  CHECK(p != NULL);
  memset(p, 7, 64 * MiB);
  dm_big_free(p);
  CHECK(dm_big_pooled() == 64 * MiB);
  unsigned char *q = dm_big_alloc(64 * MiB - 100); /* rounds to the same 2 MiB multiple */
  CHECK(q == p);
  CHECK(dm_big_pooled() == 0);
  dm_big_free(q);

  /* another size: the oldest pooled buffers go first, at least its size */
  dm_big_trim();
  void *a = dm_big_alloc(32 * MiB), *b = dm_big_alloc(32 * MiB), *c = dm_big_alloc(32 * MiB);
  CHECK(a && b && c);
  dm_big_free(a), dm_big_free(b), dm_big_free(c);
  CHECK(dm_big_pooled() == 96 * MiB);
  void *d = dm_big_alloc(48 * MiB); /* releases a and b (64 MiB >= 48) */
  CHECK(d != NULL);
  CHECK(dm_big_pooled() == 32 * MiB);
  void *e = dm_big_alloc(32 * MiB); /* c, the one left */
  CHECK(e == c);
  CHECK(dm_big_pooled() == 0);
  dm_big_free(d), dm_big_free(e);

  /* small requests are malloc's: nothing pooled */
  dm_big_trim();
  char *s = dm_big_alloc(1000);
  CHECK(s != NULL);
  memset(s, 1, 1000);
  dm_big_free(s);
  CHECK(dm_big_pooled() == 0);
  dm_big_free(NULL);

  /* images go through it: a freed 48 MB image waits for the next */
  dm_image img = {0};
  CHECK_OK(NULL, dm_image_alloc(NULL, &img, 2048, 2048, 3));
  float *first = img.data;
  dm_image_free(&img);
  CHECK(dm_big_pooled() == 48 * MiB);
  CHECK_OK(NULL, dm_image_alloc_zero(NULL, &img, 2048, 2048, 3));
  CHECK(img.data == first);
  CHECK(img.data[0] == 0.0f && img.data[2048 * 2048 * 3 - 1] == 0.0f); /* zeroed though reused */
  dm_image_free(&img);

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
