import Cleaning
import CorpusCore
import CorpusIO
import Foundation

/// `ptk bench filters`: the datatrove-compatible quality filters by ptk against datatrove 0.10.1 on the same
/// documents, one thread each, in the same run.
///
/// The documents are real text of the multilingual corpus (scripts/multilingual-corpus.sh: the Debian Reference
/// in five languages and Chinese fortunes), cut at paragraph breaks into documents of about 2,000 characters,
/// taken from each file in turn up to `megabytes` MB. Each filter runs over all of them: ptk best of 3, datatrove
/// once (the spaCy tokenizer loaded before the clock starts, datatrove's word-split cache cleared per filter).
/// The keep/drop decisions of both sides are compared and reported with the speeds.
public struct FilterBenchmark {
    public var python: String
    public var corpus: String
    public var megabytes: Double
    public var folder: String

    public static let filters = ["gopher_quality", "gopher_repetition", "c4", "c4_badwords", "fineweb"]
    /// The bad-words list of the benchmark (written to a file for both sides).
    static let badwords = ["kernel", "shell prompt", "sudo", "größe", "测试", "virus"]

    public init(python: String, corpus: String, megabytes: Double, folder: String) {
        self.python = python
        self.corpus = corpus
        self.megabytes = max(0.1, megabytes)
        self.folder = folder
    }

    /// Documents of about 2,000 characters from each corpus file in turn.
    func documents() throws -> [Document] {
        let names = ["debian-reference.en.txt", "debian-reference.de.txt", "debian-reference.fr.txt",
                     "debian-reference.ja.txt", "debian-reference.zh-cn.txt", "fortunes-zh-chinese.txt"]
        var perFile: [[String]] = []
        for name in names {
            perFile.append(try MultilingualCorpus.documents(file: name, folder: corpus))
        }
        var out: [Document] = []
        var bytes = 0
        var k = 0
        let limit = Int(megabytes * 1e6)
        while bytes < limit {
            var added = false
            for (f, docs) in perFile.enumerated() where k < docs.count {
                out.append(Document(id: "\(names[f])#\(k)", text: docs[k]))
                bytes += docs[k].utf8.count
                added = true
                if bytes >= limit { break }
            }
            if !added { break }
            k += 1
        }
        return out
    }

    public func run(progress: (String) -> Void) throws -> String {
        let docs = try documents()
        let bytes = Double(docs.reduce(0) { $0 + $1.byteCount })
        let tokenizer: SpacyWordTokenizer
        switch SpacyWordTokenizer.english {
        case let .success(t): tokenizer = t
        case let .failure(error): throw RunError.stageFailed(file: "bench filters", underlying: "\(error)")
        }
        let badwords = C4BadWordsFilter(words: Self.badwords)
        let c4 = C4QualityTransform(tokenizer: tokenizer)
        let stages: [String: (inout Document) -> Decision] = [
            "gopher_quality": { [f = GopherQualityFilter(tokenizer: tokenizer)] in f.evaluate($0) },
            "gopher_repetition": { [f = GopherRepetitionFilter(tokenizer: tokenizer)] in f.evaluate($0) },
            "c4": { c4.apply(to: &$0) },
            "c4_badwords": { badwords.evaluate($0) },
            "fineweb": { [f = FineWebQualityFilter(tokenizer: tokenizer)] in f.evaluate($0) },
        ]
        var ours: [String: (seconds: Double, keep: [Bool])] = [:]
        for name in Self.filters {
            guard let stage = stages[name] else { continue }
            progress("ptk \(name), 1 thread …")
            var best = Double.infinity
            var keep: [Bool] = []
            for _ in 0..<3 {
                let start = DispatchTime.now().uptimeNanoseconds
                var decisions: [Bool] = []
                decisions.reserveCapacity(docs.count)
                for doc in docs {
                    var copy = doc
                    decisions.append(stage(&copy) == .keep)
                }
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                keep = decisions
            }
            ours[name] = (best, keep)
        }

        progress("datatrove 0.10.1 (Python, 1 process) on \(docs.count) documents …")
        struct Request: Encodable {
            struct Doc: Encodable { var id: String; var text: String }
            var documents: [Doc]
            var filters: [String]
            var badwords: [String]
            var timing: Int
        }
        let request = Request(documents: docs.map { .init(id: $0.id, text: $0.text) }, filters: Self.filters,
                              badwords: Self.badwords, timing: 1)
        let reference = try runBenchScript(python: python, script: "reference_datatrove.py",
                                           request: String(decoding: try JSONEncoder().encode(request), as: UTF8.self))
        let mb = bytes / 1e6
        let versions = reference.value(at: ["versions"])?.jsonText ?? "?"
        var table = "\(IOBenchmark.machineDescription())\n\n"
        table += "\(docs.count) real documents (about 2,000 characters each, Debian Reference en/de/fr/ja/zh-cn and "
            + "Chinese fortunes), \(formatFixed(mb, digits: 2)) MB; one thread each side. Reference: \(versions).\n\n"
        table += "| filter | ptk s | ptk MB/s | datatrove s | datatrove MB/s | ptk / datatrove | same keep/drop |\n"
        table += "|---|---:|---:|---:|---:|---:|---:|\n"
        for name in Self.filters {
            guard let mine = ours[name], let theirs = reference.number(at: ["seconds", name]) else { continue }
            var agree = 0
            if case let .array(rows)? = reference.value(at: ["results", name]) {
                for (k, row) in rows.enumerated() where k < mine.keep.count {
                    if case let .array(cells) = row, case let .bool(keep)? = cells.first, keep == mine.keep[k] {
                        agree += 1
                    }
                }
            }
            table += "| \(name) | \(formatFixed(mine.seconds, digits: 3)) | "
                + "\(formatFixed(mb / mine.seconds, digits: 1)) | "
                + "\(formatFixed(theirs, digits: 3)) | \(formatFixed(mb / theirs, digits: 2)) | "
                + "\(formatFixed(theirs / mine.seconds, digits: 1))× | \(agree) / \(docs.count) |\n"
        }
        return table
    }
}
