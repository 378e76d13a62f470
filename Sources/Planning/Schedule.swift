import Foundation

// Learning-rate schedules for (continual) pretraining, evaluated step by step.
//
// Where Hugging Face transformers has the schedule (transformers/optimization.py, v5.23.0), the multiplier at
// each step is computed with the same integer and floating-point operations in the same order, so that
// `Schedule.multiplier(at:)` equals the lambda that torch's `LambdaLR` applies (lr = base_lr × lambda(step))
// to within a few ulps. Tests compare every step against HF's own code (scripts/hf_schedules.py).

/// A schedule that cannot be built, with a message that says which setting is wrong and why.
public enum ScheduleError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalid(String)

    public var description: String {
        switch self {
        case .invalid(let message): return message
        }
    }
}

/// The shape of a warm-up or decay leg.
///
/// The raw values are the spellings of HF `get_wsd_schedule`'s `warmup_type` / `decay_type` ("linear", "cosine",
/// "1-sqrt"); "exp" is PretrainKit's MiniCPM-style exponential decay, which HF lacks.
public enum DecayShape: String, Sendable, CaseIterable, Codable {
    case linear
    case cosine
    case oneMinusSqrt = "1-sqrt"
    case exponential = "exp"
}

/// What the schedule does after its warm-up.
public enum ScheduleKind: Sendable, Equatable {
    /// Linear warm-up from 0, then the peak. HF `get_constant_schedule_with_warmup`.
    case constant
    /// Linear warm-up from 0, then cosine decay to `minRatio`.
    ///
    /// HF `get_cosine_schedule_with_warmup` when `minRatio` is 0, `get_cosine_with_min_lr_schedule_with_warmup`
    /// (`min_lr_rate`) otherwise.
    case cosine
    /// Linear warm-up from 0, then linear decay to `minRatio` at the last step.
    ///
    /// HF `get_linear_schedule_with_warmup` when `minRatio` is 0; with a floor it equals HF
    /// `get_polynomial_decay_schedule_with_warmup(power=1, lr_end=minRatio × peak)` up to rounding.
    case linear
    /// Warmup–stable–decay (MiniCPM, Hu et al. 2024): warm up, hold the peak, decay over the last `decaySteps`.
    ///
    /// Linear, cosine and 1-sqrt decays equal HF `get_wsd_schedule`, whose warm-up starts from
    /// `minRatio` × peak (not from 0). The exponential decay is not in HF; see `Schedule.multiplier(at:)`.
    case wsd(decaySteps: Int, shape: DecayShape)
    /// Linear warm-up, then 1/√((step − warmup + timescale)/timescale). HF `get_inverse_sqrt_schedule`.
    ///
    /// The timescale defaults (as in HF) to the warm-up length, or 10 000 when there is no warm-up.
    case inverseSqrt(timescale: Int?)
    /// Warm-up → cosine cool-down to `constantRatio` → constant → anneal to `minRatio` over the last steps.
    ///
    /// The "infinite" schedule of Ibrahim et al. 2024 ("Simple and Scalable Strategies to Continually Pre-train
    /// Large Language Models", arXiv:2403.08763, "infinite learning rate schedules"): the constant phase can be
    /// extended indefinitely and annealed whenever a usable checkpoint is wanted.
    case infinite(cooldownSteps: Int, constantRatio: Double, annealSteps: Int)

    /// The kind's name in outputs and settings blocks ("cosine", "wsd", "inverse-sqrt", …).
    public var name: String {
        switch self {
        case .constant: return "constant"
        case .cosine: return "cosine"
        case .linear: return "linear"
        case .wsd: return "wsd"
        case .inverseSqrt: return "inverse-sqrt"
        case .infinite: return "infinite"
        }
    }
}

/// The part of a schedule a step belongs to.
public enum SchedulePhase: String, Sendable, CaseIterable, Codable {
    case warmup, stable, decay, cooldown, constant, anneal, done
}

/// A phase and the steps it covers, `start..<end`, in the run's own step numbers.
public struct PhaseSpan: Sendable, Equatable, Codable {
    public var phase: SchedulePhase
    public var start: Int
    public var end: Int

