import CorpusCore

/// Seeded window shuffle: the windows of a finished shard set, copied window by window in a seeded random order
/// into a new shard set (`pack.shuffle_windows`, `ptk pack --shuffle-windows`).
///
/// Every part of a window (tokens, loss mask, cu_seqlens, segments) is read from the same position of the source
/// shards and written together, so each window stays whole. Memory: the permutation (8 bytes a window) and the
/// source shards' `.idx` arrays; the windows themselves stream through one at a time.
///
/// ```
/// let order = WindowShuffle.permutation(count: 310, seed: 7, stream: "pack/shuffle_windows/train/rank-00000")
/// let shards = try WindowShuffle.copy(folder: "work/train", shards: built, seqLen: 2048, order: order, to: writer)
/// ```
public enum WindowShuffle {
    /// A permutation of `0..<count` by Fisher–Yates with `SeededRandom(seed:stream:)`: the same arguments give the
    /// same permutation on every platform and version (the standard library's shuffle may change).
    public static func permutation(count: Int, seed: UInt64, stream: String) -> [Int] {
        var order = Array(0..<max(0, count))
        guard order.count > 1 else { return order }
        var rng = SeededRandom(seed: seed, stream: stream)
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            // Rejection sampling: no modulo bias.
            let bound = UInt64(i + 1)
            let limit = UInt64.max - UInt64.max % bound
            var draw = rng.next()
            while draw >= limit { draw = rng.next() }
            order.swapAt(i, Int(draw % bound))
        }
        return order
    }

    /// Appends the windows of `shards` (prefixes relative to `folder`, in order: together they hold windows
    /// `0..<total`) to `writer` in the order `order` gives (`order[i]` is the source window written i-th), and
    /// finishes the writer.
    ///
    /// - Throws: `ShardError.mismatch` when `order` is not a permutation of the source windows; whatever
    ///   `ShardReader` and `ShardSetWriter` throw (the writer is abandoned then).
    public static func copy(folder: String, shards: [ShardSummary], seqLen: Int, order: [Int],
                            to writer: ShardSetWriter) throws(ShardError) -> [ShardSummary]
    {
        do throws(ShardError) {
            var readers: [ShardReader] = []
            var starts: [Int] = []  // the global index of each shard's first window
            var total = 0
            for shard in shards {
                let reader = try ShardReader(prefix: folder + "/" + shard.prefix, seqLen: seqLen)
                readers.append(reader)
                starts.append(total)
                total += reader.windowCount
            }
            guard order.count == total else {
                throw ShardError.mismatch(path: folder, message: "the shuffle order has \(order.count) windows, "
                                          + "the shards \(total)")
            }
            for source in order {
                guard source >= 0, source < total else {
                    throw ShardError.mismatch(path: folder, message: "window \(source) is not among the \(total) windows")
                }
                // The last shard whose first window is at or before `source`.
                var low = 0, high = starts.count - 1
                while low < high {
                    let mid = (low + high + 1) / 2
                    if starts[mid] <= source { low = mid } else { high = mid - 1 }
                }
                try writer.append(try readers[low].window(source - starts[low]))
            }
            return try writer.finish()
        } catch {
            writer.abandon()
            throw error
        }
    }
}
