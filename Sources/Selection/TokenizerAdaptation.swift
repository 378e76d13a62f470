import CorpusCore
import CorpusIO
import Foundation
import Tokenization

/// What can go wrong adapting a tokenizer to a target.
public enum TokenizerAdaptationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A parameter outside its range.
    case invalidParameter(name: String, value: String)
    /// The target has no text at all.
    case emptyTarget
    /// The size limit is below what covering every character of the target needs (the `<unk>` piece, the 256
    /// byte pieces and one piece per distinct character).
    case vocabularyTooSmall(requested: Int, required: Int)
    /// A target file could not be read.
    case unreadableTarget(path: String, detail: String)

    public var description: String {
        switch self {
        case .invalidParameter(let name, let value): "invalid \(name): \(value)"
        case .emptyTarget: "the target has no text"
        case .vocabularyTooSmall(let requested, let required):
            "vocabulary size \(requested) is below the \(required) pieces the target needs (<unk>, 256 bytes, "
                + "one piece per distinct character)"
        case .unreadableTarget(let path, let detail): "cannot read target \(path): \(detail)"
        }
    }
}

/// Texts that can be read several times, one document at a time (each pass re-reads; nothing is kept).
///
/// ```swift
/// try InMemoryTexts(["a b", "c"]).forEachText { print($0) }
/// ```
public protocol AdaptationTexts {
    /// Calls `body` with every text, in a fixed order.
    func forEachText(_ body: (String) throws -> Void) throws
}

/// Texts held in memory (tests, small targets).
public struct InMemoryTexts: AdaptationTexts {
    public let texts: [String]
    public init(_ texts: [String]) { self.texts = texts }
    public func forEachText(_ body: (String) throws -> Void) throws { for text in texts { try body(text) } }
}

/// JSONL files (plain, .gz or .zst) streamed record by record at every pass; records that are not documents
/// (bad JSON, no text field) are counted in `rejected` by the last pass, never silently used.
///
/// ```swift
/// let texts = JSONLTexts(paths: ["target.jsonl.zst"], textField: ["meta", "body"])
/// ```
///
/// - Complexity: O(file bytes) a pass, O(one record) memory.
public final class JSONLTexts: AdaptationTexts {
    public let paths: [String]
    public let fields: DocumentFields
    /// Records that did not become a document in the last pass.
    public private(set) var rejected = 0

    public init(paths: [String], textField: [String] = ["text"]) {
        self.paths = paths
        self.fields = DocumentFields(text: textField)
    }

    public func forEachText(_ body: (String) throws -> Void) throws {
        var rejectedNow = 0
        for path in paths {
            let file = InputFile(path: path, kind: .jsonl, fields: fields)
            var reader = DocumentReader(file: file, options: ReadOptions())
            let problem = try reader.forEach { event in
                switch event {
                case let .document(document, _): try body(document.text)
                case .rejected: rejectedNow += 1
                }
            }
            if let problem { throw TokenizerAdaptationError.unreadableTarget(path: path, detail: "\(problem)") }
        }
        rejected = rejectedNow
    }
}

/// How the written vocabulary is chosen among the measured steps of size ≤ N (see `TokenizerAdaptation`).
public enum AdaptationChoice: String, Sendable, Equatable, CaseIterable {
    /// The lowest H_v (bits per character): the default.
    case entropy
    /// VOLT's largest marginal utility (the drop in H_v per extra piece against the next smaller step).
    case marginalUtility = "muv"
}

/// The settings of `TokenizerAdaptation.adapt`; the defaults are the CLI's.
///
/// ```swift
/// let options = TokenizerAdaptationOptions(vocabSize: 8000, maxWords: 3, minCount: 5)
/// ```
public struct TokenizerAdaptationOptions: Sendable, Equatable {
    /// The size limit N of the adapted vocabulary, every piece counted (`<unk>` and the 256 byte pieces too).
    public var vocabSize: Int
    /// Multi-word units of up to this many words are counted (1: words only).
    public var maxWords: Int = 3
    /// Task units seen fewer times than this are not candidates.
    public var minCount: Int = 5
    /// At most this many task units (the most frequent) are merged into the base vocabulary.
    public var taskVocab: Int = 10_000
    /// Geometric pruning steps from the merged size down to `vocabSize`.
    public var steps: Int = 8
    /// Further geometric steps from `vocabSize` down to `vocabSize / 2`: the candidates among which the marginal
    /// utility chooses (0: the vocabulary of exactly `vocabSize` pieces, or of the merged size when smaller).
    public var stepsBelow: Int = 4
    /// Viterbi re-estimations (segment, then count) after each pruning, before the step is measured.
    public var emIterations: Int = 1
    /// Character n-grams of 2…this many characters are the task units of scripts written without spaces.
    public var unspacedGram: Int = 4
    /// How the vocabulary written is chosen among the steps of size ≤ `vocabSize`.
    public var choice: AdaptationChoice = .entropy
    /// The most distinct task units held while counting: past it, the rarest are dropped (see `UnitCounter`).
    public var maxUnits: Int = 20_000_000
    /// Threads for the segmentation passes (the result does not depend on it).
    public var threads: Int = 1

