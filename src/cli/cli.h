/* The depthmask command line: one file per sub-command.
 * Exit codes (DESIGN section 7): 0 success, 1 bad input (one line
 * `depthmask: FILE: problem` on stderr), 2 bad usage. */
#ifndef DM_CLI_H
#define DM_CLI_H

#include <stdio.h>

#include "pipeline/render.h"

enum { DM_EXIT_OK = 0, DM_EXIT_INPUT = 1, DM_EXIT_USAGE = 2 };

/* Print the context's error as `depthmask: ...` and return the exit code
 * for status s (usage errors from parameters -> 2, else 1). */
int cli_report(dm_context *ctx, dm_status s);
/* Print `depthmask: <message>` plus a hint to run --help; return 2. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Options shared by the commands that render (render; later mask, depth). */
typedef struct cli_render_args {
  const char *input;
  const char *output;        /* NULL = derived from input */
  const char *recipe;        /* --recipe */
  const char *preset;        /* --preset */
  const char **sets;         /* --set values in order */
  int n_sets;
  const char *format_name;   /* --format */
  int bits;                  /* --bits, 0 = default for the format */
  const char *profile_name;  /* --profile */
  int quality;               /* --quality */
  int long_edge;             /* --long-edge PX, 0 = full size */
  const char *compression;   /* --compression */
  int no_sidecar;            /* --no-sidecar */
  int skip_unknown_masks;    /* --skip-unknown-masks */
  const char *sidecar;       /* --sidecar PATH: read and write the edit there */
  int allow_outside_paths;   /* --allow-outside-paths: `file` masks anywhere */
  long long max_memory;      /* --max-memory SIZE in bytes, 0 = the default */
  int threads;               /* --threads, 0 = all cores */
  const char *depth;         /* --depth auto|ai|embedded|FILE */
  const char *depth_range;   /* --depth-range NEAR_M:FAR_M */
  const char *depth_encoding; /* --depth-encoding linear|inverse|near01 */
  const char *matte;         /* --matte auto|none|FILE */
  const char *cache;         /* --cache DIR ("" with --no-cache), NULL = default */
  float subject_distance;    /* --subject-distance M, 0 = not given (lens_blur.subject_distance_m) */
  float background_distance; /* --background-distance M (lens_blur.background_distance_m) */
  const char *raw_look;      /* --raw-look default|neutral (dm:RawLook), NULL = as the recipe says */
  int timings;               /* --timings: each stage's wall time and the peak memory, on stderr */
  int seed_sidecar;          /* not an option (batch --sidecars out): a --sidecar PATH not made
                                yet starts from the photo's own sidecar */
} cli_render_args;

/* Parse argv (after the sub-command name). Returns 0, or an exit code. */
int cli_parse_render_args(int argc, char **argv, cli_render_args *a);
void cli_render_args_free(cli_render_args *a);

/* The sidecar a command saves to: --sidecar PATH, else the photo's own
 * (dm_sidecar_path); "" with --no-sidecar. */
void cli_sidecar_target(const cli_render_args *a, char *out, size_t len);
/* Build the recipe for a render: --recipe, else --sidecar PATH or the
 * photo's sidecar (its own, or a legacy one it may read) when there is one,
 * then --preset. A sidecar that names another photo is not used (warning);
 * *foreign (may be NULL) is then set to 1 when it sits where this photo's
 * edit would be saved. `photo_hash` is the photo's content hash (hex). */
dm_status cli_load_recipe(dm_context *ctx, const cli_render_args *a, const char *photo_hash,
                          dm_recipe *r, int *foreign);
/* Without --depth (--matte), a re-render takes its depth (matte) where the
 * recipe's did (dm:DepthSource, dm:MatteSource: a file while it exists, the
 * networks even when the photo carries depth, no matte), not a fresh
 * automatic choice. `paths` holds the recorded file names opt points at. */
typedef struct cli_recorded_paths {
  char depth[4096], matte[4096];
} cli_recorded_paths;
void cli_use_recorded_depth(dm_context *ctx, const cli_render_args *a, const dm_recipe *r,
                            dm_render_options *opt, cli_recorded_paths *paths);
