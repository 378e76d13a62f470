import CorpusCore
import CorpusIO
import Foundation
import Packing
import Shards
import Synchronization
import Tokenization

/// Errors of a run as a whole (as opposed to per-record problems, which go to the rejects file).
public enum RunError: Error, Sendable, CustomStringConvertible {
    case otherRecipe(folder: String, found: String, expected: String)
    case stageFailed(file: String, underlying: String)
    case ledger(CorpusError, rank: Int)

    public var description: String {
        switch self {
        case let .otherRecipe(folder, found, expected):
            "output folder \(folder) holds a run of another recipe (sha256 \(found.prefix(12))…, this one "
                + "\(expected.prefix(12))…): use a new folder, or --force to start over"
        case let .stageFailed(file, underlying): "while processing \(file): \(underlying)"
        case let .ledger(error, rank): "task \(rank): \(error)"
        }
    }
}

/// How a run is executed (not what it does: that is the recipe).
public struct RunOptions: Sendable {
    /// Worker threads; files are spread over them.
    public var threads: Int
    public var shard: ShardIndex
    /// Start the task over even when it was completed or partly done.
    public var force: Bool
    public var log: Log

    public init(threads: Int = defaultThreadCount(), shard: ShardIndex = .single, force: Bool = false,
                log: Log = Log())
    {
        self.threads = max(1, threads)
        self.shard = shard
        self.force = force
        self.log = log
    }
}

/// The number of cores the process may use.
public func defaultThreadCount() -> Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

/// What `Runner.run` did.
public struct RunOutcome: Sendable {
    /// The task's report; nil when the task had been completed before and was skipped.
    public var rank: RankReport?
    /// The merged manifest, once every task of the job is complete.
    public var manifest: Manifest?
    public var skipped: Bool
    /// What this task packed (with `output.pack`).
    public var pack: RankPackReport?
}

/// Runs a pipeline over the files of one task and writes rank-named outputs, rejects and reports.
///
/// Output layout of `output.path`:
/// ```
/// data/rank-00000.jsonl.zst      documents kept, in input order
/// rejects/rank-00000.jsonl.zst   every record dropped: id, file, line, stage, reason, detail, record
/// ranks/rank-00000.json          this task's counts; ranks/rank-00000.done marks it complete
/// manifest.json, stats.json      merged over all tasks once the last one completes
/// ```
/// Work is split by input file: file `i` belongs to rank `i % worldSize`, and each file becomes one part
/// written and committed on its own. Parts are joined in input order (concatenated zstd frames and gzip
/// members are valid streams), so the bytes are the same for any thread count, and a re-run after an
/// interruption reuses the parts already committed.
public struct Runner: Sendable {
    /// The parts of the recipe a run needs once its stages are built.
    public struct Config: Sendable {
        public var name: String?
        public var seed: UInt64
        public var recipeHash: String
        public var reader: ReaderOptions
        public var output: OutputSpec
        /// The url fields of the inputs, as written (`url`, `meta.url`), for the pack manifest.
        public var urlFields: [String]
        /// Semantic ordering after the steps (`order:`), or nil.
        public var order: OrderSpec?

        public init(_ recipe: Recipe) {
            urlFields = recipe.inputs.map { $0.urlField.components.joined(separator: ".") }
            name = recipe.name
            seed = recipe.seed
            recipeHash = recipe.recipeHash
            reader = recipe.reader
            output = recipe.output
            order = recipe.order
        }
    }

    public let recipe: Config
    /// The tokenizer of `output.tokenizer`, loaded once; nil writes text.
    public let tokenizer: (any TokenEncoder)?
    public let files: [InputFile]
    public let stages: [Stage]
    public let options: RunOptions
    public let recipeFile: String
    /// Packing settings and the prepared tokenizer when the recipe has `output.pack`.
    public let pack: PackContext?

    public init(recipe: Recipe, recipeFile: String, files: [InputFile], stages: [Stage], options: RunOptions,
                tokenizer: (any TokenEncoder)? = nil, pack: PackContext? = nil)
    {
        self.recipe = Config(recipe)
        self.tokenizer = tokenizer
        self.pack = pack
        self.recipeFile = recipeFile
        // Each file's position becomes `Origin.fileIndex`, the key corpus steps (dedup) name documents by.
        self.files = files.enumerated().map { index, file in
            var file = file
            file.index = index
            return file
        }
        self.stages = stages
        self.options = options
    }