    public init(vocabSize: Int, maxWords: Int = 3, minCount: Int = 5, taskVocab: Int = 10_000, steps: Int = 8,
                stepsBelow: Int = 4, emIterations: Int = 1, unspacedGram: Int = 4,
                choice: AdaptationChoice = .entropy, maxUnits: Int = 20_000_000, threads: Int = 1) {
        self.vocabSize = vocabSize
        self.maxWords = maxWords
        self.minCount = minCount
        self.taskVocab = taskVocab
        self.steps = steps
        self.stepsBelow = stepsBelow
        self.emIterations = emIterations
        self.unspacedGram = unspacedGram
        self.choice = choice
        self.maxUnits = maxUnits
        self.threads = threads
    }

    func validate() throws(TokenizerAdaptationError) {
        func check(_ ok: Bool, _ name: String, _ value: Int) throws(TokenizerAdaptationError) {
            if !ok { throw .invalidParameter(name: name, value: String(value)) }
        }
        try check(vocabSize >= 1, "vocabSize", vocabSize)
        try check(maxWords >= 1 && maxWords <= 16, "maxWords", maxWords)
        try check(minCount >= 1, "minCount", minCount)
        try check(taskVocab >= 0, "taskVocab", taskVocab)
        try check(steps >= 1 && steps <= 1000, "steps", steps)
        try check(stepsBelow >= 0 && stepsBelow <= 1000, "stepsBelow", stepsBelow)
        try check(emIterations >= 0 && emIterations <= 100, "emIterations", emIterations)
        try check(unspacedGram >= 1 && unspacedGram <= 16, "unspacedGram", unspacedGram)
        try check(maxUnits >= 2, "maxUnits", maxUnits)
        try check(threads >= 1 && threads <= 1024, "threads", threads)
    }
}

/// One row of the pruning table: a vocabulary and how it segments the target.
public struct AdaptationStep: Sendable, Equatable {
    /// 0 for the merged vocabulary, then one per pruning.
    public var step: Int
    /// Pieces in the vocabulary, `<unk>` and byte pieces included.
    public var size: Int
    /// Tokens of the target's Viterbi segmentation.
    public var tokens: Int
    /// Characters (Unicode scalars, after spaces became "▁") of the target.
    public var characters: Int
    /// l_v = characters / tokens.
    public var meanTokenLength: Double
    /// H = −Σ_j P(j) log2 P(j) over the pieces' token frequencies P(j) (bits per token).
    public var entropy: Double
    /// H_v = H / l_v (bits per character): the VOLT utility, lower is better.
    public var utility: Double
    /// MUV = (H_v(next smaller step) − H_v(this step)) / (size − next size): the drop in bits per character
    /// each extra piece buys; nil for the last step.
    public var marginalUtility: Double?
}

/// An adapted tokenizer: a Unigram vocabulary (pieces and log-probability scores in id order: `<unk>`, the 256
/// `<0xXX>` byte pieces, then the learned pieces by descending score, ties by bytes). `<unk>` and the byte
/// pieces score 1000 below the lowest learned piece, so a literal "<0x41>" in text stays characters when they are
/// pieces (`tokenizers` searches every vocabulary entry by its string).
///
/// ```swift
/// try Data(result.tokenizer.json()).write(to: URL(fileURLWithPath: "adapted.json"))
/// let ids = try result.tokenizer.tokenizer().encodeOrdinary("New York")
/// ```
public struct AdaptedTokenizer: Sendable, Equatable {
    public var pieces: [String]
    public var scores: [Double]

    /// The tokenizer.json: Unigram model with byte fallback, `Metaspace` pre-tokenizer (`prepend_scheme`
    /// always, `split` false, so pieces may span words) and the matching decoders; no normalizer. Same pieces,
    /// same bytes.
    ///
    /// - Complexity: O(vocabulary bytes).
    public func json() -> [UInt8] {
        var writer = JSONWriter(capacity: pieces.count * 32)
        writer.raw("{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n")
        writer.raw("  \"added_tokens\": [],\n  \"normalizer\": null,\n")
        writer.raw("  \"pre_tokenizer\": {\"type\": \"Metaspace\", \"replacement\": \"\u{2581}\", ")
        writer.raw("\"prepend_scheme\": \"always\", \"split\": false},\n  \"post_processor\": null,\n")
        writer.raw("  \"decoder\": {\"type\": \"Sequence\", \"decoders\": [{\"type\": \"ByteFallback\"}, ")
        writer.raw("{\"type\": \"Metaspace\", \"replacement\": \"\u{2581}\", \"prepend_scheme\": \"always\", ")
        writer.raw("\"split\": false}]},\n")
        writer.raw("  \"model\": {\n    \"type\": \"Unigram\",\n    \"unk_id\": 0,\n    \"vocab\": [\n")
        for (index, piece) in pieces.enumerated() {
            writer.raw("      [")
            writer.string(piece)
            writer.raw(", ")
            writer.rawBytes(TokenizerAdaptation.scoreText(scores[index]).utf8)
            writer.raw(index + 1 < pieces.count ? "],\n" : "]\n")
        }
        writer.raw("    ],\n    \"byte_fallback\": true\n  }\n}\n")
        return writer.bytes
    }

