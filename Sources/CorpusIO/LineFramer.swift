#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One framed line event. `bytes` is only valid inside the callback.
public enum FramedLine {
    /// A line without its "\n" (a "\r" before it is kept; JSON treats it as whitespace). `number` is the 1-based
    /// line number in the file.
    case record(number: Int, bytes: UnsafeRawBufferPointer)
    /// A line longer than maxRecordBytes, skipped in streaming fashion (never buffered whole): `head` holds its first
    /// min(4096, maxRecordBytes) bytes for the rejects file, `byteCount` its full length (without the "\n").
    case oversized(number: Int, byteCount: Int, head: UnsafeRawBufferPointer)
    /// The partial last line when the source threw `IOError.truncated` (only if non-empty).
    case truncatedTail(number: Int, bytes: UnsafeRawBufferPointer)

    /// The line's 1-based number.
    public var number: Int {
        switch self {
        case let .record(number, _), let .oversized(number, _, _), let .truncatedTail(number, _): number
        }
    }
}

/// Splits a byte stream into lines with a bounded buffer: memory ≤ maxRecordBytes + chunkBytes whatever the file size.
///
/// Newlines are found with `memchr`; lines are handed out as views into the buffer (no per-line allocation), and the
/// unfinished remainder is moved down to the buffer's start before the next read. The buffer starts at
/// 2 × chunkBytes and grows only as far as the longest line seen needs.
public struct LineFramer {
    /// Most bytes of an oversized line's head that are kept for the rejects file.
    public static let oversizedHeadBytes = 4096

    public let source: any ByteSource
    public let maxRecordBytes: Int
    public let chunkBytes: Int
    /// Lines delivered so far (the number of the last one).
    public private(set) var linesDelivered = 0

    /// - Parameters:
    ///   - maxRecordBytes: the longest line (without "\n") delivered as a record; longer ones are `.oversized`.
    ///   - chunkBytes: how much is read from the source at least per refill.
    public init(source: any ByteSource, maxRecordBytes: Int, chunkBytes: Int = 1 << 20) {
        self.source = source
        self.maxRecordBytes = max(0, maxRecordBytes)
        self.chunkBytes = max(1, chunkBytes)
    }

    /// Calls `body` for every line in order. A final line without "\n" is a normal record. Empty lines ARE delivered
    /// (as empty records) so line numbers stay right; callers skip them.
    ///
    /// When the source throws .truncated: deliver the pending partial line as .truncatedTail (if non-empty), then
    /// rethrow (a truncated line that is already longer than maxRecordBytes comes as `.oversized` instead). Other
    /// errors: rethrow. Errors thrown by `body` end the framing and are rethrown.
    public mutating func forEachLine(_ body: (FramedLine) throws -> Void) throws {
        // The buffer starts small and grows (up to maxRecordBytes + chunkBytes) only when a long line needs it.
        let (sum, overflow) = maxRecordBytes.addingReportingOverflow(chunkBytes)
        let capacity = overflow ? Int.max : sum
        var size = chunkBytes > capacity / 2 ? capacity : 2 * chunkBytes
        var base = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { base.deallocate() }
        /// Makes room for `needed` bytes, keeping the first `keep`.
        func grow(to needed: Int, keeping keep: Int) {
            guard needed > size else { return }
            let newSize = min(capacity, max(needed, size > capacity / 2 ? capacity : 2 * size))
            let bigger = UnsafeMutableRawPointer.allocate(byteCount: newSize, alignment: 16)
            bigger.copyMemory(from: base, byteCount: keep)
            base.deallocate()
            base = bigger
            size = newSize
        }
        var line = linesDelivered
        defer { linesDelivered = line }

        var start = 0  // first byte of the pending line
        var end = 0  // end of the valid bytes
        var scanFrom = 0  // where the search for "\n" resumes (bytes before it hold none)

        while true {
            // Deliver every complete line in the buffer.
            while scanFrom < end, let hit = memchr(base + scanFrom, 0x0A, end - scanFrom) {
                let newline = base.distance(to: hit)
                let length = newline - start
                line += 1
                if length > maxRecordBytes {
                    let head = UnsafeRawBufferPointer(start: base + start, count: min(length, headBytes))
                    try body(.oversized(number: line, byteCount: length, head: head))
                } else {
                    try body(.record(number: line, bytes: UnsafeRawBufferPointer(start: base + start, count: length)))
                }
                start = newline + 1
                scanFrom = start
            }
            scanFrom = end

            let pending = end - start
            if pending > maxRecordBytes {
                // Too long to keep: remember the head, then read on until the line ends.
                let headCount = headBytes
                if start > 0 { memmove(base, base + start, headCount) }
                grow(to: headCount + chunkBytes, keeping: headCount)
                line += 1
                var byteCount = pending
                var found: Int? = nil
                var read = 0
                while found == nil {
                    let room = UnsafeMutableRawBufferPointer(start: base + headCount, count: size - headCount)
                    do {
                        read = try source.read(into: room)
                    } catch {
                        if case .truncated = error {
                            try body(.oversized(number: line, byteCount: byteCount,
                                                head: UnsafeRawBufferPointer(start: base, count: headCount)))
                        }
                        throw error
                    }
                    if read == 0 { break }
                    if let hit = memchr(base + headCount, 0x0A, read) {
                        found = base.distance(to: hit)
                        byteCount += base.distance(to: hit) - headCount
                    } else {
                        byteCount += read
                    }
                }
                try body(.oversized(number: line, byteCount: byteCount,
                                    head: UnsafeRawBufferPointer(start: base, count: headCount)))
                guard let newline = found else { return }
                start = newline + 1
                end = headCount + read
                scanFrom = start
                continue
            }

            // Need more bytes: move the unfinished line to the front, then fill the rest.
            if start > 0 {
                if pending > 0 { memmove(base, base + start, pending) }
                start = 0
                end = pending
                scanFrom = pending
            }
            grow(to: end + chunkBytes, keeping: end)
            let read: Int
            do {
                read = try source.read(into: UnsafeMutableRawBufferPointer(start: base + end, count: size - end))
            } catch {
                if case .truncated = error, pending > 0 {
                    line += 1
                    try body(.truncatedTail(number: line, bytes: UnsafeRawBufferPointer(start: base, count: pending)))
                }
                throw error
            }
            if read == 0 {
                if pending > 0 {
                    line += 1
                    try body(.record(number: line, bytes: UnsafeRawBufferPointer(start: base, count: pending)))
                }
                return
            }
            end += read
        }
    }

    private var headBytes: Int { min(Self.oversizedHeadBytes, maxRecordBytes) }
}
