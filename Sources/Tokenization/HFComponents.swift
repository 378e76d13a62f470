import CorpusCore
import Foundation

// The components of a tokenizer.json pipeline, as protocols with one type per component kind.
//
// `HFTokenizer` runs them in the order of `tokenizers`: added tokens are cut out of the raw text, each stretch
// between them is normalized, pre-tokenized into pieces, and each piece is encoded by the model. Text is UTF-8
// bytes throughout (never `String`, whose `==` is canonical equivalence). Offsets are not tracked: pretraining
// needs ids, not alignments.
//
// Byte-level tokenizers keep raw bytes in their pieces: the ByteLevel pre-tokenizer does not map bytes to the
// printable alphabet, the byte-level `MergeBPE` maps them itself, and the ByteLevel decoder is the identity on
// the raw bytes that `MergeBPE.token(of:)` returns. Every other model sees and returns the vocabulary's strings.

/// A tokenizer.json normalizer: text in, text out (UTF-8).
public protocol HFNormalizer: Sendable {
    func normalize(_ text: [UInt8]) -> [UInt8]
}

/// A tokenizer.json pre-tokenizer: splits every piece further, and may rewrite its bytes (Metaspace).
public protocol HFPreTokenizer: Sendable {
    func preTokenize(_ pieces: [[UInt8]]) -> [[UInt8]]
    /// `preTokenize`, told whether `pieces[0]` starts at offset 0 of the input text (tokenizers'
    /// `offsets_original().0 == 0`, which Metaspace's `prepend_scheme: first` tests). Implement this one when the
    /// answer matters; the default ignores it.
    func preTokenize(_ pieces: [[UInt8]], startsText: Bool) -> [[UInt8]]
}

extension HFPreTokenizer {
    public func preTokenize(_ pieces: [[UInt8]], startsText: Bool) -> [[UInt8]] { preTokenize(pieces) }
}

/// Whether a pre-tokenizer is or contains a ByteLevel step (then a BPE model is byte-level).
func containsByteLevel(_ preTokenizer: (any HFPreTokenizer)?) -> Bool {
    if preTokenizer is HFByteLevelPreTokenizer { return true }
    if let sequence = preTokenizer as? HFPreTokenizerSequence {
        return sequence.members.contains { containsByteLevel($0) }
    }
    return false
}

/// A tokenizer.json model: one pre-token in, ids out; and the vocabulary both ways.
public protocol HFModel: Sendable {
    /// Appends the ids of one pre-token.
    func encode(piece: [UInt8], into out: inout [UInt32])
    /// The vocabulary string of `id` (raw bytes for a byte-level model), or nil.
    func token(of id: UInt32) -> [UInt8]?
    /// The id of a vocabulary string (raw bytes for a byte-level model), or nil.
    func id(of token: [UInt8]) -> UInt32?
    /// Whether pieces and tokens are raw bytes (byte-level BPE) rather than vocabulary strings.
    var isByteLevel: Bool { get }
    /// One more than the largest id of the vocabulary.
    var vocabularySize: Int { get }
}

/// A tokenizer.json decoder: the tokens of the ids in, the decoded pieces out (joined by the caller).
public protocol HFDecoder: Sendable {
    func decode(_ tokens: [[UInt8]]) -> [[UInt8]]
}

// MARK: - Sequences

/// `Sequence` normalizer: each member in order.
public struct HFNormalizerSequence: HFNormalizer {
    public let members: [any HFNormalizer]
    public init(_ members: [any HFNormalizer]) { self.members = members }
    public func normalize(_ text: [UInt8]) -> [UInt8] {
        members.reduce(text) { $1.normalize($0) }
    }
}

/// `Sequence` pre-tokenizer: each member over all pieces, in order.
public struct HFPreTokenizerSequence: HFPreTokenizer {
    public let members: [any HFPreTokenizer]
    public init(_ members: [any HFPreTokenizer]) { self.members = members }
    public func preTokenize(_ pieces: [[UInt8]]) -> [[UInt8]] {
        members.reduce(pieces) { $1.preTokenize($0) }
    }
    /// Each member keeps the first piece first, so `startsText` holds for every member in turn.
    public func preTokenize(_ pieces: [[UInt8]], startsText: Bool) -> [[UInt8]] {
        members.reduce(pieces) { $1.preTokenize($0, startsText: startsText) }
    }
}

/// `Sequence` decoder: each member over the token list, in order.
public struct HFDecoderSequence: HFDecoder {
    public let members: [any HFDecoder]
    public init(_ members: [any HFDecoder]) { self.members = members }
    public func decode(_ tokens: [[UInt8]]) -> [[UInt8]] {
        members.reduce(tokens) { $1.decode($0) }
    }
}

