import CorpusCore
import CorpusIO
import Foundation
import Selection
import Tokenization

/// One target of a selection: documents to look like.
public struct SelectionTarget: Sendable, Equatable {
    /// A label for logs, the report and `--weights-out`.
    public var name: String
    public var paths: [String]
    /// Its share of the budget; nil: proportional to its size (see `SelectionJob`).
    public var share: Double?

    public init(name: String, paths: [String], share: Double? = nil) {
        self.name = name
        self.paths = paths
        self.share = share
    }
}

/// What `ptk select` does, as data.
public struct SelectionOptions: Sendable {
    public var targets: [SelectionTarget]
    public var pool: [String]
    /// The chosen records, byte for byte, in pool order (JSONL; .gz / .zst by extension).
    public var output: String
    public var budget: ImportanceResampler.Budget
    /// Deterministic top-k instead of Gumbel sampling.
    public var topK: Bool
    public var seed: UInt64
    public var featurizer: DSIRFeaturizer
    /// Counts tokens for a token budget when the features are words (with token features, their ids are counted).
    public var tokenCounter: (any TokenEncoder)?
    public var minimumWords: Int
    public var rawBudget: DSIRRawBudget
    /// Where text, id and url are in the records.
    public var fields: DocumentFields
    /// The chosen records are dealt round robin into this many files (`shardPaths`); 1: `output` itself.
    public var outputShards: Int
    public var weightsOut: String?
    /// One line per chosen record, in pool order (the order of the output): `{"id", "target"}`, which target chose it.
    public var choicesOut: String?
    public var reportOut: String?
    public var threads: Int

    public init(targets: [SelectionTarget], pool: [String], output: String, budget: ImportanceResampler.Budget,
                topK: Bool = false, seed: UInt64 = 0, featurizer: DSIRFeaturizer, tokenCounter: (any TokenEncoder)? = nil,
                minimumWords: Int = 100, rawBudget: DSIRRawBudget = .auto, fields: DocumentFields = DocumentFields(),
                outputShards: Int = 1, weightsOut: String? = nil, choicesOut: String? = nil, reportOut: String? = nil,
                threads: Int = 1)
    {
        self.targets = targets
        self.pool = pool
        self.output = output
        self.budget = budget
        self.topK = topK
        self.seed = seed
        self.featurizer = featurizer
        self.tokenCounter = tokenCounter
        self.minimumWords = minimumWords
        self.rawBudget = rawBudget
        self.fields = fields
        self.outputShards = max(1, outputShards)
        self.weightsOut = weightsOut
        self.choicesOut = choicesOut
        self.reportOut = reportOut
        self.threads = max(1, threads)
    }
}

/// What a selection did: the ledger of the pool, the choice per target, and the KL report.
public struct SelectionReport: Codable, Sendable, Equatable {
    public struct Target: Codable, Sendable, Equatable {
        public var name: String
        public var documents: Int
        /// Features counted in the target (n-grams of every length).
        public var features: Int
        public var share: Double
        /// Its budget: documents or tokens, as `budget_unit` says.
        public var budget: Int
        public var chosenDocuments: Int
        public var chosenTokens: Int?
        /// KL(target ‖ chosen) and KL(target ‖ a uniform random sample of as many documents or tokens) on the
        /// hashed n-gram distributions (see `SelectionJob.klDivergence`); the DSIR paper's proxy for quality.
        public var klChosen: Double?
        public var klRandom: Double?
    }

    public var features: String
    public var buckets: Int
    public var ngrams: Int
    public var budgetUnit: String
    public var mode: String
    public var seed: UInt64
    public var read: Int
    /// Records that are not documents (in OUTPUT.rejects.jsonl.zst).
    public var rejected: Int
    public var eligible: Int
    public var chosen: Int
    public var notChosen: Int
    public var rawDocumentsFitted: Int
    public var targets: [Target]
    public var randomSampleDocuments: Int?
    public var seconds: Double
    /// Seconds per pass: `fit`, `weigh`, `choose`, `copy`.
    public var passSeconds: [String: Double] = [:]
}

