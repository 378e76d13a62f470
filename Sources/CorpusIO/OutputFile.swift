#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A push destination of bytes (a file, a buffer, or a compressor in front of another sink).
public protocol ByteSink: AnyObject {
    /// Takes all of `bytes` (a compressor may hold some back until later writes or `endFrame()`).
    func write(_ bytes: UnsafeRawBufferPointer) throws(IOError)
    /// Ends the current compressed frame or member so that raw bytes may follow; a no-op for plain sinks.
    func endFrame() throws(IOError)
    /// Ends the stream: a compressor ends its open frame (or writes one empty frame if it wrote none).
    /// Nothing may be written afterwards.
    func finish() throws(IOError)
    /// The file the bytes go to (for error messages).
    var path: String { get }
}

/// A sink that collects the bytes in memory (compressing into a buffer, tests).
public final class MemorySink: ByteSink {
    public private(set) var bytes: [UInt8] = []
    public let path: String

    public init(path: String = "<memory>") {
        self.path = path
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(IOError) {
        self.bytes.append(contentsOf: bytes)
    }

    public func endFrame() throws(IOError) {}
    public func finish() throws(IOError) {}
}

/// Writes to an open file descriptor, retrying partial writes and EINTR.
final class DescriptorSink: ByteSink {
    let fd: Int32
    /// The name errors report (the final path of an `OutputFile`, not its temporary name).
    let path: String
    private(set) var bytesWritten: Int64 = 0

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(IOError) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let n = systemWrite(fd, base + offset, bytes.count - offset)
            if n > 0 {
                offset += n
                bytesWritten += Int64(n)
            } else if n < 0 && (errno == EINTR || errno == EAGAIN) {
                continue
            } else {
                let reason = n == 0 ? "the system accepted no bytes" : systemErrorMessage(errno)
                throw .writeFailed(path: path, reason: reason)
            }
        }
    }

    func endFrame() throws(IOError) {}
    func finish() throws(IOError) {}
}

/// A file written under a temporary name in the same folder and renamed into place by commit(): a partial file is
/// never visible under the final name.
///
/// Writes are buffered (1 MiB) and compressed on the way (gzip or zstd, deterministic output). Not thread-safe:
/// one writer per file.
///
/// ```
/// let out = try OutputFile(path: "out/rank-00000.jsonl.zst")   // zstd, from the name
/// try out.write("{\"text\":\"hi\"}\n")
/// try out.commit()
/// ```
public final class OutputFile {
    /// Size of the write buffer in front of the compressor.
    public static let bufferBytes = 1 << 20

    private enum State {
        case open, committed, abandoned
    }

    /// The final path, where the file appears on `commit()`.
    public let path: String
    /// The temporary file written until `commit()`.
    public let temporaryPath: String
    public let compression: Compression
    /// Uncompressed bytes given to write() (bytes copied by `appendRawContents` are not counted).
    public private(set) var bytesWritten: Int64 = 0

    private let file: DescriptorSink
    private let compressor: (any ByteSink)?
    private let buffer: UnsafeMutableRawBufferPointer
    private var buffered = 0
    private var state = State.open
    /// Set by the first failed write: every later call throws it again (the stream is no longer consistent).
    private var failure: IOError?

