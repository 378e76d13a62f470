import CorpusCore
import Foundation
import Testing
@testable import Pipeline

/// The plain definition of `trim`, on Unicode scalars: the byte implementation must equal it.
func trimReference(_ text: String, maxBlankLines: Int) -> String? {
    var out = String.UnicodeScalarView()
    var blankRun = 0
    var wroteLine = false
    for line in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false) {
        var end = line.endIndex
        while end > line.startIndex, line[line.index(before: end)].properties.isWhitespace {
            end = line.index(before: end)
        }
        if end == line.startIndex {
            blankRun += 1
            continue
        }
        if wroteLine { for _ in 0..<(1 + min(blankRun, maxBlankLines)) { out.append("\n") } }
        out.append(contentsOf: line[line.startIndex..<end])
        wroteLine = true
        blankRun = 0
    }
    return wroteLine ? String(out) : nil
}

/// The plain definition of `length`'s counts.
func lengthReference(_ text: String) -> (chars: Int, words: Int) {
    var words = 0
    var inWord = false
    for scalar in text.unicodeScalars {
        if scalar.properties.isWhitespace {
            inWord = false
        } else if [.han, .japanese].contains(Script.of(scalar)) {
            words += 1
            inWord = false
        } else if !inWord {
            inWord = true
            words += 1
        }
    }
    return (text.unicodeScalars.count, words)
}

@Suite("Stages")
struct StageTests {
    static let pieces = ["a", "word", " ", "a longer run of plain ascii words", "12345678\t\u{C}x", "\t", "\n", "\r\n", "\r", "\u{A0}", "\u{3000}", "\u{2028}", "\u{85}", "\u{2009}",
                         "\u{200B}", "é", "中文", "かな", "😀", "\u{1680}", "\u{205F}", "\u{FEFF}", "x\u{301}", "\u{B}"]

    func randomText(_ rng: inout SeededRandom) -> String {
        (0..<Int(rng.next() % 25)).map { _ in Self.pieces[Int(rng.next() % UInt64(Self.pieces.count))] }.joined()
    }

    @Test("trim equals its scalar reference on random text (property)", arguments: [0, 1, 2])
    func trimProperty(maxBlank: Int) {
        var rng = SeededRandom(seed: UInt64(10 + maxBlank))
        let trim = TrimTransform(maxBlankLines: maxBlank)
        for _ in 0..<4000 {
            let text = randomText(&rng)
            var doc = Document(id: "x", text: text)
            let decision = trim.apply(to: &doc)
            if let expected = trimReference(text, maxBlankLines: maxBlank) {
                #expect(decision == .keep && doc.text == expected && sameBytes(doc.text, expected), "\(text.debugDescription)")
            } else {
                #expect(decision == .drop(reason: "empty_after_trim", detail: "only whitespace"), "\(text.debugDescription)")
            }
        }
    }

    @Test("trim examples")
    func trimExamples() {
        var d = Document(id: "x", text: "\n\n  Title  \r\n\r\n\r\n\r\n  indented line\t\nlast   \n\n")
        #expect(TrimTransform().apply(to: &d) == .keep)
        #expect(d.text == "  Title\n\n  indented line\nlast")
    }

    @Test("length counts equal the scalar reference on random text (property)")
    func lengthProperty() {
        var rng = SeededRandom(seed: 21)
        for _ in 0..<4000 {
            let text = randomText(&rng)
            let (chars, words) = lengthReference(text)
            let doc = Document(id: "x", text: text)
            #expect(LengthFilter(minChars: chars, maxChars: chars, minWords: words, maxWords: words).evaluate(doc) == .keep)
            if words > 0 {
                #expect(LengthFilter(minWords: words + 1).evaluate(doc) != .keep)
            }
            #expect(LengthFilter(maxChars: chars - 1).evaluate(doc) != .keep || chars == 0)
        }
    }

