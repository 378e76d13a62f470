import CorpusCore
import Testing

@Suite struct CorpusKeyTests {
    @Test func originKeysAreUniquePerFileAndLine() {
        var keys = Set<UInt64>()
        for file in 0..<5 {
            for line in [1, 2, 1_000_000, (1 << 40) - 1] {
                #expect(keys.insert(Origin(file: "f\(file)", line: line, fileIndex: file).key).inserted)
            }
        }
        #expect(Origin(file: "a", line: 7, fileIndex: 3).key == 3 << 40 | 7)
    }
}
