import CorpusCore
import CorpusIO
import Tokenization

/// Writes each document as its token ids, `{"id": …, "ids": […]}` one line each, in input order: the
/// recipe form of `ptk tokenize` (`output.tokenizer`).
///
/// Encoding is `encode_ordinary`: special-token strings in the text are ordinary text. Runs on the worker
/// thread of its input file, so files are tokenized in parallel.
public struct TokenIDsSink: DocumentSink {
    private let file: OutputFile
    private let encoding: any TokenEncoder
    private var buffer = JSONWriter(capacity: 1 << 20)
    public private(set) var tokensWritten = 0

    public init(path: String, compression: Compression, level: Int?, encoding: any TokenEncoder) throws {
        file = try OutputFile(path: path, compression: compression, level: level)
        self.encoding = encoding
    }

    public mutating func write(_ document: Document) throws {
        let ids = encoding.encodeOrdinary(document.text)
        tokensWritten += ids.count
        buffer.raw("{\"id\":")
        buffer.string(document.id)
        buffer.raw(",\"ids\":[")
        for (i, id) in ids.enumerated() {
            if i > 0 { buffer.raw(",") }
            buffer.integer(id)
        }
        buffer.raw("]}\n")
        if buffer.bytes.count >= 1 << 20 {
            try file.write(buffer.bytes)
            buffer.bytes.removeAll(keepingCapacity: true)
        }
    }

    public mutating func finish() throws {
        try file.write(buffer.bytes)
        try file.commit()
    }
}
