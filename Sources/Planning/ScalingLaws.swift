#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Errors of the planning module; each message names the offending value.
public enum PlanningError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An argument is out of range, e.g. a budget that is zero, negative, NaN or infinite.
    case invalidArgument(String)
    /// The budget cannot buy any model: the compute-optimal size is below 1 parameter or below 1 token.
    case budgetTooSmall(String)
    /// A loss-law fit did not produce a usable answer.
    case fitFailed(String)
    /// A problem in a runs CSV, with its 1-based line.
    case badRuns(line: Int, message: String)

    public var description: String {
        switch self {
        case let .invalidArgument(message): "invalid argument: \(message)"
        case let .budgetTooSmall(message): "budget too small: \(message)"
        case let .fitFailed(message): "loss-law fit failed: \(message)"
        case let .badRuns(line, message): "runs CSV, line \(line): \(message)"
        }
    }
}

/// A compute budget, a model size and a token count that go together, with the loss a law predicts for them.
public struct Allocation: Sendable, Equatable, Codable {
    /// Training compute C in FLOPs, C = 6·N·D.
    public var flops: Double
    /// Model size N in parameters.
    public var parameters: Double
    /// Training tokens D.
    public var tokens: Double
    /// D / N.
    public var tokensPerParameter: Double
    /// The law's predicted loss at (N, D), in nats per token.
    public var loss: Double

    public init(flops: Double, parameters: Double, tokens: Double, tokensPerParameter: Double, loss: Double) {
        self.flops = flops
        self.parameters = parameters
        self.tokens = tokens
        self.tokensPerParameter = tokensPerParameter
        self.loss = loss
    }
}

/// A parametric loss law L(N, D) = E + A / N^α + B / D^β (Hoffmann et al. 2022), C ≈ 6 N D.
///
/// Hoffmann et al. 2022, "Training Compute-Optimal Large Language Models" (arXiv:2203.15556), §3.3 and
/// appendix D.2 ("approach 3"). Minimizing L under the constraint C = 6ND gives (their eq. 4)
/// N_opt = G·(C/6)^a, D_opt = G⁻¹·(C/6)^b with G = (αA / (βB))^(1/(α+β)), a = β/(α+β), b = α/(α+β).
public struct ChinchillaLaw: Sendable, Equatable, Codable {
    /// Irreducible loss E (nats per token).
    public var e: Double
    /// Model-size coefficient A.
    public var a: Double
    /// Data coefficient B.
    public var b: Double
    /// Model-size exponent α.
    public var alpha: Double
    /// Data exponent β.
    public var beta: Double

    public init(e: Double, a: Double, b: Double, alpha: Double, beta: Double) {
        self.e = e
        self.a = a
        self.b = b
        self.alpha = alpha
        self.beta = beta
    }

    /// Hoffmann et al. 2022 (arXiv:2203.15556), eq. 10 / appendix D.2: E 1.69, A 406.4, B 410.7, α 0.34, β 0.28.
    ///
    /// These approach-3 constants allocate more tokens per parameter than the paper's headline
    /// 70B parameters / 1.4T tokens: at 5.76e23 FLOPs they give N ≈ 32.2B and D ≈ 2.98T (≈ 93 tokens per
    /// parameter); Besiroglu et al. 2024 trace this to the reported fit.
    public static let hoffmann2022 = ChinchillaLaw(e: 1.69, a: 406.4, b: 410.7, alpha: 0.34, beta: 0.28)

    /// Besiroglu et al. 2024, "Chinchilla Scaling: A replication attempt" (arXiv:2404.10102), their refit of
    /// Hoffmann et al.'s data: E 1.8172, A 482.01, B 2085.43, α 0.3478, β 0.3658 (≈ 20 tokens per parameter
    /// at Chinchilla scale).
    public static let besiroglu2024 = ChinchillaLaw(e: 1.8172, a: 482.01, b: 2085.43, alpha: 0.3478, beta: 0.3658)

    /// The predicted loss E + A / N^α + B / D^β; not validated (non-positive inputs give a non-finite value).
    public func loss(parameters n: Double, tokens d: Double) -> Double {
        e + a / pow(n, alpha) + b / pow(d, beta)
    }

