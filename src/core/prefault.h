/* A decoded image's pages faulted in on a second thread, ahead of the
 * decoder that fills it front to back.
 *
 * On our VMs, first touching pages the host has taken back costs up to
 * 2 ms per MB, on the thread that touches them: a 1920x1280 photo's float
 * image (29.5 MB) added 30-60 ms to a PNG decode that takes 55 ms, on one
 * thread while the other core waited. MADV_POPULATE_WRITE faults pages in
 * on a thread of its own, 2 MiB at a time from the front, without changing
 * a byte, so racing the decoder's own writes is harmless: the decoder, a
 * little behind, finds its pages ready. (Going on to fault in what the
 * lens blur takes next gained little: the image alone fills the decode's
 * time on these VMs.)
 *
 *   dm_prefault *pf = dm_prefault_image(ctx, &img);   (once allocated)
 *   ... decode into img ...
 *   dm_prefault_end(pf);   (before img can be freed; also after an error)
 *
 * dm_prefault_image gives NULL (nothing done) for an image under 4 MiB, a
 * context of one thread, or when no thread can be made; a kernel without
 * MADV_POPULATE_WRITE (before 5.14) makes it do nothing. Both take NULL. */
#ifndef DM_CORE_PREFAULT_H
#define DM_CORE_PREFAULT_H

#include "core/context.h"
#include "core/image.h"

typedef struct dm_prefault dm_prefault;

dm_prefault *dm_prefault_image(const dm_context *ctx, const dm_image *img);
/* Stops at the next 2 MiB (what the decoder reached first needs nothing)
 * and joins the thread. */
void dm_prefault_end(dm_prefault *pf);

/* Faults in the whole pages of [p, p + bytes) now, a share on each of ctx's
 * threads (MADV_POPULATE_WRITE, bytes unchanged), and waits. 0 when the
 * kernel refused a share (before 5.14): its pages then fault in on first
 * touch, as they would have without this call. */
int dm_populate(dm_context *ctx, void *p, size_t bytes);

#endif
