import Foundation
import Planning
import ReferenceSupport
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

// MARK: - Helpers

/// Whether two multipliers agree: relative error ≤ 1e-12, or absolute ≤ 1e-15 near 0.
private func close(_ a: Double, _ b: Double) -> Bool {
    let difference = abs(a - b)
    return difference <= 1e-15 || difference <= 1e-12 * max(abs(a), abs(b))
}

private let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A keyword argument for the reference script (JSON int, float or string).
private enum Argument: Encodable {
    case int(Int), double(Double), string(String)

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        }
    }
}

private struct ReferenceRequest: Encodable {
    var id: String
    var function: String
    var kwargs: [String: Argument]
    var steps: Int
    var base_lr: Double
}

private struct ReferenceOutput: Decodable {
    struct Result: Decodable {
        var id: String
        var multipliers: [Double]
        var lrs: [Double]
    }
    var transformers_version: String
    var results: [Result]
}

/// One schedule and the transformers function (with its keyword arguments) that should give the same values.
private struct ReferenceCase {
    var id: String
    var schedule: Schedule
    var function: String
    var kwargs: [String: Argument]
    /// Steps compared: every step of the run and 5 past its end.
    var steps: Int { schedule.totalSteps + 5 }
}

private func shapeName(_ shape: DecayShape) -> Argument { .string(shape.rawValue) }

