import CorpusCore
import CorpusIO
import Foundation
import Tokenization

/// Vocabulary extension for continual pretraining: new byte-level BPE tokens learned from domain text are
/// appended to a base tokenizer.json (Llama-3, Qwen, GPT-2 style), with every old id and merge unchanged.
///
/// The domain corpus is cut into words by the base tokenizer's own normalizer and pre-tokenizer and each distinct
/// word is encoded by the base model: training starts from the base tokenization, not from bytes. Then merges are
/// learned on those token sequences exactly as `BPETrainer` learns them from bytes (the most frequent adjacent
/// pair, the smaller pair of ids on a tie, `tokenizers`' bookkeeping), until `newTokens` tokens are new. A new
/// token gets the next id after every id the base uses (its added tokens included); a merge whose string is
/// already a base token reuses that id. The new merges are appended after the base's.
///
/// Why this encodes consistently: BPE applies the lowest-ranked applicable merge first, and every new merge
/// ranks after every base merge. A new token never appears in a base merge, and pairs of base tokens that no
/// base merge joins stay unjoined; so encoding a word first reaches the base tokenization, then applies the new
/// merges in the order they were learned, which is how they were learned.
///
/// ```swift
/// let extended = try VocabularyExtension(base: "Qwen2.5/tokenizer.json", newTokens: 2000)
/// var words = extended.wordCounter()
/// words.add("某个中文领域的文本")
/// try extended.extend(words).write(to: "extended/tokenizer.json")
/// ```
public struct VocabularyExtension {
    public let basePath: String
    public let base: HFTokenizer
    public let newTokens: Int
    public let minFrequency: Int

    /// - Throws: `BPETrainingError.unsupportedBase` unless the base is a byte-level BPE tokenizer.json;
    ///   `TokenizerError` when it does not load.
    public init(base path: String, newTokens: Int, minFrequency: Int = 2) throws {
        let tokenizer = try HFTokenizer.load(path: path)
        guard tokenizer.model is MergeBPE, tokenizer.model.isByteLevel else {
            throw BPETrainingError.unsupportedBase(path: path, reason: "not a byte-level BPE tokenizer.json")
        }
        guard newTokens >= 1 else { throw BPETrainingError.noNewTokens }
        basePath = path
        base = tokenizer
        self.newTokens = newTokens
        self.minFrequency = max(1, minFrequency)
    }

    /// Counts the base tokenizer's pre-tokens of domain text.
    public struct WordCounter {
        let base: HFTokenizer
        /// Each distinct pre-token (raw bytes) and its count.
        public private(set) var counts: [[UInt8]: Int] = [:]
        public private(set) var documents = 0

        public mutating func add(_ text: String) { add(pieces: Self.pieces(text, base)) }

        mutating func add(pieces: [[UInt8]]) {
            documents += 1
            for piece in pieces where !piece.isEmpty { counts[piece, default: 0] += 1 }
        }

        /// The base's pre-tokens of `text`: normalized, then pre-tokenized (added tokens are not split out: special
        /// tokens are text in pretraining data).
        static func pieces(_ text: String, _ base: HFTokenizer) -> [[UInt8]] {
            var bytes = Array(text.utf8)
            if let normalizer = base.normalizer { bytes = normalizer.normalize(bytes) }
            return base.preTokenizer?.preTokenize([bytes], startsText: true) ?? [bytes]
        }
    }

    public func wordCounter() -> WordCounter { WordCounter(base: base) }

    /// Counts the words of every document of `files` (JSONL or text, as `BPEWordCounts.add(files:)` reads them).
    public func countWords(files: [InputFile], options: ReadOptions = ReadOptions(), threads: Int = 1) throws
        -> (WordCounter, BPEInputReport)
    {
        var counter = wordCounter()
        let base = base
        let report = try readTextBatches(files: files, options: options, batchBytes: 8 << 20) { texts in
            // Pre-tokenize on every core; count in order.
            let pieces = orderedParallelMap(count: texts.count, threads: threads) { WordCounter.pieces(texts[$0], base) }
            for document in pieces { counter.add(pieces: document) }
        }
        return (counter, report)
    }

