#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Errors of reading and writing corpus files; every case names the file so the user can find it.
public enum IOError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be opened (or created): `reason` is the system's message, e.g. "No such file or directory".
    case cannotOpen(path: String, reason: String)
    /// Reading from an open file failed (an I/O error, a vanished network mount).
    case readFailed(path: String, reason: String)
    /// A compressed stream (`format` is "gzip" or "zstd") ended in the middle of a member or frame.
    case truncated(path: String, format: String)
    /// A compressed stream holds data its decoder rejects; `detail` is the library's message.
    case corrupt(path: String, format: String, detail: String)
    /// Writing, syncing or renaming the output failed (ENOSPC, EDQUOT, EIO…).
    case writeFailed(path: String, reason: String)
    /// The path names a folder where a file was expected.
    case isDirectory(path: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            "cannot open \(path): \(reason)"
        case let .readFailed(path, reason):
            "cannot read \(path): \(reason)"
        case let .truncated(path, format):
            "truncated \(format) stream: \(path) ended in the middle of a \(format == "gzip" ? "member" : "frame")"
        case let .corrupt(path, format, detail):
            "corrupt \(format) data in \(path): \(detail)"
        case let .writeFailed(path, reason):
            "cannot write \(path): \(reason)"
        case let .isDirectory(path):
            "\(path) is a directory, not a file"
        }
    }

    /// The file the error is about.
    public var path: String {
        switch self {
        case let .cannotOpen(path, _), let .readFailed(path, _), let .truncated(path, _),
             let .corrupt(path, _, _), let .writeFailed(path, _), let .isDirectory(path):
            path
        }
    }
}

/// The system's message for an `errno` value, e.g. "No space left on device".
func systemErrorMessage(_ code: Int32) -> String {
    guard let message = strerror(code) else { return "error \(code)" }
    return String(cString: message)
}
