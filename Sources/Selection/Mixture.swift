import CorpusCore

// Replay mixtures: the selected target data plus a share of general data, counted in tokens.
//
// Continual pretraining forgets less when a share of the original pretraining data is replayed beside the new
// data: 5% for a weak distribution shift, 25% for a strong one such as English → German (Ibrahim et al. 2024,
// "Simple and Scalable Strategies to Continually Pre-train Large Language Models"). The pieces here are pure:
// `MixturePlan` turns token totals and shares into token budgets, `BudgetSampler` chooses a seeded random subset
// of a source that meets its budget, `MixtureInterleave` spreads the chosen records of every source evenly
// through the output. `MixtureRun` drives them over files.

/// Why a mixture cannot be planned or run.
public enum MixtureError: Error, Equatable, Sendable, CustomStringConvertible {
    case noSources
    case duplicateSource(String)
    /// A share outside (0, 1].
    case invalidShare(source: String, share: Double)
    /// With a total, every source needs a share and the shares must add up to 1.
    case missingShare(source: String)
    case sharesDoNotSumToOne(sum: Double)
    /// Without a total, the shared sources must leave room for the sources taken whole.
    case sharesLeaveNoRoom(sum: Double)
    /// Without a total, at least one source is taken whole: its tokens anchor the others' budgets.
    case nothingTakenWhole
    case invalidTotal(Int)
    /// The sources taken whole hold no tokens, so every budget would be 0.
    case emptyAnchor
    /// A source holds fewer tokens than its budget (`--allow-short` takes it whole instead).
    case sourceTooSmall(source: String, available: Int, budget: Int)
    /// The copy pass did not see what the counting pass saw.
    case inputChanged(source: String, detail: String)
    /// The token counter returned a different number of counts than it was given texts.
    case tokenCountMismatch(texts: Int, counts: Int)
    /// A caller gave a different number of token counts than there are sources.
    case sourceCountMismatch(sources: Int, counts: Int)

    public var description: String {
        switch self {
        case .noSources: "give at least one source"
        case let .duplicateSource(name): "source '\(name)' is named twice"
        case let .invalidShare(source, share): "the share of '\(source)' must be in (0, 1], not \(share)"
        case let .missingShare(source): "with a total token count every source needs a share; '\(source)' has none"
        case let .sharesDoNotSumToOne(sum): "with a total token count the shares must add up to 1, not \(sum)"
        case let .sharesLeaveNoRoom(sum):
            "the shares add up to \(sum): they must stay below 1 to leave room for the sources taken whole"
        case .nothingTakenWhole:
            "give a total token count, or leave at least one source without a share (it is taken whole)"
        case let .invalidTotal(total): "the total token count must be positive, not \(total)"
        case .emptyAnchor: "the sources taken whole hold no tokens: every budget would be 0"
        case let .sourceTooSmall(source, available, budget):
            "source '\(source)' holds \(available) tokens, fewer than its budget of \(budget) "
                + "(allow it to be short to take it whole)"
        case let .inputChanged(source, detail): "the input of source '\(source)' changed during the run: \(detail)"
        case let .sourceCountMismatch(sources, counts): "\(counts) token counts for \(sources) sources"
        case let .tokenCountMismatch(texts, counts): "the token counter returned \(counts) counts for \(texts) texts"
        }
    }
}

/// Token budgets of a mixture: how many tokens each source contributes.
///
/// Two modes:
/// - **anchored** (no total): sources without a share are taken whole; their tokens T make up 1 − Σ shares of
///   the output, so a source with share s gets round(T · s / (1 − Σ shares)) tokens. Replay 0.25 beside
///   T = 750 target tokens gives a budget of 250.
/// - **total** N: every source has a share, the shares add up to 1 (within 1e-9), and the budgets
///   round(N · s) are adjusted by largest remainder so that they add up to exactly N.
///
/// A source holding fewer tokens than its budget is an error, unless `allowShort`: then it is taken whole and
/// the realized shares differ from the requested ones (the manifest reports both).
///
/// ```swift
/// let plan = try MixturePlan(shares: [nil, 0.25], totalTokens: nil)
/// try plan.budgets(available: [750, 10_000], allowShort: false)   // [750, 250]
/// ```
public struct MixturePlan: Sendable, Equatable {
    /// Per source: its share of the output's tokens, or nil for a source taken whole.
    public let shares: [Double?]
    public let totalTokens: Int?
    public let names: [String]

