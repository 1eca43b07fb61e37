/* depthmask-onnx: run an ONNX model on .npy tensors with src/nn, time it,
 * and describe a model. The timing lines are parsed by the benchmark, which
 * reads the same format from the onnxruntime runner:
 *   run K: X.XXX ms     one per timed run
 *   median: X.XXX ms    at the end
 * Exit status: 0 ok, 1 bad input (one line `depthmask-onnx: FILE: problem`),
 * 2 bad usage. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/file.h"
#include "nn/nn.h"
#include "nn/nn_internal.h"
#include "nn/npy.h"

enum { EXIT_INPUT = 1, EXIT_USAGE = 2, MAX_BINDINGS = 256, MAX_REPEAT = 100000 };

static const char usage[] =
    "usage: depthmask-onnx COMMAND [ARGS]\n"
    "\n"
    "  run MODEL.onnx --in NAME=FILE.npy ... [--out NAME=FILE.npy ...]\n"
    "      [--repeat N] [--threads N] [--profile]\n"
    "        Every model input needs an --in. Only the outputs named by --out are\n"
    "        computed and written (all are computed when there is none). With\n"
    "        --repeat N > 1 one untimed warm-up run comes first. Prints\n"
    "        'run K: X.XXX ms' per timed run and 'median: X.XXX ms'. --threads 0\n"
    "        (the default) uses every CPU; --profile prints per-op times to stderr,\n"
    "        then each Conv shape's kernel, time and GFLOP/s.\n"
    "  info MODEL.onnx\n"
    "        Opset, inputs and outputs with declared dtype and shape, op counts,\n"
    "        and the weights' bytes read in place, converted from float16, or copied.\n"
    "\n"
    "Exit status: 0 ok, 1 bad input, 2 bad usage.\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("depthmask-onnx: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputs(" (see depthmask-onnx --help)\n", stderr);
  va_end(ap);
  return EXIT_USAGE;
}

static int report(dm_context *ctx) {
  fprintf(stderr, "depthmask-onnx: %s\n", dm_context_error(ctx));
  return EXIT_INPUT;
}

static void print_shape(FILE *fp, dm_nn_dtype dtype, int ndim, const int64_t *dims) {
  fprintf(fp, "%s ", dtype == DM_NN_UNDEFINED ? "?" : dm_nn_dtype_name(dtype));
  if (ndim < 0) {
    fputs("[unknown rank]", fp);
    return;
  }
  fputc('[', fp);
  for (int d = 0; d < ndim; d++) {
    if (d) fputs(", ", fp);
    if (dims[d] < 0) fputc('?', fp);
    else fprintf(fp, "%lld", (long long)dims[d]);
  }
  fputc(']', fp);
}

/* ---- run --------------------------------------------------------------- */

typedef struct binding {
  const char *name, *file;
  int index; /* model input / output index */
} binding;

typedef struct run_args {
  const char *model;
  binding in[MAX_BINDINGS], out[MAX_BINDINGS];
  int n_in, n_out, repeat, threads, profile;
} run_args;

/* "NAME=FILE": split at the first '='. */
static int parse_binding(const char *opt, char *arg, binding *b) {
  char *eq = strchr(arg, '=');
  if (!eq || eq == arg || !eq[1])
    return usage_error("%s wants NAME=FILE.npy, got \"%s\"", opt, arg);
  *eq = 0;
  b->name = arg;
  b->file = eq + 1;
  b->index = -1;
  return 0;
}

static int parse_int(const char *opt, const char *s, int lo, int hi, int *out) {
  char *end;
  long v = s ? strtol(s, &end, 10) : 0;
  if (!s || !*s || *end || v < lo || v > hi)
    return usage_error("%s wants an integer from %d to %d, got \"%s\"", opt, lo, hi, s ? s : "");
  *out = (int)v;
  return 0;
}

