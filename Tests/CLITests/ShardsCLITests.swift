import CorpusIO
import Foundation
import Shards
import ReferenceSupport
import Testing

@Suite("ptk verify and ptk inspect")
struct ShardsCLITests {
    /// A byte-level tokenizer.json whose ids are the byte values (GPT-2's byte-to-character table).
    static func byteTokenizerJSON() -> String {
        var printable = Array(33...126) + Array(161...172) + Array(174...255)
        var characters = printable
        var next = 256
        for byte in 0...255 where !printable.contains(byte) {
            printable.append(byte)
            characters.append(next)
            next += 1
        }
        let vocab = zip(printable, characters).map { byte, scalar in
            let key = String(Character(Unicode.Scalar(UInt32(scalar)) ?? "?"))
                .replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "\"\(key)\": \(byte)"
        }.joined(separator: ", ")
        return "{\"normalizer\": null, \"pre_tokenizer\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false}, "
            + "\"decoder\": null, \"added_tokens\": [], \"model\": {\"type\": \"BPE\", \"vocab\": {\(vocab)}, "
            + "\"merges\": []}}"
    }

    /// Two train windows and one cooldown window of 8 byte tokens, and their manifest.
    static func packedFolder(_ folder: String) throws {
        func ids(_ text: String) -> [UInt32] { text.utf8.map(UInt32.init) }
        let train = [
            PackedWindow(tokens: ids("hi there"), lossMask: [1, 1, 1, 1, 1, 1, 1, 1], cuSeqlens: [0, 3, 8],
                         segments: [0, 0, 1, 0]),
            PackedWindow(tokens: ids("bye") + [0, 0, 0, 0, 0], lossMask: [1, 1, 1, 0, 0, 0, 0, 0], cuSeqlens: [0, 3, 8],
                         segments: [1, 5, -1, 0]),
        ]
        let cooldown = [PackedWindow(tokens: ids("cooldown"), lossMask: [0, 1, 1, 1, 1, 1, 1, 1], cuSeqlens: [0, 8],
                                     segments: [2, 0])]
        var sets = PackManifest.Sets()
        for (name, windows) in [("train", train), ("cooldown", cooldown)] {
            let writer = try ShardSetWriter(folder: folder + "/" + name, stem: "rank-00000", seqLen: 8, dtype: .uint16,
                                            maxShardBytes: 16)
            for window in windows { try writer.append(window) }
            let summary = PackManifest.SetSummary(shards: try writer.finish(), textTokens: 0)
            if name == "train" { sets.train = summary } else { sets.cooldown = summary }
        }
        let manifest = PackManifest(
            version: "test", strategy: "concat", seqLen: 8, attention: "causal", dtype: .uint16, vocabSize: 256,
            eosId: 0, bosId: nil, padId: 0, seed: 1, tokenizer: .init(file: "tok.json", sha256: ""),
            recipeSha256: "", documents: .init(read: 3, packed: 3), ledger: .init(read: 3, written: 3), sets: sets,
            files: try FileEntry.list(folder: folder))
        try manifest.write(to: folder)
    }

