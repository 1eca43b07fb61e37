/* libmicrohttpd through dlopen (core/lazy_lib.h): only `depthmask edit`
 * serves HTTP, and linked, the library and GnuTLS under it cost every
 * process start-up time. The functions the server calls, with
 * libmicrohttpd's own prototypes, forwarding to the loaded ones;
 * MHD_start_daemon is the entry point (dm_http_unavailable says why it
 * would fail). DEPTHMASK_LIBMICROHTTPD names another build. */
#include <stdarg.h>
#include <stdint.h>
#include <sys/socket.h>
#include <microhttpd.h>

#include "core/lazy_lib.h"
#include "server/srv_internal.h"

#define HTTP_FUNCS(X)                                                                                \
  X(MHD_add_response_header) X(MHD_create_response_from_buffer_with_free_callback)                  \
  X(MHD_destroy_response) X(MHD_get_connection_values) X(MHD_get_daemon_info)                       \
  X(MHD_lookup_connection_value) X(MHD_queue_response) X(MHD_start_daemon_va) X(MHD_stop_daemon)

DM_LAZY_LIBRARY(http, HTTP_FUNCS, "DEPTHMASK_LIBMICROHTTPD", DM_LIBMICROHTTPD_SONAME);

const char *dm_http_unavailable(void) { return dm_lazy_load(&http); }

struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc,
                                    void *apc_cls, MHD_AccessHandlerCallback dh, void *dh_cls, ...) {
  if (dm_lazy_load(&http)) return NULL;
  va_list ap;
  va_start(ap, dh_cls);
  struct MHD_Daemon *d = fn.MHD_start_daemon_va(flags, port, apc, apc_cls, dh, dh_cls, ap);
  va_end(ap);
  return d;
}

void MHD_stop_daemon(struct MHD_Daemon *d) {
  if (d) dm_lazy_need(&http), fn.MHD_stop_daemon(d);
}

/* The server asks only for infos that take no further argument. */
const union MHD_DaemonInfo *MHD_get_daemon_info(struct MHD_Daemon *d, enum MHD_DaemonInfoType type, ...) {
  dm_lazy_need(&http);
  return fn.MHD_get_daemon_info(d, type);
}

enum MHD_Result MHD_add_response_header(struct MHD_Response *r, const char *header, const char *content) {
  dm_lazy_need(&http);
  return fn.MHD_add_response_header(r, header, content);
}

struct MHD_Response *MHD_create_response_from_buffer_with_free_callback(size_t size, void *buffer,
                                                                        MHD_ContentReaderFreeCallback crfc) {
  dm_lazy_need(&http);
  return fn.MHD_create_response_from_buffer_with_free_callback(size, buffer, crfc);
}

void MHD_destroy_response(struct MHD_Response *r) {
  if (r) dm_lazy_need(&http), fn.MHD_destroy_response(r);
}

int MHD_get_connection_values(struct MHD_Connection *c, enum MHD_ValueKind kind, MHD_KeyValueIterator it,
                              void *it_cls) {
  dm_lazy_need(&http);
  return fn.MHD_get_connection_values(c, kind, it, it_cls);
}

const char *MHD_lookup_connection_value(struct MHD_Connection *c, enum MHD_ValueKind kind, const char *key) {
  dm_lazy_need(&http);
  return fn.MHD_lookup_connection_value(c, kind, key);
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *c, unsigned int status, struct MHD_Response *r) {
  dm_lazy_need(&http);
  return fn.MHD_queue_response(c, status, r);
}