    /// The tokenizer as ptk loads the written file.
    ///
    /// - Throws: `TokenizerError` if the JSON does not load (never, for a file this type wrote).
    public func tokenizer() throws -> HFTokenizer {
        try HFTokenizer(json: Data(json()), path: "(adapted)")
    }
}

/// The outcome of `TokenizerAdaptation.adapt`.
public struct TokenizerAdaptationResult: Sendable, Equatable {
    /// Every measured step, largest vocabulary first.
    public var steps: [AdaptationStep]
    /// The index in `steps` of the vocabulary written.
    public var chosen: Int
    public var tokenizer: AdaptedTokenizer
    /// Pieces of the base vocabulary, and those kept because every character of theirs occurs in the target.
    public var basePieces: Int
    public var baseUsable: Int
    /// Task units counted (distinct), merged (top `taskVocab` of those with `minCount`), and in the final vocabulary.
    public var taskCandidates: Int
    public var taskMerged: Int
    public var taskInFinal: Int
    /// Pieces of the final vocabulary that span two or more words ("▁New▁York").
    public var multiWordInFinal: Int
    /// Distinct characters of the target (each a piece that is never pruned).
    public var characters: Int
    /// Documents of the target.
    public var documents: Int
    /// Times the unit table passed `maxUnits` and dropped its rarest units, and the largest count dropped.
    public var unitPrunes: Int = 0
    public var unitPruneFloor: Int = 0
}

/// Granular tokenizer adaptation (Chang et al. 2024, "Target-Aware Language Modeling via Granular Data
/// Sampling"): a task vocabulary of words and multi-word units counted on the target is merged into a base
/// vocabulary, which is then pruned step by step while a Unigram model re-segments the target; the vocabulary
/// kept is the one of best VOLT utility (fewest bits per character) at or below the size limit. The result is a
/// Unigram tokenizer.json for DSIR token features (`DSIRFeaturizer(tokenizer:)`), not a model tokenizer.
///
/// The target is read as the written tokenizer will read it: spaces become "▁" and a "▁" starts the text
/// (`Metaspace`, `split` false). Precisely:
///
/// 1. **Base pieces**: every vocabulary entry of the base tokenizer, as text (byte-level entries mapped back to
///    bytes, spaces to "▁"; WordPiece entries get a "▁" unless they continue a word, "##ing" → "ing"), valid
///    UTF-8 only, without added tokens and `<0xXX>` pieces; those using a character the target never uses are
///    dropped (they could never occur).
/// 2. **Task units**: words are runs of letters, marks and digits, with the "▁" before them; a unit is 1 to
///    `maxWords` consecutive words each separated by one space ("▁New▁York"). Runs of scripts written without
///    spaces (Han, kana, Thai, Lao, Khmer, Myanmar) give their character n-grams of 2…`unspacedGram` instead.
///    Units seen at least `minCount` times and not already pieces are ranked by count (ties: bytes) and the
///    first `taskVocab` merged.
/// 3. **Characters**: each distinct character of the target is a piece that is never pruned, so every text
///    segments; the output adds `<unk>` and 256 byte pieces (byte fallback for characters never seen).
/// 4. **Step 0**: all pieces score alike, so the first Viterbi segmentation has the fewest tokens; then
///    `emIterations` rounds of hard EM (Viterbi segmentation, score_j = ln(c_j / Σc), a piece never used counts
///    0.5) and a measuring segmentation.
/// 5. **Schedule**: sizes V_s = round(V_0 · (N / V_0)^(s / S)) for s = 1…S (`steps`), reaching N exactly, then
///    V = round(N · 2^(−k / B)) for k = 1…B (`stepsBelow`), never below the pieces that cannot be pruned. Each
///    step removes the pieces of least loss, loss_j = c_j · (score_j − score of the best segmentation of piece
///    j's own text without j) — SentencePiece's approximation of the likelihood lost by removing j (Kudo 2018) —
///    ties by fewer uses, then longer, then bytes; then re-estimates as in step 0 (scores from the counts of the
///    pieces kept, `emIterations` rounds, a measuring segmentation).
/// 6. **Utility** (VOLT, Xu et al. 2021): for each measured vocabulary, P(j) = c_j / T over the T tokens,
///    H = −Σ P(j) log2 P(j), l_v = characters / T (mean token length, token-weighted), H_v = H / l_v — the
///    bits per character of the unigram code of the target, lower is better. The marginal utility of a step
///    against the next smaller one is MUV = (H_v(smaller) − H_v(this)) / (size(this) − size(smaller)).
/// 7. **Choice** (`choice`): among the steps of size ≤ N, the one of lowest H_v (ties: the smaller) by default;
///    or, with `.marginalUtility`, the one of largest MUV among those with a smaller step after them (ties: the
///    larger). When no step qualifies, the last one.
///
/// Why these choices: the paper's exact schedule is not public in a form we could verify. Geometric steps spend
/// the re-segmentations where the vocabulary is small and every piece matters. H_v is not monotone in the size:
/// measured on 0.8 MB of Japanese with Qwen2.5's vocabulary merged, it falls from 2.776 bits per character at
/// 107,728 pieces to 2.763 at 15,325, then rises as pieces go (2.812 at 8,000), because thousands of rare pieces
/// add entropy per token faster than they add characters per token. So "the vocabulary of best utility" is
/// meaningful: with a loose limit it is that interior optimum, with a tight one the limit itself. VOLT's rule
/// (largest MUV) is kept as an option; on the same data MUV keeps growing as the vocabulary shrinks (diminishing
/// returns), so it always takes the smallest candidate with a step after it, which makes the result a function
/// of `stepsBelow` rather than of the data.
///
/// ```swift
/// let base = try TokenizerFile.load(path: "tokenizer.json", encoding: nil)
/// let result = try TokenizerAdaptation.adapt(base: TokenizerAdaptation.basePieces(of: base),
///     target: JSONLTexts(paths: ["target.jsonl"]), options: .init(vocabSize: 8000))
/// try Data(result.tokenizer.json()).write(to: URL(fileURLWithPath: "adapted.json"))
/// ```
///
/// - Complexity: O(P · (emIterations + 1) · n · k) for P steps, n target bytes and k the longest piece, plus
///   O(V · m²) per step for the losses (m characters per piece); memory O(distinct task units + vocabulary),
///   never the target (every pass streams it again).
public enum TokenizerAdaptation {
    static let space: [UInt8] = Array("\u{2581}".utf8)
    /// The unknown piece at id 0 of the output (a base entry spelled the same is left out: ids must be unique).
    static let unknownPiece: [UInt8] = Array("<unk>".utf8)

