import Dispatch
import Foundation

extension TokenEncoder {
    /// Encodes many texts on `threads` threads; result `i` belongs to text `i`, whatever the scheduling.
    ///
    /// Texts are split into contiguous chunks, one per task, so each result is written by exactly one task.
    /// `encodeOrdinary` is a pure function of its text, so the output equals the sequential one.
    public func encodeOrdinaryBatch(_ texts: [String], threads: Int) -> [[UInt32]] {
        let tasks = max(1, min(threads, texts.count))
        var results = [[UInt32]](repeating: [], count: texts.count)
        results.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let slots = out
            DispatchQueue.concurrentPerform(iterations: tasks) { task in
                let start = texts.count * task / tasks
                let end = texts.count * (task + 1) / tasks
                for i in start..<end { slots[i] = encodeOrdinary(texts[i]) }
            }
        }
        return results
    }
}
