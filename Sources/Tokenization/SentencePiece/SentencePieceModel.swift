import Foundation
import SwiftProtobuf

/// A SentencePiece `.model` file (BPE or Unigram): encodes and decodes ID for ID as the `sentencepiece` library.
///
/// Loading parses the ModelProto (only the fields in sentencepiece_model.proto; the rest is skipped) and checks
/// the pieces as SentencePiece does. `encodeOrdinary` is `sp.encode(text)` (no BOS/EOS): the text is normalized
/// (`SentencePieceNormalizer`), then segmented by the model; control pieces such as `<s>` written in the text are
/// ordinary text, user-defined pieces are matched. `decode` is `sp.decode(ids)`.
///
/// ```swift
/// let sp = try SentencePieceModel.load(path: "tokenizer.model")
/// let ids = sp.encodeOrdinary("Hello world")   // [22557, 1526] with Mistral's tokenizer.model.v1
/// try sp.decodeString(ids)                     // "Hello world"
/// ```
///
/// - Complexity: encoding is O(n log n) (BPE) or O(n × longest piece) (Unigram) for n normalized bytes; decoding
///   is O(output bytes).
public struct SentencePieceModel: TokenEncoder {
    /// The segmentation algorithm of the file (`TrainerSpec.model_type`).
    enum Algorithm: Sendable {
        case bpe(SentencePieceScoreBPE)
        case unigram(UnigramModel)
    }

    let algorithm: Algorithm
    /// Each piece's bytes, by id.
    public let pieces: [[UInt8]]
    /// Each piece's type, by id.
    public let types: [SentencePieceType]
    /// Each piece's score, by id.
    public let scores: [Float]
    public let normalizer: SentencePieceNormalizer
    /// Applied to decoded text when the file has a denormalizer charsmap.
    let denormalizer: SentencePieceNormalizer?
    /// What an unknown id decodes to (`TrainerSpec.unk_surface`, default " ⁇ ").
    let unknownSurface: [UInt8]
    public let unknownID: UInt32
    /// `bos_id` / `eos_id` of the trainer spec, or nil when disabled (-1).
    public let bosID: UInt32?
    public let eosID: UInt32?

    /// Whether the file is a Unigram model (else BPE).
    public var isUnigram: Bool {
        if case .unigram = algorithm { return true }
        return false
    }

