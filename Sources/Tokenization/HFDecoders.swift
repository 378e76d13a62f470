import CorpusCore
import Foundation

// The decoders of SentencePiece-style tokenizer.json files (Llama-2, Mistral): `Replace`, `ByteFallback`, `Fuse`
// and `Strip` (`Metaspace` is in HFMetaspace.swift; the `Prepend` and `Replace` normalizers in HFNormalizers.swift).
// Each does what its `tokenizers` 0.23 namesake does, on UTF-8 bytes.

/// The `Replace` decoder with a `String` pattern, applied to every token alone.
///
/// ```swift
/// HFReplaceDecoder(pattern: Array("▁".utf8), content: [0x20]).decode([Array("▁Hi".utf8)])   // [" Hi"]
/// ```
///
/// - Complexity: O(bytes × pattern length) at worst.
public struct HFReplaceDecoder: HFDecoder {
    public let pattern: [UInt8]
    public let content: [UInt8]
    public init(pattern: [UInt8], content: [UInt8]) {
        self.pattern = pattern
        self.content = content
    }
    public func decode(_ tokens: [[UInt8]]) -> [[UInt8]] { tokens.map { replacingLiteral($0, pattern, with: content) } }
}

/// The `ByteFallback` decoder: each run of `<0xAB>` tokens becomes the string of its bytes.
///
/// A run whose bytes are not valid UTF-8 becomes one U+FFFD per byte, all of them, even where part of the run
/// would decode (as `tokenizers` does with `String::from_utf8` on the run). A byte token is exactly six bytes
/// `<0x` h h `>`, the two read as Rust's `u8::from_str_radix(_, 16)` reads them (so `+A` counts as 0x0A).
///
/// ```swift
/// HFByteFallbackDecoder().decode(["<0xE2>", "<0x96>", "<0x81>", "a"].map { Array($0.utf8) })   // ["▁", "a"]
/// ```
///
/// - Complexity: O(bytes).
public struct HFByteFallbackDecoder: HFDecoder {
    public init() {}

    public func decode(_ tokens: [[UInt8]]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        out.reserveCapacity(tokens.count)
        var run: [UInt8] = []
        for token in tokens {
            if let byte = HFByteFallbackDecoder.byte(of: token) {
                run.append(byte)
                continue
            }
            flush(&run, into: &out)
            out.append(token)
        }
        flush(&run, into: &out)
        return out
    }

    private func flush(_ run: inout [UInt8], into out: inout [[UInt8]]) {
        if run.isEmpty { return }
        if String(validating: run, as: UTF8.self) != nil {
            out.append(run)
        } else {
            out.append(contentsOf: repeatElement([0xEF, 0xBF, 0xBD], count: run.count))
        }
        run.removeAll(keepingCapacity: true)
    }

    /// The byte a `<0xAB>` token stands for, or nil.
    static func byte(of token: [UInt8]) -> UInt8? {
        guard token.count == 6, token[0] == 0x3C, token[1] == 0x30, token[2] == 0x78, token[5] == 0x3E else {
            return nil
        }
        func digit(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x41...0x46: c - 0x41 + 10
            case 0x61...0x66: c - 0x61 + 10
            default: nil
            }
        }
        if token[3] == 0x2B { return digit(token[4]) }  // from_str_radix accepts a leading "+"
        guard let high = digit(token[3]), let low = digit(token[4]) else { return nil }
        return high << 4 | low
    }
}

/// The `Fuse` decoder: all tokens joined into one.
///
/// ```swift
/// HFFuseDecoder().decode([Array("a".utf8), Array("b".utf8)])   // ["ab"]
/// ```
///
/// - Complexity: O(bytes).
public struct HFFuseDecoder: HFDecoder {
    public init() {}
    public func decode(_ tokens: [[UInt8]]) -> [[UInt8]] { [Array(tokens.joined())] }
}

/// The `Strip` decoder: up to `start` leading and `stop` trailing `content` characters removed from every token.
///
/// Where `tokenizers` would panic (a token shorter than `stop`, or cuts that cross), the token becomes empty.
///
/// ```swift
/// HFStripDecoder(content: " ", start: 1, stop: 0).decode([Array("  Hi".utf8)])   // [" Hi"]
/// ```
///
/// - Complexity: O(bytes).
public struct HFStripDecoder: HFDecoder {
    public let content: Unicode.Scalar
    public let start: Int
    public let stop: Int

    public init(content: Unicode.Scalar, start: Int, stop: Int) {
        self.content = content
        self.start = start
        self.stop = stop
    }

