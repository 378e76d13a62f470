import CorpusCore
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What dedup throws: file problems of its scratch and stage folders, and inconsistent stage inputs.
public enum DedupError: Error, Equatable, CustomStringConvertible {
    case io(path: String, message: String)
    case badStageFolder(path: String, message: String)

    public var description: String {
        switch self {
        case let .io(path, message): "\(path): \(message)"
        case let .badStageFolder(path, message): "\(path): \(message)"
        }
    }

    static func errno(_ path: String, _ what: String) -> DedupError {
        .io(path: path, message: "\(what): \(String(cString: strerror(Glibc.errno)))")
    }
}

/// A fixed-width record that dedup sorts, spills to disk as raw bytes and merges back.
public protocol SpillRecord: Comparable, BitwiseCopyable, Sendable {}

/// (128-bit hash, document key): exact dedup and line dedup. Sorted by hash, then key.
public struct HashKeyRecord: SpillRecord {
    public var hash: Hash128
    public var key: UInt64

    @inlinable public init(hash: Hash128, key: UInt64) {
        self.hash = hash
        self.key = key
    }

    @inlinable public static func < (a: Self, b: Self) -> Bool {
        a.hash != b.hash ? a.hash < b.hash : a.key < b.key
    }
}

/// (band hash, document key): one LSH band of one document. Sorted by hash, then key.
public struct BandRecord: SpillRecord {
    public var hash: UInt64
    public var key: UInt64

    @inlinable public init(hash: UInt64, key: UInt64) {
        self.hash = hash
        self.key = key
    }

    @inlinable public static func < (a: Self, b: Self) -> Bool {
        a.hash != b.hash ? a.hash < b.hash : a.key < b.key
    }
}

/// Bytes of memory that the buffers of all observers of one corpus step may hold together.
///
/// Observers on different threads add what they buffer in 64 KiB steps; the one that crosses the limit
/// spills its sorted buffers to disk and gives its share back. Where a spill happens never changes a result:
/// everything is merged back in one total order (hash, key).
public final class MemoryBudget: Sendable {
    public let limit: Int
    private let used = Atomic<Int>(0)

    public init(bytes: Int) { limit = max(bytes, 1 << 16) }

    /// Adds `bytes`; true when the total is now over the limit.
    func grow(_ bytes: Int) -> Bool { used.add(bytes, ordering: .relaxed).newValue > limit }
    func release(_ bytes: Int) { _ = used.subtract(bytes, ordering: .relaxed) }
    public var inUse: Int { used.load(ordering: .relaxed) }
}

/// Records in `partitions` buffers (one per LSH band, or just one), spilled to disk as sorted runs when the
/// shared budget is exceeded. After `finish()` each partition is a set of sorted sources (the last, in-memory
/// buffer and the run files) that `MergedRecords` merges into one sorted stream.
public final class SpillBuffers<R: SpillRecord> {
    public let folder: String
    public let name: String
    let budget: MemoryBudget
    private(set) var buffers: [[R]]
    /// Run files of each partition, in the order written.
    public private(set) var runs: [[String]]
    private var accounted = 0
    private var unaccounted = 0
    private static var chunk: Int { 1 << 16 }

    /// Spill files are `folder/name-p<partition>-r<run>.run`.
    public init(partitions: Int, folder: String, name: String, budget: MemoryBudget) {
        self.folder = folder
        self.name = name
        self.budget = budget
        buffers = Array(repeating: [], count: partitions)
        runs = Array(repeating: [], count: partitions)
    }

    deinit { if accounted > 0 { budget.release(accounted) } }

    public var partitions: Int { buffers.count }

    public func append(_ record: R, to partition: Int) throws {
        buffers[partition].append(record)
        unaccounted += MemoryLayout<R>.stride
        if unaccounted >= Self.chunk {
            accounted += unaccounted
            let over = budget.grow(unaccounted)
            unaccounted = 0
            if over { try spill() }
        }
    }

    /// Writes every non-empty buffer as a sorted run and frees it.
    public func spill() throws {
        for p in buffers.indices where !buffers[p].isEmpty {
            buffers[p].sort()
            let path = "\(folder)/\(name)-p\(p)-r\(runs[p].count).run"
            try writeRecords(buffers[p], to: path)
            runs[p].append(path)
            buffers[p] = []
        }
        budget.release(accounted)
        accounted = 0
        unaccounted = 0
    }

    /// Sorts what is left in memory; it stays there for the merge unless the shared budget is more than half
    /// used, in which case it is spilled too (so that finished files leave room to the files still being read,
    /// instead of making them spill many small runs).
    public func finish() throws {
        if budget.inUse + unaccounted > budget.limit / 2 {
            try spill()
        } else {
            for p in buffers.indices { buffers[p].sort() }
        }
    }

    /// The sorted sources of `partition` (after `finish()`).
    public func sources(_ partition: Int) -> [RecordSource<R>] {
        var result = runs[partition].map { RecordSource<R>.file($0) }
        if !buffers[partition].isEmpty { result.append(.memory(buffers[partition])) }
        return result
    }

    /// Frees the in-memory buffer of `partition` (after its merge).
    public func release(_ partition: Int) { buffers[partition] = [] }
}

