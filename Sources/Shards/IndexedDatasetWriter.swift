#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CorpusIO

/// Writes one Megatron indexed dataset, `prefix.bin` + `prefix.idx` (docs/shard-format.md), as megatron-core's
/// `IndexedDataset(prefix)` reads it.
///
/// Values stream to `.bin` through a large buffer (one write per `bufferBytes`); the sequence lengths stay in
/// memory (4 bytes a sequence: shards are bounded) and `.idx` is written by `finish()`. Both files appear
/// atomically under their final names (`OutputFile`); until then nothing is visible. Not thread-safe.
///
/// ```
/// let w = try IndexedDatasetWriter(prefix: "out/train/rank-00000-00000", dtype: .uint16)
/// try w.append(tokens: [50256, 15496, 11])
/// try w.finish()   // out/train/rank-00000-00000.bin (6 bytes) and .idx (34 + 12 + 16 bytes)
/// ```
public final class IndexedDatasetWriter: LifecycleWriter {
    /// The default write buffer: 4 MiB, so a 1 GiB shard takes 256 writes.
    public static let defaultBufferBytes = 4 << 20
    /// The 9 bytes every `.idx` starts with.
    public static let magic: [UInt8] = Array("MMIDIDX".utf8) + [0, 0]
    /// Bytes before the sequence lengths: magic, version, dtype, sequence count, document count.
    public static let headerBytes = 34


    /// The path without `.idx` / `.bin`.
    public let prefix: String
    /// The value type every appended value is stored as.
    public let dtype: MegatronDType
    /// Bytes of `.bin` so far (buffered ones included): the values appended × `dtype.itemSize`.
    public private(set) var binBytes: Int64 = 0

    private var lengths: [Int32] = []
    private let bin: OutputFile
    private let buffer: UnsafeMutableRawBufferPointer
    private var buffered = 0
    var state = WriterState.open
    /// The first error: every later call throws it again.
    var failure: ShardError?
    /// Files committed under their final names (removed by `abandon()`).
    private var committed: [String] = []

    /// Creates `prefix.bin` under a temporary name (and the folders above it).
    ///
    /// - Parameter bufferBytes: size of the write buffer (at least 4 KiB is used).
    /// - Throws: `ShardError.io` naming `.bin` when it cannot be created.
    public init(prefix: String, dtype: MegatronDType, bufferBytes: Int = defaultBufferBytes) throws(ShardError) {
        self.prefix = prefix
        self.dtype = dtype
        do {
            bin = try OutputFile(path: prefix + ".bin", compression: Compression.none)
        } catch {
            throw .fromIO(error)
        }
        // A multiple of 8, so that a value never straddles a flush.
        buffer = .allocate(byteCount: max(bufferBytes, 4096) & ~7, alignment: 16)
    }

    deinit {
        if state == .open { abandon() }
        buffer.deallocate()
    }

    public var binPath: String { prefix + ".bin" }
    public var indexPath: String { prefix + ".idx" }
    /// Sequences appended so far.
    public var sequenceCount: Int { lengths.count }

    /// Appends one sequence of token ids as the dataset's dtype, little-endian (the fast path for uint16 and
    /// int32 token files).
    ///
    /// - Throws: `ShardError.mismatch` when an id does not fit the dtype (nothing is appended), `.io` when
    ///   writing fails.
    public func append(tokens: [UInt32]) throws(ShardError) { try appendIntegers(tokens) }

    /// Appends one sequence of bytes (uint8 loss masks are copied as they are).
    public func append(_ values: [UInt8]) throws(ShardError) { try appendIntegers(values) }

    /// Appends one sequence of int32 values (cu_seqlens are copied as they are).
    public func append(_ values: [Int32]) throws(ShardError) { try appendIntegers(values) }

    /// Appends one sequence of int64 values (segments are copied as they are), converted when the dtype is
    /// narrower.
    public func append(_ values: [Int64]) throws(ShardError) { try appendIntegers(values) }

    /// Writes the buffered values, commits `.bin` and writes `.idx`. Nothing may be appended afterwards.
    ///
    /// - Throws: `ShardError.io` naming the file that could not be written.
    public func finish() throws(ShardError) {
        try checkOpen()
        try guarded { () throws(ShardError) in
            try flush()
            do throws(IOError) {
                try bin.commit()
            } catch {
                throw .fromIO(error)
            }
            committed.append(binPath)
            do throws(IOError) {
                try OutputFile.atomicWrite(path: indexPath, contents: Self.indexBytes(dtype: dtype, lengths: lengths))
            } catch {
                throw .fromIO(error)
            }
            committed.append(indexPath)
        }
        state = .finished
    }

    /// Removes what this writer wrote: the temporary `.bin`, and `.bin` / `.idx` if they were committed.
    public func abandon() {
        if state == .open { bin.abandon() }
        state = .abandoned
        for path in committed { _ = unlink(path) }
        committed = []
    }

