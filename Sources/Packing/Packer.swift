import CorpusCore
import Shards

/// One document's tokens as the packer gets them: `[BOS] [metadata] text [EOS]`, the first `maskedPrefix`
/// of them (BOS and metadata) with loss mask 0.
public struct PackDocument: Sendable, Equatable {
    /// The document's index among the packed documents (`documents.jsonl.zst`), across both sets.
    public var ordinal: Int64
    public var tokens: [UInt32]
    /// How many leading tokens are not training targets (BOS, MeCo metadata).
    public var maskedPrefix: Int

    public init(ordinal: Int64, tokens: [UInt32], maskedPrefix: Int = 0) {
        self.ordinal = ordinal
        self.tokens = tokens
        self.maskedPrefix = maskedPrefix
    }
}

/// How documents become windows (docs/shard-format.md).
public enum PackStrategy: String, Sendable, Codable, CaseIterable {
    /// Back to back, cut every `seqLen` tokens; attention crosses documents.
    case concat
    /// As `concat`, and the trainer restricts attention to each segment (segment causal mask).
    case docmask
    /// Chunks of at most `seqLen`, best-fit-decreasing into windows; padding explicit and loss-masked.
    case bestfit
    /// One document (or chunk of one) per window, padded.
    case pad

    /// The manifest's `attention`: `causal` for concat, `document` for the others.
    public var attention: String { self == .concat ? "causal" : "document" }
}

/// What a packer did: the figures every run reports.
public struct PackStats: Sendable, Equatable, Codable {
    /// Documents packed.
    public var documents = 0
    /// Documents cut into more than one piece: by a window edge (concat, docmask) or into chunks (bestfit, pad).
    public var splitDocuments = 0
    /// Pieces placed (one per segment that is not padding).
    public var chunks = 0
    public var windows = 0
    /// Tokens in windows (`windows × seqLen`).
    public var tokens = 0
    /// Document tokens (tokens minus padding).
    public var documentTokens = 0
    public var paddingTokens = 0
    /// Tokens whose loss mask is 1.
    public var lossTokens = 0

    public init() {}

    /// Padding as a share of all tokens, 0 when there are none.
    public var paddingShare: Double { tokens == 0 ? 0 : Double(paddingTokens) / Double(tokens) }

    public mutating func merge(_ other: PackStats) {
        documents += other.documents
        splitDocuments += other.splitDocuments
        chunks += other.chunks
        windows += other.windows
        tokens += other.tokens
        documentTokens += other.documentTokens
        paddingTokens += other.paddingTokens
        lossTokens += other.lossTokens
    }
}

/// Packs documents into windows of `seqLen` tokens; windows go to `emit` as soon as they are complete.
///
/// Same documents in the same order give the same windows: nothing depends on threads or time.
public protocol Packer {
    var seqLen: Int { get }
    var stats: PackStats { get }
    mutating func add(_ document: PackDocument, emit: (PackedWindow) throws -> Void) throws
    /// Emits what is still open (padded). The packer is empty afterwards.
    mutating func finish(emit: (PackedWindow) throws -> Void) throws
}

/// Makes the packer of a strategy.
///
/// - Parameter bestFitBufferTokens: how many tokens best-fit holds before it places them (memory bound).
public func makePacker(_ strategy: PackStrategy, seqLen: Int, padID: UInt32, bestFitBufferTokens: Int = 1 << 24)
    -> any Packer
{
    switch strategy {
    case .concat, .docmask: ConcatPacker(seqLen: seqLen, padID: padID)
    case .bestfit: BestFitPacker(seqLen: seqLen, padID: padID, bufferTokens: bestFitBufferTokens)
    case .pad: ConcatPacker(seqLen: seqLen, padID: padID, windowPerDocument: true)
    }
}

