#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char usage[] =
    "usage: depthmask COMMAND [ARGS]\n"
    "\n"
    "  render IN [-o OUT] [--recipe R.xmp | --preset P.xmp] [--set KEY=VALUE]...\n"
    "         [--format jpeg|png|tiff] [--bits 8|16|32] [--profile srgb|adobergb|p3|prophoto]\n"
    "         [--quality 1-100] [--compression none|lzw|deflate] [--no-sidecar] [--threads N]\n"
    "         [--depth auto|ai|embedded|FILE] [--depth-range NEAR_M:FAR_M]\n"
    "         [--depth-encoding linear|inverse|near01] [--matte auto|none|FILE]\n"
    "         [--cache DIR | --no-cache]\n"
    "  depth IN -o DEPTH.png [--viz HEAT.png] [--matte-out MATTE.png] [--confidence-out C.png]\n"
    "         [--depth ...] [--matte ...] [--cache DIR]   16-bit, 0 = near, linear in disparity\n"
    "  mask IN -o MASK.png [--recipe R.xmp] [--set KEY=VALUE]... [--correction N]\n"
    "         [--overlay OUT.png] [--sample X,Y[,R]] [--depth ...] [--matte ...]\n"
    "                          one correction's mask (16-bit), the red overlay, the depth eyedropper\n"
    "  info IN                 what the file carries: format, size, profile, metadata, the depth\n"
    "                          and mattes embedded in it, sidecar\n"
    "  demo                    render a real sample photo into ./demo-out/\n"
    "  models list             the known networks: installed or not, size, sha256 check, path\n"
    "  models add FILE...      install a known network's weights (checked by sha256)\n"
    "\n"
    "Every edit lives in a sidecar (photo.xmp beside photo.ext); the photo is never written.\n"
    "Exit status: 0 ok, 1 bad input, 2 bad usage.\n";

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
  if (argc < 2) {
    fputs(usage, stderr);
    return DM_EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
    fputs(usage, stdout);
    return DM_EXIT_OK;
  }
  if (!strcmp(cmd, "--version")) {
    puts("depthmask 0.1.0");
    return DM_EXIT_OK;
  }
  if (!strcmp(cmd, "render")) return cmd_render(argc - 2, argv + 2);
  if (!strcmp(cmd, "info")) return cmd_info(argc - 2, argv + 2);
  if (!strcmp(cmd, "depth")) return cmd_depth(argc - 2, argv + 2);
  if (!strcmp(cmd, "mask")) return cmd_mask(argc - 2, argv + 2);
  if (!strcmp(cmd, "demo")) return cmd_demo(argc - 2, argv + 2);
  if (!strcmp(cmd, "models")) return cmd_models(argc - 2, argv + 2);
  return cli_usage_error("unknown command \"%s\"", cmd);
}
