#ifndef VIGIL_CMICROHTTPD_SHIM_H
#define VIGIL_CMICROHTTPD_SHIM_H
#include <stdarg.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <microhttpd.h>

/// MHD_start_daemon is variadic; Swift cannot call it. Integer options are passed through one
/// MHD_OPTION_ARRAY built in Swift; the completion callback (two pointer arguments, awkward to cast
/// to intptr_t from Swift) is passed here explicitly.
static inline struct MHD_Daemon *vigil_mhd_start(unsigned int flags, uint16_t port,
                                                 MHD_AccessHandlerCallback handler, void *handler_context,
                                                 MHD_RequestCompletedCallback completed, void *completed_context,
                                                 const struct sockaddr *bind_address,
                                                 struct MHD_OptionItem *options) {
    if (bind_address != NULL) {
        return MHD_start_daemon(flags, port, NULL, NULL, handler, handler_context,
                                MHD_OPTION_NOTIFY_COMPLETED, completed, completed_context,
                                MHD_OPTION_SOCK_ADDR, bind_address,
                                MHD_OPTION_ARRAY, options, MHD_OPTION_END);
    }
    return MHD_start_daemon(flags, port, NULL, NULL, handler, handler_context,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, completed_context,
                            MHD_OPTION_ARRAY, options, MHD_OPTION_END);
}

/// MHD_get_daemon_info is variadic as well; this asks for the bound port (useful with port 0).
static inline uint16_t vigil_mhd_bound_port(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info == NULL ? 0 : info->port;
}

/// MHD_get_connection_info is variadic; this returns the client's address (AF_INET/AF_INET6) or NULL.
static inline const struct sockaddr *vigil_mhd_client_address(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    return info == NULL ? NULL : info->client_addr;
}

/// MHD_ContentReaderCallback returns ssize_t sentinels defined as cast macros.
static inline ssize_t vigil_mhd_content_reader_end_of_stream(void) { return MHD_CONTENT_READER_END_OF_STREAM; }
#endif
