/* Large buffers (images, the lens blur's planes): 2 MiB aligned, advised for
 * transparent huge pages, and kept when freed for the next request of the
 * same size.
 *
 * A 24 MP render allocates and frees dozens of 96-288 MB planes; glibc maps
 * each afresh and the kernel zeroes every page again (a quarter of a render's
 * CPU time, measured with perf at 24 MP). Freed buffers therefore wait in a
 * pool and a request takes part of one back. The pool never raises the peak:
 * a request that no pooled range holds gets the pooled ranges' pages moved
 * into one (page tables only) and fresh pages only for what they lack, so
 * pooled plus live memory never exceeds the most that was ever live at once,
 * and a batch's later photos fault in no new pages unless they need more.
 * Thread-safe. */
#ifndef DM_BIGMEM_H
#define DM_BIGMEM_H

#include <stddef.h>

/* `bytes` of uninitialised memory (malloc below the large-buffer size), or NULL. */
void *dm_big_alloc(size_t bytes);
/* The same, zero-filled (fresh pages are not written twice). */
void *dm_big_calloc(size_t bytes);
/* Frees what dm_big_alloc or dm_big_calloc returned (NULL is fine). */
void dm_big_free(void *p);
/* Releases every pooled buffer (tests; a long-lived process going idle). */
void dm_big_trim(void);
/* Pooled bytes now (tests). */
size_t dm_big_pooled(void);

#endif
