/* ONNX node conformance: every /usr/share/libonnx-testdata/data/node/test_*
 * (the ONNX backend node tests, "_expanded" function-body variants included)
 * is loaded, run on its test_data_set_* inputs and compared with the
 * expected outputs (floats: |got - want| <= 1e-7 + 1e-3 |want|, NaN equals
 * NaN, infinities must match; integers and bools exactly).
 *
 * A test counts only if every op in its model has a kernel at the model's
 * opset (nn_find_op); otherwise it is "not implemented". Tests whose model
 * or data has a dtype or value type the runtime does not hold, in the loader
 * or in a kernel (see is_dtype_problem), are skipped. Any other error
 * at load, plan or run is a failure. Each data set runs twice through the
 * same model, so the second run also checks that a cached plan gives the
 * same answer. Shape-deciding inputs (Reshape's shape, Resize's scales...)
 * are runtime inputs in these tests; the planner specialises on tiny inputs'
 * values (nn_input_specialised in src/nn/plan.h), so they run as given.
 *
 * Summary per op: a test is attributed to its model's op when the model has
 * one distinct op; to the op whose name the test name starts with when it
 * has several (test_gemm_... -> Gemm); an "_expanded" test to the op of its
 * non-expanded twin, as "Op (expanded)". A not-implemented test counts
 * against each of its missing ops.
 *
 * Usage: nn_test_conformance [--fork] [--threads N] [SUBSTRING ...]
 *   SUBSTRINGs select tests by name. --fork runs each test in a child, so a
 *   crash or a hang (20 s) is one FAIL rather than the end of the run.
 * Exits 1 if a counted test fails, unless tests/nn/conformance_skips.txt
 * lists it. The full report goes to $DM_BUILD_DIR/nn_conformance.txt when
 * no filter is given. */
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/file.h"
#include "dm_test.h"
#include "nn/nn_internal.h"
#include "onnx/onnx.pb-c.h"


#define NODE_DIR "/usr/share/libonnx-testdata/data/node"
#define RTOL 1e-3
#define ATOL 1e-7
#define MAX_OPS 64
#define MAX_IO 64

typedef enum kind { K_PASS, K_FAIL, K_DTYPE, K_NOTIMPL, K_COUNT } kind;

/* What the model file says, read without the runtime's loader so that it
 * works for any model. */
typedef struct model_ops {
  int opset, n_ops;
  char ops[MAX_OPS][96];      /* distinct "op" or "domain.op" */
  int implemented[MAX_OPS];
} model_ops;

typedef struct test_result {
  kind k;
  char msg[1536];
} test_result;

typedef struct op_stat {
  char name[112];
  int n[K_COUNT];
  int known;                  /* failures listed in conformance_skips.txt */
} op_stat;

typedef struct driver {
  dm_context *ctx;
  FILE *report;
  char **skips;               /* "name\treason" lines */
  int n_skips;
  op_stat *stats;
  int n_stats;
  int totals[K_COUNT], known, unexpected, use_fork;
} driver;