/// DSIR selection over files: fit, weigh, choose, copy (Xie et al. 2023), with several targets, document or token
/// budgets and a KL report.
///
/// Passes over the pool, each streaming (memory: the bucket tables, the chosen indices, one batch):
/// 1. the raw distribution, from the first pool documents until the feature budget is passed (the reference's
///    rule), and each target's distribution from all its documents;
/// 2. every pool document's features once, its log weight against each target and its token count; eligible
///    documents go to a small binary candidate file (index, tokens, one log weight per target); records that are
///    not documents go to the rejects file;
/// 3. per target, in the order given, a streaming resampler over the candidates not taken by an earlier target
///    (the first target chooses first); then a uniform sample of the same size for the report;
/// 4. the chosen records are copied in pool order, and the chosen and random documents are counted again for the
///    report.
///
/// Budgets of several targets: each target's share is given, or else proportional to its size (documents for a
/// document budget, features for a token budget); the integer budgets are rounded by largest remainder, so they
/// add up to the whole.
///
/// ```swift
/// let report = try SelectionJob(options: options).run(log: Log())
/// ```
public struct SelectionJob {
    public let options: SelectionOptions

    public init(options: SelectionOptions) { self.options = options }

    /// The output files: `output` itself for one shard, else `NAME-00000-of-00004.jsonl.zst`, … (the number goes
    /// before the JSONL extension).
    public static func shardPaths(output: String, shards: Int) -> [String] {
        guard shards > 1 else { return [output] }
        var stem = output
        var suffix = ""
        for ext in [".jsonl.zst", ".jsonl.gz", ".jsonl", ".zst", ".gz"] where output.hasSuffix(ext) {
            stem = String(output.dropLast(ext.count))
            suffix = ext
            break
        }
        let width = max(5, String(shards).count)
        return (0..<shards).map { "\(stem)-\(String($0).leftPadded(to: width))-of-\(String(shards).leftPadded(to: width))\(suffix)" }
    }

