/* The render graph's stage memory: results kept by key, the least recently
 * used dropped first once a level's budget is spent. */
#include <stdlib.h>
#include <string.h>

#include "core/bigmem.h"
#include "pipeline/graph_internal.h"

void memo_init(memo *m, size_t budget) {
  memset(m, 0, sizeof *m);
  m->budget = budget;
}

void memo_entry_free(memo_entry *e) {
  dm_image_free(&e->img);
  dm_image_free(&e->img2);
  dm_big_free(e->fg);
  dm_big_free(e->bg);
  memset(e, 0, sizeof *e);
}

void memo_free(memo *m) {
  for (int i = 0; i < m->n; i++) memo_entry_free(&m->e[i]);
  free(m->e);
  dm_lens_blur_plan_free(m->plan);
  memset(m, 0, sizeof *m);
}

memo_entry *memo_find(memo *m, memo_kind kind, dm_hash key) {
  for (int i = 0; i < m->n; i++)
    if (m->e[i].kind == kind && m->e[i].key.lo == key.lo && m->e[i].key.hi == key.hi) {
      m->e[i].used = ++m->clock;
      return &m->e[i];
    }
  return NULL;
}

static void drop(memo *m, int i) {
  m->bytes -= m->e[i].bytes;
  memo_entry_free(&m->e[i]);
  m->e[i] = m->e[--m->n];
}

void memo_put(memo *m, memo_entry *e) {
  if (e->bytes > m->budget) {
    memo_entry_free(e);
    return;
  }
  while (m->n && m->bytes + e->bytes > m->budget) {
    int old = 0;
    for (int i = 1; i < m->n; i++)
      if (m->e[i].used < m->e[old].used) old = i;
    drop(m, old);
  }
  if (m->n == m->cap) {
    int cap = m->cap ? 2 * m->cap : 16;
    memo_entry *grown = realloc(m->e, (size_t)cap * sizeof *grown);
    if (!grown) {
      memo_entry_free(e);
      return;
    }
    m->e = grown, m->cap = cap;
  }
  e->used = ++m->clock;
  m->bytes += e->bytes;
  m->e[m->n++] = *e;
  memset(e, 0, sizeof *e);
}
