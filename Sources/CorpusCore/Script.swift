/// Writing systems, as a cheap first signal of language (`ptk stats`, the `script` filter).
///
/// Classified by Unicode block ranges of each scalar; digits, punctuation, symbols and spaces are
/// `common` and do not vote. Han is shared by Chinese and Japanese: text with kana is `japanese`.
public enum Script: String, Sendable, CaseIterable, Codable, Comparable {
    case latin, cyrillic, greek, armenian, hebrew, arabic, devanagari, bengali, tamil, thai, georgian, hangul
    case han, japanese, ethiopic, other, common

    public static func < (a: Script, b: Script) -> Bool { a.rawValue < b.rawValue }

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

    public init(_ text: String) {
        var local = [Int](repeating: 0, count: Script.allCases.count)
        let index = Dictionary(uniqueKeysWithValues: Script.allCases.enumerated().map { ($1, $0) })
        for scalar in text.unicodeScalars {
            // ASCII fast path: letters are Latin, everything else is common.
            if scalar.value < 0x80 {
                let v = scalar.value | 0x20
                if v >= 0x61 && v <= 0x7A { local[0] += 1 }
                continue
            }
            let script = Script.of(scalar)
            if script != .common, let i = index[script] { local[i] += 1 }
        }
        for (i, n) in local.enumerated() where n > 0 { counts[Script.allCases[i]] = n }
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
