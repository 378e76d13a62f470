import CorpusCore
import CorpusIO
import Foundation

/// One source of a mixture: its files, and its share of the output's tokens (nil: taken whole).
public struct MixtureSourceSpec: Sendable {
    public var name: String
    public var files: [InputFile]
    public var share: Double?

    public init(name: String, files: [InputFile], share: Double?) {
        self.name = name
        self.files = files
        self.share = share
    }
}

/// Settings of a mixture run besides its sources.
public struct MixtureOptions: Sendable {
    public var seed: UInt64 = 0
    /// nil: anchored mode (see `MixturePlan`).
    public var totalTokens: Int?
    /// Take a source that holds fewer tokens than its budget whole instead of failing.
    public var allowShort = false
    /// Count one more token per document, for the EOS the packer appends after each document.
    public var countEOS = false
    /// Hash every input file into the manifest (one more read of each file).
    public var checksumInputs = true
    /// Count the tokens of every document of a sampled source, not only of the key range that decides the
    /// choice: slower, but the manifest then reports `tokens_available` for it. The choice is the same.
    public var countAll = false
    /// The key range the first counting pass of a sampled source covers, as a fraction of all keys (nil: an
    /// estimate from the budget, the source's bytes and the tokens per byte seen so far). For tests and tuning:
    /// the choice does not depend on it.
    public var firstPassFraction: Double?
    /// Documents whose tokens are counted together (one call of the token counter).
    public var batchDocuments = 1024
    public var readOptions = ReadOptions()
    /// The tokenizer as the manifest names it.
    public var tokenizerPath = ""
    public var tokenizerSHA256 = ""

    public init() {}
}

/// `manifest.json` of a mixture: what was asked, and per source what was read, rejected, chosen and written.
///
/// Per source, `documents_read == documents_chosen + documents_not_chosen + documents_rejected`, and
/// `tokens_chosen` is the sum of the chosen documents' token counts, as counted by the tokenizer named here.
public struct MixtureManifest: Codable, Sendable, Equatable {
    public struct InputFileEntry: Codable, Sendable, Equatable {
        public var path: String
        public var bytes: Int64
        public var sha256: String?
    }

    public struct Source: Codable, Sendable, Equatable {
        public var name: String
        public var files: [InputFileEntry]
        /// True for a source with no share (anchored mode): every document is chosen.
        public var takenWhole: Bool
        public var shareRequested: Double?
        public var shareRealized: Double
        /// The tokens the source was to contribute (for a source taken whole, all it holds).
        public var budgetTokens: Int
        /// All the source's tokens; nil when a sampled source was settled before every document was counted
        /// (`MixtureOptions.countAll` counts them all).
        public var tokensAvailable: Int?
        /// Tokens of the documents that were counted (`documents_tokenized` of them).
        public var tokensCounted: Int
        public var documentsTokenized: Int
        public var tokensChosen: Int
        /// `tokens_chosen − budget_tokens`: within half a document for a sampled source (see `BudgetSampler`).
        public var budgetGap: Int
        /// A source that held fewer tokens than its requested budget and was taken whole (`--allow-short`).
        public var short: Bool
        public var documentsRead: Int
        public var documentsRejected: Int
        public var documentsChosen: Int
        public var documentsNotChosen: Int
        /// Problems with a file as a whole (a truncated compressed stream…): the records before it were read.
        public var problems: [String]
    }

    public struct Output: Codable, Sendable, Equatable {
        public var path: String
        public var bytes: Int64
        public var sha256: String
        public var documents: Int
        public var tokens: Int
    }

    public struct Rejects: Codable, Sendable, Equatable {
        public var path: String
        public var bytes: Int64
        public var sha256: String
        /// Records that are not documents, over every source.
        public var records: Int
    }

    public struct Tokenizer: Codable, Sendable, Equatable {
        public var path: String
        public var sha256: String
        /// How a document's tokens are counted.
        public var rule: String
        public var countEos: Bool
    }

