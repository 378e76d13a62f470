import CorpusCore

/// Gopher's quality rules (Rae et al. 2021, table A1) as datatrove 0.10.1's `GopherQualityFilter` applies them,
/// words from the spaCy English tokenizer (`SpacyWordTokenizer`). A threshold of 0 turns its rule off (Python's
/// falsy `None`/`0`).
///
/// In datatrove's order, each with its drop reason:
/// - words that are not all punctuation (datatrove's PUNCTUATION_SET) fewer than `minDocWords`
///   (`gopher_short_doc`) or more than `maxDocWords` (`gopher_long_doc`);
/// - their mean length in scalars below `minAvgWordLength` (`gopher_below_avg_threshold`) or above
///   `maxAvgWordLength` (`gopher_above_avg_threshold`);
/// - `#` per word (`gopher_too_many_hashes`), `...` and `…` per word (`gopher_too_many_ellipsis`) above
///   `maxSymbolWordRatio`; words here count every token;
/// - lines (`str.splitlines`) starting with `•` or `-` after leading spaces above `maxBulletLinesRatio`
///   (`gopher_too_many_bullets`), ending with `...` or `…` above `maxEllipsisLinesRatio`
///   (`gopher_too_many_end_ellipsis`);
/// - the share of words with a letter below `maxNonAlphaWordsRatio` (`gopher_below_alpha_threshold`; the name is
///   datatrove's);
/// - fewer than `minStopWords` distinct stop words among the words, case-sensitive (`gopher_enough_stop_words`).
public struct GopherQualityFilter: Filter {
    public var minDocWords = 50
    public var maxDocWords = 100_000
    public var minAvgWordLength = 3.0
    public var maxAvgWordLength = 10.0
    public var maxSymbolWordRatio = 0.1
    public var maxBulletLinesRatio = 0.9
    public var maxEllipsisLinesRatio = 0.3
    public var maxNonAlphaWordsRatio = 0.8
    public var minStopWords = 2
    public var stopWords: Set<String> = ["the", "be", "to", "of", "and", "that", "have", "with"]
    let tokenizer: SpacyWordTokenizer

    public init(tokenizer: SpacyWordTokenizer) { self.tokenizer = tokenizer }

    public func evaluate(_ document: Document) -> Decision {
        document.text.withBytes { evaluate($0) }
    }

    func evaluate(_ b: UnsafeBufferPointer<UInt8>) -> Decision {
        let words = tokenizer.words(b)
        let n = words.count
        var nonSymbol = 0, nonSymbolChars = 0, withLetter = 0
        for w in words {
            var symbolOnly = true, letter = false, chars = 0
            var i = w.lowerBound
            while i < w.upperBound {
                let (v, k) = PythonText.decode(b, i)
                if symbolOnly && !ScalarSet.punctuation.contains(v) { symbolOnly = false }
                if !letter && PythonText.isAlpha(v) { letter = true }
                chars += 1
                i += k
            }
            if !symbolOnly {
                nonSymbol += 1
                nonSymbolChars += chars
            }
            if letter { withLetter += 1 }
        }
        if minDocWords > 0 && nonSymbol < minDocWords {
            return .drop(reason: "gopher_short_doc", detail: "\(nonSymbol) < \(minDocWords) words")
        }
        if maxDocWords > 0 && nonSymbol > maxDocWords {
            return .drop(reason: "gopher_long_doc", detail: "\(nonSymbol) > \(maxDocWords) words")
        }
        if nonSymbol > 0 {  // numpy's mean of nothing is nan, which passes both tests
            let mean = Double(nonSymbolChars) / Double(nonSymbol)
            if minAvgWordLength > 0 && mean < minAvgWordLength {
                return .drop(reason: "gopher_below_avg_threshold", detail: "mean word length \(ratioText(mean))")
            }
            if maxAvgWordLength > 0 && mean > maxAvgWordLength {
                return .drop(reason: "gopher_above_avg_threshold", detail: "mean word length \(ratioText(mean))")
            }
        }
        // datatrove divides by the word count; with no words (only when min_doc_words is off) it raises.
        guard n > 0 else { return .keep }
        let all = 0..<b.count
        if maxSymbolWordRatio > 0 {
            let hashes = Double(PythonText.count(b, all, [0x23])) / Double(n)
            if hashes > maxSymbolWordRatio {
                return .drop(reason: "gopher_too_many_hashes", detail: "\(ratioText(hashes)) # per word")
            }
            let ellipsisCount = PythonText.count(b, all, [0x2E, 0x2E, 0x2E]) + PythonText.count(b, all, Self.ellipsis)
            let ellipses = Double(ellipsisCount) / Double(n)
            if ellipses > maxSymbolWordRatio {
                return .drop(reason: "gopher_too_many_ellipsis", detail: "\(ratioText(ellipses)) ellipses per word")
            }
        }
        let lines = PythonText.splitLines(b, all)
        if !lines.isEmpty {
            if maxBulletLinesRatio > 0 {
                var bullets = 0
                for line in lines {
                    let s = PythonText.strip(b, line)  // lstrip: the start is what counts
                    let rest = s.lowerBound..<line.upperBound
                    if PythonText.hasPrefix(b, rest, Self.bullet) || PythonText.hasPrefix(b, rest, [0x2D]) {
                        bullets += 1
                    }
                }
                let ratio = Double(bullets) / Double(lines.count)
                if ratio > maxBulletLinesRatio {
                    return .drop(reason: "gopher_too_many_bullets", detail: "\(ratioText(ratio)) of lines are bullets")
                }
            }
            if maxEllipsisLinesRatio > 0 {
                var ellipsisLines = 0
                for line in lines {
                    let s = PythonText.strip(b, line)
                    let head = line.lowerBound..<max(line.lowerBound, s.upperBound)
                    if PythonText.hasSuffix(b, head, [0x2E, 0x2E, 0x2E])
                        || PythonText.hasSuffix(b, head, Self.ellipsis)
                    {
                        ellipsisLines += 1
                    }
                }
                let ratio = Double(ellipsisLines) / Double(lines.count)
                if ratio > maxEllipsisLinesRatio {
                    return .drop(reason: "gopher_too_many_end_ellipsis",
                                 detail: "\(ratioText(ratio)) of lines end with an ellipsis")
                }
            }
        }
        if maxNonAlphaWordsRatio > 0 {
            let ratio = Double(withLetter) / Double(n)
            if ratio < maxNonAlphaWordsRatio {
                return .drop(reason: "gopher_below_alpha_threshold",
                             detail: "\(ratioText(ratio)) of words have a letter")
            }
        }
        if minStopWords > 0 {
            var found = Set<String>()
            let longest = stopWords.map(\.utf8.count).max() ?? 0
            for w in words where w.count <= longest {
                let word = String(decoding: UnsafeBufferPointer(rebasing: b[w]), as: UTF8.self)
                if stopWords.contains(word) {
                    found.insert(word)
                    if found.count >= minStopWords { break }
                }
            }
            if found.count < minStopWords {
                return .drop(reason: "gopher_enough_stop_words", detail: "\(found.count) < \(minStopWords) stop words")
            }
        }
        return .keep
    }

    static let ellipsis: [UInt8] = Array("…".utf8)
    static let bullet: [UInt8] = Array("•".utf8)
}
