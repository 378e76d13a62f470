import Shards
import Testing

@Test func tokenDTypeFollowsVocabularySize() throws {
    #expect(try TokenDType(vocabularySize: 50_257) == .uint16)
    #expect(try TokenDType(vocabularySize: 65_500) == .int32)
    #expect(try TokenDType(vocabularySize: 128_256) == .int32)
    #expect(throws: ShardError.vocabularyTooLarge(1 << 32)) { try TokenDType(vocabularySize: 1 << 32) }
}