    public init(phase: SchedulePhase, start: Int, end: Int) {
        self.phase = phase
        self.start = start
        self.end = end
    }
}

/// A learning-rate schedule: the learning rate for every optimizer step of a run.
///
/// Step `s` (0-based) is the optimizer step that uses `learningRate(at: s)`, as torch's `LambdaLR` gives it when
/// the trainer calls `scheduler.step()` after each optimizer step (the HF Trainer does).
/// The reference warm-up + cosine formula (SPECS; Loshchilov & Hutter 2017 with linear warm-up, Goyal et al. 2017):
/// η = η_max·t/T_w for t < T_w, then η_min + (η_max − η_min)/2·(1 + cos(π(t − T_w)/(T − T_w))).
/// Fields can be changed after `init`; call `validate()` again after doing so.
public struct Schedule: Sendable, Equatable {
    public var kind: ScheduleKind
    /// Steps of the whole schedule (for `.resume`, of the original run, including the steps already done).
    public var totalSteps: Int
    /// Warm-up steps; for `.rewarm(share:)`, set by `init` to the re-warm length.
    public var warmupSteps: Int
    /// The peak learning rate η_max (the optimizer's base learning rate).
    public var peak: Double
    /// η_min / η_max: where decays end (for WSD also where HF's warm-up starts).
    public var minRatio: Double
    /// Cosine waves over the decay, as HF's `num_cycles` (0.5: one half-wave from peak to `minRatio`).
    public var numCycles: Double = 0.5
    /// WSD only: the warm-up shape (HF `warmup_type`: linear, cosine or 1-sqrt).
    public var warmupShape: DecayShape = .linear
    /// Continual pretraining: the run starts from a checkpoint.
    ///
    /// `.rewarm(share:)`: a new schedule whose warm-up re-warms from ~0 over `share` × `totalSteps` steps to the
    /// (new) peak, then decays (Gupta et al. 2023 "Continual Pre-Training of Large Language Models: How to
    /// (re)warm your model?", arXiv:2308.04014; Ibrahim et al. 2024: ~1% warm-up, η_min = 0.1·η_max).
    /// `.resume(fromStep:)`: the same data and the same schedule, no re-warm: the LR at that step is restored and
    /// the schedule continues, so this run's step s is the schedule's step s + fromStep.
    public var continuation: Continuation = .none

    /// How a run relates to an earlier one.
    public enum Continuation: Sendable, Equatable {
        case none
        case rewarm(share: Double)
        case resume(fromStep: Int)
    }

    /// Builds and validates a schedule.
    ///
    /// With `.rewarm(share:)` the warm-up length is `share` × `totalSteps`, rounded half away from zero and at
    /// least 1 step; it replaces `warmupSteps`.
    public init(
        kind: ScheduleKind,
        totalSteps: Int,
        warmupSteps: Int,
        peak: Double,
        minRatio: Double = 0,
        numCycles: Double = 0.5,
        warmupShape: DecayShape = .linear,
        continuation: Continuation = .none
    ) throws(ScheduleError) {
        self.kind = kind
        self.totalSteps = totalSteps
        self.warmupSteps = warmupSteps
        self.peak = peak
        self.minRatio = minRatio
        self.numCycles = numCycles
        self.warmupShape = warmupShape
        self.continuation = continuation
        if case .rewarm(let share) = continuation, totalSteps > 0 {
            try Self.checkShare(share)
            self.warmupSteps = Self.rewarmSteps(share: share, totalSteps: totalSteps)
        }
        try validate()
    }

    /// The re-warm length for a share of the run: share × total, rounded half away from zero, at least 1.
    public static func rewarmSteps(share: Double, totalSteps: Int) -> Int {
        let steps = (share * Double(totalSteps)).rounded(.toNearestOrAwayFromZero)
        guard steps.isFinite, steps >= 1 else { return 1 }
        guard steps < Double(totalSteps) else { return totalSteps }
        return Int(steps)
    }