static void say(driver *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(driver *d, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  if (d->report) {
    va_start(ap, fmt);
    vfprintf(d->report, fmt, ap);
    va_end(ap);
  }
}

/* ---- model scan -------------------------------------------------------- */

static int scan_model(dm_context *ctx, const char *dir, model_ops *mo) {
  memset(mo, 0, sizeof *mo);
  char path[4200];
  snprintf(path, sizeof path, "%s/model.onnx", dir);
  unsigned char *data;
  size_t len;
  if (dm_read_file(ctx, path, (size_t)1 << 30, &data, &len) != DM_OK) return -1;
  Onnx__ModelProto *mp = onnx__model_proto__unpack(NULL, len, data);
  free(data);
  if (!mp) {
    dm_fail(ctx, DM_ERR_FORMAT, path, "not an ONNX model");
    return -1;
  }
  mo->opset = 1; /* as the loader: no import means opset 1 */
  int64_t best = 0;
  for (size_t i = 0; i < mp->n_opset_import; i++) {
    const Onnx__OperatorSetIdProto *o = mp->opset_import[i];
    if ((!o->domain || !o->domain[0] || !strcmp(o->domain, "ai.onnx")) && o->version > best)
      best = o->version;
  }
  if (best > 0 && best < 100000) mo->opset = (int)best;
  for (size_t i = 0; mp->graph && i < mp->graph->n_node; i++) {
    const Onnx__NodeProto *n = mp->graph->node[i];
    const char *dom = n->domain ? n->domain : "", *op = n->op_type ? n->op_type : "";
    char full[96];
    snprintf(full, sizeof full, "%s%s%s", dom, dom[0] ? "." : "", op);
    int seen = 0;
    for (int k = 0; k < mo->n_ops; k++) seen |= !strcmp(mo->ops[k], full);
    if (seen) continue;
    if (mo->n_ops == MAX_OPS) { /* more kinds than any node test has */
      onnx__model_proto__free_unpacked(mp, NULL);
      dm_fail(ctx, DM_ERR_FORMAT, path, "more than %d distinct ops", MAX_OPS);
      return -1;
    }
    snprintf(mo->ops[mo->n_ops], sizeof mo->ops[0], "%s", full);
    mo->implemented[mo->n_ops++] = nn_find_op(dom, op, mo->opset) != NULL;
  }
  onnx__model_proto__free_unpacked(mp, NULL);
  return 0;
}

/* Letters and digits of `s`, lowercased: "test_reduce_max" -> "testreducemax". */
static void squash(const char *s, char *out, size_t cap) {
  size_t n = 0;
  for (; *s && n + 1 < cap; s++)
    if ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')) out[n++] = *s;
    else if (*s >= 'A' && *s <= 'Z') out[n++] = (char)(*s - 'A' + 'a');
  out[n] = 0;
}

/* The op a test is about (see the header comment). */
static void primary_op(dm_context *ctx, const char *name, const model_ops *mo, char *out,
                       size_t cap) {
  if (mo->n_ops == 1) {
    snprintf(out, cap, "%s", mo->ops[0]);
    return;
  }
  const char *exp = strstr(name, "_expanded");
  if (exp) {
    char twin[512];
    snprintf(twin, sizeof twin, "%s/%.*s", NODE_DIR, (int)(exp - name), name);
    model_ops tw;
    if (scan_model(ctx, twin, &tw) == 0 && tw.n_ops == 1) {
      snprintf(out, cap, "%s (expanded)", tw.ops[0]);
      return;
    }
  }
  char stem[256], op[112];
  squash(name + 5, stem, sizeof stem);
  size_t best = 0;
  for (int k = 0; k < mo->n_ops; k++) {
    squash(mo->ops[k], op, sizeof op);
    size_t n = strlen(op);
    if (n > best && !strncmp(stem, op, n)) {
      best = n;
      snprintf(out, cap, "%s", mo->ops[k]);
    }
  }
  if (!best) snprintf(out, cap, "%s", mo->n_ops ? mo->ops[0] : "(no nodes)");
}

/* ---- comparison -------------------------------------------------------- */

static double element(const dm_nn_tensor *t, int64_t i) {
  switch (t->dtype) {
  case DM_NN_FLOAT: return ((const float *)t->data)[i];
  case DM_NN_DOUBLE: return ((const double *)t->data)[i];
  case DM_NN_UINT8: return ((const uint8_t *)t->data)[i];
  case DM_NN_INT8: return ((const int8_t *)t->data)[i];
  case DM_NN_INT32: return ((const int32_t *)t->data)[i];
  case DM_NN_INT64: return (double)((const int64_t *)t->data)[i];
  case DM_NN_BOOL: return ((const uint8_t *)t->data)[i] != 0;
  default: return NAN;
  }
}

static int close_enough(dm_nn_dtype t, const dm_nn_tensor *got, const dm_nn_tensor *want,
                        int64_t i) {
  if (t == DM_NN_INT64) return ((const int64_t *)got->data)[i] == ((const int64_t *)want->data)[i];
  double a = element(got, i), b = element(want, i);
  if (t != DM_NN_FLOAT && t != DM_NN_DOUBLE) return a == b;
  if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
  if (isinf(a) || isinf(b)) return a == b;
  return fabs(a - b) <= ATOL + RTOL * fabs(b);
}

static int shape_str(const dm_nn_tensor *t, char *out, size_t cap) {
  int n = snprintf(out, cap, "[");
  for (int d = 0; d < t->ndim && (size_t)n < cap; d++)
    n += snprintf(out + n, cap - (size_t)n, "%s%lld", d ? "," : "", (long long)t->dims[d]);
  if ((size_t)n < cap) n += snprintf(out + n, cap - (size_t)n, "]");
  return n;
}

/* 1 if equal; else 0 and a message with the first mismatch. */
static int compare(const dm_nn_tensor *got, const dm_nn_tensor *want, char *msg, size_t cap) {
  char gs[160], ws[160];
  shape_str(got, gs, sizeof gs);
  shape_str(want, ws, sizeof ws);
  if (got->dtype != want->dtype) {
    snprintf(msg, cap, "dtype %s %s, expected %s %s", dm_nn_dtype_name(got->dtype), gs,
             dm_nn_dtype_name(want->dtype), ws);
    return 0;
  }
  if (strcmp(gs, ws)) {
    snprintf(msg, cap, "shape %s, expected %s", gs, ws);
    return 0;
  }
  int64_t n = dm_nn_numel(want), bad = 0, first = -1;
  double worst = 0;
  if (n > 0 && !got->data) {
    snprintf(msg, cap, "no data");
    return 0;
  }
  for (int64_t i = 0; i < n; i++)
    if (!close_enough(want->dtype, got, want, i)) {
      if (first < 0) first = i;
      bad++;
      double e = fabs(element(got, i) - element(want, i));
      if (!(e <= worst)) worst = e;
    }
  if (!bad) return 1;
  /* The multi-index of the first mismatch helps find it in the kernel. */
  char idx[160];
  int k = snprintf(idx, sizeof idx, "[");
  int64_t rest = first, stride = n;
  for (int d = 0; d < want->ndim; d++) {
    stride = want->dims[d] ? stride / want->dims[d] : 1;
    k += snprintf(idx + k, sizeof idx - (size_t)k, "%s%lld", d ? "," : "",
                  (long long)(stride ? rest / stride : 0));
    rest = stride ? rest % stride : 0;
  }
  snprintf(idx + k, sizeof idx - (size_t)k, "]");
  snprintf(msg, cap, "%lld of %lld elements differ (shape %s); first at %lld %s: got %.9g, expected %.9g; max abs error %.3g",
           (long long)bad, (long long)n, ws, (long long)first, idx, element(got, first),
           element(want, first), worst);
  return 0;
}

/* ---- one test ---------------------------------------------------------- */

/* The loader says "unsupported dtype" / "not a tensor"; kernels that take
 * only some element types say "unsupported element type" or "dtype X not
 * supported". */
static int is_dtype_problem(const char *msg) {
  return strstr(msg, "unsupported dtype") || strstr(msg, "not a tensor") ||
         strstr(msg, "unsupported element type") ||
         (strstr(msg, "dtype") && strstr(msg, "not supported"));
}

static void set_result(test_result *r, kind k, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_result(test_result *r, kind k, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  r->k = k;
  vsnprintf(r->msg, sizeof r->msg, fmt, ap);
  va_end(ap);
}

/* A runtime error: a dtype we do not hold is a skip, anything else a FAIL. */
static void set_error(test_result *r, const char *stage, const char *err) {
  set_result(r, is_dtype_problem(err) ? K_DTYPE : K_FAIL, "%s: %s", stage, err);
}

typedef struct pb_set {
  dm_nn_tensor t[MAX_IO];
  int index[MAX_IO];          /* input / output index in the test's model */
  char *path[MAX_IO];         /* the .pb file */
  int n;
} pb_set;

static void free_set(pb_set *s) {
  for (int i = 0; i < s->n; i++) {
    free(s->t[i].data);
    free(s->path[i]);
  }
  s->n = 0;
}

/* input_K.pb or output_K.pb for K = 0, 1, ...: matched by tensor name to the
 * model's inputs (outputs), else by position. */
static int read_set(dm_context *ctx, const char *dir, const char *prefix, const dm_nn_model *m,
                    int is_input, pb_set *s, test_result *r) {
  s->n = 0;
  int count = is_input ? dm_nn_input_count(m) : dm_nn_output_count(m);
  for (int k = 0; k < MAX_IO; k++) {
    char path[4300];
    snprintf(path, sizeof path, "%s/%s_%d.pb", dir, prefix, k);
    if (access(path, F_OK) != 0) break;
    unsigned char *data;
    size_t len;
    char *name = NULL;
    if (dm_read_file(ctx, path, (size_t)1 << 30, &data, &len) != DM_OK) {
      set_error(r, "reading test data", dm_context_error(ctx));
      return -1;
    }
    dm_status st = nn_tensor_from_pb(ctx, path, data, len, &s->t[s->n], &name);
    free(data);
    if (st != DM_OK) {
      set_error(r, "reading test data", dm_context_error(ctx));
      return -1;
    }
    int idx = -1;
    for (int i = 0; name && name[0] && i < count; i++)
      if (!strcmp(name, is_input ? dm_nn_input_name(m, i) : dm_nn_output_name(m, i))) idx = i;
    free(name);
    s->path[s->n] = strdup(path);
    s->index[s->n++] = idx >= 0 ? idx : k;
    if (!s->path[s->n - 1]) abort();
    if (s->index[s->n - 1] >= count) {
      set_result(r, K_FAIL, "%s has %s_%d.pb but the model has %d %s", dir, prefix, k, count,
                 is_input ? "inputs" : "outputs");
      return -1;
    }
  }
  return 0;
}

/* Run once and compare every expected output. */
static int run_and_compare(dm_context *ctx, dm_nn_model *m, const dm_nn_tensor *inputs,
                           const pb_set *want, const char *what, test_result *r) {
  int n_out = dm_nn_output_count(m);
  dm_nn_tensor *outs = calloc((size_t)n_out + 1, sizeof *outs);
  if (!outs) abort();
  int ok = 1;
  dm_status st = dm_nn_run(ctx, m, inputs, outs, NULL);
  if (st != DM_OK) {
    char stage[64];
    snprintf(stage, sizeof stage, "%srun", what);
    set_error(r, stage, dm_context_error(ctx));
    ok = 0;
  }
  for (int i = 0; ok && i < want->n; i++) {
    char msg[1024];
    int o = want->index[i];
    if (!compare(&outs[o], &want->t[i], msg, sizeof msg)) {
      set_result(r, K_FAIL, "%soutput %d '%s': %s", what, o, dm_nn_output_name(m, o), msg);
      ok = 0;
    }
  }
  for (int i = 0; i < n_out; i++) free(outs[i].data);
  free(outs);
  return ok;
}

/* Run `m` (the test's model) twice on one
 * data set. `names` are the test model's input names: `in` is indexed by
 * them, and `m` may have fewer inputs. */
static void attempt(dm_context *ctx, dm_nn_model *m, char *const *names, const pb_set *in,
                    const pb_set *out, test_result *r) {
  int n_in = dm_nn_input_count(m);
  dm_nn_tensor *inputs = calloc((size_t)n_in + 1, sizeof *inputs);
  if (!inputs) abort();
  for (int i = 0; i < n_in; i++) {
    /* Inputs without a file (optional ones): empty, of the declared type. */
    dm_nn_tensor decl;
    dm_nn_input_decl(m, i, &decl);
    inputs[i] = (dm_nn_tensor){.dtype = decl.dtype, .ndim = 1, .dims = {0}};
    for (int k = 0; k < in->n; k++)
      if (!strcmp(names[in->index[k]], dm_nn_input_name(m, i))) inputs[i] = in->t[k];
  }
  set_result(r, K_PASS, "%s", "");
  if (run_and_compare(ctx, m, inputs, out, "", r))
    run_and_compare(ctx, m, inputs, out, "second ", r);
  free(inputs);
}

static int data_set_filter(const struct dirent *e) {
  return !strncmp(e->d_name, "test_data_set_", 14);
}

static void run_test(dm_context *ctx, const char *dir, test_result *r) {
  char path[4200];
  snprintf(path, sizeof path, "%s/model.onnx", dir);
  dm_nn_model *m = NULL;
  /* From the file, as the tools load: mapped, constants read in place */
  if (dm_nn_load(ctx, path, &m) != DM_OK) {
    set_error(r, "load", dm_context_error(ctx));
    return;
  }
  int n_names = dm_nn_input_count(m);
  char **names = calloc((size_t)n_names + 1, sizeof *names);
  if (!names) abort();
  for (int i = 0; i < n_names; i++)
    if (!(names[i] = strdup(dm_nn_input_name(m, i)))) abort();
  struct dirent **sets = NULL;
  int n_sets = scandir(dir, &sets, data_set_filter, alphasort);
  set_result(r, K_PASS, "%s", "");
  if (n_sets <= 0) set_result(r, K_FAIL, "no test_data_set_* folder");
  for (int s = 0; s < n_sets && r->k == K_PASS; s++) {
    char sdir[4400];
    snprintf(sdir, sizeof sdir, "%s/%s", dir, sets[s]->d_name);
    pb_set in = {.n = 0}, out = {.n = 0};
    if (read_set(ctx, sdir, "input", m, 1, &in, r) == 0 &&
        read_set(ctx, sdir, "output", m, 0, &out, r) == 0) {
      attempt(ctx, m, names, &in, &out, r);
    }
    free_set(&in);
    free_set(&out);
  }
  for (int s = 0; s < n_sets; s++) free(sets[s]);
  free(sets);
  for (int i = 0; i < n_names; i++) free(names[i]);
  free(names);
  dm_nn_free(m);
}

/* In a child process: a crash or a hang costs one test, not the run. The
 * child makes its own context: fork copies only the calling thread, so a
 * thread pool made before the fork would have no workers. */
static void run_test_forked(int threads, const char *dir, test_result *r) {
  int fds[2];
  if (pipe(fds) != 0) {
    set_result(r, K_FAIL, "pipe failed");
    return;
  }
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    alarm(20);
    test_result cr = {.k = K_FAIL};
    dm_context *ctx = dm_context_new(threads);
    if (ctx) run_test(ctx, dir, &cr);
    else set_result(&cr, K_FAIL, "out of memory");
    dm_context_free(ctx);
    ssize_t w = write(fds[1], &cr, sizeof cr);
    _exit(w == (ssize_t)sizeof cr ? 0 : 3);
  }
  close(fds[1]);
  size_t got = 0;
  ssize_t n;
  while (pid > 0 && got < sizeof *r && (n = read(fds[0], (char *)r + got, sizeof *r - got)) > 0)
    got += (size_t)n;
  close(fds[0]);
  int status = 0;
  if (pid > 0) waitpid(pid, &status, 0);
  if (pid < 0) set_result(r, K_FAIL, "fork failed");
  else if (WIFSIGNALED(status))
    set_result(r, K_FAIL, "crashed: signal %d%s", WTERMSIG(status),
               WTERMSIG(status) == SIGALRM ? " (over 20 s)" : "");
  else if (got != sizeof *r)
    set_result(r, K_FAIL, "child exited with status %d", WEXITSTATUS(status));
}

/* ---- bookkeeping ------------------------------------------------------- */

static op_stat *stat_for(driver *d, const char *op) {
  for (int i = 0; i < d->n_stats; i++)
    if (!strcmp(d->stats[i].name, op)) return &d->stats[i];
  op_stat *ns = realloc(d->stats, sizeof *ns * (size_t)(d->n_stats + 1));
  if (!ns) abort();
  d->stats = ns;
  op_stat *s = &d->stats[d->n_stats++];
  memset(s, 0, sizeof *s);
  snprintf(s->name, sizeof s->name, "%s", op);
  return s;
}

static const char *skip_reason(const driver *d, const char *name) {
  size_t n = strlen(name);
  for (int i = 0; i < d->n_skips; i++)
    if (!strncmp(d->skips[i], name, n) && d->skips[i][n] == '\t') return d->skips[i] + n + 1;
  return NULL;
}

/* conformance_skips.txt: "test_name  reason", '#' comments. */
static void load_skips(driver *d, const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "%s: cannot read the skip list\n", path);
    exit(1);
  }
  char line[1024];
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = 0;
    char *p = line + strspn(line, " \t");
    if (!*p || *p == '#') continue;
    size_t nl = strcspn(p, " \t");
    char *reason = p + nl + strspn(p + nl, " \t");
    if (!*reason) {
      fprintf(stderr, "%s: '%s' has no reason\n", path, p);
      exit(1);
    }
    char **ns = realloc(d->skips, sizeof *ns * (size_t)(d->n_skips + 1));
    char *e = malloc(nl + 2 + strlen(reason));
    if (!ns || !e) abort();
    d->skips = ns;
    sprintf(e, "%.*s\t%s", (int)nl, p, reason);
    d->skips[d->n_skips++] = e;
  }
  fclose(f);
}

