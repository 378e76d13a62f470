#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CorpusIO
import Foundation

/// One file of a packed folder as `manifest.json` lists it: its path relative to the folder, size and sha256.
public struct FileEntry: Codable, Sendable, Equatable {
    public var path: String
    public var bytes: Int64
    public var sha256: String

    public init(path: String, bytes: Int64, sha256: String) {
        self.path = path
        self.bytes = bytes
        self.sha256 = sha256
    }

    /// Measures and hashes `folder/relativePath`.
    ///
    /// ```
    /// try FileEntry.make(folder: "out", relativePath: "train/rank-00000-00000.idx")
    /// // FileEntry(path: "train/rank-00000-00000.idx", bytes: 66, sha256: "…")
    /// ```
    /// - Throws: `ShardError.io` naming the file when it is missing or unreadable.
    /// - Complexity: reads the whole file, in constant memory.
    public static func make(folder: String, relativePath: String) throws(ShardError) -> FileEntry {
        let path = folder + "/" + relativePath
        guard let size = regularFileSize(path) else {
            throw .io(path: path, message: "missing, or not a regular file")
        }
        do throws(IOError) {
            return FileEntry(path: relativePath, bytes: size, sha256: try CorpusIO.sha256(ofFile: path))
        } catch {
            throw .fromIO(error)
        }
    }

    /// Entries for every regular file under `folder` but `manifest.json`, sorted by path: what a manifest's
    /// `files` holds.
    ///
    /// - Throws: `ShardError.io` when the folder or a file cannot be read.
    public static func list(folder: String) throws(ShardError) -> [FileEntry] {
        var entries: [FileEntry] = []
        for path in try regularFiles(under: folder) where path != PackManifest.fileName {
            entries.append(try make(folder: folder, relativePath: path))
        }
        return entries
    }
}

/// The size of `path` when it is a regular file (symbolic links followed), else nil.
func regularFileSize(_ path: String) -> Int64? {
    var info = stat()
    guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
    return Int64(info.st_size)
}

/// Paths, relative to `folder` and sorted, of the regular files under it (hidden ones included).
func regularFiles(under folder: String) throws(ShardError) -> [String] {
    guard isFolder(folder) else {
        throw .io(path: folder, message: "missing, or not a folder")
    }
    let paths: [String]
    do {
        paths = try FileManager.default.subpathsOfDirectory(atPath: folder)
    } catch {
        throw .io(path: folder, message: "cannot list: \(error.localizedDescription)")
    }
    return paths.filter { regularFileSize(folder + "/" + $0) != nil }.sorted()
}

/// Whether `path` is a folder (symbolic links followed).
func isFolder(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
}