    /// Compute-optimal allocation for C FLOPs: N_opt = G (C/6)^a, D_opt = (C/6)^b / G, G = (αA/(βB))^(1/(α+β)),
    /// a = β/(α+β), b = α/(α+β).
    ///
    /// Since a + b = 1, 6·N_opt·D_opt = C.
    ///
    /// - Throws: `invalidArgument` for a budget that is not a positive finite number or a law whose constants
    ///   are not positive; `budgetTooSmall` when N_opt < 1 parameter or D_opt < 1 token.
    public func optimal(flops c: Double) throws(PlanningError) -> Allocation {
        try checkBudget(c)
        let (g, exponentN, exponentD) = try allocationConstants()
        let parameters = g * pow(c / 6, exponentN)
        let tokens = pow(c / 6, exponentD) / g
        return try makeAllocation(flops: c, parameters: parameters, tokens: tokens,
                                  context: "\(formatCount(c)) FLOPs", loss: loss(parameters:tokens:))
    }

    /// The budget and tokens for which a model of N parameters is compute-optimal: the inverse of N_opt(C).
    ///
    /// (Minimizing loss over D at a fixed N alone is trivial: more data always helps.) Solves N = G·(C/6)^a for
    /// C, i.e. C = 6·(N/G)^(1/a), and D = C / (6N), which equals D_opt(C).
    ///
    /// - Throws: `invalidArgument` for a size that is not finite or below 1 parameter, or a law whose constants
    ///   are not positive; `budgetTooSmall` when the matching D_opt is below 1 token.
    public func optimal(parameters n: Double) throws(PlanningError) -> Allocation {
        try checkSize(n)
        let (g, exponentN, _) = try allocationConstants()
        let c = 6 * pow(n / g, 1 / exponentN)
        return try makeAllocation(flops: c, parameters: n, tokens: c / (6 * n),
                                  context: "\(formatCount(n)) parameters", loss: loss(parameters:tokens:))
    }

    /// G, a and b of the allocation formula, after checking that the constants make sense.
    private func allocationConstants() throws(PlanningError) -> (g: Double, a: Double, b: Double) {
        guard [a, b, alpha, beta].allSatisfy({ $0.isFinite && $0 > 0 }), e.isFinite else {
            throw .invalidArgument("the law's A, B, α and β must be positive and finite, got "
                                   + "E \(e), A \(a), B \(b), α \(alpha), β \(beta)")
        }
        let g = pow(alpha * a / (beta * b), 1 / (alpha + beta))
        guard g.isFinite, g > 0 else {
            throw .invalidArgument("the law's constants give no finite allocation (G = \(g))")
        }
        return (g, beta / (alpha + beta), alpha / (alpha + beta))
    }
}

/// Kaplan et al. 2020's laws: loss in N and D, and the compute-efficient model size.
///
/// Kaplan et al. 2020, "Scaling Laws for Neural Language Models" (arXiv:2001.08361):
/// - L(N) = (N_c/N)^α_N with N_c 8.8e13, α_N 0.076 and L(D) = (D_c/D)^α_D with D_c 5.4e13, α_D 0.095 (their
///   eqs. 1.1 and 1.2); L(N, D) = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D (their eq. 1.5) with these same constants, as
///   SPECS prescribes. (The paper's own joint fit of eq. 1.5 reports its own constants; we have not verified
///   them here and do not use them.)
/// - Compute-efficient size N_opt = 1.3e9 · C^0.73 with C in PF-days, 1 PF-day = 10¹⁵·86,400 = 8.64e19 FLOPs
///   (their §6.1 and figure 14, fitted to C_min, the compute at the critical batch size; we take C as C_min),
///   and D = C / (6N).
///
/// N counts non-embedding parameters and the loss is in nats per token on WebText2 with GPT-2's tokenizer, so
/// Kaplan's losses are not comparable with the Chinchilla laws' (MassiveText, SentencePiece).
public struct KaplanLaw: Sendable, Equatable, Codable {
    /// N_c (non-embedding parameters).
    public var nc: Double
    /// α_N.
    public var alphaN: Double
    /// D_c (tokens).
    public var dc: Double
    /// α_D.
    public var alphaD: Double
    /// The coefficient of N_opt = coefficient · C_PF-days^exponent.
    public var optimalCoefficient: Double
    /// The exponent of N_opt = coefficient · C_PF-days^exponent.
    public var optimalExponent: Double
    /// FLOPs in one PF-day.
    public var flopsPerPetaflopDay: Double

