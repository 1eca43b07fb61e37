/* The editor's page (web/), embedded in the binary at build time by
 * tools/embed_web.cmake: path ("/index.html"), bytes, length. The table
 * ends with a NULL path. */
#ifndef DM_WEB_ASSETS_H
#define DM_WEB_ASSETS_H

#include <stddef.h>

typedef struct dm_web_asset {
  const char *path;
  const unsigned char *data;
  size_t len;
} dm_web_asset;

extern const dm_web_asset dm_web_assets[];

#endif
