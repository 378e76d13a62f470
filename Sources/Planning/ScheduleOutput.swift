import Foundation

// Renderings of a schedule: CSV and JSON tables, an SVG plot, and ready-to-paste trainer settings.

// MARK: - Settings

/// A schedule's settings as flat snake_case fields: the JSON `settings` object and the companion `schedule:` block.
///
/// Optional fields appear only for the kinds (or continuations) that use them. `timescale` is the resolved
/// inverse-sqrt timescale (HF's default filled in); `run_steps` is what this run trains (less a resumed prefix).
public struct ScheduleSettings: Sendable, Equatable, Codable {
    public var kind: String
    public var peak: Double
    public var totalSteps: Int
    public var warmupSteps: Int
    public var minRatio: Double
    public var numCycles: Double
    public var warmupShape: String
    public var decaySteps: Int?
    public var decayShape: String?
    public var timescale: Int?
    public var cooldownSteps: Int?
    public var constantRatio: Double?
    public var annealSteps: Int?
    public var rewarmShare: Double?
    public var resumeFromStep: Int?
    public var runSteps: Int
    public var mecoSwitchStep: Int?
    public var mecoCooldownShare: Double?
    public var mecoTokens: Int?

    enum CodingKeys: String, CodingKey {
        case kind, peak, timescale
        case totalSteps = "total_steps", warmupSteps = "warmup_steps", minRatio = "min_ratio"
        case numCycles = "num_cycles", warmupShape = "warmup_shape", decaySteps = "decay_steps"
        case decayShape = "decay_shape", cooldownSteps = "cooldown_steps", constantRatio = "constant_ratio"
        case annealSteps = "anneal_steps", rewarmShare = "rewarm_share", resumeFromStep = "resume_from_step"
        case runSteps = "run_steps", mecoSwitchStep = "meco_switch_step"
        case mecoCooldownShare = "meco_cooldown_share", mecoTokens = "meco_tokens"
    }

    /// The settings of `schedule`, with the MeCo switch when there is one.
    public init(_ schedule: Schedule, meco: MeCoSwitch?) {
        kind = schedule.kind.name
        peak = schedule.peak
        totalSteps = schedule.totalSteps
        warmupSteps = schedule.warmupSteps
        minRatio = schedule.minRatio
        numCycles = schedule.numCycles
        warmupShape = schedule.warmupShape.rawValue
        switch schedule.kind {
        case .constant, .cosine, .linear:
            break
        case .wsd(let steps, let shape):
            decaySteps = steps
            decayShape = shape.rawValue
        case .inverseSqrt(let scale):
            timescale = scale ?? (schedule.warmupSteps != 0 ? schedule.warmupSteps : 10_000)
        case .infinite(let cooldown, let constant, let anneal):
            cooldownSteps = cooldown
            constantRatio = constant
            annealSteps = anneal
        }
        switch schedule.continuation {
        case .none: break
        case .rewarm(let share): rewarmShare = share
        case .resume(let step): resumeFromStep = step
        }
        runSteps = schedule.runSteps
        mecoSwitchStep = meco?.step
        mecoCooldownShare = meco?.cooldownShare
        mecoTokens = meco?.tokens
    }

    /// The settings as `key: value` pairs in a fixed order, values written for YAML 1.1 (PyYAML) and Python.
    fileprivate var yamlPairs: [(String, String)] {
        var pairs: [(String, String)] = [
            ("kind", quoted(kind)), ("peak", yamlNumber(peak)), ("total_steps", "\(totalSteps)"),
            ("warmup_steps", "\(warmupSteps)"), ("min_ratio", yamlNumber(minRatio)),
            ("num_cycles", yamlNumber(numCycles)), ("warmup_shape", quoted(warmupShape)),
        ]
        func add(_ key: String, _ value: String?) {
            if let value { pairs.append((key, value)) }
        }
        add("decay_steps", decaySteps.map { "\($0)" })
        add("decay_shape", decayShape.map(quoted))
        add("timescale", timescale.map { "\($0)" })
        add("cooldown_steps", cooldownSteps.map { "\($0)" })
        add("constant_ratio", constantRatio.map(yamlNumber))
        add("anneal_steps", annealSteps.map { "\($0)" })
        add("rewarm_share", rewarmShare.map(yamlNumber))
        add("resume_from_step", resumeFromStep.map { "\($0)" })
        add("run_steps", "\(runSteps)")
        add("meco_switch_step", mecoSwitchStep.map { "\($0)" })
        add("meco_cooldown_share", mecoCooldownShare.map(yamlNumber))
        add("meco_tokens", mecoTokens.map { "\($0)" })
        return pairs
    }
}

