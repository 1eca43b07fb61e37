/* POST /api/export {"format", "bits", "profile", "name"}: the photo at full
 * size through the path `depthmask render` takes (dm_render_prepared, then
 * dm_commit_render: sidecar first, output second), in its own thread; its
 * state at GET /api/progress. One export at a time: a full-size render
 * already takes most of the memory budget.
 *
 * The editor's unsaved changes are saved first, then, as render does, the
 * whole read-render-commit holds the photo's sidecar lock (dm_lock) and
 * renders the sidecar as it is on disk then: unknown fields and what
 * another program wrote meanwhile come along, and output and sidecar agree.
 * The output goes to --out DIR, else beside the photo; `name` is a file
 * name only (no folder, not hidden). */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/file.h"
#include "core/hash.h"
#include "pipeline/render.h"
#include "server/srv_internal.h"

typedef struct export_job {
  dm_server *srv;
  srv_photo *p;
  dm_render_options opt;
  char out_path[4096];
} export_job;

static const char *ext_of(dm_format f) {
  return f == DM_FMT_JPEG ? "jpg" : f == DM_FMT_PNG ? "png" : "tif";
}

/* The request's choices as render options; NULL or the problem. */
static const char *parse_options(json_t *body, dm_format *format, int *bits,
                                 dm_output_profile *profile, const char **name) {
  json_t *f = json_object_get(body, "format"), *b = json_object_get(body, "bits");
  json_t *pr = json_object_get(body, "profile"), *n = json_object_get(body, "name");
  *format = DM_FMT_UNKNOWN;
  *name = NULL;
  if (n && (!json_is_string(n) || json_string_length(n) != strlen(json_string_value(n))))
    return "name must be a file name";
  if (n) *name = json_string_value(n);
  if (f) {
    const char *v = json_is_string(f) ? json_string_value(f) : "";
    if (!strcmp(v, "jpeg") || !strcmp(v, "jpg")) *format = DM_FMT_JPEG;
    else if (!strcmp(v, "png")) *format = DM_FMT_PNG;
    else if (!strcmp(v, "tiff") || !strcmp(v, "tif")) *format = DM_FMT_TIFF;
    else return "format must be jpeg, png or tiff";
  } else if (*name) {
    *format = dm_format_from_extension(*name);
    if (*format != DM_FMT_JPEG && *format != DM_FMT_PNG && *format != DM_FMT_TIFF)
      return "cannot tell the format from the name; give \"format\"";
  } else {
    *format = DM_FMT_TIFF; /* a retoucher's master, as render's default */
  }
  if (b && !json_is_integer(b)) return "bits must be 8, 16 or 32";
  *bits = b ? (int)json_integer_value(b) : *format == DM_FMT_JPEG ? 8 : 16;
  if (*bits != 8 && *bits != 16 && *bits != 32) return "bits must be 8, 16 or 32";
  if (*format == DM_FMT_JPEG && *bits != 8) return "JPEG is 8-bit; use tiff or png for more";
  if (*format == DM_FMT_PNG && *bits == 32) return "PNG is 8 or 16-bit; use tiff for 32-bit float";
  *profile = DM_PROFILE_SRGB;
  if (pr && (!json_is_string(pr) || !dm_profile_from_name(json_string_value(pr), profile)))
    return "profile must be srgb, adobergb, p3 or prophoto";
  return NULL;
}

/* A plain file name: no folder, not hidden, not empty. */
static int plain_name(const char *name) {
  return name[0] && name[0] != '.' && !strchr(name, '/') && strlen(name) < 256;
}

