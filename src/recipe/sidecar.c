/* Which sidecar belongs to a photo (DESIGN section 6).
 *
 * A RAW photo.cr2 has Lightroom's photo.xmp; every other file photo.jpg has
 * darktable's photo.jpg.xmp, so a RAW+JPEG pair never shares one. A legacy
 * photo.xmp beside a non-RAW file (what depthmask wrote before, or another
 * tool) is read only when no RAW of that base name lies beside it and it
 * names no other file; it is never renamed and never rewritten for the
 * non-RAW. A sidecar records its photo (dm:SourceFile, dm:SourceHash); one
 * that names another file is not used. RAW is told by the extension, as
 * Lightroom and darktable tell it. */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "recipe/recipe_internal.h"

/* Camera RAW extensions LibRaw reads (DNG included: Lightroom gives a DNG
 * without embedded settings a NAME.xmp). */
static const char *const raw_ext[] = {
    "3fr", "ari", "arw", "bay", "cr2", "cr3", "crw", "dcr", "dcs", "dng", "erf", "fff", "iiq",
    "k25", "kdc", "mdc", "mef", "mos", "mrw", "nef", "nrw", "orf", "ori", "pef", "raf", "raw",
    "rw2", "rwl", "sr2", "srf", "srw", "x3f", NULL};

static const char *base_name(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

/* The extension of the file name (after the last dot, not a leading one), or NULL. */
static const char *extension(const char *path) {
  const char *base = base_name(path);
  const char *dot = strrchr(base, '.');
  return dot && dot != base && dot[1] ? dot + 1 : NULL;
}

int dm_is_raw_name(const char *path) {
  const char *ext = extension(path);
  for (int i = 0; ext && raw_ext[i]; i++)
    if (!strcasecmp(ext, raw_ext[i])) return 1;
  return 0;
}

/* photo.ext -> photo.xmp (the last extension replaced). */
static void legacy_path(const char *image_path, char *out, size_t out_len) {
  const char *ext = extension(image_path);
  size_t stem = ext ? (size_t)(ext - 1 - image_path) : strlen(image_path);
  int n = snprintf(out, out_len, "%.*s.xmp", (int)stem, image_path);
  if (n < 0 || (size_t)n >= out_len) out[0] = 0;
}

void dm_sidecar_path(const char *image_path, char *out, size_t out_len) {
  if (!out || !out_len) return;
  if (dm_is_raw_name(image_path) || !extension(image_path)) {
    legacy_path(image_path, out, out_len);
    return;
  }
  int n = snprintf(out, out_len, "%s.xmp", image_path);
  if (n < 0 || (size_t)n >= out_len) out[0] = 0;
}

/* Is there a RAW file with the photo's base name beside it? */
static int raw_sibling(const char *image_path) {
  char dir[4096];
  const char *base = base_name(image_path);
  const char *ext = extension(image_path);
  size_t stem = ext ? (size_t)(ext - 1 - base) : strlen(base);
  if (base == image_path) snprintf(dir, sizeof dir, ".");
  else snprintf(dir, sizeof dir, "%.*s", (int)(base - image_path), image_path);
  DIR *d = opendir(dir);
  if (!d) return 0;
  int found = 0;
  struct dirent *e;
  while (!found && (e = readdir(d)))
    found = !strncmp(e->d_name, base, stem) && e->d_name[stem] == '.' &&
            strcmp(e->d_name, base) != 0 && dm_is_raw_name(e->d_name) &&
            !strchr(e->d_name + stem + 1, '.');
  closedir(d);
  return found;
}

static int exists(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0;
}

int dm_sidecar_find(const char *image_path, char *out, size_t out_len, int *legacy) {
  *legacy = 0;
  dm_sidecar_path(image_path, out, out_len);
  if (!out[0]) return 0;
  if (exists(out)) return 1;
  if (dm_is_raw_name(image_path) || !extension(image_path)) return 0;
  char old[4096];
  legacy_path(image_path, old, sizeof old);
  if (!old[0] || !exists(old) || raw_sibling(image_path)) return 0;
  if (snprintf(out, out_len, "%s", old) >= (int)out_len) return 0;
  *legacy = 1;
  return 1;
}

const char *dm_sidecar_other_owner(const dm_recipe *r, const char *image_path,
                                   const char *image_hash) {
  const char *base = base_name(image_path);
  const dm_recipe_photo *p = &r->photo;
  if (p->source_file[0] && strcmp(p->source_file, base)) {
    /* Renamed with its photo: the content still matches. */
    if (image_hash && p->source_hash[0] && !strcmp(p->source_hash, image_hash)) return NULL;
    return p->source_file;
  }
  /* Lightroom names the RAW a sidecar belongs to. */
  if (!p->source_file[0] && p->raw_file_name[0] && strcasecmp(p->raw_file_name, base))
    return p->raw_file_name;
  return NULL;
}
