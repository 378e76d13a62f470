import CorpusCore
import CorpusIO
import Foundation
import Packing
import Shards
import Tokenization

/// What a packing run needs besides the recipe: the tokenizer, the chosen special tokens and the pack settings.
public struct PackContext: Sendable {
    public var spec: PackSpec
    public var preparer: DocumentPreparer
    public var dtype: TokenDType
    public var tokenizerFile: String
    public var tokenizerSha256: String

    /// - Throws: `ShardError.vocabularyTooLarge` before anything is read.
    public init(spec: PackSpec, encoder: any TokenEncoder, tokens: PackTokens, seed: UInt64, tokenizerPath: String)
        throws
    {
        self.spec = spec
        preparer = DocumentPreparer(encoder: encoder, tokens: tokens, meco: spec.meco, seed: seed)
        dtype = try TokenDType(vocabularySize: encoder.vocabularySize)
        tokenizerFile = (tokenizerPath as NSString).lastPathComponent
        tokenizerSha256 = try sha256(ofFile: tokenizerPath)
    }
}

/// What one task packed: per set, the packer's figures and the shards; MeCo counts; the files written.
public struct RankPackReport: Sendable, Equatable, Codable {
    public var train: PackStats
    public var cooldown: PackStats
    public var trainShards: [ShardSummary]
    public var cooldownShards: [ShardSummary]
    public var prefixed = 0
    public var withoutURL = 0
    public var badURL = 0
    public var cooldownDocuments = 0
    public var files: [FileEntry]

    /// `packed 1,204 documents into 310 windows of 2048: 0.4% padding, 12 documents split; cooldown: …`
    public var summaryLine: String {
        func describe(_ s: PackStats) -> String {
            let seqLen = s.windows > 0 ? s.tokens / s.windows : 0
            return "\(s.documents) documents, \(s.documentTokens) tokens, \(s.windows) windows of \(seqLen), "
                + String(format: "%.2f%% padding", 100 * s.paddingShare) + ", \(s.splitDocuments) documents split"
        }
        var line = "train: " + describe(train)
        if cooldown.documents > 0 { line += "; cooldown: " + describe(cooldown) }
        if prefixed + withoutURL + badURL > 0 {
            line += "; MeCo prefix on \(prefixed), no url \(withoutURL), unparsable url \(badURL)"
        }
        return line
    }
}

/// Plain JSON (sorted keys, the type's own key names) for the per-task pack report.
func encodePackReport(_ report: RankPackReport) throws -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return Array(try encoder.encode(report)) + [0x0A]
}

