import CorpusCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Synchronization

/// One training run: model size N, training tokens D and the final loss.
public struct Run: Sendable, Equatable {
    /// Model size N in parameters.
    public var parameters: Double
    /// Training tokens D.
    public var tokens: Double
    /// Final loss (nats per token).
    public var loss: Double

    public init(parameters: Double, tokens: Double, loss: Double) {
        self.parameters = parameters
        self.tokens = tokens
        self.loss = loss
    }
}

/// Starting values of the fit's parameters θ = (a = log A, b = log B, e = log E, α, β); every combination is tried.
public struct FitGrid: Sendable, Equatable {
    public var alpha: [Double]
    public var beta: [Double]
    public var e: [Double]
    public var a: [Double]
    public var b: [Double]

    public init(alpha: [Double], beta: [Double], e: [Double], a: [Double], b: [Double]) {
        self.alpha = alpha
        self.beta = beta
        self.e = e
        self.a = a
        self.b = b
    }

    /// Hoffmann et al. 2022 (arXiv:2203.15556), appendix D.2: α, β ∈ {0, 0.5, …, 2}, e ∈ {−1, −0.5, …, 1},
    /// a, b ∈ {0, 5, …, 25}: 5·5·5·6·6 = 4,500 starts.
    public static let chinchilla = FitGrid(
        alpha: [0, 0.5, 1, 1.5, 2], beta: [0, 0.5, 1, 1.5, 2], e: [-1, -0.5, 0, 0.5, 1],
        a: [0, 5, 10, 15, 20, 25], b: [0, 5, 10, 15, 20, 25])

    /// A small grid for bootstrap refits, which also start from the full-data optimum: α, β ∈ {0.3, 0.6}, e = 0,
    /// a = 5, b = 10 (4 starts, where fits of language-model runs land: Hoffmann's and Besiroglu's A and B are
    /// e^6 to e^7.6, α and β 0.28 to 0.37).
    ///
    /// Measured on 60 resamples of 48 synthetic runs: the full-data optimum as a start was never beaten by any of
    /// 32 starts (α, β ∈ {0.3, 0.6}, e ∈ {0, 0.5}, a, b ∈ {5, 10}), and it needs ~30 L-BFGS steps against ~90 for
    /// a grid start, so a larger bootstrap grid buys nothing but time; these 4 stay as a safety net.
    public static let coarse = FitGrid(alpha: [0.3, 0.6], beta: [0.3, 0.6], e: [0], a: [5], b: [10])

    /// Every combination as θ = [a, b, e, α, β], α varying slowest.
    public var points: [[Double]] {
        var out: [[Double]] = []
        out.reserveCapacity(alpha.count * beta.count * e.count * a.count * b.count)
        for al in alpha { for be in beta { for ee in e { for aa in a { for bb in b {
            out.append([aa, bb, ee, al, be])
        } } } } }
        return out
    }
}

/// Settings of `fitLossLaw`.
public struct FitOptions: Sendable {
    /// Huber δ on log-loss residuals; 1e-3 as in Hoffmann et al. 2022, appendix D.2.
    public var delta = 1e-3
    /// Bootstrap resamples for the confidence intervals (0: no intervals).
    public var bootstrap = 100
    /// Seed of the bootstrap's resampling; the same seed gives the same intervals.
    public var seed: UInt64 = 0
    /// Confidence level of the percentile intervals.
    public var confidence = 0.95
    /// Starting points of the full-data fit.
    public var grid: FitGrid = .chinchilla
    /// Starting points of each bootstrap refit, besides the full-data optimum.
    public var bootstrapGrid: FitGrid = .coarse
    /// The minimizer's settings for every start.
    public var optimizer: LBFGSOptions = FitOptions.defaultOptimizer

    public init() {}

    /// Tolerances tight enough for a noise-free fit to recover its law to ~1e-6 relative.
    public static let defaultOptimizer: LBFGSOptions = {
        var options = LBFGSOptions()
        options.maxIterations = 1000
        options.gradientTolerance = 1e-11
        options.functionTolerance = 1e-13
        return options
    }()
}

/// The fitted law, its objective and percentile-bootstrap intervals.
public struct FitResult: Sendable {
    /// The best law found.
    public var law: ChinchillaLaw
    /// Σ Huber_δ(predicted log-loss − log-loss) at the best law.
    public var objective: Double
    /// Percentile bootstrap intervals keyed "E", "A", "B", "alpha", "beta"; empty without bootstrap.
    public var intervals: [String: ClosedRange<Double>]
    /// Runs fitted.
    public var runs: Int
    /// Bootstrap refits that succeeded (the intervals come from these).
    public var bootstrapResamples: Int
    /// The options used.
    public var options: FitOptions

