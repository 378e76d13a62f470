import CorpusCore
import CorpusIO
import Foundation

/// `ptk bench io`: reading and writing JSONL.zst against the `zstd` CLI on the same file, in the same run.
///
/// - read, ours: decompress, frame lines and parse every record into a `Document` (the full reader).
/// - read, framing only: decompress and frame lines, no JSON: the part comparable to `wc -l`.
/// - read, reference: `zstd -dc FILE | wc -l`.
/// - write, ours: encode documents as JSONL and compress (level 3) to a file.
/// - write, reference: `zstd -3 -c` of the same uncompressed bytes.
/// MB/s are of uncompressed bytes; each figure is the best of `repeats` runs.
public struct IOBenchmark {
    public var megabytes: Int
    public var repeats: Int
    public var folder: String
    /// The `ptk` executable, for the whole-pipeline rows (run as child processes so their memory is their own).
    public var executable: String?

    public init(megabytes: Int, repeats: Int, folder: String, executable: String? = nil) {
        self.megabytes = max(1, megabytes)
        self.repeats = max(1, repeats)
        self.folder = folder
        self.executable = executable
    }

    public struct Row: Sendable {
        public var name: String
        public var seconds: Double
        public var megabytesPerSecond: Double
        public var reference: String?
        public var ratio: Double?
    }

    public struct Result: Sendable {
        public var rows: [Row]
        public var uncompressedBytes: Int
        public var compressedBytes: Int
        public var documents: Int
        public var machine: String
        /// Peak resident memory of `ptk run` on a quarter of the corpus and on all of it, in bytes.
        public var peakMemory: (quarter: Int, full: Int)?

        public func markdown() -> String {
            var out = "\(machine)\n\n"
            out += "corpus: \(documents) documents, \(formatBytes(uncompressedBytes)) JSONL, "
                + "\(formatBytes(compressedBytes)) as .zst (level 3)\n\n"
            out += "| measure | seconds | MB/s | reference | ours / reference |\n|---|---:|---:|---|---:|\n"
            for r in rows {
                let cell = { (text: String) in text.replacingOccurrences(of: "|", with: "\\|") }
                out += "| \(cell(r.name)) | \(formatFixed(r.seconds, digits: 3)) | \(formatFixed(r.megabytesPerSecond, digits: 1)) | "
                    + "\(cell(r.reference ?? "")) | \(r.ratio.map { formatFixed($0, digits: 2) + "×" } ?? "") |\n"
            }
            if let peakMemory {
                out += "\npeak memory of `ptk run` (1 thread): \(formatBytes(peakMemory.quarter)) on a quarter of the corpus, "
                    + "\(formatBytes(peakMemory.full)) on all of it (4× the bytes)\n"
            }
            return out
        }
    }

