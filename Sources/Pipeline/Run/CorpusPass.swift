import CorpusCore
import CorpusIO
import Foundation
import Synchronization

/// Turns a recipe's corpus steps (dedup) into per-document stages by showing each one the corpus first.
///
/// For the corpus step at position k, a pre-pass reads every input file (of every task, so each task of a
/// multi-task job reaches the same decisions), runs each document through steps 0..<k — the corpus steps among
/// them already concluded — and shows the survivors to the step's observer for that file. Files are spread
/// over the threads; each observer sees its own file in order. Then `conclude` returns the stage the main pass
/// runs. Pre-pass counts are discarded: the main pass runs every stage again and keeps the ledger.
///
/// Scratch files live in `OUTPUT/.work/corpus-<task>/<step>/` and are removed when the step is concluded.
enum CorpusPass {
    static func resolve(_ steps: [PlannedStep], files: [InputFile], reader: ReaderOptions, outputFolder: String,
                        options: RunOptions) throws -> [Stage]
    {
        var stages: [Stage] = []
        let indexed = files.enumerated().map { index, file in
            var file = file
            file.index = index
            return file
        }
        for step in steps {
            if let stage = step.stage {
                stages.append(stage)
                continue
            }
            guard case let .corpus(corpus) = step.kind else { continue }
            let taskFolder = "\(outputFolder)/.work/corpus-\(options.shard.fileStem)"
            let folder = "\(taskFolder)/\(step.name)"
            try? FileManager.default.removeItem(atPath: folder)
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let started = Date()
            let observers = try observe(indexed, through: stages, step: corpus, folder: folder, reader: reader,
                                        threads: options.threads)
            let kind = try corpus.conclude(observers, folder: folder)
            try? FileManager.default.removeItem(atPath: taskFolder)
            options.log.info(String(format: "corpus step %@: pre-pass over %d files in %.1f s", step.name, files.count,
                                    Date().timeIntervalSince(started)),
                             ["event": "corpus_step", "step": step.name])
            switch kind {
            case let .filter(f): stages.append(Stage(name: step.name, filter: f))
            case let .transform(t): stages.append(Stage(name: step.name, transform: t))
            }
        }
        return stages
    }

    /// Reads every file through `stages` and shows the survivors to one observer per file.
    private static func observe(_ files: [InputFile], through stages: [Stage], step: any CorpusStep, folder: String,
                                reader readerOptions: ReaderOptions, threads: Int) throws -> [any CorpusObserver]
    {
        let observers = try files.map { try step.makeObserver(fileIndex: $0.index, folder: folder) }
        let next = Atomic<Int>(0)
        let failure = Mutex<(any Error)?>(nil)
        let options = ReadOptions(maxRecordBytes: readerOptions.maxRecordBytes,
                                  replaceInvalidUTF8: readerOptions.invalidUTF8 == .replace)
        let box = ObserverBox(observers)
        DispatchQueue.concurrentPerform(iterations: min(threads, max(files.count, 1))) { _ in
            while failure.withLock({ $0 == nil }) {
                let i = next.add(1, ordering: .relaxed).oldValue
                guard i < files.count else { return }
                do {
                    let observer = box.observers[i]
                    var stats = stages.map { StageStats(name: $0.name, kind: $0.kindName) }
                    var reader = DocumentReader(file: files[i], options: options)
                    _ = try reader.forEach { event in
                        guard case .document(var document, _) = event else { return }
                        if runStages(stages, on: &document, stats: &stats) == nil { try observer.observe(document) }
                    }
                    try observer.finish()
                } catch {
                    failure.withLock { if $0 == nil { $0 = error } }
                }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        return observers
    }
}

/// Observers are classes used by one thread each (file i by whichever worker took i); the box hands them over.
private final class ObserverBox: @unchecked Sendable {
    let observers: [any CorpusObserver]
    init(_ observers: [any CorpusObserver]) { self.observers = observers }
}
