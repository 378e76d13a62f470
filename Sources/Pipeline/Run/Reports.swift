import CorpusCore
import CorpusIO
import Foundation
import Shards

/// What one input file contributed: counts per stage, the ledger, statistics of what was written, and the
/// file's own problem if it ended early. Written beside the part files, it lets an interrupted task resume.
public struct UnitReport: Sendable, Equatable, Codable {
    public var file: String
    public var inputBytes: Int64
    public var read: StageStats
    public var stages: [StageStats]
    public var ledger: Ledger
    public var output: TextStats
    /// Tokens written (with `output.tokenizer`; else 0).
    public var tokens: Int
    public var inputError: String?
}

/// A problem with one input file as a whole (truncated, corrupt, unreadable).
public struct InputProblemEntry: Sendable, Equatable, Codable {
    public var file: String
    public var error: String
}

/// One output file with its size and checksum: the same entry a packed folder's manifest lists.
public typealias OutputEntry = FileEntry

/// The summary of one task (rank): what it read, kept, wrote and rejected.
public struct RankReport: Sendable, Equatable, Codable {
    public var rank: Int
    public var worldSize: Int
    public var recipeSha256: String
    public var files: [String]
    public var inputBytes: Int64
    public var ledger: Ledger
    public var stages: [StageStats]
    public var output: TextStats
    public var tokens: Int
    public var inputErrors: [InputProblemEntry]
    public var outputs: [OutputEntry]

    /// Adds up per-file reports in input order.
    init(rank: ShardIndex, recipeSha256: String, stageNames: [(String, String)], units: [UnitReport],
         outputs: [OutputEntry])
    {
        self.rank = rank.rank
        self.worldSize = rank.worldSize
        self.recipeSha256 = recipeSha256
        files = units.map(\.file)
        inputBytes = units.reduce(0) { $0 + $1.inputBytes }
        tokens = units.reduce(0) { $0 + $1.tokens }
        var read = StageStats(name: "read", kind: "reader")
        var stages = stageNames.map { StageStats(name: $0.0, kind: $0.1) }
        var ledger = Ledger()
        var output = TextStats()
        var errors: [InputProblemEntry] = []
        for unit in units {
            read.merge(unit.read)
            for i in stages.indices where i < unit.stages.count { stages[i].merge(unit.stages[i]) }
            ledger.merge(unit.ledger)
            output.merge(unit.output)
            if let e = unit.inputError { errors.append(InputProblemEntry(file: unit.file, error: e)) }
        }
        self.stages = [read] + stages
        self.ledger = ledger
        self.output = output
        self.inputErrors = errors
        self.outputs = outputs
    }
}

/// `manifest.json`: everything needed to know what a run did and to reproduce it. It holds no clock time,
/// so the same recipe on the same input writes the same bytes.
public struct Manifest: Sendable, Equatable, Codable {
    public struct RecipeInfo: Sendable, Equatable, Codable {
        public var name: String?
        public var file: String
        public var sha256: String
    }

    public struct InputInfo: Sendable, Equatable, Codable {
        public var path: String
        public var kind: String
        public var source: String?
        public var bytes: Int64
    }

    public var tool: String
    public var version: String
    public var recipe: RecipeInfo
    public var seed: UInt64
    public var worldSize: Int
    public var inputs: [InputInfo]
    public var ledger: Ledger
    /// Tokens written when the output is token ids (`output.tokenizer`); absent for text.
    public var tokens: Int?
    public var stages: [StageStats]
    public var inputErrors: [InputProblemEntry]
    public var outputs: [OutputEntry]
    public var rejects: [OutputEntry]
}

/// Deterministic pretty JSON (sorted keys, snake_case) for reports and manifests.
func encodeReport<T: Encodable>(_ value: T) throws -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    return Array(try encoder.encode(value)) + [0x0A]
}

func decodeReport<T: Decodable>(_ type: T.Type, from path: String) throws -> T {
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    return try decoder.decode(type, from: Data(contentsOf: URL(fileURLWithPath: path)))
}
