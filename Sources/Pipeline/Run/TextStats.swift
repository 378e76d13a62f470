import CorpusCore

/// Corpus statistics: documents, bytes, a length histogram and documents per dominant script and source.
///
/// Mergeable in any order, so per-file statistics add up to the same totals for any thread count.
public struct TextStats: Sendable, Equatable, Codable {
    public var documents = 0
    public var bytes = 0
    public var scalars = 0
    /// `lengthHistogram[k]` counts documents of `2^k ≤ bytes < 2^(k+1)` UTF-8 bytes (k = 0 also holds 0 and 1).
    public var lengthHistogram: [Int] = []
    public var scripts: [String: Int] = [:]
    public var sources: [String: Int] = [:]

    public init() {}

    public mutating func add(_ document: Document) {
        let n = document.byteCount
        documents += 1
        bytes += n
        let profile = ScriptProfile(document.text)
        scalars += profile.scalarCount
        let bucket = n <= 1 ? 0 : (Int.bitWidth - 1 - n.leadingZeroBitCount)
        if lengthHistogram.count <= bucket { lengthHistogram += [Int](repeating: 0, count: bucket + 1 - lengthHistogram.count) }
        lengthHistogram[bucket] += 1
        scripts[profile.dominant.rawValue, default: 0] += 1
        if let source = document.metadata.source { sources[source, default: 0] += 1 }
    }

    public mutating func merge(_ other: TextStats) {
        documents += other.documents
        bytes += other.bytes
        scalars += other.scalars
        if lengthHistogram.count < other.lengthHistogram.count {
            lengthHistogram += [Int](repeating: 0, count: other.lengthHistogram.count - lengthHistogram.count)
        }
        for (i, n) in other.lengthHistogram.enumerated() { lengthHistogram[i] += n }
        for (k, v) in other.scripts { scripts[k, default: 0] += v }
        for (k, v) in other.sources { sources[k, default: 0] += v }
    }

    /// A human-readable report: totals, a text histogram of lengths, scripts by share.
    public func render(title: String) -> String {
        var out = "\(title)\n"
        out += "  documents  \(documents)\n"
        out += "  bytes      \(bytes) (\(formatBytes(bytes)))\n"
        if documents > 0 { out += "  mean       \(bytes / documents) bytes, \(scalars / documents) characters\n" }
        out += "  length (UTF-8 bytes)\n"
        let peak = max(1, lengthHistogram.max() ?? 1)
        for (k, n) in lengthHistogram.enumerated() where n > 0 {
            let lo = k == 0 ? 0 : 1 << k
            let hi = (1 << (k + 1)) - 1
            let bar = String(repeating: "█", count: max(1, n * 40 / peak))
            out += "    \(String("\(lo)–\(hi)").padding(toLength: 16, withPad: " ", startingAt: 0)) "
                + "\(String(n).leftPadded(to: 8, with: " ")) \(bar)\n"
        }
        out += "  scripts (dominant per document)\n"
        for (script, n) in scripts.sorted(by: { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }) {
            let share = Double(n) * 100 / Double(max(documents, 1))
            out += "    \(script.padding(toLength: 12, withPad: " ", startingAt: 0)) \(String(n).leftPadded(to: 8, with: " "))"
                + "  \(formatPercent(share))\n"
        }
        if !sources.isEmpty {
            out += "  sources\n"
            for (source, n) in sources.sorted(by: { $0.key < $1.key }) {
                out += "    \(source.padding(toLength: 12, withPad: " ", startingAt: 0)) \(String(n).leftPadded(to: 8, with: " "))\n"
            }
        }
        return out
    }
}

/// `1536` → `1.5 KiB`.
public func formatBytes(_ n: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(n)
    var unit = 0
    while value >= 1024, unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return unit == 0 ? "\(n) B" : "\(formatFixed(value, digits: 1)) \(units[unit])"
}

/// `12.345` → `"12.3%"`.
public func formatPercent(_ value: Double) -> String { formatFixed(value, digits: 1) + "%" }

/// Fixed-point formatting without Foundation's locale dependence.
public func formatFixed(_ value: Double, digits: Int) -> String {
    guard value.isFinite else { return "\(value)" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    let intPart = Int(scaled / scale)
    let frac = Int(scaled) - intPart * Int(scale)
    let sign = value < 0 && scaled != 0 ? "-" : ""
    return digits == 0 ? "\(sign)\(intPart)" : "\(sign)\(intPart).\(String(frac).leftPadded(to: digits))"
}
