/* blur/matte_synth.c: the soft edge made when there is no matte. A row
 * with a ramp works out only the pixels that read a ramp cell and gives
 * the rest the hard edge; the alpha must be exactly what working out every
 * pixel gives (bl_synth_every_pixel), on CoC maps with an in-focus subject
 * against a background whose blur grows across the frame, a foreground
 * patch, odd sizes (a last half cell), and 1 and 2 threads. */
#include <math.h>
#include <string.h>

#include "blur/blur_internal.h"
#include "dm_test.h"

/* Signed CoC radius at (x, y): a sharp subject (an ellipse and a thin
 * post), a background from 3 to 3 + grow px, a foreground patch. */
static float radius(int x, int y, int w, int h, float grow) {
  float dx = (x - 0.45f * w) / (0.22f * w), dy = (y - 0.5f * h) / (0.35f * h);
  if (dx * dx + dy * dy < 1.0f || (x > 0.8f * w && x < 0.8f * w + 3)) return 0.4f;
  if (x < 0.15f * w && y > 0.7f * h) return -12.0f;
  return 3.0f + grow * (float)x / (float)w;
}

/* m8 of bl_synth_matte on that map; NULL when no edge got a ramp. */
static uint8_t *synth(dm_context *ctx, int w, int h, float grow, int every) {
  bl_state st;
  memset(&st, 0, sizeof st);
  st.ctx = ctx, st.w = w, st.h = h;
  st.rad = bl_alloc(sizeof(float) * (size_t)w * h);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) st.rad[(size_t)y * w + x] = radius(x, y, w, h, grow);
  bl_synth_every_pixel = every;
  CHECK(bl_synth_matte(&st) == DM_OK);
  bl_synth_every_pixel = 0;
  uint8_t *m = NULL;
  if (st.m8) {
    m = malloc((size_t)w * h);
    memcpy(m, st.m8, (size_t)w * h);
  }
  bl_free(st.m8), bl_free(st.rad);
  bl_arena_free(&st.scratch);
  return m;
}

static void check(dm_context *ctx, int w, int h, float grow) {
  uint8_t *a = synth(ctx, w, h, grow, 0), *b = synth(ctx, w, h, grow, 1);
  CHECK(a && b);
  if (a && b) {
    size_t soft = 0, differ = 0;
    for (size_t i = 0; i < (size_t)w * h; i++) soft += a[i] > 0 && a[i] < 255, differ += a[i] != b[i];
    if (differ) fprintf(stderr, "%dx%d grow %g: %zu pixels differ\n", w, h, (double)grow, differ);
    CHECK(differ == 0);
    CHECK(soft > 100); /* the edges did get ramps */
  }
  free(a), free(b);
}

int main(void) {
  dm_context *one = dm_context_new(1), *two = dm_context_new(2);
  check(one, 203, 141, 40.0f);
  check(two, 203, 141, 40.0f);
  check(two, 320, 77, 90.0f);
  check(two, 64, 64, 60.0f);
  dm_context_free(one), dm_context_free(two);
  return dm_test_done("blur/test_synth_matte");
}
