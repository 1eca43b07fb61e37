/* The recipe document's sidecar (src/server/edit_save.c) on copies of real
 * photos: saved and read back equal, found as `depthmask render` finds it,
 * debounced; rewritten meanwhile by another editor session or by a
 * `depthmask render` and merged by field (their fields kept, ours
 * re-applied, what came from outside reported); a sidecar that cannot be
 * written fails naming it and loses nothing. */
#include <sys/wait.h>

#include "edit_test_util.h"

#include "core/file.h"
#include "recipe/recipe.h"

static dm_status put_text(void *user, const dm_recipe_value *v) {
  json_object_set_new(user, v->key, json_string(v->text));
  return DM_OK;
}

/* {KEY: text} of every value of r. */
static json_t *texts(const dm_recipe *r) {
  json_t *o = json_object();
  dm_recipe_each_value(NULL, r, put_text, o);
  return o;
}

/* Does the sidecar at `path` hold the document's values? */
static int file_matches(dm_context *ctx, const char *path, const dm_edit_doc *d) {
  dm_recipe r;
  int same = 0;
  if (dm_recipe_init(ctx, &r) == DM_OK && dm_recipe_read_file(ctx, path, &r) == DM_OK) {
    json_t *a = texts(&r), *b = texts(dm_edit_doc_recipe(d));
    same = json_equal(a, b) && json_object_size(a) > 0;
    json_decref(a);
    json_decref(b);
  } else {
    fprintf(stderr, "%s: %s\n", path, dm_context_error(ctx));
  }
  dm_recipe_free(&r);
  return same;
}

/* The file's text, malloc'd ("" when absent). */
static char *slurp(const char *path) {
  size_t len;
  unsigned char *data = NULL;
  if (access(path, F_OK) == 0) data = dm_test_read(path, &len);
  return data ? (char *)data : strdup("");
}

static void test_save_reread(dm_context *ctx, const char *dir) {
  const char *photo = photo_copy("grace_hopper", dir, "save.jpg");
  char sidecar[4200];
  snprintf(sidecar, sizeof sidecar, "%s.xmp", photo);
  dm_edit_doc *d = open_doc(ctx, photo, NULL);
  CHECK(!strcmp(sidecar_state(d), "none"));
  CHECK_OK(ctx, dm_edit_doc_save(ctx, d)); /* nothing to save: no file */
  CHECK(access(sidecar, F_OK) != 0);
  DO(ctx, d, "{\"add_correction\": {\"name\": \"Background\", \"exposure\": -0.7, \"mask\": "
             "[{\"kind\": \"background\"}, {\"kind\": \"brush\", \"stroke\": [{\"dabs\": [0.1, 0.2, "
             "0.3, 0.4]}]}]}}");
  DO(ctx, d, "{\"set\": {\"lens_blur.amount\": 70, \"lens_blur.focal_range\": [0, 0, 35, 60]}}");
  CHECK(!strcmp(sidecar_state(d), "unsaved"));
  CHECK_OK(ctx, dm_edit_doc_save(ctx, d));
  CHECK(!strcmp(sidecar_state(d), "saved"));
  /* It records its photo as the CLI does. */
  char *xml = slurp(sidecar), hex[33];
  dm_hash h;
  CHECK_OK(ctx, dm_hash_file(ctx, photo, &h));
  dm_hash_hex(h, hex);
  CHECK(strstr(xml, "dm:SourceFile=\"save.jpg\"") && strstr(xml, hex));
  free(xml);
  /* Read back: a new document sees every value the same. */
  dm_edit_doc *e = open_doc(ctx, photo, NULL);
  json_t *a = recipe_of(d), *b = recipe_of(e);
  CHECK(json_equal(a, b));
  CHECK(!strcmp(sidecar_state(e), "saved"));
  json_decref(a);
  json_decref(b);
  dm_edit_doc_free(e);
  /* The CLI renders what was saved: its info names the corrections. */
  char args[4400];
  snprintf(args, sizeof args, "render '%s' -o '%s/save-out.jpg' --set correction[0].exposure=9", photo, dir);
  CHECK(!strcmp(cli_stderr(args), "depthmask: correction[0].exposure: 9 is outside -4..4"));

  /* Debounced: saved once no change came for the quiet time. */
  DO(ctx, d, "{\"set\": {\"correction[0].exposure\": -1}}");
  CHECK_OK(ctx, dm_edit_doc_tick(ctx, d, 1000, 500));
  CHECK_OK(ctx, dm_edit_doc_tick(ctx, d, 1300, 500));
  CHECK(!strcmp(sidecar_state(d), "unsaved"));
  DO(ctx, d, "{\"set\": {\"correction[0].exposure\": -1.5}}");
  CHECK_OK(ctx, dm_edit_doc_tick(ctx, d, 1600, 500)); /* a new change: the wait starts again */
  CHECK_OK(ctx, dm_edit_doc_tick(ctx, d, 2000, 500));
  CHECK(!strcmp(sidecar_state(d), "unsaved"));
  CHECK_OK(ctx, dm_edit_doc_tick(ctx, d, 2100, 500));
  CHECK(!strcmp(sidecar_state(d), "saved"));
  CHECK(file_matches(ctx, sidecar, d));
  e = open_doc(ctx, photo, NULL);
  CHECK(num(a = recipe_of(e), "correction[0].exposure") == -1.5);
  json_decref(a);
  dm_edit_doc_free(e);
  CHECK_OK(ctx, dm_edit_doc_tick(ctx, d, 2200, 500));
  dm_edit_doc_free(d);
}

