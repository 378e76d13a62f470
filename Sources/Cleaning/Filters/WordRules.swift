import CorpusIO
import Foundation

/// The rule data behind datatrove's English word tokenizer: spaCy's blank English tokenizer (affix and URL
/// patterns, tokenizer exceptions), its sentencizer's punctuation, and datatrove's punctuation sets.
///
/// The data belongs to spaCy and datatrove, so it is not in this repository: `scripts/word-rules.sh` extracts it
/// once from the pinned PyPI packages (spaCy 3.8.18, datatrove 0.10.1) into a JSON file, by default
/// `~/.cache/ptk/word-rules/spacy-3.8.18-datatrove-0.10.1.json` (`$PTK_WORD_RULES` names another). The algorithm
/// that uses it is ours (`SpacyWordTokenizer`). Steps that split words (gopher_quality, gopher_repetition, c4,
/// fineweb) report a recipe error naming the script when the file is missing.
public struct WordRules: Sendable {
    public var prefixPattern: String
    public var suffixPattern: String
    public var infixPattern: String
    public var urlPattern: String
    /// Special cases: the string, then its token texts.
    public var specials: [(String, [String])]
    public var sentencePunctuation: [String]
    /// datatrove.utils.text PUNCTUATION_SET and TERMINAL_PUNCTUATION, as scalar values.
    public var punctuation: [UInt32]
    public var terminalPunctuation: [UInt32]

    public static let defaultFileName = "spacy-3.8.18-datatrove-0.10.1.json"

    /// `$PTK_WORD_RULES`, else the default file under `$XDG_CACHE_HOME` (or `~/.cache`)/ptk/word-rules/.
    public static var defaultPath: String {
        let environment = ProcessInfo.processInfo.environment
        if let chosen = environment["PTK_WORD_RULES"], !chosen.isEmpty { return chosen }
        let cache = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.cache")
        return "\(cache)/ptk/word-rules/\(defaultFileName)"
    }

    public struct Missing: Error, CustomStringConvertible, Equatable {
        public var path: String
        public var reason: String
        public var description: String {
            "the English word rules (spaCy 3.8.18 and datatrove 0.10.1 data) are not at \(path): \(reason). "
                + "Extract them once with scripts/word-rules.sh (or point $PTK_WORD_RULES at the file)"
        }
    }

    /// The rules of the default path, loaded once per process.
    public static let shared: Result<WordRules, Missing> = load(path: defaultPath)

    public static func load(path: String) -> Result<WordRules, Missing> {
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(Missing(path: path, reason: "no such file"))
        }
        let value: JSONValue
        do {
            value = try data.withUnsafeBytes { raw throws(JSONError) in try JSONParser.parse(raw) }
        } catch {
            return .failure(Missing(path: path, reason: "not JSON: \(error)"))
        }
        func strings(_ v: JSONValue?) -> [String]? {
            guard case let .array(items)? = v else { return nil }
            var out: [String] = []
            for item in items {
                guard case let .string(s) = item else { return nil }
                out.append(s)
            }
            return out
        }
        func scalars(_ key: String) -> [UInt32]? {
            guard case let .array(items)? = value.value(at: [key]) else { return nil }
            var out: [UInt32] = []
            for item in items {
                guard case let .number(text) = item, let n = UInt32(text) else { return nil }
                out.append(n)
            }
            return out
        }
        func text(_ key: String) -> String? {
            if case let .string(s)? = value.value(at: [key]) { return s }
            return nil
        }
        guard let prefix = text("prefix"), let suffix = text("suffix"), let infix = text("infix"), let url = text("url"),
              case let .array(pairs)? = value.value(at: ["specials"]),
              let sentence = strings(value.value(at: ["sentence_punctuation"])),
              let punctuation = scalars("punctuation"), let terminal = scalars("terminal_punctuation")
        else {
            return .failure(Missing(path: path, reason: "a field is missing or has the wrong type"))
        }
        var specials: [(String, [String])] = []
        for pair in pairs {
            guard case let .array(parts) = pair, parts.count == 2, case let .string(key) = parts[0],
                  let orths = strings(parts[1]), orths.joined() == key
            else { return .failure(Missing(path: path, reason: "a bad special case")) }
            specials.append((key, orths))
        }
        return .success(WordRules(prefixPattern: prefix, suffixPattern: suffix, infixPattern: infix, urlPattern: url,
                                  specials: specials, sentencePunctuation: sentence, punctuation: punctuation,
                                  terminalPunctuation: terminal))
    }
}

/// datatrove 0.10.1's punctuation sets, from the word rules file (empty without it: the filters that use them
/// cannot be built without the rules, `SpacyWordTokenizer.english` fails first).
enum DatatroveText {
    static var punctuation: [UInt32] { (try? WordRules.shared.get())?.punctuation ?? [] }
    static var terminalPunctuation: [UInt32] { (try? WordRules.shared.get())?.terminalPunctuation ?? [] }
}