static void record(driver *d, const char *name, const model_ops *mo, const char *op,
                   const test_result *r) {
  const char *listed = skip_reason(d, name);
  d->totals[r->k]++;
  if (r->k == K_NOTIMPL) {
    for (int k = 0; k < mo->n_ops; k++)
      if (!mo->implemented[k]) stat_for(d, mo->ops[k])->n[K_NOTIMPL]++;
  } else {
    stat_for(d, op)->n[r->k]++;
  }
  if (r->k == K_FAIL && listed) {
    d->known++;
    stat_for(d, op)->known++;
    say(d, "FAIL %s (%s; listed in conformance_skips.txt: %s) %s\n", name, op, listed, r->msg);
    return;
  }
  if (r->k == K_FAIL) d->unexpected++;
  if (r->k == K_NOTIMPL) say(d, "SKIP %s (not implemented: %s)\n", name, r->msg);
  else if (r->k == K_DTYPE) say(d, "SKIP %s (dtype; %s) %s\n", name, op, r->msg);
  else say(d, "%s %s (%s)%s%s\n", r->k == K_PASS ? "PASS" : "FAIL", name, op, r->msg[0] ? " " : "", r->msg);
  if (r->k == K_PASS && listed) say(d, "  note: %s passes; remove it from conformance_skips.txt\n", name);
}

