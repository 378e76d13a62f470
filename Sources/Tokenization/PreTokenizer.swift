/// The pre-tokenization patterns of known tokenizers, each implemented by a hand-written scanner.
///
/// Each scanner reproduces the leftmost-first match sequence of its regex (`regex` in the reference library,
/// applied as tiktoken's Rust fancy-regex or Hugging Face's Oniguruma apply it) on Unicode scalars decoded from
/// UTF-8, never on grapheme clusters. Character classes follow Unicode general categories: `\p{L}` is
/// Lu Ll Lt Lm Lo, `\p{N}` is Nd Nl No, `\p{M}` is Mn Mc Me, and `\s` is the Unicode White_Space property
/// (which excludes U+001C–U+001F). `$` is the end of the text only. Case-insensitive contractions accept the
/// simple case folds of their letters (`'S`, and `'ſ` since U+017F folds to `s`).
///
/// A byte sequence that is not valid UTF-8 is read one byte at a time, each byte as a scalar outside every
/// class (as U+FFFD would be), so the ranges still cover the input exactly.
public enum PreTokenizerPattern: String, Sendable, CaseIterable {
    case gpt2, cl100k, llama3, qwen2, o200k

    /// Splits UTF-8 text into pre-token byte ranges, in order, covering the text exactly (each byte once).
    public func split(_ utf8: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var pieces: [Range<Int>] = []
        pieces.reserveCapacity(utf8.count / 4 + 1)
        forEachPiece(utf8) { pieces.append($0) }
        return pieces
    }

    /// Calls `body` with each pre-token byte range, in order; the ranges cover the text exactly.
    public func forEachPiece(_ utf8: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) throws -> Void) rethrows {
        try scalarFlagTable.withUnsafeBufferPointer { table in
            let text = ScalarText(bytes: utf8, table: table)
            var start = 0
            while start < utf8.count {
                let end: Int
                switch self {
                case .gpt2: end = text.gpt2Piece(at: start)
                case .cl100k: end = text.cl100kPiece(at: start)
                case .llama3: end = text.llama3Piece(at: start, maxDigits: 3)
                case .qwen2: end = text.llama3Piece(at: start, maxDigits: 1)
                case .o200k: end = text.o200kPiece(at: start)
                }
                let next = Swift.max(end, start + 1)  // every branch consumes a scalar; never loop
                try body(start..<next)
                start = next
            }
        }
    }

    /// The regex this scanner implements, as the reference library writes it (for docs and the reference test).
    ///
    /// gpt2, cl100k and o200k: tiktoken 0.14.0's `tiktoken_ext/openai_public.py` (r50k_base, cl100k_base,
    /// o200k_base); llama3 and qwen2: the Split pre-tokenizer pattern of their `tokenizer.json`.
    public var regex: String {
        switch self {
        case .gpt2:
            return #"'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"#
        case .cl100k:
            return #"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$"#
                + #"|\s*[\r\n]|\s+(?!\S)|\s"#
        case .llama3:
            return #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"#
                + #"|\s*[\r\n]+|\s+(?!\S)|\s+"#
        case .qwen2:
            return #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"#
                + #"|\s*[\r\n]+|\s+(?!\S)|\s+"#
        case .o200k:
            let upper = #"[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]"#, lower = #"[\p{Ll}\p{Lm}\p{Lo}\p{M}]"#
            let prefix = #"[^\r\n\p{L}\p{N}]?"#, contraction = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)?"#
            return [
                prefix + upper + "*" + lower + "+" + contraction,
                prefix + upper + "+" + lower + "*" + contraction,
                #"\p{N}{1,3}"#,
                #" ?[^\s\p{L}\p{N}]+[\r\n/]*"#,
                #"\s*[\r\n]+"#,
                #"\s+(?!\S)"#,
                #"\s+"#,
            ].joined(separator: "|")
        }
    }
}

// MARK: - Scalar classes

/// Bit flags that classify one Unicode scalar for the scanners.
enum ScalarFlag {
    /// `\p{L}`: Lu Ll Lt Lm Lo.
    static let letter: UInt8 = 1 << 0
    /// `\p{N}`: Nd Nl No.
    static let number: UInt8 = 1 << 1
    /// o200k's `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]`.
    static let upperish: UInt8 = 1 << 2
    /// o200k's `[\p{Ll}\p{Lm}\p{Lo}\p{M}]`.
    static let lowerish: UInt8 = 1 << 3
    /// `\s`: the Unicode White_Space property.
    static let space: UInt8 = 1 << 4
    /// `[\r\n]`.
    static let newline: UInt8 = 1 << 5
    /// Past the end of the text (never set for a scalar).
    static let end: UInt8 = 1 << 7

