/* The memory plan: every runtime tensor (graph inputs and outputs of live
 * nodes) gets an offset in one arena. Two tensors may share bytes when their
 * lifetimes (from the step that writes them to the last step that reads
 * them) do not overlap. Placement is greedy, largest tensor first, at the
 * lowest offset that fits among the already placed tensors it overlaps in
 * time; this is the usual "greedy by size" plan and wastes little on
 * feed-forward networks. The output of a relabelling node (NN_OP_ALIAS:
 * Reshape, Squeeze...) shares its input's slot instead, which then lives
 * until the last read of either: no kernel writes into its inputs, so the
 * bytes need no copy (DA-V2-S: 77 Reshapes, 2 MB each). */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/bigmem.h"
#include "nn/plan.h"

#define ALIGN 64
/* Arenas from this size on are taken from core/bigmem.c's pool for a run
 * and given back after it (its large buffers are 2 MiB aligned). */
#define ARENA_BORROW_BYTES ((size_t)2 << 20)

void *nn_alloc_aligned(size_t bytes) {
  size_t align = bytes >= ((size_t)4 << 20) ? ((size_t)2 << 20) : ALIGN;
  size_t rounded = (bytes + align - 1) / align * align;
  void *ptr = NULL;
  if (posix_memalign(&ptr, align, rounded ? rounded : align)) return NULL;
  if (align > ALIGN) madvise(ptr, rounded, MADV_HUGEPAGE);
  return ptr;
}

typedef struct slot {
  int value;
  int first, last;        /* execution steps */
  size_t size, offset;
} slot;

static int by_size_desc(const void *a, const void *b) {
  const slot *x = a, *y = b;
  if (x->size != y->size) return x->size < y->size ? 1 : -1;
  return x->value - y->value;
}

