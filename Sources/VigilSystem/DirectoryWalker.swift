internal import CLinux
import Dispatch
import Glibc

/// One entry met by `DirectoryWalker`: its full path, its name inside the open parent directory, and
/// its `lstat`.
public struct WalkEntry: Sendable {
    /// Which root (index into the walked roots) this entry is under.
    public var root: Int
    public var path: BytePath
    /// The name inside `directory` (the whole path for a root).
    public var name: [UInt8]
    /// The open parent directory (`AT_FDCWD` for a root); valid only during the visit.
    public var directory: Int32
    public var status: FileStatus
    /// 0 for a root, 1 for its entries, and so on.
    public var depth: Int

    /// Opens the entry for reading if it is still the regular file that was stat'ed: never a FIFO or
    /// device (`O_NONBLOCK`, then `fstat` checks type and inode), never through a symlink (`O_NOFOLLOW`),
    /// without updating the access time where permitted (`O_NOATIME`).
    /// - Returns: nil when the entry is no longer that regular file (replaced during the walk).
    /// - Throws: `SystemError` (EACCES, ENOENT when it vanished…).
    public func openRegularFile() throws -> FileDescriptor? {
        let flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC
        let fd = try withCString(name) { cName in
            do {
                return try Errno.retrying("openat", context: path.description) {
                    openat(directory, cName, flags | vigil_o_noatime())
                }
            } catch let error as SystemError where error.errno == EPERM {
                return try Errno.retrying("openat", context: path.description) { openat(directory, cName, flags) }
            }
        }
        let file = FileDescriptor(adopting: fd)
        let now = try FileStatus.of(descriptor: fd)
        guard now.type == FileStatus.FileType.regular, now.inode == status.inode, now.device == status.device else {
            return nil
        }
        return file
    }

    /// The target of a symbolic link, as bytes (`readlinkat`).
    /// - Throws: `SystemError`.
    public func linkTarget() throws -> [UInt8] {
        var capacity = 256
        while true {
            var buffer = [UInt8](repeating: 0, count: capacity)
            let count = try withCString(name) { cName in
                try buffer.withUnsafeMutableBytes { raw in
                    try Errno.retrying("readlinkat", context: path.description) {
                        readlinkat(directory, cName, raw.baseAddress!.assumingMemoryBound(to: CChar.self), capacity)
                    }
                }
            }
            if count < capacity { return Array(buffer[..<count]) }
            capacity *= 4
        }
    }

    /// The entry's extended attributes, sorted by name.
    /// - Throws: `SystemError`.
    public func extendedAttributes() throws -> [ExtendedAttributes.Attribute] {
        try ExtendedAttributes.read(name, in: directory, path: path)
    }
}

/// Walks directory trees on several threads, relative to open directory descriptors.
///
/// Every lookup is `fstatat`/`openat` on the parent's descriptor with `AT_SYMLINK_NOFOLLOW`/`O_NOFOLLOW`,
/// so paths far beyond `PATH_MAX` work, symlinks are never followed (no loops, nothing out of scope),
/// and a directory swapped for a symlink mid-walk is refused. Entries that vanish, permission errors
/// and other failures go to `failure` and the walk continues. Large directories are split into chunks
/// so every thread helps with them.
public struct DirectoryWalker: Sendable {
    /// Number of worker threads.
    public var threads: Int
    /// Entries per work item when a directory is split.
    public var chunkSize: Int

    public init(threads: Int = DirectoryWalker.processorCount, chunkSize: Int = 64) {
        precondition(threads > 0 && chunkSize > 0, "DirectoryWalker needs at least one thread and entry per chunk")
        self.threads = threads
        self.chunkSize = chunkSize
    }

    /// Online processors (`sysconf(_SC_NPROCESSORS_ONLN)`).
    public static var processorCount: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    private enum Work {
        case root(index: Int, path: BytePath)
        case list(root: Int, parent: FileDescriptor?, name: [UInt8], path: BytePath, depth: Int)
        case entries(root: Int, directory: FileDescriptor, path: BytePath, names: ArraySlice<[UInt8]>, depth: Int)
    }

