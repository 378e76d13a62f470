import CorpusCore
import Foundation
import Testing

@testable import CorpusIO

// MARK: - Helpers

/// A unique folder under the system's temporary directory, removed by `remove()`.
private struct TempFolder {
    let path: String

    init() throws {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("ptk-stream-tests-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        path = url.path
    }

    func file(_ name: String) -> String { path + "/" + name }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    /// Names in the folder, hidden ones included.
    func contents() -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: path))?.sorted() ?? [] }
}

private func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var random = SeededRandom(seed: seed)
    var bytes = [UInt8](repeating: 0, count: count)
    bytes.withUnsafeMutableBytes { raw in
        var i = 0
        while i < count {
            let word = random.next()
            for j in 0..<min(8, count - i) { raw[i + j] = UInt8(truncatingIfNeeded: word >> UInt64(8 * j)) }
            i += 8
        }
    }
    return bytes
}

/// Text-like, compressible lines of random lengths.
private func randomLines(_ count: Int, seed: UInt64) -> [UInt8] {
    var random = SeededRandom(seed: seed)
    let words = ["alpha", "beta", "gamma", "delta", "{\"text\":", "epsilon", "zeta", "\"}", "κόσμε", "語"]
        .map { Array(($0 + " ").utf8) }
    var out = [UInt8]()
    out.reserveCapacity(count * 250)
    for i in 0..<count {
        let n = Int(random.next() % 60) + 1
        out += Array("\(i):".utf8)
        for _ in 0..<n { out += words[Int(random.next() % UInt64(words.count))] }
        out.append(0x0A)
    }
    return out
}

private func readFileBytes(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

private func writeFileBytes(_ path: String, _ bytes: [UInt8]) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// Reads a source to its end with reads of varying sizes.
private func readAll(_ source: any ByteSource) throws(IOError) -> [UInt8] {
    var out = [UInt8]()
    let sizes = [1, 7, 4096, 65536, 300_000]
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: sizes.max() ?? 1, alignment: 1)
    defer { buffer.deallocate() }
    var i = 0
    while true {
        let size = sizes[i % sizes.count]
        i += 1
        let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<size]))
        if n == 0 { return out }
        out += UnsafeRawBufferPointer(rebasing: buffer[0..<n])
    }
}

/// Records an issue when two byte arrays differ, without printing them (a failure would dump megabytes).
private func expectSame(_ actual: [UInt8], _ expected: [UInt8], _ label: String = "",
                        sourceLocation: SourceLocation = #_sourceLocation) {
    guard actual != expected else { return }
    let first = zip(actual, expected).enumerated().first { $1.0 != $1.1 }?.offset ?? min(actual.count, expected.count)
    Issue.record("\(label) bytes differ: \(actual.count) vs \(expected.count) bytes, first difference at \(first)",
                 sourceLocation: sourceLocation)
}

/// Runs a command; returns its exit status and standard output.
@discardableResult
private func shell(_ arguments: [String], stdinPath: String? = nil, stdoutPath: String? = nil) throws
    -> (status: Int32, output: [UInt8])
{
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let stdinPath { process.standardInput = FileHandle(forReadingAtPath: stdinPath) }
    let pipe = Pipe()
    if let stdoutPath {
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
    } else {
        process.standardOutput = pipe
    }
    process.standardError = FileHandle.nullDevice
    try process.run()
    let output = stdoutPath == nil ? [UInt8](pipe.fileHandleForReading.readDataToEndOfFile()) : []
    process.waitUntilExit()
    return (process.terminationStatus, output)
}

/// The IOError `body` throws, or nil.
private func ioError(_ body: () throws(IOError) -> Void) -> IOError? {
    do {
        try body()
        return nil
    } catch {
        return error
    }
}

private func writeCompressed(_ path: String, _ bytes: [UInt8], _ compression: Compression? = nil) throws {
    let out = try OutputFile(path: path, compression: compression)
    try out.write(bytes)
    try out.commit()
}