/// A double as YAML 1.1 reads it as a float: PyYAML needs a "." in "3.0e-05" (it reads "3e-05" as a string).
private func yamlNumber(_ value: Double) -> String {
    var text = "\(value)"
    if !text.contains("."), let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        text.insert(contentsOf: ".0", at: e)
    }
    return text
}

private func quoted(_ text: String) -> String {
    "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
}

// MARK: - CSV and JSON

/// One line per step of the run: "step,lr,multiplier,phase" plus ",metadata" (1 or 0) when MeCo is given.
///
/// Steps are the run's own (0-based; for `.resume(fromStep: k)` step s is the schedule's step s + k). Numbers are
/// written in Swift's shortest round-trip form; the table has `runSteps` + 1 lines with the header.
public func scheduleCSV(_ s: Schedule, meco: MeCoSwitch?) -> String {
    var out = meco == nil ? "step,lr,multiplier,phase\n" : "step,lr,multiplier,phase,metadata\n"
    out.reserveCapacity(s.runSteps * 40)
    let spans = s.phases()
    var spanIndex = 0
    for step in 0..<s.runSteps {
        while spanIndex < spans.count, spans[spanIndex].end <= step { spanIndex += 1 }
        let phase = spanIndex < spans.count && spans[spanIndex].start <= step ? spans[spanIndex].phase : .done
        let multiplier = s.multiplier(at: step)
        out += "\(step),\(s.peak * multiplier),\(multiplier),\(phase.rawValue)"
        if let meco { out += meco.hasMetadata(at: step) ? ",1" : ",0" }
        out += "\n"
    }
    return out
}

private struct ScheduleDocument: Encodable {
    var settings: ScheduleSettings
    var phases: [PhaseSpan]
    var values: [Double]
}

/// The settings, the phases (`start..<end` run steps) and the learning rate of every run step, as JSON.
///
/// Keys are sorted; `values[s]` is `learningRate(at: s)`.
public func scheduleJSON(_ s: Schedule, meco: MeCoSwitch?) throws(ScheduleError) -> String {
    let document = ScheduleDocument(settings: ScheduleSettings(s, meco: meco), phases: s.phases(), values: s.values())
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    do {
        let data = try encoder.encode(document)
        return String(decoding: data, as: UTF8.self) + "\n"
    } catch {
        throw .invalid("the schedule could not be written as JSON: \(error)")
    }
}

// MARK: - SVG