    @Test("verify: ok exits 0; a flipped byte exits 1 naming the file")
    func verify() throws {
        let s = try Scratch()
        try Self.packedFolder(s.path + "/packed")
        let ok = try PTK.run(["verify", "packed"], in: s.path)
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        #expect(ok.stdout.hasPrefix("ok: packed"), "\(ok.stdout)")
        #expect(ok.stdout.contains("train: 2 shards, 2 windows, 16 tokens (5 padding, 11 loss)"), "\(ok.stdout)")

        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: s.path + "/packed/train/rank-00000-00001.bin")))
        bytes[0] = 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: s.path + "/packed/train/rank-00000-00001.bin"))
        let bad = try PTK.run(["verify", "packed"], in: s.path)
        #expect(bad.status == 1)
        #expect(bad.stdout.hasPrefix("FAILED"), "\(bad.stdout)")
        #expect(bad.stdout.contains("train/rank-00000-00001.bin: sha256 "), "\(bad.stdout)")
        let json = try PTK.run(["verify", "packed", "--json"], in: s.path)
        #expect(json.status == 1)
        let report = try JSONDecoder().decode(VerifyReport.self, from: Data(json.stdout.utf8))
        #expect(report.problems.first?.path == "train/rank-00000-00001.bin")
    }

    @Test("inspect shows segments, mask runs, tokens and decoded text; --json; a window past the end exits 1")
    func inspect() throws {
        let s = try Scratch()
        try Self.packedFolder(s.path + "/packed")
        try s.write("tok.json", Self.byteTokenizerJSON())
        let text = try PTK.run(["inspect", "packed", "--window", "1", "--tokenizer", "tok.json"], in: s.path)
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("train window 1: shard rank-00000-00001, window 0 of 1; seq_len 8"),
                "\(text.stdout)")
        #expect(text.stdout.contains("0: document 1, offset 5, positions 0..<3 (3 tokens, 3 in the loss)"))
        #expect(text.stdout.contains("1: padding, positions 3..<8 (5 tokens, 0 in the loss)"))
        #expect(text.stdout.contains("loss mask runs: 0..<3 = 1, 3..<8 = 0"))
        #expect(text.stdout.contains("0: 98 121 101 0 0 0 0 0"))
        #expect(text.stdout.contains("--- segment 0 (document 1, offset 5) ---\nbye\n"), "\(text.stdout)")
        #expect(text.stdout.contains("--- segment 1 (padding) ---\n" + String(repeating: "\\u{0}", count: 5) + "\n"))

        let json = try PTK.run(["inspect", "packed", "--set", "cooldown", "--window", "0", "--json"], in: s.path)
        #expect(json.status == 0, "\(json.stderr)")
        let window = try JSONDecoder().decode(WindowInspection.self, from: Data(json.stdout.utf8))
        #expect(window.tokens == "cooldown".utf8.map(UInt32.init))
        #expect(window.segments.map(\.ordinal) == [2] && window.segments.first?.text == nil)
        #expect(window.lossMask.map(\.length) == [1, 7])

        let past = try PTK.run(["inspect", "packed", "--window", "2"], in: s.path)
        #expect(past.status == 1)
        #expect(past.stderr.contains("set train has 2 windows: there is no window 2"), "\(past.stderr)")
    }
}

@Suite("ptk pack and the PyTorch companion")
struct PackCLITests {
    @Test("ptk pack → ptk verify → the companion's tiny GPT trains on the shards and its loss goes down")
    func packVerifyTrain() throws {
        let scratch = try Scratch()
        try scratch.write("byte/tokenizer.json", ShardsCLITests.byteTokenizerJSON())
        let words = ["alpha beta gamma", "delta epsilon", "zeta eta theta iota", "kappa lambda mu"]
        let lines = (0..<400).map { i in
            "{\"id\": \"d\(i)\", \"url\": \"https://site\(i % 3).example.org/\(i)\", \"text\": \"\(words[i % 4]) \(i % 7)\"}"
        }
        try scratch.write("docs.jsonl", lines.joined(separator: "\n") + "\n{broken\n")
        let pack = try PTK.run(["pack", "--tokenizer", "byte/tokenizer.json", "--eos", "|", "--input", "docs.jsonl",
                                "--output", "out", "--seq-len", "64", "--strategy", "docmask", "--meco"],
                               in: scratch.path)
        #expect(pack.status == 0, "\(pack.stderr)")
        #expect(pack.stderr.contains("eos | (124) as given"), "\(pack.stderr)")
        #expect(pack.stderr.contains("ledger: read 401 = written 400 + rejected 1"), "\(pack.stderr)")
        let verify = try PTK.run(["verify", "out"], in: scratch.path)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")

        let again = try PTK.run(["pack", "--tokenizer", "byte/tokenizer.json", "--eos", "|", "--input", "docs.jsonl",
                                 "--output", "out", "--seq-len", "64", "--strategy", "docmask", "--meco"],
                                in: scratch.path)
        #expect(again.status == 0 && again.stderr.contains("already complete"), "\(again.stderr)")
        let other = try PTK.run(["pack", "--tokenizer", "byte/tokenizer.json", "--eos", "|", "--input", "docs.jsonl",
                                 "--output", "out", "--seq-len", "32", "--strategy", "docmask"], in: scratch.path)
        #expect(other.status != 0 && other.stderr.contains("another recipe"), "other settings, same folder: refused")
        let unknown = try PTK.run(["pack", "--tokenizer", "byte/tokenizer.json", "--eos", "<nope>", "--input",
                                   "docs.jsonl", "--output", "out2", "--seq-len", "32", "--strategy", "pad"],
                                  in: scratch.path)
        #expect(unknown.status == 2 && unknown.stderr.contains("'<nope>' is not in the vocabulary"), "\(unknown.stderr)")

        guard let python = Reference.torchPython().path else {
            Issue.record("torch venv missing: run ./scripts/test.sh (scripts/torch-venv.sh)")
            return
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [Reference.packageRoot.appendingPathComponent("python/train_tiny_gpt.py").path, "--data",
                       "\(scratch.path)/out", "--steps", "60", "--batch-size", "8", "--device", "cpu", "--seed", "1"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let last = stdout.split(separator: "\n").last.map(String.init) ?? ""
        let summary = try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any]
        let first = try #require(summary?["first_loss"] as? Double), final = try #require(summary?["last_loss"] as? Double)
        #expect(final < 0.6 * first, "loss \(first) → \(final)")
    }
}

@Suite("ptk pack interrupted")
struct PackInterruptedTests {
    @Test("a run killed while writing shards (file size limit) leaves no shards; the re-run completes them")
    func killedRunCompletes() throws {
        let scratch = try Scratch()
        try scratch.write("byte/tokenizer.json", ShardsCLITests.byteTokenizerJSON())
        for f in 0..<4 {
            let lines = (0..<5000).map { i in "{\"id\": \"f\(f)-\(i)\", \"text\": \"document \(i) of file \(f)\"}" }
            try scratch.write("in/\(f).jsonl", lines.joined(separator: "\n") + "\n")
        }
        let arguments = ["pack", "--tokenizer", "byte/tokenizer.json", "--eos", "|", "--input", "in", "--output", "out",
                         "--seq-len", "128", "--strategy", "concat", "--threads", "2"]
        let path = try #require(PTK.executable)
        // Each tokenized part is about 0.5 MB, the token .bin about 1 MB: a 700 KiB limit on file size lets the
        // parts through and kills the process (SIGXFSZ) while it writes the shards.
        let killed = try PTK.runShell("ulimit -f 700; exec '\(path)' " + arguments.map { "'\($0)'" }.joined(separator: " "),
                                      in: scratch.path)
        #expect(killed.status != 0)
        let fm = FileManager.default
        #expect(!fm.fileExists(atPath: "\(scratch.path)/out/manifest.json"))
        #expect(((try? fm.contentsOfDirectory(atPath: "\(scratch.path)/out/train")) ?? []).isEmpty,
                "no shard is visible before the set is complete")

