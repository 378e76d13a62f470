import CorpusCore
import CorpusIO
import Foundation

/// A deterministic synthetic multi-domain corpus for `ptk demo`: web pages with URLs from several domains,
/// exact and near duplicates, boilerplate, PII, short junk, Chinese and Russian pages, and a few broken
/// records (malformed JSON, invalid UTF-8, a missing or empty text) so the ledger has something to show.
///
/// Same seed and size → the same bytes on every machine (`SeededRandom`, no clock, no locale).
public struct DemoCorpus {
    public var seed: UInt64
    public var documents: Int

    public init(seed: UInt64 = 42, documents: Int = 20_000) {
        self.seed = seed
        self.documents = documents
    }

    /// What was written.
    public struct Summary: Sendable {
        public var files: [String]
        public var records: Int
        public var bytes: Int64
    }

    /// Writes `corpus/web-00K.jsonl.zst` (four shards), `corpus/forum.jsonl.gz` and `corpus/notes/*.txt` under
    /// `folder`, and `eval/benchmark.jsonl`: a small evaluation set whose questions quote a few of the web pages,
    /// for the decontamination step to find.
    public func write(to folder: String) throws -> Summary {
        var files: [String] = []
        var records = 0
        let shards = 4
        let webCount = documents * 85 / 100
        let forumCount = documents - webCount - 5
        var rng = SeededRandom(seed: seed, stream: "demo/web")
        var history: [String] = []  // earlier texts, for exact and near duplicates
        var evalRecords: [String] = []  // opening sentences of some pages, quoted by the evaluation set
        for shard in 0..<shards {
            let name = "corpus/web-\(String(shard).leftPadded(to: 3)).jsonl.zst"
            let file = try OutputFile(path: "\(folder)/\(name)")
            var writer = JSONWriter(capacity: 1 << 20)
            let count = webCount / shards + (shard < webCount % shards ? 1 : 0)
            for i in 0..<count {
                let id = "web-\(shard)-\(String(i).leftPadded(to: 6))"
                let (url, text) = webPage(&rng, history: &history)
                if i % 499 == 17, let first = text.split(separator: "\n").first, first.split(separator: " ").count >= 30 {
                    evalRecords.append(String(first))
                }
                writeRecord(&writer, fields: [("id", .string(id)), ("text", .string(text)),
                                              ("meta", .object(meta(url: url, rng: &rng)))])
                records += 1
                if writer.bytes.count > 1 << 20 { try flush(&writer, file) }
            }
            if shard == 1 {
                // Broken records: each is read, rejected with a reason, and kept in the rejects file.
                writer.raw("{\"id\": \"broken-json\", \"text\": \"an unterminated string}\n")
                writer.rawBytes(Array("{\"id\":\"broken-utf8\",\"text\":\"caf".utf8) + [0xE9] + Array(" au lait\"}\n".utf8))
                writer.raw("{\"id\": \"no-text\", \"body\": \"the text is under another key\"}\n")
                writer.raw("{\"id\": \"empty-text\", \"text\": \"   \"}\n")
                writer.raw("[\"not\", \"an\", \"object\"]\n")
                records += 5
            }
            try flush(&writer, file)
            try file.commit()
            files.append(name)
        }
        var forumRng = SeededRandom(seed: seed, stream: "demo/forum")
        let forum = try OutputFile(path: "\(folder)/corpus/forum.jsonl.gz")
        var writer = JSONWriter(capacity: 1 << 20)
        for i in 0..<forumCount {
            let thread = forumRng.pick(DemoWords.forumTopics)
            let url = "https://forum.example.net/t/\(thread.replacingOccurrences(of: " ", with: "-"))/\(1000 + i)"
            writeRecord(&writer, fields: [("id", .number(String(i))), ("text", .string(forumPost(&forumRng))),
                                          ("url", .string(url))])
            records += 1
            if writer.bytes.count > 1 << 20 { try flush(&writer, forum) }
        }
        try flush(&writer, forum)
        try forum.commit()
        files.append("corpus/forum.jsonl.gz")
        var notesRng = SeededRandom(seed: seed, stream: "demo/notes")
        for i in 0..<5 {
            let name = "corpus/notes/note-\(i).txt"
            let text = i == 4 ? "\n\n" : (0..<(3 + i)).map { _ in paragraph(&notesRng, DemoWords.science) }
                .joined(separator: "\n\n") + "\n"
            try OutputFile.atomicWrite(path: "\(folder)/\(name)", contents: Array(text.utf8))
            files.append(name)
            records += 1
        }
        var evalWriter = JSONWriter(capacity: 1 << 16)
        for (i, quoted) in evalRecords.enumerated() {
            writeRecord(&evalWriter, fields: [("id", .string("q\(i)")),
                                              ("question", .string("Which statement does this passage make? \(quoted)")),
                                              ("answer", .string("The one in the passage."))])
        }
        try OutputFile.atomicWrite(path: "\(folder)/eval/benchmark.jsonl", contents: evalWriter.bytes)
        let bytes = files.reduce(Int64(0)) { $0 + fileSize("\(folder)/\($1)") }
        return Summary(files: files, records: records, bytes: bytes)
    }

