/// Settings of the L-BFGS minimizer.
///
/// Defaults follow Nocedal & Wright, *Numerical Optimization* (2nd ed., 2006): memory 10 (they recommend 3–20,
/// §7.2), sufficient-decrease constant c₁ = 1e-4 and curvature constant c₂ = 0.9 for quasi-Newton methods (§3.1).
public struct LBFGSOptions: Sendable, Equatable {
    /// Correction pairs (s, y) kept for the inverse-Hessian approximation.
    public var memory = 10
    /// Iterations (accepted steps) before giving up; the result is then the last iterate.
    public var maxIterations = 1000
    /// Stop when the largest gradient component is at most this (absolute).
    public var gradientTolerance = 1e-10
    /// Stop when one step lowers f by at most `functionTolerance · max(|f_k|, |f_k+1|)` (relative, no floor:
    /// objectives whose optimum is near 0, such as a Huber loss of residuals, keep making progress).
    ///
    /// Off (0) by default: rounding limits f to about ε|f|, so a test on f alone stops where x is still only
    /// about √(ε|f|/λ) from the minimizer (λ: the smallest curvature), far less accurate than the gradient test.
    public var functionTolerance = 0.0
    /// Stop when no component of the step exceeds `stepTolerance · max(1, ‖x‖∞)`.
    public var stepTolerance = 1e-14
    /// Objective evaluations allowed in one line search.
    public var maxLineSearchEvaluations = 30
    /// Sufficient-decrease (Armijo) constant c₁ of the strong Wolfe conditions.
    public var c1 = 1e-4
    /// Curvature constant c₂ of the strong Wolfe conditions (c₁ < c₂ < 1).
    public var c2 = 0.9

    public init() {}
}

/// Why the minimizer stopped.
public enum LBFGSStop: String, Sendable, Equatable {
    /// The gradient is below `gradientTolerance`: a stationary point.
    case gradient
    /// The last step lowered f by less than `functionTolerance` relative.
    case functionChange
    /// The last step was shorter than `stepTolerance`.
    case step
    /// `maxIterations` steps were taken.
    case maxIterations
    /// No step along the search direction lowered f (typically at the limit of floating-point precision).
    case lineSearchFailed
}

/// The minimizer's answer: the best point found and how it got there.
public struct LBFGSResult: Sendable, Equatable {
    /// The best point found.
    public var x: [Double]
    /// f(x).
    public var value: Double
    /// ∇f(x).
    public var gradient: [Double]
    /// Accepted steps.
    public var iterations: Int
    /// Objective (and gradient) evaluations, line searches included.
    public var evaluations: Int
    /// Why it stopped.
    public var stop: LBFGSStop
}

