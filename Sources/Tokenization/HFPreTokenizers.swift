import CorpusCore

// The generic tokenizer.json pre-tokenizers: BertPreTokenizer and Whitespace as hand-written scanners over Unicode
// scalars; WhitespaceSplit, Punctuation and Digits as `HFSplit` on a character predicate, which is how
// `tokenizers` defines them. Character classes are `HFCharacterClass`'s.

/// A pre-tokenizer that only cuts its input (it never rewrites bytes): `HFTokenizer` can then hand the model byte
/// ranges of the normalized text instead of building an array per piece.
///
/// ```swift
/// HFBertPreTokenizer().forEachPiece(buffer) { range in print(range) }
/// ```
///
/// - Complexity: O(n) per call for the conforming scanners.
public protocol HFPieceScanner: HFPreTokenizer {
    /// Calls `body` with the byte range of each piece of `text` (valid UTF-8), in order.
    func forEachPiece(_ text: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void)
}

extension HFPieceScanner {
    /// Every piece of every input piece, copied out: the general path (the fast path calls `forEachPiece`).
    public func preTokenize(_ pieces: [[UInt8]]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        for piece in pieces {
            piece.withUnsafeBufferPointer { buffer in
                forEachPiece(buffer) { out.append(Array(buffer[$0])) }
            }
        }
        return out
    }
}

/// A model that encodes a piece given as a buffer, without a copy (see `HFPieceScanner`).
public protocol HFBufferEncodingModel: HFModel {
    /// Appends the ids of one pre-token.
    func encode(_ piece: UnsafeBufferPointer<UInt8>, into out: inout [UInt32])
}

/// `BertPreTokenizer`: splits on whitespace (removed), then isolates every punctuation character.
///
/// Whitespace is White_Space; punctuation is ASCII punctuation (which includes `$+<=>^`|~`) or a Unicode 8.0
/// punctuation category. One pass over the scalars does both of `tokenizers`' splits.
///
/// ```swift
/// HFBertPreTokenizer().preTokenize([Array("Hey friend!  How?!".utf8)])
/// // ["Hey", "friend", "!", "How", "?", "!"] as UTF-8
/// ```
///
/// - Complexity: O(n) in the text length.
public struct HFBertPreTokenizer: HFPieceScanner {
    public init() {}

    /// Calls `body` with the byte range of each piece of `text`, in order.
    public func forEachPiece(_ text: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        var start = 0
        var i = 0
        while i < text.count {
            let byte = text[i]
            let value: UInt32, length: Int
            let classes: HFCharacterClass
            if byte < 0x80 {
                (value, length) = (UInt32(byte), 1)
                if byte >= 0x61 && byte <= 0x7A || byte >= 0x30 && byte <= 0x39 || byte >= 0x41 && byte <= 0x5A {
                    i += 1
                    continue
                }
                classes = HFCharacterClass.of(value)
            } else {
                (value, length) = decodeMultibyteScalar(text, at: i)
                classes = HFCharacterClass.of(value)
            }
            if classes.contains(.whitespace) {
                if start < i { body(start..<i) }
                start = i + length
            } else if classes.contains(.punctuation) {
                if start < i { body(start..<i) }
                body(i..<(i + length))
                start = i + length
            }
            i += length
        }
        if start < text.count { body(start..<text.count) }
    }
}

/// `Whitespace`: the pieces are the matches of `\w+|[^\w\s]+` (the regex crate's Unicode `\w` and `\s`), that is
/// maximal runs of word characters and maximal runs of characters that are neither word nor whitespace;
/// whitespace is dropped.
///
/// ```swift
/// HFWhitespacePreTokenizer().preTokenize([Array("Hey, friend!".utf8)])   // ["Hey", ",", "friend", "!"]
/// ```
///
/// - Complexity: O(n).
public struct HFWhitespacePreTokenizer: HFPieceScanner {
    public init() {}

    /// Calls `body` with the byte range of each match of `\w+|[^\w\s]+` in `text`, in order.
    public func forEachPiece(_ text: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        // The kind of the run in progress: 0 none (after whitespace), 1 word, 2 other.
        var kind = 0
        var start = 0
        var i = 0
        while i < text.count {
            let (value, length) = text[i] < 0x80 ? (UInt32(text[i]), 1) : decodeMultibyteScalar(text, at: i)
            let classes = HFCharacterClass.of(value)
            let next = classes.contains(.word) ? 1 : classes.contains(.whitespace) ? 0 : 2
            if next != kind {
                if kind != 0 { body(start..<i) }
                kind = next
                start = i
            }
            i += length
        }
        if kind != 0 { body(start..<text.count) }
    }
}

extension HFSplit {
    /// `WhitespaceSplit`: splits on whitespace (White_Space), removing it.
    ///
    /// ```swift
    /// HFSplit.whitespaceSplit().preTokenize([Array("a \u{3000}b".utf8)])   // ["a", "b"]
    /// ```
    ///
    /// - Complexity: O(n).
    public static func whitespaceSplit() -> HFSplit {
        HFSplit(pattern: .scalars { HFCharacterClass.of($0).contains(.whitespace) }, behavior: .removed)
    }

    /// `Punctuation`: splits on each punctuation character (as BertPreTokenizer's) with `behavior`
    /// (the file's default is `Isolated`).
    ///
    /// ```swift
    /// HFSplit.punctuation(.isolated).preTokenize([Array("a,b".utf8)])   // ["a", ",", "b"]
    /// ```
    ///
    /// - Complexity: O(n).
    public static func punctuation(_ behavior: Behavior) -> HFSplit {
        HFSplit(pattern: .scalars { HFCharacterClass.of($0).contains(.punctuation) }, behavior: behavior)
    }

    /// `Digits`: each numeric character (Rust `char::is_numeric`: Nd, Nl, No) isolated when `individualDigits`,
    /// else runs of them kept together (`Contiguous`).
    ///
    /// ```swift
    /// HFSplit.digits(individual: false).preTokenize([Array("a123b".utf8)])   // ["a", "123", "b"]
    /// HFSplit.digits(individual: true).preTokenize([Array("a12".utf8)])      // ["a", "1", "2"]
    /// ```
    ///
    /// - Complexity: O(n).
    public static func digits(individual: Bool) -> HFSplit {
        HFSplit(
            pattern: .scalars { $0 < 0x80 ? ($0 >= 0x30 && $0 <= 0x39) : HFCharacterClass.of($0).contains(.numeric) },
            behavior: individual ? .isolated : .contiguous)
    }
}
