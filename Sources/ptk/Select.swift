import ArgumentParser
import CorpusCore
import CorpusIO
import Foundation
import Pipeline
import Selection

struct Select: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Choose pool documents that look like a target corpus (DSIR hashed n-gram importance resampling).",
        discussion: """
            Reads the pool three times so that memory stays flat: to fit the raw n-gram distribution, to weigh \
            every document (log importance weight, optionally written to --weights-out), and to copy the chosen \
            records, byte for byte, to --output in pool order. Documents with fewer than --min-words words are \
            never chosen. Without --top-k the choice is a Gumbel top-k draw (sampling without replacement, \
            probability ∝ weight) seeded by --seed. Pool records that are not documents go to \
            OUTPUT.rejects.jsonl.zst.
            """)

    @Option(help: "Target JSONL (plain, .gz or .zst): the documents to look like.")
    var target: [String]

    @Option(parsing: .upToNextOption, help: "Pool JSONL files to choose from.")
    var pool: [String]

    @Option(help: "Output JSONL (.gz / .zst by extension): the chosen records.")
    var output: String

    @Option(help: "How many documents to choose.")
    var count: Int

    @Option(help: "Seed of the Gumbel noise.")
    var seed: UInt64 = 0

    @Flag(help: "Take the documents with the largest weights instead of sampling.")
    var topK = false

    @Option(help: "Write one line per pool document: {\"id\", \"log_weight\", \"words\", \"eligible\"} (JSONL).")
    var weightsOut: String?

    @Option(help: "Hash buckets.")
    var buckets = 10_000

    @Option(help: "Documents with fewer words are never chosen.")
    var minWords = 100

    @Option(help: "Dotted path of the text field.")
    var textField = "text"

    @OptionGroup var logOptions: LogOptions

    func validate() throws {
        guard count >= 0 else { throw ValidationError("--count must be 0 or more") }
        guard !pool.isEmpty else { throw ValidationError("give at least one --pool file") }
        guard buckets >= 1, buckets <= 1 << 40 else { throw ValidationError("--buckets must be in 1...2^40") }
        guard minWords >= 0 else { throw ValidationError("--min-words must be 0 or more") }
    }

    func run() throws {
        let log = logOptions.log
        do {
            let featurizer = try DSIRFeaturizer(numBuckets: buckets)
            var fields = DocumentFields()
            fields.text = textField.split(separator: ".").map(String.init)
            func each(_ paths: [String], _ body: (Document, UnsafeRawBufferPointer) throws -> Void,
                      rejected: (RecordProblem, Origin, UnsafeRawBufferPointer) throws -> Void = { _, _, _ in }) throws {
                for path in paths {
                    var reader = DocumentReader(file: InputFile(path: path, kind: .jsonl, fields: fields),
                                                options: ReadOptions())
                    let problem = try reader.forEach { event in
                        switch event {
                        case let .document(document, record): try body(document, record)
                        case let .rejected(problem, origin, record): try rejected(problem, origin, record)
                        }
                    }
                    if let problem { log.warning("\(problem)") }
                }
            }

            // Pass 1: the target and raw distributions.
            var targetCounts = DSIRBucketCounts(numBuckets: buckets)
            var targetRejected = 0
            try each(target, { document, _ in targetCounts.add(featurizer.features(document.text)) },
                     rejected: { _, _, _ in targetRejected += 1 })
            if targetRejected > 0 { log.warning("\(targetRejected) target records are not documents: ignored") }
            var rawCounts = DSIRBucketCounts(numBuckets: buckets)
            let budget = DSIRRawBudget.auto.limit(numBuckets: buckets)
            var rejects = try RejectsSink(path: output + ".rejects.jsonl.zst", enabled: true)
            var ledger = Ledger()
            try each(pool, { document, _ in
                ledger.read += 1
                // The reference's rule: documents are added until the total passes the budget.
                if budget.map({ rawCounts.total <= $0 }) ?? true { rawCounts.add(featurizer.features(document.text)) }
            }, rejected: { problem, origin, record in
                ledger.read += 1
                ledger.rejected += 1
                try rejects.write(RejectEntry(id: problem.id, origin: origin, stage: "read", reason: problem.reason,
                                              detail: problem.detail, record: Array(record)))
            })
            try rejects.finish()
            let dsir = try DSIR(featurizer: featurizer, target: targetCounts, raw: rawCounts, minimumWords: minWords)
            log.info("fitted on \(targetCounts.documents) target and \(rawCounts.documents) pool documents")

            // Pass 2: weigh every pool document.
            var chooser = ImportanceResampler(count: count, mode: topK ? .topK : .gumbel(seed: seed))
            let weightsSink = try weightsOut.map { try OutputFile(path: $0) }
            var index = 0
            var eligible = 0
            try each(pool) { document, _ in
                let weight = dsir.weigh(document.text)
                if weight.eligible {
                    chooser.offer(index: index, logWeight: weight.logWeight)
                    eligible += 1
                }
                if let weightsSink {
                    var writer = JSONWriter(capacity: 128)
                    writer.raw("{\"id\":")
                    writer.string(document.id)
                    writer.raw(",\"log_weight\":")
                    writer.rawBytes((weight.logWeight.isFinite ? "\(weight.logWeight)" : "null").utf8)
                    writer.rawBytes(",\"words\":\(weight.words),\"eligible\":\(weight.eligible)}\n".utf8)
                    try weightsSink.write(writer.bytes)
                }
                index += 1
            }
            try weightsSink?.commit()

            // Pass 3: copy the chosen records.
            let chosen = chooser.chosen()
            let sink = try OutputFile(path: output)
            var next = 0
            index = 0
            try each(pool) { _, record in
                if next < chosen.count, chosen[next] == index {
                    try sink.write(record)
                    try sink.write([0x0A])
                    next += 1
                }
                index += 1
            }
            try sink.commit()
            ledger.written = chosen.count
            log.info("""
                \(chosen.count) of \(index) documents chosen (\(eligible) with at least \(minWords) words) → \
                \(output); \(ledger.rejected) rejected
                """)
            if chosen.count < count { log.warning("asked for \(count) documents, only \(eligible) eligible") }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw reportFailure(error, log: log)
        }
    }
}