    public init(law: ChinchillaLaw, objective: Double, intervals: [String: ClosedRange<Double>], runs: Int,
                bootstrapResamples: Int, options: FitOptions) {
        self.law = law
        self.objective = objective
        self.intervals = intervals
        self.runs = runs
        self.bootstrapResamples = bootstrapResamples
        self.options = options
    }

    /// A report for people: the law, each parameter with its interval, and the compute-optimal exponents.
    public func render() -> String {
        var out = "L(N, D) = E + A/N^alpha + B/D^beta fitted to \(runs) runs\n"
            + "(Hoffmann et al. 2022, approach 3: Huber δ = \(options.delta) on log-loss, L-BFGS from "
            + "\(options.grid.points.count) starts; objective \(formatSignificant(objective)))\n\n"
        let level = formatDecimal(options.confidence * 100, decimals: 0) + "% interval"
        var table = [intervals.isEmpty ? ["parameter", "estimate"] : ["parameter", "estimate", level]]
        let values: [(String, Double)] = [("E", law.e), ("A", law.a), ("B", law.b), ("alpha", law.alpha),
                                          ("beta", law.beta)]
        for (name, value) in values {
            let interval = intervals[name].map {
                formatSignificant($0.lowerBound) + " – " + formatSignificant($0.upperBound)
            } ?? ""
            let row = [name, formatSignificant(value)]
            table.append(intervals.isEmpty ? row : row + [interval])
        }
        out += renderTable(table, rightAligned: [false, true, false])
        if !intervals.isEmpty {
            out += "(percentile bootstrap: \(bootstrapResamples) of \(options.bootstrap) resamples refitted, "
                + "seed \(options.seed))\n"
        }
        let sum = law.alpha + law.beta
        if sum > 0, sum.isFinite {
            out += "\ncompute-optimal scaling: N_opt ∝ C^\(formatDecimal(law.beta / sum, decimals: 3)), "
                + "D_opt ∝ C^\(formatDecimal(law.alpha / sum, decimals: 3))\n"
        }
        return out
    }
}

