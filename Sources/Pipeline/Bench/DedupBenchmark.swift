import CorpusCore
import CorpusIO
import Foundation

/// `ptk bench dedup`: MinHash dedup by ptk (the `minhash_dedup` recipe step: read, pre-pass, clusters, filter,
/// write) against datatrove 0.10.1's four MinHash stages (scripts/bench_minhash.py, one worker) on the same
/// documents, in the same run; then ptk's peak memory on corpora several times larger than its memory budget.
///
/// The speed corpus is about `megabytes` MB of real documents (scripts/reference_corpus.py) with near copies
/// planted after every third one. Both sides use word 5-grams and 14 bands × 8 rows; their word splitting and
/// hashes differ (datatrove: spaCy words, xxhash), so their removals are compared, not required equal.
public struct DedupBenchmark {
    public var python: String
    public var megabytes: Int
    public var threads: Int
    public var folder: String
    public var executable: String?
    /// Documents of the memory corpora (the larger one is 4 times this).
    public var memoryDocuments: Int

    public init(python: String, megabytes: Int, threads: Int, folder: String, executable: String?,
                memoryDocuments: Int = 100_000)
    {
        self.python = python
        self.megabytes = max(1, megabytes)
        self.threads = max(1, threads)
        self.folder = folder
        self.executable = executable
        self.memoryDocuments = max(1000, memoryDocuments)
    }

