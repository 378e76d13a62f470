import CZlib

/// Size of the compressed-side buffers of the gzip and zstd streams.
let compressedBufferBytes = 128 << 10

/// A streaming gzip decompressor over another source (zlib `inflate`), memory flat whatever the file size.
///
/// Concatenated members (`cat a.gz b.gz`) decode to the concatenation; zero bytes after the last member are
/// treated as padding. A stream that ends inside a member throws `IOError.truncated`, bad data `.corrupt`
/// with zlib's message.
public final class GzipSource: ByteSource {
    private enum State {
        /// Before the first member, or after a member's trailer: the next byte starts a member (or padding).
        case betweenMembers
        case inMember
        /// Zero bytes after a member: allowed until the end of the file.
        case padding
        case finished
    }

    private let inner: any ByteSource
    private let stream: UnsafeMutablePointer<z_stream>
    private let input: UnsafeMutableRawBufferPointer
    private var state = State.betweenMembers
    private var sawMember = false
    private var innerAtEnd = false

    public var path: String { inner.path }
    public var bytesConsumed: Int64 { inner.bytesConsumed }

    /// Wraps `inner`, whose bytes must be a gzip stream.
    ///
    /// - Throws: `IOError.readFailed` when zlib cannot be initialised (out of memory).
    public init(_ inner: any ByteSource) throws(IOError) {
        self.inner = inner
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // 15 + 16: a 32 KiB window and a gzip (not zlib) wrapper.
        let status = inflateInit2_(stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw .readFailed(path: inner.path, reason: "cannot initialise zlib (status \(status))")
        }
        input = .allocate(byteCount: compressedBufferBytes, alignment: 16)
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        input.deallocate()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(IOError) -> Int {
        guard let out = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let capacity = UInt32(clamping: buffer.count)
        stream.pointee.next_out = out.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = capacity
        var produced: Int { Int(capacity - stream.pointee.avail_out) }

        while true {
            switch state {
            case .finished:
                return produced
            case .betweenMembers, .padding:
                if stream.pointee.avail_in == 0 {
                    if innerAtEnd {
                        state = .finished
                        return produced
                    }
                    try refill()
                    continue
                }
                if skipPadding() { continue }
                try inflateReset(stream).orThrow(path: path, stream: stream)
                state = .inMember
            case .inMember:
                if stream.pointee.avail_in == 0 && !innerAtEnd {
                    try refill()
                    continue
                }
                let status = inflate(stream, Z_NO_FLUSH)
                switch status {
                case Z_STREAM_END:
                    state = .betweenMembers
                    sawMember = true
                    if stream.pointee.avail_out == 0 { return produced }
                case Z_OK:
                    if stream.pointee.avail_out == 0 { return produced }
                case Z_BUF_ERROR:
                    // No progress possible: the output is full, or the input ran out.
                    if stream.pointee.avail_out == 0 || produced > 0 { return produced }
                    if innerAtEnd { throw .truncated(path: path, format: "gzip") }
                    if stream.pointee.avail_in > 0 {
                        throw .corrupt(path: path, format: "gzip", detail: zlibMessage(stream, status))
                    }
                case Z_DATA_ERROR, Z_NEED_DICT, Z_STREAM_ERROR:
                    throw .corrupt(path: path, format: "gzip", detail: zlibMessage(stream, status))
                default:
                    throw .readFailed(path: path, reason: "zlib inflate failed: \(zlibMessage(stream, status))")
                }
            }
        }
    }

    /// Refills the input buffer from the inner source (marks the end of the inner source).
    private func refill() throws(IOError) {
        guard let base = input.baseAddress else { return }
        let n = try inner.read(into: input)
        stream.pointee.next_in = base.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_in = UInt32(n)
        if n == 0 { innerAtEnd = true }
    }

    /// Consumes zero bytes after a member. Returns false when the next byte should start a member (other
    /// bytes after padding go to inflate too, which reports them as a bad header).
    private func skipPadding() -> Bool {
        guard sawMember, let next = stream.pointee.next_in else { return false }
        if state == .betweenMembers && next[0] != 0 { return false }
        let count = Int(stream.pointee.avail_in)
        var i = 0
        while i < count && next[i] == 0 { i += 1 }
        stream.pointee.next_in = next + i
        stream.pointee.avail_in -= UInt32(i)
        if i < count {
            // Garbage after padding: let inflate report it as a bad header.
            state = .betweenMembers
            return false
        }
        state = .padding
        return true
    }
}

/// A streaming gzip compressor (zlib `deflate`, windowBits 15 + 16) writing into another sink.
///
/// Deterministic: the header has mtime 0 and no file name, so the same bytes always compress the same.
/// `endFrame()` ends the current member; later writes start a new one (a multi-member file).
public final class GzipSink: ByteSink {
    private let inner: any ByteSink
    private let stream: UnsafeMutablePointer<z_stream>
    private let output: UnsafeMutableRawBufferPointer
    private var emittedMember = false
    public private(set) var hasPendingInput = false
    public var path: String { inner.path }

