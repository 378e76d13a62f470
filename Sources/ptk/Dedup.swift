import ArgumentParser
import Cleaning
import CorpusCore
import CorpusIO
import Foundation
import Pipeline

/// `ptk dedup minhash …`: MinHash dedup as separate cluster tasks communicating through a folder (the recipe
/// step `minhash_dedup` does all four in one run).
struct Dedup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Dedup as separate cluster tasks (the recipe steps do it in one run).",
        subcommands: [DedupMinHash.self])
}

struct DedupMinHash: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "minhash",
        abstract: "MinHash-LSH near-duplicate removal in four stages: signatures, buckets, clusters, filter.",
        discussion: """
            Run `signatures` once per rank (--rank/--world-size: input file i belongs to rank i mod W), then \
            `buckets` once per band range (--task/--tasks: band b belongs to task b mod T), then `clusters` once, \
            then `filter` once per rank. Every stage gets the same --folder and the same MinHash options; the \
            stages that read documents get the same --input list in the same order. Removals equal those of the \
            recipe step minhash_dedup with the same parameters on the same files.
            """,
        subcommands: [DedupSignatures.self, DedupBuckets.self, DedupClusters.self, DedupFilter.self])
}

/// The parameters every stage must agree on.
struct MinHashOptions: ParsableArguments {
    @Option(help: "Folder the stages communicate through.")
    var folder: String

    @Option(help: "Shingle unit: words or chars.")
    var unit: String = "words"

    @Option(help: "Words (or characters) per shingle.")
    var ngram = 5

    @Option(help: "LSH bands.")
    var bands = 14

    @Option(help: "Hashes per band.")
    var rows = 8

    @Option(help: "Seed of the hash functions.")
    var seed: UInt64 = 0

    @Option(help: "Keep a candidate pair only if its signatures agree in at least this share of positions.")
    var threshold: Double?

    var parameters: MinHashParameters {
        get throws {
            guard let shingle = ShingleUnit(rawValue: unit) else { throw ValidationError("--unit: words or chars") }
            guard ngram >= 1, bands >= 1, rows >= 1 else { throw ValidationError("--ngram, --bands, --rows must be ≥ 1") }
            return MinHashParameters(ngram: ngram, bands: bands, rows: rows, unit: shingle, seed: seed)
        }
    }
}

/// The input files and how to read them.
struct DedupInputOptions: ParsableArguments {
    @Option(name: .customLong("input"), help: "JSONL input files (plain, .gz or .zst), in the same order for every stage.")
    var inputs: [String]

    @Option(help: "Dotted path of the text field.")
    var textField = "text"

    @Option(help: "Dotted path of the id field.")
    var idField = "id"

    @Option(help: "This task's rank (input file i belongs to rank i mod world size).")
    var rank = 0

    @Option(help: "Number of tasks.")
    var worldSize = 1

    var files: [InputFile] {
        let fields = DocumentFields(text: textField.split(separator: ".").map(String.init),
                                    id: idField.split(separator: ".").map(String.init))
        return inputs.map { InputFile(path: $0, kind: .jsonl, fields: fields) }
    }

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("give at least one --input") }
        guard worldSize >= 1, (0..<worldSize).contains(rank) else {
            throw ValidationError("need 0 ≤ rank < world size")
        }
    }
}

struct DedupSignatures: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signatures", abstract: "Stage 1: band keys of this rank's documents, as sorted runs.")
    @OptionGroup var minhash: MinHashOptions
    @OptionGroup var input: DedupInputOptions

    @Option(help: "MiB of band records held in memory before a sorted run is spilled.")
    var memoryMb = 512

    func run() throws {
        do {
            let n = try MinHashStages.signatures(files: input.files, options: ReadOptions(), rank: input.rank,
                                                 worldSize: input.worldSize, folder: minhash.folder,
                                                 parameters: try minhash.parameters,
                                                 keepSignatures: minhash.threshold != nil,
                                                 memoryBytes: max(memoryMb, 1) << 20)
            Log.writeStderr("signatures: \(n) documents of rank \(input.rank)\n")
        } catch let error as ValidationError {
            throw error
        } catch {
            throw reportFailure(error, log: Log())
        }
    }
}

struct DedupBuckets: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "buckets", abstract: "Stage 2: candidate pairs of the bands b with b mod tasks == task.")
    @OptionGroup var minhash: MinHashOptions

    @Option(help: "This task's index.")
    var task = 0

    @Option(help: "Number of bucket tasks (at most the number of bands is useful).")
    var tasks = 1

    func run() throws {
        guard tasks >= 1, (0..<tasks).contains(task) else { throw ValidationError("need 0 ≤ task < tasks") }
        do {
            let n = try MinHashStages.buckets(folder: minhash.folder, task: task, tasks: tasks,
                                              parameters: try minhash.parameters, threshold: minhash.threshold)
            Log.writeStderr("buckets: \(n) candidate pairs\n")
        } catch let error as ValidationError {
            throw error
        } catch {
            throw reportFailure(error, log: Log())
        }
    }
}

struct DedupClusters: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clusters", abstract: "Stage 3 (one task): clusters of candidate pairs; the documents to remove.")
    @OptionGroup var minhash: MinHashOptions

    func run() throws {
        do {
            let n = try MinHashStages.clusters(folder: minhash.folder, parameters: try minhash.parameters)
            Log.writeStderr("clusters: \(n) documents to remove\n")
        } catch let error as ValidationError {
            throw error
        } catch {
            throw reportFailure(error, log: Log())
        }
    }
}

struct DedupFilter: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "filter",
        abstract: "Stage 4: copies this rank's kept records to OUTPUT/rank-R.jsonl, lists removed ones in "
            + "OUTPUT/removed-rank-R.jsonl.")
    @OptionGroup var minhash: MinHashOptions
    @OptionGroup var input: DedupInputOptions

    @Option(help: "Output folder.")
    var output: String

    func run() throws {
        do {
            let counts = try MinHashStages.filter(files: input.files, options: ReadOptions(), rank: input.rank,
                                                  worldSize: input.worldSize, folder: minhash.folder, output: output)
            Log.writeStderr("filter: kept \(counts.kept), removed \(counts.removed)\n")
        } catch let error as ValidationError {
            throw error
        } catch {
            throw reportFailure(error, log: Log())
        }
    }
}

struct BenchDedup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dedup",
        abstract: "MinHash dedup docs/s against datatrove's four MinHash stages on the same documents, and ptk's "
            + "peak memory on corpora larger than its budget (needs the reference venv).")

    @Option(help: "Approximate size of the real-text corpus, in MB.")
    var megabytes = 4

    @Option(help: "Documents of the smaller synthetic corpus for the memory rows (the larger has 4 times more).")
    var memoryDocuments = 50_000

    @OptionGroup var reference: BenchReferenceOptions

    func run() throws {
        try reference.printTable { progress in
            try DedupBenchmark(python: reference.python, megabytes: megabytes, threads: reference.threads,
                               folder: reference.folder, executable: currentExecutable(),
                               memoryDocuments: memoryDocuments).run(progress: progress)
        }
    }
}
