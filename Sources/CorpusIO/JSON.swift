import CorpusCore

/// A parsed JSON value. Objects keep their keys in input order; numbers keep their literal text so that
/// ids like `12345678901234567890` survive unchanged.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The value at a dotted path of object keys (`["meta", "url"]`), or nil.
    public func value(at path: [String]) -> JSONValue? {
        var current = self
        for key in path {
            guard case let .object(object) = current, let next = object[key] else { return nil }
            current = next
        }
        return current
    }

    /// The value as compact JSON text (`.string("a")` → `"a"`).
    public var jsonText: String {
        var writer = JSONWriter()
        writer.value(self)
        return writer.string
    }
}

/// A JSON object: keys in input order. A repeated key keeps its last value (as Python's `json` does).
public struct JSONObject: Sendable, Equatable {
    public private(set) var keys: [String] = []
    public private(set) var values: [JSONValue] = []

    public init() {}

    public subscript(key: String) -> JSONValue? {
        guard let i = keys.lastIndex(of: key) else { return nil }
        return values[i]
    }

    public mutating func append(_ key: String, _ value: JSONValue) {
        keys.append(key)
        values.append(value)
    }

    public var count: Int { keys.count }
}

/// Why a record is not valid JSON. `offset` is the byte offset in the record.
public enum JSONError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(offset: Int, message: String)
    /// A string held bytes that are not UTF-8, or a `\u` escape named a lone surrogate.
    case invalidUTF8(offset: Int)
    case tooDeep(offset: Int)

    public var description: String {
        switch self {
        case let .malformed(offset, message): "malformed JSON at byte \(offset): \(message)"
        case let .invalidUTF8(offset): "invalid UTF-8 in a string at byte \(offset)"
        case let .tooDeep(offset): "JSON nested deeper than \(JSONParser.maxDepth) levels at byte \(offset)"
        }
    }
}

/// A strict RFC 8259 parser over UTF-8 bytes.
///
/// Strings are scanned in bulk between escapes and validated with the standard library's UTF-8 check,
/// so the cost of a JSONL record is dominated by one pass over its text. With `replaceInvalidUTF8`,
/// ill-formed sequences and lone surrogate escapes become U+FFFD instead of an error.
public struct JSONParser {
    public static let maxDepth = 512
    private let bytes: UnsafeRawBufferPointer
    private var index = 0
    private let replaceInvalidUTF8: Bool
    private var scratch: [UInt8] = []

    /// Parses one complete JSON text; trailing non-whitespace is an error.
    public static func parse(_ bytes: UnsafeRawBufferPointer, replaceInvalidUTF8: Bool = false) throws(JSONError)
        -> JSONValue
    {
        var parser = JSONParser(bytes: bytes, replaceInvalidUTF8: replaceInvalidUTF8)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else {
            throw .malformed(offset: parser.index, message: "unexpected data after the value")
        }
        return value
    }

    public static func parse(_ text: String, replaceInvalidUTF8: Bool = false) throws(JSONError) -> JSONValue {
        var copy = text
        let result = copy.withUTF8 { buffer in
            Result { () throws(JSONError) in
                try parse(UnsafeRawBufferPointer(buffer), replaceInvalidUTF8: replaceInvalidUTF8)
            }
        }
        return try result.get()
    }

    private init(bytes: UnsafeRawBufferPointer, replaceInvalidUTF8: Bool) {
        self.bytes = bytes
        self.replaceInvalidUTF8 = replaceInvalidUTF8
    }

    @inline(__always) private mutating func skipWhitespace() {
        while index < bytes.count {
            let b = bytes[index]
            guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { return }
            index += 1
        }
    }

