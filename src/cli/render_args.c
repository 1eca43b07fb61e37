/* Options shared by the commands that render. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/hash.h"
#include "core/param.h"

/* Value of an option that takes one: "--opt VALUE" or "--opt=VALUE". */
static const char *take_value(int argc, char **argv, int *i, const char *name) {
  const char *arg = argv[*i];
  size_t n = strlen(name);
  if (arg[n] == '=') return arg + n + 1;
  if (*i + 1 >= argc) return NULL;
  return argv[++*i];
}

static int is_opt(const char *arg, const char *name) {
  size_t n = strlen(name);
  return strncmp(arg, name, n) == 0 && (arg[n] == 0 || arg[n] == '=');
}

int cli_parse_render_args(int argc, char **argv, cli_render_args *a) {
  memset(a, 0, sizeof *a);
  a->sets = calloc((size_t)argc + 1, sizeof *a->sets);
  if (!a->sets) return cli_usage_error("out of memory");
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i], *v;
#define VALUE(name)                                                   \
  if (!(v = take_value(argc, argv, &i, name))) {                      \
    return cli_usage_error("%s needs a value", name);                 \
  }
    if (!strcmp(arg, "-o")) {
      if (i + 1 >= argc) return cli_usage_error("-o needs a file name");
      a->output = argv[++i];
    } else if (is_opt(arg, "--output")) {
      VALUE("--output");
      a->output = v;
    } else if (is_opt(arg, "--recipe")) {
      VALUE("--recipe");
      a->recipe = v;
    } else if (is_opt(arg, "--preset")) {
      VALUE("--preset");
      a->preset = v;
    } else if (is_opt(arg, "--set")) {
      VALUE("--set");
      a->sets[a->n_sets++] = v;
    } else if (is_opt(arg, "--format")) {
      VALUE("--format");
      a->format_name = v;
    } else if (is_opt(arg, "--bits")) {
      VALUE("--bits");
      if (!dm_parse_int(v, &a->bits) || (a->bits != 8 && a->bits != 16 && a->bits != 32))
        return cli_usage_error("--bits must be 8, 16 or 32, not \"%s\"", v);
    } else if (is_opt(arg, "--profile")) {
      VALUE("--profile");
      a->profile_name = v;
    } else if (is_opt(arg, "--quality")) {
      VALUE("--quality");
      if (!dm_parse_int(v, &a->quality) || a->quality < 1 || a->quality > 100)
        return cli_usage_error("--quality must be 1 to 100, not \"%s\"", v);
    } else if (is_opt(arg, "--long-edge")) {
      VALUE("--long-edge");
      if (!dm_parse_int(v, &a->long_edge) || a->long_edge < 16 || a->long_edge > 65535)
        return cli_usage_error("--long-edge must be 16 to 65535 pixels, not \"%s\"", v);
    } else if (is_opt(arg, "--compression")) {
      VALUE("--compression");
      a->compression = v;
    } else if (is_opt(arg, "--threads")) {
      VALUE("--threads");
      if (!dm_parse_int(v, &a->threads) || a->threads < 1 || a->threads > 256)
        return cli_usage_error("--threads must be 1 to 256, not \"%s\"", v);
    } else if (is_opt(arg, "--depth-range")) {
      VALUE("--depth-range");
      a->depth_range = v;
    } else if (is_opt(arg, "--depth-encoding")) {
      VALUE("--depth-encoding");
      a->depth_encoding = v;
    } else if (is_opt(arg, "--depth")) {
      VALUE("--depth");
      a->depth = v;
    } else if (is_opt(arg, "--matte")) {
      VALUE("--matte");
      a->matte = v;
    } else if (is_opt(arg, "--subject-distance") || is_opt(arg, "--background-distance")) {
      int subject = is_opt(arg, "--subject-distance");
      const char *name = subject ? "--subject-distance" : "--background-distance";
      VALUE(name);
      float *d = subject ? &a->subject_distance : &a->background_distance;
      /* 0 is "not given" inside; here it is a distance within the focal length */
      if (!dm_parse_float(v, d) || !(*d > 0.0f))
        return cli_usage_error("%s must be a distance in metres beyond the focal length, not \"%s\"",
                               name, v);
    } else if (is_opt(arg, "--raw-look")) {
      VALUE("--raw-look");
      if (strcmp(v, "default") && strcmp(v, "neutral"))
        return cli_usage_error("--raw-look must be default or neutral, not \"%s\"", v);
      a->raw_look = v;
    } else if (is_opt(arg, "--cache")) {
      VALUE("--cache");
      a->cache = v;
    } else if (!strcmp(arg, "--no-cache")) {
      a->cache = "";
    } else if (!strcmp(arg, "--timings")) {
      a->timings = 1;
    } else if (!strcmp(arg, "--no-sidecar")) {
      a->no_sidecar = 1;
    } else if (!strcmp(arg, "--skip-unknown-masks")) {
      a->skip_unknown_masks = 1;
    } else if (!strcmp(arg, "--allow-outside-paths")) {
      a->allow_outside_paths = 1;
    } else if (is_opt(arg, "--max-memory")) {
      VALUE("--max-memory");
      if (!dm_parse_size(v, &a->max_memory))
        return cli_usage_error("--max-memory must be a size such as 4G or 512M, not \"%s\"", v);
    } else if (is_opt(arg, "--sidecar")) {
      VALUE("--sidecar");
      a->sidecar = v;
    } else if (arg[0] == '-' && arg[1]) {
      return cli_usage_error("unknown option \"%s\"", arg);
    } else if (!a->input) {
      a->input = arg;
    } else {
      return cli_usage_error("more than one input file (\"%s\", \"%s\")", a->input, arg);
    }