    private static func checkShare(_ share: Double) throws(ScheduleError) {
        guard share > 0, share < 1 else {
            throw .invalid("re-warm share must be within (0, 1), e.g. 0.01 for 1% of the steps (got \(share))")
        }
    }

    /// Checks every setting; throws the first problem found.
    public func validate() throws(ScheduleError) {
        guard totalSteps > 0 else { throw .invalid("the run needs at least 1 step (got \(totalSteps))") }
        guard peak > 0, peak.isFinite else { throw .invalid("peak learning rate must be positive (got \(peak))") }
        guard minRatio >= 0, minRatio <= 1 else { throw .invalid("min ratio must be within 0…1 (got \(minRatio))") }
        guard numCycles > 0, numCycles.isFinite else {
            throw .invalid("cosine cycles must be positive (got \(numCycles))")
        }
        guard warmupSteps >= 0 else { throw .invalid("warmup steps must be 0 or more (got \(warmupSteps))") }
        guard warmupSteps <= totalSteps else {
            throw .invalid("warmup (\(warmupSteps) steps) is longer than the run (\(totalSteps) steps)")
        }
        if case .wsd = kind {
            guard warmupShape != .exponential else {
                throw .invalid("warmup shape exp is not available: use linear, cosine or 1-sqrt")
            }
        } else if warmupShape != .linear {
            throw .invalid("warmup shape \(warmupShape.rawValue) applies to WSD only; other schedules warm up linearly")
        }
        try validateKind()
        switch continuation {
        case .none: break
        case .rewarm(let share): try Self.checkShare(share)
        case .resume(let fromStep):
            guard fromStep >= 0 else { throw .invalid("resume step must be 0 or more (got \(fromStep))") }
            guard fromStep < totalSteps else {
                throw .invalid("resume step (\(fromStep)) must be before the end of the run (\(totalSteps) steps)")
            }
        }
    }

    private func validateKind() throws(ScheduleError) {
        switch kind {
        case .constant, .cosine, .linear:
            return
        case .wsd(let decaySteps, let shape):
            guard decaySteps >= 0 else { throw .invalid("decay steps must be 0 or more (got \(decaySteps))") }
            guard decaySteps <= totalSteps else {
                throw .invalid("decay (\(decaySteps) steps) is longer than the run (\(totalSteps) steps)")
            }
            guard warmupSteps <= totalSteps - decaySteps else {
                throw .invalid(
                    "warmup (\(warmupSteps) steps) plus decay (\(decaySteps) steps) is longer than the run "
                        + "(\(totalSteps) steps)")
            }
            if shape == .exponential, minRatio <= 0 {
                throw .invalid(
                    "exponential decay needs a min ratio above 0 (it decays geometrically to min ratio × peak)")
            }
        case .inverseSqrt(let timescale):
            if let timescale, timescale <= 0 {
                throw .invalid("inverse-sqrt timescale must be positive (got \(timescale))")
            }
        case .infinite(let cooldownSteps, let constantRatio, let annealSteps):
            guard cooldownSteps >= 0 else { throw .invalid("cooldown steps must be 0 or more (got \(cooldownSteps))") }
            guard annealSteps >= 0 else { throw .invalid("anneal steps must be 0 or more (got \(annealSteps))") }
            guard constantRatio >= minRatio, constantRatio <= 1 else {
                throw .invalid("constant ratio must be within min ratio…1 (\(minRatio)…1, got \(constantRatio))")
            }
            let (used, overflow) = warmupSteps.addingReportingOverflow(cooldownSteps)
            guard !overflow, annealSteps <= totalSteps, used <= totalSteps - annealSteps else {
                throw .invalid(
                    "warmup (\(warmupSteps)) + cooldown (\(cooldownSteps)) + anneal (\(annealSteps)) steps are longer "
                        + "than the run (\(totalSteps) steps)")
            }
        }
    }

    // MARK: - Evaluation

    /// Steps already done before this run: `fromStep` for `.resume`, else 0.
    public var resumeOffset: Int {
        if case .resume(let fromStep) = continuation { return max(0, fromStep) }
        return 0
    }

