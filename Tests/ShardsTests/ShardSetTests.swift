import CorpusCore
import Foundation
import Shards
import Testing

@Suite("Shard sets: writer and reader")
struct ShardSetTests {
    @Test("random windows round-trip through a shard set",
          arguments: [(TokenDType.uint16, 50_257), (.int32, 128_256)])
    func roundTrip(dtype: TokenDType, vocabulary: Int) throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        var generator = WindowGenerator(seed: UInt64(vocabulary), seqLen: 64, vocabulary: UInt32(vocabulary), padID: 9)
        let windows = generator.windows(40)
        let writer = try ShardSetWriter(folder: folder.file("out/train"), stem: "rank-00003", seqLen: 64, dtype: dtype,
                                        maxShardBytes: 1 << 30)
        for window in windows { try writer.append(window) }
        let shards = try writer.finish()
        #expect(shards == [ShardSummary(prefix: "rank-00003-00000", windows: 40, tokens: 40 * 64,
                                        paddingTokens: windows.reduce(0) { $0 + $1.paddingTokenCount },
                                        lossTokens: windows.reduce(0) { $0 + $1.lossTokenCount })])
        #expect(shards[0].paddingTokens > 0)
        let reader = try ShardReader(prefix: folder.file("out/train/rank-00003-00000"))
        #expect(reader.windowCount == 40 && reader.seqLen == 64 && reader.dtype == dtype)
        #expect(reader.tokens.dtype == MegatronDType(dtype))
        for (i, window) in windows.enumerated() { #expect(try reader.window(i) == window) }
        #expect(folder.contents("out/train") == ShardPart.allCases.flatMap { part in
            [".bin", ".idx"].map { "rank-00003-00000" + part.suffix + $0 }
        }.sorted())
    }

    @Test("a new shard starts when the token file would pass max_shard_bytes")
    func rollover() throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        var generator = WindowGenerator(seed: 5, seqLen: 16, vocabulary: 100)
        let windows = generator.windows(10)
        // 16 uint16 tokens = 32 bytes a window: 100 bytes hold 3 windows.
        let writer = try ShardSetWriter(folder: folder.path, stem: "rank-00000", seqLen: 16, dtype: .uint16,
                                        maxShardBytes: 100)
        for window in windows { try writer.append(window) }
        let shards = try writer.finish()
        #expect(shards.map(\.prefix) == (0..<4).map { ShardSetWriter.shardPrefix(stem: "rank-00000", index: $0) })
        #expect(shards.last?.prefix == "rank-00000-00003")
        #expect(shards.map(\.windows) == [3, 3, 3, 1])
        var read: [PackedWindow] = []
        for shard in shards {
            let reader = try ShardReader(prefix: folder.file(shard.prefix), seqLen: 16)
            #expect(try Data(contentsOf: URL(fileURLWithPath: folder.file(shard.prefix + ".bin"))).count <= 100)
            for i in 0..<reader.windowCount { read.append(try reader.window(i)) }
        }
        #expect(read == windows)

        // A limit below one window still puts one window in each shard.
        let tiny = try ShardSetWriter(folder: folder.file("tiny"), stem: "s", seqLen: 16, dtype: .uint16,
                                      maxShardBytes: 1)
        for window in windows.prefix(3) { try tiny.append(window) }
        #expect(try tiny.finish().map(\.windows) == [1, 1, 1])
    }

    @Test("a window that breaks the rules is refused, naming the file, and the writer goes on")
    func invalidWindows() throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        let writer = try ShardSetWriter(folder: folder.path, stem: "r", seqLen: 4, dtype: .uint16,
                                        maxShardBytes: 1 << 20)
        let good = PackedWindow(tokens: [5, 6, 7, 0], lossMask: [0, 1, 1, 0], cuSeqlens: [0, 3, 4],
                                segments: [3, 0, -1, 0])
        #expect(good.problem(seqLen: 4) == nil)
        var bad: [(PackedWindow, String)] = []
        var w = good
        w.tokens.append(1)
        bad.append((w, "r-00000.bin"))
        w = good
        w.lossMask = [0, 1, 1]
        bad.append((w, "r-00000-lossmask.bin"))
        w = good
        w.lossMask = [0, 2, 1, 0]
        bad.append((w, "r-00000-lossmask.bin"))
        w = good
        w.lossMask = [0, 1, 1, 1]  // loss on padding
        bad.append((w, "r-00000-lossmask.bin"))
        for ends: [Int32] in [[1, 3, 4], [0, 3, 3, 4], [0, 3, 5], [4]] {
            w = good
            w.cuSeqlens = ends
            bad.append((w, "r-00000-cuseqlens.bin"))
        }
        w = good
        w.segments = [3, 0]
        bad.append((w, "r-00000-segments.bin"))
        w = good
        w.segments = [-1, 0, 3, 0]  // padding first
        bad.append((w, "r-00000-segments.bin"))
        w = good
        w.segments = [-2, 0, -1, 0]
        bad.append((w, "r-00000-segments.bin"))
        w = good
        w.tokens[0] = 65536
        bad.append((w, "r-00000.bin"))
        for (window, file) in bad {
            #expect { try writer.append(window) } throws: { error in
                guard case let .mismatch(path, message) = error as? ShardError else { return false }
                return path == folder.file(file) && message.hasPrefix("window 0: ")
            }
        }
        try writer.append(good)
        #expect(try writer.finish() == [ShardSummary(prefix: "r-00000", windows: 1, tokens: 4, paddingTokens: 1,
                                                     lossTokens: 2)])
    }

    @Test("settings out of range are refused")
    func settings() throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        for (seqLen, max, stem) in [(0, Int64(10), "r"), (4, 0, "r"), (4, 10, ""), (4, 10, "a/b")] {
            #expect(throws: ShardError.self) {
                try ShardSetWriter(folder: folder.path, stem: stem, seqLen: seqLen, dtype: .uint16, maxShardBytes: max)
            }
        }
    }

    @Test("an unwritable folder is an I/O error naming it, and nothing is left behind")
    func unwritableFolder() throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        try folder.write("file", [1])
        let target = folder.file("file/train/deeper")
        #expect { try ShardSetWriter(folder: target, stem: "r", seqLen: 4, dtype: .uint16, maxShardBytes: 100) }
            throws: { error in
                guard case let .io(path, _) = error as? ShardError else { return false }
                return path == target
            }
        #expect(folder.contents() == ["file"])
    }

    @Test("a write that fails mid-set is an I/O error; abandon() removes every shard and the created folders")
    func failedWriterAbandons() throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        var generator = WindowGenerator(seed: 1, seqLen: 8, vocabulary: 50)
        let writer = try ShardSetWriter(folder: folder.file("a/b"), stem: "r", seqLen: 8, dtype: .uint16,
                                        maxShardBytes: 16)
        // A folder squats the second shard's cu_seqlens file: opening the shard fails.
        try FileManager.default.createDirectory(atPath: folder.file("a/b/r-00001-cuseqlens.bin"),
                                                withIntermediateDirectories: true)
        try writer.append(generator.next())
        #expect { try writer.append(generator.next()) } throws: { error in
            guard case let .io(path, _) = error as? ShardError else { return false }
            return path == folder.file("a/b/r-00001-cuseqlens.bin")
        }
        #expect(folder.contents("a/b").contains("r-00000.bin"))
        #expect(throws: ShardError.self) { try writer.append(generator.next()) }  // stays failed
        #expect(throws: ShardError.self) { try writer.finish() }
        writer.abandon()
        #expect(folder.contents() == ["a", "a/b", "a/b/r-00001-cuseqlens.bin"])  // only what was there before

        // Abandoning a writer that never wrote removes the folders it created.
        let unused = try ShardSetWriter(folder: folder.file("c/d"), stem: "r", seqLen: 8, dtype: .uint16,
                                        maxShardBytes: 16)
        try unused.append(generator.next())
        unused.abandon()
        #expect(!folder.contents().contains("c"))
    }

    @Test("a shard whose files disagree is refused, naming the file")
    func disagreeingShard() throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        var generator = WindowGenerator(seed: 2, seqLen: 8, vocabulary: 50)
        for (stem, count) in [("a", 3), ("b", 2)] {
            let writer = try ShardSetWriter(folder: folder.path, stem: stem, seqLen: 8, dtype: .uint16,
                                            maxShardBytes: 1 << 20)
            for window in generator.windows(count) { try writer.append(window) }
            _ = try writer.finish()
        }
        // Shard a with b's loss mask: 2 windows against 3.
        for ext in [".bin", ".idx"] {
            try FileManager.default.removeItem(atPath: folder.file("a-00000-lossmask" + ext))
            try FileManager.default.copyItem(atPath: folder.file("b-00000-lossmask" + ext),
                                             toPath: folder.file("a-00000-lossmask" + ext))
        }
        #expect { try ShardReader(prefix: folder.file("a-00000")) } throws: { error in
            guard case let .malformed(path, message) = error as? ShardError else { return false }
            return path == folder.file("a-00000-lossmask.idx") && message.contains("2 windows")
        }
        #expect { try ShardReader(prefix: folder.file("b-00000"), seqLen: 9) } throws: { error in
            guard case let .malformed(path, message) = error as? ShardError else { return false }
            return path == folder.file("b-00000.idx") && message.contains("seq_len 9")
        }
    }
}
