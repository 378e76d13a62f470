import CorpusCore
import Foundation
import Shards
import Testing

@Suite("Megatron indexed datasets")
struct IndexedDatasetTests {
    @Test("the .idx of a tiny uint16 dataset is byte for byte the documented layout")
    func tinyLayout() throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        let writer = try IndexedDatasetWriter(prefix: folder.file("tiny"), dtype: .uint16)
        try writer.append(tokens: [1, 258, 65535])
        try writer.append(tokens: [7, 0])
        try writer.finish()
        let expected: [UInt8] = [0x4D, 0x4D, 0x49, 0x44, 0x49, 0x44, 0x58, 0x00, 0x00]  // MMIDIDX\0\0
            + [1, 0, 0, 0, 0, 0, 0, 0]  // version 1
            + [8]  // dtype uint16
            + [2, 0, 0, 0, 0, 0, 0, 0]  // sequence count
            + [3, 0, 0, 0, 0, 0, 0, 0]  // document count
            + [3, 0, 0, 0, 2, 0, 0, 0]  // int32 lengths
            + [0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0]  // int64 byte offsets
            + [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]  // document indices
        #expect(try folder.bytes("tiny.idx") == expected)
        #expect(try folder.bytes("tiny.bin") == [1, 0, 2, 1, 255, 255, 7, 0, 0, 0])
        #expect(IndexedDatasetWriter.indexBytes(dtype: .uint16, lengths: [3, 2]) == expected)
        #expect(folder.contents() == ["tiny.bin", "tiny.idx"])  // no temporary file left
    }

    @Test("every integer dtype round-trips random sequences", arguments: MegatronDType.allCases.filter(\.isInteger))
    func roundTrip(dtype: MegatronDType) throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        var random = SeededRandom(seed: UInt64(dtype.rawValue))
        let range = dtype.range
        let span = UInt64(bitPattern: range.upperBound &- range.lowerBound)
        let sequences: [[Int64]] = (0..<50).map { i in
            (0..<(i % 7 == 0 ? 0 : Int(random.next() % 300))).map { _ in
                span == UInt64.max ? Int64(bitPattern: random.next())
                                   : range.lowerBound + Int64(random.next() % (span + 1))
            }
        }
        // A small buffer, so that sequences straddle flushes.
        let writer = try IndexedDatasetWriter(prefix: folder.file("d"), dtype: dtype, bufferBytes: 4096)
        for sequence in sequences { try writer.append(sequence) }
        try writer.finish()
        let reader = try IndexedDatasetReader(prefix: folder.file("d"))
        #expect(reader.dtype == dtype)
        #expect(reader.sequenceCount == sequences.count)
        #expect(reader.documentIndices == (0...sequences.count).map(Int64.init))
        for (i, sequence) in sequences.enumerated() {
            #expect(reader.sequenceLength(i) == sequence.count)
            #expect(try reader.values(i) == sequence)
            #expect(try reader.rawBytes(i).count == sequence.count * dtype.itemSize)
        }
    }

    @Test("the typed fast paths write what values(_:) reads back")
    func fastPaths() throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        var random = SeededRandom(seed: 3)
        let ids = (0..<5000).map { _ in UInt32(random.next() % 60000) }
        for dtype in [MegatronDType.uint16, .int32] {
            let writer = try IndexedDatasetWriter(prefix: folder.file("\(dtype)"), dtype: dtype, bufferBytes: 4096)
            try writer.append(tokens: ids)
            try writer.append(tokens: [])
            try writer.finish()
            let reader = try IndexedDatasetReader(prefix: folder.file("\(dtype)"))
            #expect(try reader.tokens(0) == ids)
            #expect(try reader.tokens(1) == [])
        }
        let mask = (0..<777).map { UInt8(truncatingIfNeeded: $0) }
        let ends: [Int32] = [0, 5, -7, Int32.max], pairs: [Int64] = [-1, 0, Int64.max, Int64.min]
        let u8 = try IndexedDatasetWriter(prefix: folder.file("u8"), dtype: .uint8)
        let i32 = try IndexedDatasetWriter(prefix: folder.file("i32"), dtype: .int32)
        let i64 = try IndexedDatasetWriter(prefix: folder.file("i64"), dtype: .int64)
        try u8.append(mask)
        try i32.append(ends)
        try i64.append(pairs)
        for w in [u8, i32, i64] { try w.finish() }
        #expect(try IndexedDatasetReader(prefix: folder.file("u8")).rawBytes(0) == mask)
        #expect(try IndexedDatasetReader(prefix: folder.file("i32")).values(0) == ends.map(Int64.init))
        #expect(try IndexedDatasetReader(prefix: folder.file("i64")).values(0) == pairs)
    }

    @Test("a value that does not fit the dtype is refused, and nothing is appended")
    func outOfRange() throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        let writer = try IndexedDatasetWriter(prefix: folder.file("d"), dtype: .uint16)
        #expect(throws: ShardError.self) { try writer.append(tokens: [1, 65536]) }
        #expect(throws: ShardError.self) { try writer.append([Int32(-1)]) }
        #expect(writer.sequenceCount == 0 && writer.binBytes == 0)
        let floats = try IndexedDatasetWriter(prefix: folder.file("f"), dtype: .float32)
        #expect(throws: ShardError.self) { try floats.append([Int64(1)]) }
        floats.abandon()
        try writer.append(tokens: [65535])
        try writer.finish()
        #expect(try IndexedDatasetReader(prefix: folder.file("d")).tokens(0) == [65535])
    }

    @Test("abandon() removes the files, committed or not")
    func abandon() throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        let open = try IndexedDatasetWriter(prefix: folder.file("a"), dtype: .int64)
        try open.append([Int64]([1, 2, 3]))
        open.abandon()
        let done = try IndexedDatasetWriter(prefix: folder.file("b"), dtype: .int64)
        try done.append([Int64]([1, 2, 3]))
        try done.finish()
        #expect(folder.contents() == ["b.bin", "b.idx"])
        done.abandon()
        #expect(folder.contents() == [])
        #expect(throws: ShardError.self) { try done.append([Int64(4)]) }
    }
}