    public func run(progress: (String) -> Void) throws -> String {
        let fm = FileManager.default
        try? fm.removeItem(atPath: folder)
        try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: folder) }
        let absolute = folder.hasPrefix("/") ? folder : fm.currentDirectoryPath + "/" + folder
        let corpus = "\(absolute)/corpus.jsonl"
        progress("writing about \(megabytes) MB of real documents with planted near copies …")
        let prepared = try runBenchScript(
            python: python, script: "bench_minhash.py",
            request: "{\"prepare\": {\"path\": \"\(corpus)\", \"bytes\": \(megabytes * 1_000_000)}}")
        guard let documents = prepared.number(at: ["documents"]), let bytes = prepared.number(at: ["bytes"]),
              let copies = prepared.number(at: ["copies"])
        else { throw RunError.stageFailed(file: "bench dedup", underlying: "corpus: \(prepared.jsonText)") }

        // ptk reads the same documents split into 8 files (its unit of parallelism).
        let lines = try String(contentsOfFile: corpus, encoding: .utf8).split(separator: "\n")
        let parts = 8
        for p in 0..<parts {
            let chunk = lines.count / parts + 1
            let slice = lines.dropFirst(p * chunk).prefix(chunk)
            try (slice.joined(separator: "\n") + "\n").write(toFile: "\(absolute)/in/part-\(p).jsonl".creatingFolder(),
                                                              atomically: false, encoding: .utf8)
        }
        func ours(threads: Int) throws -> (seconds: Double, removed: Set<String>) {
            var best = Double.infinity
            var removed = Set<String>()
            for _ in 0..<3 {
                let out = "\(absolute)/out-\(threads)"
                try? fm.removeItem(atPath: out)
                try """
                    inputs:
                      - path: in/*.jsonl
                    steps:
                      - minhash_dedup: {ngram: 5, bands: 14, rows: 8}
                    output:
                      path: out-\(threads)
                      format: jsonl
                    """.write(toFile: "\(absolute)/recipe.yaml", atomically: false, encoding: .utf8)
                let started = Date()
                let runner = try Job.prepare(recipePath: "\(absolute)/recipe.yaml",
                                             options: RunOptions(threads: threads, force: true, log: Log(quiet: true)))
                _ = try runner.run()
                best = min(best, Date().timeIntervalSince(started))
                removed = try rejectedIDs("\(out)/rejects/rank-00000.jsonl.zst")
            }
            return (best, removed)
        }
        progress("ptk, 1 thread …")
        let ours1 = try ours(threads: 1)
        progress("ptk, \(threads) threads …")
        let oursN = try ours(threads: threads)

        progress("datatrove MinHash (4 stages, 1 worker) …")
        let reference = try runBenchScript(
            python: python, script: "bench_minhash.py",
            request: "{\"input\": \"\(corpus)\", \"ngram\": 5, \"bands\": 14, \"rows\": 8}")
        let stages = ["signatures", "buckets", "clusters", "filter"]
        let stageSeconds = stages.map { reference.number(at: [$0]) ?? .nan }
        guard case let .array(refRemovedValues)? = reference.value(at: ["removed"]) else {
            throw RunError.stageFailed(file: "bench dedup", underlying: "reference failed")
        }
        let refRemoved = Set(refRemovedValues.compactMap { v -> String? in
            if case let .string(s) = v { return s }
            return nil
        })
        let refSeconds = stageSeconds.reduce(0, +)

        progress("peak memory on larger corpora …")
        let memory = try memoryRows(progress: progress)

        let mb = bytes / 1e6
        let versions = reference.value(at: ["versions"])?.jsonText ?? "?"
        var table = "\(IOBenchmark.machineDescription())\n\n"
        table += "corpus: \(Int(documents)) real documents (\(Int(copies)) of them near copies: 3 words changed, a "
            + "sentence appended), \(formatFixed(mb, digits: 1)) MB; word 5-grams, 14 bands × 8 rows. Reference: "
            + "\(versions), default MinhashConfig (spaCy words, xxhash64), LocalPipelineExecutor with 1 worker.\n\n"
        table += "| | seconds | docs/s | docs/s per core | removed |\n|---|---:|---:|---:|---:|\n"
        table += "| ptk minhash_dedup, 1 thread (read, pre-pass, clusters, filter, write) | "
            + "\(formatFixed(ours1.seconds, digits: 3)) | \(formatFixed(documents / ours1.seconds, digits: 0)) | "
            + "\(formatFixed(documents / ours1.seconds, digits: 0)) | \(ours1.removed.count) |\n"
        table += "| ptk minhash_dedup, \(threads) threads | \(formatFixed(oursN.seconds, digits: 3)) | "
            + "\(formatFixed(documents / oursN.seconds, digits: 0)) | "
            + "\(formatFixed(documents / oursN.seconds / Double(threads), digits: 0)) | \(oursN.removed.count) |\n"
        for (name, seconds) in zip(stages, stageSeconds) {
            table += "| datatrove \(name) | \(formatFixed(seconds, digits: 3)) | | | |\n"
        }
        table += "| datatrove, 4 stages | \(formatFixed(refSeconds, digits: 3)) | "
            + "\(formatFixed(documents / refSeconds, digits: 1)) | \(formatFixed(documents / refSeconds, digits: 1)) | "
            + "\(refRemoved.count) |\n\n"
        table += "ptk / datatrove, docs/s per core: **\(formatFixed(refSeconds / ours1.seconds, digits: 0))×** "
            + "(1 thread against 1 worker). Removed by both: \(ours1.removed.intersection(refRemoved).count); "
            + "only by ptk: \(ours1.removed.subtracting(refRemoved).count); only by datatrove: "
            + "\(refRemoved.subtracting(ours1.removed).count). ptk with 1 and \(threads) threads removes the same "
            + "documents: \(ours1.removed == oursN.removed).\n\n"
        table += memory
        return table
    }

    /// Peak RSS of `ptk run` (a child process) on synthetic corpora 1× and 4× `memoryDocuments`, with an 8 MiB
    /// budget, and both with the default 512 MiB budget (everything in memory).
    private func memoryRows(progress: (String) -> Void) throws -> String {
        guard let executable else { return "Peak memory not measured: the ptk executable was not found.\n" }
        let fm = FileManager.default
        let absolute = folder.hasPrefix("/") ? folder : fm.currentDirectoryPath + "/" + folder
        var random = SeededRandom(seed: 1)
        var vocabulary: [String] = []
        for i in 0..<20_000 {
            var bytes: [UInt8] = []
            var n = i
            repeat {
                bytes.append(UInt8(97 + n % 26))
                n /= 26
            } while n > 0
            vocabulary.append(String(decoding: bytes, as: UTF8.self))
        }
        func writeCorpus(_ name: String, documents: Int) throws -> Int {
            var bytes = 0
            let files = 8
            for f in 0..<files {
                let out = try OutputFile(path: "\(absolute)/\(name)/part-\(f).jsonl".creatingFolder(),
                                         compression: Compression.none)
                var previous = ""
                for i in 0..<documents / files {
                    var text: String
                    if i % 10 == 9 {
                        text = previous + " copy"
                    } else {
                        var words: [String] = []
                        for _ in 0..<(60 + Int(random.next() % 120)) {
                            words.append(vocabulary[Int(random.next() % UInt64(vocabulary.count))])
                        }
                        text = words.joined(separator: " ")
                    }
                    previous = text
                    bytes += text.utf8.count
                    try out.write("{\"id\":\"\(f)-\(i)\",\"text\":\"\(text)\"}\n")
                }
                try out.commit()
            }
            return bytes
        }
        func peak(_ corpus: String, memoryMB: Int) throws -> (Int, Double) {
            let recipe = "\(absolute)/memory-\(corpus)-\(memoryMB).yaml"
            try """
                inputs:
                  - path: \(corpus)/*.jsonl
                steps:
                  - minhash_dedup: {memory_mb: \(memoryMB)}
                output:
                  path: out-\(corpus)-\(memoryMB)
                  format: jsonl
                """.write(toFile: recipe, atomically: false, encoding: .utf8)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: executable)
            p.arguments = ["run", recipe, "--threads", "\(threads)", "--log-format", "json"]
            let err = Pipe()
            p.standardError = err
            p.standardOutput = FileHandle.nullDevice
            let started = Date()
            try p.run()
            let data = err.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            let seconds = Date().timeIntervalSince(started)
            guard p.terminationStatus == 0 else {
                throw RunError.stageFailed(file: recipe, underlying: "ptk exited \(p.terminationStatus)")
            }
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
                if let value = try? JSONParser.parse(String(line)), let text = value.string(at: ["peak_rss_bytes"]),
                   let bytes = Int(text) { return (bytes, seconds) }
            }
            throw RunError.stageFailed(file: recipe, underlying: "no peak_rss_bytes in ptk's log")
        }
        progress("  writing \(memoryDocuments) and \(4 * memoryDocuments) synthetic documents …")
        let smallBytes = try writeCorpus("small", documents: memoryDocuments)
        let largeBytes = try writeCorpus("large", documents: 4 * memoryDocuments)
        var rows = "Peak memory of `ptk run` with `minhash_dedup` (\(threads) threads, 8 input files; max RSS from "
            + "getrusage, reported by the run's `done` event). Band records are 16 bytes × 14 bands a document.\n\n"
            + "| documents | text MB | band records MB | memory_mb | peak RSS MB | seconds |\n"
            + "|---:|---:|---:|---:|---:|---:|\n"
        for (name, docs, bytes, budget) in [("small", memoryDocuments, smallBytes, 8),
                                            ("large", 4 * memoryDocuments, largeBytes, 8),
                                            ("small", memoryDocuments, smallBytes, 512),
                                            ("large", 4 * memoryDocuments, largeBytes, 512)]
        {
            progress("  \(docs) documents, memory_mb \(budget) …")
            let (rss, seconds) = try peak(name, memoryMB: budget)
            rows += "| \(docs) | \(formatFixed(Double(bytes) / 1e6, digits: 0)) | "
                + "\(formatFixed(Double(docs * 14 * 16) / 1e6, digits: 1)) | \(budget) | "
                + "\(formatFixed(Double(rss) / 1e6, digits: 0)) | \(formatFixed(seconds, digits: 1)) |\n"
        }
        return rows
    }

    private func rejectedIDs(_ path: String) throws -> Set<String> {
        var ids = Set<String>()
        var framer = LineFramer(source: try openInput(path: path), maxRecordBytes: 1 << 26)
        try framer.forEachLine { line in
            if case let .record(_, bytes) = line, !bytes.isEmpty,
               let id = try JSONParser.parse(bytes).string(at: ["id"]) { ids.insert(id) }
        }
        return ids
    }
}

private extension String {
    /// Creates the folder of this path; returns the path.
    func creatingFolder() throws -> String {
        try FileManager.default.createDirectory(atPath: (self as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        return self
    }
}