/// Every case compared against transformers (see `ScheduleReferenceTests`).
private func referenceCases() throws -> [ReferenceCase] {
    let peak = 3e-4
    var cases: [ReferenceCase] = []
    // get_cosine_schedule_with_warmup: warmup 0, total 1, warmup = total, num_cycles 0.5 and 1.5.
    for (warmup, total, cycles) in [
        (0, 1, 0.5), (1, 1, 0.5), (0, 100, 0.5), (10, 100, 0.5), (100, 1000, 0.5), (1000, 1000, 0.5),
        (7, 333, 1.5), (3, 10, 1.5), (2000, 20000, 0.5),
    ] {
        let schedule = try Schedule(
            kind: .cosine, totalSteps: total, warmupSteps: warmup, peak: peak, minRatio: 0, numCycles: cycles)
        cases.append(ReferenceCase(
            id: "cosine-\(warmup)-\(total)-\(cycles)", schedule: schedule, function: "get_cosine_schedule_with_warmup",
            kwargs: [
                "num_warmup_steps": .int(warmup), "num_training_steps": .int(total), "num_cycles": .double(cycles),
            ]))
    }
    // get_cosine_with_min_lr_schedule_with_warmup(min_lr_rate=…).
    for (warmup, total, cycles, ratio) in [
        (100, 1000, 0.5, 0.1), (0, 500, 0.5, 0.05), (10, 200, 1.5, 0.1), (5, 64, 0.5, 1.0), (0, 1, 0.5, 0.1),
    ] {
        let schedule = try Schedule(
            kind: .cosine, totalSteps: total, warmupSteps: warmup, peak: peak, minRatio: ratio, numCycles: cycles)
        cases.append(ReferenceCase(
            id: "cosine-min-\(warmup)-\(total)-\(cycles)-\(ratio)", schedule: schedule,
            function: "get_cosine_with_min_lr_schedule_with_warmup",
            kwargs: [
                "num_warmup_steps": .int(warmup), "num_training_steps": .int(total), "num_cycles": .double(cycles),
                "min_lr_rate": .double(ratio),
            ]))
    }
    // get_linear_schedule_with_warmup.
    for (warmup, total) in [(0, 1), (1, 1), (10, 100), (100, 1000), (50, 50), (0, 777)] {
        let schedule = try Schedule(kind: .linear, totalSteps: total, warmupSteps: warmup, peak: peak)
        cases.append(ReferenceCase(
            id: "linear-\(warmup)-\(total)", schedule: schedule, function: "get_linear_schedule_with_warmup",
            kwargs: ["num_warmup_steps": .int(warmup), "num_training_steps": .int(total)]))
    }
    // Linear to a floor = get_polynomial_decay_schedule_with_warmup(power=1, lr_end=min ratio × peak).
    for (warmup, total, ratio) in [(10, 100, 0.1), (0, 300, 0.2), (100, 1000, 0.05)] {
        let schedule = try Schedule(kind: .linear, totalSteps: total, warmupSteps: warmup, peak: peak, minRatio: ratio)
        cases.append(ReferenceCase(
            id: "linear-min-\(warmup)-\(total)-\(ratio)", schedule: schedule,
            function: "get_polynomial_decay_schedule_with_warmup",
            kwargs: [
                "num_warmup_steps": .int(warmup), "num_training_steps": .int(total), "power": .double(1.0),
                "lr_end": .double(ratio * peak),
            ]))
    }
    // get_constant_schedule_with_warmup.
    for (warmup, total) in [(0, 10), (5, 50), (100, 1000), (1, 1)] {
        let schedule = try Schedule(kind: .constant, totalSteps: total, warmupSteps: warmup, peak: peak)
        cases.append(ReferenceCase(
            id: "constant-\(warmup)-\(total)", schedule: schedule, function: "get_constant_schedule_with_warmup",
            kwargs: ["num_warmup_steps": .int(warmup)]))
    }
    // get_inverse_sqrt_schedule, with HF's default timescale (warmup, or 10 000 without warmup) and explicit ones.
    for (warmup, timescale, total) in [(100, nil, 1000), (0, nil, 500), (10, 50, 300), (0, 7, 100), (200, 100, 1000)]
        as [(Int, Int?, Int)]
    {
        let schedule = try Schedule(
            kind: .inverseSqrt(timescale: timescale), totalSteps: total, warmupSteps: warmup, peak: peak)
        var kwargs: [String: Argument] = ["num_warmup_steps": .int(warmup)]
        if let timescale { kwargs["timescale"] = .int(timescale) }
        cases.append(ReferenceCase(
            id: "inverse-sqrt-\(warmup)-\(timescale.map(String.init) ?? "default")-\(total)", schedule: schedule,
            function: "get_inverse_sqrt_schedule", kwargs: kwargs))
    }
    // get_wsd_schedule: every warmup × decay shape with min ratio 0 and 0.1, stable 0, warmup 0, decay 0,
    // 1.5 cosine cycles, and one long run.
    let hfShapes: [DecayShape] = [.linear, .cosine, .oneMinusSqrt]
    var wsd: [(warmup: Int, decay: Int, total: Int, warmupShape: DecayShape, shape: DecayShape, ratio: Double,
        cycles: Double)] = []
    for warmupShape in hfShapes {
        for shape in hfShapes {
            for ratio in [0.0, 0.1] { wsd.append((10, 20, 100, warmupShape, shape, ratio, 0.5)) }
        }
    }
    for shape in hfShapes { wsd.append((10, 90, 100, .cosine, shape, 0.1, 0.5)) }  // stable 0
    wsd.append((0, 50, 50, .linear, .cosine, 0, 0.5))  // warmup 0 and stable 0
    wsd.append((0, 30, 120, .linear, .oneMinusSqrt, 0.1, 0.5))
    wsd.append((10, 0, 60, .oneMinusSqrt, .linear, 0.1, 0.5))  // decay 0
    wsd.append((20, 60, 200, .cosine, .cosine, 0.1, 1.5))
    wsd.append((1000, 10000, 100_000, .linear, .oneMinusSqrt, 0.1, 0.5))
    for c in wsd {
        let schedule = try Schedule(
            kind: .wsd(decaySteps: c.decay, shape: c.shape), totalSteps: c.total, warmupSteps: c.warmup, peak: peak,
            minRatio: c.ratio, numCycles: c.cycles, warmupShape: c.warmupShape)
        cases.append(ReferenceCase(
            id: "wsd-\(c.warmup)-\(c.decay)-\(c.total)-\(c.warmupShape.rawValue)-\(c.shape.rawValue)-\(c.ratio)"
                + "-\(c.cycles)",
            schedule: schedule, function: "get_wsd_schedule",
            kwargs: [
                "num_warmup_steps": .int(c.warmup), "num_decay_steps": .int(c.decay),
                "num_training_steps": .int(c.total), "warmup_type": shapeName(c.warmupShape),
                "decay_type": shapeName(c.shape), "min_lr_ratio": .double(c.ratio), "num_cycles": .double(c.cycles),
            ]))
    }
    return cases
}

