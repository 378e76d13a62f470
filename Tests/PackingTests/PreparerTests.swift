import CorpusCore
import Foundation
import Packing
import Testing
import Tokenization

/// A byte tokenizer: id = byte + 10, with a few named special tokens below 10.
struct ByteEncoder: TokenEncoder {
    var specials: [String: UInt32] = ["<|endoftext|>": 1, "<s>": 2, "</s>": 3, "<pad>": 4]
    func encodeOrdinary(_ text: String) -> [UInt32] { text.utf8.map { UInt32($0) + 10 } }
    func decode(_ ids: [UInt32]) throws(TokenizerError) -> [UInt8] { ids.filter { $0 >= 10 }.map { UInt8($0 - 10) } }
    func decodeString(_ ids: [UInt32]) throws(TokenizerError) -> String {
        String(decoding: try decode(ids), as: UTF8.self)
    }
    var vocabularySize: Int { 266 }
    func tokenID(_ content: String) -> UInt32? { specials[content] }
}

@Test func preparedDocumentsAreBOSMetadataTextEOS() {
    let tokens = PackTokens(eos: 3, bos: 2, pad: 4)
    let preparer = DocumentPreparer(encoder: ByteEncoder(), tokens: tokens,
                                    meco: MeCoOptions(cooldownShare: 0), seed: 1)
    var document = Document(id: "a", text: "hi")
    document.metadata.url = "https://Ex.org/p"
    let prepared = preparer.prepare(document, key: "f:1")
    let meta = "URL: ex.org\n\n".utf8.map { UInt32($0) + 10 }
    #expect(prepared?.tokens == [2] + meta + [114, 115] + [3])
    #expect(prepared?.maskedPrefix == 1 + meta.count)
    #expect(prepared?.meco == .prefixed && prepared?.cooldown == false)

    document.metadata.url = "nope"
    #expect(preparer.prepare(document, key: "f:1")?.tokens == [2, 114, 115, 3])
    #expect(preparer.prepare(document, key: "f:1")?.meco == .badURL)
    #expect(preparer.prepare(Document(id: "e", text: ""), key: "f:2") == nil, "empty text: nothing to pack")

    let plain = DocumentPreparer(encoder: ByteEncoder(), tokens: PackTokens(eos: 1, bos: nil, pad: 1), meco: nil, seed: 1)
    #expect(plain.prepare(document, key: "f:1") == PreparedDocument(id: "a", tokens: [114, 115, 1], maskedPrefix: 0,
                                                                      cooldown: false, meco: nil))
}

@Test func cooldownDocumentsCarryNoMetadata() {
    let preparer = DocumentPreparer(encoder: ByteEncoder(), tokens: PackTokens(eos: 3, bos: nil, pad: 3),
                                    meco: MeCoOptions(cooldownShare: 1), seed: 1)
    var document = Document(id: "a", text: "hi")
    document.metadata.url = "https://ex.org"
    let prepared = preparer.prepare(document, key: "f:1")
    #expect(prepared?.tokens == [114, 115, 3] && prepared?.cooldown == true && prepared?.meco == nil)
}

@Test func specialTokensAreChosenAndNamed() throws {
    let encoder = ByteEncoder()
    let folder = NSTemporaryDirectory() + "ptk-special-\(getpid())"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/tokenizer.json"

    var chosen = try choosePackTokens(encoder: encoder, tokenizerPath: path, eos: nil, bos: nil, pad: nil)
    #expect(chosen.eos == 1 && chosen.bos == nil && chosen.pad == 1, "<|endoftext|> comes before </s>")
    #expect(chosen.notes.first?.contains("<|endoftext|>") == true)

    try Data(#"{"eos_token": {"content": "</s>"}, "bos_token": "<s>"}"#.utf8)
        .write(to: URL(fileURLWithPath: folder + "/tokenizer_config.json"))
    chosen = try choosePackTokens(encoder: encoder, tokenizerPath: path, eos: nil, bos: "auto", pad: "<pad>")
    #expect(chosen.eos == 3 && chosen.bos == 2 && chosen.pad == 4)
    #expect(chosen.notes.first?.contains("tokenizer_config.json") == true)

    #expect(throws: PackError.unknownToken(role: "eos", token: "<eos>", tokenizer: "tokenizer.json")) {
        try choosePackTokens(encoder: encoder, tokenizerPath: path, eos: "<eos>", bos: nil, pad: nil)
    }
    #expect(throws: PackError.noEOS(tokenizer: "t.json")) {
        try choosePackTokens(encoder: ByteEncoder(specials: [:]), tokenizerPath: "/nonexistent/t.json", eos: nil,
                             bos: nil, pad: nil)
    }
}