static int parse_run_args(int argc, char **argv, run_args *a) {
  memset(a, 0, sizeof *a);
  a->repeat = 1;
  for (int i = 0; i < argc; i++) {
    const char *o = argv[i];
    char *val = i + 1 < argc ? argv[i + 1] : NULL;
    int rc = 0;
    if (!strcmp(o, "--in") || !strcmp(o, "--out")) {
      int is_in = o[2] == 'i';
      int *n = is_in ? &a->n_in : &a->n_out;
      if (!val) return usage_error("%s needs NAME=FILE.npy", o);
      if (*n == MAX_BINDINGS) return usage_error("more than %d %s options", MAX_BINDINGS, o);
      rc = parse_binding(o, val, is_in ? &a->in[*n] : &a->out[*n]);
      (*n)++;
      i++;
    } else if (!strcmp(o, "--repeat")) {
      rc = parse_int(o, val, 1, MAX_REPEAT, &a->repeat);
      i++;
    } else if (!strcmp(o, "--threads")) {
      rc = parse_int(o, val, 0, 1024, &a->threads);
      i++;
    } else if (!strcmp(o, "--profile")) {
      a->profile = 1;
    } else if (o[0] == '-' && o[1]) {
      return usage_error("unknown option \"%s\"", o);
    } else if (a->model) {
      return usage_error("more than one model (\"%s\" and \"%s\")", a->model, o);
    } else {
      a->model = o;
    }
    if (rc) return rc;
  }
  if (!a->model) return usage_error("run needs a MODEL.onnx");
  return 0;
}

/* Match --in / --out names to the model's inputs and outputs. */
static int bind_names(const dm_nn_model *m, run_args *a) {
  int n_inputs = dm_nn_input_count(m), n_outputs = dm_nn_output_count(m);
  for (int b = 0; b < a->n_in; b++) {
    for (int i = 0; i < n_inputs; i++)
      if (!strcmp(a->in[b].name, dm_nn_input_name(m, i))) a->in[b].index = i;
    if (a->in[b].index < 0) return usage_error("the model has no input \"%s\"", a->in[b].name);
    for (int c = 0; c < b; c++)
      if (a->in[c].index == a->in[b].index)
        return usage_error("input \"%s\" given twice", a->in[b].name);
  }
  for (int i = 0; i < n_inputs; i++) {
    int given = 0;
    for (int b = 0; b < a->n_in; b++) given |= a->in[b].index == i;
    if (!given) return usage_error("missing --in for input \"%s\"", dm_nn_input_name(m, i));
  }
  for (int b = 0; b < a->n_out; b++) {
    for (int i = 0; i < n_outputs; i++)
      if (!strcmp(a->out[b].name, dm_nn_output_name(m, i))) a->out[b].index = i;
    if (a->out[b].index < 0) return usage_error("the model has no output \"%s\"", a->out[b].name);
  }
  return 0;
}