    /// Loads and checks a `.model` file.
    ///
    /// ```swift
    /// let sp = try SentencePieceModel.load(path: "j2-tokenizer.model")
    /// ```
    ///
    /// - Throws: `TokenizerError.unreadableFile` when it cannot be read, `.malformedModel` when it is not a
    ///   ModelProto SentencePiece would load, `.unsupportedComponent` for WORD and CHAR models.
    /// - Complexity: O(file size).
    public static func load(path: String) throws(TokenizerError) -> SentencePieceModel {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadableFile(path: path, reason: "\(error.localizedDescription)")
        }
        return try SentencePieceModel(serialized: data, path: path)
    }

    /// Parses a serialized ModelProto; `path` names it in errors.
    ///
    /// - Throws: see `load(path:)`.
    /// - Complexity: O(data size).
    public init(serialized data: Data, path: String = "(memory)") throws(TokenizerError) {
        let proto: Ptk_Sentencepiece_ModelProto
        do {
            proto = try Ptk_Sentencepiece_ModelProto(serializedBytes: data)
        } catch {
            throw .malformedModel(path: path, reason: "not a SentencePiece ModelProto (\(error))")
        }
        try self.init(proto: proto, path: path)
    }

    init(proto: Ptk_Sentencepiece_ModelProto, path: String) throws(TokenizerError) {
        let trainer = proto.trainerSpec
        var pieces: [[UInt8]] = [], types: [SentencePieceType] = [], scores: [Float] = []
        pieces.reserveCapacity(proto.pieces.count)
        var seenNormal: [[UInt8]: Int] = [:], seenReserved: [[UInt8]: Int] = [:]
        var unknownID: Int?
        for (id, piece) in proto.pieces.enumerated() {
            let bytes = [UInt8](piece.piece)
            guard !bytes.isEmpty else { throw .malformedModel(path: path, reason: "piece \(id) is empty") }
            guard let type = SentencePieceType(rawValue: piece.type.rawValue) else {
                throw .malformedModel(path: path, reason: "piece \(id) has unknown type \(piece.type.rawValue)")
            }
            if type.isInPieceTable {
                if let first = seenNormal.updateValue(id, forKey: bytes) {
                    throw .malformedModel(path: path, reason: "piece \(id) repeats piece \(first)")
                }
            } else if let first = seenReserved.updateValue(id, forKey: bytes) {
                throw .malformedModel(path: path, reason: "piece \(id) repeats piece \(first)")
            }
            if type == .unknown {
                if let first = unknownID {
                    throw .malformedModel(path: path, reason: "pieces \(first) and \(id) are both unknown pieces")
                }
                unknownID = id
            }
            if type == .byte {
                guard trainer.byteFallback else {
                    throw .malformedModel(path: path, reason: "byte piece \(id) although byte_fallback is false")
                }
                guard UnknownPieces.byteOfPiece(bytes) != nil else {
                    throw .malformedModel(path: path, reason: "byte piece \(id) is not spelled <0xXX>")
                }
            }
            pieces.append(bytes)
            types.append(type)
            scores.append(piece.score)
        }
        guard let unknownID else { throw .malformedModel(path: path, reason: "no unknown (<unk>) piece") }
        let unknown = UInt32(unknownID)
        do throws(TokenizerError) {
            switch trainer.modelType {
            case .bpe:
                algorithm = .bpe(try SentencePieceScoreBPE(pieces: pieces, scores: scores, types: types,
                                                      unknownID: unknown, byteFallback: trainer.byteFallback))
            case .unigram:
                let list = pieces.indices.map { UnigramModel.Piece(bytes: pieces[$0], score: scores[$0], type: types[$0]) }
                algorithm = .unigram(try UnigramModel(pieces: list, unknownID: unknown,
                                                      byteFallback: trainer.byteFallback))
            case .word, .char:
                throw .unsupportedComponent(
                    path: path, jsonPath: "trainer_spec.model_type", component: "\(trainer.modelType)")
            }
        } catch {
            guard case .missingByte(let byte) = error else { throw error }
            let hex = String(byte, radix: 16, uppercase: true)
            throw .malformedModel(path: path, reason: "byte_fallback is true but there is no byte piece for 0x\(hex)")
        }
        let spec = proto.normalizerSpec
        let charsmap: PrecompiledCharsmap?
        do {
            charsmap = spec.precompiledCharsmap.isEmpty ? nil : try PrecompiledCharsmap(blob: [UInt8](spec.precompiledCharsmap))
        } catch {
            throw .malformedModel(path: path, reason: "normalizer_spec.precompiled_charsmap: \(error)")
        }
        let userDefined = pieces.indices.filter { types[$0] == .userDefined }.map { pieces[$0] }
        normalizer = SentencePieceNormalizer(
            charsmap: charsmap, addDummyPrefix: spec.addDummyPrefix,
            removeExtraWhitespaces: spec.removeExtraWhitespaces, escapeWhitespaces: spec.escapeWhitespaces,
            treatWhitespaceAsSuffix: trainer.treatWhitespaceAsSuffix, protectedPieces: userDefined)
        let denormalizerSpec = proto.denormalizerSpec
        if proto.hasDenormalizerSpec, !denormalizerSpec.precompiledCharsmap.isEmpty {
            do {
                let map = try PrecompiledCharsmap(blob: [UInt8](denormalizerSpec.precompiledCharsmap))
                denormalizer = SentencePieceNormalizer(
                    charsmap: map, addDummyPrefix: denormalizerSpec.addDummyPrefix,
                    removeExtraWhitespaces: denormalizerSpec.removeExtraWhitespaces,
                    escapeWhitespaces: denormalizerSpec.escapeWhitespaces)
            } catch {
                throw .malformedModel(path: path, reason: "denormalizer_spec.precompiled_charsmap: \(error)")
            }
        } else {
            denormalizer = nil
        }
        self.pieces = pieces
        self.types = types
        self.scores = scores
        self.unknownID = unknown
        unknownSurface = trainer.hasUnkSurface ? [UInt8](trainer.unkSurface) : Array(" \u{2047} ".utf8)
        let piecesCount = pieces.count
        func optionalID(_ value: Int32) -> UInt32? { value >= 0 && Int(value) < piecesCount ? UInt32(value) : nil }
        bosID = optionalID(trainer.bosID)
        eosID = optionalID(trainer.eosID)
    }

    // MARK: - Encoding

    /// `sp.encode(text)`: the ids of `text`, without BOS/EOS.
    ///
    /// ```swift
    /// sp.encodeOrdinary("<s>hi")   // "<s>" is text here: ["▁<", "s", ">", "hi"]'s ids
    /// ```
    ///
    /// - Complexity: see the type.
    public func encodeOrdinary(_ text: String) -> [UInt32] {
        encode(bytes: Array(text.utf8))
    }

    /// The ids of UTF-8 bytes (invalid bytes are normalized to U+FFFD, as SentencePiece does).
    public func encode(bytes: [UInt8]) -> [UInt32] {
        let normalized = normalizer.normalize(bytes)
        switch algorithm {
        case .bpe(let bpe): return bpe.encode(normalized)
        case .unigram(let unigram): return unigram.encode(normalized)
        }
    }

    // MARK: - Decoding

    /// `sp.decode(ids)` as UTF-8 bytes.
    ///
    /// Control pieces decode to nothing, unknown pieces to the unknown surface, runs of byte pieces to their UTF-8
    /// (an invalid byte to U+FFFD), other pieces to their text with "▁" as a space; the first piece's leading
    /// "▁" (every leading one, with `remove_extra_whitespaces`) is dropped when the text starts, as the dummy
    /// prefix was added.
    ///
    /// ```swift
    /// try sp.decode(sp.encodeOrdinary("Hello"))   // Array("Hello".utf8)
    /// ```
    ///
    /// - Throws: `TokenizerError.unknownTokenID` for an id outside the vocabulary.
    /// - Complexity: O(ids + output bytes).
    public func decode(_ ids: [UInt32]) throws(TokenizerError) -> [UInt8] {
        var text: [UInt8] = []
        var pendingBytes: [UInt8] = []
        var expectsLeadingSpace = true
        var leadingSpaceSeen = false
        let stripsLeadingSpace = normalizer.addDummyPrefix || normalizer.removeExtraWhitespaces
        let space = SentencePieceNormalizer.spaceSymbol
        for id in ids {
            guard Int(id) < pieces.count else { throw .unknownTokenID(id) }
            let type = types[Int(id)]
            if type == .byte, let byte = UnknownPieces.byteOfPiece(pieces[Int(id)]) {
                pendingBytes.append(byte)
                continue
            }
            Self.appendBytes(pendingBytes, to: &text)
            pendingBytes.removeAll(keepingCapacity: true)
            if leadingSpaceSeen || !text.isEmpty { expectsLeadingSpace = false }
            leadingSpaceSeen = false
            switch type {
            case .control:
                continue
            case .unknown:
                text.append(contentsOf: unknownSurface)
                continue
            default:
                break
            }
            var piece = pieces[Int(id)][...]
            if expectsLeadingSpace && stripsLeadingSpace, piece.starts(with: space) {
                piece = piece.dropFirst(space.count)
                leadingSpaceSeen = !normalizer.removeExtraWhitespaces
            }
            var k = piece.startIndex
            while k < piece.endIndex {
                if piece[k] == space[0], piece.endIndex - k >= 3, piece[k + 1] == space[1], piece[k + 2] == space[2] {
                    text.append(UInt8(ascii: " "))
                    k += 3
                } else {
                    text.append(piece[k])
                    k += 1
                }
            }
        }
        Self.appendBytes(pendingBytes, to: &text)
        if let denormalizer { return denormalizer.normalize(text) }
        return text
    }

    /// Appends byte-fallback bytes: each valid UTF-8 character as is, each invalid byte as U+FFFD.
    private static func appendBytes(_ bytes: [UInt8], to text: inout [UInt8]) {
        var k = 0
        while k < bytes.count {
            if let length = SentencePieceUTF8.validLength(bytes, at: k) {
                text.append(contentsOf: bytes[k..<(k + length)])
                k += length
            } else {
                text.append(contentsOf: SentencePieceUTF8.replacementCharacter)
                k += 1
            }
        }
    }

    /// `sp.decode(ids)` as a string.
    ///
    /// ```swift
    /// try sp.decodeString([22557, 1526])   // "Hello world"
    /// ```
    ///
    /// - Throws: `TokenizerError.unknownTokenID` for an id outside the vocabulary.
    /// - Complexity: O(ids + output bytes).
    public func decodeString(_ ids: [UInt32]) throws(TokenizerError) -> String {
        String(decoding: try decode(ids), as: UTF8.self)
    }
}
