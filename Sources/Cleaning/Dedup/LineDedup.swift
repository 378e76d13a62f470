import CorpusCore

/// The unit `line_dedup` removes.
public enum LineUnit: String, CaseIterable, Sendable {
    /// A line (text between `\n`s).
    case lines
    /// A paragraph: lines between blank lines. Kept paragraphs are joined by one blank line.
    case paragraphs
}

/// `line_dedup`: removes lines (or paragraphs) that occur in more than `maxDocuments` documents of the corpus.
///
/// A unit is compared with leading and trailing whitespace removed; blank units and units shorter than
/// `minChars` characters are never removed. A unit counts once per document however often it repeats inside
/// it. With `keepFirst` the document with the smallest `Origin.key` that contains a repeated unit keeps it (the
/// first occurrence in input order, as CCNet and datatrove's sentence dedup keep theirs); without, it is removed
/// everywhere. A document left with only whitespace is dropped as `empty_after_line_dedup`. A document with
/// nothing removed is not touched (byte for byte).
///
/// The pre-pass records (128-bit hash of the unit, key) per distinct unit of each document, spilled as sorted
/// runs past `memoryBytes`; `conclude` merges them and keeps the repeated units (hash and first key) in memory:
/// 24 bytes per repeated unit.
public struct LineDedup: CorpusStep {
    public static let reason = "empty_after_line_dedup"
    public var unit: LineUnit
    public var maxDocuments: Int
    public var keepFirst: Bool
    public var minChars: Int
    public var memoryBytes: Int
    let budget: MemoryBudget

    public init(unit: LineUnit = .lines, maxDocuments: Int = 1, keepFirst: Bool = true, minChars: Int = 0,
                memoryBytes: Int = 512 << 20)
    {
        self.unit = unit
        self.maxDocuments = max(maxDocuments, 1)
        self.keepFirst = keepFirst
        self.minChars = minChars
        self.memoryBytes = memoryBytes
        budget = MemoryBudget(bytes: memoryBytes)
    }

    final class Observer: CorpusObserver {
        let step: LineDedup
        let buffers: SpillBuffers<HashKeyRecord>
        var seen = Set<Hash128>()

        init(step: LineDedup, fileIndex: Int, folder: String) {
            self.step = step
            buffers = SpillBuffers(partitions: 1, folder: folder, name: "lines-\(fileIndex)", budget: step.budget)
        }

        func observe(_ document: Document) throws {
            guard let key = document.origin?.key else { return }
            seen.removeAll(keepingCapacity: true)
            for unit in step.units(of: document.text) {
                guard let hash = step.hash(unit) else { continue }
                if seen.insert(hash).inserted { try buffers.append(HashKeyRecord(hash: hash, key: key), to: 0) }
            }
        }

        func finish() throws { try buffers.finish() }
    }

    public func makeObserver(fileIndex: Int, folder: String) throws -> any CorpusObserver {
        Observer(step: self, fileIndex: fileIndex, folder: folder)
    }

    public func conclude(_ observers: [any CorpusObserver], folder: String) throws -> StageKind {
        let mine = observers.compactMap { $0 as? Observer }
        let merged = try MergedRecords(reduceRuns(mine.flatMap { $0.buffers.sources(0) }, folder: folder, name: "lines"))
        var repeated = RepeatedUnits()
        var head: HashKeyRecord?
        var documents = 0
        func close() {
            if let head, documents > maxDocuments { repeated.append(head.hash, first: head.key) }
        }
        while let record = try merged.next() {
            if let h = head, h.hash == record.hash {
                documents += 1
            } else {
                close()
                head = record
                documents = 1
            }
        }
        close()
        for o in mine { o.buffers.release(0) }
        return .transform(LineDedupTransform(step: self, repeated: repeated))
    }

    /// The units of `text`: lines split at `\n` bytes (a `\r` before it stays in the line and is trimmed when
    /// hashing), or paragraphs with their inner newlines.
    func units(of text: String) -> [Substring] {
        let lines = text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).map { Substring($0) }
        switch unit {
        case .lines:
            return lines
        case .paragraphs:
            var result: [Substring] = []
            var start: String.Index?
            var end = text.startIndex
            for line in lines {
                if line.allSatisfy(\.isWhitespace) {
                    if let s = start { result.append(text[s..<end]) }
                    start = nil
                } else {
                    if start == nil { start = line.startIndex }
                    end = line.endIndex
                }
            }
            if let s = start { result.append(text[s..<end]) }
            return result
        }
    }

    /// The hash of a unit with surrounding whitespace removed; nil for a unit that never counts.
    func hash(_ unit: Substring) -> Hash128? {
        let scalars = unit.unicodeScalars
        var start = scalars.startIndex, end = scalars.endIndex
        while start < end, scalars[start].properties.isWhitespace { start = scalars.index(after: start) }
        while end > start, scalars[scalars.index(before: end)].properties.isWhitespace {
            end = scalars.index(before: end)
        }
        guard start < end else { return nil }
        var core = Substring(scalars[start..<end])
        if minChars > 0, core.unicodeScalars.count < minChars { return nil }
        return core.withUTF8 { DedupHash.hash128(UnsafeRawBufferPointer($0), seed: 0x6c69_6e65) }
    }
}

/// Repeated unit hashes, sorted, each with the key of the first document that has it.
struct RepeatedUnits: Sendable {
    var hashes: [Hash128] = []
    var first: [UInt64] = []

    mutating func append(_ hash: Hash128, first key: UInt64) {
        hashes.append(hash)
        first.append(key)
    }

    func firstKey(of hash: Hash128) -> UInt64? {
        var lo = 0, hi = hashes.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if hashes[mid] < hash { lo = mid + 1 } else { hi = mid }
        }
        return lo < hashes.count && hashes[lo] == hash ? first[lo] : nil
    }
}

/// The per-document side of `line_dedup`: removes the repeated units.
public struct LineDedupTransform: Transform {
    let step: LineDedup
    let repeated: RepeatedUnits

    init(step: LineDedup, repeated: RepeatedUnits) {
        self.step = step
        self.repeated = repeated
    }

    /// Units that occur in more than `maxDocuments` documents.
    public var repeatedCount: Int { repeated.hashes.count }

    public func apply(to document: inout Document) -> Decision {
        guard !repeated.hashes.isEmpty else { return .keep }
        let key = document.origin?.key
        let units = step.units(of: document.text)
        var kept: [Substring] = []
        kept.reserveCapacity(units.count)
        var removed = 0
        for unit in units {
            if let hash = step.hash(unit), let first = repeated.firstKey(of: hash),
               !(step.keepFirst && key == first)
            {
                removed += 1
                continue
            }
            kept.append(unit)
        }
        guard removed > 0 else { return .keep }
        let separator = step.unit == .lines ? "\n" : "\n\n"
        let text = kept.joined(separator: separator)
        if text.allSatisfy(\.isWhitespace) {
            let noun = step.unit == .lines ? "lines" : "paragraphs"
            return .drop(reason: LineDedup.reason,
                         detail: "all \(removed) \(noun) occur in more than \(step.maxDocuments) documents")
        }
        document.text = text
        return .keep
    }
}
