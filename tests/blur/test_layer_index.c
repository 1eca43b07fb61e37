/* blur/matte.c's layer index: for every pixel of a frame, and for places
 * outside it, bl_layer_slot gives the slot dm_matte_layers_find gives (the
 * binary search it replaces), on layers shaped as a matte's soft edge
 * (runs along an outline, empty rows, a full row, the last pixel);
 * layers it cannot index (a column out of order or out of the frame) are
 * left to the search, with the same answers. */
#include <stdint.h>
#include <string.h>

#include "blur/blur_internal.h"
#include "dm_test.h"

enum { W = 203, H = 67 }; /* rows that do not end on a 64-bit word */

/* Slots of pixels where keep(x, y) holds, row by row, x increasing. */
static void make_layers(dm_matte_layers *L, int (*keep)(int, int)) {
  memset(L, 0, sizeof *L);
  L->width = W, L->height = H;
  L->row_start = calloc(H + 1, sizeof *L->row_start);
  L->x = malloc(sizeof *L->x * W * H);
  for (int y = 0; y < H; y++) {
    L->row_start[y] = L->n;
    for (int x = 0; x < W; x++)
      if (keep(x, y)) L->x[L->n++] = x;
  }
  L->row_start[H] = L->n;
}

/* an outline's soft band, a full row, an empty one, and the last pixel */
static int edge(int x, int y) {
  if (y == 20) return 1;
  if (y == 21) return 0;
  if (x == W - 1 && y == H - 1) return 1;
  int dx = x - 100, dy = y - 33, r2 = dx * dx + 4 * dy * dy;
  return r2 > 55 * 55 && r2 < 61 * 61;
}

static int agrees(const bl_state *st) {
  for (int y = -2; y < H + 2; y++)
    for (int x = -2; x < W + 2; x++)
      if (bl_layer_slot(st, x, y) != dm_matte_layers_find(st->layers, x, y)) {
        fprintf(stderr, "pixel (%d, %d): %ld, the search says %ld\n", x, y, bl_layer_slot(st, x, y),
                dm_matte_layers_find(st->layers, x, y));
        return 0;
      }
  return 1;
}

int main(void) {
  dm_matte_layers L;
  make_layers(&L, edge);
  CHECK(L.n > 400);
  bl_state st;
  memset(&st, 0, sizeof st);
  st.w = W, st.h = H, st.layers = &L;

  bl_layer_index(&st);
  CHECK(st.layer_bits != NULL && st.layer_rank != NULL);
  CHECK(agrees(&st));
  /* every slot is found where it lies */
  long found = 0;
  for (int y = 0; y < H; y++)
    for (size_t k = L.row_start[y]; k < L.row_start[y + 1]; k++) found += bl_layer_slot(&st, L.x[k], y) == (long)k;
  CHECK(found == (long)L.n);

  /* a row out of order: not indexed, the search answers */
  int saved = L.x[L.row_start[20] + 5];
  L.x[L.row_start[20] + 5] = L.x[L.row_start[20] + 4];
  bl_layer_index(&st);
  CHECK(st.layer_bits == NULL);
  CHECK(agrees(&st));
  L.x[L.row_start[20] + 5] = saved;

  /* layers of another size: not indexed */
  st.w = W - 1;
  bl_layer_index(&st);
  CHECK(st.layer_bits == NULL);
  st.w = W;

  bl_layer_index(&st);
  CHECK(st.layer_bits != NULL);
  bl_layer_index_free(&st);
  CHECK(st.layer_bits == NULL && st.layer_rank == NULL);
  free(L.row_start);
  free(L.x);
  return dm_test_done("blur/layer_index");
}
