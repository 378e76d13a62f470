import CorpusCore

/// SHA-256 of a file's bytes as lowercase hex (what `sha256sum` prints), read in 1 MiB chunks: memory stays
/// constant whatever the file's size.
///
/// ```
/// try sha256(ofFile: "out/manifest.json")   // "9f86d081884c7d65…"
/// ```
///
/// - Throws: `IOError.cannotOpen` / `.isDirectory` / `.readFailed`, naming `path`.
/// - Complexity: O(file size) time, O(1) memory.
public func sha256(ofFile path: String) throws(IOError) -> String {
    let source = try FileSource(path: path)
    var hasher = SHA256()
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
    defer { buffer.deallocate() }
    while true {
        let n = try source.read(into: buffer)
        if n == 0 { break }
        hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
    }
    return hasher.hexDigest()
}
