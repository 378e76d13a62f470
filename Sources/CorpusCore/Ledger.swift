/// Documents and UTF-8 bytes, counted together everywhere the ledger counts.
public struct Tally: Sendable, Equatable, Codable {
    public var documents: Int = 0
    public var bytes: Int = 0

    public init(documents: Int = 0, bytes: Int = 0) {
        self.documents = documents
        self.bytes = bytes
    }

    @inlinable public mutating func add(bytes: Int) {
        documents += 1
        self.bytes += bytes
    }

    public static func + (lhs: Tally, rhs: Tally) -> Tally {
        Tally(documents: lhs.documents + rhs.documents, bytes: lhs.bytes + rhs.bytes)
    }
}

/// What one stage saw and did: documents in, kept, changed (transforms) and dropped per named reason.
///
/// Invariant: `input == kept + Σ dropped`. Merging two stats of the same stage (from two files or two
/// ranks) adds every count, so the merge is order-independent.
public struct StageStats: Sendable, Equatable, Codable {
    public var name: String
    public var kind: String
    public var input = Tally()
    public var kept = Tally()
    /// Transforms only: documents whose text the stage changed, and the bytes it removed (negative: added).
    public var changed = 0
    public var bytesRemoved = 0
    /// Dropped documents by reason, e.g. `too_short`, `invalid_utf8`.
    public var dropped: [String: Tally] = [:]

    public init(name: String, kind: String) {
        self.name = name
        self.kind = kind
    }

    public var droppedTotal: Tally { dropped.values.reduce(Tally(), +) }

    public mutating func recordKept(bytes: Int) {
        input.add(bytes: bytes)
        kept.add(bytes: bytes)
    }

    public mutating func recordDropped(reason: String, bytes: Int) {
        input.add(bytes: bytes)
        dropped[reason, default: Tally()].add(bytes: bytes)
    }

    /// Adds `other`'s counts into `self` (same stage from another file or rank).
    public mutating func merge(_ other: StageStats) {
        input = input + other.input
        kept = kept + other.kept
        changed += other.changed
        bytesRemoved += other.bytesRemoved
        for (reason, tally) in other.dropped { dropped[reason, default: Tally()] = dropped[reason, default: Tally()] + tally }
    }

    /// Whether the stage's own books balance: everything that came in was kept or dropped for a reason.
    public var isBalanced: Bool { input.documents == kept.documents + droppedTotal.documents }
}

/// The run's books: every record read is either written or rejected with a reason.
public struct Ledger: Sendable, Equatable, Codable {
    public var read = 0
    public var written = 0
    public var rejected = 0

    public init(read: Int = 0, written: Int = 0, rejected: Int = 0) {
        self.read = read
        self.written = written
        self.rejected = rejected
    }

    public mutating func merge(_ other: Ledger) {
        read += other.read
        written += other.written
        rejected += other.rejected
    }

    /// - Throws: `CorpusError.ledgerMismatch` unless `read == written + rejected`.
    public func check() throws(CorpusError) {
        guard read == written + rejected else {
            throw .ledgerMismatch(read: read, written: written, rejected: rejected)
        }
    }
}
