import CorpusCore
import CorpusIO
import Foundation
import Packing
import Shards
import Tokenization

/// What a recipe's `order:` block did after the steps: the counts it adds to the task's report and the files it
/// wrote.
struct OrderPhaseResult {
    /// The `order` stage's kept documents and its drops by reason (its input is the last step's kept tally).
    var kept = Tally()
    var dropped: [String: Tally] = [:]
    /// The `pack` stage, with `output.pack`.
    var pack: StageStats?
    var written = 0
    /// Documents the order phase rejected: near duplicates, records unreadable on re-reading, no tokens.
    var rejected = 0
    var output = TextStats()
    var tokens = 0
    var outputs: [OutputEntry] = []
    var packReport: RankPackReport?

    /// Puts the phase's counts into `report`, whose stages are `read`, the steps, `order` and maybe `pack`.
    func apply(to report: inout RankReport) {
        guard let index = report.stages.firstIndex(where: { $0.name == "order" && $0.kind == Runner.orderKind }),
              index > 0
        else { return }
        var stage = report.stages[index]
        stage.input = report.stages[index - 1].kept
        stage.kept = kept
        stage.dropped = dropped
        // The near duplicates' bytes: what came in and was neither kept nor dropped for another reason.
        if var near = stage.dropped[Runner.nearDuplicateReason] {
            let others = dropped.filter { $0.key != Runner.nearDuplicateReason }.values.reduce(0) { $0 + $1.bytes }
            near.bytes = max(0, stage.input.bytes - kept.bytes - others)
            stage.dropped[Runner.nearDuplicateReason] = near
        }
        report.stages[index] = stage
        if let pack, index + 1 < report.stages.count { report.stages[index + 1] = pack }
        report.ledger.written = written
        report.ledger.rejected += rejected
        report.output = output
        report.tokens = tokens
    }
}

/// A recipe's `order:` block (README, "Ordering in recipes"): after the steps, on the whole task's cleaned
/// documents, before the output.
///
/// 1. The per-file parts (the cleaned documents as JSON lines, in input order) are joined into one scratch file.
/// 2. `EmbedJob` embeds them into `OUTPUT/order/embeddings.npy` (+ `.ids.jsonl`).
/// 3. `OrderJob` orders them; its near duplicates (and any record it cannot read) go to the run's rejects.
/// 4. The ordered documents go to the output: packed (order kept), token ids, or the JSON lines unchanged.
///
/// `OUTPUT/order/complete` (the recipe's sha256) with `report.json` lets a re-run of an interrupted task reuse
/// the order (`--force` orders again). One task only: `Job.prepare` refuses `order:` with several tasks.
extension Runner {
    static let orderKind = "orderer"
    static let nearDuplicateReason = "near_duplicate"

    var orderFolder: String { "\(outputFolder)/order" }
    var orderedPath: String { "\(workFolder)/ordered.jsonl" }
    /// Where `OrderJob` writes the rejects of `orderedPath`.
    var orderedRejectsPath: String { orderedPath + ".rejects.jsonl.zst" }

    func runOrderPhase(_ spec: OrderSpec, indices: [Int]) throws -> OrderPhaseResult {
        let fm = FileManager.default
        try fm.createDirectory(atPath: orderFolder, withIntermediateDirectories: true)
        let npy = "\(orderFolder)/embeddings.npy"
        let reportFile = "\(orderFolder)/report.json"
        let marker = "\(orderFolder)/complete"
        var orderReport: OrderReport
        if !options.force,
           (try? String(contentsOfFile: marker, encoding: .utf8))?
           .trimmingCharacters(in: .whitespacesAndNewlines) == recipe.recipeHash,
           [orderedPath, orderedRejectsPath, npy].allSatisfy({ fm.fileExists(atPath: $0) }),
           let previous = try? JSONDecoder().decode(OrderReport.self, from: Data(contentsOf: URL(fileURLWithPath: reportFile)))
        {
            options.log.info("order already made: \(orderFolder)", ["event": "order_skip"])
            orderReport = previous
        } else {
            try? fm.removeItem(atPath: marker)
            let cleaned = "\(workFolder)/cleaned.jsonl"
            let joined = try OutputFile(path: cleaned, compression: Compression.none)
            for index in indices { try joined.appendRawContents(ofFile: partStem(index) + ".data") }
            try joined.commit()
            defer { try? fm.removeItem(atPath: cleaned) }
            let model: EmbedOptions.Model = switch spec.embeddings {
            case let .lexical(dimension): .lexical(dimension: dimension)
            case let .model(path): .sentenceEncoder(folder: path)
            }
            _ = try EmbedJob.run(EmbedOptions(model: model, input: cleaned, output: npy, threads: options.threads,
                                              seed: recipe.seed), log: options.log)
            var job = OrderOptions(
                input: cleaned, embeddings: npy, output: orderedPath, method: spec.method, k: spec.k,
                duplicateThreshold: spec.duplicateThreshold, maxChain: spec.maxChain, minChain: spec.minChain,
                seed: recipe.seed, threads: options.threads, reportPath: nil,
                windowTokens: spec.windowTokens ?? recipe.output.pack?.seqLen ?? 2048, tokenizer: tokenizer)
            job.clusterSize = spec.clusterSize
            job.leakageThreshold = spec.leakageThreshold
            job.bufferDocuments = spec.bufferDocuments
            orderReport = try OrderJob.run(job, log: options.log)
            orderReport.seconds = 0  // no clock time in the output folder: the same recipe, the same bytes
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try OutputFile.atomicWrite(path: reportFile, contents: Array(try encoder.encode(orderReport)) + [0x0A])
            try OutputFile.atomicWrite(path: marker, contents: Array("\(recipe.recipeHash)\n".utf8))
        }

        var result = OrderPhaseResult()
        if orderReport.nearDuplicates > 0 {
            result.dropped[Self.nearDuplicateReason] = Tally(documents: orderReport.nearDuplicates, bytes: 0)
        }
        let unreadable = orderReport.rejected - orderReport.nearDuplicates
        if unreadable > 0 { result.dropped["unreadable", default: Tally()].documents += unreadable }
        result.rejected = orderReport.rejected
        try writeOrdered(into: &result)
        return result
    }

