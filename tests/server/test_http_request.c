/* The editor server's request parsing and access checks without a socket
 * (src/server/srv_request.c): targets split into decoded segments and
 * query, malformed ones refused, Host and token checks. */
#include <string.h>

#include "dm_test.h"
#include "server/srv_internal.h"

static srv_request rq;

static int parse(const char *target) {
  return srv_request_parse(&rq, "GET", target, NULL, 0, NULL, 0);
}

static void test_split(void) {
  CHECK(parse("/api/photos/3/preview?w=800&h=600&draft=1") == 0);
  CHECK(rq.n_seg == 4 && !strcmp(rq.seg[0], "api") && !strcmp(rq.seg[2], "3") &&
        !strcmp(rq.seg[3], "preview"));
  CHECK(!strcmp(rq.path, "/api/photos/3/preview"));
  CHECK(rq.n_query == 3 && !strcmp(srv_query(&rq, "h"), "600"));
  CHECK(srv_query(&rq, "before") == NULL);
  long v;
  CHECK(srv_query_int(&rq, "w", 16, 16384, 0, &v) == 1 && v == 800);
  CHECK(srv_query_int(&rq, "before", 0, 1, 7, &v) == 0 && v == 7);
  CHECK(srv_query_int(&rq, "draft", 2, 3, 0, &v) == -1); /* out of range */
  CHECK(parse("/?a=1x") == 0 && srv_query_int(&rq, "a", 0, 9, 0, &v) == -1);
  CHECK(parse("/?a=") == 0 && srv_query_int(&rq, "a", 0, 9, 0, &v) == -1);

  /* Decoding: + and %20 are spaces in a query; %2F stays inside its segment. */
  CHECK(parse("/a%20b/c%2Fd?k%3D=v+w%26x&flag&=e") == 0);
  CHECK(rq.n_seg == 2 && !strcmp(rq.seg[0], "a b") && !strcmp(rq.seg[1], "c/d"));
  CHECK(!strcmp(srv_query(&rq, "k="), "v w&x"));
  CHECK(srv_query(&rq, "flag") && !strcmp(srv_query(&rq, "flag"), ""));
  CHECK(!strcmp(srv_query(&rq, ""), "e"));
  CHECK(parse("//api///photos/") == 0 && rq.n_seg == 2); /* empty segments are no segments */
  CHECK(parse("/index.html#frag") == 0 && !strcmp(rq.path, "/index.html"));
  CHECK(parse("/") == 0 && rq.n_seg == 0);
  /* The first of a repeated key wins. */
  CHECK(parse("/?token=a&token=b") == 0 && !strcmp(srv_query(&rq, "token"), "a"));
}

static void test_refused(void) {
  CHECK(parse("") == 400);
  CHECK(parse("api/photos") == 400);                   /* not origin form */
  CHECK(parse("http://127.0.0.1:1/api/photos") == 400); /* absolute form */
  CHECK(parse("*") == 400);
  CHECK(parse("/a/../b") == 400);
  CHECK(parse("/a/%2e%2E/b") == 400);
  CHECK(parse("/./a") == 400);
  CHECK(parse("/a%00b") == 400);
  CHECK(parse("/a?b=%00") == 400);
  CHECK(parse("/a%") == 400);
  CHECK(parse("/a%4") == 400);
  CHECK(parse("/a%zz") == 400);
  CHECK(parse("/a?%g1=1") == 400);
  CHECK(parse("/1/2/3/4/5/6/7/8/9") == 404);
  char longq[6000] = "/?q=";
  memset(longq + 4, 'x', sizeof longq - 5);
  longq[sizeof longq - 1] = 0;
  CHECK(parse(longq) == 414);
  char many[400] = "/?";
  for (int i = 0; i < 40; i++) strcat(many, "a=1&");
  CHECK(parse(many) == 414);
  char longp[1500] = "/";
  memset(longp + 1, 'p', sizeof longp - 2);
  longp[sizeof longp - 1] = 0;
  CHECK(parse(longp) == 414);
}

static void test_access(void) {
  const char *tok = "00112233445566778899aabbccddeeff";
  CHECK(srv_host_ok("127.0.0.1:8123", 8123));
  CHECK(srv_host_ok("localhost:8123", 8123));
  CHECK(srv_host_ok("LocalHost:8123", 8123));
  CHECK(!srv_host_ok(NULL, 8123));
  CHECK(!srv_host_ok("127.0.0.1", 8123));
  CHECK(!srv_host_ok("127.0.0.1:81230", 8123));
  CHECK(!srv_host_ok("127.0.0.1:812", 8123));
  CHECK(!srv_host_ok("evil.example:8123", 8123));
  CHECK(!srv_host_ok("localhost:8123.evil.example", 8123));
  CHECK(!srv_host_ok("[::1]:8123", 8123));

  CHECK(srv_token_equal(tok, tok));
  CHECK(!srv_token_equal(tok, ""));
  CHECK(!srv_token_equal(tok, "00112233445566778899aabbccddeef"));
  CHECK(!srv_token_equal(tok, "00112233445566778899aabbccddeeff0"));
  CHECK(!srv_token_equal(tok, "00112233445566778899AABBCCDDEEFF"));
  CHECK(!srv_token_equal(tok, "10112233445566778899aabbccddeeff"));

  dm_http_header h[] = {{"host", "127.0.0.1:9"}, {"x-depthmask-token", tok}};
  CHECK(srv_request_parse(&rq, "GET", "/api/photos", h, 2, NULL, 0) == 0);
  CHECK(srv_token_ok(tok, &rq));
  CHECK(!strcmp(srv_header(h, 2, "X-Depthmask-Token"), tok)); /* names are case-insensitive */
  h[1].value = "nope";
  CHECK(!srv_token_ok(tok, &rq)); /* a wrong header token */
  CHECK(srv_request_parse(&rq, "GET", "/api/photos?token=00112233445566778899aabbccddeeff", h, 1,
                          NULL, 0) == 0);
  CHECK(srv_token_ok(tok, &rq));
  CHECK(srv_request_parse(&rq, "GET", "/api/photos", h, 1, NULL, 0) == 0);
  CHECK(!srv_token_ok(tok, &rq));
}

int main(void) {
  test_split();
  test_refused();
  test_access();
  return dm_test_done("server/test_http_request");
}