/// What the framer delivered, copied out of the callback.
private enum Line: Equatable, CustomStringConvertible {
    case record(Int, [UInt8])
    case oversized(Int, Int, [UInt8])
    case tail(Int, [UInt8])

    init(_ framed: FramedLine) {
        switch framed {
        case let .record(number, bytes): self = .record(number, Array(bytes))
        case let .oversized(number, count, head): self = .oversized(number, count, Array(head))
        case let .truncatedTail(number, bytes): self = .tail(number, Array(bytes))
        }
    }

    var description: String {
        switch self {
        case let .record(n, b): "record(\(n), \(String(decoding: b, as: UTF8.self).debugDescription))"
        case let .oversized(n, c, h): "oversized(\(n), \(c), \(String(decoding: h, as: UTF8.self).debugDescription))"
        case let .tail(n, b): "tail(\(n), \(String(decoding: b, as: UTF8.self).debugDescription))"
        }
    }
}

private func frame(_ source: any ByteSource, max: Int, chunk: Int = 1 << 20) -> (lines: [Line], error: (any Error)?) {
    var framer = LineFramer(source: source, maxRecordBytes: max, chunkBytes: chunk)
    var lines = [Line]()
    do {
        try framer.forEachLine { lines.append(Line($0)) }
        return (lines, nil)
    } catch {
        return (lines, error)
    }
}

/// The framer's expected output by a naive split on "\n".
private func naiveFrame(_ bytes: [UInt8], max: Int) -> [Line] {
    var parts = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
    if parts.last?.isEmpty == true { parts.removeLast() }
    return parts.enumerated().map { i, line in
        line.count > max
            ? .oversized(i + 1, line.count, Array(line.prefix(Swift.min(4096, max))))
            : .record(i + 1, line)
    }
}

/// Hands out its bytes in short reads of random size, then optionally throws `.truncated`.
private final class ChoppySource: ByteSource {
    let path = "choppy.gz"
    private let bytes: [UInt8]
    private var offset = 0
    private var random: SeededRandom
    private let truncated: Bool
    var bytesConsumed: Int64 { Int64(offset) }

    init(_ bytes: [UInt8], seed: UInt64, truncated: Bool = false) {
        self.bytes = bytes
        self.random = SeededRandom(seed: seed)
        self.truncated = truncated
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(IOError) -> Int {
        let left = bytes.count - offset
        if left == 0 {
            if truncated { throw .truncated(path: path, format: "gzip") }
            return 0
        }
        let n = Swift.min(buffer.count, left, Int(random.next() % 13) + 1)
        for i in 0..<n { buffer[i] = bytes[offset + i] }
        offset += n
        return n
    }
}

private let hasCLIs = FileManager.default.isExecutableFile(atPath: "/usr/bin/zstd")
    && FileManager.default.isExecutableFile(atPath: "/usr/bin/gzip")

// MARK: - Compression round trips

@Suite struct CompressionTests {
    @Test(arguments: Compression.allCases)
    func roundTripThroughOutputFileAndOpenInput(compression: Compression) throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        let payloads: [[UInt8]] = [
            [], [0x41], randomBytes(1000, seed: 1), randomBytes(1_500_000, seed: 2), randomLines(40_000, seed: 3),
        ]
        for (i, payload) in payloads.enumerated() {
            // A neutral name: the reader must detect the compression by its magic bytes.
            let path = folder.file("payload-\(i).bin")
            let out = try OutputFile(path: path, compression: compression)
            // Write in uneven pieces, including one larger than the write buffer.
            var offset = 0
            var step = 1
            while offset < payload.count {
                let end = min(payload.count, offset + step)
                try out.write(Array(payload[offset..<end]))
                offset = end
                step = step * 7 + 3
            }
            #expect(out.bytesWritten == Int64(payload.count))
            try out.commit()
            let source = try openInput(path: path)
            expectSame(try readAll(source), payload, "payload \(i)")
            #expect(source.bytesConsumed == Int64(try readFileBytes(path).count))
        }
    }

