/* Process versions (DESIGN section 6): what each version changed in the
 * pixels an existing recipe renders, and the one warning a recipe of an
 * older version gets when its render follows the new behaviour. Where the
 * old behaviour is cheap to keep (a constant, a mapping) the stage reads
 * r->photo.process_version itself and keeps it; then the change has no
 * entry here (it never surprises anyone). */
#include <stdio.h>

#include "pipeline/render.h"

typedef struct pv_change {
  int version;                          /* the version that made the change */
  const char *what;                     /* one line, for the warning */
  int (*applies)(const dm_recipe *r);   /* does it touch this recipe's picture? */
} pv_change;

static int always(const dm_recipe *r) {
  (void)r;
  return 1;
}

/* Version 1 is where process versions start: nothing before it to differ
 * from. Each later version adds its entry. */
static const pv_change changes[] = {
    {1, NULL, always},
};

int dm_process_version_note(dm_context *ctx, const dm_recipe *r, const char *file) {
  int from = r->photo.process_version > 0 ? r->photo.process_version : 1, noted = 0;
  if (from >= DM_PROCESS_VERSION) return 0;
  char list[1024] = "";
  size_t used = 0;
  for (size_t i = 0; i < sizeof changes / sizeof *changes; i++) {
    const pv_change *c = &changes[i];
    if (c->version <= from || !c->what || !c->applies(r)) continue;
    used += (size_t)snprintf(list + used, used < sizeof list ? sizeof list - used : 0, "%s%s",
                             noted++ ? "; " : "", c->what);
  }
  if (noted)
    dm_log(ctx, DM_LOG_WARN, "%s: made by process version %d, rendered by version %d: %s", file,
           from, DM_PROCESS_VERSION, list);
  return noted;
}
