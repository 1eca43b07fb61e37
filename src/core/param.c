#include "core/param.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const dm_param *dm_param_find(const dm_param *table, int n, const char *key) {
  for (int i = 0; i < n; i++)
    if (strcmp(table[i].key, key) == 0) return &table[i];
  return NULL;
}

void dm_param_defaults(const dm_param *table, int n, void *base) {
  for (int i = 0; i < n; i++) {
    float *v = dm_param_ptr(&table[i], base);
    for (int k = 0; k < table[i].count; k++) v[k] = table[i].defs ? table[i].defs[k] : table[i].def;
  }
}

int dm_parse_float(const char *text, float *out) {
  if (!text) return 0;
  while (*text == ' ' || *text == '\t') text++;
  if (!*text) return 0;
  char *end;
  errno = 0;
  double d = strtod(text, &end);
  while (*end == ' ' || *end == '\t') end++;
  if (*end || errno == ERANGE || !isfinite(d) || fabs(d) > 3.0e38) return 0;
  *out = (float)d;
  return 1;
}

int dm_parse_int(const char *text, int *out) {
  if (!text || !*text) return 0;
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (*end || errno == ERANGE || v < -2147483647L || v > 2147483647L) return 0;
  *out = (int)v;
  return 1;
}

static dm_status check_value(dm_context *ctx, const dm_param *p, float v, const char *subject) {
  if (p->type == DM_PARAM_BOOL && v != 0.0f && v != 1.0f)
    return dm_fail(ctx, DM_ERR_PARAM, subject, "expected true or false");
  if (!(v >= p->min && v <= p->max))
    return dm_fail(ctx, DM_ERR_RANGE, subject, "%g is outside %g..%g", (double)v, (double)p->min,
                   (double)p->max);
  return DM_OK;
}

dm_status dm_param_parse(dm_context *ctx, const dm_param *p, void *base, const char *text,
                         const char *subject) {
  float vals[16];
  int n = 0;
  if (p->type == DM_PARAM_BOOL) {
    if (!strcmp(text, "true") || !strcmp(text, "1") || !strcmp(text, "True"))
      vals[n++] = 1;
    else if (!strcmp(text, "false") || !strcmp(text, "0") || !strcmp(text, "False"))
      vals[n++] = 0;
    else
      return dm_fail(ctx, DM_ERR_PARAM, subject, "expected true or false, got \"%s\"", text);
  } else {
    char buf[256];
    if (strlen(text) >= sizeof buf) return dm_fail(ctx, DM_ERR_PARAM, subject, "value too long");
    strcpy(buf, text);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
      if (n >= p->count || n >= 16)
        return dm_fail(ctx, DM_ERR_PARAM, subject, "expected %d number%s", p->count,
                       p->count > 1 ? "s" : "");
      if (!dm_parse_float(tok, &vals[n]))
        return dm_fail(ctx, DM_ERR_PARAM, subject, "\"%s\" is not a number", tok);
      n++;
    }
  }
  if (n != p->count)
    return dm_fail(ctx, DM_ERR_PARAM, subject, "expected %d number%s, got %d", p->count,
                   p->count > 1 ? "s" : "", n);
  for (int i = 0; i < n; i++) {
    dm_status s = check_value(ctx, p, vals[i], subject);
    if (s) return s;
  }
  memcpy(dm_param_ptr(p, base), vals, (size_t)n * sizeof(float));
  return DM_OK;
}

dm_status dm_param_check(dm_context *ctx, const dm_param *p, const void *base, const char *subject) {
  const float *v = dm_param_ptr(p, (void *)base);
  for (int i = 0; i < p->count; i++) {
    dm_status s = check_value(ctx, p, v[i], subject);
    if (s) return s;
  }
  return DM_OK;
}

void dm_param_format(const dm_param *p, const void *base, char *out, size_t out_len) {
  const float *v = dm_param_ptr(p, (void *)base);
  if (p->type == DM_PARAM_BOOL) {
    snprintf(out, out_len, "%s", v[0] != 0 ? "true" : "false");
    return;
  }
  size_t used = 0;
  out[0] = 0;
  for (int i = 0; i < p->count && used < out_len; i++)
    used += (size_t)snprintf(out + used, out_len - used, "%s%.9g", i ? "," : "", (double)v[i]);
}
