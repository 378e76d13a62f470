import CorpusIO
import Foundation
import Shards
import Testing

@Suite("manifest.json")
struct ManifestTests {
    private func sample() -> PackManifest {
        PackManifest(
            version: "0.3.0", strategy: "bestfit", seqLen: 2048, attention: "document", dtype: .uint16,
            vocabSize: 50_257, eosId: 50_256, bosId: nil, padId: 50_256, seed: 42,
            tokenizer: .init(file: "gpt2.tiktoken", sha256: "00"), recipeSha256: "11", meco: nil,
            documents: .init(read: 10, packed: 8, rejected: 2, split: 1, chunks: 3),
            ledger: .init(read: 10, written: 8, rejected: 2),
            sets: .init(train: .init(shards: [ShardSummary(prefix: "rank-00000-00000", windows: 2, tokens: 4096,
                                                           paddingTokens: 10, lossTokens: 4000)], textTokens: 4080)),
            files: [FileEntry(path: "train/rank-00000-00000.bin", bytes: 8192, sha256: "22")])
    }

    @Test("round trip through write(to:) and read(from:)")
    func roundTrip() throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        var manifest = sample()
        try manifest.write(to: folder.path)
        #expect(try PackManifest.read(from: folder.path) == manifest)
        manifest.bosId = 1
        manifest.meco = .init(template: "URL: {url}\n", variant: "url", urlField: "meta.url", cooldownShare: 0.1,
                              documentsWithPrefix: 7, documentsWithoutUrl: 1, documentsBadUrl: 0,
                              cooldownDocuments: 1, cooldownTokenShare: 0.125)
        try manifest.write(to: folder.path)
        #expect(try PackManifest.read(from: folder.path) == manifest)
        #expect(folder.contents() == ["manifest.json"])
    }

    @Test("the keys are the spec's, sorted, with null for bos_id and meco")
    func keys() throws {
        let text = String(decoding: try sample().jsonBytes(), as: UTF8.self)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["format", "tool", "version", "strategy", "seq_len", "attention", "dtype",
                                     "vocab_size", "eos_id", "bos_id", "pad_id", "seed", "tokenizer", "recipe_sha256",
                                     "meco", "documents", "ledger", "sets", "files"])
        #expect(object["bos_id"] is NSNull && object["meco"] is NSNull)
        #expect(object["format"] as? String == "ptk-packed-v1")
        #expect(object["dtype"] as? String == "uint16")
        let sets = try #require(object["sets"] as? [String: [String: Any]])
        #expect(Set(sets.keys) == ["train", "cooldown"])
        #expect(Set(try #require(sets["train"]).keys)
                == ["windows", "tokens", "text_tokens", "padding_tokens", "loss_tokens", "shards"])
        let shard = try #require((sets["train"]?["shards"] as? [[String: Any]])?.first)
        #expect(Set(shard.keys) == ["prefix", "windows", "tokens", "padding_tokens", "loss_tokens"])
        #expect(Set(try #require(object["documents"] as? [String: Any]).keys)
                == ["read", "packed", "rejected", "split", "chunks"])
        #expect(Set(try #require(object["ledger"] as? [String: Any]).keys) == ["read", "written", "rejected"])
        #expect(text.contains("\n  \"attention\" : \"document\",\n  \"bos_id\" : null,"))  // pretty, sorted
        #expect(text.hasSuffix("}\n"))

        var meco = sample()
        meco.meco = .init(template: "t", variant: "v", urlField: "u", cooldownShare: 0.5)
        let mecoObject = try JSONSerialization.jsonObject(with: Data(try meco.jsonBytes())) as? [String: Any]
        #expect(Set(try #require(mecoObject?["meco"] as? [String: Any]).keys)
                == ["template", "variant", "url_field", "cooldown_share", "documents_with_prefix",
                    "documents_without_url", "documents_bad_url", "cooldown_documents", "cooldown_token_share"])
    }

    @Test("a missing key or a wrong type is malformed, naming the key")
    func malformed() throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        let text = String(decoding: try sample().jsonBytes(), as: UTF8.self)
        try folder.write("manifest.json", Array(text.replacingOccurrences(of: "\"seq_len\"", with: "\"seqlen\"").utf8))
        #expect(throws: ShardError.malformed(path: folder.file("manifest.json"), message: "seq_len: missing")) {
            try PackManifest.read(from: folder.path)
        }
        try folder.write("manifest.json", Array(text.replacingOccurrences(of: "\"windows\" : 2",
                                                                          with: "\"windows\" : \"2\"").utf8))
        #expect(throws: ShardError.self) { try PackManifest.read(from: folder.path) }
        do {
            _ = try PackManifest.read(from: folder.path)
        } catch {
            #expect("\(error)".contains("sets.train.windows: expected"))
        }
    }

    @Test("FileEntry.make and FileEntry.list measure and hash the files")
    func fileEntries() throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        try OutputFile.atomicWrite(path: folder.file("train/a.bin"), contents: Array("abc".utf8))
        try OutputFile.atomicWrite(path: folder.file("documents.jsonl.zst"), contents: [])
        try sample().write(to: folder.path)
        let abc = FileEntry(path: "train/a.bin", bytes: 3,
                            sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(try FileEntry.make(folder: folder.path, relativePath: "train/a.bin") == abc)
        #expect(try FileEntry.list(folder: folder.path).map(\.path) == ["documents.jsonl.zst", "train/a.bin"])
        #expect { try FileEntry.make(folder: folder.path, relativePath: "nope") } throws: {
            ($0 as? ShardError)?.path == folder.file("nope")
        }
    }
}
