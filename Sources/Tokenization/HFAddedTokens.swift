import CorpusCore
import Foundation

/// Finds added tokens in text the way `tokenizers`' `AddedVocabulary::find_matches` does.
///
/// Matches are leftmost-longest and non-overlapping over all the tokens given (an Aho-Corasick automaton in the
/// reference). A matched special token is skipped, as with `encode_special_tokens = True`, so its text stays
/// ordinary text, yet it still hides whatever it overlaps. A `single_word` token is skipped when a word
/// character (`\w`) touches it on either side; `lstrip` widens a match over the white space before it (not past
/// the previous match), `rstrip` over the white space after it: that white space belongs to the token and
/// vanishes from the text.
///
/// ```swift
/// let matcher = AddedTokenMatcher([AddedToken(id: 9, content: Array("<x>".utf8), special: false, lstrip: true)],
///                                 normalizer: nil)
/// matcher.splits(Array("a  <x>b".utf8))   // [(nil, 0..<1), (9, 1..<6), (nil, 6..<7)]
/// ```
///
/// - Complexity: O(text length × longest pattern) to find matches; positions whose byte starts no pattern cost a
///   `memchr` step.
struct AddedTokenMatcher: Sendable {
    typealias Token = HFTokenizer.AddedToken

    /// The tokens, each with the bytes it is matched by (its content, normalized when `normalizer` was given).
    private let tokens: [(token: Token, pattern: [UInt8])]
    /// The patterns in a byte trie, each ending at its index in `tokens` (a pattern listed twice keeps the
    /// first index, as the reference's automaton does).
    private let trie: PieceTrie
    /// Whether some pattern starts with each byte: positions with no such byte are skipped without a trie step.
    private let firstBytes: [Bool]
    /// The one byte every pattern starts with (`<` in every real file), found with `memchr`; else nil.
    private let onlyFirstByte: UInt8?

    var isEmpty: Bool { tokens.isEmpty }

    init(_ tokens: [Token], normalizer: (any HFNormalizer)?) {
        let patterns = tokens.map { token in (token, normalizer?.normalize(token.content) ?? token.content) }
            .filter { !$0.1.isEmpty }
        var firstBytes = [Bool](repeating: false, count: 256)
        for entry in patterns { firstBytes[Int(entry.1[0])] = true }
        self.tokens = patterns.map { (token: $0.0, pattern: $0.1) }
        self.trie = PieceTrie(pieces: patterns.enumerated().map { ($1.1, Int32($0)) })
        self.firstBytes = firstBytes
        let starts = Set(patterns.map { $0.1[0] })
        self.onlyFirstByte = starts.count == 1 ? starts.first : nil
    }

    /// The text cut into added-token matches (with their id) and the stretches between them (id nil),
    /// covering `bytes` in order. Empty text gives one empty stretch.
    func splits(_ bytes: [UInt8]) -> [(id: UInt32?, range: Range<Int>)] {
        if tokens.isEmpty || bytes.isEmpty { return [(nil, 0..<bytes.count)] }
        var splits: [(id: UInt32?, range: Range<Int>)] = []
        var startOffset = 0
        var i = 0
        while i < bytes.count {
            i = nextCandidate(bytes, from: i)
            if i == bytes.count { break }
            guard let index = longestMatch(bytes, at: i) else {
                i += 1
                continue
            }
            let token = tokens[index].token
            var start = i
            var stop = i + tokens[index].pattern.count
            i = stop  // the automaton resumes after the match whether or not it is kept
            if token.special { continue }
            if token.singleWord && (endsWithWord(bytes, before: start) || startsWithWord(bytes, at: stop)) {
                continue
            }
            if token.lstrip { start = max(whiteSpaceStart(bytes, before: start), startOffset) }
            if token.rstrip { stop = whiteSpaceEnd(bytes, from: stop) }
            if startOffset < start { splits.append((nil, startOffset..<start)) }
            splits.append((token.id, start..<stop))
            startOffset = stop
            i = stop
        }
        if startOffset != bytes.count { splits.append((nil, startOffset..<bytes.count)) }
        return splits
    }

