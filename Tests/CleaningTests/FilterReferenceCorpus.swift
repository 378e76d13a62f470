import CorpusIO
import Foundation
import ReferenceSupport
import Testing

/// The documents the quality filters are compared on with datatrove: real multilingual text cut into documents
/// of varied sizes, and synthetic pages built to trigger every rule of every filter. Deterministic.
enum FilterReferenceCorpus {
    struct Doc: Codable {
        var id: String
        var text: String
    }

    /// $PTK_CORPUS_DIR, else ~/.cache/ptk/multilingual-corpus.
    static var folder: String {
        MultilingualCorpus.folder
    }

    static let files = [
        "debian-reference.en.txt", "debian-reference.de.txt", "debian-reference.fr.txt", "debian-reference.ja.txt",
        "debian-reference.zh-cn.txt", "fortunes-zh-chinese.txt", "fortunes-zh-song100.txt", "fortunes-zh-tang300.txt",
    ]

    /// Real documents: per file, single lines, groups of 1–6 paragraphs and whole sections (15–50 paragraphs),
    /// `perFile` of them, taken at pseudo-random places.
    static func real(perFile: Int) throws -> [Doc] {
        var docs: [Doc] = []
        var random = SplitMix(seed: 20_261_124)
        for file in files {
            let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
            let paragraphs = text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
            let lines = text.components(separatedBy: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            guard !paragraphs.isEmpty, !lines.isEmpty else { continue }
            for k in 0..<perFile {
                let kind = k % 5
                let text: String
                switch kind {
                case 0:
                    text = lines[random.next(lines.count)]
                case 1, 2, 3:
                    let count = 1 + random.next(6)
                    let start = random.next(paragraphs.count)
                    text = paragraphs[start..<min(paragraphs.count, start + count)].joined(separator: "\n\n")
                default:
                    let count = 15 + random.next(36)
                    let start = random.next(paragraphs.count)
                    text = paragraphs[start..<min(paragraphs.count, start + count)].joined(separator: "\n\n") + "\n"
                }
                docs.append(Doc(id: "\(file)#\(k)", text: text))
            }
        }
        return docs
    }

    /// Synthetic English pages, each built to trip (or just pass) one rule.
    static func synthetic(count: Int) -> [Doc] {
        var random = SplitMix(seed: 7)
        let vocabulary = """
            the of and to in that have with be for it on as was by at from this not are or but which one all were \
            when there can more has been its who will would about into than some time people could them other \
            system package command file user network kernel debian install configure shell program text data \
            mountain river evening garden window history question answer simple little different following
            """.split(separator: " ").map(String.init)
        let noStop = ["system", "package", "command", "file", "user", "network", "kernel", "install", "shell"]
        func sentence(_ n: Int, words: [String] = vocabulary) -> String {
            var w = (0..<n).map { _ in words[random.next(words.count)] }
            w[0] = w[0].prefix(1).uppercased() + w[0].dropFirst()
            let end = [".", ".", ".", "?", "!", "\"", "'", "…", "...", ":", ""][random.next(11)]
            return w.joined(separator: " ") + end
        }
        func paragraph(_ sentences: Int) -> String {
            (0..<sentences).map { _ in sentence(4 + random.next(14)) }.joined(separator: " ")
        }
        var docs: [Doc] = []
        for k in 0..<count {
            var lines: [String] = []
            switch k % 24 {
            case 0:  // plain prose, several paragraphs
                lines = (0..<(2 + random.next(6))).map { _ in paragraph(2 + random.next(6)) + "\n" }
            case 1:  // bullets
                lines = (0..<(5 + random.next(20))).map { _ in
                    ["- ", "• ", "  - ", "* "][random.next(4)] + sentence(3 + random.next(8))
                }
            case 2:  // lines ending with an ellipsis
                lines = (0..<(5 + random.next(20))).map { _ in
                    sentence(4 + random.next(8)) + (random.next(2) == 0 ? "..." : " …")
                }
            case 3:  // repeated lines
                let base = (0..<(3 + random.next(5))).map { _ in sentence(5 + random.next(8)) }
                lines = (0..<(8 + random.next(20))).map { _ in base[random.next(base.count)] }
            case 4:  // repeated paragraphs
                let base = (0..<(2 + random.next(3))).map { _ in paragraph(2 + random.next(3)) }
                lines = (0..<(4 + random.next(8))).flatMap { _ in [base[random.next(base.count)], ""] }
            case 5:  // repeated n-grams within prose
                let phrase = sentence(2 + random.next(9)).dropLast()
                lines = (0..<(3 + random.next(6))).map { _ in
                    paragraph(2) + " " + String(repeating: phrase + " ", count: 1 + random.next(6))
                }
            case 6:  // lorem ipsum
                lines = (0..<(6 + random.next(6))).map { _ in paragraph(1) }
                lines.insert("Lorem ipsum dolor sit amet, consectetur adipiscing elit.", at: random.next(lines.count))
            case 7:  // curly brackets / code
                lines = (0..<(6 + random.next(6))).map { _ in paragraph(1) }
                lines.insert(
                    "The function returns { value: 1 } to the caller of the routine.", at: random.next(lines.count))
            case 8:  // javascript and policy lines
                lines = (0..<(6 + random.next(8))).map { _ in paragraph(1) }
                lines.insert("Please enable JavaScript in your browser to see this page.", at: random.next(lines.count))
                lines.insert(
                    "By using this site you agree to the Terms of Use and Privacy Policy.", at: random.next(lines.count)
                )
                lines.insert(
                    "This website uses cookies to improve the experience of the user.", at: random.next(lines.count))
            case 9:  // short lines (navigation menus)
                lines = (0..<(10 + random.next(30))).map { _ in vocabulary[random.next(vocabulary.count)].capitalized }
                if random.next(2) == 0 { lines += (0..<3).map { _ in paragraph(2) } }
            case 10:  // no stop words
                lines = (0..<(3 + random.next(5))).map { _ in
                    (0..<8).map { _ in sentence(4 + random.next(8), words: noStop) }.joined(separator: " ")
                }
            case 11:  // hashes and numbers (non-alpha words)
                lines = (0..<(4 + random.next(8))).map { _ in
                    "#\(random.next(100)) "
                        + (0..<(5 + random.next(10))).map { _ in
                            random.next(3) == 0 ? "\(random.next(100000))" : vocabulary[random.next(vocabulary.count)]
                        }.joined(separator: " ") + "."
                }
            case 12:  // citations and a long word
                lines = (0..<(6 + random.next(6))).map { _ in
                    paragraph(1) + ["[1]", "[edit]", "[citation needed]", "[12]", "[]", ""][random.next(6)]
                }
                if random.next(3) == 0 {
                    lines.insert("A " + String(repeating: "x", count: 1001) + " word is here.", at: 0)
                }
            case 13:  // very short doc
                lines = [sentence(3 + random.next(20))]
            case 14:  // long words / short words
                lines = (0..<(4 + random.next(4))).map { _ in
                    (0..<20).map { _ in random.next(2) == 0 ? "internationalization" : "a" }.joined(separator: " ")
                        + " the and of."
                }
            case 15:  // contractions, abbreviations, URLs, emoticons, numbers with units
                lines = (0..<(5 + random.next(8))).map { _ in
                    paragraph(1) + " "
                        + [
                            "Don't stop, it's e.g. 5km away at https://example.com/a?b=1.",
                            "We'll see U.S. results (i.e. 3.5GB) :) at 10 a.m. today!",
                            "She said \"can't\" -- twice... and left; it's 20°C.",
                            "Email me at someone@example.org or visit www.debian.org/doc.",
                            "The 1990s' well-known state-of-the-art co-op's rock'n'roll.",
                        ][random.next(5)]
                }
            case 16:  // Windows line ends, tabs, odd spaces
                lines = (0..<(5 + random.next(8))).map { _ in
                    paragraph(1) + ["\r", "\t", " \u{a0}", "  ", "\u{2028}"][random.next(5)]
                }
            case 17:  // terminal punctuation variety, quotes
                lines = (0..<(6 + random.next(8))).map { _ in
                    "“" + sentence(5 + random.next(8)) + "”" + ["", ".", "!", "?\""][random.next(4)]
                }
            case 18:  // newline-heavy list
                lines = (0..<(20 + random.next(30))).map { _ in
                    random.next(3) == 0
                        ? ""
                        : vocabulary[random.next(vocabulary.count)] + " " + vocabulary[random.next(vocabulary.count)]
                }
            case 19:  // one line repeated many times with punctuation
                let line = sentence(6 + random.next(6))
                lines =
                    Array(repeating: line, count: 2 + random.next(4))
                    + (0..<(8 + random.next(8))).map { _ in sentence(6 + random.next(10)) }
            case 20:  // mixed languages
                lines = (0..<(4 + random.next(6))).map { _ in
                    paragraph(1) + " Größe der Änderung — c'est-à-dire l'été. 这是一个测试。テストです。"
                }
            case 21:  // blank text variants
                lines = [["", " ", "\n\n", "\t\n ", "...", "# # #"][random.next(6)]]
            case 22:  // empty lines around, leading/trailing whitespace
                lines = ["", "   "] + (0..<(5 + random.next(6))).map { _ in "  " + paragraph(1) + "  " } + ["", ""]
            default:  // hyphenated and dotted tokens, mixed case
                lines = (0..<(5 + random.next(8))).map { _ in
                    paragraph(1)
                        + " The well-known X.Y.Z release—v2.1.3-beta—ran on node-1.example.COM; see ver.Two and 3-4 runs."
                }
            }
            docs.append(Doc(id: "synthetic#\(k)", text: lines.joined(separator: "\n")))
        }
        return docs
    }

    /// All documents of the reference comparisons.
    static func all() throws -> [Doc] {
        // One page over gopher_quality's 100,000-word bound.
        let long = Doc(
            id: "synthetic#long", text: (0..<20_001).map { "The cat sat on mat \($0 % 97)." }.joined(separator: " "))
        return try real(perFile: 340) + synthetic(count: 480) + [long]
    }
}

/// A small deterministic generator (SplitMix64).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func next(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// datatrove's answers (scripts/reference_datatrove.py).
struct DatatroveRequest: Encodable {
    var documents: [FilterReferenceCorpus.Doc]
    var filters: [String]
    var badwords: [String]?
    var tokenize: Bool?
}

struct DatatroveAnswer: Decodable {
    /// Per filter, per document: [keep, reason or null, text or null].
    var results: [String: [[Entry]]]?
    var tokens: [[String]]?
    var words: [[String]]?
    var sentences: [Int]?

    enum Entry: Decodable, Equatable {
        case bool(Bool)
        case string(String)
        case null
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() {
                self = .null
            } else if let b = try? c.decode(Bool.self) {
                self = .bool(b)
            } else {
                self = .string(try c.decode(String.self))
            }
        }
        var string: String? { if case .string(let s) = self { s } else { nil } }
        var bool: Bool { if case .bool(let b) = self { b } else { false } }
    }
}
