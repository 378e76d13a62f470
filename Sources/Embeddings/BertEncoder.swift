import COpenBLAS
import Foundation

/// A BERT-family encoder (BertModel: absolute positions, post-LayerNorm, GELU) run on OpenBLAS in Float32.
///
/// Sequences of unequal lengths are not padded: their token rows are stacked into one [T, H] matrix, so every
/// linear layer is one sgemm over exactly the tokens there are, and only attention works per sequence and head
/// (scores L×L, then context L×d). The weights of Q, K and V are fused into one [3H, H] matrix.
///
/// Each `encode` call runs single-threaded BLAS; `SentenceEncoder` runs one call per core, which measured faster
/// than one multi-threaded BLAS stream on these small matrices (SPECS).
public struct BertEncoder: Sendable {
    public struct Config: Sendable, Equatable {
        public var hidden: Int
        public var layers: Int
        public var heads: Int
        public var intermediate: Int
        public var vocabulary: Int
        public var maxPositions: Int
        public var typeVocabulary: Int
        public var layerNormEps: Float
        public var activation: String

        /// Reads a Hugging Face config.json of a BERT model.
        public init(json: [String: Any]) throws(EmbeddingError) {
            func int(_ key: String) throws(EmbeddingError) -> Int {
                guard let v = json[key] as? Int else { throw .badConfig("config.json has no integer '\(key)'") }
                return v
            }
            hidden = try int("hidden_size")
            layers = try int("num_hidden_layers")
            heads = try int("num_attention_heads")
            intermediate = try int("intermediate_size")
            vocabulary = try int("vocab_size")
            maxPositions = try int("max_position_embeddings")
            typeVocabulary = (json["type_vocab_size"] as? Int) ?? 2
            layerNormEps = Float((json["layer_norm_eps"] as? Double) ?? 1e-12)
            activation = (json["hidden_act"] as? String) ?? "gelu"
            if let kind = json["position_embedding_type"] as? String, kind != "absolute" {
                throw .badConfig("position_embedding_type '\(kind)' is not supported (absolute only)")
            }
            guard ["gelu", "gelu_new", "gelu_pytorch_tanh", "relu"].contains(activation) else {
                throw .badConfig("hidden_act '\(activation)' is not supported (gelu, gelu_new, relu)")
            }
            guard hidden > 0, heads > 0, hidden % heads == 0 else {
                throw .badConfig("hidden_size \(hidden) is not a multiple of num_attention_heads \(heads)")
            }
        }
    }

    struct Layer: Sendable {
        var qkvWeight: [Float]  // [3H, H]
        var qkvBias: [Float]
        var outWeight: [Float]  // [H, H]
        var outBias: [Float]
        var norm1Weight: [Float]
        var norm1Bias: [Float]
        var upWeight: [Float]  // [I, H]
        var upBias: [Float]
        var downWeight: [Float]  // [H, I]
        var downBias: [Float]
        var norm2Weight: [Float]
        var norm2Bias: [Float]
    }

    public let config: Config
    let wordEmbeddings: [Float]
    let positionEmbeddings: [Float]
    let typeEmbeddings: [Float]
    let embedNormWeight: [Float]
    let embedNormBias: [Float]
    let layers: [Layer]

