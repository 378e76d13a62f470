import CorpusCore
import Foundation

/// How text is normalized before exact dedup hashes it.
public enum TextNormalization: String, CaseIterable, Sendable {
    /// The text's UTF-8 bytes as they are.
    case none
    /// Runs of whitespace (Unicode White_Space) become one space; leading and trailing whitespace is removed.
    case whitespace
    /// NFKC (compatibility composition: full-width letters, ligatures, superscripts fold), then Unicode
    /// lowercase, then `whitespace`.
    case full

    /// The normalized text, as UTF-8 bytes handed to `body`.
    public func withNormalized<T>(_ text: String, _ body: (UnsafeRawBufferPointer) -> T) -> T {
        switch self {
        case .none:
            var copy = text
            return copy.withUTF8 { body(UnsafeRawBufferPointer($0)) }
        case .whitespace:
            return Self.collapseWhitespace(text).withUnsafeBytes(body)
        case .full:
            let folded = text.precomposedStringWithCompatibilityMapping.lowercased()
            return Self.collapseWhitespace(folded).withUnsafeBytes(body)
        }
    }

    /// The UTF-8 bytes of `text` with whitespace runs as one space and the ends trimmed. Works on bytes: ASCII
    /// directly, other scalars decoded only to ask whether they are White_Space, and copied as they were.
    static func collapseWhitespace(_ text: String) -> [UInt8] {
        var copy = text
        return copy.withUTF8 { bytes in
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            var pendingSpace = false
            var i = 0
            let n = bytes.count
            while i < n {
                let b = bytes[i]
                var length = 1
                var isSpace: Bool
                if b < 0x80 {
                    isSpace = b == 0x20 || (b >= 0x09 && b <= 0x0D)
                } else {
                    let (value, l) = decodeMultibyteScalar(bytes, at: i)
                    length = l
                    isSpace = Unicode.Scalar(value)?.properties.isWhitespace ?? false
                }
                if isSpace {
                    pendingSpace = !out.isEmpty
                } else {
                    if pendingSpace {
                        out.append(0x20)
                        pendingSpace = false
                    }
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[i..<min(i + length, n)]))
                }
                i += length
            }
            return out
        }
    }
}

/// `exact_dedup`: keeps one document of each normalized text, the one with the smallest `Origin.key` (first in
/// input order), and drops the others as `exact_duplicate` with the kept one's `file:line` as detail.
///
/// The pre-pass records (128-bit hash of the normalized text, key) per document; buffers past the memory
/// budget are spilled as sorted runs and merged back, so memory stays flat as the corpus grows.
public struct ExactDedup: CorpusStep {
    public static let reason = "exact_duplicate"
    public var normalization: TextNormalization
    public var memoryBytes: Int
    let budget: MemoryBudget

    public init(normalization: TextNormalization = .whitespace, memoryBytes: Int = 512 << 20) {
        self.normalization = normalization
        self.memoryBytes = memoryBytes
        budget = MemoryBudget(bytes: memoryBytes)
    }

    final class Observer: CorpusObserver {
        let buffers: SpillBuffers<HashKeyRecord>
        let normalization: TextNormalization
        var files: [Int: String] = [:]

        init(fileIndex: Int, folder: String, normalization: TextNormalization, budget: MemoryBudget) {
            buffers = SpillBuffers(partitions: 1, folder: folder, name: "exact-\(fileIndex)", budget: budget)
            self.normalization = normalization
        }

        func observe(_ document: Document) throws {
            guard let key = document.origin?.key else { return }
            noteFile(document, in: &files)
            let hash = normalization.withNormalized(document.text) { DedupHash.hash128($0) }
            try buffers.append(HashKeyRecord(hash: hash, key: key), to: 0)
        }

        func finish() throws { try buffers.finish() }
    }

    public func makeObserver(fileIndex: Int, folder: String) throws -> any CorpusObserver {
        Observer(fileIndex: fileIndex, folder: folder, normalization: normalization, budget: budget)
    }

    public func conclude(_ observers: [any CorpusObserver], folder: String) throws -> StageKind {
        let mine = observers.compactMap { $0 as? Observer }
        var files: [Int: String] = [:]
        for o in mine { files.merge(o.files) { a, _ in a } }
        let merged = try MergedRecords(reduceRuns(mine.flatMap { $0.buffers.sources(0) }, folder: folder, name: "exact"))
        var pairs: [(dropped: UInt64, kept: UInt64)] = []
        var current: HashKeyRecord?
        while let record = try merged.next() {
            if let head = current, head.hash == record.hash {
                pairs.append((record.key, head.key))
            } else {
                current = record
            }
        }
        for o in mine { o.buffers.release(0) }
        return .filter(DuplicateFilter(drops: DuplicateDrops(pairs: pairs, files: files), reason: Self.reason))
    }
}
