import CorpusCore
import CorpusIO
import Foundation

/// A named step of a pipeline, as a recipe lists it.
public struct Stage: Sendable {
    public typealias Kind = StageKind

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

/// Where kept documents go: JSONL files now; token shards (issue 4) later.
///
/// A sink gets documents in input order from one thread and makes its output visible only in `finish`.
public protocol DocumentSink {
    mutating func write(_ document: Document) throws
    /// Flushes and commits the output; nothing is visible under the final name before this.
    mutating func finish() throws
    /// Tokens written so far (token sinks; 0 for text).
    var tokensWritten: Int { get }
}

extension DocumentSink {
    public var tokensWritten: Int { 0 }
}

/// A sink that writes nothing (packing writes its own part files).
struct NoSink: DocumentSink {
    mutating func write(_ document: Document) throws {}
    mutating func finish() throws {}
}

/// Writes documents as JSONL (plain, .gz or .zst) through an atomic `OutputFile`, in 1 MiB batches.
public struct JSONLSink: DocumentSink {
    private let file: OutputFile
    private var buffer = JSONWriter(capacity: 1 << 20)

    public init(path: String, compression: Compression, level: Int?) throws {
        file = try OutputFile(path: path, compression: compression, level: level)
    }

    public mutating func write(_ document: Document) throws {
        DocumentEncoder.encode(document, into: &buffer)
        if buffer.bytes.count >= 1 << 20 { try flush() }
    }

    public mutating func finish() throws {
        try flush()
        try file.commit()
    }

    private mutating func flush() throws {
        try file.write(buffer.bytes)
        buffer.bytes.removeAll(keepingCapacity: true)
    }
}

/// The rejects file: one `RejectEntry` a line, JSONL.zst. With `enabled == false` it counts nothing and
/// writes an empty file, so the output layout stays the same.
public struct RejectsSink {
    private let file: OutputFile
    private var buffer = JSONWriter(capacity: 1 << 16)
    public let enabled: Bool

    public init(path: String, enabled: Bool) throws {
        file = try OutputFile(path: path, compression: .zstd)
        self.enabled = enabled
    }

    public mutating func write(_ entry: @autoclosure () -> RejectEntry) throws {
        guard enabled else { return }
        entry().encode(into: &buffer)
        if buffer.bytes.count >= 1 << 16 {
            try file.write(buffer.bytes)
            buffer.bytes.removeAll(keepingCapacity: true)
        }
    }

    public mutating func finish() throws {
        try file.write(buffer.bytes)
        try file.commit()
    }
}

extension DocumentReader {
    /// What `forEachDocument` read.
    public struct Counts: Sendable {
        public var read = 0
        public var rejected = 0
        /// The input ended early (truncated or unreadable stream): what was read before is kept.
        public var problem: IOError?
    }

    /// `forEach` for jobs outside the runner (`ptk tokenize`, `embed`, `order`, `index build`): documents go to
    /// `body` with their record's bytes; records that are not documents are written to `rejects` (stage `read`,
    /// with their reason). Returns the records read and rejected, for the caller's ledger.
    public mutating func forEachDocument(rejects: inout RejectsSink,
                                  _ body: (Document, UnsafeRawBufferPointer) throws -> Void) throws -> Counts
    {
        var counts = Counts()
        counts.problem = try forEach { event in
            counts.read += 1
            switch event {
            case let .document(document, record):
                try body(document, record)
            case let .rejected(problem, origin, record):
                counts.rejected += 1
                try rejects.write(RejectEntry(id: problem.id, origin: origin, stage: "read", reason: problem.reason,
                                              detail: problem.detail, record: Array(record)))
            }
        }
        return counts
    }
}
