/// What `ShardVerifier.verify(folder:)` found: the totals it read and every problem, each naming its file.
public struct VerifyReport: Codable, Sendable, Equatable {
    /// One mismatch: the file it is in (relative to the packed folder where possible) and what differs.
    public struct Problem: Codable, Sendable, Equatable, CustomStringConvertible {
        public var path: String
        public var message: String

        public init(path: String, message: String) {
            self.path = path
            self.message = message
        }

        public var description: String { "\(path): \(message)" }
    }

    /// What one set's shards hold, as read.
    public struct SetTotals: Codable, Sendable, Equatable {
        public var name: String
        public var shards: Int
        public var windows: Int
        public var tokens: Int
        public var paddingTokens: Int
        public var lossTokens: Int

        public init(name: String, shards: Int = 0, windows: Int = 0, tokens: Int = 0, paddingTokens: Int = 0,
                    lossTokens: Int = 0)
        {
            self.name = name
            self.shards = shards
            self.windows = windows
            self.tokens = tokens
            self.paddingTokens = paddingTokens
            self.lossTokens = lossTokens
        }

        enum CodingKeys: String, CodingKey {
            case name, shards, windows, tokens
            case paddingTokens = "padding_tokens"
            case lossTokens = "loss_tokens"
        }
    }

    public var folder: String
    /// Files listed in the manifest, and their bytes.
    public var files: Int
    public var bytes: Int64
    public var sets: [SetTotals]
    public var problems: [Problem]

    public init(folder: String, files: Int = 0, bytes: Int64 = 0, sets: [SetTotals] = [], problems: [Problem] = []) {
        self.folder = folder
        self.files = files
        self.bytes = bytes
        self.sets = sets
        self.problems = problems
    }

    /// True when nothing differs.
    public var ok: Bool { problems.isEmpty }

    /// A few lines for people: the totals, then each problem.
    ///
    /// ```
    /// ok: out — 14 files, 1.2 GB
    ///   train: 3 shards, 512000 windows, 1048576000 tokens (1200 padding, 1047000000 loss)
    /// ```
    public func render() -> String {
        var text = (ok ? "ok" : "FAILED") + ": \(folder) — \(files) files, \(bytes) bytes"
        text += problems.isEmpty ? "\n" : ", " + counted(problems.count, "problem") + "\n"
        for set in sets {
            text += "  \(set.name): \(counted(set.shards, "shard")), \(counted(set.windows, "window")), \(set.tokens) "
                + "tokens (\(set.paddingTokens) padding, \(set.lossTokens) loss)\n"
        }
        for problem in problems { text += "  \(problem)\n" }
        return text
    }

    private func counted(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }
}
