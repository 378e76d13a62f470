import CorpusCore
import CorpusIO
import Foundation
import Shards

/// A unique folder under the system's temporary directory, removed by `remove()`.
struct TempFolder {
    let path: String

    init() throws {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("ptk-shards-tests-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        path = url.path
    }

    func file(_ name: String) -> String { path + "/" + name }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    /// Every path under the folder (files and folders, hidden ones included), sorted.
    func contents(_ sub: String = "") -> [String] {
        ((try? FileManager.default.subpathsOfDirectory(atPath: sub.isEmpty ? path : file(sub))) ?? []).sorted()
    }

    func bytes(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: file(name)))) }

    func write(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: file(name)))
    }
}

/// Random but well-formed windows: documents cut into segments, BOS (mask 0) at each document's start, padding
/// (pad id, mask 0, ordinal −1) at the end of some windows.
struct WindowGenerator {
    var random: SeededRandom
    let seqLen: Int
    let vocabulary: UInt32
    let padID: UInt32
    var ordinal: Int64 = 0

    init(seed: UInt64, seqLen: Int, vocabulary: UInt32, padID: UInt32 = 0) {
        random = SeededRandom(seed: seed)
        self.seqLen = seqLen
        self.vocabulary = vocabulary
        self.padID = padID
    }

    mutating func next() -> PackedWindow {
        var tokens: [UInt32] = [], mask: [UInt8] = [], ends: [Int32] = [0], segments: [Int64] = []
        let padding = random.next() % 3 == 0 ? Int(random.next() % UInt64(seqLen / 2 + 1)) : 0
        while tokens.count < seqLen - padding {
            let length = 1 + Int(random.next() % UInt64(seqLen - padding - tokens.count))
            let offset = Int64(random.next() % 3 == 0 ? 0 : random.next() % 1000)
            for i in 0..<length {
                tokens.append(UInt32(random.next() % UInt64(vocabulary)))
                mask.append(offset == 0 && i == 0 ? 0 : 1)
            }
            ends.append(Int32(tokens.count))
            segments += [ordinal, offset]
            ordinal += 1
        }
        if padding > 0 {
            tokens += [UInt32](repeating: padID, count: padding)
            mask += [UInt8](repeating: 0, count: padding)
            ends.append(Int32(seqLen))
            segments += [PackedWindow.paddingOrdinal, 0]
        }
        return PackedWindow(tokens: tokens, lossMask: mask, cuSeqlens: ends, segments: segments)
    }

    mutating func windows(_ count: Int) -> [PackedWindow] { (0..<count).map { _ in next() } }
}

/// Writes a complete packed folder (train shards, a cooldown set with MeCo, documents file, manifest) and returns
/// its manifest and the windows of each set.
func makePackedFolder(_ folder: String, seqLen: Int = 32, vocabulary: Int = 1000, trainWindows: Int = 7,
                      cooldownWindows: Int = 3, maxShardBytes: Int64 = 200) throws
    -> (manifest: PackManifest, train: [PackedWindow], cooldown: [PackedWindow])
{
    let dtype = try TokenDType(vocabularySize: vocabulary)
    var generator = WindowGenerator(seed: 7, seqLen: seqLen, vocabulary: UInt32(vocabulary), padID: 2)
    let train = generator.windows(trainWindows), cooldown = generator.windows(cooldownWindows)
    var sets = PackManifest.Sets()
    for (name, windows) in [("train", train), ("cooldown", cooldown)] {
        let writer = try ShardSetWriter(folder: folder + "/" + name, stem: "rank-00000", seqLen: seqLen, dtype: dtype,
                                        maxShardBytes: maxShardBytes)
        for window in windows { try writer.append(window) }
        let shards = try writer.finish()
        let text = windows.reduce(0) { $0 + $1.lossTokenCount }
        let summary = PackManifest.SetSummary(shards: shards, textTokens: text)
        if name == "train" { sets.train = summary } else { sets.cooldown = summary }
    }
    try OutputFile.atomicWrite(path: folder + "/documents.jsonl.zst", contents: Array("{}\n".utf8))
    let meco = PackManifest.MeCoSummary(template: "URL: {url}\n\n", variant: "url", urlField: "url", cooldownShare: 0.1,
                                        documentsWithPrefix: 5, cooldownDocuments: 2, cooldownTokenShare: 0.3)
    let manifest = PackManifest(
        version: "0.1.0", strategy: "docmask", seqLen: seqLen, attention: "document", dtype: dtype,
        vocabSize: vocabulary, eosId: 2, bosId: 1, padId: 2, seed: 42,
        tokenizer: .init(file: "tok.json", sha256: String(repeating: "ab", count: 32)),
        recipeSha256: String(repeating: "cd", count: 32), meco: meco,
        documents: .init(read: 1000, packed: Int(generator.ordinal), rejected: 3),
        ledger: .init(read: 1003, written: 1000, rejected: 3), sets: sets,
        files: try FileEntry.list(folder: folder))
    try manifest.write(to: folder)
    return (manifest, train, cooldown)
}

/// Flips the bits of byte `offset` of `path`.
func flipByte(_ path: String, at offset: Int) throws {
    var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    bytes[offset] ^= 0xFF
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}
