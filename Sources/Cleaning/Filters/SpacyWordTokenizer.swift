import Tokenization

/// The word tokenizer of datatrove's English filters: spaCy's blank English tokenizer (`spacy.blank("en")`) and
/// its rule-based sentencizer, reimplemented on UTF-8 byte offsets.
///
/// The algorithm follows spaCy 3.8's `Tokenizer`:
/// 1. The text is cut into runs of space and non-space scalars (Python `str.isspace`); one `' '` after a word is
///    that word's trailing space, any other run of spaces is a token of its own.
/// 2. A non-space run that is a special case (tokenizer exception: `don't` → `do` `n't`, `e.g.`) becomes its
///    tokens. Otherwise prefixes and suffixes are split off repeatedly (prefix searched first, the suffix in what
///    follows it), stopping when nothing more matches or the rest (or the rest without the new prefix or suffix)
///    is a special case.
/// 3. What remains is a special case, a URL (spaCy's `url_match`), or is cut at the infix matches (hyphens
///    between letters, `.` between a lower- and an upper-case letter, ellipses, …), an infix at position 0 ignored.
/// 4. Special cases whose text the affix rules would split (`:)`, `a.m.`) are found again over the token
///    sequence, longest first, and re-tokenized as the exception says.
///
/// The rule data (affix and URL patterns, 1,347 exceptions, sentence punctuation) is spaCy's, so it is not in this
/// repository: scripts/word-rules.sh extracts it from the pinned package into a JSON file read at run time
/// (`WordRules`); the patterns run on PCRE2 (`AffixRegex`) with
/// the same leftmost-first semantics as Python's `re` (`search` for suffixes, `finditer` for infixes). Runs of ASCII
/// letters only or digits only, most words of English text, cannot match any affix or URL rule and skip the
/// regexes.
///
/// Sentences follow spaCy's `Sentencizer`: a sentence starts at the first token that is neither punctuation
/// (every scalar of category P) nor a sentence-final character, after a sentence-final token (`.`, `!`, `?`
/// and the other scripts' stops).
public struct SpacyWordTokenizer: Sendable {
    private let prefix: AffixRegex
    private let suffix: AffixRegex
    private let infix: AffixRegex
    private let url: AffixRegex
    /// Special case → byte lengths of its tokens.
    private let specials: [String: [Int]]
    private let longestSpecial: Int
    /// (first byte, byte length) pairs of the special cases, `first * 64 + length` (lengths below 64): most
    /// spans are not special and skip building a string for the lookup.
    private let specialShapes: [Bool]
    /// First bytes of the first tokens of `rematch`.
    private var rematchFirstBytes: [Bool]
    /// Special cases the affix rules split, by their first token: (token texts, special case).
    private var rematch: [String: [(tokens: [String], key: String)]]
    private let sentencePunctuation: Set<String>

    /// The shared English tokenizer from `WordRules.shared`, or why it is unavailable (no rules file, or a pattern
    /// that does not compile).
    public static let english: Result<SpacyWordTokenizer, WordRules.Missing> = WordRules.shared.flatMap { rules in
        do throws(WordRules.Missing) { return .success(try SpacyWordTokenizer(rules: rules)) } catch {
            return .failure(error)
        }
    }

