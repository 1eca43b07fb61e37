/* depthmask batch: one preset over many photos (DESIGN section 9).
 *
 * Every photo goes through render's own path (cli_render_photo) with the
 * arguments `render PHOTO -o OUT ...` would get, so its output is render's,
 * bit for bit, and its preset is merged with its sidecar exactly as
 * `render --preset` merges it. What the batch adds: the photos of folders
 * in one stable order, shards of that order, workers that share the loaded
 * networks (threads of one process: one copy of the weights, each network
 * planned once; src/nn/model_cache.h), progress, a summary, and a manifest
 * that lets a killed or repeated batch skip what is done (src/batch). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch/batch.h"
#include "cli/cli.h"
#include "core/param.h"
#include "nn/model_cache.h"

/* Per-job memory for --jobs auto: a 24 MP render of the seed workflow
 * peaks at 1.6 GB (issue 17), and each job keeps its own planned copy of
 * the networks (ISNet ~0.5 GB; src/nn/model_cache.h). */
#define JOB_BYTES (2LL << 30)
#define NETS_BYTES (768LL << 20)

typedef struct batch {
  const char *out_dir, *summary, *sidecars;
  const char **inputs;
  int n_inputs, recursive, dry_run, jobs, threads, shard_i, shard_n;
  long long max_memory;
  const char **pass; /* render's own options, passed on to every photo */
  int n_pass;
  const char *ext;   /* the outputs' extension */
  char options[512]; /* the output and scene options, for the manifest */
  char models[1024];
  dm_batch_manifest *manifest;
} batch;

/* Render options that take a value, passed on as they are. */
static const char *const value_opts[] = {
    "--preset", "--set", "--format", "--bits", "--profile", "--quality", "--compression", "--long-edge",
    "--depth", "--depth-range", "--depth-encoding", "--matte", "--cache", "--raw-look",
    "--subject-distance", "--background-distance"};
static const char *const flag_opts[] = {"--no-cache", "--skip-unknown-masks", "--allow-outside-paths", "--timings"};

static int in_list(const char *a, const char *const *list, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(a, list[i])) return 1;
  return 0;
}

static const char *pass_value(const batch *b, const char *name) {
  const char *v = NULL;
  for (int i = 0; i + 1 < b->n_pass; i++)
    if (!strcmp(b->pass[i], name)) v = b->pass[++i];
  return v;
}

