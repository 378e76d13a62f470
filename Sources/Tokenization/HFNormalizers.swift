import CorpusCore
import Foundation

// The generic tokenizer.json normalizers (BertNormalizer, Lowercase, Strip, StripAccents, Replace, Prepend), each
// equal to `tokenizers`' on the normalized text. Character classes are `HFCharacterClass`'s (whose comment says
// which Rust crate and Unicode version each comes from). Offsets are not kept.

/// `BertNormalizer`: clean the text, pad CJK ideographs with spaces, strip accents, lowercase, in that order.
///
/// - `clean_text`: drops U+0000, U+FFFD and the control characters (Unicode 8.0 Cc, Cf, Co, except tab, line
///   feed and carriage return), then maps every whitespace character (White_Space) to a space.
/// - `handle_chinese_chars`: puts a space before and after each ideograph of BERT's CJK ranges.
/// - `strip_accents` (null: the value of `lowercase`): NFD, then drops the non-spacing marks (Unicode 8.0 Mn).
/// - `lowercase`: Rust's `char::to_lowercase`, scalar by scalar.
///
/// ```swift
/// let bert = HFBertNormalizer(cleanText: true, handleChineseChars: true, stripAccents: nil, lowercase: true)
/// bert.normalize(Array("Héllo\t中".utf8))   // "hello  中 " as UTF-8
/// ```
///
/// - Complexity: O(n) in the text length; text with no byte at or above 0x80 never leaves the byte loop.
public struct HFBertNormalizer: HFNormalizer {
    public let cleanText: Bool
    public let handleChineseChars: Bool
    /// The resolved flag (`strip_accents`, or `lowercase` when the file says null).
    public let stripAccents: Bool
    public let lowercase: Bool

    public init(cleanText: Bool, handleChineseChars: Bool, stripAccents: Bool?, lowercase: Bool) {
        self.cleanText = cleanText
        self.handleChineseChars = handleChineseChars
        self.stripAccents = stripAccents ?? lowercase
        self.lowercase = lowercase
    }

    public func normalize(_ text: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count + text.count / 8)
        // Lowercasing can join the first pass unless NFD has to come between.
        let lowercaseNow = lowercase && !stripAccents
        var ascii = true
        text.withUnsafeBufferPointer { buffer in
            var i = 0
            while i < buffer.count {
                let byte = buffer[i]
                if byte < 0x80 {
                    i += 1
                    if cleanText && (byte < 0x20 || byte == 0x7F) {
                        if byte == 0x09 || byte == 0x0A || byte == 0x0D { out.append(0x20) }
                        continue  // every other ASCII control is Cc
                    }
                    out.append(lowercaseNow && byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte)
                    continue
                }
                ascii = false
                let (value, length) = decodeMultibyteScalar(buffer, at: i)
                i += length
                let classes = HFCharacterClass.of(value)
                if cleanText {
                    if value == 0xFFFD || classes.contains(.other8) { continue }
                    if classes.contains(.whitespace) {
                        out.append(0x20)
                        continue
                    }
                }
                if handleChineseChars && classes.contains(.chinese) {
                    out.append(0x20)
                    appendUTF8(value, to: &out)
                    out.append(0x20)
                    continue
                }
                if lowercaseNow {
                    appendLowercase(value, to: &out)
                } else {
                    appendUTF8(value, to: &out)
                }
            }
        }
        guard stripAccents else { return out }
        if ascii {
            if lowercase { HFLowercase.lowercaseASCII(&out) }
            return out
        }
        let decomposed = canonicalDecomposition(out)
        var result: [UInt8] = []
        result.reserveCapacity(decomposed.count)
        decomposed.withUnsafeBufferPointer { buffer in
            forEachScalar(buffer) { value, _ in
                if value >= 0x80 && HFCharacterClass.of(value).contains(.nonspacingMark8) { return }
                if lowercase {
                    appendLowercase(value, to: &result)
                } else {
                    appendUTF8(value, to: &result)
                }
            }
        }
        return result
    }
}

