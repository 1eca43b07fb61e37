/* Status codes and the per-context error message.
 *
 * Every public function returns a dm_status. On failure it also leaves a
 * one-line message in the context (dm_context_error), naming the file or
 * field that was wrong, so the CLI can print `depthmask: FILE: problem`. */
#ifndef DM_STATUS_H
#define DM_STATUS_H

typedef enum dm_status {
  DM_OK = 0,
  DM_ERR_IO,          /* cannot open / read / write a file */
  DM_ERR_FORMAT,      /* corrupt, truncated or unsupported file content */
  DM_ERR_RANGE,       /* a value outside its hard range */
  DM_ERR_PARAM,       /* unknown key, wrong type, malformed value */
  DM_ERR_NOMEM,
  DM_ERR_CANCELLED,
  DM_ERR_INTERNAL,
  DM_STATUS_COUNT
} dm_status;

const char *dm_status_to_string(dm_status s);

#endif