/// The reference venv's python (ReferenceSupport).
private func referencePython() -> (path: String?, looked: String) { Reference.python() }

/// Runs scripts/hf_schedules.py once with every request on stdin.
private func runReference(python: String, requests: [ReferenceRequest]) throws -> ReferenceOutput {
    try Reference.ask("hf_schedules.py", requests, as: ReferenceOutput.self, python: python)
}

// MARK: - Against Hugging Face transformers

/// Every step of every case against transformers 5.23.0's own lambdas (scripts/hf_schedules.py).
///
/// 58 cases, 134 420 steps compared (each run's steps and 5 past its end), both the multiplier and
/// the learning rate (LambdaLR's base_lr × lambda): cosine ×9, cosine with min_lr_rate ×5, linear ×6, linear with
/// a floor vs polynomial(power=1) ×3, constant with warmup ×4, inverse sqrt ×5, WSD ×26.
@Suite struct ScheduleReferenceTests {
    @Test func everyStepMatchesTransformers() throws {
        let (found, looked) = referencePython()
        guard let python = found else {
            Issue.record(
                "reference venv missing: run ./scripts/test.sh (or scripts/reference-venv.sh); no python at \(looked)")
            return
        }
        let cases = try referenceCases()
        let requests = cases.map {
            ReferenceRequest(
                id: $0.id, function: $0.function, kwargs: $0.kwargs, steps: $0.steps, base_lr: $0.schedule.peak)
        }
        let output = try runReference(python: python, requests: requests)
        #expect(output.transformers_version == "5.23.0")
        try #require(output.results.count == cases.count)
        var compared = 0
        for (reference, result) in zip(cases, output.results) {
            #expect(result.id == reference.id)
            try #require(result.multipliers.count == reference.steps, "\(reference.id)")
            try #require(result.lrs.count == reference.steps, "\(reference.id)")
            var mismatches = 0
            for step in 0..<reference.steps {
                let multiplier = reference.schedule.multiplier(at: step)
                let rate = reference.schedule.learningRate(at: step)
                if !close(multiplier, result.multipliers[step]) || !close(rate, result.lrs[step]) {
                    mismatches += 1
                    if mismatches <= 3 {
                        let message = "\(reference.id) step \(step): multiplier \(multiplier) vs HF "
                            + "\(result.multipliers[step]), lr \(rate) vs HF \(result.lrs[step])"
                        Issue.record(Comment(rawValue: message))
                    }
                }
                compared += 1
            }
            #expect(mismatches == 0, "\(reference.id): \(mismatches) steps differ")
        }
        #expect(cases.count == 58)
        #expect(compared == 134_420)
    }
}

// MARK: - Hand-checked values

@Suite struct ScheduleFormulaTests {
    /// SPECS: η = η_max·t/T_w for t < T_w, then η_min + (η_max − η_min)/2·(1 + cos(π(t − T_w)/(T − T_w))).
    @Test func warmupCosineFollowsTheSpecFormula() throws {
        let peak = 3e-4, floor = 3e-5, total = 1000, warmup = 100
        let schedule = try Schedule(kind: .cosine, totalSteps: total, warmupSteps: warmup, peak: peak, minRatio: 0.1)
        for t in [0, 1, 50, 99, 100, 101, 300, 550, 800, 999] {
            let expected = t < warmup
                ? peak * Double(t) / Double(warmup)
                : floor + (peak - floor) / 2 * (1 + cos(Double.pi * Double(t - warmup) / Double(total - warmup)))
            #expect(close(schedule.learningRate(at: t), expected), "step \(t)")
        }
        #expect(close(schedule.learningRate(at: 550), (peak + floor) / 2))
        #expect(schedule.learningRate(at: 0) == 0)
        #expect(schedule.learningRate(at: 100) == peak)
        #expect(schedule.values().count == total)
    }