    /// The base vocabulary of any tokenizer ptk loads, as pieces in "▁" form (see the type, step 1), in id order,
    /// duplicates kept once.
    ///
    /// ```swift
    /// TokenizerAdaptation.basePieces(of: qwen).contains(Array("▁the".utf8))   // true ("Ġthe" in the file)
    /// ```
    ///
    /// - Complexity: O(vocabulary bytes).
    public static func basePieces(of encoder: any TokenEncoder) -> [[UInt8]] {
        var raw: [[UInt8]] = []
        var byteLevel = false
        switch encoder {
        case let hf as HFTokenizer:
            let added = Set(hf.addedTokens.map(\.id))
            byteLevel = hf.model.isByteLevel
            // WordPiece: a word-initial entry starts with "▁" in Metaspace form, a "##" entry continues a word.
            let wordPiece = hf.model as? HFWordPiece
            for id in 0..<UInt32(hf.model.vocabularySize) where !added.contains(id) {
                guard let token = hf.model.token(of: id), !isBytePiece(token) else { continue }
                if let prefix = wordPiece?.prefix {
                    raw.append(token.starts(with: prefix) && token.count > prefix.count
                               ? Array(token[prefix.count...]) : space + token)
                } else {
                    raw.append(token)
                }
            }
        case let sp as SentencePieceModel:
            for (id, piece) in sp.pieces.enumerated() where sp.types[id] == .normal || sp.types[id] == .userDefined {
                raw.append(piece)
            }
        case let tiktoken as TiktokenEncoding:
            byteLevel = true
            let top = tiktoken.bytePairEncoder.maxRank.map { Int($0) } ?? -1
            if top >= 0 {
                for id in 0...top {
                    if let token = tiktoken.bytePairEncoder.tokenBytes(UInt32(id)) { raw.append(token) }
                }
            }
        default:
            for id in 0..<encoder.vocabularySize {
                if let bytes = try? encoder.decode([UInt32(id)]) { raw.append(bytes) }
                byteLevel = true
            }
        }
        var seen = Set<[UInt8]>()
        var pieces: [[UInt8]] = []
        for token in raw {
            let piece = byteLevel ? replacingSpaces(token) : token
            guard !piece.isEmpty, String(validating: piece, as: UTF8.self) != nil, isBytePiece(piece) == false,
                  seen.insert(piece).inserted else { continue }
            pieces.append(piece)
        }
        return pieces
    }

