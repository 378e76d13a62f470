import ArgumentParser
import Foundation
import Pipeline
import Shards
import Tokenization

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-read a packed folder and check it against its manifest.json.",
        discussion: """
            Checks the size and sha256 of every listed file, that train/ and cooldown/ hold no unlisted file, \
            that every shard's .bin/.idx files are well formed and agree, that token ids are below vocab_size, \
            and that the counts equal the manifest's. Exits 1 and lists the problems on any mismatch.
            """)

    @Argument(help: "The packed folder (holds manifest.json).")
    var folder: String

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() throws {
        let report = ShardVerifier.verify(folder: folder)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.render(), terminator: "")
        }
        if !report.ok { throw ExitCode(1) }
    }
}

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show one window of a packed folder: segments, loss mask, tokens and, with a tokenizer, text.")

    @Argument(help: "The packed folder (holds manifest.json).")
    var folder: String

    @Option(help: "The set: train or cooldown.")
    var set = "train"

    @Option(help: "The window's index in the set.")
    var window: Int

    @Option(help: "A tokenizer file to decode each segment with (tokenizer.json, .model or .tiktoken).")
    var tokenizer: String?

    @Option(help: "Encoding of a .tiktoken file (default: from the file name).")
    var encoding: String?

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        do {
            let decoder = try tokenizer.map { path in try TokenizerFile.load(path: path, encoding: encoding) }
            let decode: (([UInt32]) -> String)? = decoder.map { encoder in
                { ids in
                    do {
                        return String(decoding: try encoder.decode(ids), as: UTF8.self)
                    } catch {
                        return "<cannot decode: \(error)>"
                    }
                }
            }
            let inspection = try WindowInspection.load(folder: folder, set: set, window: window, decode: decode)
            print(json ? try inspection.jsonString() : inspection.render(), terminator: "")
        } catch {
            throw reportFailure(error, log: Log())
        }
    }
}
