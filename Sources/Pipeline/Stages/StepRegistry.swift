import CorpusCore

/// What a registry builder makes of a recipe step: a per-document stage, or a corpus step that needs a pre-pass.
public enum StepKind: Sendable {
    case filter(any Filter)
    case transform(any Transform)
    case corpus(any CorpusStep)
}

/// A recipe step built from its parameters, named as the ledger will name it.
public struct PlannedStep: Sendable {
    public var name: String
    public var kind: StepKind

    public init(name: String, kind: StepKind) {
        self.name = name
        self.kind = kind
    }

    /// The stage, for a per-document step; nil for a corpus step.
    public var stage: Stage? {
        switch kind {
        case let .filter(f): Stage(name: name, filter: f)
        case let .transform(t): Stage(name: name, transform: t)
        case .corpus: nil
        }
    }
}

/// The steps a recipe may name, each with a builder that reads its parameters from the recipe.
///
/// Algorithms do not know about recipes: a builder reads typed parameters from a `RecipeNode`, builds the
/// stage value, and `RecipeNode.finish()` turns any parameter it did not ask for into an error naming it.
/// Later capabilities (quality filters, dedup, PII, tokenization) register here.
public struct StepRegistry: Sendable {
    /// One parameter, for `ptk steps` and the README's recipe reference.
    public struct Parameter: Sendable {
        public var name: String
        public var type: String
        public var defaultValue: String
        public var help: String
    }

    public struct Entry: Sendable {
        public var name: String
        public var summary: String
        public var parameters: [Parameter]
        public var build: @Sendable (RecipeNode) throws -> StepKind
    }

    public private(set) var entries: [String: Entry] = [:]

    public init() {}

    public mutating func register(_ name: String, summary: String, parameters: [Parameter],
                                  build: @escaping @Sendable (RecipeNode) throws -> StepKind)
    {
        entries[name] = Entry(name: name, summary: summary, parameters: parameters, build: build)
    }

    public var names: [String] { entries.keys.sorted() }

    /// Builds the steps of a recipe in order. A step used twice is named `name#2` in the ledger. Corpus steps
    /// (dedup) become stages once `CorpusPass` has shown them the corpus.
    public func build(_ steps: [StepSpec]) throws -> [PlannedStep] {
        var seen: [String: Int] = [:]
        return try steps.map { step in
            guard let entry = entries[step.name] else {
                throw RecipeError.unknownStep(name: step.name, at: step.location, known: names,
                                              suggestion: RecipeError.suggest(step.name, among: names))
            }
            let kind = try entry.build(step.params)
            try step.params.finish()
            seen[step.name, default: 0] += 1
            let count = seen[step.name] ?? 1
            let name = count == 1 ? step.name : "\(step.name)#\(count)"
            return PlannedStep(name: name, kind: kind)
        }
    }

    /// The steps that ship with this version.
    public static let builtin: StepRegistry = {
        var r = StepRegistry()
        r.register(
            "length", summary: "keep documents whose length in characters and words lies within bounds",
            parameters: [
                .init(name: "min_chars", type: "int", defaultValue: "0", help: "fewest Unicode characters"),
                .init(name: "max_chars", type: "int", defaultValue: "none", help: "most Unicode characters"),
                .init(name: "min_words", type: "int", defaultValue: "0", help: "fewest whitespace-separated words"),
                .init(name: "max_words", type: "int", defaultValue: "none", help: "most words"),
            ]
        ) { node in
            let minChars = try node.int("min_chars", default: 0)
            let maxChars = try node.int("max_chars") ?? .max
            let minWords = try node.int("min_words", default: 0)
            let maxWords = try node.int("max_words") ?? .max
            guard minChars >= 0, minWords >= 0, maxChars >= minChars, maxWords >= minWords else {
                throw RecipeError.invalidValue(at: node.location,
                                               message: "length bounds must satisfy 0 ≤ min ≤ max")
            }
            return .filter(LengthFilter(minChars: minChars, maxChars: maxChars, minWords: minWords, maxWords: maxWords))
        }
        r.register(
            "script", summary: "keep documents written mostly in the allowed scripts (writing systems)",
            parameters: [
                .init(name: "keep", type: "[string]", defaultValue: "required",
                      help: "allowed scripts: " + Script.allCases.filter { $0 != .common }.map(\.rawValue).joined(separator: ", ")),
                .init(name: "min_share", type: "float", defaultValue: "0.5",
                      help: "least share of letters in the allowed scripts"),
            ]
        ) { node in
            guard let names = try node.stringList("keep") else {
                throw RecipeError.missing(key: "keep", at: node.location)
            }
            var allowed = Set<Script>()
            for name in names {
                guard let script = Script(rawValue: name.lowercased()), script != .common else {
                    let known = Script.allCases.filter { $0 != .common }.map(\.rawValue)
                    let hint = RecipeError.suggest(name, among: known).map { " (did you mean '\($0)'?)" } ?? ""
                    throw RecipeError.invalidValue(at: node.location, message: "unknown script '\(name)'\(hint)")
                }
                allowed.insert(script)
            }
            let minShare = try node.double("min_share") ?? 0.5
            guard (0...1).contains(minShare) else {
                throw RecipeError.invalidValue(at: node.location, message: "min_share must be within 0…1")
            }
            return .filter(ScriptFilter(allowed: allowed, minShare: minShare))
        }
        r.register(
            "trim", summary: "strip trailing spaces and blank lines, collapse runs of blank lines, \\r\\n → \\n",
            parameters: [
                .init(name: "max_blank_lines", type: "int", defaultValue: "1", help: "blank lines kept between paragraphs"),
            ]
        ) { node in
            let maxBlank = try node.int("max_blank_lines", default: 1)
            guard maxBlank >= 0 else {
                throw RecipeError.invalidValue(at: node.location, message: "max_blank_lines must be ≥ 0")
            }
            return .transform(TrimTransform(maxBlankLines: maxBlank))
        }
        registerQualitySteps(&r)
        registerDedupSteps(&r)
        registerPrivacySteps(&r)
        return r
    }()
}