static dm_status run_export(dm_context *ctx, export_job *job) {
  dm_server *srv = job->srv;
  srv_photo *p = job->p;
  dm_status s = DM_OK;
  pthread_mutex_lock(&p->doc_mu);
  if (p->doc) s = dm_edit_doc_save(ctx, p->doc);
  pthread_mutex_unlock(&p->doc_mu);
  if (s) return s;
  /* The export decodes the photo at full size itself: the editor's own
   * full-size photo and scene (kept after a region render) make room. */
  pthread_mutex_lock(&p->open_mu);
  dm_graph *g = p->graph;
  pthread_mutex_unlock(&p->open_mu);
  if (g) dm_graph_release_full(g);
  malloc_trim(0); /* and the heap's free pages go back (cmd_edit keeps them otherwise) */
  char sidecar[4096], base_dir[4096], hex[33];
  srv_sidecar_path(srv, p, sidecar, sizeof sidecar);
  srv_recipe_dir(srv, p, base_dir, sizeof base_dir);
  int lock = dm_lock(ctx, p->path);
  if (lock < 0) return DM_ERR_IO;
  dm_recipe r;
  dm_hash h;
  s = dm_recipe_init(ctx, &r);
  /* The sidecar this session saves to, else (never saved yet) a legacy
   * photo.xmp the document was read from, as render finds them. */
  char found[4096];
  int legacy = 0;
  if (!s && access(sidecar, F_OK) == 0) s = dm_recipe_read_file(ctx, sidecar, &r);
  else if (!s && !srv->opt.sidecar_dir && dm_sidecar_find(p->path, found, sizeof found, &legacy))
    s = dm_recipe_read_file(ctx, found, &r);
  if (!s) s = dm_hash_file(ctx, p->path, &h);
  if (!s) {
    dm_hash_hex(h, hex);
    snprintf(r.photo.source_file, sizeof r.photo.source_file, "%s", p->name);
    snprintf(r.photo.source_hash, sizeof r.photo.source_hash, "%s", hex);
    dm_atomic_file out;
    s = dm_render_prepared(ctx, p->path, &r, job->out_path, &job->opt, base_dir, &out, &r.photo);
    if (!s) s = dm_commit_render(ctx, sidecar, &r, &out);
  }
  dm_unlock(lock);
  dm_recipe_free(&r);
  /* The commit wrote the output's name and hash into the sidecar: the
   * document takes them in now, or the page would be told the sidecar
   * changed on disk. */
  pthread_mutex_lock(&p->doc_mu);
  if (!s && p->doc) s = dm_edit_doc_take_in(ctx, p->doc);
  pthread_mutex_unlock(&p->doc_mu);
  return s;
}

/* The render's stage lines ("render: decode 812.3 ms", "scene: depth
 * network ...", as each ends) move the export's progress on: the stage
 * now running and about how far it is, by the share of a 24 MP export's
 * time each took (decode 10 %, the scene 45 % when the networks run,
 * corrections and blur 30 %, colour and encoding the rest). */
static const struct {
  const char *line, *next;
  float done;
} EXPORT_STAGES[] = {
    {"render: decode ", "depth and matte", 0.10f},
    {"scene: ", "depth and matte", -1.0f}, /* each a step on, within [0.10, 0.55) */
    {"render: scene ", "corrections and lens blur", 0.55f},
    {"render: corrections and lens blur ", "colour", 0.85f},
    {"render: colour ", "encode", 0.90f},
    {"render: encode ", "sidecar and output", 0.98f},
};

static void export_log(void *user, dm_log_level level, const char *msg) {
  dm_server *srv = user;
  if (level >= DM_LOG_WARN) fprintf(stderr, "depthmask: warning: %s\n", msg);
  for (size_t i = 0; i < sizeof EXPORT_STAGES / sizeof *EXPORT_STAGES; i++) {
    size_t n = strlen(EXPORT_STAGES[i].line);
    if (strncmp(msg, EXPORT_STAGES[i].line, n)) continue;
    float f = EXPORT_STAGES[i].done;
    pthread_mutex_lock(&srv->mu);
    if (f < 0.0f) f = srv->export.fraction + 0.05f < 0.55f ? srv->export.fraction + 0.05f : 0.54f;
    if (f > srv->export.fraction) srv->export.fraction = f;
    snprintf(srv->export.stage, sizeof srv->export.stage, "%s", EXPORT_STAGES[i].next);
    pthread_mutex_unlock(&srv->mu);
    return;
  }
}

static void *export_main(void *arg) {
  export_job *job = arg;
  dm_server *srv = job->srv;
  dm_context *ctx = dm_context_new(srv->opt.threads);
  if (ctx) ctx->log = export_log, ctx->log_user = srv;
  dm_status s = ctx ? run_export(ctx, job) : DM_ERR_NOMEM;
  atomic_store(&job->p->exporting, 0);
  pthread_mutex_lock(&srv->mu);
  srv->export.state = s ? SRV_EXPORT_FAILED : SRV_EXPORT_DONE;
  if (!s) srv->export.fraction = 1.0f;
  snprintf(srv->export.stage, sizeof srv->export.stage, "%s", s ? "failed" : "done");
  snprintf(srv->export.error, sizeof srv->export.error, "%s",
           s ? (ctx ? dm_context_error(ctx) : "out of memory") : "");
  pthread_mutex_unlock(&srv->mu);
  dm_context_free(ctx);
  free(job);
  return NULL;
}