    /// The first position from `i` whose byte starts some pattern, or `bytes.count`.
    ///
    /// Why: this runs over every byte of every document, and a match is rare; comparing each position with
    /// every pattern that shares its first byte (DeepSeek-V3 has 818 added tokens, all starting with `<`, met at
    /// every HTML tag) cost 8% of encoding. `memchr` skips to the next `<`; the trie then rejects `<div` at its
    /// second byte.
    @inline(__always) private func nextCandidate(_ bytes: [UInt8], from i: Int) -> Int {
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress, i < buffer.count else { return buffer.count }
            if let only = onlyFirstByte {
                guard let found = memchr(base + i, Int32(only), buffer.count - i) else { return buffer.count }
                return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            }
            var k = i
            while k < buffer.count && !firstBytes[Int(buffer[k])] { k += 1 }
            return k
        }
    }

    /// The index of the longest pattern that starts at `i`, or nil.
    private func longestMatch(_ bytes: [UInt8], at i: Int) -> Int? {
        var node = 0
        var best: Int?
        var k = i
        while k < bytes.count, let next = trie.step(node, bytes[k]) {
            node = next.node
            if next.piece >= 0 { best = Int(next.piece) }
            k += 1
        }
        return best
    }

    // MARK: Scalar classes of the Rust `regex` crate, which the reference uses here

    /// `\w` in Unicode mode: Alphabetic, marks, decimal numbers, connector punctuation, Join_Control.
    static func isWord(_ value: UInt32) -> Bool {
        if value < 0x80 {
            let byte = UInt8(value)
            return (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || byte == 0x5F
        }
        guard let scalar = Unicode.Scalar(value) else { return false }
        let properties = scalar.properties
        if properties.isAlphabetic || properties.isJoinControl { return true }
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }

    /// `\s`: the White_Space property.
    static func isSpace(_ value: UInt32) -> Bool {
        ScalarFlag.isWhiteSpace(value)
    }

    /// The scalar that ends right before `i` (i > 0).
    private func scalar(before i: Int, in bytes: [UInt8]) -> (value: UInt32, start: Int) {
        var start = i - 1
        while start > 0 && bytes[start] & 0xC0 == 0x80 { start -= 1 }
        return (scalar(at: start, in: bytes).value, start)
    }

    private func scalar(at i: Int, in bytes: [UInt8]) -> (value: UInt32, length: Int) {
        if bytes[i] < 0x80 { return (UInt32(bytes[i]), 1) }
        return bytes.withUnsafeBufferPointer { decodeMultibyteScalar($0, at: i) }
    }

    private func endsWithWord(_ bytes: [UInt8], before i: Int) -> Bool {
        i > 0 && AddedTokenMatcher.isWord(scalar(before: i, in: bytes).value)
    }

    private func startsWithWord(_ bytes: [UInt8], at i: Int) -> Bool {
        i < bytes.count && AddedTokenMatcher.isWord(scalar(at: i, in: bytes).value)
    }

    /// The start of the white space run that ends at `i`.
    private func whiteSpaceStart(_ bytes: [UInt8], before i: Int) -> Int {
        var start = i
        while start > 0 {
            let previous = scalar(before: start, in: bytes)
            guard AddedTokenMatcher.isSpace(previous.value) else { break }
            start = previous.start
        }
        return start
    }

    /// The end of the white space run that starts at `i`.
    private func whiteSpaceEnd(_ bytes: [UInt8], from i: Int) -> Int {
        var end = i
        while end < bytes.count {
            let next = scalar(at: end, in: bytes)
            guard AddedTokenMatcher.isSpace(next.value) else { break }
            end += next.length
        }
        return end
    }
}