    public var format = "ptk-mix/1"
    public var seed: UInt64
    public var totalTokensRequested: Int?
    public var tokenizer: Tokenizer
    public var sources: [Source]
    public var output: Output
    public var rejects: Rejects

    /// Pretty, sorted keys, snake_case: the same run gives the same bytes.
    public func jsonBytes() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self)) + [0x0A]
    }
}

/// Builds a replay mixture from files: counts every source's tokens, samples the shared sources to their budgets,
/// and writes `mix.jsonl.zst` (the chosen records, byte for byte, interleaved by `MixtureInterleave`),
/// `rejects.jsonl.zst` (records that are not documents) and `manifest.json` (`MixtureManifest`).
///
/// Passes, all streaming: the sources taken whole are read once (their records go, with their token counts, to
/// a work file). A sampled source is scanned without tokenizing (documents, bytes, rejects), then read once per
/// key range [0, q): only the documents whose key is below q are tokenized and offered to its `BudgetSampler`,
/// and q grows (from an estimate by the budget, the source's bytes and the tokens per byte seen so far) until
/// the budget overflows inside the range — then every document with a smaller key than the first misfit has
/// been offered, so the choice is the one counting everything would make. Usually one range suffices; a 5%
/// replay of a large pool tokenizes about 6% of it. Then the chosen records are copied to a work file, and the
/// work files are merged into the output. Memory: the samplers' chosen documents, one batch of texts, and one
/// read buffer per source.
///
/// The output depends only on the inputs, the seed, the shares and the token counts — not on the thread count
/// (the token counter must return the same counts for any number of threads).
public struct MixtureRun {
    public let sources: [MixtureSourceSpec]
    public let options: MixtureOptions
    /// Token counts of a batch of texts, in order.
    public let countTokens: ([String]) -> [Int]

    public init(sources: [MixtureSourceSpec], options: MixtureOptions, countTokens: @escaping ([String]) -> [Int]) {
        self.sources = sources
        self.options = options
        self.countTokens = countTokens
    }

    public static let tokenRule = "ids of encode(text) with special-token strings encoded as text (no BOS/EOS added)"

    /// Per-source tallies while reading.
    private struct Tally {
        var documents = 0
        var rejected = 0
        var tokens = 0
        /// UTF-8 bytes of the texts whose tokens were counted.
        var countedBytes = 0
        /// Documents whose tokens were counted (all of them, unless a sampled source stopped early).
        var counted = 0
        /// Whether every document's tokens were counted (`tokens` is then what the source holds).
        var complete = true
        var problems: [String] = []
    }

