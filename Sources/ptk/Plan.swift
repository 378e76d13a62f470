import ArgumentParser
import Foundation
import Planning
import CorpusIO
import Pipeline

struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Plan the run: scaling-law budgets, loss-law fits, learning-rate schedules.",
        subcommands: [PlanBudget.self, PlanFit.self, PlanSchedule.self])
}

struct PlanBudget: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "budget",
        abstract: "Compute-optimal model size and tokens for a FLOP budget, or budget and tokens for a model size.",
        discussion: """
            Compares Chinchilla (Hoffmann et al. 2022), Besiroglu et al. 2024 and Kaplan et al. 2020. C ≈ 6·N·D.
            """)

    @Option(help: "Compute budget in FLOPs (e.g. 5.76e23).")
    var flops: Double?

    @Option(help: "Model size in parameters (e.g. 7e9).")
    var params: Double?

    @Option(help: "Tokens you plan to train on: prints each law's predicted loss for (params, tokens).")
    var tokens: Double?

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard (flops == nil) != (params == nil) else {
            throw ValidationError("give exactly one of --flops or --params")
        }
        if tokens != nil, params == nil { throw ValidationError("--tokens needs --params") }
    }

    func run() throws {
        do {
            let rows = try flops.map { try compareLaws(flops: $0) } ?? compareLaws(parameters: params ?? 0)
            if json {
                var out: [[String: Any]] = []
                for (law, a) in rows {
                    var row: [String: Any] = ["law": law.rawValue, "citation": law.citation, "flops": a.flops,
                                              "parameters": a.parameters, "tokens": a.tokens,
                                              "tokens_per_parameter": a.tokensPerParameter, "loss": a.loss]
                    if let tokens, let params {
                        row["loss_at_planned_tokens"] = law.loss(parameters: params, tokens: tokens)
                    }
                    out.append(row)
                }
                let data = try JSONSerialization.data(withJSONObject: out, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
                return
            }
            let title = flops.map { "compute-optimal allocation for \(formatCount($0)) FLOPs" }
                ?? "compute-optimal tokens and budget for \(formatCount(params ?? 0)) parameters"
            print(renderComparison(rows, title: title), terminator: "")
            if let tokens, let params {
                print("\npredicted loss at \(formatCount(params)) parameters × \(formatCount(tokens)) tokens "
                      + "(\(formatCount(6 * params * tokens)) FLOPs):")
                for law in NamedLaw.allCases {
                    print("  \(law.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)) "
                          + formatFixed(law.loss(parameters: params, tokens: tokens), digits: 4))
                }
            }
        } catch {
            throw reportFailure(error, log: Log())
        }
    }
}

struct PlanFit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Fit L(N, D) = E + A/N^α + B/D^β to your own runs (Chinchilla approach 3) with bootstrap CIs.",
        discussion: """
            RUNS.csv has a header naming the columns N (or params), D (or tokens) and loss. The fit minimizes \
            the Huber loss (δ = 1e-3) of log-loss with L-BFGS from a grid of starting points, as Hoffmann et al. \
            2022 (appendix D.2) do.
            """)

    @Argument(help: "CSV of runs: N, D, loss.")
    var runs: String

    @Option(help: "Bootstrap resamples for the confidence intervals (0: none).")
    var bootstrap = 100

    @Option(help: "Seed of the bootstrap.")
    var seed: UInt64 = 0

    @Option(help: "Also print the compute-optimal allocation under the fitted law for this budget (FLOPs).")
    var flops: Double?

    func run() throws {
        do {
            let text = try String(contentsOfFile: runs, encoding: .utf8)
            var options = FitOptions()
            options.bootstrap = bootstrap
            options.seed = seed
            let result = try fitLossLaw(try parseRuns(csv: text), options: options)
            print(result.render(), terminator: "")
            if let flops {
                let a = try result.law.optimal(flops: flops)
                print("\ncompute-optimal under the fitted law for \(formatCount(flops)) FLOPs: "
                      + "N \(formatCount(a.parameters)), D \(formatCount(a.tokens)), "
                      + "\(formatFixed(a.tokensPerParameter, digits: 1)) tokens/parameter, "
                      + "loss \(formatFixed(a.loss, digits: 4))")
            }
        } catch {
            throw reportFailure(error, log: Log())
        }
    }
}

extension DecayShape: ExpressibleByArgument {}

