import CorpusCore

/// Drops documents that share an n-gram with an evaluation set: reason `eval_overlap`, detail
/// `<eval file>:<line> id=<id> "<n-gram>"` of the first overlap.
public struct DecontaminationFilter: Filter {
    public let index: EvalIndex

    public init(index: EvalIndex) {
        self.index = index
    }

    public func evaluate(_ document: Document) -> Decision {
        guard let m = index.matches(in: document.text, limit: 1).first else { return .keep }
        return .drop(reason: "eval_overlap", detail: DecontaminationFilter.detail(m))
    }

    static func detail(_ m: OverlapMatch) -> String {
        "\(m.record.file):\(m.record.line) id=\(m.record.id) \"\(m.ngram)\""
    }
}

/// Cuts the overlapping spans out of a document, in the manner of GPT-3 (Brown et al. 2020, appendix C).
///
/// Exactly:
/// 1. Every overlapping n-gram covers the bytes from its first word's token to its last word's token.
/// 2. Each span grows by `margin` characters (Unicode scalars) on both sides, then outward to the nearest
///    whitespace (at most 64 more bytes) so that no word is cut in two; overlapping spans merge.
/// 3. The text between spans forms the pieces; each is trimmed of surrounding whitespace. If there are more
///    than `maxPieces` pieces the document is dropped (`eval_overlap`, it is contaminated throughout).
/// 4. Pieces with fewer than `minPiece` characters are removed; the rest are joined by a blank line (`\n\n`).
///    If none is left the document is dropped (`eval_overlap`).
///
/// GPT-3 used margin 200, pieces of at least 200 characters, at most 10 pieces; those are the defaults.
public struct DecontaminationCut: Transform {
    public let index: EvalIndex
    public var margin: Int
    public var minPiece: Int
    public var maxPieces: Int

    public init(index: EvalIndex, margin: Int = 200, minPiece: Int = 200, maxPieces: Int = 10) {
        self.index = index
        self.margin = margin
        self.minPiece = minPiece
        self.maxPieces = maxPieces
    }

    public func apply(to document: inout Document) -> Decision {
        let matches = index.matches(in: document.text)
        guard let first = matches.first else { return .keep }
        let text = Array(document.text.utf8)
        var spans: [Range<Int>] = []
        for m in matches {
            let lower = widen(text, from: m.bytes.lowerBound, back: true)
            let upper = widen(text, from: m.bytes.upperBound, back: false)
            if let last = spans.last, lower <= last.upperBound {
                spans[spans.count - 1] = last.lowerBound..<max(last.upperBound, upper)
            } else {
                spans.append(lower..<upper)
            }
        }
        var pieces: [ArraySlice<UInt8>] = []
        var start = 0
        for span in spans + [text.count..<text.count] {
            var piece = text[start..<span.lowerBound]
            while let c = piece.first, isSpaceByte(c) { piece = piece.dropFirst() }
            while let c = piece.last, isSpaceByte(c) { piece = piece.dropLast() }
            if !piece.isEmpty { pieces.append(piece) }
            start = span.upperBound
        }
        if pieces.count > maxPieces {
            return .drop(reason: "eval_overlap",
                         detail: "\(pieces.count) pieces > \(maxPieces); " + DecontaminationFilter.detail(first))
        }
        let kept = pieces.filter { scalarCount($0) >= minPiece }
        guard !kept.isEmpty else {
            return .drop(reason: "eval_overlap", detail: "nothing left after cut; " + DecontaminationFilter.detail(first))
        }
        var out: [UInt8] = []
        for (k, piece) in kept.enumerated() {
            if k > 0 { out += [0x0A, 0x0A] }
            out += piece
        }
        document.text = String(decoding: out, as: UTF8.self)
        return .keep
    }

    private func widen(_ text: [UInt8], from position: Int, back: Bool) -> Int {
        var p = position
        var moved = 0
        if back {
            while p > 0, moved < margin {
                p -= 1
                if text[p] & 0xC0 != 0x80 { moved += 1 }
            }
            var extra = 0
            while p > 0, extra < 64, !isSpaceByte(text[p - 1]) || text[p] & 0xC0 == 0x80 {
                p -= 1
                extra += 1
            }
            while p > 0, p < text.count, text[p] & 0xC0 == 0x80 { p -= 1 }
        } else {
            while p < text.count, moved < margin {
                p += 1
                while p < text.count, text[p] & 0xC0 == 0x80 { p += 1 }
                moved += 1
            }
            var extra = 0
            while p < text.count, extra < 64, !isSpaceByte(text[p]) || text[p] & 0xC0 == 0x80 {
                p += 1
                extra += 1
            }
            while p < text.count, text[p] & 0xC0 == 0x80 { p += 1 }
        }
        return p
    }
}

@inline(__always) private func isSpaceByte(_ c: UInt8) -> Bool { c == 0x20 || (c >= 0x09 && c <= 0x0D) }

private func scalarCount(_ bytes: ArraySlice<UInt8>) -> Int { bytes.reduce(0) { $0 + ($1 & 0xC0 != 0x80 ? 1 : 0) } }
