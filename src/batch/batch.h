/* The batch runner's parts that know nothing of the command line: which
 * photos a batch takes and in what order (batch_inputs.c), where their
 * outputs go, the manifest that makes a batch resumable (batch_manifest.c),
 * and the workers, progress and summary (batch_run.c). cmd_batch.c gives
 * each photo to render's own path (cli_render_photo). DESIGN section 9. */
#ifndef DM_BATCH_H
#define DM_BATCH_H

#include <stddef.h>

#include "core/context.h"

typedef enum dm_batch_status { DM_BATCH_PENDING, DM_BATCH_OK, DM_BATCH_FAIL, DM_BATCH_SKIP } dm_batch_status;

typedef struct dm_batch_photo {
  char *input;             /* the path as found (folders joined with '/') */
  char *output;            /* DIR/NAME-dm.EXT or DIR/NAME.SRCEXT-dm.EXT */
  char *sidecar;           /* --sidecars out: where its recipe goes; NULL otherwise */
  dm_batch_status status;  /* PENDING until run; FAIL or SKIP already when found bad */
  char message[1024];      /* the one-line reason of a FAIL or SKIP */
  double seconds;
  char depth_source[512];
} dm_batch_photo;

typedef struct dm_batch_list {
  dm_batch_photo *photo;
  int n;
} dm_batch_list;

/* ---- batch_inputs.c ---- */

/* The photos of IN... in one stable order (by path, bytewise): files as
 * given; a folder's files that are photos by content or by a photo's
 * extension (a misnamed file then fails with its own line), and with
 * `recursive` its subfolders' too. Files inside out_dir are never taken
 * (a batch does not eat its outputs), nor sidecars. A file IN that is
 * missing is taken like any other and fails with render's line. */
dm_status dm_batch_collect(dm_context *ctx, const char *const *in, int n_in, int recursive,
                           const char *out_dir, dm_batch_list *out);
/* Keep every n-th photo, shard i of n (1-based): index k stays when
 * k % n == i - 1. */
void dm_batch_shard(dm_batch_list *l, int i, int n);
/* Output names in out_dir: NAME-dm.EXT, or NAME.SRCEXT-dm.EXT for every
 * photo whose base name another photo of the whole list shares (RAW+JPEG
 * pairs, -r across folders). Names are made before sharding, so every
 * shard names a photo alike. Two photos that would still write one file
 * (a/x.jpg and b/x.jpg) fail with DM_ERR_PARAM naming both. With
 * sidecars_out each photo's recipe goes to out_dir too, named as its own
 * sidecar would be (photo.jpg.xmp; photo.xmp for a RAW) or after its output
 * where names collide. */
dm_status dm_batch_name_outputs(dm_context *ctx, dm_batch_list *l, const char *out_dir, const char *ext,
                                int sidecars_out);
void dm_batch_list_free(dm_batch_list *l);

/* ---- batch_manifest.c ---- */

/* What an output was made from. A batch skips a photo whose output exists,
 * hashes to what the manifest recorded, and whose entry matches all of
 * these; anything else is rendered again. */
typedef struct dm_batch_entry {
  char output[4096];
  char output_hash[33];  /* XXH3-128 of the output's bytes */
  char input_hash[33];   /* of the photo's bytes */
  char recipe_hash[33];  /* the merged recipe (cli_recipe_hash) */
  char options[512];     /* the output and scene options, as text */
  char models[1024];     /* "id sha256" of every installed network */
  int process_version;
} dm_batch_entry;

/* out_dir/.depthmask-batch.jsonl: one JSON object per line, appended under
 * an exclusive lock (flock) and fsync'd, so two batches writing into one
 * folder never tear a line; a line cut short by kill -9 is ignored on
 * reading. The newest entry for an output wins. */
typedef struct dm_batch_manifest dm_batch_manifest;
dm_status dm_batch_manifest_open(dm_context *ctx, const char *out_dir, int dry_run, dm_batch_manifest **m);
/* Is `want` the newest entry for its output, and the output intact? */
int dm_batch_manifest_current(dm_batch_manifest *m, const dm_batch_entry *want);
dm_status dm_batch_manifest_add(dm_context *ctx, dm_batch_manifest *m, const dm_batch_entry *e);
void dm_batch_manifest_close(dm_batch_manifest *m);
/* "id sha256, ..." of the installed networks (sizes checked, as dm_models_best does). */
void dm_batch_models_text(dm_context *ctx, char *out, size_t len);

/* ---- batch_run.c ---- */

/* One photo: render it (or find it current) and fill status, message,
 * seconds and depth_source. Called from `jobs` worker threads at once. */
typedef void (*dm_batch_render_fn)(void *user, int worker, dm_batch_photo *p);

typedef struct dm_batch_run {
  int jobs;                 /* worker threads */
  int tty;                  /* one progress line instead of a line per photo */
  int dry_run;              /* a line per photo: its message ("render IN -> OUT", "current ...") */
  dm_batch_render_fn render;
  void *user;
} dm_batch_run;

/* Run the pending photos of `l` over the workers, printing progress to
 * stdout. Returns how many failed. */
int dm_batch_execute(const dm_batch_run *run, dm_batch_list *l);
/* The JSON summary ({"photos": [...], "totals": {...}}), written atomically;
 * totals.network_loads: how many times a network file was loaded (once
 * each, however many photos, when the workers share them). */
dm_status dm_batch_write_summary(dm_context *ctx, const char *path, const dm_batch_list *l, double seconds,
                                 int network_loads);

#endif
