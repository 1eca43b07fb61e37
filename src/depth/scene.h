/* A photo's scene: its depth (near01, full resolution), subject matte and
 * depth confidence, from the sources DESIGN section 3 orders, cached on disk.
 * The render, mask, depth and info commands (and later the editor and
 * batch) all get their depth here. */
#ifndef DM_DEPTH_SCENE_H
#define DM_DEPTH_SCENE_H

#include "depth/depth.h"
#include "matte/matte.h"

typedef enum dm_depth_mode {
  DM_DEPTH_MODE_AUTO = 0, /* file if given, else embedded, else the networks */
  DM_DEPTH_MODE_AI,       /* the networks, even when the file carries depth */
  DM_DEPTH_MODE_EMBEDDED, /* embedded only; a file without it is an error */
  DM_DEPTH_MODE_FILE,     /* --depth FILE */
  DM_DEPTH_MODE_NONE      /* no depth at all (commands that do not need it) */
} dm_depth_mode;

typedef enum dm_matte_mode {
  DM_MATTE_MODE_AUTO = 0, /* embedded portrait matte, else ISNet */
  DM_MATTE_MODE_NONE,
  DM_MATTE_MODE_FILE      /* --matte FILE */
} dm_matte_mode;

typedef struct dm_scene_options {
  dm_depth_mode depth_mode;
  dm_depth_file_spec depth_file; /* DM_DEPTH_MODE_FILE */
  dm_matte_mode matte_mode;
  const char *matte_path;        /* DM_MATTE_MODE_FILE */
  struct dm_io_prefetch *matte_prefetch; /* optional: that file decoding ahead (io/prefetch.h) */
  const char *cache_dir;         /* NULL = dm_cache_default_dir, "" = no cache */
  long long cache_cap_bytes;     /* 0 = DM_CACHE_DEFAULT_CAP */
  int lookup_only;               /* never run the networks: what is not cached stays empty */
} dm_scene_options;

typedef struct dm_scene {
  dm_depth depth;          /* near01 at the photo's size */
  dm_image matte;          /* photo size; data NULL with --matte none */
  dm_image confidence;     /* photo size, 1 = depth separates; data NULL when
                              the depth came from a file or the phone */
  char depth_source[160];  /* one line for `info` and logs */
  dm_depth_mode depth_used; /* where the depth came from: FILE, EMBEDDED, AI (the networks);
                               NONE when there is none */
  char models[400];        /* "id sha256" of each network the depth or matte came from,
                              "; "-joined ("" when none ran or was looked up) */
  const char *fusion_version; /* of the fused network depth, NULL otherwise */
  const char *matte_used;  /* "none", "file", "embedded" or "network" (NULL: not built) */
  char matte_source[160];
  int cached;              /* 1 when depth and matte came from the cache */
  float ambiguous;         /* share of the subject's outline with confidence < 0.5 */
  dm_matte_layers layers;  /* F and B of the matte's soft pixels (empty without a matte) */
} dm_scene;

/* Build the scene of the photo at `in_path`, whose decoded, upright,
 * working-space (linear) pixels are `work` (EXIF `orientation` as the
 * decoder applied it). An automatic matte (network, phone) is then checked
 * against the photo's colours and cleaned (dm_matte_from_colour; a matte
 * file is used as given), and the layers of its soft pixels estimated. */
dm_status dm_scene_build(dm_context *ctx, const char *in_path, const dm_image *work, int orientation,
                         const dm_scene_options *opt, dm_scene *out);
void dm_scene_free(dm_scene *s);

/* The one sentence of advice on the scene's confidence, the same wherever
 * it is shown (`depth`, `info`, `mask`, the editor's state): when more than
 * DM_SCENE_AMBIGUOUS of the subject's outline meets surroundings at its own
 * depth (dm_scene_ambiguous), a Depth Range mask cannot separate it there
 * and Subject can. Returns 0 (and out = "") when there is nothing to
 * advise. */
#define DM_SCENE_AMBIGUOUS 0.2f
int dm_scene_advice(const dm_scene *s, char *out, size_t len);

/* The share of the subject's outline (matte >= 0.5 with a 4-neighbour
 * below 0.5; the frame's edge is no outline) whose confidence is below
 * 0.5; dm_scene_build stores it in `ambiguous`. */
float dm_scene_ambiguous(dm_context *ctx, const dm_scene *s);

/* The Depth Range that holds the subject (its matte's 5th..95th depth
 * percentiles, 0 = near .. 100 = far), and the one that selects everything
 * behind it (from just past its 95th percentile to 100). 0 without a matte
 * or depth. */
int dm_scene_subject_ranges(const dm_scene *s, float subject[2], float behind[2]);

#endif
