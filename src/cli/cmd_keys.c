/* depthmask keys [PREFIX]: every --set key with its type, default, range
 * and meaning, read from the parameter tables through dm_set_keys_each. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

typedef struct keys_ctx {
  const char *prefix;
  int shown;
} keys_ctx;

static void type_of(const dm_set_key *k, char *out, size_t len) {
  const dm_param *p = k->param;
  if (k->choices) snprintf(out, len, "%s", k->choices);
  else if (!p) snprintf(out, len, "text");
  else if (p->type == DM_PARAM_BOOL) snprintf(out, len, "true|false");
  else if (p->type == DM_PARAM_VEC) snprintf(out, len, "%d numbers", p->count);
  else snprintf(out, len, "number");
}

/* The n-th name of "a|b|c" (the whole string if there are fewer). */
static const char *nth_choice(const char *choices, int n) {
  const char *s = choices;
  for (int i = 0; i < n; i++) {
    const char *bar = strchr(s, '|');
    if (!bar) return choices;
    s = bar + 1;
  }
  return s;
}

static void show(void *user, const dm_set_key *k) {
  keys_ctx *c = user;
  /* PREFIX matches the start of the key, or of its last part, or a kind
   * ("mask" and "stroke" every key of those). */
  const char *pre = c->prefix;
  if (pre && strncmp(k->key, pre, strlen(pre)) && strncmp(k->field, pre, strlen(pre)) &&
      !(k->kinds && strstr(k->kinds, pre)) && !(!strcmp(pre, "mask") && strstr(k->key, ".mask[")) &&
      !(!strcmp(pre, "stroke") && strstr(k->key, ".stroke[")))
    return;
  char type[200], def[96] = "", range[64] = "";
  type_of(k, type, sizeof type);
  const dm_param *p = k->param;
  if (p) {
    size_t used = 0;
    for (int i = 0; i < p->count && used < sizeof def; i++) {
      double v = p->defs ? p->defs[i] : p->def;
      if (p->type == DM_PARAM_BOOL)
        used += (size_t)snprintf(def + used, sizeof def - used, "%s", v != 0 ? "true" : "false");
      else if (k->choices) /* a named value: its name (choices are "a|b|c", index = value) */
        used += (size_t)snprintf(def + used, sizeof def - used, "%.*s",
                                 (int)strcspn(nth_choice(k->choices, (int)v), "|"),
                                 nth_choice(k->choices, (int)v));
      else
        used += (size_t)snprintf(def + used, sizeof def - used, "%s%g", i ? "," : "", v);
    }
    if (p->type != DM_PARAM_BOOL && !k->choices)
      snprintf(range, sizeof range, ", %g..%g", (double)p->min, (double)p->max);
  }
  printf("%s  %s%s%s%s\n", k->key, type, def[0] ? ", default " : "", def, range);
  if (k->kinds) printf("    only on kind %s\n", k->kinds);
  printf("    %s%s%s\n", p && p->label ? p->label : "", p && p->label ? ": " : "",
         k->doc ? k->doc : "");
  c->shown++;
}

int cmd_keys(int argc, char **argv) {
  if (argc == 1 && !strcmp(argv[0], "--crs")) {
    dm_crs_fields_table(stdout); /* what the README's table of Lightroom fields is made from */
    return DM_EXIT_OK;
  }
  if (argc > 1) return cli_usage_error("keys takes at most one PREFIX (got \"%s\")", argv[1]);
  keys_ctx c = {.prefix = argc ? argv[0] : NULL};
  dm_set_keys_each(DM_KEYS_ALL, show, &c);
  if (!c.shown) return cli_usage_error("no --set key matches \"%s\"", c.prefix);
  return DM_EXIT_OK;
}