        let resumed = try PTK.run(arguments, in: scratch.path)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try PTK.run(["verify", "out"], in: scratch.path).status == 0)
        let litter = (try? fm.subpathsOfDirectory(atPath: "\(scratch.path)/out"))?.filter { $0.contains(".tmp-") } ?? []
        #expect(litter.isEmpty, "temporary files of the killed run are gone: \(litter)")
        let fresh = try PTK.run(arguments.map { $0 == "out" ? "fresh" : $0 }, in: scratch.path)
        #expect(fresh.status == 0)
        let a = fm.contents(atPath: "\(scratch.path)/out/manifest.json")
        #expect(a != nil && a == fm.contents(atPath: "\(scratch.path)/fresh/manifest.json"))
    }
}

@Suite("ptk pack --shuffle-windows")
struct PackShuffleCLITests {
    @Test("--shuffle-windows --seed: verify passes, the manifest says so, the same seed gives the same bytes")
    func shuffleWindows() throws {
        let scratch = try Scratch()
        try scratch.write("byte/tokenizer.json", ShardsCLITests.byteTokenizerJSON())
        let lines = (0..<300).map { i in "{\"id\": \"d\(i)\", \"text\": \"document \(i) with a few words\"}" }
        try scratch.write("docs.jsonl", lines.joined(separator: "\n") + "\n")
        func pack(_ output: String, _ extra: [String]) throws -> [UInt8] {
            let run = try PTK.run(["pack", "--tokenizer", "byte/tokenizer.json", "--eos", "|", "--input", "docs.jsonl",
                                   "--output", output, "--seq-len", "32", "--strategy", "concat",
                                   "--max-shard-bytes", "1KiB"] + extra, in: scratch.path)
            #expect(run.status == 0, "\(run.stderr)")
            let verify = try PTK.run(["verify", output], in: scratch.path)
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
            return Array(try Data(contentsOf: URL(fileURLWithPath: "\(scratch.path)/\(output)/manifest.json")))
        }
        let plain = try pack("plain", [])
        let a = try pack("a", ["--shuffle-windows", "--seed", "5"])
        let b = try pack("b", ["--shuffle-windows", "--seed", "5", "--threads", "1"])
        let c = try pack("c", ["--shuffle-windows", "--seed", "6"])
        #expect(a == b, "the same seed, the same bytes")
        #expect(String(decoding: a, as: UTF8.self).contains("\"shuffle_windows\" : true"))
        #expect(!String(decoding: plain, as: UTF8.self).contains("shuffle_windows"))
        let bin = "train/rank-00000-00000.bin"
        let first = { (folder: String) in try Data(contentsOf: URL(fileURLWithPath: "\(scratch.path)/\(folder)/\(bin)")) }
        #expect(try first("plain") != first("a") && first("a") != first("c"), "another order")
    }
}