    @Test("ASCII word starts: every byte value in every lane, both carries")
    func asciiLanes() {
        for byte in UInt8(0)..<0x80 {
            for lane in 0..<8 {
                for inWord in [false, true] {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 8)
                    bytes[lane] = byte
                    if lane != 3 { bytes[3] = 0x20 }
                    var expectedStarts = 0
                    var w = inWord
                    for b in bytes {
                        let space = b == 0x20 || (b >= 0x09 && b <= 0x0D)
                        if space { w = false } else if !w { w = true; expectedStarts += 1 }
                    }
                    let v = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                    let got = asciiWordStarts(v, inWord: inWord)
                    #expect(got?.0 == expectedStarts && got?.1 == w, "byte \(byte) lane \(lane) inWord \(inWord)")
                }
            }
        }
    }

    @Test("length: drop reasons and CJK words")
    func lengthReasons() {
        let doc = Document(id: "x", text: "one two three 长江很长")
        #expect(LengthFilter(minWords: 8).evaluate(doc) == .drop(reason: "too_few_words", detail: "7 < 8 words"))
        #expect(LengthFilter(maxWords: 6).evaluate(doc) == .drop(reason: "too_many_words", detail: "7 > 6 words"))
        #expect(LengthFilter(minChars: 100).evaluate(doc) == .drop(reason: "too_few_chars", detail: "18 < 100 characters"))
        #expect(LengthFilter(maxChars: 10).evaluate(doc) == .drop(reason: "too_many_chars", detail: "18 > 10 characters"))
    }

    @Test("script filter: reasons and shares")
    func script() {
        let f = ScriptFilter(allowed: [.latin, .han], minShare: 0.6)
        #expect(f.evaluate(Document(id: "x", text: "Hello 世界")) == .keep)
        guard case let .drop(reason, _) = f.evaluate(Document(id: "x", text: "Привет мир, hi")) else {
            Issue.record("expected a drop")
            return
        }
        #expect(reason == "script_cyrillic")
        guard case let .drop(reason2, _) = f.evaluate(Document(id: "x", text: "1234 !!! 🎉")) else {
            Issue.record("expected a drop")
            return
        }
        #expect(reason2 == "no_letters")
    }

    @Test("runStages counts changes by bytes, not canonical equivalence")
    func nfcChangeCounted() {
        struct Decompose: Transform {
            func apply(to document: inout Document) -> Decision {
                document.text = document.text.decomposedStringWithCanonicalMapping
                return .keep
            }
        }
        var doc = Document(id: "x", text: "caf\u{E9}")
        var stats = [StageStats(name: "nfd", kind: "transform")]
        #expect(runStages([Stage(name: "nfd", transform: Decompose())], on: &doc, stats: &stats) == nil)
        #expect(stats[0].changed == 1 && stats[0].bytesRemoved == -1)
    }
}

@Suite("Ledger checks")
struct LedgerCheckTests {
    func stats(_ name: String, input: Int, kept: Int) -> StageStats {
        var s = StageStats(name: name, kind: "filter")
        for _ in 0..<kept { s.recordKept(bytes: 1) }
        for _ in 0..<(input - kept) { s.recordDropped(reason: "r", bytes: 1) }
        return s
    }

    @Test("a consistent chain passes; a lost document between stages or at the output fails")
    func chain() throws {
        try checkStageChain([stats("read", input: 10, kept: 9), stats("a", input: 9, kept: 5)], written: 5)
        #expect(throws: CorpusError.stageChainBroken(stage: "a", expected: 9, found: 8)) {
            try checkStageChain([stats("read", input: 10, kept: 9), stats("a", input: 8, kept: 5)], written: 5)
        }
        #expect(throws: CorpusError.stageChainBroken(stage: "output", expected: 5, found: 4)) {
            try checkStageChain([stats("read", input: 10, kept: 9), stats("a", input: 9, kept: 5)], written: 4)
        }
        var unbalanced = stats("a", input: 9, kept: 5)
        unbalanced.input.add(bytes: 1)
        #expect(throws: CorpusError.stageUnbalanced(stage: "a", input: 10, kept: 5, dropped: 4)) {
            try checkStageChain([stats("read", input: 10, kept: 10), unbalanced], written: 5)
        }
    }
}
