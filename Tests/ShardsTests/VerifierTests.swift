import CorpusIO
import Foundation
import Shards
import Testing

@Suite("ptk verify: ShardVerifier")
struct VerifierTests {
    /// A packed folder, a change to it, and the verifier's problems as "path: message".
    private func problems(after change: (TempFolder, PackManifest) throws -> Void) throws -> [String] {
        let folder = try TempFolder()
        defer { folder.remove() }
        let (manifest, _, _) = try makePackedFolder(folder.path)
        try change(folder, manifest)
        return ShardVerifier.verify(folder: folder.path).problems.map(\.description)
    }

    @Test("a folder as written verifies, with the totals of both sets")
    func clean() throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        let (manifest, train, cooldown) = try makePackedFolder(folder.path)
        #expect(manifest.sets.train.shards.map(\.windows) == [3, 3, 1])  // 64 bytes a window, ≤ 200 a shard
        let report = ShardVerifier.verify(folder: folder.path)
        #expect(report.problems == [])
        #expect(report.ok)
        #expect(report.files == manifest.files.count && report.files == 1 + 8 * 4)
        #expect(report.sets.map(\.windows) == [train.count, cooldown.count])
        #expect(report.sets.map(\.lossTokens) == [manifest.sets.train.lossTokens, manifest.sets.cooldown.lossTokens])
        #expect(report.render().hasPrefix("ok: "))
    }

    @Test("a flipped byte in a .bin: its sha256 differs from the manifest's")
    func flippedByte() throws {
        let found = try problems { folder, _ in try flipByte(folder.file("train/rank-00000-00000.bin"), at: 5) }
        #expect(found.contains {
            $0.hasPrefix("train/rank-00000-00000.bin: sha256 ") && $0.contains("manifest.json says")
        })
    }

    @Test("a missing file is named, and so is the shard it breaks")
    func missingFile() throws {
        let found = try problems { folder, _ in
            try FileManager.default.removeItem(atPath: folder.file("cooldown/rank-00000-00000-segments.idx"))
        }
        #expect(found.contains("cooldown/rank-00000-00000-segments.idx: listed in manifest.json but missing"))
        #expect(found.contains { $0.hasPrefix("cooldown/rank-00000-00000-segments.idx: cannot open") })
        #expect(!found.contains { $0.contains("sets.cooldown.windows") })  // no follow-on count noise
    }

    @Test("an extra file under train/ is not listed")
    func extraFile() throws {
        let found = try problems { folder, _ in
            try folder.write("train/rank-00000-00009.bin", [1, 2])
        }
        #expect(found == ["train/rank-00000-00009.bin: not listed in manifest.json"])
    }

    @Test("a token id ≥ vocab_size, written into a consistent folder")
    func tokenAboveVocabulary() throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        var (manifest, train, _) = try makePackedFolder(folder.path, vocabulary: 1000)
        // Shrink the vocabulary below ids in use, keeping everything else consistent.
        let top = train.flatMap(\.tokens).max() ?? 0
        manifest.vocabSize = Int(top)
        try manifest.write(to: folder.path)
        let problems = ShardVerifier.verify(folder: folder.path).problems
        #expect(problems.contains { $0.path.hasSuffix(".bin") && $0.message.contains("token id \(top)")
                                    && $0.message.contains("vocab_size \(top)") })
        #expect(problems.allSatisfy { $0.path != "manifest.json" })
    }

    @Test("counts that differ from the shards: per shard and per set")
    func countMismatch() throws {
        let found = try problems { folder, manifest in
            var changed = manifest
            changed.sets.train.shards[1].lossTokens += 1
            changed.sets.train.windows += 1
            changed.sets.train.tokens += manifest.seqLen
            try changed.write(to: folder.path)
        }
        #expect(found.contains {
            $0.hasPrefix("manifest.json: sets.train.shards[1].loss_tokens (rank-00000-00001) is ")
        })
        #expect(found.contains { $0.hasPrefix("manifest.json: sets.train.windows is 8, the shards hold 7") })
        #expect(found.contains { $0.hasPrefix("manifest.json: sets.train.tokens is ") })
        #expect(found.count == 3)
    }

    @Test("a vocabulary too large for int32 shards, and a dtype that does not match vocab_size")
    func vocabularyTooLarge() throws {
        let large = try problems { folder, manifest in
            var changed = manifest
            changed.vocabSize = 1 << 32
            try changed.write(to: folder.path)
        }
        #expect(large.contains("manifest.json: " + ShardError.vocabularyTooLarge(1 << 32).description))
        let dtype = try problems { folder, manifest in
            var changed = manifest
            changed.vocabSize = 70_000
            try changed.write(to: folder.path)
        }
        #expect(dtype.contains {
            $0.hasPrefix("manifest.json: dtype uint16, but a vocabulary of 70000 ids takes int32")
        })
    }

    @Test("shards whose files disagree, or whose windows break the rules, are named; all problems are collected")
    func brokenShard() throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        let (manifest, _, _) = try makePackedFolder(folder.path)
        // cu_seqlens of the first train shard, window 0: the final value (seq_len) becomes seq_len + 1.
        let reader = try IndexedDatasetReader(prefix: folder.file("train/rank-00000-00000-cuseqlens"))
        let last = Int(reader.sequenceOffsets[0]) + 4 * (reader.sequenceLength(0) - 1)
        var bytes = try folder.bytes("train/rank-00000-00000-cuseqlens.bin")
        bytes[last] &+= 1
        try folder.write("train/rank-00000-00000-cuseqlens.bin", bytes)
        // And the cooldown shard's .idx loses a window's worth of bytes.
        try folder.write("cooldown/rank-00000-00000-lossmask.idx", [0x4D])
        var changed = manifest
        changed.files = try FileEntry.list(folder: folder.path)
        try changed.write(to: folder.path)
        let problems = ShardVerifier.verify(folder: folder.path).problems.map(\.description)
        #expect(problems.contains("train/rank-00000-00000-cuseqlens.bin: window 0: runs from 0 to "
                                  + "\(manifest.seqLen + 1), expected 0 to seq_len \(manifest.seqLen)"))
        #expect(problems.contains { $0.hasPrefix("cooldown/rank-00000-00000-lossmask.idx: malformed: 1 bytes") })
        #expect { try ShardReader(prefix: folder.file("train/rank-00000-00000")).window(0) } throws: { error in
            guard case let .malformed(path, message) = error as? ShardError else { return false }
            return path == folder.file("train/rank-00000-00000-cuseqlens.bin") && message.hasPrefix("window 0: runs")
        }
    }

    @Test("padding that is not pad_id, and ordinals past documents.packed")
    func paddingAndOrdinals() throws {
        let found = try problems { folder, manifest in
            var changed = manifest
            changed.padId = 3
            changed.documents.packed = 1
            try changed.write(to: folder.path)
        }
        #expect(found.contains { $0.hasSuffix("expected pad_id 3") && $0.hasPrefix("train/rank-00000-0000") })
        #expect(found.contains { $0.contains("-segments.bin: window 0: segment 1 has ordinal 1, but only 1 documents were packed") })
    }

    @Test("an unreadable manifest is the one problem")
    func noManifest() throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        let report = ShardVerifier.verify(folder: folder.path)
        #expect(report.problems.count == 1)
        #expect(report.problems.first?.path == "manifest.json")
        #expect(!report.ok)
    }
}
