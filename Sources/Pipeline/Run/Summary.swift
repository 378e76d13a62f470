import CorpusCore

/// Renders the per-stage counts of a run as a table for people.
///
/// ```
/// stage      kind       in        kept      dropped
/// read       reader     20005     19999     6  (malformed_json 1, invalid_utf8 1, …)
/// length     filter     19999     16020     3979  (too_few_words 3979)
/// ```
public func renderStageTable(_ stages: [StageStats], ledger: Ledger) -> String {
    var rows: [[String]] = [["stage", "kind", "in", "kept", "dropped", "reasons"]]
    for s in stages {
        let reasons = s.dropped.sorted { $0.value.documents > $1.value.documents || ($0.value.documents == $1.value.documents && $0.key < $1.key) }
            .map { "\($0.key) \($0.value.documents)" }.joined(separator: ", ")
        var kept = "\(s.kept.documents)"
        if s.changed > 0 { kept += " (\(s.changed) changed, \(formatBytes(s.bytesRemoved)) removed)" }
        rows.append([s.name, s.kind, "\(s.input.documents)", kept, "\(s.droppedTotal.documents)", reasons])
    }
    var widths = [Int](repeating: 0, count: rows[0].count)
    for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
    var out = ""
    for row in rows {
        out += row.enumerated().map { i, cell in
            i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
        }.joined(separator: "  ") + "\n"
    }
    out += "ledger: read \(ledger.read) = written \(ledger.written) + rejected \(ledger.rejected)"
        + (ledger.read == ledger.written + ledger.rejected ? "  ✓\n" : "  ✗ MISMATCH\n")
    return out
}
