import Foundation
import CorpusCore
import Planning
import Testing

/// |a − b| ≤ tolerance · |b|.
private func close(_ a: Double, _ b: Double, relative tolerance: Double) -> Bool {
    abs(a - b) <= tolerance * abs(b)
}

/// SplitMix64 (CorpusCore's) with Box–Muller normals: the tests' own seeded noise.
private struct TestRandom {
    var generator: SplitMix64

    init(state: UInt64) { generator = SplitMix64(state: state) }

    mutating func next() -> UInt64 { generator.next() }

    /// Uniform in (0, 1).
    mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992 }

    mutating func normal() -> Double { (-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform()) }
}

/// The planted law: E 1.8, A 400, B 1200, α 0.33, β 0.30.
private let truth = ChinchillaLaw(e: 1.8, a: 400, b: 1200, alpha: 0.33, beta: 0.30)

/// 48 runs on an 8 × 6 grid, N log-spaced over [1e7, 1e10] and D over [1e9, 1e12], with multiplicative
/// log-normal noise of σ `noise`.
private func plantedRuns(noise: Double, seed: UInt64) -> [Run] {
    var random = TestRandom(state: seed)
    var runs: [Run] = []
    for i in 0..<8 {
        let n = pow(10, 7 + 3 * Double(i) / 7)
        for j in 0..<6 {
            let d = pow(10, 9 + 3 * Double(j) / 5)
            let loss = truth.loss(parameters: n, tokens: d) * exp(noise * random.normal())
            runs.append(Run(parameters: n, tokens: d, loss: loss))
        }
    }
    return runs
}

@Suite("L-BFGS")
struct LBFGSTests {
    @Test("minimizes Rosenbrock from (−1.2, 1)")
    func rosenbrock() throws {
        let result = try minimizeLBFGS(from: [-1.2, 1]) { x, g in
            let (a, b) = (x[0], x[1])
            g[0] = -2 * (1 - a) - 400 * a * (b - a * a)
            g[1] = 200 * (b - a * a)
            return (1 - a) * (1 - a) + 100 * (b - a * a) * (b - a * a)
        }
        #expect(abs(result.x[0] - 1) < 1e-6 && abs(result.x[1] - 1) < 1e-6, "\(result)")
        #expect(result.value < 1e-12)
        #expect(result.iterations < 100)
    }

    @Test("minimizes an ill-conditioned convex quadratic in 10-D")
    func quadratic() throws {
        // f = ½ xᵀQx − bᵀx, Q tridiagonal with diagonal 2 + i² (1 … 83) and off-diagonal −1: SPD by
        // diagonal dominance. b = Q·x* for a chosen x*.
        let n = 10
        let target = (0..<n).map { Double($0) - 4.5 }
        func multiply(_ x: [Double]) -> [Double] {
            (0..<n).map { i in
                var y = (2 + Double(i * i)) * x[i]
                if i > 0 { y -= x[i - 1] }
                if i < n - 1 { y -= x[i + 1] }
                return y
            }
        }
        let b = multiply(target)
        let result = try minimizeLBFGS(from: [Double](repeating: 0, count: n)) { x, g in
            let qx = multiply(x)
            var f = 0.0
            for i in 0..<n {
                g[i] = qx[i] - b[i]
                f += 0.5 * x[i] * qx[i] - b[i] * x[i]
            }
            return f
        }
        for i in 0..<n { #expect(abs(result.x[i] - target[i]) < 1e-6, "x[\(i)] = \(result.x[i])") }
        #expect(result.stop == .gradient || result.stop == .functionChange)
    }

    @Test("refuses an empty start and an objective that is not finite at the start")
    func invalid() {
        #expect(throws: PlanningError.self) { try minimizeLBFGS(from: []) { _, _ in 0 } }
        #expect(throws: PlanningError.self) { try minimizeLBFGS(from: [1]) { _, _ in .nan } }
        #expect(throws: PlanningError.self) { try minimizeLBFGS(from: [.infinity]) { x, g in g[0] = 1; return x[0] } }
    }

    @Test("a step into a region where f is infinite is shortened, not taken")
    func barrier() throws {
        // f(x) = −x + 1/(1 − x) for x < 1 and +∞ beyond: f′ = −1 + 1/(1 − x)² vanishes at x = 0.
        let result = try minimizeLBFGS(from: [-3]) { x, g in
            guard x[0] < 1 else { g[0] = 0; return .infinity }
            g[0] = -1 + 1 / ((1 - x[0]) * (1 - x[0]))
            return -x[0] + 1 / (1 - x[0])
        }
        #expect(abs(result.x[0]) < 1e-6)
    }
}

@Suite("Loss-law fit")
struct LossFitTests {
    @Test("noise-free runs recover the planted law to 1e-6 relative")
    func noiseFree() throws {
        let runs = plantedRuns(noise: 0, seed: 1)
        var options = FitOptions()
        options.bootstrap = 0
        let result = try fitLossLaw(runs, options: options)
        let fitted = result.law
        #expect(close(fitted.e, truth.e, relative: 1e-6), "E \(fitted.e)")
        #expect(close(fitted.a, truth.a, relative: 1e-6), "A \(fitted.a)")
        #expect(close(fitted.b, truth.b, relative: 1e-6), "B \(fitted.b)")
        #expect(close(fitted.alpha, truth.alpha, relative: 1e-6), "α \(fitted.alpha)")
        #expect(close(fitted.beta, truth.beta, relative: 1e-6), "β \(fitted.beta)")
        #expect(result.objective < 1e-12)
        #expect(result.intervals.isEmpty)
        #expect(result.runs == 48)
    }

