import CorpusCore
import Foundation

/// C4's bad-words rule as datatrove 0.10.1's `C4BadWordsFilter` applies it (`keep_fraction` 0), with the word
/// list read from a file instead of downloaded: one entry a line, stripped (an empty line is an empty entry,
/// as in datatrove), less datatrove's allow-list (`sm`, `グロ`, `女の子`, `性`).
///
/// The text is lowercased (Python `str.lower`, without its final-sigma rule) and searched for an entry that
/// stands between non-word characters (Python `re`'s `\W`, or the ends of the text); for `ja`, `th` and `zh`
/// anywhere. The language is the document's `language` metadata field, else `defaultLanguage`.
/// Drop reason: `document_removed_with_badwords` (datatrove's).
public struct C4BadWordsFilter: Filter {
    public let words: [String]
    public var defaultLanguage: String
    /// Entries by their first byte; the empty entry apart.
    private let byFirstByte: [UInt8: [[UInt8]]]
    private let hasEmpty: Bool

    public init(words: [String], defaultLanguage: String = "en") {
        let allowed: Set<String> = ["sm", "グロ", "女の子", "性"]
        let entries = Set(words.map { $0.trimmingPythonSpace() }).subtracting(allowed)
        self.words = entries.sorted()
        self.defaultLanguage = defaultLanguage
        var byFirst: [UInt8: [[UInt8]]] = [:]
        for e in self.words where !e.isEmpty { byFirst[e.utf8.first ?? 0, default: []].append(Array(e.utf8)) }
        byFirstByte = byFirst
        hasEmpty = entries.contains("")
    }

    /// Reads the list file.
    public init(path: String, defaultLanguage: String = "en") throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var lines = text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        self.init(words: lines, defaultLanguage: defaultLanguage)
    }

    public func evaluate(_ document: Document) -> Decision {
        let language = document.metadata.fields["language"] ?? defaultLanguage
        let boundaries = !["ja", "th", "zh"].contains(language)
        let lowered = document.text.withBytes { PythonText.lowered($0) }
        let found: String? = lowered.withUnsafeBufferPointer { find($0, boundaries: boundaries) }
        if let found {
            return .drop(reason: "document_removed_with_badwords", detail: "holds \"\(found)\"")
        }
        return .keep
    }

    private func find(_ b: UnsafeBufferPointer<UInt8>, boundaries: Bool) -> String? {
        let n = b.count
        var i = 0
        var previousIsWord = false  // at the start, `^` stands in for a non-word character
        while i <= n {
            let atBoundary = !boundaries || i == 0 || !previousIsWord
            if atBoundary {
                if hasEmpty && (!boundaries || i == n || !PythonText.isWordChar(PythonText.decode(b, i).0)) {
                    return ""
                }
                if i < n, let candidates = byFirstByte[b[i]] {
                    for word in candidates where i + word.count <= n {
                        var j = 1
                        while j < word.count, b[i + j] == word[j] { j += 1 }
                        guard j == word.count else { continue }
                        let end = i + word.count
                        if !boundaries || end == n || !PythonText.isWordChar(PythonText.decode(b, end).0) {
                            return String(decoding: word, as: UTF8.self)
                        }
                    }
                }
            }
            guard i < n else { break }
            let (v, k) = PythonText.decode(b, i)
            previousIsWord = PythonText.isWordChar(v)
            i += k
        }
        return nil
    }
}

extension String {
    /// Python's `str.strip()`.
    func trimmingPythonSpace() -> String {
        withBytes { b in
            String(decoding: UnsafeBufferPointer(rebasing: b[PythonText.strip(b, 0..<b.count)]), as: UTF8.self)
        }
    }

    /// Python's `str.lower()` without the final-sigma rule: each scalar's full lowercase mapping.
    func pythonLowercased() -> String {
        withBytes { String(decoding: PythonText.lowered($0), as: UTF8.self) }
    }
}