static int cmp_stat(const void *a, const void *b) {
  return strcmp(((const op_stat *)a)->name, ((const op_stat *)b)->name);
}

static void summary(driver *d) {
  qsort(d->stats, (size_t)d->n_stats, sizeof *d->stats, cmp_stat);
  say(d, "\n%-40s %6s %6s %6s %8s\n", "op", "pass", "fail", "dtype", "not-impl");
  for (int i = 0; i < d->n_stats; i++) {
    const op_stat *s = &d->stats[i];
    if (s->n[K_PASS] + s->n[K_FAIL] + s->n[K_DTYPE] == 0) continue;
    say(d, "%-40s %6d %6d %6d %8d%s\n", s->name, s->n[K_PASS], s->n[K_FAIL], s->n[K_DTYPE],
        s->n[K_NOTIMPL], s->known ? " (listed failures)" : "");
  }
  say(d, "\nnot implemented (tests needing the op):");
  int col = 0;
  for (int i = 0; i < d->n_stats; i++) {
    const op_stat *s = &d->stats[i];
    if (s->n[K_PASS] + s->n[K_FAIL] + s->n[K_DTYPE] || !s->n[K_NOTIMPL]) continue;
    say(d, "%s%s %d", col++ % 6 ? ", " : "\n  ", s->name, s->n[K_NOTIMPL]);
  }
  say(d, "\n\ntotal: %d passed, %d failed (%d listed in conformance_skips.txt), "
      "%d skipped (dtype), %d not implemented\n", d->totals[K_PASS], d->totals[K_FAIL],
      d->known, d->totals[K_DTYPE], d->totals[K_NOTIMPL]);
}

