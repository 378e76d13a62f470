import Cleaning
import CorpusCore
import CorpusIO
import Foundation
import Testing

/// Paragraphs (blank-line separated) of the multilingual corpus of scripts/multilingual-corpus.sh
/// ($PTK_CORPUS_DIR, else ~/.cache/ptk/multilingual-corpus), labelled by language.
func corpusParagraphs() throws -> [(text: String, language: String)] {
    let folder = MultilingualCorpus.folder
    let files = [("debian-reference.en.txt", "en"), ("debian-reference.de.txt", "de"),
                 ("debian-reference.fr.txt", "fr"), ("debian-reference.ja.txt", "ja"),
                 ("debian-reference.zh-cn.txt", "zh"), ("fortunes-zh-chinese.txt", "zh"),
                 ("fortunes-zh-song100.txt", "zh"), ("fortunes-zh-tang300.txt", "zh")]
    var out: [(text: String, language: String)] = []
    for (file, language) in files {
        let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
        for paragraph in text.components(separatedBy: "\n\n") {
            let trimmed = paragraph.trimmingCharacters(in: .whitespacesAndNewlines)
            if !trimmed.isEmpty { out.append((trimmed, language)) }
        }
    }
    return out
}

/// Every fifth paragraph of each language is held out; paragraphs found in more than one language's files
/// (commands, file names, URLs shared by the translations) are left out of both sides.
func languageSplit() throws -> (train: [(text: String, language: String)], test: [(text: String, language: String)]) {
    let all = try corpusParagraphs()
    var languagesOf: [String: Set<String>] = [:]
    for p in all { languagesOf[p.text, default: []].insert(p.language) }
    var train: [(text: String, language: String)] = [], test: [(text: String, language: String)] = []
    var seen: [String: Int] = [:]
    for p in all where languagesOf[p.text]?.count == 1 {
        let k = seen[p.language, default: 0]
        seen[p.language] = k + 1
        if k % 5 == 4 { test.append(p) } else { train.append(p) }
    }
    return (train, test)
}

@Suite struct LanguageIDTests {
    @Test("held-out paragraphs of ≥ 100 characters: ≥ 97% right for each of en, de, fr, ja, zh")
    func heldOut() throws {
        let (train, test) = try languageSplit()
        let model = try LanguageModel.train(train)
        #expect(model.languages == ["de", "en", "fr", "ja", "zh"])
        var right: [String: Int] = [:], total: [String: Int] = [:], confusion: [String: Int] = [:]
        var skipped = 0, lowConfidence = 0
        for p in test where p.text.unicodeScalars.count >= 100 {
            guard writtenInItsScript(p), !untranslated(p) else {
                skipped += 1
                continue
            }
            let top = model.predict(p.text).first
            let best = top?.language ?? "none"
            if (top?.probability ?? 0) < 0.65 { lowConfidence += 1 }
            total[p.language, default: 0] += 1
            if best == p.language { right[p.language, default: 0] += 1 } else {
                confusion["\(p.language)→\(best)", default: 0] += 1
            }
        }
        for language in total.keys.sorted() {
            let accuracy = Double(right[language] ?? 0) / Double(total[language] ?? 1)
            print("langid \(language): \(right[language] ?? 0)/\(total[language] ?? 0) = \(accuracy)")
            #expect(accuracy >= 0.97, "\(language): \(accuracy)")
        }
        print("langid skipped (letters mostly outside the language's script, or untranslated): \(skipped)")
        print("langid below 0.65: \(lowConfidence)")
        print("langid confusion: \(confusion.sorted { $0.key < $1.key })")
    }

    @Test("probabilities sum to 1; a clear paragraph is confident, letterless text has no scores")
    func scores() throws {
        let model = try LanguageModel.train(pairs([
            ("the quick brown fox jumps over the lazy dog and the cat", "en"),
            ("der schnelle braune Fuchs springt über den faulen Hund und die Katze", "de"),
        ] as [(String, String)]), minCount: 1)
        let s = model.predict("the dog and the cat")
        #expect(s.first?.language == "en")
        #expect(abs(s.reduce(0) { $0 + $1.probability } - 1) < 1e-9)
        #expect(model.predict("1234 !!! ---").isEmpty)
    }

