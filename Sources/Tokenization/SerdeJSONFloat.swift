/// JSON numbers as `tokenizers` reads them: serde_json's default float parsing (without its `float_roundtrip`
/// feature), which is not correctly rounded.
///
/// serde_json accumulates up to 19–20 significant digits in a `UInt64` (digits past an overflow are dropped),
/// converts that integer to `Double` (a first rounding above 2^53), then multiplies or divides once by a
/// correctly rounded power of ten (a second rounding). For 17-digit scores such as SentencePiece log
/// probabilities written by Python or by `tokenizers` itself, about one in four comes out one ulp away from the
/// correctly rounded value (60,741 of the 262,144 scores of AI21's j2 Unigram).
/// A Unigram's Viterbi compares sums of these scores, so one ulp decides ties and near-ties: the model must use
/// the same values as the reference.
///
/// It reads the number's text as written in the file (`UnigramScoreTexts`): no `Double` holds enough to
/// recover it.
///
/// ```swift
/// SerdeJSONFloat.parsed(text: Array("-7.6182780265808105".utf8))   // -7.618278026580811 (one ulp off)
/// SerdeJSONFloat.parsed(text: Array("-0.5".utf8))                  // -0.5 (exact cases are unchanged)
/// ```
///
/// - Complexity: O(digits) per number.
enum SerdeJSONFloat {
    /// 1e0 ... 1e308, each correctly rounded (serde_json's `POW10` table).
    private static let powersOfTen: [Double] = (0...308).map { Double("1e\($0)") ?? .infinity }

    /// serde_json's `parse_integer` / `parse_decimal` / `parse_exponent` / `f64_from_parts` over a JSON number's
    /// text (`-?digits(.digits)?([eE][+-]?digits)?`), or nil when the text is not such a number.
    static func parsed(text: [UInt8]) -> Double? {
        var position = 0
        let negative = position < text.count && text[position] == UInt8(ascii: "-")
        if negative { position += 1 }
        var significand: UInt64 = 0
        var exponent = 0
        var overflowed = false
        var digits = 0
        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        // Appends a digit unless significand * 10 + digit would pass UInt64.max (serde_json's `overflow!`).
        func append(_ digit: UInt64) -> Bool {
            let limit = UInt64.max / 10
            if significand > limit || (significand == limit && digit > UInt64.max % 10) { return false }
            significand = significand * 10 + digit
            return true
        }
        while position < text.count, isDigit(text[position]) {  // integer part
            // Past an overflow each further digit only scales by ten (`parse_long_integer`).
            if overflowed || !append(UInt64(text[position] - UInt8(ascii: "0"))) {
                overflowed = true
                exponent += 1
            }
            position += 1
            digits += 1
        }
        guard digits > 0 else { return nil }
        if position < text.count, text[position] == UInt8(ascii: ".") {
            position += 1
            var fractionDigits = 0
            var dropping = false
            while position < text.count, isDigit(text[position]) {
                // `parse_decimal`: digits are kept until one would overflow; that one and the rest are dropped.
                if !dropping {
                    if append(UInt64(text[position] - UInt8(ascii: "0"))) { exponent -= 1 } else { dropping = true }
                }
                position += 1
                fractionDigits += 1
            }
            guard fractionDigits > 0 else { return nil }
        }
        if position < text.count, text[position] == UInt8(ascii: "e") || text[position] == UInt8(ascii: "E") {
            position += 1
            var positiveExponent = true
            if position < text.count, text[position] == UInt8(ascii: "+") || text[position] == UInt8(ascii: "-") {
                positiveExponent = text[position] == UInt8(ascii: "+")
                position += 1
            }
            var written = 0
            var exponentDigits = 0
            while position < text.count, isDigit(text[position]) {
                written = min(written * 10 + Int(text[position] - UInt8(ascii: "0")), 1 << 40)
                position += 1
                exponentDigits += 1
            }
            guard exponentDigits > 0 else { return nil }
            exponent += positiveExponent ? written : -written
        }
        guard position == text.count else { return nil }
        // `f64_from_parts`: one multiplication or division by a power of ten, 1e308 at a time below that.
        var result = Double(significand)
        while true {
            let magnitude = exponent.magnitude
            if magnitude < UInt(powersOfTen.count) {
                let power = powersOfTen[Int(magnitude)]
                result = exponent >= 0 ? result * power : result / power
                break
            }
            if result == 0 { break }
            if exponent >= 0 { return nil }  // serde_json: number out of range
            result /= 1e308
            exponent += 308
        }
        if result.isInfinite { return nil }
        return negative ? -result : result
    }
}