    public init(rules: WordRules, path: String = WordRules.defaultPath) throws(WordRules.Missing) {
        func compile(_ pattern: String, _ name: String) throws(WordRules.Missing) -> AffixRegex {
            guard let regex = AffixRegex(pattern: pattern) else {
                throw WordRules.Missing(path: path, reason: "its \(name) pattern does not compile on PCRE2")
            }
            return regex
        }
        prefix = try compile(rules.prefixPattern, "prefix")
        suffix = try compile(rules.suffixPattern, "suffix")
        infix = try compile(rules.infixPattern, "infix")
        url = try compile(rules.urlPattern, "URL")
        var specials: [String: [Int]] = [:]
        var longest = 0
        for (key, parts) in rules.specials {
            specials[key] = parts.map { $0.utf8.count }
            longest = max(longest, key.utf8.count)
        }
        self.specials = specials
        longestSpecial = min(longest, 63)
        var shapes = [Bool](repeating: false, count: 256 * 64)
        for (key, _) in rules.specials where key.utf8.count < 64 {
            shapes[Int(key.utf8.first ?? 0) * 64 + key.utf8.count] = true
        }
        specialShapes = shapes
        rematchFirstBytes = [Bool](repeating: false, count: 256)
        sentencePunctuation = Set(rules.sentencePunctuation)
        rematch = [:]
        // spaCy (faster_heuristics) re-matches a special case over the tokens when an affix rule or a space
        // would split it; the pattern is its tokenization without special cases.
        var rematch: [String: [(tokens: [String], key: String)]] = [:]
        for (key, _) in rules.specials {
            let bytes = Array(key.utf8)
            let scratch = makeScratch()
            let split: Bool = bytes.withUnsafeBufferPointer { b in
                let all = 0..<b.count
                return findPrefix(b, all, scratch) > 0 || !infix.allMatches(b, all, scratch.infix).isEmpty
                    || findSuffix(b, all, scratch) > 0 || bytes.contains(0x20)
            }
            guard split else { continue }
            let tokens: [String] = bytes.withUnsafeBufferPointer { b in
                tokenizeAffixes(b, 0..<b.count, withSpecials: false, scratch).map {
                    String(decoding: UnsafeBufferPointer(rebasing: b[$0]), as: UTF8.self)
                }
            }
            guard let first = tokens.first else { continue }
            rematch[first, default: []].append((tokens, key))
        }
        self.rematch = rematch
        var firsts = [Bool](repeating: false, count: 256)
        for key in rematch.keys { firsts[Int(key.utf8.first ?? 0)] = true }
        rematchFirstBytes = firsts
    }

    /// The tokens of `b` as byte ranges, whitespace tokens included, as `nlp.tokenizer(text)` makes them.
    public func tokenize(_ b: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var tokens = tokenizeAffixes(b, 0..<b.count, withSpecials: true, makeScratch())
        if !rematch.isEmpty { applySpecialCases(b, &tokens) }
        return tokens
    }

    /// datatrove's `split_into_words`: the token texts, stripped, empty ones left out. Tokens hold no space
    /// scalars except whitespace tokens, so this is the non-whitespace tokens.
    public func words(_ b: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        tokenize(b).filter { !isWhitespaceToken(b, $0) }
    }

    /// Words of a `String`, as strings (tests and tools).
    public func words(_ text: String) -> [String] {
        var copy = text
        return copy.withUTF8 { b in
            words(b).map { String(decoding: UnsafeBufferPointer(rebasing: b[$0]), as: UTF8.self) }
        }
    }

    /// The number of sentences of `b` (a byte range of it) as datatrove's `split_into_sentences` returns them:
    /// the sentencizer's sentences, at least 1.
    public func sentenceCount(_ b: UnsafeBufferPointer<UInt8>) -> Int {
        let tokens = tokenize(b)
        var count = 1
        var seenPeriod = false
        for token in tokens {
            let isStop = isSentencePunctuation(b, token)
            if seenPeriod && !isStop && !isPunct(b, token) {
                count += 1
                seenPeriod = false
            } else if isStop {
                seenPeriod = true
            }
        }
        return count
    }

    // MARK: - Tokenizer

    private func isWhitespaceToken(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        let (v, _) = PythonText.decode(b, r.lowerBound)
        return PythonText.isSpace(v)
    }

    private func isSentencePunctuation(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        guard r.count <= 4 else { return false }
        return sentencePunctuation.contains(String(decoding: UnsafeBufferPointer(rebasing: b[r]), as: UTF8.self))
    }

    /// spaCy's `is_punct`: every scalar of general category P*.
    private func isPunct(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        var i = r.lowerBound
        while i < r.upperBound {
            let (v, n) = PythonText.decode(b, i)
            guard let scalar = Unicode.Scalar(v) else { return false }
            switch scalar.properties.generalCategory {
            case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
                 .initialPunctuation, .finalPunctuation, .otherPunctuation:
                break
            default:
                return false
            }
            i += n
        }
        return true
    }