/// Fits L(N, D) = E + A/N^α + B/D^β to runs as Hoffmann et al. 2022 do (approach 3, appendix D.2).
///
/// With θ = (a, b, e, α, β), A = eᵃ, B = eᵇ, E = eᵉ, the predicted log-loss of run i is
/// LSE(a − α log Nᵢ, b − β log Dᵢ, e) (log-sum-exp, computed stably by factoring out the largest term), and
/// the objective Σᵢ Huber_δ(predictedᵢ − log Lᵢ) is minimized with L-BFGS (`minimizeLBFGS`, analytic
/// gradient) from every point of `options.grid` (by default the paper's 4,500); the lowest objective wins,
/// ties going to the earlier start.
///
/// The minimizer runs in centered coordinates (see `HuberLogLoss`), which changes the path, not the problem.
///
/// Intervals: `options.bootstrap` resamples of the runs, drawn with replacement by a SplitMix64 generator
/// seeded with `options.seed` (all drawn up front, in order, so the answer does not depend on threads). Each
/// resample is a weight vector (how often each run was drawn) and is refitted from the full-data optimum plus
/// the points of `options.bootstrapGrid` (by default the 4 of `FitGrid.coarse`) rather than the full grid. The
/// intervals are percentiles (linear interpolation) of the refitted E, A, B, α, β. Starts and resamples run on
/// all cores with `DispatchQueue.concurrentPerform`; each writes only its own slot, so the result is the same
/// for any number of cores.
///
/// Time (debug build, 2 cores, 48 runs, 100 resamples): about 3 s in all, most of it the 4,500 grid starts.
///
/// - Throws: `invalidArgument` for fewer than 5 runs, a non-positive or non-finite N, D or loss, or bad
///   options; `fitFailed` when no start gives a finite optimum, or fewer than half the bootstrap refits do.
public func fitLossLaw(_ runs: [Run], options: FitOptions = FitOptions()) throws(PlanningError) -> FitResult {
    guard runs.count >= 5 else {
        throw .invalidArgument("fitting 5 parameters needs at least 5 runs, got \(runs.count)")
    }
    for (index, run) in runs.enumerated() {
        guard [run.parameters, run.tokens, run.loss].allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw .invalidArgument("run \(index + 1): N, D and loss must be positive and finite, got "
                                   + "N \(run.parameters), D \(run.tokens), loss \(run.loss)")
        }
    }
    guard options.delta.isFinite, options.delta > 0 else {
        throw .invalidArgument("Huber delta must be positive, got \(options.delta)")
    }
    guard options.bootstrap >= 0 else {
        throw .invalidArgument("bootstrap resamples must be 0 or more, got \(options.bootstrap)")
    }
    guard options.confidence > 0, options.confidence < 1 else {
        throw .invalidArgument("confidence must be between 0 and 1, got \(options.confidence)")
    }
    let starts = options.grid.points
    guard !starts.isEmpty else { throw .invalidArgument("the fit grid has no starting points") }

    let data = HuberLogLoss(runs: runs, delta: options.delta)
    let full = [Double](repeating: 1, count: runs.count)
    guard let best = bestFit(data: data, weights: full, starts: starts, options: options.optimizer) else {
        throw .fitFailed("no starting point of the grid reached a finite optimum")
    }
    let law = ChinchillaLaw(theta: best.x)
    guard [law.e, law.a, law.b, law.alpha, law.beta].allSatisfy(\.isFinite) else {
        throw .fitFailed("the best fit has non-finite parameters: θ = \(best.x)")
    }

    var intervals: [String: ClosedRange<Double>] = [:]
    var refitted = 0
    if options.bootstrap > 0 {
        var generator = SplitMix64(state: options.seed)
        var resamples: [[Double]] = []
        for _ in 0..<options.bootstrap {
            var weights = [Double](repeating: 0, count: runs.count)
            for _ in 0..<runs.count { weights[generator.below(runs.count)] += 1 }
            resamples.append(weights)
        }
        let bootstrapStarts = [best.x] + options.bootstrapGrid.points
        let optimizer = options.optimizer
        let weightVectors = resamples
        let laws = parallelMap(weightVectors.count) { index -> ChinchillaLaw? in
            let fit = bestFit(data: data, weights: weightVectors[index], starts: bootstrapStarts,
                              options: optimizer, parallel: false)
            return fit.map { ChinchillaLaw(theta: $0.x) }
        }
        let usable = laws.compactMap { $0 }.filter { [$0.e, $0.a, $0.b, $0.alpha, $0.beta].allSatisfy(\.isFinite) }
        refitted = usable.count
        guard 2 * usable.count >= options.bootstrap else {
            throw .fitFailed("only \(usable.count) of \(options.bootstrap) bootstrap refits succeeded")
        }
        let tail = (1 - options.confidence) / 2
        let columns: [(String, (ChinchillaLaw) -> Double)] = [
            ("E", \.e), ("A", \.a), ("B", \.b), ("alpha", \.alpha), ("beta", \.beta),
        ]
        for (name, value) in columns {
            let sorted = usable.map(value).sorted()
            intervals[name] = percentile(sorted, tail)...percentile(sorted, 1 - tail)
        }
    }
    return FitResult(law: law, objective: best.value, intervals: intervals, runs: runs.count,
                     bootstrapResamples: refitted, options: options)
}

/// Parses runs from CSV text.
///
/// Parses a CSV with a header naming columns (case-insensitive) N/params/parameters, D/tokens, loss (any
/// order, extra columns ignored, blank lines and # comments skipped). Numbers like 1e9 or 70000000.
/// Also accepted: n_params and num_params for N, n_tokens and num_tokens for D. Fields are separated by commas,
/// trimmed, and may be wrapped in double quotes (without commas inside). Every data line must have as many
/// fields as the header.
///
/// Example: `"N,D,loss\n1e8,2e9,3.1\n"` → `[Run(parameters: 1e8, tokens: 2e9, loss: 3.1)]`.
///
/// - Throws: `badRuns` with the 1-based line for a missing or repeated column, a line with the wrong number of
///   fields, a value that is not a positive finite number, or no data lines at all.
public func parseRuns(csv: String) throws(PlanningError) -> [Run] {
    let roles: [(name: String, aliases: Set<String>)] = [
        ("model size (N, params or parameters)", ["n", "params", "parameters", "n_params", "num_params"]),
        ("tokens (D or tokens)", ["d", "tokens", "n_tokens", "num_tokens"]),
        ("loss", ["loss"]),
    ]
    let lines = csv.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
    var columns: [Int]?
    var headerCount = 0
    var headerLine = 0
    var runs: [Run] = []
    for (offset, rawLine) in lines.enumerated() {
        let lineNumber = offset + 1
        let line = rawLine.trimmingWhitespace()
        if line.isEmpty || line.hasPrefix("#") { continue }
        let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { csvField($0) }
        guard let indices = columns else {
            let names = fields.map { $0.lowercased() }
            var found: [Int] = []
            for role in roles {
                let matches = names.indices.filter { role.aliases.contains(names[$0]) }
                guard let first = matches.first else {
                    throw .badRuns(line: lineNumber, message: "missing a column for the \(role.name); the header "
                                   + "names \(fields.map { "'\($0)'" }.joined(separator: ", "))")
                }
                guard matches.count == 1 else {
                    let named = matches.map { "'\(fields[$0])'" }.joined(separator: " and ")
                    throw .badRuns(line: lineNumber, message: "columns \(named) both name the \(role.name)")
                }
                found.append(first)
            }
            columns = found
            headerCount = fields.count
            headerLine = lineNumber
            continue
        }
        guard fields.count == headerCount else {
            throw .badRuns(line: lineNumber, message: "expected \(headerCount) fields as in the header, "
                           + "found \(fields.count)")
        }
        var values: [Double] = []
        for (role, column) in zip(roles, indices) {
            let text = fields[column]
            guard let value = Double(text), value.isFinite, value > 0 else {
                throw .badRuns(line: lineNumber, message: "the \(role.name) '\(text)' is not a positive number")
            }
            values.append(value)
        }
        runs.append(Run(parameters: values[0], tokens: values[1], loss: values[2]))
    }
    guard columns != nil else {
        throw .badRuns(line: 1, message: "no header: expected a line naming the N, D and loss columns")
    }
    guard !runs.isEmpty else { throw .badRuns(line: headerLine, message: "no runs after the header") }
    return runs
}