    public init(nc: Double, alphaN: Double, dc: Double, alphaD: Double,
                optimalCoefficient: Double, optimalExponent: Double, flopsPerPetaflopDay: Double) {
        self.nc = nc
        self.alphaN = alphaN
        self.dc = dc
        self.alphaD = alphaD
        self.optimalCoefficient = optimalCoefficient
        self.optimalExponent = optimalExponent
        self.flopsPerPetaflopDay = flopsPerPetaflopDay
    }

    /// Kaplan et al. 2020 (arXiv:2001.08361): N_c 8.8e13, α_N 0.076, D_c 5.4e13, α_D 0.095,
    /// N_opt = 1.3e9 · C_PF-days^0.73, 1 PF-day = 8.64e19 FLOPs.
    public static let kaplan2020 = KaplanLaw(nc: 8.8e13, alphaN: 0.076, dc: 5.4e13, alphaD: 0.095,
                                             optimalCoefficient: 1.3e9, optimalExponent: 0.73,
                                             flopsPerPetaflopDay: 8.64e19)

    /// L(N, D) = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D; not validated (non-positive inputs give a non-finite value).
    public func loss(parameters n: Double, tokens d: Double) -> Double {
        pow(pow(nc / n, alphaN / alphaD) + dc / d, alphaD)
    }

    /// Compute-efficient allocation: N = 1.3e9 · (C / 8.64e19)^0.73, D = C / (6N).
    ///
    /// - Throws: `invalidArgument` for a budget that is not a positive finite number; `budgetTooSmall` when
    ///   N < 1 parameter or D < 1 token.
    public func optimal(flops c: Double) throws(PlanningError) -> Allocation {
        try checkBudget(c)
        let parameters = optimalCoefficient * pow(c / flopsPerPetaflopDay, optimalExponent)
        return try makeAllocation(flops: c, parameters: parameters, tokens: c / (6 * parameters),
                                  context: "\(formatCount(c)) FLOPs", loss: loss(parameters:tokens:))
    }

    /// The budget for which N parameters is compute-efficient: C = 8.64e19 · (N / 1.3e9)^(1/0.73), D = C / (6N).
    ///
    /// - Throws: `invalidArgument` for a size that is not finite or below 1 parameter; `budgetTooSmall` when
    ///   D < 1 token.
    public func optimal(parameters n: Double) throws(PlanningError) -> Allocation {
        try checkSize(n)
        let c = flopsPerPetaflopDay * pow(n / optimalCoefficient, 1 / optimalExponent)
        return try makeAllocation(flops: c, parameters: n, tokens: c / (6 * n),
                                  context: "\(formatCount(n)) parameters", loss: loss(parameters:tokens:))
    }
}

/// The laws `ptk plan budget` compares.
public enum NamedLaw: String, Sendable, CaseIterable {
    /// `ChinchillaLaw.hoffmann2022`.
    case chinchilla
    /// `ChinchillaLaw.besiroglu2024`.
    case besiroglu
    /// `KaplanLaw.kaplan2020`.
    case kaplan

    /// The compute-optimal allocation for a budget in FLOPs.
    public func optimal(flops: Double) throws(PlanningError) -> Allocation {
        switch self {
        case .chinchilla: try ChinchillaLaw.hoffmann2022.optimal(flops: flops)
        case .besiroglu: try ChinchillaLaw.besiroglu2024.optimal(flops: flops)
        case .kaplan: try KaplanLaw.kaplan2020.optimal(flops: flops)
        }
    }

    /// The budget and tokens for which a model of this size is compute-optimal.
    public func optimal(parameters: Double) throws(PlanningError) -> Allocation {
        switch self {
        case .chinchilla: try ChinchillaLaw.hoffmann2022.optimal(parameters: parameters)
        case .besiroglu: try ChinchillaLaw.besiroglu2024.optimal(parameters: parameters)
        case .kaplan: try KaplanLaw.kaplan2020.optimal(parameters: parameters)
        }
    }

    /// The law's predicted loss at N parameters and D tokens.
    public func loss(parameters: Double, tokens: Double) -> Double {
        switch self {
        case .chinchilla: ChinchillaLaw.hoffmann2022.loss(parameters: parameters, tokens: tokens)
        case .besiroglu: ChinchillaLaw.besiroglu2024.loss(parameters: parameters, tokens: tokens)
        case .kaplan: KaplanLaw.kaplan2020.loss(parameters: parameters, tokens: tokens)
        }
    }