#undef VALUE
  }
  if (!a->input) return cli_usage_error("no input file");
  if (a->recipe && a->preset) return cli_usage_error("use --recipe or --preset, not both");
  if (a->sidecar && a->no_sidecar) return cli_usage_error("use --sidecar PATH or --no-sidecar, not both");
  if (a->sidecar && !*a->sidecar) return cli_usage_error("--sidecar needs a file name");
  return 0;
}

void cli_render_args_free(cli_render_args *a) {
  free(a->sets);
  a->sets = NULL;
}

void cli_sidecar_target(const cli_render_args *a, char *out, size_t len) {
  if (a->no_sidecar) out[0] = 0;
  else if (a->sidecar) snprintf(out, len, "%s", a->sidecar);
  else dm_sidecar_path(a->input, out, len);
}

dm_status cli_photo_hash(dm_context *ctx, const char *path, char hex[33]) {
  dm_hash h;
  dm_status s = dm_hash_file(ctx, path, &h);
  if (!s) dm_hash_hex(h, hex);
  return s;
}

/* Read the photo's sidecar at `path` unless it belongs to another photo. */
static dm_status read_sidecar(dm_context *ctx, const cli_render_args *a, const char *path,
                              const char *photo_hash, dm_recipe *r, int *foreign) {
  dm_status s = dm_recipe_read_file(ctx, path, r);
  if (s) return s;
  char hex[33];
  const char *other = dm_sidecar_other_owner(r, a->input, NULL);
  if (other && !photo_hash && (s = cli_photo_hash(ctx, a->input, hex)) == DM_OK) photo_hash = hex;
  if (s) return s;
  if (other) other = dm_sidecar_other_owner(r, a->input, photo_hash);
  if (!other) return DM_OK;
  char target[4096];
  cli_sidecar_target(a, target, sizeof target);
  if (foreign && target[0] && !strcmp(target, path))
    *foreign = 1; /* the caller refuses, naming it */
  else
    dm_log(ctx, DM_LOG_WARN, "%s: belongs to %s, not to %s; not used", path, other, a->input);
  dm_recipe_clear(r);
  return DM_OK;
}

dm_status cli_load_recipe(dm_context *ctx, const cli_render_args *a, const char *photo_hash,
                          dm_recipe *r, int *foreign) {
  char sidecar[4096];
  int legacy = 0;
  dm_status s = DM_OK;
  if (foreign) *foreign = 0;
  if (a->recipe) {
    s = dm_recipe_read_file(ctx, a->recipe, r);
  } else if (a->sidecar && (access(a->sidecar, F_OK) == 0 || !a->seed_sidecar)) {
    if (access(a->sidecar, F_OK) == 0) s = read_sidecar(ctx, a, a->sidecar, photo_hash, r, foreign);
  } else if (dm_sidecar_find(a->input, sidecar, sizeof sidecar, &legacy)) {
    s = read_sidecar(ctx, a, sidecar, photo_hash, r, foreign);
  }
  if (!s && a->preset) {
    dm_recipe preset;
    s = dm_recipe_init(ctx, &preset);
    if (!s) s = dm_recipe_read_file(ctx, a->preset, &preset);
    if (!s) s = dm_recipe_apply_preset(ctx, r, &preset);
    dm_recipe_free(&preset);
  }
  return s;
}

