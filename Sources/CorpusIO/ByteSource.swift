#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A pull source of bytes (a file, or a decompressor over another source). Reference type, used by one thread.
public protocol ByteSource: AnyObject {
    /// Fills up to buffer.count bytes; returns 0 only at the end of the stream. Throws IOError.truncated when
    /// a compressed stream ends mid-frame, .corrupt on bad data.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(IOError) -> Int
    /// Bytes consumed from the underlying file so far (compressed bytes for decompressors): for progress/ETA.
    var bytesConsumed: Int64 { get }
    /// The file the bytes come from (for error messages).
    var path: String { get }
}

/// How a file's bytes are compressed.
public enum Compression: String, Sendable, Codable, CaseIterable {
    case none, gzip, zstd

    /// The compression a file name suggests: ".gz" → gzip, ".zst"/".zstd" → zstd, anything else → none.
    ///
    /// Only for naming outputs: inputs are detected by their magic bytes (`openInput`).
    public static func infer(fromPath path: String) -> Compression {
        if path.hasSuffix(".gz") { return .gzip }
        if path.hasSuffix(".zst") || path.hasSuffix(".zstd") { return .zstd }
        return .none
    }

    /// The usual file-name suffix: "", ".gz", ".zst".
    public var fileExtension: String {
        switch self {
        case .none: ""
        case .gzip: ".gz"
        case .zstd: ".zst"
        }
    }

    /// The compression whose magic bytes start `prefix` (gzip 1f 8b; zstd 28 b5 2f fd or a skippable frame
    /// 5? 2a 4d 18), or `.none`.
    public static func detect(magic prefix: some Collection<UInt8>) -> Compression {
        let b = Array(prefix.prefix(4))
        if b.count >= 2, b[0] == 0x1f, b[1] == 0x8b { return .gzip }
        if b.count >= 4, b[0] == 0x28, b[1] == 0xb5, b[2] == 0x2f, b[3] == 0xfd { return .zstd }
        if b.count >= 4, b[0] & 0xf0 == 0x50, b[1] == 0x2a, b[2] == 0x4d, b[3] == 0x18 { return .zstd }
        return .none
    }
}

/// Opens a file for reading, detecting compression by MAGIC BYTES (gzip 1f 8b, zstd 28 b5 2f fd), not by name.
///
/// - Throws: `IOError.cannotOpen` (missing, unreadable), `.isDirectory`, `.readFailed`.
public func openInput(path: String) throws(IOError) -> any ByteSource {
    let file = try FileSource(path: path)
    let magic = try file.peek(count: 4)
    switch Compression.detect(magic: magic) {
    case .none: return file
    case .gzip: return try GzipSource(file)
    case .zstd: return try ZstdSource(file)
    }
}

/// A plain file read with POSIX `open`/`read` (O_CLOEXEC); the descriptor is closed in deinit.
public final class FileSource: ByteSource {
    public let path: String
    public private(set) var bytesConsumed: Int64 = 0
    private let fd: Int32
    /// Bytes read ahead by `peek(count:)`, handed out again before the file's next bytes.
    private var pending: [UInt8] = []
    private var pendingIndex = 0

    /// Opens `path` for reading.
    ///
    /// - Throws: `IOError.cannotOpen` with the system's reason, `.isDirectory` for a folder.
    public init(path: String) throws(IOError) {
        self.path = path
        var descriptor: Int32
        repeat {
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
        } while descriptor < 0 && errno == EINTR
        if descriptor < 0 {
            let code = errno
            if code == EISDIR { throw .isDirectory(path: path) }
            throw .cannotOpen(path: path, reason: systemErrorMessage(code))
        }
        var info = stat()
        if fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
            _ = close(descriptor)
            throw .isDirectory(path: path)
        }
        fd = descriptor
    }

    deinit {
        _ = close(fd)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(IOError) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        if pendingIndex < pending.count {
            let n = min(buffer.count, pending.count - pendingIndex)
            for i in 0..<n { base.storeBytes(of: pending[pendingIndex + i], toByteOffset: i, as: UInt8.self) }
            pendingIndex += n
            if pendingIndex == pending.count {
                pending = []
                pendingIndex = 0
            }
            return n
        }
        return try readFile(into: base, count: buffer.count)
    }

    /// Reads up to `count` bytes without consuming them: the next `read` calls return them first.
    /// Fewer bytes come back only at the end of the file.
    public func peek(count: Int) throws(IOError) -> [UInt8] {
        var bytes = Array(pending[pendingIndex...])
        let start = bytes.count
        guard count > start else { return Array(bytes.prefix(count)) }
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: count - start, alignment: 1)
        defer { scratch.deallocate() }
        guard let base = scratch.baseAddress else { return bytes }
        var filled = 0
        while filled < scratch.count {
            let n = try readFile(into: base + filled, count: scratch.count - filled)
            if n == 0 { break }
            filled += n
        }
        bytes += UnsafeRawBufferPointer(start: base, count: filled)
        pending = bytes
        pendingIndex = 0
        return bytes
    }

    private func readFile(into base: UnsafeMutableRawPointer, count: Int) throws(IOError) -> Int {
        while true {
            let n = systemRead(fd, base, count)
            if n >= 0 {
                bytesConsumed += Int64(n)
                return n
            }
            let code = errno
            if code == EINTR || code == EAGAIN { continue }
            if code == EISDIR { throw .isDirectory(path: path) }
            throw .readFailed(path: path, reason: systemErrorMessage(code))
        }
    }
}

/// `read(2)`, named apart from the `read` methods of the sources.
@inline(__always)
func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.read(fd, buffer, count)
    #elseif canImport(Musl)
    Musl.read(fd, buffer, count)
    #else
    Darwin.read(fd, buffer, count)
    #endif
}

/// `write(2)`, named apart from the `write` methods of the sinks.
@inline(__always)
func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.write(fd, buffer, count)
    #elseif canImport(Musl)
    Musl.write(fd, buffer, count)
    #else
    Darwin.write(fd, buffer, count)
    #endif
}

/// Bytes held in memory as a source (tests, benchmarks, text built on the fly).
public final class MemorySource: ByteSource {
    public let path: String
    private let bytes: [UInt8]
    private var offset = 0

    public init(_ bytes: [UInt8], path: String = "<memory>") {
        self.bytes = bytes
        self.path = path
    }

    public var bytesConsumed: Int64 { Int64(offset) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(IOError) -> Int {
        let n = min(buffer.count, bytes.count - offset)
        guard n > 0, let base = buffer.baseAddress else { return 0 }
        bytes.withUnsafeBytes { source in
            if let start = source.baseAddress { base.copyMemory(from: start + offset, byteCount: n) }
        }
        offset += n
        return n
    }
}
