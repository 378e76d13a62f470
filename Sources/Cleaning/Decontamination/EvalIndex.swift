import CorpusCore
import CorpusIO

/// Problems loading evaluation sets.
public enum DecontaminationError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadable(file: String, message: String)
    case noRecords(file: String, fields: [String])
    case badN(Int)

    public var description: String {
        switch self {
        case let .unreadable(file, message): "cannot read evaluation set \(file): \(message)"
        case let .noRecords(file, fields):
            "evaluation set \(file) has no record with text in the fields \(fields.joined(separator: ", "))"
        case let .badN(n): "n-gram size must be 1…64, got \(n)"
        }
    }
}

/// One evaluation record the index was built from.
public struct EvalRecord: Sendable, Equatable {
    /// Path of the evaluation file as given.
    public var file: String
    /// 1-based line in the file.
    public var line: Int
    /// The record's `id` field, else `line <n>`.
    public var id: String

    public init(file: String, line: Int, id: String) {
        self.file = file
        self.line = line
        self.id = id
    }
}

/// An n-gram of a training document that also occurs in an evaluation record.
public struct OverlapMatch: Sendable, Equatable {
    public var record: EvalRecord
    /// The normalized n-gram, words joined by single spaces.
    public var ngram: String
    /// Index of the n-gram's first word among the document's normalized words.
    public var word: Int
    /// UTF-8 byte range in the document's text, from the first word's token to the last one's.
    public var bytes: Range<Int>
}

/// Every n-gram of normalized words (`OverlapWords`) of one or more evaluation sets, for lookups while the
/// corpus streams by.
///
/// Each n-gram is keyed by a 64-bit hash (polynomial over the words' FNV-1a hashes, then a SplitMix finalizer);
/// the key maps to the first record holding that n-gram. A hit is verified word by word against the record's
/// stored words, so a hash collision never reports a false match (it may hide the second of two colliding
/// n-grams, at odds of about one in 2^64 per pair). The fields of a record are joined in the order given,
/// so n-grams run across them (question then answer); a record with fewer than `n` words adds nothing and is
/// counted in `shortRecords`.
///
/// - Complexity: building O(total eval words); a document O(its words) hash lookups.
public struct EvalIndex: Sendable {
    public let n: Int
    public private(set) var records: [EvalRecord] = []
    /// Records with fewer than `n` words (they can never match).
    public private(set) var shortRecords = 0
    private var words: [[String]] = []
    private var table: [UInt64: (record: Int32, word: Int32)] = [:]

    public var ngramCount: Int { table.count }

    public init(n: Int = 13) throws(DecontaminationError) {
        guard (1...64).contains(n) else { throw .badN(n) }
        self.n = n
    }

    /// Builds an index of `files` (JSONL), reading the text of `fields` (dotted paths; string values, arrays of
    /// strings joined by spaces, numbers as written).
    public static func load(files: [String], fields: [String], idField: String = "id", n: Int = 13)
        throws(DecontaminationError) -> EvalIndex
    {
        var index = try EvalIndex(n: n)
        try forEachRecord(files: files, fields: fields, idField: idField) { text, record in
            index.add(text, record: record)
        }
        return index
    }

