#ifndef VIGIL_CLINUX_SHIM_H
#define VIGIL_CLINUX_SHIM_H
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <sys/types.h>
#include <linux/netlink.h>

/// prctl is variadic; Swift cannot call it. The kernel reads up to four unsigned long arguments.
static inline int vigil_prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5) {
    return prctl(option, a2, a3, a4, a5);
}

/// fcntl is variadic; this covers the integer-argument commands (F_GETFL, F_SETFL, F_SETFD…).
static inline int vigil_fcntl_int(int fd, int command, int argument) {
    return fcntl(fd, command, argument);
}

/// NLMSG_ALIGN is a function-like macro.
static inline uint32_t vigil_nlmsg_align(uint32_t length) { return NLMSG_ALIGN(length); }

/// NLMSG_HDRLEN is a macro built on NLMSG_ALIGN.
static inline uint32_t vigil_nlmsg_hdrlen(void) { return NLMSG_HDRLEN; }

/// errno is a macro expanding to a thread-local lvalue; Glibc exposes it in Swift, but setting it
/// before a call whose only error signal is errno needs this.
static inline void vigil_set_errno(int value) { errno = value; }
/* ---- audit netlink ---- */
#include <linux/audit.h>
#include <poll.h>

/// struct audit_status grew fields over kernel versions; Swift reads it as bytes, this says how big ours is.
static inline uint32_t vigil_audit_status_size(void) { return (uint32_t)sizeof(struct audit_status); }
#endif