// MARK: Objective

/// Σᵢ wᵢ·Huber_δ(LSE(a − α log Nᵢ, b − β log Dᵢ, e) − log Lᵢ) and its gradient.
///
/// The minimizer works in centered coordinates φ = (a − α·n̄, b − β·d̄, e, α, β), where n̄ and d̄ are the
/// mean log N and log D of the runs, so that a − α log Nᵢ = φ₀ − α (log Nᵢ − n̄). This linear change of
/// variables leaves the problem and its optimum unchanged but removes most of the correlation between a and α
/// (log N is ≈ 20 for every run), which makes L-BFGS converge in far fewer steps.
struct HuberLogLoss: Sendable {
    /// log Nᵢ − n̄.
    let centeredLogN: [Double]
    /// log Dᵢ − d̄.
    let centeredLogD: [Double]
    let logL: [Double]
    let meanLogN: Double
    let meanLogD: Double
    let delta: Double

    init(runs: [Run], delta: Double) {
        let logN = runs.map { log($0.parameters) }
        let logD = runs.map { log($0.tokens) }
        meanLogN = logN.reduce(0, +) / Double(max(1, runs.count))
        meanLogD = logD.reduce(0, +) / Double(max(1, runs.count))
        centeredLogN = logN.map { [meanLogN] in $0 - meanLogN }
        centeredLogD = logD.map { [meanLogD] in $0 - meanLogD }
        logL = runs.map { log($0.loss) }
        self.delta = delta
    }

    /// θ = (a, b, e, α, β) → φ.
    func centered(_ theta: [Double]) -> [Double] {
        [theta[0] - theta[3] * meanLogN, theta[1] - theta[4] * meanLogD, theta[2], theta[3], theta[4]]
    }

    /// φ → θ = (a, b, e, α, β).
    func uncentered(_ phi: [Double]) -> [Double] {
        [phi[0] + phi[3] * meanLogN, phi[1] + phi[4] * meanLogD, phi[2], phi[3], phi[4]]
    }

    /// The objective at φ with run weights w (bootstrap multiplicities); writes the gradient in φ.
    ///
    /// Huber_δ(r) = r²/2 for |r| ≤ δ, δ(|r| − δ/2) beyond; its derivative is r clipped to [−δ, δ]. The
    /// derivative of LSE is the softmax of its three terms.
    func evaluate(_ phi: [Double], weights: [Double], gradient: inout [Double]) -> Double {
        let a = phi[0], b = phi[1], e = phi[2], alpha = phi[3], beta = phi[4]
        var f = 0.0
        var ga = 0.0, gb = 0.0, ge = 0.0, galpha = 0.0, gbeta = 0.0
        centeredLogN.withUnsafeBufferPointer { logN in
            centeredLogD.withUnsafeBufferPointer { logD in
                logL.withUnsafeBufferPointer { logL in
                    weights.withUnsafeBufferPointer { weights in
                        var i = 0
                        while i < logN.count {
                            let weight = weights[i]
                            if weight == 0 {
                                i += 1
                                continue
                            }
                            let x1 = a - alpha * logN[i]
                            let x2 = b - beta * logD[i]
                            // Stable LSE: factor out the largest term (concrete comparisons, see LBFGS.swift).
                            var top = x1 > x2 ? x1 : x2
                            if e > top { top = e }
                            let e1 = exp(x1 - top), e2 = exp(x2 - top), e3 = exp(e - top)
                            let sum = e1 + e2 + e3
                            let r = top + log(sum) - logL[i]
                            let psi: Double
                            if r.magnitude <= delta {
                                f += weight * 0.5 * r * r
                                psi = weight * r
                            } else {
                                f += weight * delta * (r.magnitude - 0.5 * delta)
                                psi = weight * (r > 0 ? delta : -delta)
                            }
                            let scale = psi / sum
                            ga += scale * e1
                            gb += scale * e2
                            ge += scale * e3
                            galpha -= scale * e1 * logN[i]
                            gbeta -= scale * e2 * logD[i]
                            i += 1
                        }
                    }
                }
            }
        }
        gradient[0] = ga
        gradient[1] = gb
        gradient[2] = ge
        gradient[3] = galpha
        gradient[4] = gbeta
        return f
    }
}