    @Test("noisy runs (σ 0.002): estimates within a few percent, intervals contain the truth")
    func noisy() throws {
        let runs = plantedRuns(noise: 0.002, seed: 42)
        let clock = ContinuousClock()
        let start = clock.now
        let result = try fitLossLaw(runs)  // default: full grid, 100 bootstrap resamples, seed 0
        print("fit of \(runs.count) runs with \(result.bootstrapResamples) bootstrap refits: \(clock.now - start)")
        let fitted = result.law
        #expect(close(fitted.e, truth.e, relative: 0.03), "E \(fitted.e)")
        #expect(close(fitted.alpha, truth.alpha, relative: 0.05), "α \(fitted.alpha)")
        #expect(close(fitted.beta, truth.beta, relative: 0.05), "β \(fitted.beta)")
        for run in runs {
            let predicted = fitted.loss(parameters: run.parameters, tokens: run.tokens)
            let exact = truth.loss(parameters: run.parameters, tokens: run.tokens)
            #expect(close(predicted, exact, relative: 0.003), "N \(run.parameters), D \(run.tokens)")
            #expect(close(predicted, run.loss, relative: 0.01))
        }
        #expect(result.bootstrapResamples == 100)
        #expect(Set(result.intervals.keys) == ["E", "A", "B", "alpha", "beta"])
        let alpha = try #require(result.intervals["alpha"])
        let beta = try #require(result.intervals["beta"])
        #expect(alpha.contains(truth.alpha), "α interval \(alpha)")
        #expect(beta.contains(truth.beta), "β interval \(beta)")
        #expect(alpha.contains(fitted.alpha) && beta.contains(fitted.beta))
        let e = try #require(result.intervals["E"])
        #expect(e.upperBound - e.lowerBound < 0.2 && e.upperBound - e.lowerBound > 0)

        let text = result.render()
        #expect(text.contains("48 runs") && text.contains("95% interval") && text.contains("alpha"))
        #expect(text.contains("100 of 100 resamples"))
    }

    @Test("the bootstrap is deterministic for a seed and changes with it")
    func deterministic() throws {
        let runs = plantedRuns(noise: 0.002, seed: 7)
        var options = FitOptions()
        options.grid = .coarse
        options.bootstrap = 12
        options.seed = 3
        let first = try fitLossLaw(runs, options: options)
        let second = try fitLossLaw(runs, options: options)
        #expect(first.intervals == second.intervals)
        #expect(first.law == second.law)
        options.seed = 4
        let other = try fitLossLaw(runs, options: options)
        #expect(other.law == first.law)
        #expect(other.intervals != first.intervals)
    }