    /// - Throws: `MixtureError` when the shares cannot describe a mixture (see the type's modes).
    public init(shares: [Double?], totalTokens: Int?, names: [String]? = nil) throws(MixtureError) {
        let names = names ?? shares.indices.map { "source \($0)" }
        guard !shares.isEmpty else { throw .noSources }
        var seen = Set<String>()
        for name in names where !seen.insert(name).inserted { throw .duplicateSource(name) }
        for (name, share) in zip(names, shares) {
            if let share, !(share > 0 && share <= 1) { throw .invalidShare(source: name, share: share) }
        }
        let sum = shares.reduce(0.0) { $0 + ($1 ?? 0) }
        if let totalTokens {
            guard totalTokens > 0 else { throw .invalidTotal(totalTokens) }
            for (name, share) in zip(names, shares) where share == nil { throw .missingShare(source: name) }
            guard abs(sum - 1) <= 1e-9 else { throw .sharesDoNotSumToOne(sum: sum) }
        } else {
            guard shares.contains(where: { $0 == nil }) else { throw .nothingTakenWhole }
            guard sum < 1 else { throw .sharesLeaveNoRoom(sum: sum) }
        }
        self.shares = shares
        self.totalTokens = totalTokens
        self.names = names
    }

    /// Whether source `i` is taken whole (no share, anchored mode).
    public func isWhole(_ i: Int) -> Bool { shares[i] == nil }

    /// The requested budgets: N · share apportioned (total mode), or round(anchorTokens · share / (1 − Σ shares))
    /// for shared sources and 0 for whole ones, whose budget is what they hold (anchored mode; `anchorTokens` is
    /// the whole sources' tokens together, ignored in total mode).
    ///
    /// - Throws: `.emptyAnchor` in anchored mode when `anchorTokens` is 0.
    public func requestedBudgets(anchorTokens: Int) throws(MixtureError) -> [Int] {
        if let totalTokens {
            return Self.apportion(total: totalTokens, shares: shares.map { $0 ?? 0 })
        }
        guard anchorTokens > 0 else { throw .emptyAnchor }
        let sum = shares.reduce(0.0) { $0 + ($1 ?? 0) }
        let output = Double(anchorTokens) / (1 - sum)
        return shares.map { share in share.map { Int((output * $0).rounded()) } ?? 0 }
    }

    /// The final budgets given every source's available tokens; a whole source's budget is its available tokens.
    ///
    /// - Throws: `.sourceTooSmall` for the first source holding fewer tokens than its budget, unless
    ///   `allowShort` (then its budget is what it holds), `.emptyAnchor` when the whole sources hold no tokens,
    ///   `.sourceCountMismatch` unless `available` has one count per source.
    public func budgets(available: [Int], allowShort: Bool) throws(MixtureError) -> [Int] {
        guard available.count == shares.count else {
            throw .sourceCountMismatch(sources: shares.count, counts: available.count)
        }
        let anchor = zip(shares, available).reduce(0) { $0 + ($1.0 == nil ? $1.1 : 0) }
        var budgets = try requestedBudgets(anchorTokens: anchor)
        for i in budgets.indices {
            if shares[i] == nil { budgets[i] = available[i]; continue }
            if available[i] < budgets[i] {
                guard allowShort else {
                    throw .sourceTooSmall(source: names[i], available: available[i], budget: budgets[i])
                }
                budgets[i] = available[i]
            }
        }
        return budgets
    }