    /// Letter, number or space: the complement of `[^\s\p{L}\p{N}]`, plus the end marker.
    static let notOther: UInt8 = letter | number | space | end
    /// The complement of `[^\r\n\p{L}\p{N}]`, plus the end marker.
    static let notPrefix: UInt8 = letter | number | newline | end

    /// The flags of one scalar, from its general category and the White_Space list.
    static func of(_ value: UInt32) -> UInt8 {
        guard let scalar = Unicode.Scalar(value) else { return 0 }
        var flags: UInt8 = 0
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .titlecaseLetter: flags = letter | upperish
        case .lowercaseLetter: flags = letter | lowerish
        case .modifierLetter, .otherLetter: flags = letter | upperish | lowerish
        case .nonspacingMark, .spacingMark, .enclosingMark: flags = upperish | lowerish
        case .decimalNumber, .letterNumber, .otherNumber: flags = number
        default: flags = 0
        }
        if isWhiteSpace(value) { flags |= space }
        if value == 0x0A || value == 0x0D { flags |= newline }
        return flags
    }

    /// The Unicode White_Space property (PropList.txt), as `\s` means in the reference engines.
    static func isWhiteSpace(_ value: UInt32) -> Bool {
        switch value {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }
}

/// Flags of every scalar in the Basic Multilingual Plane (surrogate code points get 0); built on first use.
private let scalarFlagTable: [UInt8] = (0..<UInt32(0x1_0000)).map { ScalarFlag.of($0) }

// MARK: - Scanning

/// UTF-8 text read as Unicode scalars, with the scanners of every pattern.
struct ScalarText {
    let bytes: UnsafeBufferPointer<UInt8>
    let table: UnsafeBufferPointer<UInt8>

    /// The flags and UTF-8 length of the scalar at byte offset `i`; `(ScalarFlag.end, 0)` at or past the end.
    @inline(__always)
    func scalar(at i: Int) -> (flags: UInt8, length: Int) {
        guard i < bytes.count else { return (ScalarFlag.end, 0) }
        let b0 = bytes[i]
        if b0 < 0x80 { return (table[Int(b0)], 1) }
        return decode(at: i, lead: b0)
    }

    /// Decodes a multi-byte scalar; an invalid sequence yields one byte with no flags.
    private func decode(at i: Int, lead b0: UInt8) -> (flags: UInt8, length: Int) {
        let remaining = bytes.count - i
        switch b0 {
        case 0xC2...0xDF:
            guard remaining >= 2, isContinuation(bytes[i + 1]) else { return (0, 1) }
            let value = UInt32(b0 & 0x1F) << 6 | UInt32(bytes[i + 1] & 0x3F)
            return (table[Int(value)], 2)
        case 0xE0...0xEF:
            guard remaining >= 3 else { return (0, 1) }
            let b1 = bytes[i + 1], b2 = bytes[i + 2]
            let low: UInt8 = b0 == 0xE0 ? 0xA0 : 0x80
            let high: UInt8 = b0 == 0xED ? 0x9F : 0xBF
            guard b1 >= low, b1 <= high, isContinuation(b2) else { return (0, 1) }
            let value = UInt32(b0 & 0x0F) << 12 | UInt32(b1 & 0x3F) << 6 | UInt32(b2 & 0x3F)
            return (table[Int(value)], 3)
        case 0xF0...0xF4:
            guard remaining >= 4 else { return (0, 1) }
            let b1 = bytes[i + 1], b2 = bytes[i + 2], b3 = bytes[i + 3]
            let low: UInt8 = b0 == 0xF0 ? 0x90 : 0x80
            let high: UInt8 = b0 == 0xF4 ? 0x8F : 0xBF
            guard b1 >= low, b1 <= high, isContinuation(b2), isContinuation(b3) else { return (0, 1) }
            let value = UInt32(b0 & 0x07) << 18 | UInt32(b1 & 0x3F) << 12 | UInt32(b2 & 0x3F) << 6
                | UInt32(b3 & 0x3F)
            return (ScalarFlag.of(value), 4)
        default:
            return (0, 1)
        }
    }

    @inline(__always)
    private func isContinuation(_ byte: UInt8) -> Bool { byte & 0xC0 == 0x80 }

    /// The offset after the longest run of scalars, from `i`, whose flags intersect `mask`.
    @inline(__always)
    func skip(_ mask: UInt8, from i: Int) -> Int {
        var j = i
        while true {
            let (flags, length) = scalar(at: j)
            if flags & mask == 0 { return j }
            j += length
        }
    }

