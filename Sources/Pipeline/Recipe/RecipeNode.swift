import Foundation
import Synchronization
import Yams

/// One mapping (or other value) of a recipe with typed, located accessors that remember which keys were read.
///
/// Step builders receive their parameters as a `RecipeNode`, read what they know, then call `finish()`:
/// any key nobody asked for is reported as `RecipeError.unknownKey` with its path, line and a "did you mean"
/// suggestion. Every accessor returns nil (or its default) when the key is absent or its value is YAML null,
/// and throws a `RecipeError` naming the path when the value has the wrong type or is out of range.
///
/// The YAML is copied out of Yams into an immutable value tree, so a node is `Sendable` and can travel with
/// the `Recipe`; the record of asked keys is the only mutable state and sits behind a lock.
public final class RecipeNode: Sendable, Equatable, CustomStringConvertible {
    /// Where this node sits: its path and the line and column of its key (or sequence item).
    public let location: RecipeLocation
    let value: RecipeValue
    private let state = Mutex(State())

    private struct State {
        /// Keys an accessor asked for, in first-asked order (suggestions prefer earlier ones on ties).
        var asked: [String] = []
        /// Nodes handed out by `child` and `mappings`, checked again by `finish()`.
        var vended: [String: [RecipeNode]] = [:]
    }

    init(value: RecipeValue, location: RecipeLocation) {
        self.value = value
        self.location = location
    }

    /// A node with no parameters, e.g. for a step written as a bare name (`- trim`).
    public static func empty(at location: RecipeLocation) -> RecipeNode {
        RecipeNode(value: RecipeValue(content: .mapping([]), line: location.line, column: location.column),
                   location: location)
    }

    /// Parses a YAML mapping, e.g. the parameters of a step in a test. Empty text gives an empty mapping.
    ///
    /// - Throws: `.syntax` for invalid YAML, `.typeMismatch` when the top level is not a mapping.
    public static func parse(yaml: String, file: String = "<string>") throws(RecipeError) -> RecipeNode {
        let root = RecipeLocation(file: file, path: "", line: 1, column: 1)
        guard let value = try RecipeValue.compose(yaml: yaml, file: file) else { return .empty(at: root) }
        let node = RecipeNode(value: value, location: root)
        guard case .mapping = value.content else {
            throw .typeMismatch(at: root, expected: "a mapping", found: value.found)
        }
        return node
    }

    public static func == (lhs: RecipeNode, rhs: RecipeNode) -> Bool {
        lhs.location == rhs.location && lhs.value == rhs.value
    }

    public var description: String { "RecipeNode at \(location)" }

    // MARK: Keys

    /// The keys of this mapping in file order (empty when the node is not a mapping). Reading them asks for none.
    public var keys: [String] {
        guard case let .mapping(entries) = value.content else { return [] }
        return entries.map(\.key)
    }

    /// Whether `key` is present with a non-null value. Counts as asking for the key.
    public func contains(_ key: String) throws(RecipeError) -> Bool {
        try entry(key) != nil
    }

    // MARK: Integers

    /// The integer at `key`. Accepts YAML integers (`42`, `0x2A`, `1_000`) and floats with an integral value
    /// (`1e6`).
    public func int(_ key: String) throws(RecipeError) -> Int? {
        guard let entry = try entry(key) else { return nil }
        let at = place(of: entry)
        switch entry.value.content {
        case let .int(text):
            guard let parsed = RecipeValue.parseInteger(text) else {
                throw .invalidValue(at: at, message: "'\(text)' is not a valid integer")
            }
            if parsed.negative {
                if parsed.magnitude == UInt64(Int.max) + 1 { return Int.min }
                if parsed.magnitude <= UInt64(Int.max) { return -Int(parsed.magnitude) }
            } else if parsed.magnitude <= UInt64(Int.max) {
                return Int(parsed.magnitude)
            }
            throw .invalidValue(at: at, message: "\(text) is out of the range of a 64-bit integer")
        case let .float(text):
            if let double = RecipeValue.parseDouble(text), let integer = Int(exactly: double) { return integer }
            throw .typeMismatch(at: at, expected: "an integer", found: entry.value.found)
        default:
            throw .typeMismatch(at: at, expected: "an integer", found: entry.value.found)
        }
    }