void cli_use_recorded_depth(dm_context *ctx, const cli_render_args *a, const dm_recipe *r,
                            dm_render_options *opt, cli_recorded_paths *paths) {
  const char *mrec = r->photo.matte_source;
  if (!a->matte && mrec[0]) {
    dm_scene_options so = opt->scene;
    char *mpath = paths->matte;
    if (!dm_matte_source_parse(mrec, &so, mpath, sizeof paths->matte))
      dm_log(ctx, DM_LOG_WARN, "%s: dm:MatteSource \"%s\" is not one this build knows; matte "
             "chosen automatically", a->input, mrec);
    else if (so.matte_mode == DM_MATTE_MODE_FILE && access(mpath, R_OK) != 0)
      dm_log(ctx, DM_LOG_WARN, "%s: the matte file the recipe was made with (%s) is gone; matte "
             "chosen automatically", a->input, mpath);
    else
      opt->scene = so;
  }
  char *path = paths->depth;
  const char *rec = r->photo.depth_source;
  if (a->depth || !rec[0]) return; /* --depth given, or nothing recorded */
  dm_scene_options so = opt->scene;
  if (!dm_depth_source_parse(rec, &so, path, sizeof paths->depth)) {
    dm_log(ctx, DM_LOG_WARN, "%s: dm:DepthSource \"%s\" is not one this build knows; depth "
           "chosen automatically", a->input, rec);
    return;
  }
  if (so.depth_mode == DM_DEPTH_MODE_FILE && access(path, R_OK) != 0) {
    dm_log(ctx, DM_LOG_WARN, "%s: the depth file the recipe was made with (%s) is gone; depth "
           "chosen automatically", a->input, path);
    return;
  }
  if (so.depth_mode == DM_DEPTH_MODE_EMBEDDED) so.depth_mode = DM_DEPTH_MODE_AUTO; /* the same choice */
  opt->scene = so;
}

/* --subject-distance and --background-distance: lens blur keys like any
 * --set (so they turn the lens blur on and are saved with the recipe),
 * checked with the lens they end up with. */
static int apply_distances(dm_context *ctx, const cli_render_args *a, dm_recipe *r) {
  if (!a->subject_distance && !a->background_distance) return 0;
  dm_lens_blur *lb = &r->lens_blur;
  if (a->subject_distance) lb->subject_distance_m = a->subject_distance;
  if (a->background_distance) lb->background_distance_m = a->background_distance;
  lb->active = 1;
  if (dm_lens_blur_check_distances(ctx, lb, "--subject-distance", "--background-distance")) {
    fprintf(stderr, "depthmask: %s\n", dm_context_error(ctx));
    return DM_EXIT_USAGE;
  }
  if (lb->mode != DM_BLUR_PHYSICAL)
    dm_log(ctx, DM_LOG_WARN, "--subject-distance and --background-distance are saved but used "
           "only in physical mode (--set lens_blur.mode=physical)");
  return 0;
}

int cli_apply_sets(dm_context *ctx, const cli_render_args *a, dm_recipe *r) {
  /* In the order dm_recipe_set_sort gives, whatever the command line's. */
  const char **order = malloc(((size_t)a->n_sets + 1) * sizeof *order);
  if (order) memcpy(order, a->sets, (size_t)a->n_sets * sizeof *order);
  if (!order || dm_recipe_set_sort(ctx, order, a->n_sets) != DM_OK) {
    free(order);
    fputs("depthmask: out of memory\n", stderr);
    return DM_EXIT_INPUT;
  }
  int rc = 0;
  for (int i = 0; i < a->n_sets && !rc; i++) {
    if (dm_recipe_set(ctx, r, order[i]) != DM_OK) {
      /* A bad --set is a command-line mistake: usage, exit 2. */
      fprintf(stderr, "depthmask: %s\n", dm_context_error(ctx));
      rc = DM_EXIT_USAGE;
    }
  }
  free(order);
  /* The photo's own setting, saved with its recipe like any --set. */
  if (!rc && a->raw_look) snprintf(r->photo.raw_look, sizeof r->photo.raw_look, "%s", a->raw_look);
  return rc ? rc : apply_distances(ctx, a, r);
}

