import CorpusCore

/// Keeps documents whose length lies within bounds: characters (Unicode scalars) and words.
///
/// A word is a whitespace-separated run, except that every Han or kana character counts as a word of its
/// own (Chinese and Japanese put no spaces between words), so one threshold serves mixed corpora.
/// Drop reasons: `too_few_chars`, `too_many_chars`, `too_few_words`, `too_many_words`.
public struct LengthFilter: Filter {
    public var minChars: Int
    public var maxChars: Int
    public var minWords: Int
    public var maxWords: Int

    public init(minChars: Int = 0, maxChars: Int = .max, minWords: Int = 0, maxWords: Int = .max) {
        self.minChars = minChars
        self.maxChars = maxChars
        self.minWords = minWords
        self.maxWords = maxWords
    }

    public func evaluate(_ document: Document) -> Decision {
        var chars = 0
        var words = 0
        var inWord = false
        for scalar in document.text.unicodeScalars {
            chars += 1
            let space = scalar.value < 0x80 ? (scalar == " " || (scalar.value >= 0x09 && scalar.value <= 0x0D))
                : scalar.properties.isWhitespace
            if space {
                inWord = false
            } else if scalar.value >= 0x3040, case .han = Script.of(scalar) {
                words += 1
                inWord = false
            } else if scalar.value >= 0x3040, case .japanese = Script.of(scalar) {
                words += 1
                inWord = false
            } else if !inWord {
                inWord = true
                words += 1
            }
        }
        if chars < minChars { return .drop(reason: "too_few_chars", detail: "\(chars) < \(minChars) characters") }
        if chars > maxChars { return .drop(reason: "too_many_chars", detail: "\(chars) > \(maxChars) characters") }
        if words < minWords { return .drop(reason: "too_few_words", detail: "\(words) < \(minWords) words") }
        if words > maxWords { return .drop(reason: "too_many_words", detail: "\(words) > \(maxWords) words") }
        return .keep
    }
}

/// Keeps documents written mostly in the allowed scripts.
///
/// The share of letters (Unicode scalars of a script other than `common`) that belong to an allowed script
/// must reach `minShare`. Drop reasons: `script_<dominant>` (e.g. `script_cyrillic`), `no_letters`.
public struct ScriptFilter: Filter {
    public var allowed: Set<Script>
    public var minShare: Double

    public init(allowed: Set<Script>, minShare: Double = 0.5) {
        self.allowed = allowed
        self.minShare = minShare
    }

    public func evaluate(_ document: Document) -> Decision {
        let profile = ScriptProfile(document.text)
        guard profile.letters > 0 else { return .drop(reason: "no_letters", detail: "the text has no letters") }
        let share = allowed.reduce(0.0) { $0 + profile.share(of: $1) }
        if share >= minShare { return .keep }
        let dominant = profile.dominant
        return .drop(reason: "script_\(dominant.rawValue)",
                     detail: "allowed scripts hold \(formatPercent(share * 100)) of letters (dominant: \(dominant.rawValue))")
    }
}

/// Normalizes whitespace: removes trailing spaces of every line, leading and trailing blank lines, and
/// collapses runs of blank lines to at most `maxBlankLines`; `\r\n` becomes `\n`. A document left empty is
/// dropped as `empty_after_trim`. Leading indentation and inner spaces are kept (code and poetry need them).
public struct TrimTransform: Transform {
    public var maxBlankLines: Int

    public init(maxBlankLines: Int = 1) { self.maxBlankLines = maxBlankLines }

    public func apply(to document: inout Document) -> Decision {
        // Scalars, not Characters: "\r\n" is one Character in Swift and would never split on "\n".
        var out = String.UnicodeScalarView()
        var blankRun = 0
        var wroteLine = false
        for line in document.text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false) {
            var end = line.endIndex
            while end > line.startIndex, line[line.index(before: end)].properties.isWhitespace {
                end = line.index(before: end)
            }
            if end == line.startIndex {
                blankRun += 1
                continue
            }
            if wroteLine {
                for _ in 0..<(1 + min(blankRun, maxBlankLines)) { out.append("\n") }
            }
            out.append(contentsOf: line[line.startIndex..<end])
            wroteLine = true
            blankRun = 0
        }
        guard wroteLine else { return .drop(reason: "empty_after_trim", detail: "only whitespace") }
        let trimmed = String(out)
        if !trimmed.utf8.elementsEqual(document.text.utf8) { document.text = trimmed }
        return .keep
    }
}