    /// WSD with exponential decay: m^p over the decay, i.e. halving every D·ln 2/ln(1/m) steps.
    @Test func exponentialWSDDecaysGeometricallyToTheFloor() throws {
        let schedule = try Schedule(
            kind: .wsd(decaySteps: 100, shape: .exponential), totalSteps: 1000, warmupSteps: 10, peak: 1e-3,
            minRatio: 0.1)
        #expect(schedule.multiplier(at: 0) == 0.1)  // warm-up from min ratio, as HF's WSD
        #expect(close(schedule.multiplier(at: 5), 0.55))
        #expect(schedule.multiplier(at: 10) == 1)
        #expect(schedule.multiplier(at: 899) == 1)
        #expect(schedule.multiplier(at: 900) == 1)
        #expect(close(schedule.multiplier(at: 950), 0.1.squareRoot()))
        #expect(close(schedule.multiplier(at: 925), pow(0.1, 0.25)))
        #expect(close(schedule.multiplier(at: 999), pow(0.1, 0.99)))
        #expect(schedule.multiplier(at: 1000) == 0.1)
        #expect(schedule.multiplier(at: 5000) == 0.1)
        let halfLife = 100 * Foundation.log(2.0) / Foundation.log(10.0)  // ≈ 30.1 steps
        #expect(close(schedule.multiplier(at: 930) / schedule.multiplier(at: 900), pow(0.5, 30 / halfLife)))
        let decay = (900..<1000).map { schedule.multiplier(at: $0) }
        #expect(zip(decay, decay.dropFirst()).allSatisfy { $0 > $1 })
        #expect(schedule.phases().map(\.phase) == [.warmup, .stable, .decay])
    }

