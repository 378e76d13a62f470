import CorpusIO

/// Re-reads a packed folder and checks it against its `manifest.json` (docs/shard-format.md, "ptk verify").
///
/// Checks: every listed file exists with its size and sha256; no unlisted file under `train/` or `cooldown/`;
/// each shard's four datasets are well formed and agree; every window follows the rules of
/// `PackedWindow.problem(seqLen:)`, its token ids are < vocab_size, its padding is pad_id and its ordinals
/// < documents.packed; each shard's and each set's counts equal the manifest's. All problems are collected, at
/// most `maxProblemsPerFile` per file (then one line with how many more).
///
/// ```
/// let report = ShardVerifier.verify(folder: "out")
/// report.ok          // false
/// report.problems    // [train/rank-00000-00000.bin: sha256 3f…, manifest.json says 9a…]
/// ```
/// - Complexity: reads every file once to hash it and every shard once more, window by window (memory flat).
public enum ShardVerifier {
    /// The problems reported per file before the rest are only counted.
    public static let maxProblemsPerFile = 20
    /// The folders of the two sets.
    public static let setNames = ["train", "cooldown"]

    /// Verifies `folder`; never throws: an unreadable manifest is the report's one problem.
    public static func verify(folder: String) -> VerifyReport {
        var check = Check(folder: folder)
        let manifest: PackManifest
        do {
            manifest = try PackManifest.read(from: folder)
        } catch {
            check.add(error)
            return check.report
        }
        check.manifestSettings(manifest)
        check.files(manifest)
        check.extraFiles(manifest)
        for (name, summary) in manifest.sets.named {
            check.set(name: name, summary: summary, manifest: manifest)
        }
        return check.report
    }
}

/// The verifier's state: the report so far and how many problems each file already has.
private struct Check {
    let folder: String
    var report: VerifyReport
    var perFile: [String: Int] = [:]

    init(folder: String) {
        self.folder = folder
        report = VerifyReport(folder: folder)
    }

    var manifestPath: String { PackManifest.fileName }

    /// Adds a problem, the path made relative to the folder; past the cap, only counts it.
    mutating func add(_ path: String, _ message: String) {
        let prefix = folder + "/"
        let relative = path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
        let seen = perFile[relative, default: 0]
        perFile[relative] = seen + 1
        if seen < ShardVerifier.maxProblemsPerFile {
            report.problems.append(VerifyReport.Problem(path: relative, message: message))
        } else if seen == ShardVerifier.maxProblemsPerFile {
            report.problems.append(VerifyReport.Problem(path: relative, message: "more problems (not listed)"))
        }
    }

    mutating func add(_ error: ShardError) {
        switch error {
        case .vocabularyTooLarge: add(manifestPath, error.description)
        case let .io(path, message), let .malformed(path, message), let .mismatch(path, message):
            add(path, error.isMalformed ? "malformed: " + message : message)
        }
    }

    /// The manifest's own settings: format, dtype for vocab_size, special ids inside the vocabulary, the ledger.
    mutating func manifestSettings(_ m: PackManifest) {
        if m.format != PackManifest.formatName {
            add(manifestPath, "format \"\(m.format)\", expected \"\(PackManifest.formatName)\"")
        }
        if m.seqLen < 1 { add(manifestPath, "seq_len \(m.seqLen) must be positive") }
        do {
            let expected = try TokenDType(vocabularySize: m.vocabSize)
            if expected != m.dtype {
                add(manifestPath, "dtype \(m.dtype.rawValue), but a vocabulary of \(m.vocabSize) ids takes "
                    + expected.rawValue)
            }
        } catch {
            add(error)
        }
        let ids: [(String, UInt32?)] = [("eos_id", m.eosId), ("bos_id", m.bosId), ("pad_id", m.padId)]
        for case let (key, id?) in ids where Int(id) >= m.vocabSize {
            add(manifestPath, "\(key) \(id) is not below vocab_size \(m.vocabSize)")
        }
        if m.ledger.read != m.ledger.written + m.ledger.rejected {
            add(manifestPath, "ledger: read \(m.ledger.read) ≠ written \(m.ledger.written) + rejected "
                + "\(m.ledger.rejected)")
        }
    }

