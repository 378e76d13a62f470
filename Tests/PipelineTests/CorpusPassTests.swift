import CorpusCore
import CorpusIO
import Foundation
import Synchronization
import Testing
@testable import Pipeline

/// A toy corpus step: keeps the first document (by `Origin.key`) of each text, drops the others.
private struct FirstOfText: CorpusStep {
    final class Seen: CorpusObserver {
        var firstKeys: [String: UInt64] = [:]
        var finished = false
        func observe(_ document: Document) throws {
            let key = document.origin?.key ?? 0
            if firstKeys[document.text].map({ key < $0 }) ?? true { firstKeys[document.text] = key }
        }
        func finish() throws { finished = true }
    }

    struct Drop: Filter {
        let keep: [String: UInt64]
        func evaluate(_ document: Document) -> Decision {
            keep[document.text] == document.origin?.key ? .keep : .drop(reason: "duplicate_text")
        }
    }

    /// Observers made so far, by every test of this suite.
    static let made = Atomic<Int>(0)

    func makeObserver(fileIndex: Int, folder: String) throws -> any CorpusObserver {
        Self.made.add(1, ordering: .relaxed)
        return Seen()
    }

    func conclude(_ observers: [any CorpusObserver], folder: String) throws -> StageKind {
        var keep: [String: UInt64] = [:]
        for case let seen as Seen in observers {
            #expect(seen.finished)
            keep.merge(seen.firstKeys) { min($0, $1) }
        }
        #expect(FileManager.default.fileExists(atPath: folder))
        return .filter(Drop(keep: keep))
    }
}

private struct DropIDPrefix: Filter {
    let prefix: String
    func evaluate(_ document: Document) -> Decision {
        document.id.hasPrefix(prefix) ? .drop(reason: "test_prefix") : .keep
    }
}

@Suite("Corpus steps", .serialized)
struct CorpusPassTests {
    static var registry: StepRegistry {
        var r = StepRegistry.builtin
        r.register("drop_x", summary: "test", parameters: []) { _ in .filter(DropIDPrefix(prefix: "x")) }
        r.register("first_of_text", summary: "test", parameters: []) { _ in .corpus(FirstOfText()) }
        return r
    }

    func run(_ t: TempFolder, threads: Int) throws -> RunOutcome {
        let yaml = """
            inputs:
              - path: in/*.jsonl
            steps:
              - drop_x
              - first_of_text
              - length: {min_words: 2}
            output:
              path: out
            """
        try t.write("recipe.yaml", yaml)
        let runner = try Job.prepare(recipePath: "\(t.path)/recipe.yaml",
                                     options: RunOptions(threads: threads, log: Log(quiet: true)),
                                     registry: Self.registry)
        return try runner.run()
    }

    func corpus(_ t: TempFolder) throws {
        // File a: x1 (dropped before the corpus step), then a1; file b repeats both texts; file c repeats a1's.
        try t.write("in/a.jsonl", """
            {"id":"x1","text":"shared words one"}
            {"id":"a1","text":"shared words two"}
            {"id":"a2","text":"shared words two"}

            """)
        try t.write("in/b.jsonl", """
            {"id":"b1","text":"shared words one"}
            {"id":"b2","text":"shared words two"}
            {"id":"b3","text":"alone"}

            """)
        try t.write("in/c.jsonl", """
            {"id":"c1","text":"shared words two"}
            not json

            """)
    }

    @Test("the pre-pass sees only what the earlier steps keep; the first in input order is kept", arguments: [1, 3])
    func dedupAcrossFiles(threads: Int) throws {
        let t = try TempFolder()
        try corpus(t)
        let outcome = try run(t, threads: threads)
        let manifest = try #require(outcome.manifest)
        #expect(manifest.ledger == Ledger(read: 8, written: 2, rejected: 6))
        #expect(manifest.stages.map(\.name) == ["read", "drop_x", "first_of_text", "length"])
        #expect(manifest.stages[2].dropped["duplicate_text"]?.documents == 3)
        #expect(manifest.stages[3].dropped["too_few_words"]?.documents == 1)
        let kept = try readJSONL("\(t.path)/out/data/rank-00000.jsonl.zst").compactMap { string($0.value(at: ["id"])) }
        // x1 never reached the corpus step, so b1 is the first "shared words one".
        #expect(kept == ["a1", "b1"])
        #expect(!t.exists("out/.work"))
    }

    @Test("a completed task is skipped without a pre-pass; --force runs it again")
    func rerunSkipsPrePass() throws {
        let t = try TempFolder()
        try corpus(t)
        _ = try run(t, threads: 2)
        let before = FirstOfText.made.load(ordering: .relaxed)
        let again = try run(t, threads: 2)
        #expect(again.skipped)
        #expect(FirstOfText.made.load(ordering: .relaxed) == before)  // the suite is serialized
    }

    @Test("every task of a multi-task job reaches the same decisions")
    func ranks() throws {
        let t = try TempFolder()
        try corpus(t)
        try t.write("recipe.yaml", """
            inputs:
              - path: in/*.jsonl
            steps:
              - drop_x
              - first_of_text
            output:
              path: out
            """)
        var last: RunOutcome?
        for rank in 0..<3 {
            let runner = try Job.prepare(recipePath: "\(t.path)/recipe.yaml",
                                         options: RunOptions(threads: 2, shard: ShardIndex(rank: rank, worldSize: 3),
                                                             log: Log(quiet: true)),
                                         registry: Self.registry)
            last = try runner.run()
        }
        let manifest = try #require(last?.manifest)
        #expect(manifest.ledger.written == 3)
        #expect(manifest.stages[2].dropped["duplicate_text"]?.documents == 3)
    }
}