    /// Runs the whole adaptation; see the type for the procedure.
    ///
    /// - Throws: `TokenizerAdaptationError` for bad options, an empty target, a limit below the characters the
    ///   target needs; the errors of `target`.
    public static func adapt(base: [[UInt8]], target: any AdaptationTexts, options: TokenizerAdaptationOptions,
                             progress: (AdaptationStep) -> Void = { _ in }) throws -> TokenizerAdaptationResult {
        try options.validate()
        // Pass 1: characters, task units, documents.
        var counter = UnitCounter(maxWords: options.maxWords, unspacedGram: options.unspacedGram,
                                  maxUnits: options.maxUnits)
        var documents = 0
        try target.forEachText { text in
            let normalized = normalize(text)
            if normalized.isEmpty { return }
            documents += 1
            counter.add(normalized)
        }
        guard counter.totalCharacters > 0 else { throw TokenizerAdaptationError.emptyTarget }
        let characters = counter.characters.keys.sorted { $0.value < $1.value }
        let fixed = 257  // <unk> and the byte pieces
        let required = fixed + characters.count
        guard options.vocabSize >= required else {
            throw TokenizerAdaptationError.vocabularyTooSmall(requested: options.vocabSize, required: required)
        }

        // The merged vocabulary: characters first (never pruned), then usable base pieces, then task units.
        var pieces: [[UInt8]] = characters.map { Array(String($0).utf8) }
        var known = Set(pieces)
        var usable = 0
        for piece in base {
            guard !known.contains(piece), piece != unknownPiece, allCharacters(of: piece, in: counter.characters)
            else { continue }
            known.insert(piece)
            pieces.append(piece)
            usable += 1
        }
        let candidates = counter.units.filter { $0.value >= options.minCount && !known.contains($0.key) }
            .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key.lexicographicallyPrecedes($1.key) }
            .prefix(options.taskVocab)
        let taskStart = pieces.count
        for (unit, _) in candidates { pieces.append(unit) }
        var model = PruningModel(pieces: pieces, fixedCount: characters.count, totalCharacters: counter.totalCharacters,
                                 threads: options.threads)
        let taskUnits = Set(candidates.map(\.key))

        // Step 0 and the schedule.
        var rows: [AdaptationStep] = []
        var snapshots: [(row: Int, alive: [Bool], scores: [Double])] = []
        func measureStep() throws {
            for _ in 0..<options.emIterations {
                try model.segment(target)
                model.reestimate()
            }
            try model.segment(target)
            var row = model.statistics(step: rows.count, fixed: fixed)
            row.marginalUtility = nil
            if let last = rows.last {
                rows[rows.count - 1].marginalUtility = (row.utility - last.utility) / Double(last.size - row.size)
                progress(rows[rows.count - 1])
            }
            rows.append(row)
            if row.size <= options.vocabSize { snapshots.append((rows.count - 1, model.alive, model.scores)) }
        }
        try measureStep()
        let sizes = schedule(start: rows[0].size, limit: options.vocabSize, steps: options.steps,
                             below: options.stepsBelow, floor: required)
        for size in sizes {
            model.prune(to: size - fixed)
            model.reestimate()
            try measureStep()
        }
        if let last = rows.last { progress(last) }