    /// Every listed file: a safe relative path, listed once, present, with the listed size and sha256.
    mutating func files(_ m: PackManifest) {
        var seen = Set<String>()
        for entry in m.files {
            report.files += 1
            report.bytes &+= entry.bytes
            let parts = entry.path.split(separator: "/", omittingEmptySubsequences: false)
            if entry.path.hasPrefix("/") || parts.contains("..") || parts.contains("") || entry.path == manifestPath {
                add(manifestPath, "files: \"\(entry.path)\" is not a path inside the folder")
                continue
            }
            guard seen.insert(entry.path).inserted else {
                add(manifestPath, "files: \"\(entry.path)\" is listed twice")
                continue
            }
            let path = folder + "/" + entry.path
            guard let size = regularFileSize(path) else {
                add(entry.path, "listed in manifest.json but missing")
                continue
            }
            guard size == entry.bytes else {
                add(entry.path, "\(size) bytes, manifest.json says \(entry.bytes)")
                continue
            }
            do throws(IOError) {
                let digest = try sha256(ofFile: path)
                if digest != entry.sha256 { add(entry.path, "sha256 \(digest), manifest.json says \(entry.sha256)") }
            } catch {
                add(.fromIO(error))
            }
        }
    }

    /// Files under train/ and cooldown/ that the manifest does not list, or that belong to no listed shard.
    mutating func extraFiles(_ m: PackManifest) {
        let listed = Set(m.files.map(\.path))
        for (name, summary) in m.sets.named {
            var shardFiles = Set<String>()
            for shard in summary.shards {
                for part in ShardPart.allCases {
                    for ext in [".bin", ".idx"] { shardFiles.insert(name + "/" + part.prefix(of: shard.prefix) + ext) }
                }
            }
            let setFolder = folder + "/" + name
            guard isFolder(setFolder) else { continue }
            let found: [String]
            do {
                found = try regularFiles(under: setFolder)
            } catch {
                add(error)
                continue
            }
            for file in found.map({ name + "/" + $0 }) {
                if !listed.contains(file) {
                    add(file, "not listed in manifest.json")
                } else if !shardFiles.contains(file) {
                    add(file, "not a file of any shard in sets.\(name).shards")
                }
            }
        }
    }

    /// One set: each shard read in full, then the set's sums against the manifest.
    mutating func set(name: String, summary: PackManifest.SetSummary, manifest m: PackManifest) {
        var totals = VerifyReport.SetTotals(name: name, shards: summary.shards.count)
        var complete = true
        var prefixes = Set<String>()
        for (index, shard) in summary.shards.enumerated() {
            let key = "sets.\(name).shards[\(index)]"
            guard !shard.prefix.isEmpty, !shard.prefix.contains("/"), shard.prefix != "..",
                  prefixes.insert(shard.prefix).inserted
            else {
                add(manifestPath, "\(key): prefix \"\(shard.prefix)\" is not a new file name")
                complete = false
                continue
            }
            guard let found = self.shard(folder + "/" + name + "/" + shard.prefix, manifest: m) else {
                complete = false
                continue
            }
            for ((field, listed), (_, actual)) in zip(shard.countFields, found.countFields) where listed != actual {
                add(manifestPath, "\(key).\(field) (\(shard.prefix)) is \(listed), the shard holds \(actual)")
            }
            totals.windows += found.windows
            totals.tokens += found.tokens
            totals.paddingTokens += found.paddingTokens
            totals.lossTokens += found.lossTokens
        }
        report.sets.append(totals)
        // Wrapping arithmetic: the manifest's numbers may be anything.
        if summary.tokens != summary.windows &* m.seqLen {
            add(manifestPath, "sets.\(name).tokens is \(summary.tokens), but windows × seq_len is "
                + "\(summary.windows &* m.seqLen)")
        }
        let notPadding = summary.tokens &- summary.paddingTokens
        if summary.textTokens < 0 || summary.textTokens > notPadding {
            add(manifestPath, "sets.\(name).text_tokens \(summary.textTokens) is not between 0 and the tokens "
                + "that are not padding (\(notPadding))")
        }
        guard complete else { return }  // the unreadable shards were reported; sums would only repeat it
        let sums = ShardSummary(prefix: name, windows: totals.windows, tokens: totals.tokens,
                                paddingTokens: totals.paddingTokens, lossTokens: totals.lossTokens)
        for ((field, listed), (_, actual)) in zip(summary.countFields, sums.countFields) where listed != actual {
            add(manifestPath, "sets.\(name).\(field) is \(listed), the shards hold \(actual)")
        }
    }

