import CorpusCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `minhash_dedup`: MinHash-LSH near-duplicate removal. Documents that share a band key are candidates; with a
/// `threshold`, a candidate pair is kept only when the share of equal signature positions (the estimated
/// Jaccard similarity) reaches it. Candidate pairs are joined into clusters (union-find); each cluster keeps
/// its document with the smallest `Origin.key` and drops the others as `near_duplicate` (detail: the kept
/// document's `file:line`).
///
/// The pre-pass writes (band key, document key) records per band, spilled as sorted runs past `memoryBytes`;
/// `conclude` merges the runs of each band (k-way) and pairs every member of a bucket with the bucket's first
/// (smallest key) member, as datatrove's bucket stage pairs neighbours. Clusters hold only documents that
/// have a candidate; memory is that plus one 64 KiB read buffer per run.
public struct MinHashDedup: CorpusStep {
    public static let reason = "near_duplicate"
    public var hasher: MinHasher
    public var threshold: Double?
    public var memoryBytes: Int
    let budget: MemoryBudget

    public init(parameters: MinHashParameters = MinHashParameters(), threshold: Double? = nil,
                memoryBytes: Int = 512 << 20)
    {
        hasher = MinHasher(parameters)
        self.threshold = threshold
        self.memoryBytes = memoryBytes
        budget = MemoryBudget(bytes: memoryBytes)
    }

    final class Observer: CorpusObserver {
        let hasher: MinHasher
        let buffers: SpillBuffers<BandRecord>
        let signatures: SignatureWriter?
        var files: [Int: String] = [:]
        var signature: [UInt64] = []

        init(fileIndex: Int, folder: String, hasher: MinHasher, budget: MemoryBudget, keepSignatures: Bool) throws {
            self.hasher = hasher
            buffers = SpillBuffers(partitions: hasher.parameters.bands, folder: folder, name: "bands-\(fileIndex)",
                                   budget: budget)
            signatures = keepSignatures
                ? try SignatureWriter(path: SignatureStore.path(folder: folder, fileIndex: fileIndex),
                                      hashCount: hasher.hashCount) : nil
        }

        func observe(_ document: Document) throws {
            guard let key = document.origin?.key else { return }
            noteFile(document, in: &files)
            try add(document.text, key: key)
        }

        func add(_ text: String, key: UInt64) throws {
            guard hasher.signature(text, into: &signature) else { return }
            try signatures?.append(key: key, signature: signature)
            for band in 0..<hasher.parameters.bands {
                let hash = signature.withUnsafeBufferPointer { hasher.bandKey($0, band: band) }
                try buffers.append(BandRecord(hash: hash, key: key), to: band)
            }
        }

        func finish() throws {
            try buffers.finish()
            try signatures?.finish()
        }
    }

    public func makeObserver(fileIndex: Int, folder: String) throws -> any CorpusObserver {
        try Observer(fileIndex: fileIndex, folder: folder, hasher: hasher, budget: budget,
                     keepSignatures: threshold != nil)
    }

    public func conclude(_ observers: [any CorpusObserver], folder: String) throws -> StageKind {
        let mine = observers.compactMap { $0 as? Observer }
        var files: [Int: String] = [:]
        for o in mine { files.merge(o.files) { a, _ in a } }
        var pairs: [(UInt64, UInt64)] = []
        for band in 0..<hasher.parameters.bands {
            let merged = try MergedRecords(reduceRuns(mine.flatMap { $0.buffers.sources(band) }, folder: folder,
                                                      name: "band-\(band)"))
            try MinHashClustering.bucketPairs(merged) { pairs.append(($0, $1)) }
            for o in mine { o.buffers.release(band) }
        }
        if let threshold {
            pairs = try MinHashClustering.verify(pairs, threshold: threshold,
                                                 store: SignatureStore(folder: folder, hashCount: hasher.hashCount))
        }
        let drops = MinHashClustering.cluster(pairs, files: files)
        return .filter(DuplicateFilter(drops: drops, reason: Self.reason))
    }
}

/// The steps after the bands: candidate pairs from sorted band records, verification, clusters.
public enum MinHashClustering {
    /// Calls `pair(first, other)` for every record of a bucket (equal band keys) after its first, where `first`
    /// is the bucket's smallest key (records arrive sorted by key within a bucket).
    public static func bucketPairs(_ merged: MergedRecords<BandRecord>, _ pair: (UInt64, UInt64) throws -> Void)
        throws
    {
        var head: BandRecord?
        while let record = try merged.next() {
            if let h = head, h.hash == record.hash {
                if record.key != h.key { try pair(h.key, record.key) }
            } else {
                head = record
            }
        }
    }