struct PlanSchedule: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "A learning-rate schedule step by step, with a plot and ready-to-paste trainer settings.",
        discussion: """
            Kinds: constant, cosine, linear, wsd, inverse-sqrt, infinite. Continual pretraining: --rewarm SHARE \
            re-warms to the (new) peak over that share of steps (about 1% is typical); --resume-from STEP \
            continues the same schedule without re-warming. --meco-cooldown marks the step where MeCo \
            metadata stops (default: the last 10% of training).
            """)

    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case constant, cosine, linear, wsd, inverseSqrt = "inverse-sqrt", infinite
    }

    @Option(help: "Schedule kind: \(Kind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var kind: Kind = .cosine

    @Option(help: "Total optimizer steps.")
    var steps: Int

    @Option(help: "Peak learning rate.")
    var peak: Double

    @Option(help: "Warmup steps.")
    var warmup: Int?

    @Option(help: "Warmup as a share of the steps (e.g. 0.01).")
    var warmupShare: Double?

    @Option(help: "Minimum learning rate as a ratio of the peak.")
    var minRatio: Double = 0

    @Option(help: "WSD: decay steps (default: 10% of the steps); infinite: anneal steps.")
    var decaySteps: Int?

    @Option(help: "WSD decay shape: linear, cosine, 1-sqrt, exp.")
    var decayShape: DecayShape = .cosine

    @Option(help: "WSD warmup shape (HF warmup_type): linear, cosine, 1-sqrt.")
    var warmupShape: DecayShape = .linear

    @Option(help: "Cosine cycles (HF num_cycles).")
    var cycles: Double = 0.5

    @Option(help: "Inverse sqrt timescale (default as HF: the warmup steps, or 10,000 without warmup).")
    var timescale: Int?

    @Option(help: "Infinite: cool-down steps after warmup.")
    var cooldownSteps: Int?

    @Option(help: "Infinite: the constant phase's ratio of the peak.")
    var constantRatio: Double = 0.1

    @Option(help: "Continual pretraining: re-warm over this share of the steps.")
    var rewarm: Double?

    @Option(help: "Continual pretraining: resume this schedule at this step, without re-warming.")
    var resumeFrom: Int?

    @Option(help: "MeCo cooldown share: metadata is dropped for the last share of the steps (0 to omit).")
    var mecoCooldown: Double = 0.1

    @Option(help: "Tokens per optimizer step (batch × sequence length), to report the MeCo switch in tokens.")
    var tokensPerStep: Int?

    @Option(help: "Folder for schedule.csv, schedule.json, schedule.svg and settings.txt (default: print).")
    var output: String?

    func run() throws {
        do {
            let warmupSteps = warmup ?? warmupShare.map { Int(($0 * Double(steps)).rounded()) } ?? 0
            let scheduleKind: ScheduleKind
            switch kind {
            case .constant: scheduleKind = .constant
            case .cosine: scheduleKind = .cosine
            case .linear: scheduleKind = .linear
            case .wsd:
                scheduleKind = .wsd(decaySteps: decaySteps ?? max(1, steps / 10), shape: decayShape)
            case .inverseSqrt: scheduleKind = .inverseSqrt(timescale: timescale)
            case .infinite:
                scheduleKind = .infinite(cooldownSteps: cooldownSteps ?? max(1, steps / 10),
                                         constantRatio: constantRatio, annealSteps: decaySteps ?? max(1, steps / 10))
            }
            var continuation = Schedule.Continuation.none
            if let rewarm { continuation = .rewarm(share: rewarm) }
            if let resumeFrom {
                guard rewarm == nil else { throw ValidationError("--rewarm and --resume-from exclude each other") }
                continuation = .resume(fromStep: resumeFrom)
            }
            let schedule = try Schedule(kind: scheduleKind, totalSteps: steps, warmupSteps: warmupSteps, peak: peak,
                                        minRatio: minRatio, numCycles: cycles, warmupShape: warmupShape,
                                        continuation: continuation)
            let meco = mecoCooldown > 0
                ? try MeCoSwitch(totalSteps: steps, cooldownShare: mecoCooldown, tokensPerStep: tokensPerStep) : nil
            if let output {
                try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
                let files = [
                    ("schedule.csv", scheduleCSV(schedule, meco: meco)),
                    ("schedule.json", try scheduleJSON(schedule, meco: meco)),
                    ("schedule.svg", scheduleSVG(schedule, meco: meco)),
                    ("settings.txt", trainerSettings(schedule, meco: meco)),
                ]
                for (name, text) in files {
                    try OutputFile.atomicWrite(path: "\(output)/\(name)", contents: Array(text.utf8))
                }
                print("wrote \(output)/schedule.csv, schedule.json, schedule.svg, settings.txt")
            }
            print(trainerSettings(schedule, meco: meco), terminator: "")
            if output == nil {
                let marks = [0, warmupSteps, steps / 2, steps - 1].filter { $0 >= 0 && $0 < steps }
                print("\nlearning rate at selected steps:")
                for step in Array(Set(marks)).sorted() {
                    print("  step \(step): \(schedule.learningRate(at: step))")
                }
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw reportFailure(error, log: Log())
        }
    }
}
