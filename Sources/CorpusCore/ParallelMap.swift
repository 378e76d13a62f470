import Dispatch

/// `(0..<count).map(body)` on up to `threads` threads, in input order.
///
/// The indices are split into contiguous chunks, one per task, and each slot is written by exactly one task,
/// so the result equals the sequential map whatever the scheduling (as long as `body` is a pure function of
/// its index).
public func orderedParallelMap<T>(count: Int, threads: Int, _ body: @Sendable (Int) -> T) -> [T] {
    guard count > 0 else { return [] }
    let tasks = max(1, min(threads, count))
    return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
        nonisolated(unsafe) let slots = buffer
        DispatchQueue.concurrentPerform(iterations: tasks) { task in
            guard let base = slots.baseAddress else { return }
            for i in (count * task / tasks)..<(count * (task + 1) / tasks) { (base + i).initialize(to: body(i)) }
        }
        initialized = count
    }
}