/// Minimizes a smooth function with limited-memory BFGS and a strong-Wolfe line search.
///
/// The direction comes from the two-loop recursion (Nocedal & Wright 2006, Algorithm 7.4) with the initial
/// inverse Hessian γI, γ = sᵀy / yᵀy of the newest pair (their eq. 7.20). The step length satisfies the strong
/// Wolfe conditions f(x + αp) ≤ f(x) + c₁α∇fᵀp and |∇f(x + αp)ᵀp| ≤ c₂|∇fᵀp|, found by bracketing and zooming
/// (their Algorithms 3.5 and 3.6):
/// - bracketing tries α = 1 (the first, steepest-descent step: length 1 in x) and, while f still descends,
///   extrapolates with the interpolating cubic, growing α by a factor between 2 and 10;
/// - zooming takes the minimizer of the interpolating cubic (their eq. 3.59), else of the quadratic, else the
///   midpoint; a trial within 10% of an end of the bracket is taken once and moved to 10% from that end if the
///   next one is again that close (the safeguard of M. Schmidt's minFunc, reimplemented).
///
/// A pair (s, y) is stored only when sᵀy > 0, which the Wolfe conditions guarantee up to rounding; a direction
/// that is not a descent direction resets the memory. A non-finite objective value counts as "step too long".
/// When a line search runs out of evaluations but has found a point with sufficient decrease, that point is
/// taken; when it has found none, the minimizer stops with `.lineSearchFailed` (at the best point so far).
///
/// `objective(x, &gradient)` returns f(x) and writes ∇f(x) into `gradient` (same length as x).
///
/// Example: the Rosenbrock function from (−1.2, 1) reaches (1, 1) to 1e-13 in 38 steps and 47 evaluations.
///
/// - Complexity: O(memory · n) work per iteration besides the objective evaluations.
/// - Throws: `PlanningError.invalidArgument` for an empty start, bad options, or an objective (or gradient)
///   that is not finite at the start.
public func minimizeLBFGS(
    from start: [Double],
    options: LBFGSOptions = LBFGSOptions(),
    objective: (_ x: [Double], _ gradient: inout [Double]) -> Double
) throws(PlanningError) -> LBFGSResult {
    let n = start.count
    guard n > 0 else { throw .invalidArgument("L-BFGS needs at least one variable") }
    guard options.memory > 0, options.maxIterations >= 0, options.maxLineSearchEvaluations > 0 else {
        throw .invalidArgument("L-BFGS memory, iterations and line-search evaluations must be positive")
    }
    guard options.c1 > 0, options.c1 < options.c2, options.c2 < 1 else {
        throw .invalidArgument("L-BFGS needs 0 < c1 < c2 < 1, got c1 \(options.c1), c2 \(options.c2)")
    }
    guard allFinite(start) else { throw .invalidArgument("L-BFGS start point is not finite: \(start)") }

    // Every buffer is allocated once; the loop copies element by element so that no copy-on-write is triggered.
    let memory = options.memory
    var evaluations = 0
    var trialX = start                                   // the point handed to the objective
    var trialG = [Double](repeating: 0, count: n)        // and its gradient
    func evaluateTrial() -> Double {
        evaluations += 1
        let value = objective(trialX, &trialG)
        guard trialG.count == n else {
            trialG = [Double](repeating: 0, count: n)
            return .infinity
        }
        return value.isFinite && allFinite(trialG) ? value : .infinity
    }

    evaluations = 1
    var f = objective(trialX, &trialG)
    guard trialG.count == n else {
        throw .invalidArgument("the objective must leave \(n) gradient components, it left \(trialG.count)")
    }
    guard f.isFinite, allFinite(trialG) else {
        throw .invalidArgument("objective or its gradient is not finite at the start point \(start)")
    }
    var x = [Double](repeating: 0, count: n)
    var g = [Double](repeating: 0, count: n)
    assign(&x, trialX)
    assign(&g, trialG)
    var p = [Double](repeating: 0, count: n)
    var bestX = [Double](repeating: 0, count: n)        // the lowest point with sufficient decrease in a search
    var bestG = [Double](repeating: 0, count: n)
    // Correction pairs in a ring: pair i occupies [i·n, (i + 1)·n) of sPairs and yPairs.
    var sPairs = [Double](repeating: 0, count: memory * n)
    var yPairs = [Double](repeating: 0, count: memory * n)
    var rho = [Double](repeating: 0, count: memory)
    var alphas = [Double](repeating: 0, count: memory)
    var sNew = [Double](repeating: 0, count: n)
    var yNew = [Double](repeating: 0, count: n)
    var stored = 0
    var newest = memory - 1
    var iterations = 0

    func result(_ stop: LBFGSStop) -> LBFGSResult {
        LBFGSResult(x: x, value: f, gradient: g, iterations: iterations, evaluations: evaluations, stop: stop)
    }

    /// Evaluates x + step·p into the trial buffers.
    func probe(_ step: Double) -> LinePoint {
        setAxpy(&trialX, x, step, p)
        let value = evaluateTrial()
        return LinePoint(step: step, value: value, slope: dot(trialG, p))
    }

    if maxAbs(g) <= options.gradientTolerance { return result(.gradient) }

    while iterations < options.maxIterations {
        // Two-loop recursion: p = −H∇f.
        assign(&p, g)
        if stored > 0 {
            for j in 0..<stored {
                let i = (newest - j + memory) % memory
                let a = rho[i] * dot(sPairs, offset: i * n, p)
                alphas[i] = a
                axpy(-a, yPairs, offset: i * n, &p)
            }
            let yy = dot(yPairs, offset: newest * n, yPairs, offset: newest * n, count: n)
            scale(&p, by: 1 / (rho[newest] * yy))  // γ = sᵀy / yᵀy
            for j in stride(from: stored - 1, through: 0, by: -1) {
                let i = (newest - j + memory) % memory
                let b = rho[i] * dot(yPairs, offset: i * n, p)
                axpy(alphas[i] - b, sPairs, offset: i * n, &p)
            }
        }
        scale(&p, by: -1)
        var slope = dot(g, p)
        var initialStep = 1.0
        if stored == 0 || !(slope < 0) {
            // Steepest descent (also when the memory gave no descent direction), first step of unit length in x.
            stored = 0
            assign(&p, g)
            scale(&p, by: -1)
            slope = dot(g, p)
            initialStep = 1 / norm(g)
        }
        guard slope < 0 else { return result(.gradient) }

        // Line search; on success the accepted point is in the trial buffers or in bestX / bestG.
        var bestValue = Double.infinity
        func noteSufficient(_ q: LinePoint) {
            if q.value.isFinite, q.value <= f + options.c1 * q.step * slope, q.value < f, q.value < bestValue {
                bestValue = q.value
                assign(&bestX, trialX)
                assign(&bestG, trialG)
            }
        }
        let accepted = wolfeLineSearch(f: f, slope: slope, initialStep: initialStep, options: options) { step in
            let q = probe(step)
            noteSufficient(q)
            return q
        }
        let newValue: Double
        switch accepted {
        case .lastProbe(let q):
            newValue = q.value
        case .bestSufficient:
            newValue = bestValue
            assign(&trialX, bestX)
            assign(&trialG, bestG)
        case .failed:
            return result(.lineSearchFailed)
        }
        iterations += 1

        // New pair s = x⁺ − x, y = g⁺ − g, kept when sᵀy > 0 (Nocedal & Wright §6.1).
        setDifference(&sNew, offset: 0, trialX, x)
        setDifference(&yNew, offset: 0, trialG, g)
        let sy = dot(sNew, yNew)
        let stepSize = maxAbs(sNew)
        if sy > 1e-300 {
            newest = (newest + 1) % memory  // replaces the oldest pair once the memory is full
            place(&sPairs, offset: newest * n, sNew)
            place(&yPairs, offset: newest * n, yNew)
            rho[newest] = 1 / sy
            stored = min(stored + 1, memory)
        }
        let previous = f
        assign(&x, trialX)
        assign(&g, trialG)
        f = newValue

        if maxAbs(g) <= options.gradientTolerance { return result(.gradient) }
        if previous - f <= options.functionTolerance * max(previous.magnitude, f.magnitude) {
            return result(.functionChange)
        }
        if stepSize <= options.stepTolerance * max(1, maxAbs(x)) { return result(.step) }
    }
    return result(.maxIterations)
}