    /// Compresses into `inner` at `level` 0…9 (default 6).
    ///
    /// - Throws: `IOError.cannotOpen` for a level outside 0…9 or when zlib cannot be initialised.
    public init(_ inner: any ByteSink, level: Int = 6) throws(IOError) {
        guard (0...9).contains(level) else {
            throw .cannotOpen(path: inner.path, reason: "gzip compression level must be 0…9, got \(level)")
        }
        self.inner = inner
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = deflateInit2_(stream, Int32(level), Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                                   zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw .cannotOpen(path: inner.path, reason: "cannot initialise zlib (status \(status))")
        }
        output = .allocate(byteCount: compressedBufferBytes, alignment: 16)
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        output.deallocate()
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(IOError) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        hasPendingInput = true
        var offset = 0
        while offset < bytes.count {
            // avail_in is 32 bits: feed huge buffers in slices.
            let slice = min(bytes.count - offset, 1 << 30)
            stream.pointee.next_in = UnsafeMutablePointer(mutating: (base + offset).assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = UInt32(slice)
            try run(flush: Z_NO_FLUSH)
            offset += slice
        }
    }

    public func endFrame() throws(IOError) {
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        try run(flush: Z_FINISH)
        try deflateReset(stream).orThrow(path: path, stream: stream)
        hasPendingInput = false
        emittedMember = true
    }

    public func finish() throws(IOError) {
        if hasPendingInput || !emittedMember { try endFrame() }
        try inner.finish()
    }

    /// Deflates until the input is consumed (Z_NO_FLUSH) or the member is complete (Z_FINISH).
    private func run(flush: Int32) throws(IOError) {
        guard let out = output.baseAddress else { return }
        while true {
            stream.pointee.next_out = out.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = UInt32(output.count)
            let status = deflate(stream, flush)
            let produced = output.count - Int(stream.pointee.avail_out)
            if produced > 0 { try inner.write(UnsafeRawBufferPointer(start: out, count: produced)) }
            switch status {
            case Z_STREAM_END:
                return
            case Z_OK, Z_BUF_ERROR:
                if flush == Z_NO_FLUSH && stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 { return }
            default:
                throw .writeFailed(path: path, reason: "zlib deflate failed: \(zlibMessage(stream, status))")
            }
        }
    }
}

/// zlib's message for the stream's last error, or the status name.
func zlibMessage(_ stream: UnsafeMutablePointer<z_stream>, _ status: Int32) -> String {
    if let message = stream.pointee.msg { return String(cString: message) }
    switch status {
    case Z_DATA_ERROR: return "invalid data"
    case Z_NEED_DICT: return "a preset dictionary is needed"
    case Z_STREAM_ERROR: return "inconsistent stream state"
    case Z_MEM_ERROR: return "out of memory"
    case Z_BUF_ERROR: return "no progress possible"
    default: return "status \(status)"
    }
}

extension Int32 {
    /// Throws unless a zlib status is Z_OK.
    fileprivate func orThrow(path: String, stream: UnsafeMutablePointer<z_stream>) throws(IOError) {
        guard self == Z_OK else {
            throw .corrupt(path: path, format: "gzip", detail: zlibMessage(stream, self))
        }
    }
}
