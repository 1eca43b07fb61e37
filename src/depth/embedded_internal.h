/* Internal to the embedded depth readers (embedded.c and the per-container
 * files): what a scan is asked to keep, the shared item bookkeeping, the
 * JPEG segment walk with Extended XMP reassembly (jpeg_xmp.c), and the XMP
 * readings of GDepth, Dynamic Depth and Apple's apdi (xmp_depth.c). */
#ifndef DM_EMBEDDED_INTERNAL_H
#define DM_EMBEDDED_INTERNAL_H

#include <libxml/tree.h>
#include <stddef.h>
#include <stdint.h>

#include "depth/embedded.h"

/* Depth maps and mattes are small next to the photo; this bounds what a
 * hostile header can make a decoder allocate. */
#define DM_EMB_MAX_PIXELS (64LL * 1000 * 1000)

/* What a scan keeps besides the list: the first usable item of `kind`,
 * normalised (depth: near01; mattes: [0, 1]) at the item's own size. With
 * want->active, items of other kinds are listed without being decoded. */
typedef struct dm_emb_want {
  int active;
  dm_embedded_kind kind;
  long long max_pixels;
  int found;
  dm_image plane;
  float near_m, far_m;
  char desc[256];
} dm_emb_want;

/* ---- embedded.c ------------------------------------------------------ */
/* The public calls with a pixel limit for decoded items (the fuzz target
 * passes a small one). */
dm_status dm_embedded_scan_ex(dm_context *ctx, const unsigned char *data, size_t len,
                              const char *name, long long max_pixels, dm_embedded_list *out);
dm_status dm_embedded_depth_ex(dm_context *ctx, const unsigned char *data, size_t len,
                               const char *name, long long max_pixels, int orientation, int width,
                               int height, dm_depth *out, int *found, char *desc, size_t desc_len);
dm_status dm_embedded_matte_ex(dm_context *ctx, const unsigned char *data, size_t len,
                               const char *name, long long max_pixels, int orientation, int width,
                               int height, dm_image *out, int *found, char *desc, size_t desc_len);
/* Shared bookkeeping. */
/* A new item at the end of the list (NULL when DM_EMBEDDED_MAX are listed). */
dm_embedded_item *dm_emb_add(dm_embedded_list *l, dm_embedded_kind kind, dm_embedded_container c,
                             const char *type);
