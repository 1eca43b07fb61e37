/* An lcms2 context per call, so that nothing in lcms2 is process-wide.
 *
 * Errors: lcms2's default error handler is global, so each context gets its
 * own handler that copies the message into the dm_cms the context was
 * created for. Messages are prefixed "lcms2: " since their wording is its.
 *
 * Memory: lcms2 sizes some allocations from counts in the profile before
 * checking them against the tag's size (a 364-byte profile can claim a
 * 200 MB description), so each context gets a memory handler that refuses
 * single blocks over DM_CMS_MAX_BLOCK and more than DM_CMS_MAX_TOTAL live
 * at once. lcms2 then fails the tag read cleanly. No real profile comes
 * near these limits: a 33-point RGB CLUT in float is 0.4 MB. */
#include <lcms2_plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "color/color_internal.h"

#define DM_CMS_MAX_BLOCK ((size_t)32 << 20)
#define DM_CMS_MAX_TOTAL ((size_t)256 << 20)
/* Each block is preceded by its size, padded to keep malloc's alignment. */
#define HEADER 16

static void on_lcms_error(cmsContext id, cmsUInt32Number code, const char *text) {
  (void)code;
  dm_cms *cms = cmsGetContextUserData(id);
  if (!cms || cms->msg[0] || !text) return; /* keep the first, most specific one */
  snprintf(cms->msg, sizeof cms->msg, "lcms2: %s", text);
  /* lcms2 messages sometimes end in a newline or carry several lines. */
  for (char *p = cms->msg; *p; p++)
    if (*p == '\n' || *p == '\r') *p = ' ';
  size_t n = strlen(cms->msg);
  while (n && (cms->msg[n - 1] == ' ' || cms->msg[n - 1] == '.')) cms->msg[--n] = 0;
}

static void *mem_malloc(cmsContext id, cmsUInt32Number size) {
  dm_cms *cms = cmsGetContextUserData(id);
  if (size > DM_CMS_MAX_BLOCK) return NULL;
  if (cms && atomic_fetch_add(&cms->allocated, size) + size > DM_CMS_MAX_TOTAL) {
    atomic_fetch_sub(&cms->allocated, size);
    return NULL;
  }
  unsigned char *p = malloc((size_t)size + HEADER);
  if (!p) {
    if (cms) atomic_fetch_sub(&cms->allocated, size);
    return NULL;
  }
  size_t n = size;
  memcpy(p, &n, sizeof n);
  return p + HEADER;
}

static size_t block_size(const void *ptr) {
  size_t n;
  memcpy(&n, (const unsigned char *)ptr - HEADER, sizeof n);
  return n;
}

static void mem_free(cmsContext id, void *ptr) {
  if (!ptr) return;
  dm_cms *cms = cmsGetContextUserData(id);
  if (cms) atomic_fetch_sub(&cms->allocated, block_size(ptr));
  free((unsigned char *)ptr - HEADER);
}

static void *mem_realloc(cmsContext id, void *ptr, cmsUInt32Number size) {
  if (!ptr) return mem_malloc(id, size);
  void *q = mem_malloc(id, size);
  if (!q) return NULL; /* the old block stays valid, as with realloc */
  size_t old = block_size(ptr);
  memcpy(q, ptr, old < size ? old : size);
  mem_free(id, ptr);
  return q;
}

dm_status dm_cms_open(dm_context *ctx, dm_cms *cms, const char *subject) {
  memset(cms, 0, sizeof *cms);
  atomic_init(&cms->allocated, 0);
  cms->mem.base.Magic = cmsPluginMagicNumber;
  cms->mem.base.ExpectedVersion = LCMS_VERSION;
  cms->mem.base.Type = cmsPluginMemHandlerSig;
  cms->mem.MallocPtr = mem_malloc;
  cms->mem.FreePtr = mem_free;
  cms->mem.ReallocPtr = mem_realloc;
  cms->id = cmsCreateContext(&cms->mem, cms);
  if (!cms->id) return dm_fail(ctx, DM_ERR_NOMEM, subject, "out of memory creating a colour context");
  cmsSetLogErrorHandlerTHR(cms->id, on_lcms_error);
  return DM_OK;
}

void dm_cms_close(dm_cms *cms) {
  if (cms->id) cmsDeleteContext(cms->id);
  cms->id = NULL;
}

const char *dm_cms_message(const dm_cms *cms, const char *fallback) {
  return cms->msg[0] ? cms->msg : fallback;
}

void dm_cms_clear(dm_cms *cms) { cms->msg[0] = 0; }
