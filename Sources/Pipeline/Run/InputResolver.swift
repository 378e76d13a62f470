import CorpusCore
import CorpusIO
import Foundation

/// A recipe input that names nothing readable.
public enum InputError: Error, Equatable, Sendable, CustomStringConvertible {
    case notFound(path: String, at: RecipeLocation?)
    case noMatch(pattern: String, at: RecipeLocation?)
    case emptyFolder(path: String, at: RecipeLocation?)

    public var description: String {
        switch self {
        case let .notFound(path, at): "\(prefix(at))input not found: \(path)"
        case let .noMatch(pattern, at): "\(prefix(at))no file matches the input pattern \(pattern)"
        case let .emptyFolder(path, at): "\(prefix(at))input folder holds no readable file: \(path)"
        }
    }

    private func prefix(_ at: RecipeLocation?) -> String { at.map { "\($0): " } ?? "" }
}

/// Expands a recipe's inputs (files, folders, globs) into the ordered list of files a run reads.
///
/// The order is deterministic — inputs in recipe order, each expanded in byte order of its paths — and a file
/// named twice is read once. Relative paths are taken from `baseFolder` (the recipe's folder) and keep their
/// relative form as display paths, so ids and rejects do not depend on where the corpus is mounted.
public struct InputResolver {
    public var baseFolder: String

    public init(baseFolder: String) { self.baseFolder = baseFolder }

    public func resolve(_ inputs: [InputSpec], locations: [RecipeLocation?] = []) throws(InputError) -> [InputFile] {
        var files: [InputFile] = []
        var seen = Set<String>()
        for (i, spec) in inputs.enumerated() {
            let at = i < locations.count ? locations[i] : nil
            for (path, display) in try expand(spec.path, at: at) where seen.insert(path).inserted {
                let kind: InputKind
                switch spec.format {
                case .jsonl: kind = .jsonl
                case .text: kind = .text
                case .auto: kind = Self.isTextName(path) ? .text : .jsonl
                }
                let fields = DocumentFields(text: spec.textField.components, id: spec.idField.components,
                                            url: spec.urlField.components)
                files.append(InputFile(path: path, displayPath: display, kind: kind, fields: fields, source: spec.source))
            }
        }
        return files
    }

    static func isTextName(_ path: String) -> Bool {
        var name = (path as NSString).lastPathComponent.lowercased()
        for suffix in [".gz", ".zst", ".zstd"] where name.hasSuffix(suffix) { name = String(name.dropLast(suffix.count)) }
        return name.hasSuffix(".txt") || name.hasSuffix(".md") || !name.contains(".")
    }

    static func isJSONLName(_ path: String) -> Bool {
        var name = (path as NSString).lastPathComponent.lowercased()
        for suffix in [".gz", ".zst", ".zstd"] where name.hasSuffix(suffix) { name = String(name.dropLast(suffix.count)) }
        return name.hasSuffix(".jsonl") || name.hasSuffix(".json") || name.hasSuffix(".ndjson")
    }

    /// (path to open, display path) pairs for one recipe path.
    private func expand(_ written: String, at: RecipeLocation?) throws(InputError) -> [(String, String)] {
        let isRelative = !written.hasPrefix("/")
        let absolute = isRelative ? (baseFolder as NSString).appendingPathComponent(written) : written
        func display(_ path: String) -> String {
            guard isRelative else { return path }
            let prefix = baseFolder.hasSuffix("/") ? baseFolder : baseFolder + "/"
            return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
        }
        if written.contains(where: { "*?[".contains($0) }) {
            let matches = Self.glob(absolute).filter { !Self.isDirectory($0) }
            guard !matches.isEmpty else { throw .noMatch(pattern: written, at: at) }
            return matches.map { ($0, display($0)) }
        }
        guard FileManager.default.fileExists(atPath: absolute) else { throw .notFound(path: written, at: at) }
        if Self.isDirectory(absolute) {
            let files = Self.listFiles(in: absolute)
            guard !files.isEmpty else { throw .emptyFolder(path: written, at: at) }
            return files.map { ($0, display($0)) }
        }
        return [(absolute, display(absolute))]
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    /// Regular, non-hidden files below `folder`, recursively, sorted by UTF-8 bytes of the path.
    static func listFiles(in folder: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
        var files: [String] = []
        while let relative = walker.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            if name.hasPrefix(".") {
                if isDirectory((folder as NSString).appendingPathComponent(relative)) { walker.skipDescendants() }
                continue
            }
            let path = (folder as NSString).appendingPathComponent(relative)
            if !isDirectory(path) { files.append(path) }
        }
        return files.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// POSIX glob(3), sorted by UTF-8 bytes.
    static func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
        var paths: [String] = []
        for i in 0..<Int(result.gl_pathc) {
            if let p = result.gl_pathv[i] { paths.append(String(cString: p)) }
        }
        return paths.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}
