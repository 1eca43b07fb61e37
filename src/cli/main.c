#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/file.h"

int cli_usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("depthmask: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputs(" (see depthmask --help)\n", stderr);
  va_end(ap);
  return DM_EXIT_USAGE;
}

int cli_report(dm_context *ctx, dm_status s) {
  if (s == DM_OK) return DM_EXIT_OK;
  fprintf(stderr, "depthmask: %s\n", dm_context_error(ctx));
  return DM_EXIT_INPUT;
}

int main(int argc, char **argv) {
  /* A Ctrl-C or SIGTERM while a file is written removes its temporary file. */
  dm_temp_install_handlers();
  if (argc < 2) {
    cli_print_usage(stderr);
    return DM_EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
    cli_print_usage(stdout);
    return DM_EXIT_OK;
  }
  if (!strcmp(cmd, "help")) {
    if (argc > 2) return cli_print_help(argv[2]);
    cli_print_usage(stdout);
    return DM_EXIT_OK;
  }
  if (cli_help_wanted(argc - 2, argv + 2)) return cli_print_help(cmd);
  if (!strcmp(cmd, "--version")) {
    puts("depthmask 0.1.0");
    return DM_EXIT_OK;
  }
  if (!strcmp(cmd, "render")) return cmd_render(argc - 2, argv + 2);
  if (!strcmp(cmd, "info")) return cmd_info(argc - 2, argv + 2);
  if (!strcmp(cmd, "depth")) return cmd_depth(argc - 2, argv + 2);
  if (!strcmp(cmd, "mask")) return cmd_mask(argc - 2, argv + 2);
  if (!strcmp(cmd, "edit")) return cmd_edit(argc - 2, argv + 2);
  if (!strcmp(cmd, "batch")) return cmd_batch(argc - 2, argv + 2);
  if (!strcmp(cmd, "demo")) return cmd_demo(argc - 2, argv + 2);
  if (!strcmp(cmd, "models")) return cmd_models(argc - 2, argv + 2);
  if (!strcmp(cmd, "keys")) return cmd_keys(argc - 2, argv + 2);
  return cli_usage_error("unknown command \"%s\"", cmd);
}