// MARK: - Unicode normalization forms

/// `NFC`, `NFD`, `NFKC` and `NFKD`, through Foundation's Unicode tables.
///
/// Invalid UTF-8 never reaches a normalizer: `HFTokenizer.encode` takes a `String`.
public struct HFUnicodeNormalizer: HFNormalizer {
    public enum Form: String, Sendable { case nfc = "NFC", nfd = "NFD", nfkc = "NFKC", nfkd = "NFKD" }
    public let form: Form
    public init(_ form: Form) { self.form = form }

    public func normalize(_ text: [UInt8]) -> [UInt8] {
        if form == .nfc && isKnownNFC(text) { return text }
        if !text.contains(where: { $0 >= 0x80 }) { return text }  // ASCII is invariant under every form
        let string = String(decoding: text, as: UTF8.self)
        let normalized: String
        switch form {
        case .nfc: normalized = string.precomposedStringWithCanonicalMapping
        case .nfd: normalized = string.decomposedStringWithCanonicalMapping
        case .nfkc: normalized = string.precomposedStringWithCompatibilityMapping
        case .nfkd: normalized = string.decomposedStringWithCompatibilityMapping
        }
        return Array(normalized.utf8)
    }
}

// MARK: - Split

/// What a `Split` pre-tokenizer matches.
public enum HFSplitPattern: Sendable {
    /// A known regex, by its hand-written scanner: every scanner piece is a match.
    case scanner(PreTokenizerPattern)
    /// A literal string (`pattern: {"String": ...}`), non-overlapping occurrences from the left.
    case literal([UInt8])
    /// Each scalar for which the predicate holds is one match (how `tokenizers` splits on a `char` predicate:
    /// Digits, Punctuation, BertPreTokenizer's punctuation).
    case scalars(@Sendable (UInt32) -> Bool)
    /// Any other matcher (a regex engine): the non-overlapping match ranges of a piece, in order.
    case matcher(any HFMatcher)
}

/// A general matcher for `Split` (the regex engine fallback implements it).
public protocol HFMatcher: Sendable {
    /// The non-overlapping match ranges in `text`, left to right, as the reference's `find_iter` yields them.
    func matches(in text: [UInt8]) -> [Range<Int>]
    /// The same on a buffer (offsets into it), so that a chain of Splits needs no array per piece.
    func matches(in buffer: UnsafeBufferPointer<UInt8>) -> [Range<Int>]
}

extension HFMatcher {
    public func matches(in text: [UInt8]) -> [Range<Int>] {
        text.withUnsafeBufferPointer { matches(in: $0) }
    }
}

/// `Split` with its `behavior` and `invert`, exactly as `tokenizers`' `NormalizedString::split`.
///
/// The text is cut into alternating non-match and match segments (`invert` swaps the flags); the behaviour then
/// removes the matches (`Removed`), keeps every segment (`Isolated`), glues each match to the segment before
/// (`MergedWithPrevious`) or after it (`MergedWithNext`), or glues runs of segments with equal flags
/// (`Contiguous`). Empty pieces are dropped.
public struct HFSplit: HFPreTokenizer {
    public enum Behavior: String, Sendable {
        case removed = "Removed", isolated = "Isolated", mergedWithPrevious = "MergedWithPrevious"
        case mergedWithNext = "MergedWithNext", contiguous = "Contiguous"
    }

    public let pattern: HFSplitPattern
    public let behavior: Behavior
    public let invert: Bool

    public init(pattern: HFSplitPattern, behavior: Behavior, invert: Bool = false) {
        self.pattern = pattern
        self.behavior = behavior
        self.invert = invert
    }

    public func preTokenize(_ pieces: [[UInt8]]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        out.reserveCapacity(pieces.count * 2)
        for piece in pieces {
            for range in split(piece) { out.append(Array(piece[range])) }
        }
        return out
    }