    public func run(progress: (String) -> Void) throws -> Result {
        let fm = FileManager.default
        try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: folder) }
        let plain = "\(folder)/corpus.jsonl"
        let zst = "\(folder)/corpus.jsonl.zst"
        progress("generating \(megabytes) MB of JSONL …")
        let documents = try generate(plain)
        let size = Int(fileSize(plain))
        let mb = Double(size) / 1e6

        // Documents held in memory for the write test (a bench may load; the pipeline never does).
        var docs: [Document] = []
        var reader = DocumentReader(file: InputFile(path: plain, kind: .jsonl), options: ReadOptions())
        try reader.forEach { if case let .document(d, _) = $0 { docs.append(d) } }

        // Whole pipeline first, while no other child process has raised the children's peak memory.
        var pipelineRows: [Row] = []
        var peakMemory: (Int, Int)?
        if let executable {
            progress("pipeline: peak memory on a quarter and on all of the corpus …")
            let quarter = "\(folder)/quarter/corpus.jsonl"
            let out = try OutputFile(path: quarter, compression: Compression.none)
            var writer = JSONWriter(capacity: 1 << 20)
            for d in docs.prefix(docs.count / 4) { DocumentEncoder.encode(d, into: &writer) }
            try out.write(writer.bytes)
            try out.commit()
            try fm.createDirectory(atPath: "\(folder)/full", withIntermediateDirectories: true)
            try fm.createSymbolicLink(atPath: "\(folder)/full/corpus.jsonl", withDestinationPath: plain)
            try fm.createDirectory(atPath: "\(folder)/shards", withIntermediateDirectories: true)
            for i in 0..<4 {
                try fm.createSymbolicLink(atPath: "\(folder)/shards/part-\(i).jsonl", withDestinationPath: plain)
            }
            for name in ["quarter", "full", "shards"] {
                try OutputFile.atomicWrite(path: "\(folder)/\(name).yaml", contents: Array("""
                    inputs:
                      - path: \(name)
                    steps:
                      - trim
                      - length: {min_words: 5}
                    output:
                      path: out-\(name)
                    """.utf8))
            }
            // ptk reports its own peak RSS: a child's rusage would include what it inherited from this process.
            let quarterPeak = try peakOfRun("'\(executable)' run '\(folder)/quarter.yaml' --threads 1 --force --log-format json")
            let fullPeak = try peakOfRun("'\(executable)' run '\(folder)/full.yaml' --threads 1 --force --log-format json")
            peakMemory = (quarterPeak, fullPeak)
            for threads in [1, 2] {
                progress("pipeline: 4 files, \(threads) thread(s) …")
                let seconds = try best {
                    try shell("'\(executable)' run '\(folder)/shards.yaml' --threads \(threads) --force -q")
                }
                pipelineRows.append(Row(
                    name: "ptk run: 4 × JSONL → trim → length → JSONL.zst, \(threads) thread\(threads == 1 ? "" : "s")",
                    seconds: seconds, megabytesPerSecond: 4 * mb / seconds, reference: nil, ratio: nil))
            }
        }

        progress("write: ours …")
        let writeOurs = try best {
            let out = try OutputFile(path: zst, compression: .zstd, level: 3)
            var writer = JSONWriter(capacity: 1 << 20)
            for d in docs {
                DocumentEncoder.encode(d, into: &writer)
                if writer.bytes.count >= 1 << 20 {
                    try out.write(writer.bytes)
                    writer.bytes.removeAll(keepingCapacity: true)
                }
            }
            try out.write(writer.bytes)
            try out.commit()
        }
        progress("write: zstd -3 -c …")
        let writeRef = try best { try shell("zstd -q -3 -c '\(plain)' > '\(folder)/ref.zst'") }

        progress("read: ours (full documents) …")
        var count = 0
        let readOurs = try best {
            count = 0
            var r = DocumentReader(file: InputFile(path: zst, kind: .jsonl), options: ReadOptions())
            try r.forEach { if case .document = $0 { count += 1 } }
        }
        guard count == documents else {
            throw RunError.stageFailed(file: zst, underlying: "read \(count) documents, wrote \(documents)")
        }
        progress("read: ours (framing only) …")
        let frameOurs = try best {
            var framer = LineFramer(source: try openInput(path: zst), maxRecordBytes: 64 << 20)
            var lines = 0
            try framer.forEachLine { _ in lines += 1 }
        }
        progress("read: zstd -dc | wc -l …")
        let readRef = try best { try shell("zstd -q -dc '\(zst)' | wc -l > /dev/null") }

        let rows = [
            Row(name: "read JSONL.zst → documents (1 thread)", seconds: readOurs, megabytesPerSecond: mb / readOurs,
                reference: "zstd -dc | wc -l", ratio: readRef / readOurs),
            Row(name: "read JSONL.zst → lines (1 thread)", seconds: frameOurs, megabytesPerSecond: mb / frameOurs,
                reference: "zstd -dc | wc -l", ratio: readRef / frameOurs),
            Row(name: "zstd -dc | wc -l", seconds: readRef, megabytesPerSecond: mb / readRef, reference: nil, ratio: nil),
            Row(name: "write documents → JSONL.zst (1 thread)", seconds: writeOurs, megabytesPerSecond: mb / writeOurs,
                reference: "zstd -3 -c", ratio: writeRef / writeOurs),
            Row(name: "zstd -3 -c", seconds: writeRef, megabytesPerSecond: mb / writeRef, reference: nil, ratio: nil),
        ] + pipelineRows
        return Result(rows: rows, uncompressedBytes: size, compressedBytes: Int(fileSize(zst)), documents: documents,
                      machine: Self.machineDescription(), peakMemory: peakMemory)
    }

    private func generate(_ path: String) throws -> Int {
        let out = try OutputFile(path: path, compression: Compression.none)
        var rng = SeededRandom(seed: 7, stream: "bench/io")
        var writer = JSONWriter(capacity: 1 << 20)
        let corpus = DemoCorpus()
        let target = megabytes * 1_000_000
        var n = 0
        var written = 0
        let domains = DemoWords.domains
        while written < target {
            let domain = domains[n % domains.count]
            let text = (0..<(1 + Int(rng.next() % 6))).map { _ in corpus.paragraph(&rng, domain.words) }
                .joined(separator: "\n\n")
            DocumentEncoder.encode(
                Document(id: "bench-\(n)", text: text,
                         metadata: Metadata(url: "https://\(domain.host)/\(domain.path)/\(n)", source: "bench")),
                into: &writer)
            n += 1
            if writer.bytes.count >= 1 << 20 {
                written += writer.bytes.count
                try out.write(writer.bytes)
                writer.bytes.removeAll(keepingCapacity: true)
            }
        }
        try out.write(writer.bytes)
        try out.commit()
        return n
    }

    private func best(_ body: () throws -> Void) throws -> Double { try bestOfTimings(repeats, body) }

    private func shell(_ command: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw RunError.stageFailed(file: command, underlying: "exit status \(p.terminationStatus) (is zstd installed?)")
        }
    }

    /// Runs a `ptk run … --log-format json` command and returns the `peak_rss_bytes` it reported.
    private func peakOfRun(_ command: String) throws -> Int {
        let log = "\(folder)/run-log.jsonl"
        try shell("\(command) 2> '\(log)'")
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") {
            if case let .string(value)? = (try? JSONParser.parse(String(line)))?.value(at: ["peak_rss_bytes"]),
               let bytes = Int(value)
            {
                return bytes
            }
        }
        throw RunError.stageFailed(file: command, underlying: "no peak_rss_bytes in its log")
    }

    /// CPU model, cores and date, for the table's heading.
    static func machineDescription() -> String {
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        var t = time(nil)
        var tmv = tm()
        gmtime_r(&t, &tmv)
        let date = "\(1900 + tmv.tm_year)-\(String(1 + tmv.tm_mon).leftPadded(to: 2))-\(String(tmv.tm_mday).leftPadded(to: 2))"
        return "machine: \(cpu), \(ProcessInfo.processInfo.activeProcessorCount) cores; date: \(date); ptk \(PretrainKit.version)"
    }
}

/// The fastest of `repeats` timed runs of `body`, in seconds (every benchmark reports the best run).
func bestOfTimings(_ repeats: Int, _ body: () throws -> Void) throws -> Double {
    var bestSeconds = Double.infinity
    for _ in 0..<max(1, repeats) {
        let start = ContinuousClock.now
        try body()
        let d = ContinuousClock.now - start
        bestSeconds = min(bestSeconds, Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
    }
    return bestSeconds
}