    /// Learns the new merges on the counted words.
    public func extend(_ words: WordCounter) throws -> ExtendedVocabulary {
        // Every id the base uses: the model's and the added tokens'.
        let firstNew = max(base.model.vocabularySize, (base.addedTokens.map { Int($0.id) + 1 }.max() ?? 0))
        var strings = [String?](repeating: nil, count: firstNew)
        for id in 0..<base.model.vocabularySize {
            if let bytes = base.model.token(of: UInt32(id)) { strings[id] = ByteLevelAlphabet.encode(bytes) }
        }
        var vocabulary = TrainingVocabulary(base: strings)
        // The words in a fixed order (by bytes), as base token ids.
        let sorted = words.counts.sorted { $0.key.lexicographicallyPrecedes($1.key) }
        var corpus = FlatWords(sequences: sorted.map { word, count in
            var ids: [UInt32] = []
            base.model.encode(piece: word, into: &ids)
            return (ids, Int64(count))
        })
        let options = BPETrainerOptions(vocabSize: firstNew + newTokens, minFrequency: minFrequency)
        let training = corpus.train(vocabulary: &vocabulary, options: options)
        let merges = TrainedBPE.serializedMerges(training)
        let added = (firstNew..<vocabulary.count).map { vocabulary.strings[$0] }
        return ExtendedVocabulary(
            basePath: basePath, firstNewID: firstNew, newTokens: added,
            merges: merges.map { (vocabulary.strings[Int($0.left)], vocabulary.strings[Int($0.right)]) },
            documents: words.documents, distinctWords: words.counts.count)
    }
}

/// The result of `VocabularyExtension.extend`: the new tokens (ids `firstNewID…`) and the merges to append.
public struct ExtendedVocabulary: Sendable {
    public let basePath: String
    public let firstNewID: Int
    /// The new tokens' tokenizer.json strings (byte-level alphabet), in id order.
    public let newTokens: [String]
    /// The merges to append, as tokenizer.json strings.
    public let merges: [(String, String)]
    public let documents: Int
    public let distinctWords: Int

    /// The base tokenizer.json with the new tokens added at the end of `model.vocab` and the merges appended to
    /// `model.merges` (in the base's own form: `"a b"` strings or `["a", "b"]` pairs). Everything else is kept
    /// as it was, keys in their order and numbers as written (our own parser and writer: Foundation's sorted
    /// keys compare strings by collation, which calls "---Ċ" and "----Ċ" equal and so orders them by chance).
    ///
    /// - Throws: `BPETrainingError.unsupportedBase` when the base file's model section is not as expected.
    public func tokenizerJSON() throws -> [UInt8] {
        let data = try Data(contentsOf: URL(fileURLWithPath: basePath))
        let root = try data.withUnsafeBytes { try JSONParser.parse($0) }
        guard case let .object(rootObject) = root, case let .object(model)? = rootObject["model"],
              case let .object(vocab)? = model["vocab"], case var .array(merges)? = model["merges"]
        else {
            throw BPETrainingError.unsupportedBase(path: basePath, reason: "no model.vocab and model.merges")
        }
        var newVocab = vocab
        var keys = Set(vocab.keys.map { Array($0.utf8) })
        func add(_ key: String, _ id: Int) {
            newVocab.append(key, .number(String(id)))
            keys.insert(Array(key.utf8))
        }
        // `tokenizers` does not read an added token's id from the file: it takes the id of the same string in the
        // model's vocabulary, else the next id after the model's vocabulary *count*. With new tokens after the
        // added ones, that count would renumber every added token; so each added token's content also goes into
        // the model's vocabulary at its own id (the file then numbers 0…n−1 without holes).
        if case let .array(added)? = rootObject["added_tokens"] {
            for case let .object(token) in added {
                guard case let .string(content)? = token["content"], case let .number(idText)? = token["id"],
                      let id = Int(idText), id < firstNewID, !keys.contains(Array(content.utf8)) else { continue }
                add(content, id)
            }
        }
        for (offset, token) in newTokens.enumerated() {
            guard !keys.contains(Array(token.utf8)) else {
                throw BPETrainingError.unsupportedBase(path: basePath, reason: "new token \(token) is already a key")
            }
            add(token, firstNewID + offset)
        }
        // The base's form of a merge; pairs (the current form) for a base without merges.
        let pairs: Bool = if case .string? = merges.first { false } else { true }
        for (left, right) in self.merges {
            merges.append(pairs ? .array([.string(left), .string(right)]) : .string("\(left) \(right)"))
        }
        let newModel = model.replacing("vocab", with: .object(newVocab)).replacing("merges", with: .array(merges))
        var writer = JSONWriter(capacity: data.count + 64 * (newTokens.count + self.merges.count))
        writer.value(.object(rootObject.replacing("model", with: .object(newModel))))
        return writer.bytes
    }

    /// Writes `tokenizerJSON()` to `path`, atomically.
    public func write(to path: String) throws {
        let file = try OutputFile(path: path, compression: Compression.none)
        try file.write(try tokenizerJSON())
        try file.commit()
    }
}

extension JSONObject {
    /// A copy with the value of `key` replaced (every occurrence), or appended when absent.
    func replacing(_ key: String, with value: JSONValue) -> JSONObject {
        var copy = JSONObject()
        var found = false
        for (k, v) in zip(keys, values) {
            if k == key {
                copy.append(k, value)
                found = true
            } else {
                copy.append(k, v)
            }
        }
        if !found { copy.append(key, value) }
        return copy
    }
}
