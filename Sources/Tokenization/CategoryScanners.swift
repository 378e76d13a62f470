import CorpusCore

/// Hand-written matchers for the Split regexes of the DeepSeek-V3 family (DeepSeek-V3, -V3.1, -V3.2, -R1, -V4,
/// DeepSeek-OCR, DeepSeek-VL2), which a `Sequence` of three Isolated Splits applies in turn.
///
/// Why not PCRE2 for these: PCRE2 10.42 (Debian 12) knows Unicode 14, while `tokenizers`' Oniguruma and Swift
/// know later versions, so letters added since (Egyptian hieroglyphs of Unicode 16, CJK extension I) were not
/// `\p{L}` for PCRE2 and documents split differently. These scanners classify scalars with Swift's Unicode
/// tables, like the other scanners, and are several times faster than the regex engine.
///
/// Each matcher reproduces `find_iter` of its regex: leftmost-first alternation, greedy quantifiers with the
/// backtracking the regex would do, `\s` = White_Space.
///
/// ```swift
/// CategoryScanner.digits3.matches(in: Array("a1234".utf8))   // [1..<4, 4..<5]
/// ```
///
/// - Complexity: O(text length), each scalar classified once per scan.
public enum CategoryScanner: String, HFMatcher, CaseIterable {
    /// `\p{N}{1,3}`
    case digits3
    /// `[一-龥぀-ゟ゠-ヿ]+`: CJK unified ideographs U+4E00–U+9FA5, hiragana and katakana blocks.
    case cjkKana
    /// DeepSeek-V3's word and punctuation pattern (`regex`).
    case deepseekWords

    /// The pattern as written in the tokenizer.json files.
    public var regex: String {
        switch self {
        case .digits3: return #"\p{N}{1,3}"#
        case .cjkKana: return "[一-龥぀-ゟ゠-ヿ]+"
        case .deepseekWords:
            // The files hold a real CR and LF inside the classes, not the escapes `\r` `\n`.
            return ##"[!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^"## + "\r\n" + #"\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+"#
                + #"| ?[\p{P}\p{S}]+["# + "\r\n" + #"]*|\s*["# + "\r\n" + #"]+|\s+(?!\S)|\s+"#
        }
    }

    /// The scanners by their regex as written in the files.
    public static let known: [String: CategoryScanner] = Dictionary(
        uniqueKeysWithValues: allCases.map { ($0.regex, $0) })

    public func matches(in buffer: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        // The flag table is bound once per call: reading the lazy global per scalar cost a `swift_once` check
        // and a retain each time (perf, DeepSeek-V3 encode).
        CategoryText.bmpFlags.withUnsafeBufferPointer { table in
            var ranges: [Range<Int>] = []
            forEachMatch(in: buffer, table: table) { ranges.append($0) }
            return ranges
        }
    }

    /// Calls `body` with each match of `buffer`, left to right, with the flag table (`CategoryText.bmpFlags`)
    /// bound by the caller: no array, so a chain of Splits costs nothing per piece but the scan.
    @inline(__always)
    func forEachMatch(
        in buffer: UnsafeBufferPointer<UInt8>, table: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void
    ) {
        let scan = CategoryText(bytes: buffer, table: table)
        var i = 0
        while i < buffer.count {
            let (flags, length) = scan.scalar(at: i)
            if let end = matchEnd(scan, at: i, flags: flags, length: length) {
                body(i..<end)
                i = end
            } else {
                i += length
            }
        }
    }

    /// The end of the match starting at `i`, or nil when none starts there.
    private func matchEnd(_ scan: CategoryText, at i: Int, flags: UInt8, length: Int) -> Int? {
        switch self {
        case .digits3:
            guard flags & CategoryText.number != 0 else { return nil }
            var end = i + length
            for _ in 0..<2 {
                let next = scan.scalar(at: end)
                guard end < scan.bytes.count, next.flags & CategoryText.number != 0 else { break }
                end += next.length
            }
            return end
        case .cjkKana:
            guard flags & CategoryText.cjkKana != 0 else { return nil }
            return scan.skip(CategoryText.cjkKana, from: i + length)
        case .deepseekWords:
            return deepseekWordsEnd(scan, at: i, flags: flags, length: length)
        }
    }

