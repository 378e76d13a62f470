import CorpusCore
import Foundation

/// How an input file is read.
public enum InputKind: String, Sendable, Codable {
    /// One JSON object a line (plain, .gz or .zst: compression is detected by magic bytes).
    case jsonl
    /// The whole file is one document (plain, .gz or .zst); its id is its display path.
    case text
}

/// One file to read: where to open it, how to name it in ids and rejects, how to decode it.
public struct InputFile: Sendable, Equatable {
    /// The path to open.
    public var path: String
    /// The path as the recipe names it (relative where the recipe was): used in synthesized ids and rejects,
    /// so outputs do not depend on where the corpus is mounted.
    public var displayPath: String
    public var kind: InputKind
    public var fields: DocumentFields
    public var source: String?
    /// The file's position among the run's inputs, copied into every `Origin` (0 for a file read on its own).
    public var index: Int = 0

    public init(path: String, displayPath: String? = nil, kind: InputKind, fields: DocumentFields = DocumentFields(),
                source: String? = nil)
    {
        self.path = path
        self.displayPath = displayPath ?? path
        self.kind = kind
        self.fields = fields
        self.source = source
    }
}

/// Reader settings shared by every input.
public struct ReadOptions: Sendable, Equatable {
    /// A record (line, or text file) longer than this is rejected as `record_too_large`, never buffered whole.
    public var maxRecordBytes: Int
    /// Replace invalid UTF-8 with U+FFFD instead of rejecting the record.
    public var replaceInvalidUTF8: Bool
    /// Bytes pulled from the file at a time.
    public var chunkBytes: Int

    public init(maxRecordBytes: Int = 64 << 20, replaceInvalidUTF8: Bool = false, chunkBytes: Int = 1 << 20) {
        self.maxRecordBytes = maxRecordBytes
        self.replaceInvalidUTF8 = replaceInvalidUTF8
        self.chunkBytes = chunkBytes
    }
}

/// What reading produced, one record at a time. `record` (the raw bytes) is valid only in the callback.
public enum ReadEvent {
    case document(Document, record: UnsafeRawBufferPointer)
    case rejected(RecordProblem, origin: Origin, record: UnsafeRawBufferPointer)
}

/// Streams the documents of one input file.
///
/// Every non-blank record becomes exactly one event, so `documents + rejected` counts every record read.
/// Problems with the file as a whole (truncated or corrupt compressed data, a read error) end the file
/// early: the records before it are delivered, a partial last record is rejected as `truncated_record`,
/// and the problem is returned (not thrown) for the run's report. Errors thrown by `body` propagate.
public struct DocumentReader {
    public let file: InputFile
    public let options: ReadOptions

    public init(file: InputFile, options: ReadOptions) {
        self.file = file
        self.options = options
    }

    /// Called now and then with the number of file bytes (compressed for .gz / .zst) consumed since the last
    /// call, for progress lines; the calls add up to the file's size.
    public var onConsumed: ((Int64) -> Void)?

    @discardableResult
    public mutating func forEach(_ body: (ReadEvent) throws -> Void) throws -> IOError? {
        let source: any ByteSource
        do {
            source = try openInput(path: file.path)
        } catch {
            return error
        }
        var reported: Int64 = 0
        defer { onConsumed?(source.bytesConsumed - reported) }
        let report = { () -> Void in
            let now = source.bytesConsumed
            if now > reported, let onConsumed = self.onConsumed {
                onConsumed(now - reported)
                reported = now
            }
        }
        switch file.kind {
        case .jsonl: return try readLines(source, report, body)
        case .text: return try readWhole(source, body)
        }
    }