    /// Creates the temporary file (and the parent folders, like mkdir -p).
    ///
    /// - Parameters:
    ///   - compression: nil infers it from the path (`Compression.infer(fromPath:)`).
    ///   - level: compression level; nil is zstd 3, gzip 6.
    /// - Throws: `IOError.cannotOpen` (permissions, a bad level), `.isDirectory` when `path` is a folder.
    public init(path: String, compression: Compression? = nil, level: Int? = nil) throws(IOError) {
        self.path = path
        self.compression = compression ?? Compression.infer(fromPath: path)
        let (folder, name) = splitPath(path)
        guard !path.isEmpty else { throw .cannotOpen(path: path, reason: "the output path is empty") }
        guard !name.isEmpty else { throw .isDirectory(path: path) }
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { throw .isDirectory(path: path) }
        try makeDirectories(folder, for: path)
        let random = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let tempName = ".\(name).tmp-\(getpid())-\(random)"
        temporaryPath = folder.isEmpty ? tempName : (folder.hasSuffix("/") ? folder : folder + "/") + tempName
        var fd: Int32
        repeat {
            fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        } while fd < 0 && errno == EINTR
        guard fd >= 0 else { throw .cannotOpen(path: path, reason: systemErrorMessage(errno)) }
        file = DescriptorSink(fd: fd, path: path)
        do {
            switch self.compression {
            case .none: compressor = nil
            case .gzip: compressor = try GzipSink(file, level: level ?? 6)
            case .zstd: compressor = try ZstdSink(file, level: level ?? 3)
            }
        } catch {
            _ = close(fd)
            _ = unlink(temporaryPath)
            throw error
        }
        buffer = .allocate(byteCount: Self.bufferBytes, alignment: 16)
    }

    deinit {
        if state == .open { abandon() }
        buffer.deallocate()
    }

    /// Bytes in the temporary file so far (compressed; buffered bytes not yet included).
    public var bytesOnDisk: Int64 { file.bytesWritten }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(IOError) {
        try checkOpen()
        guard bytes.count > 0, let source = bytes.baseAddress, let base = buffer.baseAddress else { return }
        bytesWritten += Int64(bytes.count)
        if buffered + bytes.count <= buffer.count {
            (base + buffered).copyMemory(from: source, byteCount: bytes.count)
            buffered += bytes.count
            return
        }
        try flushBuffer()
        if bytes.count >= buffer.count {
            try guarded { () throws(IOError) in try sink.write(bytes) }
        } else {
            base.copyMemory(from: source, byteCount: bytes.count)
            buffered = bytes.count
        }
    }

    public func write(_ bytes: [UInt8]) throws(IOError) {
        var failed: IOError?
        bytes.withUnsafeBytes { raw in
            do throws(IOError) { try write(raw) } catch { failed = error }
        }
        if let failed { throw failed }
    }

    public func write(_ string: String) throws(IOError) {
        var string = string
        var failed: IOError?
        string.withUTF8 { utf8 in
            do throws(IOError) { try write(UnsafeRawBufferPointer(utf8)) } catch { failed = error }
        }
        if let failed { throw failed }
    }

    /// Appends another file's raw bytes unchanged (no recompression), e.g. concatenating per-part .zst or .gz files:
    /// concatenated zstd frames / gzip members are a valid stream.
    ///
    /// The current frame or member is ended first (when anything was written since the last one ended), so the
    /// result stays a valid multi-frame file; later writes start a new frame.
    ///
    /// - Throws: `.cannotOpen` / `.readFailed` naming the appended file, `.corrupt` when a compressed output is
    ///   given a file that does not start with the same format's magic bytes, `.writeFailed` naming this one.
    public func appendRawContents(ofFile otherPath: String) throws(IOError) {
        try checkOpen()
        let other = try FileSource(path: otherPath)
        let magic = try other.peek(count: 4)
        if compression != .none, !magic.isEmpty, Compression.detect(magic: magic) != compression {
            throw .corrupt(path: otherPath, format: compression.rawValue,
                           detail: "cannot append it raw to \(path): it is not a \(compression.rawValue) file")
        }
        try flushBuffer()
        if let compressor, pendingInput(compressor) {
            try guarded { () throws(IOError) in try compressor.endFrame() }
        }
        guard let base = buffer.baseAddress else { return }
        while true {
            let n = try other.read(into: buffer)
            if n == 0 { break }
            try guarded { () throws(IOError) in try file.write(UnsafeRawBufferPointer(start: base, count: n)) }
        }
    }