    /// The `.idx` of a dataset whose sequences have `lengths` values of `dtype`, each its own document.
    ///
    /// ```
    /// indexBytes(dtype: .uint16, lengths: [3])
    /// // "MMIDIDX\0\0", 1 (u64), 8 (u8), 1 (u64), 2 (u64), [3] (i32), [0] (i64), [0, 1] (i64): 66 bytes
    /// ```
    public static func indexBytes(dtype: MegatronDType, lengths: [Int32]) -> [UInt8] {
        let n = lengths.count
        var out: [UInt8] = []
        out.reserveCapacity(headerBytes + 12 * n + 8 * (n + 1))
        out += magic
        appendLittleEndian(UInt64(1), to: &out)
        out.append(dtype.rawValue)
        appendLittleEndian(UInt64(n), to: &out)
        appendLittleEndian(UInt64(n + 1), to: &out)
        for length in lengths { appendLittleEndian(UInt32(bitPattern: length), to: &out) }
        var offset: Int64 = 0
        for length in lengths {
            appendLittleEndian(UInt64(bitPattern: offset), to: &out)
            offset += Int64(length) * Int64(dtype.itemSize)
        }
        for document in 0...n { appendLittleEndian(UInt64(document), to: &out) }
        return out
    }

    // MARK: Internals

    private func appendIntegers<T: FixedWidthInteger>(_ values: [T]) throws(ShardError) {
        try checkOpen()
        guard dtype.isInteger else {
            throw .mismatch(path: binPath, message: "cannot append integers to a \(dtype) dataset")
        }
        guard values.count <= Int(Int32.max) else {
            throw .mismatch(path: binPath, message: "a sequence of \(values.count) values exceeds the int32 length")
        }
        let range = dtype.range
        // Skip the scan when every value of T fits (UInt8 into uint8, Int64 into int64 …).
        let alwaysFits = Int64(exactly: T.min).map(range.contains) == true
            && Int64(exactly: T.max).map(range.contains) == true
        if !alwaysFits, let low = values.min(), let high = values.max(),
           !range.contains(Int64(truncatingIfNeeded: low)) || !range.contains(Int64(truncatingIfNeeded: high)),
           let bad = values.firstIndex(where: { !range.contains(Int64(truncatingIfNeeded: $0)) })
        {
            throw .mismatch(path: binPath, message: "sequence \(lengths.count): value \(values[bad]) at position "
                            + "\(bad) does not fit \(dtype)")
        }
        try guarded { () throws(ShardError) in
            let itemSize = dtype.itemSize
            var start = 0
            while start < values.count {
                if buffered == buffer.count { try flush() }
                let n = min(values.count - start, (buffer.count - buffered) / itemSize)
                values.withUnsafeBufferPointer { source in
                    store(UnsafeBufferPointer(rebasing: source[start..<start + n]))
                }
                buffered += n * itemSize
                start += n
            }
        }
        lengths.append(Int32(values.count))
        binBytes += Int64(values.count) * Int64(dtype.itemSize)
    }

    /// Converts `values` (in range) to the dtype, little-endian, at the end of the buffer (which has room).
    @inline(__always)
    private func store<T: FixedWidthInteger>(_ values: UnsafeBufferPointer<T>) {
        guard let base = buffer.baseAddress, let source = values.baseAddress else { return }
        let target = base + buffered
        #if _endian(little)
        if MemoryLayout<T>.size == dtype.itemSize {
            // Same width: in-range values have the same bits whatever the signedness.
            target.copyMemory(from: source, byteCount: values.count * MemoryLayout<T>.size)
            return
        }
        #endif
        switch dtype.itemSize {
        case 1:
            for j in 0..<values.count {
                target.storeBytes(of: UInt8(truncatingIfNeeded: values[j]), toByteOffset: j, as: UInt8.self)
            }
        case 2:
            for j in 0..<values.count {
                target.storeBytes(of: UInt16(truncatingIfNeeded: values[j]).littleEndian, toByteOffset: 2 * j,
                                  as: UInt16.self)
            }
        case 4:
            for j in 0..<values.count {
                target.storeBytes(of: UInt32(truncatingIfNeeded: values[j]).littleEndian, toByteOffset: 4 * j,
                                  as: UInt32.self)
            }
        default:
            for j in 0..<values.count {
                target.storeBytes(of: UInt64(truncatingIfNeeded: values[j]).littleEndian, toByteOffset: 8 * j,
                                  as: UInt64.self)
            }
        }
    }

    private func flush() throws(ShardError) {
        guard buffered > 0, let base = buffer.baseAddress else { return }
        let count = buffered
        buffered = 0
        do {
            try bin.write(UnsafeRawBufferPointer(start: base, count: count))
        } catch {
            throw .fromIO(error)
        }
    }

    var lifecyclePath: String { binPath }
    var lifecycleNoun: String { "the dataset" }
}

/// Appends `value`'s bytes, least significant first.
func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
    var v = value.littleEndian
    withUnsafeBytes(of: &v) { bytes.append(contentsOf: $0) }
}