    /// The integer at `key`, or `default` when absent.
    public func int(_ key: String, default: Int) throws(RecipeError) -> Int {
        try int(key) ?? `default`
    }

    /// The integer at `key`, which must lie in `range` (e.g. `1...22`, `0...`) when present.
    public func int(_ key: String, in range: some RangeExpression<Int>) throws(RecipeError) -> Int? {
        guard let value = try int(key) else { return nil }
        try check(value, in: range, key: key)
        return value
    }

    /// The integer at `key` or `default`; a present value must lie in `range`.
    public func int(_ key: String, default: Int, in range: some RangeExpression<Int>) throws(RecipeError) -> Int {
        try int(key, in: range) ?? `default`
    }

    /// The integer at `key`; throws `.missing` when absent.
    public func requireInt(_ key: String) throws(RecipeError) -> Int {
        guard let value = try int(key) else { throw missingError(key) }
        return value
    }

    /// A non-negative integer up to `UInt64.max` (seeds, hashes).
    public func uint64(_ key: String) throws(RecipeError) -> UInt64? {
        guard let entry = try entry(key) else { return nil }
        let at = place(of: entry)
        let expected = "a non-negative integer"
        switch entry.value.content {
        case let .int(text):
            guard let parsed = RecipeValue.parseInteger(text) else {
                throw .invalidValue(at: at, message: "'\(text)' is not a valid integer (at most \(UInt64.max))")
            }
            guard !parsed.negative || parsed.magnitude == 0 else {
                throw .invalidValue(at: at, message: "must be \(expected), found \(text)")
            }
            return parsed.magnitude
        case let .float(text):
            if let double = RecipeValue.parseDouble(text), let integer = UInt64(exactly: double) { return integer }
            if let double = RecipeValue.parseDouble(text), double < 0 {
                throw .invalidValue(at: at, message: "must be \(expected), found \(text)")
            }
            throw .typeMismatch(at: at, expected: expected, found: entry.value.found)
        default:
            throw .typeMismatch(at: at, expected: expected, found: entry.value.found)
        }
    }

    /// The unsigned integer at `key`, or `default` when absent.
    public func uint64(_ key: String, default: UInt64) throws(RecipeError) -> UInt64 {
        try uint64(key) ?? `default`
    }

    // MARK: Numbers

    /// The number at `key` (integers are accepted).
    public func double(_ key: String) throws(RecipeError) -> Double? {
        guard let entry = try entry(key) else { return nil }
        switch entry.value.content {
        case let .int(text), let .float(text):
            if let double = RecipeValue.parseDouble(text) { return double }
            throw .invalidValue(at: place(of: entry), message: "'\(text)' is not a valid number")
        default:
            throw .typeMismatch(at: place(of: entry), expected: "a number", found: entry.value.found)
        }
    }

    /// The number at `key`, or `default` when absent.
    public func double(_ key: String, default: Double) throws(RecipeError) -> Double {
        try double(key) ?? `default`
    }

    /// The number at `key`, which must lie in `range` (e.g. `0...1`) when present.
    public func double(_ key: String, in range: some RangeExpression<Double>) throws(RecipeError) -> Double? {
        guard let value = try double(key) else { return nil }
        try check(value, in: range, key: key)
        return value
    }

    /// The number at `key` or `default`; a present value must lie in `range`.
    public func double(_ key: String, default: Double, in range: some RangeExpression<Double>)
        throws(RecipeError) -> Double
    {
        try double(key, in: range) ?? `default`
    }

    /// The number at `key`; throws `.missing` when absent.
    public func requireDouble(_ key: String) throws(RecipeError) -> Double {
        guard let value = try double(key) else { throw missingError(key) }
        return value
    }

    // MARK: Booleans and strings

    /// The boolean at `key` (`true`/`false`, also YAML 1.1 `yes`/`no`/`on`/`off`).
    public func bool(_ key: String) throws(RecipeError) -> Bool? {
        guard let entry = try entry(key) else { return nil }
        guard case let .bool(value, _) = entry.value.content else {
            throw .typeMismatch(at: place(of: entry), expected: "a boolean (true or false)", found: entry.value.found)
        }
        return value
    }

    /// The boolean at `key`, or `default` when absent.
    public func bool(_ key: String, default: Bool) throws(RecipeError) -> Bool {
        try bool(key) ?? `default`
    }

