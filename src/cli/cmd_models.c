/* depthmask models list | add FILE...: the network weights depthmask knows,
 * whether each is installed and verified, and installing one from a file
 * (only the published files are accepted: src/nn/model_store.h). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "nn/model_store.h"

static const char *state_name(dm_model_state s) {
  return s == DM_MODEL_MISSING ? "missing" : "installed";
}

static const char *sha_word(dm_model_state s) {
  switch (s) {
  case DM_MODEL_OK: return "ok";
  case DM_MODEL_MISMATCH: return "MISMATCH";
  case DM_MODEL_UNCHECKED: return "unchecked";
  default: return "-";
  }
}

/* One line per known model; every installed file is hashed, so a damaged
 * or replaced file shows as MISMATCH. Exit 0 unless a file is unreadable. */
static int models_list(dm_context *ctx) {
  printf("%-17s %-6s %-10s %10s %-9s %s\n", "ID", "ROLE", "STATE", "BYTES", "SHA256", "PATH");
  for (int i = 0; i < dm_models_count(); i++) {
    const dm_model_entry *m = dm_models_at(i);
    char path[4096];
    dm_model_state state;
    long long size;
    dm_status s = dm_models_check(ctx, m, 1, &state, &size, path, sizeof path);
    if (s) return cli_report(ctx, s);
    char bytes[32] = "-";
    if (size >= 0) snprintf(bytes, sizeof bytes, "%lld", size);
    printf("%-17s %-6s %-10s %10s %-9s %s\n", m->id, dm_model_role_name(m->role),
           state_name(state), bytes, sha_word(state), path);
  }
  return DM_EXIT_OK;
}

static int models_add(dm_context *ctx, int n, char **files) {
  for (int i = 0; i < n; i++) {
    const dm_model_entry *m;
    int already;
    dm_status s = dm_models_add(ctx, files[i], &m, &already);
    if (s) return cli_report(ctx, s);
    char path[4096];
    s = dm_models_locate(ctx, m->id, 0, path, sizeof path);
    if (s) return cli_report(ctx, s);
    printf("%s: %s %s (sha256 ok)\n", m->id, already ? "already installed as" : "installed as",
           path);
  }
  return DM_EXIT_OK;
}

int cmd_models(int argc, char **argv) {
  if (argc < 1) return cli_usage_error("models needs a sub-command: list, or add FILE...");
  const char *sub = argv[0];
  if (!strcmp(sub, "list") && argc > 1)
    return cli_usage_error("models list takes no arguments (got \"%s\")", argv[1]);
  if (!strcmp(sub, "add")) {
    if (argc < 2) return cli_usage_error("models add needs a model file");
    for (int i = 1; i < argc; i++)
      if (argv[i][0] == '-') return cli_usage_error("models add: unknown option \"%s\"", argv[i]);
  } else if (strcmp(sub, "list")) {
    return cli_usage_error("unknown models sub-command \"%s\" (list, add)", sub);
  }
  dm_context *ctx = dm_context_new(1);
  if (!ctx) return DM_EXIT_INPUT;
  int rc = !strcmp(sub, "list") ? models_list(ctx) : models_add(ctx, argc - 1, argv + 1);
  dm_context_free(ctx);
  return rc;
}