/// A window being filled: segments are appended, then the rest is padded.
///
/// The token and mask arrays are allocated at full size, pre-filled with padding and 0, and segments are
/// copied in with `memcpy`/`memset`: appending `repeatElement` runs element by element and was 9% of a
/// packing run.
struct WindowBuilder {
    let seqLen: Int
    let padID: UInt32
    private(set) var window: PackedWindow
    private(set) var filled = 0

    init(seqLen: Int, padID: UInt32) {
        self.seqLen = seqLen
        self.padID = padID
        window = WindowBuilder.empty(seqLen, padID: padID)
    }

    static func empty(_ seqLen: Int, padID: UInt32) -> PackedWindow {
        PackedWindow(tokens: [UInt32](repeating: padID, count: seqLen), lossMask: [UInt8](repeating: 0, count: seqLen),
                     cuSeqlens: [0], segments: [])
    }

    var room: Int { seqLen - filled }
    var isEmpty: Bool { filled == 0 }

    /// Appends `document.tokens[range]` as one segment (`range.count ≤ room`).
    mutating func append(_ document: PackDocument, _ range: Range<Int>, stats: inout PackStats) {
        let at = filled
        document.tokens.withUnsafeBufferPointer { source in
            window.tokens.withUnsafeMutableBufferPointer { target in
                guard let from = source.baseAddress, let to = target.baseAddress else { return }
                (to + at).update(from: from + range.lowerBound, count: range.count)
            }
        }
        let masked = max(0, min(document.maskedPrefix, range.upperBound) - range.lowerBound)
        let targets = range.count - masked
        if targets > 0 {
            window.lossMask.withUnsafeMutableBufferPointer { mask in
                guard let base = mask.baseAddress else { return }
                (base + at + masked).update(repeating: 1, count: targets)
            }
        }
        filled += range.count
        window.cuSeqlens.append(Int32(filled))
        window.segments.append(document.ordinal)
        window.segments.append(Int64(range.lowerBound))
        stats.chunks += 1
        stats.documentTokens += range.count
        stats.lossTokens += targets
    }

    /// Pads to `seqLen` (a padding segment, ordinal −1), hands the window out and starts a new one.
    mutating func take(stats: inout PackStats) -> PackedWindow {
        let padding = room
        if padding > 0 {
            window.cuSeqlens.append(Int32(seqLen))
            window.segments.append(-1)
            window.segments.append(0)
            stats.paddingTokens += padding
        }
        stats.windows += 1
        stats.tokens += seqLen
        defer {
            window = WindowBuilder.empty(seqLen, padID: padID)
            filled = 0
        }
        return window
    }
}

/// `concat` and `docmask`: documents back to back, cut every `seqLen` tokens; a cut document continues in the
/// next window, and only the last window is padded. With `windowPerDocument` (`pad`): each document starts a
/// window of its own, is split into chunks of `seqLen` when longer, and its last window is padded.
public struct ConcatPacker: Packer {
    public let seqLen: Int
    public let windowPerDocument: Bool
    public private(set) var stats = PackStats()
    private var builder: WindowBuilder

    public init(seqLen: Int, padID: UInt32, windowPerDocument: Bool = false) {
        self.seqLen = seqLen
        self.windowPerDocument = windowPerDocument
        builder = WindowBuilder(seqLen: seqLen, padID: padID)
    }

    public mutating func add(_ document: PackDocument, emit: (PackedWindow) throws -> Void) throws {
        stats.documents += 1
        var offset = 0
        var pieces = 0
        while offset < document.tokens.count {
            let count = min(builder.room, document.tokens.count - offset)
            builder.append(document, offset..<(offset + count), stats: &stats)
            offset += count
            pieces += 1
            if builder.room == 0 || (windowPerDocument && offset == document.tokens.count) {
                try emit(builder.take(stats: &stats))
            }
        }
        if pieces > 1 { stats.splitDocuments += 1 }
    }

    public mutating func finish(emit: (PackedWindow) throws -> Void) throws {
        if !builder.isEmpty { try emit(builder.take(stats: &stats)) }
    }
}