    /// Loads the weights of `model.safetensors`; names may carry a `bert.` prefix.
    public init(config: Config, weights file: SafetensorsFile) throws(EmbeddingError) {
        self.config = config
        let h = config.hidden, i = config.intermediate
        let prefix = file.tensors["bert.embeddings.word_embeddings.weight"] != nil ? "bert." : ""
        func tensor(_ name: String, _ shape: [Int]) throws(EmbeddingError) -> [Float] {
            do { return try file.floats(prefix + name, shape: shape) } catch { throw .weights(error) }
        }
        wordEmbeddings = try tensor("embeddings.word_embeddings.weight", [config.vocabulary, h])
        positionEmbeddings = try tensor("embeddings.position_embeddings.weight", [config.maxPositions, h])
        typeEmbeddings = try tensor("embeddings.token_type_embeddings.weight", [config.typeVocabulary, h])
        embedNormWeight = try tensor("embeddings.LayerNorm.weight", [h])
        embedNormBias = try tensor("embeddings.LayerNorm.bias", [h])
        var layers: [Layer] = []
        for l in 0..<config.layers {
            let p = "encoder.layer.\(l)."
            let q = try tensor(p + "attention.self.query.weight", [h, h])
            let k = try tensor(p + "attention.self.key.weight", [h, h])
            let v = try tensor(p + "attention.self.value.weight", [h, h])
            let qb = try tensor(p + "attention.self.query.bias", [h])
            let kb = try tensor(p + "attention.self.key.bias", [h])
            let vb = try tensor(p + "attention.self.value.bias", [h])
            layers.append(Layer(
                qkvWeight: q + k + v, qkvBias: qb + kb + vb,
                outWeight: try tensor(p + "attention.output.dense.weight", [h, h]),
                outBias: try tensor(p + "attention.output.dense.bias", [h]),
                norm1Weight: try tensor(p + "attention.output.LayerNorm.weight", [h]),
                norm1Bias: try tensor(p + "attention.output.LayerNorm.bias", [h]),
                upWeight: try tensor(p + "intermediate.dense.weight", [i, h]),
                upBias: try tensor(p + "intermediate.dense.bias", [i]),
                downWeight: try tensor(p + "output.dense.weight", [h, i]),
                downBias: try tensor(p + "output.dense.bias", [h]),
                norm2Weight: try tensor(p + "output.LayerNorm.weight", [h]),
                norm2Bias: try tensor(p + "output.LayerNorm.bias", [h])))
        }
        self.layers = layers
    }

    /// The last hidden states of each sequence, stacked: [Σ lengths, H] row-major, sequence after sequence.
    /// Every id must be below the vocabulary size and every sequence no longer than the position table.
    public func hiddenStates(_ sequences: [[UInt32]]) -> [Float] {
        let h = config.hidden
        let total = sequences.reduce(0) { $0 + $1.count }
        var x = [Float](repeating: 0, count: total * h)
        // Embeddings: word + position + token type 0, then LayerNorm.
        var row = 0
        for sequence in sequences {
            for (position, id) in sequence.enumerated() {
                let w = Int(id) * h, p = position * h, o = row * h
                for j in 0..<h { x[o + j] = wordEmbeddings[w + j] + positionEmbeddings[p + j] + typeEmbeddings[j] }
                row += 1
            }
        }
        layerNorm(&x, rows: total, weight: embedNormWeight, bias: embedNormBias)
        var qkv = [Float](repeating: 0, count: total * 3 * h)
        var context = [Float](repeating: 0, count: total * h)
        var attended = [Float](repeating: 0, count: total * h)
        var up = [Float](repeating: 0, count: total * config.intermediate)
        let longest = sequences.map(\.count).max() ?? 0
        var scores = [Float](repeating: 0, count: longest * longest)
        for layer in layers {
            linear(x, rows: total, inputs: h, weight: layer.qkvWeight, bias: layer.qkvBias, outputs: 3 * h, into: &qkv)
            attention(qkv, lengths: sequences.map(\.count), scores: &scores, into: &context)
            linear(context, rows: total, inputs: h, weight: layer.outWeight, bias: layer.outBias, outputs: h,
                   into: &attended)
            addInPlace(&attended, x)
            layerNorm(&attended, rows: total, weight: layer.norm1Weight, bias: layer.norm1Bias)
            linear(attended, rows: total, inputs: h, weight: layer.upWeight, bias: layer.upBias,
                   outputs: config.intermediate, into: &up)
            activate(&up)
            linear(up, rows: total, inputs: config.intermediate, weight: layer.downWeight, bias: layer.downBias,
                   outputs: h, into: &x)
            addInPlace(&x, attended)
            layerNorm(&x, rows: total, weight: layer.norm2Weight, bias: layer.norm2Bias)
        }
        return x
    }