/// The number texts of a Unigram vocabulary (`model.vocab[i][1]`) as written in a tokenizer.json.
///
/// `JSONSerialization` hands back a `Double` only, and on Linux not always the correctly rounded one
/// (`-7.9245710372924805` reads as `-7.924571037292478`), so neither it nor its shortest text can be fed to
/// `SerdeJSONFloat`: the scores are read again from the file's bytes. A light scan, not a validator (the file
/// has already parsed): it follows the top-level `"model"` member to its `"vocab"` member (the last of each when
/// repeated, as a JSON object keeps it) and takes the second element of each entry.
///
/// ```swift
/// UnigramScoreTexts.scan(Array("{\"model\": {\"vocab\": [[\"a\", -1.5e0]]}}".utf8))   // [Array("-1.5e0".utf8)]
/// ```
///
/// - Complexity: O(n) for n bytes.
struct UnigramScoreTexts {
    private let bytes: [UInt8]
    private var position = 0

    private init(bytes: [UInt8]) { self.bytes = bytes }

    /// The texts in vocabulary order, or nil where the layout is not the expected one (keys written with
    /// escapes, a vocabulary that is not an array of pairs).
    static func scan(_ bytes: [UInt8]) -> [[UInt8]]? {
        var scanner = UnigramScoreTexts(bytes: bytes)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { scanner.position = 3 }
        return scanner.member("model") { scanner in scanner.member("vocab") { scanner in scanner.scores() } }
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private mutating func skipSpace() {
        while position < bytes.count, Self.isSpace(bytes[position]) { position += 1 }
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        skipSpace()
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    /// A string's raw bytes between its quotes (escapes left as written).
    private mutating func string() -> ArraySlice<UInt8>? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = position
        while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: "\\"): position += 2
            case UInt8(ascii: "\""):
                position += 1
                return bytes[start..<(position - 1)]
            default: position += 1
            }
        }
        return nil
    }

    /// Skips one value of any kind.
    private mutating func skipValue() -> Bool {
        skipSpace()
        guard position < bytes.count else { return false }
        switch bytes[position] {
        case UInt8(ascii: "\""): return string() != nil
        case UInt8(ascii: "{"):
            position += 1
            if take(UInt8(ascii: "}")) { return true }
            repeat {
                guard string() != nil, take(UInt8(ascii: ":")), skipValue() else { return false }
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "}"))
        case UInt8(ascii: "["):
            position += 1
            if take(UInt8(ascii: "]")) { return true }
            repeat {
                guard skipValue() else { return false }
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "]"))
        default:
            return literal() != nil
        }
    }

    /// A number, `true`, `false` or `null` as written.
    private mutating func literal() -> [UInt8]? {
        skipSpace()
        let start = position
        while position < bytes.count, !Self.isSpace(bytes[position]) {
            if [UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}")].contains(bytes[position]) { break }
            position += 1
        }
        return position > start ? Array(bytes[start..<position]) : nil
    }

    /// In the object here: `inner` applied to the value of the last member named `key`.
    private mutating func member<T>(_ key: String, _ inner: (inout UnigramScoreTexts) -> T?) -> T? {
        guard take(UInt8(ascii: "{")) else { return nil }
        if take(UInt8(ascii: "}")) { return nil }
        let name = Array(key.utf8)
        var found: T?
        repeat {
            guard let memberName = string(), take(UInt8(ascii: ":")) else { return nil }
            if memberName.elementsEqual(name) {
                skipSpace()
                let start = position
                found = inner(&self)
                position = start
            }
            guard skipValue() else { return nil }
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "}")) ? found : nil
    }

    /// `[[piece, score], ...]`: the scores' texts.
    private mutating func scores() -> [[UInt8]]? {
        guard take(UInt8(ascii: "[")) else { return nil }
        var texts: [[UInt8]] = []
        if take(UInt8(ascii: "]")) { return texts }
        repeat {
            guard take(UInt8(ascii: "[")), string() != nil, take(UInt8(ascii: ",")), let score = literal(),
                take(UInt8(ascii: "]"))
            else { return nil }
            texts.append(score)
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "]")) ? texts : nil
    }
}
