import COpenBLAS
import CorpusCore
import Foundation
import Tokenization

/// A sentence-transformers model folder run natively: the BERT encoder, its WordPiece tokenizer.json, the pooling
/// its `1_Pooling/config.json` names, and the L2 normalization when `modules.json` lists a Normalize module.
///
/// Texts are cut to `max_seq_length` tokens including [CLS] and [SEP], as sentence-transformers truncates.
/// Special-token strings inside a text ("[SEP]") are encoded as text, as everywhere in ptk (sentence-transformers
/// would match them). Batches are consecutive documents up to `batchTokens` tokens, fixed before any thread
/// starts, so the vectors are the same bytes for any thread count.
public struct SentenceEncoder: Sendable {
    public enum Pooling: String, Sendable { case mean, cls, max, meanSqrtLength = "mean_sqrt_len" }

    public let encoder: BertEncoder
    public let tokenizer: HFTokenizer
    public let maxTokens: Int
    public let pooling: Pooling
    public let normalize: Bool
    let cls: UInt32
    let sep: UInt32
    /// The tokenizer splits at whitespace and normalizes scalar by scalar (BERT's normalizer, Bert or Whitespace
    /// pre-tokenizer): the ids of a prefix cut before an ASCII space start the ids of the whole text.
    let cutsAtSpaces: Bool

    public var dimension: Int { encoder.config.hidden }

    public init(folder: String) throws(EmbeddingError) {
        func json(_ name: String) throws(EmbeddingError) -> Any? {
            let path = "\(folder)/\(name)"
            guard FileManager.default.fileExists(atPath: path) else { return nil }
            guard let data = FileManager.default.contents(atPath: path),
                  let object = try? JSONSerialization.jsonObject(with: data)
            else { throw .badConfig("\(path) is not valid JSON") }
            return object
        }
        guard let config = try json("config.json") as? [String: Any] else { throw .missingFile("\(folder)/config.json") }
        let weightsPath = "\(folder)/model.safetensors"
        guard FileManager.default.fileExists(atPath: weightsPath) else { throw .missingFile(weightsPath) }
        let weights: SafetensorsFile
        do { weights = try SafetensorsFile(path: weightsPath) } catch { throw .weights(error) }
        encoder = try BertEncoder(config: BertEncoder.Config(json: config), weights: weights)
        do {
            tokenizer = try HFTokenizer.load(path: "\(folder)/tokenizer.json")
        } catch {
            throw .tokenizer("\(folder)/tokenizer.json: \(error)")
        }
        guard let cls = tokenizer.tokenID("[CLS]"), let sep = tokenizer.tokenID("[SEP]") else {
            throw .tokenizer("\(folder)/tokenizer.json has no [CLS] or [SEP] token")
        }
        self.cls = cls
        self.sep = sep
        cutsAtSpaces = (tokenizer.normalizer == nil || tokenizer.normalizer is HFBertNormalizer)
            && (tokenizer.preTokenizer is HFBertPreTokenizer || tokenizer.preTokenizer is HFWhitespacePreTokenizer)
        let sentenceConfig = try json("sentence_bert_config.json") as? [String: Any]
        maxTokens = min((sentenceConfig?["max_seq_length"] as? Int) ?? encoder.config.maxPositions,
                        encoder.config.maxPositions)
        let poolingConfig = try json("1_Pooling/config.json") as? [String: Any]
        if poolingConfig?["pooling_mode_cls_token"] as? Bool == true {
            pooling = .cls
        } else if poolingConfig?["pooling_mode_max_tokens"] as? Bool == true {
            pooling = .max
        } else if poolingConfig?["pooling_mode_mean_sqrt_len_tokens"] as? Bool == true {
            pooling = .meanSqrtLength
        } else {
            pooling = .mean
        }
        let modules = (try json("modules.json") as? [[String: Any]]) ?? []
        normalize = modules.contains { ($0["type"] as? String)?.hasSuffix(".Normalize") == true }
    }

    /// The model's token ids for a text: [CLS] + the first max − 2 WordPiece ids + [SEP].
    public func tokenIDs(_ text: String) -> [UInt32] {
        let limit = max(0, maxTokens - 2)
        return [cls] + firstIDs(text, limit: limit) + [sep]
    }

    /// The first `limit` ids of `text`. A long document is cut before an ASCII space after 8 bytes a token and
    /// only that prefix is encoded, while it gives `limit` ids (the words before a space do not depend on what
    /// follows); else four times as much, then the whole text. Documents of a web corpus run to thousands of
    /// tokens and the model reads 256: tokenizing them whole was 7% of the embedding time.
    func firstIDs(_ text: String, limit: Int) -> ArraySlice<UInt32> {
        if cutsAtSpaces {
            let utf8 = text.utf8
            var budget = 8 * limit + 64
            while budget < utf8.count {
                let from = utf8.index(utf8.startIndex, offsetBy: budget)
                guard let cut = utf8[from...].firstIndex(where: { $0 == 0x20 || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D })
                else { break }
                let ids = tokenizer.encode(String(text[..<cut]))
                if ids.count >= limit { return ids.prefix(limit) }
                budget *= 4
            }
        }
        return tokenizer.encode(text).prefix(limit)
    }

    /// Vectors of `texts`, [N, dimension] row-major, in input order.
    public func embed(_ texts: [String], threads: Int = defaultThreads(), batchTokens: Int = 2048) -> [Float] {
        let d = dimension
        let ids = orderedParallelMap(count: texts.count, threads: threads) { tokenIDs(texts[$0]) }
        // Batches: consecutive documents up to batchTokens tokens (at least one document each).
        var batches: [Range<Int>] = []
        var start = 0, tokens = 0
        for i in ids.indices {
            if i > start, tokens + ids[i].count > batchTokens {
                batches.append(start..<i)
                start = i
                tokens = 0
            }
            tokens += ids[i].count
        }
        if start < ids.count { batches.append(start..<ids.count) }
        openblas_set_num_threads(1)
        let ranges = batches
        let pooled = orderedParallelMap(count: ranges.count, threads: threads) { b -> [Float] in
            let sequences = Array(ids[ranges[b]])
            let states = encoder.hiddenStates(sequences)
            var out = [Float](repeating: 0, count: sequences.count * d)
            var row = 0
            for (s, sequence) in sequences.enumerated() {
                pool(states, firstRow: row, count: sequence.count, into: &out, at: s * d)
                row += sequence.count
            }
            return out
        }
        return pooled.flatMap { $0 }
    }

    private func pool(_ states: [Float], firstRow: Int, count: Int, into out: inout [Float], at offset: Int) {
        let d = dimension
        switch pooling {
        case .cls:
            for j in 0..<d { out[offset + j] = states[firstRow * d + j] }
        case .max:
            for j in 0..<d {
                var m = -Float.infinity
                for r in firstRow..<firstRow + count { m = Swift.max(m, states[r * d + j]) }
                out[offset + j] = m
            }
        case .mean, .meanSqrtLength:
            for r in firstRow..<firstRow + count {
                for j in 0..<d { out[offset + j] += states[r * d + j] }
            }
            let divisor = pooling == .mean ? Float(count) : Float(count).squareRoot()
            for j in 0..<d { out[offset + j] /= divisor }
        }
        if normalize {
            var norm: Float = 0
            for j in 0..<d { norm += out[offset + j] * out[offset + j] }
            // sentence-transformers divides by max(‖v‖, 1e-12).
            let inverse = 1 / Swift.max(norm.squareRoot(), 1e-12)
            for j in 0..<d { out[offset + j] *= inverse }
        }
    }

    public static func defaultThreads() -> Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }
}
