import Glibc
import VigilCore

/// A failed system call: the call's name and the `errno` it left, with the kernel's text.
public struct SystemError: VigilError, Equatable {
    public var call: String
    public var errno: Int32
    public var context: String?

    public init(call: String, errno: Int32, context: String? = nil) {
        self.call = call
        self.errno = errno
        self.context = context
    }

    public var code: String { "errno.\(Errno.name(errno))" }

    public var message: String {
        let text = String(cString: strerror(errno))
        let what = context.map { " (\($0))" } ?? ""
        return "\(call)\(what) failed: \(text) [\(Errno.name(errno))]\(Errno.hint(errno))"
    }
}

/// `errno` values by name, and the one helper that makes system calls.
public enum Errno {
    /// Symbolic name of an errno value (`EACCES`…), or the number.
    public static func name(_ value: Int32) -> String {
        switch value {
        case EPERM: "EPERM"
        case ENOENT: "ENOENT"
        case ESRCH: "ESRCH"
        case EINTR: "EINTR"
        case EIO: "EIO"
        case EBADF: "EBADF"
        case EAGAIN: "EAGAIN"
        case ENOMEM: "ENOMEM"
        case EACCES: "EACCES"
        case EFAULT: "EFAULT"
        case EBUSY: "EBUSY"
        case EEXIST: "EEXIST"
        case ENOTDIR: "ENOTDIR"
        case EISDIR: "EISDIR"
        case EINVAL: "EINVAL"
        case ENFILE: "ENFILE"
        case EMFILE: "EMFILE"
        case ENOSPC: "ENOSPC"
        case EROFS: "EROFS"
        case ELOOP: "ELOOP"
        case ENAMETOOLONG: "ENAMETOOLONG"
        case ENOSYS: "ENOSYS"
        case EOPNOTSUPP: "EOPNOTSUPP"
        case ENOBUFS: "ENOBUFS"
        case ECONNREFUSED: "ECONNREFUSED"
        case EADDRINUSE: "EADDRINUSE"
        case EPROTONOSUPPORT: "EPROTONOSUPPORT"
        case ENODATA: "ENODATA"
        case ENOTSUP: "ENOTSUP"
        default: "errno \(value)"
        }
    }

    static func hint(_ value: Int32) -> String {
        switch value {
        case EPERM, EACCES: "; run as root or grant the needed capability"
        case EMFILE, ENFILE: "; raise the open-file limit (ulimit -n)"
        case ENOSYS, EOPNOTSUPP: "; the running kernel does not provide this facility"
        default: ""
        }
    }

    /// Runs a system call that signals failure with -1 and `errno`, retrying on `EINTR`.
    /// `EBADF` and `EFAULT` are programming errors and trap.
    @discardableResult
    public static func retrying<T: FixedWidthInteger>(
        _ call: String, context: String? = nil, _ body: () -> T
    ) throws -> T {
        while true {
            let result = body()
            if result != -1 { return result }
            let code = Glibc.errno
            if code == EINTR { continue }
            precondition(code != EBADF && code != EFAULT, "\(call): \(name(code)) is a bug in the caller")
            throw SystemError(call: call, errno: code, context: context)
        }
    }
}
