/* State shared by the parts of dm_scene_build (scene.c, scene_guide.c). */
#ifndef DM_DEPTH_SCENE_INTERNAL_H
#define DM_DEPTH_SCENE_INTERNAL_H

#include "core/hash.h"
#include "depth/scene.h"

/* The networks' proxy: the photo's longer side brought down to this. */
#define DM_SCENE_PROXY_SIDE 1024

typedef struct dm_scene_build_state {
  const dm_scene_options *opt;
  const dm_image *work;     /* the photo, linear working space */
  const char *in_path;
  int orientation;
  const char *cache;        /* cache folder, NULL = off */
  unsigned char *file;      /* the whole file, for embedded depth */
  size_t file_len;
  dm_hash file_hash;
  dm_hash matte_key;        /* {0,0} unless the matte is ISNet's */
  int matte_cached;
  dm_image guide;           /* full size, sRGB-encoded [0, 1]; made on first need */
  dm_image proxy;           /* guide at <= DM_SCENE_PROXY_SIDE */
} dm_scene_build_state;

/* Make b->guide and b->proxy if they are not made yet. */
dm_status dm_scene_prepare_guide(dm_context *ctx, dm_scene_build_state *b);
void dm_scene_build_state_free(dm_scene_build_state *b);

#endif