    /// Integer parts of total · share / Σ shares that add up to `total` exactly: the floors, then one more token
    /// each to the largest remainders (ties: the earlier source). Hamilton's largest-remainder method.
    ///
    /// ```swift
    /// MixturePlan.apportion(total: 10, shares: [0.5, 0.25, 0.25])   // [5, 3, 2]: remainders 0, .5, .5
    /// ```
    static func apportion(total: Int, shares: [Double]) -> [Int] {
        let sum = shares.reduce(0, +)
        guard sum > 0 else { return shares.map { _ in 0 } }
        let exact = shares.map { Double(total) * $0 / sum }
        var parts = exact.map { Int($0.rounded(.down)) }
        var left = total - parts.reduce(0, +)
        let order = exact.indices.sorted { a, b in
            let ra = exact[a] - Double(parts[a]), rb = exact[b] - Double(parts[b])
            return ra != rb ? ra > rb : a < b
        }
        var k = 0
        while left > 0, !order.isEmpty {
            parts[order[k % order.count]] += 1
            left -= 1
            k += 1
        }
        while left < 0, let i = parts.indices.last(where: { parts[$0] > 0 }) {
            parts[i] -= 1
            left += 1
        }
        return parts
    }
}

/// The sampling key of a document: a keyed hash of (seed, source name, document position), so that the order
/// in which a source's documents are taken depends on nothing else (not on threads, files or other sources).
///
/// `key = SplitMix64(state: mix(seed ^ fnv1a64(source)) &+ position · φ).next()` — SplitMix64 output number
/// `position + 1` of a stream seeded by the seed and the source's name (Steele, Lea & Flood 2014).
public enum MixtureKey {
    /// The per-source part of the key, computed once per source.
    @inlinable public static func base(seed: UInt64, source: String) -> UInt64 {
        var g = SplitMix64(state: seed ^ StableHash.fnv1a64(source))
        return g.next()
    }

    @inlinable public static func key(base: UInt64, position: Int) -> UInt64 {
        var g = SplitMix64(state: base &+ UInt64(truncatingIfNeeded: position) &* 0x9E37_79B9_7F4A_7C15)
        return g.next()
    }
}

/// One document offered to a `BudgetSampler`.
public struct MixtureCandidate: Sendable, Equatable, HeapOrdered {
    /// The larger (key, position) sits above: `BudgetSampler` keeps the prefix's end on top.
    public static func heapAbove(_ a: MixtureCandidate, _ b: MixtureCandidate) -> Bool {
        a.key > b.key || (a.key == b.key && a.position > b.position)
    }

    public var key: UInt64
    /// The document's position among its source's documents (0-based, over all of the source's files).
    public var position: Int
    public var tokens: Int

    public init(key: UInt64, position: Int, tokens: Int) {
        self.key = key
        self.position = position
        self.tokens = tokens
    }
}

/// Chooses the documents of one source that meet a token budget: a seeded random prefix, streaming.
///
/// The rule: order the source's documents by key (ties: position); the chosen set is the prefix of that order
/// whose token count is nearest the budget — the longest prefix that fits, plus the next document when that
/// brings the count nearer (a tie keeps the shorter prefix). So the realized count differs from the budget by at
/// most half of one document (the first that does not fit), and the choice is a uniform random sample of
/// documents, not biased towards short ones.
///
/// Memory: only a key-order prefix of the offers is kept, cut after the first document that does not fit, so
/// at most the chosen documents + 1.
///
/// ```swift
/// var sampler = BudgetSampler(budget: 10)
/// for (i, t) in [4, 4, 4, 4].enumerated() { sampler.offer(MixtureCandidate(key: UInt64(i), position: i, tokens: t)) }
/// sampler.chosen().map(\.position)   // [0, 1]: 8 tokens, 2 from the budget (12 would be 2 over: a tie)
/// ```
///
/// - Complexity: O(log chosen) per offer, O(chosen) memory.
public struct BudgetSampler: Sendable {
    public let budget: Int
    /// The key-order prefix of the offers, cut after the first that overflows; the largest (key, position) on top.
    private var heap = BinaryHeap<MixtureCandidate>()
    private var heapTokens = 0
    public private(set) var offered = 0
    public private(set) var offeredTokens = 0
    /// Candidates held now: at most the chosen documents + 1.
    public var held: Int { heap.count }
    /// Whether some offer did not fit: the choice is then settled by the offers so far, unless a later offer has
    /// a smaller key than that first misfit.
    public var overflowed: Bool { heapTokens > budget }

    public init(budget: Int) { self.budget = max(0, budget) }