/// One evaluated point of a line search: step length, value and slope along the direction.
private struct LinePoint {
    var step: Double
    var value: Double
    var slope: Double
}

/// The outcome of a line search.
private enum LineSearchOutcome {
    /// The point evaluated last satisfies the strong Wolfe conditions.
    case lastProbe(LinePoint)
    /// The budget ran out; the lowest point with sufficient decrease is taken.
    case bestSufficient
    /// No point with sufficient decrease was found.
    case failed
}

/// Finds a step satisfying the strong Wolfe conditions (Nocedal & Wright 2006, Algorithms 3.5 and 3.6).
///
/// `probe(step)` evaluates f and its slope at x + step·p (and records points with sufficient decrease).
private func wolfeLineSearch(
    f: Double, slope: Double, initialStep: Double, options: LBFGSOptions, probe: (Double) -> LinePoint
) -> LineSearchOutcome {
    let c1 = options.c1
    let c2 = options.c2
    var budget = options.maxLineSearchEvaluations
    var sufficientSeen = false

    func point(_ step: Double) -> LinePoint {
        budget -= 1
        let q = probe(step)
        if q.value.isFinite, q.value <= f + c1 * step * slope, q.value < f { sufficientSeen = true }
        return q
    }
    func armijoFails(_ q: LinePoint) -> Bool { !(q.value <= f + c1 * q.step * slope) }
    func curvatureHolds(_ q: LinePoint) -> Bool { q.value.isFinite && q.slope.magnitude <= -c2 * slope }
    func fallback() -> LineSearchOutcome { sufficientSeen ? .bestSufficient : .failed }

    /// Algorithm 3.6: shrink [lo, hi] (lo satisfies sufficient decrease and has the lowest value so far).
    func zoom(_ lowStart: LinePoint, _ highStart: LinePoint) -> LineSearchOutcome {
        var lo = lowStart
        var hi = highStart
        var nearEndBefore = false
        while budget > 0 {
            let width = hi.step - lo.step
            guard width.magnitude > 1e-16 * max(1, lo.step.magnitude) else { break }
            let left = min(lo.step, hi.step)
            let right = max(lo.step, hi.step)
            var trial = interpolate(lo, hi) ?? (lo.step + 0.5 * width)
            if !(trial > left && trial < right) { trial = lo.step + 0.5 * width }
            // A trial within 10% of an end is taken once (the interpolant is often right there); twice in a
            // row means slow progress, so it moves to 10% from that end (the safeguard of minFunc's
            // WolfeLineSearch by M. Schmidt, reimplemented here).
            let margin = 0.1 * width.magnitude
            if min(right - trial, trial - left) < margin {
                if nearEndBefore {
                    trial = trial - left < right - trial ? left + margin : right - margin
                    nearEndBefore = false
                } else {
                    nearEndBefore = true
                }
            } else {
                nearEndBefore = false
            }
            let q = point(trial)
            if armijoFails(q) || q.value >= lo.value {
                hi = q
            } else {
                if curvatureHolds(q) { return .lastProbe(q) }
                if q.slope * (hi.step - lo.step) >= 0 { hi = lo }
                lo = q
            }
        }
        return fallback()
    }

    var previous = LinePoint(step: 0, value: f, slope: slope)
    var step = initialStep
    while budget > 0 {
        let q = point(step)
        if armijoFails(q) || (previous.step > 0 && q.value >= previous.value) {
            return zoom(previous, q)
        }
        if curvatureHolds(q) { return .lastProbe(q) }
        if q.slope >= 0 { return zoom(q, previous) }
        // Still descending: extrapolate with the cubic through the last two points, growing the step by a
        // factor between 2 and 10.
        let grown = cubicMinimizer(previous, q) ?? .infinity
        step = min(max(grown, 2 * q.step), 10 * q.step)
        previous = q
    }
    return fallback()
}

