import CorpusCore
import Foundation

/// What a filter or transform decided about one document.
public enum Decision: Sendable, Equatable {
    case keep
    /// Drop the document; `reason` is a stable snake_case name (`too_short`, `wrong_script`) that keys the
    /// ledger and the rejects file.
    case drop(reason: String, detail: String = "")
}

/// A stage that keeps or drops documents and never changes them.
///
/// One override point, `evaluate`. Filters are values shared by every worker thread, so they hold no
/// mutable state.
public protocol Filter: Sendable {
    func evaluate(_ document: Document) -> Decision
}

/// A stage that may change a document (PII scrubbing, whitespace normalization) and may drop it.
public protocol Transform: Sendable {
    /// Changes `document` in place; returns `.drop` to remove it (the rejects file keeps the original record).
    func apply(to document: inout Document) -> Decision
}

/// A named step of a pipeline, as a recipe lists it.
public struct Stage: Sendable {
    public enum Kind: Sendable {
        case filter(any Filter)
        case transform(any Transform)
    }

    /// The name reported in the ledger and the rejects file (`length`, or `length#2` when a recipe uses
    /// the same step twice).
    public var name: String
    public var kind: Kind

    public init(name: String, filter: any Filter) {
        self.name = name
        self.kind = .filter(filter)
    }

    public init(name: String, transform: any Transform) {
        self.name = name
        self.kind = .transform(transform)
    }

    public var kindName: String {
        switch kind {
        case .filter: "filter"
        case .transform: "transform"
        }
    }
}

/// Runs `document` through `stages` in order, counting into `stats` (one entry per stage, same order).
///
/// - Returns: nil when the document is kept to the end, else the index of the dropping stage and its decision.
@inlinable
public func runStages(_ stages: [Stage], on document: inout Document, stats: inout [StageStats])
    -> (stage: Int, reason: String, detail: String)?
{
    for (i, stage) in stages.enumerated() {
        let bytesBefore = document.byteCount
        let decision: Decision
        switch stage.kind {
        case let .filter(filter):
            decision = filter.evaluate(document)
        case let .transform(transform):
            let before = document.text
            decision = transform.apply(to: &document)
            if case .keep = decision, !sameBytes(document.text, before) {
                stats[i].changed += 1
                stats[i].bytesRemoved += bytesBefore - document.byteCount
            }
        }
        switch decision {
        case .keep:
            stats[i].input.add(bytes: bytesBefore)
            stats[i].kept.add(bytes: document.byteCount)
        case let .drop(reason, detail):
            stats[i].recordDropped(reason: reason, bytes: bytesBefore)
            return (i, reason, detail)
        }
    }
    return nil
}

/// Whether two strings hold the same UTF-8 bytes. `==` would not do: it is canonical equivalence and would
/// miss an NFC ↔ NFD change. O(1) when a transform left the text alone (same storage), memcmp otherwise.
@usableFromInline
func sameBytes(_ a: String, _ b: String) -> Bool {
    var a = a, b = b
    return a.withUTF8 { pa in b.withUTF8 { pb in memoryEqual(UnsafeRawBufferPointer(pa), UnsafeRawBufferPointer(pb)) } }
}

/// Byte equality of two buffers (memcmp; O(1) for the same memory).
@usableFromInline
func memoryEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    guard a.count == b.count else { return false }
    guard let pa = a.baseAddress, let pb = b.baseAddress, pa != pb else { return true }
    return memcmp(pa, pb, a.count) == 0
}