/* ---- main -------------------------------------------------------------- */

static int test_filter(const struct dirent *e) { return !strncmp(e->d_name, "test_", 5); }

static int selected(const char *name, char **filters, int n_filters) {
  for (int i = 0; i < n_filters; i++)
    if (strstr(name, filters[i])) return 1;
  return n_filters == 0;
}

int main(int argc, char **argv) {
  driver d = {0};
  int threads = 2, n_filters = 0;
  char **filters = calloc((size_t)argc + 1, sizeof *filters);
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--fork")) d.use_fork = 1;
    else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
    else if (argv[i][0] == '-') {
      fprintf(stderr, "usage: %s [--fork] [--threads N] [SUBSTRING ...]\n", argv[0]);
      return 2;
    } else filters[n_filters++] = argv[i];
  }
  d.ctx = dm_context_new(d.use_fork ? 1 : threads);
  const char *src = getenv("DM_SOURCE_DIR") ? getenv("DM_SOURCE_DIR") : DM_SOURCE_DIR;
  const char *build = getenv("DM_BUILD_DIR") ? getenv("DM_BUILD_DIR") : DM_BUILD_DIR;
  char path[4200];
  snprintf(path, sizeof path, "%s/tests/nn/conformance_skips.txt", src);
  load_skips(&d, path);

  struct dirent **tests = NULL;
  int n_tests = scandir(NODE_DIR, &tests, test_filter, alphasort);
  if (n_tests <= 0) {
    fprintf(stderr, "%s: no ONNX node tests (Debian package libonnx-testdata)\n", NODE_DIR);
    return 1;
  }
  dm_atomic_file af = {0};
  char report_path[4200];
  snprintf(report_path, sizeof report_path, "%s/nn_conformance.txt", build);
  if (!n_filters && dm_atomic_open(d.ctx, &af, report_path) == DM_OK) d.report = af.fp;

  for (int i = 0; i < n_tests; i++) {
    const char *name = tests[i]->d_name;
    if (!selected(name, filters, n_filters)) continue;
    char dir[4200], op[112];
    snprintf(dir, sizeof dir, "%s/%s", NODE_DIR, name);
    model_ops mo;
    test_result r = {.k = K_FAIL};
    if (scan_model(d.ctx, dir, &mo) != 0) {
      snprintf(op, sizeof op, "(unreadable)");
      set_result(&r, K_FAIL, "cannot read model.onnx: %s", dm_context_error(d.ctx));
    } else {
      primary_op(d.ctx, name, &mo, op, sizeof op);
      int missing = 0;
      size_t n = 0;
      for (int k = 0; k < mo.n_ops; k++)
        if (!mo.implemented[k] && ++missing && n < sizeof r.msg)
          n += (size_t)snprintf(r.msg + n, sizeof r.msg - n, "%s%s", n ? ", " : "", mo.ops[k]);
      if (missing && n < sizeof r.msg)
        snprintf(r.msg + n, sizeof r.msg - n, " at opset %d", mo.opset);
      if (missing) r.k = K_NOTIMPL;
      else if (d.use_fork) run_test_forked(threads, dir, &r);
      else run_test(d.ctx, dir, &r);
    }
    record(&d, name, &mo, op, &r);
    fflush(stdout);
  }
  summary(&d);
  if (d.report) {
    if (dm_atomic_commit(d.ctx, &af) == DM_OK) printf("report: %s\n", report_path);
    else fprintf(stderr, "%s\n", dm_context_error(d.ctx));
  }
  for (int i = 0; i < n_tests; i++) free(tests[i]);
  free(tests);
  for (int i = 0; i < d.n_skips; i++) free(d.skips[i]);
  free(d.skips);
  free(d.stats);
  free(filters);
  dm_context_free(d.ctx);
  fflush(stdout);
  if (d.unexpected) fprintf(stderr, "nn/test_conformance: %d unexpected failure(s)\n", d.unexpected);
  return d.unexpected ? 1 : 0;
}