    public func run(log: Log) throws -> SelectionReport {
        let started = Date()
        let o = options
        let featurizer = o.featurizer
        guard !o.targets.isEmpty else { throw SelectionError.invalidParameter(name: "targets", value: "none") }
        if case .tokens = o.budget, featurizer.tokenizer == nil, o.tokenCounter == nil {
            throw SelectionError.invalidParameter(name: "budget", value: "a token budget needs a tokenizer")
        }
        try validateShares()  // before any document is read
        let countsTokens: Bool = {
            if case .tokens = o.budget { return true }
            return featurizer.tokenizer != nil || o.tokenCounter != nil
        }()
        let fields = o.fields
        let workspaces = WorkspacePool(featurizer: featurizer, count: o.threads)

        // Pass 1: the distributions.
        var targetCounts: [DSIRBucketCounts] = []
        for target in o.targets {
            var counts = DSIRBucketCounts(numBuckets: featurizer.numBuckets)
            var skipped = 0
            try forEachBatch(target.paths, fields: fields, rejected: { _, _, _ in skipped += 1 }) { batch in
                for buckets in workspaces.featureBuckets(of: batch.map(\.text), threads: o.threads) {
                    buckets.withUnsafeBufferPointer { counts.add(buckets: $0) }
                }
                return true
            }
            if skipped > 0 { log.warning("target \(target.name): \(skipped) records are not documents: ignored") }
            log.info("target \(target.name): \(counts.documents) documents, \(counts.total) features")
            targetCounts.append(counts)
        }
        var rawCounts = DSIRBucketCounts(numBuckets: featurizer.numBuckets)
        let rawLimit = o.rawBudget.limit(numBuckets: featurizer.numBuckets)
        try forEachBatch(o.pool, fields: fields, rejected: { _, _, _ in }) { batch in
            for buckets in workspaces.featureBuckets(of: batch.map(\.text), threads: o.threads) {
                buckets.withUnsafeBufferPointer { rawCounts.add(buckets: $0) }
                if let rawLimit, rawCounts.total > rawLimit { return false }
            }
            return true
        }
        var passSeconds = ["fit": Date().timeIntervalSince(started)]
        var mark = Date()
        let estimators = try targetCounts.map {
            try DSIR(featurizer: featurizer, target: $0, raw: rawCounts, minimumWords: o.minimumWords)
        }
        log.info("raw distribution from \(rawCounts.documents) pool documents (\(featurizer.featureName) features)")

        // Pass 2: weigh.
        let work = o.output + ".select-work"
        let candidates = try CandidateFile(path: work, targets: o.targets.count)
        defer { candidates.remove() }
        var rejects = try RejectsSink(path: o.output + ".rejects.jsonl.zst", enabled: true)
        let weightsSink = try o.weightsOut.map { try OutputFile(path: $0) }
        var ledger = Ledger()
        var index = 0
        var eligible = 0
        try forEachBatch(o.pool, fields: fields, rejected: { problem, origin, record in
            ledger.read += 1
            ledger.rejected += 1
            try rejects.write(RejectEntry(id: problem.id, origin: origin, stage: "read", reason: problem.reason,
                                          detail: problem.detail, record: Array(record)))
        }) { batch in
            let scores = workspaces.scores(of: batch.map(\.text), estimators: estimators,
                                           tokenCounter: featurizer.tokenizer == nil ? o.tokenCounter : nil,
                                           threads: o.threads)
            var lines = JSONWriter(capacity: o.weightsOut == nil ? 0 : 128 * batch.count)
            for (document, score) in zip(batch, scores) {
                ledger.read += 1
                let isEligible = score.words >= o.minimumWords
                if isEligible {
                    eligible += 1
                    try candidates.append(index: index, tokens: score.tokens, logWeights: score.logWeights)
                }
                if weightsSink != nil {
                    writeWeightLine(&lines, id: document.id, score: score, eligible: isEligible,
                                    countsTokens: countsTokens)
                }
                index += 1
            }
            try weightsSink?.write(lines.bytes)
            return true
        }
        try candidates.finishWriting()
        try rejects.finish()
        try weightsSink?.commit()

        passSeconds["weigh"] = Date().timeIntervalSince(mark)
        mark = Date()

        // Pass 3: choose, target by target.
        let budgets = try allocate(targetCounts: targetCounts)
        var taken = Set<Int>()
        var perTarget: [[Int]] = []
        var chosenTokens: [Int] = []
        for (t, budget) in budgets.enumerated() {
            let mode: ImportanceResampler.Mode = o.topK ? .topK : .gumbel(seed: o.seed)
            var chooser = ImportanceResampler(budget: budget, mode: mode,
                                              stream: t == 0 ? "dsir/gumbel" : "dsir/gumbel/\(t)")
            try candidates.forEach { candidate in
                if !taken.contains(candidate.index) {
                    chooser.offer(index: candidate.index, logWeight: candidate.logWeights[t], tokens: candidate.tokens)
                }
            }
            let chosen = chooser.chosen()
            taken.formUnion(chosen)
            perTarget.append(chosen)
            chosenTokens.append(chooser.chosenTokens)
            if case .documents(let k) = budget, chosen.count < k {
                log.warning("target \(o.targets[t].name): asked for \(k) documents, only \(chosen.count) left eligible")
            }
            if case .tokens(let n) = budget, chooser.chosenTokens < n {
                log.warning("target \(o.targets[t].name): asked for \(n) tokens, only \(chooser.chosenTokens) left")
            }
        }
        // The uniform sample for the report: as many documents (or tokens) as were chosen in all.
        var randomSample: [Int]? = nil
        if o.reportOut != nil {
            let size: ImportanceResampler.Budget = {
                if case .tokens = o.budget { return .tokens(chosenTokens.reduce(0, +)) }
                return .documents(taken.count)
            }()
            var sampler = ImportanceResampler(budget: size, mode: .gumbel(seed: o.seed), stream: "dsir/report-random")
            try candidates.forEach { sampler.offer(index: $0.index, logWeight: 0, tokens: $0.tokens) }
            randomSample = sampler.chosen()
        }

        passSeconds["choose"] = Date().timeIntervalSince(mark)
        mark = Date()

        // Pass 4: copy the chosen records; count the chosen and random documents for the report.
        let chosenSorted = taken.sorted()
        var owner: [Int: Int] = [:]
        for (t, chosen) in perTarget.enumerated() { for i in chosen { owner[i] = t } }
        let randomSet = Set(randomSample ?? [])
        var chosenFeatureCounts = targetCounts.map { _ in DSIRBucketCounts(numBuckets: featurizer.numBuckets) }
        var randomCounts = DSIRBucketCounts(numBuckets: featurizer.numBuckets)
        var workspace = DSIRWorkspace(featurizer: featurizer)
        let sinks = try SelectionJob.shardPaths(output: o.output, shards: o.outputShards).map { try OutputFile(path: $0) }
        let choices = try o.choicesOut.map { try OutputFile(path: $0) }
        var next = 0
        index = 0
        try forEachDocument(o.pool, fields: fields) { document, record in
            defer { index += 1 }
            let isChosen = next < chosenSorted.count && chosenSorted[next] == index
            let isRandom = randomSet.contains(index)
            if isChosen {
                let sink = sinks[next % sinks.count]
                try sink.write(record)
                try sink.write([0x0A])
                next += 1
                if let choices {
                    var line = JSONWriter(capacity: 64)
                    line.raw("{\"id\":")
                    line.string(document.id)
                    line.raw(",\"target\":")
                    line.string(owner[index].map { o.targets[$0].name } ?? "")
                    line.raw("}\n")
                    try choices.write(line.bytes)
                }
            }
            guard o.reportOut != nil, isChosen || isRandom else { return }
            let features = workspace.features(document.text)
            if isChosen, let t = owner[index] { chosenFeatureCounts[t].add(features) }
            if isRandom { randomCounts.add(features) }
        }
        // The pool must read the same in every pass, and every chosen record must have been copied.
        guard next == chosenSorted.count, index == ledger.read - ledger.rejected else {
            throw CorpusError.ledgerMismatch(read: ledger.read, written: next, rejected: ledger.rejected)
        }
        for sink in sinks { try sink.commit() }
        try choices?.commit()

        var report = SelectionReport(
            features: featurizer.featureName, buckets: featurizer.numBuckets, ngrams: featurizer.ngrams,
            budgetUnit: { if case .tokens = o.budget { return "tokens" } else { return "documents" } }(),
            mode: o.topK ? "top_k" : "gumbel", seed: o.seed, read: ledger.read,
            rejected: ledger.rejected, eligible: eligible, chosen: chosenSorted.count,
            notChosen: ledger.read - ledger.rejected - chosenSorted.count, rawDocumentsFitted: rawCounts.documents,
            targets: [], randomSampleDocuments: randomSample?.count, seconds: 0)
        let shares = try targetShares(targetCounts: targetCounts)
        for (t, target) in o.targets.enumerated() {
            let budgetValue: Int = { switch budgets[t] { case .documents(let n), .tokens(let n): n } }()
            var entry = SelectionReport.Target(
                name: target.name, documents: targetCounts[t].documents, features: targetCounts[t].total,
                share: shares[t], budget: budgetValue, chosenDocuments: perTarget[t].count,
                chosenTokens: countsTokens ? chosenTokens[t] : nil, klChosen: nil, klRandom: nil)
            if o.reportOut != nil {
                entry.klChosen = SelectionJob.klDivergence(targetCounts[t], chosenFeatureCounts[t])
                entry.klRandom = SelectionJob.klDivergence(targetCounts[t], randomCounts)
            }
            report.targets.append(entry)
        }
        passSeconds["copy"] = Date().timeIntervalSince(mark)
        report.passSeconds = passSeconds
        report.seconds = Date().timeIntervalSince(started)
        if let reportOut = o.reportOut {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            var bytes = Array(try encoder.encode(report))
            bytes.append(0x0A)
            let file = try OutputFile(path: reportOut, compression: Compression.none)
            try file.write(bytes)
            try file.commit()
        }
        return report
    }

