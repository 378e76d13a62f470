/// Where a writer is in its life — open, then finished or abandoned — and its first error.
enum WriterState {
    case open, finished, abandoned
}

/// A writer that refuses calls once finished, abandoned or failed, and fails again with its first error.
protocol LifecycleWriter: AnyObject {
    var state: WriterState { get set }
    /// The first error: every later call throws it again.
    var failure: ShardError? { get set }
    /// What errors name: the file or folder written.
    var lifecyclePath: String { get }
    /// What the writer is called in errors ("the dataset", "the shard writer").
    var lifecycleNoun: String { get }
}

extension LifecycleWriter {
    func checkOpen() throws(ShardError) {
        if let failure { throw failure }
        switch state {
        case .open: return
        case .finished: throw .io(path: lifecyclePath, message: "\(lifecycleNoun) was already finished")
        case .abandoned: throw .io(path: lifecyclePath, message: "\(lifecycleNoun) was abandoned")
        }
    }

    /// Runs `body`, remembering its error so that later calls fail the same way.
    func guarded(_ body: () throws(ShardError) -> Void) throws(ShardError) {
        do {
            try body()
        } catch {
            failure = error
            throw error
        }
    }
}