/// The minimizer of the cubic through two points' values and slopes (Nocedal & Wright 2006, eq. 3.59), or of
/// the quadratic through a's value and slope and b's value when the cubic has none; nil when neither exists.
private func interpolate(_ a: LinePoint, _ b: LinePoint) -> Double? {
    if let cubic = cubicMinimizer(a, b) { return cubic }
    guard a.value.isFinite, b.value.isFinite else { return nil }
    let width = b.step - a.step
    let curvature = b.value - a.value - a.slope * width
    guard curvature > 0 else { return nil }
    let step = a.step - a.slope * width * width / (2 * curvature)
    return step.isFinite ? step : nil
}

/// Minimizer of the cubic that interpolates f and f′ at two steps (Nocedal & Wright 2006, eq. 3.59), if any.
private func cubicMinimizer(_ a: LinePoint, _ b: LinePoint) -> Double? {
    guard a.value.isFinite, b.value.isFinite, a.step != b.step else { return nil }
    let d1 = a.slope + b.slope - 3 * (a.value - b.value) / (a.step - b.step)
    let radicand = d1 * d1 - a.slope * b.slope
    guard radicand >= 0 else { return nil }
    let d2 = (b.step > a.step ? 1.0 : -1.0) * radicand.squareRoot()
    let denominator = b.slope - a.slope + 2 * d2
    guard denominator != 0 else { return nil }
    let step = b.step - (b.step - a.step) * (b.slope + d2 - d1) / denominator
    return step.isFinite ? step : nil
}

