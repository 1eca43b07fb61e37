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

typedef struct op_total {
  const char *op;
  double secs;
  int count;
} op_total;

static int by_time(const void *a, const void *b) {
  const op_total *x = a, *y = b;
  return x->secs < y->secs ? 1 : x->secs > y->secs ? -1 : 0;
}

void nn_plan_print_profile(const nn_plan *p, FILE *fp) {
  if (!p->profiled_runs) return;
  op_total *tot = calloc((size_t)p->n_order + 1, sizeof *tot);
  if (!tot) return;
  int m = 0;
  double all = 0;
  for (int s = 0; s < p->n_order; s++) {
    const nn_node *n = &p->g.nodes[p->order[s]];
    const char *name = n->op->name;
    int j = 0;
    while (j < m && strcmp(tot[j].op, name)) j++;
    if (j == m) tot[m++] = (op_total){name, 0, 0};
    tot[j].secs += p->node_time[p->order[s]];
    tot[j].count += 1;
    all += p->node_time[p->order[s]];
  }
  qsort(tot, (size_t)m, sizeof *tot, by_time);
  fprintf(fp, "%-24s %6s %10s %6s\n", "op", "nodes", "ms/run", "share");
  for (int j = 0; j < m; j++)
    fprintf(fp, "%-24s %6d %10.3f %5.1f%%\n", tot[j].op, tot[j].count,
            tot[j].secs * 1e3 / p->profiled_runs, all > 0 ? 100.0 * tot[j].secs / all : 0.0);
  fprintf(fp, "%-24s %6d %10.3f\n", "total", p->n_order, all * 1e3 / p->profiled_runs);
  fprintf(fp, "arena %.1f MiB, scratch %.1f MiB\n", (double)p->arena_size / 1048576.0,
          (double)p->scratch_size / 1048576.0);
  free(tot);
}
