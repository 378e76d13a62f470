import CorpusCore
import Foundation
import ReferenceSupport
import Testing

@testable import Cleaning

/// The quality filters against datatrove 0.10.1 with its default parameters (scripts/reference_datatrove.py):
/// keep/drop and reason per document, and for C4 the kept text, on the filter corpus (real multilingual text
/// cut into documents of varied sizes, and synthetic pages that trip every rule).
@Suite struct QualityFilterReferenceTests {
    static let badwords = ["kernel", "shell prompt", "sudo", "größe", "测试", "", "the and of"].dropLast(2) + ["virus"]
    static let documents: [FilterReferenceCorpus.Doc] = (try? FilterReferenceCorpus.all()) ?? []
    static let reference = Reference.result(
        "reference_datatrove.py",
        DatatroveRequest(
            documents: documents,
            filters: ["gopher_quality", "gopher_repetition", "c4", "c4_badwords", "fineweb"],
            badwords: Array(badwords)),
        as: DatatroveAnswer.self)

    /// Compares one filter's decisions; prints the count compared and every disagreement.
    private func compare(
        _ name: String, minimum: Double = 0.995,
        _ decide: (FilterReferenceCorpus.Doc) -> (Decision, String?)
    ) throws {
        let docs = Self.documents
        #expect(docs.count >= 3000, "\(docs.count) documents")
        guard let answer = Self.reference.recordedValue else { return }
        let expected = try #require(answer.results?[name])
        var agree = 0
        var sameReason = 0
        var sameText = 0
        var kept = 0
        var reasons: [String: Int] = [:]
        for (k, doc) in docs.enumerated() {
            let (decision, text) = decide(doc)
            let theirs = expected[k]
            let theirKeep = theirs[0].bool
            let ourKeep = decision == .keep
            var ourReason: String? = nil
            if case .drop(let reason, _) = decision { ourReason = reason }
            reasons[ourReason ?? "keep", default: 0] += 1
            if ourKeep == theirKeep {
                agree += 1
            } else {
                print(
                    "\(name) disagreement on \(doc.id): ours \(ourReason ?? "keep"), datatrove \(theirs[1].string ?? "keep")"
                )
            }
            if ourReason == theirs[1].string {
                sameReason += 1
            } else if ourKeep == theirKeep {
                print(
                    "\(name) reason differs on \(doc.id): ours \(ourReason ?? "keep"), datatrove \(theirs[1].string ?? "keep")"
                )
            }
            if ourKeep && theirKeep {
                kept += 1
                if text == nil || text == theirs[2].string {
                    sameText += 1
                } else {
                    print("\(name) text differs on \(doc.id)")
                }
            }
        }
        print(
            "\(name): \(docs.count) documents compared, keep/drop agree on \(agree), same reason on \(sameReason), kept \(kept) (same text \(sameText)); ours: \(reasons.sorted { $0.key < $1.key })"
        )
        #expect(Double(agree) / Double(docs.count) >= minimum, "\(name): \(agree) of \(docs.count)")
        #expect(sameText == kept, "\(name): kept texts differ")
        #expect(reasons.count >= 2, "\(name): the corpus exercises more than one outcome")
    }

    private var tokenizer: SpacyWordTokenizer { get throws { try SpacyWordTokenizer.english.get() } }

    @Test("gopher_quality agrees with datatrove's GopherQualityFilter")
    func gopherQuality() throws {
        let filter = GopherQualityFilter(tokenizer: try tokenizer)
        try compare("gopher_quality") { (filter.evaluate(Document(id: $0.id, text: $0.text)), nil) }
    }

    @Test("gopher_repetition agrees with datatrove's GopherRepetitionFilter")
    func gopherRepetition() throws {
        let filter = GopherRepetitionFilter(tokenizer: try tokenizer)
        try compare("gopher_repetition") { (filter.evaluate(Document(id: $0.id, text: $0.text)), nil) }
    }

    @Test("c4 agrees with datatrove's C4QualityFilter: decisions and kept text")
    func c4() throws {
        let transform = C4QualityTransform(tokenizer: try tokenizer)
        try compare("c4") { doc in
            var document = Document(id: doc.id, text: doc.text)
            let decision = transform.apply(to: &document)
            return (decision, document.text)
        }
    }

    @Test("c4_badwords agrees with datatrove's C4BadWordsFilter on the same list")
    func c4BadWords() throws {
        // The list goes through a file, as the step reads it; datatrove's loader is patched to read the same.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("badwords-\(UUID().uuidString).txt")
            .path
        try Self.badwords.map { $0 + "\n" }.joined().write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let filter = try C4BadWordsFilter(path: path)
        #expect(filter.words == Array(Self.badwords).sorted())
        try compare("c4_badwords") { (filter.evaluate(Document(id: $0.id, text: $0.text)), nil) }
    }

    @Test("fineweb agrees with datatrove's FineWebQualityFilter")
    func fineweb() throws {
        let filter = FineWebQualityFilter(tokenizer: try tokenizer)
        try compare("fineweb") { (filter.evaluate(Document(id: $0.id, text: $0.text)), nil) }
    }
}