    /// Reads one shard window by window; nil when it cannot be read to the end.
    mutating func shard(_ prefix: String, manifest m: PackManifest) -> ShardSummary? {
        var datasets: [IndexedDatasetReader] = []
        for part in ShardPart.allCases {
            do {
                datasets.append(try IndexedDatasetReader(prefix: part.prefix(of: prefix)))
            } catch {
                add(error)
            }
        }
        guard datasets.count == ShardPart.allCases.count else { return nil }
        let agreement = ShardReader.agreementProblems(datasets: datasets, seqLen: m.seqLen)
        for problem in agreement { add(problem) }
        guard agreement.isEmpty, let reader = try? ShardReader(prefix: prefix, datasets: datasets, seqLen: m.seqLen)
        else { return nil }
        if reader.dtype != m.dtype {
            add(reader.tokens.indexPath, "dtype \(reader.tokens.dtype), manifest.json says \(m.dtype.rawValue)")
        }
        var found = ShardSummary(prefix: prefix)
        for index in 0..<reader.windowCount {
            let window: PackedWindow
            do {
                window = try reader.uncheckedWindow(index)
            } catch {
                add(error)
                return nil
            }
            self.window(window, index: index, reader: reader, manifest: m)
            found.windows += 1
            found.tokens += m.seqLen
            found.paddingTokens += window.paddingTokenCount
            found.lossTokens += window.lossTokenCount
        }
        return found
    }

    /// One window's rules, ids and ordinals.
    mutating func window(_ w: PackedWindow, index: Int, reader: ShardReader, manifest m: PackManifest) {
        if let problem = w.problem(seqLen: m.seqLen) {
            add(reader.dataset(problem.part).binPath, "window \(index): \(problem.message)")
            return
        }
        if let bad = w.firstToken(atLeast: UInt64(max(0, m.vocabSize))) {
            add(reader.tokens.binPath, "window \(index): token id \(w.tokens[bad]) at position \(bad) is not below "
                + "vocab_size \(m.vocabSize)")
        }
        for s in 0..<w.segmentCount {
            let ordinal = w.segments[2 * s]
            if ordinal >= Int64(m.documents.packed) {
                add(reader.segments.binPath, "window \(index): segment \(s) has ordinal \(ordinal), but only "
                    + "\(m.documents.packed) documents were packed")
            }
            guard ordinal == PackedWindow.paddingOrdinal else { continue }
            let range = Int(w.cuSeqlens[s])..<Int(w.cuSeqlens[s + 1])
            if let bad = w.tokens[range].firstIndex(where: { $0 != m.padId }) {
                add(reader.tokens.binPath, "window \(index): padding token \(w.tokens[bad]) at position \(bad), "
                    + "expected pad_id \(m.padId)")
            }
        }
    }
}

extension ShardError {
    fileprivate var isMalformed: Bool {
        if case .malformed = self { return true }
        return false
    }
}

extension ShardSummary {
    /// The counts the manifest lists, by key.
    fileprivate var countFields: [(String, Int)] {
        [("windows", windows), ("tokens", tokens), ("padding_tokens", paddingTokens), ("loss_tokens", lossTokens)]
    }
}

extension PackManifest.SetSummary {
    fileprivate var countFields: [(String, Int)] {
        [("windows", windows), ("tokens", tokens), ("padding_tokens", paddingTokens), ("loss_tokens", lossTokens)]
    }
}