    private mutating func parseValue(depth: Int) throws(JSONError) -> JSONValue {
        guard depth < JSONParser.maxDepth else { throw .tooDeep(offset: index) }
        guard index < bytes.count else { throw .malformed(offset: index, message: "unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw .malformed(offset: index, message: "unexpected character \(describe(bytes[index]))")
        }
    }

    private func describe(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "0x" + hexString([byte])
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONError) {
        let start = index
        let n = literal.utf8CodeUnitCount
        guard bytes.count - index >= n else { throw .malformed(offset: start, message: "invalid literal") }
        let lit = literal.utf8Start
        for i in 0..<n where bytes[index + i] != lit[i] {
            throw .malformed(offset: start, message: "invalid literal")
        }
        index += n
    }

    private mutating func parseObject(depth: Int) throws(JSONError) -> JSONValue {
        index += 1
        var object = JSONObject()
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(object)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw .malformed(offset: index, message: "expected a string key")
            }
            let key = try parseString()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw .malformed(offset: index, message: "expected ':' after key \"\(key)\"")
            }
            index += 1
            skipWhitespace()
            object.append(key, try parseValue(depth: depth + 1))
            skipWhitespace()
            guard index < bytes.count else { throw .malformed(offset: index, message: "unterminated object") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            if bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(object)
            }
            throw .malformed(offset: index, message: "expected ',' or '}' in object")
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONError) -> JSONValue {
        index += 1
        var array: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(array)
        }
        while true {
            skipWhitespace()
            array.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            guard index < bytes.count else { throw .malformed(offset: index, message: "unterminated array") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            if bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(array)
            }
            throw .malformed(offset: index, message: "expected ',' or ']' in array")
        }
    }

    private mutating func parseNumber() throws(JSONError) -> String {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw .malformed(offset: start, message: "invalid number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else {
                throw .malformed(offset: start, message: "invalid number")
            }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else {
                throw .malformed(offset: start, message: "invalid number")
            }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
    }

    @inline(__always) private func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    /// Parses a string starting at the opening quote. The common case (no escapes) is one scan and one
    /// validated copy; escapes switch to building the bytes in `scratch`.
    private mutating func parseString() throws(JSONError) -> String {
        let open = index
        index += 1
        let start = index
        // Fast scan: stop at a quote, a backslash or a control character.
        index = scanPlainRun(bytes, from: index)
        guard index < bytes.count else { throw .malformed(offset: open, message: "unterminated string") }
        if bytes[index] == UInt8(ascii: "\"") {
            let span = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
            index += 1
            return try makeString(span, offset: start)
        }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
        var sawLoneSurrogate = false
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                index += 1
                if sawLoneSurrogate && !replaceInvalidUTF8 { throw .invalidUTF8(offset: open) }
                let made = scratch.withUnsafeBytes { buffer in
                    Result { () throws(JSONError) in try makeString(buffer, offset: start) }
                }
                return try made.get()
            }
            if b < 0x20 {
                throw .malformed(offset: index, message: "unescaped control character \(describe(b)) in string")
            }
            if b != UInt8(ascii: "\\") {
                let runEnd = scanPlainRun(bytes, from: index)
                scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[index..<max(runEnd, index + 1)]))
                index = max(runEnd, index + 1)
                continue
            }
            index += 1
            guard index < bytes.count else { break }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""): scratch.append(0x22)
            case UInt8(ascii: "\\"): scratch.append(0x5C)
            case UInt8(ascii: "/"): scratch.append(0x2F)
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800...0xDBFF).contains(code), bytes.count - index >= 6,
                   bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                {
                    let save = index
                    index += 2
                    let low = try hex4()
                    if (0xDC00...0xDFFF).contains(low) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        index = save
                    }
                }
                if let scalar = Unicode.Scalar(code) {
                    appendUTF8(scalar)
                } else {
                    sawLoneSurrogate = true
                    appendUTF8("\u{FFFD}")
                }
            default:
                throw .malformed(offset: index - 2, message: "invalid escape \\\(describe(escape))")
            }
        }
        throw .malformed(offset: open, message: "unterminated string")
    }

    private mutating func hex4() throws(JSONError) -> UInt32 {
        guard bytes.count - index >= 4 else { throw .malformed(offset: index, message: "truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[index]
            let digit: UInt32
            switch b {
            case 0x30...0x39: digit = UInt32(b - 0x30)
            case 0x41...0x46: digit = UInt32(b - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(b - 0x61 + 10)
            default: throw .malformed(offset: index, message: "invalid hex digit in \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    private mutating func appendUTF8(_ scalar: Unicode.Scalar) {
        scratch.append(contentsOf: scalar.utf8)
    }

    private func makeString(_ span: UnsafeRawBufferPointer, offset: Int) throws(JSONError) -> String {
        let units = span.assumingMemoryBound(to: UInt8.self)
        if let string = String(validating: units, as: UTF8.self) { return string }
        if replaceInvalidUTF8 { return String(decoding: units, as: UTF8.self) }
        throw .invalidUTF8(offset: offset)
    }
}

/// Writes compact JSON: UTF-8 passed through unescaped (as `ensure_ascii=False`), control characters
/// escaped, object keys in the order given. Appends into a reusable byte buffer.
public struct JSONWriter {
    public var bytes: [UInt8] = []

    public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    public var string: String { String(decoding: bytes, as: UTF8.self) }

    public mutating func raw(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    public mutating func rawBytes<C: Collection<UInt8>>(_ data: C) { bytes.append(contentsOf: data) }

    /// Appends the decimal digits of `value` without building a String (token ids: millions per second).
    public mutating func integer(_ value: UInt32) {
        if value < 10 {
            bytes.append(0x30 + UInt8(value))
            return
        }
        // Digits are written right to left into a stack buffer and appended in one call: appending byte by
        // byte cost a uniqueness check each and made this 14% of `ptk tokenize`.
        var n = value
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 10) { d in
            var start = 10
            while n > 0 {
                start -= 1
                d[start] = 0x30 + UInt8(n % 10)
                n /= 10
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: d[start..<10]))
        }
    }

    /// Appends `string` as a quoted JSON string.
    public mutating func string(_ string: String) {
        var s = string
        s.withUTF8 { escape($0) }
    }

    private mutating func escape(_ utf8: UnsafeBufferPointer<UInt8>) {
        bytes.append(0x22)
        var runStart = 0
        var i = 0
        let span = UnsafeRawBufferPointer(utf8)
        while i < utf8.count {
            i = scanPlainRun(span, from: i)
            guard i < utf8.count else { break }
            let b = utf8[i]
            i += 1
            if runStart < i - 1 { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<(i - 1)])) }
            runStart = i
            switch b {
            case 0x22: raw("\\\"")
            case 0x5C: raw("\\\\")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            case 0x08: raw("\\b")
            case 0x0C: raw("\\f")
            default:
                raw("\\u00")
                let digits: StaticString = "0123456789abcdef"
                bytes.append(digits.utf8Start[Int(b >> 4)])
                bytes.append(digits.utf8Start[Int(b & 0x0f)])
            }
        }
        if runStart < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
        bytes.append(0x22)
    }

    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: raw("null")
        case let .bool(b): b ? raw("true") : raw("false")
        case let .number(text): bytes.append(contentsOf: text.utf8)
        case let .string(s): string(s)
        case let .array(items):
            bytes.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                self.value(item)
            }
            bytes.append(UInt8(ascii: "]"))
        case let .object(object):
            bytes.append(UInt8(ascii: "{"))
            for i in 0..<object.count {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                string(object.keys[i])
                bytes.append(UInt8(ascii: ":"))
                self.value(object.values[i])
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }
}