/* Mark the item unusable with the reason, and log it as a warning. */
void dm_emb_problem(dm_context *ctx, const char *name, dm_embedded_item *it, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Decode an encoded image (PNG, JPEG...) into a 1-channel plane in [0, 1];
 * fills it->width/height/bits. A decoding problem marks the item and
 * returns DM_OK with plane->data NULL; only DM_ERR_NOMEM is returned. */
dm_status dm_emb_decode(dm_context *ctx, const char *name, const unsigned char *data, size_t len,
                        long long max_pixels, dm_embedded_item *it, dm_image *plane);
/* GDepth/Dynamic Depth ranges: stored v in [0, 1] -> near01, in place.
 * RangeInverse is linear in 1/d already (near01 = v); RangeLinear is
 * d = near + v (far - near). */
void dm_emb_range_to_near01(dm_image *p, int linear, float near_m, float far_m);
/* Hand a decoded plane to `want` if it asks for this kind and has none yet
 * (the plane is then owned by want), else free it. */
void dm_emb_offer(dm_emb_want *want, const dm_embedded_item *it, dm_image *plane, float near_m,
                  float far_m);
/* Does the scan decode items of this kind? */
int dm_emb_wants_decode(const dm_emb_want *want, dm_embedded_kind kind);

/* ---- jpeg_xmp.c ------------------------------------------------------ */
typedef struct dm_xmp_chunk {
  size_t at;        /* file offset of the chunk's data */
  size_t len;
  char guid[33];
  uint32_t full, offset;
} dm_xmp_chunk;

typedef struct dm_jpeg_info {
  const unsigned char *xmp; /* first standard XMP packet (inside the file), NULL if none */
  size_t xmp_len;
  size_t primary_end;       /* bytes of the primary image through its EOI; 0 if not found */
  const unsigned char *mpf; /* the first APP2 "MPF\0" segment's MP header (inside the file), NULL if none */
  size_t mpf_len;
  int n_chunks, cap_chunks;
  dm_xmp_chunk *chunks;     /* Extended XMP chunks in file order */
} dm_jpeg_info;

/* Walk the segments of a JPEG. Returns DM_ERR_NOMEM only; a broken stream
 * leaves what was found before the break. */
dm_status dm_jpeg_info_read(dm_context *ctx, const unsigned char *data, size_t len, const char *name,
                            dm_jpeg_info *out);
void dm_jpeg_info_free(dm_jpeg_info *j);
/* Reassemble the Extended XMP of `guid` (32 hex digits) from the chunks.
 * *out is malloc'd (NUL-terminated); on a problem *out = NULL and
 * `problem` says why. Returns DM_ERR_NOMEM only. */
dm_status dm_jpeg_extended_xmp(dm_context *ctx, const unsigned char *data, const dm_jpeg_info *j,
                               const char *guid, char **out, size_t *out_len, char *problem,
                               size_t problem_len);

/* ---- xmp_depth.c ----------------------------------------------------- */
#define DM_NS_XMPNOTE "http://ns.adobe.com/xmp/note/"
#define DM_NS_GDEPTH "http://ns.google.com/photos/1.0/depthmap/"
#define DM_NS_DD_DEVICE "http://ns.google.com/photos/dd/1.0/device/"
#define DM_NS_DD_CONTAINER "http://ns.google.com/photos/dd/1.0/container/"
#define DM_NS_DD_ITEM "http://ns.google.com/photos/dd/1.0/item/"
#define DM_NS_DD_CAMERA "http://ns.google.com/photos/dd/1.0/camera/"
#define DM_NS_DD_DEPTHMAP "http://ns.google.com/photos/dd/1.0/depthmap/"
#define DM_NS_APDI "http://ns.apple.com/pixeldatainfo/1.0/"

/* Parse an XMP packet (hardened: no DTD, no entities, no network). On
 * broken XML *doc = NULL and `problem` says why. DM_ERR_NOMEM only. */
dm_status dm_xmp_parse(dm_context *ctx, const char *buf, size_t len, const char *name,
                       xmlDocPtr *doc, char *problem, size_t problem_len);
/* The first value of ns:local on any resource of the packet (attribute or
 * simple element), malloc'd and trimmed; NULL if absent or not simple. */
char *dm_xmp_get(xmlDocPtr doc, const char *ns, const char *local);
/* The same in a given resource node (its rdf:Description or itself). */
char *dm_xmp_get_in(xmlNodePtr n, const char *ns, const char *local);
/* A finite number: 1 = read, 0 = absent, -1 = present but not a number. */
int dm_xmp_number(const char *text, double *out);

typedef struct dm_gdepth_meta {
  char format[32], mime[32], units[16], conf_mime[32];
  char *near_text, *far_text;  /* malloc'd, may be NULL */
  char *data, *confidence;     /* base64 (malloc'd), may be NULL */
} dm_gdepth_meta;
/* GDepth properties from the main packet and the extended one (either may
 * be NULL). 0 when the packet has no GDepth at all. */
int dm_gdepth_meta_read(xmlDocPtr main, xmlDocPtr ext, dm_gdepth_meta *m);
void dm_gdepth_meta_free(dm_gdepth_meta *m);

#define DM_DD_MAX_ITEMS 32
typedef struct dm_dd_item {
  char mime[32], semantic[32], uri[128];
  char *length_text, *padding_text; /* malloc'd, may be NULL */
} dm_dd_item;
typedef struct dm_dd_depthmap {
  char format[32], units[16], measure[32], depth_uri[128], conf_uri[128];
  char *near_text, *far_text;
} dm_dd_depthmap;
typedef struct dm_dd_meta {
  int n_items, n_maps, too_many;
  dm_dd_item items[DM_DD_MAX_ITEMS];
  dm_dd_depthmap maps[4];
} dm_dd_meta;
/* Dynamic Depth container directory and depth maps; 0 when the packet has
 * no Device:Container. */
int dm_dd_meta_read(xmlDocPtr doc, dm_dd_meta *m);
void dm_dd_meta_free(dm_dd_meta *m);

/* Apple's pixel data info on a HEIF depth image or an MPF secondary image. */
typedef struct dm_apdi_meta {
  int present;
  char aux_type[96];   /* apdi:AuxiliaryImageType: "disparity", "depth", a matte's URN */
  char aux_subtype[96]; /* apdi:AuxiliaryImageSubType ("portraiteffectsmatte" on iOS 12 JPEGs) */
  long native_format;  /* apdi:NativeFormat, a four-char code ('hdis', 'fdep'...), 0 unknown */
  int has_range;
  double float_min, float_max;
} dm_apdi_meta;
void dm_apdi_meta_read(xmlDocPtr doc, dm_apdi_meta *m);
/* A decoded depth plane (stored v in [0, 1]) -> near01, in place: Z with a
 * metric range through dm_emb_range_to_near01, disparity as 1 - v, Z with
 * no range left as it is (v grows with distance); the range into `it`. */
void dm_emb_to_near01(dm_embedded_item *it, dm_image *p, int is_z, double zn, double zf);
/* ---- embedded.c: Apple's readings ---------------------------------------- */
/* A decoded apdi depth or disparity plane (stored v in [0, 1]) -> near01, in
 * place; names the encoding and the metric range (FloatMin/MaxValue) in it. */
void dm_apdi_to_near01(const dm_apdi_meta *a, dm_embedded_item *it, dm_image *p);
/* What an apdi image is: depth (disparity or depth), a matte by its type or
 * subtype, else DM_EMB_OTHER. */
dm_embedded_kind dm_apdi_kind(const dm_apdi_meta *a);

/* ---- base64 (gdepth.c) ----------------------------------------------- */
/* Strict standard base64 (whitespace skipped, '=' padding only at the end).
 * 1 and *out malloc'd; 0 with `problem` on bad input; -1 on OOM. */
int dm_base64_decode(const char *text, unsigned char **out, size_t *out_len, char *problem,
                     size_t problem_len);

/* ---- per container ---------------------------------------------------- */
dm_status dm_heif_collect(dm_context *ctx, const unsigned char *data, size_t len, const char *name,
                          dm_embedded_list *list, dm_emb_want *want);
dm_status dm_gdepth_collect(dm_context *ctx, const unsigned char *data, const dm_jpeg_info *j,
                            xmlDocPtr main, const char *name, dm_embedded_list *list,
                            dm_emb_want *want);
dm_status dm_dd_collect(dm_context *ctx, const unsigned char *data, size_t len,
                        const dm_jpeg_info *j, xmlDocPtr main, const char *name,
                        dm_embedded_list *list, dm_emb_want *want);
dm_status dm_mpf_collect(dm_context *ctx, const unsigned char *data, size_t len,
                         const dm_jpeg_info *j, const char *name, dm_embedded_list *list,
                         dm_emb_want *want);

/* ---- mpf.c: the MP Index IFD ------------------------------------------ */
#define DM_MPF_MAX_IMAGES 16
typedef struct dm_mpf_entry {
  uint32_t attribute;      /* flags, format and type (0x030000: the baseline primary image) */
  uint32_t size;           /* bytes */
  uint32_t offset;         /* from the MP header (0 for the first image, which is the file) */
} dm_mpf_entry;
/* The MP entries of an MP header (the APP2 segment after "MPF\0": a TIFF
 * header and the MP Index IFD), at most `max`. Returns how many, or -1
 * with `problem` saying why. Reads nothing outside mp[0, len). */
int dm_mpf_index(const unsigned char *mp, size_t len, dm_mpf_entry *out, int max, char *problem,
                 size_t problem_len);

#endif
