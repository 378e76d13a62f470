import CorpusCore
import Foundation
import Testing

@Suite("SHA256")
struct SHA256Tests {
    @Test("FIPS 180-4 test vectors", arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func vectors(input: String, digest: String) {
        #expect(SHA256.hex(Array(input.utf8)) == digest)
    }

    @Test("a million 'a's, fed in uneven pieces")
    func million() {
        var h = SHA256()
        var fed = 0
        var step = 1
        while fed < 1_000_000 {
            let n = min(step, 1_000_000 - fed)
            h.update([UInt8](repeating: UInt8(ascii: "a"), count: n))
            fed += n
            step = step * 3 % 1000 + 1
        }
        #expect(h.hexDigest() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("equals sha256sum on random data of every length around block edges")
    func matchesCoreutils() throws {
        var rng = SeededRandom(seed: 1)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ptk-sha-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for length in [0, 1, 55, 56, 63, 64, 65, 119, 120, 127, 128, 1000, 70_001] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let url = dir.appendingPathComponent("f\(length)")
            try Data(bytes).write(to: url)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
            p.arguments = [url.path]
            let pipe = Pipe()
            p.standardOutput = pipe
            try p.run()
            p.waitUntilExit()
            let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(SHA256.hex(bytes) == String(out.prefix(64)), "length \(length)")
        }
    }
}

@Suite("Core values")
struct CoreValueTests {
    @Test("FNV-1a 64 reference values")
    func fnv() {
        #expect(StableHash.fnv1a64("") == 0xcbf2_9ce4_8422_2325)
        #expect(StableHash.fnv1a64("a") == 0xaf63_dc4c_8601_ec8c)
        #expect(StableHash.fnv1a64("foobar") == 0x8594_4171_f739_67e8)
    }

    @Test("seeded generator: same seed, same stream; streams differ")
    func seeded() {
        var a = SeededRandom(seed: 42), b = SeededRandom(seed: 42), c = SeededRandom(seed: 43)
        let xs = (0..<100).map { _ in a.next() }
        #expect(xs == (0..<100).map { _ in b.next() })
        #expect(xs != (0..<100).map { _ in c.next() })
        var s1 = SeededRandom(seed: 42, stream: "x"), s2 = SeededRandom(seed: 42, stream: "y")
        #expect(s1.next() != s2.next())
        var u = SeededRandom(seed: 9)
        for _ in 0..<1000 {
            let x = u.nextUnit()
            #expect(x >= 0 && x < 1)
        }
    }

    @Test("xoshiro256** pinned output, so a Swift upgrade can never change shuffles silently")
    func pinned() {
        var r = SeededRandom(seed: 0)
        #expect([r.next(), r.next(), r.next()] == [0x99EC_5F36_CB75_F2B4, 0xBF6E_1F78_4956_452A, 0x1A5F_849D_4933_E6E0])
    }

    @Test("shard index validation and ownership")
    func shards() throws {
        #expect(throws: CorpusError.invalidShard(rank: 2, worldSize: 2)) { try ShardIndex(rank: 2, worldSize: 2) }
        #expect(throws: CorpusError.invalidShard(rank: -1, worldSize: 2)) { try ShardIndex(rank: -1, worldSize: 2) }
        let s = try ShardIndex(rank: 1, worldSize: 3)
        #expect((0..<9).filter(s.owns) == [1, 4, 7])
        #expect(s.fileStem == "rank-00001")
    }

    @Test("ledger check and stage stats merge")
    func ledger() throws {
        try Ledger(read: 10, written: 7, rejected: 3).check()
        #expect(throws: CorpusError.ledgerMismatch(read: 10, written: 7, rejected: 2)) {
            try Ledger(read: 10, written: 7, rejected: 2).check()
        }
        var a = StageStats(name: "f", kind: "filter")
        a.recordKept(bytes: 10)
        a.recordDropped(reason: "short", bytes: 3)
        var b = StageStats(name: "f", kind: "filter")
        b.recordDropped(reason: "short", bytes: 4)
        b.recordDropped(reason: "long", bytes: 100)
        a.merge(b)
        #expect(a.input == Tally(documents: 4, bytes: 117))
        #expect(a.dropped["short"] == Tally(documents: 2, bytes: 7))
        #expect(a.isBalanced)
    }

    @Test("scripts: dominant script, Japanese vs Chinese, no letters", arguments: [
        ("Hello world", Script.latin), ("長江是中国最长的河流", .han), ("東京はとても大きい都市です", .japanese),
        ("Привет, мир", .cyrillic), ("مرحبا بالعالم", .arabic), ("สวัสดีครับ", .thai), ("नमस्ते दुनिया", .devanagari),
        ("안녕하세요", .hangul), ("12345 !!! 🎉", .common), ("Ελληνικά", .greek),
    ])
    func scripts(text: String, expected: Script) {
        #expect(ScriptProfile(text).dominant == expected)
    }
}

@Suite("Script profile fast path")
struct ScriptProfileTests {
    /// The plain definition: classify every scalar.
    func reference(_ text: String) -> (counts: [Script: Int], scalars: Int) {
        var counts: [Script: Int] = [:]
        for scalar in text.unicodeScalars where Script.of(scalar) != .common { counts[Script.of(scalar), default: 0] += 1 }
        return (counts, text.unicodeScalars.count)
    }

    @Test("equals per-scalar classification on random mixed text (property)")
    func property() {
        var rng = SeededRandom(seed: 3)
        let pieces = ["a", "Z", "`", "{", "@", "[", " ", "\n", "7", "é", "ß", "Ж", "中", "の", "😀", "\u{0301}", "ก",
                      "abcdefgh", "ABCDEFGHIJKLMNOP", "~~~~~~~~", "word word word "]
        for _ in 0..<3000 {
            let text = (0..<Int(rng.next() % 30)).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined()
            let fast = ScriptProfile(text)
            let slow = reference(text)
            #expect(fast.counts == slow.counts, "\(text.debugDescription)")
            #expect(fast.scalarCount == slow.scalars)
        }
    }

    @Test("every ASCII byte value in every lane of a word")
    func asciiLanes() {
        for byte in UInt8(0)..<0x80 {
            for lane in 0..<8 {
                var bytes = [UInt8](repeating: 0x2E, count: 8)
                bytes[lane] = byte
                let text = String(decoding: bytes, as: UTF8.self)
                #expect(ScriptProfile(text).counts == reference(text).counts, "byte \(byte) lane \(lane)")
            }
        }
    }
}

@Test("orderedParallelMap equals the sequential map for any count and thread count")
func orderedParallelMapKeepsOrder() {
    for count in [0, 1, 2, 7, 64, 1000] {
        for threads in [1, 2, 3, 16] {
            let mapped = orderedParallelMap(count: count, threads: threads) { String($0 * 31 % 17) }
            #expect(mapped == (0..<count).map { String($0 * 31 % 17) }, "count \(count), threads \(threads)")
        }
    }
}