    /// KL(p ‖ q) = Σ_b p_b · log(p_b / q_b) in nats over the buckets, p from `target` as counted, q from `sample`
    /// with add-one smoothing, q_b = (count_b + 1) / (total + B), so that a bucket the sample never saw costs a
    /// finite amount. Nil when the target has no features.
    public static func klDivergence(_ target: DSIRBucketCounts, _ sample: DSIRBucketCounts) -> Double? {
        guard target.total > 0 else { return nil }
        let p = Double(target.total)
        let q = Double(sample.total + sample.counts.count)
        var sum = 0.0
        for (a, b) in zip(target.counts, sample.counts) where a > 0 {
            let pa = Double(a) / p
            sum += pa * Foundation.log(pa / (Double(b + 1) / q))
        }
        return sum
    }

    // MARK: Budgets

    /// Shares are given for every target, adding up to 1, or for none.
    func validateShares() throws {
        let given = options.targets.map(\.share)
        let explicit = given.compactMap { $0 }
        if explicit.count == given.count {
            guard explicit.allSatisfy({ $0 >= 0 }), abs(explicit.reduce(0, +) - 1) < 1e-9 else {
                throw SelectionError.invalidParameter(name: "target shares", value: "\(explicit) do not add up to 1")
            }
        } else if !explicit.isEmpty {
            throw SelectionError.invalidParameter(name: "target shares", value: "give a share for every target or none")
        }
    }

