import CorpusCore
import Foundation
import Testing

@testable import Pipeline

@Suite("Recipe")
struct RecipeTests {
    static let example = """
        # PretrainKit recipe
        name: demo
        seed: 42
        inputs:
          - path: corpus/web/*.jsonl.zst      # a file, a folder, or a glob (* ? [..] in the last components)
            format: jsonl                     # auto (default: by extension) | jsonl | text
            text_field: text                  # dotted paths into the JSON record (default "text")
            id_field: id                      # default "id"; ids missing in a record are synthesized as file:line
            url_field: meta.url               # default "url"
            source: web                       # optional label stored on each document
          - path: corpus/notes/               # a folder of .txt files: each file one document
        reader:
          max_record_bytes: 16777216          # default 64 MiB; an integer or a size string "16MiB", "512KiB", "1GB"
          invalid_utf8: reject                # reject (default) | replace
        steps:
          - trim: {}
          - length:
              min_chars: 200
              max_chars: 1000000
          - script:
              keep: [latin, han]
        output:
          path: out/demo                      # a folder
          format: jsonl.zst                   # jsonl | jsonl.gz | jsonl.zst (default jsonl.zst)
          compression_level: 3                # optional
          rejects: true                       # default true

        """

    /// A recipe with one input and an output, plus `extra` lines appended at top level.
    static func minimal(_ extra: String = "") -> String {
        "inputs:\n  - path: a.jsonl\noutput:\n  path: out\n" + extra
    }

    /// The error `Recipe.parse` throws for `yaml`, or nil when it parses.
    static func parseError(_ yaml: String) -> RecipeError? {
        do {
            _ = try Recipe.parse(yaml: yaml, file: "recipe.yaml")
            return nil
        } catch {
            return error
        }
    }

    /// Whether the one-line description starts at `line` and mentions every one of `words`.
    static func mentions(_ error: RecipeError?, line: Int, _ words: String...) -> Bool {
        guard let text = error?.description else { return false }
        return text.hasPrefix("recipe.yaml:\(line):") && words.allSatisfy(text.contains) && !text.contains("\n")
    }

    // MARK: Parsing