    @Test func compressionInferredFromName() {
        #expect(Compression.infer(fromPath: "a/b.jsonl.gz") == .gzip)
        #expect(Compression.infer(fromPath: "b.jsonl.zst") == .zstd)
        #expect(Compression.infer(fromPath: "b.jsonl.zstd") == .zstd)
        #expect(Compression.infer(fromPath: "b.jsonl") == .none)
        #expect(Compression.infer(fromPath: "gz") == .none)
    }

    @Test(.enabled(if: hasCLIs))
    func filesMadeByTheCLIsDecode() throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        let payload = randomLines(8000, seed: 4) + randomBytes(200_000, seed: 5)
        let plain = folder.file("plain.txt")
        try writeFileBytes(plain, payload)
        try #require(shell(["gzip", "-c", "-9"], stdinPath: plain, stdoutPath: folder.file("cli.gz")).status == 0)
        try #require(shell(["zstd", "-q", "-c", "-9"], stdinPath: plain,
                           stdoutPath: folder.file("cli.zst")).status == 0)
        // Multi-threaded zstd frames, and named the wrong way round: detection goes by magic bytes.
        try #require(shell(["zstd", "-q", "-c", "-T2", "--long"], stdinPath: plain,
                           stdoutPath: folder.file("mt.txt")).status == 0)
        for name in ["plain.txt", "cli.gz", "cli.zst", "mt.txt"] {
            expectSame(try readAll(openInput(path: folder.file(name))), payload, name)
        }
    }

    @Test(.enabled(if: hasCLIs), arguments: [Compression.gzip, .zstd])
    func filesWeWriteDecodeWithTheCLIs(compression: Compression) throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        for (i, payload) in [[], randomLines(20_000, seed: 6), randomBytes(2_100_000, seed: 7)].enumerated() {
            let path = folder.file("ours-\(i)" + compression.fileExtension)
            try writeCompressed(path, payload)
            let tool = compression == .gzip ? ["gzip", "-dc", path] : ["zstd", "-q", "-dc", path]
            let (status, output) = try shell(tool)
            #expect(status == 0)
            expectSame(output, payload, "payload \(i)")
        }
    }

    @Test(arguments: [Compression.gzip, .zstd])
    func concatenatedStreamsDecodeToTheConcatenation(compression: Compression) throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        let a = randomLines(5000, seed: 8)
        let b = randomBytes(300_000, seed: 9)
        let ext = compression.fileExtension
        try writeCompressed(folder.file("a" + ext), a)
        try writeCompressed(folder.file("b" + ext), b)
        let joined = try readFileBytes(folder.file("a" + ext)) + readFileBytes(folder.file("b" + ext))
        try writeFileBytes(folder.file("cat" + ext), joined)
        expectSame(try readAll(openInput(path: folder.file("cat" + ext))), a + b)

        // The same through appendRawContents, with writes before, between and after.
        let out = try OutputFile(path: folder.file("appended" + ext))
        try out.write("head\n")
        try out.appendRawContents(ofFile: folder.file("a" + ext))
        try out.appendRawContents(ofFile: folder.file("b" + ext))
        try out.write("middle\n")
        try out.appendRawContents(ofFile: folder.file("a" + ext))
        try out.write("tail")
        try out.commit()
        let expected = Array("head\n".utf8) + a + b + Array("middle\n".utf8) + a + Array("tail".utf8)
        expectSame(try readAll(openInput(path: folder.file("appended" + ext))), expected)
        if hasCLIs {
            let path = folder.file("appended" + ext)
            let tool = compression == .gzip ? ["gzip", "-dc", path] : ["zstd", "-q", "-dc", path]
            expectSame(try shell(tool).output, expected, "CLI")
        }

        // Only appended parts: no empty frame is needed, the result is exactly the parts.
        let parts = try OutputFile(path: folder.file("parts" + ext))
        try parts.appendRawContents(ofFile: folder.file("a" + ext))
        try parts.appendRawContents(ofFile: folder.file("b" + ext))
        try parts.commit()
        expectSame(try readFileBytes(folder.file("parts" + ext)), joined)

        // A plain file cannot be appended raw to a compressed output.
        try writeFileBytes(folder.file("plain.txt"), Array("not compressed\n".utf8))
        let mixed = try OutputFile(path: folder.file("mixed" + ext))
        let error = ioError { () throws(IOError) in try mixed.appendRawContents(ofFile: folder.file("plain.txt")) }
        guard case let .corrupt(path, _, _)? = error else {
            Issue.record("expected .corrupt, got \(String(describing: error))")
            return
        }
        #expect(path == folder.file("plain.txt"))
    }

    @Test func gzipZeroPaddingAfterAMemberIsTheEnd() throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        let payload = randomLines(100, seed: 10)
        try writeCompressed(folder.file("a.gz"), payload)
        try writeFileBytes(folder.file("padded.gz"),
                           readFileBytes(folder.file("a.gz")) + [UInt8](repeating: 0, count: 300_000))
        expectSame(try readAll(openInput(path: folder.file("padded.gz"))), payload)

        // Garbage after the padding is not silently ignored.
        try writeFileBytes(folder.file("garbage.gz"),
                           readFileBytes(folder.file("a.gz")) + [0, 0, 0, 0x42, 0x43, 0x44])
        #expect {
            _ = try readAll(openInput(path: folder.file("garbage.gz")))
        } throws: { ($0 as? IOError).map { if case .corrupt = $0 { true } else { false } } ?? false }
    }
}