static int format_from_name(const char *name, dm_format *f) {
  if (!strcmp(name, "jpeg") || !strcmp(name, "jpg")) *f = DM_FMT_JPEG;
  else if (!strcmp(name, "png")) *f = DM_FMT_PNG;
  else if (!strcmp(name, "tiff") || !strcmp(name, "tif")) *f = DM_FMT_TIFF;
  else return 0;
  return 1;
}

static const char *format_extension(dm_format f) {
  return f == DM_FMT_JPEG ? "jpg" : f == DM_FMT_PNG ? "png" : "tif";
}

const char *cli_output_extension(const char *format_name) {
  dm_format f = DM_FMT_TIFF;
  if (format_name && !format_from_name(format_name, &f)) return NULL;
  return format_extension(f);
}

void cli_log(void *user, dm_log_level level, const char *msg) {
  (void)user;
  if (level >= DM_LOG_WARN) fprintf(stderr, "depthmask: warning: %s\n", msg);
}

void cli_log_timed(void *user, dm_log_level level, const char *msg) {
  if (level != DM_LOG_INFO) {
    cli_log(user, level, msg);
    return;
  }
  struct rusage ru;
  long mib = getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss / 1024 : -1; /* ru_maxrss is in KiB */
  fprintf(stderr, "depthmask: timing: %s: %s, peak RSS %ld MiB\n", user ? (const char *)user : "-", msg, mib);
}

dm_status cli_check_scene_files(dm_context *ctx, const dm_scene_options *scene) {
  dm_status s = DM_OK;
  if (scene->depth_mode == DM_DEPTH_MODE_FILE) s = dm_check_input(ctx, scene->depth_file.path);
  if (!s && scene->matte_mode == DM_MATTE_MODE_FILE) s = dm_check_input(ctx, scene->matte_path);
  return s;
}

/* --depth, --depth-range, --depth-encoding, --matte, --cache into the options. */
static int cli_resolve_scene(const cli_render_args *a, dm_render_options *opt) {
  dm_scene_options *sc = &opt->scene;
  dm_depth_file_spec *d = &sc->depth_file;
  d->encoding = DM_DEPTH_LINEAR;
  if (a->depth_encoding && !dm_depth_encoding_from_name(a->depth_encoding, &d->encoding))
    return cli_usage_error("--depth-encoding must be linear, inverse or near01, not \"%s\"",
                           a->depth_encoding);
  if (a->depth_range) {
    char near[64], far[64];
    const char *colon = strchr(a->depth_range, ':');
    if (!colon || colon - a->depth_range >= (long)sizeof near || strlen(colon + 1) >= sizeof far)
      return cli_usage_error("--depth-range must be NEAR_M:FAR_M, not \"%s\"", a->depth_range);
    snprintf(near, sizeof near, "%.*s", (int)(colon - a->depth_range), a->depth_range);
    snprintf(far, sizeof far, "%s", colon + 1);
    if (!dm_parse_float(near, &d->near_m) || !dm_parse_float(far, &d->far_m) || !(d->near_m > 0) ||
        !(d->far_m > d->near_m))
      return cli_usage_error("--depth-range must be NEAR_M:FAR_M with 0 < NEAR_M < FAR_M, not \"%s\"",
                             a->depth_range);
  }
  const char *depth = a->depth ? a->depth : "auto";
  if (!strcmp(depth, "auto")) sc->depth_mode = DM_DEPTH_MODE_AUTO;
  else if (!strcmp(depth, "ai")) sc->depth_mode = DM_DEPTH_MODE_AI;
  else if (!strcmp(depth, "embedded")) sc->depth_mode = DM_DEPTH_MODE_EMBEDDED;
  else {
    sc->depth_mode = DM_DEPTH_MODE_FILE;
    d->path = depth;
  }
  if (sc->depth_mode != DM_DEPTH_MODE_FILE && (a->depth_range || a->depth_encoding))
    return cli_usage_error("--depth-range and --depth-encoding describe a --depth FILE");
  const char *matte = a->matte ? a->matte : "auto";
  if (!strcmp(matte, "auto")) sc->matte_mode = DM_MATTE_MODE_AUTO;
  else if (!strcmp(matte, "none")) sc->matte_mode = DM_MATTE_MODE_NONE;
  else {
    sc->matte_mode = DM_MATTE_MODE_FILE;
    sc->matte_path = matte;
  }
  sc->cache_dir = a->cache; /* NULL = the default folder; "" = none */
  return 0;
}

