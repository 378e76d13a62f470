import CorpusCore
import Foundation

/// Reasons a record is rejected before it becomes a document. Stable strings: they key the ledger,
/// the rejects files and the manifest.
public enum ReadRejection {
    public static let malformedJSON = "malformed_json"
    public static let notAnObject = "not_an_object"
    public static let invalidUTF8 = "invalid_utf8"
    public static let missingText = "missing_text"
    public static let textNotString = "text_not_string"
    public static let emptyText = "empty_text"
    public static let recordTooLarge = "record_too_large"
    public static let truncatedRecord = "truncated_record"
}

/// Where the text, id and url of a record live: dotted paths of object keys.
public struct DocumentFields: Sendable, Equatable {
    public var text: [String]
    public var id: [String]
    public var url: [String]

    public init(text: [String] = ["text"], id: [String] = ["id"], url: [String] = ["url"]) {
        self.text = text
        self.id = id
        self.url = url
    }
}

/// A record that did not become a document: the reason (one of `ReadRejection`) and a human detail.
public struct RecordProblem: Error, Sendable, Equatable {
    public var reason: String
    public var detail: String
    /// The record's id when it could be read, for the rejects file.
    public var id: String?

    public init(reason: String, detail: String, id: String? = nil) {
        self.reason = reason
        self.detail = detail
        self.id = id
    }
}

/// Turns one JSON record into a `Document`.
///
/// The text must be a non-empty string (not only whitespace). The id may be a string or a number; when
/// absent it is synthesized as `file:line`. Every other field goes into `metadata.fields`, nested objects
/// flattened to dotted keys (`meta.crawl`); strings as they are, other values as their JSON text.
public struct DocumentDecoder: Sendable {
    public var fields: DocumentFields
    public var replaceInvalidUTF8: Bool
    public var source: String?

    public init(fields: DocumentFields = DocumentFields(), replaceInvalidUTF8: Bool = false, source: String? = nil) {
        self.fields = fields
        self.replaceInvalidUTF8 = replaceInvalidUTF8
        self.source = source
    }

    public func decode(_ record: UnsafeRawBufferPointer, origin: Origin) -> Result<Document, RecordProblem> {
        let value: JSONValue
        do {
            value = try JSONParser.parse(record, replaceInvalidUTF8: replaceInvalidUTF8)
        } catch let .invalidUTF8(offset) {
            return .failure(RecordProblem(reason: ReadRejection.invalidUTF8, detail: "invalid UTF-8 at byte \(offset)"))
        } catch {
            return .failure(RecordProblem(reason: ReadRejection.malformedJSON, detail: error.description))
        }
        guard case let .object(object) = value else {
            return .failure(RecordProblem(reason: ReadRejection.notAnObject, detail: "the record is not a JSON object"))
        }
        let id: String
        switch value.value(at: fields.id) {
        case let .string(s)?: id = s
        case let .number(n)?: id = n
        default: id = origin.description
        }
        guard let textValue = value.value(at: fields.text) else {
            return .failure(RecordProblem(
                reason: ReadRejection.missingText, detail: "no field '\(fields.text.joined(separator: "."))'", id: id))
        }
        guard case let .string(text) = textValue else {
            return .failure(RecordProblem(
                reason: ReadRejection.textNotString,
                detail: "field '\(fields.text.joined(separator: "."))' is not a string", id: id))
        }
        guard !isBlank(text) else {
            return .failure(RecordProblem(reason: ReadRejection.emptyText, detail: "the text is empty", id: id))
        }
        var metadata = Metadata(source: source)
        if case let .string(url)? = value.value(at: fields.url) { metadata.url = url }
        flatten(object, prefix: [], into: &metadata.fields)
        return .success(Document(id: id, text: text, metadata: metadata, origin: origin))
    }

    /// Copies every field but text, id and url into `fields`: nested objects become dotted keys
    /// (`meta.crawl`), strings stay as they are, other values keep their JSON text.
    private func flatten(_ object: JSONObject, prefix: [String], into fields: inout [String: String]) {
        for (key, value) in zip(object.keys, object.values) {
            let path = prefix + [key]
            if path == self.fields.text || path == self.fields.id || path == self.fields.url { continue }
            switch value {
            case let .object(inner): flatten(inner, prefix: path, into: &fields)
            case let .string(s): fields[path.joined(separator: ".")] = s
            default: fields[path.joined(separator: ".")] = value.jsonText
            }
        }
    }
}

/// Whether `text` has no characters other than whitespace.
@inlinable public func isBlank(_ text: String) -> Bool {
    text.unicodeScalars.allSatisfy { $0.properties.isWhitespace }
}

/// Writes documents as JSONL records: `{"id", "text", "url"?, "source"?, "meta"?}` with `meta` keys sorted,
/// so the same document always gives the same bytes.
public enum DocumentEncoder {
    public static func encode(_ document: Document, into writer: inout JSONWriter) {
        writer.raw("{\"id\":")
        writer.string(document.id)
        writer.raw(",\"text\":")
        writer.string(document.text)
        if let url = document.metadata.url {
            writer.raw(",\"url\":")
            writer.string(url)
        }
        if let source = document.metadata.source {
            writer.raw(",\"source\":")
            writer.string(source)
        }
        if !document.metadata.fields.isEmpty {
            writer.raw(",\"meta\":{")
            for (i, key) in document.metadata.fields.keys.sorted().enumerated() {
                if i > 0 { writer.raw(",") }
                writer.string(key)
                writer.raw(":")
                writer.string(document.metadata.fields[key] ?? "")
            }
            writer.raw("}")
        }
        writer.raw("}\n")
    }
}

/// One line of a rejects file: what was rejected, where it came from, by which stage and why, with the
/// original record (as text when it is UTF-8, else base64 in `record_base64`).
public struct RejectEntry: Sendable {
    public var id: String?
    public var origin: Origin?
    public var stage: String
    public var reason: String
    public var detail: String
    public var record: [UInt8]

    public init(id: String?, origin: Origin?, stage: String, reason: String, detail: String, record: [UInt8]) {
        self.id = id
        self.origin = origin
        self.stage = stage
        self.reason = reason
        self.detail = detail
        self.record = record
    }

    public func encode(into writer: inout JSONWriter) {
        writer.raw("{\"id\":")
        if let id { writer.string(id) } else { writer.raw("null") }
        writer.raw(",\"file\":")
        if let origin { writer.string(origin.file) } else { writer.raw("null") }
        writer.raw(",\"line\":")
        if let origin { writer.rawBytes(String(origin.line).utf8) } else { writer.raw("null") }
        writer.raw(",\"stage\":")
        writer.string(stage)
        writer.raw(",\"reason\":")
        writer.string(reason)
        writer.raw(",\"detail\":")
        writer.string(detail)
        if let text = String(validating: record, as: UTF8.self) {
            writer.raw(",\"record\":")
            writer.string(text)
        } else {
            writer.raw(",\"record_base64\":")
            writer.string(Data(record).base64EncodedString())
        }
        writer.raw("}\n")
    }
}