static int parse(int argc, char **argv, batch *b) {
  memset(b, 0, sizeof *b);
  b->inputs = calloc((size_t)argc + 1, sizeof *b->inputs);
  b->pass = calloc((size_t)argc + 1, sizeof *b->pass);
  if (!b->inputs || !b->pass) return cli_usage_error("out of memory");
  b->sidecars = "beside";
  const char *jobs = "auto";
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    int takes = !strcmp(a, "-o") || !strcmp(a, "--jobs") || !strcmp(a, "--threads-per-job") ||
                !strcmp(a, "--shard") || !strcmp(a, "--sidecars") || !strcmp(a, "--summary") ||
                !strcmp(a, "--max-memory") || in_list(a, value_opts, sizeof value_opts / sizeof *value_opts);
    if (takes && !v) return cli_usage_error("%s needs a value", a);
    if (!strcmp(a, "-o")) b->out_dir = v;
    else if (!strcmp(a, "--jobs")) jobs = v;
    else if (!strcmp(a, "--summary")) b->summary = v;
    else if (!strcmp(a, "--sidecars")) b->sidecars = v;
    else if (!strcmp(a, "--threads-per-job")) {
      if (!dm_parse_int(v, &b->threads) || b->threads < 1 || b->threads > 256)
        return cli_usage_error("--threads-per-job must be 1 to 256, not \"%s\"", v);
    } else if (!strcmp(a, "--shard")) {
      char tail;
      if (sscanf(v, "%d/%d%c", &b->shard_i, &b->shard_n, &tail) != 2 || b->shard_n < 1 || b->shard_i < 1 ||
          b->shard_i > b->shard_n)
        return cli_usage_error("--shard must be I/N with 1 <= I <= N, not \"%s\"", v);
    } else if (!strcmp(a, "--max-memory")) {
      if (!dm_parse_size(v, &b->max_memory))
        return cli_usage_error("--max-memory must be a size such as 8G or 512M, not \"%s\"", v);
    } else if (!strcmp(a, "-r") || !strcmp(a, "--recursive")) {
      b->recursive = 1;
      continue;
    } else if (!strcmp(a, "--dry-run")) {
      b->dry_run = 1;
      continue;
    } else if (takes) {
      b->pass[b->n_pass++] = a, b->pass[b->n_pass++] = v;
    } else if (in_list(a, flag_opts, sizeof flag_opts / sizeof *flag_opts)) {
      b->pass[b->n_pass++] = a;
      continue;
    } else if (!strcmp(a, "--recipe") || !strcmp(a, "--sidecar") || !strcmp(a, "--no-sidecar") ||
               !strcmp(a, "--output") || !strcmp(a, "--threads")) {
      return cli_usage_error("%s is render's; a batch takes --preset, --sidecars and --threads-per-job", a);
    } else if (a[0] == '-' && a[1]) {
      return cli_usage_error("unknown option \"%s\"", a);
    } else {
      b->inputs[b->n_inputs++] = a;
      continue;
    }
    i++; /* the value */
  }
  if (!b->n_inputs) return cli_usage_error("no photos or folders to batch");
  if (!b->out_dir || !*b->out_dir) return cli_usage_error("batch needs -o DIR, the folder for its outputs");
  if (!pass_value(b, "--preset")) return cli_usage_error("batch needs --preset P.xmp");
  if (strcmp(b->sidecars, "beside") && strcmp(b->sidecars, "out") && strcmp(b->sidecars, "none"))
    return cli_usage_error("--sidecars must be beside, out or none, not \"%s\"", b->sidecars);
  long cores = dm_cpu_count();
  long long budget = b->max_memory ? b->max_memory : dm_memory_size() / 2;
  if (!strcmp(jobs, "auto")) {
    /* as many workers as cores, as long as each has its photo's memory and
     * its networks', within the budget and what is free now */
    long long avail = dm_memory_available();
    long long fit = (avail > 0 && avail < budget ? avail : budget) / (JOB_BYTES + NETS_BYTES);
    b->jobs = fit < 1 ? 1 : fit < cores ? (int)fit : (int)cores;
  } else if (!dm_parse_int(jobs, &b->jobs) || b->jobs < 1 || b->jobs > 64) {
    return cli_usage_error("--jobs must be auto or 1 to 64, not \"%s\"", jobs);
  }
  /* Twice as many threads as cores in all: one job's serial stretches
   * (decode, deflate, the scene's single passes) leave its cores to the
   * other's. 3 x 24 MP on 2 cores, twice each: 2 jobs x 2 threads 43.1 s
   * and 43.1 s, 1 x 2 47.3 s and 48.9 s, 2 x 1 50.5 s and 51.2 s. */
  if (!b->threads) {
    long t = 2 * cores / b->jobs;
    b->threads = t < 1 ? 1 : t > cores ? (int)cores : (int)t;
  }
  /* each worker's share of the budget, which render's memory check holds
   * it to (0: the memory is unknown, render's own default then) */
  b->max_memory = budget > 0 ? budget / b->jobs - NETS_BYTES : 0;
  if (budget > 0 && b->max_memory < (256LL << 20)) b->max_memory = 256LL << 20;
  /* an unknown --format gets render's own refusal in check_render_options */
  b->ext = cli_output_extension(pass_value(b, "--format"));
  if (!b->ext) b->ext = "tif";
  return 0;
}

/* render's argv for photo p: its own options and at most ARGV_EXTRA more */
#define ARGV_EXTRA 12
static int photo_argv(const batch *b, const dm_batch_photo *p, char **argv, char *threads, char *memory) {
  int n = 0;
  argv[n++] = p->input;
  for (int i = 0; i < b->n_pass; i++) argv[n++] = (char *)b->pass[i];
  argv[n++] = "-o", argv[n++] = p->output;
  snprintf(threads, 16, "%d", b->threads);
  snprintf(memory, 32, "%lld", b->max_memory);
  argv[n++] = "--threads", argv[n++] = threads;
  if (b->max_memory) argv[n++] = "--max-memory", argv[n++] = memory;
  if (!strcmp(b->sidecars, "none")) argv[n++] = "--no-sidecar";
  else if (!strcmp(b->sidecars, "out")) argv[n++] = "--sidecar", argv[n++] = p->sidecar;
  argv[n] = NULL;
  return n;
}