@Suite("Malformed indexed datasets")
struct MalformedDatasetTests {
    /// Writes dataset "d" with three uint16 sequences and returns the folder.
    private func dataset() throws -> TempFolder {
        let folder = try TempFolder()
        let writer = try IndexedDatasetWriter(prefix: folder.file("d"), dtype: .uint16)
        for ids: [UInt32] in [[1, 2, 3], [4], [5, 6]] { try writer.append(tokens: ids) }
        try writer.finish()
        return folder
    }

    /// Opens "d" after `damage` and returns the error's path and message.
    private func openError(_ damage: (TempFolder) throws -> Void) throws -> (path: String, message: String)? {
        let folder = try dataset()
        defer { folder.remove() }
        try damage(folder)
        do {
            _ = try IndexedDatasetReader(prefix: folder.file("d"))
            return nil
        } catch {
            guard case let .malformed(path, message) = error else { return (error.path, "\(error)") }
            return ((path as NSString).lastPathComponent, message)
        }
    }

    @Test("a truncated .idx, naming the file and its size")
    func truncatedIndex() throws {
        let whole = try openError { folder in
            try folder.write("d.idx", Array(try folder.bytes("d.idx").dropLast(8)))
        }
        #expect(whole?.path == "d.idx")
        #expect(whole?.message.contains("bytes") == true)
        let header = try openError { folder in try folder.write("d.idx", Array(try folder.bytes("d.idx").prefix(20))) }
        #expect(header?.path == "d.idx")
        #expect(header?.message.contains("header") == true)
    }

    @Test("a wrong magic, version or dtype")
    func header() throws {
        let magic = try openError { try flipByte($0.file("d.idx"), at: 0) }
        #expect(magic?.path == "d.idx" && magic?.message.contains("magic") == true)
        let version = try openError { try flipByte($0.file("d.idx"), at: 9) }
        #expect(version?.message.contains("version") == true)
        let dtype = try openError { folder in
            var bytes = try folder.bytes("d.idx")
            bytes[17] = 9
            try folder.write("d.idx", bytes)
        }
        #expect(dtype?.message.contains("dtype code 9") == true)
    }

    @Test("counts that do not match the file, offsets that are not the running sum, bad document indices")
    func body() throws {
        let count = try openError { folder in
            var bytes = try folder.bytes("d.idx")
            bytes[18] = 200  // sequence count
            try folder.write("d.idx", bytes)
        }
        #expect(count?.message.contains("200 sequences") == true)
        let offset = try openError { folder in
            var bytes = try folder.bytes("d.idx")
            bytes[34 + 12 + 8] = 7  // the second sequence's offset
            try folder.write("d.idx", bytes)
        }
        #expect(offset?.message.contains("sequence 1 starts at byte 7") == true)
        let documents = try openError { folder in
            var bytes = try folder.bytes("d.idx")
            bytes[bytes.count - 8] = 9  // the last document index
            try folder.write("d.idx", bytes)
        }
        #expect(documents?.message.contains("document index") == true)
        let length = try openError { folder in
            var bytes = try folder.bytes("d.idx")
            bytes[34 + 3] = 0x80  // the first length becomes negative
            try folder.write("d.idx", bytes)
        }
        #expect(length?.message.contains("negative length") == true)
    }

    @Test(".bin shorter or longer than its .idx says, naming the .bin")
    func binSize() throws {
        let short = try openError { try $0.write("d.bin", Array(try $0.bytes("d.bin").dropLast())) }
        #expect(short?.path == "d.bin")
        #expect(short?.message.contains("11 bytes, but") == true)
        let long = try openError { try $0.write("d.bin", try $0.bytes("d.bin") + [0, 0]) }
        #expect(long?.path == "d.bin")
    }

    @Test("a missing file is an I/O error naming it")
    func missing() throws {
        let folder = try dataset()
        defer { folder.remove() }
        try FileManager.default.removeItem(atPath: folder.file("d.bin"))
        #expect { try IndexedDatasetReader(prefix: folder.file("d")) } throws: {
            guard case let .io(path, _) = $0 as? ShardError else { return false }
            return path == folder.file("d.bin")
        }
    }
}