    /// Infinite schedule: warm-up, cosine cool-down to the constant, constant, linear anneal; no jumps.
    @Test func infiniteSchedulePhasesAndContinuity() throws {
        let schedule = try Schedule(
            kind: .infinite(cooldownSteps: 190, constantRatio: 0.5, annealSteps: 100), totalSteps: 1000,
            warmupSteps: 10, peak: 1e-3, minRatio: 0.1)
        #expect(schedule.phases() == [
            PhaseSpan(phase: .warmup, start: 0, end: 10), PhaseSpan(phase: .cooldown, start: 10, end: 200),
            PhaseSpan(phase: .constant, start: 200, end: 900), PhaseSpan(phase: .anneal, start: 900, end: 1000),
        ])
        #expect(schedule.multiplier(at: 0) == 0)
        #expect(close(schedule.multiplier(at: 5), 0.5))
        #expect(schedule.multiplier(at: 10) == 1)
        #expect(close(schedule.multiplier(at: 105), 0.75))  // half-way down the cosine: c + (1 − c)/2
        #expect((200..<900).allSatisfy { schedule.multiplier(at: $0) == 0.5 })
        #expect(close(schedule.multiplier(at: 950), 0.3))  // half-way through the anneal from 0.5 to 0.1
        #expect(schedule.multiplier(at: 1000) == 0.1)
        #expect(schedule.phase(at: 150) == .cooldown)
        #expect(schedule.phase(at: 1000) == .done)
        let after = (10...1000).map { schedule.multiplier(at: $0) }
        let steps = zip(after, after.dropFirst()).map { $0 - $1 }
        #expect(steps.allSatisfy { $0 >= 0 })  // never rises after the warm-up
        // Largest step: the cool-down's steepest (π/2 · (1 − c)/C ≈ 0.0041) or the anneal's (c − m)/A = 0.004.
        #expect((steps.max() ?? 1) < 0.0045)
    }

    /// Re-warm: a fresh schedule whose warm-up goes from 0 to the peak over share × steps.
    @Test func rewarmGoesFromZeroToThePeakOverTheShare() throws {
        let rewarmed = try Schedule(
            kind: .cosine, totalSteps: 1000, warmupSteps: 0, peak: 1e-4, minRatio: 0.1,
            continuation: .rewarm(share: 0.01))
        #expect(rewarmed.warmupSteps == 10)
        #expect(rewarmed.learningRate(at: 0) == 0)
        #expect(close(rewarmed.learningRate(at: 5), 0.5e-4))
        #expect(rewarmed.learningRate(at: 10) == 1e-4)
        let warm = (0...10).map { rewarmed.learningRate(at: $0) }
        #expect(zip(warm, warm.dropFirst()).allSatisfy { $0 < $1 })
        #expect(close(rewarmed.learningRate(at: 999), 1e-5 + 0.9e-4 / 2 * (1 + cos(Double.pi * 989 / 990))))
        let fresh = try Schedule(kind: .cosine, totalSteps: 1000, warmupSteps: 10, peak: 1e-4, minRatio: 0.1)
        #expect(rewarmed.values() == fresh.values())
        // Rounding: half away from zero, at least one step.
        #expect(Schedule.rewarmSteps(share: 0.015, totalSteps: 100) == 2)
        #expect(Schedule.rewarmSteps(share: 0.0001, totalSteps: 100) == 1)
    }

    /// Resume at step k: no re-warm; the run's step s is the original schedule's step s + k.
    @Test func resumeContinuesTheOriginalSchedule() throws {
        let original = try Schedule(
            kind: .wsd(decaySteps: 100, shape: .cosine), totalSteps: 1000, warmupSteps: 50, peak: 2e-4, minRatio: 0.1)
        for k in [0, 20, 300, 950, 999] {
            var resumed = original
            resumed.continuation = .resume(fromStep: k)
            try resumed.validate()
            #expect(resumed.runSteps == 1000 - k)
            let values = resumed.values()
            #expect(values.count == 1000 - k)
            #expect(values == Array(original.values()[k...]), "resume at \(k)")
            #expect(resumed.learningRate(at: 0) == original.learningRate(at: k))
        }
        let resumed = try Schedule(
            kind: .wsd(decaySteps: 100, shape: .cosine), totalSteps: 1000, warmupSteps: 50, peak: 2e-4, minRatio: 0.1,
            continuation: .resume(fromStep: 20))
        #expect(resumed.phases() == [
            PhaseSpan(phase: .warmup, start: 0, end: 30), PhaseSpan(phase: .stable, start: 30, end: 880),
            PhaseSpan(phase: .decay, start: 880, end: 980),
        ])
        #expect(resumed.learningRate(at: 0) > 0)  // restored mid-warm-up, not re-warmed from 0
    }

    /// MeCo: metadata for the first 90%; the switch is round(0.9 × total), halves away from zero.
    @Test func mecoSwitchIsNinetyPercentRounded() throws {
        #expect(try MeCoSwitch(totalSteps: 1000).step == 900)
        #expect(try MeCoSwitch(totalSteps: 12345).step == 11111)  // 11110.5 rounds up
        #expect(try MeCoSwitch(totalSteps: 10).step == 9)
        #expect(try MeCoSwitch(totalSteps: 1).step == 1)  // round(0.9): a 1-step run keeps its metadata
        #expect(try MeCoSwitch(totalSteps: 1000, cooldownShare: 0.25).step == 750)
        let meco = try MeCoSwitch(totalSteps: 1000, tokensPerStep: 4_194_304)
        #expect(meco.tokens == 900 * 4_194_304)
        #expect(meco.hasMetadata(at: 899))
        #expect(!meco.hasMetadata(at: 900))
    }
}

// MARK: - Bad input

