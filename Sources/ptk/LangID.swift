import ArgumentParser
import Cleaning
import CorpusCore
import CorpusIO
import Foundation
import Pipeline

struct LangID: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "langid",
        abstract: "Train and try the language identifier of the `language` step.",
        subcommands: [LangIDTrain.self, LangIDPredict.self])
}

/// Reads (text, field) pairs from JSONL files.
private func readLabelled(_ paths: [String], textField: String, labelField: String?) throws
    -> [(text: String, label: String, id: String)]
{
    var out: [(text: String, label: String, id: String)] = []
    for path in paths {
        let file = InputFile(path: path, kind: .jsonl,
                             fields: DocumentFields(text: textField.split(separator: ".").map(String.init)))
        var reader = DocumentReader(file: file, options: ReadOptions())
        let problem = try reader.forEach { event in
            guard case let .document(doc, _) = event else { return }
            let label = labelField.flatMap { doc.metadata.fields[$0] } ?? ""
            out.append((doc.text, label, doc.id))
        }
        if let problem { throw problem }
    }
    return out
}

struct LangIDTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a naive Bayes model over hashed character n-grams from labelled JSONL.")

    @Option(parsing: .singleValue, help: "Labelled examples (JSONL with a text and a language field); repeatable.")
    var input: [String]

    @Option(help: "Where the model goes (JSON).")
    var output: String

    @Option(help: "Dotted path of the text field.")
    var textField = "text"

    @Option(help: "Top-level field holding the language code.")
    var langField = "lang"

    @Option(help: "Character n-gram lengths, e.g. 1-4.")
    var ngrams = "1-4"

    @Option(help: "log2 of the number of hash buckets.")
    var bucketBits = 18

    @Option(help: "Buckets seen fewer times in a language are not stored.")
    var minCount = 2

    @OptionGroup var logging: LogOptions

    func run() throws {
        let log = logging.log
        let parts = ngrams.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 1 || parts.count == 2, let low = parts.first, let high = parts.last, low <= high else {
            throw ValidationError("--ngrams must look like 1-4 or 3")
        }
        do {
            let examples = try readLabelled(input, textField: textField, labelField: langField)
            let labelled = examples.filter { !$0.label.isEmpty }
            if labelled.count < examples.count {
                log.warning("\(examples.count - labelled.count) records without a '\(langField)' field were skipped")
            }
            let model = try LanguageModel.train(labelled.lazy.map { (text: $0.text, language: $0.label) },
                                                ngrams: low...high, bucketBits: bucketBits, minCount: minCount)
            try OutputFile.atomicWrite(path: output, contents: model.jsonBytes())
            log.info("\(labelled.count) examples, languages \(model.languages.joined(separator: ", ")) → \(output)")
        } catch {
            throw reportFailure(error, log: log)
        }
    }
}

struct LangIDPredict: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Print the language probabilities of texts (arguments) or of JSONL documents, one JSON line each.")

    @Option(help: "The model (from `ptk langid train`).")
    var model: String

    @Option(parsing: .singleValue, help: "JSONL files to classify; repeatable.")
    var input: [String] = []

    @Option(help: "Dotted path of the text field.")
    var textField = "text"

    @Option(help: "Languages listed per text.")
    var top = 3

    @Argument(help: "Texts to classify.")
    var texts: [String] = []

    func run() throws {
        do {
            let m = try LanguageModel.load(path: model)
            var items = texts.enumerated().map { (text: $0.element, label: "", id: "arg\($0.offset + 1)") }
            items += try readLabelled(input, textField: textField, labelField: nil)
            for item in items {
                let scores = m.predict(item.text).prefix(max(1, top))
                var w = JSONWriter()
                w.raw("{\"id\":")
                w.string(item.id)
                w.raw(",\"language\":")
                if let best = scores.first { w.string(best.language) } else { w.raw("null") }
                w.raw(",\"scores\":{")
                for (k, s) in scores.enumerated() {
                    if k > 0 { w.raw(",") }
                    w.string(s.language)
                    w.rawBytes(Array(":\((s.probability * 10000).rounded() / 10000)".utf8))
                }
                w.raw("}}")
                print(w.string)
            }
        } catch {
            throw reportFailure(error, log: Log())
        }
    }
}
