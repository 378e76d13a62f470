import Foundation
import Tokenization

/// The ids a packer adds around documents: EOS after each, BOS before each (optional), padding.
public struct PackTokens: Sendable, Equatable {
    public var eos: UInt32
    public var bos: UInt32?
    public var pad: UInt32
    /// How each was chosen, for the log: `eos <|end_of_text|> (128001) from tokenizer_config.json`.
    public var notes: [String]

    public init(eos: UInt32, bos: UInt32?, pad: UInt32, notes: [String] = []) {
        self.eos = eos
        self.bos = bos
        self.pad = pad
        self.notes = notes
    }
}

/// Why the special tokens could not be chosen.
public enum PackError: Error, Sendable, Equatable, CustomStringConvertible {
    case noEOS(tokenizer: String)
    case unknownToken(role: String, token: String, tokenizer: String)
    case invalidOption(String)

    public var description: String {
        switch self {
        case let .noEOS(tokenizer):
            "\(tokenizer): no end-of-document token found (looked at tokenizer_config.json and the usual names "
                + "\(SpecialTokenNames.eos.joined(separator: ", "))): name one with --eos TOKEN"
        case let .unknownToken(role, token, tokenizer):
            "\(tokenizer): \(role) token '\(token)' is not in the vocabulary"
        case let .invalidOption(message): message
        }
    }
}

/// The usual names, in the order they are tried.
public enum SpecialTokenNames {
    /// End of document: Llama-3 and GPT-2/Qwen first; a chat end (`<|eot_id|>`, `<|im_end|>`) is not one.
    public static let eos = ["<|end_of_text|>", "<|endoftext|>", "<｜end▁of▁sentence｜>", "</s>", "<eos>",
                             "<|end|>", "[SEP]"]
    public static let bos = ["<|begin_of_text|>", "<｜begin▁of▁sentence｜>", "<s>", "<bos>", "<|startoftext|>",
                             "[CLS]"]
}

/// Chooses EOS, BOS and padding for `encoder`, loaded from `tokenizerPath`.
///
/// - `eos`: nil infers: `eos_token` of a tokenizer_config.json beside the file (unless it is a chat end such
///   as `<|eot_id|>`), else the first of `SpecialTokenNames.eos` in the vocabulary; a string names the token.
/// - `bos`: nil or `none` adds no BOS; `auto` infers as for EOS (`bos_token`, then the usual names); else
///   the token.
/// - `pad`: nil pads with EOS (loss-masked either way); else the token.
///
/// - Throws: `PackError.noEOS`, `.unknownToken`.
public func choosePackTokens(
    encoder: any TokenEncoder, tokenizerPath: String, eos: String?, bos: String?, pad: String?
) throws(PackError) -> PackTokens {
    let name = (tokenizerPath as NSString).lastPathComponent
    let config = tokenizerConfig(besideTokenizer: tokenizerPath)
    var notes: [String] = []

    func lookup(_ token: String, role: String) throws(PackError) -> UInt32 {
        guard let id = encoder.tokenID(token) else { throw .unknownToken(role: role, token: token, tokenizer: name) }
        return id
    }

    func infer(_ key: String, names: [String], skip: Set<String>) -> (UInt32, String)? {
        if let configured = config[key], !skip.contains(configured), let id = encoder.tokenID(configured) {
            return (id, "\(configured) (\(id)) from tokenizer_config.json")
        }
        for candidate in names {
            if let id = encoder.tokenID(candidate) { return (id, "\(candidate) (\(id)), a usual name") }
        }
        return nil
    }

    let eosID: UInt32
    if let eos {
        eosID = try lookup(eos, role: "eos")
        notes.append("eos \(eos) (\(eosID)) as given")
    } else {
        guard let (id, note) = infer("eos_token", names: SpecialTokenNames.eos, skip: ["<|eot_id|>", "<|im_end|>"])
        else { throw .noEOS(tokenizer: name) }
        eosID = id
        notes.append("eos " + note)
    }

    var bosID: UInt32?
    switch bos {
    case nil, "none":
        break
    case "auto":
        if let (id, note) = infer("bos_token", names: SpecialTokenNames.bos, skip: []) {
            bosID = id
            notes.append("bos " + note)
        } else {
            notes.append("bos: none found, documents start without one")
        }
    case let token?:
        bosID = try lookup(token, role: "bos")
        notes.append("bos \(token) (\(bosID ?? 0)) as given")
    }

    let padID = try pad.map { token throws(PackError) in try lookup(token, role: "pad") } ?? eosID
    if let pad { notes.append("pad \(pad) (\(padID))") }
    return PackTokens(eos: eosID, bos: bosID, pad: padID, notes: notes)
}

/// `eos_token` / `bos_token` of the tokenizer_config.json in the tokenizer's folder (a string, or an object
/// with `content`), or nothing.
func tokenizerConfig(besideTokenizer path: String) -> [String: String] {
    let folder = (path as NSString).deletingLastPathComponent
    let configPath = ((folder.isEmpty ? "." : folder) as NSString).appendingPathComponent("tokenizer_config.json")
    guard let data = FileManager.default.contents(atPath: configPath),
        let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    else { return [:] }
    var result: [String: String] = [:]
    for key in ["eos_token", "bos_token"] {
        if let text = object[key] as? String {
            result[key] = text
        } else if let nested = object[key] as? [String: Any], let text = nested["content"] as? String {
            result[key] = text
        }
    }
    return result
}