@Suite struct ScheduleValidationTests {
    @Test func badSettingsThrowClearErrors() {
        #expect(throws: ScheduleError.invalid("warmup (2000 steps) is longer than the run (1000 steps)")) {
            try Schedule(kind: .cosine, totalSteps: 1000, warmupSteps: 2000, peak: 1e-3)
        }
        #expect(throws: ScheduleError.invalid("peak learning rate must be positive (got 0.0)")) {
            try Schedule(kind: .cosine, totalSteps: 1000, warmupSteps: 10, peak: 0)
        }
        #expect(throws: ScheduleError.invalid("peak learning rate must be positive (got -0.001)")) {
            try Schedule(kind: .linear, totalSteps: 1000, warmupSteps: 10, peak: -1e-3)
        }
        #expect(throws: ScheduleError.invalid("min ratio must be within 0…1 (got 1.5)")) {
            try Schedule(kind: .cosine, totalSteps: 1000, warmupSteps: 10, peak: 1e-3, minRatio: 1.5)
        }
        #expect(throws: ScheduleError.invalid("min ratio must be within 0…1 (got -0.1)")) {
            try Schedule(kind: .cosine, totalSteps: 1000, warmupSteps: 10, peak: 1e-3, minRatio: -0.1)
        }
        #expect(throws: ScheduleError.invalid("decay (2000 steps) is longer than the run (1000 steps)")) {
            try Schedule(kind: .wsd(decaySteps: 2000, shape: .linear), totalSteps: 1000, warmupSteps: 10, peak: 1e-3)
        }
        #expect(
            throws: ScheduleError.invalid(
                "warmup (500 steps) plus decay (600 steps) is longer than the run (1000 steps)")
        ) {
            try Schedule(kind: .wsd(decaySteps: 600, shape: .cosine), totalSteps: 1000, warmupSteps: 500, peak: 1e-3)
        }
        for share in [0.0, 1.0, 1.5, -0.1] {
            #expect(
                throws: ScheduleError.invalid(
                    "re-warm share must be within (0, 1), e.g. 0.01 for 1% of the steps (got \(share))")
            ) {
                try Schedule(
                    kind: .cosine, totalSteps: 1000, warmupSteps: 0, peak: 1e-3, continuation: .rewarm(share: share))
            }
        }
        for total in [0, -5] {
            #expect(throws: ScheduleError.invalid("the run needs at least 1 step (got \(total))")) {
                try Schedule(kind: .cosine, totalSteps: total, warmupSteps: 0, peak: 1e-3)
            }
        }
        #expect(
            throws: ScheduleError.invalid(
                "exponential decay needs a min ratio above 0 (it decays geometrically to min ratio × peak)")
        ) {
            try Schedule(kind: .wsd(decaySteps: 100, shape: .exponential), totalSteps: 1000, warmupSteps: 0, peak: 1)
        }
        #expect(throws: ScheduleError.invalid("resume step (1000) must be before the end of the run (1000 steps)")) {
            try Schedule(
                kind: .cosine, totalSteps: 1000, warmupSteps: 0, peak: 1e-3, continuation: .resume(fromStep: 1000))
        }
        #expect(throws: ScheduleError.invalid("inverse-sqrt timescale must be positive (got 0)")) {
            try Schedule(kind: .inverseSqrt(timescale: 0), totalSteps: 1000, warmupSteps: 0, peak: 1e-3)
        }
        #expect(
            throws: ScheduleError.invalid("warmup shape cosine applies to WSD only; other schedules warm up linearly")
        ) {
            try Schedule(kind: .cosine, totalSteps: 1000, warmupSteps: 10, peak: 1e-3, warmupShape: .cosine)
        }
        #expect(
            throws: ScheduleError.invalid(
                "warmup (10) + cooldown (600) + anneal (500) steps are longer than the run (1000 steps)")
        ) {
            try Schedule(
                kind: .infinite(cooldownSteps: 600, constantRatio: 0.5, annealSteps: 500), totalSteps: 1000,
                warmupSteps: 10, peak: 1e-3)
        }
        #expect(throws: ScheduleError.invalid("constant ratio must be within min ratio…1 (0.2…1, got 0.1)")) {
            try Schedule(
                kind: .infinite(cooldownSteps: 100, constantRatio: 0.1, annealSteps: 100), totalSteps: 1000,
                warmupSteps: 10, peak: 1e-3, minRatio: 0.2)
        }
        #expect(throws: ScheduleError.invalid("MeCo cool-down share must be within (0, 1), e.g. 0.1 (got 1.0)")) {
            try MeCoSwitch(totalSteps: 1000, cooldownShare: 1)
        }
        #expect(throws: ScheduleError.invalid("the run needs at least 1 step (got 0)")) {
            try MeCoSwitch(totalSteps: 0)
        }
        let error = ScheduleError.invalid("min ratio must be within 0…1 (got 2.0)")
        #expect("\(error)" == "min ratio must be within 0…1 (got 2.0)")
    }
}

// MARK: - Outputs