    /// The ranges of the pieces one piece splits into.
    public func split(_ text: [UInt8]) -> [Range<Int>] {
        let segments = HFSplit.segments(of: text, matches: matchRanges(in: text)).map { ($0.range, $0.isMatch != invert) }
        var result: [(range: Range<Int>, isMatch: Bool)] = []
        switch behavior {
        case .removed:
            result = segments.filter { !$0.1 }.map { ($0.0, false) }
        case .isolated:
            result = segments.map { ($0.0, false) }
        case .mergedWithPrevious:
            var previousMatch = false
            for (range, isMatch) in segments {
                if isMatch && !previousMatch, let last = result.last {
                    result[result.count - 1].range = last.range.lowerBound..<range.upperBound
                } else {
                    result.append((range, false))
                }
                previousMatch = isMatch
            }
        case .mergedWithNext:
            var previousMatch = false
            var reversed: [(range: Range<Int>, isMatch: Bool)] = []
            for (range, isMatch) in segments.reversed() {
                if isMatch && !previousMatch, let last = reversed.last {
                    reversed[reversed.count - 1].range = range.lowerBound..<last.range.upperBound
                } else {
                    reversed.append((range, false))
                }
                previousMatch = isMatch
            }
            result = reversed.reversed()
        case .contiguous:
            var previousMatch = false
            for (range, isMatch) in segments {
                if isMatch == previousMatch, let last = result.last {
                    result[result.count - 1].range = last.range.lowerBound..<range.upperBound
                } else {
                    result.append((range, false))
                }
                previousMatch = isMatch
            }
        }
        return result.map(\.range).filter { !$0.isEmpty }
    }

    /// The match ranges of the pattern in `text`.
    func matchRanges(in text: [UInt8]) -> [Range<Int>] {
        switch pattern {
        case let .scanner(scanner):
            return text.withUnsafeBufferPointer { scanner.split($0) }
        case let .literal(needle):
            guard !needle.isEmpty, needle.count <= text.count else { return [] }
            var ranges: [Range<Int>] = []
            var i = 0
            while i + needle.count <= text.count {
                if text[i] == needle[0] && text[i..<(i + needle.count)].elementsEqual(needle) {
                    ranges.append(i..<(i + needle.count))
                    i += needle.count
                } else {
                    i += 1
                }
            }
            return ranges
        case let .scalars(predicate):
            var ranges: [Range<Int>] = []
            text.withUnsafeBufferPointer { buffer in
                var i = 0
                while i < buffer.count {
                    let (value, length) = buffer[i] < 0x80 ? (UInt32(buffer[i]), 1) : decodeMultibyteScalar(buffer, at: i)
                    if predicate(value) { ranges.append(i..<(i + length)) }
                    i += length
                }
            }
            return ranges
        case let .matcher(matcher):
            return matcher.matches(in: text)
        }
    }

    /// Alternating non-match and match segments covering `text` (empty text: one empty non-match).
    static func segments(of text: [UInt8], matches: [Range<Int>]) -> [(range: Range<Int>, isMatch: Bool)] {
        if text.isEmpty { return [(0..<0, false)] }
        var segments: [(range: Range<Int>, isMatch: Bool)] = []
        var previous = 0
        for match in matches {
            if previous != match.lowerBound { segments.append((previous..<match.lowerBound, false)) }
            segments.append((match, true))
            previous = match.upperBound
        }
        if previous != text.count { segments.append((previous..<text.count, false)) }
        return segments
    }
}

// MARK: - ByteLevel

/// The `ByteLevel` pre-tokenizer on raw bytes: an optional leading space, then the GPT-2 regex split
/// (`use_regex`). The byte-to-alphabet mapping is left to the byte-level `MergeBPE`.
public struct HFByteLevelPreTokenizer: HFPreTokenizer {
    public let addPrefixSpace: Bool
    public let useRegex: Bool

    public init(addPrefixSpace: Bool, useRegex: Bool) {
        self.addPrefixSpace = addPrefixSpace
        self.useRegex = useRegex
    }

    public func preTokenize(_ pieces: [[UInt8]]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        out.reserveCapacity(pieces.count)
        for var piece in pieces {
            if addPrefixSpace && piece.first != 0x20 { piece.insert(0x20, at: 0) }
            if !useRegex {
                out.append(piece)
                continue
            }
            piece.withUnsafeBufferPointer { buffer in
                PreTokenizerPattern.gpt2.forEachPiece(buffer) { out.append(Array(buffer[$0])) }
            }
        }
        return out
    }
}

/// The `ByteLevel` decoder: the identity on the raw bytes a byte-level model returns.
public struct HFByteLevelDecoder: HFDecoder {
    public init() {}
    public func decode(_ tokens: [[UInt8]]) -> [[UInt8]] { tokens }
}

extension MergeBPE: HFModel {
    public func encode(piece: [UInt8], into out: inout [UInt32]) { encodePiece(piece[...], into: &out) }
    public func token(of id: UInt32) -> [UInt8]? { tokenBytes(id) }
    public var isByteLevel: Bool { true }
    public var vocabularySize: Int { max(tokens.count, textTokens.keys.max().map { Int($0) + 1 } ?? 0) }
}
