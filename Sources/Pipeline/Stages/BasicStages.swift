import CorpusCore
import Foundation

/// Keeps documents whose length lies within bounds: characters (Unicode scalars) and words.
///
/// A word is a whitespace-separated run, except that every Han or kana character counts as a word of its
/// own (Chinese and Japanese put no spaces between words), so one threshold serves mixed corpora.
/// Drop reasons: `too_few_chars`, `too_many_chars`, `too_few_words`, `too_many_words`.
public struct LengthFilter: Filter {
    public var minChars: Int
    public var maxChars: Int
    public var minWords: Int
    public var maxWords: Int

    public init(minChars: Int = 0, maxChars: Int = .max, minWords: Int = 0, maxWords: Int = .max) {
        self.minChars = minChars
        self.maxChars = maxChars
        self.minWords = minWords
        self.maxWords = maxWords
    }

    public func evaluate(_ document: Document) -> Decision {
        var chars = 0
        var words = 0
        var copy = document.text
        copy.withUTF8 { bytes in
            var inWord = false
            var i = 0
            let n = bytes.count
            let base = UnsafeRawPointer(bytes.baseAddress)
            while i < n {
                if i + 8 <= n, let base {
                    let v = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    if let (starts, endsInWord) = asciiWordStarts(v, inWord: inWord) {
                        words += starts
                        chars += 8
                        inWord = endsInWord
                        i += 8
                        continue
                    }
                }
                let b = bytes[i]
                chars += 1
                if b < 0x80 {
                    if b == 0x20 || (b >= 0x09 && b <= 0x0D) {
                        inWord = false
                    } else if !inWord {
                        inWord = true
                        words += 1
                    }
                    i += 1
                    continue
                }
                let (value, length) = decodeMultibyteScalar(bytes, at: i)
                i += length
                guard let scalar = Unicode.Scalar(value) else { continue }
                if scalar.properties.isWhitespace {
                    inWord = false
                } else if value >= 0x3040, Script.of(scalar) == .han || Script.of(scalar) == .japanese {
                    words += 1
                    inWord = false
                } else if !inWord {
                    inWord = true
                    words += 1
                }
            }
        }
        if chars < minChars { return .drop(reason: "too_few_chars", detail: "\(chars) < \(minChars) characters") }
        if chars > maxChars { return .drop(reason: "too_many_chars", detail: "\(chars) > \(maxChars) characters") }
        if words < minWords { return .drop(reason: "too_few_words", detail: "\(words) < \(minWords) words") }
        if words > maxWords { return .drop(reason: "too_many_words", detail: "\(words) > \(maxWords) words") }
        return .keep
    }
}

/// Word starts among eight ASCII bytes (a non-space byte after a space, or after `inWord == false` for the
/// first), and whether the last byte is inside a word; nil when a byte is not ASCII.
///
/// Per-byte masks without carries between bytes, exact for bytes below 0x80: `b < n` is the high bit of
/// `b + (0x80 − n)` clear; `b == 0x20` is the zero test `~(((y & 0x7f) + 0x7f) | y | 0x7f)` on `y = b ^ 0x20`.
/// Spaces are 0x20 and 0x09–0x0D, as in the byte loop.
@inline(__always)
func asciiWordStarts(_ v: UInt64, inWord: Bool) -> (Int, Bool)? {
    let ones: UInt64 = 0x0101_0101_0101_0101
    let highs = ones &* 0x80
    guard v & highs == 0 else { return nil }
    let low7 = ones &* 0x7F
    let below0E = ~(v &+ ones &* (0x80 - 0x0E)) & highs
    let below09 = ~(v &+ ones &* (0x80 - 0x09)) & highs
    let y = v ^ (ones &* 0x20)
    let isSpace = ~(((y & low7) &+ low7) | y | low7) & highs
    let space = isSpace | (below0E & ~below09)
    let previousSpace = (space << 8) | (inWord ? 0 : 0x80)
    let starts = ~space & highs & previousSpace
    return (starts.nonzeroBitCount, space >> 56 == 0)
}