/// Collects what the SVG tests look at while XMLParser walks the document.
private final class SVGCollector: NSObject, XMLParserDelegate {
    var root: String?
    var rootAttributes: [String: String] = [:]
    var polylinePoints: [String] = []
    var dashedPhaseLines = 0
    var mecoGroups = 0
    var texts: [String] = []
    private var text = ""

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        if root == nil {
            root = elementName
            rootAttributes = attributes
        }
        if elementName == "polyline", attributes["class"] == "lr" {
            polylinePoints = (attributes["points"] ?? "").split(separator: " ").map(String.init)
        }
        if elementName == "line", attributes["stroke-dasharray"] == "4 3" { dashedPhaseLines += 1 }
        if elementName == "g", attributes["class"] == "meco" { mecoGroups += 1 }
        text = ""
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        text += string
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        if elementName == "text" { texts.append(text) }
    }
}

@Suite struct ScheduleOutputTests {
    private func wsd(total: Int) throws -> Schedule {
        try Schedule(
            kind: .wsd(decaySteps: total / 10, shape: .oneMinusSqrt), totalSteps: total, warmupSteps: total / 100,
            peak: 3e-4, minRatio: 0.1)
    }

    private func parse(_ svg: String) -> (ok: Bool, collector: SVGCollector) {
        let parser = XMLParser(data: Data(svg.utf8))
        let collector = SVGCollector()
        parser.delegate = collector
        return (parser.parse(), collector)
    }

