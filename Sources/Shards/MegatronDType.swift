/// The value type of a Megatron indexed dataset, by its code in the `.idx` header (megatron-core's `DType`).
///
/// ```
/// MegatronDType.uint16.rawValue   // 8
/// MegatronDType.uint16.itemSize   // 2
/// ```
public enum MegatronDType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case uint8 = 1
    case int8 = 2
    case int16 = 3
    case int32 = 4
    case int64 = 5
    case float64 = 6
    case float32 = 7
    case uint16 = 8

    /// The token dtype's code: uint16 → 8, int32 → 4.
    public init(_ tokens: TokenDType) {
        self = tokens == .uint16 ? .uint16 : .int32
    }

    /// Bytes per value.
    public var itemSize: Int {
        switch self {
        case .uint8, .int8: 1
        case .int16, .uint16: 2
        case .int32, .float32: 4
        case .int64, .float64: 8
        }
    }

    /// Whether values are integers (everything but float32 and float64).
    public var isInteger: Bool { self != .float32 && self != .float64 }

    /// The smallest and largest value the type holds (integer types; the floats give Int64's range).
    public var range: ClosedRange<Int64> {
        switch self {
        case .uint8: 0...Int64(UInt8.max)
        case .int8: Int64(Int8.min)...Int64(Int8.max)
        case .int16: Int64(Int16.min)...Int64(Int16.max)
        case .uint16: 0...Int64(UInt16.max)
        case .int32: Int64(Int32.min)...Int64(Int32.max)
        case .int64, .float32, .float64: Int64.min...Int64.max
        }
    }

    /// numpy's name: "uint16", "int32" …
    public var description: String {
        switch self {
        case .uint8: "uint8"
        case .int8: "int8"
        case .int16: "int16"
        case .int32: "int32"
        case .int64: "int64"
        case .float64: "float64"
        case .float32: "float32"
        case .uint16: "uint16"
        }
    }
}

/// The four indexed datasets of a shard (docs/shard-format.md): window *i* is sequence *i* of each.
///
/// ```
/// ShardPart.cuSeqlens.prefix(of: "train/rank-00000-00000")   // "train/rank-00000-00000-cuseqlens"
/// ```
public enum ShardPart: String, Sendable, CaseIterable {
    /// Token ids, `seq_len` per window (uint16 or int32).
    case tokens
    /// uint8, one per token: 1 = a training target.
    case lossMask = "lossmask"
    /// int32 `[0, e₁, …, seq_len]` per window.
    case cuSeqlens = "cuseqlens"
    /// int64 (ordinal, offset) pairs, one per segment.
    case segments

    /// What follows the shard prefix in this part's file names: "" for tokens, else "-lossmask" and so on.
    public var suffix: String { self == .tokens ? "" : "-" + rawValue }

    /// The dataset prefix of this part of the shard `shardPrefix`.
    public func prefix(of shardPrefix: String) -> String { shardPrefix + suffix }

    /// The part's value type; tokens take the shard's token dtype.
    public func dtype(tokens: TokenDType) -> MegatronDType {
        switch self {
        case .tokens: MegatronDType(tokens)
        case .lossMask: .uint8
        case .cuSeqlens: .int32
        case .segments: .int64
        }
    }
}
