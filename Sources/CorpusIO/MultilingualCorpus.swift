import Foundation

/// The real multilingual text that tests and benchmarks read: the Debian Reference in five languages and the
/// Chinese fortunes, fetched from Debian's archive by scripts/multilingual-corpus.sh (never committed).
public enum MultilingualCorpus {
    /// `$PTK_CORPUS_DIR`, else ~/.cache/ptk/multilingual-corpus.
    public static var folder: String {
        ProcessInfo.processInfo.environment["PTK_CORPUS_DIR"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() + "/.cache/ptk/multilingual-corpus")
    }

    /// Documents of a little over `size` characters from one file of the corpus, cut at blank lines (each keeps
    /// its paragraphs' trailing blank lines). A missing file throws.
    public static func documents(file: String, folder: String = folder, size: Int = 2000) throws -> [String] {
        let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
        var documents: [String] = []
        var current = ""
        for paragraph in text.components(separatedBy: "\n\n") where !paragraph.isEmpty {
            current += paragraph + "\n\n"
            if current.count > size {
                documents.append(current)
                current = ""
            }
        }
        if !current.isEmpty { documents.append(current) }
        return documents
    }
}
