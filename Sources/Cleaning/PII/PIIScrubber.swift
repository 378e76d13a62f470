import CorpusCore

/// Replaces personal data and secrets with typed placeholders (`<EMAIL>`, `<PHONE>`, `<IP>` …).
///
/// The text around a match is left as it is. Placeholders contain nothing a scanner matches, so scrubbing
/// twice gives the same text as scrubbing once. A document is never dropped.
public struct PIIScrubber: Transform {
    public var scanner: PIIScanner
    /// The placeholder of each kind; kinds not named here get `PIIKind.defaultPlaceholder`.
    public var placeholders: [PIIKind: String]

    public init(kinds: Set<PIIKind> = Set(PIIKind.allCases), placeholders: [PIIKind: String] = [:]) {
        scanner = PIIScanner(kinds: kinds)
        self.placeholders = placeholders
    }

    public func apply(to document: inout Document) -> Decision {
        if let scrubbed = scrub(document.text) { document.text = scrubbed }
        return .keep
    }

    /// The text with every match replaced, or nil when nothing matched.
    public func scrub(_ text: String) -> String? {
        var copy = text
        return copy.withUTF8 { bytes -> String? in
            let matches = scanner.matches(in: bytes)
            guard !matches.isEmpty else { return nil }
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            var last = 0
            for m in matches {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[last..<m.range.lowerBound]))
                out.append(contentsOf: (placeholders[m.kind] ?? m.kind.defaultPlaceholder).utf8)
                last = m.range.upperBound
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[last..<bytes.count]))
            return String(decoding: out, as: UTF8.self)
        }
    }
}

/// Drops documents that contain personal data or secrets, with reason `pii_<kind>` of the first match
/// (`pii_email`, `pii_credit_card`); the detail counts the matches per kind, without quoting them.
public struct PIIFilter: Filter {
    public var scanner: PIIScanner

    public init(kinds: Set<PIIKind> = Set(PIIKind.allCases)) {
        scanner = PIIScanner(kinds: kinds)
    }

    public func evaluate(_ document: Document) -> Decision {
        let matches = scanner.matches(in: document.text)
        guard let first = matches.first else { return .keep }
        var counts: [PIIKind: Int] = [:]
        for m in matches { counts[m.kind, default: 0] += 1 }
        let detail = counts.keys.sorted().map { "\(counts[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", ")
        return .drop(reason: "pii_\(first.kind.rawValue)", detail: detail + ", first at byte \(first.range.lowerBound)")
    }
}
