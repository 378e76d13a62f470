import CorpusIO

extension ShardError {
    /// The file the error is about.
    public var path: String {
        switch self {
        case .vocabularyTooLarge: ""
        case let .io(path, _), let .malformed(path, _), let .mismatch(path, _): path
        }
    }

    /// An I/O error of CorpusIO as a shard error naming the same file (without repeating its path).
    static func fromIO(_ error: IOError) -> ShardError {
        switch error {
        case let .cannotOpen(path, reason): .io(path: path, message: "cannot open: \(reason)")
        case let .readFailed(path, reason): .io(path: path, message: "cannot read: \(reason)")
        case let .writeFailed(path, reason): .io(path: path, message: "cannot write: \(reason)")
        case let .isDirectory(path): .io(path: path, message: "is a folder, not a file")
        case .truncated, .corrupt: .io(path: error.path, message: "\(error)")
        }
    }
}