// MARK: - Broken inputs

@Suite struct BrokenInputTests {
    @Test(arguments: [Compression.gzip, .zstd])
    func truncatedStreamsThrowTruncatedAndTheFramerDeliversTheTail(compression: Compression) throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        let payload = randomLines(20_000, seed: 11)
        let whole = folder.file("whole" + compression.fileExtension)
        try writeCompressed(whole, payload)
        let compressed = try readFileBytes(whole)
        let path = folder.file("cut" + compression.fileExtension)
        try writeFileBytes(path, Array(compressed.prefix(compressed.count / 2)))
        let format = compression == .gzip ? "gzip" : "zstd"

        #expect(throws: IOError.truncated(path: path, format: format)) { _ = try readAll(openInput(path: path)) }

        let (lines, error) = frame(try openInput(path: path), max: 1 << 20, chunk: 4096)
        #expect(error as? IOError == .truncated(path: path, format: format))
        guard case let .tail(number, tail)? = lines.last else {
            Issue.record("no truncated tail, last event: \(String(describing: lines.last))")
            return
        }
        #expect(number == lines.count)
        #expect(!tail.isEmpty)
        var seen = [UInt8]()
        for line in lines.dropLast() {
            guard case let .record(_, bytes) = line else {
                Issue.record("unexpected \(line)")
                return
            }
            seen += bytes + [0x0A]
        }
        seen += tail
        #expect(seen.count < payload.count)
        expectSame(Array(payload.prefix(seen.count)), seen)
        #expect(payload[seen.count] != 0x0A)