/// Keeps documents written mostly in the allowed scripts.
///
/// The share of letters (Unicode scalars of a script other than `common`) that belong to an allowed script
/// must reach `minShare`. Drop reasons: `script_<dominant>` (e.g. `script_cyrillic`), `no_letters`.
public struct ScriptFilter: Filter {
    public var allowed: Set<Script>
    public var minShare: Double

    public init(allowed: Set<Script>, minShare: Double = 0.5) {
        self.allowed = allowed
        self.minShare = minShare
    }

    public func evaluate(_ document: Document) -> Decision {
        let profile = ScriptProfile(document.text)
        guard profile.letters > 0 else { return .drop(reason: "no_letters", detail: "the text has no letters") }
        let share = allowed.reduce(0.0) { $0 + profile.share(of: $1) }
        if share >= minShare { return .keep }
        let dominant = profile.dominant
        return .drop(reason: "script_\(dominant.rawValue)",
                     detail: "allowed scripts hold \(formatPercent(share * 100)) of letters (dominant: \(dominant.rawValue))")
    }
}

/// Normalizes whitespace: removes trailing spaces of every line, leading and trailing blank lines, and
/// collapses runs of blank lines to at most `maxBlankLines`; `\r\n` becomes `\n`. A document left empty is
/// dropped as `empty_after_trim`. Leading indentation and inner spaces are kept (code and poetry need them).
public struct TrimTransform: Transform {
    public var maxBlankLines: Int

    public init(maxBlankLines: Int = 1) { self.maxBlankLines = maxBlankLines }

    public func apply(to document: inout Document) -> Decision {
        var out: [UInt8] = []
        var unchanged = false
        var copy = document.text
        copy.withUTF8 { bytes in
            out.reserveCapacity(bytes.count)
            var blankRun = 0
            var wroteLine = false
            var lineStart = 0
            let n = bytes.count
            while lineStart <= n {
                var lineEnd = lineStart
                while lineEnd < n, bytes[lineEnd] != 0x0A { lineEnd += 1 }
                var end = lineEnd
                while end > lineStart {
                    let w = trailingWhitespaceWidth(bytes, start: lineStart, end: end)
                    if w == 0 { break }
                    end -= w
                }
                if end == lineStart {
                    blankRun += 1
                } else {
                    if wroteLine {
                        for _ in 0..<(1 + min(blankRun, maxBlankLines)) { out.append(0x0A) }
                    }
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[lineStart..<end]))
                    wroteLine = true
                    blankRun = 0
                }
                lineStart = lineEnd + 1
            }
            unchanged = out.withUnsafeBytes { memoryEqual($0, UnsafeRawBufferPointer(bytes)) }
        }
        guard !out.isEmpty else { return .drop(reason: "empty_after_trim", detail: "only whitespace") }
        if !unchanged { document.text = String(decoding: out, as: UTF8.self) }
        return .keep
    }
}

/// The byte width of the Unicode whitespace character that ends `bytes[start..<end]`, or 0.
///
/// White_Space scalars (the set `Unicode.Scalar.Properties.isWhitespace` tests): U+0009–000D, U+0020, U+0085,
/// U+00A0, U+1680, U+2000–200A, U+2028, U+2029, U+202F, U+205F, U+3000, matched on their UTF-8 bytes.
@inline(__always)
func trailingWhitespaceWidth(_ bytes: UnsafeBufferPointer<UInt8>, start: Int, end: Int) -> Int {
    let last = bytes[end - 1]
    if last == 0x20 || (last >= 0x09 && last <= 0x0D) { return 1 }
    if last < 0x80 { return 0 }
    if end - start >= 2, bytes[end - 2] == 0xC2, last == 0x85 || last == 0xA0 { return 2 }
    guard end - start >= 3 else { return 0 }
    let a = bytes[end - 3], b = bytes[end - 2]
    switch (a, b, last) {
    case (0xE1, 0x9A, 0x80), (0xE2, 0x80, 0x80...0x8A), (0xE2, 0x80, 0xA8), (0xE2, 0x80, 0xA9), (0xE2, 0x80, 0xAF),
         (0xE2, 0x81, 0x9F), (0xE3, 0x80, 0x80):
        return 3
    default:
        return 0
    }
}
