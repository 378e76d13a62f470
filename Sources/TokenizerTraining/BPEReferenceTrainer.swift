/// Textbook byte-level BPE training, slow and plain: the oracle the tests hold `BPETrainer` to.
///
/// Every step recounts every pair of every word from scratch, takes the most frequent pair (the smaller pair of
/// ids on a tie), and merges it left to right in every word. Nothing is cached, so nothing can go stale.
///
/// It equals `BPETrainer` (and `tokenizers`) up to and including the first merge whose token already exists
/// (`firstReuse`): from there `tokenizers`' incremental counts differ from a recount (see `BPETrainer.train`).
///
/// ```swift
/// let (model, firstReuse) = try BPEReferenceTrainer(options: options).train(counts)
/// ```
///
/// - Complexity: O(merges × total word length).
public struct BPEReferenceTrainer: Sendable {
    public let options: BPETrainerOptions

    public init(options: BPETrainerOptions) {
        self.options = options
    }

    /// The trained model, and the index in `trainingMerges` of the first merge that made an existing token.
    public func train(_ counted: BPEWordCounts) throws(BPETrainingError) -> (model: TrainedBPE, firstReuse: Int?) {
        guard options.minFrequency >= 0 else { throw .negativeMinFrequency(options.minFrequency) }
        var vocabulary = try TrainingVocabulary(specialTokens: options.specialTokens)
        guard options.vocabSize >= vocabulary.count else {
            throw .vocabularyTooSmall(vocabSize: options.vocabSize, required: vocabulary.count)
        }
        var words: [[UInt32]] = []
        var counts: [Int] = []
        for (bytes, count) in counted.counts {
            words.append(bytes.map { vocabulary.byteIDs[Int($0)] })
            counts.append(count)
        }
        var merges: [(merge: BPEMerge, result: UInt32)] = []
        var firstReuse: Int?
        while vocabulary.count < options.vocabSize {
            var pairCounts: [BPEMerge: Int] = [:]
            for (word, count) in zip(words, counts) where word.count >= 2 {
                for i in 0..<(word.count - 1) {
                    pairCounts[BPEMerge(left: word[i], right: word[i + 1]), default: 0] += count
                }
            }
            guard let best = pairCounts.max(by: { x, y in
                x.value != y.value ? x.value < y.value : x.key.key > y.key.key
            }) else { break }
            if best.value < 1 || options.minFrequency > best.value { break }
            let (result, isNew) = vocabulary.merged(best.key.left, best.key.right)
            if !isNew && firstReuse == nil { firstReuse = merges.count }
            merges.append((best.key, result))
            for w in words.indices {
                words[w] = Self.merge(words[w], best.key, into: result)
            }
        }
        let model = TrainedBPE(
            pretokenizer: counted.pretokenizer, vocab: vocabulary.strings,
            specialTokenCount: vocabulary.specialTokenCount, merges: TrainedBPE.serializedMerges(merges),
            trainingMerges: merges)
        return (model, firstReuse)
    }

    /// Replaces each occurrence of `pair` in `word`, left to right, by `result`.
    ///
    /// ```swift
    /// merge([1, 1, 1], BPEMerge(left: 1, right: 1), into: 9)         // [9, 1]
    /// merge([1, 2, 3, 1, 2], BPEMerge(left: 1, right: 2), into: 4)   // [4, 3, 4]
    /// ```
    static func merge(_ word: [UInt32], _ pair: BPEMerge, into result: UInt32) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(word.count)
        var i = 0
        while i < word.count {
            if i + 1 < word.count && word[i] == pair.left && word[i + 1] == pair.right {
                out.append(result)
                i += 2
            } else {
                out.append(word[i])
                i += 1
            }
        }
        return out
    }
}
