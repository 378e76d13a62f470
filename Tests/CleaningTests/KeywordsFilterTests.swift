import CorpusCore
import Testing

@testable import Cleaning

@Suite struct KeywordsFilterTests {
    @Test("block entries match whole words and phrases, case-insensitive, across spaces and punctuation")
    func block() {
        let f = KeywordFilter(block: ["Casino", "privacy policy", "Größe"])
        #expect(
            f.evaluate(Document(id: "a", text: "Visit the CASINO tonight"))
                == .drop(reason: "keyword_casino", detail: "holds \"casino\""))
        #expect(f.evaluate(Document(id: "b", text: "casinos and encasino are other words")) == .keep)
        #expect(
            f.evaluate(Document(id: "c", text: "Read our Privacy-\n Policy."))
                == .drop(reason: "keyword_privacy_policy", detail: "holds \"privacy policy\""))
        #expect(
            f.evaluate(Document(id: "d", text: "die GRÖSSE ist größe"))
                == .drop(reason: "keyword_größe", detail: "holds \"größe\""))
        #expect(f.evaluate(Document(id: "e", text: "privacy and policy")) == .keep)
    }

    @Test("an allow list drops documents holding none of its entries")
    func allow() {
        let f = KeywordFilter(block: [], allow: ["debian", "linux kernel"])
        #expect(f.evaluate(Document(id: "a", text: "The Linux  kernel boots.")) == .keep)
        #expect(f.evaluate(Document(id: "b", text: "Debian!")) == .keep)
        #expect(
            f.evaluate(Document(id: "c", text: "Windows only"))
                == .drop(reason: "no_allowed_keyword", detail: "no entry of the allow list appears"))
        #expect(
            KeywordFilter(block: ["x"], allow: ["y"]).evaluate(Document(id: "d", text: "x y")).reasonName == "keyword_x"
        )
    }
}

extension Decision {
    var reasonName: String? { if case .drop(let reason, _) = self { reason } else { nil } }
}