        let chosen = choose(rows, limit: options.vocabSize, by: options.choice)
        guard let snapshot = snapshots.first(where: { $0.row == chosen }) else {
            throw TokenizerAdaptationError.invalidParameter(name: "vocabSize", value: String(options.vocabSize))
        }
        let tokenizer = makeTokenizer(pieces: pieces, alive: snapshot.alive, scores: snapshot.scores)
        var taskInFinal = 0, multiWord = 0
        for index in pieces.indices where snapshot.alive[index] {
            if index >= taskStart, taskUnits.contains(pieces[index]) { taskInFinal += 1 }
            if wordCount(pieces[index]) >= 2 { multiWord += 1 }
        }
        return TokenizerAdaptationResult(
            steps: rows, chosen: chosen, tokenizer: tokenizer, basePieces: base.count, baseUsable: usable,
            taskCandidates: counter.units.count, taskMerged: candidates.count, taskInFinal: taskInFinal,
            multiWordInFinal: multiWord, characters: characters.count, documents: documents,
            unitPrunes: counter.prunes, unitPruneFloor: counter.floor)
    }

    /// The index of the chosen step (see the type, step 7): among the steps of size ≤ `limit`, the lowest H_v
    /// (`.entropy`; ties: the smaller vocabulary) or the largest MUV among those with a smaller step after them
    /// (`.marginalUtility`; ties: the larger vocabulary); the last step when none qualifies.
    ///
    /// ```swift
    /// TokenizerAdaptation.choose(result.steps, limit: 8000, by: .entropy)
    /// ```
    public static func choose(_ rows: [AdaptationStep], limit: Int, by choice: AdaptationChoice) -> Int {
        var chosen = rows.count - 1
        var best: Double?
        for (index, row) in rows.enumerated() where row.size <= limit {
            switch choice {
            case .entropy:
                if best == nil || row.utility <= (best ?? 0) {
                    best = row.utility
                    chosen = index
                }
            case .marginalUtility:
                if let muv = row.marginalUtility, best == nil || muv > (best ?? 0) {
                    best = muv
                    chosen = index
                }
            }
        }
        return chosen
    }

    /// The pruning sizes after step 0 (see the type, step 5): strictly decreasing, none below `floor`.
    ///
    /// ```swift
    /// TokenizerAdaptation.schedule(start: 1000, limit: 100, steps: 2, below: 1, floor: 10)   // [316, 100, 50]
    /// ```
    public static func schedule(start: Int, limit: Int, steps: Int, below: Int, floor: Int) -> [Int] {
        var sizes: [Int] = []
        var previous = start
        func add(_ size: Int) {
            let clamped = max(size, floor)
            if clamped < previous {
                sizes.append(clamped)
                previous = clamped
            }
        }
        if start > limit {
            let ratio = Double(limit) / Double(start)
            for s in 1...steps {
                add(s == steps ? limit : Int((Double(start) * pow(ratio, Double(s) / Double(steps))).rounded()))
            }
        }
        let top = min(start, limit)
        if below > 0 {
            for k in 1...below { add(Int((Double(top) * pow(2, -Double(k) / Double(below))).rounded())) }
        }
        return sizes
    }

    /// `text` as the tokenizer's `Metaspace` pre-tokenizer leaves it: spaces → "▁", a "▁" in front.
    public static func normalize(_ text: String) -> [UInt8] {
        if text.isEmpty { return [] }
        var bytes = replacingSpaces(Array(text.utf8))
        if !bytes.starts(with: space) { bytes.insert(contentsOf: space, at: 0) }
        return bytes
    }

    static func replacingSpaces(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.contains(0x20) else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 8)
        for byte in bytes {
            if byte == 0x20 { out.append(contentsOf: space) } else { out.append(byte) }
        }
        return out
    }

    static func isBytePiece(_ piece: [UInt8]) -> Bool {
        piece.count == 6 && piece.starts(with: Array("<0x".utf8)) && piece[5] == UInt8(ascii: ">")
    }

    static func allCharacters(of piece: [UInt8], in characters: [Unicode.Scalar: Int]) -> Bool {
        String(decoding: piece, as: UTF8.self).unicodeScalars.allSatisfy { characters[$0] != nil }
    }

    /// The words of a piece: "▁"-led runs after the first character ("▁New▁York" has 2, "▁the" 1).
    static func wordCount(_ piece: [UInt8]) -> Int {
        let scalars = Array(String(decoding: piece, as: UTF8.self).unicodeScalars)
        var words = 0
        for (i, scalar) in scalars.enumerated() where scalar == "\u{2581}" {
            if i + 1 < scalars.count, UnitCounter.isWordScalar(scalars[i + 1]) { words += 1 }
        }
        if let first = scalars.first, first != "\u{2581}", UnitCounter.isWordScalar(first) { words += 1 }
        return words
    }

    /// The score as written: Swift's shortest round-trip decimal, which is valid JSON for finite values.
    static func scoreText(_ score: Double) -> String {
        let text = "\(score)"
        return text.contains(".") || text.contains("e") ? text : text + ".0"
    }

    static func makeTokenizer(pieces: [[UInt8]], alive: [Bool], scores: [Double]) -> AdaptedTokenizer {
        var kept: [(piece: [UInt8], score: Double)] = []
        for index in pieces.indices where alive[index] { kept.append((pieces[index], scores[index])) }
        kept.sort { $0.score != $1.score ? $0.score > $1.score : $0.piece.lexicographicallyPrecedes($1.piece) }
        let lowest = kept.map(\.score).min() ?? 0
        let special = (lowest.rounded(.down) - 1000)
        var names = ["<unk>"]
        var values = [special]
        for byte in 0..<256 {
            let hex = String(byte, radix: 16, uppercase: true)
            names.append("<0x" + (hex.count == 1 ? "0" + hex : hex) + ">")
            values.append(special)
        }
        for entry in kept {
            names.append(String(decoding: entry.piece, as: UTF8.self))
            values.append(entry.score)
        }
        return AdaptedTokenizer(pieces: names, scores: values)
    }
}

/// Counts characters and task units (see `TokenizerAdaptation`, step 2) over normalized texts.
///
/// Memory is bounded by `maxUnits` distinct units: after a document that leaves more, every unit counted at most
/// `floor` times is dropped, `floor` being the smallest value that leaves at most `maxUnits / 2` (lossy counting:
/// a dropped unit that comes back starts again from 0, so counts are lower bounds once `prunes > 0`; the order
/// of the texts is fixed, so the result is still deterministic).
///
/// ```swift
/// var counter = UnitCounter(maxWords: 2, unspacedGram: 3)
/// counter.add(TokenizerAdaptation.normalize("New York"))   // units ▁New, ▁York, ▁New▁York
/// ```
struct UnitCounter {
    let maxWords: Int
    let unspacedGram: Int
    let maxUnits: Int
    var characters: [Unicode.Scalar: Int] = [:]
    var units: [[UInt8]: Int] = [:]
    var totalCharacters = 0
    /// Times the table was cut back, and the largest count dropped.
    var prunes = 0
    var floor = 0

