/* The render graph of one open photo: what the editor (and the batch
 * runner) holds between renders so that a slider move re-runs only what it
 * changes (DESIGN section 2, issue 14).
 *
 *   decode -> working space -> scene (depth, matte, confidence, layers)
 *          -> per correction: mask, then adjustments -> lens blur -> output
 *
 * The photo is decoded and brought to the working space once, at full
 * size, and shrunk once to the preview proxy (long side `proxy`, default
 * 1600) and the draft (long side 1000). The scene is built once at full
 * size (networks, disk cache) and brought down to each level. Each level
 * keeps the results of its stages in memory, keyed by a hash of the
 * stage's parameters and of exactly what it reads (graph_keys.c): a
 * correction's mask that reads the image as the corrections before it left
 * it has that image's key in its own; one that does not (subject,
 * gradients, brush, an unrefined depth range) is reused when an earlier
 * correction changes.
 *
 * Thread safety: every function may be called from any thread; renders of
 * one graph run one at a time (a mutex), and a render asked for with
 * `supersede` cancels the superseding-kind render still running (latest
 * wins; it returns DM_ERR_CANCELLED). The graph owns its own contexts for
 * renders and for the scene's build (threads: opt->threads), which log
 * through the opener's log callback; `ctx` arguments receive errors. */
#ifndef DM_GRAPH_H
#define DM_GRAPH_H

#include "pipeline/render.h"

typedef struct dm_graph dm_graph;

typedef struct dm_graph_options {
  dm_scene_options scene; /* where depth and matte come from (as for render) */
  int proxy;              /* preview proxy's long side; 0 = 1600 */
  int threads;            /* render threads; 0 = every core */
  /* One render at full size and no more (render, mask, batch): no proxy or
   * draft, no stage memory, and the render takes the photo and the scene's
   * matte to work in rather than copying them, so a 24 MP render holds one
   * image; the caller checks the recipe (dm_recipe_check_rendered) first. */
  int single_shot;
  int bytes_per_pixel;    /* what the caller's job holds per pixel, for the decoder's memory
                             check (dm_check_memory); 0 = an editor's graph (48) */
} dm_graph_options;

/* Decode `path` and bring it to the working space; make the proxy and the
 * draft. The scene is not built here (dm_graph_build_scene). Errors name
 * the file. */
dm_status dm_graph_open(dm_context *ctx, const char *path, const dm_graph_options *opt,
                        dm_graph **out);
void dm_graph_free(dm_graph *g);

/* The photo's full size, upright. */
void dm_graph_size(const dm_graph *g, int *width, int *height);
/* Its EXIF orientation as decoded, its metadata (EXIF for exports). */
const dm_metadata *dm_graph_metadata(const dm_graph *g);

/* Build the scene (depth and matte from the disk cache or the networks)
 * with what any recipe may need; blocking, meant for a worker thread. Safe
 * to call again (returns at once once built, or the same error). */
dm_status dm_graph_build_scene(dm_context *ctx, dm_graph *g);

typedef struct dm_graph_progress {
  char stage[48];   /* "decode", "depth and matte", "ready", "failed" */
  float fraction;   /* 0..1 of the scene's build */
  int ready;        /* the scene is built */
  int failed;       /* the build failed: `error` says why */
  char error[512];
} dm_graph_progress;
void dm_graph_progress_get(dm_graph *g, dm_graph_progress *out);

typedef enum dm_graph_level {
  DM_LEVEL_PROXY = 0, /* long side dm_graph_options.proxy */
  DM_LEVEL_DRAFT,     /* long side 1000: while a slider moves */
  DM_LEVEL_FULL,      /* the photo's size (exports, regions) */
  DM_LEVEL_COUNT
} dm_graph_level;

/* A level's size. */
void dm_graph_level_size(const dm_graph *g, dm_graph_level level, int *width, int *height);

/* Free every level's stage memory, and the full-size photo and scene
 * (about 24 bytes a pixel) when they can be had again without the networks
 * (the depth and matte come from the disk cache or from files): the editor
 * holds only its previews' levels between full-size renders, and gives the
 * memory to an export. The next render runs its stages again; the next
 * full-size render or mask reads the full level again. Done once the scene
 * is built. */
void dm_graph_release_full(dm_graph *g);

/* Free the full-size photo and scene (not the stage memory) when no
 * full-size render or mask has used them for `idle_ms` and they can be had
 * again without the networks: what a loupe left behind goes back once the
 * retoucher moves on. Never waits for a render (a busy graph is left as it
 * is). Returns 1 when it freed them. */
int dm_graph_release_idle(dm_graph *g, long idle_ms);

/* Free every level's stage memory (results kept by key, the lens blur's
 * plans) when the graph has rendered nothing for `idle_ms`: a photo of a
 * folder the retoucher has moved on from keeps its previews' photo and
 * scene (tens of MB), not hundreds of MB of results. Never waits for a
 * render. Returns 1 when it freed something. */
int dm_graph_release_stages_idle(dm_graph *g, long idle_ms);

/* The scene at a level (NULL until built, and at the full level while it
 * is released); valid until the next dm_graph_release_full or
 * dm_graph_free. */
const dm_scene *dm_graph_scene(dm_graph *g, dm_graph_level level);
/* The photo at a level, linear working space, 3 channels (empty at the
 * full level while it is released). */
const dm_image *dm_graph_photo(const dm_graph *g, dm_graph_level level);

typedef struct dm_graph_view {
  dm_graph_level level;
  int before;       /* the photo with no correction and no blur */
  int supersede;    /* cancel the previous superseding render (slider previews) */
  /* A rectangle in the level's pixels, w = 0 for the whole level; a region
   * is rendered with the lens blur's margin and equals the same rectangle
   * of the whole render. */
  int x, y, w, h;
} dm_graph_view;

/* Render `r` for `v` into `out` (allocated here, caller frees): linear
 * working space, 3 channels. Stages whose keys are unchanged come from the
 * level's memory. Until the scene is built, what needs it (masks reading
 * depth or matte, the lens blur) is left out and *scene_pending (may be
 * NULL) is set to 1; else 0. A recipe holding a mask component that cannot
 * be rendered is refused as render refuses it (dm_recipe_check_rendered).
 * base_dir resolves `file` masks. DM_ERR_CANCELLED when superseded. */
dm_status dm_graph_render(dm_context *ctx, dm_graph *g, const dm_recipe *r, const char *base_dir,
                          const dm_graph_view *v, dm_image *out, int *scene_pending);

/* Correction `index`'s combined mask at `level` (1 channel, allocated
 * here), as the render applies it: computed on the photo as the
 * corrections before it leave it (from the level's memory where it can). */
dm_status dm_graph_mask(dm_context *ctx, dm_graph *g, const dm_recipe *r, const char *base_dir,
                        dm_graph_level level, int index, dm_image *out);

/* A working-space image as an sRGB JPEG with its profile embedded, in
 * memory (malloc'ed, caller frees): what previews are sent as. */
dm_status dm_graph_jpeg(dm_context *ctx, const dm_image *linear, int quality, unsigned char **jpg,
                        size_t *len);

/* How many stage results each level holds and how many renders took each
 * stage from memory, for tests: stage names "mask", "correction", "blur". */
typedef struct dm_graph_stats {
  long masks_run, masks_reused;
  long corrections_run, corrections_reused;
  long blurs_run, blurs_reused;
  long blurs_scaled; /* drafts whose blur scaled its plan's radii to a new Amount */
  long long bytes; /* held by the stage memory of every level */
} dm_graph_stats;
void dm_graph_stats_get(dm_graph *g, dm_graph_stats *out);

#endif
