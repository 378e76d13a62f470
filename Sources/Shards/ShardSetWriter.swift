#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What one shard holds, as `manifest.json` lists it under `sets.<set>.shards`.
public struct ShardSummary: Codable, Sendable, Equatable {
    /// The file name prefix, e.g. "rank-00000-00000": the shard's files are `<prefix>.bin`,
    /// `<prefix>-lossmask.bin` and so on.
    public var prefix: String
    public var windows: Int
    /// windows × seq_len.
    public var tokens: Int
    /// Tokens in padding segments (ordinal −1).
    public var paddingTokens: Int
    /// Tokens with loss mask 1.
    public var lossTokens: Int

    public init(prefix: String, windows: Int = 0, tokens: Int = 0, paddingTokens: Int = 0, lossTokens: Int = 0) {
        self.prefix = prefix
        self.windows = windows
        self.tokens = tokens
        self.paddingTokens = paddingTokens
        self.lossTokens = lossTokens
    }

    enum CodingKeys: String, CodingKey {
        case prefix, windows, tokens
        case paddingTokens = "padding_tokens"
        case lossTokens = "loss_tokens"
    }
}

/// Writes the windows of one set (train or cooldown) of one rank as shards `folder/<stem>-00000`, `-00001` …,
/// each four indexed datasets (tokens, lossmask, cuseqlens, segments: docs/shard-format.md).
///
/// A new shard starts when the token `.bin` would grow past `maxShardBytes` (a shard holds at least one window).
/// Files appear under their final names as each shard completes. After an error the writer refuses further
/// calls; `abandon()` removes everything it wrote (deinit does the same when `finish()` was never reached).
///
/// ```
/// let w = try ShardSetWriter(folder: "out/train", stem: "rank-00000", seqLen: 2048, dtype: .uint16,
///                            maxShardBytes: 1 << 30)
/// for window in windows { try w.append(window) }
/// let shards = try w.finish()   // [ShardSummary(prefix: "rank-00000-00000", windows: …)]
/// ```
public final class ShardSetWriter: LifecycleWriter {
    /// Buffer sizes per part: the token and mask files get large buffers, the small sidecars small ones.
    static let bufferBytes: [ShardPart: Int] = [.tokens: 4 << 20, .lossMask: 2 << 20, .cuSeqlens: 256 << 10,
                                                .segments: 256 << 10]


    /// Where the shard files go (created by `init`).
    public let folder: String
    /// The shard file names' start, e.g. "rank-00000": shards are `<stem>-00000`, `<stem>-00001` …
    public let stem: String
    public let seqLen: Int
    public let dtype: TokenDType
    public let maxShardBytes: Int64
    /// Windows appended so far, over all shards.
    public private(set) var windowCount = 0

    private var summaries: [ShardSummary] = []
    /// The shard being written.
    private var active: (summary: ShardSummary, writers: [(ShardPart, IndexedDatasetWriter)])?
    private var finishedWriters: [IndexedDatasetWriter] = []
    /// Folders `init` created, outermost first (removed by `abandon()` when empty).
    private var createdFolders: [String] = []
    var state = WriterState.open
    var failure: ShardError?

    /// Checks the settings and creates `folder` (and its parents) if missing; the first shard's files are created
    /// by the first `append`.
    ///
    /// - Throws: `ShardError.mismatch` for seqLen < 1 or above Int32.max, maxShardBytes < 1, or a stem that is
    ///   empty or holds "/"; `.io` when the folder cannot be created.
    public init(folder: String, stem: String, seqLen: Int, dtype: TokenDType, maxShardBytes: Int64) throws(ShardError) {
        guard seqLen >= 1, seqLen <= Int(Int32.max) else {
            throw .mismatch(path: folder, message: "seq_len \(seqLen) must be between 1 and \(Int32.max)")
        }
        guard maxShardBytes >= 1 else {
            throw .mismatch(path: folder, message: "max_shard_bytes \(maxShardBytes) must be positive")
        }
        guard !stem.isEmpty, !stem.contains("/") else {
            throw .mismatch(path: folder, message: "shard stem \"\(stem)\" must be a non-empty file name")
        }
        self.folder = folder
        self.stem = stem
        self.seqLen = seqLen
        self.dtype = dtype
        self.maxShardBytes = maxShardBytes
        createdFolders = try makeFolders(folder)
    }

    deinit {
        if state == .open { abandon() }
    }

    /// The prefix of shard `index`: `shardPrefix(stem: "rank-00000", index: 3)` is "rank-00000-00003".
    public static func shardPrefix(stem: String, index: Int) -> String {
        let digits = String(index)
        return stem + "-" + String(repeating: "0", count: max(0, 5 - digits.count)) + digits
    }

