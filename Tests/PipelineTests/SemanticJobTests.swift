import CorpusCore
import CorpusIO
import Embeddings
import Foundation
import Testing
@testable import Pipeline

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