    /// The text of the scalar at `key`. Any scalar is accepted as written (`name: 2024` gives `"2024"`,
    /// `lang: no` gives `"no"`); sequences and mappings are a type mismatch.
    public func string(_ key: String) throws(RecipeError) -> String? {
        guard let entry = try entry(key) else { return nil }
        guard let text = entry.value.scalarText else {
            throw .typeMismatch(at: place(of: entry), expected: "a string", found: entry.value.found)
        }
        return text
    }

    /// The string at `key`, or `default` when absent.
    public func string(_ key: String, default: String) throws(RecipeError) -> String {
        try string(key) ?? `default`
    }

    /// The string at `key`; throws `.missing` when absent.
    public func requireString(_ key: String) throws(RecipeError) -> String {
        guard let value = try string(key) else { throw missingError(key) }
        return value
    }

    /// A sequence of strings at `key`; a single string is accepted as a one-element list.
    public func stringList(_ key: String) throws(RecipeError) -> [String]? {
        guard let entry = try entry(key) else { return nil }
        let at = place(of: entry)
        switch entry.value.content {
        case let .sequence(items):
            var strings: [String] = []
            for (index, item) in items.enumerated() {
                guard let text = item.scalarText else {
                    throw .typeMismatch(at: at.appending(index: index, line: item.line, column: item.column),
                                        expected: "a string", found: item.found)
                }
                strings.append(text)
            }
            return strings
        case .mapping:
            throw .typeMismatch(at: at, expected: "a list of strings", found: entry.value.found)
        default:
            guard let text = entry.value.scalarText else {
                throw .typeMismatch(at: at, expected: "a list of strings", found: entry.value.found)
            }
            return [text]
        }
    }

    /// The list of strings at `key`, or `default` when absent.
    public func stringList(_ key: String, default: [String]) throws(RecipeError) -> [String] {
        try stringList(key) ?? `default`
    }

    /// One of the raw values of `T` at `key`, e.g. `format: jsonl`; anything else is `.invalidValue` listing
    /// the choices (and suggesting the nearest).
    public func choice<T: RawRepresentable & CaseIterable>(_ key: String, as type: T.Type = T.self)
        throws(RecipeError) -> T? where T.RawValue == String
    {
        guard let text = try string(key) else { return nil }
        if let value = T(rawValue: text) { return value }
        let choices = T.allCases.map(\.rawValue)
        let hint = RecipeError.suggest(text, among: choices).map { " (did you mean '\($0)'?)" } ?? ""
        let place = entry(named: key).map(place(of:)) ?? location.appending(key: key, line: location.line,
                                                                             column: location.column)
        throw .invalidValue(at: place, message: "'\(text)' is not one of \(choices.joined(separator: ", "))\(hint)")
    }

    /// The choice at `key`, or `default` when absent.
    public func choice<T: RawRepresentable & CaseIterable>(_ key: String, default: T) throws(RecipeError) -> T
    where T.RawValue == String {
        try choice(key, as: T.self) ?? `default`
    }

    // MARK: Byte sizes

    /// A size in bytes: an integer, or a string such as `"16MiB"`, `"512KiB"`, `"1GB"`, `"2G"`
    /// (see `parseByteSize`). Negative sizes are `.invalidValue`.
    public func byteSize(_ key: String) throws(RecipeError) -> Int? {
        guard let entry = try entry(key) else { return nil }
        let at = place(of: entry)
        let expected = "a byte size (an integer or a string like \"16MiB\", \"512KiB\", \"1GB\")"
        switch entry.value.content {
        case .int, .float:
            let size = try int(key) ?? 0
            guard size >= 0 else { throw .invalidValue(at: at, message: "a byte size cannot be negative (\(size))") }
            return size
        case let .string(text):
            guard let size = Self.parseByteSize(text) else {
                throw .invalidValue(at: at, message: "'\(text)' is not a byte size; write an integer or a size "
                    + "like 16MiB, 512KiB, 1GB, 2G")
            }
            return size
        default:
            throw .typeMismatch(at: at, expected: expected, found: entry.value.found)
        }
    }

    /// The byte size at `key`, or `default` when absent.
    public func byteSize(_ key: String, default: Int) throws(RecipeError) -> Int {
        try byteSize(key) ?? `default`
    }