    private func flush(_ writer: inout JSONWriter, _ file: OutputFile) throws {
        try file.write(writer.bytes)
        writer.bytes.removeAll(keepingCapacity: true)
    }

    private func writeRecord(_ writer: inout JSONWriter, fields: [(String, JSONValue)]) {
        var object = JSONObject()
        for (k, v) in fields { object.append(k, v) }
        writer.value(.object(object))
        writer.raw("\n")
    }

    private func meta(url: String, rng: inout SeededRandom) -> JSONObject {
        var object = JSONObject()
        object.append("url", .string(url))
        object.append("crawl", .string("CC-DEMO-\(2020 + Int(rng.next() % 5))"))
        object.append("fetched_bytes", .number(String(1000 + rng.next() % 90_000)))
        return object
    }

    /// One web page: mostly clean prose from a domain, sometimes a duplicate, a near duplicate, junk,
    /// boilerplate, PII, Chinese or Russian.
    private func webPage(_ rng: inout SeededRandom, history: inout [String]) -> (String, String) {
        let roll = rng.next() % 100
        let domain = rng.pick(DemoWords.domains)
        let url = "https://\(domain.host)/\(domain.path)/\(rng.pick(domain.words.nouns))-\(rng.next() % 100_000)"
        var text: String
        switch roll {
        case 0..<6 where !history.isEmpty:  // exact duplicate of an earlier page
            text = history[Int(rng.next() % UInt64(history.count))]
        case 6..<10 where !history.isEmpty:  // near duplicate: a few words changed
            var words = history[Int(rng.next() % UInt64(history.count))].split(separator: " ", omittingEmptySubsequences: false)
                .map(String.init)
            for _ in 0..<3 where !words.isEmpty { words[Int(rng.next() % UInt64(words.count))] = rng.pick(DemoWords.fillers) }
            text = words.joined(separator: " ")
        case 10..<15:  // short junk
            text = rng.pick(DemoWords.junk)
        case 15..<22:
            return ("https://zh.wikipedia.org/wiki/\(rng.next() % 100_000)", chinesePage(&rng))
        case 22..<24:
            return ("https://ru.example.org/news/\(rng.next() % 100_000)", russianPage(&rng))
        default:
            text = (0..<(2 + Int(rng.next() % 5))).map { _ in paragraph(&rng, domain.words) }.joined(separator: "\n\n")
        }
        if rng.next() % 100 < 20 { text += "\n\n" + DemoWords.boilerplate.joined(separator: "\n") }
        if rng.next() % 100 < 8 {
            text += "\n\nContact \(rng.pick(DemoWords.names).lowercased())@example.com or call +1 415-555-0\(100 + rng.next() % 900)."
        }
        if rng.next() % 100 < 3 { text += "\nServer 192.168.\(rng.next() % 255).\(rng.next() % 255) is down.   \r\n\n\n\n" }
        if history.count < 512 { history.append(text) } else { history[Int(rng.next() % 512)] = text }
        return (url, text)
    }

