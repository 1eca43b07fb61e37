/* Probes of a matte at points located by eye on a photo of a person (the
 * centre of the face, the torso, plain background), shared by
 * test_matte_people.c and test_matte_people_messi.c. */
#ifndef DM_PEOPLE_PROBE_H
#define DM_PEOPLE_PROBE_H

#include "scene_util.h"

typedef struct {
  int x, y;
  int subject; /* 1: > 0.9 expected, 0: < 0.1 */
  const char *what;
} probe;

/* Mean of the matte over the 9x9 block around (x, y) at `scale`. */
static inline double block_mean(const dm_image *m, int x, int y, int scale) {
  double s = 0;
  for (int dy = -4; dy <= 4; dy++)
    for (int dx = -4; dx <= 4; dx++) s += dm_row(m, y * scale + dy)[x * scale + dx];
  return s / 81;
}

static inline void check_probes(const char *name, const dm_image *m, const probe *p, int n, int scale) {
  for (int i = 0; i < n; i++) {
    const double v = block_mean(m, p[i].x, p[i].y, scale);
    printf("%s x%d: %s (%d, %d): %.4f\n", name, scale, p[i].what, p[i].x, p[i].y, v);
    CHECK(p[i].subject ? v > 0.9 : v < 0.1);
  }
}

#endif
