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
/* ---- agent hardening: seccomp, capabilities, Landlock ---- */
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <stddef.h>

/// syscall(2) is variadic; Swift cannot call it. Used for the system calls glibc does not wrap (seccomp,
/// capset, landlock_*, init_module…) and by the agent's self-test to attempt the refused ones.
static inline long vigil_syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6) {
    return syscall(nr, a1, a2, a3, a4, a5, a6);
}

/// The audit architecture token the seccomp filter checks `seccomp_data.arch` against: the one this binary
/// was built for (a different one means a 32-bit or foreign-ABI entry, whose syscall numbers differ).
static inline uint32_t vigil_audit_arch(void) {
#if defined(__x86_64__)
    return AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
    return AUDIT_ARCH_AARCH64;
#else
#error "vigil: add this architecture's AUDIT_ARCH_* value"
#endif
}

/// Bit 30 marks the x32 ABI on x86_64 (same arch token, different syscall table); 0 elsewhere.
static inline uint32_t vigil_x32_syscall_bit(void) {
#if defined(__x86_64__)
    return 0x40000000u;
#else
    return 0;
#endif
}

/// System call numbers (the SYS_* macros alias __NR_* macros, which Swift does not import).
enum vigil_sysno {
    VIGIL_NR_EXECVE = SYS_execve,
    VIGIL_NR_EXECVEAT = SYS_execveat,
    VIGIL_NR_PTRACE = SYS_ptrace,
    VIGIL_NR_PROCESS_VM_WRITEV = SYS_process_vm_writev,
    VIGIL_NR_INIT_MODULE = SYS_init_module,
    VIGIL_NR_FINIT_MODULE = SYS_finit_module,
    VIGIL_NR_KEXEC_LOAD = SYS_kexec_load,
    VIGIL_NR_KEXEC_FILE_LOAD = SYS_kexec_file_load,
    VIGIL_NR_SECCOMP = SYS_seccomp,
    VIGIL_NR_CAPGET = SYS_capget,
    VIGIL_NR_CAPSET = SYS_capset,
    VIGIL_NR_LANDLOCK_CREATE_RULESET = SYS_landlock_create_ruleset,
    VIGIL_NR_LANDLOCK_ADD_RULE = SYS_landlock_add_rule,
    VIGIL_NR_LANDLOCK_RESTRICT_SELF = SYS_landlock_restrict_self,
};

/// Installs a seccomp BPF program on every thread of the process (SECCOMP_FILTER_FLAG_TSYNC). Returns 0, -1
/// with errno, or the id of a thread that could not be synchronised.
static inline long vigil_seccomp_install(struct sock_filter *filter, unsigned short count) {
    struct sock_fprog program = { .len = count, .filter = filter };
    return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &program);
}

/// capget/capset with the 64-bit (version 3) layout: two 32-bit words per set.
static inline int vigil_capget(uint32_t effective[2], uint32_t permitted[2], uint32_t inheritable[2]) {
    struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof(data));
    if (syscall(SYS_capget, &header, data) != 0) return -1;
    for (int i = 0; i < 2; i++) {
        effective[i] = data[i].effective; permitted[i] = data[i].permitted; inheritable[i] = data[i].inheritable;
    }
    return 0;
}

static inline int vigil_capset(const uint32_t effective[2], const uint32_t permitted[2], const uint32_t inheritable[2]) {
    struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[2];
    for (int i = 0; i < 2; i++) {
        data[i].effective = effective[i]; data[i].permitted = permitted[i]; data[i].inheritable = inheritable[i];
    }
    return (int)syscall(SYS_capset, &header, data);
}

/// The Landlock ABI version (1, 2, …) or -1 with errno (EOPNOTSUPP: disabled, ENOSYS: not built).
static inline int vigil_landlock_abi(void) {
    return (int)syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
}

/// A ruleset handling the given file-system access rights; returns its fd or -1.
static inline int vigil_landlock_create(uint64_t handled_access_fs) {
    struct landlock_ruleset_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.handled_access_fs = handled_access_fs;
    return (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr.handled_access_fs), 0);
}

/// Allows `allowed` beneath the directory open as `parent_fd` (an O_PATH descriptor).
static inline int vigil_landlock_allow_beneath(int ruleset, int parent_fd, uint64_t allowed) {
    struct landlock_path_beneath_attr rule = { .allowed_access = allowed, .parent_fd = parent_fd };
    return (int)syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
}

static inline int vigil_landlock_restrict_self(int ruleset) {
    return (int)syscall(SYS_landlock_restrict_self, ruleset, 0);
}
#endif