    /// The pairs whose signatures agree in at least `threshold` of their positions.
    public static func verify(_ pairs: [(UInt64, UInt64)], threshold: Double, store: SignatureStore) throws
        -> [(UInt64, UInt64)]
    {
        var unique = pairs.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        unique = unique.enumerated().filter { i, p in i == 0 || unique[i - 1] != p }.map(\.element)
        var result: [(UInt64, UInt64)] = []
        var a: [UInt64] = [], b: [UInt64] = []
        var loadedA: UInt64?
        for (x, y) in unique {
            if loadedA != x {
                guard try store.load(key: x, into: &a) else { continue }
                loadedA = x
            }
            guard try store.load(key: y, into: &b) else { continue }
            let j = a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { MinHasher.estimatedJaccard(pa, $0) } }
            if j >= threshold { result.append((x, y)) }
        }
        return result
    }

    /// Union-find over the pairs; every cluster keeps its smallest key, the others are dropped with it as kept.
    public static func cluster(_ pairs: [(UInt64, UInt64)], files: [Int: String]) -> DuplicateDrops {
        var parent: [UInt64: UInt64] = [:]
        func find(_ x: UInt64) -> UInt64 {
            var root = x
            while let p = parent[root], p != root { root = p }
            var node = x
            while let p = parent[node], p != root {
                parent[node] = root
                node = p
            }
            return root
        }
        for (a, b) in pairs {
            let ra = find(a), rb = find(b)
            if ra == rb { continue }
            // The smaller root stays a root, so every cluster's root is its smallest key.
            if ra < rb { parent[rb] = ra } else { parent[ra] = rb }
            if parent[ra] == nil { parent[ra] = ra }
            if parent[rb] == nil { parent[rb] = rb }
        }
        var drops: [(dropped: UInt64, kept: UInt64)] = []
        for node in parent.keys {
            let root = find(node)
            if root != node { drops.append((node, root)) }
        }
        return DuplicateDrops(pairs: drops, files: files)
    }
}

/// Writes signatures of one input file as (key, hashes…) records in document order (keys ascending).
final class SignatureWriter {
    let path: String
    let fd: Int32
    var buffer: [UInt64] = []
    let hashCount: Int

    init(path: String, hashCount: Int) throws {
        self.path = path
        self.hashCount = hashCount
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw DedupError.errno(path, "cannot create") }
    }

    deinit { Glibc.close(fd) }

    func append(key: UInt64, signature: [UInt64]) throws {
        buffer.append(key)
        buffer.append(contentsOf: signature)
        if buffer.count >= 1 << 15 { try flush() }
    }

    func flush() throws {
        try writeAll(fd, buffer, path: path)
        buffer.removeAll(keepingCapacity: true)
    }

    func finish() throws { try flush() }
}

/// Random access to the signatures written by `SignatureWriter`, by document key (bisection over the file of
/// the key's input file).
public final class SignatureStore {
    let folder: String
    let hashCount: Int
    private var open: [Int: (fd: Int32, records: Int)] = [:]

    public init(folder: String, hashCount: Int) {
        self.folder = folder
        self.hashCount = hashCount
    }

    deinit { for (_, f) in open { Glibc.close(f.fd) } }

    static func path(folder: String, fileIndex: Int) -> String { "\(folder)/signatures-\(fileIndex).sig" }

    /// Loads the signature of `key`; false when the document has none.
    public func load(key: UInt64, into out: inout [UInt64]) throws -> Bool {
        let fileIndex = Int(key >> 40)
        let record = (hashCount + 1) * 8
        let file: (fd: Int32, records: Int)
        if let f = open[fileIndex] {
            file = f
        } else {
            let path = Self.path(folder: folder, fileIndex: fileIndex)
            let fd = Glibc.open(path, O_RDONLY)
            guard fd >= 0 else { return false }
            var st = stat()
            guard fstat(fd, &st) == 0 else { throw DedupError.errno(path, "cannot stat") }
            file = (fd, Int(st.st_size) / record)
            open[fileIndex] = file
        }
        var lo = 0, hi = file.records
        var k: UInt64 = 0
        while lo < hi {
            let mid = (lo + hi) / 2
            guard pread(file.fd, &k, 8, off_t(mid * record)) == 8 else {
                throw DedupError.io(path: Self.path(folder: folder, fileIndex: fileIndex), message: "short read")
            }
            if k < key { lo = mid + 1 } else { hi = mid }
        }
        guard lo < file.records else { return false }
        if out.count != hashCount + 1 { out = Array(repeating: 0, count: hashCount + 1) }
        let n = out.withUnsafeMutableBytes { raw -> Int in
            guard let base = raw.baseAddress else { return -1 }
            return pread(file.fd, base, record, off_t(lo * record))
        }
        guard n == record, out[0] == key else { return false }
        out.removeFirst()
        return true
    }
}