    /// Calls `body` with the text of every record of `files` that has one of `fields` (joined by newlines, in the
    /// order given), and the record. A file that is not JSON Lines, or has no such record, is an error.
    public static func forEachRecord(files: [String], fields: [String], idField: String = "id",
                                     _ body: (String, EvalRecord) -> Void) throws(DecontaminationError)
    {
        let paths = fields.map { $0.split(separator: ".").map(String.init) }
        let idPath = idField.split(separator: ".").map(String.init)
        for file in files {
            var reader = DocumentReader(file: InputFile(path: file, kind: .jsonl, fields: DocumentFields(text: [])),
                                        options: ReadOptions())
            var added = 0
            var failure: String?
            do {
                let problem = try reader.forEach { event in
                    let (record, line): (UnsafeRawBufferPointer, Int)
                    switch event {
                    case let .document(doc, r): (record, line) = (r, doc.origin?.line ?? 0)
                    case let .rejected(_, origin, r): (record, line) = (r, origin.line)
                    }
                    guard let value = try? JSONParser.parse(record) else {
                        failure = "line \(line) is not JSON"
                        return
                    }
                    let texts = paths.compactMap { value.value(at: $0).flatMap(EvalIndex.text(of:)) }
                    guard !texts.isEmpty else { return }
                    let id = value.value(at: idPath).flatMap(EvalIndex.text(of:)) ?? "line \(line)"
                    body(texts.joined(separator: "\n"), EvalRecord(file: file, line: line, id: id))
                    added += 1
                }
                if let problem { failure = "\(problem)" }
            } catch {
                failure = "\(error)"
            }
            if let failure { throw .unreadable(file: file, message: failure) }
            if added == 0 { throw .noRecords(file: file, fields: fields) }
        }
    }

    static func text(of value: JSONValue) -> String? {
        switch value {
        case let .string(s): s
        case let .number(s): s
        case let .array(items):
            items.compactMap(text(of:)).joined(separator: " ")
        case .bool, .null, .object: nil
        }
    }

    /// Adds the n-grams of one record.
    public mutating func add(_ text: String, record: EvalRecord) {
        let w = OverlapWords(text)
        let r = Int32(records.count)
        records.append(record)
        words.append((0..<w.count).map(w.string))
        guard w.count >= n else {
            shortRecords += 1
            return
        }
        var roll = RollingNGramHash(n: n)
        for k in 0..<w.count {
            guard let key = roll.push(w.hashes[k], dropping: k >= n ? w.hashes[k - n] : nil) else { continue }
            if table[key] == nil { table[key] = (r, Int32(k + 1 - n)) }
        }
    }

    /// The overlaps of a document with the evaluation sets, in document order (one per matching n-gram
    /// position). `limit` stops early (1 for a yes/no answer).
    public func matches(in text: String, limit: Int = .max) -> [OverlapMatch] {
        let w = OverlapWords(text)
        guard w.count >= n, !table.isEmpty else { return [] }
        var out: [OverlapMatch] = []
        var roll = RollingNGramHash(n: n)
        for k in 0..<w.count {
            guard let key = roll.push(w.hashes[k], dropping: k >= n ? w.hashes[k - n] : nil),
                  let hit = table[key] else { continue }
            let start = k + 1 - n
            let evalWords = words[Int(hit.record)]
            var same = true
            for j in 0..<n where evalWords[Int(hit.word) + j].utf8.elementsEqual(w.word(start + j)) == false {
                same = false
                break
            }
            guard same else { continue }
            out.append(OverlapMatch(record: records[Int(hit.record)], ngram: w.ngram(from: start, n: n), word: start,
                                    bytes: w.spans[start].lowerBound..<w.spans[k].upperBound))
            if out.count >= limit { break }
        }
        return out
    }
}

/// Hash of the last `n` word hashes: Σ h[j]·B^(n−1−j) mod 2^64, updated in O(1) per word, then mixed.
struct RollingNGramHash {
    static let base: UInt64 = 0x9E37_79B9_7F4A_7C15 | 1
    let n: Int
    let top: UInt64  // B^(n−1)
    var value: UInt64 = 0
    var filled = 0

    init(n: Int) {
        self.n = n
        var p: UInt64 = 1
        for _ in 0..<(n - 1) { p = p &* RollingNGramHash.base }
        top = p
    }

    /// Adds a word; returns the key of the n-gram ending at it once `n` words were pushed.
    mutating func push(_ h: UInt64, dropping old: UInt64?) -> UInt64? {
        if let old { value = value &- old &* top }
        value = value &* RollingNGramHash.base &+ h
        filled += 1
        guard filled >= n else { return nil }
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