    /// Where the law and its constants come from.
    public var citation: String {
        switch self {
        case .chinchilla:
            "Hoffmann et al. 2022, Training Compute-Optimal Large Language Models (arXiv:2203.15556), approach 3: "
                + "E 1.69, A 406.4, B 410.7, α 0.34, β 0.28"
        case .besiroglu:
            "Besiroglu et al. 2024, Chinchilla Scaling: A replication attempt (arXiv:2404.10102): "
                + "E 1.8172, A 482.01, B 2085.43, α 0.3478, β 0.3658"
        case .kaplan:
            "Kaplan et al. 2020, Scaling Laws for Neural Language Models (arXiv:2001.08361): "
                + "N_opt = 1.3e9·C_PF-days^0.73, L(N, D) with N_c 8.8e13, α_N 0.076, D_c 5.4e13, α_D 0.095 "
                + "(non-embedding parameters; nats per token on WebText2, not comparable with the others)"
        }
    }
}

/// Every named law's compute-optimal allocation for one budget in FLOPs, in `NamedLaw.allCases` order.
public func compareLaws(flops: Double) throws(PlanningError) -> [(NamedLaw, Allocation)] {
    var rows: [(NamedLaw, Allocation)] = []
    for law in NamedLaw.allCases { rows.append((law, try law.optimal(flops: flops))) }
    return rows
}

/// Every named law's budget and tokens for one model size, in `NamedLaw.allCases` order.
public func compareLaws(parameters: Double) throws(PlanningError) -> [(NamedLaw, Allocation)] {
    var rows: [(NamedLaw, Allocation)] = []
    for law in NamedLaw.allCases { rows.append((law, try law.optimal(parameters: parameters))) }
    return rows
}

/// A table comparing the laws for one budget (or one N), for people.
///
/// Aligned columns law, N, D, tokens/param, FLOPs and predicted loss, numbers as `formatCount` writes them,
/// followed by each law's source. Example row: `chinchilla  32.2B  2.98T  92.6  5.76e23  1.931`.
public func renderComparison(_ rows: [(NamedLaw, Allocation)], title: String) -> String {
    var table = [["law", "N", "D", "tokens/param", "FLOPs", "loss"]]
    for (law, a) in rows {
        table.append([law.rawValue, formatCount(a.parameters), formatCount(a.tokens),
                      formatCount(a.tokensPerParameter), formatCount(a.flops), formatDecimal(a.loss, decimals: 3)])
    }
    var out = title + "\n\n" + renderTable(table, rightAligned: [false, true, true, true, true, true])
    if rows.contains(where: { $0.0 == .kaplan }) {
        out += "\nKaplan's N excludes embeddings and its loss is on other data and tokenizer: compare its N and D,"
            + " not its loss.\n"
    }
    out += "\nsources:\n"
    for (law, _) in rows { out += "  \(law.rawValue): \(law.citation)\n" }
    return out
}

/// A count in three significant digits with an SI-style suffix, or in scientific notation when huge or tiny.
///
/// The rule: below 1e15, three significant digits with K (1e3), M (1e6), B (1e9) or T (1e12) —
/// 7.03e9 → "7.03B", 1.4e12 → "1.40T", 20.3 → "20.3", 512 → "512"; from 1e15 on (FLOPs-size numbers) and
/// below 0.01, scientific with two decimals — 5.76e23 → "5.76e23", 0.001 → "1.00e-3". Zero is "0"; NaN and
/// infinities print as Swift prints them.
public func formatCount(_ x: Double) -> String {
    guard x.isFinite else { return "\(x)" }
    if x == 0 { return "0" }
    if x < 0 { return "-" + formatCount(-x) }
    if x >= 1e15 || x < 0.01 { return formatScientific(x, decimals: 2) }
    let units: [(Double, String)] = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"), (1, "")]
    for index in units.indices where x >= units[index].0 || index == units.count - 1 {
        let mantissa = x / units[index].0
        let decimals = significantDecimals(mantissa)
        let text = formatDecimal(mantissa, decimals: decimals)
        if (mantissa * pow(10, Double(decimals))).rounded() >= 1000 * pow(10, Double(decimals)) {
            // Rounds up to 1000: use the next unit (or scientific above T).
            return index == 0 ? formatScientific(x, decimals: 2) : formatCount(units[index - 1].0)
        }
        return text + units[index].1
    }
    return formatScientific(x, decimals: 2)
}

// MARK: Internal helpers (shared with LossFit.swift)

