import CorpusCore

/// The normalized words of a text, with where each came from, for n-gram overlap.
///
/// Normalization (the same for evaluation records and training documents):
/// 1. The text is split at whitespace (Unicode White_Space).
/// 2. Each Han or kana character is a word of its own (Chinese and Japanese put no spaces between words).
/// 3. Inside a word, every character that is not a letter, a number or a combining mark is removed
///    (punctuation, symbols: `don't` → `dont`, `U.S.` → `us`, `(x)` → `x`); a word left empty is no word.
/// 4. Letters are lowercased (Unicode lowercase mapping, `Straße` → `straße`, `ÉTÉ` → `été`).
///
/// No Unicode normalization (NFC/NFKC) is applied; full-width digits stay different from ASCII digits.
public struct OverlapWords {
    /// Normalized words, concatenated; word `k` is `bytes[ends[k-1]..<ends[k]]`.
    public private(set) var bytes: [UInt8] = []
    public private(set) var ends: [Int] = []
    /// FNV-1a 64 of each word's normalized bytes.
    public private(set) var hashes: [UInt64] = []
    /// UTF-8 byte range of each word in the original text (first to last byte of the whitespace-separated
    /// token, punctuation included).
    public private(set) var spans: [Range<Int>] = []

    public var count: Int { ends.count }

    public init(_ text: String) {
        var copy = text
        copy.withUTF8 { scan($0) }
    }

    public func word(_ k: Int) -> ArraySlice<UInt8> { bytes[(k == 0 ? 0 : ends[k - 1])..<ends[k]] }

    public func string(_ k: Int) -> String { String(decoding: word(k), as: UTF8.self) }

    /// Words `from..<from+n` joined by single spaces.
    public func ngram(from: Int, n: Int) -> String { (from..<(from + n)).map(string).joined(separator: " ") }

    private mutating func scan(_ b: UnsafeBufferPointer<UInt8>) {
        let n = b.count
        var i = 0
        var wordStart = -1  // byte start of the current token in the text, -1 outside a token
        var tokenEnd = 0
        var emitted = bytes.count  // bytes.count at the start of the current word
        var hash: UInt64 = fnvOffset64
        func close(at end: Int) {
            if wordStart >= 0, bytes.count > emitted {
                ends.append(bytes.count)
                hashes.append(hash)
                spans.append(wordStart..<end)
            }
            wordStart = -1
            emitted = bytes.count
            hash = fnvOffset64
        }
        func append(_ c: UInt8) {
            bytes.append(c)
            hash = (hash ^ UInt64(c)) &* fnvPrime64
        }
        while i < n {
            let c = b[i]
            if c < 0x80 {
                if c == 0x20 || (c >= 0x09 && c <= 0x0D) {
                    close(at: tokenEnd)
                } else {
                    if wordStart < 0 { wordStart = i }
                    tokenEnd = i + 1
                    if c &- 0x41 < 26 { append(c | 0x20) } else if c &- 0x61 < 26 || c &- 0x30 < 10 { append(c) }
                }
                i += 1
                continue
            }
            let (value, length) = decodeMultibyteScalar(b, at: i)
            let start = i
            i += length
            // Fast path: CJK ideographs and kana letters are words of their own (no property lookups).
            if (0x4E00...0x9FFF).contains(value) || (0x3041...0x3096).contains(value)
                || (0x30A1...0x30FA).contains(value)
            {
                close(at: tokenEnd)
                wordStart = start
                for k in start..<i { append(b[k]) }
                tokenEnd = i
                close(at: i)
                continue
            }
            guard let scalar = Unicode.Scalar(value) else { continue }
            let p = scalar.properties
            if p.isWhitespace {
                close(at: tokenEnd)
                continue
            }
            let script = value >= 0x2E80 ? Script.of(scalar) : .common
            if script == .han || script == .japanese, p.isAlphabetic {
                close(at: tokenEnd)
                wordStart = start
                for byte in String(scalar).utf8 { append(byte) }
                tokenEnd = i
                close(at: i)
                continue
            }
            if wordStart < 0 { wordStart = start }
            tokenEnd = i
            if p.isAlphabetic || p.numericType != nil || p.generalCategory == .nonspacingMark
                || p.generalCategory == .spacingMark
            {
                if p.changesWhenLowercased {
                    for byte in p.lowercaseMapping.utf8 { append(byte) }
                } else {
                    for byte in String(scalar).utf8 { append(byte) }
                }
            }
        }
        close(at: tokenEnd)
    }
}

let fnvOffset64: UInt64 = 0xcbf2_9ce4_8422_2325
let fnvPrime64: UInt64 = 0x0000_0100_0000_01B3
