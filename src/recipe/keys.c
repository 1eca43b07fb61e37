/* The catalogue of --set keys, built from the parameter tables: what
 * `depthmask keys` prints and what an unknown key is compared with. One
 * walk serves both, so the list can never differ from what dm_recipe_set
 * accepts. */
#include <stdio.h>
#include <string.h>

#include "mask/brush.h"
#include "recipe/recipe_internal.h"

static void param_key(dm_set_key_fn fn, void *user, const char *prefix, const dm_param *p,
                      const char *kinds, const char *choices) {
  dm_set_key k = {.field = p->key, .param = p, .kinds = kinds, .choices = choices,
                  .doc = p->doc};
  snprintf(k.key, sizeof k.key, "%s%s", prefix, p->key);
  fn(user, &k);
}

static void text_key(dm_set_key_fn fn, void *user, const char *prefix, const char *field,
                     const char *kinds, const char *choices, const char *doc) {
  dm_set_key k = {.field = field, .kinds = kinds, .choices = choices, .doc = doc};
  snprintf(k.key, sizeof k.key, "%s%s", prefix, field);
  fn(user, &k);
}

void dm_set_keys_each(unsigned scopes, dm_set_key_fn fn, void *user) {
  static const char corr[] = "correction[N].", mask[] = "correction[N].mask[M].";
  if (scopes & DM_KEYS_CORRECTION) {
    int n;
    const dm_param *t = dm_lr_correction_params(&n);
    text_key(fn, user, corr, "name", NULL, NULL, "the correction's name, as Lightroom shows it");
    for (int i = 0; i < n; i++) param_key(fn, user, corr, &t[i], NULL, NULL);
    const dm_param *s = dm_adjust_params();
    for (int i = 0; i < DM_ADJ_COUNT; i++) param_key(fn, user, corr, &s[i], NULL, NULL);
  }
  if (scopes & DM_KEYS_MASK) {
    char kinds[256]; /* the strings live while fn runs */
    size_t used = 0;
    kinds[0] = 0;
    for (int k = 0; k < DM_MASK_KIND_COUNT && used < sizeof kinds; k++)
      used += (size_t)snprintf(kinds + used, sizeof kinds - used, "%s%s", k ? "|" : "",
                               dm_mask_kind_name((dm_mask_kind)k));
    text_key(fn, user, mask, "kind", NULL, kinds,
             "the component's kind; setting it resets the kind's own parameters");
    text_key(fn, user, mask, "mode", NULL, "add|subtract|intersect",
             "how the component combines with the ones before it");
    /* invert and opacity are on every kind; the rest belong to one or more. */
    for (int k = 0; k < DM_MASK_KIND_COUNT; k++) {
      int n;
      const dm_param *t = dm_mask_params((dm_mask_kind)k, &n);
      for (int i = 0; i < n; i++) {
        int seen = 0; /* listed already, under an earlier kind */
        for (int e = 0; e < k && !seen; e++) {
          int ne;
          const dm_param *te = dm_mask_params((dm_mask_kind)e, &ne);
          seen = dm_param_find(te, ne, t[i].key) != NULL;
        }
        if (seen) continue;
        /* The kinds that have this key. */
        char o[160];
        size_t ou = 0;
        int all = 1;
        o[0] = 0;
        for (int e = 0; e < DM_MASK_KIND_COUNT; e++) {
          int ne;
          const dm_param *te = dm_mask_params((dm_mask_kind)e, &ne);
          if (!dm_param_find(te, ne, t[i].key)) {
            all = 0;
            continue;
          }
          if (ou < 160)
            ou += (size_t)snprintf(o + ou, 160 - ou, "%s%s", ou ? "|" : "",
                                   dm_mask_kind_name((dm_mask_kind)e));
        }
        param_key(fn, user, mask, &t[i], all ? NULL : o, NULL);
      }
    }
    text_key(fn, user, mask, "path", "file", NULL,
             "a grey image (8/16-bit) used as the mask, relative to the recipe's folder");
  }
  if (scopes & DM_KEYS_STROKE) {
    static const char stroke[] = "correction[N].mask[M].stroke[S].";
    int n;
    const dm_param *t = dm_brush_stroke_params(&n);
    text_key(fn, user, stroke, "dabs", "brush", NULL,
             "the stroke's dabs, x,y,x,y,... (fractions of the photo), replacing the ones it "
             "had; they take the stroke's radius, flow and feather");
    for (int i = 0; i < n; i++) param_key(fn, user, stroke, &t[i], "brush", NULL);
  }
  if (scopes & DM_KEYS_REFINE) {
    static const char refine[] = "refine[N].";
    int n;
    text_key(fn, user, refine, "name", NULL, NULL,
             "the stroke set's name (the editor's Focus and Blur brushes name theirs so)");
    const dm_param *t = dm_refine_params(&n);
    for (int i = 0; i < n; i++) param_key(fn, user, refine, &t[i], NULL, NULL);
    param_key(fn, user, refine, dm_refine_depth_param(), NULL, NULL);
  }
  if (scopes & DM_KEYS_LENS_BLUR) {
    int n;
    const dm_param *t = dm_lens_blur_params(&n);
    for (int i = 0; i < n; i++) {
      char choices[128] = "";
      const char *const *names = dm_lb_names(&t[i]);
      if (names) {
        size_t used = 0;
        for (int j = 0; names[j] && used < sizeof choices; j++)
          used += (size_t)snprintf(choices + used, sizeof choices - used, "%s%s", j ? "|" : "",
                                   names[j]);
      }
      param_key(fn, user, "lens_blur.", &t[i], NULL, names ? choices : NULL);
    }
  }
}