/// The index of the first byte at or after `start` that is a quote, a backslash or a control character
/// (< 0x20), or `bytes.count`: the bytes a JSON string can hold unescaped.
///
/// Eight bytes at a time (SWAR): `hasLess(x, n)` sets the high bit of every byte below n, and a byte equal to
/// c is one below 1 after xor with c. A hit falls back to a byte loop over that word only. On English text
/// this made string scanning about 4× faster than the byte loop it replaced; `scanPlainRunReference` is that
/// loop, kept for the differential test.
@inline(__always)
public func scanPlainRun(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
    let ones: UInt64 = 0x0101_0101_0101_0101
    let highs: UInt64 = 0x8080_8080_8080_8080
    var i = start
    let n = bytes.count
    if let base = bytes.baseAddress {
        while i + 8 <= n {
            let v = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let quote = v ^ (ones &* 0x22)
            let slash = v ^ (ones &* 0x5C)
            let hit = ((quote &- ones) & ~quote) | ((slash &- ones) & ~slash) | ((v &- ones &* 0x20) & ~v)
            if hit & highs != 0 { break }
            i += 8
        }
    }
    while i < n {
        let b = bytes[i]
        if b == 0x22 || b == 0x5C || b < 0x20 { return i }
        i += 1
    }
    return n
}

/// The plain byte loop `scanPlainRun` must agree with.
public func scanPlainRunReference(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
    var i = start
    while i < bytes.count {
        let b = bytes[i]
        if b == 0x22 || b == 0x5C || b < 0x20 { return i }
        i += 1
    }
    return bytes.count
}
