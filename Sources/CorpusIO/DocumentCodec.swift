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
/// absent it is synthesized as `file:line`. A record's `source` string is the document's source unless the
/// input names one. Every other field goes into `metadata.fields`, nested objects flattened to dotted keys;
/// the keys of a top-level `meta` object (where `DocumentEncoder` writes metadata) are taken without the
/// `meta.` prefix, so decoding what we encoded gives back the same document. Strings stay as they are,
/// other values keep their JSON text.
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
        var consumed = Set([fields.text, fields.id, fields.url].map { $0.joined(separator: ".") })
        if source == nil, case let .string(recordSource)? = object["source"] {
            metadata.source = recordSource
            consumed.insert("source")
        }
        for (key, field) in zip(object.keys, object.values) {
            if key == "meta", case let .object(inner) = field {
                // `meta` is where we write metadata: its keys are taken as they are, so that reading our own
                // output gives back the same map (and `meta.url` is still found by a `meta.url` url path).
                flatten(inner, path: "meta", name: "", consumed: consumed, into: &metadata.fields)
            } else {
                flatten(field, key: key, path: "", name: "", consumed: consumed, into: &metadata.fields)
            }
        }
        return .success(Document(id: id, text: text, metadata: metadata, origin: origin))
    }

    /// Copies the fields of `object` into `fields` under dotted names. `path` is the field's position in the
    /// record (compared with the text, id and url paths); `name` is the key it gets in the map.
    private func flatten(_ object: JSONObject, path: String, name: String, consumed: Set<String>,
                         into fields: inout [String: String])
    {
        for (key, value) in zip(object.keys, object.values) {
            flatten(value, key: key, path: path, name: name, consumed: consumed, into: &fields)
        }
    }

    private func flatten(_ value: JSONValue, key: String, path: String, name: String, consumed: Set<String>,
                         into fields: inout [String: String])
    {
        let fieldPath = path.isEmpty ? key : path + "." + key
        if consumed.contains(fieldPath) { return }
        let fieldName = name.isEmpty ? key : name + "." + key
        switch value {
        case let .object(inner): flatten(inner, path: fieldPath, name: fieldName, consumed: consumed, into: &fields)
        case let .string(s): fields[fieldName] = s
        default: fields[fieldName] = value.jsonText
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
