#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads one Megatron indexed dataset, `prefix.idx` + `prefix.bin` (docs/shard-format.md).
///
/// Opening reads and checks the whole `.idx` (12 bytes a sequence) and the size of `.bin`; values are read
/// from `.bin` with `pread` on demand, so memory stays flat however large `.bin` is. Any inconsistency is a
/// `ShardError.malformed` naming the file and what is wrong. Thread-safe: nothing changes after `init`.
///
/// ```
/// let r = try IndexedDatasetReader(prefix: "out/train/rank-00000-00000")
/// r.sequenceCount       // windows
/// try r.tokens(0)       // [UInt32] of window 0
/// ```
public final class IndexedDatasetReader: Sendable {
    /// The path without `.idx` / `.bin`.
    public let prefix: String
    /// The value type, from the `.idx` header.
    public let dtype: MegatronDType
    /// Values per sequence.
    public let sequenceLengths: [Int32]
    /// Byte offset of each sequence in `.bin`.
    public let sequenceOffsets: [Int64]
    /// Sequence indices where documents start, then `sequenceCount` (ptk writes `0, 1, …, sequenceCount`).
    public let documentIndices: [Int64]
    /// The size of `.bin`: every sequence's values × item size.
    public let binBytes: Int64
    private let fd: Int32