    /// Each target's share: as given, else proportional to its size.
    func targetShares(targetCounts: [DSIRBucketCounts]) throws -> [Double] {
        try validateShares()
        let explicit = options.targets.compactMap(\.share)
        if explicit.count == options.targets.count { return explicit }
        let sizes = targetCounts.map { counts -> Double in
            if case .tokens = options.budget { return Double(counts.total) }
            return Double(counts.documents)
        }
        let total = sizes.reduce(0, +)
        return sizes.map { total > 0 ? $0 / total : 1 / Double(sizes.count) }
    }

    /// Integer budgets by largest remainder (ties to the earlier target): they add up to the whole budget.
    func allocate(targetCounts: [DSIRBucketCounts]) throws -> [ImportanceResampler.Budget] {
        let shares = try targetShares(targetCounts: targetCounts)
        let whole: Int = { switch options.budget { case .documents(let n), .tokens(let n): n } }()
        let exact = shares.map { $0 * Double(whole) }
        var parts = exact.map { Int($0.rounded(.down)) }
        let order = exact.indices.sorted { (exact[$0] - Double(parts[$0]), $1) > (exact[$1] - Double(parts[$1]), $0) }
        for k in 0..<max(0, whole - parts.reduce(0, +)) { parts[order[k % order.count]] += 1 }
        return parts.map { part in
            if case .tokens = options.budget { return .tokens(part) }
            return .documents(part)
        }
    }

    // MARK: Reading

    /// Reads `paths` in batches of documents; `body` returns false to stop early.
    private func forEachBatch(_ paths: [String], fields: DocumentFields,
                              rejected: (RecordProblem, Origin, UnsafeRawBufferPointer) throws -> Void,
                              _ body: ([Document]) throws -> Bool) throws {
        var batch: [Document] = []
        var batchBytes = 0
        var going = true
        for path in paths where going {
            var reader = DocumentReader(file: InputFile(path: path, kind: .jsonl, fields: fields), options: ReadOptions())
            let problem = try reader.forEach { event in
                guard going else { return }
                switch event {
                case let .document(document, _):
                    batchBytes += document.byteCount
                    batch.append(document)
                    if batch.count >= 4096 || batchBytes >= 8 << 20 {
                        going = try body(batch)
                        batch.removeAll(keepingCapacity: true)
                        batchBytes = 0
                    }
                case let .rejected(problem, origin, record): try rejected(problem, origin, record)
                }
            }
            if let problem { throw problem }
        }
        if going, !batch.isEmpty { _ = try body(batch) }
    }

    private func forEachDocument(_ paths: [String], fields: DocumentFields,
                                 _ body: (Document, UnsafeRawBufferPointer) throws -> Void) throws {
        for path in paths {
            var reader = DocumentReader(file: InputFile(path: path, kind: .jsonl, fields: fields), options: ReadOptions())
            let problem = try reader.forEach { event in
                if case let .document(document, record) = event { try body(document, record) }
            }
            if let problem { throw problem }
        }
    }

    private func writeWeightLine(_ writer: inout JSONWriter, id: String, score: DocumentScore, eligible: Bool,
                                 countsTokens: Bool) {
        func number(_ value: Double) -> String { value.isFinite ? "\(value)" : "null" }
        writer.raw("{\"id\":")
        writer.string(id)
        if score.logWeights.count == 1 {
            writer.raw(",\"log_weight\":")
            writer.rawBytes(number(score.logWeights[0]).utf8)
        } else {
            writer.raw(",\"log_weights\":{")
            for (t, target) in options.targets.enumerated() {
                if t > 0 { writer.raw(",") }
                writer.string(target.name)
                writer.raw(":")
                writer.rawBytes(number(score.logWeights[t]).utf8)
            }
            writer.raw("}")
        }
        writer.rawBytes(",\"words\":\(score.words)".utf8)
        if countsTokens { writer.rawBytes(",\"tokens\":\(score.tokens)".utf8) }
        writer.rawBytes(",\"eligible\":\(eligible)}\n".utf8)
    }
}