    init(maxWords: Int, unspacedGram: Int, maxUnits: Int = .max) {
        self.maxWords = maxWords
        self.unspacedGram = unspacedGram
        self.maxUnits = maxUnits
    }

    /// Drops the rarest units until at most `maxUnits / 2` are left.
    mutating func cutBack() {
        var histogram: [Int: Int] = [:]
        for count in units.values { histogram[count, default: 0] += 1 }
        var left = units.count
        var cut = 0
        for (count, entries) in histogram.sorted(by: { $0.key < $1.key }) where left > maxUnits / 2 {
            left -= entries
            cut = count
        }
        units = units.filter { $0.value > cut }
        prunes += 1
        floor = max(floor, cut)
    }

    static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x80 {
            let v = scalar.value
            return (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A)
        }
        let properties = scalar.properties
        if properties.isAlphabetic || properties.numericType != nil { return true }
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }

    /// Scripts written without spaces between words: Thai, Lao, Myanmar, Khmer, kana, Han.
    static func isUnspaced(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0E00...0x0EFF, 0x1000...0x109F, 0x1780...0x17FF, 0x3040...0x30FF, 0x31F0...0x31FF,
             0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0xFF66...0xFF9F, 0x20000...0x3134F: true
        default: false
        }
    }

    mutating func add(_ normalized: [UInt8]) {
        var scalars: [Unicode.Scalar] = []
        var offsets: [Int] = []  // the byte offset of each scalar, then the end
        var offset = 0
        for scalar in String(decoding: normalized, as: UTF8.self).unicodeScalars {
            scalars.append(scalar)
            offsets.append(offset)
            offset += UTF8.width(scalar)
        }
        offsets.append(offset)
        totalCharacters += scalars.count
        for scalar in scalars { characters[scalar, default: 0] += 1 }
        func count(_ range: Range<Int>) {
            units[Array(normalized[offsets[range.lowerBound]..<offsets[range.upperBound]]), default: 0] += 1
        }
        var chain: [Int] = []  // starts of the adjacent spaced words so far
        var i = 0
        let n = scalars.count
        while i < n {
            let start = i
            var j = i
            if scalars[i] == "\u{2581}", i + 1 < n, Self.isWordScalar(scalars[i + 1]) {
                j = i + 1
            } else if !Self.isWordScalar(scalars[i]) {
                chain.removeAll()
                i += 1
                continue
            }
            let unspaced = Self.isUnspaced(scalars[j])
            while j < n, Self.isWordScalar(scalars[j]), Self.isUnspaced(scalars[j]) == unspaced { j += 1 }
            if unspaced {
                chain.removeAll()
                let runStart = scalars[start] == "\u{2581}" ? start + 1 : start
                for a in runStart..<j {
                    for length in 2...max(2, unspacedGram) where a + length <= j { count(a..<(a + length)) }
                }
            } else {
                if scalars[start] != "\u{2581}" || chain.isEmpty { chain.removeAll() }
                chain.append(start)
                if chain.count > maxWords { chain.removeFirst() }
                for words in 1...chain.count { count(chain[chain.count - words]..<j) }
            }
            i = j
        }
        if units.count > maxUnits { cutBack() }
    }
}

/// The vocabulary being pruned: pieces by index, which are alive, their scores and last counts.
struct PruningModel {
    let pieces: [[UInt8]]
    /// Pieces 0..<fixedCount (the characters) are never pruned.
    let fixedCount: Int
    let totalCharacters: Int
    var alive: [Bool]
    var scores: [Double]
    var counts: [Int]
    var tokens = 0
    /// Threads for the segmentation passes (the counts do not depend on it).
    var threads = 1

    init(pieces: [[UInt8]], fixedCount: Int, totalCharacters: Int, threads: Int = 1) {
        self.threads = max(1, threads)
        self.pieces = pieces
        self.fixedCount = fixedCount
        self.totalCharacters = totalCharacters
        alive = Array(repeating: true, count: pieces.count)
        // Equal scores: the first segmentation has the fewest tokens.
        scores = Array(repeating: -log(Double(pieces.count)), count: pieces.count)
        counts = Array(repeating: 0, count: pieces.count)
    }

    var aliveCount: Int { alive.lazy.filter { $0 }.count }