// MARK: Small vector helpers
//
// Plain `while` loops over buffer pointers with concrete Double operations: in debug builds, generic helpers
// (`abs`, `max`, `reduce`, iterators) are not specialized, and they and copy-on-write allocations dominated the
// fit's run time before these were written this way.

/// Σ a[aOffset + i]·b[bOffset + i] for i < count.
private func dot(_ a: [Double], offset aOffset: Int, _ b: [Double], offset bOffset: Int, count: Int) -> Double {
    a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
            var sum = 0.0
            var i = 0
            while i < count {
                sum += a[aOffset + i] * b[bOffset + i]
                i += 1
            }
            return sum
        }
    }
}

private func dot(_ a: [Double], _ b: [Double]) -> Double { dot(a, offset: 0, b, offset: 0, count: a.count) }

/// a[offset ..< offset + b.count] · b.
private func dot(_ a: [Double], offset: Int, _ b: [Double]) -> Double {
    dot(a, offset: offset, b, offset: 0, count: b.count)
}

/// y += a·x[offset ..< offset + y.count].
private func axpy(_ a: Double, _ x: [Double], offset: Int, _ y: inout [Double]) {
    x.withUnsafeBufferPointer { x in
        y.withUnsafeMutableBufferPointer { y in
            var i = 0
            while i < y.count {
                y[i] += a * x[offset + i]
                i += 1
            }
        }
    }
}

/// y = x + a·p.
private func setAxpy(_ y: inout [Double], _ x: [Double], _ a: Double, _ p: [Double]) {
    x.withUnsafeBufferPointer { x in
        p.withUnsafeBufferPointer { p in
            y.withUnsafeMutableBufferPointer { y in
                var i = 0
                while i < y.count {
                    y[i] = x[i] + a * p[i]
                    i += 1
                }
            }
        }
    }
}

/// target[offset ..< offset + a.count] = a − b.
private func setDifference(_ target: inout [Double], offset: Int, _ a: [Double], _ b: [Double]) {
    a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
            target.withUnsafeMutableBufferPointer { target in
                var i = 0
                while i < a.count {
                    target[offset + i] = a[i] - b[i]
                    i += 1
                }
            }
        }
    }
}

/// target[offset ..< offset + source.count] = source.
private func place(_ target: inout [Double], offset: Int, _ source: [Double]) {
    source.withUnsafeBufferPointer { source in
        target.withUnsafeMutableBufferPointer { target in
            var i = 0
            while i < source.count {
                target[offset + i] = source[i]
                i += 1
            }
        }
    }
}

/// target = source, element by element (same length), so that target keeps its own storage.
private func assign(_ target: inout [Double], _ source: [Double]) {
    source.withUnsafeBufferPointer { source in
        target.withUnsafeMutableBufferPointer { target in
            var i = 0
            while i < target.count {
                target[i] = source[i]
                i += 1
            }
        }
    }
}

private func scale(_ x: inout [Double], by a: Double) {
    x.withUnsafeMutableBufferPointer { x in
        var i = 0
        while i < x.count {
            x[i] *= a
            i += 1
        }
    }
}

private func norm(_ x: [Double]) -> Double { dot(x, x).squareRoot() }

/// The largest |x[i]| for offset ≤ i < offset + count (NaN if any is NaN).
private func maxAbs(_ x: [Double], offset: Int, count: Int) -> Double {
    x.withUnsafeBufferPointer { x in
        var largest = 0.0
        var i = offset
        while i < offset + count {
            let value = x[i].magnitude
            if value > largest || value.isNaN { largest = value }
            i += 1
        }
        return largest
    }
}

private func maxAbs(_ x: [Double]) -> Double { maxAbs(x, offset: 0, count: x.count) }

/// True when every element is finite.
private func allFinite(_ x: [Double]) -> Bool {
    x.withUnsafeBufferPointer { x in
        var i = 0
        while i < x.count {
            if !x[i].isFinite { return false }
            i += 1
        }
        return true
    }
}
