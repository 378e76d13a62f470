import Cleaning
import CorpusCore

/// The recipe being built, for builders that need more than their own parameters (the seed of `minhash_dedup`).
enum RecipeContext {
    @TaskLocal static var seed: UInt64 = 0
}

extension StepRegistry {
    /// Dedup: exact, MinHash-LSH, repeated lines (corpus steps with a pre-pass).
    static func registerDedupSteps(_ r: inout StepRegistry) {
        let memory = Parameter(name: "memory_mb", type: "int", defaultValue: "512",
                               help: "MiB the pre-pass buffers may hold (all threads together) before sorted runs spill to disk")
        @Sendable func memoryBytes(_ node: RecipeNode) throws -> Int {
            try node.int("memory_mb", default: 512, in: 1...(1 << 20)) << 20
        }
        r.register(
            "exact_dedup",
            summary: "drop documents whose normalized text equals an earlier one (the smallest origin is kept)",
            parameters: [
                .init(name: "normalization", type: "string", defaultValue: "whitespace",
                      help: "none (bytes as they are), whitespace (runs of whitespace → one space, trimmed), "
                          + "full (NFKC, lowercase, then whitespace)"),
                memory,
            ]
        ) { node in
            let normalization = try node.choice("normalization", default: TextNormalization.whitespace)
            return .corpus(ExactDedup(normalization: normalization, memoryBytes: try memoryBytes(node)))
        }
        r.register(
            "minhash_dedup",
            summary: "drop near duplicates found by MinHash-LSH; each cluster keeps its first document",
            parameters: [
                .init(name: "unit", type: "string", defaultValue: "words",
                      help: "words (lowercase runs of letters and digits; Han and kana one per character) or chars"),
                .init(name: "ngram", type: "int", defaultValue: "5", help: "words (or characters) per shingle"),
                .init(name: "bands", type: "int", defaultValue: "14", help: "LSH bands"),
                .init(name: "rows", type: "int", defaultValue: "8", help: "hashes per band (bands × rows hashes)"),
                .init(name: "threshold", type: "float", defaultValue: "none",
                      help: "keep a candidate pair only if its signatures agree in this share of positions"),
                .init(name: "seed", type: "int", defaultValue: "the recipe's seed", help: "seed of the hash functions"),
                memory,
            ]
        ) { node in
            let unit = try node.choice("unit", default: ShingleUnit.words)
            let ngram = try node.int("ngram", default: 5, in: 1...1000)
            let bands = try node.int("bands", default: 14, in: 1...1024)
            let rows = try node.int("rows", default: 8, in: 1...1024)
            let threshold = try node.double("threshold", in: 0...1)
            let seed = try node.uint64("seed") ?? RecipeContext.seed
            let parameters = MinHashParameters(ngram: ngram, bands: bands, rows: rows, unit: unit, seed: seed)
            return .corpus(MinHashDedup(parameters: parameters, threshold: threshold, memoryBytes: try memoryBytes(node)))
        }
        r.register(
            "line_dedup",
            summary: "remove lines (or paragraphs) found in more than max_documents documents; drop emptied documents",
            parameters: [
                .init(name: "unit", type: "string", defaultValue: "lines", help: "lines or paragraphs"),
                .init(name: "max_documents", type: "int", defaultValue: "1",
                      help: "a unit found in more documents than this is repeated"),
                .init(name: "keep_first", type: "bool", defaultValue: "true",
                      help: "the first document (input order) with a repeated unit keeps it"),
                .init(name: "min_chars", type: "int", defaultValue: "0",
                      help: "units shorter than this (after trimming) are never removed"),
                memory,
            ]
        ) { node in
            let unit = try node.choice("unit", default: LineUnit.lines)
            let maxDocuments = try node.int("max_documents", default: 1, in: 1...Int.max)
            let keepFirst = try node.bool("keep_first", default: true)
            let minChars = try node.int("min_chars", default: 0, in: 0...Int.max)
            return .corpus(LineDedup(unit: unit, maxDocuments: maxDocuments, keepFirst: keepFirst, minChars: minChars,
                                     memoryBytes: try memoryBytes(node)))
        }
    }
}