    func paragraph(_ rng: inout SeededRandom, _ words: DemoWords.Words) -> String {
        (0..<(3 + Int(rng.next() % 5))).map { _ in sentence(&rng, words) }.joined(separator: " ")
    }

    private func sentence(_ rng: inout SeededRandom, _ w: DemoWords.Words) -> String {
        let s: String
        switch rng.next() % 4 {
        case 0: s = "The \(rng.pick(w.adjectives)) \(rng.pick(w.nouns)) \(rng.pick(w.verbs)) the \(rng.pick(w.nouns)) \(rng.pick(DemoWords.tails))."
        case 1: s = "In \(1900 + rng.next() % 125), \(rng.pick(DemoWords.names)) \(rng.pick(w.verbs)) a \(rng.pick(w.adjectives)) \(rng.pick(w.nouns))."
        case 2: s = "Most \(rng.pick(w.nouns))s are \(rng.pick(w.adjectives)), and some of them \(rng.pick(w.verbs)) \(rng.pick(DemoWords.tails))."
        default: s = "\(rng.pick(DemoWords.openers)) the \(rng.pick(w.nouns)) that \(rng.pick(w.verbs)) every \(rng.pick(w.adjectives)) \(rng.pick(w.nouns))."
        }
        return s
    }

    private func forumPost(_ rng: inout SeededRandom) -> String {
        let lines = (0..<(2 + Int(rng.next() % 6))).map { _ in rng.pick(DemoWords.forumLines) }
        return lines.joined(separator: "\n") + (rng.next() % 4 == 0 ? "\n\n" + sentence(&rng, DemoWords.tech) : "")
    }

    private func chinesePage(_ rng: inout SeededRandom) -> String {
        (0..<(2 + Int(rng.next() % 4))).map { _ in
            (0..<(3 + Int(rng.next() % 5))).map { _ in rng.pick(DemoWords.chinese) }.joined()
        }.joined(separator: "\n\n")
    }

    private func russianPage(_ rng: inout SeededRandom) -> String {
        (0..<(4 + Int(rng.next() % 6))).map { _ in rng.pick(DemoWords.russian) }.joined(separator: " ")
    }

    /// The demo's recipe: the default cleaning pipeline. Tokenization and packing are shown in the README.
    public static func recipe(seed: UInt64) -> String {
        """
        # ptk demo recipe: read the generated corpus, clean it, write JSONL.zst shards.
        name: demo
        seed: \(seed)
        inputs:
          - path: corpus/web-*.jsonl.zst
            url_field: meta.url
            source: web
          - path: corpus/forum.jsonl.gz
            source: forum
          - path: corpus/notes
            source: notes
        reader:
          max_record_bytes: 1MiB
          invalid_utf8: reject
        steps:
          - trim:
              max_blank_lines: 1
          - length:
              min_words: 25
              max_chars: 100000
          - script:
              keep: [latin, han]
              min_share: 0.6
          - c4: {}
          - gopher_repetition: {}
          - fineweb: {}
          - exact_dedup:
              normalization: whitespace
          - minhash_dedup:
              ngram: 5
              bands: 14
              rows: 8
          - pii:
              mode: replace
          - decontaminate:
              files: [eval/benchmark.jsonl]
              fields: [question, answer]
              n: 13
        output:
          path: output
          format: jsonl.zst
          compression_level: 3
        """ + "\n"
    }
}

extension SeededRandom {
    /// A uniformly chosen element (the array must not be empty).
    mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
}
