import ArgumentParser
import CorpusCore
import CorpusIO
import Foundation
import Pipeline
import Selection

struct Mix: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mix sources by shares of tokens: the selected target data plus a replay share of general data.",
        discussion: """
            Shares are fractions of the output's tokens, counted exactly with --tokenizer (the ids of encode, \
            special-token strings as text, no BOS/EOS; --count-eos adds one per document). Without \
            --total-tokens, sources with no --share are taken whole and the others are sampled to their share of \
            the total: --share replay=0.25 beside 750M target tokens takes 250M replay tokens (Ibrahim et al. \
            2024: replay 5% for a weak shift, 25% for a strong one). With --total-tokens N every source has a \
            share, the shares add up to 1, and each contributes its share of N. A sampled source takes its \
            documents in a seeded random order (a keyed hash of seed, source name and document position), \
            stopping at the prefix whose tokens are nearest its budget: within half a document. Only the \
            documents early enough in that order are tokenized (--count-all tokenizes them all). Writes \
            OUTPUT/mix.jsonl.zst (the chosen records byte for byte, sources spread evenly through the file), \
            OUTPUT/rejects.jsonl.zst (records that are not documents) and OUTPUT/manifest.json (per source: \
            documents read = chosen + not chosen + rejected, tokens available and chosen, requested and \
            realized shares).
            """)

    @OptionGroup var tokenizer: TokenizerOptions

    @Option(help: ArgumentHelp("A source: NAME=PATH[,PATH…] (JSONL files, folders or globs; plain, .gz or .zst). "
                               + "Repeat for each source.", valueName: "name=paths"))
    var source: [String]

    @Option(help: ArgumentHelp("A source's share of the output's tokens: NAME=FRACTION (0.25 or 25%). Repeatable.",
                               valueName: "name=fraction"))
    var share: [String] = []

    @Option(help: "Output folder.")
    var output: String

    @Option(help: "Total tokens of the output (then every source needs a share, and the shares add up to 1).")
    var totalTokens: Int?

    @Option(help: "Seed of the sampling order.")
    var seed: UInt64 = 0

    @Option(help: "Dotted path of the text field.")
    var textField = "text"

    @Option(help: "Worker threads for counting tokens (default: all cores; the output does not depend on it).")
    var threads: Int = defaultThreadCount()

    @Flag(help: "Take a source that holds fewer tokens than its share whole, instead of failing.")
    var allowShort = false

    @Flag(help: "Count one more token per document, for the EOS that packing appends.")
    var countEos = false

    @Flag(help: "Do not hash the input files into the manifest (saves one read of each).")
    var noInputChecksums = false

    @Flag(help: ArgumentHelp("Tokenize every document of a sampled source, so that the manifest reports its "
                             + "tokens_available (by default only the key range that decides the choice is "
                             + "tokenized; the choice is the same)."))
    var countAll = false

    @OptionGroup var logging: LogOptions

    /// NAME=VALUE → (NAME, VALUE), both non-empty.
    static func split(_ text: String, option: String) throws -> (String, String) {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex, text.index(after: eq) != text.endIndex else {
            throw ValidationError("--\(option) '\(text)': expected NAME=VALUE")
        }
        return (String(text[..<eq]), String(text[text.index(after: eq)...]))
    }

    /// 0.25 or 25%.
    static func parseFraction(_ text: String) -> Double? {
        if text.hasSuffix("%") { return Double(text.dropLast()).map { $0 / 100 } }
        return Double(text)
    }

    func parsedShares() throws -> [String: Double] {
        var shares: [String: Double] = [:]
        let names = Set(try source.map { try Self.split($0, option: "source").0 })
        for entry in share {
            let (name, value) = try Self.split(entry, option: "share")
            guard let fraction = Self.parseFraction(value) else {
                throw ValidationError("--share \(entry): '\(value)' is not a fraction (0.25 or 25%)")
            }
            guard names.contains(name) else { throw ValidationError("--share \(entry): no --source named '\(name)'") }
            guard shares[name] == nil else { throw ValidationError("--share: '\(name)' has two shares") }
            shares[name] = fraction
        }
        return shares
    }

    func validate() throws {
        guard !source.isEmpty else { throw ValidationError("give at least one --source NAME=PATH") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        if let totalTokens, totalTokens <= 0 { throw ValidationError("--total-tokens must be positive") }
        _ = try parsedShares()
    }

    func run() throws {
        let log = logging.log
        do {
            let shares = try parsedShares()
            let resolver = InputResolver(baseFolder: FileManager.default.currentDirectoryPath)
            var specs: [MixtureSourceSpec] = []
            for entry in source {
                let (name, paths) = try Self.split(entry, option: "source")
                let inputs = paths.split(separator: ",").map {
                    InputSpec(path: String($0), format: .jsonl, textField: FieldPath(parsing: textField))
                }
                specs.append(MixtureSourceSpec(name: name, files: try resolver.resolve(inputs), share: shares[name]))
            }
            let encoder = try tokenizer.load()
            var options = MixtureOptions()
            options.seed = seed
            options.totalTokens = totalTokens
            options.allowShort = allowShort
            options.countEOS = countEos
            options.checksumInputs = !noInputChecksums
            options.countAll = countAll
            options.tokenizerPath = tokenizer.tokenizer
            options.tokenizerSHA256 = try sha256(ofFile: tokenizer.tokenizer)
            let threads = self.threads
            let run = MixtureRun(sources: specs, options: options) { texts in
                orderedParallelMap(count: texts.count, threads: threads) { encoder.encodeOrdinary(texts[$0]).count }
            }
            let manifest = try run.run(folder: output) { log.info($0) }
            for s in manifest.sources {
                let requested = s.shareRequested.map { String(format: "%.4f", $0) } ?? "whole"
                let available = s.tokensAvailable.map(String.init) ?? "more than \(s.tokensCounted)"
                let realized = String(format: "%.4f", s.shareRealized)
                log.info("""
                    \(s.name): \(s.documentsChosen) of \(s.documentsRead) documents (\(s.documentsRejected) rejected), \
                    \(s.tokensChosen) of \(available) tokens; share \(realized) (requested \(requested)), \
                    budget gap \(s.budgetGap)
                    """)
                if s.short { log.warning("\(s.name) is short of its share: taken whole") }
                for problem in s.problems { log.warning("\(s.name): \(problem)") }
            }
            log.info("\(manifest.output.documents) documents, \(manifest.output.tokens) tokens → "
                     + "\(output)/mix.jsonl.zst; \(manifest.rejects.records) rejected")
        } catch let error as ValidationError {
            throw error
        } catch {
            throw reportFailure(error, log: log)
        }
    }
}