    private func special(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> [Int]? {
        guard r.count <= longestSpecial, !r.isEmpty, specialShapes[Int(b[r.lowerBound]) * 64 + r.count] else {
            return nil
        }
        return specials[String(decoding: UnsafeBufferPointer(rebasing: b[r]), as: UTF8.self)]
    }

    /// Match data for one tokenization (one thread).
    struct Scratch {
        var prefix, suffix, infix, url: AffixRegex.Scratch
    }

    private func makeScratch() -> Scratch {
        Scratch(prefix: prefix.scratch(), suffix: suffix.scratch(), infix: infix.scratch(), url: url.scratch())
    }

    private func findPrefix(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ scratch: Scratch) -> Int {
        guard let m = prefix.firstMatch(b, r, anchored: true, scratch.prefix), m.lowerBound == 0 else { return 0 }
        return m.count
    }

    /// Bytes searched at the end of a span before the whole span: more than any suffix rule matches, except a
    /// run of dots (`\.\.+`), which is found at the window's start and sends the search to the whole span.
    private static let suffixWindow = 48

    /// `suffix_search`: the leftmost match, which ends at the end of the span. Every suffix rule but the run of
    /// dots matches at most a few scalars, so the search starts near the end; a match at the window's start
    /// may have a longer one before it and is searched again from the span's start.
    private func findSuffix(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ scratch: Scratch) -> Int {
        guard !r.isEmpty else { return 0 }
        var from = max(0, r.count - Self.suffixWindow)
        while from > 0, b[r.lowerBound + from] & 0xC0 == 0x80 { from -= 1 }
        var found = suffix.firstMatch(b, r, from: from, scratch.suffix)
        if from > 0, let m = found, m.lowerBound == from { found = suffix.firstMatch(b, r, from: 0, scratch.suffix) }
        guard let m = found, m.upperBound == r.count else { return 0 }
        return m.count
    }

    private func isURL(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ scratch: Scratch) -> Bool {
        guard let m = url.firstMatch(b, r, anchored: true, scratch.url) else { return false }
        return m.lowerBound == 0 && m.upperBound == r.count
    }

    /// Runs of ASCII letters only, or ASCII digits only, match no affix, infix or URL rule.
    private func isPlain(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        var letters = false, digits = false
        for i in r {
            let c = b[i]
            if (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A { letters = true } else if c >= 0x30 && c <= 0x39 {
                digits = true
            } else {
                return false
            }
        }
        return !(letters && digits)
    }

    private func tokenizeAffixes(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, withSpecials: Bool,
                                 _ scratch: Scratch) -> [Range<Int>]
    {
        var tokens: [Range<Int>] = []
        guard !range.isEmpty else { return tokens }
        tokens.reserveCapacity(range.count / 4)
        var i = range.lowerBound
        var start = i
        var inSpace = PythonText.isSpace(PythonText.decode(b, i).0)
        while i < range.upperBound {
            let (v, n) = PythonText.decode(b, i)
            if PythonText.isSpace(v) != inSpace {
                if start < i { span(b, start..<i, withSpecials, scratch, &tokens) }
                start = v == 0x20 ? i + 1 : i
                inSpace.toggle()
            }
            i += n
        }
        if start < i { span(b, start..<i, withSpecials, scratch, &tokens) }
        return tokens
    }

    private func span(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ withSpecials: Bool, _ scratch: Scratch,
                      _ tokens: inout [Range<Int>])
    {
        if withSpecials, let parts = special(b, r) {
            appendParts(parts, at: r.lowerBound, &tokens)
            return
        }
        if isPlain(b, r) {
            tokens.append(r)
            return
        }
        // Affixes.
        var s = r.lowerBound, e = r.upperBound
        var prefixes: [Range<Int>] = []
        var suffixes: [Range<Int>] = []
        var lastSize = -1
        while s < e && e - s != lastSize {
            if withSpecials && special(b, s..<e) != nil { break }
            lastSize = e - s
            let pre = findPrefix(b, s..<e, scratch)
            if pre != 0, s + pre < e, withSpecials, special(b, (s + pre)..<e) != nil {
                prefixes.append(s..<(s + pre))
                s += pre
                break
            }
            let suf = findSuffix(b, (s + pre)..<e, scratch)
            if suf != 0, s < e - suf, withSpecials, special(b, s..<(e - suf)) != nil {
                suffixes.append((e - suf)..<e)
                e -= suf
                break
            }
            if pre != 0 && suf != 0 && pre + suf <= e - s {
                prefixes.append(s..<(s + pre))
                suffixes.append((e - suf)..<e)
                s += pre
                e -= suf
            } else if pre != 0 {
                prefixes.append(s..<(s + pre))
                s += pre
            } else if suf != 0 {
                suffixes.append((e - suf)..<e)
                e -= suf
            }
        }
        tokens.append(contentsOf: prefixes)
        if s < e {
            if withSpecials, let parts = special(b, s..<e) {
                appendParts(parts, at: s, &tokens)
            } else if isPlain(b, s..<e) || isURL(b, s..<e, scratch) {
                tokens.append(s..<e)
            } else {
                let matches = infix.allMatches(b, s..<e, scratch.infix)
                var start = 0
                for m in matches {
                    if m.lowerBound == 0 { continue }
                    if m.lowerBound != start { tokens.append((s + start)..<(s + m.lowerBound)) }
                    if !m.isEmpty { tokens.append((s + m.lowerBound)..<(s + m.upperBound)) }
                    start = m.upperBound
                }
                if s + start < e { tokens.append((s + start)..<e) }
            }
        }
        tokens.append(contentsOf: suffixes.reversed())
    }

    private func appendParts(_ parts: [Int], at start: Int, _ tokens: inout [Range<Int>]) {
        var p = start
        for length in parts {
            tokens.append(p..<(p + length))
            p += length
        }
    }

    /// spaCy's `_apply_special_cases`: every occurrence of a re-matched special case's token sequence, longest
    /// (then leftmost) first, overlapping ones dropped; those whose text is the special case exactly (no space
    /// between the tokens) become its tokens.
    private func applySpecialCases(_ b: UnsafeBufferPointer<UInt8>, _ tokens: inout [Range<Int>]) {
        var found: [(start: Int, end: Int, key: String)] = []
        for (index, token) in tokens.enumerated() {
            guard token.count <= longestSpecial, rematchFirstBytes[Int(b[token.lowerBound])] else { continue }
            let text = String(decoding: UnsafeBufferPointer(rebasing: b[token]), as: UTF8.self)
            guard let candidates = rematch[text] else { continue }
            for candidate in candidates where index + candidate.tokens.count <= tokens.count {
                var ok = true
                for (k, part) in candidate.tokens.enumerated().dropFirst() {
                    let t = tokens[index + k]
                    if t.count != part.utf8.count
                        || String(decoding: UnsafeBufferPointer(rebasing: b[t]), as: UTF8.self) != part
                    {
                        ok = false
                        break
                    }
                }
                if ok { found.append((index, index + candidate.tokens.count, candidate.key)) }
            }
        }
        guard !found.isEmpty else { return }
        found.sort { a, c in
            let la = a.end - a.start, lc = c.end - c.start
            return la == lc ? c.start < a.start : la < lc
        }
        var seen = Set<Int>()
        var kept: [(start: Int, end: Int, key: String)] = []
        for m in found.reversed() {
            if !seen.contains(m.start) && !seen.contains(m.end - 1) { kept.append(m) }
            for t in m.start..<m.end { seen.insert(t) }
        }
        kept.sort { $0.start < $1.start }
        var out: [Range<Int>] = []
        out.reserveCapacity(tokens.count)
        var i = 0
        var k = 0
        while i < tokens.count {
            if k < kept.count, kept[k].start == i {
                let m = kept[k]
                k += 1
                let whole = tokens[m.start].lowerBound..<tokens[m.end - 1].upperBound
                let text = String(decoding: UnsafeBufferPointer(rebasing: b[whole]), as: UTF8.self)
                if text == m.key, let parts = specials[text] {
                    appendParts(parts, at: whole.lowerBound, &out)
                } else {
                    out.append(contentsOf: tokens[m.start..<m.end])
                }
                i = m.end
            } else {
                out.append(tokens[i])
                i += 1
            }
        }
        tokens = out
    }
}