/// One pool document's weighing.
struct DocumentScore: Sendable {
    var words: Int
    var tokens: Int
    var logWeights: [Double]
}

/// One `DSIRWorkspace` per thread; batch `i` of a parallel map uses workspace `i` only.
final class WorkspacePool: @unchecked Sendable {
    private let items: UnsafeMutablePointer<DSIRWorkspace>
    private let count: Int

    init(featurizer: DSIRFeaturizer, count: Int) {
        self.count = count
        items = .allocate(capacity: count)
        items.initialize(repeating: DSIRWorkspace(featurizer: featurizer), count: count)
    }

    deinit {
        items.deinitialize(count: count)
        items.deallocate()
    }

    /// `transform` of each text, in order, on up to `threads` threads.
    private func map<T>(_ texts: [String], threads: Int,
                        _ transform: @Sendable (inout DSIRWorkspace, String) -> T) -> [T] {
        let tasks = max(1, min(threads, count, texts.count))
        let chunks = orderedParallelMap(count: tasks, threads: tasks) { task -> [T] in
            let range = (texts.count * task / tasks)..<(texts.count * (task + 1) / tasks)
            return range.map { transform(&self.items[task], texts[$0]) }
        }
        return chunks.flatMap { $0 }
    }

    /// The feature buckets of each text (for counting: their order does not matter).
    func featureBuckets(of texts: [String], threads: Int) -> [[Int]] {
        map(texts, threads: threads) { workspace, text in workspace.withFeatureBuckets(text) { buckets, _ in Array(buckets) } }
    }

    func scores(of texts: [String], estimators: [DSIR], tokenCounter: (any TokenEncoder)?, threads: Int)
        -> [DocumentScore]
    {
        map(texts, threads: threads) { workspace, text in
            workspace.withFeatureBuckets(text) { buckets, words in
                let length = estimators[0].length(featureCount: buckets.count)
                let tokens = tokenCounter.map { $0.encodeOrdinary(text).count } ?? words
                return DocumentScore(words: length, tokens: tokens,
                                     logWeights: estimators.map { $0.logWeight(buckets: buckets) })
            }
        }
    }
}

/// The eligible pool documents as fixed-size binary records (index, tokens, one log weight per target), written
/// once and read once per target.
final class CandidateFile {
    let path: String
    let targets: Int
    private var writer: OutputFile?
    private var buffer: [UInt8] = []

    struct Record {
        var index: Int
        var tokens: Int
        var logWeights: [Double]
    }

    init(path: String, targets: Int) throws {
        self.path = path
        self.targets = targets
        writer = try OutputFile(path: path, compression: Compression.none)
    }

    var recordBytes: Int { 16 + 8 * targets }

    func append(index: Int, tokens: Int, logWeights: [Double]) throws {
        withUnsafeBytes(of: Int64(index).littleEndian) { buffer.append(contentsOf: $0) }
        withUnsafeBytes(of: Int64(tokens).littleEndian) { buffer.append(contentsOf: $0) }
        for w in logWeights { withUnsafeBytes(of: w.bitPattern.littleEndian) { buffer.append(contentsOf: $0) } }
        if buffer.count >= 1 << 20 {
            try writer?.write(buffer)
            buffer.removeAll(keepingCapacity: true)
        }
    }

    func finishWriting() throws {
        try writer?.write(buffer)
        try writer?.commit()
        writer = nil
        buffer = []
    }

    func forEach(_ body: (Record) throws -> Void) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw SelectionError.invalidParameter(name: "candidate file", value: path)
        }
        defer { try? handle.close() }
        let size = recordBytes
        let chunk = size * 8192
        var record = Record(index: 0, tokens: 0, logWeights: [Double](repeating: 0, count: targets))
        while true {
            let data = try handle.read(upToCount: chunk) ?? Data()
            if data.isEmpty { break }
            guard data.count % size == 0 else {
                throw SelectionError.invalidParameter(name: "candidate file", value: "truncated: \(path)")
            }
            try data.withUnsafeBytes { raw in
                for offset in stride(from: 0, to: raw.count, by: size) {
                    record.index = Int(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int64.self)))
                    record.tokens = Int(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 8, as: Int64.self)))
                    for t in 0..<targets {
                        let bits = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 16 + 8 * t, as: UInt64.self))
                        record.logWeights[t] = Double(bitPattern: bits)
                    }
                    try body(record)
                }
            }
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}
