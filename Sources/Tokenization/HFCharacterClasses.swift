import CorpusCore

// The character classes that `tokenizers`' normalizers and pre-tokenizers test, each defined as the Rust crate
// it comes from defines it, because they disagree with each other and with today's Unicode:
//
// - `char::is_whitespace`, `char::is_numeric`, `char::to_lowercase` (Rust's standard library): current Unicode.
//   White_Space; general category N (Nd, Nl, No); the full lowercase mapping, scalar by scalar, no context.
// - `unicode_categories` 0.1.1 as published (BertNormalizer's control test, its non-spacing-mark filter, BERT and
//   Punctuation's punctuation): tables generated from the UnicodeData.txt of Unicode 8.0 (its repository has
//   Unicode 14.0 tables, never released); `is_other` is Cc, Cf and Co (not Cn, not Cs). A character assigned
//   after Unicode 8.0 is in none of its categories, so e.g. U+2E44 (Unicode 9.0, Po) is not punctuation.
// - `unicode-normalization-alignments` 0.1.12 (StripAccents' `is_combining_mark`): Unicode 9.0, general
//   category M (Mn, Mc, Me).
// - The `regex` crate (the Whitespace pre-tokenizer's `\w` and `\s`): Unicode 16.0; `\w` is Alphabetic, general
//   category M, Nd, Pc and Join_Control (UTS #18 Annex C); `\s` is White_Space.
//
// Swift's `Unicode.Scalar.Properties` give today's categories and the `age` of each scalar; a category "in
// Unicode 8.0" is today's category of a scalar whose age is at most 8.0 (categories of old characters that
// changed since then would show in the exhaustive reference tests, which compare every scalar).

/// The classes of one scalar, as bits.
struct HFCharacterClass: OptionSet, Sendable {
    let rawValue: UInt16

    /// Rust `char::is_whitespace`: White_Space (also the regex crate's `\s`).
    static let whitespace = HFCharacterClass(rawValue: 1 << 0)
    /// `unicode_categories` `is_other` (Unicode 8.0 Cc, Cf, Co): BertNormalizer's control characters, before
    /// its exception for tab, newline and carriage return.
    static let other8 = HFCharacterClass(rawValue: 1 << 1)
    /// ASCII punctuation or `unicode_categories` `is_punctuation` (Unicode 8.0 Pc, Pd, Ps, Pe, Pi, Pf, Po).
    static let punctuation = HFCharacterClass(rawValue: 1 << 2)
    /// `unicode_categories` `is_mark_nonspacing` (Unicode 8.0 Mn): what BertNormalizer's strip_accents drops.
    static let nonspacingMark8 = HFCharacterClass(rawValue: 1 << 3)
    /// `unicode-normalization-alignments` `is_combining_mark` (Unicode 9.0 Mn, Mc, Me): what StripAccents drops.
    static let combiningMark9 = HFCharacterClass(rawValue: 1 << 4)
    /// Rust `char::is_numeric`: general category Nd, Nl or No.
    static let numeric = HFCharacterClass(rawValue: 1 << 5)
    /// The regex crate's `\w`: Alphabetic, M, Nd, Pc, Join_Control.
    static let word = HFCharacterClass(rawValue: 1 << 6)
    /// BertNormalizer's `is_chinese_char`: the CJK ideograph blocks it pads with spaces.
    static let chinese = HFCharacterClass(rawValue: 1 << 7)
    /// Changes under Rust's `char::to_lowercase`.
    static let changesWhenLowercased = HFCharacterClass(rawValue: 1 << 8)
    /// Assigned after Unicode 9.0: no decomposition and combining class 0 in `tokenizers`' NFD.
    static let newerThanUnicode9 = HFCharacterClass(rawValue: 1 << 9)

    /// The classes of `value` (a Unicode scalar value; anything else has none).
    ///
    /// ```swift
    /// HFCharacterClass.of(0x3002).contains(.punctuation)   // true: "。" is Po
    /// ```
    ///
    /// - Complexity: O(1); a table lookup below U+20000 (the BMP and the plane of emoji), a few property queries
    ///   above.
    @inline(__always)
    static func of(_ value: UInt32) -> HFCharacterClass {
        value < 0x20000 ? HFCharacterClass(rawValue: table[Int(value)]) : compute(value)
    }

    /// The classes of every scalar below U+20000, computed once on first use (a few milliseconds).
    private static let table: [UInt16] = (0..<0x20000).map { compute(UInt32($0)).rawValue }