    var outputFolder: String { recipe.output.path }
    var shard: ShardIndex { options.shard }
    var stem: String { shard.fileStem }
    var dataPath: String { "\(outputFolder)/data/\(stem).\(recipe.output.format.fileExtension)" }
    var rejectsPath: String { "\(outputFolder)/rejects/\(stem).jsonl.zst" }
    var reportPath: String { "\(outputFolder)/ranks/\(stem).json" }
    var donePath: String { "\(outputFolder)/ranks/\(stem).done" }
    var packReportPath: String { "\(outputFolder)/ranks/\(stem).pack.json" }
    var workFolder: String { "\(outputFolder)/.work/\(stem)" }

    /// The files this task reads, with their global index.
    var myFiles: [(index: Int, file: InputFile)] {
        files.enumerated().filter { shard.owns($0.offset) }.map { ($0.offset, $0.element) }
    }

    public func run() throws -> RunOutcome {
        let fm = FileManager.default
        if fm.fileExists(atPath: donePath), !options.force {
            let previous = try decodeReport(RankReport.self, from: reportPath)
            guard previous.recipeSha256 == recipe.recipeHash else {
                throw RunError.otherRecipe(folder: outputFolder, found: previous.recipeSha256, expected: recipe.recipeHash)
            }
            options.log.info("task \(shard) already complete: skipped", ["rank": "\(shard.rank)", "event": "skip"])
            return RunOutcome(rank: nil, manifest: try mergeIfComplete(), skipped: true)
        }
        if options.force {
            try? fm.removeItem(atPath: donePath)
            try? fm.removeItem(atPath: workFolder)
        }
        try fm.createDirectory(atPath: workFolder, withIntermediateDirectories: true)
        try writeWorkStamp()

        let units = myFiles
        let totalBytes = units.reduce(Int64(0)) { $0 + fileSize($1.file.path) }
        let progress = Progress(totalBytes: totalBytes, log: options.log)
        options.log.info("task \(shard): \(units.count) files, \(formatBytes(Int(totalBytes))), "
                         + "\(min(options.threads, max(units.count, 1))) threads",
                         ["event": "start", "rank": "\(shard.rank)", "files": "\(units.count)"])
        progress.start()
        let reports = try processAll(units, progress: progress)
        progress.stop()

        var outputs: [OutputEntry]
        var packReport: RankPackReport?
        var ordered: OrderPhaseResult?
        if let order = recipe.order {
            let phase = try runOrderPhase(order, indices: units.map(\.index))
            outputs = phase.outputs
            if let packed = phase.packReport {
                packReport = packed
                try OutputFile.atomicWrite(path: packReportPath, contents: try encodePackReport(packed))
            }
            ordered = phase
        } else if let pack {
            outputs = try joinParts(units.map(\.index), suffixes: [(".rejects", rejectsPath)])
            let packed = try packParts(units.map(\.index), context: pack)
            outputs += packed.files
            packReport = packed
            try OutputFile.atomicWrite(path: packReportPath, contents: try encodePackReport(packed))
        } else {
            outputs = try joinParts(units.map(\.index), suffixes: [(".data", dataPath), (".rejects", rejectsPath)])
        }
        var stageNames = stages.map { ($0.name, $0.kindName) }
        if recipe.order != nil { stageNames.append(("order", Self.orderKind)) }
        if pack != nil { stageNames.append(("pack", "packer")) }
        var report = RankReport(rank: shard, recipeSha256: recipe.recipeHash, stageNames: stageNames, units: reports,
                                outputs: outputs)
        ordered?.apply(to: &report)
        do {
            try report.ledger.check()
            try checkStageChain(report.stages, written: report.ledger.written)
        } catch {
            throw RunError.ledger(error, rank: shard.rank)
        }
        try OutputFile.atomicWrite(path: reportPath, contents: try encodeReport(report))
        try OutputFile.atomicWrite(path: donePath, contents: Array("\(recipe.recipeHash)\n".utf8))
        try? fm.removeItem(atPath: workFolder)
        if (try? fm.contentsOfDirectory(atPath: "\(outputFolder)/.work"))?.isEmpty == true {
            try? fm.removeItem(atPath: "\(outputFolder)/.work")
        }
        if !report.inputErrors.isEmpty {
            options.log.warning("\(report.inputErrors.count) input file(s) ended early; see input_errors in the manifest",
                                ["event": "input_errors", "count": "\(report.inputErrors.count)"])
        }
        return RunOutcome(rank: report, manifest: try mergeIfComplete(), skipped: false, pack: packReport)
    }