    /// out[rows, outputs] = input[rows, inputs] · weightᵀ + bias.
    private func linear(_ input: [Float], rows: Int, inputs: Int, weight: [Float], bias: [Float], outputs: Int,
                        into out: inout [Float])
    {
        guard rows > 0 else { return }
        out.withUnsafeMutableBufferPointer { o in
            guard let base = o.baseAddress else { return }
            for r in 0..<rows { (base + r * outputs).update(from: bias, count: outputs) }
            input.withUnsafeBufferPointer { a in
                weight.withUnsafeBufferPointer { w in
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(outputs), Int32(inputs),
                                1, a.baseAddress, Int32(inputs), w.baseAddress, Int32(inputs), 1, base, Int32(outputs))
                }
            }
        }
    }

    /// Multi-head self-attention of each sequence on its own (no mask needed: no padding).
    private func attention(_ qkv: [Float], lengths: [Int], scores: inout [Float], into context: inout [Float]) {
        let h = config.hidden, heads = config.heads, d = h / heads
        let scale = 1 / Float(d).squareRoot()
        qkv.withUnsafeBufferPointer { qkvp in
            guard let qkvBase = qkvp.baseAddress else { return }
            context.withUnsafeMutableBufferPointer { cp in
                guard let cBase = cp.baseAddress else { return }
                scores.withUnsafeMutableBufferPointer { sp in
                    guard let s = sp.baseAddress else { return }
                    var start = 0
                    for length in lengths {
                        defer { start += length }
                        guard length > 0 else { continue }
                        let n = Int32(length)
                        for head in 0..<heads {
                            let q = qkvBase + start * 3 * h + head * d
                            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, Int32(d), scale,
                                        q, Int32(3 * h), q + h, Int32(3 * h), 0, s, n)
                            for r in 0..<length { VectorKernels.softmax(s + r * length, count: length) }
                            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, Int32(d), n, 1,
                                        s, n, q + 2 * h, Int32(3 * h), 0, cBase + start * h + head * d, Int32(h))
                        }
                    }
                }
            }
        }
    }

    private func activate(_ values: inout [Float]) {
        switch config.activation {
        case "relu":
            for j in values.indices where values[j] < 0 { values[j] = 0 }
        case "gelu_new", "gelu_pytorch_tanh":
            let c = Float(0.7978845608028654)
            for j in values.indices {
                let v = values[j]
                values[j] = 0.5 * v * (1 + tanhf(c * (v + 0.044715 * v * v * v)))
            }
        default:  // "gelu": the exact form with erf, as BERT's
            values.withUnsafeMutableBufferPointer { v in
                guard let base = v.baseAddress else { return }
                VectorKernels.gelu(base, count: v.count)
            }
        }
    }

    private func layerNorm(_ x: inout [Float], rows: Int, weight: [Float], bias: [Float]) {
        let h = config.hidden, eps = config.layerNormEps
        weight.withUnsafeBufferPointer { w in
            bias.withUnsafeBufferPointer { b in
                x.withUnsafeMutableBufferPointer { p in
                    guard let base = p.baseAddress, let wb = w.baseAddress, let bb = b.baseAddress else { return }
                    for r in 0..<rows { VectorKernels.layerNorm(base + r * h, count: h, weight: wb, bias: bb, eps: eps) }
                }
            }
        }
    }

    /// a[i] += b[i].
    private func addInPlace(_ a: inout [Float], _ b: [Float]) {
        b.withUnsafeBufferPointer { bp in
            a.withUnsafeMutableBufferPointer { ap in
                for j in ap.indices { ap[j] += bp[j] }
            }
        }
    }
}

/// Why an embedding model could not be loaded or used.
public enum EmbeddingError: Error, CustomStringConvertible, Equatable {
    case badConfig(String)
    case weights(SafetensorsFile.Problem)
    case missingFile(String)
    case tokenizer(String)

    public var description: String {
        switch self {
        case let .badConfig(message): message
        case let .weights(problem): "\(problem)"
        case let .missingFile(path): "missing model file \(path)"
        case let .tokenizer(message): message
        }
    }
}