    @Test("too few runs, bad values and bad options are invalid arguments")
    func invalid() {
        let runs = plantedRuns(noise: 0, seed: 1)
        #expect(throws: PlanningError.invalidArgument("fitting 5 parameters needs at least 5 runs, got 4")) {
            try fitLossLaw(Array(runs.prefix(4)))
        }
        var broken = runs
        broken[3].loss = -1
        #expect(throws: PlanningError.self) { try fitLossLaw(broken) }
        var options = FitOptions()
        options.confidence = 1
        #expect(throws: PlanningError.self) { try fitLossLaw(runs, options: options) }
    }
}

@Suite("Runs CSV")
struct ParseRunsTests {
    @Test("header variants, any column order, extra columns", arguments: [
        "N,D,loss\n1e8,2e9,3.1\n",
        "params,tokens,loss\n100000000,2000000000,3.1",
        "Parameters , Tokens , LOSS\n 1e8 , 2e9 , 3.1 \n",
        "name,loss,tokens,parameters,lr\nrun-a,3.1,2e9,1e8,3e-4\n",
        "\"n\",\"d\",\"loss\"\r\n\"1e8\",\"2e9\",\"3.1\"\r\n",
    ])
    func headers(csv: String) throws {
        #expect(try parseRuns(csv: csv) == [Run(parameters: 1e8, tokens: 2e9, loss: 3.1)])
    }

    @Test("comments and blank lines are skipped")
    func comments() throws {
        let csv = """
            # my sweep
            N,D,loss

            7e7,1.4e9,3.25
            # a comment between runs
            1.6e8,3.2e9,2.98

            """
        #expect(try parseRuns(csv: csv) == [
            Run(parameters: 7e7, tokens: 1.4e9, loss: 3.25), Run(parameters: 1.6e8, tokens: 3.2e9, loss: 2.98),
        ])
    }

    @Test("a bad number names its line")
    func badNumber() {
        let csv = "# sweep\nN,D,loss\n1e8,2e9,3.1\n\n2e8,4e9,abc\n"
        #expect(throws: PlanningError.badRuns(line: 5, message: "the loss 'abc' is not a positive number")) {
            try parseRuns(csv: csv)
        }
        #expect { try parseRuns(csv: "N,D,loss\n1e8,-2e9,3.1\n") } throws: { error in
            guard case .badRuns(let line, let message) = error as? PlanningError else { return false }
            return line == 2 && message.contains("tokens") && message.contains("-2e9")
        }
        #expect { try parseRuns(csv: "N,D,loss\n1e8,2e9,inf\n") } throws: { error in
            guard case .badRuns(2, _) = error as? PlanningError else { return false }
            return true
        }
    }

    @Test("a missing column is named, with the header's line")
    func missingColumn() {
        #expect { try parseRuns(csv: "\n# runs\nN,tokens,lr\n1e8,2e9,3e-4\n") } throws: { error in
            guard case .badRuns(let line, let message) = error as? PlanningError else { return false }
            return line == 3 && message.contains("missing a column for the loss") && message.contains("'lr'")
        }
        #expect { try parseRuns(csv: "N,params,D,loss\n1,2,3,4\n") } throws: { error in
            guard case .badRuns(1, let message) = error as? PlanningError else { return false }
            return message.contains("'N' and 'params'")
        }
    }

    @Test("wrong field counts, no header and no runs are errors")
    func structure() {
        #expect(throws: PlanningError.badRuns(line: 3, message: "expected 3 fields as in the header, found 2")) {
            try parseRuns(csv: "N,D,loss\n1e8,2e9,3\n1e8,2e9\n")
        }
        #expect(throws: PlanningError.self) { try parseRuns(csv: "") }
        #expect(throws: PlanningError.self) { try parseRuns(csv: "# nothing\n\n") }
        #expect(throws: PlanningError.badRuns(line: 2, message: "no runs after the header")) {
            try parseRuns(csv: "# only a header\nN,D,loss\n")
        }
    }

    @Test("error messages say what and where")
    func descriptions() {
        #expect(PlanningError.badRuns(line: 4, message: "x").description == "runs CSV, line 4: x")
        #expect(PlanningError.invalidArgument("y").description == "invalid argument: y")
    }
}