typedef struct {
  batch *b;
  int current;
} photo_check;

static void entry_of(const batch *b, const cli_photo_job *job, dm_batch_entry *e) {
  memset(e, 0, sizeof *e);
  snprintf(e->output, sizeof e->output, "%s", job->output);
  snprintf(e->input_hash, sizeof e->input_hash, "%s", job->input_hash);
  snprintf(e->recipe_hash, sizeof e->recipe_hash, "%s", job->recipe_hash);
  snprintf(e->options, sizeof e->options, "%s", b->options);
  snprintf(e->models, sizeof e->models, "%s", b->models);
  e->process_version = DM_PROCESS_VERSION;
}

/* cli_render_photo's hook, once the merged recipe is known: skip what the
 * manifest says is current; a dry run renders nothing. */
static int before_render(void *user, const cli_photo_job *job, const dm_render_options *opt) {
  (void)opt;
  photo_check *c = user;
  dm_batch_entry e;
  entry_of(c->b, job, &e);
  c->current = dm_batch_manifest_current(c->b->manifest, &e);
  return c->current || c->b->dry_run;
}

static void render_one(void *user, int worker, dm_batch_photo *p) {
  (void)worker;
  batch *b = user;
  char **argv = calloc((size_t)b->n_pass + ARGV_EXTRA, sizeof *argv), threads[16], memory[32];
  if (!argv) {
    p->status = DM_BATCH_FAIL;
    snprintf(p->message, sizeof p->message, "%s: out of memory", p->input);
    return;
  }
  int argc = photo_argv(b, p, argv, threads, memory);
  photo_check check = {b, 0};
  cli_photo_job job = {.before = before_render, .user = &check, .seed_sidecar = !strcmp(b->sidecars, "out")};
  int rc = cli_render_photo(argc, argv, &job);
  free(argv);
  snprintf(p->depth_source, sizeof p->depth_source, "%s", job.depth_source);
  if (rc) {
    p->status = DM_BATCH_FAIL;
    if (job.message[0]) snprintf(p->message, sizeof p->message, "%s", job.message);
    else snprintf(p->message, sizeof p->message, "%s: render refused the batch's options", p->input);
    return;
  }
  if (job.skipped) {
    p->status = DM_BATCH_SKIP;
    snprintf(p->message, sizeof p->message, "%s %s -> %s", check.current ? "current" : "render", p->input,
             p->output);
    return;
  }
  p->status = DM_BATCH_OK;
  dm_batch_entry e;
  entry_of(b, &job, &e);
  snprintf(e.output_hash, sizeof e.output_hash, "%s", job.output_hash);
  dm_context *ctx = dm_context_new(1);
  dm_status s = ctx ? dm_batch_manifest_add(ctx, b->manifest, &e) : DM_ERR_NOMEM;
  if (s) { /* the output is good; only the next batch will not know it */
    fprintf(stderr, "depthmask: warning: %s\n", ctx ? dm_context_error(ctx) : "out of memory");
  }
  dm_context_free(ctx);
}

/* Usage errors of the passed-on options (a bad --set key, a bad --format)
 * show once, before any photo: render's own parser on the first photo. */
static int check_render_options(const batch *b, const dm_batch_list *l) {
  if (!l->n) return 0;
  char **argv = calloc((size_t)b->n_pass + ARGV_EXTRA, sizeof *argv), threads[16], memory[32];
  if (!argv) return cli_usage_error("out of memory");
  int argc = photo_argv(b, &l->photo[0], argv, threads, memory);
  cli_render_args a;
  dm_render_options opt;
  char out[4096];
  int rc = cli_parse_render_args(argc, argv, &a);
  if (!rc) rc = cli_resolve_output(&a, &opt, out, sizeof out);
  dm_context *ctx = rc ? NULL : dm_context_new(1);
  dm_recipe r;
  if (ctx && !dm_recipe_init(ctx, &r)) {
    rc = cli_apply_sets(ctx, &a, &r);
    dm_recipe_free(&r);
  }
  /* a missing --depth or --matte file: one line, not one per photo */
  dm_status s = ctx && !rc ? cli_check_scene_files(ctx, &opt.scene) : DM_OK;
  if (s) rc = cli_report(ctx, s);
  dm_context_free(ctx);
  cli_render_args_free(&a);
  free(argv);
  return rc;
}

