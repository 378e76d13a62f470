import CZstd

/// A streaming zstd decompressor over another source (`ZSTD_decompressStream`), memory flat whatever the
/// file size (up to the frame's window, at most 128 MiB with zstd's default limit).
///
/// Concatenated frames (and skippable frames) decode to the concatenation. A stream that ends inside a frame
/// throws `IOError.truncated`, bad data `.corrupt` with zstd's message.
public final class ZstdSource: ByteSource {
    private let inner: any ByteSource
    private let context: OpaquePointer
    private let input: UnsafeMutableRawBufferPointer
    private var inBuffer = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
    private var innerAtEnd = false
    /// The last return value of ZSTD_decompressStream: 0 when a frame was completely decoded and flushed.
    private var lastHint = 0
    private var finished = false

    public var path: String { inner.path }
    public var bytesConsumed: Int64 { inner.bytesConsumed }

    /// Wraps `inner`, whose bytes must be a zstd stream.
    ///
    /// - Throws: `IOError.readFailed` when zstd cannot allocate its context.
    public init(_ inner: any ByteSource) throws(IOError) {
        guard let context = ZSTD_createDCtx() else {
            throw .readFailed(path: inner.path, reason: "cannot create a zstd decompression context")
        }
        self.inner = inner
        self.context = context
        input = .allocate(byteCount: compressedBufferBytes, alignment: 16)
    }

    deinit {
        ZSTD_freeDCtx(context)
        input.deallocate()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(IOError) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0, !finished else { return 0 }
        var outBuffer = ZSTD_outBuffer(dst: base, size: buffer.count, pos: 0)
        while true {
            if inBuffer.pos == inBuffer.size && !innerAtEnd {
                let n = try inner.read(into: input)
                inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: n, pos: 0)
                if n == 0 { innerAtEnd = true }
            }
            let inputLeft = inBuffer.size - inBuffer.pos
            if inputLeft == 0 && innerAtEnd && lastHint == 0 {
                finished = true
                return outBuffer.pos
            }
            let producedBefore = outBuffer.pos
            let hint = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
            if ZSTD_isError(hint) != 0 {
                throw .corrupt(path: path, format: "zstd", detail: String(cString: ZSTD_getErrorName(hint)))
            }
            lastHint = hint
            if outBuffer.pos == outBuffer.size { return outBuffer.pos }
            if inputLeft == 0 && innerAtEnd && outBuffer.pos == producedBefore {
                // Nothing left to read and nothing more came out, yet the frame is not complete.
                if outBuffer.pos > 0 { return outBuffer.pos }
                throw .truncated(path: path, format: "zstd")
            }
        }
    }
}

/// A streaming zstd compressor (`ZSTD_compressStream2`, single-threaded, content checksum on) writing into
/// another sink.
///
/// Deterministic: the same bytes at the same level always compress the same. `endFrame()` ends the current
/// frame; later writes start a new one (a multi-frame file).
public final class ZstdSink: ByteSink {
    private let inner: any ByteSink
    private let context: OpaquePointer
    private let output: UnsafeMutableRawBufferPointer
    private var emittedFrame = false
    public private(set) var hasPendingInput = false
    public var path: String { inner.path }

    /// Compresses into `inner` at `level` (default 3; zstd accepts negative levels down to ZSTD_minCLevel()
    /// and up to ZSTD_maxCLevel(), 22).
    ///
    /// - Throws: `IOError.cannotOpen` for a level out of range or when zstd cannot allocate its context.
    public init(_ inner: any ByteSink, level: Int = 3) throws(IOError) {
        guard (Int(ZSTD_minCLevel())...Int(ZSTD_maxCLevel())).contains(level) else {
            throw .cannotOpen(
                path: inner.path,
                reason: "zstd compression level must be \(ZSTD_minCLevel())…\(ZSTD_maxCLevel()), got \(level)")
        }
        guard let context = ZSTD_createCCtx() else {
            throw .cannotOpen(path: inner.path, reason: "cannot create a zstd compression context")
        }
        self.inner = inner
        self.context = context
        output = .allocate(byteCount: compressedBufferBytes, alignment: 16)
        let settings: [(ZSTD_cParameter, Int32)] = [
            (ZSTD_c_compressionLevel, Int32(level)),
            (ZSTD_c_checksumFlag, 1),
            (ZSTD_c_nbWorkers, 0),
        ]
        for (parameter, value) in settings {
            let status = ZSTD_CCtx_setParameter(context, parameter, value)
            if ZSTD_isError(status) != 0 {
                ZSTD_freeCCtx(context)
                output.deallocate()
                throw .cannotOpen(path: inner.path, reason: String(cString: ZSTD_getErrorName(status)))
            }
        }
    }

    deinit {
        ZSTD_freeCCtx(context)
        output.deallocate()
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(IOError) {
        guard bytes.count > 0 else { return }
        hasPendingInput = true
        var inBuffer = ZSTD_inBuffer(src: bytes.baseAddress, size: bytes.count, pos: 0)
        while inBuffer.pos < inBuffer.size {
            _ = try compress(&inBuffer, ZSTD_e_continue)
        }
    }

    public func endFrame() throws(IOError) {
        var inBuffer = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
        while try compress(&inBuffer, ZSTD_e_end) != 0 {}
        hasPendingInput = false
        emittedFrame = true
    }

    public func finish() throws(IOError) {
        if hasPendingInput || !emittedFrame { try endFrame() }
        try inner.finish()
    }

    /// One ZSTD_compressStream2 call; writes what it produced. Returns zstd's "bytes left to flush" hint.
    private func compress(_ inBuffer: inout ZSTD_inBuffer, _ directive: ZSTD_EndDirective) throws(IOError) -> Int {
        var outBuffer = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        let remaining = ZSTD_compressStream2(context, &outBuffer, &inBuffer, directive)
        if ZSTD_isError(remaining) != 0 {
            throw .writeFailed(path: path, reason: "zstd: \(String(cString: ZSTD_getErrorName(remaining)))")
        }
        if outBuffer.pos > 0, let base = output.baseAddress {
            try inner.write(UnsafeRawBufferPointer(start: base, count: outBuffer.pos))
        }
        return remaining
    }
}