    /// The byte size at `key` or `default`; a present value must lie in `range` (e.g. `1024...`).
    public func byteSize(_ key: String, default: Int, in range: some RangeExpression<Int>) throws(RecipeError) -> Int {
        guard let value = try byteSize(key) else { return `default` }
        try check(value, in: range, key: key)
        return value
    }

    /// Parses a byte size: digits (underscores allowed, up to 6 decimals), optional spaces and a unit.
    ///
    /// Units, case-insensitive: none or `B` (bytes); `KiB` `MiB` `GiB` `TiB` and the short `K` `M` `G` `T` are
    /// binary (1024-based); `KB` `MB` `GB` `TB` are decimal. `"16MiB" == 16 << 20`, `"1GB" == 1_000_000_000`,
    /// `"1.5K" == 1536`. Fractions of a byte are dropped. Returns nil for anything else, negative sizes and
    /// sizes beyond `Int.max`.
    public static func parseByteSize(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let numberPart = trimmed.prefix { $0.isASCII && ($0.isNumber || $0 == "." || $0 == "_") }
        let unit = trimmed.dropFirst(numberPart.count).trimmingCharacters(in: .whitespaces).lowercased()
        let multipliers: [String: Int] = [
            "": 1, "b": 1,
            "k": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mib": 1 << 20,
            "g": 1 << 30, "gib": 1 << 30, "t": 1 << 40, "tib": 1 << 40,
            "kb": 1_000, "mb": 1_000_000, "gb": 1_000_000_000, "tb": 1_000_000_000_000,
        ]
        guard let multiplier = multipliers[unit] else { return nil }
        let pieces = numberPart.split(separator: ".", omittingEmptySubsequences: false)
        guard pieces.count <= 2, let wholeText = pieces.first, !wholeText.isEmpty, wholeText.first != "_",
              let whole = Int(wholeText.replacingOccurrences(of: "_", with: ""))
        else { return nil }
        let (product, overflow) = whole.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { return nil }
        guard pieces.count == 2 else { return product }
        let fractionText = pieces[1]
        guard !fractionText.isEmpty, fractionText.count <= 6, fractionText.allSatisfy(\.isNumber),
              let fraction = Int(fractionText)
        else { return nil }
        var scale = 1
        for _ in 0..<fractionText.count { scale *= 10 }
        let (total, overflowAdding) = product.addingReportingOverflow(fraction * multiplier / scale)
        return overflowAdding ? nil : total
    }

    // MARK: Nested values

    /// The mapping at `key` as a node of its own (nil when absent or null). `finish()` on this node also
    /// finishes the child.
    public func child(_ key: String) throws(RecipeError) -> RecipeNode? {
        guard let entry = try entry(key) else { return nil }
        guard case .mapping = entry.value.content else {
            throw .typeMismatch(at: place(of: entry), expected: "a mapping", found: entry.value.found)
        }
        let node = RecipeNode(value: entry.value, location: place(of: entry))
        state.withLock { $0.vended[key] = [node] }
        return node
    }

    /// The mapping at `key`; throws `.missing` when absent.
    public func requireChild(_ key: String) throws(RecipeError) -> RecipeNode {
        guard let node = try child(key) else { throw missingError(key) }
        return node
    }

    /// The sequence of mappings at `key` (nil when absent or null); item `i` has the path `key[i]`.
    /// `finish()` on this node also finishes every item.
    public func mappings(_ key: String) throws(RecipeError) -> [RecipeNode]? {
        guard let entry = try entry(key) else { return nil }
        let at = place(of: entry)
        guard case let .sequence(items) = entry.value.content else {
            throw .typeMismatch(at: at, expected: "a list of mappings", found: entry.value.found)
        }
        var nodes: [RecipeNode] = []
        for (index, item) in items.enumerated() {
            let itemPlace = at.appending(index: index, line: item.line, column: item.column)
            guard case .mapping = item.content else {
                throw .typeMismatch(at: itemPlace, expected: "a mapping", found: item.found)
            }
            nodes.append(RecipeNode(value: item, location: itemPlace))
        }
        state.withLock { $0.vended[key] = nodes }
        return nodes
    }

    // MARK: Unknown keys