    /// The classes of `value` from Swift's Unicode properties.
    static func compute(_ value: UInt32) -> HFCharacterClass {
        guard let scalar = Unicode.Scalar(value) else { return [] }
        let properties = scalar.properties
        let category = properties.generalCategory
        var classes: HFCharacterClass = []
        if properties.isWhitespace { classes.insert(.whitespace) }
        let age = properties.age
        let inUnicode8 = age.map { $0.major <= 8 } ?? false
        let inUnicode9 = age.map { $0.major < 9 || ($0.major == 9 && $0.minor == 0) } ?? false
        switch category {
        case .control, .format, .privateUse:
            if inUnicode8 { classes.insert(.other8) }
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            if inUnicode8 { classes.insert(.punctuation) }
        case .nonspacingMark:
            if inUnicode8 { classes.insert(.nonspacingMark8) }
        case .decimalNumber, .letterNumber, .otherNumber:
            classes.insert(.numeric)
        default:
            break
        }
        if (0x21...0x7E).contains(value) && !isASCIIAlphanumeric(value) {  // Rust `is_ascii_punctuation`
            classes.insert(.punctuation)
        }
        switch category {
        case .nonspacingMark, .spacingMark, .enclosingMark:
            if inUnicode9 { classes.insert(.combiningMark9) }
        default:
            break
        }
        let inUnicode16 = age.map { $0.major <= 16 } ?? false
        switch category {
        case _ where !inUnicode16:
            break
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation:
            classes.insert(.word)
        default:
            if properties.isAlphabetic || properties.isJoinControl { classes.insert(.word) }
        }
        classes.formSymmetricDifference(changedSinceOldTables(value))
        if isChineseCharacter(value) { classes.insert(.chinese) }
        if properties.changesWhenLowercased { classes.insert(.changesWhenLowercased) }
        if !inUnicode9 { classes.insert(.newerThanUnicode9) }
        return classes
    }

    /// The classes an old table gives a scalar differently from its category today: characters whose general
    /// category changed after Unicode 8.0 (for `unicode_categories`) or 9.0 (for `is_combining_mark`), found by
    /// comparing every scalar with the reference.
    private static func changedSinceOldTables(_ value: UInt32) -> HFCharacterClass {
        switch value {
        case 0x111C9: [.punctuation, .nonspacingMark8, .combiningMark9]  // SHARADA SANDHI MARK: Po then, Mn now
        case 0x166D: .punctuation  // CANADIAN SYLLABICS CHI SIGN: Po then, So now
        case 0x1171E, 0x1734: .nonspacingMark8  // AHOM MEDIAL RA, HANUNOO PAMUDPOD: Mn then, Mc now
        case 0x1885, 0x1886, 0xA9BD: .nonspacingMark8  // MONGOLIAN ALI GALI BALUDA (Lo then), JAVANESE KERET (Mc)
        case 0x1CF2, 0x1CF3: .combiningMark9  // VEDIC SIGN ARDHAVISARGA, ROTATED ARDHAVISARGA: Mc then, Lo now
        default: []
        }
    }

    private static func isASCIIAlphanumeric(_ value: UInt32) -> Bool {
        (0x30...0x39).contains(value) || (0x41...0x5A).contains(value) || (0x61...0x7A).contains(value)
    }

    /// BertNormalizer's CJK ranges, exactly as `tokenizers` lists them (they skip U+2B820–U+2B91F, and the
    /// extensions after F).
    static func isChineseCharacter(_ value: UInt32) -> Bool {
        switch value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }
}

/// Appends the UTF-8 encoding of a scalar value.
@inline(__always)
func appendUTF8(_ value: UInt32, to out: inout [UInt8]) {
    switch value {
    case 0..<0x80:
        out.append(UInt8(value))
    case 0x80..<0x800:
        out.append(UInt8(0xC0 | (value >> 6)))
        out.append(UInt8(0x80 | (value & 0x3F)))
    case 0x800..<0x10000:
        out.append(UInt8(0xE0 | (value >> 12)))
        out.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
        out.append(UInt8(0x80 | (value & 0x3F)))
    default:
        out.append(UInt8(0xF0 | (value >> 18)))
        out.append(UInt8(0x80 | ((value >> 12) & 0x3F)))
        out.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
        out.append(UInt8(0x80 | (value & 0x3F)))
    }
}

/// Calls `body(value, range)` for each scalar of valid UTF-8 `bytes`, in order.
@inline(__always)
func forEachScalar(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (UInt32, Range<Int>) -> Void) {
    var i = 0
    while i < bytes.count {
        let (value, length) = bytes[i] < 0x80 ? (UInt32(bytes[i]), 1) : decodeMultibyteScalar(bytes, at: i)
        body(value, i..<(i + length))
        i += length
    }
}

/// Appends Rust's `char::to_lowercase` of the scalar `value` (the full mapping, e.g. "İ" → "i̇").
@inline(__always)
func appendLowercase(_ value: UInt32, to out: inout [UInt8]) {
    if value < 0x80 {
        out.append(value >= 0x41 && value <= 0x5A ? UInt8(value + 0x20) : UInt8(value))
        return
    }
    guard HFCharacterClass.of(value).contains(.changesWhenLowercased), let scalar = Unicode.Scalar(value) else {
        appendUTF8(value, to: &out)
        return
    }
    out.append(contentsOf: scalar.properties.lowercaseMapping.utf8)
}
