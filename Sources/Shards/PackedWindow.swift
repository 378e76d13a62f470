import CorpusCore

/// One context window as it is written to a shard (docs/shard-format.md): `seqLen` tokens, their loss mask,
/// the segment boundaries (`cu_seqlens`) and, per segment, which document it came from.
public struct PackedWindow: Sendable, Equatable {
    /// Exactly `seqLen` token ids.
    public var tokens: [UInt32]
    /// One per token: 1 = a training target, 0 = BOS, metadata or padding.
    public var lossMask: [UInt8]
    /// `[0, e₁, …, seqLen]`: the end of each segment (a run of one document's tokens, or the padding).
    public var cuSeqlens: [Int32]
    /// Two per segment: the document's ordinal (−1 for padding) and the segment's first token's offset within
    /// that document's token sequence.
    public var segments: [Int64]

    public init(tokens: [UInt32], lossMask: [UInt8], cuSeqlens: [Int32], segments: [Int64]) {
        self.tokens = tokens
        self.lossMask = lossMask
        self.cuSeqlens = cuSeqlens
        self.segments = segments
    }

    /// The number of segments.
    public var segmentCount: Int { cuSeqlens.count - 1 }
}

/// The integer type of token ids in a `.bin`: uint16 when the vocabulary has fewer than 65,500 ids, else int32.
public enum TokenDType: String, Sendable, Codable {
    case uint16
    case int32

    /// - Throws: `ShardError.vocabularyTooLarge` when an id would not fit an int32.
    public init(vocabularySize: Int) throws(ShardError) {
        if vocabularySize < 65_500 {
            self = .uint16
        } else if vocabularySize <= Int(Int32.max) + 1 {
            self = .int32
        } else {
            throw .vocabularyTooLarge(vocabularySize)
        }
    }

    public var itemSize: Int { self == .uint16 ? 2 : 4 }
}

/// Problems writing, reading or verifying shards; each names the file.
public enum ShardError: Error, Sendable, Equatable, CustomStringConvertible {
    case vocabularyTooLarge(Int)
    case io(path: String, message: String)
    case malformed(path: String, message: String)
    case mismatch(path: String, message: String)

    public var description: String {
        switch self {
        case let .vocabularyTooLarge(size):
            "a vocabulary of \(size) ids does not fit int32 token shards (at most 2,147,483,648 ids)"
        case let .io(path, message): "\(path): \(message)"
        case let .malformed(path, message): "\(path): malformed: \(message)"
        case let .mismatch(path, message): "\(path): \(message)"
        }
    }
}