    /// - Complexity: O(log chosen).
    public mutating func offer(_ candidate: MixtureCandidate) {
        offered += 1
        offeredTokens += candidate.tokens
        // Past the first document that overflows: never chosen, whatever comes later.
        if heapTokens > budget, let top = heap.top, MixtureCandidate.heapAbove(candidate, top) { return }
        heap.push(candidate)
        heapTokens += candidate.tokens
        // Drop the largest keys while the prefix without them already overflows.
        while let top = heap.top, heapTokens - top.tokens > budget {
            heapTokens -= top.tokens
            heap.popTop()
        }
    }

    /// The chosen documents in position order.
    public func chosen() -> [MixtureCandidate] {
        var kept = heap
        if heapTokens > budget, let top = heap.top {
            // The heap is the longest fitting prefix plus the first that overflows (its top): keep the top only
            // when it brings the count nearer the budget.
            let under = budget - (heapTokens - top.tokens)
            let over = heapTokens - budget
            if over >= under { kept.popTop() }
        }
        return kept.elements.sorted { $0.position < $1.position }
    }

}

/// Spreads the chosen records of several sources evenly through one output: a deterministic weighted
/// interleave by tokens.
///
/// Each record gets a place in its own source: the middle of its tokens as a fraction of the source's chosen
/// tokens, (e + t/2) / c for a record of t tokens after e emitted tokens out of c (a source whose records hold
/// no tokens uses documents instead of tokens). Records are emitted in order of that fraction (ties: the lower
/// source index), so every prefix of the output holds each source close to its realized share: after E tokens,
/// source i has emitted e_i with |e_i − E·c_i/C| ≤ L_i/2 + (c_i/C)·Σ_j L_j/2, where L is a source's longest
/// record in tokens and C = Σ c.
///
/// ```swift
/// var mix = MixtureInterleave(totals: [(tokens: 30, documents: 3), (tokens: 10, documents: 1)])
/// mix.next(heads: [10, 10])   // 0: 5/30 < 5/10
/// ```
public struct MixtureInterleave: Sendable {
    private let tokens: [Int]
    private let documents: [Int]
    private var emittedTokens: [Int]
    private var emittedDocuments: [Int]

    public init(totals: [(tokens: Int, documents: Int)]) {
        tokens = totals.map(\.tokens)
        documents = totals.map(\.documents)
        emittedTokens = Array(repeating: 0, count: totals.count)
        emittedDocuments = Array(repeating: 0, count: totals.count)
    }

    /// The source whose next record comes next, given the token count of each source's next record (nil when a
    /// source has no record left), and records that it was emitted; nil when every source is done.
    public mutating func next(heads: [Int?]) -> Int? {
        var best: Int?
        var bestPlace: (Int128, Int128) = (0, 1)
        for (i, head) in heads.enumerated() {
            guard let head, i < tokens.count else { continue }
            let place: (Int128, Int128) = tokens[i] > 0
                ? (Int128(2 * emittedTokens[i] + head), Int128(2 * tokens[i]))
                : (Int128(2 * emittedDocuments[i] + 1), Int128(2 * max(1, documents[i])))
            if best == nil || place.0 * bestPlace.1 < bestPlace.0 * place.1 {
                best = i
                bestPlace = place
            }
        }
        if let best, let head = heads[best] {
            emittedTokens[best] += head
            emittedDocuments[best] += 1
        }
        return best
    }

    /// The interleaved order of records given every source's record token counts: (source, index in source).
    ///
    /// - Complexity: O(records × sources).
    public static func order(_ records: [[Int]]) -> [(source: Int, index: Int)] {
        var mix = MixtureInterleave(totals: records.map { (tokens: $0.reduce(0, +), documents: $0.count) })
        var cursor = Array(repeating: 0, count: records.count)
        var out: [(source: Int, index: Int)] = []
        func heads() -> [Int?] {
            records.indices.map { cursor[$0] < records[$0].count ? records[$0][cursor[$0]] : nil }
        }
        while let s = mix.next(heads: heads()) {
            out.append((s, cursor[s]))
            cursor[s] += 1
        }
        return out
    }
}