    /// Runs the mixture into `folder` (created if needed) and returns its manifest (also written there).
    ///
    /// - Throws: `MixtureError` (plan, short source, an input that changed between passes), `IOError` (an input
    ///   that cannot be opened, a failed write).
    public func run(folder: String, log: (String) -> Void = { _ in }) throws -> MixtureManifest {
        let plan = try MixturePlan(shares: sources.map(\.share), totalTokens: options.totalTokens,
                                   names: sources.map(\.name))
        let work = folder + "/.mix-work"
        try? FileManager.default.removeItem(atPath: work)
        defer { try? FileManager.default.removeItem(atPath: work) }
        var rejects = try RejectsFile(path: folder + "/rejects.jsonl.zst")
        var tallies = Array(repeating: Tally(), count: sources.count)
        let workPath = { (i: Int) in "\(work)/source-\(i).zst" }

        // Pass 1: the sources taken whole, straight to their work files.
        for (i, source) in sources.enumerated() where plan.isWhole(i) {
            let sink = try OutputFile(path: workPath(i), compression: .zstd, level: 1)
            try countPass(source, tally: &tallies[i], rejects: &rejects, keepRecords: true) { records, counts in
                for (record, tokens) in zip(records, counts) { try writeWorkLine(sink, tokens: tokens, record: record) }
            }
            try sink.commit()
            log("\(source.name): \(tallies[i].documents) documents, \(tallies[i].tokens) tokens, taken whole")
        }

        // Pass 2: sample the shared sources. A scan without tokenizing (documents, bytes, rejects), then counting
        // passes over growing key ranges [0, q): only documents whose key is below q are tokenized. The choice is
        // settled as soon as the budget overflows inside the range — every document with a smaller key than the
        // first that does not fit has been offered — so a 5% replay of a large pool tokenizes about 5% of it.
        let anchor = sources.indices.filter(plan.isWhole).reduce(0) { $0 + tallies[$1].tokens }
        let requested = try plan.requestedBudgets(anchorTokens: anchor)
        var chosen: [[MixtureCandidate]] = Array(repeating: [], count: sources.count)
        for (i, source) in sources.enumerated() where !plan.isWhole(i) {
            var bytes = 0
            try readSource(source, documents: { document, _ in
                tallies[i].documents += 1
                bytes += document.text.utf8.count
            }, rejected: { problem, origin, record in
                tallies[i].rejected += 1
                try rejects.write(RejectEntry(id: problem.id, origin: origin, stage: "read", reason: problem.reason,
                                              detail: problem.detail, record: Array(record)))
            }, problem: { tallies[i].problems.append($0) })
            let countedSoFar = tallies.reduce((tokens: 0, bytes: 0)) {
                ($0.tokens + $1.tokens, $0.bytes + $1.countedBytes)
            }
            let tokensPerByte = countedSoFar.bytes > 0 && countedSoFar.tokens > 0
                ? Double(countedSoFar.tokens) / Double(countedSoFar.bytes) : 0.25
            // The estimate covers at least 8 documents on average, so that a tiny budget does not take many passes.
            let estimate = max(1.2 * Double(requested[i]) / (tokensPerByte * Double(max(1, bytes))),
                               8 / Double(max(1, tallies[i].documents)))
            var fraction = options.countAll ? 1 : options.firstPassFraction ?? estimate
            var sampler = BudgetSampler(budget: requested[i])
            var lower: UInt64 = 0
            var passes = 0
            while true {
                fraction = min(1, max(fraction, 1e-9))
                // Keys in [lower, upper) are counted in this pass; nil: up to the largest key.
                let upper: UInt64? = fraction >= 1 ? nil : UInt64(fraction * 0x1p64)
                try samplePass(source, keys: lower..<(upper ?? UInt64.max), toEnd: upper == nil,
                               sampler: &sampler, tally: &tallies[i])
                passes += 1
                guard let upper, !sampler.overflowed else { break }
                lower = upper
                // Grow the range by what the budget still needs at the tokens per key seen so far.
                let counted = sampler.offeredTokens
                let growth = counted > 0 ? 1.2 * Double(requested[i]) / Double(counted) : 8
                fraction *= max(1.25, growth)
            }
            tallies[i].complete = tallies[i].counted == tallies[i].documents
            chosen[i] = sampler.chosen()
            log("\(source.name): \(tallies[i].documents) documents, \(tallies[i].counted) tokenized in \(passes) "
                + "pass(es), \(tallies[i].tokens) tokens counted; budget \(requested[i]) tokens, \(chosen[i].count) "
                + "documents chosen")
        }
        let budgets = try plan.budgets(available: tallies.map(\.tokens), allowShort: options.allowShort)

        // Pass 3: copy the chosen records of the shared sources.
        for (i, source) in sources.enumerated() where !plan.isWhole(i) {
            let sink = try OutputFile(path: workPath(i), compression: .zstd, level: 1)
            let picks = chosen[i]
            var next = 0
            var position = 0
            var documents = 0
            try readSource(source, documents: { _, record in
                documents += 1
                if next < picks.count, picks[next].position == position {
                    try writeWorkLine(sink, tokens: picks[next].tokens, record: record)
                    next += 1
                }
                position += 1
            }, rejected: { _, _, _ in }, problem: { _ in })
            guard documents == tallies[i].documents, next == picks.count else {
                throw MixtureError.inputChanged(source: source.name, detail: "\(tallies[i].documents) documents "
                                                + "when counting, \(documents) when copying")
            }
            try sink.commit()
        }

        // The inputs' checksums, before anything is published: a failure here leaves the previous output whole.
        var inputFiles: [[MixtureManifest.InputFileEntry]] = []
        for source in sources {
            var files: [MixtureManifest.InputFileEntry] = []
            for file in source.files {
                files.append(.init(path: file.displayPath, bytes: fileSize(file.path),
                                   sha256: options.checksumInputs ? try sha256(ofFile: file.path) : nil))
            }
            inputFiles.append(files)
        }

        // Merge the work files into the output.
        let outputPath = folder + "/mix.jsonl.zst"
        let output = try OutputFile(path: outputPath)
        var readers: [WorkFileReader] = []
        var heads: [(tokens: Int, record: [UInt8])?] = []
        for i in sources.indices {
            let reader = try WorkFileReader(path: workPath(i))
            readers.append(reader)
            heads.append(try reader.next())
        }
        let written = sources.indices.map { i in
            plan.isWhole(i) ? (tokens: tallies[i].tokens, documents: tallies[i].documents)
                : (tokens: chosen[i].reduce(0) { $0 + $1.tokens }, documents: chosen[i].count)
        }
        var interleave = MixtureInterleave(totals: written)
        var emitted = Array(repeating: (tokens: 0, documents: 0), count: sources.count)
        while let s = interleave.next(heads: heads.map { $0?.tokens }) {
            guard let head = heads[s] else { break }
            try output.write(head.record)
            try output.write([0x0A])
            emitted[s].tokens += head.tokens
            emitted[s].documents += 1
            heads[s] = try readers[s].next()
        }
        for i in sources.indices where emitted[i] != written[i] {
            throw MixtureError.inputChanged(source: sources[i].name, detail: "the work file holds \(emitted[i]) "
                                            + "(tokens, documents), \(written[i]) expected")
        }
        try rejects.close()
        try output.commit()

        // The manifest.
        let totalTokens = written.reduce(0) { $0 + $1.tokens }
        var entries: [MixtureManifest.Source] = []
        for (i, source) in sources.enumerated() {
            let requestedBudget = requested[i]
            entries.append(MixtureManifest.Source(
                name: source.name, files: inputFiles[i], takenWhole: plan.isWhole(i), shareRequested: source.share,
                shareRealized: totalTokens > 0 ? Double(written[i].tokens) / Double(totalTokens) : 0,
                budgetTokens: budgets[i], tokensAvailable: tallies[i].complete ? tallies[i].tokens : nil,
                tokensCounted: tallies[i].tokens, documentsTokenized: tallies[i].counted,
                tokensChosen: written[i].tokens,
                budgetGap: written[i].tokens - budgets[i],
                short: !plan.isWhole(i) && tallies[i].tokens < requestedBudget,
                documentsRead: tallies[i].documents + tallies[i].rejected, documentsRejected: tallies[i].rejected,
                documentsChosen: written[i].documents, documentsNotChosen: tallies[i].documents - written[i].documents,
                problems: tallies[i].problems))
        }
        let manifest = MixtureManifest(
            seed: options.seed, totalTokensRequested: options.totalTokens,
            tokenizer: .init(path: options.tokenizerPath, sha256: options.tokenizerSHA256,
                             rule: Self.tokenRule + (options.countEOS ? ", plus 1 per document for its EOS" : ""),
                             countEos: options.countEOS),
            sources: entries,
            output: .init(path: "mix.jsonl.zst", bytes: fileSize(outputPath), sha256: try sha256(ofFile: outputPath),
                          documents: written.reduce(0) { $0 + $1.documents }, tokens: totalTokens),
            rejects: .init(path: "rejects.jsonl.zst", bytes: fileSize(rejects.path),
                           sha256: try sha256(ofFile: rejects.path), records: rejects.count))
        try OutputFile.atomicWrite(path: folder + "/manifest.json", contents: try manifest.jsonBytes())
        return manifest
    }

