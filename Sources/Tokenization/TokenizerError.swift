/// Errors of the tokenizers and their file formats; every case names what a user needs to find the problem.
///
/// ```swift
/// do { _ = try encoding.decode([999_999]) } catch { print(error) }   // "unknown token id 999999"
/// ```
///
/// - Complexity: O(1) to build; `description` is O(length of the carried context).
public enum TokenizerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A file could not be opened or read.
    case unreadableFile(path: String, reason: String)
    /// A line of a vocabulary file is malformed (line numbers start at 1).
    case malformedLine(path: String, line: Int, reason: String)
    /// The same token bytes appear twice in a vocabulary file.
    case duplicateToken(path: String, line: Int, firstLine: Int)
    /// The same rank appears twice in a vocabulary file.
    case duplicateRank(path: String, line: Int, rank: UInt32, firstLine: Int)
    /// A rank table given in memory lists one rank for two different byte strings.
    case duplicateRankInTable(rank: UInt32)
    /// A rank table given in memory maps the empty byte string to a rank.
    case emptyToken(rank: UInt32)
    /// A byte-level vocabulary lacks the token for a single byte, so some inputs could not be encoded.
    case missingByte(UInt8)
    /// A special token is empty, or its id collides with an ordinary token's rank or another special token.
    case invalidSpecialToken(token: String, id: UInt32, reason: String)
    /// A token id that is neither an ordinary token nor a special token.
    case unknownTokenID(UInt32)
    /// An encoding name that `TiktokenEncoding.named` does not know.
    case unknownEncoding(name: String, known: [String])
    /// A JSON document (tokenizer.json and the like) is malformed at `jsonPath` (e.g. `model.merges[17]`).
    case malformedJSON(path: String, jsonPath: String, reason: String)
    /// A tokenizer.json component (normalizer, pre-tokenizer, model, decoder, added token, regex) that is valid
    /// but not supported yet, at `jsonPath` (e.g. `pre_tokenizer.pretokenizers[0].pattern.Regex`).
    case unsupportedComponent(path: String, jsonPath: String, component: String)
    /// A SentencePiece .model file that is not a valid ModelProto, or whose pieces SentencePiece would refuse
    /// (no unknown piece, a duplicate piece, missing byte pieces with byte fallback, ...).
    case malformedModel(path: String, reason: String)
    /// A precompiled normalization charsmap (SentencePiece `precompiled_charsmap`) whose blob is broken.
    case malformedCharsmap(reason: String)

    public var description: String {
        switch self {
        case let .unreadableFile(path, reason):
            "cannot read \(path): \(reason)"
        case let .malformedLine(path, line, reason):
            "\(path):\(line): malformed line: \(reason)"
        case let .duplicateToken(path, line, firstLine):
            "\(path):\(line): duplicate token (the same bytes are already listed on line \(firstLine))"
        case let .duplicateRank(path, line, rank, firstLine):
            "\(path):\(line): duplicate rank \(rank) (already used on line \(firstLine))"
        case let .duplicateRankInTable(rank):
            "rank table lists rank \(rank) for two different byte strings"
        case let .emptyToken(rank):
            "rank table maps the empty byte string to rank \(rank); tokens must be non-empty"
        case let .missingByte(byte):
            "byte-level vocabulary has no token for the single byte 0x\(String(byte, radix: 16, uppercase: true))"
        case let .invalidSpecialToken(token, id, reason):
            "invalid special token \(token.debugDescription) with id \(id): \(reason)"
        case let .unknownTokenID(id):
            "unknown token id \(id)"
        case let .unknownEncoding(name, known):
            "unknown encoding \(name.debugDescription) (known: \(known.joined(separator: ", ")))"
        case let .malformedJSON(path, jsonPath, reason):
            "\(path): malformed JSON at \(jsonPath): \(reason)"
        case let .unsupportedComponent(path, jsonPath, component):
            "\(path): unsupported tokenizer component at \(jsonPath): \(component)"
        case let .malformedModel(path, reason):
            "\(path): malformed SentencePiece model: \(reason)"
        case let .malformedCharsmap(reason):
            "malformed precompiled charsmap: \(reason)"
        }
    }
}