    /// Flushes, ends the compressed stream, fsyncs, renames to the final path. After commit nothing else may be
    /// written.
    ///
    /// - Throws: `.writeFailed` (ENOSPC, EIO, a failed rename) naming the final path; the temporary file is then
    ///   removed by `abandon()` or deinit.
    public func commit() throws(IOError) {
        try checkOpen()
        try flushBuffer()
        if let compressor {
            // An empty stream still gets one (empty) frame, so that `zstd -d` / `gzip -d` accept the file.
            if pendingInput(compressor) || file.bytesWritten == 0 {
                try guarded { () throws(IOError) in try compressor.endFrame() }
            }
        }
        try guarded { () throws(IOError) in
            var status: Int32
            repeat { status = fsync(file.fd) } while status != 0 && errno == EINTR
            if status != 0 { throw .writeFailed(path: path, reason: "fsync: " + systemErrorMessage(errno)) }
            if rename(temporaryPath, path) != 0 {
                throw .writeFailed(path: path, reason: "rename: " + systemErrorMessage(errno))
            }
        }
        state = .committed
        // The data was synced before the rename: a close error cannot lose it any more.
        _ = close(file.fd)
        syncFolder(of: path)
    }

    /// Removes the temporary file (also what deinit does when commit() was never called).
    public func abandon() {
        guard state == .open else { return }
        state = .abandoned
        _ = close(file.fd)
        _ = unlink(temporaryPath)
    }

    /// Writes `contents` to `path` atomically (temporary file, fsync, rename), uncompressed whatever the name:
    /// for small files like manifest.json.
    public static func atomicWrite(path: String, contents: [UInt8]) throws(IOError) {
        let file = try OutputFile(path: path, compression: Compression.none)
        try file.write(contents)
        try file.commit()
    }

    // MARK: Internals

    /// Where buffered bytes go: the compressor, or the file itself.
    private var sink: any ByteSink { compressor ?? file }

    private func pendingInput(_ compressor: any ByteSink) -> Bool {
        switch compressor {
        case let gzip as GzipSink: gzip.hasPendingInput
        case let zstd as ZstdSink: zstd.hasPendingInput
        default: true
        }
    }

    private func checkOpen() throws(IOError) {
        if let failure { throw failure }
        switch state {
        case .open: return
        case .committed: throw .writeFailed(path: path, reason: "the file was already committed")
        case .abandoned: throw .writeFailed(path: path, reason: "the file was abandoned")
        }
    }

    private func flushBuffer() throws(IOError) {
        guard buffered > 0, let base = buffer.baseAddress else { return }
        let count = buffered
        buffered = 0
        try guarded { () throws(IOError) in try sink.write(UnsafeRawBufferPointer(start: base, count: count)) }
    }

    /// Runs `body`, remembering its error so that later calls fail the same way.
    private func guarded(_ body: () throws(IOError) -> Void) throws(IOError) {
        do {
            try body()
        } catch {
            failure = error
            throw error
        }
    }
}

/// Splits "a/b/c.txt" into ("a/b", "c.txt"); "c.txt" into ("", "c.txt"); "/c" into ("/", "c").
func splitPath(_ path: String) -> (folder: String, name: String) {
    guard let slash = path.lastIndex(of: "/") else { return ("", path) }
    let name = String(path[path.index(after: slash)...])
    let folder = slash == path.startIndex ? "/" : String(path[..<slash])
    return (folder, name)
}

/// mkdir -p `folder`. Errors name the file being created (`target`) and the folder that failed.
func makeDirectories(_ folder: String, for target: String) throws(IOError) {
    guard !folder.isEmpty, folder != "/" else { return }
    var info = stat()
    if stat(folder, &info) == 0 {
        if info.st_mode & S_IFMT == S_IFDIR { return }
        throw .cannotOpen(path: target, reason: "\(folder) exists and is not a folder")
    }
    let (parent, _) = splitPath(folder)
    try makeDirectories(parent, for: target)
    if mkdir(folder, 0o755) != 0 && errno != EEXIST {
        throw .cannotOpen(path: target, reason: "cannot create folder \(folder): \(systemErrorMessage(errno))")
    }
}

/// fsyncs the folder holding `path` so that a rename survives a crash (best effort).
private func syncFolder(of path: String) {
    let (folder, _) = splitPath(path)
    let fd = open(folder.isEmpty ? "." : folder, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return }
    _ = fsync(fd)
    _ = close(fd)
}
