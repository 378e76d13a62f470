import CorpusCore

/// C4's line and page rules (Raffel et al. 2020) as datatrove 0.10.1's `C4QualityFilter` applies them
/// (`split_paragraph=True`). datatrove's filter removes lines as it decides, so this is a transform: the text it
/// keeps is datatrove's modified text, byte for byte, and it drops the documents datatrove drops.
///
/// Each line (`str.splitlines`, stripped) is removed when, in this order: a whitespace-separated word is longer
/// than `maxWordLength` scalars; after removing Wikipedia citations (`[12]`, `[]`, `[edit]`,
/// `[citation needed]`) it does not end with `.` `?` `!` `"` `'` or ends with `...`; it has fewer than
/// `minWordsPerLine` words; its lowercase holds `javascript`; its lowercase holds a policy phrase (`terms of use`,
/// `privacy policy`, `cookie policy`, `uses cookies`, `use of cookies`, `use cookies`). The page is dropped when
/// a line that got that far holds `lorem ipsum` (`lorem_ipsum`) or `{` (`curly_bracket`), or when the kept lines
/// hold fewer than `minSentences` sentences (spaCy's sentencizer, `too_few_sentences`). The kept lines are
/// joined by `\n`. A rule set to false (or -1 for the numbers) is off.
public struct C4QualityTransform: Transform {
    public var removeCitations = true
    public var filterNoTerminalPunct = true
    public var minSentences = 5
    public var minWordsPerLine = 3
    public var maxWordLength = 1000
    public var filterLoremIpsum = true
    public var filterJavascript = true
    public var filterCurlyBracket = true
    public var filterPolicy = true
    let tokenizer: SpacyWordTokenizer

    public init(tokenizer: SpacyWordTokenizer) { self.tokenizer = tokenizer }

    public func apply(to document: inout Document) -> Decision {
        switch document.text.withBytes({ clean($0) }) {
        case let .failure(drop):
            return drop.decision
        case let .success(text):
            if text != document.text { document.text = text }
            return .keep
        }
    }

    struct Drop: Error {
        var decision: Decision
    }

    static let policy: [[UInt8]] = ["terms of use", "privacy policy", "cookie policy", "uses cookies",
                                    "use of cookies", "use cookies"].map { Array($0.utf8) }
    static let lorem = Array("lorem ipsum".utf8)
    static let javascript = Array("javascript".utf8)

    /// The kept text, or the drop.
    func clean(_ b: UnsafeBufferPointer<UInt8>) -> Result<String, Drop> {
        var sentences = 0
        var kept: [[UInt8]] = []
        for raw in PythonText.splitLines(b, 0..<b.count) {
            let line = PythonText.strip(b, raw)
            let words = PythonText.splitWhitespace(b, line)
            if maxWordLength != -1 && words.contains(where: { PythonText.length(b, $0) > maxWordLength }) { continue }
            var text = Array(UnsafeBufferPointer(rebasing: b[line]))
            if removeCitations { text = Self.removingCitations(text) }
            if filterNoTerminalPunct {
                guard let last = text.last, last == 0x2E || last == 0x3F || last == 0x21 || last == 0x22 || last == 0x27
                else { continue }
                if text.count >= 3 && text[text.count - 3] == 0x2E && text[text.count - 2] == 0x2E && last == 0x2E {
                    continue
                }
            }
            if words.count < minWordsPerLine { continue }
            let lowered = text.withUnsafeBufferPointer { PythonText.asciiLowered($0, 0..<$0.count) }
            if filterLoremIpsum && PythonText.contains(lowered, Self.lorem) {
                return .failure(Drop(decision: .drop(reason: "lorem_ipsum", detail: "the page holds lorem ipsum")))
            }
            if filterJavascript && PythonText.contains(lowered, Self.javascript) { continue }
            if filterCurlyBracket && text.contains(0x7B) {
                return .failure(Drop(decision: .drop(reason: "curly_bracket", detail: "the page holds a {")))
            }
            if filterPolicy && Self.policy.contains(where: { PythonText.contains(lowered, $0) }) { continue }
            if minSentences != -1 {
                sentences += text.withUnsafeBufferPointer { tokenizer.sentenceCount($0) }
            }
            kept.append(text)
        }
        if sentences < minSentences {
            return .failure(Drop(decision: .drop(reason: "too_few_sentences",
                                                 detail: "\(sentences) < \(minSentences) sentences")))
        }
        var joined: [UInt8] = []
        for (k, line) in kept.enumerated() {
            if k > 0 { joined.append(0x0A) }
            joined.append(contentsOf: line)
        }
        let text = joined.withUnsafeBufferPointer { jb -> String in
            String(decoding: UnsafeBufferPointer(rebasing: jb[PythonText.strip(jb, 0..<jb.count)]), as: UTF8.self)
        }
        return .success(text)
    }

    /// `re.sub(r"\[\d*]|\[edit]|\[citation needed]", "", line)`; `\d` is any decimal digit (category Nd).
    static func removingCitations(_ line: [UInt8]) -> [UInt8] {
        guard line.contains(0x5B) else { return line }
        var out: [UInt8] = []
        out.reserveCapacity(line.count)
        var i = 0
        while i < line.count {
            if line[i] == 0x5B, let end = citationEnd(line, from: i) {
                i = end
                continue
            }
            out.append(line[i])
            i += 1
        }
        return out
    }

    private static let edit = Array("[edit]".utf8)
    private static let needed = Array("[citation needed]".utf8)

    private static func citationEnd(_ line: [UInt8], from start: Int) -> Int? {
        var j = start + 1
        while j < line.count {
            let (v, n) = line.withUnsafeBufferPointer { PythonText.decode($0, j) }
            guard let scalar = Unicode.Scalar(v), scalar.properties.generalCategory == .decimalNumber else { break }
            j += n
        }
        if j < line.count, line[j] == 0x5D { return j + 1 }
        for literal in [edit, needed] where start + literal.count <= line.count {
            if line[start..<(start + literal.count)].elementsEqual(literal) { return start + literal.count }
        }
        return nil
    }
}
