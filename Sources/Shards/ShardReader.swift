/// Reads one shard: the four indexed datasets `<prefix>`, `<prefix>-lossmask`, `<prefix>-cuseqlens` and
/// `<prefix>-segments` (docs/shard-format.md), window by window.
///
/// Opening checks that the four agree (same window count, each window its own document, `seq_len` tokens and mask
/// values per window, two segment values per segment); `window(_:)` checks the window's values.
///
/// ```
/// let shard = try ShardReader(prefix: "out/train/rank-00000-00000")
/// let w = try shard.window(0)   // PackedWindow: tokens, lossMask, cuSeqlens, segments
/// ```
public final class ShardReader: Sendable {
    /// The token file's path without `.bin` / `.idx`; the sidecars add `ShardPart.suffix`.
    public let prefix: String
    /// Tokens per window (the manifest's seq_len, or the first window's length when none was given).
    public let seqLen: Int
    /// The token dtype, from the token file's `.idx`.
    public let dtype: TokenDType
    /// The four datasets, one per `ShardPart`.
    public let tokens: IndexedDatasetReader
    public let lossMask: IndexedDatasetReader
    public let cuSeqlens: IndexedDatasetReader
    public let segments: IndexedDatasetReader

    /// Opens and cross-checks the shard's four datasets.
    ///
    /// - Parameter seqLen: the expected window length; nil takes the first window's.
    /// - Throws: `ShardError.io` / `.malformed` from `IndexedDatasetReader`, `.malformed` naming the `.idx` whose
    ///   dtype, window count or lengths disagree with the format or with the token file.
    public convenience init(prefix: String, seqLen: Int? = nil) throws(ShardError) {
        let datasets = try ShardPart.allCases.map { (part) throws(ShardError) in
            try IndexedDatasetReader(prefix: part.prefix(of: prefix))
        }
        try self.init(prefix: prefix, datasets: datasets, seqLen: seqLen)
    }

    /// `datasets` in `ShardPart.allCases` order.
    init(prefix: String, datasets: [IndexedDatasetReader], seqLen: Int?) throws(ShardError) {
        let problems = Self.agreementProblems(datasets: datasets, seqLen: seqLen)
        if let first = problems.first { throw first }
        self.prefix = prefix
        tokens = datasets[0]
        lossMask = datasets[1]
        cuSeqlens = datasets[2]
        segments = datasets[3]
        self.seqLen = seqLen ?? tokens.sequenceLengths.first.map(Int.init) ?? 0
        dtype = tokens.dtype == .uint16 ? .uint16 : .int32
    }

    public var windowCount: Int { tokens.sequenceCount }

    /// The dataset of one part.
    public func dataset(_ part: ShardPart) -> IndexedDatasetReader {
        switch part {
        case .tokens: tokens
        case .lossMask: lossMask
        case .cuSeqlens: cuSeqlens
        case .segments: segments
        }
    }

    /// Window `index` (0 ≤ index < windowCount), checked with `PackedWindow.problem(seqLen:)`.
    ///
    /// - Throws: `ShardError.mismatch` for an index out of range, `.malformed` naming the `.bin` whose values break
    ///   the format (cu_seqlens that do not run from 0 to seq_len, a mask value of 2 …), `.io` when reading fails.
    public func window(_ index: Int) throws(ShardError) -> PackedWindow {
        let window = try uncheckedWindow(index)
        if let problem = window.problem(seqLen: seqLen) {
            throw .malformed(path: dataset(problem.part).binPath, message: "window \(index): \(problem.message)")
        }
        return window
    }

    /// Window `index` as stored, unchecked.
    func uncheckedWindow(_ index: Int) throws(ShardError) -> PackedWindow {
        let ids = try tokens.tokens(index)
        let mask = try lossMask.rawBytes(index)
        let ends = try cuSeqlens.values(index).map { Int32(truncatingIfNeeded: $0) }
        let pairs = try segments.values(index)
        return PackedWindow(tokens: ids, lossMask: mask, cuSeqlens: ends, segments: pairs)
    }

    /// Every way the four datasets (in `ShardPart.allCases` order) disagree with the format or each other, read
    /// from their `.idx` alone.
    static func agreementProblems(datasets: [IndexedDatasetReader], seqLen: Int?) -> [ShardError] {
        guard datasets.count == ShardPart.allCases.count else { return [] }
        var problems: [ShardError] = []
        let windows = datasets[0].sequenceCount
        let length = seqLen ?? datasets[0].sequenceLengths.first.map(Int.init) ?? 0
        for (part, dataset) in zip(ShardPart.allCases, datasets) {
            let path = dataset.indexPath
            let expected = part == .tokens ? "uint16 or int32" : "\(part.dtype(tokens: .uint16))"
            let dtypeOK = part == .tokens ? (dataset.dtype == .uint16 || dataset.dtype == .int32)
                                          : dataset.dtype == part.dtype(tokens: .uint16)
            if !dtypeOK {
                problems.append(.malformed(path: path, message: "dtype \(dataset.dtype), expected \(expected)"))
            }
            if dataset.sequenceCount != windows {
                problems.append(.malformed(path: path, message: "\(dataset.sequenceCount) windows, but "
                                           + "\(datasets[0].indexPath) has \(windows)"))
                continue
            }
            let documents = dataset.documentIndices
            if documents.count != windows + 1
                || documents.enumerated().contains(where: { Int64($0.offset) != $0.element })
            {
                let shown = documents.prefix(4).map(String.init).joined(separator: ", ")
                    + (documents.count > 4 ? ", …" : "")
                problems.append(.malformed(path: path, message: "document indices [\(shown)] (\(documents.count)), "
                                           + "expected 0, 1, …, \(windows): each window is its own document"))
            }
            switch part {
            case .tokens, .lossMask:
                if let bad = dataset.sequenceLengths.firstIndex(where: { Int($0) != length }) {
                    problems.append(.malformed(path: path, message: "window \(bad) has \(dataset.sequenceLengths[bad]) "
                                               + "values, expected seq_len \(length)"))
                }
            case .cuSeqlens:
                if let bad = dataset.sequenceLengths.firstIndex(where: { $0 < 2 }) {
                    problems.append(.malformed(path: path, message: "window \(bad) has \(dataset.sequenceLengths[bad]) "
                                               + "values, at least [0, seq_len] is needed"))
                }
            case .segments:
                let ends = datasets[2]
                guard ends.sequenceCount == windows else { break }
                if let bad = (0..<windows).first(where: {
                    Int(dataset.sequenceLengths[$0]) != 2 * (Int(ends.sequenceLengths[$0]) - 1)
                }) {
                    problems.append(.malformed(path: path, message: "window \(bad) has \(dataset.sequenceLengths[bad]) "
                                               + "values for \(ends.sequenceLengths[bad] - 1) segments (cu_seqlens), "
                                               + "expected two per segment"))
                }
            }
        }
        return problems
    }
}
