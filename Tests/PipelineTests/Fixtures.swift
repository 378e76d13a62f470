import CorpusCore
import CorpusIO
import Foundation
import Tokenization
@testable import Pipeline

/// A temporary folder that removes itself.
final class TempFolder {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("ptk-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func write(_ relative: String, _ text: String) throws { try write(relative, Array(text.utf8)) }

    func write(_ relative: String, _ bytes: [UInt8]) throws {
        let full = "\(path)/\(relative)"
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: full))
    }

    /// Writes `lines` compressed as the extension says (.gz / .zst through our writer).
    func writeCompressed(_ relative: String, _ lines: [String]) throws {
        let out = try OutputFile(path: "\(path)/\(relative)")
        try out.write(lines.map { $0 + "\n" }.joined())
        try out.commit()
    }

    func read(_ relative: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: "\(path)/\(relative)")))
    }

    func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: "\(path)/\(relative)") }
}

/// Every line of a (possibly compressed) JSONL file, parsed.
func readJSONL(_ path: String) throws -> [JSONValue] {
    var values: [JSONValue] = []
    var framer = LineFramer(source: try openInput(path: path), maxRecordBytes: 1 << 26)
    try framer.forEachLine { line in
        if case let .record(_, bytes) = line, !bytes.isEmpty { values.append(try JSONParser.parse(bytes)) }
    }
    return values
}

func string(_ v: JSONValue?) -> String? {
    if case let .string(s)? = v { return s }
    return nil
}

/// Runs the recipe text in `folder` and returns the outcome.
@discardableResult
func runRecipe(_ yaml: String, in folder: TempFolder, name: String = "recipe.yaml", threads: Int = 2,
               shard: ShardIndex = .single, force: Bool = false) throws -> RunOutcome
{
    try folder.write(name, yaml)
    let runner = try Job.prepare(recipePath: "\(folder.path)/\(name)",
                                 options: RunOptions(threads: threads, shard: shard, force: force,
                                                     log: Log(quiet: true)))
    return try runner.run()
}

/// A toy byte-level BPE tokenizer.json: the 256 bytes (ids 0–255), one merge ("  " → 256), and added tokens
/// from 257 on (e.g. `<|endoftext|>`).
func toyTokenizerJSON(addedTokens: [String] = []) -> String {
    let vocab = (0...255).map { byte -> String in
        let scalar = Unicode.Scalar(ByteLevelAlphabet.scalar(of: UInt8(byte))) ?? "?"
        let key = String(Character(scalar))
            .replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"\(key)\": \(byte)"
    }.joined(separator: ", ")
    let added = addedTokens.enumerated().map { i, token in
        "{\"id\": \(257 + i), \"content\": \"\(token)\", \"single_word\": false, \"lstrip\": false, "
            + "\"rstrip\": false, \"normalized\": false, \"special\": true}"
    }.joined(separator: ", ")
    return "{\"normalizer\": null, \"pre_tokenizer\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false}, "
        + "\"decoder\": null, \"added_tokens\": [\(added)], \"model\": {\"type\": \"BPE\", \"vocab\": {\(vocab), "
        + "\"ĠĠ\": 256}, \"merges\": [\"Ġ Ġ\"]}}"
}
