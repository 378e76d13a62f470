import CorpusCore

extension TokenEncoder {
    /// Encodes many texts on `threads` threads; result `i` belongs to text `i`, whatever the scheduling.
    ///
    /// `encodeOrdinary` is a pure function of its text, so the output equals the sequential one
    /// (`orderedParallelMap`).
    public func encodeOrdinaryBatch(_ texts: [String], threads: Int) -> [[UInt32]] {
        orderedParallelMap(count: texts.count, threads: threads) { encodeOrdinary(texts[$0]) }
    }
}
