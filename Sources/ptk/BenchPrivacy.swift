import ArgumentParser
import Cleaning
import CorpusCore
import CorpusIO
import Foundation
import Pipeline

struct BenchPrivacy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "privacy",
        abstract: "Single-thread MB/s of pii, decontaminate and language on the multilingual corpus.",
        discussion: """
            Documents are the corpus files cut into ~2,000-character pieces at paragraph breaks. decontaminate \
            uses every 10th English paragraph of ≥ 200 characters as its evaluation set (so some documents \
            overlap); language uses a model trained in the run on 4/5 of the paragraphs (training time reported).
            """)

    @Option(help: ArgumentHelp("Folder of the multilingual corpus (scripts/multilingual-corpus.sh; default "
                               + "$PTK_CORPUS_DIR or ~/.cache/ptk/multilingual-corpus)."))
    var corpus: String?

    @Option(help: "Timed repetitions (the best is reported).")
    var repeats = 3

    func run() throws {
        let folder = corpus ?? MultilingualCorpus.folder
        do {
            let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".txt") }.sorted()
            var documents: [Document] = []
            var paragraphs: [(text: String, language: String)] = []
            var evalTexts: [String] = []
            for name in names {
                let text = try String(contentsOfFile: folder + "/" + name, encoding: .utf8)
                let language = name.hasPrefix("fortunes-zh") ? "zh"
                    : String(name.dropFirst("debian-reference.".count).dropLast(4)).replacingOccurrences(of: "-cn", with: "")
                var current = ""
                for (k, paragraph) in text.components(separatedBy: "\n\n").enumerated() where !paragraph.isEmpty {
                    if k % 5 != 4 { paragraphs.append((paragraph, language)) }
                    if language == "en", k % 10 == 0, paragraph.count >= 200 { evalTexts.append(paragraph) }
                    current += paragraph + "\n\n"
                    if current.count > 2000 {
                        documents.append(Document(id: "\(name):\(documents.count)", text: current))
                        current = ""
                    }
                }
                if !current.isEmpty { documents.append(Document(id: "\(name):\(documents.count)", text: current)) }
            }
            let bytes = documents.reduce(0) { $0 + $1.byteCount }
            var index = try EvalIndex(n: 13)
            for (k, t) in evalTexts.enumerated() { index.add(t, record: EvalRecord(file: "bench", line: k + 1, id: "\(k)")) }
            let clock = ContinuousClock()
            let trainStart = clock.now
            let model = try LanguageModel.train(paragraphs)
            let trainSeconds = seconds(clock.now - trainStart)
            let stages: [(String, StageKind)] = [
                ("pii (replace, all kinds)", .transform(PIIScrubber())),
                ("pii (drop, all kinds)", .filter(PIIFilter())),
                ("pii (email + ip only)", .transform(PIIScrubber(kinds: [.email, .ip]))),
                ("decontaminate (drop, n = 13)", .filter(DecontaminationFilter(index: index))),
                ("decontaminate (cut, n = 13)", .transform(DecontaminationCut(index: index))),
                ("language (5 languages, 1–4-grams)", .filter(LanguageFilter(model: model, keep: ["en"]))),
            ]
            var table = """
                \(documents.count) documents, \(formatBytes(bytes)) (\(names.count) files); eval set \
                \(evalTexts.count) records / \(index.ngramCount) 13-grams; langid trained on \(paragraphs.count) \
                paragraphs in \(String(format: "%.2f", trainSeconds)) s

                | step | MB/s (1 thread) | docs changed or dropped |
                |---|---:|---:|

                """
            for (name, stage) in stages {
                var best = Double.infinity
                var touched = 0
                for _ in 0..<max(1, repeats) {
                    touched = 0
                    let start = clock.now
                    for document in documents {
                        switch stage {
                        case let .filter(f):
                            if f.evaluate(document) != .keep { touched += 1 }
                        case let .transform(t):
                            var copy = document
                            if t.apply(to: &copy) != .keep || copy.text != document.text { touched += 1 }
                        }
                    }
                    best = min(best, seconds(clock.now - start))
                }
                let rate = Double(bytes) / 1e6 / best
                Log.writeStderr("\(name): \(String(format: "%.1f", rate)) MB/s\n")
                table += "| \(name) | \(String(format: "%.1f", rate)) | \(touched) |\n"
            }
            print(table, terminator: "")
        } catch {
            throw reportFailure(error, log: Log())
        }
    }

    private func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