    private func fileSize(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int64) ?? 0
    }

    /// Reads a source, counting tokens batch by batch; `body` gets each batch's records and token counts.
    /// The tokens of each text as the mixture counts them: `countTokens`, checked to answer once per text, plus
    /// one per document with `countEOS`.
    private func documentTokens(_ texts: [String]) throws -> [Int] {
        let counts = countTokens(texts)
        guard counts.count == texts.count else {
            throw MixtureError.tokenCountMismatch(texts: texts.count, counts: counts.count)
        }
        return options.countEOS ? counts.map { $0 + 1 } : counts
    }

    /// `keepRecords == false` hands `body` no records (a sampled source needs only the counts).
    private func countPass(_ source: MixtureSourceSpec, tally: inout Tally, rejects: inout RejectsFile,
                           keepRecords: Bool, _ body: ([[UInt8]], [Int]) throws -> Void) throws {
        var texts: [String] = []
        var records: [[UInt8]] = []
        var textBytes = 0
        var tally2 = tally
        func flush() throws {
            guard !texts.isEmpty else { return }
            let counts = try documentTokens(texts)
            tally2.tokens += counts.reduce(0, +)
            tally2.counted += texts.count
            tally2.countedBytes += textBytes
            try body(records, counts)
            texts.removeAll(keepingCapacity: true)
            records.removeAll(keepingCapacity: true)
            textBytes = 0
        }
        try readSource(source, documents: { document, record in
            tally2.documents += 1
            texts.append(document.text)
            if keepRecords { records.append(Array(record)) }
            textBytes += document.text.utf8.count
            if texts.count >= options.batchDocuments || textBytes >= 32 << 20 { try flush() }
        }, rejected: { problem, origin, record in
            tally2.rejected += 1
            try rejects.write(RejectEntry(id: problem.id, origin: origin, stage: "read", reason: problem.reason,
                                          detail: problem.detail, record: Array(record)))
        }, problem: { tally2.problems.append($0) })
        try flush()
        tally = tally2
    }

    /// Counts the tokens of the documents of a source whose key lies in `keys` (or at or above its lower bound,
    /// with `toEnd`) and offers them to `sampler`.
    private func samplePass(_ source: MixtureSourceSpec, keys: Range<UInt64>, toEnd: Bool,
                            sampler: inout BudgetSampler, tally: inout Tally) throws {
        let base = MixtureKey.base(seed: options.seed, source: source.name)
        var texts: [String] = []
        var candidates: [MixtureCandidate] = []
        var textBytes = 0
        var position = 0
        var documents = 0
        var sampler2 = sampler
        var tally2 = tally
        func flush() throws {
            guard !texts.isEmpty else { return }
            let counts = try documentTokens(texts)
            for (candidate, count) in zip(candidates, counts) {
                var candidate = candidate
                candidate.tokens = count
                tally2.tokens += candidate.tokens
                sampler2.offer(candidate)
            }
            tally2.counted += texts.count
            tally2.countedBytes += textBytes
            texts.removeAll(keepingCapacity: true)
            candidates.removeAll(keepingCapacity: true)
            textBytes = 0
        }
        try readSource(source, documents: { document, _ in
            let key = MixtureKey.key(base: base, position: position)
            if key >= keys.lowerBound && (toEnd || key < keys.upperBound) {
                texts.append(document.text)
                candidates.append(MixtureCandidate(key: key, position: position, tokens: 0))
                textBytes += document.text.utf8.count
                if texts.count >= options.batchDocuments || textBytes >= 32 << 20 { try flush() }
            }
            position += 1
            documents += 1
        }, rejected: { _, _, _ in }, problem: { _ in })
        try flush()
        guard documents == tally.documents else {
            throw MixtureError.inputChanged(source: source.name, detail: "\(tally.documents) documents when "
                                            + "scanning, \(documents) when counting")
        }
        sampler = sampler2
        tally = tally2
    }

    /// Streams every file of a source. A file that cannot be opened is an error; a file that ends early (a
    /// truncated stream) is a problem: its records before that point count.
    private func readSource(_ source: MixtureSourceSpec, documents: (Document, UnsafeRawBufferPointer) throws -> Void,
                            rejected: (RecordProblem, Origin, UnsafeRawBufferPointer) throws -> Void,
                            problem: (String) -> Void) throws {
        for file in source.files {
            var reader = DocumentReader(file: file, options: options.readOptions)
            let issue = try reader.forEach { event in
                switch event {
                case let .document(document, record): try documents(document, record)
                case let .rejected(p, origin, record): try rejected(p, origin, record)
                }
            }
            if let issue {
                if case .cannotOpen = issue { throw issue }
                if case .isDirectory = issue { throw issue }
                problem("\(issue)")
            }
        }
    }

    private func writeWorkLine(_ sink: OutputFile, tokens: Int, record: [UInt8]) throws {
        try sink.write(String(tokens) + " ")
        try sink.write(record)
        try sink.write([0x0A])
    }

    private func writeWorkLine(_ sink: OutputFile, tokens: Int, record: UnsafeRawBufferPointer) throws {
        try sink.write(String(tokens) + " ")
        try sink.write(record)
        try sink.write([0x0A])
    }
}