    /// Steps this run trains: `totalSteps`, less the steps already done when resuming.
    public var runSteps: Int { max(0, totalSteps - resumeOffset) }

    /// Learning rate at optimizer step `step` (0-based), as LambdaLR would give for the same settings.
    ///
    /// lr = peak × multiplier (LambdaLR: `base_lr * lmbda(last_epoch)`). Negative steps count as step 0.
    public func learningRate(at step: Int) -> Double {
        peak * multiplier(at: step)
    }

    /// The learning rate divided by the peak at step `step` (0-based) of this run; see `ScheduleKind`.
    ///
    /// Past the end the formulas go on as in HF: cosine rises again along its wave, linear and WSD stay at
    /// `minRatio`, constant and inverse-sqrt continue. Formulas (W warm-up, T total, m minRatio, p progress):
    /// - warm-up (all but WSD): s / max(1, W) (HF: `float(current_step) / float(max(1, num_warmup_steps))`).
    /// - cosine: p = (s − W)/max(1, T − W); f = ½(1 + cos(π·cycles·2·p)); max(0, f·(1 − m) + m) (HF).
    /// - linear: f = max(0, (T − s)/max(1, T − W)); f·(1 − m) + m (HF when m = 0).
    /// - WSD (HF `_get_wsd_scheduler_lambda`): warm-up m + (1 − m)·shape(s/max(1, W)) with linear p,
    ///   cosine ½(1 − cos πp), 1-sqrt 1 − √(1 − p); stable 1; decay over D steps from T − D with
    ///   p = (s − W − S)/max(1, D): linear 1 − p, cosine ½(1 + cos(π·cycles·2·p)), 1-sqrt 1 − √p, each mapped to
    ///   m + (1 − m)·f; after the decay m.
    /// - WSD exponential (MiniCPM-style, Hu et al. 2024 arXiv:2404.06395, WSD: f = 0.5^((s − S)/T_half)):
    ///   m^p, a geometric decay from 1 to m over the D steps, i.e. MiniCPM's halving with the half-life
    ///   T_half = D·ln 2 / ln(1/m) steps (log₂(1/m) halvings). Not in HF; Megatron's "exponential" WSD style is a
    ///   different curve (m + (1 − m)(2·0.5^p − 1)).
    /// - inverse sqrt (HF): 1 / √((s + timescale − W)/timescale), floored at m when m > 0 (as Megatron's
    ///   `max(min_lr, lr)`; HF has no floor).
    /// - infinite (Ibrahim et al. 2024): cool-down c + (1 − c)·½(1 + cos(π(s − W)/C)) over C steps, constant c,
    ///   then a linear anneal c + (m − c)·(s − (T − A))/A over the last A steps (PretrainKit's choice of anneal
    ///   shape), m after the end.
    public func multiplier(at step: Int) -> Double {
        let (shifted, overflow) = max(0, step).addingReportingOverflow(resumeOffset)
        return baseMultiplier(at: overflow ? Int.max : shifted)
    }

    /// Learning rates for every step of this run, `0..<runSteps`.
    public func values() -> [Double] {
        (0..<runSteps).map { learningRate(at: $0) }
    }

    /// Multipliers (lr / peak) for every step of this run, `0..<runSteps`.
    public func multipliers() -> [Double] {
        (0..<runSteps).map { multiplier(at: $0) }
    }