    private func deepseekWordsEnd(_ scan: CategoryText, at i: Int, flags: UInt8, length: Int) -> Int? {
        let bytes = scan.bytes
        let letterOrMark = CategoryText.letter | CategoryText.mark
        let punctOrSymbol = CategoryText.punctuation | CategoryText.symbol
        // [ASCII punctuation][A-Za-z]+
        if length == 1, flags & punctOrSymbol != 0, i + 1 < bytes.count, CategoryText.isASCIILetter(bytes[i + 1]) {
            var end = i + 2
            while end < bytes.count && CategoryText.isASCIILetter(bytes[end]) { end += 1 }
            return end
        }
        // [^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+
        if flags & letterOrMark != 0 { return scan.skip(letterOrMark, from: i + length) }
        if flags & (CategoryText.newline | CategoryText.letter | punctOrSymbol) == 0, i + length < bytes.count,
            scan.scalar(at: i + length).flags & letterOrMark != 0 {
            return scan.skip(letterOrMark, from: i + length)
        }
        // ` ?[\p{P}\p{S}]+[\r\n]*`
        var start = i
        if bytes[i] == 0x20, i + 1 < bytes.count, scan.scalar(at: i + 1).flags & punctOrSymbol != 0 { start = i + 1 }
        if start > i || flags & punctOrSymbol != 0 {
            let end = scan.skip(punctOrSymbol, from: start)
            var tail = end
            while tail < bytes.count && (bytes[tail] == 0x0A || bytes[tail] == 0x0D) { tail += 1 }
            return tail
        }
        guard flags & CategoryText.space != 0 else { return nil }
        // `\s*[\r\n]+`: the space run, given back to just after its last line break.
        let runEnd = scan.skip(CategoryText.space, from: i)
        var lastBreakEnd = -1
        var k = i
        while k < runEnd {
            if bytes[k] == 0x0A || bytes[k] == 0x0D { lastBreakEnd = k + 1 }
            k += scan.scalar(at: k).length
        }
        if lastBreakEnd > 0 { return lastBreakEnd }
        // `\s+(?!\S)`, then `\s+`: the run, less its last scalar when a non-space follows and more than one remains.
        if runEnd == bytes.count { return runEnd }
        var lastStart = runEnd - 1
        while lastStart > i && bytes[lastStart] & 0xC0 == 0x80 { lastStart -= 1 }
        return lastStart > i ? lastStart : runEnd
    }
}

/// UTF-8 text with the general-category flags the category scanners test.
struct CategoryText {
    static let letter: UInt8 = 1, number: UInt8 = 2, punctuation: UInt8 = 4, symbol: UInt8 = 8
    static let mark: UInt8 = 16, space: UInt8 = 32, newline: UInt8 = 64, cjkKana: UInt8 = 128

    let bytes: UnsafeBufferPointer<UInt8>
    /// `bmpFlags`, bound by the caller.
    let table: UnsafeBufferPointer<UInt8>

    /// Flags of every BMP scalar, built once (64 KiB).
    static let bmpFlags: [UInt8] = (0..<0x10000).map { flags(of: UInt32($0)) }

    static func flags(of value: UInt32) -> UInt8 {
        guard let scalar = Unicode.Scalar(value) else { return 0 }
        var flags: UInt8
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: flags = letter
        case .decimalNumber, .letterNumber, .otherNumber: flags = number
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation: flags = punctuation
        case .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol: flags = symbol
        case .nonspacingMark, .spacingMark, .enclosingMark: flags = mark
        default: flags = 0
        }
        if ScalarFlag.isWhiteSpace(value) { flags |= space }
        if value == 0x0A || value == 0x0D { flags |= newline }
        switch value {
        case 0x4E00...0x9FA5, 0x3040...0x309F, 0x30A0...0x30FF: flags |= cjkKana
        default: break
        }
        return flags
    }

    static func isASCIILetter(_ byte: UInt8) -> Bool { byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A }

    /// The flags and byte length of the scalar at `i` (0 flags past the end; invalid UTF-8 one byte at a time).
    func scalar(at i: Int) -> (flags: UInt8, length: Int) {
        guard i < bytes.count else { return (0, 1) }
        let lead = bytes[i]
        if lead < 0x80 { return (table[Int(lead)], 1) }
        let (value, length) = decodeMultibyteScalar(bytes, at: i)
        if value < 0x10000 { return (table[Int(value)], length) }
        return (CategoryText.flags(of: value), length)
    }

    /// The end of the run of scalars having any of `mask` that starts at `i`.
    func skip(_ mask: UInt8, from i: Int) -> Int {
        var j = i
        while j < bytes.count {
            let (flags, length) = scalar(at: j)
            guard flags & mask != 0 else { break }
            j += length
        }
        return j
    }
}
