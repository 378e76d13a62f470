// swift-tools-version: 6.0
// PretrainKit: raw text → training-ready data for (continual) pretraining.
// Targets follow the data flow: read (CorpusIO) → clean → select → tokenize → pack → write → plan.
import PackageDescription

let package = Package(
    name: "PretrainKit",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ptk", targets: ["ptk"]),
        .library(name: "CorpusCore", targets: ["CorpusCore"]),
        .library(name: "CorpusIO", targets: ["CorpusIO"]),
        .library(name: "Pipeline", targets: ["Pipeline"]),
        .library(name: "Planning", targets: ["Planning"]),
        .library(name: "Tokenization", targets: ["Tokenization"]),
        .library(name: "TokenizerTraining", targets: ["TokenizerTraining"]),
        .library(name: "Packing", targets: ["Packing"]),
        .library(name: "Shards", targets: ["Shards"]),
        .library(name: "Selection", targets: ["Selection"]),
        .library(name: "Cleaning", targets: ["Cleaning"]),
        .library(name: "Embeddings", targets: ["Embeddings"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // MARK: C libraries from Debian -dev packages (libzstd-dev, zlib1g-dev, libpcre2-dev)
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPCRE2", pkgConfig: "libpcre2-8", providers: [.apt(["libpcre2-dev"])]),

        // MARK: Foundation: documents, ledger, hashing, seeded randomness
        .target(name: "CorpusCore"),

        // MARK: Read and write corpora: framing, JSON, gzip / zstd, atomic writers
        .target(name: "CorpusIO", dependencies: ["CorpusCore", "CZstd", "CZlib"]),

        // MARK: Stages, recipes, runner, accounting, demo
        .target(name: "Pipeline", dependencies: [
            "CorpusCore", "CorpusIO", "Tokenization", "TokenizerTraining", "Packing", "Shards", "Selection", "Cleaning",
            "Embeddings", .product(name: "Yams", package: "Yams"),
        ]),

        // MARK: Tokenize exactly as the model does: pre-tokenizer scanners, byte-level BPE, file formats
        // SentencePiece .model files are protobuf: the generated code is committed (no build plugin), its .proto
        // source is kept beside it (scripts/generate-sentencepiece-proto.sh regenerates).
        .target(
            name: "Tokenization",
            dependencies: ["CorpusCore", "CPCRE2", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["SentencePiece/sentencepiece_model.proto"]
        ),

        // MARK: Train byte-level BPE tokenizers: word counts, merges as HF tokenizers' BpeTrainer learns them
        .target(name: "TokenizerTraining", dependencies: ["CorpusCore", "CorpusIO", "Tokenization"]),

        // MARK: Select documents like a target: DSIR hashed n-gram importance weights, Gumbel top-k
        .target(name: "Selection", dependencies: ["CorpusCore", "CorpusIO", "Tokenization", "COpenSSL"]),

        // MARK: Clean: quality filters (Gopher, C4, FineWeb), language id, dedup (exact, MinHash-LSH, lines), PII,
        // decontamination
        .target(name: "Cleaning", dependencies: ["CorpusCore", "CorpusIO", "Tokenization", "COpenSSL"]),

        // MARK: Embeddings for semantic packing: a native BERT sentence encoder on OpenBLAS, .npy vectors
        .target(name: "Embeddings", dependencies: ["CorpusCore", "CorpusIO", "Tokenization", "COpenBLAS"]),

        // MARK: Shards: Megatron .bin/.idx token files and sidecars, manifest, reader, verifier (docs/shard-format.md)
        .target(name: "Shards", dependencies: ["CorpusCore", "CorpusIO"]),

        // MARK: Pack token sequences into windows: concat, docmask, best-fit, pad; MeCo conditioning
        .target(name: "Packing", dependencies: ["CorpusCore", "Tokenization", "Shards"]),

        // MARK: Plan the run: scaling laws, loss fits, learning-rate schedules (no I/O)
        .target(name: "Planning", dependencies: ["CorpusCore"]),

        // MARK: The CLI: parses arguments and calls the library, nothing else
        .executableTarget(name: "ptk", dependencies: [
            "Pipeline", "CorpusIO", "CorpusCore", "Planning", "Tokenization", "TokenizerTraining", "Packing", "Shards",
            "Selection", "Cleaning", "Embeddings",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: Tests
        // Locates the reference venv and runs its scripts; shared by every reference test.
        .target(name: "ReferenceSupport", path: "Tests/ReferenceSupport"),
        .testTarget(name: "CorpusCoreTests", dependencies: ["CorpusCore"]),
        .testTarget(name: "CorpusIOTests", dependencies: ["CorpusIO", "CorpusCore"]),
        .testTarget(name: "PipelineTests", dependencies: ["ReferenceSupport", "Pipeline", "CorpusIO", "CorpusCore", "Tokenization",
                                                        "Packing", "Shards", "Selection", "Cleaning"]),
        // Runs the built `ptk` as a user would (the dependency makes sure it is built first).
        .testTarget(name: "CLITests", dependencies: ["ReferenceSupport", "ptk", "CorpusIO", "Shards"]),
        .testTarget(name: "PlanningTests", dependencies: ["ReferenceSupport", "Planning", "CorpusCore"]),
        .testTarget(name: "ShardsTests", dependencies: ["ReferenceSupport", "Shards", "CorpusIO", "CorpusCore"]),
        .testTarget(name: "PackingTests", dependencies: ["ReferenceSupport", "Packing", "Shards", "Tokenization", "CorpusCore"]),
        .testTarget(name: "CleaningTests", dependencies: ["ReferenceSupport", "Cleaning", "CorpusCore", "CorpusIO",
                                                        "Tokenization"]),
        .testTarget(name: "EmbeddingsTests", dependencies: ["ReferenceSupport", "Embeddings", "CorpusCore", "CorpusIO",
                                                          "Tokenization"]),
        .testTarget(name: "SelectionTests", dependencies: ["ReferenceSupport", "Selection", "CorpusCore", "CorpusIO",
                                                         "Tokenization"]),
        .testTarget(name: "TokenizationTests", dependencies: ["ReferenceSupport", "Tokenization", "CorpusCore", "CorpusIO"]),
        .testTarget(name: "TokenizerTrainingTests", dependencies: ["ReferenceSupport", "TokenizerTraining", "Tokenization",
                                                                 "CorpusCore", "CorpusIO"]),
    ],
    swiftLanguageModes: [.v6]
)