    /// Checks `window` and appends it to the open shard, first closing it when the window would take its token
    /// file past `maxShardBytes`.
    ///
    /// - Throws: `ShardError.mismatch` naming the file the window would go to when it breaks the format's rules
    ///   (`PackedWindow.problem(seqLen:)`) or a token id does not fit the dtype (nothing is written; the writer
    ///   stays usable); `.io` when a write fails (the writer is then failed: call `abandon()`).
    public func append(_ window: PackedWindow) throws(ShardError) {
        try checkOpen()
        let windowBytes = Int64(seqLen) * Int64(dtype.itemSize)
        if let current = active, current.summary.windows > 0,
           (current.writers.first?.1.binBytes ?? 0) + windowBytes > maxShardBytes
        {
            try guarded { () throws(ShardError) in try closeShard() }
        }
        let prefix = folder + "/" + (active?.summary.prefix ?? Self.shardPrefix(stem: stem, index: summaries.count))
        if let problem = window.problem(seqLen: seqLen) {
            throw .mismatch(path: problem.part.prefix(of: prefix) + ".bin",
                            message: "window \(windowCount): \(problem.message)")
        }
        let limit: UInt64 = dtype == .uint16 ? UInt64(UInt16.max) + 1 : UInt64(Int32.max) + 1
        if let bad = window.firstToken(atLeast: limit) {
            throw .mismatch(path: prefix + ".bin", message: "window \(windowCount): token id \(window.tokens[bad]) at "
                            + "position \(bad) does not fit \(dtype)")
        }
        try guarded { () throws(ShardError) in
            if active == nil { try openShard() }
            guard var current = active else { return }
            for (part, writer) in current.writers {
                switch part {
                case .tokens: try writer.append(tokens: window.tokens)
                case .lossMask: try writer.append(window.lossMask)
                case .cuSeqlens: try writer.append(window.cuSeqlens)
                case .segments: try writer.append(window.segments)
                }
            }
            current.summary.windows += 1
            current.summary.tokens += seqLen
            current.summary.paddingTokens += window.paddingTokenCount
            current.summary.lossTokens += window.lossTokenCount
            active = current
        }
        windowCount += 1
    }

    /// Completes the open shard and returns every shard's summary, in order (none when no window was appended).
    ///
    /// - Throws: `ShardError.io` naming the file that could not be written.
    public func finish() throws(ShardError) -> [ShardSummary] {
        try checkOpen()
        try guarded { () throws(ShardError) in try closeShard() }
        state = .finished
        return summaries
    }

    /// Removes every file this writer wrote or was writing, and the folders `init` created if they are empty.
    /// Also after `finish()`: e.g. when a later step of the same pack fails.
    public func abandon() {
        state = .abandoned
        if let current = active {
            for (_, writer) in current.writers { writer.abandon() }
            active = nil
        }
        for writer in finishedWriters { writer.abandon() }
        finishedWriters = []
        for folder in createdFolders.reversed() { _ = rmdir(folder) }
        createdFolders = []
    }

    // MARK: Internals

    private func openShard() throws(ShardError) {
        let summary = ShardSummary(prefix: Self.shardPrefix(stem: stem, index: summaries.count))
        var writers: [(ShardPart, IndexedDatasetWriter)] = []
        do {
            for part in ShardPart.allCases {
                let writer = try IndexedDatasetWriter(prefix: part.prefix(of: folder + "/" + summary.prefix),
                                                      dtype: part.dtype(tokens: dtype),
                                                      bufferBytes: Self.bufferBytes[part] ?? 1 << 20)
                writers.append((part, writer))
            }
        } catch {
            for (_, writer) in writers { writer.abandon() }
            throw error
        }
        active = (summary, writers)
    }

    private func closeShard() throws(ShardError) {
        guard let current = active else { return }
        for (_, writer) in current.writers {
            try writer.finish()
            finishedWriters.append(writer)
        }
        summaries.append(current.summary)
        active = nil
    }

    var lifecyclePath: String { folder }
    var lifecycleNoun: String { "the shard writer" }
}

/// mkdir -p `folder`; returns the folders it created, outermost first.
func makeFolders(_ folder: String) throws(ShardError) -> [String] {
    var missing: [String] = []
    var path = folder
    while !path.isEmpty, path != "/" {
        var info = stat()
        if stat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw .io(path: folder, message: "cannot create the folder: \(path) exists and is not a folder")
            }
            break
        }
        missing.append(path)
        guard let slash = path.lastIndex(of: "/") else { break }
        path = String(path[..<slash])
    }
    var created: [String] = []
    for path in missing.reversed() {
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            let reason = String(cString: strerror(errno))
            for done in created.reversed() { _ = rmdir(done) }
            throw .io(path: folder, message: "cannot create the folder \(path): \(reason)")
        }
        created.append(path)
    }
    return created
}
