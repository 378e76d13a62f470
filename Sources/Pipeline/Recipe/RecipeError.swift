/// Where something sits in a recipe file: the file, the dotted path of the key, and its 1-based line and column.
///
/// `description` reads `recipe.yaml:14:7 (steps[1].length.min_chars)`; sequence items are indexed from 0.
public struct RecipeLocation: Sendable, Equatable, CustomStringConvertible {
    /// The recipe file as the user named it (or a label such as `<string>` for recipes parsed from memory).
    public var file: String
    /// Dotted path from the top of the recipe, e.g. `steps[1].length.min_chars`; empty for the top level.
    public var path: String
    /// 1-based line.
    public var line: Int
    /// 1-based column, counted in Unicode scalars.
    public var column: Int

    public init(file: String, path: String, line: Int, column: Int) {
        self.file = file
        self.path = path
        self.line = line
        self.column = column
    }

    /// `file:line:column`, the prefix of every recipe error message.
    public var position: String { "\(file):\(line):\(column)" }

    public var description: String { path.isEmpty ? position : "\(position) (\(path))" }

    /// The location of `key` inside the mapping at `self`, at the key's own line and column.
    func appending(key: String, line: Int, column: Int) -> RecipeLocation {
        RecipeLocation(file: file, path: path.isEmpty ? key : "\(path).\(key)", line: line, column: column)
    }

    /// The location of item `index` of the sequence at `self`.
    func appending(index: Int, line: Int, column: Int) -> RecipeLocation {
        RecipeLocation(file: file, path: "\(path)[\(index)]", line: line, column: column)
    }
}

/// Everything that can be wrong with a recipe. Every case names the place in the file, so that the one-line
/// `description` (`recipe.yaml:14:7: unknown key 'min_char' in steps[1].length (did you mean 'min_chars'?)`)
/// is enough to fix it.
///
/// For the key cases (`unknownKey`, `missing`) `at.path` is the path of the key itself
/// (`steps[1].length.min_char`); the description names the mapping that holds it.
public enum RecipeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The recipe file could not be read (missing, a folder, no permission, not UTF-8).
    case unreadable(file: String, reason: String)
    /// The text is not valid YAML (or repeats a key in a mapping).
    case syntax(file: String, line: Int, column: Int, message: String)
    /// A key that nothing asked for, probably a typo; `suggestion` is the nearest known key.
    case unknownKey(key: String, at: RecipeLocation, suggestion: String?)
    /// A step name that the step registry does not know.
    case unknownStep(name: String, at: RecipeLocation, known: [String], suggestion: String?)
    /// A required key is absent; `at` has the key's path and the line of the mapping that should hold it.
    case missing(key: String, at: RecipeLocation)
    /// A value of the wrong YAML type, e.g. a string where an integer belongs.
    case typeMismatch(at: RecipeLocation, expected: String, found: String)
    /// A value of the right type that is out of range or otherwise unusable.
    case invalidValue(at: RecipeLocation, message: String)

    public var description: String {
        let text: String
        switch self {
        case let .unreadable(file, reason):
            text = "\(file): cannot read recipe: \(reason)"
        case let .syntax(file, line, column, message):
            text = "\(file):\(line):\(column): invalid YAML: \(message)"
        case let .unknownKey(key, at, suggestion):
            text = "\(at.position): unknown key '\(key)' \(Self.container(of: at.path, key: key))"
                + (suggestion.map { " (did you mean '\($0)'?)" } ?? "")
        case let .unknownStep(name, at, known, suggestion):
            let hint = suggestion.map { "did you mean '\($0)'? " } ?? ""
            let list = known.isEmpty ? "no steps are registered" : "known steps: " + known.joined(separator: ", ")
            let place = at.path.isEmpty ? "top level" : at.path
            text = "\(at.position): unknown step '\(name)' at \(place) (\(hint)\(list))"
        case let .missing(key, at):
            text = "\(at.position): missing key '\(key)' \(Self.container(of: at.path, key: key))"
        case let .typeMismatch(at, expected, found):
            text = "\(at.position): \(Self.subject(at.path)) must be \(expected), found \(found)"
        case let .invalidValue(at, message):
            text = at.path.isEmpty
                ? "\(at.position): \(message)"
                : "\(at.position): invalid value for \(at.path): \(message)"
        }
        return Self.singleLine(text)
    }

    /// The nearest of `candidates` to `word`, if one is close enough to be a likely typo.
    ///
    /// Close enough: an edit distance of at most 2 (insertions, deletions, substitutions and swaps of two
    /// neighbouring characters each count 1), and smaller than the length of both words, so that `id` is not
    /// offered for `ab`. Ties go to the earlier candidate.
    public static func suggest(_ word: String, among candidates: [String]) -> String? {
        let target = Array(word)
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let other = Array(candidate)
            let distance = editDistance(target, other)
            guard distance <= 2, distance < target.count, distance < other.count else { continue }
            if best.map({ distance < $0.distance }) ?? true { best = (candidate, distance) }
        }
        return best?.candidate
    }

    /// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    value = min(value, previous2[j - 2] + 1)
                }
                current[j] = value
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }

    /// "in steps[1].length" for the key path `steps[1].length.min_char`, "at top level" for a top-level key.
    private static func container(of path: String, key: String) -> String {
        let suffix = "." + key
        if path.hasSuffix(suffix), path.count > suffix.count {
            return "in " + path.dropLast(suffix.count)
        }
        if path == key || path.isEmpty { return "at top level" }
        return "in " + path
    }

    private static func subject(_ path: String) -> String { path.isEmpty ? "the recipe" : path }

    /// Error messages are one line: YAML problems and user values may carry line breaks.
    private static func singleLine(_ text: String) -> String {
        guard text.contains(where: \.isNewline) else { return text }
        return text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