    /// The offset after the longest run of scalars, from `i`, that are in `[^\s\p{L}\p{N}]`.
    @inline(__always)
    func skipOther(from i: Int) -> Int {
        var j = i
        while true {
            let (flags, length) = scalar(at: j)
            if flags & ScalarFlag.notOther != 0 { return j }
            j += length
        }
    }

    /// The offset after at most `limit` scalars of `\p{N}` from `i`.
    @inline(__always)
    func skipDigits(from i: Int, limit: Int) -> Int {
        var j = i
        for _ in 0..<limit {
            let (flags, length) = scalar(at: j)
            if flags & ScalarFlag.number == 0 { break }
            j += length
        }
        return j
    }

    /// The ASCII byte at `i`, or 0 past the end.
    @inline(__always)
    func byte(at i: Int) -> UInt8 { i < bytes.count ? bytes[i] : 0 }

    /// The end of a contraction starting at the apostrophe at `i` (`'s 't 'd 'm 'll 've 're`), or nil.
    ///
    /// Case-insensitive matching accepts the simple case folds: ASCII upper case and U+017F (ſ) for `s`.
    func contraction(at i: Int, ignoringCase: Bool) -> Int? {
        guard byte(at: i) == 0x27 else { return nil }
        let first = byte(at: i + 1)
        if ignoringCase && first == 0xC5 && byte(at: i + 2) == 0xBF { return i + 3 }  // 'ſ
        let fold: UInt8 = ignoringCase ? 0x20 : 0
        switch first | fold {
        case UInt8(ascii: "s"), UInt8(ascii: "d"), UInt8(ascii: "m"), UInt8(ascii: "t"):
            return i + 2
        case UInt8(ascii: "l"):
            return byte(at: i + 2) | fold == UInt8(ascii: "l") ? i + 3 : nil
        case UInt8(ascii: "v"), UInt8(ascii: "r"):
            return byte(at: i + 2) | fold == UInt8(ascii: "e") ? i + 3 : nil
        default:
            return nil
        }
    }

    /// Facts about the run of `\s` scalars starting at `i` (which must be one).
    struct SpaceRun {
        /// The offset after the run.
        var end: Int
        /// The offset of the run's last scalar.
        var lastStart: Int
        /// The offset after the run's last `[\r\n]`, or nil.
        var afterNewline: Int?
        /// The offset after the run's first scalar.
        var firstEnd: Int
    }

    /// Reads the run of `\s` scalars starting at `i`.
    @inline(__always)
    func spaceRun(from i: Int) -> SpaceRun {
        var run = SpaceRun(end: i, lastStart: i, afterNewline: nil, firstEnd: i)
        var j = i
        while true {
            let (flags, length) = scalar(at: j)
            if flags & ScalarFlag.space == 0 { break }
            run.lastStart = j
            j += length
            if flags & ScalarFlag.newline != 0 { run.afterNewline = j }
            if run.firstEnd == i { run.firstEnd = j }
        }
        run.end = j
        return run
    }

    // MARK: gpt2

    /// `'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s`
    func gpt2Piece(at i: Int) -> Int {
        if let end = contraction(at: i, ignoringCase: false) { return end }
        var (flags, length) = scalar(at: i)
        var start = i
        if bytes[i] == 0x20 {
            let next = scalar(at: i + 1)
            if next.flags & ScalarFlag.space == 0 && next.flags & ScalarFlag.end == 0 {
                // ` ?` then a letter, number or other run
                (flags, length) = next
                start = i + 1
            }
        }
        if flags & ScalarFlag.letter != 0 { return skip(ScalarFlag.letter, from: start + length) }
        if flags & ScalarFlag.number != 0 { return skip(ScalarFlag.number, from: start + length) }
        if flags & ScalarFlag.notOther == 0 { return skipOther(from: start + length) }
        let run = spaceRun(from: i)
        if run.end == bytes.count { return run.end }  // \s++$
        if run.lastStart > i { return run.lastStart }  // \s+(?!\S)
        return run.firstEnd  // \s
    }

    // MARK: cl100k

    /// `'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$`
    /// `|\s*[\r\n]|\s+(?!\S)|\s`
    func cl100kPiece(at i: Int) -> Int {
        if let end = contraction(at: i, ignoringCase: true) { return end }
        if let end = wordOrPunctuation(at: i, maxDigits: 3) { return end }
        let run = spaceRun(from: i)
        if run.end == bytes.count { return run.end }  // \s++$
        if let end = run.afterNewline { return end }  // \s*[\r\n]
        if run.lastStart > i { return run.lastStart }  // \s+(?!\S)
        return run.firstEnd  // \s
    }