/// NFD of valid UTF-8 as `tokenizers` computes it, with the Unicode 9.0 tables of
/// `unicode-normalization-alignments`: a scalar assigned later has no decomposition and combining class 0.
///
/// Each scalar is replaced by its full decomposition (from `HFDecompositionTables`), then every run of
/// non-starters is sorted by combining class, stably (the canonical ordering), as the Rust crate does. Foundation's
/// NFD is not used on the text: it decomposes scalars newer than Unicode 9.0 (U+11938), and it leaves the marks
/// of a starter that decomposes into non-starters unsorted ("\u{F81}\u{301}" gives 301, F71, F80; the crate
/// and this function give F71, F80, 301).
///
/// ```swift
/// canonicalDecomposition(Array("é".utf8))   // "e\u{301}"
/// ```
///
/// - Complexity: O(n) for text whose runs of combining marks are short (sorting a run of k marks is O(k²)).
func canonicalDecomposition(_ bytes: [UInt8]) -> [UInt8] {
    if !bytes.contains(where: { $0 >= 0x80 }) { return bytes }
    let tables = HFDecompositionTables.shared
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count + bytes.count / 4)
    // Marks waiting for their canonical order. Plain locals passed inout, not captured by nested functions: the
    // captures were boxed and every access paid a dynamic exclusivity check (perf: 5% of BERT encoding).
    var marks: [(combiningClass: UInt8, value: UInt32)] = []
    bytes.withUnsafeBufferPointer { buffer in
        var i = 0
        while i < buffer.count {
            if buffer[i] < 0x80 {
                flushCombiningMarks(&marks, into: &out)
                var end = i + 1
                while end < buffer.count && buffer[end] < 0x80 { end += 1 }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[i..<end]))
                i = end
                continue
            }
            let (value, length) = decodeMultibyteScalar(buffer, at: i)
            i += length
            if let decomposition = tables.decomposition(value) {
                for part in decomposition { addDecomposed(part, tables, &marks, &out) }
            } else {
                addDecomposed(value, tables, &marks, &out)
            }
        }
    }
    flushCombiningMarks(&marks, into: &out)
    return out
}

/// One scalar of `canonicalDecomposition`'s output: a starter flushes the waiting marks and is written; a mark
/// waits.
@inline(__always) private func addDecomposed(
    _ value: UInt32, _ tables: HFDecompositionTables, _ marks: inout [(combiningClass: UInt8, value: UInt32)],
    _ out: inout [UInt8]
) {
    let combiningClass = tables.combiningClass(value)
    if combiningClass == 0 {
        flushCombiningMarks(&marks, into: &out)
        appendUTF8(value, to: &out)
    } else {
        marks.append((combiningClass, value))
    }
}

/// Writes the waiting marks in canonical order (a stable insertion sort by combining class) and empties them.
private func flushCombiningMarks(_ marks: inout [(combiningClass: UInt8, value: UInt32)], into out: inout [UInt8]) {
    if marks.isEmpty { return }
    for i in 1..<max(1, marks.count) {
        var j = i
        while j > 0 && marks[j - 1].combiningClass > marks[j].combiningClass {
            marks.swapAt(j - 1, j)
            j -= 1
        }
    }
    for mark in marks { appendUTF8(mark.value, to: &out) }
    marks.removeAll(keepingCapacity: true)
}

/// The Unicode 9.0 canonical decompositions and combining classes that `canonicalDecomposition` uses.
///
/// Built once from Foundation: every candidate scalar (U+0080–U+1FFFF and the CJK compatibility ideographs
/// U+2F800–U+2FA1F; nothing else above decomposes or combines) of Unicode 9.0 or older is decomposed in one
/// string, separated by U+0001, a starter that never occurs in a decomposition.
///
/// ```swift
/// HFDecompositionTables.shared.decomposition(0xE9)   // [0x65, 0x301]
/// ```
///
/// - Complexity: built in one pass over about 130,000 scalars; lookups are O(1).
struct HFDecompositionTables: Sendable {
    static let shared = HFDecompositionTables()

    /// Per scalar below U+20000: the combining class in the low byte, bit 8 set when it decomposes.
    private let info: [UInt16]
    /// The full canonical decomposition of each scalar that has one.
    private let decompositions: [UInt32: [UInt32]]

    private init() {
        var info = [UInt16](repeating: 0, count: 0x20000)
        var candidates: [UInt32] = []
        var text = String.UnicodeScalarView()
        for value in Array(UInt32(0x80)..<0x20000) + Array(UInt32(0x2F800)...0x2FA1F) {
            guard let scalar = Unicode.Scalar(value), let age = scalar.properties.age, age.major <= 9 else { continue }
            if value < 0x20000 { info[Int(value)] = UInt16(scalar.properties.canonicalCombiningClass.rawValue) }
            candidates.append(value)
            text.append(scalar)
            text.append("\u{1}")
        }
        var decompositions: [UInt32: [UInt32]] = [:]
        var index = 0
        var current: [UInt32] = []
        for scalar in String(text).decomposedStringWithCanonicalMapping.unicodeScalars {
            guard scalar.value == 1 else {
                current.append(scalar.value)
                continue
            }
            let value = candidates[min(index, candidates.count - 1)]
            if current != [value] {
                decompositions[value] = current
                if value < 0x20000 { info[Int(value)] |= 0x100 }
            }
            current.removeAll(keepingCapacity: true)
            index += 1
        }
        self.info = info
        self.decompositions = decompositions
    }

