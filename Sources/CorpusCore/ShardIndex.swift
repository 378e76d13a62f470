/// The position of one task in a multi-task job: rank `rank` of `worldSize` (a Slurm array task, say).
public struct ShardIndex: Sendable, Hashable, CustomStringConvertible {
    public let rank: Int
    public let worldSize: Int

    /// A single-task job.
    public static let single = ShardIndex(uncheckedRank: 0, worldSize: 1)

    /// - Throws: `CorpusError.invalidShard` unless `0 <= rank < worldSize`.
    public init(rank: Int, worldSize: Int) throws(CorpusError) {
        guard worldSize >= 1, rank >= 0, rank < worldSize else {
            throw .invalidShard(rank: rank, worldSize: worldSize)
        }
        self.rank = rank
        self.worldSize = worldSize
    }

    private init(uncheckedRank rank: Int, worldSize: Int) {
        self.rank = rank
        self.worldSize = worldSize
    }

    /// Whether item `index` of a deterministic list belongs to this task (round robin).
    @inlinable public func owns(_ index: Int) -> Bool { index % worldSize == rank }

    /// `rank-00003`: the stem of every per-task file name.
    public var fileStem: String { "rank-" + String(rank).leftPadded(to: 5) }

    public var description: String { "\(rank)/\(worldSize)" }
}

extension String {
    /// Left-pads with zeros to `width` characters: `"7".leftPadded(to: 3) == "007"`.
    public func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