    /// Reads the ordered documents and writes the task's output from them: packed, token ids, or the lines as
    /// they are; then the task's rejects (the parts', the order's, the packer's).
    private func writeOrdered(into result: inout OrderPhaseResult) throws {
        let packRejectsPath = "\(workFolder)/ordered.pack.rejects"
        var rejects = try RejectsSink(path: packRejectsPath, enabled: recipe.output.rejects)
        var packStage = pack.map { _ in StageStats(name: "pack", kind: "packer") }
        let packPartPath = "\(workFolder)/ordered.pack"
        var packPart = try pack.map { _ in try PackPartWriter(path: packPartPath) }
        var tokenSink = try tokenizer.flatMap { encoder in
            pack == nil ? try TokenIDsSink(path: dataPath, compression: recipe.output.format.compression,
                                           level: recipe.output.compressionLevel, encoding: encoder) : nil
        }
        let lines = pack == nil && tokenizer == nil
            ? try OutputFile(path: dataPath, compression: recipe.output.format.compression,
                             level: recipe.output.compressionLevel) : nil
        var buffer: [UInt8] = []
        var pending: [(document: Document, record: [UInt8])] = []
        func flushPending() throws {
            guard let pack, !pending.isEmpty else { return }
            let documents = pending.map(\.document)
            let prepared = orderedParallelMap(count: documents.count,
                                              threads: min(options.threads, max(1, documents.count / 64))) { i in
                pack.preparer.prepare(documents[i], key: documents[i].origin.map { "\($0.file):\($0.line)" } ?? documents[i].id)
            }
            for ((document, record), outcome) in zip(pending, prepared) {
                if let outcome {
                    packStage?.recordKept(bytes: document.byteCount)
                    result.written += 1
                    result.output.add(document)
                    result.tokens += outcome.tokens.count
                    try packPart?.write(outcome)
                } else {
                    packStage?.recordDropped(reason: "no_tokens", bytes: document.byteCount)
                    result.rejected += 1
                    try rejects.write(RejectEntry(id: document.id, origin: nil, stage: "pack", reason: "no_tokens",
                                                  detail: "the text encodes to no tokens", record: record))
                }
            }
            pending.removeAll(keepingCapacity: true)
        }

        let file = InputFile(path: orderedPath, displayPath: "order/ordered.jsonl", kind: .jsonl)
        var reader = DocumentReader(file: file, options: ReadOptions())
        let problem = try reader.forEach { event in
            switch event {
            case .document(var document, let record):
                // The line is DocumentEncoder's: `source` is a field of it, not the reader's input label.
                if let source = document.metadata.fields.removeValue(forKey: "source") { document.metadata.source = source }
                result.kept.add(bytes: document.byteCount)
                if pack != nil {
                    pending.append((document, Array(record)))
                    if pending.count >= 2048 { try flushPending() }
                } else if tokenSink != nil {
                    result.written += 1
                    result.output.add(document)
                    try tokenSink?.write(document)
                } else {
                    result.written += 1
                    result.output.add(document)
                    buffer.append(contentsOf: record)
                    buffer.append(0x0A)
                    if buffer.count >= 1 << 20 {
                        try lines?.write(buffer)
                        buffer.removeAll(keepingCapacity: true)
                    }
                }
            case let .rejected(problem, _, record):
                // OrderJob wrote only records it read: not expected, but counted and kept if it happens.
                result.dropped[problem.reason, default: Tally()].add(bytes: 0)
                result.rejected += 1
                try rejects.write(RejectEntry(id: problem.id, origin: nil, stage: "order", reason: problem.reason,
                                              detail: problem.detail, record: Array(record)))
            }
        }
        if let problem { throw problem }
        try flushPending()
        try rejects.finish()

        // Rejects: the parts' in input order, then the order's, then the packer's.
        let joined = try OutputFile(path: rejectsPath, compression: Compression.none)
        for index in myFiles.map(\.index) { try joined.appendRawContents(ofFile: partStem(index) + ".rejects") }
        if recipe.output.rejects { try joined.appendRawContents(ofFile: orderedRejectsPath) }
        try joined.appendRawContents(ofFile: packRejectsPath)
        try joined.commit()
        let rejectsEntry = try FileEntry.make(folder: outputFolder, relativePath: String(rejectsPath.dropFirst(outputFolder.count + 1)))

        if let pack, var part = packPart {
            try part.finish()
            packPart = nil
            result.pack = packStage
            let packed = try packParts(paths: [packPartPath], context: pack)
            result.packReport = packed
            result.outputs = [rejectsEntry] + packed.files
        } else {
            if var sink = tokenSink {
                try sink.finish()
                result.tokens = sink.tokensWritten
                tokenSink = nil
            } else if let lines {
                try lines.write(buffer)
                try lines.commit()
            }
            let dataEntry = try FileEntry.make(folder: outputFolder, relativePath: String(dataPath.dropFirst(outputFolder.count + 1)))
            result.outputs = [dataEntry, rejectsEntry]
        }
    }
}