        // Cut inside the header: still truncated, not corrupt.
        try writeFileBytes(path, Array(compressed.prefix(5)))
        #expect(throws: IOError.truncated(path: path, format: format)) { _ = try readAll(openInput(path: path)) }
    }

    @Test(arguments: [Compression.gzip, .zstd])
    func corruptDataThrowsCorrupt(compression: Compression) throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        let whole = folder.file("whole" + compression.fileExtension)
        try writeCompressed(whole, randomLines(20_000, seed: 12))
        var bytes = try readFileBytes(whole)
        for i in stride(from: bytes.count / 2, to: bytes.count / 2 + 64, by: 1) { bytes[i] ^= 0x5A }
        let path = folder.file("bad" + compression.fileExtension)
        try writeFileBytes(path, bytes)
        let error = ioError { () throws(IOError) in _ = try readAll(openInput(path: path)) }
        guard case let .corrupt(errorPath, format, detail)? = error else {
            Issue.record("expected .corrupt, got \(String(describing: error))")
            return
        }
        #expect(errorPath == path)
        #expect(format == (compression == .gzip ? "gzip" : "zstd"))
        #expect(!detail.isEmpty)
        #expect(IOError.corrupt(path: path, format: format, detail: detail).description.contains(path))
    }

    @Test func missingFileDirectoryAndEmptyFile() throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        let missing = folder.file("nope.jsonl")
        #expect(ioError { () throws(IOError) in _ = try openInput(path: missing) }
            == .cannotOpen(path: missing, reason: "No such file or directory"))
        #expect(throws: IOError.isDirectory(path: folder.path)) { try openInput(path: folder.path) }
        #expect(throws: IOError.isDirectory(path: folder.path)) { try FileSource(path: folder.path) }

        let empty = folder.file("empty.jsonl.gz")
        try writeFileBytes(empty, [])
        #expect(try readAll(openInput(path: empty)).isEmpty)
        #expect(try readAll(GzipSource(FileSource(path: empty))).isEmpty)
        #expect(try readAll(ZstdSource(FileSource(path: empty))).isEmpty)
        let (lines, error) = frame(try openInput(path: empty), max: 100)
        #expect(lines.isEmpty)
        #expect(error == nil)
    }

    @Test func errorDescriptionsNameTheFile() {
        #expect(IOError.truncated(path: "data/a.jsonl.zst", format: "zstd").description
            == "truncated zstd stream: data/a.jsonl.zst ended in the middle of a frame")
        #expect(IOError.truncated(path: "a.gz", format: "gzip").description
            == "truncated gzip stream: a.gz ended in the middle of a member")
        #expect(IOError.cannotOpen(path: "x", reason: "Permission denied").description
            == "cannot open x: Permission denied")
        #expect(IOError.isDirectory(path: "d").description.contains("d is a directory"))
    }
}

// MARK: - Line framing

