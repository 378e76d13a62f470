/// Python `str` semantics on UTF-8 bytes, as the datatrove filters rely on them: `isspace`, `isalpha`,
/// `splitlines`, `strip`, `len` (Unicode scalars). Each works on byte offsets into one UTF-8 buffer.
enum PythonText {
    /// `str.isspace()` for one scalar (Python 3.11, Unicode 14: bidi classes WS, B, S and category Zs).
    @inline(__always)
    static func isSpace(_ v: UInt32) -> Bool {
        if v < 0x80 { return v == 0x20 || (v >= 0x09 && v <= 0x0D) || (v >= 0x1C && v <= 0x1F) }
        switch v {
        case 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    /// `str.isalpha()` for one scalar: general category L*.
    @inline(__always)
    static func isAlpha(_ v: UInt32) -> Bool {
        if v < 0x80 { return (v | 0x20) >= 0x61 && (v | 0x20) <= 0x7A }
        guard let scalar = Unicode.Scalar(v) else { return false }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    /// `re`'s `\w` on `str` patterns: `isalnum()` or `_`.
    @inline(__always)
    static func isWordChar(_ v: UInt32) -> Bool {
        if v < 0x80 {
            return (v >= 0x30 && v <= 0x39) || ((v | 0x20) >= 0x61 && (v | 0x20) <= 0x7A) || v == 0x5F
        }
        if v < 0x10000 { return bmp[Int(v)] & 1 != 0 }
        return computeWordChar(v)
    }

    private static func computeWordChar(_ v: UInt32) -> Bool {
        if isAlpha(v) { return true }
        guard let scalar = Unicode.Scalar(v) else { return false }
        return scalar.properties.numericType != nil
    }

    /// Per BMP scalar: bit 0 `\w`, bits 8… the simple lowercase (0 when the lowercase is the scalar itself,
    /// 0xFFFFFF when it is more than one scalar).
    private static let bmp: [UInt32] = (0..<0x10000).map { v -> UInt32 in
        var entry: UInt32 = computeWordChar(UInt32(v)) ? 1 : 0
        if let scalar = Unicode.Scalar(UInt32(v)), scalar.properties.changesWhenLowercased {
            let lower = Array(scalar.properties.lowercaseMapping.unicodeScalars)
            entry |= (lower.count == 1 ? lower[0].value : 0xFFFFFF) << 8
        }
        return entry
    }

    /// Python's `str.lower()` of UTF-8 bytes without its final-sigma rule: each scalar's full lowercase mapping.
    static func lowered(_ b: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            let c = b[i]
            if c < 0x80 {
                out.append(c >= 0x41 && c <= 0x5A ? c | 0x20 : c)
                i += 1
                continue
            }
            let (v, n) = decode(b, i)
            var lower: UInt32 = 0
            if v < 0x10000 {
                lower = bmp[Int(v)] >> 8
            } else if let scalar = Unicode.Scalar(v), scalar.properties.changesWhenLowercased {
                let m = Array(scalar.properties.lowercaseMapping.unicodeScalars)
                lower = m.count == 1 ? m[0].value : 0xFFFFFF
            }
            if lower == 0 {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: b[i..<(i + n)]))
            } else if lower == 0xFFFFFF, let scalar = Unicode.Scalar(v) {
                out.append(contentsOf: Array(scalar.properties.lowercaseMapping.utf8))
            } else if let scalar = Unicode.Scalar(lower) {
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            }
            i += n
        }
        return out
    }

    /// The line breaks of `str.splitlines()` other than `\r\n`: \n \v \f \r \x1c \x1d \x1e \x85 U+2028 U+2029.
    @inline(__always)
    static func isLineBreak(_ v: UInt32) -> Bool {
        switch v {
        case 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029: return true
        default: return false
        }
    }

