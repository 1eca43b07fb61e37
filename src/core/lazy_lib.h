/* Shared libraries loaded on first use (dlopen) rather than at start-up.
 *
 * Every library linked into depthmask is mapped, relocated and initialised
 * before main(); for the ones only some photos or commands need (libheif
 * for HEIF, LibRaw for camera raws, libmicrohttpd for the editor, OpenBLAS
 * for the networks) that cost every process 10-50 ms each on our VMs. A
 * *_lazy.c file defines the functions depthmask calls, with the library's
 * own prototypes from its header, forwarding to the ones resolved here; the
 * library's header is used, its soname comes from the build. */
#ifndef DM_LAZY_LIB_H
#define DM_LAZY_LIB_H

#include <stddef.h>

typedef void (*dm_lazy_fn)(void);

typedef struct dm_lazy_lib {
  const char *env;          /* names another build of the library, or NULL */
  const char *soname;       /* the build's */
  const char *const *names; /* the functions to resolve */
  size_t n;
  void *slots;              /* n function pointers in a row, filled in that order */
  _Atomic int state;        /* 0 not tried, 1 loaded, 2 failed */
  char why[512];
} dm_lazy_lib;

/* Loads the library once (any thread); NULL when its functions are in
 * `slots`, else why not (dlerror's text, or the function it lacks). */
const char *dm_lazy_load(dm_lazy_lib *L);

/* For the forwarding functions past a library's entry points: what only a
 * loaded library can have made is in hand, so it is loaded. */
void dm_lazy_need(const dm_lazy_lib *L);

/* In a *_lazy.c file: `fn`, a struct of pointers to the functions that
 * LIST names (a macro X(name) X(name)..., the library's header declaring
 * each), and `var`, the library that fills it. */
#define DM_LAZY_FIELD(n) __typeof__(n) *n;
#define DM_LAZY_NAME(n) #n,
#define DM_LAZY_LIBRARY(var, LIST, env_name, so)                                                   \
  static struct {                                                                                  \
    LIST(DM_LAZY_FIELD)                                                                            \
  } fn;                                                                                            \
  static const char *const var##_names[] = {LIST(DM_LAZY_NAME)};                                   \
  _Static_assert(sizeof fn == sizeof var##_names / sizeof *var##_names * sizeof(dm_lazy_fn),       \
                 "one pointer per name");                                                          \
  static dm_lazy_lib var = {.env = env_name, .soname = so, .names = var##_names,                   \
                            .n = sizeof var##_names / sizeof *var##_names, .slots = &fn}

#endif