void srv_api_export(dm_server *srv, srv_photo *p, const srv_request *rq, dm_http_reply *reply) {
  json_error_t err;
  json_t *body = rq->body_len ? json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &err)
                              : json_object();
  if (!json_is_object(body)) {
    srv_reply_error(reply, 400, "export takes {\"format\", \"bits\", \"profile\", \"name\"}%s%s",
                    body ? "" : ": ", body ? "" : err.text);
    json_decref(body);
    return;
  }
  export_job *job = calloc(1, sizeof *job);
  dm_format format = DM_FMT_UNKNOWN;
  int bits = 0;
  dm_output_profile profile = DM_PROFILE_SRGB;
  const char *name, *why = parse_options(body, &format, &bits, &profile, &name);
  char dir[4096], file[512];
  if (!job) {
    srv_reply_error(reply, 503, "out of memory");
  } else if (why) {
    srv_reply_error(reply, 400, "%s", why);
  } else if (name && !plain_name(name)) {
    srv_reply_error(reply, 400, "name must be a file name (no folder, not starting with a dot)");
  } else {
    const char *dot = strrchr(p->name, '.');
    int stem = dot && dot != p->name ? (int)(dot - p->name) : (int)strlen(p->name);
    /* A name without an extension takes the format's; one with another
     * format's extension is refused (the file would lie about itself). */
    dm_format named = name ? dm_format_from_extension(name) : DM_FMT_UNKNOWN;
    if (name && named == DM_FMT_UNKNOWN) snprintf(file, sizeof file, "%s.%s", name, ext_of(format));
    else if (name) snprintf(file, sizeof file, "%s", name);
    else snprintf(file, sizeof file, "%.*s-dm.%s", stem, p->name, ext_of(format));
    if (name && named != DM_FMT_UNKNOWN && named != format)
      why = "the name's extension is another format's; change one or the other";
    if (srv->opt.out_dir) snprintf(dir, sizeof dir, "%s", srv->opt.out_dir);
    else dm_dirname(p->path, dir, sizeof dir);
    char sidecar[4096];
    srv_sidecar_path(srv, p, sidecar, sizeof sidecar);
    if (why) {
      /* said below */
    } else if (snprintf(job->out_path, sizeof job->out_path, "%s/%s", dir, file) >=
        (int)sizeof job->out_path)
      why = "the output path is too long";
    else if (dm_same_file(job->out_path, p->path) || !strcmp(job->out_path, sidecar) ||
        dm_same_file(job->out_path, sidecar) || !strcmp(job->out_path, p->path))
      why = "that name is the photo's or its sidecar's; choose another";
    if (why) srv_reply_error(reply, 400, "%s", why);
  }
  pthread_mutex_lock(&srv->mu);
  int busy = srv->export.state == SRV_EXPORT_RUNNING;
  if (!reply->status && busy)
    srv_reply_error(reply, 409, "an export is running (GET /api/progress)");
  if (!reply->status && p->problem[0]) srv_reply_error(reply, 422, "%s", p->problem);
  if (!reply->status) {
    if (srv->export.joinable) pthread_join(srv->export.thread, NULL);
    srv->export.joinable = 0;
    /* out_path was made above */
    job->srv = srv, job->p = p;
    job->opt = (dm_render_options){.profile = profile, .format = format, .bits = bits,
                                   .scene = srv->opt.scene};
    srv->export.state = SRV_EXPORT_RUNNING;
    srv->export.fraction = 0.0f;
    snprintf(srv->export.stage, sizeof srv->export.stage, "decode");
    snprintf(srv->export.photo, sizeof srv->export.photo, "%s", p->id);
    snprintf(srv->export.output, sizeof srv->export.output, "%s", job->out_path);
    srv->export.error[0] = 0;
    atomic_store(&p->exporting, 1);
    if (pthread_create(&srv->export.thread, NULL, export_main, job)) {
      atomic_store(&p->exporting, 0);
      srv->export.state = SRV_EXPORT_FAILED;
      snprintf(srv->export.error, sizeof srv->export.error, "cannot start the export thread");
      free(job);
    } else {
      srv->export.joinable = 1;
    }
    job = NULL;
  }
  pthread_mutex_unlock(&srv->mu);
  free(job);
  if (!reply->status)
    srv_reply_json(reply, 202, json_pack("{s:o}", "export", srv_export_json(srv)));
  json_decref(body);
}

json_t *srv_export_json(dm_server *srv) {
  static const char *const states[] = {"idle", "running", "done", "failed"};
  pthread_mutex_lock(&srv->mu);
  srv_export *e = &srv->export;
  json_t *o = json_pack("{s:s, s:s, s:f, s:o, s:o, s:o}", "state", states[e->state], "stage",
                        e->stage, "fraction", (double)e->fraction, "photo",
                        e->photo[0] ? json_string(e->photo) : json_null(), "output",
                        e->output[0] ? srv_json_text(e->output) : json_null(), "error",
                        e->error[0] ? srv_json_text(e->error) : json_null());
  pthread_mutex_unlock(&srv->mu);
  return o;
}

void srv_export_join(dm_server *srv) {
  pthread_mutex_lock(&srv->mu);
  int joinable = srv->export.joinable;
  srv->export.joinable = 0;
  pthread_mutex_unlock(&srv->mu);
  /* A running export is finished, not cut short: the user asked for it. */
  if (joinable) pthread_join(srv->export.thread, NULL);
}
