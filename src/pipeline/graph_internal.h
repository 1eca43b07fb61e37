/* The render graph's insides, shared by graph.c (photo, levels, scene),
 * graph_memo.c (stage memory), graph_keys.c (stage keys) and
 * graph_render.c (the render). */
#ifndef DM_GRAPH_INTERNAL_H
#define DM_GRAPH_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>

#include "core/hash.h"
#include "pipeline/graph.h"

#define DM_GRAPH_DRAFT_SIDE 1000
#define DM_GRAPH_PROXY_SIDE 1600

typedef enum memo_kind { MEMO_MASK = 1, MEMO_CORRECTION, MEMO_BLUR } memo_kind;

/* One stage's result: an image (a correction's or the blur's output, or a
 * mask: 1 or 2 planes) and, after a correction, the soft edge's layers as
 * that correction left them. */
typedef struct memo_entry {
  memo_kind kind;
  dm_hash key;
  dm_image img, img2;  /* img2: the B layer's mask of a correction on the layers */
  float *fg, *bg;      /* 3 x layers.n floats each, or NULL */
  size_t bytes;
  unsigned long used;  /* LRU clock */
} memo_entry;

typedef struct memo {
  memo_entry *e;
  int n, cap;
  size_t bytes, budget;
  unsigned long clock;
  /* The lens blur's geometry for the level's last depth, matte and blur
   * parameters (plan_key): a slider that moves only the image reuses it. */
  dm_lens_blur_plan *plan;
  dm_hash plan_key, plan_shape; /* plan_shape: key_blur_but_amount */
} memo;

typedef struct graph_level {
  dm_image photo;     /* linear working space, 3 channels */
  dm_scene scene;     /* the level's scene (FULL: the one built) */
  int has_scene;
  memo memo;
} graph_level;

struct dm_graph {
  dm_context *rctx;           /* renders: its pool, its cancel flag */
  pthread_mutex_t render_mu;  /* one render at a time */
  pthread_mutex_t state_mu;   /* progress, scene state, stats */
  atomic_uint supersede_ticket; /* the latest superseding render asked for */
  atomic_int supersede_running;

  int single_shot;
  dm_log_fn log;              /* the opener's, for the scene build's messages */
  void *log_user;
  char path[PATH_MAX];
  dm_metadata meta;
  int orientation;
  dm_scene_options so;        /* strings below are the graph's copies */
  char depth_path[PATH_MAX], matte_path[PATH_MAX], cache_dir[PATH_MAX];

  graph_level lv[DM_LEVEL_COUNT];
  int full_w, full_h;         /* the photo's size, also while the full level is released */
  int full_transient;         /* the full level can be read again without the networks */
  double full_used_ms;        /* when a full-size render or mask last used it (monotonic) */
  double used_ms;             /* when any render or mask last ran */
  int bytes_per_pixel;        /* for the decoder's memory check, at open and on reading again */
  /* What a region's lens blur reads from the full level's whole depth and
   * matte (graph_region.c); NULL until a region needs it after the full
   * scene was read. */
  dm_lens_blur_whole *full_depths;
  dm_hash file_hash;          /* the photo's bytes at open: read again only if unchanged */
  int scene_state;            /* 0 not built, 1 building, 2 ready, 3 failed */
  dm_status scene_status;
  dm_graph_progress progress;
  dm_graph_stats stats;
};

/* graph_memo.c */
void memo_init(memo *m, size_t budget);
void memo_free(memo *m);
/* The entry of `key` and `kind`, or NULL; a hit is marked as used. */
memo_entry *memo_find(memo *m, memo_kind kind, dm_hash key);
/* Take ownership of `e`'s buffers into the memo (evicting the least recently
 * used entries over the budget; an entry larger than the budget is not
 * kept and freed). */
void memo_put(memo *m, memo_entry *e);
void memo_entry_free(memo_entry *e);

/* graph.c: the full level's photo and scene back in memory after
 * dm_graph_release_full (the file decoded again, the scene from the disk
 * cache or its files); call with render_mu held. */
dm_status graph_ensure_full(dm_context *ctx, dm_graph *g);

/* graph_region.c: a region of the full level from a crop of it, with
 * render_mu held. Returns 0 (and renders nothing) when the recipe reads
 * what no crop holds: the caller renders the whole level. */
int graph_region(dm_context *ctx, dm_graph *g, const dm_recipe *r, const char *base_dir,
                 const dm_graph_view *v, dm_image *out, int *pending, dm_status *status);

/* graph_keys.c: what each stage reads, hashed. */
dm_hash key_photo(dm_graph_level level, int scene_ready, int before);
dm_hash key_correction(dm_hash upstream, const dm_correction *c, dm_hash masks);
dm_hash key_masks(dm_hash upstream, const dm_correction *c, int on_layers, const char *base_dir);
dm_hash key_blur(dm_hash upstream, const dm_recipe *r);
/* key_blur as if Amount were 0: equal for two recipes whose blurs differ
 * in Amount alone. */
dm_hash key_blur_but_amount(dm_hash upstream, const dm_recipe *r);

#endif
