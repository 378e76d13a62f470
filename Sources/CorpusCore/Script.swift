/// Writing systems, as a cheap first signal of language (`ptk stats`, the `script` filter).
///
/// Classified by Unicode block ranges of each scalar; digits, punctuation, symbols and spaces are
/// `common` and do not vote. Han is shared by Chinese and Japanese: text with kana is `japanese`.
public enum Script: String, Sendable, CaseIterable, Codable, Comparable {
    case latin, cyrillic, greek, armenian, hebrew, arabic, devanagari, bengali, tamil, thai, georgian, hangul
    case han, japanese, ethiopic, other, common

    public static func < (a: Script, b: Script) -> Bool { a.rawValue < b.rawValue }

    /// Position in `allCases`, without a dictionary lookup.
    @inlinable public var ordinal: Int {
        switch self {
        case .latin: 0
        case .cyrillic: 1
        case .greek: 2
        case .armenian: 3
        case .hebrew: 4
        case .arabic: 5
        case .devanagari: 6
        case .bengali: 7
        case .tamil: 8
        case .thai: 9
        case .georgian: 10
        case .hangul: 11
        case .han: 12
        case .japanese: 13
        case .ethiopic: 14
        case .other: 15
        case .common: 16
        }
    }

    /// The script of one Unicode scalar (kana map to `japanese`).
    @inlinable public static func of(_ scalar: Unicode.Scalar) -> Script {
        let v = scalar.value
        switch v {
        case 0x41...0x5A, 0x61...0x7A, 0xC0...0xD6, 0xD8...0xF6, 0xF8...0x24F, 0x1E00...0x1EFF, 0x2C60...0x2C7F,
             0xA720...0xA7FF, 0xFF21...0xFF3A, 0xFF41...0xFF5A:
            return .latin
        case 0x0...0x40, 0x5B...0x60, 0x7B...0xBF, 0xD7, 0xF7, 0x2000...0x2BFF, 0x3000...0x303F, 0xFF00...0xFF20,
             0xFF3B...0xFF40, 0xFF5B...0xFF65, 0x1F000...0x1FAFF, 0xFE00...0xFE0F, 0x300...0x36F:
            return .common
        case 0x370...0x3FF, 0x1F00...0x1FFF: return .greek
        case 0x400...0x52F, 0x1C80...0x1C8F, 0x2DE0...0x2DFF, 0xA640...0xA69F: return .cyrillic
        case 0x530...0x58F: return .armenian
        case 0x590...0x5FF, 0xFB1D...0xFB4F: return .hebrew
        case 0x600...0x6FF, 0x750...0x77F, 0x8A0...0x8FF, 0xFB50...0xFDFF, 0xFE70...0xFEFF: return .arabic
        case 0x900...0x97F, 0xA8E0...0xA8FF: return .devanagari
        case 0x980...0x9FF: return .bengali
        case 0xB80...0xBFF: return .tamil
        case 0xE00...0xE7F: return .thai
        case 0x10A0...0x10FF, 0x2D00...0x2D2F: return .georgian
        case 0x1100...0x11FF, 0x3130...0x318F, 0xAC00...0xD7AF: return .hangul
        case 0x1200...0x139F: return .ethiopic
        case 0x3040...0x30FF, 0x31F0...0x31FF, 0xFF66...0xFF9F: return .japanese
        case 0x2E80...0x2FDF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x3134F: return .han
        default: return .other
        }
    }
}

/// Counts of scalars per script in a text, and its dominant script.
public struct ScriptProfile: Sendable, Equatable {
    public private(set) var counts: [Script: Int] = [:]
    /// Unicode scalars in the text (all of them, `common` included).
    public private(set) var scalarCount = 0

    /// One pass over the UTF-8 bytes. Runs of ASCII go eight bytes at a time (`asciiLetters`); other scalars
    /// are decoded by hand and classified by block. Equal to classifying `text.unicodeScalars` one by one
    /// (tested against exactly that).
    public init(_ text: String) {
        var latin = 0
        var scalars = 0
        var other = (0..<Script.allCases.count).map { _ in 0 }
        var copy = text
        copy.withUTF8 { bytes in
            guard let base = UnsafeRawPointer(bytes.baseAddress) else { return }
            var i = 0
            let n = bytes.count
            while i < n {
                if i + 8 <= n {
                    let word = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    if let letters = ScriptProfile.asciiLetters(word) {
                        latin += letters
                        scalars += 8
                        i += 8
                        continue
                    }
                }
                let b = bytes[i]
                scalars += 1
                if b < 0x80 {
                    let lower = b | 0x20
                    if lower >= 0x61 && lower <= 0x7A { latin += 1 }
                    i += 1
                    continue
                }
                let (value, length) = decodeMultibyteScalar(bytes, at: i)
                i += length
                if let scalar = Unicode.Scalar(value) {
                    let script = Script.of(scalar)
                    if script != .common { other[script.ordinal] += 1 }
                }
            }
        }
        scalarCount = scalars
        other[Script.latin.ordinal] += latin
        for (i, n) in other.enumerated() where n > 0 { counts[Script.allCases[i]] = n }
    }

    /// The number of ASCII letters in eight bytes, or nil when a byte is not ASCII.
    ///
    /// After or-ing 0x20 into every byte, letters are the bytes strictly between 0x60 and 0x7B; the
    /// "hasbetween" trick (Anderson, Bit Twiddling Hacks) marks them with their high bit, exactly so when
    /// every byte is below 0x80.
    @inline(__always)
    static func asciiLetters(_ word: UInt64) -> Int? {
        let ones: UInt64 = 0x0101_0101_0101_0101
        guard word & (ones &* 0x80) == 0 else { return nil }
        let x = word | (ones &* 0x20)
        let low = x & (ones &* 127)
        let marks = ((ones &* (127 + 0x7B)) &- low) & ~x & (low &+ ones &* (127 - 0x60)) & (ones &* 0x80)
        return marks.nonzeroBitCount
    }

    /// Scalars that vote (everything but `common`).
    public var letters: Int { counts.values.reduce(0, +) }

    /// The script with the most scalars; ties go to the alphabetically first name. `common` for text
    /// without letters. Kana in Han text make it `japanese`.
    public var dominant: Script {
        guard let best = counts.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }) else {
            return .common
        }
        if best.key == .han, (counts[.japanese] ?? 0) * 10 >= best.value { return .japanese }
        return best.key
    }

    /// Share of the voting scalars in `script` (0 for text without letters).
    public func share(of script: Script) -> Double {
        let total = letters
        return total == 0 ? 0 : Double(counts[script] ?? 0) / Double(total)
    }
}