    @Test func fullExampleParses() throws {
        let recipe = try Recipe.parse(yaml: Self.example, file: "recipe.yaml")
        #expect(recipe.name == "demo")
        #expect(recipe.seed == 42)
        #expect(recipe.inputs == [
            InputSpec(path: "corpus/web/*.jsonl.zst", format: .jsonl, textField: FieldPath(["text"]),
                      idField: FieldPath(["id"]), urlField: FieldPath(["meta", "url"]), source: "web"),
            InputSpec(path: "corpus/notes/"),
        ])
        #expect(recipe.reader == ReaderOptions(maxRecordBytes: 16 << 20, invalidUTF8: .reject))
        #expect(recipe.output == OutputSpec(path: "out/demo", format: .jsonlZst, compressionLevel: 3, rejects: true))
        #expect(recipe.recipeHash == SHA256.hex(Array(Self.example.utf8)))
        #expect(recipe.recipeHash.count == 64)

        #expect(recipe.steps.map(\.name) == ["trim", "length", "script"])
        #expect(recipe.steps.map(\.location.line) == [16, 17, 20])
        #expect(recipe.steps.map(\.location.path) == ["steps[0]", "steps[1]", "steps[2]"])
        #expect(recipe.steps[0].params.keys.isEmpty)
        try recipe.steps[0].params.finish()
        let length = recipe.steps[1].params
        #expect(length.location.path == "steps[1].length")
        #expect(try length.int("min_chars") == 200)
        #expect(try length.int("max_chars", default: 0, in: 1...) == 1_000_000)
        try length.finish()
        let script = recipe.steps[2].params
        #expect(try script.stringList("keep") == ["latin", "han"])
        try script.finish()
    }

    @Test func defaultsWhenFieldsAreAbsent() throws {
        let recipe = try Recipe.parse(yaml: Self.minimal(), file: "recipe.yaml")
        #expect(recipe.name == nil)
        #expect(recipe.seed == 0)
        #expect(recipe.inputs.count == 1)
        let input = try #require(recipe.inputs.first)
        #expect(input.format == .auto)
        #expect(input.textField.description == "text")
        #expect(input.idField == "id")
        #expect(input.urlField == "url")
        #expect(input.source == nil)
        #expect(recipe.reader.maxRecordBytes == 64 << 20)
        #expect(recipe.reader.invalidUTF8 == .reject)
        #expect(recipe.steps.isEmpty)
        #expect(recipe.output == OutputSpec(path: "out"))
        #expect(recipe.output.format == .jsonlZst && recipe.output.compressionLevel == nil && recipe.output.rejects)
        #expect(OutputFormat.jsonlGz.fileExtension == "jsonl.gz")
    }

    @Test func loadReadsTheFileAndHashesItsBytes() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("recipe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("recipe.yaml")
        try Data(Self.example.utf8).write(to: file)
        let loaded = try Recipe.load(path: file.path)
        #expect(loaded == (try Recipe.parse(yaml: Self.example, file: file.path)))
        #expect(loaded.recipeHash == SHA256.hex(Array(Self.example.utf8)))

        // Errors of a loaded recipe name the file it came from.
        let broken = folder.appendingPathComponent("broken.yaml")
        try Data("inputs: [".utf8).write(to: broken)
        #expect(throws: RecipeError.self) { try Recipe.load(path: broken.path) }
        do {
            _ = try Recipe.load(path: broken.path)
        } catch {
            guard case .syntax(broken.path, _, _, _) = error else {
                Issue.record("expected a syntax error naming the file, got \(error)")
                return
            }
            #expect(error.description.hasPrefix(broken.path + ":"))
        }
    }

    @Test func stepShapes() throws {
        let yaml = Self.minimal("steps:\n  - trim\n  - dedup:\n  - length: {min_chars: 5}\n")
        let recipe = try Recipe.parse(yaml: yaml, file: "recipe.yaml")
        #expect(recipe.steps.map(\.name) == ["trim", "dedup", "length"])
        #expect(recipe.steps.map(\.location.line) == [6, 7, 8])
        #expect(recipe.steps[0].params.keys.isEmpty && recipe.steps[1].params.keys.isEmpty)
        #expect(try recipe.steps[2].params.int("min_chars") == 5)

        let scalarParams = Self.parseError(Self.minimal("steps:\n  - length: 5\n"))
        guard case .typeMismatch(let at, _, _) = scalarParams else {
            Issue.record("expected typeMismatch, got \(String(describing: scalarParams))")
            return
        }
        #expect(at.path == "steps[0].length")
        #expect(Self.mentions(scalarParams, line: 6, "steps[0].length", "mapping"))
    }

    // MARK: Unknown keys

    @Test func topLevelTypo() {
        // A required key spelled wrong: reported as the typo, not as a missing key.
        let misspelled = Self.parseError("inputs:\n  - path: a\nouput:\n  path: out\n")
        #expect(misspelled == .unknownKey(key: "ouput", at: RecipeLocation(file: "recipe.yaml", path: "ouput",
                                                                            line: 3, column: 1),
                                          suggestion: "output"))
        #expect(misspelled?.description
            == "recipe.yaml:3:1: unknown key 'ouput' at top level (did you mean 'output'?)")

        // An optional one: found by finish().
        let extra = Self.parseError(Self.minimal("sed: 3\n"))
        guard case .unknownKey("sed", let at, "seed") = extra else {
            Issue.record("expected unknownKey, got \(String(describing: extra))")
            return
        }
        #expect(at.line == 5)
        #expect(Self.mentions(extra, line: 5, "'sed'", "'seed'"))
    }

    @Test func typoInsideAnInput() {
        let yaml = "inputs:\n  - path: a\n  - path: b\n    text_feild: body\noutput:\n  path: out\n"
        let error = Self.parseError(yaml)
        guard case .unknownKey("text_feild", let at, "text_field") = error else {
            Issue.record("expected unknownKey, got \(String(describing: error))")
            return
        }
        #expect(at.path == "inputs[1].text_feild")
        #expect(at.line == 4 && at.column == 5)
        #expect(error?.description
            == "recipe.yaml:4:5: unknown key 'text_feild' in inputs[1] (did you mean 'text_field'?)")
    }

    @Test func typoInsideReader() {
        let error = Self.parseError(Self.minimal("reader:\n  invalid_utf8: replace\n  max_record_byte: 1MiB\n"))
        guard case .unknownKey("max_record_byte", let at, "max_record_bytes") = error else {
            Issue.record("expected unknownKey, got \(String(describing: error))")
            return
        }
        #expect(at.path == "reader.max_record_byte")
        #expect(Self.mentions(error, line: 7, "max_record_byte", "in reader", "max_record_bytes"))
    }

    @Test func typoInsideStepParameters() throws {
        let yaml = Self.example.replacingOccurrences(of: "min_chars: 200", with: "min_char: 200")
        let recipe = try Recipe.parse(yaml: yaml, file: "recipe.yaml")
        let params = recipe.steps[1].params
        #expect(try params.int("min_chars", default: 0, in: 0...) == 0)
        #expect(try params.int("max_chars") == 1_000_000)
        #expect(throws: RecipeError.unknownKey(
            key: "min_char", at: RecipeLocation(file: "recipe.yaml", path: "steps[1].length.min_char", line: 18,
                                                column: 7),
            suggestion: "min_chars")) {
            try params.finish()
        }
        do {
            try params.finish()
        } catch {
            #expect(error.description
                == "recipe.yaml:18:7: unknown key 'min_char' in steps[1].length (did you mean 'min_chars'?)")
        }
    }

    @Test func finishChecksChildrenAndSkipsUnrelatedSuggestions() throws {
        let node = try RecipeNode.parse(yaml: "outer:\n  inner: 1\n  zzz: 2\nother: x\n", file: "p.yaml")
        let outer = try #require(try node.child("outer"))
        #expect(try outer.int("inner") == 1)
        _ = try node.string("other")
        #expect(throws: RecipeError.unknownKey(
            key: "zzz", at: RecipeLocation(file: "p.yaml", path: "outer.zzz", line: 3, column: 3), suggestion: nil)) {
            try node.finish()
        }
    }

    @Test func stepWithTwoKeys() {
        // The classic indentation slip: the parameters are siblings of the step name.
        let yaml = Self.minimal("steps:\n  - trim\n  - length:\n    min_chars: 200\n")
        let error = Self.parseError(yaml)
        guard case .invalidValue(let at, let message) = error else {
            Issue.record("expected invalidValue, got \(String(describing: error))")
            return
        }
        #expect(at.path == "steps[1]")
        #expect(at.line == 8)
        #expect(message.contains("'length'") && message.contains("'min_chars'"))
        #expect(Self.mentions(error, line: 8, "steps[1]", "min_chars", "one key"))
    }

    // MARK: Types and values

    @Test func wrongTypes() throws {
        let seed = Self.parseError(Self.minimal("seed: \"abc\"\n"))
        guard case .typeMismatch(let at, let expected, let found) = seed else {
            Issue.record("expected typeMismatch, got \(String(describing: seed))")
            return
        }
        #expect(at.path == "seed" && at.line == 5)
        #expect(expected.contains("integer"))
        #expect(found == "the string \"abc\"")
        #expect(seed?.description
            == "recipe.yaml:5:1: seed must be a non-negative integer, found the string \"abc\"")

        let recipe = try Recipe.parse(yaml: Self.minimal("steps:\n  - length:\n      min_chars: [1]\n"),
                                      file: "recipe.yaml")
        let params = recipe.steps[0].params
        do {
            _ = try params.int("min_chars")
            Issue.record("expected a type mismatch")
        } catch {
            #expect(error == .typeMismatch(
                at: RecipeLocation(file: "recipe.yaml", path: "steps[0].length.min_chars", line: 7, column: 7),
                expected: "an integer", found: "a sequence"))
            #expect(Self.mentions(error, line: 7, "steps[0].length.min_chars", "integer", "sequence"))
        }

        let rejects = Self.parseError("inputs:\n  - path: a\noutput:\n  path: out\n  rejects: maybe\n")
        #expect(Self.mentions(rejects, line: 5, "output.rejects", "boolean"))
        let inputs = Self.parseError("inputs: corpus\noutput:\n  path: out\n")
        #expect(Self.mentions(inputs, line: 1, "inputs", "list"))
    }

    @Test func seeds() throws {
        let negative = Self.parseError(Self.minimal("seed: -1\n"))
        guard case .invalidValue(let at, _) = negative else {
            Issue.record("expected invalidValue, got \(String(describing: negative))")
            return
        }
        #expect(at.path == "seed")
        #expect(Self.mentions(negative, line: 5, "seed", "non-negative"))

        let largest = try Recipe.parse(yaml: Self.minimal("seed: 18446744073709551615\n"), file: "r")
        #expect(largest.seed == UInt64.max)
        let tooLarge = Self.parseError(Self.minimal("seed: 18446744073709551616\n"))
        #expect(Self.mentions(tooLarge, line: 5, "seed"))
        #expect(try Recipe.parse(yaml: Self.minimal("seed: 0x10\n"), file: "r").seed == 16)
    }

    @Test func byteSizes() throws {
        #expect(RecipeNode.parseByteSize("16MiB") == 16 << 20)
        #expect(RecipeNode.parseByteSize("512KiB") == 512 << 10)
        #expect(RecipeNode.parseByteSize("1GB") == 1_000_000_000)
        #expect(RecipeNode.parseByteSize("2G") == 2 << 30)
        #expect(RecipeNode.parseByteSize("3 kb") == 3_000)
        #expect(RecipeNode.parseByteSize("1.5K") == 1536)
        #expect(RecipeNode.parseByteSize("4096") == 4096)
        #expect(RecipeNode.parseByteSize("10B") == 10)
        #expect(RecipeNode.parseByteSize("1_000") == 1000)
        #expect(RecipeNode.parseByteSize("2TiB") == 2 << 40)
        for bad in ["", "MiB", "16MeB", "-1K", "1.2.3K", "9999999999999999999G", "1.1234567K", "K16"] {
            #expect(RecipeNode.parseByteSize(bad) == nil, "\(bad)")
        }

        let node = try RecipeNode.parse(yaml: "a: 16MiB\nb: 2048\nc: [1]\nd: -5\ne: lots\n")
        #expect(try node.byteSize("a") == 16 << 20)
        #expect(try node.byteSize("b") == 2048)
        #expect(try node.byteSize("missing", default: 7) == 7)
        #expect(throws: RecipeError.self) { try node.byteSize("c") }
        #expect(throws: RecipeError.self) { try node.byteSize("d") }
        #expect(throws: RecipeError.self) { try node.byteSize("e") }

        let recipe = try Recipe.parse(yaml: Self.minimal("reader:\n  max_record_bytes: 1GB\n"), file: "r")
        #expect(recipe.reader.maxRecordBytes == 1_000_000_000)
    }

    @Test func badSizes() {
        let misspelled = Self.parseError(Self.minimal("reader:\n  max_record_bytes: 16MeB\n"))
        guard case .invalidValue(let at, let message) = misspelled else {
            Issue.record("expected invalidValue, got \(String(describing: misspelled))")
            return
        }
        #expect(at.path == "reader.max_record_bytes")
        #expect(message.contains("16MeB"))
        #expect(Self.mentions(misspelled, line: 6, "reader.max_record_bytes", "16MeB"))

        let tooSmall = Self.parseError(Self.minimal("reader:\n  max_record_bytes: 512\n"))
        #expect(Self.mentions(tooSmall, line: 6, "reader.max_record_bytes", "at least 1024"))
    }

    @Test func compressionLevels() throws {
        func output(_ lines: String) -> String { "inputs:\n  - path: a\noutput:\n  path: out\n" + lines }
        #expect(try Recipe.parse(yaml: output("  format: jsonl.gz\n  compression_level: 9\n"), file: "r")
            .output.compressionLevel == 9)
        #expect(Self.mentions(Self.parseError(output("  compression_level: 23\n")), line: 5,
                              "output.compression_level", "between 1 and 22"))
        #expect(Self.mentions(Self.parseError(output("  format: jsonl.gz\n  compression_level: 10\n")), line: 6,
                              "output.compression_level", "between 1 and 9"))
        #expect(Self.mentions(Self.parseError(output("  format: jsonl\n  compression_level: 3\n")), line: 6,
                              "output.compression_level", "jsonl"))
        #expect(try Recipe.parse(yaml: output("  format: jsonl\n"), file: "r").output.format == .jsonl)
        #expect(Self.mentions(Self.parseError(output("  format: jsonl.xz\n")), line: 5,
                              "output.format", "jsonl.xz", "did you mean 'jsonl.gz'"))
    }

    @Test func inputChecks() {
        #expect(Self.mentions(Self.parseError("inputs: []\noutput:\n  path: out\n"), line: 1, "inputs", "at least one"))
        #expect(Self.mentions(Self.parseError("inputs:\n  - path: ''\noutput:\n  path: out\n"), line: 2,
                              "inputs[0].path", "empty"))
        let noPath = Self.parseError("inputs:\n  - format: jsonl\noutput:\n  path: out\n")
        #expect(noPath == .missing(key: "path", at: RecipeLocation(file: "recipe.yaml", path: "inputs[0].path",
                                                                  line: 2, column: 5)))
        #expect(Self.mentions(noPath, line: 2, "missing key 'path'", "inputs[0]"))
        #expect(Self.mentions(Self.parseError("inputs:\n  - path: a\n    text_field: meta..text\noutput:\n  path: o\n"),
                              line: 3, "inputs[0].text_field", "meta..text"))
        #expect(Self.mentions(Self.parseError("inputs:\n  - path: a\n    format: csv\noutput:\n  path: o\n"),
                              line: 3, "inputs[0].format", "csv", "auto, jsonl, text"))
    }

    // MARK: Files and syntax

    @Test func invalidSyntax() {
        let error = Self.parseError("name: demo\ninputs:\n  - path: a\n   bad: [1, 2\noutput:\n  path: out\n")
        guard case .syntax(let file, let line, _, let message) = error else {
            Issue.record("expected syntax, got \(String(describing: error))")
            return
        }
        #expect(file == "recipe.yaml")
        #expect(line >= 4)
        #expect(!message.isEmpty)
        #expect(error?.description.hasPrefix("recipe.yaml:\(line):") == true)
        #expect(error?.description.contains("\n") == false)

        let tab = Self.parseError("inputs:\n\t- path: a\n")
        #expect(Self.mentions(tab, line: 2, "invalid YAML"))
    }

    @Test func duplicateKeys() {
        let error = Self.parseError("inputs:\n  - path: a\nseed: 1\noutput:\n  path: out\nseed: 2\n")
        guard case .syntax(_, let line, _, let message) = error else {
            Issue.record("expected syntax, got \(String(describing: error))")
            return
        }
        #expect(line == 6)
        #expect(message.contains("duplicate key 'seed'") && message.contains("line 3"))

        // Equal as strings but not as YAML nodes: caught by the recipe's own check.
        let mixed = Self.parseError("inputs:\n  - path: a\n    1: x\n    \"1\": y\noutput:\n  path: out\n")
        #expect(Self.mentions(mixed, line: 4, "duplicate key '1'", "inputs[0]"))
    }

    @Test func emptyFile() {
        for text in ["", "\n\n", "# only a comment\n"] {
            let error = Self.parseError(text)
            guard case .invalidValue(let at, let message) = error else {
                Issue.record("expected invalidValue, got \(String(describing: error))")
                continue
            }
            #expect(at.line == 1)
            #expect(message.contains("empty"))
            #expect(Self.mentions(error, line: 1, "empty"))
        }
        let list = Self.parseError("- a\n- b\n")
        #expect(Self.mentions(list, line: 1, "mapping", "sequence"))
    }

    @Test func missingInputs() {
        let error = Self.parseError("name: x\noutput:\n  path: out\n")
        #expect(error == .missing(key: "inputs", at: RecipeLocation(file: "recipe.yaml", path: "inputs", line: 1,
                                                                    column: 1)))
        #expect(error?.description == "recipe.yaml:1:1: missing key 'inputs' at top level")
        let noOutput = Self.parseError("inputs:\n  - path: a\n")
        guard case .missing("output", _) = noOutput else {
            Issue.record("expected missing output, got \(String(describing: noOutput))")
            return
        }
    }

    @Test func missingFile() {
        let path = "/nonexistent-\(UUID().uuidString)/recipe.yaml"
        do {
            _ = try Recipe.load(path: path)
            Issue.record("expected an error")
        } catch {
            guard case .unreadable(let file, let reason) = error else {
                Issue.record("expected unreadable, got \(error)")
                return
            }
            #expect(file == path)
            #expect(reason.contains("No such file"))
            #expect(error.description.hasPrefix(path + ": cannot read recipe"))
        }
        #expect(throws: RecipeError.self) { try Recipe.load(path: FileManager.default.temporaryDirectory.path) }
    }

    // MARK: Helpers

    @Test func suggestions() {
        #expect(RecipeError.suggest("ouput", among: Recipe.topLevelKeys) == "output")
        #expect(RecipeError.suggest("text_feild", among: ["text_field", "id_field"]) == "text_field")
        #expect(RecipeError.suggest("lenght", among: ["length", "trim"]) == "length")
        #expect(RecipeError.suggest("min_char", among: ["max_chars", "min_chars"]) == "min_chars")
        #expect(RecipeError.suggest("zzz", among: ["length", "trim"]) == nil)
        #expect(RecipeError.suggest("ab", among: ["id"]) == nil)
        #expect(RecipeError.suggest("x", among: []) == nil)
        #expect(RecipeError.suggest("sed", among: ["seed", "sea"]) == "seed")
        let unknownStep = RecipeError.unknownStep(
            name: "lenght", at: RecipeLocation(file: "r.yaml", path: "steps[1]", line: 17, column: 5),
            known: ["length", "trim"], suggestion: RecipeError.suggest("lenght", among: ["length", "trim"]))
        #expect(unknownStep.description
            == "r.yaml:17:5: unknown step 'lenght' at steps[1] (did you mean 'length'? known steps: length, trim)")
    }

    @Test func nodeAccessors() throws {
        let node = try RecipeNode.parse(yaml: """
            n: 3
            f: 0.25
            big: 1e6
            yes_no: no
            flag: true
            list: [a, 2]
            one: solo
            name: 2024
            nothing: ~
            """)
        #expect(try node.int("n", in: 1...5) == 3)
        #expect(try node.double("f", in: 0...1) == 0.25)
        #expect(try node.double("n") == 3)
        #expect(try node.int("big") == 1_000_000)
        #expect(try node.bool("flag") == true)
        #expect(try node.bool("yes_no") == false)
        #expect(try node.stringList("yes_no") == ["no"])
        #expect(try node.stringList("list") == ["a", "2"])
        #expect(try node.stringList("one") == ["solo"])
        #expect(try node.string("name") == "2024")
        #expect(try node.int("nothing") == nil)
        #expect(try node.int("absent", default: 9) == 9)
        #expect(throws: RecipeError.self) { try node.int("n", in: 4...) }
        #expect(throws: RecipeError.self) { try node.int("f") }
        #expect(throws: RecipeError.self) { try node.bool("n") }
        #expect(throws: RecipeError.self) { try node.requireString("absent") }
        try node.finish()
    }

    @Test func resolvingPaths() throws {
        let recipe = try Recipe.parse(yaml: """
            inputs:
              - path: corpus/web/*.jsonl
              - path: /data/abs.jsonl
              - path: ./notes/
            output:
              path: out/demo
            """, file: "r")
        let resolved = recipe.resolvingPaths(relativeTo: "/home/me/recipes")
        #expect(resolved.inputs.map(\.path) == ["/home/me/recipes/corpus/web/*.jsonl", "/data/abs.jsonl",
                                               "/home/me/recipes/notes/"])
        #expect(resolved.output.path == "/home/me/recipes/out/demo")
        #expect(recipe.resolvingPaths(relativeTo: "/home/me/recipes/").output.path == "/home/me/recipes/out/demo")
        #expect(recipe.resolvingPaths(relativeTo: "/").output.path == "/out/demo")
        #expect(recipe.inputs[0].path == "corpus/web/*.jsonl")
        #expect(resolved.steps == recipe.steps && resolved.seed == recipe.seed)
    }
}
