import Foundation
import Synchronization

/// A progress line on stderr — documents/s, MB/s, ETA — redrawn twice a second while a run lasts.
///
/// Drawn only when stderr is a terminal and the log is text; otherwise it counts silently. Workers add
/// counts in batches, so the atomics cost nothing measurable.
public final class Progress: Sendable {
    private let documents = Atomic<Int>(0)
    private let bytes = Atomic<Int>(0)
    private let consumed = Atomic<Int64>(0)
    private let running = Atomic<Bool>(false)
    private let totalBytes: Int64
    private let enabled: Bool
    private let started = Date()

    public init(totalBytes: Int64, log: Log) {
        self.totalBytes = totalBytes
        self.enabled = log.format == .text && !log.quiet && Log.stderrIsTerminal
    }

    /// Adds work done: documents read, their raw bytes, and input file bytes finished (for the ETA).
    public func add(documents: Int, bytes: Int, consumed: Int64) {
        self.documents.add(documents, ordering: .relaxed)
        self.bytes.add(bytes, ordering: .relaxed)
        if consumed > 0 { self.consumed.add(consumed, ordering: .relaxed) }
    }

    public func start() {
        guard enabled else { return }
        running.store(true, ordering: .relaxed)
        let thread = Thread { [self] in
            while running.load(ordering: .relaxed) {
                Thread.sleep(forTimeInterval: 0.5)
                if running.load(ordering: .relaxed) { draw(final: false) }
            }
        }
        thread.start()
    }

    public func stop() {
        guard enabled, running.exchange(false, ordering: .relaxed) else { return }
        draw(final: true)
    }

    private func draw(final: Bool) {
        let elapsed = max(Date().timeIntervalSince(started), 1e-3)
        let docs = documents.load(ordering: .relaxed)
        let mb = Double(bytes.load(ordering: .relaxed)) / 1e6
        let done = consumed.load(ordering: .relaxed)
        var line = "\r\(docs) docs  \(formatFixed(Double(docs) / elapsed, digits: 0)) docs/s  "
            + "\(formatFixed(mb / elapsed, digits: 1)) MB/s"
        if totalBytes > 0 {
            let fraction = Double(done) / Double(totalBytes)
            line += "  \(formatPercent(fraction * 100)) of input"
            if fraction > 0.01, !final {
                line += "  ETA \(formatFixed(elapsed * (1 - fraction) / fraction, digits: 0)) s"
            }
        }
        Log.writeStderr(line + "\u{1B}[K" + (final ? "\n" : ""))
    }
}