    // MARK: llama3 / qwen2

    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*`
    /// `|\s*[\r\n]+|\s+(?!\S)|\s+`, with `\p{N}` for qwen2 (`maxDigits` 1).
    func llama3Piece(at i: Int, maxDigits: Int) -> Int {
        if let end = contraction(at: i, ignoringCase: true) { return end }
        if let end = wordOrPunctuation(at: i, maxDigits: maxDigits) { return end }
        return llamaSpace(at: i)
    }

    /// The alternatives shared by cl100k and llama3 between the contractions and the spaces:
    /// `[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,D}| ?[^\s\p{L}\p{N}]+[\r\n]*`; nil when `i` starts a space run that
    /// none of them matches.
    @inline(__always)
    func wordOrPunctuation(at i: Int, maxDigits: Int) -> Int? {
        let (flags, length) = scalar(at: i)
        if flags & ScalarFlag.letter != 0 { return skip(ScalarFlag.letter, from: i + length) }
        let next = scalar(at: i + length)
        if flags & ScalarFlag.notPrefix == 0 && next.flags & ScalarFlag.letter != 0 {
            return skip(ScalarFlag.letter, from: i + length + next.length)
        }
        if flags & ScalarFlag.number != 0 { return skipDigits(from: i, limit: maxDigits) }
        var otherStart = -1
        if flags & ScalarFlag.notOther == 0 {
            otherStart = i
        } else if bytes[i] == 0x20 && next.flags & ScalarFlag.notOther == 0 {
            otherStart = i + 1
        }
        guard otherStart >= 0 else { return nil }
        return skip(ScalarFlag.newline, from: skipOther(from: otherStart))
    }

    /// `\s*[\r\n]+|\s+(?!\S)|\s+` at the space run starting at `i`.
    @inline(__always)
    func llamaSpace(at i: Int) -> Int {
        let run = spaceRun(from: i)
        if let end = run.afterNewline { return end }  // \s*[\r\n]+
        if run.end == bytes.count { return run.end }  // \s+(?!\S) at the end
        if run.lastStart > i { return run.lastStart }  // \s+(?!\S)
        return run.firstEnd  // \s+ (one scalar before a non-space)
    }

    // MARK: o200k

    /// The seven alternatives of o200k (see `PreTokenizerPattern.regex`).
    func o200kPiece(at i: Int) -> Int {
        let (flags, length) = scalar(at: i)
        let prefixed = flags & ScalarFlag.notPrefix == 0
        let wordish = ScalarFlag.upperish | ScalarFlag.lowerish
        // First alternative: the optional prefix is tried with one scalar, then with none.
        if prefixed, let end = o200kLowerWord(from: i + length) { return end }
        if flags & wordish != 0, let end = o200kLowerWord(from: i) { return end }
        // Second alternative, likewise.
        if prefixed, let end = o200kUpperWord(from: i + length) { return end }
        if flags & ScalarFlag.upperish != 0, let end = o200kUpperWord(from: i) { return end }
        if flags & ScalarFlag.number != 0 { return skipDigits(from: i, limit: 3) }
        // ` ?[^\s\p{L}\p{N}]+[\r\n/]*`
        var otherStart = -1
        if flags & ScalarFlag.notOther == 0 {
            otherStart = i
        } else if bytes[i] == 0x20 && scalar(at: i + 1).flags & ScalarFlag.notOther == 0 {
            otherStart = i + 1
        }
        if otherStart >= 0 {
            var j = skipOther(from: otherStart)
            while true {
                let b = byte(at: j)
                guard b == 0x0A || b == 0x0D || b == 0x2F else { break }
                j += 1
            }
            return j
        }
        return llamaSpace(at: i)
    }

    /// `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+` then the optional contraction, from `j`.
    ///
    /// The greedy first class backs off until the second can match: to the first non-upperish scalar when it
    /// is lowerish, else to the run's last scalar that is both.
    func o200kLowerWord(from j: Int) -> Int? {
        var k = j
        var lastBoth: Int?
        while true {
            let (flags, length) = scalar(at: k)
            if flags & ScalarFlag.upperish == 0 { break }
            if flags & ScalarFlag.lowerish != 0 { lastBoth = k + length }
            k += length
        }
        let end: Int
        if scalar(at: k).flags & ScalarFlag.lowerish != 0 {
            end = skip(ScalarFlag.lowerish, from: k)
        } else if let after = lastBoth {
            end = after
        } else {
            return nil
        }
        return contraction(at: end, ignoringCase: true) ?? end
    }

    /// `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*` then the optional contraction, from `j`.
    func o200kUpperWord(from j: Int) -> Int? {
        let upperEnd = skip(ScalarFlag.upperish, from: j)
        guard upperEnd > j else { return nil }
        let end = skip(ScalarFlag.lowerish, from: upperEnd)
        return contraction(at: end, ignoringCase: true) ?? end
    }
}