/* ---- nearest keys ------------------------------------------------------ */

/* Levenshtein distance, capped: keys are short, so a row of 64 will do. */
static int distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 63 || lb > 63) return 99;
  int row[64];
  for (size_t j = 0; j <= lb; j++) row[j] = (int)j;
  for (size_t i = 1; i <= la; i++) {
    int diag = row[0];
    row[0] = (int)i;
    for (size_t j = 1; j <= lb; j++) {
      int up = row[j];
      int best = diag + (a[i - 1] != b[j - 1]);
      if (up + 1 < best) best = up + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[lb];
}

typedef struct near_ctx {
  const char *word;
  int best;
  char near[160];  /* the closest fields */
  char all[1024];  /* every field of the scope, once */
  size_t all_used;
} near_ctx;

static void near_visit(void *user, const dm_set_key *k) {
  near_ctx *n = user;
  /* Fields repeat across mask kinds only by name; list each once. */
  char pat[80];
  snprintf(pat, sizeof pat, " %s,", k->field);
  char padded[1100];
  snprintf(padded, sizeof padded, " %s,", n->all);
  if (strstr(padded, pat)) return;
  if (n->all_used < sizeof n->all)
    n->all_used += (size_t)snprintf(n->all + n->all_used, sizeof n->all - n->all_used, "%s%s",
                                    n->all_used ? ", " : "", k->field);
  int d = distance(n->word, k->field);
  /* Also a prefix typed short ("expo" for exposure). */
  if (strlen(n->word) >= 3 && !strncmp(n->word, k->field, strlen(n->word)) && d > 1) d = 1;
  int limit = strlen(n->word) <= 4 ? 1 : strlen(n->word) <= 8 ? 2 : 3;
  if (d > limit) return;
  if (d < n->best) {
    n->best = d;
    n->near[0] = 0;
  }
  if (d == n->best) {
    size_t used = strlen(n->near);
    snprintf(n->near + used, sizeof n->near - used, "%s%s", used ? " or " : "", k->field);
  }
}

void dm_set_keys_suggest(unsigned scopes, const char *word, char *out, size_t out_len) {
  near_ctx n = {.word = word, .best = 99};
  dm_set_keys_each(scopes, near_visit, &n);
  if (n.near[0])
    snprintf(out, out_len, "did you mean %s? valid: %s", n.near, n.all);
  else
    snprintf(out, out_len, "valid: %s", n.all);
}