    /// Part files are valid only for the recipe that wrote them: a stamp in the work folder says which.
    private func writeWorkStamp() throws {
        let stampPath = "\(workFolder)/recipe.sha256"
        if let existing = try? String(contentsOfFile: stampPath, encoding: .utf8),
           existing.trimmingCharacters(in: .whitespacesAndNewlines) != recipe.recipeHash
        {
            try FileManager.default.removeItem(atPath: workFolder)
            try FileManager.default.createDirectory(atPath: workFolder, withIntermediateDirectories: true)
        }
        try OutputFile.atomicWrite(path: stampPath, contents: Array("\(recipe.recipeHash)\n".utf8))
    }

    func partStem(_ index: Int) -> String { "\(workFolder)/part-\(String(index).leftPadded(to: 6))" }

    /// Processes every file on `threads` workers; results come back in input order.
    private func processAll(_ units: [(index: Int, file: InputFile)], progress: Progress) throws -> [UnitReport] {
        let next = Atomic<Int>(0)
        let results = Mutex<[UnitReport?]>([UnitReport?](repeating: nil, count: units.count))
        let failure = Mutex<(any Error)?>(nil)
        let workers = min(options.threads, max(units.count, 1))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while failure.withLock({ $0 == nil }) {
                let i = next.add(1, ordering: .relaxed).oldValue
                guard i < units.count else { return }
                do {
                    let report = try processOrResume(units[i], progress: progress)
                    results.withLock { $0[i] = report }
                } catch {
                    failure.withLock { if $0 == nil { $0 = error } }
                }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        return results.withLock { $0.compactMap { $0 } }
    }

    private func processOrResume(_ unit: (index: Int, file: InputFile), progress: Progress) throws -> UnitReport {
        let summaryPath = partStem(unit.index) + ".json"
        if let previous = try? decodeReport(UnitReport.self, from: summaryPath), previous.file == unit.file.displayPath {
            progress.add(documents: previous.ledger.read, bytes: Int(previous.read.input.bytes),
                         consumed: previous.inputBytes)
            return previous
        }
        let report = try process(unit.file, partStem: partStem(unit.index), progress: progress)
        try OutputFile.atomicWrite(path: summaryPath, contents: try encodeReport(report))
        return report
    }

    /// Reads one file through every stage into its part files.
    func process(_ file: InputFile, partStem: String, progress: Progress) throws -> UnitReport {
        var data: any DocumentSink
        var packPart: PackPartWriter?
        // With `order:`, the parts hold the cleaned documents as JSON lines; the order phase writes the output.
        let pack = recipe.order == nil ? self.pack : nil
        let tokenizer = recipe.order == nil ? self.tokenizer : nil
        if pack != nil {
            data = NoSink()
            packPart = try PackPartWriter(path: partStem + ".data")
        } else if let tokenizer {
            data = try TokenIDsSink(path: partStem + ".data", compression: recipe.output.format.compression,
                                    level: recipe.output.compressionLevel, encoding: tokenizer)
        } else if recipe.order != nil {
            data = try JSONLSink(path: partStem + ".data", compression: Compression.none, level: nil)
        } else {
            data = try JSONLSink(path: partStem + ".data", compression: recipe.output.format.compression,
                                 level: recipe.output.compressionLevel)
        }
        var rejects = try RejectsSink(path: partStem + ".rejects", enabled: recipe.output.rejects)
        var read = StageStats(name: "read", kind: "reader")
        var stats = stages.map { StageStats(name: $0.name, kind: $0.kindName) }
        if pack != nil { stats.append(StageStats(name: "pack", kind: "packer")) }
        var packedTokens = 0
        // Packing tokenizes kept documents in batches, across the threads this file's worker can use.
        var pending: [(document: Document, record: [UInt8])] = []
        func flushPending() throws {
            guard let pack, !pending.isEmpty else { return }
            let prepared = prepareInParallel(pending.map(\.document), preparer: pack.preparer)
            let last = stats.count - 1
            for ((document, record), result) in zip(pending, prepared) {
                if let result {
                    stats[last].input.add(bytes: document.byteCount)
                    stats[last].kept.add(bytes: document.byteCount)
                    ledger.written += 1
                    output.add(document)
                    packedTokens += result.tokens.count
                    try packPart?.write(result)
                } else {
                    stats[last].recordDropped(reason: "no_tokens", bytes: document.byteCount)
                    ledger.rejected += 1
                    try rejects.write(RejectEntry(id: document.id, origin: document.origin, stage: "pack",
                                                  reason: "no_tokens", detail: "the text encodes to no tokens",
                                                  record: record))
                }
            }
            pending.removeAll(keepingCapacity: true)
        }
        var ledger = Ledger()
        var output = TextStats()
        var pendingDocs = 0
        var pendingBytes = 0
        var reader = DocumentReader(
            file: file,
            options: ReadOptions(maxRecordBytes: recipe.reader.maxRecordBytes,
                                 replaceInvalidUTF8: recipe.reader.invalidUTF8 == .replace))
        reader.onConsumed = { progress.add(documents: 0, bytes: 0, consumed: $0) }
        let inputError = try reader.forEach { event in
            ledger.read += 1
            switch event {
            case .document(var document, let record):
                read.input.add(bytes: record.count)
                read.kept.add(bytes: document.byteCount)
                pendingBytes += record.count
                if let drop = runStages(stages, on: &document, stats: &stats) {
                    ledger.rejected += 1
                    try rejects.write(RejectEntry(id: document.id, origin: document.origin, stage: stages[drop.stage].name,
                                                  reason: drop.reason, detail: drop.detail, record: Array(record)))
                } else if pack != nil {
                    pending.append((document, Array(record)))
                    if pending.count >= 2048 { try flushPending() }
                } else {
                    ledger.written += 1
                    output.add(document)
                    try data.write(document)
                }
            case let .rejected(problem, origin, record):
                read.recordDropped(reason: problem.reason, bytes: record.count)
                pendingBytes += record.count
                ledger.rejected += 1
                try rejects.write(RejectEntry(id: problem.id, origin: origin, stage: "read", reason: problem.reason,
                                              detail: problem.detail, record: Array(record)))
            }
            pendingDocs += 1
            if pendingDocs >= 4096 {
                progress.add(documents: pendingDocs, bytes: pendingBytes, consumed: 0)
                pendingDocs = 0
                pendingBytes = 0
            }
        }
        try flushPending()
        try data.finish()
        try packPart?.finish()
        try rejects.finish()
        let size = fileSize(file.path)
        progress.add(documents: pendingDocs, bytes: pendingBytes, consumed: 0)
        // Name the file as the recipe does, so the manifest does not depend on where the corpus is mounted.
        let problem = inputError.map { "\($0)".replacingOccurrences(of: file.path, with: file.displayPath) }
        if let problem {
            options.log.warning(problem, ["event": "input_error", "file": file.displayPath])
        }
        return UnitReport(file: file.displayPath, inputBytes: size, read: read, stages: stats, ledger: ledger,
                          output: output, tokens: pack == nil ? data.tokensWritten : packedTokens, inputError: problem)
    }

    /// Prepares documents for packing on up to `innerThreads` threads (one per 64 documents at most); results
    /// in input order.
    private func prepareInParallel(_ documents: [Document], preparer: DocumentPreparer) -> [PreparedDocument?] {
        orderedParallelMap(count: documents.count, threads: min(innerThreads, max(1, documents.count / 64))) { i in
            preparer.prepare(documents[i], key: documents[i].origin.map { "\($0.file):\($0.line)" } ?? documents[i].id)
        }
    }

    /// Threads each file's worker may use for tokenizing: the cores the files do not occupy.
    var innerThreads: Int { max(1, options.threads / max(1, min(options.threads, myFiles.count))) }

    /// Concatenates the parts into the task's data and rejects files, in input order, and checksums them.
    private func joinParts(_ indices: [Int], suffixes: [(String, String)]) throws -> [OutputEntry] {
        var entries: [OutputEntry] = []
        for (suffix, path) in suffixes {
            let joined = try OutputFile(path: path, compression: Compression.none)
            for index in indices { try joined.appendRawContents(ofFile: partStem(index) + suffix) }
            try joined.commit()
            let relative = String(path.dropFirst(outputFolder.count + 1))
            entries.append(try FileEntry.make(folder: outputFolder, relativePath: relative))
        }
        return entries
    }

    /// Writes `manifest.json` and `stats.json` when every task of the job has its completion marker.
    func mergeIfComplete() throws -> Manifest? {
        var reports: [RankReport] = []
        for rank in 0..<shard.worldSize {
            let stem = "rank-" + String(rank).leftPadded(to: 5)
            guard FileManager.default.fileExists(atPath: "\(outputFolder)/ranks/\(stem).done") else { return nil }
            reports.append(try decodeReport(RankReport.self, from: "\(outputFolder)/ranks/\(stem).json"))
        }
        var ledger = Ledger()
        var stages = reports.first?.stages.map { StageStats(name: $0.name, kind: $0.kind) } ?? []
        var output = TextStats()
        for report in reports {
            ledger.merge(report.ledger)
            for i in stages.indices where i < report.stages.count { stages[i].merge(report.stages[i]) }
            output.merge(report.output)
        }
        let outputs = reports.flatMap(\.outputs)
        let tokens = tokenizer == nil ? nil : reports.reduce(0) { $0 + $1.tokens }
        let manifest = Manifest(
            tool: "ptk", version: PretrainKit.version,
            recipe: .init(name: recipe.name, file: (recipeFile as NSString).lastPathComponent, sha256: recipe.recipeHash),
            seed: recipe.seed, worldSize: shard.worldSize,
            inputs: files.map { .init(path: $0.displayPath, kind: $0.kind.rawValue, source: $0.source,
                                      bytes: fileSize($0.path)) },
            ledger: ledger, tokens: tokens, stages: stages, inputErrors: reports.flatMap(\.inputErrors),
            outputs: outputs.filter { $0.path.hasPrefix("data/") },
            rejects: outputs.filter { $0.path.hasPrefix("rejects/") })
        try OutputFile.atomicWrite(path: "\(outputFolder)/stats.json", contents: try encodeReport(output))
        if let pack {
            // A packed folder's manifest.json is the shard manifest (docs/shard-format.md); the run's goes beside.
            try OutputFile.atomicWrite(path: "\(outputFolder)/run.json", contents: try encodeReport(manifest))
            try packManifest(pack, reports: reports, ledger: ledger).write(to: outputFolder)
        } else {
            try OutputFile.atomicWrite(path: "\(outputFolder)/manifest.json", contents: try encodeReport(manifest))
        }
        return manifest
    }
}

/// The library's version, written into every manifest.
public enum PretrainKit {
    public static let version = "0.1.0"
}

/// Each stage must balance (in = kept + dropped), take in what the stage before it kept, and the last must
/// keep what was written: otherwise documents went missing between stages.
func checkStageChain(_ stages: [StageStats], written: Int) throws(CorpusError) {
    for (i, stage) in stages.enumerated() {
        guard stage.isBalanced else {
            throw .stageUnbalanced(stage: stage.name, input: stage.input.documents, kept: stage.kept.documents,
                                   dropped: stage.droppedTotal.documents)
        }
        if i > 0, stage.input.documents != stages[i - 1].kept.documents {
            throw .stageChainBroken(stage: stage.name, expected: stages[i - 1].kept.documents,
                                    found: stage.input.documents)
        }
    }
    if let last = stages.last, last.kept.documents != written {
        throw .stageChainBroken(stage: "output", expected: last.kept.documents, found: written)
    }
}

func fileSize(_ path: String) -> Int64 {
    var st = stat()
    return stat(path, &st) == 0 ? Int64(st.st_size) : 0
}

extension OutputFormat {
    /// The compression of files in this format.
    public var compression: Compression {
        switch self {
        case .jsonl: .none
        case .jsonlGz: .gzip
        case .jsonlZst: .zstd
        }
    }
}