@Suite struct LineFramerTests {
    @Test func numbersEmptyLinesCRLFAndFinalLineWithoutNewline() {
        let text = Array("a\n\nb\r\n{\"x\":1}\nlast".utf8)
        for chunk in [1, 2, 3, 7, 1 << 20] {
            let (lines, error) = frame(MemorySource(text), max: 100, chunk: chunk)
            #expect(error == nil)
            #expect(lines == [
                .record(1, Array("a".utf8)), .record(2, []), .record(3, Array("b\r".utf8)),
                .record(4, Array("{\"x\":1}".utf8)), .record(5, Array("last".utf8)),
            ], "chunk \(chunk)")
        }
        let (endsWithNewline, _) = frame(MemorySource(Array("x\n\n".utf8)), max: 10, chunk: 7)
        #expect(endsWithNewline == [.record(1, [0x78]), .record(2, [])])
    }

    @Test func oversizedLinesAreSkippedAndCounted() {
        let long = [UInt8](repeating: 0x61, count: 25)
        let text = Array("ok\n".utf8) + long + Array("\nafter\n".utf8) + long + [0x62] + Array("\nend".utf8)
        for chunk in [1, 3, 7, 16, 1 << 20] {
            let (lines, error) = frame(MemorySource(text), max: 10, chunk: chunk)
            #expect(error == nil)
            #expect(lines == [
                .record(1, Array("ok".utf8)), .oversized(2, 25, Array(long.prefix(10))),
                .record(3, Array("after".utf8)), .oversized(4, 26, Array(long.prefix(10))),
                .record(5, Array("end".utf8)),
            ], "chunk \(chunk)")
        }
        // A final oversized line without "\n"; a line of exactly maxRecordBytes is a record.
        let (tailLines, _) = frame(MemorySource(Array("0123456789\n".utf8) + long), max: 10, chunk: 4)
        #expect(tailLines == [.record(1, Array("0123456789".utf8)), .oversized(2, 25, Array(long.prefix(10)))])
        // The head is capped at 4096 bytes.
        let huge = [UInt8](repeating: 0x7A, count: 100_000)
        let (hugeLines, _) = frame(MemorySource(huge + [0x0A] + [0x31]), max: 50_000, chunk: 1000)
        #expect(hugeLines == [.oversized(1, 100_000, Array(huge.prefix(4096))), .record(2, [0x31])])
    }

    @Test func matchesANaiveSplitOnRandomInputs() {
        var random = SeededRandom(seed: 13)
        let alphabet: [UInt8] = [0x61, 0x62, 0x0A, 0x0A, 0x0D, 0x20]
        for round in 0..<1500 {
            let count = Int(random.next() % 200)
            let bytes = (0..<count).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
            let max = Int(random.next() % 24)
            let chunk = [1, 2, 7, 13, 64][Int(random.next() % 5)]
            let expected = naiveFrame(bytes, max: max)
            let plain = frame(MemorySource(bytes), max: max, chunk: chunk)
            #expect(plain.error == nil)
            #expect(plain.lines == expected, "round \(round): max \(max) chunk \(chunk)")
            let choppy = frame(ChoppySource(bytes, seed: UInt64(round)), max: max, chunk: chunk)
            #expect(choppy.lines == expected, "round \(round) (short reads)")
        }
    }

    @Test func truncatedSourceDeliversThePartialLineThenRethrows() {
        var random = SeededRandom(seed: 14)
        for round in 0..<500 {
            let count = Int(random.next() % 80)
            let bytes = (0..<count).map { _ in [0x61, 0x0A, 0x62][Int(random.next() % 3)] as UInt8 }
            let max = Int(random.next() % 12)
            let chunk = [1, 7, 64][Int(random.next() % 3)]
            var expected = naiveFrame(bytes, max: max)
            if bytes.last != 0x0A, case let .record(n, partial)? = expected.last {
                expected[expected.count - 1] = .tail(n, partial)  // the partial line, unless it is oversized
            }
            let result = frame(ChoppySource(bytes, seed: UInt64(round), truncated: true), max: max, chunk: chunk)
            #expect(result.error as? IOError == .truncated(path: "choppy.gz", format: "gzip"))
            #expect(result.lines == expected, "round \(round)")
        }
    }

    @Test func errorsFromTheBodyStopTheFraming() {
        struct Stop: Error {}
        var framer = LineFramer(source: MemorySource(Array("a\nb\nc\n".utf8)), maxRecordBytes: 10, chunkBytes: 2)
        var seen = 0
        #expect(throws: Stop.self) {
            try framer.forEachLine { line in
                seen += 1
                if line.number == 2 { throw Stop() }
            }
        }
        #expect(seen == 2)
    }
}

// MARK: - Output files