/* ---- merging with another writer ----------------------------------------- */

static void test_merge_editors(dm_context *ctx, const char *dir) {
  const char *photo = photo_copy("grace_hopper", dir, "merge.jpg");
  char sidecar[4200];
  snprintf(sidecar, sizeof sidecar, "%s.xmp", photo);
  dm_edit_doc *a = open_doc(ctx, photo, NULL);
  DO(ctx, a, "{\"add_correction\": {\"name\": \"Background\", \"exposure\": -0.7, \"mask\": "
             "[{\"kind\": \"background\"}]}}");
  CHECK_OK(ctx, dm_edit_doc_save(ctx, a));

  /* Another editor changes other fields and one we change too. */
  dm_edit_doc *b = open_doc(ctx, photo, NULL);
  DO(ctx, b, "{\"set\": {\"correction[0].contrast\": 30, \"correction[0].exposure\": 0.5, "
             "\"lens_blur.amount\": 70}}");
  CHECK_OK(ctx, dm_edit_doc_save(ctx, b));
  CHECK(!strcmp(sidecar_state(a), "changed_on_disk"));

  DO(ctx, a, "{\"set\": {\"correction[0].highlights\": -40, \"correction[0].exposure\": -1}}");
  json_t *ours = recipe_of(a);
  unsigned long rev = dm_edit_doc_revision(a);
  CHECK_OK(ctx, dm_edit_doc_save(ctx, a));
  CHECK(!strcmp(sidecar_state(a), "saved"));
  CHECK(dm_edit_doc_revision(a) == rev + 1); /* the merge is a step the page sees */
  json_t *r = recipe_of(a);
  CHECK(num(r, "correction[0].contrast") == 30);     /* theirs kept */
  CHECK(num(r, "lens_blur.amount") == 70);
  CHECK(num(r, "correction[0].highlights") == -40);  /* ours re-applied */
  CHECK(num(r, "correction[0].exposure") == -1);     /* both: ours wins */
  json_t *st = dm_edit_doc_state(a);
  const json_t *outside = json_object_get(st, "outside_fields");
  CHECK(has(outside, "correction[0].contrast") && has(outside, "lens_blur.amount") &&
        has(outside, "lens_blur.active"));
  CHECK(!has(outside, "correction[0].highlights") && !has(outside, "correction[0].exposure"));
  json_decref(st);
  CHECK(file_matches(ctx, sidecar, a));
  dm_edit_doc *c = open_doc(ctx, photo, NULL);
  json_t *rc = recipe_of(c);
  CHECK(json_equal(r, rc));
  json_decref(rc);
  /* Undo steps back over the merge to what this session had. */
  DO(ctx, a, "{\"undo\": 1}");
  json_t *u = recipe_of(a);
  CHECK(json_equal(u, ours));
  json_decref(u);
  DO(ctx, a, "{\"redo\": 1}");
  json_decref(ours);
  json_decref(r);
  CHECK_OK(ctx, dm_edit_doc_save(ctx, a)); /* the file already says so */

  /* Both append a correction: ours goes after theirs. Theirs removes the
   * first correction's mask; we remove nothing. */
  dm_edit_doc_free(b);
  b = open_doc(ctx, photo, NULL);
  DO(ctx, b, "{\"add_correction\": {\"name\": \"Vignette\", \"exposure\": -0.3}}");
  CHECK_OK(ctx, dm_edit_doc_save(ctx, b));
  DO(ctx, a, "{\"add_correction\": {\"name\": \"Subject\", \"texture\": 10, \"mask\": "
             "[{\"kind\": \"subject\"}]}}");
  DO(ctx, a, "{\"set\": {\"correction[1].shadows\": 15}}");
  CHECK_OK(ctx, dm_edit_doc_save(ctx, a));
  r = recipe_of(a);
  CHECK(!strcmp(str(r, "correction[0].name"), "Background"));
  CHECK(!strcmp(str(r, "correction[1].name"), "Vignette") && num(r, "correction[1].shadows") == 0);
  CHECK(!strcmp(str(r, "correction[2].name"), "Subject") && num(r, "correction[2].shadows") == 15);
  CHECK(!strcmp(str(r, "correction[2].mask[0].kind"), "subject"));
  st = dm_edit_doc_state(a);
  CHECK(has(json_object_get(st, "outside_fields"), "correction[1].name"));
  json_decref(st);
  json_decref(r);

  /* We remove the first correction while they change the last one: theirs
   * is kept on the correction it was made on. */
  dm_edit_doc_free(b);
  b = open_doc(ctx, photo, NULL);
  DO(ctx, b, "{\"set\": {\"correction[2].texture\": 40}}");
  CHECK_OK(ctx, dm_edit_doc_save(ctx, b));
  DO(ctx, a, "{\"remove_correction\": 0}");
  DO(ctx, a, "{\"set\": {\"correction[0].exposure\": -0.2}}");
  CHECK_OK(ctx, dm_edit_doc_save(ctx, a));
  r = recipe_of(a);
  CHECK(dm_edit_doc_recipe(a)->n_corrections == 2);
  CHECK(!strcmp(str(r, "correction[0].name"), "Vignette") && num(r, "correction[0].exposure") == -0.2);
  CHECK(!strcmp(str(r, "correction[1].name"), "Subject") && num(r, "correction[1].texture") == 40);
  json_decref(r);
  CHECK(file_matches(ctx, sidecar, a));
  dm_edit_doc_free(a);
  dm_edit_doc_free(b);
  dm_edit_doc_free(c);
}

