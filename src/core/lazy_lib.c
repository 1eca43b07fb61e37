#include "core/lazy_lib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int load(dm_lazy_lib *L) {
  const char *so = L->env ? getenv(L->env) : NULL;
  if (!so || !*so) so = L->soname;
  void *lib = dlopen(so, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char *e = dlerror();
    snprintf(L->why, sizeof L->why, "%s", e ? e : so);
    return 0;
  }
  for (size_t i = 0; i < L->n; i++) {
    void *p = dlsym(lib, L->names[i]);
    if (!p) {
      snprintf(L->why, sizeof L->why, "%s has no %s (too old a build)", so, L->names[i]);
      return 0;
    }
    /* POSIX: dlsym's object pointer holds the function's address */
    memcpy((char *)L->slots + i * sizeof(dm_lazy_fn), &p, sizeof p);
  }
  return 1;
}

const char *dm_lazy_load(dm_lazy_lib *L) {
  _Atomic int *state = &L->state;
  int s = atomic_load_explicit(state, memory_order_acquire);
  if (!s) {
    pthread_mutex_lock(&lock);
    if (!(s = atomic_load_explicit(state, memory_order_relaxed))) {
      s = load(L) ? 1 : 2;
      atomic_store_explicit(state, s, memory_order_release);
    }
    pthread_mutex_unlock(&lock);
  }
  return s == 1 ? NULL : L->why;
}

void dm_lazy_need(const dm_lazy_lib *L) {
  if (atomic_load_explicit(&L->state, memory_order_acquire) != 1) abort();
}
