/* Topological order (Kahn). Ready nodes are taken smallest file index
 * first, so a file already in order keeps its order exactly. A cycle is
 * reported through a node that is on it, not merely behind it. */
#include <stdlib.h>
#include <string.h>

#include "nn/load_internal.h"

/* Min-heap of node indices. */
static void heap_push(int *h, int *n, int x) {
  int i = (*n)++;
  while (i > 0 && h[(i - 1) / 2] > x) {
    h[i] = h[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  h[i] = x;
}

static int heap_pop(int *h, int *n) {
  int top = h[0], x = h[--*n], i = 0;
  for (;;) {
    int c = 2 * i + 1;
    if (c >= *n) break;
    if (c + 1 < *n && h[c + 1] < h[c]) c++;
    if (h[c] >= x) break;
    h[i] = h[c];
    i = c;
  }
  h[i] = x;
  return top;
}

/* Some node left over (all have an unfinished producer): walk from one to
 * an unfinished producer until a node repeats; that node is on a cycle.
 * Each node is visited at most once. */
static int node_on_cycle(const nn_graph *g, const int *indeg, char *seen) {
  int k = 0;
  while (indeg[k] == 0) k++;
  while (!seen[k]) {
    seen[k] = 1;
    const nn_node *nd = &g->nodes[k];
    for (int j = 0; j < nd->n_in; j++) {
      int p = nd->in[j] >= 0 ? g->values[nd->in[j]].producer : -1;
      if (p >= 0 && indeg[p] > 0) {
        k = p;
        break;
      }
    }
  }
  return k;
}

typedef struct sort_tmp {
  size_t *start;   /* per value: first entry of its consumers in `users` */
  int *users;      /* consumer node per (value, use), with repeats */
  int *indeg;      /* inputs whose producer is not emitted yet */
  int *heap, *order, *pos;
  char *seen;
} sort_tmp;

static void sort_tmp_free(sort_tmp *t) {
  free(t->start);
  free(t->users);
  free(t->indeg);
  free(t->heap);
  free(t->order);
  free(t->pos);
  free(t->seen);
}

/* Consumer lists (CSR) and in-degrees. */
static int build_users(const nn_graph *g, sort_tmp *t) {
  size_t nv = (size_t)g->n_values, uses = 0;
  if (!(t->start = calloc(nv + 1, sizeof *t->start))) return 0;
  for (int k = 0; k < g->n_nodes; k++)
    for (int j = 0; j < g->nodes[k].n_in; j++) {
      int v = g->nodes[k].in[j];
      if (v >= 0 && g->values[v].producer >= 0) {
        t->start[v + 1]++;
        t->indeg[k]++;
        uses++;
      }
    }
  for (size_t v = 0; v < nv; v++) t->start[v + 1] += t->start[v];
  if (!(t->users = malloc((uses ? uses : 1) * sizeof *t->users))) return 0;
  size_t *fill = malloc((nv ? nv : 1) * sizeof *fill);
  if (!fill) return 0;
  memcpy(fill, t->start, nv * sizeof *fill);
  for (int k = 0; k < g->n_nodes; k++)
    for (int j = 0; j < g->nodes[k].n_in; j++) {
      int v = g->nodes[k].in[j];
      if (v >= 0 && g->values[v].producer >= 0) t->users[fill[v]++] = k;
    }
  free(fill);
  return 1;
}

dm_status nn_sort_nodes(nn_loader *L) {
  nn_graph *g = L->g;
  int n = g->n_nodes;
  if (n == 0) return DM_OK;
  sort_tmp t = {0};
  t.indeg = calloc((size_t)n, sizeof *t.indeg);
  t.heap = malloc((size_t)n * sizeof *t.heap);
  t.order = malloc((size_t)n * sizeof *t.order);
  t.pos = malloc((size_t)n * sizeof *t.pos);
  t.seen = calloc((size_t)n, 1);
  if (!t.indeg || !t.heap || !t.order || !t.pos || !t.seen || !build_users(g, &t)) {
    sort_tmp_free(&t);
    return dm_fail(L->ctx, DM_ERR_NOMEM, g->name, "out of memory");
  }
  int hn = 0, m = 0;
  for (int k = 0; k < n; k++)
    if (t.indeg[k] == 0) heap_push(t.heap, &hn, k);
  while (hn > 0) {
    int k = heap_pop(t.heap, &hn);
    t.order[m++] = k;
    const nn_node *nd = &g->nodes[k];
    for (int j = 0; j < nd->n_out; j++) {
      int v = nd->out[j];
      if (v < 0) continue;
      for (size_t u = t.start[v]; u < t.start[v + 1]; u++)
        if (--t.indeg[t.users[u]] == 0) heap_push(t.heap, &hn, t.users[u]);
    }
  }
  if (m < n) {
    int k = node_on_cycle(g, t.indeg, t.seen);
    sort_tmp_free(&t);
    return dm_fail(L->ctx, DM_ERR_FORMAT, g->name, "graph has a cycle through node '" NN_NAME_MSG "' (" NN_NAME_MSG ")",
                   g->nodes[k].name, g->nodes[k].op_type);
  }
  /* Permute the nodes (a struct copy moves ownership) and renumber producers. */
  nn_node *sorted = malloc((size_t)(unsigned)n * sizeof *sorted);
  if (!sorted) {
    sort_tmp_free(&t);
    return dm_fail(L->ctx, DM_ERR_NOMEM, g->name, "out of memory");
  }
  for (int i = 0; i < n; i++) {
    sorted[i] = g->nodes[t.order[i]];
    t.pos[t.order[i]] = i;
  }
  free(g->nodes);
  g->nodes = sorted;
  for (int v = 0; v < g->n_values; v++)
    if (g->values[v].producer >= 0) g->values[v].producer = t.pos[g->values[v].producer];
  sort_tmp_free(&t);
  return DM_OK;
}
