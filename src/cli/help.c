/* `depthmask --help` and `depthmask COMMAND --help`: one text per command,
 * the overview made of their first lines. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

typedef struct cmd_help {
  const char *name;
  const char *synopsis; /* the overview's lines for this command */
  const char *details;  /* what COMMAND --help adds */
} cmd_help;

#define SCENE_OPTS                                                                             \
  "  --depth auto|ai|embedded|FILE   where depth comes from (auto: a depth FILE, else the\n"   \
  "                          depth the photo carries, else the networks)\n"                    \
  "  --depth-range NEAR_M:FAR_M  --depth-encoding linear|inverse|near01\n"                     \
  "                          how a depth FILE's grey values map to metres\n"                   \
  "  --matte auto|none|FILE  the subject matte (auto: the phone's portrait matte, else ISNet)\n" \
  "  --cache DIR | --no-cache   the depth and matte cache (default ~/.cache/depthmask)\n"      \
  "  --threads N             worker threads (default: every core)\n"                          \
  "  --timings               print each stage's wall time and the peak memory (stderr)\n"     \
  "  --max-memory SIZE       refuse photos whose work needs more (e.g. 4G; default 3/4 of\n"  \
  "                          the RAM or the cgroup's limit)\n"

static const cmd_help helps[] = {
    {"render",
     "  render IN [-o OUT] [--recipe R.xmp | --preset P.xmp] [--set KEY=VALUE]...\n"
     "         [--format jpeg|png|tiff] [--bits 8|16|32] [--profile srgb|adobergb|p3|prophoto]\n"
     "         [--quality 1-100] [--compression none|lzw|deflate] [--long-edge PX]\n"
     "         [--no-sidecar] [--threads N]\n"
     "         [--depth auto|ai|embedded|FILE] [--depth-range NEAR_M:FAR_M]\n"
     "         [--depth-encoding linear|inverse|near01] [--matte auto|none|FILE]\n"
     "         [--subject-distance M --background-distance M]\n"
     "         [--sidecar PATH] [--skip-unknown-masks] [--allow-outside-paths]\n"
     "         [--max-memory SIZE] [--raw-look default|neutral]\n"
     "         [--cache DIR | --no-cache]\n",
     "Applies the recipe (the sidecar beside IN, or --recipe) with any --set changes, writes\n"
     "OUT (default IN-dm.tif) and saves the recipe back to the sidecar. IN is never written.\n"
     "\n"
     "  -o OUT                  output file; its extension picks the format\n"
     "  --recipe R.xmp          read the edit from R.xmp instead of the sidecar\n"
     "  --preset P.xmp          apply a preset's corrections and lens blur on top\n"
     "  --set KEY=VALUE         change one parameter (`depthmask keys` lists them all); the\n"
     "                          order of --set options does not matter\n"
     "  --format, --bits, --profile, --quality, --compression   the output file (default\n"
     "                          16-bit TIFF, sRGB)\n"
     "  --long-edge PX          shrink the output to fit PX on its long side (never enlarged)\n"
     "  --subject-distance M --background-distance M   physical lens blur on any depth: the\n"
     "                          subject matte's median depth is put at M metres, the median\n"
     "                          outside it at the other M (saved as lens_blur.subject_distance_m,\n"
     "                          lens_blur.background_distance_m; they win over --depth-range)\n"
     "  --no-sidecar            do not save the recipe\n"
     "  --sidecar PATH          read and save the edit at PATH instead of beside the photo\n"
     "  --allow-outside-paths   let `file` masks name files outside the recipe's folder\n"
     "  --skip-unknown-masks    skip (with a warning) a correction whose mask holds a component\n"
     "                          depthmask cannot render, instead of refusing the render\n"
     "  --raw-look default|neutral   a camera raw's look: darktable's default for raws\n"
     "                          (+0.7 EV, sigmoid tone curve; default) or linear (neutral);\n"
     "                          saved with the recipe (dm:RawLook)\n" SCENE_OPTS
     "\nExample:\n"
     "  depthmask render portrait.jpg -o out.tif --set 'correction[0].mask[0].kind=background' \\\n"
     "      --set 'correction[0].exposure=-0.7' --set lens_blur.amount=60\n"},
    {"depth",
     "  depth IN -o DEPTH.png [--viz HEAT.png] [--matte-out MATTE.png] [--confidence-out C.png]\n"
     "         [--depth ...] [--matte ...] [--cache DIR]   16-bit, 0 = near, linear in disparity\n",
     "Writes the depth map every mask and the lens blur see, as 16-bit grey (0 = near).\n"
     "\n"
     "  -o DEPTH.png            the depth map (.png or .tif)\n"
     "  --viz HEAT.png          the heat map (near yellow .. far purple) with its colour bar\n"
     "                          under it: near and far, in metres when the depth is metric\n"
     "  --matte-out MATTE.png   the subject matte\n"
     "  --confidence-out C.png  where depth is trusted (low: subject and surroundings share it)\n"
     SCENE_OPTS},
    {"mask",
     "  mask IN -o MASK.png [--recipe R.xmp] [--set KEY=VALUE]... [--correction N]\n"
     "         [--overlay OUT.png] [--sample X,Y[,R]] [--depth ...] [--matte ...]\n"
     "                          one correction's mask (16-bit), the red overlay, the depth eyedropper\n",
     "Writes the combined mask of one correction, as render would apply it.\n"
     "\n"
     "  -o MASK.png             the mask, 16-bit grey\n"
     "  --correction N          which correction (default 0)\n"
     "  --overlay OUT.png       the mask painted red over the photo\n"
     "  --sample X,Y[,R]        the depth eyedropper: depth at pixel X,Y (median over radius R)\n"
     "                          and a suggested Depth Range\n"
     "  --recipe, --preset, --set   as for render (nothing is saved)\n" SCENE_OPTS},
    {"edit",
     "  edit IN|DIR [--port N] [--proxy PX] [--out DIR] [--sidecar-dir DIR]\n"
     "         [--depth ...] [--matte ...] [--cache DIR | --no-cache] [--threads N]\n"
     "                          the interactive editor: a local server for the browser\n",
     "Serves the editor for one photo, or for the photos of a folder (not its subfolders), on\n"
     "127.0.0.1. The first line printed is the page's address with the session's token; open it\n"
     "in a browser (nothing is opened for you). Every change is saved to the photo's sidecar\n"
     "within a second; Ctrl-C (or the page's Quit) saves what is left and stops.\n"
     "\n"
     "  --port N                listen on port N (default: a free one)\n"
     "  --proxy PX              the previews' long side (default 1600)\n"
     "  --out DIR               where exports go (default: beside each photo)\n"
     "  --sidecar-dir DIR       keep the recipes in DIR instead of beside the photos\n"
     "  --skip-unknown-masks, --allow-outside-paths   as for render\n" SCENE_OPTS
     "\nExample:\n"
     "  depthmask edit portrait.jpg --port 8600\n"},
    {"batch",
     "  batch IN... --preset P.xmp -o DIR [-r] [--jobs N|auto] [--threads-per-job T]\n"
     "         [--shard I/N] [--sidecars beside|out|none] [--summary FILE.json]\n"
     "         [--max-memory SIZE] [--dry-run] [render's output and scene options]\n"
     "                          one preset over many photos: resumable, sharded, progress\n",
     "Renders every photo of IN (files, or folders' photos; -r: and their subfolders') with the\n"
     "preset merged into its sidecar exactly as `render --preset` does, into DIR/NAME-dm.EXT\n"
     "(NAME.SRCEXT-dm.EXT where base names collide). Each output is what `render` writes for\n"
     "that photo, bit for bit. Photos go in one stable order (sorted by path); a photo that\n"
     "fails gets render's one-line message and the batch goes on.\n"
     "\n"
     "  -o DIR                  the outputs' folder (made if missing); its manifest\n"
     "                          (.depthmask-batch.jsonl) lets a repeated or killed batch skip\n"
     "                          every output that is current\n"
     "  -r                      go into subfolders\n"
     "  --jobs N|auto           photos at once, sharing the loaded networks (auto: from the\n"
     "                          cores and --max-memory)\n"
     "  --threads-per-job T     threads each photo uses (default: cores / jobs)\n"
     "  --shard I/N             only every N-th photo of the order, starting at the I-th\n"
     "                          (GNU parallel, Slurm arrays, Kubernetes indexed jobs)\n"
     "  --sidecars beside|out|none   update each photo's own sidecar (default, as Lightroom\n"
     "                          does), write the recipes into DIR instead, or write none\n"
     "  --summary FILE.json     every photo's status, output, message, seconds and depth\n"
     "  --max-memory SIZE       all jobs together stay under it (default: half the RAM or\n"
     "                          the cgroup's limit)\n"
     "  --dry-run               list what would be rendered and what is current; write nothing\n"
     "  --format, --bits, --profile, --quality, --compression, --long-edge, --set,\n"
     "  --raw-look, --depth, --matte, --cache, --no-cache   as for render\n"
     "Progress: one line on a terminal; otherwise `ok|fail|skip PATH SECONDS` per photo.\n"
     "Exit status: 0 every photo ok or current, 1 any failed, 2 bad usage.\n"
     "\nExample:\n"
     "  depthmask batch shoot/ --preset look.xmp -o out/ --format jpeg --long-edge 2048\n"},
    {"info",
     "  info IN                 what the file carries: format, size, profile, metadata, the depth\n"
     "                          and mattes embedded in it, sidecar\n",
     "Reads IN and prints what it carries; never runs the networks (cached depth only).\n"},
    {"keys",
     "  keys [PREFIX]           every --set key: type, default, range, meaning\n"
     "  keys --crs              every Lightroom crs: field and what depthmask does with it\n",
     "Lists every key --set takes, from the parameter tables, with its type, default, hard\n"
     "range and one line of meaning. PREFIX narrows the list (e.g. `lens_blur`, `correction`,\n"
     "`mask`, or a field name such as `depth_range`).\n"
     "--crs prints, as a Markdown table, every Lightroom Develop setting (crs:) a sidecar may\n"
     "carry: applied, kept but not applied (a render warns when it is off its default), or\n"
     "refused (local edits in forms depthmask cannot render).\n"},
    {"demo", "  demo                    render a real sample photo into ./demo-out/\n",
     "Renders Grace Hopper's portrait with a background/subject edit and lens blur into\n"
     "./demo-out/, with its sidecar.\n"},
    {"models",
     "  models list             the known networks: installed or not, size, sha256 check, path\n"
     "  models add FILE...      install a known network's weights (checked by sha256)\n",
     "Lists the networks depthmask knows, or installs one (Depth Anything V2 Small) after\n"
     "checking its SHA-256 against the published checksum. Nothing is downloaded.\n"},
};

void cli_print_usage(FILE *f) {
  fputs("usage: depthmask COMMAND [ARGS]     (depthmask COMMAND --help for details)\n\n", f);
  for (size_t i = 0; i < sizeof helps / sizeof *helps; i++) fputs(helps[i].synopsis, f);
  fputs("\nEvery edit lives in a sidecar (photo.jpg.xmp; photo.xmp for a RAW photo.cr2); the photo is\n"
        "never written.\n"
        "Exit status: 0 ok, 1 bad input, 2 bad usage.\n", f);
}

int cli_help_wanted(int argc, char **argv) {
  for (int i = 0; i < argc; i++)
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return 1;
  return 0;
}

int cli_print_help(const char *cmd) {
  for (size_t i = 0; i < sizeof helps / sizeof *helps; i++)
    if (!strcmp(helps[i].name, cmd)) {
      printf("usage: depthmask\n%s\n%s", helps[i].synopsis, helps[i].details);
      return DM_EXIT_OK;
    }
  return cli_usage_error("unknown command \"%s\"", cmd);
}