@Suite struct OutputFileTests {
    @Test func theFinalPathAppearsOnlyOnCommit() throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        let path = folder.file("sub/dir/out.jsonl")
        let out = try OutputFile(path: path)
        try out.write("{\"text\":\"hi\"}\n")
        try out.write(randomBytes(3 << 20, seed: 15))
        #expect(!FileManager.default.fileExists(atPath: path))
        let hidden = (try? FileManager.default.contentsOfDirectory(atPath: folder.file("sub/dir"))) ?? []
        #expect(hidden.count == 1)
        #expect(hidden.first?.hasPrefix(".out.jsonl.tmp-\(getpid())-") == true)
        try out.commit()
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.file("sub/dir")) == ["out.jsonl"])
        #expect(try readFileBytes(path).count == Int(out.bytesWritten))
        #expect(throws: IOError.self) { try out.write("more") }
        #expect(throws: IOError.self) { try out.commit() }
    }

    @Test func abandonAndDeinitLeaveNoTemporaryFile() throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        let out = try OutputFile(path: folder.file("a.jsonl.zst"))
        try out.write(randomBytes(10_000, seed: 16))
        #expect(folder.contents().count == 1)
        out.abandon()
        #expect(folder.contents().isEmpty)
        #expect(throws: IOError.self) { try out.write("x") }

        do {
            let dropped = try OutputFile(path: folder.file("b.jsonl.gz"))
            try dropped.write("never committed")
            #expect(folder.contents().count == 1)
        }
        #expect(folder.contents().isEmpty)
    }

    @Test func unwritableDestinationsGiveClearErrors() throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        // A parent that is a file (fails for root too).
        try writeFileBytes(folder.file("plain"), [1])
        let underFile = folder.file("plain/out.jsonl")
        let error = ioError { () throws(IOError) in _ = try OutputFile(path: underFile) }
        guard case let .cannotOpen(path, reason)? = error else {
            Issue.record("expected .cannotOpen, got \(String(describing: error))")
            return
        }
        #expect(path == underFile)
        #expect(reason.contains("plain"))
        #expect(error?.description.hasPrefix("cannot open \(underFile): ") == true)
        #expect(throws: IOError.isDirectory(path: folder.path)) { try OutputFile(path: folder.path) }
        #expect(throws: IOError.self) { try OutputFile(path: folder.file("x.zst"), level: 99) }
        #expect(throws: IOError.self) { try OutputFile(path: folder.file("x.gz"), level: 10) }

        // A read-only folder (root ignores permissions, so only checked for other users).
        if getuid() != 0 {
            let locked = folder.file("locked")
            try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: true)
            chmod(locked, 0o555)
            defer { chmod(locked, 0o755) }
            #expect(throws: IOError.cannotOpen(path: locked + "/out.jsonl", reason: "Permission denied")) {
                try OutputFile(path: locked + "/out.jsonl")
            }
        }

        // A full disk: writes report ENOSPC with the path.
        let fd = open("/dev/full", O_WRONLY | O_CLOEXEC)
        if fd >= 0 {
            defer { close(fd) }
            let sink = DescriptorSink(fd: fd, path: "out/full.jsonl")
            #expect(throws: IOError.writeFailed(path: "out/full.jsonl", reason: "No space left on device")) {
                try [UInt8](repeating: 1, count: 100).withUnsafeBytes { try sink.write($0) }
            }
        }
    }

    @Test(arguments: Compression.allCases)
    func outputIsDeterministic(compression: Compression) throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        let payload = randomLines(30_000, seed: 17)
        var outputs = [[UInt8]]()
        for name in ["one", "two"] {
            let path = folder.file(name + compression.fileExtension)
            try writeCompressed(path, payload)
            outputs.append(try readFileBytes(path))
        }
        expectSame(outputs[0], outputs[1])
        if compression == .gzip {
            #expect(Array(outputs[0][4..<8]) == [0, 0, 0, 0])  // mtime 0
            #expect(outputs[0][3] & 0x08 == 0)  // no file name
        }
    }

    @Test func atomicWriteReplacesTheFileInOneStep() throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        let path = folder.file("meta/manifest.json")
        try OutputFile.atomicWrite(path: path, contents: Array("{\"v\":1}".utf8))
        try OutputFile.atomicWrite(path: path, contents: Array("{\"v\":2}".utf8))
        #expect(try readFileBytes(path) == Array("{\"v\":2}".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.file("meta")) == ["manifest.json"])
        // Uncompressed whatever the name.
        try OutputFile.atomicWrite(path: folder.file("raw.gz"), contents: [1, 2, 3])
        #expect(try readFileBytes(folder.file("raw.gz")) == [1, 2, 3])
    }
}

@Suite struct FileChecksumTests {
    @Test("sha256(ofFile:) equals the in-memory digest across the 1 MiB read size, and names a missing file")
    func equalsInMemoryDigest() throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        for (i, count) in [0, 3, (1 << 20) - 1, 1 << 20, (1 << 20) + 65].enumerated() {
            let bytes = randomBytes(count, seed: UInt64(i))
            try OutputFile.atomicWrite(path: folder.file("f\(i)"), contents: bytes)
            #expect(try sha256(ofFile: folder.file("f\(i)")) == SHA256.hex(bytes))
        }
        #expect(try sha256(ofFile: folder.file("f0")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let missing = folder.file("missing")
        #expect { try sha256(ofFile: missing) } throws: { ($0 as? IOError)?.path == missing }
    }
}