    public func decode(_ tokens: [[UInt8]]) -> [[UInt8]] {
        tokens.map { token in
            let scalars = Array(String(decoding: token, as: UTF8.self).unicodeScalars)
            var startCut = 0
            while startCut < min(start, scalars.count) && scalars[startCut] == content { startCut += 1 }
            var stopCut = scalars.count
            var removed = 0
            while removed < stop {
                guard stopCut > 0 else { return [] }  // tokenizers: index underflow
                guard scalars[stopCut - 1] == content else { break }
                stopCut -= 1
                removed += 1
            }
            guard startCut <= stopCut else { return [] }
            var out = String.UnicodeScalarView()
            out.append(contentsOf: scalars[startCut..<stopCut])
            return Array(String(out).utf8)
        }
    }
}

// MARK: - Reading the components from tokenizer.json

extension HFJSONReader {
    /// A `String` pattern of `Replace` (`{"String": s}`, non-empty); a `Regex` one is unsupported.
    func replacePattern(_ object: [String: Any], at jsonPath: String, kind: String) throws(TokenizerError) -> [UInt8] {
        let patternPath = jsonPath + ".pattern"
        let pattern = try self.object(object["pattern"], at: patternPath)
        if let literal = pattern["String"] {
            let bytes = Array(try string(literal, at: patternPath + ".String").utf8)
            if bytes.isEmpty { throw unsupported(patternPath + ".String", "\(kind) Replace with an empty pattern") }
            return bytes
        }
        if pattern["Regex"] != nil { throw unsupported(patternPath + ".Regex", "\(kind) Replace with a Regex pattern") }
        throw malformed(patternPath, "expected {\"String\": ...} or {\"Regex\": ...}")
    }

    /// One character (a JSON string of exactly one scalar), as Rust's `char` deserializes.
    func character(_ value: Any?, at jsonPath: String) throws(TokenizerError) -> Unicode.Scalar {
        let text = try string(value, at: jsonPath)
        guard text.unicodeScalars.count == 1, let scalar = text.unicodeScalars.first else {
            throw malformed(jsonPath, "expected one character")
        }
        return scalar
    }

    /// The `Metaspace` options shared by the pre-tokenizer and the decoder: replacement, prepend scheme, split.
    ///
    /// Old files say `add_prefix_space`; `prepend_scheme` defaults to `always`, and `add_prefix_space: false` is
    /// an error unless the scheme is `never` (even when the scheme is absent), as in `tokenizers` 0.23.
    func metaspace(_ object: [String: Any], at jsonPath: String) throws(TokenizerError)
        -> (replacement: Unicode.Scalar, scheme: HFPrependScheme, split: Bool)
    {
        let replacement = try character(object["replacement"], at: jsonPath + ".replacement")
        var scheme = HFPrependScheme.always
        if let name = try string(object["prepend_scheme"], at: jsonPath + ".prepend_scheme", default: nil) {
            guard let parsed = HFPrependScheme(rawValue: name) else {
                throw malformed(jsonPath + ".prepend_scheme", "unknown prepend_scheme \(name.debugDescription)")
            }
            scheme = parsed
        }
        if !isNull(object["add_prefix_space"]),
            !(try bool(object["add_prefix_space"], at: jsonPath + ".add_prefix_space", default: true))
        {
            guard scheme == .never else {
                throw malformed(jsonPath + ".add_prefix_space", "add_prefix_space does not match prepend_scheme")
            }
        }
        let split = try bool(object["split"], at: jsonPath + ".split", default: true)
        return (replacement, scheme, split)
    }

    /// `Replace`, `ByteFallback`, `Fuse`, `Strip` and `Metaspace` decoders.
    func stringDecoder(_ type: String, _ object: [String: Any], at jsonPath: String) throws(TokenizerError)
        -> any HFDecoder
    {
        switch type {
        case "ByteFallback":
            return HFByteFallbackDecoder()
        case "Fuse":
            return HFFuseDecoder()
        case "Strip":
            return HFStripDecoder(
                content: try character(object["content"], at: jsonPath + ".content"),
                start: try count(object["start"], at: jsonPath + ".start", default: 0),
                stop: try count(object["stop"], at: jsonPath + ".stop", default: 0))
        case "Metaspace":
            let options = try metaspace(object, at: jsonPath)
            return HFMetaspaceDecoder(replacement: options.replacement, prependScheme: options.scheme)
        default:
            let pattern = try replacePattern(object, at: jsonPath, kind: "decoder")
            let content = Array(try string(object["content"], at: jsonPath + ".content").utf8)
            return HFReplaceDecoder(pattern: pattern, content: content)
        }
    }
}
