import CorpusCore

/// The documents a dedup step drops, by `Origin.key`, each with the key of the document it duplicates (the one
/// kept), and the display path of every input file (for the detail of a rejection).
///
/// Sorted arrays, searched by bisection: memory is 16 bytes per dropped document.
public struct DuplicateDrops: Sendable, Equatable {
    public private(set) var keys: [UInt64] = []
    public private(set) var kept: [UInt64] = []
    public var files: [Int: String] = [:]

    public init() {}

    /// Builds from (dropped, kept) pairs in any order; a key given twice keeps its smallest `kept`.
    public init(pairs: [(dropped: UInt64, kept: UInt64)], files: [Int: String] = [:]) {
        let sorted = pairs.sorted { $0.dropped != $1.dropped ? $0.dropped < $1.dropped : $0.kept < $1.kept }
        for pair in sorted where keys.last != pair.dropped {
            keys.append(pair.dropped)
            kept.append(pair.kept)
        }
        self.files = files
    }

    public var count: Int { keys.count }

    /// The key of the kept document that `key` duplicates, or nil when `key` is kept.
    public func keptKey(for key: UInt64) -> UInt64? {
        var lo = 0, hi = keys.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if keys[mid] < key { lo = mid + 1 } else { hi = mid }
        }
        return lo < keys.count && keys[lo] == key ? kept[lo] : nil
    }

    /// `file:line` of a document key.
    public func describe(_ key: UInt64) -> String {
        let file = Int(key >> 40)
        let line = key & (1 << 40 - 1)
        return "\(files[file] ?? "input #\(file)"):\(line)"
    }
}

/// Drops the documents of a `DuplicateDrops` with one reason; the detail names the kept document.
public struct DuplicateFilter: Filter {
    public let drops: DuplicateDrops
    public let reason: String

    public init(drops: DuplicateDrops, reason: String) {
        self.drops = drops
        self.reason = reason
    }

    public func evaluate(_ document: Document) -> Decision {
        guard let key = document.origin?.key, let kept = drops.keptKey(for: key) else { return .keep }
        return .drop(reason: reason, detail: "duplicate of \(drops.describe(kept))")
    }
}

/// Remembers the display path of the files an observer saw.
func noteFile(_ document: Document, in files: inout [Int: String]) {
    if let origin = document.origin, files[origin.fileIndex] == nil { files[origin.fileIndex] = origin.file }
}