    /// Walks `roots`. `visit` is called once per entry (roots included) on some worker thread, with the
    /// worker's index in `0..<threads`; it returns whether to descend into a directory.
    public func walk(
        roots: [BytePath], visit: @Sendable (WalkEntry, Int) -> Bool,
        failure: @Sendable (BytePath, SystemError) -> Void
    ) {
        let queue = WorkQueue<Work>()
        queue.push(roots.enumerated().map { .root(index: $0.offset, path: $0.element) }.reversed())
        withoutActuallyEscaping(visit) { visit in
            withoutActuallyEscaping(failure) { failure in
                DispatchQueue.concurrentPerform(iterations: threads) { worker in
                    while let item = queue.next() {
                        process(item, worker: worker, queue: queue, visit: visit, failure: failure)
                        queue.done()
                    }
                }
            }
        }
    }

    private func process(
        _ item: Work, worker: Int, queue: WorkQueue<Work>, visit: (WalkEntry, Int) -> Bool,
        failure: (BytePath, SystemError) -> Void
    ) {
        switch item {
        case .root(let index, let path):
            do {
                let status = try FileStatus.of(path.bytes, in: AT_FDCWD, path: path)
                let entry = WalkEntry(
                    root: index, path: path, name: path.bytes, directory: AT_FDCWD, status: status, depth: 0)
                if visit(entry, worker), status.type == .directory {
                    queue.push([.list(root: index, parent: nil, name: path.bytes, path: path, depth: 0)])
                }
            } catch let error as SystemError {
                failure(path, error)
            } catch {
                preconditionFailure("FileStatus.of throws only SystemError")
            }
        case .list(let root, let parent, let name, let path, let depth):
            do {
                let directory = try openDirectory(name, in: parent?.rawValue ?? AT_FDCWD, path: path)
                let names = try listNames(directory, path: path)
                var chunks: [Work] = []
                var start = 0
                while start < names.count {
                    let end = min(start + chunkSize, names.count)
                    chunks.append(
                        .entries(
                            root: root, directory: directory, path: path, names: names[start..<end], depth: depth + 1))
                    start = end
                }
                queue.push(chunks)
            } catch let error as SystemError {
                failure(path, error)
            } catch {
                preconditionFailure("directory listing throws only SystemError")
            }
        case .entries(let root, let directory, let path, let names, let depth):
            var subdirectories: [Work] = []
            for name in names {
                let childPath = path.appending(name)
                do {
                    let status = try FileStatus.of(name, in: directory.rawValue, path: childPath)
                    let entry = WalkEntry(
                        root: root, path: childPath, name: name, directory: directory.rawValue, status: status,
                        depth: depth)
                    if visit(entry, worker), status.type == .directory {
                        subdirectories.append(
                            .list(root: root, parent: directory, name: name, path: childPath, depth: depth))
                    }
                } catch let error as SystemError {
                    failure(childPath, error)
                } catch {
                    preconditionFailure("FileStatus.of throws only SystemError")
                }
            }
            queue.push(subdirectories)
        }
    }

    private func openDirectory(_ name: [UInt8], in parent: Int32, path: BytePath) throws -> FileDescriptor {
        let fd = try withCString(name) { cName in
            try Errno.retrying("openat", context: path.description) {
                openat(parent, cName, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
        }
        return FileDescriptor(adopting: fd)
    }

    /// Every name in the directory but `.` and `..` (`fdopendir`/`readdir` on a duplicate descriptor).
    private func listNames(_ directory: FileDescriptor, path: BytePath) throws -> [[UInt8]] {
        let copy = try Errno.retrying("dup", context: path.description) { dup(directory.rawValue) }
        guard let stream = fdopendir(copy) else {
            let code = errno
            close(copy)
            throw SystemError(call: "fdopendir", errno: code, context: path.description)
        }
        defer { closedir(stream) }
        var names: [[UInt8]] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 { throw SystemError(call: "readdir", errno: errno, context: path.description) }
                return names
            }
            let name = withUnsafeBytes(of: &entry.pointee.d_name) { raw -> [UInt8] in
                let bytes = raw.bindMemory(to: UInt8.self)
                let length = bytes.firstIndex(of: 0) ?? bytes.count
                return Array(bytes[..<length])
            }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            names.append(name)
        }
    }
}
