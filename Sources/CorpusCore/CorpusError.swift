/// Errors of the foundation types. Every case carries the context a user needs to fix the input.
public enum CorpusError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidShard(rank: Int, worldSize: Int)
    case ledgerMismatch(read: Int, written: Int, rejected: Int)

    public var description: String {
        switch self {
        case let .invalidShard(rank, worldSize):
            "invalid task index: rank \(rank) of world size \(worldSize) (need 0 ≤ rank < world size)"
        case let .ledgerMismatch(read, written, rejected):
            "ledger does not add up: read \(read) ≠ written \(written) + rejected \(rejected); documents were lost"
        }
    }
}
