/// SentencePiece's precompiled normalization rules (`NormalizerSpec.precompiled_charsmap`, e.g. `nmt_nfkc`).
///
/// The blob is `<trie size: UInt32 little-endian><double-array trie of that many bytes><replacement strings>`.
/// The trie is a darts-clone double array over UTF-8 bytes whose values are offsets of NUL-terminated replacement
/// strings. Normalizing takes, at each position, the longest rule that matches a prefix of the rest; where no rule
/// matches it copies one UTF-8 character, and an invalid UTF-8 byte becomes U+FFFD (one byte consumed), as
/// SentencePiece's `Normalizer::NormalizePrefix` does. Hugging Face's `Precompiled` normalizer reads the same blob.
///
/// ```swift
/// let charsmap = try PrecompiledCharsmap(blob: spec.precompiledCharsmap)
/// charsmap.normalize(Array("ｈｅｌｌｏ".utf8))           // Array("hello".utf8) with nmt_nfkc
/// charsmap.longestPrefix(Array("①x".utf8), at: 0)      // (replacement: "1" as bytes, length: 3)
/// ```
///
/// - Complexity: a lookup costs O(length of the longest matching rule); `normalize` is O(n) for n input bytes.
public struct PrecompiledCharsmap: Sendable {
    /// The double array's units.
    private let units: [UInt32]
    /// The replacement strings, each ended by a NUL byte.
    private let strings: [UInt8]

    /// Parses a precompiled charsmap blob.
    ///
    /// - Throws: `TokenizerError.malformedCharsmap` when the blob is shorter than its header says.
    /// - Complexity: O(blob size).
    public init(blob: [UInt8]) throws(TokenizerError) {
        guard blob.count > 4 else { throw .malformedCharsmap(reason: "blob of \(blob.count) bytes has no trie") }
        let trieSize = Int(blob[0]) | Int(blob[1]) << 8 | Int(blob[2]) << 16 | Int(blob[3]) << 24
        guard trieSize <= blob.count - 4 else {
            throw .malformedCharsmap(reason: "trie size \(trieSize) does not fit a blob of \(blob.count) bytes")
        }
        var units = [UInt32](repeating: 0, count: trieSize / 4)
        for k in 0..<units.count {
            let at = 4 + 4 * k
            units[k] = UInt32(blob[at]) | UInt32(blob[at + 1]) << 8 | UInt32(blob[at + 2]) << 16
                | UInt32(blob[at + 3]) << 24
        }
        self.units = units
        self.strings = Array(blob[(4 + trieSize)...])
    }

    /// The longest rule matching a prefix of `bytes[start...]`: its replacement bytes and the matched length.
    ///
    /// darts-clone's `commonPrefixSearch`: from the root, each byte moves to `node ^ offset ^ byte`, valid while
    /// that unit's label is the byte; a unit with a leaf marks a rule ending there. Out-of-range units (a broken
    /// blob) end the search instead of trapping.
    ///
    /// ```swift
    /// charsmap.longestPrefix(Array("ﬁ".utf8), at: 0)   // (replacement: [0x66, 0x69], length: 3)
    /// ```
    ///
    /// - Complexity: O(length of the match).
    public func longestPrefix(_ bytes: [UInt8], at start: Int) -> (replacement: ArraySlice<UInt8>, length: Int)? {
        guard !units.isEmpty, start < bytes.count else { return nil }
        var node = Int(Self.offset(units[0]))
        var found: (value: Int, length: Int)?
        var position = start
        while position < bytes.count {
            let byte = bytes[position]
            node ^= Int(byte)
            guard node < units.count else { break }
            let unit = units[node]
            guard Self.label(unit) == UInt32(byte) else { break }
            node ^= Int(Self.offset(unit))
            position += 1
            if Self.hasLeaf(unit) {
                guard node < units.count else { break }
                found = (Int(units[node] & 0x7FFF_FFFF), position - start)
            }
        }
        guard let match = found, match.value < strings.count else { return nil }
        var end = match.value
        while end < strings.count, strings[end] != 0 { end += 1 }
        return (strings[match.value..<end], match.length)
    }

    /// The replacement of the shortest rule that is a prefix of `bytes`, or nil: `spm_precompiled`'s
    /// `transform`, which `tokenizers`' `Precompiled` normalizer applies to a whole grapheme or character (the
    /// first result of a common-prefix search is the shortest).
    ///
    /// - Complexity: O(length of the match).
    public func shortestPrefix(_ bytes: [UInt8]) -> ArraySlice<UInt8>? {
        guard !units.isEmpty else { return nil }
        var node = Int(Self.offset(units[0]))
        for byte in bytes {
            node ^= Int(byte)
            guard node < units.count else { return nil }
            let unit = units[node]
            guard Self.label(unit) == UInt32(byte) else { return nil }
            node ^= Int(Self.offset(unit))
            if Self.hasLeaf(unit) {
                guard node < units.count else { return nil }
                let value = Int(units[node] & 0x7FFF_FFFF)
                guard value < strings.count else { return nil }
                var end = value
                while end < strings.count, strings[end] != 0 { end += 1 }
                return strings[value..<end]
            }
        }
        return nil
    }