/// At most `fanIn` file sources: groups of run files are merged into larger runs (in `folder`, named after
/// `name`) until few enough remain, so a merge never holds more open files and read buffers than that. Memory
/// sources pass through. Intermediate runs are removed once merged again; the given runs are left alone.
public func reduceRuns<R: SpillRecord>(_ sources: [RecordSource<R>], folder: String, name: String, fanIn: Int = 128)
    throws -> [RecordSource<R>]
{
    var files: [String] = []
    var memory: [RecordSource<R>] = []
    for source in sources {
        if case let .file(path) = source { files.append(path) } else { memory.append(source) }
    }
    let fanIn = max(fanIn, 2)
    var level = 0
    var intermediate = Set<String>()
    while files.count > fanIn {
        var next: [String] = []
        for start in stride(from: 0, to: files.count, by: fanIn) {
            let group = Array(files[start..<min(start + fanIn, files.count)])
            let path = "\(folder)/\(name)-m\(level)-\(next.count).run"
            let merged = try MergedRecords<R>(group.map { .file($0) })
            let writer = try RecordFileWriter<R>(path: path)
            while let record = try merged.next() { try writer.append(record) }
            try writer.finish()
            for used in group where intermediate.contains(used) { try? FileManager.default.removeItem(atPath: used) }
            intermediate.insert(path)
            next.append(path)
        }
        files = next
        level += 1
    }
    return files.map { .file($0) } + memory
}

/// Appends records to a run file through a buffer.
final class RecordFileWriter<R: BitwiseCopyable> {
    let path: String
    private let fd: Int32
    private var buffer: [R] = []

    init(path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw DedupError.errno(path, "cannot create") }
        buffer.reserveCapacity(4096)
    }

    deinit { close(fd) }

    func append(_ record: R) throws {
        buffer.append(record)
        if buffer.count == 4096 { try flush() }
    }

    func flush() throws {
        try writeAll(fd, buffer, path: path)
        buffer.removeAll(keepingCapacity: true)
    }

    func finish() throws { try flush() }

}

/// One sorted input of a merge.
public enum RecordSource<R: SpillRecord> {
    case memory([R])
    case file(String)
}

/// Writes `records` as raw bytes (native byte order: spill files never leave the machine).
func writeRecords<R: BitwiseCopyable>(_ records: [R], to path: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { throw DedupError.errno(path, "cannot create") }
    defer { close(fd) }
    try writeAll(fd, records, path: path)
}

/// Writes the bytes of `records` to `fd`, retrying partial writes.
func writeAll<R: BitwiseCopyable>(_ fd: Int32, _ records: [R], path: String) throws {
    try records.withUnsafeBytes { raw in
        guard let base = raw.baseAddress else { return }
        var offset = 0
        while offset < raw.count {
            let n = write(fd, base + offset, raw.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw DedupError.errno(path, "cannot write")
            }
            offset += n
        }
    }
}

/// Reads a file of raw records in chunks.
final class RecordFileReader<R: BitwiseCopyable> {
    let path: String
    private let fd: Int32
    private var buffer: [R]
    private var count = 0
    private var position = 0

    init(path: String, chunkRecords: Int) throws {
        self.path = path
        fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw DedupError.errno(path, "cannot open") }
        buffer = []
        capacity = max(chunkRecords, 1)
    }

    private let capacity: Int

    deinit { close(fd) }

    func next() throws -> R? {
        if position == count {
            try refill()
            if count == 0 { return nil }
        }
        let r = buffer[position]
        position += 1
        return r
    }

    private func refill() throws {
        let stride = MemoryLayout<R>.stride
        var filled = 0
        var failure: DedupError?
        buffer = Array(unsafeUninitializedCapacity: capacity) { storage, initialized in
            let raw = UnsafeMutableRawBufferPointer(storage)
            guard let base = raw.baseAddress else { return }
            while filled < raw.count {
                let n = read(fd, base + filled, raw.count - filled)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = DedupError.errno(path, "cannot read")
                    break
                }
                if n == 0 { break }
                filled += n
            }
            initialized = filled / stride
        }
        if let failure { throw failure }
        guard filled % stride == 0 else {
            throw DedupError.io(path: path, message: "truncated record file (\(filled % stride) stray bytes)")
        }
        count = buffer.count
        position = 0
    }
}

/// A k-way merge of sorted sources into one sorted stream (ties: the order of the records, which are unique in
/// practice since each carries its document key).
///
/// - Complexity: O(log k) per record; memory: one chunk of `chunkBytes` per file source.
public final class MergedRecords<R: SpillRecord> {
    private struct Head: HeapOrdered {
        var record: R
        var source: Int
        static func heapAbove(_ a: Head, _ b: Head) -> Bool {
            a.record != b.record ? a.record < b.record : a.source < b.source
        }
    }

    private var memory: [[R]] = []
    private var memoryPosition: [Int] = []
    private var files: [RecordFileReader<R>?] = []
    private var heap = BinaryHeap<Head>()

    public init(_ sources: [RecordSource<R>], chunkBytes: Int = 1 << 16) throws {
        let chunk = max(chunkBytes / MemoryLayout<R>.stride, 64)
        for (i, source) in sources.enumerated() {
            switch source {
            case let .memory(records):
                memory.append(records)
                files.append(nil)
            case let .file(path):
                memory.append([])
                files.append(try RecordFileReader<R>(path: path, chunkRecords: chunk))
            }
            memoryPosition.append(0)
            if let first = try pull(i) { heap.push(Head(record: first, source: i)) }
        }
    }

    private func pull(_ i: Int) throws -> R? {
        if let reader = files[i] { return try reader.next() }
        let p = memoryPosition[i]
        guard p < memory[i].count else { return nil }
        memoryPosition[i] = p + 1
        return memory[i][p]
    }

    public func next() throws -> R? {
        guard let top = heap.top else { return nil }
        if let following = try pull(top.source) {
            heap.replaceTop(Head(record: following, source: top.source))
        } else {
            heap.popTop()
        }
        return top.record
    }
}