    /// Opens and checks `prefix.idx` and `prefix.bin`.
    ///
    /// - Throws: `ShardError.io` when a file cannot be opened or read, `.malformed` (naming the file) when the
    ///   `.idx` is not a version-1 Megatron index, its offsets are not the running sum of the lengths, its
    ///   document indices do not run from 0 to the sequence count, or `.bin` is not exactly as long as it says.
    public init(prefix: String) throws(ShardError) {
        self.prefix = prefix
        let indexPath = prefix + ".idx", binPath = prefix + ".bin"
        let index = try readWholeFile(indexPath)
        let header = try IndexHeader(index, path: indexPath)
        dtype = header.dtype
        var lengths = [Int32](repeating: 0, count: header.sequenceCount)
        var offsets = [Int64](repeating: 0, count: header.sequenceCount)
        var documents = [Int64](repeating: 0, count: header.documentCount)
        let itemSize = Int64(header.dtype.itemSize)
        var expectedOffset: Int64 = 0
        for i in 0..<header.sequenceCount {
            let length = Int32(bitPattern: loadLittleEndian(index, at: IndexedDatasetWriter.headerBytes + 4 * i))
            guard length >= 0 else {
                throw .malformed(path: indexPath, message: "sequence \(i) has a negative length (\(length))")
            }
            let offset = Int64(bitPattern: loadLittleEndian(index, at: header.offsetsStart + 8 * i))
            guard offset == expectedOffset else {
                throw .malformed(path: indexPath, message: "sequence \(i) starts at byte \(offset) of the .bin, "
                                 + "expected \(expectedOffset) (the running sum of length × \(itemSize))")
            }
            lengths[i] = length
            offsets[i] = offset
            let (next, overflow) = expectedOffset.addingReportingOverflow(Int64(length) * itemSize)
            guard !overflow else {
                throw .malformed(path: indexPath, message: "the sequence lengths add up past 2⁶³ bytes")
            }
            expectedOffset = next
        }
        for i in 0..<header.documentCount {
            let document = Int64(bitPattern: loadLittleEndian(index, at: header.documentsStart + 8 * i))
            let previous = i == 0 ? 0 : documents[i - 1]
            guard document >= previous, document <= Int64(header.sequenceCount), i > 0 || document == 0 else {
                throw .malformed(path: indexPath, message: "document index \(i) is \(document): document indices "
                                 + "must run from 0 to the sequence count (\(header.sequenceCount)) without decreasing")
            }
            documents[i] = document
        }
        guard documents.last == Int64(header.sequenceCount) else {
            throw .malformed(path: indexPath, message: "the last document index is \(documents.last ?? -1), "
                             + "expected the sequence count \(header.sequenceCount)")
        }
        sequenceLengths = lengths
        sequenceOffsets = offsets
        documentIndices = documents
        binBytes = expectedOffset
        fd = try openForReading(binPath)
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            _ = close(fd)
            throw .io(path: binPath, message: "cannot stat: \(reason)")
        }
        guard Int64(info.st_size) == expectedOffset else {
            _ = close(fd)
            throw .malformed(path: binPath, message: "\(info.st_size) bytes, but \(indexPath) describes "
                             + "\(expectedOffset) (\(header.sequenceCount) sequences of \(header.dtype))")
        }
    }

    deinit {
        _ = close(fd)
    }

    public var sequenceCount: Int { sequenceLengths.count }
    public var binPath: String { prefix + ".bin" }
    public var indexPath: String { prefix + ".idx" }

    /// The number of values in sequence `index` (0 ≤ index < sequenceCount).
    public func sequenceLength(_ index: Int) -> Int { Int(sequenceLengths[index]) }

    /// Sequence `index` as stored: `length × itemSize` little-endian bytes.
    ///
    /// - Throws: `ShardError.mismatch` for an index out of range, `.io` / `.malformed` when `.bin` cannot be read
    ///   (it shrank since it was opened).
    public func rawBytes(_ index: Int) throws(ShardError) -> [UInt8] {
        let (offset, count) = try byteRange(index)
        var failure: ShardError?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(ShardError) {
                try readExactly(UnsafeMutableRawBufferPointer(buffer), at: offset)
                initialized = count
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        return bytes
    }

    /// Sequence `index` of an integer dataset, widened to Int64.
    ///
    /// - Throws: `ShardError.mismatch` for a float dataset or an index out of range, else as `rawBytes`.
    public func values(_ index: Int) throws(ShardError) -> [Int64] {
        guard dtype.isInteger else { throw .mismatch(path: binPath, message: "a \(dtype) dataset holds no integers") }
        let bytes = try rawBytes(index)
        let n = bytes.count / dtype.itemSize
        return bytes.withUnsafeBytes { raw -> [Int64] in
            switch dtype {
            case .uint8: return raw.map { Int64($0) }
            case .int8: return raw.map { Int64(Int8(bitPattern: $0)) }
            case .uint16: return (0..<n).map { Int64(loadLittleEndian(raw, at: 2 * $0) as UInt16) }
            case .int16: return (0..<n).map { Int64(loadLittleEndian(raw, at: 2 * $0) as Int16) }
            case .int32: return (0..<n).map { Int64(loadLittleEndian(raw, at: 4 * $0) as Int32) }
            default: return (0..<n).map { loadLittleEndian(raw, at: 8 * $0) as Int64 }  // int64
            }
        }
    }

    /// Sequence `index` of a uint8, uint16 or int32 dataset as token ids.
    ///
    /// - Throws: `ShardError.mismatch` for another dtype, `.malformed` for a negative int32 value.
    public func tokens(_ index: Int) throws(ShardError) -> [UInt32] {
        guard dtype == .uint8 || dtype == .uint16 || dtype == .int32 else {
            throw .mismatch(path: binPath, message: "a \(dtype) dataset holds no token ids")
        }
        let bytes = try rawBytes(index)
        let n = bytes.count / dtype.itemSize
        let ids: [UInt32] = bytes.withUnsafeBytes { raw in
            switch dtype {
            case .uint8: raw.map { UInt32($0) }
            case .uint16: (0..<n).map { UInt32(loadLittleEndian(raw, at: 2 * $0) as UInt16) }
            default: (0..<n).map { loadLittleEndian(raw, at: 4 * $0) as UInt32 }
            }
        }
        if dtype == .int32, let bad = ids.firstIndex(where: { $0 > UInt32(Int32.max) }) {
            throw .malformed(path: binPath, message: "sequence \(index): negative token id "
                             + "\(Int32(bitPattern: ids[bad])) at position \(bad)")
        }
        return ids
    }

    // MARK: Internals

    private func byteRange(_ index: Int) throws(ShardError) -> (offset: Int64, count: Int) {
        guard index >= 0, index < sequenceCount else {
            throw .mismatch(path: indexPath, message: "no sequence \(index) (the dataset has \(sequenceCount))")
        }
        return (sequenceOffsets[index], Int(sequenceLengths[index]) * dtype.itemSize)
    }

    private func readExactly(_ buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(ShardError) {
        guard let base = buffer.baseAddress else { return }
        var done = 0
        while done < buffer.count {
            let n = pread(fd, base + done, buffer.count - done, off_t(offset + Int64(done)))
            if n > 0 {
                done += n
            } else if n < 0 && errno == EINTR {
                continue
            } else if n == 0 {
                throw .malformed(path: binPath, message: "ends at byte \(offset + Int64(done)), before the "
                                 + "\(buffer.count) bytes at \(offset) its .idx describes")
            } else {
                throw .io(path: binPath, message: "cannot read: \(String(cString: strerror(errno)))")
            }
        }
    }
}

/// The fixed fields of an `.idx`, checked against the file's size before anything is allocated from them.
private struct IndexHeader {
    var dtype: MegatronDType
    var sequenceCount: Int
    var documentCount: Int
    var offsetsStart: Int
    var documentsStart: Int

    init(_ index: [UInt8], path: String) throws(ShardError) {
        let headerBytes = IndexedDatasetWriter.headerBytes
        guard index.count >= headerBytes else {
            throw .malformed(path: path, message: "\(index.count) bytes, shorter than the \(headerBytes)-byte header")
        }
        guard Array(index[0..<9]) == IndexedDatasetWriter.magic else {
            let found = index[0..<9].map { String($0, radix: 16).leftPadded(to: 2) }.joined(separator: " ")
            throw .malformed(path: path, message: "magic is \(found), expected MMIDIDX\\0\\0 "
                             + "(4d 4d 49 44 49 44 58 00 00)")
        }
        let version = loadLittleEndian(index, at: 9) as UInt64
        guard version == 1 else {
            throw .malformed(path: path, message: "version \(version), expected 1")
        }
        guard let dtype = MegatronDType(rawValue: index[17]) else {
            throw .malformed(path: path, message: "unknown dtype code \(index[17]) (known: 1 to 8)")
        }
        self.dtype = dtype
        let sequences: UInt64 = loadLittleEndian(index, at: 18)
        let documents: UInt64 = loadLittleEndian(index, at: 26)
        let available = UInt64(index.count - headerBytes)
        // Bound the counts by the file's size first, so that the arithmetic below cannot overflow.
        guard sequences <= available / 12, documents <= available / 8,
              12 * sequences + 8 * documents == available
        else {
            throw .malformed(path: path, message: "\(index.count) bytes, but the header's \(sequences) sequences and "
                             + "\(documents) document indices need \(headerBytes) + 12 × \(sequences) + 8 × "
                             + "\(documents) bytes")
        }
        guard documents >= 1 else {
            throw .malformed(path: path, message: "no document indices (at least the final one is needed)")
        }
        sequenceCount = Int(sequences)
        documentCount = Int(documents)
        offsetsStart = headerBytes + 4 * sequenceCount
        documentsStart = offsetsStart + 8 * sequenceCount
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// The little-endian integer at byte `offset` of `bytes` (which holds it).
func loadLittleEndian<T: FixedWidthInteger>(_ bytes: [UInt8], at offset: Int) -> T {
    bytes.withUnsafeBytes { loadLittleEndian($0, at: offset) }
}

func loadLittleEndian<T: FixedWidthInteger>(_ raw: UnsafeRawBufferPointer, at offset: Int) -> T {
    T(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: T.self))
}

/// Opens `path` read-only.
func openForReading(_ path: String) throws(ShardError) -> Int32 {
    var fd: Int32
    repeat {
        fd = open(path, O_RDONLY | O_CLOEXEC)
    } while fd < 0 && errno == EINTR
    guard fd >= 0 else { throw .io(path: path, message: "cannot open: \(String(cString: strerror(errno)))") }
    return fd
}

/// The whole content of a (small) file.
func readWholeFile(_ path: String) throws(ShardError) -> [UInt8] {
    let fd = try openForReading(path)
    defer { _ = close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n > 0 {
            bytes.append(contentsOf: chunk[0..<n])
        } else if n == 0 {
            return bytes
        } else if errno != EINTR {
            let code = errno
            let reason = code == EISDIR ? "is a folder, not a file" : "cannot read: \(String(cString: strerror(code)))"
            throw .io(path: path, message: reason)
        }
    }
}