    /// Throws `.unknownKey` for the first key (in file order) that no accessor asked for, with a "did you mean"
    /// suggestion among the keys that were asked for. Children handed out by `child` and `mappings` are
    /// finished too, in file order.
    public func finish() throws(RecipeError) {
        guard case let .mapping(entries) = value.content else { return }
        let (asked, vended) = state.withLock { ($0.asked, $0.vended) }
        let askedSet = Set(asked)
        for entry in entries {
            guard askedSet.contains(entry.key) else {
                throw .unknownKey(key: entry.key, at: place(of: entry), suggestion: suggestion(for: entry.key))
            }
            for node in vended[entry.key] ?? [] { try node.finish() }
        }
    }

    // MARK: Internals

    /// Looks `key` up and records that it was asked for. Nil when absent or null.
    func entry(_ key: String) throws(RecipeError) -> RecipeValue.Entry? {
        guard case .mapping = value.content else {
            throw .typeMismatch(at: location, expected: "a mapping", found: value.found)
        }
        state.withLock { state in
            if !state.asked.contains(key) { state.asked.append(key) }
        }
        guard let entry = entry(named: key), entry.value.content != .null else { return nil }
        return entry
    }

    /// Looks `key` up without recording anything; null values are returned too.
    func entry(named key: String) -> RecipeValue.Entry? {
        guard case let .mapping(entries) = value.content else { return nil }
        return entries.first { $0.key == key }
    }

    /// The location reported for the value at `entry`: its path, at the key's line and column.
    func place(of entry: RecipeValue.Entry) -> RecipeLocation {
        location.appending(key: entry.key, line: entry.line, column: entry.column)
    }

    /// The asked-for key nearest to `key`, preferring keys that are not in the mapping.
    private func suggestion(for key: String) -> String? {
        let asked = state.withLock { $0.asked }
        let present = Set(keys)
        return RecipeError.suggest(key, among: asked.filter { !present.contains($0) })
            ?? RecipeError.suggest(key, among: asked.filter { $0 != key })
    }

    /// The error for a required `key` that is absent. When an unread key of the mapping is a likely typo of it
    /// (`ouput` for `output`), that key is reported instead, with the suggestion.
    func missingError(_ key: String) -> RecipeError {
        if case let .mapping(entries) = value.content {
            let asked = Set(state.withLock { $0.asked })
            let unread = entries.filter { !asked.contains($0.key) || $0.key == key }
            if let typo = unread.first(where: { $0.key != key && RecipeError.suggest($0.key, among: [key]) != nil }) {
                return .unknownKey(key: typo.key, at: place(of: typo), suggestion: key)
            }
        }
        return .missing(key: key, at: location.appending(key: key, line: location.line, column: location.column))
    }

    private func check<T: Comparable>(_ value: T, in range: some RangeExpression<T>, key: String)
        throws(RecipeError)
    {
        guard !range.contains(value) else { return }
        let at = entry(named: key).map(place(of:))
            ?? location.appending(key: key, line: location.line, column: location.column)
        throw .invalidValue(at: at, message: "must be \(Self.describe(range)), found \(value)")
    }

    /// "between 1 and 22", "at least 0", …
    static func describe<T: Comparable>(_ range: some RangeExpression<T>) -> String {
        if let range = range as? ClosedRange<T> { return "between \(range.lowerBound) and \(range.upperBound)" }
        if let range = range as? PartialRangeFrom<T> { return "at least \(range.lowerBound)" }
        if let range = range as? PartialRangeThrough<T> { return "at most \(range.upperBound)" }
        if let range = range as? PartialRangeUpTo<T> { return "below \(range.upperBound)" }
        if let range = range as? Range<T> { return "at least \(range.lowerBound) and below \(range.upperBound)" }
        return "in \(range)"
    }
}

// MARK: - The value tree

/// A YAML value copied out of Yams: scalars keep their resolved type and their text, and every value keeps
/// the line and column where it starts.
struct RecipeValue: Sendable, Equatable {
    enum Content: Sendable, Equatable {
        case null
        case bool(Bool, text: String)
        case int(text: String)
        case float(text: String)
        case string(String)
        case mapping([Entry])
        case sequence([RecipeValue])
    }

    /// A key of a mapping with its position and its value.
    struct Entry: Sendable, Equatable {
        var key: String
        var line: Int
        var column: Int
        var value: RecipeValue
    }

