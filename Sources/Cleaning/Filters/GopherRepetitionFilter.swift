import CorpusCore

/// Gopher's repetition rules as datatrove 0.10.1's `GopherRepetitionFilter` applies them; fractions are of the
/// text's length in scalars. A fraction of 0 turns its rule off.
///
/// In datatrove's order:
/// - paragraphs (the stripped text cut at runs of two or more `\n`) seen before: their share above `dupParaFrac`
///   (`dup_para_frac`), their characters above `dupParaCharFrac` (`dup_para_char_frac`);
/// - lines (cut at runs of `\n`) seen before: `dup_line_frac`, `dup_line_char_frac`;
/// - for n in `topNGrams`: the most frequent word n-gram (words joined by a space; ties: the first seen), its
///   length times its count, above the fraction (`top_<n>_gram`);
/// - for n in `dupNGrams`: characters of n-grams (words joined without a space) seen before, scanning left to
///   right and jumping over a repeated n-gram, above the fraction (`duplicated_<n>_n_grams`).
/// An empty text is dropped as `empty`.
public struct GopherRepetitionFilter: Filter {
    public var dupLineFrac = 0.3
    public var dupParaFrac = 0.3
    public var dupLineCharFrac = 0.2
    public var dupParaCharFrac = 0.2
    public var topNGrams: [(Int, Double)] = [(2, 0.2), (3, 0.18), (4, 0.16)]
    public var dupNGrams: [(Int, Double)] = [(5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10)]
    let tokenizer: SpacyWordTokenizer

    public init(tokenizer: SpacyWordTokenizer) { self.tokenizer = tokenizer }

    public func evaluate(_ document: Document) -> Decision {
        document.text.withBytes { evaluate($0) }
    }

    func evaluate(_ b: UnsafeBufferPointer<UInt8>) -> Decision {
        if b.isEmpty { return .drop(reason: "empty", detail: "empty text") }
        let textLength = Double(PythonText.length(b, 0..<b.count))
        // Paragraphs of the stripped text.
        let stripped = PythonText.strip(b, 0..<b.count)
        let paragraphs = split(b, stripped, minNewlines: 2)
        let (paraDup, paraChars) = findDuplicates(b, paragraphs)
        if dupParaFrac > 0 && Double(paraDup) / Double(paragraphs.count) > dupParaFrac {
            return .drop(reason: "dup_para_frac", detail: "\(paraDup) of \(paragraphs.count) paragraphs repeat")
        }
        if dupParaCharFrac > 0 && Double(paraChars) / textLength > dupParaCharFrac {
            return .drop(reason: "dup_para_char_frac", detail: "\(paraChars) characters in repeated paragraphs")
        }
        let lines = split(b, 0..<b.count, minNewlines: 1)
        let (lineDup, lineChars) = findDuplicates(b, lines)
        if dupLineFrac > 0 && Double(lineDup) / Double(lines.count) > dupLineFrac {
            return .drop(reason: "dup_line_frac", detail: "\(lineDup) of \(lines.count) lines repeat")
        }
        if dupLineCharFrac > 0 && Double(lineChars) / textLength > dupLineCharFrac {
            return .drop(reason: "dup_line_char_frac", detail: "\(lineChars) characters in repeated lines")
        }
        let words = tokenizer.words(b)
        if words.isEmpty { return .keep }
        // The words joined by spaces and without, with offsets, and prefix sums of their lengths in scalars.
        var spaced: [UInt8] = [], joined: [UInt8] = []
        spaced.reserveCapacity(b.count + words.count)
        joined.reserveCapacity(b.count)
        var spacedStart: [Int] = [], joinedStart: [Int] = [], charsBefore: [Int] = [0]
        spacedStart.reserveCapacity(words.count + 1)
        joinedStart.reserveCapacity(words.count + 1)
        for w in words {
            spacedStart.append(spaced.count)
            joinedStart.append(joined.count)
            spaced.append(contentsOf: UnsafeBufferPointer(rebasing: b[w]))
            spaced.append(0x20)
            joined.append(contentsOf: UnsafeBufferPointer(rebasing: b[w]))
            charsBefore.append(charsBefore[charsBefore.count - 1] + PythonText.length(b, w))
        }
        spacedStart.append(spaced.count)
        joinedStart.append(joined.count)
        let count = words.count
        let decision: Decision? = spaced.withUnsafeBufferPointer { sp in
            for (n, frac) in topNGrams where n > 0 && count >= n {
                var counts: [ByteSpan: (count: Int, first: Int)] = [:]
                counts.reserveCapacity(count)
                for i in 0...(count - n) {
                    let key = ByteSpan(sp, spacedStart[i]..<(spacedStart[i + n] - 1))
                    if let seen = counts[key] {
                        counts[key] = (seen.count + 1, seen.first)
                    } else {
                        counts[key] = (1, i)
                    }
                }
                var best = (count: 0, first: Int.max)
                for (_, v) in counts where v.count > best.count || (v.count == best.count && v.first < best.first) {
                    best = v
                }
                let length = charsBefore[best.first + n] - charsBefore[best.first] + (n - 1)
                let share = Double(length * best.count) / textLength
                if share > frac {
                    return .drop(reason: "top_\(n)_gram", detail: "the top \(n)-gram covers \(ratioText(share))")
                }
            }
            return nil
        }
        if let decision { return decision }
        return joined.withUnsafeBufferPointer { jb -> Decision in
            for (n, frac) in dupNGrams where n > 0 {
                var unique = Set<ByteSpan>(minimumCapacity: count)
                var repeated = 0
                var i = 0
                while i < count - n + 1 {
                    if !unique.insert(ByteSpan(jb, joinedStart[i]..<joinedStart[i + n])).inserted {
                        repeated += charsBefore[i + n] - charsBefore[i]
                        i += n
                    } else {
                        i += 1
                    }
                }
                let share = Double(repeated) / textLength
                if share > frac {
                    return .drop(reason: "duplicated_\(n)_n_grams",
                                 detail: "repeated \(n)-grams cover \(ratioText(share))")
                }
            }
            return .keep
        }
    }

    /// `re.split("\n{k,}", text)` over a byte range.
    private func split(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, minNewlines: Int) -> [Range<Int>] {
        var parts: [Range<Int>] = []
        var start = range.lowerBound
        var i = range.lowerBound
        while i < range.upperBound {
            if b[i] == 0x0A {
                var j = i
                while j < range.upperBound, b[j] == 0x0A { j += 1 }
                if j - i >= minNewlines {
                    parts.append(start..<i)
                    start = j
                }
                i = j
            } else {
                i += 1
            }
        }
        parts.append(start..<range.upperBound)
        return parts
    }
}
