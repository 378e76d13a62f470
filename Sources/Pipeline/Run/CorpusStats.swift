import CorpusCore
import CorpusIO
import Foundation
import Synchronization

/// `ptk stats`: statistics of existing files, read with the same readers as a run.
public struct CorpusStats: Sendable, Codable {
    public var files: Int
    public var records: Int
    public var unreadable: [String: Int]
    public var inputErrors: [InputProblemEntry]
    public var text: TextStats

    /// Reads every file named (files, folders, globs; relative to the working folder).
    public static func compute(paths: [String], textField: String = "text", threads: Int = defaultThreadCount())
        throws -> CorpusStats
    {
        let specs = paths.map {
            InputSpec(path: $0, format: .auto, textField: FieldPath(parsing: textField))
        }
        let files = try InputResolver(baseFolder: FileManager.default.currentDirectoryPath).resolve(specs)
        let results = Mutex([CorpusStats?](repeating: nil, count: files.count))
        let failure = Mutex<(any Error)?>(nil)
        DispatchQueue.concurrentPerform(iterations: files.count) { i in
            var stats = CorpusStats(files: 1, records: 0, unreadable: [:], inputErrors: [], text: TextStats())
            var reader = DocumentReader(file: files[i], options: ReadOptions())
            do {
                let problem = try reader.forEach { event in
                    stats.records += 1
                    switch event {
                    case let .document(document, _): stats.text.add(document)
                    case let .rejected(problem, _, _): stats.unreadable[problem.reason, default: 0] += 1
                    }
                }
                if let problem { stats.inputErrors.append(InputProblemEntry(file: files[i].displayPath, error: "\(problem)")) }
            } catch {
                failure.withLock { if $0 == nil { $0 = error } }
            }
            results.withLock { $0[i] = stats }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        var total = CorpusStats(files: 0, records: 0, unreadable: [:], inputErrors: [], text: TextStats())
        for s in results.withLock({ $0 }).compactMap({ $0 }) {
            total.files += s.files
            total.records += s.records
            for (k, v) in s.unreadable { total.unreadable[k, default: 0] += v }
            total.inputErrors += s.inputErrors
            total.text.merge(s.text)
        }
        return total
    }

    public func render() -> String {
        var out = text.render(title: "\(files) files, \(records) records")
        if !unreadable.isEmpty {
            out += "  records that are not documents\n"
            for (reason, n) in unreadable.sorted(by: { $0.key < $1.key }) {
                out += "    \(reason.padding(toLength: 20, withPad: " ", startingAt: 0)) \(n)\n"
            }
        }
        for e in inputErrors { out += "  input problem: \(e.error)\n" }
        return out
    }

    public func jsonString() throws -> String { String(decoding: try encodeReport(self), as: UTF8.self) }
}