/// The rejects file of a mixture: one `RejectEntry` a line (stage `read`; the origin names the file).
private struct RejectsFile {
    let path: String
    private let file: OutputFile
    private var buffer = JSONWriter(capacity: 1 << 16)
    private(set) var count = 0

    init(path: String) throws(IOError) {
        self.path = path
        file = try OutputFile(path: path, compression: .zstd)
    }

    mutating func write(_ entry: RejectEntry) throws(IOError) {
        entry.encode(into: &buffer)
        count += 1
        if buffer.bytes.count >= 1 << 16 {
            try file.write(buffer.bytes)
            buffer.bytes.removeAll(keepingCapacity: true)
        }
    }

    mutating func close() throws(IOError) {
        try file.write(buffer.bytes)
        buffer.bytes.removeAll()
        try file.commit()
    }
}

/// Reads back a work file: lines of `<tokens> <record>`.
private final class WorkFileReader {
    private let source: any ByteSource
    private var buffer: [UInt8] = []
    private var start = 0
    /// Bytes after `start` known to hold no newline.
    private var scanned = 0
    private var ended = false
    private let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)

    init(path: String) throws(IOError) {
        source = try openInput(path: path)
    }

    deinit { chunk.deallocate() }

    func next() throws(IOError) -> (tokens: Int, record: [UInt8])? {
        while true {
            if let newline = buffer[(start + scanned)...].firstIndex(of: 0x0A) {
                let line = buffer[start..<newline]
                start = newline + 1
                scanned = 0
                guard let space = line.firstIndex(of: 0x20),
                      let tokens = Int(String(decoding: line[line.startIndex..<space], as: UTF8.self))
                else {
                    throw IOError.corrupt(path: source.path, format: "mix work file",
                                          detail: "a line without its token count")
                }
                return (tokens, Array(line[(space + 1)...]))
            }
            scanned = buffer.count - start
            if ended {
                guard start == buffer.count else {
                    throw IOError.corrupt(path: source.path, format: "mix work file",
                                          detail: "a line without its newline")
                }
                return nil
            }
            if start > 0 {
                buffer.removeFirst(start)
                start = 0
            }
            let n = try source.read(into: chunk)
            if n == 0 {
                ended = true
            } else {
                buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
            }
        }
    }
}
