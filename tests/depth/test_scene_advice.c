/* The scene's advice and the subject's depth ranges (src/depth/scene.h):
 * the sentence `depth`, `info`, `mask` and the editor's state all show
 * comes only when more than a fifth of the subject's outline meets
 * surroundings at its own depth (its area does not count: the frame's edge
 * is no outline); the subject's range holds its matte's depths and the
 * range behind it starts past them. Planes built here: a subject (matte 1)
 * at depth 0.3 with a tail to 0.34 before a backdrop at 0.8. */
#include <math.h>
#include <string.h>

#include "depth/scene.h"
#include "dm_test.h"

static void scene_of(dm_context *ctx, dm_scene *s, float low_share) {
  memset(s, 0, sizeof *s);
  int w = 100, h = 100;
  CHECK_OK(ctx, dm_image_alloc(ctx, &s->depth.near01, w, h, 1));
  CHECK_OK(ctx, dm_image_alloc(ctx, &s->matte, w, h, 1));
  CHECK_OK(ctx, dm_image_alloc(ctx, &s->confidence, w, h, 1));
  int low_rows = (int)(low_share * h + 0.5f);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      int subject = x >= 25 && x < 75;
      dm_row(&s->matte, y)[x] = subject ? 1.0f : 0.0f;
      dm_row(&s->depth.near01, y)[x] = subject ? 0.30f + 0.04f * (float)y / (h - 1) : 0.8f;
      /* low on the left half of the subject's rows above low_rows: its
       * area share is half its outline's */
      int ambiguous = subject && y < low_rows && x < 50;
      dm_row(&s->confidence, y)[x] = ambiguous ? 0.2f : 1.0f;
    }
  s->ambiguous = dm_scene_ambiguous(ctx, s);
  dm_context *one = dm_context_new(1); /* counted on one thread: the same share */
  CHECK(one && dm_scene_ambiguous(one, s) == s->ambiguous);
  dm_context_free(one);
  /* the outline: columns 25 and 74 of rows 1..98; its low part: column 25
   * of rows 1..low_rows-1 */
  float want = (float)(low_rows - 1) / (2.0f * (float)(h - 2));
  printf("outline share %.3f (want %.3f)\n", s->ambiguous, want);
  CHECK(fabsf(s->ambiguous - want) < 1e-4f);
}

int main(void) {
  dm_context *ctx = dm_context_new(3);
  dm_scene s;
  char advice[256];
  scene_of(ctx, &s, 0.1f);
  CHECK(dm_scene_advice(&s, advice, sizeof advice) == 0 && advice[0] == 0);
  float subject[2], behind[2];
  CHECK(dm_scene_subject_ranges(&s, subject, behind));
  printf("subject %.0f..%.0f, behind %.0f..%.0f\n", subject[0], subject[1], behind[0], behind[1]);
  CHECK(subject[0] <= 30 && subject[1] >= 34 && subject[1] <= 35);
  CHECK(behind[0] > subject[1] && behind[0] <= 36 && behind[1] == 100);
  dm_scene_free(&s);
  scene_of(ctx, &s, 0.3f); /* 15 % of the outline: no advice */
  CHECK(dm_scene_advice(&s, advice, sizeof advice) == 0);
  dm_scene_free(&s);
  scene_of(ctx, &s, 0.6f); /* 30 % of the outline, 15 % of the area */
  CHECK(dm_scene_advice(&s, advice, sizeof advice) == 1);
  printf("advice: %s\n", advice);
  CHECK(strstr(advice, "30 % of the subject's outline") && strstr(advice, "use Subject"));
  dm_image_free(&s.matte); /* no matte: no ranges */
  CHECK(!dm_scene_subject_ranges(&s, subject, behind));
  dm_scene_free(&s);
  dm_context_free(ctx);
  return dm_test_done("depth/scene_advice");
}
