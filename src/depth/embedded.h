/* Depth and mattes a photo carries inside its own file (DESIGN section 3):
 *  - HEIF/HEIC/AVIF auxiliary images (libheif): depth (`urn:mpeg:hevc:2015:
 *    auxid:2`, `urn:mpeg:mpegB:cicp:systems:auxiliary:depth`) with its depth
 *    representation info or Apple's `apdi` XMP, and Apple's mattes
 *    (`urn:com:apple:photo:2018:aux:portraiteffectsmatte`,
 *    `urn:com:apple:photo:2019:aux:semantic{skin,hair,teeth}matte`);
 *  - JPEG with Google GDepth (XMP `GDepth:*`, data in Extended XMP);
 *  - JPEG with Android Dynamic Depth (XMP `Device:Container`, items
 *    appended after the primary image);
 *  - JPEG with Multi-Picture Format (CIPA DC-007) secondary images that
 *    carry Apple's auxiliary XMP (apdi: disparity, depth, the portrait
 *    effects matte and the semantic mattes), as iPhones write portraits.
 * Malformed embedded data never fails a scan: the item is listed with its
 * problem and is not used, so the caller falls back to the next source. */
#ifndef DM_DEPTH_EMBEDDED_H
#define DM_DEPTH_EMBEDDED_H

#include <stddef.h>

#include "depth/depth.h"

typedef enum dm_embedded_kind {
  DM_EMB_DEPTH = 0,          /* depth or disparity */
  DM_EMB_MATTE_PORTRAIT,     /* Apple portrait effects matte */
  DM_EMB_MATTE_SKIN,         /* Apple semantic mattes */
  DM_EMB_MATTE_HAIR,
  DM_EMB_MATTE_TEETH,
  DM_EMB_CONFIDENCE,         /* Dynamic Depth / GDepth confidence map */
  DM_EMB_OTHER,              /* an auxiliary image of a type we do not use */
  DM_EMB_KIND_COUNT
} dm_embedded_kind;

typedef enum dm_embedded_container {
  DM_EMB_HEIF_AUX = 0,       /* HEIF/AVIF auxiliary image */
  DM_EMB_GDEPTH,             /* JPEG, Google GDepth (Extended XMP) */
  DM_EMB_DYNAMIC_DEPTH,      /* JPEG, Android Dynamic Depth container */
  DM_EMB_MPF,                /* JPEG, Multi-Picture Format secondary image (Apple's depth and mattes) */
  DM_EMB_CONTAINER_COUNT
} dm_embedded_container;

typedef struct dm_embedded_item {
  dm_embedded_kind kind;
  dm_embedded_container container;
  char type[96];        /* aux type URN, "GDepth:Data", the Dynamic Depth item's semantic */
  char encoding[64];    /* "uniform disparity", "uniform inverse Z", "uniform Z", "RangeInverse",
                           "RangeLinear", "linear 8-bit matte", ... */
  char mime[32];        /* "image/png", "image/jpeg", "hevc", "av01" */
  int width, height;    /* 0 when unknown */
  int bits;             /* per sample, 0 when unknown */
  float near_m, far_m;  /* metric range when the metadata gives one, else 0 */
  size_t bytes;         /* size of the encoded data */
  int usable;           /* 1 = decodes; 0 = see problem */
  char problem[160];
} dm_embedded_item;

#define DM_EMBEDDED_MAX 16

typedef struct dm_embedded_list {
  int n;
  dm_embedded_item items[DM_EMBEDDED_MAX];
} dm_embedded_list;

const char *dm_embedded_kind_name(dm_embedded_kind k);
const char *dm_embedded_container_name(dm_embedded_container c);

/* List every embedded depth and matte of the file in `data` (the whole
 * file; `name` for messages). Items are decoded to check they are usable
 * (so sizes are known). Fails only on allocation failure; a file that
 * carries nothing gives n = 0. */
dm_status dm_embedded_scan(dm_context *ctx, const unsigned char *data, size_t len, const char *name,
                           dm_embedded_list *out);

/* The first usable embedded depth map (HEIF aux depth, then Dynamic Depth,
 * then GDepth, then MPF), normalised to near01 (0 = near, linear in disparity, metric
 * range kept when known), with EXIF `orientation` (1..8, as the decoder
 * applied it to the photo) applied, and resampled to width x height.
 * *found = 0 (and DM_OK) when the file has no usable depth; a problem with
 * an item is logged as a warning and the next one is tried. `desc` (may be
 * NULL) gets one line saying which item was used. */
dm_status dm_embedded_depth(dm_context *ctx, const unsigned char *data, size_t len, const char *name,
                            int orientation, int width, int height, dm_depth *out, int *found,
                            char *desc, size_t desc_len);

/* The same for a subject matte: Apple's portrait effects matte (1 =
 * subject), at width x height, values in [0, 1]. `out` is allocated here. */
dm_status dm_embedded_matte(dm_context *ctx, const unsigned char *data, size_t len, const char *name,
                            int orientation, int width, int height, dm_image *out, int *found,
                            char *desc, size_t desc_len);

#endif
