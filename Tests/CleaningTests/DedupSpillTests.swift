import Cleaning
import CorpusCore
import Foundation
import Testing

@Suite("Dedup spill runs")
struct DedupSpillTests {
    @Test("runs spilled by a tiny budget, reduced to a small fan-in and merged, give every record in order")
    func spillReduceMerge() throws {
        let scratch = try DedupScratch()
        let folder = try scratch.folder("runs")
        let budget = MemoryBudget(bytes: 1)
        let buffers = SpillBuffers<BandRecord>(partitions: 2, folder: folder, name: "t", budget: budget)
        var random = SeededRandom(seed: 2)
        var expected: [[BandRecord]] = [[], []]
        for key in 0..<60_000 {
            let record = BandRecord(hash: random.next() % 5000, key: UInt64(key))
            expected[key % 2].append(record)
            try buffers.append(record, to: key % 2)
        }
        try buffers.finish()
        for p in 0..<2 {
            let sources = buffers.sources(p)
            #expect(sources.count >= 6)
            let reduced = try reduceRuns(sources, folder: folder, name: "m\(p)", fanIn: 3)
            #expect(reduced.count <= 3)
            let merged = try MergedRecords(reduced)
            var got: [BandRecord] = []
            while let r = try merged.next() { got.append(r) }
            #expect(got == expected[p].sorted())
        }
        // Budget shares come back when buffers spill.
        #expect(budget.inUse < 1 << 16)
    }
}