    /// The canonical combining class of `value` in Unicode 9.0 (0 for later scalars).
    @inline(__always)
    func combiningClass(_ value: UInt32) -> UInt8 {
        value < 0x20000 ? UInt8(truncatingIfNeeded: info[Int(value)]) : 0
    }

    /// The full decomposition of `value`, or nil when it has none.
    @inline(__always)
    func decomposition(_ value: UInt32) -> [UInt32]? {
        if value < 0x20000 {
            return info[Int(value)] & 0x100 == 0 ? nil : decompositions[value]
        }
        return value >= 0x2F800 && value <= 0x2FA1F ? decompositions[value] : nil
    }
}

/// `Lowercase`: Rust's `char::to_lowercase` on every scalar (the full mapping, without context: final sigma
/// becomes σ like any other).
///
/// ```swift
/// HFLowercase().normalize(Array("ÀΣ".utf8))   // "àσ" as UTF-8
/// ```
///
/// - Complexity: O(n).
public struct HFLowercase: HFNormalizer {
    public init() {}

    public func normalize(_ text: [UInt8]) -> [UInt8] {
        if !text.contains(where: { $0 >= 0x80 }) {
            var out = text
            HFLowercase.lowercaseASCII(&out)
            return out
        }
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        text.withUnsafeBufferPointer { buffer in
            forEachScalar(buffer) { value, _ in appendLowercase(value, to: &out) }
        }
        return out
    }

    static func lowercaseASCII(_ bytes: inout [UInt8]) {
        for i in bytes.indices where bytes[i] >= 0x41 && bytes[i] <= 0x5A { bytes[i] += 0x20 }
    }
}

/// `Nmt`: drops ASCII and C1 control characters (U+0001–U+0008, U+000B, U+000E–U+001F, U+007F, U+008F,
/// U+009F) and turns other separators into a space (tab, LF, FF, CR, U+1680, U+200B–U+200F, U+2028, U+2029,
/// U+2581, U+FEFF, U+FFFD), as `tokenizers`' NMT normalizer (SentencePiece's nmt_nfkc rules without the NFKC).
///
/// ```swift
/// HFNmt().normalize(Array("a\u{1}\tb\u{200B}".utf8))   // "a b "
/// ```
///
/// - Complexity: O(n).
public struct HFNmt: HFNormalizer {
    public init() {}

    public func normalize(_ text: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        text.withUnsafeBufferPointer { buffer in
            forEachScalar(buffer) { value, _ in
                switch value {
                case 0x01...0x08, 0x0B, 0x0E...0x1F, 0x7F, 0x8F, 0x9F:
                    break
                case 0x09, 0x0A, 0x0C, 0x0D, 0x1680, 0x200B...0x200F, 0x2028, 0x2029, 0x2581, 0xFEFF, 0xFFFD:
                    out.append(0x20)
                default:
                    appendUTF8(value, to: &out)
                }
            }
        }
        return out
    }
}

/// The `ByteLevel` normalizer: every UTF-8 byte becomes its character of the GPT-2 byte-level alphabet (what
/// the ByteLevel pre-tokenizer does, without splitting).
///
/// ```swift
/// HFByteLevelNormalizer().normalize(Array(" é".utf8))   // "ĠÃ©" as UTF-8
/// ```
///
/// - Complexity: O(n).
public struct HFByteLevelNormalizer: HFNormalizer {
    public init() {}

    public func normalize(_ text: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count * 2)
        for byte in text { appendUTF8(ByteLevelAlphabet.scalar(of: byte), to: &out) }
        return out
    }
}

/// `Strip`: removes leading (`strip_left`) and trailing (`strip_right`) whitespace (White_Space).
///
/// ```swift
/// HFStrip(left: true, right: false).normalize(Array(" \u{3000}a ".utf8))   // "a "
/// ```
///
/// - Complexity: O(n).
public struct HFStrip: HFNormalizer {
    public let left: Bool
    public let right: Bool

    public init(left: Bool, right: Bool) {
        self.left = left
        self.right = right
    }

    public func normalize(_ text: [UInt8]) -> [UInt8] {
        var start = 0, end = 0
        var sawContent = false
        text.withUnsafeBufferPointer { buffer in
            forEachScalar(buffer) { value, range in
                if HFCharacterClass.of(value).contains(.whitespace) {
                    if !sawContent && left { start = range.upperBound }
                    if !right { end = range.upperBound }
                } else {
                    sawContent = true
                    end = range.upperBound
                }
            }
        }
        if !sawContent && left { return [] }
        if !sawContent { return right ? [] : text }
        return Array(text[start..<end])
    }
}