    /// Decodes the scalar at byte `i` of valid UTF-8: (value, byte length).
    @inline(__always)
    static func decode(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> (UInt32, Int) {
        let b0 = UInt32(b[i])
        if b0 < 0x80 { return (b0, 1) }
        if b0 < 0xE0 { return ((b0 & 0x1F) << 6 | UInt32(b[i + 1] & 0x3F), 2) }
        if b0 < 0xF0 {
            return ((b0 & 0x0F) << 12 | UInt32(b[i + 1] & 0x3F) << 6 | UInt32(b[i + 2] & 0x3F), 3)
        }
        return ((b0 & 0x07) << 18 | UInt32(b[i + 1] & 0x3F) << 12 | UInt32(b[i + 2] & 0x3F) << 6
                    | UInt32(b[i + 3] & 0x3F), 4)
    }

    /// The scalar that ends just before byte `end` (> start): (value, byte length).
    @inline(__always)
    static func decodeBefore(_ b: UnsafeBufferPointer<UInt8>, _ end: Int) -> (UInt32, Int) {
        var s = end - 1
        while s > 0, b[s] & 0xC0 == 0x80 { s -= 1 }
        let (v, _) = decode(b, s)
        return (v, end - s)
    }

    /// `len()` of a byte range: its Unicode scalars.
    @inline(__always)
    static func length(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int {
        var n = 0
        for i in range where b[i] & 0xC0 != 0x80 { n += 1 }
        return n
    }

    /// `s.strip()` of a byte range.
    static func strip(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Range<Int> {
        var s = range.lowerBound, e = range.upperBound
        while s < e {
            let (v, n) = decode(b, s)
            if !isSpace(v) { break }
            s += n
        }
        while e > s {
            let (v, n) = decodeBefore(b, e)
            if !isSpace(v) { break }
            e -= n
        }
        return s..<e
    }

    /// `str.splitlines()` (no kept ends) of a byte range.
    static func splitLines(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> [Range<Int>] {
        var lines: [Range<Int>] = []
        var start = range.lowerBound
        var i = start
        let end = range.upperBound
        while i < end {
            let c = b[i]
            if c >= 0x0E && c < 0x80 && c != 0x1C && c != 0x1D && c != 0x1E {
                i += 1
                continue
            }
            let (v, n) = decode(b, i)
            if isLineBreak(v) {
                lines.append(start..<i)
                i += n
                if v == 0x0D, i < end, b[i] == 0x0A { i += 1 }
                start = i
            } else {
                i += n
            }
        }
        if start < end { lines.append(start..<end) }
        return lines
    }

    /// `str.split()` (no argument) of a byte range: runs of non-space scalars.
    static func splitWhitespace(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> [Range<Int>] {
        var words: [Range<Int>] = []
        var i = range.lowerBound
        var wordStart = -1
        while i < range.upperBound {
            let (v, n) = decode(b, i)
            if isSpace(v) {
                if wordStart >= 0 { words.append(wordStart..<i); wordStart = -1 }
            } else if wordStart < 0 {
                wordStart = i
            }
            i += n
        }
        if wordStart >= 0 { words.append(wordStart..<range.upperBound) }
        return words
    }

    /// Occurrences of an ASCII `needle` in a byte range, not overlapping (`str.count`).
    static func count(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ needle: [UInt8]) -> Int {
        let m = needle.count
        guard m > 0, range.count >= m else { return 0 }
        var n = 0
        var i = range.lowerBound
        let first = needle[0]
        while i + m <= range.upperBound {
            if b[i] == first {
                var j = 1
                while j < m, b[i + j] == needle[j] { j += 1 }
                if j == m { n += 1; i += m; continue }
            }
            i += 1
        }
        return n
    }

    /// Whether a byte range ends with `suffix` bytes.
    @inline(__always)
    static func hasSuffix(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ suffix: [UInt8]) -> Bool {
        guard range.count >= suffix.count else { return false }
        let s = range.upperBound - suffix.count
        for j in 0..<suffix.count where b[s + j] != suffix[j] { return false }
        return true
    }

    /// Whether a byte range starts with `prefix` bytes.
    @inline(__always)
    static func hasPrefix(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ prefix: [UInt8]) -> Bool {
        guard range.count >= prefix.count else { return false }
        for j in 0..<prefix.count where b[range.lowerBound + j] != prefix[j] { return false }
        return true
    }

    /// The bytes of `text.lower()` where only ASCII matters: ASCII letters lowered, KELVIN SIGN (the one
    /// non-ASCII scalar whose lowercase is ASCII, `k`) → `k`, U+0130 → `i` + U+0307; every other byte kept.
    /// Enough to find ASCII phrases in `lower()` exactly as Python does.
    static func asciiLowered(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(range.count)
        var i = range.lowerBound
        while i < range.upperBound {
            let c = b[i]
            if c < 0x80 {
                out.append(c >= 0x41 && c <= 0x5A ? c | 0x20 : c)
                i += 1
            } else if c == 0xE2, i + 2 < range.upperBound, b[i + 1] == 0x84, b[i + 2] == 0xAA {
                out.append(0x6B)  // U+212A KELVIN SIGN
                i += 3
            } else if c == 0xC4, i + 1 < range.upperBound, b[i + 1] == 0xB0 {
                out.append(contentsOf: [0x69, 0xCC, 0x87])  // U+0130 → i + U+0307
                i += 2
            } else {
                out.append(c)
                i += 1
            }
        }
        return out
    }

    /// Whether `haystack` contains `needle` (bytes).
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        let m = needle.count
        guard m > 0 else { return true }
        guard haystack.count >= m else { return false }
        let first = needle[0]
        var i = 0
        while i + m <= haystack.count {
            if haystack[i] == first {
                var j = 1
                while j < m, haystack[i + j] == needle[j] { j += 1 }
                if j == m { return true }
            }
            i += 1
        }
        return false
    }
}