    @Test("the model file round-trips and training is deterministic")
    func roundTrip() throws {
        let (train, _) = try languageSplit()
        let sample = Array(train.enumerated().filter { $0.offset % 7 == 0 }.map(\.element))
        let a = try LanguageModel.train(sample, bucketBits: 14)
        let b = try LanguageModel.train(sample, bucketBits: 14)
        #expect(a.jsonBytes() == b.jsonBytes())
        let path = NSTemporaryDirectory() + "ptk-langid-\(getpid()).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(FileManager.default.createFile(atPath: path, contents: Data(a.jsonBytes())))
        let loaded = try LanguageModel.load(path: path)
        #expect(loaded.jsonBytes() == a.jsonBytes())
        for p in sample.prefix(50) { #expect(loaded.predict(p.text) == a.predict(p.text)) }
    }

    @Test("the filter: keep list, language_<lang>, language_low_confidence")
    func filter() throws {
        let model = try LanguageModel.train(pairs([
            ("the quick brown fox jumps over the lazy dog and the cat sat on the mat", "en"),
            ("le renard brun rapide saute par-dessus le chien paresseux et le chat", "fr"),
        ] as [(String, String)]), minCount: 1)
        let f = LanguageFilter(model: model, keep: ["en"])
        #expect(f.evaluate(Document(id: "1", text: "the cat sat on the mat and the dog")) == .keep)
        guard case let .drop(reason, _) = f.evaluate(Document(id: "2", text: "le chien et le chat paresseux")) else {
            Issue.record("expected a drop")
            return
        }
        #expect(reason == "language_fr")
        guard case let .drop(low, _) = f.evaluate(Document(id: "3", text: "42 + 17")) else {
            Issue.record("expected a drop")
            return
        }
        #expect(low == "language_low_confidence")
        let strict = LanguageFilter(model: model, keep: [], minConfidence: 0.999_999)
        guard case let .drop(uncertain, _) = strict.evaluate(Document(id: "4", text: "ta")) else {
            Issue.record("expected a drop")
            return
        }
        #expect(uncertain == "language_low_confidence")
    }
}

private func pairs(_ p: [(String, String)]) -> [(text: String, language: String)] { p.map { (text: $0.0, language: $0.1) } }

/// Whether most letters of a paragraph are in its language's script (Han or kana for zh and ja, Latin for the
/// others): paragraphs that are commands, file names or lists of English product names are not ja or zh text.
func writtenInItsScript(_ p: (text: String, language: String)) -> Bool {
    let profile = ScriptProfile(p.text)
    switch p.language {
    case "zh", "ja": return profile.share(of: .han) + profile.share(of: .japanese) >= 0.5
    default: return profile.share(of: .latin) >= 0.5
    }
}

/// Whether a paragraph of the German or French file was left in English by the translators: it has more
/// English function words than German or French ones. Its file label is wrong, so it is not scored.
func untranslated(_ p: (text: String, language: String)) -> Bool {
    let english: Set<String> = ["the", "and", "of", "to", "is", "you", "can", "this", "that", "with", "for", "are", "by"]
    let native: Set<String> = switch p.language {
    case "de": ["der", "die", "das", "und", "ist", "mit", "von", "zu", "nicht", "sie", "den", "für", "auf", "ein", "eine"]
    case "fr": ["le", "la", "les", "et", "est", "de", "des", "un", "une", "pour", "dans", "vous", "que", "du", "en"]
    default: []
    }
    guard !native.isEmpty else { return false }
    let words = p.text.lowercased().split { !$0.isLetter }.map(String.init)
    return words.filter(english.contains).count > words.filter(native.contains).count
}
