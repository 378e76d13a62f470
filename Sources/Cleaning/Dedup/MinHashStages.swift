import CorpusCore
import CorpusIO
import Foundation

/// MinHash dedup as separate tasks that talk through files in one folder, as datatrove runs it on a cluster:
///
/// 1. `signatures` — one task per rank: the input files `i` with `i mod worldSize == rank` are read, and each
///    document's band keys are written as sorted runs `signatures/bands-<file>-p<band>-r<n>.run` (plus
///    `signatures/signatures-<file>.sig` when a threshold will verify pairs).
/// 2. `buckets` — one task per band range: task `t` of `T` merges the runs of every band `b` with
///    `b mod T == t` and writes the candidate pairs (verified when a threshold is given) to
///    `buckets/band-<b>.pairs`.
/// 3. `clusters` — one task: union-find over every pairs file; `clusters/remove.bin` lists each dropped
///    document's key with the kept one's, sorted.
/// 4. `filter` — one task per rank: copies the records of its files that are not removed to
///    `OUTPUT/rank-<rank>.jsonl` and lists the removed ones in `OUTPUT/removed-rank-<rank>.jsonl`.
///
/// Every task must get the same input list in the same order (file positions name documents) and the same
/// parameters. The decisions equal those of the `minhash_dedup` recipe step on the same inputs.
public enum MinHashStages {
    static func signatureFolder(_ folder: String) -> String { "\(folder)/signatures" }
    static func bucketFolder(_ folder: String) -> String { "\(folder)/buckets" }
    static func removeFile(_ folder: String) -> String { "\(folder)/clusters/remove.bin" }

    /// Stage 1; returns the number of documents signed.
    @discardableResult
    public static func signatures(files: [InputFile], options: ReadOptions, rank: Int, worldSize: Int,
                                  folder: String, parameters: MinHashParameters, keepSignatures: Bool,
                                  memoryBytes: Int = 512 << 20) throws -> Int
    {
        let out = signatureFolder(folder)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let hasher = MinHasher(parameters)
        let budget = MemoryBudget(bytes: memoryBytes)
        var documents = 0
        for (index, file) in files.enumerated() where index % max(worldSize, 1) == rank {
            var file = file
            file.index = index
            let observer = try MinHashDedup.Observer(fileIndex: index, folder: out, hasher: hasher, budget: budget,
                                                     keepSignatures: keepSignatures)
            var reader = DocumentReader(file: file, options: options)
            _ = try reader.forEach { event in
                guard case let .document(document, _) = event else { return }
                try observer.observe(document)
                documents += 1
            }
            try observer.finish()
            try observer.buffers.spill()
        }
        return documents
    }

    /// Stage 2 for the bands `b` with `b mod tasks == task`; returns the number of candidate pairs written.
    @discardableResult
    public static func buckets(folder: String, task: Int, tasks: Int, parameters: MinHashParameters,
                               threshold: Double?) throws -> Int
    {
        let input = signatureFolder(folder)
        let out = bucketFolder(folder)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: input).sorted()
        } catch {
            throw DedupError.badStageFolder(path: input, message: "no signatures (run the signatures stage first)")
        }
        var written = 0
        for band in 0..<parameters.bands where band % max(tasks, 1) == task {
            let runs = names.filter { $0.hasPrefix("bands-") && $0.contains("-p\(band)-r") && $0.hasSuffix(".run") }
            let sources = try reduceRuns(runs.map { RecordSource<BandRecord>.file("\(input)/\($0)") }, folder: out,
                                         name: "merge-band-\(band)")
            let merged = try MergedRecords<BandRecord>(sources)
            var pairs: [(UInt64, UInt64)] = []
            try MinHashClustering.bucketPairs(merged) { pairs.append(($0, $1)) }
            if let threshold {
                pairs = try MinHashClustering.verify(
                    pairs, threshold: threshold, store: SignatureStore(folder: input, hashCount: parameters.hashCount))
            }
            try writeRecords(pairs.map { BandRecord(hash: $0.0, key: $0.1) }, to: "\(out)/band-\(band).pairs")
            written += pairs.count
        }
        return written
    }

    /// Stage 3; returns the number of documents to remove.
    @discardableResult
    public static func clusters(folder: String, parameters: MinHashParameters) throws -> Int {
        let input = bucketFolder(folder)
        var pairs: [(UInt64, UInt64)] = []
        for band in 0..<parameters.bands {
            let path = "\(input)/band-\(band).pairs"
            guard FileManager.default.fileExists(atPath: path) else {
                throw DedupError.badStageFolder(path: path, message: "missing (run the buckets stage for every band)")
            }
            let reader = try RecordFileReader<BandRecord>(path: path, chunkRecords: 4096)
            while let record = try reader.next() { pairs.append((record.hash, record.key)) }
        }
        let drops = MinHashClustering.cluster(pairs, files: [:])
        let path = removeFile(folder)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try writeRecords(zip(drops.keys, drops.kept).map { BandRecord(hash: $0, key: $1) }, to: path)
        return drops.count
    }

    /// The removals written by stage 3.
    public static func removals(folder: String, files: [InputFile]) throws -> DuplicateDrops {
        let path = removeFile(folder)
        guard FileManager.default.fileExists(atPath: path) else {
            throw DedupError.badStageFolder(path: path, message: "missing (run the clusters stage first)")
        }
        let reader = try RecordFileReader<BandRecord>(path: path, chunkRecords: 4096)
        var pairs: [(dropped: UInt64, kept: UInt64)] = []
        while let record = try reader.next() { pairs.append((record.hash, record.key)) }
        var names: [Int: String] = [:]
        for (i, file) in files.enumerated() { names[i] = file.displayPath }
        return DuplicateDrops(pairs: pairs, files: names)
    }

    /// Stage 4; returns (kept, removed) document counts of this rank.
    @discardableResult
    public static func filter(files: [InputFile], options: ReadOptions, rank: Int, worldSize: Int, folder: String,
                              output: String) throws -> (kept: Int, removed: Int)
    {
        let drops = try removals(folder: folder, files: files)
        let filter = DuplicateFilter(drops: drops, reason: MinHashDedup.reason)
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let stem = String(format: "rank-%05d", rank)
        let keptFile = try OutputFile(path: "\(output)/\(stem).jsonl", compression: CorpusIO.Compression.none)
        let removedFile = try OutputFile(path: "\(output)/removed-\(stem).jsonl", compression: CorpusIO.Compression.none)
        var kept = 0, removed = 0
        for (index, file) in files.enumerated() where index % max(worldSize, 1) == rank {
            var file = file
            file.index = index
            var reader = DocumentReader(file: file, options: options)
            _ = try reader.forEach { event in
                guard case let .document(document, record) = event else { return }
                switch filter.evaluate(document) {
                case .keep:
                    try keptFile.write(record)
                    try keptFile.write([0x0A])
                    kept += 1
                case let .drop(reason, detail):
                    var line = JSONWriter()
                    line.raw("{\"id\":")
                    line.string(document.id)
                    line.raw(",\"reason\":")
                    line.string(reason)
                    line.raw(",\"detail\":")
                    line.string(detail)
                    line.raw("}\n")
                    try removedFile.write(line.bytes)
                    removed += 1
                }
            }
        }
        try keptFile.commit()
        try removedFile.commit()
        return (kept, removed)
    }
}
