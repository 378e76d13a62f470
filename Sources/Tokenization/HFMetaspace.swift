import CorpusCore
import Foundation

/// Where `Metaspace` puts its replacement character in front of a piece (`prepend_scheme`).
public enum HFPrependScheme: String, Sendable {
    /// Before every piece that does not start with it.
    case always
    /// Only before the piece that starts the encoded text (not one after an added token), as `tokenizers`
    /// decides by the piece's original offset being 0.
    case first
    /// Never.
    case never
}

/// The `Metaspace` pre-tokenizer: spaces become `▁`, a `▁` is prepended per `prependScheme`, and with `split` each
/// `▁` starts a new piece (the `▁` stays glued to the text after it).
///
/// Exactly as `tokenizers` 0.23: only U+0020 is replaced; the prefix is skipped when the piece already starts with
/// the replacement; splitting is `Split(replacement, MergedWithNext)`, so `"▁▁a"` gives `"▁"`, `"▁a"`.
///
/// ```swift
/// let metaspace = HFMetaspacePreTokenizer(replacement: "▁", prependScheme: .first, split: false)
/// metaspace.preTokenize([Array("Hey you".utf8)], startsText: true)   // ["▁Hey▁you"]
/// ```
///
/// - Complexity: O(bytes).
public struct HFMetaspacePreTokenizer: HFPreTokenizer {
    /// The replacement character (`▁` U+2581 in every known file).
    public let replacement: Unicode.Scalar
    public let prependScheme: HFPrependScheme
    public let split: Bool
    /// The UTF-8 bytes of `replacement`.
    let replacementBytes: [UInt8]

    public init(replacement: Unicode.Scalar, prependScheme: HFPrependScheme, split: Bool) {
        self.replacement = replacement
        self.prependScheme = prependScheme
        self.split = split
        self.replacementBytes = Array(String(replacement).utf8)
    }

    /// Pieces not known to start the text: `first` prepends to none of them.
    public func preTokenize(_ pieces: [[UInt8]]) -> [[UInt8]] {
        preTokenize(pieces, startsText: false)
    }

    public func preTokenize(_ pieces: [[UInt8]], startsText: Bool) -> [[UInt8]] {
        var out: [[UInt8]] = []
        out.reserveCapacity(pieces.count)
        for (index, piece) in pieces.enumerated() {
            forEachPiece(of: piece, first: index == 0 && startsText) { out.append(Array($0)) }
        }
        return out
    }

    /// Calls `body` with each output piece of one input piece, in order, as views into one buffer: no array per
    /// output piece (a Metaspace + Unigram file encodes from these views through its word cache).
    ///
    /// - Parameter first: whether the piece is the first of the text (`prepend_scheme: first`).
    /// - Complexity: O(piece bytes).
    func forEachPiece(of piece: [UInt8], first: Bool, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        var replaced = replacingLiteral(piece, [0x20], with: replacementBytes)
        let prepend: Bool
        switch prependScheme {
        case .always: prepend = true
        case .first: prepend = first
        case .never: prepend = false
        }
        if prepend && !replaced.starts(with: replacementBytes) {
            replaced.insert(contentsOf: replacementBytes, at: 0)
        }
        replaced.withUnsafeBufferPointer { buffer in
            if !split {
                if !buffer.isEmpty { body(buffer) }
                return
            }
            // Split(replacement, MergedWithNext): every replacement starts a piece.
            let width = replacementBytes.count
            let lead = replacementBytes[0]
            var start = 0
            var i = 0
            while i < buffer.count {
                if buffer[i] == lead && i + width <= buffer.count
                    && (1..<width).allSatisfy({ buffer[i + $0] == replacementBytes[$0] })
                {
                    if i > start { body(UnsafeBufferPointer(rebasing: buffer[start..<i])) }
                    start = i
                    i += width
                } else {
                    i += 1
                }
            }
            if buffer.count > start { body(UnsafeBufferPointer(rebasing: buffer[start...])) }
        }
    }
}

/// The `Metaspace` decoder: `▁` becomes a space, except in the first token, where every `▁` is dropped unless
/// the prepend scheme is `never` (as `tokenizers` 0.23 decodes).
///
/// ```swift
/// HFMetaspaceDecoder(replacement: "▁", prependScheme: .always)
///     .decode([Array("▁Hey".utf8), Array("▁you".utf8)])   // ["Hey", " you"]
/// ```
///
/// - Complexity: O(bytes).
public struct HFMetaspaceDecoder: HFDecoder {
    public let replacement: Unicode.Scalar
    public let prependScheme: HFPrependScheme
    let replacementBytes: [UInt8]

    public init(replacement: Unicode.Scalar, prependScheme: HFPrependScheme) {
        self.replacement = replacement
        self.prependScheme = prependScheme
        self.replacementBytes = Array(String(replacement).utf8)
    }

    public func decode(_ tokens: [[UInt8]]) -> [[UInt8]] {
        tokens.enumerated().map { index, token in
            let dropped = index == 0 && prependScheme != .never
            return replacingLiteral(token, replacementBytes, with: dropped ? [] : [0x20])
        }
    }
}

/// `text` with every non-overlapping occurrence of `pattern` (non-empty), left to right, replaced by `content`.
///
/// ```swift
/// replacingLiteral(Array("a b".utf8), [0x20], with: Array("▁".utf8))   // "a▁b"
/// ```
///
/// - Complexity: O(text.count × pattern.count) at worst.
func replacingLiteral(_ text: [UInt8], _ pattern: [UInt8], with content: [UInt8]) -> [UInt8] {
    guard let first = pattern.first, text.count >= pattern.count, text.contains(first) else { return text }
    var out: [UInt8] = []
    out.reserveCapacity(text.count + text.count / 4)
    text.withUnsafeBufferPointer { buffer in
        var i = 0
        let last = buffer.count - pattern.count
        while i < buffer.count {
            if buffer[i] == first && i <= last {
                var equal = true
                for k in 1..<pattern.count where buffer[i + k] != pattern[k] {
                    equal = false
                    break
                }
                if equal {
                    out.append(contentsOf: content)
                    i += pattern.count
                    continue
                }
            }
            out.append(buffer[i])
            i += 1
        }
    }
    return out
}
