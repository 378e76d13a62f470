import CorpusCore
import ReferenceSupport
import Testing
import Tokenization

@testable import Cleaning

@Suite struct TokensFilterTests {
    @Test("token bounds count with the tokenizer file (cl100k_base)")
    func bounds() throws {
        guard let path = try Reference.cl100kPath() else {
            Issue.record("cl100k_base.tiktoken fixture missing (reference venv)")
            return
        }
        let encoder = try TokenizerFile.load(path: path, encoding: "cl100k_base")
        let text = "Hello world, this is a short document."
        let n = encoder.encodeOrdinary(text).count
        #expect(n > 3)
        #expect(
            TokenCountFilter(encoder: encoder, minTokens: n, maxTokens: n).evaluate(Document(id: "a", text: text))
                == .keep)
        #expect(
            TokenCountFilter(encoder: encoder, minTokens: n + 1).evaluate(Document(id: "a", text: text)).reasonName
                == "too_few_tokens")
        #expect(
            TokenCountFilter(encoder: encoder, maxTokens: n - 1).evaluate(Document(id: "a", text: text)).reasonName
                == "too_many_tokens")
    }
}
