/// One unit of the corpus as it flows through the pipeline.
///
/// A value type: stages that change a document (transforms) get their own copy, filters only read it.
/// `text` is the document's UTF-8 text; `metadata` keeps the typed fields every stage may need (url, source)
/// and a string map for everything else the input record carried.
public struct Document: Sendable, Equatable {
    /// Stable identifier: taken from the input record, or synthesized as `file:line` when absent.
    public var id: String
    /// The document's text (valid Unicode; readers reject or repair invalid UTF-8 before a document exists).
    public var text: String
    /// Typed metadata.
    public var metadata: Metadata
    /// Where the document was read from; nil for documents built in memory.
    public var origin: Origin?

    public init(id: String, text: String, metadata: Metadata = Metadata(), origin: Origin? = nil) {
        self.id = id
        self.text = text
        self.metadata = metadata
        self.origin = origin
    }

    /// Size of the text in UTF-8 bytes, the unit every byte count of the ledger uses.
    @inlinable public var byteCount: Int { text.utf8.count }
}

/// Typed metadata of a document: url and source have their own fields; anything else is a string map.
public struct Metadata: Sendable, Equatable {
    /// The page the document came from, when known (MeCo conditioning and URL filters use it).
    public var url: String?
    /// A label of the input it came from (`web`, `wiki`, `medical`…), set by the recipe's input.
    public var source: String?
    /// Every other field of the input record. Non-string JSON values keep their JSON text.
    public var fields: [String: String]

    public init(url: String? = nil, source: String? = nil, fields: [String: String] = [:]) {
        self.url = url
        self.source = source
        self.fields = fields
    }
}

/// The place a record was read from: file path and 1-based line (a text file counts as line 1).
public struct Origin: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    /// The file's position among the run's inputs (0 when read on its own).
    public var fileIndex: Int

    public init(file: String, line: Int, fileIndex: Int = 0) {
        self.file = file
        self.line = line
        self.fileIndex = fileIndex
    }

    /// A key unique within a run and stable between its passes: file index (24 bits) and line (40 bits).
    /// Corpus steps (dedup) use it to name a document they saw in the pre-pass.
    @inlinable public var key: UInt64 { UInt64(truncatingIfNeeded: fileIndex) << 40 | UInt64(truncatingIfNeeded: line) & (1 << 40 - 1) }

    public var description: String { "\(file):\(line)" }
}
