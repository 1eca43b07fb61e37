/* Execution: run the live nodes in order on the planned arena, with an
 * optional per-node timer for profiles. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn/plan.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int nn_outputs_empty(const nn_kctx *k) {
  int any = 0;
  for (int j = 0; j < k->n_out; j++) {
    if (!k->out[j]) continue;
    any = 1;
    if (dm_nn_numel(k->out[j]) != 0) return 0;
  }
  return any;
}

dm_status nn_exec(dm_context *ctx, nn_plan *p, int profile) {
  for (int s = 0; s < p->n_order; s++) {
    if (dm_cancelled(ctx)) return dm_fail(ctx, DM_ERR_CANCELLED, p->g.name, "cancelled");
    int i = p->order[s];
    nn_node *n = &p->g.nodes[i];
    nn_kctx k;
    nn_plan_kctx(ctx, p, i, &k);
    double t0 = profile ? now() : 0;
    dm_status st = nn_outputs_empty(&k) ? DM_OK : n->op->run(&k);
    if (st != DM_OK) return st;
    if (profile) p->node_time[i] += now() - t0;
  }
  if (profile) p->profiled_runs++;
  return DM_OK;
}

/* Time summed per name: an op type, or a node's own description. */
typedef struct total {
  char name[96];
  double secs, macs;
  int count;
} total;

static int by_time(const void *a, const void *b) {
  const total *x = a, *y = b;
  return x->secs < y->secs ? 1 : x->secs > y->secs ? -1 : 0;
}

/* Add one node to the entry named `name` of tot[0..*m), appending it if new. */
static void add_total(total *tot, int *m, const char *name, double secs, double macs) {
  int j = 0;
  while (j < *m && strcmp(tot[j].name, name)) j++;
  if (j == *m) snprintf(tot[(*m)++].name, sizeof tot->name, "%s", name);
  tot[j].secs += secs;
  tot[j].macs += macs;
  tot[j].count++;
}

/* Nodes whose kernel describes itself (Conv), summed per description, with
 * the rate their multiply-adds ran at: says which shapes and which kernel
 * the time went to. */
static void print_described(const nn_plan *p, FILE *fp, double all) {
  total *tot = calloc((size_t)p->n_order + 1, sizeof *tot);
  if (!tot) return;
  int m = 0;
  for (int s = 0; s < p->n_order; s++) {
    const nn_node *n = &p->g.nodes[p->order[s]];
    if (!n->op->describe) continue;
    char what[sizeof tot->name] = "";
    double macs = 0;
    n->op->describe(n, what, sizeof what, &macs);
    if (what[0]) add_total(tot, &m, what, p->node_time[p->order[s]], macs);
  }
  qsort(tot, (size_t)m, sizeof *tot, by_time);
  if (m) fprintf(fp, "%-48s %6s %10s %6s %8s\n", "described node", "nodes", "ms/run", "share", "GFLOP/s");
  for (int j = 0; j < m; j++) {
    double secs = tot[j].secs / p->profiled_runs;
    fprintf(fp, "%-48s %6d %10.3f %5.1f%% %8.1f\n", tot[j].name, tot[j].count, secs * 1e3,
            all > 0 ? 100.0 * tot[j].secs / all : 0.0, secs > 0 ? 2.0 * tot[j].macs / secs * 1e-9 : 0.0);
  }
  free(tot);
}

void nn_plan_print_profile(const nn_plan *p, FILE *fp) {
  if (!p->profiled_runs) return;
  total *tot = calloc((size_t)p->n_order + 1, sizeof *tot);
  if (!tot) return;
  int m = 0;
  double all = 0;
  for (int s = 0; s < p->n_order; s++) {
    add_total(tot, &m, p->g.nodes[p->order[s]].op->name, p->node_time[p->order[s]], 0);
    all += p->node_time[p->order[s]];
  }
  qsort(tot, (size_t)m, sizeof *tot, by_time);
  fprintf(fp, "%-24s %6s %10s %6s\n", "op", "nodes", "ms/run", "share");
  for (int j = 0; j < m; j++)
    fprintf(fp, "%-24s %6d %10.3f %5.1f%%\n", tot[j].name, tot[j].count,
            tot[j].secs * 1e3 / p->profiled_runs, all > 0 ? 100.0 * tot[j].secs / all : 0.0);
  fprintf(fp, "%-24s %6d %10.3f\n", "total", p->n_order, all * 1e3 / p->profiled_runs);
  print_described(p, fp, all);
  fprintf(fp, "arena %.1f MiB, scratch %.1f MiB\n", (double)p->arena_size / 1048576.0,
          (double)p->scratch_size / 1048576.0);
  free(tot);
}