/// The lowest optimum over starts θ (ties: the earlier start), with x in θ; nil when none is finite.
private func bestFit(data: HuberLogLoss, weights: [Double], starts: [[Double]], options: LBFGSOptions,
                     parallel: Bool = true) -> LBFGSResult? {
    let minimize = { @Sendable (start: [Double]) -> LBFGSResult? in
        try? minimizeLBFGS(from: data.centered(start), options: options) { phi, gradient in
            data.evaluate(phi, weights: weights, gradient: &gradient)
        }
    }
    let results = parallel ? parallelMap(starts.count) { minimize(starts[$0]) } : starts.map(minimize)
    var best: LBFGSResult?
    for case let result? in results where result.value.isFinite && result.x.allSatisfy(\.isFinite) {
        if result.value < (best?.value ?? .infinity) { best = result }
    }
    if var answer = best {
        answer.x = data.uncentered(answer.x)
        return answer
    }
    return nil
}

/// `body(0..<count)` on all cores; results in index order (each call writes only its own slot).
private func parallelMap<T: Sendable>(_ count: Int, _ body: @Sendable (Int) -> T) -> [T] {
    let slots = Mutex([T?](repeating: nil, count: count))
    DispatchQueue.concurrentPerform(iterations: count) { index in
        let value = body(index)
        slots.withLock { $0[index] = value }
    }
    return slots.withLock { $0.compactMap { $0 } }
}

/// The p-quantile of sorted values with linear interpolation between order statistics (Hyndman & Fan type 7).
private func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard let first = sorted.first else { return .nan }
    let position = p * Double(sorted.count - 1)
    let lower = Int(position.rounded(.down))
    guard lower + 1 < sorted.count else { return sorted.last ?? first }
    let fraction = position - Double(lower)
    return sorted[lower] + fraction * (sorted[lower + 1] - sorted[lower])
}

extension ChinchillaLaw {
    /// The law of θ = (log A, log B, log E, α, β).
    init(theta: [Double]) {
        self.init(e: exp(theta[2]), a: exp(theta[0]), b: exp(theta[1]), alpha: theta[3], beta: theta[4])
    }
}

// MARK: Small helpers


/// A field without surrounding spaces and double quotes.
private func csvField(_ field: Substring) -> String {
    var text = field.trimmingWhitespace()
    if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") {
        text = String(text.dropFirst().dropLast()).trimmingWhitespace()
    }
    return text
}

extension StringProtocol {
    /// The text without leading and trailing whitespace (including a CR of CRLF line ends).
    fileprivate func trimmingWhitespace() -> String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}

/// Four significant digits, scientific when very large or small: 1.8012 → "1.801", 406.4 → "406.4".
func formatSignificant(_ x: Double) -> String {
    guard x.isFinite else { return "\(x)" }
    if x == 0 { return "0" }
    let magnitude = abs(x)
    guard magnitude >= 1e-3, magnitude < 1e6 else { return formatScientific(x, decimals: 3) }
    var decimals = max(0, 3 - Int(floor(log10(magnitude))))
    if decimals > 0, (magnitude * pow(10, Double(decimals))).rounded() >= 10_000 { decimals -= 1 }
    return formatDecimal(x, decimals: decimals)
}

extension SplitMix64 {
    /// Uniform in 0..<bound (bound > 0) by rejection, so no value is favoured. Written out rather than
    /// `Int.random(in:using:)`, whose algorithm the standard library does not promise to keep.
    fileprivate mutating func below(_ bound: Int) -> Int {
        let n = UInt64(bound)
        let limit = UInt64.max - UInt64.max % n
        while true {
            let x = next()
            if x < limit { return Int(x % n) }
        }
    }
}