/// A line plot of the learning rate over the run as a standalone SVG document.
///
/// Axes carry "nice" ticks (Heckbert 1990, "Nice Numbers for Graph Labels", Graphics Gems I) and the titles
/// "step" and "learning rate"; phase boundaries are dashed verticals with the phase names above; the MeCo switch
/// is a red dashed vertical with the metadata-free cool-down shaded. The curve is one `<polyline class="lr">` of
/// min(runSteps, 2000) points at evenly spaced steps, first and last step included.
public func scheduleSVG(_ s: Schedule, meco: MeCoSwitch?, width: Int = 800, height: Int = 360) -> String {
    let width = max(width, 320)
    let height = max(height, 200)
    let left = 78.0, right = 24.0, top = 34.0, bottom = 50.0
    let x0 = left, x1 = Double(width) - right, y0 = top, y1 = Double(height) - bottom
    let steps = sampledSteps(count: s.runSteps, limit: 2000)
    let rates = steps.map { s.learningRate(at: $0) }
    let highest = rates.max() ?? 0
    let yTop = (highest > 0 ? highest : s.peak) * 1.05  // a little headroom above the curve
    let yTicks = niceTicks(upTo: yTop)
    let xTop = Double(max(1, s.runSteps))
    let xTicks = niceTicks(upTo: xTop, integral: true)
    func px(_ step: Double) -> Double { x0 + step / xTop * (x1 - x0) }
    func py(_ rate: Double) -> Double { y1 - rate / yTop * (y1 - y0) }

    var svg = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" \
        viewBox="0 0 \(width) \(height)" font-family="Helvetica, Arial, sans-serif" font-size="11">

        """
    let title = plotTitle(s)
    svg += "<title>\(xmlEscape(title))</title>\n"
    svg += "<rect x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(height)\" fill=\"#ffffff\"/>\n"
    svg += "<text x=\"\(fmt(x0))\" y=\"18\" font-size=\"13\" fill=\"#222222\">\(xmlEscape(title))</text>\n"

    // Grid, axes, ticks and labels.
    svg += "<g class=\"axes\" stroke=\"#333333\" stroke-width=\"1\">\n"
    for tick in yTicks.values {
        let y = py(tick)
        svg += "<line x1=\"\(fmt(x0))\" y1=\"\(fmt(y))\" x2=\"\(fmt(x1))\" y2=\"\(fmt(y))\" stroke=\"#e6e6e6\"/>\n"
        svg += "<line x1=\"\(fmt(x0 - 5))\" y1=\"\(fmt(y))\" x2=\"\(fmt(x0))\" y2=\"\(fmt(y))\"/>\n"
        svg += "<text x=\"\(fmt(x0 - 8))\" y=\"\(fmt(y + 4))\" text-anchor=\"end\" stroke=\"none\" fill=\"#333333\">"
            + "\(xmlEscape(rateLabel(tick, step: yTicks.step)))</text>\n"
    }
    for tick in xTicks.values {
        let x = px(tick)
        svg += "<line x1=\"\(fmt(x))\" y1=\"\(fmt(y1))\" x2=\"\(fmt(x))\" y2=\"\(fmt(y1 + 5))\"/>\n"
        svg += "<text x=\"\(fmt(x))\" y=\"\(fmt(y1 + 18))\" text-anchor=\"middle\" stroke=\"none\" fill=\"#333333\">"
            + "\(xmlEscape(stepLabel(tick)))</text>\n"
    }
    svg += "<line x1=\"\(fmt(x0))\" y1=\"\(fmt(y1))\" x2=\"\(fmt(x1))\" y2=\"\(fmt(y1))\"/>\n"
    svg += "<line x1=\"\(fmt(x0))\" y1=\"\(fmt(y0))\" x2=\"\(fmt(x0))\" y2=\"\(fmt(y1))\"/>\n"
    svg += "</g>\n"
    svg += "<text x=\"\(fmt((x0 + x1) / 2))\" y=\"\(fmt(Double(height) - 10))\" text-anchor=\"middle\" "
        + "fill=\"#222222\">step</text>\n"
    svg += "<text x=\"16\" y=\"\(fmt((y0 + y1) / 2))\" text-anchor=\"middle\" fill=\"#222222\" "
        + "transform=\"rotate(-90 16 \(fmt((y0 + y1) / 2)))\">learning rate</text>\n"

    // Phase boundaries and names.
    svg += "<g class=\"phases\" font-size=\"10\" fill=\"#666666\">\n"
    for (index, span) in s.phases().enumerated() {
        let start = px(Double(span.start)), end = px(Double(span.end))
        if index > 0 {
            svg += "<line x1=\"\(fmt(start))\" y1=\"\(fmt(y0))\" x2=\"\(fmt(start))\" y2=\"\(fmt(y1))\" "
                + "stroke=\"#888888\" stroke-width=\"1\" stroke-dasharray=\"4 3\"/>\n"
        }
        if end - start >= 44 {
            svg += "<text x=\"\(fmt((start + end) / 2))\" y=\"\(fmt(y0 - 4))\" text-anchor=\"middle\">"
                + "\(span.phase.rawValue)</text>\n"
        }
    }
    svg += "</g>\n"

    // The MeCo switch: metadata before, plain documents in the shaded cool-down after.
    if let meco, meco.step <= s.runSteps {
        let x = px(Double(meco.step))
        svg += "<g class=\"meco\">\n"
        svg += "<rect x=\"\(fmt(x))\" y=\"\(fmt(y0))\" width=\"\(fmt(max(0, px(Double(s.runSteps)) - x)))\" "
            + "height=\"\(fmt(y1 - y0))\" fill=\"#d62728\" fill-opacity=\"0.07\"/>\n"
        svg += "<line x1=\"\(fmt(x))\" y1=\"\(fmt(y0))\" x2=\"\(fmt(x))\" y2=\"\(fmt(y1))\" stroke=\"#d62728\" "
            + "stroke-width=\"1.2\" stroke-dasharray=\"6 3\"/>\n"
        let anchor = x > (x0 + x1) / 2 ? "end" : "start"
        let labelX = anchor == "end" ? x - 4 : x + 4
        // Mid-height: clear of the peak plateau (WSD, constant) and of the tail near the minimum (cosine).
        svg += "<text x=\"\(fmt(labelX))\" y=\"\(fmt((y0 + y1) / 2))\" text-anchor=\"\(anchor)\" fill=\"#d62728\">"
            + "MeCo: metadata off from step \(meco.step)</text>\n"
        svg += "</g>\n"
    }

    let points = zip(steps, rates).map { "\(fmt(px(Double($0))))," + fmt(py($1)) }.joined(separator: " ")
    svg += "<polyline class=\"lr\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.6\" "
        + "stroke-linejoin=\"round\" points=\"\(points)\"/>\n"
    svg += "</svg>\n"
    return svg
}

/// `min(count, limit)` steps from 0 to count − 1, evenly spaced (floor(k·(count − 1)/(points − 1))).
private func sampledSteps(count: Int, limit: Int) -> [Int] {
    guard count > 0 else { return [] }
    let points = min(count, limit)
    guard points > 1 else { return [0] }
    return (0..<points).map { k in
        let product = k.multipliedFullWidth(by: count - 1)
        return (points - 1).dividingFullWidth((high: product.high, low: product.low)).quotient
    }
}

/// Ticks at multiples of a "nice" step from 0 up to `value` (Heckbert 1990: range nice-ceilinged, step rounded).
private func niceTicks(upTo value: Double, integral: Bool = false) -> (step: Double, values: [Double]) {
    let span = niceNumber(max(value, Double.leastNormalMagnitude), round: false)
    var step = niceNumber(span / 4, round: true)
    if integral { step = max(1, step.rounded()) }
    let count = max(0, Int((value / step * (1 + 1e-9)).rounded(.down)))
    return (step, (0...count).map { Double($0) * step })
}

/// Heckbert's nice number: 1, 2, 5 or 10 times a power of ten, rounded or ceilinged.
private func niceNumber(_ x: Double, round: Bool) -> Double {
    let exponent = floor(log10(x))
    let power = pow(10, exponent)
    let fraction = x / power
    let nice: Double
    if round {
        nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
    } else {
        nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
    }
    return nice * power
}

/// A learning-rate tick label with as many significant digits as the tick step needs ("0.0003", "2e-5").
private func rateLabel(_ value: Double, step: Double) -> String {
    guard value != 0 else { return "0" }
    let digits = max(1, Int(floor(log10(abs(value))) - floor(log10(step))) + 1)
    let text = String(format: "%.\(digits)g", value)
    guard let e = text.firstIndex(of: "e") else { return text }
    let mantissa = text[..<e]
    var exponent = String(text[text.index(after: e)...])
    let sign = exponent.hasPrefix("-") ? "-" : ""
    exponent = String(exponent.drop { $0 == "-" || $0 == "+" || $0 == "0" })
    return "\(mantissa)e\(sign)\(exponent.isEmpty ? "0" : exponent)"
}

/// A step tick label: 1500, 20k, 1.5M.
private func stepLabel(_ value: Double) -> String {
    let step = Int(value.rounded())
    if step >= 1_000_000 {
        return trimmed(String(format: "%.2f", Double(step) / 1_000_000)) + "M"
    }
    if step >= 10_000 {
        return trimmed(String(format: "%.1f", Double(step) / 1000)) + "k"
    }
    return "\(step)"
}

private func trimmed(_ text: String) -> String {
    guard text.contains(".") else { return text }
    var out = text
    while out.hasSuffix("0") { out.removeLast() }
    if out.hasSuffix(".") { out.removeLast() }
    return out
}

private func plotTitle(_ s: Schedule) -> String {
    var parts = ["\(s.kind.name) schedule", "peak \(s.peak)", "\(s.runSteps) steps", "warmup \(s.warmupSteps)"]
    if s.minRatio > 0 { parts.append("min ratio \(s.minRatio)") }
    switch s.continuation {
    case .none: break
    case .rewarm(let share): parts.append("re-warm \(share)")
    case .resume(let step): parts.append("resumed at step \(step)")
    }
    return parts.joined(separator: " · ")
}

private func fmt(_ value: Double) -> String {
    String(format: "%.2f", value)
}

private func xmlEscape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.count)
    for character in text {
        switch character {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        default: out.append(character)
        }
    }
    return out
}

// MARK: - Trainer settings

/// Ready-to-paste settings for the HF Trainer, Megatron-LM and PretrainKit's PyTorch companion (`schedule:`).
///
/// (1) `TrainingArguments(...)` keyword arguments: `lr_scheduler_type` and `lr_scheduler_kwargs` as
/// transformers 5.23 `get_scheduler` reads them (the Trainer passes `max_steps` as `num_training_steps`).
/// Kinds HF lacks get the closest HF schedule and a `# note:`. (2) Megatron-LM arguments (`--lr-decay-style`
/// constant|linear|cosine|inverse-square-root|WSD; `OptimizerParamScheduler.get_lr` in
/// megatron/core/optimizer_param_scheduler.py), with notes where its formula differs. (3) A YAML `schedule:`
/// block with the `ScheduleSettings` keys, which reproduces this schedule exactly in a LambdaLR.
public func trainerSettings(_ s: Schedule, meco: MeCoSwitch?) -> String {
    var out = "# 1) Hugging Face Trainer (transformers 5.23): TrainingArguments keyword arguments\n"
    out += huggingFaceBlock(s)
    out += "\n# 2) Megatron-LM (pretrain_gpt.py arguments)\n"
    out += megatronBlock(s)
    out += "\n# 3) PyTorch companion (python/ reads this block; it reproduces the schedule exactly)\n"
    out += "schedule:\n"
    for (key, value) in ScheduleSettings(s, meco: meco).yamlPairs {
        out += "  \(key): \(value)\n"
    }
    if let meco {
        out += "# MeCo: train with the URL metadata prefix for steps 0..<\(meco.step), then without it (the last "
            + "\(paste(meco.cooldownShare * 100))%\n# of the run), with the same learning-rate schedule continued.\n"
    }
    return out
}

private func huggingFaceBlock(_ s: Schedule) -> String {
    let m = s.minRatio
    var type: String
    var kwargs: [(String, String)] = []
    var notes: [String] = []
    switch s.kind {
    case .constant:
        type = s.warmupSteps == 0 ? "constant" : "constant_with_warmup"
    case .cosine:
        if m == 0 {
            type = "cosine"
        } else {
            type = "cosine_with_min_lr"
            kwargs.append(("min_lr_rate", paste(m)))
        }
        kwargs.append(("num_cycles", paste(s.numCycles)))
    case .linear:
        if m == 0 {
            type = "linear"
        } else if m < 1 {
            type = "polynomial"
            kwargs = [("lr_end", paste(m * s.peak)), ("power", "1.0")]
            notes.append("linear decay to min ratio × peak: HF's polynomial schedule with power 1 (same values)")
        } else {
            type = "constant_with_warmup"
        }
    case .wsd(let decaySteps, let shape):
        type = "warmup_stable_decay"
        var decay = shape.rawValue
        if shape == .exponential {
            decay = DecayShape.oneMinusSqrt.rawValue
            notes.append("HF has no exponential decay (min_ratio^progress); 1-sqrt is the closest HF shape. For the")
            notes.append("exact curve use the PyTorch companion's LambdaLR (block 3).")
        }
        kwargs = [
            ("num_decay_steps", "\(decaySteps)"), ("warmup_type", pyString(s.warmupShape.rawValue)),
            ("decay_type", pyString(decay)), ("min_lr_ratio", paste(m)), ("num_cycles", paste(s.numCycles)),
        ]
    case .inverseSqrt(let timescale):
        type = "inverse_sqrt"
        kwargs = [("timescale", "\(timescale ?? (s.warmupSteps != 0 ? s.warmupSteps : 10_000))")]
        if m > 0 {
            notes.append("HF's inverse_sqrt has no floor; PretrainKit (like Megatron) stops at min ratio \(paste(m)).")
            notes.append("Use block 3 if the run reaches the floor.")
        }
    case .infinite(let cooldownSteps, let constantRatio, let annealSteps):
        type = "warmup_stable_decay"
        kwargs = [
            ("num_decay_steps", "\(annealSteps)"), ("warmup_type", pyString("linear")),
            ("decay_type", pyString("linear")), ("min_lr_ratio", paste(m)),
        ]
        notes.append("HF has no infinite schedule. Closest: WSD with the anneal as its decay, but HF holds the peak")
        notes.append("where this schedule cools down (cosine, \(cooldownSteps) steps) to \(constantRatio) × peak")
        notes.append("and warms up from min_lr_ratio × peak. Use the PyTorch companion (block 3) for the exact curve.")
    }
    switch s.continuation {
    case .none:
        break
    case .rewarm:
        notes.append("continual pretraining, re-warm: load the checkpoint's weights (from_pretrained) with a fresh")
        notes.append("optimizer and scheduler; do not pass resume_from_checkpoint.")
    case .resume(let step):
        notes.append("resume: keep these settings (the original run) and call")
        notes.append("trainer.train(resume_from_checkpoint=\"<output_dir>/checkpoint-\(step)\");")
        notes.append("the checkpoint's scheduler state restores step \(step).")
    }
    var out = ""
    for note in notes { out += "# note: \(note)\n" }
    out += "TrainingArguments(\n"
    out += "    learning_rate=\(paste(s.peak)),\n"
    out += "    max_steps=\(s.totalSteps),\n"
    out += "    warmup_steps=\(s.warmupSteps),\n"
    out += "    lr_scheduler_type=\(pyString(type)),\n"
    if !kwargs.isEmpty {
        let pairs = kwargs.map { "\(pyString($0.0)): \($0.1)" }
        let line = "    lr_scheduler_kwargs={\(pairs.joined(separator: ", "))},"
        if line.count <= 100 {
            out += line + "\n"
        } else {
            out += "    lr_scheduler_kwargs={\n" + pairs.map { "        \($0),\n" }.joined() + "    },\n"
        }
    }
    out += ")\n"
    return out
}

private func pyString(_ text: String) -> String {
    quoted(text)
}

/// A number for pasting into Python or a command line: 15 significant digits, so 3e-4 × 0.1 reads "3e-05".
private func paste(_ value: Double) -> String {
    String(format: "%.15g", value)
}

// Megatron-LM flag names follow megatron/training/arguments.py (`_add_learning_rate_args`, `_add_training_args`,
// `_add_checkpointing_args`) and the styles in megatron/core/optimizer_param_scheduler.py. Checked: --lr, --min-lr,
// --lr-warmup-iters, --lr-warmup-init, --lr-decay-iters, --lr-decay-style (constant, linear, cosine,
// inverse-square-root, WSD), --lr-wsd-decay-style (exponential, linear, cosine, minus_sqrt), --lr-wsd-decay-iters,
// --train-iters, --finetune. Less sure: --use-checkpoint-opt_param-scheduler keeps its underscore spelling in the
// versions read; newer releases generate some flags from config dataclasses and may spell it with hyphens.
private func megatronBlock(_ s: Schedule) -> String {
    let m = s.minRatio
    var flags: [(String, String?)] = [
        ("--train-iters", "\(s.totalSteps)"), ("--lr", paste(s.peak)), ("--min-lr", paste(m * s.peak)),
        ("--lr-warmup-iters", "\(s.warmupSteps)"), ("--lr-decay-iters", "\(s.totalSteps)"),
    ]
    var notes: [String] = []
    if s.warmupSteps >= s.totalSteps {
        notes.append("Megatron requires --lr-warmup-iters < --lr-decay-iters: shorten the warmup.")
    }
    switch s.kind {
    case .constant:
        flags.append(("--lr-decay-style", "constant"))
    case .cosine:
        flags.append(("--lr-decay-style", "cosine"))
        if s.numCycles != 0.5 {
            notes.append("Megatron's cosine is one half-wave (num_cycles 0.5); \(s.numCycles) is not available.")
        }
    case .linear:
        flags.append(("--lr-decay-style", "linear"))
    case .wsd(let decaySteps, let shape):
        flags.append(("--lr-decay-style", "WSD"))
        let style: String
        switch shape {
        case .linear: style = "linear"
        case .cosine: style = "cosine"
        case .oneMinusSqrt: style = "minus_sqrt"
        case .exponential:
            style = "exponential"
            notes.append("Megatron's exponential WSD decay is min + (max − min)(2·0.5^p − 1), not min_ratio^p as here.")
        }
        flags.append(("--lr-wsd-decay-style", style))
        flags.append(("--lr-wsd-decay-iters", "\(decaySteps)"))
        if m > 0 {
            flags.append(("--lr-warmup-init", paste(m * s.peak)))  // HF's WSD warms up from min_lr_ratio × peak
        }
        if s.warmupShape != .linear {
            notes.append("Megatron warms up linearly only; the \(s.warmupShape.rawValue) warm-up is not available.")
        }
        if shape == .cosine, s.numCycles != 0.5 {
            notes.append("Megatron's WSD cosine is one half-wave; \(s.numCycles) cycles are not available.")
        }
    case .inverseSqrt(let timescale):
        flags.append(("--lr-decay-style", "inverse-square-root"))
        let scale = timescale ?? (s.warmupSteps != 0 ? s.warmupSteps : 10_000)
        if scale != s.warmupSteps {
            notes.append("Megatron's inverse-square-root uses lr·√(max(1, warmup))/√step (timescale = warmup);")
            notes.append("timescale \(scale) differs, so the decay differs.")
        }
    case .infinite(_, _, let annealSteps):
        flags.append(("--lr-decay-style", "WSD"))
        flags.append(("--lr-wsd-decay-style", "linear"))
        flags.append(("--lr-wsd-decay-iters", "\(annealSteps)"))
        notes.append("Megatron has no infinite schedule; closest is WSD with the anneal as its decay, which holds the")
        notes.append("peak instead of cooling down to constant_ratio × peak.")
    }
    switch s.continuation {
    case .none:
        break
    case .rewarm:
        flags.append(("--load", "<checkpoint>"))
        flags.append(("--finetune", nil))  // weights only: no optimizer or RNG state, iteration reset to 0
        notes.append("re-warm: --finetune loads only the weights and restarts the schedule at iteration 0.")
    case .resume:
        flags.append(("--load", "<checkpoint>"))
        flags.append(("--use-checkpoint-opt_param-scheduler", nil))
        notes.append("resume: the checkpoint restores the iteration and the scheduler state; keep these arguments.")
    }
    var out = ""
    for note in notes { out += "# note: \(note)\n" }
    let lines = flags.map { flag, value in value.map { "\(flag) \($0)" } ?? flag }
    out += lines.enumerated().map { $0.offset < lines.count - 1 ? "\($0.element) \\" : $0.element }
        .joined(separator: "\n") + "\n"
    return out
}