/* `depthmask render` as the other writer: it records its output. */
static void test_merge_render(dm_context *ctx, const char *dir) {
  const char *photo = photo_copy("grace_hopper", dir, "render.jpg");
  char sidecar[4200], args[9000];
  snprintf(sidecar, sizeof sidecar, "%s.xmp", photo);
  dm_edit_doc *a = open_doc(ctx, photo, NULL);
  DO(ctx, a, "{\"add_correction\": {\"name\": \"Background\", \"exposure\": -0.7}}");
  CHECK_OK(ctx, dm_edit_doc_save(ctx, a));
  snprintf(args, sizeof args, "render '%s' -o '%s/render-1.jpg' --set correction[0].saturation=-20",
           photo, dir);
  CHECK(!strcmp(cli_stderr(args), ""));
  DO(ctx, a, "{\"set\": {\"correction[0].clarity\": 25}}");
  CHECK_OK(ctx, dm_edit_doc_save(ctx, a));
  json_t *r = recipe_of(a);
  CHECK(num(r, "correction[0].saturation") == -20 && num(r, "correction[0].clarity") == 25);
  json_decref(r);
  char *xml = slurp(sidecar);
  CHECK(strstr(xml, "render-1.jpg") != NULL); /* dm:OutputFile: the render's record stays */
  free(xml);
  /* A render that changes no value (another output name): merged in place,
   * and later saves keep its record. */
  snprintf(args, sizeof args, "render '%s' -o '%s/render-2.jpg'", photo, dir);
  CHECK(!strcmp(cli_stderr(args), ""));
  unsigned long rev = dm_edit_doc_revision(a);
  DO(ctx, a, "{\"set\": {\"correction[0].clarity\": 30}}");
  CHECK_OK(ctx, dm_edit_doc_save(ctx, a));
  CHECK(dm_edit_doc_revision(a) == rev + 1); /* the change, no merge step */
  DO(ctx, a, "{\"set\": {\"correction[0].clarity\": 35}}");
  DO(ctx, a, "{\"undo\": 1}");
  DO(ctx, a, "{\"undo\": 1}");
  CHECK_OK(ctx, dm_edit_doc_save(ctx, a));
  xml = slurp(sidecar);
  CHECK(strstr(xml, "render-2.jpg") != NULL);
  CHECK(strstr(xml, "crs:LocalClarity2012=\"0.25\"") != NULL);
  free(xml);
  dm_edit_doc_free(a);
}