/// `StripAccents`: drops every combining mark (Unicode 9.0 Mn, Mc, Me); usually after an NFD normalizer.
///
/// ```swift
/// HFStripAccents().normalize(Array("e\u{301}".utf8))   // "e"
/// ```
///
/// - Complexity: O(n).
public struct HFStripAccents: HFNormalizer {
    public init() {}

    public func normalize(_ text: [UInt8]) -> [UInt8] {
        if !text.contains(where: { $0 >= 0x80 }) { return text }
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        text.withUnsafeBufferPointer { buffer in
            forEachScalar(buffer) { value, range in
                if value >= 0x80 && HFCharacterClass.of(value).contains(.combiningMark9) { return }
                out.append(contentsOf: buffer[range])
            }
        }
        return out
    }
}

/// `Replace` with a literal pattern: every non-overlapping occurrence, from the left, becomes `content`.
///
/// `tokenizers` escapes a `String` pattern into a regex and replaces its matches, which is the same thing.
///
/// ```swift
/// HFReplace(pattern: Array("``".utf8), content: Array("\"".utf8)).normalize(Array("``a``".utf8))   // "\"a\""
/// ```
///
/// - Complexity: O(n × pattern length) in the worst case.
public struct HFReplace: HFNormalizer {
    public let pattern: [UInt8]
    public let content: [UInt8]

    /// `pattern` must not be empty (the loader rejects an empty one as unsupported).
    public init(pattern: [UInt8], content: [UInt8]) {
        self.pattern = pattern
        self.content = content
    }

    public func normalize(_ text: [UInt8]) -> [UInt8] {
        replacingLiteral(text, pattern, with: content)
    }
}

/// `Prepend`: puts `prepend` before any non-empty text.
///
/// ```swift
/// HFPrepend(Array("▁".utf8)).normalize(Array("a".utf8))   // "▁a"
/// ```
///
/// - Complexity: O(n).
public struct HFPrepend: HFNormalizer {
    public let prefix: [UInt8]
    public init(_ prefix: [UInt8]) { self.prefix = prefix }

    public func normalize(_ text: [UInt8]) -> [UInt8] {
        text.isEmpty ? text : prefix + text
    }
}

/// `Precompiled` (a SentencePiece charsmap in a tokenizer.json, T5 / XLM-R / mT5 files), as `tokenizers` applies it.
///
/// Not SentencePiece's own longest-match walk (`SentencePieceNormalizer`): `tokenizers` goes grapheme by
/// grapheme; a grapheme under 6 bytes that a rule starts is replaced whole by that rule's output (the shortest
/// matching rule, as `spm_precompiled`'s `transform` returns), else each of its characters is looked up alone
/// and kept when no rule starts it. Graphemes are the one place where the reference itself segments text by
/// extended grapheme clusters, so this follows it with Swift's `Character`s.
///
/// ```swift
/// HFPrecompiled(charsmap: nmtNFKC).normalize(Array("ｆｕｌｌ".utf8))   // "full"
/// ```
///
/// - Complexity: O(n) for n bytes (rules are short).
public struct HFPrecompiled: HFNormalizer {
    public let charsmap: PrecompiledCharsmap

    public init(charsmap: PrecompiledCharsmap) { self.charsmap = charsmap }

    public func normalize(_ text: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        for grapheme in String(decoding: text, as: UTF8.self) {
            let bytes = Array(grapheme.utf8)
            if bytes.count < 6, let replacement = charsmap.shortestPrefix(bytes) {
                out.append(contentsOf: replacement)
                continue
            }
            for scalar in grapheme.unicodeScalars {
                let character = Array(String(scalar).utf8)
                if let replacement = charsmap.shortestPrefix(character) {
                    out.append(contentsOf: replacement)
                } else {
                    out.append(contentsOf: character)
                }
            }
        }
        return out
    }
}

/// `Replace` with a regex that is not a plain literal (T5's `" {2,}"`): each match, as `find_iter` finds them,
/// becomes `content`. PCRE2 runs the regex (`HFRegex`).
///
/// - Complexity: O(n) matching for these patterns, plus the output.
public struct HFRegexReplace: HFNormalizer {
    public let regex: HFRegex
    public let content: [UInt8]

    public init(regex: HFRegex, content: [UInt8]) {
        self.regex = regex
        self.content = content
    }

    public func normalize(_ text: [UInt8]) -> [UInt8] {
        let matches = regex.matches(in: text)
        if matches.isEmpty { return text }
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var previous = 0
        for match in matches {
            out.append(contentsOf: text[previous..<match.lowerBound])
            out.append(contentsOf: content)
            previous = match.upperBound
        }
        out.append(contentsOf: text[previous...])
        return out
    }
}
