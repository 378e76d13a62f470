/// Errors of the foundation types. Every case carries the context a user needs to fix the input.
public enum CorpusError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidShard(rank: Int, worldSize: Int)
    case ledgerMismatch(read: Int, written: Int, rejected: Int)
    case stageUnbalanced(stage: String, input: Int, kept: Int, dropped: Int)
    case stageChainBroken(stage: String, expected: Int, found: Int)

    public var description: String {
        switch self {
        case let .invalidShard(rank, worldSize):
            "invalid task index: rank \(rank) of world size \(worldSize) (need 0 ≤ rank < world size)"
        case let .ledgerMismatch(read, written, rejected):
            "ledger does not add up: read \(read) ≠ written \(written) + rejected \(rejected); documents were lost"
        case let .stageUnbalanced(stage, input, kept, dropped):
            "stage \(stage) does not balance: \(input) in ≠ \(kept) kept + \(dropped) dropped"
        case let .stageChainBroken(stage, expected, found):
            "stage \(stage) received \(found) documents, but the stage before it kept \(expected)"
        }
    }
}
