/* Building replies: JSON through jansson, errors as {"error": "one line"},
 * pictures as JPEG in memory. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "io/io.h"
#include "server/srv_internal.h"

/* Length of the valid UTF-8 sequence at s (not overlong, no surrogate, at
 * most U+10FFFF: what jansson accepts), 0 when there is none. */
static size_t utf8_len(const unsigned char *s) {
  int n = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3
        : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
  if (n <= 1) return (size_t)n;
  unsigned cp = s[0] & (0x7f >> n);
  for (int i = 1; i < n; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0; /* also stops at the NUL */
    cp = cp << 6 | (s[i] & 0x3f);
  }
  static const unsigned least[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < least[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return (size_t)n;
}

json_t *srv_json_text(const char *text) {
  /* jansson takes UTF-8 only; file names and what a client sent may be
   * anything: each byte of a broken sequence becomes U+FFFD. */
  size_t n = strlen(text);
  char *clean = malloc(3 * n + 1);
  if (!clean) return NULL;
  size_t o = 0;
  for (size_t i = 0; i < n;) {
    size_t k = utf8_len((const unsigned char *)text + i);
    if (k) {
      memcpy(clean + o, text + i, k);
      o += k, i += k;
    } else {
      memcpy(clean + o, "\xef\xbf\xbd", 3);
      o += 3, i++;
    }
  }
  clean[o] = 0;
  json_t *j = json_string(clean);
  free(clean);
  return j;
}

void srv_reply_bytes(dm_http_reply *r, int status, const char *type, unsigned char *body,
                     size_t len) {
  free(r->body);
  r->status = status;
  r->type = type;
  r->body = body;
  r->len = len;
}

void srv_reply_json(dm_http_reply *r, int status, json_t *obj) {
  char *text = obj ? json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
  json_decref(obj);
  if (!text) {
    /* Out of memory: a status line with no body still tells the client. */
    srv_reply_bytes(r, 500, "application/json", NULL, 0);
    return;
  }
  r->no_store = 1;
  srv_reply_bytes(r, status, "application/json", (unsigned char *)text, strlen(text));
}

void srv_reply_error(dm_http_reply *r, int status, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  /* One line, whatever the message held. */
  for (char *c = msg; *c; c++)
    if (*c == '\n' || *c == '\r') *c = ' ';
  srv_reply_json(r, status, json_pack("{s:o}", "error", srv_json_text(msg)));
}

void srv_reply_status(dm_http_reply *r, dm_context *ctx, dm_status s) {
  int status = s == DM_ERR_PARAM || s == DM_ERR_RANGE ? 400
               : s == DM_ERR_NOMEM                    ? 503
               : s == DM_ERR_CANCELLED                ? 409
                                                      : 500;
  const char *msg = dm_context_error(ctx);
  srv_reply_error(r, status, "%s", msg && *msg ? msg : dm_status_to_string(s));
}

dm_status srv_reply_linear_jpeg(dm_http_reply *r, dm_context *ctx, const dm_image *linear) {
  unsigned char *jpg = NULL;
  size_t len = 0;
  dm_status s = dm_graph_jpeg(ctx, linear, 85, &jpg, &len);
  if (s) return s;
  r->no_store = 1;
  srv_reply_bytes(r, 200, "image/jpeg", jpg, len);
  return DM_OK;
}

dm_status srv_reply_encoded_jpeg(dm_http_reply *r, dm_context *ctx, const dm_image *img) {
  /* The encoder writes to a FILE; a memory stream keeps it off the disk. */
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
  dm_write_options wo = {.format = DM_FMT_JPEG, .bits = 8, .quality = 85};
  dm_status s = dm_jpeg_write(ctx, f, img, &wo, "preview");
  if (fclose(f) != 0 && !s) s = dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory");
  if (s) {
    free(buf);
    return s;
  }
  r->no_store = 1;
  srv_reply_bytes(r, 200, "image/jpeg", (unsigned char *)buf, len);
  return DM_OK;
}

void dm_server_reply_free(dm_http_reply *reply) {
  free(reply->body);
  reply->body = NULL;
  reply->len = 0;
}