/* ---- where the sidecar is --------------------------------------------------- */

static void test_places(dm_context *ctx, const char *dir) {
  char path[4400], args[9000], other[4200];
  /* A legacy photo.xmp beside a non-RAW is read, never written. */
  const char *photo = photo_copy("coffee", dir, "legacy.png");
  snprintf(args, sizeof args, "render '%s' -o '%s/legacy-out.jpg' --sidecar '%s/legacy.xmp' "
           "--set correction[0].exposure=0.3", photo, dir, dir);
  CHECK(!strcmp(cli_stderr(args), ""));
  snprintf(path, sizeof path, "%s/legacy.xmp", dir);
  char *before = slurp(path);
  dm_edit_doc *d = open_doc(ctx, photo, NULL);
  json_t *r = recipe_of(d);
  CHECK(num(r, "correction[0].exposure") == 0.3);
  json_decref(r);
  DO(ctx, d, "{\"set\": {\"correction[0].contrast\": 10}}");
  CHECK_OK(ctx, dm_edit_doc_save(ctx, d));
  char *after = slurp(path);
  CHECK(!strcmp(before, after));
  free(before);
  free(after);
  snprintf(path, sizeof path, "%s/legacy.png.xmp", dir);
  CHECK(access(path, F_OK) == 0);
  dm_edit_doc_free(d);

  /* --sidecar-dir: beside nothing, in that folder. */
  snprintf(other, sizeof other, "%s/sidecars", dir);
  mkdir(other, 0755);
  photo = photo_copy("grace_hopper", dir, "elsewhere.jpg");
  d = open_doc(ctx, photo, other);
  DO(ctx, d, "{\"set\": {\"correction[0].exposure\": 0.4}}");
  CHECK_OK(ctx, dm_edit_doc_save(ctx, d));
  snprintf(path, sizeof path, "%s/elsewhere.jpg.xmp", other);
  CHECK(access(path, F_OK) == 0);
  snprintf(path, sizeof path, "%s/elsewhere.jpg.xmp", dir);
  CHECK(access(path, F_OK) != 0);
  dm_edit_doc_free(d);

  /* Another photo's sidecar where this one's goes: refused, as render refuses. */
  photo = photo_copy("coffee", dir, "foreign.png");
  snprintf(args, sizeof args, "cp '%s/elsewhere.jpg.xmp' '%s.xmp'", other, photo);
  CHECK(system(args) == 0);
  d = NULL;
  CHECK(dm_edit_doc_open(ctx, photo, NULL, &d) == DM_ERR_IO && d == NULL);
  snprintf(path, sizeof path, "%s.xmp: holds another photo's edit (elsewhere.jpg) and is not "
           "overwritten; move it, or keep this photo's edits in another --sidecar-dir", photo);
  CHECK(!strcmp(dm_context_error(ctx), path));
  snprintf(path, sizeof path, "%s/missing.jpg", dir);
  CHECK(dm_edit_doc_open(ctx, path, NULL, &d) == DM_ERR_IO && d == NULL);
}

/* ---- a sidecar that cannot be written --------------------------------------- */