static int by_offset(const void *a, const void *b) {
  const slot *x = *(slot *const *)a, *y = *(slot *const *)b;
  return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static int same_bytes(const dm_nn_tensor *a, const dm_nn_tensor *b) {
  return a->dtype == b->dtype && dm_nn_numel(a) == dm_nn_numel(b);
}

dm_status nn_memory_plan(dm_context *ctx, nn_plan *p) {
  nn_graph *g = &p->g;
  int nv = g->n_values;
  slot *slots = calloc((size_t)nv + 1, sizeof *slots);
  slot **placed = calloc((size_t)nv + 1, sizeof *placed);
  int *index = malloc(((size_t)nv + 1) * sizeof *index);
  int *alias_of = malloc(((size_t)nv + 1) * sizeof *alias_of); /* slot owner, or -1 */
  if (!slots || !placed || !index || !alias_of) {
    free(slots), free(placed), free(index), free(alias_of);
    return dm_fail(ctx, DM_ERR_NOMEM, g->name, "out of memory while planning");
  }
  for (int v = 0; v < nv; v++) index[v] = alias_of[v] = -1;
  int n_alias = 0;
  int n = 0;
  for (int i = 0; i < g->n_inputs; i++) {
    int v = g->inputs[i];
    if (g->values[v].is_const) continue; /* specialised on its value */
    index[v] = n;
    slots[n++] = (slot){v, 0, 0, 0, 0};
  }
  for (int s = 0; s < p->n_order; s++) {
    nn_node *node = &g->nodes[p->order[s]];
    for (int j = 0; j < node->n_in; j++) {
      int v = node->in[j];
      if (v >= 0 && index[v] >= 0) slots[index[v]].last = s;
    }
    for (int j = 0; j < node->n_out; j++) {
      int v = node->out[j];
      if (v < 0 || g->values[v].is_const || index[v] >= 0) continue;
      int src = j == 0 && node->n_in > 0 && (node->op->flags & NN_OP_ALIAS) ? node->in[0] : -1;
      if (src >= 0 && index[src] >= 0 && same_bytes(&g->values[src].t, &g->values[v].t)) {
        index[v] = index[src];
        alias_of[v] = slots[index[src]].value;
        n_alias++;
      } else {
        index[v] = n;
        slots[n++] = (slot){v, s, s, 0, 0};
      }
    }
  }
  for (int i = 0; i < g->n_outputs; i++) {
    int v = g->outputs[i];
    if (index[v] >= 0) slots[index[v]].last = p->n_order;
  }
  for (int i = 0; i < n; i++) {
    const dm_nn_tensor *t = &g->values[slots[i].value].t;
    size_t bytes = (size_t)dm_nn_numel(t) * dm_nn_dtype_size(t->dtype);
    slots[i].size = (bytes + ALIGN - 1) / ALIGN * ALIGN;
  }
  qsort(slots, (size_t)n, sizeof *slots, by_size_desc);
  size_t total = 0;
  for (int i = 0; i < n; i++) {
    slot *s = &slots[i];
    int m = 0;
    for (int j = 0; j < i; j++)
      if (slots[j].first <= s->last && s->first <= slots[j].last) placed[m++] = &slots[j];
    qsort(placed, (size_t)m, sizeof *placed, by_offset);
    size_t off = 0;
    for (int j = 0; j < m; j++) {
      if (placed[j]->offset >= off + s->size) break;
      size_t end = placed[j]->offset + placed[j]->size;
      if (end > off) off = end;
    }
    s->offset = off;
    if (off + s->size > total) total = off + s->size;
  }
  p->arena_size = total;
  p->scratch = p->scratch_size ? nn_alloc_aligned(p->scratch_size) : NULL;
  p->arena_vals = malloc((size_t)(n + n_alias + 1) * sizeof *p->arena_vals);
  dm_status st = DM_OK;
  if ((p->scratch_size && !p->scratch) || !p->arena_vals) {
    st = dm_fail(ctx, DM_ERR_NOMEM, g->name, "cannot allocate %zu bytes of scratch", p->scratch_size);
  } else {
    for (int i = 0; i < n; i++) {
      g->values[slots[i].value].offset = slots[i].offset;
      p->arena_vals[i] = slots[i].value;
    }
    for (int v = 0; v < nv; v++) {
      if (alias_of[v] < 0) continue;
      g->values[v].offset = g->values[alias_of[v]].offset;
      p->arena_vals[n++] = v;
    }
    p->n_arena_vals = n;
    /* A large arena is borrowed from the big-buffer pool for each run (see
     * nn_plan_arena_acquire); a small one is kept. */
    p->arena_borrowed = total >= ARENA_BORROW_BYTES;
    if (!p->arena_borrowed) st = nn_plan_arena_acquire(ctx, p);
  }
  free(slots), free(placed), free(index), free(alias_of);
  return st;
}

/* A model kept loaded between runs (the batch runner keeps one per worker,
 * the editor keeps its networks) would otherwise hold its arena, 287 MB
 * for ISNet at 1024^2, while the photo's other stages run. Borrowed, the
 * pages go back to the pool after each run and the image planes reuse
 * them; the next run takes them back without the kernel zeroing them
 * again. */
dm_status nn_plan_arena_acquire(dm_context *ctx, nn_plan *p) {
  if (p->arena) return DM_OK;
  size_t bytes = p->arena_size ? p->arena_size : ALIGN;
  p->arena = p->arena_borrowed ? dm_big_alloc(bytes) : nn_alloc_aligned(bytes);
  if (!p->arena) return dm_fail(ctx, DM_ERR_NOMEM, p->g.name, "cannot allocate %zu bytes of tensors", bytes);
  for (int i = 0; i < p->n_arena_vals; i++) {
    nn_value *v = &p->g.values[p->arena_vals[i]];
    v->t.data = p->arena + v->offset;
  }
  return DM_OK;
}

void nn_plan_arena_release(nn_plan *p) {
  if (!p->arena || !p->arena_borrowed) return;
  dm_big_free(p->arena);
  p->arena = NULL;
  for (int i = 0; i < p->n_arena_vals; i++) p->g.values[p->arena_vals[i]].t.data = NULL;
}