    /// The multiplier at step `s` of the schedule itself (before any resume shift).
    private func baseMultiplier(at s: Int) -> Double {
        let total = totalSteps
        let warmup = warmupSteps
        let m = minRatio
        switch kind {
        case .constant:
            // HF _get_constant_schedule_with_warmup_lr_lambda: float(step) / float(max(1.0, num_warmup_steps)).
            if s < warmup { return Double(s) / Swift.max(1.0, Double(warmup)) }
            return 1.0
        case .cosine:
            if s < warmup { return linearWarmup(s) }
            // HF _get_cosine_schedule_with_warmup_lr_lambda (the second definition, with min_lr_rate).
            let progress = Double(s - warmup) / Double(Swift.max(1, total - warmup))
            var factor = 0.5 * (1.0 + cos(Double.pi * numCycles * 2.0 * progress))
            factor = factor * (1 - m) + m
            return pyMax(0, factor)
        case .linear:
            if s < warmup { return linearWarmup(s) }
            // HF _get_linear_schedule_with_warmup_lr_lambda; the floor m maps [0, 1] onto [m, 1].
            let (remaining, overflow) = total.subtractingReportingOverflow(s)
            let factor = pyMax(0.0, Double(overflow ? Int.min : remaining) / Double(Swift.max(1, total - warmup)))
            return m == 0 ? factor : factor * (1 - m) + m
        case .wsd(let decaySteps, let shape):
            return wsdMultiplier(s, decaySteps: decaySteps, shape: shape)
        case .inverseSqrt(let timescale):
            if s < warmup { return linearWarmup(s) }
            // HF: timescale = num_warmup_steps or 10_000; decay = 1.0 / math.sqrt((current_step + shift) / timescale).
            let scale = timescale ?? (warmup != 0 ? warmup : 10_000)
            let shift = scale - warmup
            let (sum, overflow) = s.addingReportingOverflow(shift)
            let decay = 1.0 / (Double(overflow ? Int.max : sum) / Double(scale)).squareRoot()
            return m > 0 ? pyMax(m, decay) : decay
        case .infinite(let cooldownSteps, let constantRatio, let annealSteps):
            if s < warmup { return linearWarmup(s) }
            let c = constantRatio
            if s - warmup < cooldownSteps {
                let progress = Double(s - warmup) / Double(Swift.max(1, cooldownSteps))
                let factor = 0.5 * (1.0 + cos(Double.pi * progress))
                return factor * (1.0 - c) + c
            }
            let annealStart = total - annealSteps
            if s < annealStart { return c }
            if s < total {
                let progress = Double(s - annealStart) / Double(Swift.max(1, annealSteps))
                return c + (m - c) * progress
            }
            return m
        }
    }

    /// HF's linear warm-up from 0: `float(current_step) / float(max(1, num_warmup_steps))`.
    private func linearWarmup(_ s: Int) -> Double {
        Double(s) / Double(Swift.max(1, warmupSteps))
    }

    /// HF `_get_wsd_scheduler_lambda`, plus the exponential decay m^p.
    private func wsdMultiplier(_ s: Int, decaySteps: Int, shape: DecayShape) -> Double {
        let warmup = warmupSteps
        let m = minRatio
        let stable = totalSteps - warmup - decaySteps
        if s < warmup {
            let progress = Double(s) / Double(Swift.max(1, warmup))
            var factor: Double
            switch warmupShape {
            case .linear, .exponential: factor = progress  // exponential is rejected by validate()
            case .cosine: factor = 0.5 * (1.0 - cos(Double.pi * progress))
            case .oneMinusSqrt: factor = 1.0 - (1.0 - progress).squareRoot()
            }
            factor = factor * (1.0 - m) + m
            return pyMax(0.0, factor)
        }
        if s - warmup < stable { return 1.0 }
        if s - warmup - stable < decaySteps {
            let progress = Double(s - warmup - stable) / Double(Swift.max(1, decaySteps))
            var factor: Double
            switch shape {
            case .linear: factor = 1.0 - progress
            case .cosine: factor = 0.5 * (1.0 + cos(Double.pi * numCycles * 2.0 * progress))
            case .oneMinusSqrt: factor = 1.0 - progress.squareRoot()
            case .exponential: return pow(m, progress)
            }
            factor = factor * (1.0 - m) + m
            return pyMax(0.0, factor)
        }
        return m
    }

    /// Python's `max(a, b)`: `a` unless `b` is greater (so `max(0.0, -0.0)` is `0.0`, and NaN loses to `a`).
    private func pyMax(_ a: Double, _ b: Double) -> Double {
        b > a ? b : a
    }

    // MARK: - Phases