func checkBudget(_ c: Double) throws(PlanningError) {
    guard c.isFinite, c > 0 else {
        throw .invalidArgument("compute budget must be a positive finite number of FLOPs, got \(c)")
    }
}

func checkSize(_ n: Double) throws(PlanningError) {
    guard n.isFinite, n > 0 else {
        throw .invalidArgument("model size must be a positive finite number of parameters, got \(n)")
    }
    guard n >= 1 else { throw .invalidArgument("a model needs at least 1 parameter, got \(n)") }
}

/// Checks an allocation for range problems and fills in D/N and the loss.
func makeAllocation(flops: Double, parameters: Double, tokens: Double, context: String,
                    loss: (Double, Double) -> Double) throws(PlanningError) -> Allocation {
    guard flops.isFinite, parameters.isFinite, tokens.isFinite, parameters > 0, tokens > 0 else {
        throw .invalidArgument("\(context) is out of the range this law can compute "
                               + "(FLOPs \(flops), N \(parameters), D \(tokens))")
    }
    guard parameters >= 1 else {
        throw .budgetTooSmall("\(context): the compute-optimal model would have \(formatCount(parameters)) "
                              + "parameters (fewer than 1)")
    }
    guard tokens >= 1 else {
        throw .budgetTooSmall("\(context): the compute-optimal data would be \(formatCount(tokens)) tokens "
                              + "(fewer than 1)")
    }
    return Allocation(flops: flops, parameters: parameters, tokens: tokens,
                      tokensPerParameter: tokens / parameters, loss: loss(parameters, tokens))
}

/// Decimals that show three significant digits of x (x > 0, x < 1000).
func significantDecimals(_ x: Double) -> Int {
    var decimals = max(0, 2 - Int(floor(log10(x))))
    // 9.996 rounds to 10.00: one decimal fewer keeps three digits.
    if decimals > 0, (x * pow(10, Double(decimals))).rounded() >= 1000 { decimals -= 1 }
    return decimals
}

/// Fixed-point decimal text without Foundation's locale dependence: `formatDecimal(1.9307, decimals: 3)` → "1.931".
func formatDecimal(_ x: Double, decimals: Int) -> String {
    guard x.isFinite else { return "\(x)" }
    var factor = 1.0
    for _ in 0..<max(0, decimals) { factor *= 10 }
    let scaled = (abs(x) * factor).rounded()
    guard scaled < 9e15 else { return formatScientific(x, decimals: max(decimals, 2)) }
    let units = Int64(scaled)
    let whole = units / Int64(factor)
    let fraction = units % Int64(factor)
    let sign = x < 0 && units != 0 ? "-" : ""
    guard decimals > 0 else { return "\(sign)\(whole)" }
    let digits = String(fraction)
    return "\(sign)\(whole)." + String(repeating: "0", count: decimals - digits.count) + digits
}

/// Scientific text with a fixed number of decimals: `formatScientific(5.76e23, decimals: 2)` → "5.76e23".
func formatScientific(_ x: Double, decimals: Int) -> String {
    guard x.isFinite else { return "\(x)" }
    if x == 0 { return formatDecimal(0, decimals: decimals) + "e0" }
    var exponent = Int(floor(log10(abs(x))))
    var mantissa = abs(x) / pow(10, Double(exponent))
    // Guard against log10 and rounding putting the mantissa at 10.
    let factor = pow(10, Double(decimals))
    if (mantissa * factor).rounded() >= 10 * factor {
        exponent += 1
        mantissa /= 10
    } else if mantissa < 1 {
        exponent -= 1
        mantissa *= 10
    }
    return (x < 0 ? "-" : "") + formatDecimal(mantissa, decimals: decimals) + "e\(exponent)"
}

/// Text columns padded to equal width, two spaces apart, one line per row.
func renderTable(_ rows: [[String]], rightAligned: [Bool]) -> String {
    let columns = rows.map(\.count).max() ?? 0
    var widths = [Int](repeating: 0, count: columns)
    for row in rows {
        for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
    }
    var out = ""
    for row in rows {
        var cells: [String] = []
        for (index, cell) in row.enumerated() {
            let padding = String(repeating: " ", count: widths[index] - cell.count)
            let right = index < rightAligned.count && rightAligned[index]
            cells.append(right ? padding + cell : cell + (index == row.count - 1 ? "" : padding))
        }
        var line = cells.joined(separator: "  ")
        while line.last == " " { line.removeLast() }
        out += line + "\n"
    }
    return out
}
