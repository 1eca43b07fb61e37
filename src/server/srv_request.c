/* A request as the server sees it: the raw target split into a decoded
 * path, its segments and its query, and the access checks every request
 * passes first. No socket here, so the fuzzer and the tests call it as is. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/srv_internal.h"

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decode src[0..n) into dst (cap bytes with the NUL); `plus` turns '+' into
 * a space (query). Returns the length, -1 for a bad escape or a NUL, -2
 * when it does not fit. */
static long decode(const char *src, size_t n, char *dst, size_t cap, int plus) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    char c = src[i];
    if (c == '%') {
      if (i + 2 >= n) return -1;
      int hi = hexval(src[i + 1]), lo = hexval(src[i + 2]);
      if (hi < 0 || lo < 0) return -1;
      c = (char)(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus) {
      c = ' ';
    }
    if (c == 0) return -1;
    if (o + 1 >= cap) return -2;
    dst[o++] = c;
  }
  dst[o] = 0;
  return (long)o;
}

static int parse_query(srv_request *rq, const char *q) {
  size_t used = 0;
  while (*q) {
    const char *amp = strchr(q, '&');
    size_t n = amp ? (size_t)(amp - q) : strlen(q);
    const char *eq = memchr(q, '=', n);
    size_t kn = eq ? (size_t)(eq - q) : n;
    if (n > 0) {
      if (rq->n_query == SRV_MAX_QUERY) return 414;
      char *key = rq->qbuf + used;
      long k = decode(q, kn, key, sizeof rq->qbuf - used, 1);
      if (k == -2) return 414;
      if (k < 0) return 400;
      used += (size_t)k + 1;
      char *val = rq->qbuf + used;
      long v = eq ? decode(eq + 1, n - kn - 1, val, sizeof rq->qbuf - used, 1)
                  : decode("", 0, val, sizeof rq->qbuf - used, 1);
      if (v == -2) return 414;
      if (v < 0) return 400;
      used += (size_t)v + 1;
      rq->query[rq->n_query].key = key;
      rq->query[rq->n_query].value = val;
      rq->n_query++;
    }
    if (!amp) break;
    q = amp + 1;
  }
  return 0;
}

/* Split the raw path on '/' and decode each segment: an escaped slash
 * (%2F) stays inside its segment, as RFC 3986 has it. */
static int split_segments(srv_request *rq, const char *raw, size_t n) {
  size_t used = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && raw[j] != '/') j++;
    if (j > i) {
      if (rq->n_seg == SRV_MAX_SEGMENTS) return 404;
      long k = decode(raw + i, j - i, rq->segbuf + used, sizeof rq->segbuf - used, 0);
      if (k == -2) return 414;
      if (k < 0) return 400;
      char *seg = rq->segbuf + used;
      /* Nothing is served by path, but "." and ".." have no place in a route. */
      if (!strcmp(seg, ".") || !strcmp(seg, "..")) return 400;
      rq->seg[rq->n_seg++] = seg;
      used += (size_t)k + 1;
    }
    i = j + 1;
  }
  return 0;
}

int srv_request_parse(srv_request *rq, const char *method, const char *target,
                      const dm_http_header *headers, int n_headers, const char *body,
                      size_t body_len) {
  memset(rq, 0, sizeof *rq);
  rq->method = method ? method : "";
  rq->headers = headers;
  rq->n_headers = n_headers;
  rq->body = body;
  rq->body_len = body_len;
  if (!target || target[0] != '/') return 400; /* origin form only: no absolute URIs */
  const char *q = strchr(target, '?');
  size_t plen = q ? (size_t)(q - target) : strlen(target);
  const char *hash = memchr(target, '#', plen);
  if (hash) plen = (size_t)(hash - target);
  long n = decode(target, plen, rq->path, sizeof rq->path, 0);
  if (n == -2) return 414;
  if (n < 0) return 400;
  int rc = split_segments(rq, target, plen);
  if (rc) return rc;
  if (q) {
    char qs[4096];
    const char *end = strchr(q + 1, '#');
    size_t qn = end ? (size_t)(end - q - 1) : strlen(q + 1);
    if (qn >= sizeof qs) return 414;
    memcpy(qs, q + 1, qn);
    qs[qn] = 0;
    rc = parse_query(rq, qs);
  }
  return rc;
}

const char *srv_query(const srv_request *rq, const char *key) {
  for (int i = 0; i < rq->n_query; i++)
    if (!strcmp(rq->query[i].key, key)) return rq->query[i].value;
  return NULL;
}

const char *srv_header(const dm_http_header *h, int n, const char *name) {
  for (int i = 0; i < n; i++)
    if (h[i].name && !strcasecmp(h[i].name, name)) return h[i].value;
  return NULL;
}

int srv_query_int(const srv_request *rq, const char *key, long lo, long hi, long def, long *v) {
  const char *s = srv_query(rq, key);
  *v = def;
  if (!s) return 0;
  char *end;
  long x = strtol(s, &end, 10);
  if (end == s || *end || x < lo || x > hi) return -1;
  *v = x;
  return 1;
}

int srv_token_equal(const char *want, const char *given) {
  /* Every byte of the session's token is compared whatever the given one
   * holds, so the time taken says nothing about how much of it matched. */
  size_t wn = strlen(want), gn = strlen(given);
  unsigned char diff = (unsigned char)(wn != gn);
  for (size_t i = 0; i < wn; i++) {
    unsigned char g = i < gn ? (unsigned char)given[i] : 0;
    diff |= (unsigned char)(g ^ (unsigned char)want[i]);
  }
  return diff == 0;
}

/* Host must be exactly this server as the browser names it: a page of
 * another origin resolved to 127.0.0.1 (DNS rebinding) sends its own name. */
int srv_host_ok(const char *host, int port) {
  if (!host) return 0;
  char a[64], b[64];
  snprintf(a, sizeof a, "127.0.0.1:%d", port);
  snprintf(b, sizeof b, "localhost:%d", port);
  return !strcmp(host, a) || !strcasecmp(host, b);
}

int srv_token_ok(const char *token, const srv_request *rq) {
  const char *given = srv_header(rq->headers, rq->n_headers, "X-Depthmask-Token");
  if (!given) given = srv_query(rq, "token");
  return given && srv_token_equal(token, given);
}