    /// Whether some rule starts with `byte` (false: the byte alone is always copied unchanged).
    func hasRule(startingWith byte: UInt8) -> Bool {
        guard !units.isEmpty else { return false }
        let node = Int(Self.offset(units[0])) ^ Int(byte)
        return node < units.count && Self.label(units[node]) == UInt32(byte)
    }

    /// Applies the rules over the whole input (no whitespace handling; see `SentencePieceNormalizer` for that).
    ///
    /// ```swift
    /// charsmap.normalize(Array("Ａ\u{3000}ｂ".utf8))   // Array("A b".utf8) with nmt_nfkc
    /// ```
    ///
    /// - Complexity: O(n) for n = bytes.count (rules are short).
    public func normalize(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var position = 0
        while position < bytes.count {
            let step = normalizePrefix(bytes, at: position)
            switch step.replacement {
            case .rule(let replacement): out.append(contentsOf: replacement)
            case .copy: out.append(contentsOf: bytes[position..<(position + step.length)])
            case .invalidByte: out.append(contentsOf: SentencePieceUTF8.replacementCharacter)
            }
            position += step.length
        }
        return out
    }

    /// What one step of normalization does at a position.
    enum Step {
        case rule(ArraySlice<UInt8>)
        case copy
        case invalidByte
    }

    /// One step of `normalize`: the rule, or a copy of one valid UTF-8 character, or an invalid byte.
    func normalizePrefix(_ bytes: [UInt8], at start: Int) -> (replacement: Step, length: Int) {
        if let match = longestPrefix(bytes, at: start) { return (.rule(match.replacement), match.length) }
        return SentencePieceUTF8.characterStep(bytes, at: start)
    }

    @inline(__always) private static func hasLeaf(_ unit: UInt32) -> Bool { (unit >> 8) & 1 == 1 }
    @inline(__always) private static func label(_ unit: UInt32) -> UInt32 { unit & (1 << 31 | 0xFF) }
    @inline(__always) private static func offset(_ unit: UInt32) -> UInt32 {
        (unit >> 10) << ((unit & (1 << 9)) >> 6)
    }
}

/// UTF-8 as SentencePiece reads it (`string_util::DecodeUTF8`, `OneCharLen`).
enum SentencePieceUTF8 {
    /// U+FFFD REPLACEMENT CHARACTER in UTF-8.
    static let replacementCharacter: [UInt8] = [0xEF, 0xBF, 0xBD]

    /// The length of a valid UTF-8 character at `start` (no overlongs, no surrogates, at most U+10FFFF), or nil.
    ///
    /// SentencePiece also counts a literal U+FFFD as valid, which this does too (it is a valid character).
    static func validLength(_ bytes: [UInt8], at start: Int) -> Int? {
        let lead = bytes[start]
        let available = bytes.count - start
        if lead < 0x80 { return 1 }
        @inline(__always) func trail(_ k: Int) -> UInt32? {
            let byte = bytes[start + k]
            return byte & 0xC0 == 0x80 ? UInt32(byte & 0x3F) : nil
        }
        @inline(__always) func valid(_ scalar: UInt32) -> Bool { scalar < 0xD800 || (0xE000...0x10FFFF).contains(scalar) }
        if available >= 2, lead & 0xE0 == 0xC0, let b1 = trail(1) {
            let scalar = UInt32(lead & 0x1F) << 6 | b1
            return scalar >= 0x80 ? 2 : nil
        }
        if available >= 3, lead & 0xF0 == 0xE0, let b1 = trail(1), let b2 = trail(2) {
            let scalar = UInt32(lead & 0x0F) << 12 | b1 << 6 | b2
            return scalar >= 0x800 && valid(scalar) ? 3 : nil
        }
        if available >= 4, lead & 0xF8 == 0xF0, let b1 = trail(1), let b2 = trail(2), let b3 = trail(3) {
            let scalar = UInt32(lead & 0x07) << 18 | b1 << 12 | b2 << 6 | b3
            return scalar >= 0x10000 && valid(scalar) ? 4 : nil
        }
        return nil
    }

    /// `OneCharLen`: the length a lead byte announces (1 for ASCII and stray continuation bytes), clipped to the
    /// bytes left.
    @inline(__always) static func announcedLength(_ bytes: [UInt8], at start: Int) -> Int {
        let lead = bytes[start]
        let length = lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
        return min(length, bytes.count - start)
    }

    /// One character copied as is, or one invalid byte.
    static func characterStep(_ bytes: [UInt8], at start: Int) -> (replacement: PrecompiledCharsmap.Step, length: Int) {
        if let length = validLength(bytes, at: start) { return (.copy, length) }
        return (.invalidByte, 1)
    }
}