    private func readLines(_ source: any ByteSource, _ report: () -> Void, _ body: (ReadEvent) throws -> Void)
        throws -> IOError?
    {
        var records = 0
        let decoder = DocumentDecoder(fields: file.fields, replaceInvalidUTF8: options.replaceInvalidUTF8,
                                      source: file.source)
        let maxRecord = options.maxRecordBytes
        var framer = LineFramer(source: source, maxRecordBytes: options.maxRecordBytes, chunkBytes: options.chunkBytes)
        do {
            try framer.forEachLine { line in
                switch line {
                case let .record(number, bytes):
                    if isBlankLine(bytes) { return }
                    records += 1
                    if records & 1023 == 0 { report() }
                    let origin = Origin(file: file.displayPath, line: number, fileIndex: file.index)
                    switch decoder.decode(bytes, origin: origin) {
                    case let .success(document): try body(.document(document, record: bytes))
                    case let .failure(problem): try body(.rejected(problem, origin: origin, record: bytes))
                    }
                case let .oversized(number, byteCount, head):
                    let problem = RecordProblem(
                        reason: ReadRejection.recordTooLarge,
                        detail: "record of \(byteCount) bytes exceeds max_record_bytes \(maxRecord) "
                            + "(the rejects file keeps its first \(head.count) bytes)")
                    try body(.rejected(problem, origin: Origin(file: file.displayPath, line: number, fileIndex: file.index), record: head))
                case let .truncatedTail(number, bytes):
                    let problem = RecordProblem(
                        reason: ReadRejection.truncatedRecord,
                        detail: "the file ends inside this record (\(bytes.count) bytes read)")
                    try body(.rejected(problem, origin: Origin(file: file.displayPath, line: number, fileIndex: file.index), record: bytes))
                }
            }
        } catch let error as IOError where isInputError(error) {
            return error
        }
        return nil
    }

    private func readWhole(_ source: any ByteSource, _ body: (ReadEvent) throws -> Void) throws -> IOError? {
        let origin = Origin(file: file.displayPath, line: 1, fileIndex: file.index)
        var data: [UInt8] = []
        var total = 0
        var chunk = [UInt8](repeating: 0, count: min(options.chunkBytes, options.maxRecordBytes + 1))
        var inputError: IOError?
        do {
            while true {
                let n = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
                if n == 0 { break }
                total += n
                if data.count < options.maxRecordBytes {
                    data.append(contentsOf: chunk[0..<min(n, options.maxRecordBytes - data.count)])
                }
            }
        } catch {
            inputError = (error as? IOError) ?? .readFailed(path: file.path, reason: "\(error)")
        }
        if total > options.maxRecordBytes {
            let head = Array(data.prefix(4096))
            let problem = RecordProblem(
                reason: ReadRejection.recordTooLarge,
                detail: "file of \(total) bytes exceeds max_record_bytes \(options.maxRecordBytes)", id: file.displayPath)
            try head.withUnsafeBytes { try body(.rejected(problem, origin: origin, record: $0)) }
            return inputError
        }
        if let inputError {
            if !data.isEmpty {
                let problem = RecordProblem(reason: ReadRejection.truncatedRecord,
                                            detail: "\(inputError)", id: file.displayPath)
                try data.withUnsafeBytes { try body(.rejected(problem, origin: origin, record: $0)) }
            }
            return inputError
        }
        let text: String
        if let valid = String(validating: data, as: UTF8.self) {
            text = valid
        } else if options.replaceInvalidUTF8 {
            text = String(decoding: data, as: UTF8.self)
        } else {
            let problem = RecordProblem(reason: ReadRejection.invalidUTF8, detail: "the file is not valid UTF-8",
                                        id: file.displayPath)
            try data.withUnsafeBytes { try body(.rejected(problem, origin: origin, record: $0)) }
            return nil
        }
        if isBlank(text) {
            let problem = RecordProblem(reason: ReadRejection.emptyText, detail: data.isEmpty ? "the file is empty" : "the file holds only whitespace",
                                        id: file.displayPath)
            try data.withUnsafeBytes { try body(.rejected(problem, origin: origin, record: $0)) }
            return nil
        }
        let document = Document(id: file.displayPath, text: text, metadata: Metadata(source: file.source),
                                origin: origin)
        try data.withUnsafeBytes { try body(.document(document, record: $0)) }
        return nil
    }

    private func isInputError(_ error: IOError) -> Bool {
        switch error {
        case .truncated, .corrupt, .readFailed: true
        default: false
        }
    }
}

/// Whether a line holds only JSON whitespace (such lines are skipped, not counted as records).
@inline(__always) func isBlankLine(_ bytes: UnsafeRawBufferPointer) -> Bool {
    for b in bytes where !(b == 0x20 || b == 0x09 || b == 0x0D) { return false }
    return true
}