    var content: Content
    var line: Int
    var column: Int

    /// The text of a non-null scalar as written.
    var scalarText: String? {
        switch content {
        case let .bool(_, text), let .int(text), let .float(text), let .string(text): text
        case .null, .mapping, .sequence: nil
        }
    }

    /// What the value is, for "found …" in type mismatches.
    var found: String {
        switch content {
        case .null: "null"
        case let .bool(_, text): "the boolean \(text)"
        case let .int(text): "the integer \(text)"
        case let .float(text): "the number \(text)"
        case let .string(text):
            text.count > 40 ? "the string \"\(text.prefix(40))…\"" : "the string \"\(text)\""
        case .mapping: "a mapping"
        case .sequence: "a sequence"
        }
    }

    // MARK: Composing

    /// Parses `yaml` into a value tree; nil for a document without content (empty or only comments).
    static func compose(yaml: String, file: String) throws(RecipeError) -> RecipeValue? {
        let node: Yams.Node?
        do {
            node = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw syntaxError(error, yaml: yaml, file: file)
        } catch {
            throw .syntax(file: file, line: 1, column: 1, message: "\(error)")
        }
        guard let node else { return nil }
        return try convert(node, at: RecipeLocation(file: file, path: "", line: 1, column: 1))
    }

    /// Copies a Yams node; `at` is the node's path and a fallback position when Yams has no mark.
    private static func convert(_ node: Yams.Node, at: RecipeLocation) throws(RecipeError) -> RecipeValue {
        let line = node.mark?.line ?? at.line
        let column = node.mark?.column ?? at.column
        switch node {
        case let .scalar(scalar):
            let text = scalar.string
            let content: Content = switch node.tag.rawValue {
            case Tag.Name.null.rawValue: .null
            case Tag.Name.bool.rawValue: node.bool.map { .bool($0, text: text) } ?? .string(text)
            case Tag.Name.int.rawValue: .int(text: text)
            case Tag.Name.float.rawValue: .float(text: text)
            default: .string(text)
            }
            return RecipeValue(content: content, line: line, column: column)
        case let .sequence(sequence):
            var items: [RecipeValue] = []
            for (index, item) in sequence.enumerated() {
                let itemAt = at.appending(index: index, line: item.mark?.line ?? line,
                                          column: item.mark?.column ?? column)
                items.append(try convert(item, at: itemAt))
            }
            return RecipeValue(content: .sequence(items), line: line, column: column)
        case let .mapping(mapping):
            var entries: [Entry] = []
            var seen: [String: Int] = [:]
            for (keyNode, valueNode) in mapping {
                let keyLine = keyNode.mark?.line ?? line
                let keyColumn = keyNode.mark?.column ?? column
                guard case let .scalar(keyScalar) = keyNode else {
                    throw .syntax(file: at.file, line: keyLine, column: keyColumn,
                                  message: "keys must be plain strings \(where: at.path)")
                }
                let key = keyScalar.string
                if let first = seen[key] {
                    throw .syntax(file: at.file, line: keyLine, column: keyColumn,
                                  message: "duplicate key '\(key)' \(where: at.path) (first at line \(first))")
                }
                seen[key] = keyLine
                let valueAt = at.appending(key: key, line: keyLine, column: keyColumn)
                entries.append(Entry(key: key, line: keyLine, column: keyColumn,
                                     value: try convert(valueNode, at: valueAt)))
            }
            return RecipeValue(content: .mapping(entries), line: line, column: column)
        case .alias:
            throw .syntax(file: at.file, line: line, column: column, message: "unresolved alias \(where: at.path)")
        }
    }

