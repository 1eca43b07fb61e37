/* core/prefault: an image's pages are faulted in on a second thread (all of
 * them resident soon after the start, fresh ones included), never changing
 * a byte, whether the image already holds pixels or a writer fills it at the
 * same time; nothing is started for a small image or a one-thread context.
 * dm_populate faults in a whole range on every thread of a context, at
 * once, bytes unchanged, with its ends anywhere in a page. */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "core/bigmem.h"
#include "core/prefault.h"
#include "dm_test.h"

/* Pages of [p, p + n) in core (anonymous memory: faulted in). */
static size_t resident_pages(const void *p, size_t n, size_t *total) {
  const uintptr_t a = (uintptr_t)p & ~(uintptr_t)4095;
  const size_t len = (uintptr_t)p + n - a, pages = (len + 4095) / 4096;
  unsigned char *v = malloc(pages);
  size_t in = 0;
  if (v && mincore((void *)a, len, v) == 0)
    for (size_t i = 0; i < pages; i++) in += v[i] & 1;
  free(v);
  *total = pages;
  return in;
}

static int kernel_populates(void) {
#ifdef MADV_POPULATE_WRITE
  void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  int ok = m != MAP_FAILED && madvise(m, 4096, MADV_POPULATE_WRITE) == 0;
  if (m != MAP_FAILED) munmap(m, 4096);
  return ok;
#else
  return 0;
#endif
}

/* every byte of most values set: a thread writing any byte shows */
static float pattern(size_t i) { return (float)(i % 9973) * (1.0f / 3.0f) + 0.1f; }

static int holds_pattern(const dm_image *img) {
  const size_t n = (size_t)img->width * img->height * 3;
  for (size_t i = 0; i < n; i++)
    if (img->data[i] != pattern(i)) return 0;
  return 1;
}

int main(void) {
  dm_context *two = dm_context_new(2), *one = dm_context_new(1);
  CHECK(two && one);
  dm_image small = {0}, img = {0};

  /* nothing to do: one thread, or an image under 4 MiB */
  CHECK_OK(two, dm_image_alloc(two, &small, 256, 256, 3));
  CHECK(dm_prefault_image(two, &small) == NULL);
  dm_image_free(&small);
  CHECK_OK(one, dm_image_alloc(one, &img, 2048, 2048, 3)); /* 48 MiB */
  CHECK(dm_prefault_image(one, &img) == NULL);
  dm_image_free(&img);
  dm_prefault_end(NULL);

  /* fresh pages, left alone: the thread faults every one of them in */
  dm_big_trim();
  CHECK_OK(two, dm_image_alloc(two, &img, 2048, 2048, 3));
  const size_t bytes = sizeof(float) * img.stride * (size_t)img.height;
  size_t total = 0, before = resident_pages(img.data, bytes, &total), now = before;
  dm_prefault *pf = dm_prefault_image(two, &img);
  CHECK(pf != NULL);
  if (kernel_populates()) {
    CHECK(before < total / 2); /* or this proves nothing */
    for (int i = 0; i < 400 && now < total; i++) { /* 4 s at most */
      nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
      now = resident_pages(img.data, bytes, &total);
    }
    CHECK(now == total);
    if (now != total) fprintf(stderr, "%zu of %zu pages resident\n", now, total);
  } else {
    fprintf(stderr, "note: this kernel has no MADV_POPULATE_WRITE: prefaulting does nothing\n");
  }
  dm_prefault_end(pf);

  /* pixels already there are kept */
  const size_t n = (size_t)img.width * img.height * 3;
  for (size_t i = 0; i < n; i++) img.data[i] = pattern(i);
  pf = dm_prefault_image(two, &img);
  nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
  dm_prefault_end(pf);
  CHECK(holds_pattern(&img));
  dm_image_free(&img);

  /* a writer filling fresh pages front to back while the thread runs */
  for (int round = 0; round < 3; round++) {
    dm_big_trim();
    CHECK_OK(two, dm_image_alloc(two, &img, 2048, 2048, 3));
    pf = dm_prefault_image(two, &img);
    for (size_t i = 0; i < n; i++) img.data[i] = pattern(i);
    dm_prefault_end(pf);
    CHECK(holds_pattern(&img));
    dm_image_free(&img);
  }

  /* dm_populate: every page of a fresh range, on one thread or two, the
   * ends inside pages; what a range already holds is kept */
  for (int t = 0; t < 2; t++) {
    dm_context *ctx = t ? two : one;
    const size_t len = (size_t)37 << 20;
    char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED);
    if (m == MAP_FAILED) break;
    char *p = m + 1000;
    const size_t span = len - 5000;
    size_t pages = 0, in = resident_pages(p, span, &pages);
    CHECK(in < pages / 2);
    memcpy(p + 3, "kept", 4);
    const int ok = dm_populate(ctx, p, span);
    CHECK(ok == kernel_populates());
    in = resident_pages(p + 4096 - 1000, span - 2 * 4096, &pages); /* the whole pages inside */
    if (ok) CHECK(in == pages);
    if (ok && in != pages) fprintf(stderr, "dm_populate, %d thread(s): %zu of %zu pages\n", t + 1, in, pages);
    CHECK(!memcmp(p + 3, "kept", 4));
    int zero = 1;
    for (size_t i = 4096; i < span; i += 4096) zero &= p[i] == 0;
    CHECK(zero);
    munmap(m, len);
  }

  dm_context_free(two);
  dm_context_free(one);
  return dm_test_done("core/prefault");
}
