/* Parameter tables: parsing is strict, ranges are enforced, formatting
 * round-trips. */
#include <stddef.h>
#include <string.h>

#include "core/param.h"
#include "dm_test.h"

typedef struct {
  float gain, flag, box[4];
} params;

static const dm_param table[] = {
    {.key = "gain", .type = DM_PARAM_FLOAT, .count = 1, .offset = offsetof(params, gain),
     .def = 0, .min = -4, .max = 4},
    {.key = "flag", .type = DM_PARAM_BOOL, .count = 1, .offset = offsetof(params, flag),
     .def = 0, .min = 0, .max = 1},
    {.key = "box", .type = DM_PARAM_VEC, .count = 4, .offset = offsetof(params, box),
     .def = 0.5f, .min = 0, .max = 100},
};

int main(void) {
  dm_context *ctx = dm_context_new(1);
  params p;
  dm_param_defaults(table, 3, &p);
  CHECK(p.gain == 0 && p.flag == 0 && p.box[3] == 0.5f);
  const dm_param *g = dm_param_find(table, 3, "gain");
  CHECK(g && !dm_param_find(table, 3, "gai"));
  CHECK_OK(ctx, dm_param_parse(ctx, g, &p, "-0.7", "gain"));
  CHECK(p.gain == -0.7f);
  CHECK(dm_param_parse(ctx, g, &p, "4.5", "gain") == DM_ERR_RANGE);
  CHECK(strstr(dm_context_error(ctx), "gain: 4.5 is outside") != NULL);
  CHECK(dm_param_parse(ctx, g, &p, "1e999", "gain") == DM_ERR_PARAM);
  CHECK(dm_param_parse(ctx, g, &p, "nan", "gain") == DM_ERR_PARAM);
  CHECK(dm_param_parse(ctx, g, &p, "1x", "gain") == DM_ERR_PARAM);
  CHECK(dm_param_parse(ctx, g, &p, "", "gain") == DM_ERR_PARAM);
  CHECK(p.gain == -0.7f); /* failed parses leave the value alone */

  const dm_param *f = &table[1];
  CHECK_OK(ctx, dm_param_parse(ctx, f, &p, "true", "flag"));
  CHECK(p.flag == 1);
  CHECK(dm_param_parse(ctx, f, &p, "yes", "flag") == DM_ERR_PARAM);

  const dm_param *b = &table[2];
  CHECK_OK(ctx, dm_param_parse(ctx, b, &p, "0,10,90.5,100", "box"));
  CHECK(p.box[0] == 0 && p.box[2] == 90.5f && p.box[3] == 100);
  CHECK(dm_param_parse(ctx, b, &p, "0,10,90", "box") == DM_ERR_PARAM);
  CHECK(dm_param_parse(ctx, b, &p, "0,10,90,100,5", "box") == DM_ERR_PARAM);
  CHECK(dm_param_parse(ctx, b, &p, "0,10,190,100", "box") == DM_ERR_RANGE);
  char text[128];
  dm_param_format(b, &p, text, sizeof text);
  CHECK(!strcmp(text, "0,10,90.5,100"));
  params q = p;
  CHECK_OK(ctx, dm_param_parse(ctx, b, &q, text, "box"));
  CHECK(memcmp(q.box, p.box, sizeof p.box) == 0);
  p.gain = 9;
  CHECK(dm_param_check(ctx, g, &p, "gain") == DM_ERR_RANGE);
  dm_context_free(ctx);
  return dm_test_done("core/param");
}
