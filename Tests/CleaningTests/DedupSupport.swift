import Cleaning
import CorpusCore
import CorpusIO
import Foundation
import Synchronization

/// A scratch folder for dedup tests, removed at deinit.
final class DedupScratch {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("ptk-dedup-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes documents as JSONL `{"id", "text"}` lines; returns the input file.
    func writeJSONL(_ name: String, _ documents: [(id: String, text: String)]) throws -> InputFile {
        var out = ""
        for d in documents {
            var w = JSONWriter()
            w.raw("{\"id\":")
            w.string(d.id)
            w.raw(",\"text\":")
            w.string(d.text)
            w.raw("}\n")
            out += w.string
        }
        let full = "\(path)/\(name)"
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data(out.utf8).write(to: URL(fileURLWithPath: full))
        return InputFile(path: full, displayPath: name, kind: .jsonl)
    }

    func folder(_ name: String) throws -> String {
        let full = "\(path)/\(name)"
        try? FileManager.default.removeItem(atPath: full)
        try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        return full
    }
}

/// What a corpus step decided about every document: drops by id (reason, detail) and changed texts by id.
struct StepOutcome: Equatable {
    var drops: [String: String] = [:]
    var details: [String: String] = [:]
    var texts: [String: String] = [:]
}

/// Runs a corpus step as the runner does: one observer per file, files spread over `threads` threads, then
/// `conclude`, then the per-document stage over every document.
func runCorpusStep(_ step: any CorpusStep, files: [InputFile], folder: String, threads: Int) throws -> StepOutcome {
    let indexed = files.enumerated().map { i, f in
        var f = f
        f.index = i
        return f
    }
    let observers = try indexed.map { try step.makeObserver(fileIndex: $0.index, folder: folder) }
    let box = ObserversBox(observers)
    let next = Atomic<Int>(0)
    let failure = Mutex<String?>(nil)
    DispatchQueue.concurrentPerform(iterations: threads) { _ in
        while true {
            let i = next.add(1, ordering: .relaxed).oldValue
            guard i < indexed.count else { return }
            do {
                var reader = DocumentReader(file: indexed[i], options: ReadOptions())
                _ = try reader.forEach { event in
                    if case let .document(document, _) = event { try box.observers[i].observe(document) }
                }
                try box.observers[i].finish()
            } catch {
                failure.withLock { $0 = "\(error)" }
            }
        }
    }
    if let message = failure.withLock({ $0 }) { throw DedupError.io(path: "observe", message: message) }
    let stage = try step.conclude(observers, folder: folder)
    var outcome = StepOutcome()
    for file in indexed {
        var reader = DocumentReader(file: file, options: ReadOptions())
        _ = try reader.forEach { event in
            guard case var .document(document, _) = event else { return }
            let decision: Decision
            switch stage {
            case let .filter(f): decision = f.evaluate(document)
            case let .transform(t):
                let before = document.text
                decision = t.apply(to: &document)
                if decision == .keep, document.text != before { outcome.texts[document.id] = document.text }
            }
            if case let .drop(reason, detail) = decision {
                outcome.drops[document.id] = reason
                outcome.details[document.id] = detail
            }
        }
    }
    return outcome
}

private final class ObserversBox: @unchecked Sendable {
    let observers: [any CorpusObserver]
    init(_ observers: [any CorpusObserver]) { self.observers = observers }
}

/// A word of letters only (digits would be normalized to `0` by the word splitter): base-26 of `n`.
func letterWord(_ n: Int, prefix: String = "") -> String {
    var n = n
    var s = ""
    repeat {
        s.append(Character(Unicode.Scalar(UInt8(97 + n % 26))))
        n /= 26
    } while n > 0
    return prefix + s
}

/// `count` sentences of random words from a vocabulary of `vocabulary` words.
func randomText(_ random: inout SeededRandom, words: Int, vocabulary: Int = 5000) -> String {
    var out: [String] = []
    for i in 0..<words {
        var w = letterWord(Int(random.next() % UInt64(vocabulary)), prefix: "v")
        if i % 12 == 11 { w += "." }
        out.append(w)
    }
    return out.joined(separator: " ")
}