    /// Viterbi-segments every text with the alive pieces and their scores, setting `counts` and `tokens`.
    mutating func segment(_ target: any AdaptationTexts) throws {
        var indexOfID: [Int] = [-1]
        var vocab: [(token: String, score: Double)] = [("<unk>", (scores.min() ?? 0) - 1000)]
        for index in pieces.indices where alive[index] {
            indexOfID.append(index)
            vocab.append((String(decoding: pieces[index], as: UTF8.self), scores[index]))
        }
        let unigram = try HFUnigram(vocab: vocab, unknownID: 0, byteFallback: false)
        let ids = vocab.count
        var counts = Array(repeating: 0, count: ids)  // by model id
        var batch: [[UInt8]] = []
        var batchBytes = 0
        let threads = self.threads
        // Integer counts summed per batch: the result does not depend on the thread count.
        func flush() {
            if batch.isEmpty { return }
            let texts = batch
            let tasks = min(threads, texts.count)
            let parts = orderedParallelMap(count: tasks, threads: tasks) { part in
                var partial = Array(repeating: 0, count: ids)
                var out: [UInt32] = []
                for text in texts[(texts.count * part / tasks)..<(texts.count * (part + 1) / tasks)] {
                    out.removeAll(keepingCapacity: true)
                    unigram.encode(piece: text, into: &out)
                    for id in out { partial[Int(id)] += 1 }
                }
                return partial
            }
            for partial in parts { for id in 0..<ids { counts[id] += partial[id] } }
            batch.removeAll(keepingCapacity: true)
            batchBytes = 0
        }
        try target.forEachText { text in
            let normalized = TokenizerAdaptation.normalize(text)
            if normalized.isEmpty { return }
            batchBytes += normalized.count
            batch.append(normalized)
            if batch.count >= 4096 || batchBytes >= 8 << 20 { flush() }
        }
        flush()
        var byPiece = Array(repeating: 0, count: pieces.count)
        var tokens = 0
        for id in 0..<ids {
            tokens += counts[id]
            let index = indexOfID[id]
            if index >= 0 { byPiece[index] += counts[id] }
        }
        self.counts = byPiece
        self.tokens = tokens
    }

    /// score_j = ln(c_j / Σ c) over alive pieces; an unused alive piece counts 0.5.
    mutating func reestimate() {
        var total = 0.0
        for index in pieces.indices where alive[index] { total += max(Double(counts[index]), 0.5) }
        let logTotal = log(total)
        for index in pieces.indices where alive[index] {
            scores[index] = log(max(Double(counts[index]), 0.5)) - logTotal
        }
    }

    func statistics(step: Int, fixed: Int) -> AdaptationStep {
        var entropy = 0.0
        let total = Double(tokens)
        for index in pieces.indices where alive[index] && counts[index] > 0 {
            let p = Double(counts[index]) / total
            entropy -= p * log2(p)
        }
        let length = Double(totalCharacters) / total
        return AdaptationStep(step: step, size: fixed + aliveCount, tokens: tokens, characters: totalCharacters,
                              meanTokenLength: length, entropy: entropy, utility: entropy / length,
                              marginalUtility: nil)
    }

    /// Removes the alive prunable pieces of least loss until `count` pieces are alive (or only fixed ones).
    mutating func prune(to count: Int) {
        let excess = aliveCount - count
        guard excess > 0 else { return }
        var lookup: [[UInt8]: Int] = [:]
        var longest = 0
        for index in pieces.indices where alive[index] {
            lookup[pieces[index]] = index
            longest = max(longest, pieces[index].count)
        }
        var candidates: [(index: Int, loss: Double)] = []
        for index in fixedCount..<pieces.count where alive[index] {
            if counts[index] == 0 {
                candidates.append((index, 0))
                continue
            }
            let alternative = bestScore(of: pieces[index], without: index, lookup: lookup, longest: longest)
            candidates.append((index, Double(counts[index]) * (scores[index] - alternative)))
        }
        candidates.sort { a, b in
            if a.loss != b.loss { return a.loss < b.loss }
            if counts[a.index] != counts[b.index] { return counts[a.index] < counts[b.index] }
            if pieces[a.index].count != pieces[b.index].count { return pieces[a.index].count > pieces[b.index].count }
            return pieces[a.index].lexicographicallyPrecedes(pieces[b.index])
        }
        for candidate in candidates.prefix(excess) { alive[candidate.index] = false }
    }

    /// The best total score of `piece`'s own text segmented by alive pieces other than `excluded` (its
    /// characters are always alive, so a segmentation exists for any piece of two or more characters).
    func bestScore(of piece: [UInt8], without excluded: Int, lookup: [[UInt8]: Int], longest: Int) -> Double {
        var boundaries: [Int] = []
        for (offset, byte) in piece.enumerated() where byte & 0xC0 != 0x80 { boundaries.append(offset) }
        boundaries.append(piece.count)
        var best = Array(repeating: -Double.infinity, count: boundaries.count)
        best[0] = 0
        for e in 1..<boundaries.count {
            for b in stride(from: e - 1, through: 0, by: -1) {
                let length = boundaries[e] - boundaries[b]
                if length > longest { break }
                guard best[b] > -Double.infinity,
                      let index = lookup[Array(piece[boundaries[b]..<boundaries[e]])], index != excluded
                else { continue }
                best[e] = max(best[e], best[b] + scores[index])
            }
        }
        return best[boundaries.count - 1]
    }
}
