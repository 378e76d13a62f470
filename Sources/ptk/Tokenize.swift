import ArgumentParser
import CorpusCore
import CorpusIO
import Foundation
import Pipeline
import Tokenization

/// Where the tokenizer comes from: a HF tokenizer.json, a SentencePiece .model, or a .tiktoken file plus the
/// named encoding that gives its pattern and special tokens (the file holds neither).
struct TokenizerOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Tokenizer file: a HF tokenizer.json (byte-level BPE, SentencePiece-style BPE, "
                               + "WordPiece, Unigram), a SentencePiece .model, or a .tiktoken rank file."))
    var tokenizer: String

    @Option(help: ArgumentHelp("Encoding the file belongs to: cl100k_base, o200k_base, r50k_base or gpt2 "
                               + "(default: from the file name)."))
    var encoding: String?

    func load() throws -> any TokenEncoder {
        try TokenizerFile.load(path: tokenizer, encoding: encoding)
    }
}

struct Encode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Encode text to token ids (special-token strings are ordinary text unless allowed).")

    @OptionGroup var tokenizer: TokenizerOptions

    @Flag(help: "Match the encoding's special tokens in the text instead of encoding them as text.")
    var allowSpecial = false

    @Argument(help: "The text.")
    var text: String

    func run() throws {
        do {
            let enc = try tokenizer.load()
            let ids: [UInt32]
            if allowSpecial {
                guard let tiktoken = enc as? TiktokenEncoding else {
                    throw ValidationError("--allow-special is supported for .tiktoken files only, so far")
                }
                ids = tiktoken.encode(text, allowedSpecial: Set(tiktoken.specialTokens.keys))
            } else {
                ids = enc.encodeOrdinary(text)
            }
            print("[" + ids.map(String.init).joined(separator: ", ") + "]")
        } catch let error as ValidationError {
            throw error
        } catch {
            throw reportFailure(error, log: Log())
        }
    }
}

struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Decode token ids to text.")

    @OptionGroup var tokenizer: TokenizerOptions

    @Argument(help: "Token ids (separated by spaces or commas; brackets allowed).")
    var ids: [String]

    func run() throws {
        do {
            let enc = try tokenizer.load()
            let numbers = ids.joined(separator: " ")
                .split(whereSeparator: { " ,[]\n\t".contains($0) })
            var values: [UInt32] = []
            for n in numbers {
                guard let v = UInt32(n) else { throw ValidationError("not a token id: \(n)") }
                values.append(v)
            }
            print(try enc.decodeString(values))
        } catch let error as ValidationError {
            throw error
        } catch {
            throw reportFailure(error, log: Log())
        }
    }
}

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tokenize a JSONL corpus: one line per document, in input order, {\"id\": …, \"ids\": […]}.",
        discussion: """
            Records that are not documents (malformed JSON, invalid UTF-8, no text…) are written to \
            OUTPUT.rejects.jsonl.zst with their reason; documents read = lines written + records rejected.
            """)

    @OptionGroup var tokenizer: TokenizerOptions

    @Option(help: "Input JSONL (plain, .gz or .zst).")
    var input: String

    @Option(help: "Output JSONL (.gz / .zst by extension).")
    var output: String

    @Option(help: "Dotted path of the text field.")
    var textField = "text"

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int = defaultThreadCount()

    @Option(help: "Documents encoded per parallel batch.")
    var batch = 4096

    func run() throws {
        do {
            let enc = try tokenizer.load()
            let sink = try OutputFile(path: output)
            var rejects = try RejectsSink(path: output + ".rejects.jsonl.zst", enabled: true)
            var fields = DocumentFields()
            fields.text = textField.split(separator: ".").map(String.init)
            var reader = DocumentReader(file: InputFile(path: input, kind: .jsonl, fields: fields),
                                        options: ReadOptions())
            var ids: [String] = []
            var texts: [String] = []
            var ledger = Ledger()
            var tokens = 0
            func flush() throws {
                // Encoding and JSON formatting both run on every thread, chunk by chunk; chunks are written
                // in order, so the output is the same for any thread count.
                let encoded = enc.encodeOrdinaryBatch(texts, threads: threads)
                let batchIDs = ids
                let chunks = max(1, min(threads, batchIDs.count))
                let parts = orderedParallelMap(count: chunks, threads: chunks) { c in
                    var writer = JSONWriter(capacity: 1 << 20)
                    for i in (batchIDs.count * c / chunks)..<(batchIDs.count * (c + 1) / chunks) {
                        writer.raw("{\"id\":")
                        writer.string(batchIDs[i])
                        writer.raw(",\"ids\":[")
                        for (k, t) in encoded[i].enumerated() {
                            if k > 0 { writer.raw(",") }
                            writer.integer(t)
                        }
                        writer.raw("]}\n")
                    }
                    return writer.bytes
                }
                for part in parts { try sink.write(part) }
                tokens += encoded.reduce(0) { $0 + $1.count }
                ledger.written += ids.count
                ids.removeAll(keepingCapacity: true)
                texts.removeAll(keepingCapacity: true)
            }
            let counts = try reader.forEachDocument(rejects: &rejects) { document, _ in
                ids.append(document.id)
                texts.append(document.text)
                if texts.count >= batch { try flush() }
            }
            ledger.read += counts.read
            ledger.rejected += counts.rejected
            let problem = counts.problem
            try flush()
            try ledger.check()
            try sink.commit()
            try rejects.finish()
            if let problem { Log().warning("\(problem)") }
            Log().info("\(ledger.written) documents, \(tokens) tokens → \(output); \(ledger.rejected) rejected")
        } catch let error as ValidationError {
            throw error
        } catch {
            throw reportFailure(error, log: Log())
        }
    }
}
