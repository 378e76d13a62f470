/// What is wrong with a window, and in which of the shard's files it would show.
public struct WindowProblem: Sendable, Equatable, CustomStringConvertible {
    public var part: ShardPart
    public var message: String

    public init(part: ShardPart, message: String) {
        self.part = part
        self.message = message
    }

    public var description: String { "\(part.rawValue): \(message)" }
}

extension PackedWindow {
    /// The ordinal of padding segments.
    public static let paddingOrdinal: Int64 = -1

    /// Tokens in padding segments (ordinal −1).
    ///
    /// - Complexity: O(segments).
    public var paddingTokenCount: Int {
        var total = 0
        for s in 0..<max(0, min(segmentCount, segments.count / 2)) where segments[2 * s] == Self.paddingOrdinal {
            total += Int(cuSeqlens[s + 1]) - Int(cuSeqlens[s])
        }
        return total
    }

    /// Tokens that are training targets (loss mask 1).
    public var lossTokenCount: Int {
        var total = 0
        for value in lossMask { total += Int(value) }
        return total
    }

    /// The first way this window breaks docs/shard-format.md, or nil when it is well formed.
    ///
    /// The rules: `seqLen` tokens and loss-mask values, each mask value 0 or 1; `cuSeqlens` runs from 0 to `seqLen`
    /// and strictly increases; two `segments` values per segment, an ordinal ≥ −1 and an offset ≥ 0; padding
    /// (ordinal −1) only as the last segment, with loss mask 0. Token ids are not checked here: their bound is the
    /// dtype's (writer) or the vocabulary's (verifier), see `firstToken(atLeast:)`.
    ///
    /// ```
    /// PackedWindow(tokens: [5, 6, 0], lossMask: [1, 1, 0], cuSeqlens: [0, 2, 3], segments: [7, 0, -1, 0])
    ///     .problem(seqLen: 3)   // nil
    /// ```
    /// - Complexity: O(seqLen).
    public func problem(seqLen: Int) -> WindowProblem? {
        if tokens.count != seqLen {
            return WindowProblem(part: .tokens, message: "\(tokens.count) tokens, expected seq_len \(seqLen)")
        }
        if lossMask.count != seqLen {
            return WindowProblem(part: .lossMask, message: "\(lossMask.count) values, expected seq_len \(seqLen)")
        }
        if let bad = lossMask.firstIndex(where: { $0 > 1 }) {
            return WindowProblem(part: .lossMask, message: "value \(lossMask[bad]) at position \(bad) (only 0 and 1)")
        }
        if let message = cuSeqlensProblem(seqLen: seqLen) {
            return WindowProblem(part: .cuSeqlens, message: message)
        }
        if segments.count != 2 * segmentCount {
            return WindowProblem(part: .segments, message: "\(segments.count) values for \(segmentCount) segments, "
                                 + "expected two per segment (\(2 * segmentCount))")
        }
        for s in 0..<segmentCount {
            let ordinal = segments[2 * s], offset = segments[2 * s + 1]
            if ordinal < Self.paddingOrdinal || offset < 0 {
                return WindowProblem(part: .segments, message: "segment \(s) is (\(ordinal), \(offset)): ordinals are "
                                     + "≥ −1 and offsets ≥ 0")
            }
            guard ordinal == Self.paddingOrdinal else { continue }
            if s != segmentCount - 1 {
                return WindowProblem(part: .segments, message: "segment \(s) is padding but not the last segment")
            }
            let start = Int(cuSeqlens[s]), end = Int(cuSeqlens[s + 1])
            if let bad = lossMask[start..<end].firstIndex(of: 1) {
                return WindowProblem(part: .lossMask, message: "value 1 at position \(bad), in padding "
                                     + "(segment \(s), \(start)..<\(end))")
            }
        }
        return nil
    }

    /// The position of the first token id ≥ `limit`, or nil.
    public func firstToken(atLeast limit: UInt64) -> Int? {
        guard limit <= UInt64(UInt32.max) else { return nil }
        let bound = UInt32(limit)
        guard let high = tokens.max(), high >= bound else { return nil }
        return tokens.firstIndex { $0 >= bound }
    }

    private func cuSeqlensProblem(seqLen: Int) -> String? {
        guard cuSeqlens.count >= 2 else {
            return "\(cuSeqlens.count) values: at least [0, seq_len] is needed"
        }
        if cuSeqlens.first != 0 || cuSeqlens.last.map(Int.init) != seqLen {
            return "runs from \(cuSeqlens[0]) to \(cuSeqlens[cuSeqlens.count - 1]), expected 0 to seq_len \(seqLen)"
        }
        for i in 1..<cuSeqlens.count where cuSeqlens[i] <= cuSeqlens[i - 1] {
            return "does not increase at position \(i) (\(cuSeqlens[i - 1]), then \(cuSeqlens[i]))"
        }
        return nil
    }
}
