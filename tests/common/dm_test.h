/* Minimal test helpers: CHECK macros that report file:line and keep going,
 * paths of the real photographs we test on, and a scratch folder per test.
 * Sources and licences of every photo are in tests/FIXTURES.md. */
#ifndef DM_TEST_H
#define DM_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/context.h"
#include "core/image.h"

extern int dm_test_failures;

#define CHECK(cond)                                                              \
  do {                                                                           \
    if (!(cond)) {                                                               \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
      dm_test_failures++;                                                        \
    }                                                                            \
  } while (0)

/* Check a dm_status is DM_OK, printing the context's error otherwise. */
#define CHECK_OK(ctx, expr)                                                      \
  do {                                                                           \
    dm_status s_ = (expr);                                                       \
    if (s_ != DM_OK) {                                                           \
      fprintf(stderr, "%s:%d: %s failed: %s (%s)\n", __FILE__, __LINE__, #expr,  \
              dm_status_to_string(s_), dm_context_error(ctx));                   \
      dm_test_failures++;                                                        \
    }                                                                            \
  } while (0)

#define CHECK_NEAR(a, b, tol)                                                    \
  do {                                                                           \
    double a_ = (a), b_ = (b);                                                   \
    if (!(fabs(a_ - b_) <= (tol))) {                                             \
      fprintf(stderr, "%s:%d: CHECK_NEAR failed: %s = %.9g, %s = %.9g, tol %g\n", \
              __FILE__, __LINE__, #a, a_, #b, b_, (double)(tol));                \
      dm_test_failures++;                                                        \
    }                                                                            \
  } while (0)

/* Print a summary and return the process exit code. */
int dm_test_done(const char *name);

/* Real photographs shipped by Debian packages (see tests/FIXTURES.md).
 * setup.sh installs the packages, so a missing photo fails the test. */
const char *dm_test_photo(const char *which); /* "coffee", "astronaut", "chelsea", "grace_hopper" */

/* One of those photographs decoded and brought to the working space
 * (allocated here, caller frees); a failure counts as a failed check and
 * gives an empty image. */
dm_image dm_test_working_photo(dm_context *ctx, const char *which);

/* The bytes of a file (malloc'd; NULL, with the reason on stderr, if it
 * cannot be read), through dm_read_file. */
unsigned char *dm_test_read(const char *path, size_t *len);

/* A fresh scratch folder for this test under the build tree. */
const char *dm_test_tmpdir(const char *test_name);

/* Mean absolute difference and max abs difference between two images of
 * equal shape. */
void dm_test_image_diff(const dm_image *a, const dm_image *b, double *mean_abs, double *max_abs);

/* A working-space image as the sRGB the previews are sent in (samples
 * 0..1, the caller frees it). */
dm_image dm_test_srgb(dm_context *ctx, const dm_image *linear);

/* A --set key with its indices written N, M, S, as `depthmask keys` lists it:
 * correction[0].mask[12].stroke[3].dabs -> correction[N].mask[M].stroke[S].dabs */
void dm_test_key_pattern(const char *key, char *out, size_t len);

#endif
