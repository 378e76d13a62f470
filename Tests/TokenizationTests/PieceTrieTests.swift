import CorpusCore
import Testing

@testable import Tokenization

// PieceTrie (the double array) against HashPieceTrie (the hash-table trie it replaced) on random vocabularies:
// every common-prefix walk, exact lookup and walk from an inner node must agree.

@Suite("PieceTrie double array against the hash trie")
struct PieceTrieTests {
    /// A random vocabulary: byte strings over a small or a full byte alphabet, with shared prefixes (extensions of
    /// earlier keys), single bytes, bytes ≥ 0x80 and 0x00, repeated keys (the first id must win) and empty keys.
    private func randomVocabulary(_ generator: inout SplitMix64, count: Int, alphabet: [UInt8])
        -> [(bytes: [UInt8], id: Int32)]
    {
        var keys: [(bytes: [UInt8], id: Int32)] = []
        for id in 0..<count {
            let roll = Int.random(in: 0..<10, using: &generator)
            var bytes: [UInt8]
            if roll < 4, let earlier = keys.randomElement(using: &generator) {
                // An extension of an earlier key (or the key again, a duplicate).
                bytes = earlier.bytes
                for _ in 0..<Int.random(in: 0...3, using: &generator) {
                    bytes.append(alphabet.randomElement(using: &generator) ?? 0)
                }
            } else if roll == 4 {
                bytes = [UInt8.random(in: 0...255, using: &generator)]
            } else if roll == 5 && Int.random(in: 0..<20, using: &generator) == 0 {
                bytes = []
            } else {
                bytes = (0..<Int.random(in: 1...12, using: &generator)).map { _ in
                    alphabet.randomElement(using: &generator) ?? 0
                }
            }
            keys.append((bytes, Int32(id)))
        }
        return keys
    }

    /// Every (end, piece) a common-prefix walk from `start` finds, and where it stops.
    private func prefixes(_ step: (Int, UInt8) -> (node: Int, piece: Int32)?, _ text: [UInt8], from start: Int)
        -> [Int]
    {
        var found: [Int] = []
        var node = 0
        var position = start
        while position < text.count, let next = step(node, text[position]) {
            node = next.node
            position += 1
            if next.piece >= 0 { found += [position, Int(next.piece)] }
        }
        found.append(-position)
        return found
    }

    private func check(_ keys: [(bytes: [UInt8], id: Int32)], _ generator: inout SplitMix64, alphabet: [UInt8]) {
        let trie = PieceTrie(pieces: keys), reference = HashPieceTrie(pieces: keys)
        #expect(trie.nodeCount == reference.nodeCount)
        for (bytes, _) in keys {
            #expect(trie.id(of: bytes[...]) == reference.id(of: bytes[...]), "\(bytes)")
            // A key, a random tail, and everything in between: walks from every start must agree.
            let text = bytes + (0..<Int.random(in: 0...6, using: &generator)).map { _ in
                alphabet.randomElement(using: &generator) ?? 0
            }
            for start in 0..<text.count {
                #expect(prefixes(trie.step, text, from: start) == prefixes(reference.step, text, from: start))
            }
            // Walking in two parts from an inner node equals walking at once.
            let cut = Int.random(in: 0...text.count, using: &generator)
            let inner = trie.walk(0, text[..<cut]), innerReference = reference.walk(0, text[..<cut])
            #expect((inner == nil) == (innerReference == nil))
            if let inner, let innerReference {
                let end = trie.walk(inner, text[cut...]), endReference = reference.walk(innerReference, text[cut...])
                #expect((end == nil) == (endReference == nil))
                #expect(end.flatMap { trie.piece(at: $0) } == endReference.flatMap { reference.piece(at: $0) })
            }
        }
        // Random texts that mostly miss.
        for _ in 0..<50 {
            let text = (0..<Int.random(in: 0...20, using: &generator)).map { _ in
                alphabet.randomElement(using: &generator) ?? 0
            }
            for start in 0..<text.count {
                #expect(prefixes(trie.step, text, from: start) == prefixes(reference.step, text, from: start))
            }
            #expect(trie.id(of: text[...]) == reference.id(of: text[...]))
        }
        // Every single byte from the root (absent ones must not match a stray unit).
        for byte in 0...255 {
            let one = trie.step(0, UInt8(byte)), two = reference.step(0, UInt8(byte))
            #expect((one == nil) == (two == nil) && one?.piece == two?.piece, "byte \(byte)")
        }
    }

    @Test func smallAlphabets() {
        var generator = SplitMix64(state: 29)
        let small: [UInt8] = [0x61, 0x62, 0x63, 0xE2, 0x96, 0x81, 0x00, 0xFF]
        for _ in 0..<200 {
            let keys = randomVocabulary(&generator, count: Int.random(in: 0...60, using: &generator), alphabet: small)
            check(keys, &generator, alphabet: small)
        }
    }

    @Test func fullByteAlphabet() {
        var generator = SplitMix64(state: 31)
        let all = (0...255).map { UInt8($0) }
        for _ in 0..<20 {
            let keys = randomVocabulary(&generator, count: Int.random(in: 0...400, using: &generator), alphabet: all)
            check(keys, &generator, alphabet: all)
        }
    }

    /// A vocabulary large enough that the first-fit search drops holes from its free list (`maxFailures`).
    @Test func largeVocabulary() {
        var generator = SplitMix64(state: 37)
        let mixed = Array(UInt8(0x61)...UInt8(0x7A)) + [0xC3, 0xA9, 0xE2, 0x96, 0x81, 0xF0, 0x9F]
        let keys = randomVocabulary(&generator, count: 30000, alphabet: mixed)
            + (0...255).map { ([UInt8($0)], Int32(30000 + $0)) }
        check(keys, &generator, alphabet: mixed)
    }

    /// Ids past the unit's 24 bits go to the side table; lookups must still find them.
    @Test func idsBeyondTheUnitField() {
        var generator = SplitMix64(state: 41)
        let small: [UInt8] = [0x61, 0x62, 0xE2, 0x96, 0x81]
        let keys = randomVocabulary(&generator, count: 300, alphabet: small).map { key in
            (bytes: key.bytes, id: key.id % 3 == 0 ? key.id + 0xFF_FFF0 : key.id)
        }
        check(keys, &generator, alphabet: small)
        #expect(keys.contains { $0.id >= 0xFF_FFFE })
    }

    @Test func emptyTrie() {
        let trie = PieceTrie(pieces: [])
        #expect(trie.nodeCount == 1)
        #expect(trie.child(0, 0) == nil && trie.child(0, 255) == nil)
        #expect(trie.id(of: []) == nil && trie.piece(at: 0) == nil)
        #expect(trie.step(-1, 0) == nil && trie.piece(at: -1) == nil)
    }
}
