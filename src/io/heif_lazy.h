/* libheif, loaded the first time a file needs it (dlopen), not at start-up.
 *
 * Linked normally, libheif and the codecs it pulls in (libde265, x265,
 * dav1d, aom) cost every depthmask process ~50 ms before main() on our VMs
 * (an empty program linked with libheif: 50-60 ms; without: 3 ms), a fifth
 * of a whole lens-blur render of a 2.4 MP PNG, for the few photos that are
 * HEIC. heif_lazy.c defines the libheif functions depthmask calls, each
 * forwarding to the library once loaded; callers use libheif's own API and
 * start with dm_heif_context_new. DEPTHMASK_LIBHEIF names another build of
 * the library to load (default: the soname the build found). */
#ifndef DM_HEIF_LAZY_H
#define DM_HEIF_LAZY_H

#include <libheif/heif.h>

#include "core/context.h"

/* A libheif context limited to DM_MAX_DIM per side, or one line naming
 * `name` and why not (libheif cannot be loaded, out of memory). */
dm_status dm_heif_context_new(dm_context *ctx, const char *name, struct heif_context **out);

/* NULL once libheif is loaded, else why it cannot be (dlerror's text). */
const char *dm_heif_unavailable(void);

#endif