/* Save into a folder this process cannot write: one line naming the
 * sidecar, and the change still there, unsaved. */
static void save_refused(dm_context *ctx, const char *photo, const char *dir) {
  dm_edit_doc *d = open_doc(ctx, photo, dir);
  DO(ctx, d, "{\"set\": {\"correction[0].exposure\": -0.6}}");
  CHECK(dm_edit_doc_save(ctx, d) == DM_ERR_IO);
  char want[4400];
  snprintf(want, sizeof want, "%s/ro.jpg.xmp: cannot create a temporary file beside it: "
           "Permission denied", dir);
  if (strcmp(dm_context_error(ctx), want)) {
    fprintf(stderr, "save into a read-only folder: %s\n", dm_context_error(ctx));
    dm_test_failures++;
  }
  CHECK(!strcmp(sidecar_state(d), "unsaved"));
  json_t *r = recipe_of(d);
  CHECK(num(r, "correction[0].exposure") == -0.6);
  json_decref(r);
  CHECK(dm_edit_doc_tick(ctx, d, 0, 0) == DM_OK && dm_edit_doc_tick(ctx, d, 10, 0) == DM_ERR_IO);
  dm_edit_doc_free(d);
}

static void test_unwritable(dm_context *ctx, const char *dir) {
  char ro[4200], cmd[9000];
  snprintf(ro, sizeof ro, "%s/ro", dir);
  const char *photo = photo_copy("grace_hopper", ro, "ro.jpg");
  chmod(dir, 0755);
  chmod(ro, 0555);
  if (geteuid() != 0) {
    save_refused(ctx, photo, ro);
  } else {
    /* Root writes anywhere: the check runs as nobody, as the CLI test does. */
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
      if (setgid(65534) || setuid(65534)) _exit(3);
      dm_context *c = dm_context_new(1);
      save_refused(c, photo, ro);
      dm_context_free(c);
      _exit(dm_test_failures ? 1 : 0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fprintf(stderr, "the read-only folder check, run as nobody, failed (status %d)\n", status);
      dm_test_failures++;
    }
  }
  chmod(ro, 0755);
  /* A folder that is gone (a file in its place): the same, for anyone; and
   * once it is back, the save goes through with nothing lost. */
  char gone[4200];
  snprintf(gone, sizeof gone, "%s/gone", dir);
  mkdir(gone, 0755);
  dm_edit_doc *d = open_doc(ctx, photo, gone);
  DO(ctx, d, "{\"set\": {\"correction[0].exposure\": -0.6, \"lens_blur.amount\": 30}}");
  snprintf(cmd, sizeof cmd, "rmdir '%s' && touch '%s'", gone, gone);
  CHECK(system(cmd) == 0);
  CHECK(dm_edit_doc_save(ctx, d) == DM_ERR_IO);
  char want[4400];
  snprintf(want, sizeof want, "%s/ro.jpg.xmp: cannot create a temporary file beside it: Not a "
           "directory", gone);
  CHECK(!strcmp(dm_context_error(ctx), want));
  CHECK(!strcmp(sidecar_state(d), "unsaved"));
  snprintf(cmd, sizeof cmd, "rm '%s' && mkdir '%s'", gone, gone);
  CHECK(system(cmd) == 0);
  CHECK_OK(ctx, dm_edit_doc_save(ctx, d));
  CHECK(!strcmp(sidecar_state(d), "saved"));
  dm_edit_doc *e = open_doc(ctx, photo, gone);
  json_t *r = recipe_of(e);
  CHECK(num(r, "correction[0].exposure") == -0.6 && num(r, "lens_blur.amount") == 30);
  json_decref(r);
  dm_edit_doc_free(e);
  dm_edit_doc_free(d);
}

int main(void) {
  dm_context *ctx = dm_context_new(1);
  const char *dir = dm_test_tmpdir("test_edit_save");
  test_save_reread(ctx, dir);
  test_merge_editors(ctx, dir);
  test_merge_render(ctx, dir);
  test_places(ctx, dir);
  test_unwritable(ctx, dir);
  dm_context_free(ctx);
  return dm_test_done("test_edit_save");
}