func decodePackReport(from path: String) throws -> RankPackReport {
    try JSONDecoder().decode(RankPackReport.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
}

// MARK: - Part files

/// The binary part a worker writes for one input file: its prepared documents in input order.
///
/// Record: `u32 token count, u32 masked prefix, u8 flags (bit 0 cooldown, bits 1–2 MeCo outcome), u32 id
/// length, id bytes, tokens as u32`, little-endian. Internal to a run (`.work/`), never a deliverable.
struct PackPartWriter {
    private let file: OutputFile
    private var buffer: [UInt8] = []

    init(path: String) throws {
        file = try OutputFile(path: path, compression: Compression.none)
        buffer.reserveCapacity(1 << 20)
    }

    mutating func write(_ document: PreparedDocument) throws {
        append(UInt32(document.tokens.count))
        append(UInt32(document.maskedPrefix))
        let outcome: UInt8 = switch document.meco {
        case nil: 0
        case .prefixed?: 1
        case .noURL?: 2
        case .badURL?: 3
        }
        buffer.append((document.cooldown ? 1 : 0) | outcome << 1)
        let id = Array(document.id.utf8)
        append(UInt32(id.count))
        buffer.append(contentsOf: id)
        for token in document.tokens { append(token) }
        if buffer.count >= 1 << 20 { try flush() }
    }

    mutating func finish() throws {
        try flush()
        try file.commit()
    }

    private mutating func append(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { buffer.append(contentsOf: $0) }
    }

    private mutating func flush() throws {
        try file.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Reads a part written by `PackPartWriter`, one document at a time.
struct PackPartReader {
    private let source: FileSource
    private var buffer = [UInt8](repeating: 0, count: 1 << 20)
    private var start = 0
    private var end = 0

    init(path: String) throws { source = try FileSource(path: path) }

    /// The next document, or nil at the end. A truncated record is an error (the part was committed whole).
    mutating func next() throws -> PreparedDocument? {
        guard try fill(1) else { return nil }
        guard try fill(13) else { throw IOError.truncated(path: source.path, format: "pack part record header") }
        let count = Int(u32(0)), masked = Int(u32(4)), flags = buffer[start + 8], idLength = Int(u32(9))
        start += 13
        guard try fill(idLength) else { throw IOError.truncated(path: source.path, format: "pack part id") }
        let id = String(decoding: buffer[start..<(start + idLength)], as: UTF8.self)
        start += idLength
        var tokens = [UInt32](repeating: 0, count: count)
        var done = 0
        while done < count {
            guard try fill(4) else { throw IOError.truncated(path: source.path, format: "pack part tokens") }
            let available = min((end - start) / 4, count - done)
            for k in 0..<available { tokens[done + k] = u32(4 * k) }
            done += available
            start += 4 * available
        }
        let meco: MeCoOptions.Outcome? = switch (flags >> 1) & 3 {
        case 1: .prefixed
        case 2: .noURL
        case 3: .badURL
        default: nil
        }
        return PreparedDocument(id: id, tokens: tokens, maskedPrefix: masked, cooldown: flags & 1 == 1, meco: meco)
    }

    private func u32(_ offset: Int) -> UInt32 {
        let i = start + offset
        return UInt32(buffer[i]) | UInt32(buffer[i + 1]) << 8 | UInt32(buffer[i + 2]) << 16 | UInt32(buffer[i + 3]) << 24
    }

    /// Makes at least `count` bytes available from `start`; false at the end of the file.
    private mutating func fill(_ count: Int) throws -> Bool {
        if end - start >= count { return true }
        if start > 0 {
            buffer.withUnsafeMutableBufferPointer { b in
                if let base = b.baseAddress, end > start { memmove(base, base + start, end - start) }
            }
            end -= start
            start = 0
        }
        if buffer.count < count { buffer += [UInt8](repeating: 0, count: count - buffer.count) }
        while end < count {
            let n = try buffer.withUnsafeMutableBytes { raw in
                try source.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[end...]))
            }
            if n == 0 { return false }
            end += n
        }
        return true
    }
}

// MARK: - Packing the parts of a task

extension Runner {
    var documentsPath: String { "\(outputFolder)/documents/\(stem).jsonl.zst" }

    /// Reads the parts in input order, numbers the documents, packs them per set and writes the shards into
    /// the work folder; then moves them into `train/` and `cooldown/` (stale files of this task first removed).
    func packParts(_ indices: [Int], context: PackContext) throws -> RankPackReport {
        try packParts(paths: indices.map { partStem($0) + ".data" }, context: context)
    }

    /// As `packParts(_:context:)`, from the part files at `paths` (in order).
    func packParts(paths: [String], context: PackContext) throws -> RankPackReport {
        let spec = context.spec
        let pad = context.preparer.tokens.pad
        var packers: [any Packer] = [
            makePacker(spec.strategy, seqLen: spec.seqLen, padID: pad, bestFitBufferTokens: spec.bestFitBufferTokens),
            makePacker(spec.strategy, seqLen: spec.seqLen, padID: pad, bestFitBufferTokens: spec.bestFitBufferTokens),
        ]
        let sets = ["train", "cooldown"]
        let shardRoot = "\(workFolder)/shards"
        try? FileManager.default.removeItem(atPath: shardRoot)
        var writers: [ShardSetWriter?] = [nil, nil]
        func writer(_ set: Int) throws -> ShardSetWriter {
            if let existing = writers[set] { return existing }
            let created = try ShardSetWriter(folder: "\(shardRoot)/\(sets[set])", stem: stem, seqLen: spec.seqLen,
                                             dtype: context.dtype, maxShardBytes: Int64(spec.maxShardBytes))
            writers[set] = created
            return created
        }
        // A killed run leaves its temporary documents file behind (shards stay in the work folder): remove it.
        let documentsFolder = (documentsPath as NSString).deletingLastPathComponent
        for name in (try? FileManager.default.contentsOfDirectory(atPath: documentsFolder)) ?? []
        where name.hasPrefix(".\(stem).jsonl.zst.tmp-") {
            try? FileManager.default.removeItem(atPath: "\(documentsFolder)/\(name)")
        }
        let documents = try OutputFile(path: documentsPath, compression: .zstd)
        var json = JSONWriter(capacity: 1 << 20)
        var report = RankPackReport(train: PackStats(), cooldown: PackStats(), trainShards: [], cooldownShards: [],
                                    files: [])
        var ordinal: Int64 = 0
        do {
            for path in paths {
                var reader = try PackPartReader(path: path)
                while let document = try reader.next() {
                    let set = document.cooldown ? 1 : 0
                    switch document.meco {
                    case .prefixed?: report.prefixed += 1
                    case .noURL?: report.withoutURL += 1
                    case .badURL?: report.badURL += 1
                    case nil: break
                    }
                    if document.cooldown { report.cooldownDocuments += 1 }
                    json.raw("{\"ordinal\":")
                    json.rawBytes(String(ordinal).utf8)
                    json.raw(",\"id\":")
                    json.string(document.id)
                    json.raw(",\"set\":")
                    json.string(sets[set])
                    json.raw(",\"tokens\":")
                    json.rawBytes(String(document.tokens.count).utf8)
                    json.raw(",\"masked\":")
                    json.rawBytes(String(document.maskedPrefix).utf8)
                    if let meco = document.meco {
                        json.raw(",\"meco\":")
                        json.string(meco.rawValue)
                    }
                    json.raw("}\n")
                    if json.bytes.count >= 1 << 20 {
                        try documents.write(json.bytes)
                        json.bytes.removeAll(keepingCapacity: true)
                    }
                    let shardWriter = try writer(set)
                    try packers[set].add(PackDocument(ordinal: ordinal, tokens: document.tokens,
                                                      maskedPrefix: document.maskedPrefix)) { try shardWriter.append($0) }
                    ordinal += 1
                }
            }
            for set in 0..<2 where writers[set] != nil {
                let shardWriter = try writer(set)
                try packers[set].finish { try shardWriter.append($0) }
            }
            report.trainShards = try writers[0]?.finish() ?? []
            report.cooldownShards = try writers[1]?.finish() ?? []
            try documents.write(json.bytes)
            try documents.commit()
        } catch {
            for writer in writers { writer?.abandon() }
            throw error
        }
        report.train = packers[0].stats
        report.cooldown = packers[1].stats

        // Shuffle: the windows copied in a seeded order into a second folder, each window whole.
        var builtFolders = sets.map { "\(shardRoot)/\($0)" }
        if spec.shuffleWindows {
            for set in 0..<2 where writers[set] != nil {
                let shards = set == 0 ? report.trainShards : report.cooldownShards
                let windows = shards.reduce(0) { $0 + $1.windows }
                let order = WindowShuffle.permutation(count: windows, seed: recipe.seed,
                                                      stream: "pack/shuffle_windows/\(sets[set])/\(stem)")
                let target = "\(shardRoot)/shuffled/\(sets[set])"
                let shuffled = try ShardSetWriter(folder: target, stem: stem, seqLen: spec.seqLen, dtype: context.dtype,
                                                  maxShardBytes: Int64(spec.maxShardBytes))
                let summaries = try WindowShuffle.copy(folder: builtFolders[set], shards: shards, seqLen: spec.seqLen,
                                                       order: order, to: shuffled)
                if set == 0 { report.trainShards = summaries } else { report.cooldownShards = summaries }
                try? FileManager.default.removeItem(atPath: builtFolders[set])
                builtFolders[set] = target
            }
        }

        // Publish: remove this task's stale shards, move the new ones in, checksum them.
        let fm = FileManager.default
        var entries: [FileEntry] = []
        for (setIndex, set) in sets.enumerated() {
            let finalFolder = "\(outputFolder)/\(set)"
            for name in (try? fm.contentsOfDirectory(atPath: finalFolder)) ?? [] where name.hasPrefix(stem + "-") {
                try fm.removeItem(atPath: "\(finalFolder)/\(name)")
            }
            let built = builtFolders[setIndex]
            guard let names = try? fm.contentsOfDirectory(atPath: built), !names.isEmpty else { continue }
            try fm.createDirectory(atPath: finalFolder, withIntermediateDirectories: true)
            for name in names.sorted() {
                try fm.moveItem(atPath: "\(built)/\(name)", toPath: "\(finalFolder)/\(name)")
                entries.append(try FileEntry.make(folder: outputFolder, relativePath: "\(set)/\(name)"))
            }
        }
        try? fm.removeItem(atPath: shardRoot)
        entries.append(try FileEntry.make(folder: outputFolder, relativePath: "documents/\(stem).jsonl.zst"))
        report.files = entries
        return report
    }
}

// MARK: - The folder's manifest

extension Runner {
    /// The shard manifest over every task's pack report: counts, sets, shards and every file with its sha256.
    func packManifest(_ context: PackContext, reports: [RankReport], ledger: Ledger) throws -> PackManifest {
        var train = PackStats(), cooldown = PackStats()
        var trainShards: [ShardSummary] = [], cooldownShards: [ShardSummary] = []
        var prefixed = 0, withoutURL = 0, badURL = 0, cooldownDocuments = 0
        var files: [FileEntry] = []
        for report in reports {
            let stem = "rank-" + String(report.rank).leftPadded(to: 5)
            let pack = try decodePackReport(from: "\(outputFolder)/ranks/\(stem).pack.json")
            train.merge(pack.train)
            cooldown.merge(pack.cooldown)
            trainShards += pack.trainShards
            cooldownShards += pack.cooldownShards
            prefixed += pack.prefixed
            withoutURL += pack.withoutURL
            badURL += pack.badURL
            cooldownDocuments += pack.cooldownDocuments
            files += report.outputs
        }
        let spec = context.spec
        let preparer = context.preparer
        var meco: PackManifest.MeCoSummary?
        if let options = spec.meco {
            let all = train.documentTokens + cooldown.documentTokens
            meco = PackManifest.MeCoSummary(
                template: options.template, variant: options.variant.rawValue,
                urlField: Array(Set(recipe.urlFields)).sorted().joined(separator: ","),
                cooldownShare: options.cooldownShare, documentsWithPrefix: prefixed, documentsWithoutUrl: withoutURL,
                documentsBadUrl: badURL, cooldownDocuments: cooldownDocuments,
                cooldownTokenShare: all == 0 ? 0 : Double(cooldown.documentTokens) / Double(all))
        }
        return PackManifest(
            version: PretrainKit.version, strategy: spec.strategy.rawValue, seqLen: spec.seqLen,
            attention: spec.strategy.attention, dtype: context.dtype, vocabSize: preparer.encoder.vocabularySize,
            eosId: preparer.tokens.eos, bosId: preparer.tokens.bos, padId: preparer.tokens.pad, seed: recipe.seed,
            tokenizer: .init(file: context.tokenizerFile, sha256: context.tokenizerSha256),
            recipeSha256: recipe.recipeHash, meco: meco,
            documents: .init(read: ledger.read, packed: train.documents + cooldown.documents, rejected: ledger.rejected,
                             split: train.splitDocuments + cooldown.splitDocuments,
                             chunks: train.chunks + cooldown.chunks),
            ledger: ledger,
            sets: .init(train: .init(shards: trainShards, textTokens: train.documentTokens),
                        cooldown: .init(shards: cooldownShards, textTokens: cooldown.documentTokens)),
            files: files.sorted { $0.path < $1.path }, shuffleWindows: spec.shuffleWindows ? true : nil)
    }
}