    /// A `RecipeError.syntax` with the position of a Yams error.
    private static func syntaxError(_ error: YamlError, yaml: String, file: String) -> RecipeError {
        func described(_ context: YamlError.Context?, _ problem: String) -> String {
            guard let context else { return problem }
            return "\(problem) (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
        }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            return .syntax(file: file, line: mark.line, column: mark.column, message: described(context, problem))
        case let .reader(problem, offset, _, _):
            let (line, column) = position(ofCharacter: offset ?? 0, in: yaml)
            return .syntax(file: file, line: line, column: column, message: problem)
        case let .duplicatedKeysInMapping(duplicates, context):
            let key = duplicates.first ?? "?"
            let first = context.mark
            if let again = findRepeatedKey(key, after: first, in: yaml) {
                return .syntax(file: file, line: again.line, column: again.column,
                               message: "duplicate key '\(key)' (first at line \(first.line))")
            }
            return .syntax(file: file, line: first.line, column: first.column,
                           message: "duplicate key '\(key)' in a mapping")
        default:
            return .syntax(file: file, line: 1, column: 1, message: "\(error)")
        }
    }

    /// Best effort: the next line that starts with `key:` at the column where the key first appeared
    /// (block mappings). Yams reports only the first occurrence of a duplicated key.
    private static func findRepeatedKey(_ key: String, after mark: Mark, in yaml: String) -> (line: Int, column: Int)? {
        let lines = yaml.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        guard mark.line >= 1, mark.column >= 1, mark.line < lines.count else { return nil }
        for index in mark.line..<lines.count {
            let scalars = lines[index].unicodeScalars
            guard scalars.count >= mark.column - 1 + key.unicodeScalars.count else { continue }
            let indent = String(String.UnicodeScalarView(scalars.prefix(mark.column - 1)))
            guard indent.allSatisfy({ $0 == " " || $0 == "-" }) else { continue }
            let rest = String(String.UnicodeScalarView(scalars.dropFirst(mark.column - 1)))
            for spelled in [key, "\"\(key)\"", "'\(key)'"] where rest.hasPrefix(spelled) {
                let after = rest.dropFirst(spelled.count).drop { $0 == " " }
                if after.first == ":" { return (index + 1, mark.column) }
            }
        }
        return nil
    }

    /// 1-based line and column of the character at `offset`.
    private static func position(ofCharacter offset: Int, in text: String) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for character in text.prefix(max(0, offset)) {
            if character.isNewline {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (line, column)
    }

    // MARK: Scalars

    /// Parses a YAML 1.1 integer as Yams resolves it: sign, underscores, `0b`, `0x`, `0o` or a leading `0`
    /// (octal), and base 60 (`1:30`). Nil on overflow of 64 bits.
    static func parseInteger(_ text: String) -> (negative: Bool, magnitude: UInt64)? {
        var digits = Substring(text.replacingOccurrences(of: "_", with: ""))
        var negative = false
        if let sign = digits.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        let magnitude: UInt64?
        if digits.contains(":") {
            var total: UInt64 = 0
            for part in digits.split(separator: ":", omittingEmptySubsequences: false) {
                guard let value = UInt64(part, radix: 10) else { return nil }
                let (shifted, overflow) = total.multipliedReportingOverflow(by: 60)
                let (sum, overflowAdding) = shifted.addingReportingOverflow(value)
                guard !overflow, !overflowAdding else { return nil }
                total = sum
            }
            magnitude = total
        } else if digits.hasPrefix("0x") {
            magnitude = UInt64(digits.dropFirst(2), radix: 16)
        } else if digits.hasPrefix("0b") {
            magnitude = UInt64(digits.dropFirst(2), radix: 2)
        } else if digits.hasPrefix("0o") {
            magnitude = UInt64(digits.dropFirst(2), radix: 8)
        } else if digits.hasPrefix("0"), digits.count > 1 {
            magnitude = UInt64(digits.dropFirst(), radix: 8)
        } else {
            magnitude = UInt64(digits, radix: 10)
        }
        return magnitude.map { (negative, $0) }
    }

    /// Parses a YAML float (`1.5`, `1e6`, `1_000.5`, `.inf`, `-.inf`, `.nan`).
    static func parseDouble(_ text: String) -> Double? {
        switch text.lowercased() {
        case ".inf", "+.inf": return .infinity
        case "-.inf": return -.infinity
        case ".nan": return .nan
        default:
            if let integer = parseInteger(text) {
                let value = Double(integer.magnitude)
                return integer.negative ? -value : value
            }
            return Double(text.replacingOccurrences(of: "_", with: ""))
        }
    }
}

extension String.StringInterpolation {
    /// "at top level" or "in inputs[0]", for messages about a mapping at `path`.
    fileprivate mutating func appendInterpolation(where path: String) {
        appendLiteral(path.isEmpty ? "at top level" : "in \(path)")
    }
}