/* The photo's content hash as dm:SourceHash holds it. */
dm_status cli_photo_hash(dm_context *ctx, const char *path, char hex[33]);
/* Apply each --set in order, then --subject-distance and
 * --background-distance (checked together with the recipe's lens: exit 2
 * naming the option). Returns 0, or exit code 2 after printing. */
int cli_apply_sets(dm_context *ctx, const cli_render_args *a, dm_recipe *r);
/* Output format/bits/profile from the flags and the output name; fills the
 * default output path. Returns 0 or an exit code. */
int cli_resolve_output(const cli_render_args *a, dm_render_options *opt, char *out_path,
                       size_t out_len);
/* The extension render gives an output of --format NAME (NULL: the
 * default, TIFF); NULL for a name render refuses. */
const char *cli_output_extension(const char *format_name);

/* Take a command's own "--name VALUE" options out of argv (values[k] gets
 * the value of names[k], NULL when absent); the rest stay, in order, for
 * cli_start. Returns 0 or exit code 2. */
int cli_take_options(int *argc, char **argv, const char *const *names, const char **values, int n);

/* Parse and resolve the shared options, then make the context (warnings
 * logged by cli_log). Returns 0, or an exit code after freeing `a`. */
int cli_start(int argc, char **argv, cli_render_args *a, dm_render_options *opt, char *out_path,
              size_t out_len, dm_context **ctx);
/* A named --depth or --matte file, checked before any work (render, batch,
 * edit): one that is missing, a folder or unreadable is refused even when
 * no edit would read it, so a typo shows at once. */
dm_status cli_check_scene_files(dm_context *ctx, const dm_scene_options *scene);

/* A 1-channel plane as 16-bit grey PNG or TIFF (by the name). */
dm_status cli_write_grey(dm_context *ctx, const char *path, const dm_image *plane);
/* An sRGB-encoded 3-channel picture as 8-bit PNG, JPEG or TIFF with sRGB's profile. */
dm_status cli_write_srgb(dm_context *ctx, const char *path, const dm_image *rgb);

/* Where the scene's depth and matte came from ("(cached)" on the first
 * line when the networks did not run) and its confidence. */
void cli_print_scene(const dm_scene *sc);

/* Prints warnings from the library as `depthmask: warning: ...`. */
void cli_log(void *user, dm_log_level level, const char *msg);
/* The same, and with --timings each stage's end (dm_stage_done) as
 * `depthmask: timing: PHOTO: JOB: STAGE N ms, peak RSS M MiB`; user is
 * the photo's path. */
void cli_log_timed(void *user, dm_log_level level, const char *msg);

/* The overview (every command's synopsis); COMMAND --help (exit 0, or 2
 * for an unknown command); is --help or -h among the arguments? */
void cli_print_usage(FILE *f);
int cli_print_help(const char *cmd);
int cli_help_wanted(int argc, char **argv);

/* One photo through render's whole path, as `render ARGS` does it; `batch`
 * calls it per photo. With a job, nothing is printed to stdout, the error
 * line (still printed to stderr) is kept in job->message, and `before`,
 * called with the merged recipe's hash once it is known, may skip the
 * render by returning 1 (the manifest says the output is current). */
typedef struct cli_photo_job cli_photo_job;
struct cli_photo_job {
  int (*before)(void *user, const cli_photo_job *job, const dm_render_options *opt);
  void *user;
  int seed_sidecar;        /* cli_render_args.seed_sidecar */
  char output[4096];       /* the output path */
  char input_hash[33];     /* the photo's content (XXH3-128, as dm:SourceHash) */
  char recipe_hash[33];    /* the merged recipe, cli_recipe_hash */
  char output_hash[33];    /* of the output as committed (dm:OutputHash), "" when skipped */
  char depth_source[512];  /* dm:DepthSource of the render ("" when it needed no depth) */
  char message[1024];      /* the error, "" on success */
  int skipped;
};
int cli_render_photo(int argc, char **argv, cli_photo_job *job);
/* The hash of what a recipe does to the picture: every field but the
 * per-photo record a render rewrites (dm:OutputFile, provenance). */
dm_status cli_recipe_hash(dm_context *ctx, const dm_recipe *r, char hex[33]);

int cmd_render(int argc, char **argv);
int cmd_batch(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_models(int argc, char **argv);
int cmd_depth(int argc, char **argv);
int cmd_mask(int argc, char **argv);
int cmd_edit(int argc, char **argv);

#endif