int cmd_batch(int argc, char **argv) {
  batch b;
  int rc = parse(argc, argv, &b);
  dm_context *ctx = rc ? NULL : dm_context_new(1);
  dm_batch_list l = {0};
  dm_status s = DM_OK;
  if (!rc && !ctx) s = DM_ERR_NOMEM, rc = DM_EXIT_INPUT, fputs("depthmask: out of memory\n", stderr);
  if (!rc) {
    ctx->log = cli_log;
    s = dm_batch_collect(ctx, b.inputs, b.n_inputs, b.recursive, b.out_dir, &l);
    if (!s) s = dm_batch_name_outputs(ctx, &l, b.out_dir, b.ext, !strcmp(b.sidecars, "out"));
    if (s) rc = cli_report(ctx, s), rc = s == DM_ERR_PARAM ? DM_EXIT_USAGE : rc; /* colliding names: usage */
  }
  if (!rc && b.shard_n) dm_batch_shard(&l, b.shard_i, b.shard_n);
  if (!rc) rc = check_render_options(&b, &l);
  if (!rc && !b.dry_run && mkdir(b.out_dir, 0777) != 0) {
    struct stat st;
    if (stat(b.out_dir, &st) != 0 || !S_ISDIR(st.st_mode))
      rc = cli_report(ctx, dm_fail(ctx, DM_ERR_IO, b.out_dir, "cannot make the output folder"));
  }
  if (!rc) s = dm_batch_manifest_open(ctx, b.out_dir, b.dry_run, &b.manifest);
  if (!rc && s) rc = cli_report(ctx, s);
  int failed = 0;
  if (!rc) {
    /* every passed-on option but the preset and the --sets, which the
     * recipe's hash covers: what else makes an output what it is */
    size_t used = (size_t)snprintf(b.options, sizeof b.options, "ext %s sidecars %s", b.ext, b.sidecars);
    static const char *const not_key[] = {"--preset", "--set", "--timings", "--cache", "--no-cache"};
    for (int i = 0; i < b.n_pass && used < sizeof b.options; i++) {
      int value = in_list(b.pass[i], value_opts, sizeof value_opts / sizeof *value_opts);
      /* the caches change no pixel: a cached depth is the computed one, rounded alike */
      if (!in_list(b.pass[i], not_key, sizeof not_key / sizeof *not_key)) {
        int n = snprintf(b.options + used, sizeof b.options - used, value ? " %s %s" : " %s", b.pass[i],
                         value ? b.pass[i + 1] : "");
        used += n > 0 ? (size_t)n : 0;
      }
      i += value;
    }
    dm_batch_models_text(ctx, b.models, sizeof b.models);
    dm_nn_cache_enable(b.jobs); /* a copy per worker: none waits for another's run */
    double t0 = dm_now_ms();
    /* a dry run lists in the batch's own order: one worker */
    dm_batch_run run = {.jobs = b.dry_run ? 1 : b.jobs, .tty = !b.dry_run && isatty(STDOUT_FILENO), .dry_run = b.dry_run,
                        .render = render_one, .user = &b};
    failed = dm_batch_execute(&run, &l);
    double seconds = (dm_now_ms() - t0) / 1000.0;
    dm_nn_cache_clear();
    if (b.summary && !b.dry_run) {
      s = dm_batch_write_summary(ctx, b.summary, &l, seconds, dm_nn_cache_loads());
      if (s) failed += cli_report(ctx, s) != 0;
    }
    rc = failed ? DM_EXIT_INPUT : DM_EXIT_OK;
  }
  dm_batch_manifest_close(b.manifest);
  dm_batch_list_free(&l);
  dm_context_free(ctx);
  free(b.inputs);
  free(b.pass);
  return rc;
}
