import CorpusCore

/// FineWeb's quality rules as datatrove 0.10.1's `FineWebQualityFilter` applies them, over the lines of the text
/// (cut at `\n`) that are not blank:
/// - the share of lines ending with a terminal punctuation mark (datatrove's TERMINAL_PUNCTUATION, 159 marks of
///   many scripts) below `linePunctThreshold` (`line_punct_ratio`; a share of 0 passes when
///   `linePunctExcludeZero`);
/// - the share of lines of at most `shortLineLength` scalars above `shortLineThreshold` (`short_line_ratio`);
/// - characters of lines seen before, over the characters of the text without `\n`, above `charDuplicatesRatio`
///   (`char_dup_ratio`);
/// - `\n` per word (spaCy English words) above `newLineRatio` (`list_ratio`).
/// A text without a non-blank line is dropped as `empty`.
public struct FineWebQualityFilter: Filter {
    public var linePunctThreshold = 0.12
    public var linePunctExcludeZero = false
    public var shortLineThreshold = 0.67
    public var shortLineLength = 30
    public var charDuplicatesRatio = 0.01
    public var newLineRatio = 0.3
    let tokenizer: SpacyWordTokenizer

    public init(tokenizer: SpacyWordTokenizer) { self.tokenizer = tokenizer }

    public func evaluate(_ document: Document) -> Decision {
        document.text.withBytes { evaluate($0) }
    }

    func evaluate(_ b: UnsafeBufferPointer<UInt8>) -> Decision {
        var lines: [Range<Int>] = []
        var newlines = 0
        var start = 0
        for i in 0...b.count where i == b.count || b[i] == 0x0A {
            let line = start..<i
            if !PythonText.strip(b, line).isEmpty { lines.append(line) }
            if i < b.count { newlines += 1 }
            start = i + 1
        }
        if lines.isEmpty { return .drop(reason: "empty", detail: "no line with text") }
        var punctuated = 0, short = 0
        for line in lines {
            let (last, _) = PythonText.decodeBefore(b, line.upperBound)
            if ScalarSet.terminalPunctuation.contains(last) { punctuated += 1 }
            if PythonText.length(b, line) <= shortLineLength { short += 1 }
        }
        let punctRatio = Double(punctuated) / Double(lines.count)
        if punctRatio < linePunctThreshold && !(punctRatio == 0 && linePunctExcludeZero) {
            return .drop(reason: "line_punct_ratio", detail: "\(ratioText(punctRatio)) of lines end with punctuation")
        }
        let shortRatio = Double(short) / Double(lines.count)
        if shortRatio > shortLineThreshold {
            return .drop(reason: "short_line_ratio", detail: "\(ratioText(shortRatio)) of lines are short")
        }
        let duplicated = findDuplicates(b, lines).chars
        let chars = PythonText.length(b, 0..<b.count) - newlines
        let dupRatio = Double(duplicated) / Double(chars)
        if dupRatio > charDuplicatesRatio {
            return .drop(reason: "char_dup_ratio", detail: "\(ratioText(dupRatio)) of characters in repeated lines")
        }
        let words = tokenizer.words(b).count
        // Python divides by zero here when no word is left; a text with a non-blank line always has a word.
        let listRatio = words == 0 ? Double.infinity : Double(newlines) / Double(words)
        if listRatio > newLineRatio {
            return .drop(reason: "list_ratio", detail: "\(ratioText(listRatio)) newlines per word")
        }
        return .keep
    }
}
