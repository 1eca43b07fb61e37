/* depthmask edit PHOTO|FOLDER: the editor's local server (src/server).
 *
 * Prints the page's address with its token as the first line on stdout
 * and opens no browser. Runs until Ctrl-C, SIGTERM, SIGHUP or POST
 * /api/quit, then saves every recipe with unsaved changes and exits 0 (1
 * when a save failed). Takes render's depth, matte, cache and thread
 * options (render_args.c); what only a one-shot render means (-o, --set,
 * --recipe, the output format) is refused. */
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/param.h"
#include "nn/model_cache.h"
#include "server/server.h"

typedef struct edit_args {
  int port, proxy;
  const char *out_dir, *sidecar_dir;
} edit_args;

static int is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int parse_edit_args(int *argc, char **argv, edit_args *e) {
  static const char *const names[] = {"--port", "--proxy", "--out", "--sidecar-dir"};
  const char *v[4] = {0};
  int rc = cli_take_options(argc, argv, names, v, 4);
  if (rc) return rc;
  if (v[0] && (!dm_parse_int(v[0], &e->port) || e->port < 1 || e->port > 65535))
    return cli_usage_error("--port must be 1 to 65535, not \"%s\"", v[0]);
  /* Below the draft's 1000 px a proxy would be coarser than the draft. */
  if (v[1] && (!dm_parse_int(v[1], &e->proxy) || e->proxy < 1000 || e->proxy > 8192))
    return cli_usage_error("--proxy must be 1000 to 8192 pixels, not \"%s\"", v[1]);
  e->out_dir = v[2], e->sidecar_dir = v[3];
  if (e->out_dir && !is_dir(e->out_dir))
    return cli_usage_error("--out must be an existing folder, not \"%s\"", e->out_dir);
  if (e->sidecar_dir && !is_dir(e->sidecar_dir))
    return cli_usage_error("--sidecar-dir must be an existing folder, not \"%s\"", e->sidecar_dir);
  return 0;
}

/* Render's options that mean nothing to a session that edits the sidecar. */
static int check_args(const cli_render_args *a) {
  if (a->output || a->recipe || a->preset || a->n_sets || a->no_sidecar || a->sidecar)
    return cli_usage_error("edit works on each photo's sidecar: -o, --recipe, --preset, --set, "
                           "--sidecar and --no-sidecar are render options");
  if (a->format_name || a->bits || a->profile_name || a->quality || a->compression ||
      a->subject_distance || a->background_distance || a->raw_look || a->long_edge)
    return cli_usage_error("the output format, lens distances and raw look are chosen in the editor "
                           "(POST /api/export, the recipe), not on edit's command line");
  return 0;
}

/* Wait for a stop signal or a client's quit; poll the latter 5 times a second. */
static void wait_for_quit(dm_server *srv, const sigset_t *stop) {
  for (;;) {
    struct timespec tick = {.tv_sec = 0, .tv_nsec = 200 * 1000000L};
    if (sigtimedwait(stop, NULL, &tick) > 0) return;
    if (dm_server_quit_requested(srv)) return;
  }
}

int cmd_edit(int argc, char **argv) {
  /* Before any thread exists (the context's pool, the server's): the stop
   * signals are then blocked in every thread and taken here alone, so they
   * end the session through dm_server_close, sidecars saved. */
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);
  signal(SIGPIPE, SIG_IGN); /* a browser that goes away is no reason to die */
  /* Every preview allocates the same 4-20 MB buffers again. glibc maps those
   * afresh each time (its threshold only grows to the last one freed), and
   * the kernel zeroes every new page: 14 % of a draft render's time in perf.
   * Kept in the heap instead, they are reused; RSS stays at its peak. */
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);

  edit_args e = {0};
  cli_render_args a;
  dm_render_options opt;
  char unused[PATH_MAX];
  dm_context *ctx;
  int rc = parse_edit_args(&argc, argv, &e);
  if (!rc) rc = cli_start(argc, argv, &a, &opt, unused, sizeof unused, &ctx);
  if (rc) return rc;
  if ((rc = check_args(&a)) != 0) {
    dm_context_free(ctx);
    cli_render_args_free(&a);
    return rc;
  }
  dm_server_options so = {.input = a.input, .port = e.port, .proxy = e.proxy,
                          .threads = a.threads, .out_dir = e.out_dir,
                          .sidecar_dir = e.sidecar_dir, .scene = opt.scene};
  dm_server *srv = NULL;
  int port = 0;
  /* a session builds the scene of every photo it opens: the networks stay loaded */
  dm_nn_cache_enable(1);
  dm_status s = cli_check_scene_files(ctx, &opt.scene);
  if (!s) s = dm_server_open(ctx, &so, &srv);
  if (!s) s = dm_server_listen(ctx, srv, &port);
  if (s) {
    rc = cli_report(ctx, s);
    if (srv) dm_server_close(ctx, srv);
  } else {
    printf("http://127.0.0.1:%d/?token=%s\n", port, dm_server_token(srv));
    fflush(stdout);
    fputs("depthmask: editing; open the address above in a browser, Ctrl-C to quit\n", stderr);
    wait_for_quit(srv, &stop);
    rc = cli_report(ctx, dm_server_close(ctx, srv));
  }
  dm_nn_cache_clear();
  dm_context_free(ctx);
  cli_render_args_free(&a);
  return rc;
}
