#include "core/status.h"

#include <assert.h>

static const char *const status_names[] = {
    [DM_OK] = "ok",
    [DM_ERR_IO] = "input/output error",
    [DM_ERR_FORMAT] = "bad file format",
    [DM_ERR_RANGE] = "value out of range",
    [DM_ERR_PARAM] = "bad parameter",
    [DM_ERR_NOMEM] = "out of memory",
    [DM_ERR_CANCELLED] = "cancelled",
    [DM_ERR_INTERNAL] = "internal error",
};
static_assert(sizeof status_names / sizeof status_names[0] == DM_STATUS_COUNT,
              "status_names out of sync with dm_status");

const char *dm_status_to_string(dm_status s) {
  if ((unsigned)s >= DM_STATUS_COUNT) return "unknown status";
  return status_names[s];
}
