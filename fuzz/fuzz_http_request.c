/* libFuzzer target for the editor server's request handling without a
 * socket (dm_server_precheck, then dm_server_handle): the request target's
 * parsing (path, query, escapes), the header checks (Host, token), routing
 * and every endpoint's query parameters and bodies, on a server holding
 * one small photo (made at start, with a depth file and no matte, so no
 * network runs).
 *
 * Input: a first byte of flags (1: send the right Host, 2: the right token
 * header, 4: the right token in the query), then lines: the method, the
 * target, "Name: value" headers up to an empty line; the rest is the body.
 * Seeds: fuzz/seeds/http_request/. The JSON bodies' own language is
 * fuzz_edit_patch's. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io.h"
#include "server/server.h"

#define PORT 8123
#define MAX_HEADERS 16

static dm_server *srv;
static char photo[256], depth[256];

/* A 48x32 photo and its depth, written once into a fresh folder. */
static void make_server(void) {
  dm_context *ctx = dm_context_new(1);
  char dir[] = "/tmp/dm-fuzz-http-XXXXXX";
  if (!ctx || !mkdtemp(dir)) abort();
  snprintf(photo, sizeof photo, "%s/photo.png", dir);
  snprintf(depth, sizeof depth, "%s/depth.png", dir);
  dm_image rgb, d;
  if (dm_image_alloc(ctx, &rgb, 48, 32, 3) || dm_image_alloc(ctx, &d, 48, 32, 1)) abort();
  for (int y = 0; y < 32; y++)
    for (int x = 0; x < 48; x++) {
      float *p = dm_px(&rgb, x, y);
      p[0] = x / 47.0f, p[1] = y / 31.0f, p[2] = 0.5f;
      *dm_px(&d, x, y) = y / 31.0f;
    }
  dm_write_options png8 = {.format = DM_FMT_PNG, .bits = 8},
                   png16 = {.format = DM_FMT_PNG, .bits = 16};
  if (dm_io_write(ctx, photo, &rgb, &png8) || dm_io_write(ctx, depth, &d, &png16)) abort();
  dm_image_free(&rgb);
  dm_image_free(&d);
  dm_server_options opt = {.input = photo, .port = PORT, .threads = 1, .debounce_ms = 50};
  opt.scene.depth_mode = DM_DEPTH_MODE_FILE;
  opt.scene.depth_file.path = depth;
  opt.scene.depth_file.encoding = DM_DEPTH_NEAR01;
  opt.scene.matte_mode = DM_MATTE_MODE_NONE;
  opt.scene.cache_dir = "";
  if (dm_server_open(ctx, &opt, &srv)) {
    fprintf(stderr, "fuzz_http_request: %s\n", dm_context_error(ctx));
    abort();
  }
  dm_context_free(ctx);
}

/* The next line of text[*at..len) as a NUL-terminated string (in place). */
static char *next_line(char *text, size_t len, size_t *at) {
  if (*at > len) return NULL;
  char *line = text + *at;
  char *nl = memchr(line, '\n', len - *at);
  size_t n = nl ? (size_t)(nl - line) : len - *at;
  line[n] = 0;
  if (n && line[n - 1] == '\r') line[n - 1] = 0;
  *at += n + 1;
  return line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!srv) make_server();
  if (size < 1) return 0;
  unsigned flags = data[0];
  size_t len = size - 1;
  char *text = malloc(len + 1);
  if (!text) return 0;
  memcpy(text, data + 1, len);
  text[len] = 0;
  size_t at = 0;
  char *method = next_line(text, len, &at), *target = next_line(text, len, &at);
  dm_http_header h[MAX_HEADERS + 2];
  int n = 0;
  char host[32], full[8192];
  snprintf(host, sizeof host, "127.0.0.1:%d", PORT);
  if (flags & 1) h[n++] = (dm_http_header){"Host", host};
  if (flags & 2) h[n++] = (dm_http_header){"X-Depthmask-Token", dm_server_token(srv)};
  for (char *line; n < MAX_HEADERS + 2 && (line = next_line(text, len, &at)) && *line;) {
    char *colon = strchr(line, ':');
    if (!colon) continue;
    *colon = 0;
    h[n++] = (dm_http_header){line, colon[1] == ' ' ? colon + 2 : colon + 1};
  }
  const char *body = at <= len ? text + at : "";
  size_t body_len = at <= len ? len - at : 0;
  if (target && (flags & 4)) {
    snprintf(full, sizeof full, "%s%stoken=%s", target, strchr(target, '?') ? "&" : "?",
             dm_server_token(srv));
    target = full;
  }
  dm_http_reply reply;
  if (!dm_server_precheck(srv, target ? target : "", h, n, (long long)body_len, &reply))
    dm_server_handle(srv, method ? method : "", target ? target : "", h, n, body, body_len, &reply);
  if (reply.status < 100 || reply.status > 599) abort(); /* every request gets an answer */
  dm_server_reply_free(&reply);
  free(text);
  return 0;
}