int cli_resolve_output(const cli_render_args *a, dm_render_options *opt, char *out_path,
                       size_t out_len) {
  memset(opt, 0, sizeof *opt);
  opt->format = DM_FMT_UNKNOWN;
  if (a->format_name && !format_from_name(a->format_name, &opt->format))
    return cli_usage_error("--format must be jpeg, png or tiff, not \"%s\"", a->format_name);
  if (opt->format == DM_FMT_UNKNOWN && a->output) {
    opt->format = dm_format_from_extension(a->output);
    if (opt->format != DM_FMT_JPEG && opt->format != DM_FMT_PNG && opt->format != DM_FMT_TIFF)
      return cli_usage_error("%s: cannot tell the output format from its name; use --format",
                             a->output);
  }
  /* A retoucher's master: 16-bit TIFF unless asked otherwise. */
  if (opt->format == DM_FMT_UNKNOWN) opt->format = DM_FMT_TIFF;
  opt->bits = a->bits ? a->bits : (opt->format == DM_FMT_JPEG ? 8 : 16);
  if (opt->format == DM_FMT_JPEG && opt->bits != 8)
    return cli_usage_error("JPEG output is 8-bit; use --format tiff or png for %d-bit", opt->bits);
  if (opt->format == DM_FMT_PNG && opt->bits == 32)
    return cli_usage_error("PNG output is 8 or 16-bit; use --format tiff for 32-bit float");
  opt->profile = DM_PROFILE_SRGB;
  if (a->profile_name && !dm_profile_from_name(a->profile_name, &opt->profile))
    return cli_usage_error("--profile must be srgb, adobergb, p3 or prophoto, not \"%s\"",
                           a->profile_name);
  opt->quality = a->quality;
  opt->long_edge = a->long_edge;
  opt->compression = DM_COMPRESS_DEFAULT;
  if (a->compression) {
    if (!strcmp(a->compression, "none")) opt->compression = DM_COMPRESS_NONE;
    else if (!strcmp(a->compression, "lzw")) opt->compression = DM_COMPRESS_LZW;
    else if (!strcmp(a->compression, "deflate") || !strcmp(a->compression, "zip"))
      opt->compression = DM_COMPRESS_DEFLATE;
    else
      return cli_usage_error("--compression must be none, lzw or deflate, not \"%s\"",
                             a->compression);
  }
  int rc = cli_resolve_scene(a, opt);
  if (rc) return rc;
  if (a->output) {
    if (snprintf(out_path, out_len, "%s", a->output) >= (int)out_len)
      return cli_usage_error("output path too long");
  } else {
    /* IN with "-dm" and the chosen extension: photo.jpg -> photo-dm.tif */
    const char *slash = strrchr(a->input, '/');
    const char *dot = strrchr(a->input, '.');
    int stem = (dot && (!slash || dot > slash)) ? (int)(dot - a->input) : (int)strlen(a->input);
    if (snprintf(out_path, out_len, "%.*s-dm.%s", stem, a->input,
                 format_extension(opt->format)) >= (int)out_len)
      return cli_usage_error("output path too long");
  }
  return 0;
}

int cli_start(int argc, char **argv, cli_render_args *a, dm_render_options *opt, char *out_path,
              size_t out_len, dm_context **ctx) {
  *ctx = NULL;
  int rc = cli_parse_render_args(argc, argv, a);
  if (!rc) rc = cli_resolve_output(a, opt, out_path, out_len);
  if (!rc && !(*ctx = dm_context_new(a->threads))) {
    fputs("depthmask: out of memory\n", stderr);
    rc = DM_EXIT_INPUT;
  }
  if (rc) {
    cli_render_args_free(a);
    return rc;
  }
  (*ctx)->log = a->timings ? cli_log_timed : cli_log;
  (*ctx)->log_user = (void *)a->input;
  (*ctx)->skip_unrendered_masks = a->skip_unknown_masks;
  (*ctx)->allow_outside_paths = a->allow_outside_paths;
  if (a->max_memory) (*ctx)->max_memory = a->max_memory;
  return 0;
}

int cli_take_options(int *argc, char **argv, const char *const *names, const char **values, int n) {
  int kept = 0;
  for (int i = 0; i < *argc; i++) {
    int k = 0;
    while (k < n && strcmp(argv[i], names[k]) != 0) k++;
    if (k == n) {
      argv[kept++] = argv[i];
      continue;
    }
    if (i + 1 >= *argc) return cli_usage_error("%s needs a value", argv[i]);
    values[k] = argv[++i];
  }
  *argc = kept;
  return 0;
}