/* Read an input and check it against the model's declaration. */
static dm_status read_input(dm_context *ctx, const dm_nn_model *m, const binding *b,
                            dm_nn_tensor *t) {
  dm_status s = dm_npy_read(ctx, b->file, t);
  if (s) return s;
  dm_nn_tensor decl;
  dm_nn_input_decl(m, b->index, &decl);
  if (decl.dtype != DM_NN_UNDEFINED && decl.dtype != t->dtype)
    return dm_fail(ctx, DM_ERR_FORMAT, b->file, "dtype %s, but input \"%s\" is %s",
                   dm_nn_dtype_name(t->dtype), b->name, dm_nn_dtype_name(decl.dtype));
  int ok = decl.ndim < 0 || decl.ndim == t->ndim;
  for (int d = 0; ok && d < decl.ndim; d++) ok = decl.dims[d] < 0 || decl.dims[d] == t->dims[d];
  if (!ok) {
    char got[256], want[256];
    int n = 0, w = 0;
    for (int d = 0; d < t->ndim; d++)
      n += snprintf(got + n, sizeof got - (size_t)n, "%s%lld", d ? ", " : "", (long long)t->dims[d]);
    for (int d = 0; d < decl.ndim; d++) {
      if (decl.dims[d] < 0) w += snprintf(want + w, sizeof want - (size_t)w, "%s?", d ? ", " : "");
      else w += snprintf(want + w, sizeof want - (size_t)w, "%s%lld", d ? ", " : "", (long long)decl.dims[d]);
    }
    got[n] = want[w] = 0;
    return dm_fail(ctx, DM_ERR_FORMAT, b->file, "shape [%s], but input \"%s\" is [%s]", got,
                   b->name, want);
  }
  return DM_OK;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void free_tensors(dm_nn_tensor *t, int n) {
  for (int i = 0; i < n; i++) {
    free(t[i].data);
    t[i].data = NULL;
  }
}

/* Warm-up (when timing several runs), then the timed runs; the outputs of
 * the last one stay in `outputs`. */
static dm_status timed_runs(dm_context *ctx, dm_nn_model *m, const run_args *a,
                            const dm_nn_tensor *inputs, dm_nn_tensor *outputs, const int *want) {
  int n_out = dm_nn_output_count(m);
  double *ms = malloc(sizeof *ms * (size_t)a->repeat);
  if (!ms) return dm_fail(ctx, DM_ERR_NOMEM, a->model, "out of memory");
  dm_status s = DM_OK;
  if (a->repeat > 1) {
    s = dm_nn_run(ctx, m, inputs, outputs, want);
    free_tensors(outputs, n_out);
  }
  for (int k = 0; s == DM_OK && k < a->repeat; k++) {
    double t0 = now_ms();
    s = dm_nn_run(ctx, m, inputs, outputs, want);
    ms[k] = now_ms() - t0;
    if (s != DM_OK) break;
    printf("run %d: %.3f ms\n", k + 1, ms[k]);
    if (k + 1 < a->repeat) free_tensors(outputs, n_out);
  }
  if (s == DM_OK) {
    qsort(ms, (size_t)a->repeat, sizeof *ms, cmp_double);
    int h = a->repeat / 2;
    printf("median: %.3f ms\n", a->repeat % 2 ? ms[h] : (ms[h - 1] + ms[h]) / 2);
    fflush(stdout);
  }
  free(ms);
  return s;
}

static int cmd_run(int argc, char **argv) {
  run_args *a = malloc(sizeof *a);
  if (!a) return EXIT_INPUT;
  int rc = parse_run_args(argc, argv, a);
  dm_context *ctx = rc ? NULL : dm_context_new(a->threads);
  dm_nn_model *m = NULL;
  dm_nn_tensor *inputs = NULL, *outputs = NULL;
  int *want = NULL;
  int n_in = 0, n_out = 0;
  if (rc) goto done;
  if (!ctx) {
    fputs("depthmask-onnx: out of memory\n", stderr);
    rc = EXIT_INPUT;
    goto done;
  }
  if (dm_nn_load(ctx, a->model, &m) != DM_OK) {
    rc = report(ctx);
    goto done;
  }
  if ((rc = bind_names(m, a))) goto done;
  n_in = dm_nn_input_count(m);
  n_out = dm_nn_output_count(m);
  inputs = calloc((size_t)n_in + 1, sizeof *inputs);
  outputs = calloc((size_t)n_out + 1, sizeof *outputs);
  want = calloc((size_t)n_out + 1, sizeof *want);
  if (!inputs || !outputs || !want) {
    fputs("depthmask-onnx: out of memory\n", stderr);
    rc = EXIT_INPUT;
    goto done;
  }
  for (int b = 0; b < a->n_in; b++)
    if (read_input(ctx, m, &a->in[b], &inputs[a->in[b].index]) != DM_OK) {
      rc = report(ctx);
      goto done;
    }
  for (int b = 0; b < a->n_out; b++) want[a->out[b].index] = 1;
  dm_nn_set_profile(m, a->profile);
  if (timed_runs(ctx, m, a, inputs, outputs, a->n_out ? want : NULL) != DM_OK) {
    rc = report(ctx);
    goto done;
  }
  if (a->profile) dm_nn_print_profile(m, stderr);
  for (int b = 0; b < a->n_out; b++)
    if (dm_npy_write(ctx, a->out[b].file, &outputs[a->out[b].index]) != DM_OK) {
      rc = report(ctx);
      goto done;
    }
done:
  if (inputs) free_tensors(inputs, n_in);
  if (outputs) free_tensors(outputs, n_out);
  free(inputs);
  free(outputs);
  free(want);
  dm_nn_free(m);
  dm_context_free(ctx);
  free(a);
  return rc;
}

/* ---- info -------------------------------------------------------------- */

static void print_values(const nn_graph *g, const int *idx, int n) {
  for (int i = 0; i < n; i++) {
    const nn_value *v = &g->values[idx[i]];
    printf("  %s: ", v->name);
    print_shape(stdout, v->decl_dtype, v->decl_ndim, v->decl_dims);
    putchar('\n');
  }
}

/* Node count per (domain, op_type), in first-use order. */
static void print_ops(const nn_graph *g) {
  int *first = malloc(sizeof *first * (size_t)(g->n_nodes + 1)), n_kinds = 0;
  int *count = calloc((size_t)g->n_nodes + 1, sizeof *count);
  if (!first || !count) {
    free(first);
    free(count);
    return;
  }
  for (int i = 0; i < g->n_nodes; i++) {
    const nn_node *nd = &g->nodes[i];
    int k = 0;
    while (k < n_kinds && (strcmp(g->nodes[first[k]].op_type, nd->op_type) ||
                           strcmp(g->nodes[first[k]].domain, nd->domain)))
      k++;
    if (k == n_kinds) first[n_kinds++] = i;
    count[k]++;
  }
  for (int k = 0; k < n_kinds; k++) {
    const nn_node *nd = &g->nodes[first[k]];
    printf("  %s%s%s: %d%s\n", nd->domain, nd->domain[0] ? "." : "", nd->op_type, count[k],
           nn_find_op(nd->domain, nd->op_type, g->opset) ? "" : " (not implemented)");
  }
  free(first);
  free(count);
}

static int cmd_info(int argc, char **argv) {
  if (argc != 1 || argv[0][0] == '-')
    return usage_error("%s", argc ? "info takes one MODEL.onnx" : "info needs a MODEL.onnx");
  const char *path = argv[0];
  dm_context *ctx = dm_context_new(0); /* every CPU, as run: loading populates on them */
  if (!ctx) return EXIT_INPUT;
  nn_graph g;
  int rc = 0;
  if (nn_graph_load_file(ctx, path, &g) != DM_OK) {
    rc = report(ctx);
  } else {
    printf("%s\nopset: %d\nir_version: %d\nnodes: %d\ninputs:\n", path, g.opset, g.ir_version,
           g.n_nodes);
    print_values(&g, g.inputs, g.n_inputs);
    puts("outputs:");
    print_values(&g, g.outputs, g.n_outputs);
    puts("ops:");
    print_ops(&g);
    printf("weights: %zu bytes read in place, %zu float16 bytes converted, %zu bytes copied\n",
           g.stats.in_place, g.stats.converted, g.stats.copied);
    nn_graph_free(&g);
  }
  dm_context_free(ctx);
  return rc;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs(usage, stderr);
    return EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
    fputs(usage, stdout);
    return 0;
  }
  if (!strcmp(cmd, "run")) return cmd_run(argc - 2, argv + 2);
  if (!strcmp(cmd, "info")) return cmd_info(argc - 2, argv + 2);
  return usage_error("unknown command \"%s\"", cmd);
}
