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

/* ---- fanotify / FIM ---- */
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/statfs.h>
#include <sys/xattr.h>

/// O_NOATIME is only defined under _GNU_SOURCE, which Swift's Glibc module does not set; the value is
/// the kernel's (asm-generic/fcntl.h).
static inline int vigil_o_noatime(void) { return 01000000; }

/// fanotify_init/fanotify_mark are plain functions, but FAN_* flags above 32 bits and the event
/// metadata's variable-length info records are easier to read through these helpers.
static inline int vigil_fanotify_init(unsigned int flags, unsigned int event_flags) {
    return fanotify_init(flags, event_flags);
}

/// fanotify_mark takes a 64-bit mask; wrapped so Swift passes it without sign surprises.
static inline int vigil_fanotify_mark(int fd, unsigned int flags, uint64_t mask, int dirfd, const char *path) {
    return fanotify_mark(fd, flags, mask, dirfd, path);
}

/// open_by_handle_at resolves a fanotify file handle; the handle struct has a flexible array member
/// Swift cannot build, so this takes the raw bytes (handle_bytes, handle_type, f_handle…).
static inline int vigil_open_by_handle_at(int mount_fd, void *handle, int flags) {
    return (int)syscall(SYS_open_by_handle_at, mount_fd, handle, flags);
}
/// O_PATH is only defined under _GNU_SOURCE; the value is the kernel's (asm-generic/fcntl.h).
static inline int vigil_o_path(void) { return 010000000; }

/// The file system id of an open descriptor as fanotify reports it (`statfs.f_fsid`, 8 bytes);
/// returns -1 with errno on failure. <sys/statfs.h> is not in Swift's Glibc module.
static inline int vigil_fsid(int fd, uint64_t *fsid) {
    struct statfs fs;
    if (fstatfs(fd, &fs) != 0) return -1;
    memcpy(fsid, &fs.f_fsid, sizeof(*fsid));
    return 0;
}
#endif