    /// The phases of this run in order, as `start..<end` spans of its own steps; empty phases are left out.
    public func phases() -> [PhaseSpan] {
        let total = totalSteps
        let warmup = warmupSteps
        var spans: [PhaseSpan] = [PhaseSpan(phase: .warmup, start: 0, end: warmup)]
        switch kind {
        case .constant:
            spans.append(PhaseSpan(phase: .constant, start: warmup, end: total))
        case .cosine, .linear, .inverseSqrt:
            spans.append(PhaseSpan(phase: .decay, start: warmup, end: total))
        case .wsd(let decaySteps, _):
            spans.append(PhaseSpan(phase: .stable, start: warmup, end: total - decaySteps))
            spans.append(PhaseSpan(phase: .decay, start: total - decaySteps, end: total))
        case .infinite(let cooldownSteps, _, let annealSteps):
            let cooled = Swift.min(total, warmup + cooldownSteps)
            spans.append(PhaseSpan(phase: .cooldown, start: warmup, end: cooled))
            spans.append(PhaseSpan(phase: .constant, start: cooled, end: total - annealSteps))
            spans.append(PhaseSpan(phase: .anneal, start: total - annealSteps, end: total))
        }
        let offset = resumeOffset
        return spans.compactMap { span in
            let start = Swift.max(0, span.start - offset)
            let end = Swift.min(runSteps, span.end - offset)
            return end > start ? PhaseSpan(phase: span.phase, start: start, end: end) : nil
        }
    }

    /// The phase of step `step` of this run (negative steps count as step 0); `.done` from `runSteps` on.
    public func phase(at step: Int) -> SchedulePhase {
        let s = Swift.max(0, step)
        return phases().first { $0.start <= s && s < $0.end }?.phase ?? .done
    }
}

/// MeCo (Gao et al. 2025, "Metadata Conditioning Accelerates Language Model Pre-training", arXiv:2501.01956):
/// metadata for the first (1 − cooldownShare) of training tokens, none after.
///
/// Steps `0..<step` train with the `URL: <domain>` prefix; steps `step..<totalSteps` (the cool-down, 10% by
/// default) train on plain documents with the same learning-rate schedule continued. With a fixed number of tokens
/// per step, the token share equals the step share.
/// Rounding rule: step = round(totalSteps × (1 − cooldownShare)), halves away from zero (Swift `.rounded()`, C
/// `round`); e.g. 1000 steps → 900, 12345 steps → 11111.
public struct MeCoSwitch: Sendable, Equatable {
    /// The first step without metadata.
    public var step: Int
    /// Tokens trained with metadata (step × tokensPerStep), when tokens per step is known.
    public var tokens: Int?
    public var totalSteps: Int
    public var cooldownShare: Double

    public init(totalSteps: Int, cooldownShare: Double = 0.1, tokensPerStep: Int? = nil) throws(ScheduleError) {
        guard totalSteps > 0 else { throw .invalid("the run needs at least 1 step (got \(totalSteps))") }
        guard cooldownShare > 0, cooldownShare < 1 else {
            throw .invalid("MeCo cool-down share must be within (0, 1), e.g. 0.1 (got \(cooldownShare))")
        }
        let rounded = (Double(totalSteps) * (1 - cooldownShare)).rounded(.toNearestOrAwayFromZero)
        let step = Swift.min(totalSteps, Swift.max(0, Int(rounded)))
        var tokens: Int?
        if let tokensPerStep {
            guard tokensPerStep > 0 else { throw .invalid("tokens per step must be positive (got \(tokensPerStep))") }
            let (product, overflow) = step.multipliedReportingOverflow(by: tokensPerStep)
            guard !overflow else {
                throw .invalid("\(step) steps × \(tokensPerStep) tokens per step is too large to count")
            }
            tokens = product
        }
        self.step = step
        self.tokens = tokens
        self.totalSteps = totalSteps
        self.cooldownShare = cooldownShare
    }

    /// Whether step `step` trains with the metadata prefix.
    public func hasMetadata(at step: Int) -> Bool {
        step < self.step
    }
}