    @Test func csvHasOneLinePerStep() throws {
        let schedule = try wsd(total: 1000)
        let meco = try MeCoSwitch(totalSteps: 1000)
        let lines = scheduleCSV(schedule, meco: meco).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.last == "")  // ends with a newline
        let rows = lines.dropLast()
        #expect(rows.count == 1001)
        #expect(rows.first == "step,lr,multiplier,phase,metadata")
        #expect(rows[1] == "0,\(3e-4 * 0.1),0.1,warmup,1")
        #expect(rows[1 + 10] == "10,0.0003,1.0,stable,1")
        #expect(rows[1 + 899].hasSuffix(",stable,1"))
        #expect(rows[1 + 900] == "900,0.0003,1.0,decay,0")
        let plain = scheduleCSV(schedule, meco: nil).split(separator: "\n")
        #expect(plain.count == 1001)
        #expect(plain.first == "step,lr,multiplier,phase")
        for row in plain.dropFirst() {
            let fields = row.split(separator: ",")
            let step = Int(fields[0]) ?? -1
            #expect(Double(fields[1]) == schedule.learningRate(at: step))
        }
    }

    @Test func svgIsWellFormedWithTheCurveAndMarks() throws {
        let schedule = try wsd(total: 1000)
        let (ok, svg) = parse(scheduleSVG(schedule, meco: try MeCoSwitch(totalSteps: 1000)))
        #expect(ok)
        #expect(svg.root == "svg")
        #expect(svg.rootAttributes["xmlns"] == "http://www.w3.org/2000/svg")
        #expect(svg.polylinePoints.count == 1000)
        #expect(svg.dashedPhaseLines == 2)  // warmup | stable | decay
        #expect(svg.mecoGroups == 1)
        #expect(svg.texts.contains("step"))
        #expect(svg.texts.contains("learning rate"))
        #expect(svg.texts.contains("MeCo: metadata off from step 900"))
        #expect(svg.texts.contains("stable"))
        // Every point lies inside the 800 × 360 canvas.
        for point in svg.polylinePoints {
            let xy = point.split(separator: ",").compactMap { Double($0) }
            #expect(xy.count == 2 && xy[0] >= 0 && xy[0] <= 800 && xy[1] >= 0 && xy[1] <= 360, "\(point)")
        }
    }

    @Test(arguments: [(1, 1), (1999, 1999), (2000, 2000), (2001, 2000), (123_457, 2000)])
    func svgDownsamplesToAtMost2000Points(total: Int, points: Int) throws {
        let schedule = try Schedule(kind: .cosine, totalSteps: total, warmupSteps: 0, peak: 1e-3, minRatio: 0.1)
        let (ok, svg) = parse(scheduleSVG(schedule, meco: nil, width: 640, height: 300))
        #expect(ok)
        #expect(svg.polylinePoints.count == points)
        #expect(svg.mecoGroups == 0)
    }

    @Test func jsonHoldsSettingsPhasesAndValues() throws {
        struct Document: Decodable {
            var settings: ScheduleSettings
            var phases: [PhaseSpan]
            var values: [Double]
        }
        let schedule = try wsd(total: 500)
        let meco = try MeCoSwitch(totalSteps: 500, tokensPerStep: 1024)
        let text = try scheduleJSON(schedule, meco: meco)
        // JSONDecoder reads doubles exactly (swift-corelibs' JSONSerialization may be off by an ulp).
        let document = try JSONDecoder().decode(Document.self, from: Data(text.utf8))
        #expect(document.settings == ScheduleSettings(schedule, meco: meco))
        #expect(document.settings.kind == "wsd")
        #expect(document.settings.decayShape == "1-sqrt")
        #expect(document.settings.decaySteps == 50)
        #expect(document.settings.mecoSwitchStep == 450)
        #expect(document.settings.mecoTokens == 450 * 1024)
        #expect(document.settings.timescale == nil)
        #expect(document.values == schedule.values())
        #expect(document.phases == schedule.phases())
        #expect(text.contains("\"decay_shape\" : \"1-sqrt\""))
        #expect(!text.contains("\"timescale\""))
    }

    @Test func trainerSettingsNameTheSameSchedule() throws {
        let cosine = try Schedule(kind: .cosine, totalSteps: 10000, warmupSteps: 100, peak: 3e-5, minRatio: 0.1)
        let text = trainerSettings(cosine, meco: try MeCoSwitch(totalSteps: 10000))
        #expect(text.contains("lr_scheduler_type=\"cosine_with_min_lr\""))
        #expect(text.contains("lr_scheduler_kwargs={\"min_lr_rate\": 0.1, \"num_cycles\": 0.5}"))
        #expect(text.contains("max_steps=10000"))
        #expect(text.contains("warmup_steps=100"))
        #expect(text.contains("--lr-decay-style cosine"))
        #expect(text.contains("--min-lr 3e-06"))
        #expect(text.contains("--lr-warmup-iters 100"))
        #expect(text.contains("schedule:\n  kind: \"cosine\"\n  peak: 3.0e-05\n"))  // PyYAML reads 3e-05 as a string
        #expect(text.contains("  meco_switch_step: 9000\n"))

        let wsd = try Schedule(
            kind: .wsd(decaySteps: 1000, shape: .oneMinusSqrt), totalSteps: 10000, warmupSteps: 100, peak: 1e-3,
            minRatio: 0.1)
        let wsdText = trainerSettings(wsd, meco: nil)
        #expect(wsdText.contains("lr_scheduler_type=\"warmup_stable_decay\""))
        #expect(wsdText.contains("\"num_decay_steps\": 1000"))
        #expect(wsdText.contains("\"decay_type\": \"1-sqrt\""))
        #expect(wsdText.contains("--lr-decay-style WSD"))
        #expect(wsdText.contains("--lr-wsd-decay-style minus_sqrt"))
        #expect(wsdText.contains("--lr-wsd-decay-iters 1000"))
        #expect(wsdText.contains("--lr-warmup-init 0.0001"))
        #expect(!wsdText.contains("# note:"))

        let exponential = try Schedule(
            kind: .wsd(decaySteps: 1000, shape: .exponential), totalSteps: 10000, warmupSteps: 100, peak: 1e-3,
            minRatio: 0.1)
        #expect(trainerSettings(exponential, meco: nil).contains("# note: HF has no exponential decay"))

        let infinite = try Schedule(
            kind: .infinite(cooldownSteps: 1000, constantRatio: 0.5, annealSteps: 500), totalSteps: 10000,
            warmupSteps: 100, peak: 1e-3)
        #expect(trainerSettings(infinite, meco: nil).contains("# note: HF has no infinite schedule"))

        let resumed = try Schedule(
            kind: .cosine, totalSteps: 10000, warmupSteps: 100, peak: 1e-3, continuation: .resume(fromStep: 4000))
        let resumedText = trainerSettings(resumed, meco: nil)
        #expect(resumedText.contains("resume_from_checkpoint"))
        #expect(resumedText.contains("  resume_from_step: 4000\n  run_steps: 6000\n"))
    }
}
